"""This part's section of the account page: the credit checks (资信调查) of the account's customer
with the form, whether a new sale may go ahead on them, and the first late payment flag (决不给客户
第一次欠款机会). One query (the checks) whatever the number of checks."""

from __future__ import annotations

from django.utils import timezone

from . import selectors
from .models import CreditCheck


def checks_context(request, customer, *, errors=None, values=None) -> dict:
    user = request.user
    checks = selectors.credit_checks(user, customer)
    last = checks[0] if checks else None
    ok, message = selectors.status_from(last)
    values = values or {}
    chosen = values.getlist("sources") if hasattr(values, "getlist") else list(values.get("sources", []))
    return {
        "credit_checks": checks,
        "credit_ok": ok,
        "credit_message": message,
        "may_check": selectors.may_record_check(user, customer),
        "check_errors": errors or {},
        "check_values": {
            "stage": values.get("stage") or CreditCheck.Stage.DURING_TERM,
            "checked_on": values.get("checked_on") or timezone.localdate().isoformat(),
            "result": values.get("result") or "",
            "note": values.get("note") or "",
            "sources": chosen,
        },
        "check_stages": CreditCheck.Stage.choices,
        "check_results": CreditCheck.Result.choices,
        "check_sources": CreditCheck.Source.choices,
        "today": timezone.localdate(),
    }


def account_panel(request, account, *, errors=None, values=None) -> dict:
    """Extra context for ``templates/receivables/kpis/_account.html``."""
    context = checks_context(request, account.customer, errors=errors, values=values)
    context["first_late_on"] = account.first_late_on
    return context
