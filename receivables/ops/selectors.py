"""Reads of the ops part: the days-past-due history of an account (for its chart), whom to contact,
the next good times to go, the pre-warning message of the next instalment, the day's collections of
a salesperson (for the visits daily report)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.visibility import visible

from ..models import Instalment, Payment, ReceivableAccount
from . import rules
from .models import DpdSnapshot

HISTORY_DAYS = 180

REASONS = {
    rules.MIDWEEK: _("Tuesday to Thursday"),
    rules.MONDAY_AFTERNOON: _("Monday afternoon"),
    rules.MAKEUP_WORKDAY: _("make-up workday (调休上班)"),
    rules.MONTH_END: _("month end"),
    rules.PAY_DAY: _("the customer's pay day"),
    rules.CALENDAR_UNKNOWN: _("holidays of this year not yet known: weekends taken as rest days"),
}


def dpd_history(user, account: ReceivableAccount, *, today: dt.date | None = None) -> dict:
    """The account's days past due over the last 180 days (one query), for the chart and its table."""
    today = today or timezone.localdate()
    rows = list(
        visible(user, DpdSnapshot)
        .filter(account=account, on__gt=today - dt.timedelta(days=HISTORY_DAYS), on__lte=today)
        .order_by("on")
        .values_list("on", "days_past_due", "overdue_fen")
    )
    return {
        "days": [d.isoformat() for d, _dpd, _o in rows],
        "dpd": [dpd for _d, dpd, _o in rows],
        "overdue": [o for _d, _dpd, o in rows],
        "max": max((dpd for _d, dpd, _o in rows), default=0),
        "late_days": sum(1 for _d, dpd, _o in rows if dpd > 0),
    }


def contacts_allowed(account: ReceivableAccount, user=None) -> list[str]:
    """Whom a collector may contact (SPEC §7: the customer and the guarantors, never other third
    parties): the customer with their mobile, and the guarantors named in the contract's instalment
    dossier (分期资料). One query when the account comes from a contract."""
    from orders.models import DossierItem

    people = [f"{account.customer.name} {account.customer.phone}".strip()]
    if account.contract_id:
        qs = visible(user, DossierItem) if user is not None else DossierItem.objects.all()
        names = (
            qs.filter(
                order__contract__pk=account.contract_id,
                kind__in=[DossierItem.Kind.GUARANTOR_ID, DossierItem.Kind.GUARANTOR_HOUSEHOLD],
            )
            .exclude(person_name="")
            .values_list("person_name", flat=True)
            .distinct()
        )
        people += [str(_("guarantor %(name)s") % {"name": n}) for n in names]
    return people


def next_instalment(account: ReceivableAccount, today: dt.date) -> Instalment | None:
    """The first unpaid instalment due today or later (one query)."""
    return (
        Instalment.objects.filter(account=account, due_on__gte=today, paid_fen__lt=F("amount_fen"))
        .order_by("due_on", "n")
        .first()
    )


def collections_of_day(user, day: dt.date) -> dict:
    """The payments received on ``day`` on the salesperson's accounts (reversed ones left out), for
    the visits daily report: ``{"count", "amount"}`` with the amount as a yuan Decimal string. One
    SQL aggregate."""
    row = Payment.objects.filter(
        company_id=user.company_id,
        account__salesperson=user,
        kind=Payment.Kind.PAYMENT,
        reversal__isnull=True,
        received_on=day,
    ).aggregate(n=Count("pk"), fen=Sum("amount_fen"))
    amount = (Decimal(row["fen"] or 0) / 100).quantize(Decimal("0.01"))
    return {"count": row["n"], "amount": str(amount)}


def open_account_count(company_id: int) -> int:
    return ReceivableAccount.objects.filter(company_id=company_id, status=ReceivableAccount.Status.OPEN).count()
