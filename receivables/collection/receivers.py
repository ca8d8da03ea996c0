"""Signal receivers and periodic jobs of this part; imported when the receivables app is ready."""
