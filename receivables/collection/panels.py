"""This part's section of the account page."""


def account_panel(request, account) -> dict:
    """Extra context for ``templates/receivables/<part>/_account.html``."""
    return {}
