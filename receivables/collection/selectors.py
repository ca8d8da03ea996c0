"""Every read of collection (回款), from ``core.visibility``: who may record collection work, the
account's section (plan table, 5W2H rounds, actions, promises), the collector's worklist, expected
against collected by week or month, and the technique-effectiveness report — all aggregated in SQL.

The worklist is one SQL query over the open accounts the user may see (plus the paginator's count):
per account the first unpaid due date (``MIN(due_on)`` of the instalments with ``paid_fen <
amount_fen``), the outstanding and the overdue (``SUM`` of the unpaid, all / due before today), the
next due date (``MIN`` from today) — correlated subqueries on ``instalment_due_idx`` (account,
due_on) — the earliest open promise (``promise_account_idx``) and the last action
(``collection_action_account_idx``) as ``LIMIT 1`` subqueries. Kept are the accounts whose first
unpaid due date is at most today + 7; days past due = max(0, today − that date), the same figure as
the ageing's; ordered by that date (most days past due first, then the soonest due).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.visibility import Action, may, visible
from orders.documents import yuan_input

from .. import selectors as ledger
from ..models import Allocation, Instalment, Payment, PaymentPromise, ReceivableAccount, RiskLevel
from . import rules
from .models import CollectionAction, CollectionPlan, CollectionPlanStep, CollectionTechnique

SOON_DAYS = 7


def may_collect(user, account: ReceivableAccount) -> bool:
    """Record collection work (actions, promises, plan) on ``account``: whoever may see the account
    and holds a role that records collection actions (salesperson of the customer, the region's
    managers, finance of the region, administrators — see the CollectionAction policy)."""
    return (
        may(user, CollectionAction, Action.CHANGE)
        and visible(user, ReceivableAccount, Action.VIEW).filter(pk=account.pk).exists()
    )


# ------------------------------------------------------------------------------- the plan table
QUESTION_LABELS = {
    "sold": _("What was sold (交易项目): name, spec, quantity, amount, date"),
    "acceptor": _("Who accepts it (验收人)"),
    "standard": _("The acceptance standard (验收标准)"),
    "payment": _("Payment method and dates (付款方式及日期)"),
    "acceptance_method": _("The acceptance method (验收方式)"),
    "payer": _("Who is responsible for paying (付款责任人)"),
}
PART_LABELS = {
    "item_name": _("name"),
    "item_spec": _("specification"),
    "quantity": _("quantity"),
    "amount_fen": _("amount"),
    "sold_on": _("date"),
    "acceptor": _("who accepts"),
    "acceptance_standard": _("acceptance standard"),
    "payment_method": _("payment method"),
    "payment_dates": _("payment dates (the instalments)"),
    "acceptance_method": _("acceptance method"),
    "payer": _("who pays"),
}
PLAN_FIELDS = (
    "item_name",
    "item_spec",
    "quantity",
    "amount_fen",
    "sold_on",
    "acceptor",
    "acceptance_standard",
    "payment_method",
    "acceptance_method",
    "payer",
)


def plan_answers(account: ReceivableAccount, plan: CollectionPlan | None, instalments: list) -> dict:
    """The answers: the saved plan, else what the ledger already knows (machine, principal, start
    date, one unit); the payment dates are always the instalments' due dates."""
    if plan is not None:
        answers = {name: getattr(plan, name) for name in PLAN_FIELDS}
    else:
        answers = dict.fromkeys(PLAN_FIELDS, "")
        answers |= {
            "item_name": account.product,
            "quantity": 1,
            "amount_fen": account.principal_fen,
            "sold_on": account.start_on,
            "payment_method": account.policy_name,
            "payer": account.customer.name if account.customer_id else "",
        }
    answers["payment_dates"] = [i.due_on for i in instalments]
    return answers


def plan_view(account: ReceivableAccount, plan: CollectionPlan | None, instalments: list) -> dict:
    answers = plan_answers(account, plan, instalments)
    done = rules.plan_completeness(answers)
    dates = answers["payment_dates"]
    return {
        "plan": plan,
        "answers": answers,
        "completeness": done,
        "questions": [
            {
                "code": code,
                "label": QUESTION_LABELS[code],
                "answered": code in done.answered,
                "missing": [PART_LABELS[p] for p in dict(done.missing).get(code, ())],
            }
            for code, _parts in rules.QUESTIONS
        ],
        "missing_names": [QUESTION_LABELS[code] for code, _parts in done.missing],
        "amount_input": yuan_input(answers["amount_fen"] or None),
        "payment_dates": {"n": len(dates), "first": dates[0] if dates else None, "last": dates[-1] if dates else None},
    }


def account_section(user, account: ReceivableAccount) -> dict:
    """The collection section of the account page, in a fixed number of queries (7)."""
    instalments = list(Instalment.objects.filter(account=account).order_by("due_on", "n").only("due_on", "n"))
    plan = CollectionPlan.objects.filter(account=account).first()
    steps = list(CollectionPlanStep.objects.filter(account=account).order_by("n"))
    actions = list(
        CollectionAction.objects.filter(account=account)
        .select_related("by", "promise")
        .prefetch_related("techniques")
        .order_by("-at", "-id")[:50]
    )
    promises = list(PaymentPromise.objects.filter(account=account).order_by("-promised_at", "-id"))
    return {
        **plan_view(account, plan, instalments),
        "steps": steps,
        "actions": actions,
        "promises": promises,
        "open_promises": [p for p in promises if p.status == PaymentPromise.Status.OPEN],
        "may_collect": may_collect(user, account),
    }


def techniques_of(company_id, *, active_only: bool = True):
    qs = CollectionTechnique.objects.filter(company_id=company_id)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("kind", "order", "id")


# ----------------------------------------------------------------------------------- worklist
@dataclass
class WorklistFilters:
    salesperson: int | None = None
    region: int | None = None
    level: str = ""


def parse_worklist(params) -> tuple[WorklistFilters, dict[str, str]]:
    f, errors = WorklistFilters(), {}
    for name in ("salesperson", "region"):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                setattr(f, name, int(raw))
            except ValueError:
                errors[name] = str(_("Choose from the list."))
    level = (params.get("level") or "").strip()
    if level and level not in RiskLevel.values:
        errors["level"] = str(_("Unknown risk level."))
    else:
        f.level = level
    return f, errors


def _unpaid():
    return Instalment.objects.filter(account=OuterRef("pk"), paid_fen__lt=F("amount_fen")).order_by()


def _min_due(rows):
    return Subquery(
        rows.annotate(m=Func(F("due_on"), function="MIN", output_field=DateField())).values("m"),
        output_field=DateField(),
    )


def worklist(user, filters: WorklistFilters | None = None, *, today: dt.date | None = None):
    """The collector's worklist: open accounts the user may see whose first unpaid instalment is
    overdue or due within 7 days, most days past due first, then by that due date (both are the
    order of the first unpaid due date). One SQL query of correlated subqueries (module docstring)."""
    f = filters or WorklistFilters()
    day = today or timezone.localdate()
    qs = visible(user, ReceivableAccount).filter(status=ReceivableAccount.Status.OPEN)
    if f.salesperson:
        qs = qs.filter(salesperson_id=f.salesperson)
    if f.region:
        qs = qs.filter(region_id=f.region)
    if f.level:
        qs = qs.filter(risk_level=f.level)
    unpaid_sum = _unpaid().annotate(
        s=Func(F("amount_fen") - F("paid_fen"), function="SUM", output_field=BigIntegerField())
    )
    promise = PaymentPromise.objects.filter(account=OuterRef("pk"), status=PaymentPromise.Status.OPEN).order_by(
        "promised_at", "pk"
    )
    last = CollectionAction.objects.filter(account=OuterRef("pk")).order_by("-at", "-id")
    qs = qs.annotate(first_unpaid=_min_due(_unpaid())).filter(first_unpaid__lte=day + dt.timedelta(days=SOON_DAYS))
    return (
        qs.annotate(
            days_past_due=Greatest(ledger._days_between(day, F("first_unpaid")), Value(0)),
            outstanding=Subquery(unpaid_sum.values("s"), output_field=BigIntegerField()),
            overdue=Coalesce(
                Subquery(unpaid_sum.filter(due_on__lt=day).values("s"), output_field=BigIntegerField()),
                Value(0),
                output_field=BigIntegerField(),
            ),
            next_due=_min_due(_unpaid().filter(due_on__gte=day)),
            promise_at=Subquery(promise.values("promised_at")[:1]),
            promise_fen=Subquery(promise.values("amount_fen")[:1], output_field=BigIntegerField()),
            last_action_at=Subquery(last.values("at")[:1]),
            last_outcome=Subquery(last.values("outcome")[:1]),
        )
        .select_related("customer", "salesperson", "region")
        .order_by("first_unpaid", "customer__name", "pk")
    )


OUTCOME_LABELS = dict(CollectionAction.Outcome.choices)


# ------------------------------------------------------------------------ expected vs collected
@dataclass
class PeriodFilters:
    period: str = "month"
    start: dt.date | None = None
    end: dt.date | None = None
    salesperson: int | None = None
    region: int | None = None


def default_range(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """12 weeks back and 4 ahead (weeks from Monday), or 12 months back and 3 ahead."""
    if period == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(weeks=12), monday + dt.timedelta(weeks=5) - dt.timedelta(days=1)
    from policies.finance import add_months

    first = today.replace(day=1)
    return add_months(first, -12), add_months(first, 4) - dt.timedelta(days=1)


def parse_period(params, today: dt.date | None = None) -> tuple[PeriodFilters, dict[str, str]]:
    from django.utils.dateparse import parse_date

    f, errors = PeriodFilters(), {}
    period = (params.get("period") or "month").strip()
    if period not in ("week", "month"):
        errors["period"] = str(_("By week or by month."))
        period = "month"
    f.period = period
    for name, attr in (("from", "start"), ("to", "end")):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                value = parse_date(raw)
            except ValueError:
                value = None
            if value is None:
                errors[name] = str(_("Enter a date as YYYY-MM-DD."))
            setattr(f, attr, value)
    for name in ("salesperson", "region"):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                setattr(f, name, int(raw))
            except ValueError:
                errors[name] = str(_("Choose from the list."))
    start, end = default_range(f.period, today or timezone.localdate())
    f.start, f.end = f.start or start, f.end or end
    if f.start > f.end:
        errors["to"] = str(_("The end is before the start."))
        f.end = f.start
    elif (f.end - f.start).days > 3 * 366:
        errors["to"] = str(_("At most three years at once."))
        f.end = f.start + dt.timedelta(days=3 * 366)
    return f, errors


def _period_start(day: dt.date, period: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def expected_vs_collected(user, f: PeriodFilters, *, today: dt.date | None = None) -> dict:
    """Per week (from Monday) or month: expected = the amounts of the instalments due in the period;
    collected = what the payments received in the period paid to instalments (a reversed payment
    and its reversal never count: the money was not received). Two grouped SQL queries. The rate
    is given for the periods begun (a future period has nothing collected yet)."""
    trunc = TruncWeek if f.period == "week" else TruncMonth
    inst = visible(user, Instalment).filter(due_on__gte=f.start, due_on__lte=f.end)
    alloc = visible(user, Allocation).filter(
        payment__kind=Payment.Kind.PAYMENT,
        payment__reversal__isnull=True,
        payment__received_on__gte=f.start,
        payment__received_on__lte=f.end,
    )
    if f.salesperson:
        inst = inst.filter(account__salesperson_id=f.salesperson)
        alloc = alloc.filter(instalment__account__salesperson_id=f.salesperson)
    if f.region:
        inst = inst.filter(account__region_id=f.region)
        alloc = alloc.filter(instalment__account__region_id=f.region)
    expected = {
        _as_date(r["p"]): r["fen"] or 0
        for r in inst.annotate(p=trunc("due_on")).values("p").annotate(fen=Sum("amount_fen")).order_by()
    }
    collected = {
        _as_date(r["p"]): r["fen"] or 0
        for r in alloc.annotate(p=trunc("payment__received_on")).values("p").annotate(fen=Sum("amount_fen")).order_by()
    }
    rows = []
    day = _period_start(f.start, f.period)
    this = _period_start(today or timezone.localdate(), f.period)
    while day <= f.end:
        e, c = expected.get(day, 0), collected.get(day, 0)
        future = day > this  # not begun: nothing could be collected yet, no rate
        rows.append(
            {
                "start": day,
                "expected_fen": e,
                "collected_fen": c,
                "rate": None if future else rules.share(c, e),
                "future": future,
            }
        )
        day = day + dt.timedelta(weeks=1) if f.period == "week" else _next_month(day)
    total_e, total_c = sum(r["expected_fen"] for r in rows), sum(r["collected_fen"] for r in rows)
    begun = sum(r["expected_fen"] for r in rows if not r["future"])
    return {
        "rows": rows,
        "expected_fen": total_e,
        "collected_fen": total_c,
        "expected_to_date_fen": begun,
        "rate": rules.share(total_c, begun),  # over the periods begun
        "filters": f,
    }


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# ----------------------------------------------------------------------- technique effectiveness
class DaysBetween(Func):
    """``later - earlier`` in whole days (two date expressions), on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def as_sql(self, compiler, conn, **extra):
        later, earlier = self.source_expressions
        a, pa = compiler.compile(later)
        b, pb = compiler.compile(earlier)
        if conn.vendor == "postgresql":
            return f"({a} - {b})", (*pa, *pb)
        return f"CAST(julianday({a}) - julianday({b}) AS INTEGER)", (*pa, *pb)


def technique_effectiveness(user, *, days: int = 7, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """For each technique: the actions (that the user may see) using it, and how many of them were
    followed by a payment on the same account within ``days`` days (received from the action's day
    to ``days`` days after; a reversed payment does not count) — an EXISTS subquery, grouped in SQL."""
    through = CollectionAction.techniques.through
    paid = (
        Payment.objects.filter(
            account_id=OuterRef("collectionaction__account_id"),
            kind=Payment.Kind.PAYMENT,
            reversal__isnull=True,
            received_on__gte=OuterRef("collectionaction__on"),
        )
        .annotate(gap=DaysBetween(F("received_on"), OuterRef("collectionaction__on")))
        .filter(gap__lte=days)
    )
    rows = through.objects.filter(
        collectionaction__in=visible(user, CollectionAction).values("pk"),
    )
    if start:
        rows = rows.filter(collectionaction__on__gte=start)
    if end:
        rows = rows.filter(collectionaction__on__lte=end)
    counts = {
        r["collectiontechnique_id"]: r
        for r in rows.annotate(followed=Exists(paid))
        .values("collectiontechnique_id")
        .annotate(n=Count("pk"), k=Count("pk", filter=Q(followed=True)))
        .order_by()
    }
    out = []
    for t in techniques_of(user.company_id, active_only=False):
        r = counts.get(t.pk, {"n": 0, "k": 0})
        out.append({"technique": t, "actions": r["n"], "followed": r["k"], "share": rules.share(r["k"], r["n"])})
    out.sort(key=lambda x: (-(x["share"] if x["share"] is not None else -1), -x["actions"], x["technique"].order))
    return {"days": days, "rows": out, "actions": sum(r["actions"] for r in out)}
