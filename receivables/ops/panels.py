"""This part's section of the account page: the days-past-due history (chart and table), the first
late payment, the next good times to go, the pre-warning message of the next instalment (with a copy
button) and whom to contact. A constant number of queries (4; 5 with the contract's dossier)."""

from __future__ import annotations

from django.utils import timezone

from . import rules, selectors, services


def account_panel(request, account) -> dict:
    """Extra context for ``templates/receivables/ops/_account.html``."""
    today = timezone.localdate()
    cfg = services.settings_for(account.company_id)
    times = []
    if account.status == account.Status.OPEN:
        moment = timezone.localtime()
        for g in rules.next_good_times(moment, pay_day=account.pay_day, contact_hours=cfg.contact_hours):
            times.append({"at": g.at, "score": g.score, "reasons": [selectors.REASONS[r] for r in g.reasons]})
    upcoming = selectors.next_instalment(account, today) if account.status == account.Status.OPEN else None
    message = ""
    company = account.company  # always read: the same number of queries with or without a message
    if upcoming is not None and (upcoming.due_on - today).days <= cfg.prewarning_days:
        message = services.customer_message(
            account=account, instalment=upcoming, company_name=company.short_name or company.name
        )
    return {
        "ops_history": selectors.dpd_history(request.user, account, today=today),
        "ops_times": times,
        "ops_contacts": selectors.contacts_allowed(account, request.user),
        "ops_next": upcoming,
        "ops_message": message,
        "ops_prewarning_days": cfg.prewarning_days,
    }
