"""Every read of receivables, from ``visibility.visible``: the account list, one account, ageing (账龄).

Ageing is computed in SQL: per account the oldest due date still unpaid on the as-of date (a ``Min``
subquery over its instalments with ``paid_fen < amount_fen`` and ``due_on <= as_of``), the days past
due and their bucket with ``Case``/``When`` (the same bounds as ``rules.bucket_of``), the outstanding
amount as a ``Sum`` subquery, then grouped and summed by customer, salesperson, region or policy.
From today on an instalment's paid amount is the stored ``paid_fen``; as of a past date it is the sum
of the allocations of the payments received by then, leaving out reversed payments (recorded in
error, they never counted).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.visibility import Action, get_or_404, visible

from . import rules
from .models import Allocation, Instalment, Payment, ReceivableAccount

GROUPS = {
    "customer": ("customer_id", "customer__name"),
    "salesperson": ("salesperson_id", "salesperson__username"),
    "region": ("region_id", "region__name"),
    "policy": ("policy_name", "policy_name"),
}
GROUP_LABELS = {
    "customer": _("customer"),
    "salesperson": _("salesperson"),
    "region": _("region"),
    "policy": _("commercial policy"),
}


def _instalments(as_of: dt.date):
    """The account's instalments (OuterRef) with ``paid_then``: what had been paid on ``as_of`` —
    the stored ``paid_fen`` from today on, else the allocations of the payments received by then
    that were not reversed (a reversed payment was recorded in error: it never counted)."""
    rows = Instalment.objects.filter(account=OuterRef("pk")).order_by()
    if as_of >= timezone.localdate():
        return rows.annotate(paid_then=F("paid_fen"))
    allocated = (
        Allocation.objects.filter(
            instalment=OuterRef("pk"),
            payment__kind=Payment.Kind.PAYMENT,
            payment__reversal__isnull=True,
            payment__received_on__lte=as_of,
        )
        .order_by()
        .annotate(s=Func(F("amount_fen"), function="SUM", output_field=BigIntegerField()))
        .values("s")
    )
    paid_then = Coalesce(Subquery(allocated, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())
    return rows.annotate(paid_then=paid_then)


def _oldest_unpaid(as_of: dt.date):
    rows = (
        _instalments(as_of)
        .filter(paid_then__lt=F("amount_fen"), due_on__lte=as_of)
        .annotate(m=Func(F("due_on"), function="MIN", output_field=DateField()))
        .values("m")
    )
    return Subquery(rows, output_field=DateField())


def _sum_unpaid(rows):
    # SUM as a plain function, not an aggregate: one row per account, no GROUP BY in the subquery
    rows = rows.annotate(s=Func(F("amount_fen") - F("paid_then"), function="SUM", output_field=BigIntegerField()))
    rows = rows.values("s")
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


def _outstanding(as_of: dt.date):
    return _sum_unpaid(_instalments(as_of))


def _overdue(as_of: dt.date):
    return _sum_unpaid(_instalments(as_of).filter(due_on__lt=as_of, paid_then__lt=F("amount_fen")))


def with_ageing(qs, as_of: dt.date):
    """Annotate accounts with ``oldest_due``, ``days_past_due``, ``bucket``, ``outstanding`` and
    ``overdue`` (fen due before ``as_of`` and unpaid) — all in SQL."""
    qs = qs.annotate(oldest_due=_oldest_unpaid(as_of), outstanding=_outstanding(as_of), overdue=_overdue(as_of))
    days = _days_between(as_of, F("oldest_due"))
    qs = qs.annotate(days_past_due=Coalesce(days, Value(0), output_field=IntegerField()))
    labels = rules.bucket_labels(rules.BUCKETS)
    whens = [When(days_past_due__lte=rules.BUCKETS[0], then=Value(labels[0]))]
    for i, high in enumerate(rules.BUCKETS[1:], start=1):
        whens.append(When(days_past_due__lte=high, then=Value(labels[i])))
    return qs.annotate(bucket=Case(*whens, default=Value(labels[-1]), output_field=CharField()))


def _days_between(as_of: dt.date, date_expr):
    """as_of − date in whole days, portable across SQLite and PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":  # date − date is a whole number of days
        return DateMinus(Cast(Value(as_of), DateField()), date_expr)
    return Cast(
        ExpressionWrapper(
            JulianDay(Value(as_of.isoformat())) - JulianDay(date_expr),
            output_field=IntegerField(),
        ),
        IntegerField(),
    )


class DateMinus(Func):
    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()


class JulianDay(Func):
    function = "julianday"
    output_field = IntegerField()


# ---------------------------------------------------------------------------------------- the list
@dataclass
class AccountFilters:
    status: str = ""
    overdue: bool = False
    salesperson: int | None = None
    region: int | None = None


def parse_filters(params) -> tuple[AccountFilters, dict[str, str]]:
    """The list's filters from a query string; errors name the filter."""
    f, errors = AccountFilters(), {}
    status = (params.get("status") or "").strip()
    if status and status not in ReceivableAccount.Status.values:
        errors["status"] = str(_("Unknown status."))
    f.status = status
    f.overdue = (params.get("overdue") or "") in ("1", "true", "on", "yes")
    for name in ("salesperson", "region"):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                setattr(f, name, int(raw))
            except ValueError:
                errors[name] = str(_("Choose from the list."))
    return f, errors


def accounts(user, filters: AccountFilters | None = None, *, as_of: dt.date | None = None):
    """The accounts the user may see, filtered, with their ageing as of ``as_of`` (today)."""
    f = filters or AccountFilters()
    day = as_of or timezone.localdate()
    qs = visible(user, ReceivableAccount).select_related("customer", "salesperson", "region")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.salesperson:
        qs = qs.filter(salesperson_id=f.salesperson)
    if f.region:
        qs = qs.filter(region_id=f.region)
    if f.overdue:
        qs = qs.filter(
            Q(status=ReceivableAccount.Status.OPEN)
            & Q(pk__in=Instalment.objects.filter(due_on__lt=day, paid_fen__lt=F("amount_fen")).values("account_id"))
        )
    return with_ageing(qs, day).order_by("-days_past_due", "-start_on", "-id")


def account_detail(user, pk, action: Action = Action.VIEW) -> ReceivableAccount:
    return get_or_404(
        user,
        ReceivableAccount,
        pk,
        action,
        queryset=ReceivableAccount.objects.select_related("customer", "salesperson", "region", "contract"),
    )


def account_rows(account: ReceivableAccount, *, as_of: dt.date | None = None) -> dict:
    """The account's instalments (with status) and its payments and reversals, in 3 queries."""
    day = as_of or timezone.localdate()
    instalments = list(Instalment.objects.filter(account=account).order_by("n"))
    for i in instalments:
        i.outstanding = i.amount_fen - i.paid_fen
        if i.outstanding == 0:
            i.state = "paid"
        elif i.due_on < day:
            i.state = "overdue"
        elif i.paid_fen:
            i.state = "partial"
        else:
            i.state = "due"
    payments = list(
        Payment.objects.filter(account=account).select_related("by", "reverses").order_by("-received_on", "-id")
    )
    reversed_ids = {p.reverses_id for p in payments if p.reverses_id}
    for p in payments:
        p.is_reversed = p.pk in reversed_ids
    allocated = {}
    for row in (
        Allocation.objects.filter(payment__account=account)
        .values("payment_id")
        .annotate(s=Sum("amount_fen"))
        .order_by()
    ):
        allocated[row["payment_id"]] = row["s"]
    for p in payments:
        p.allocated_fen = allocated.get(p.pk, 0)
    amount = sum(i.amount_fen for i in instalments)
    paid = sum(i.paid_fen for i in instalments)
    overdue = sum(i.outstanding for i in instalments if i.due_on < day)
    dpd = rules.days_past_due([(i.due_on, i.outstanding) for i in instalments], day)
    return {
        "instalments": instalments,
        "payments": payments,
        "amount_fen": amount,
        "paid_fen": paid,
        "outstanding_fen": amount - paid,
        "overdue_fen": overdue,
        "days_past_due": dpd,
        "bucket": rules.bucket_of(dpd),
    }


# ------------------------------------------------------------------------------------------ ageing
def ageing(user, *, as_of: dt.date, group_by: str = "region") -> dict:
    """Ageing (账龄分析) of the accounts with something outstanding the user may see, as of ``as_of``, grouped by
    customer, salesperson, region or policy: per group and bucket the number of accounts and their
    outstanding amount (an account is in the bucket of its oldest unpaid instalment), plus totals."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    key, label = GROUPS[group_by]
    qs = with_ageing(
        visible(user, ReceivableAccount)
        .exclude(status=ReceivableAccount.Status.WRITTEN_OFF)
        .filter(start_on__lte=as_of),
        as_of,
    ).filter(outstanding__gt=0)
    rows = (
        qs.order_by()
        .values(key, label, "bucket")
        .annotate(n=Count("pk"), fen=Sum("outstanding"), overdue_fen=Sum("overdue"))
        .order_by(label, key)
    )
    labels = rules.bucket_labels(rules.BUCKETS)
    groups: dict = {}
    totals = {b: {"n": 0, "fen": 0} for b in labels}
    total = {"n": 0, "fen": 0, "overdue_fen": 0}
    for r in rows:
        g = groups.setdefault(
            r[key],
            {
                "key": r[key],
                "name": r[label] or "—",
                "buckets": {b: {"n": 0, "fen": 0} for b in labels},
                "n": 0,
                "fen": 0,
                "overdue_fen": 0,
            },
        )
        cell = g["buckets"][r["bucket"]]
        cell["n"] += r["n"]
        cell["fen"] += r["fen"] or 0
        g["n"] += r["n"]
        g["fen"] += r["fen"] or 0
        g["overdue_fen"] += r["overdue_fen"] or 0
        totals[r["bucket"]]["n"] += r["n"]
        totals[r["bucket"]]["fen"] += r["fen"] or 0
        total["n"] += r["n"]
        total["fen"] += r["fen"] or 0
        total["overdue_fen"] += r["overdue_fen"] or 0
    return {
        "as_of": as_of,
        "group_by": group_by,
        "labels": labels,
        "groups": sorted(groups.values(), key=lambda g: (-g["overdue_fen"], str(g["name"]))),
        "totals": totals,
        "total": total,
    }
