"""Reads of prevention and KPIs: credit checks (资信调查), the collection rate (回款率) per salesperson
and region, the four attitudes (回款的四种态度).

The collection rate of a period: what fell due in it (the amounts of the instalments whose due date
is in the period) against what was collected against those instalments by the period's end (their
allocations from payments received up to the end; a reversed payment was recorded in error and never
counted, so it and its reversal net out). The overdue amount at the period's end is what ageing
shows as overdue on that day (today for a period not over yet): instalments due before it, less what
had been paid on them by then, written-off accounts left out. Sales achieved: the amounts of the
contracts (orders.Contract) signed in the period, by the deal's salesperson.

Who sees what: administrators the whole company, managers and finance their regions (through
``visibility.visible``), a salesperson only their own figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Role
from core.visibility import Action, visible
from orders.models import Contract

from ..models import Allocation, Instalment, Payment, ReceivableAccount
from . import rules
from .models import CreditCheck

CHECKS_SHOWN = 20


# ------------------------------------------------------------------------------------- credit checks
def credit_checks(user, customer, *, limit: int = CHECKS_SHOWN) -> list[CreditCheck]:
    """The customer's credit checks the user may see, newest first (one query)."""
    qs = visible(user, CreditCheck).filter(customer=customer).select_related("by", "account")
    return list(qs.order_by("-checked_on", "-id")[:limit])


def credit_checks_of(user, *, customer_id: int | None = None, result: str = ""):
    """The credit checks the user may see (the API's list), newest first."""
    qs = visible(user, CreditCheck).select_related("customer", "by", "account")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if result:
        qs = qs.filter(result=result)
    return qs.order_by("-checked_on", "-id")


def may_record_check(user, customer) -> bool:
    """Show the credit-check form? Mirrors the CreditCheck policy in core/visibility.py (the service
    asks the policy itself): the owning salesperson, managers and finance of the customer's region,
    administrators."""
    if not getattr(user, "is_authenticated", False) or user.company_id != customer.company_id:
        return False
    if user.has_role(Role.ADMIN):
        return True
    if user.has_role(Role.SALESPERSON) and customer.owner_id == user.pk:
        return True
    return user.has_role(Role.MANAGER, Role.FINANCE) and customer.region_id in user.region_ids


def status_message(reason: str, last: CreditCheck | None, max_age_days: int = rules.MAX_AGE_DAYS) -> str:
    day = last.checked_on.isoformat() if last else ""
    if reason == rules.NO_CHECK:
        return _("No credit check (资信调查) recorded for this customer: check before a new sale.")
    if reason == rules.BAD_RESULT:
        return _("The last credit check (%(day)s) was bad: no new sale on credit without the manager.") % {"day": day}
    if reason == rules.STALE:
        return _("The last credit check (%(day)s) is older than %(days)s days: check again before a new sale.") % {
            "day": day,
            "days": max_age_days,
        }
    if reason == rules.CAUTION_RESULT:
        return _("The last credit check (%(day)s) asked for caution.") % {"day": day}
    return _("Credit checked on %(day)s: good.") % {"day": day}


def credit_check_status(customer, *, today: dt.date | None = None) -> tuple[bool, str]:
    """May a new sale (orders) go ahead for ``customer``? ``(ok, message)`` from the customer's last
    credit check: none, bad, or older than ``rules.MAX_AGE_DAYS`` days → not ok. One query. Not
    filtered by user: it warns whoever makes the sale about the customer's whole record."""
    last = (
        CreditCheck.objects.filter(company_id=customer.company_id, customer_id=customer.pk)
        .order_by("-checked_on", "-id")
        .first()
    )
    return status_from(last, today=today)


def status_from(last: CreditCheck | None, *, today: dt.date | None = None) -> tuple[bool, str]:
    day = today or timezone.localdate()
    ok, reason = rules.credit_status(last.checked_on if last else None, last.result if last else None, day)
    return ok, status_message(reason, last)


# ------------------------------------------------------------------------------------------ the KPIs
def sees_team(user) -> bool:
    """Managers, finance and administrators see the figures of everybody they may see; a
    salesperson only their own."""
    return user.has_role(Role.MANAGER, Role.FINANCE, Role.ADMIN)


def kpi_accounts(user):
    qs = visible(user, ReceivableAccount)
    return qs if sees_team(user) else qs.filter(salesperson_id=user.pk)


def kpi_contracts(user):
    qs = visible(user, Contract, Action.VIEW)
    return qs if sees_team(user) else qs.filter(order__deal__salesperson_id=user.pk)


@dataclass
class Row:
    key: int | None
    name: str
    due_fen: int = 0
    collected_fen: int = 0
    overdue_fen: int = 0
    first_late: int = 0
    sales_fen: int = 0
    contracts: int = 0
    quadrant: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return rules.collection_rate(self.due_fen, self.collected_fen)

    @property
    def rate_pct(self) -> float | None:
        r = self.rate
        return None if r is None else round(r * 100, 1)

    @property
    def quadrant_label(self) -> str:
        return str(QUADRANT_LABELS.get(self.quadrant, "")) if self.quadrant else ""


def _person(first: str | None, username: str | None) -> str:
    return first or username or "—"


def collection(user, *, start: dt.date, end: dt.date, today: dt.date | None = None) -> dict:
    """The collection rate (回款率), overdue amount and first late payments per salesperson and per
    region over [start, end], all in SQL (4 queries: instalments, allocations — only for a period
    already over —, first late payments, contracts — each grouped by salesperson and region)."""
    today = today or timezone.localdate()
    cut = min(end, today)  # overdue "at the period's end": as of that day, or today if not over yet
    accounts = kpi_accounts(user).values("pk")
    # due "so far": a period not over yet counts the instalments due up to today, not those still to
    # come (else the rate would read low early in every month)
    period = Q(due_on__gte=start, due_on__lte=cut)
    live = ~Q(account__status=ReceivableAccount.Status.WRITTEN_OFF)
    keys = ("account__salesperson_id", "account__salesperson__display_name", "account__salesperson__username")
    region_keys = ("account__region_id", "account__region__name")
    sums = {
        "due": Coalesce(Sum("amount_fen", filter=period), 0),
        "before_cut": Coalesce(Sum("amount_fen", filter=Q(due_on__lt=cut) & live), 0),
    }
    # a period not over yet: every payment so far counts, and an instalment's stored paid_fen is the
    # sum of its allocations (reversals included: a reversed payment nets to nothing) — no join needed
    stored = end >= today
    if stored:
        sums["collected"] = Coalesce(Sum("paid_fen", filter=period), 0)
        sums["paid_before_cut"] = Coalesce(Sum("paid_fen", filter=Q(due_on__lt=cut) & live), 0)
    due = (
        Instalment.objects.filter(account__in=accounts, due_on__lte=end)
        .order_by()
        .values(*keys, *region_keys)
        .annotate(**sums)
    )
    ikeys = tuple(f"instalment__{k}" for k in (*keys, *region_keys))
    collected = (
        Allocation.objects.filter(
            instalment__account__in=accounts,
            instalment__due_on__lte=end,
            payment__kind=Payment.Kind.PAYMENT,
            payment__reversal__isnull=True,
            payment__received_on__lte=end,
        )
        .order_by()
        .values(*ikeys)
        .annotate(
            collected=Coalesce(
                Sum("amount_fen", filter=Q(instalment__due_on__gte=start, instalment__due_on__lte=cut)), 0
            ),
            paid_before_cut=Coalesce(
                Sum(
                    "amount_fen",
                    filter=Q(instalment__due_on__lt=cut, payment__received_on__lte=cut)
                    & ~Q(instalment__account__status=ReceivableAccount.Status.WRITTEN_OFF),
                ),
                0,
            ),
        )
    )
    first_late = (
        kpi_accounts(user)
        .filter(first_late_on__gte=start, first_late_on__lte=end)
        .order_by()
        .values("salesperson_id", "salesperson__display_name", "salesperson__username", "region_id", "region__name")
        .annotate(n=Count("pk"))
    )
    sales = (
        kpi_contracts(user)
        .filter(signed_on__gte=start, signed_on__lte=end)
        .order_by()
        .values(
            "order__deal__salesperson_id",
            "order__deal__salesperson__display_name",
            "order__deal__salesperson__username",
        )
        .annotate(fen=Coalesce(Sum("amount_fen"), 0), n=Count("pk"))
    )
    people: dict = {}
    regions: dict = {}

    def person(pk, display, username) -> Row:
        return people.setdefault(pk, Row(pk, _person(display, username)))

    def region(pk, name) -> Row:
        return regions.setdefault(pk, Row(pk, name or "—"))

    for r in due:
        for row in (person(*(r[k] for k in keys)), region(*(r[k] for k in region_keys))):
            row.due_fen += r["due"]
            row.overdue_fen += r["before_cut"]
            if stored:
                row.collected_fen += r["collected"]
                row.overdue_fen -= r["paid_before_cut"]
    for r in [] if stored else collected:
        p = person(*(r[f"instalment__{k}"] for k in keys))
        g = region(*(r[f"instalment__{k}"] for k in region_keys))
        for row in (p, g):
            row.collected_fen += r["collected"]
            row.overdue_fen -= r["paid_before_cut"]
    for r in first_late:
        person(r["salesperson_id"], r["salesperson__display_name"], r["salesperson__username"]).first_late += r["n"]
        region(r["region_id"], r["region__name"]).first_late += r["n"]
    for r in sales:
        p = person(
            r["order__deal__salesperson_id"],
            r["order__deal__salesperson__display_name"],
            r["order__deal__salesperson__username"],
        )
        p.sales_fen += r["fen"]
        p.contracts += r["n"]
    total = Row(None, _("Total"))
    for row in regions.values():
        total.due_fen += row.due_fen
        total.collected_fen += row.collected_fen
        total.overdue_fen += row.overdue_fen
        total.first_late += row.first_late
    total.sales_fen = sum(p.sales_fen for p in people.values())
    total.contracts = sum(p.contracts for p in people.values())
    by_rate = lambda r: (r.rate is None, -(r.rate or 0), r.name)  # noqa: E731
    return {
        "start": start,
        "end": end,
        "cut": cut,
        "people": sorted(people.values(), key=by_rate),
        "regions": sorted(regions.values(), key=by_rate),
        "total": total,
    }


QUADRANT_LABELS = {
    rules.STRATEGY_LED: gettext_lazy("strategy-led (战略导向)"),
    rules.SALES_LED: gettext_lazy("sales-led (销售导向)"),
    rules.COLLECTION_LED: gettext_lazy("collection-led (回款导向)"),
    rules.PASSIVE: gettext_lazy("passive (被动型)"),
}


def attitudes(report: dict, *, target_sales_fen: int | None = None, target_rate: float | None = None) -> dict:
    """The four attitudes (回款的四种态度) of the report's salespeople: sales achieved (yuan) against
    collection rate, the lines at the team's medians unless targets are given. Sets each person's
    ``quadrant``; returns the chart's data."""
    people = [p for p in report["people"] if p.key is not None]
    quadrants, sales_line, rate_line = rules.classify(
        [(p.key, p.sales_fen, p.rate) for p in people],
        sales_line=target_sales_fen,
        rate_line=target_rate,
    )
    for p in people:
        p.quadrant = quadrants[p.key]
    return {
        "sales_line_fen": sales_line,
        "rate_line": rate_line,
        "by_median": {"sales": target_sales_fen is None, "rate": target_rate is None},
        "points": [
            {
                "name": p.name,
                "sales_yuan": round(p.sales_fen / 100, 2),
                "rate_pct": p.rate_pct,
                "quadrant": p.quadrant,
            }
            for p in people
            if p.quadrant
        ],
        "counts": {q: sum(1 for p in people if p.quadrant == q) for q in rules.QUADRANTS},
    }


def labels() -> dict[str, str]:
    return {k: str(v) for k, v in QUADRANT_LABELS.items()}
