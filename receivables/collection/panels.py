"""Collection's section of the account page: the plan table (six questions and completeness), the
5W2H rounds, the promises to pay and the action log with the "record an action" form."""

import datetime as dt

from django.utils import timezone

from ..models import PaymentPromise
from .models import TACTIC_HELP, CollectionAction, Tactic
from .selectors import account_section, techniques_of


def account_panel(request, account) -> dict:
    """Extra context for ``templates/receivables/collection/_account.html`` (8 queries, whatever
    the number of actions). A refused form of this section leaves its errors and values on the
    request (``request.collection_form``) for the re-render."""
    form = getattr(request, "collection_form", None) or {}
    now = timezone.localtime()
    section = account_section(request.user, account)
    return {
        "co": section,
        "co_form": form.get("form", ""),
        "co_errors": form.get("errors", {}),
        "co_values": form.get("values", {}),
        "co_techniques": list(techniques_of(account.company_id)) if section["may_collect"] else [],
        "co_tactics": [(t.value, t.label, TACTIC_HELP[t]) for t in Tactic],
        "co_kinds": CollectionAction.Kind.choices,
        "co_outcomes": CollectionAction.Outcome.choices,
        "co_now": now.strftime("%Y-%m-%dT%H:%M"),
        "co_tomorrow": (now + dt.timedelta(days=1)).date().isoformat(),
        "co_promise_statuses": PaymentPromise.Status,
    }
