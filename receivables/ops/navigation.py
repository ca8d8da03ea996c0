"""Menu entries of this part; appended to receivables.navigation.NAV."""

NAV: list = []
