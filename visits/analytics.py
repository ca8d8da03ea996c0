"""Visit analytics (拜访分析, issue 4 item 8): close rate by number of visits, cadence compliance,
the day's check-ins on a map. Every figure is computed in SQL over the rows the user may see
(``core.visibility``); the filters offer only the regions and salespeople the user may see.

- Close rate by visits before the deal: each closed opportunity is a done visit with result won or
  lost (set by the visit note). Its visits are the customer's done visits after the customer's
  previous closed visit, up to and including this one — counted by a correlated subquery, not in
  Python. Buckets and rate come from ``visits.rules`` (1–2, 3–5, 6+).
- Cadence compliance today: per salesperson and grade, the share of their customers followed up
  within the grade's cadence (``Customer.last_followup_at``, the same rule as the daily report).
- Cadence compliance over a period: of the repeat visits made in the period, the share made no
  later than the cadence of the customer's grade after the previous visit (days between the two
  local dates ≤ cadence). The grade is the customer's grade now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db import NotSupportedError
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Region, Role, User
from core.visibility import visible
from customers.models import Customer

from . import rules
from .method import settings_for
from .models import Visit
from .reports import day_bounds, is_manager, pct, team_of

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
MAP_CAP = 2000
CHECKIN_WINDOW_DAYS = 30  # a check-in on a visit planned more than this many days earlier is not mapped
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
BUCKETS = tuple(rules.visit_bucket(lo) for lo, _hi in rules.VISIT_BUCKETS)  # "1–2", "3–5", "6+"
ALL_GRADES: tuple[int | None, ...] = (*rules.GRADES, None)


def cadence_of(user: User) -> dict[int | None, int]:
    """The dealer's cadence per grade (VisitSettings), read once per page."""
    return settings_for(user.company_id).cadence()


def may_see_analytics(user: User) -> bool:
    return user.has_role(Role.SALESPERSON, Role.MANAGER, Role.ADMIN)


def region_choices(user: User) -> QuerySet[Region]:
    """Administrators: every region of the company; others: the regions they cover."""
    qs = visible(user, Region)
    if not user.has_role(Role.ADMIN):
        qs = qs.filter(pk__in=list(user.region_ids))
    return qs.order_by("name")


def salesperson_choices(user: User) -> QuerySet[User]:
    """A manager's team, an administrator's salespeople, a salesperson only themselves."""
    if is_manager(user):
        return team_of(user)
    return User.objects.filter(pk=user.pk)


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


DATE_INPUT = {"type": "date"}


class AnalyticsFilters(forms.Form):
    """The filters of the analytics page and API: period, region, salesperson (only visible ones)."""

    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(DATE_INPUT, "%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(DATE_INPUT, "%Y-%m-%d"))
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none(), required=False)
    salesperson = PersonChoice(label=gettext_lazy("Salesperson"), queryset=User.objects.none(), required=False)

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["region"].queryset = region_choices(user)
        self.fields["salesperson"].queryset = salesperson_choices(user)
        self.fields["region"].empty_label = _("All my regions") if not user.has_role(Role.ADMIN) else _("All regions")
        self.fields["salesperson"].empty_label = _("Everybody")

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        end = cleaned.get("end") or today
        start = cleaned.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if "start" not in self.errors and "end" not in self.errors:
            if start > end:
                self.add_error("start", _("The start is after the end."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("start", _("At most three years at a time."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def scope(self) -> Scope:
        c = self.cleaned_data
        return Scope(
            start=c["start"],
            end=c["end"],
            region=c["region"].pk if c.get("region") else None,
            salesperson=c["salesperson"].pk if c.get("salesperson") else None,
        )


@dataclass(frozen=True)
class Scope:
    start: dt.date
    end: dt.date
    region: int | None = None
    salesperson: int | None = None

    @classmethod
    def default(cls) -> Scope:
        end = timezone.localdate()
        return cls(start=end - dt.timedelta(days=DEFAULT_DAYS - 1), end=end)

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        return day_bounds(self.start)[0], day_bounds(self.end)[1]


def _visits(user: User, scope: Scope) -> QuerySet[Visit]:
    start, end = scope.period()
    qs = visible(user, Visit).filter(status=Visit.Status.DONE, done_at__gte=start, done_at__lt=end)
    if scope.region:
        qs = qs.filter(customer__region_id=scope.region)
    if scope.salesperson:
        qs = qs.filter(salesperson_id=scope.salesperson)
    return qs


# --- close rate by number of visits ---------------------------------------------------------------------

CLOSED = (Visit.Result.WON, Visit.Result.LOST)


def closed_with_visit_counts(user: User, scope: Scope) -> QuerySet[Visit]:
    """The closed opportunities in scope, each annotated with ``n``: the customer's done visits
    since the previous closed one, up to and including this one."""
    previous = (
        Visit.objects.filter(
            customer=OuterRef("customer"), status=Visit.Status.DONE, result__in=CLOSED, done_at__lt=OuterRef("done_at")
        )
        .order_by("-done_at")
        .values("done_at")[:1]
    )
    count = (
        Visit.objects.filter(
            customer=OuterRef("customer"),
            status=Visit.Status.DONE,
            done_at__lte=OuterRef("done_at"),
            done_at__gt=OuterRef("since"),
        )
        .order_by()
        .values("customer")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        _visits(user, scope)
        .filter(result__in=CLOSED)
        .annotate(since=Coalesce(Subquery(previous), Value(EPOCH)))
        .annotate(n=Subquery(count))
    )


def close_rate(user: User, scope: Scope) -> dict:
    """Won and lost per bucket of visits before the deal (1–2, 3–5, 6+), with the close rate. One query:
    the grouping by (visits, result) is done in SQL; only those few groups are bucketed here."""
    groups = closed_with_visit_counts(user, scope).order_by().values("n", "result").annotate(c=Count("id"))
    won = dict.fromkeys(BUCKETS, 0)
    lost = dict.fromkeys(BUCKETS, 0)
    for g in groups:
        bucket = rules.visit_bucket(g["n"] or 0)
        if bucket not in won:  # cannot happen: the closed visit itself counts
            continue
        (won if g["result"] == Visit.Result.WON else lost)[bucket] += g["c"]
    rows = []
    for b in BUCKETS:
        rate = rules.close_rate(won[b], lost[b])
        rows.append(
            {
                "bucket": b,
                "won": won[b],
                "lost": lost[b],
                "closed": won[b] + lost[b],
                "rate": rate,
                "pct": None if rate is None else round(rate * 100),
            }
        )
    w, lo = sum(won.values()), sum(lost.values())
    rate = rules.close_rate(w, lo)
    total = {"won": w, "lost": lo, "closed": w + lo, "rate": rate, "pct": None if rate is None else round(rate * 100)}
    return {"buckets": rows, "total": total}


# --- cadence compliance ----------------------------------------------------------------------------------


def _gkey(g: int | None) -> str:
    return "none" if g is None else str(g)


def compliance_today(user: User, scope: Scope, *, today: dt.date | None = None, cadence=None) -> list[dict]:
    """Per salesperson: for each grade, customers followed up within the cadence / customers. One query
    (+ the settings unless given, and the names)."""
    today = today or timezone.localdate()
    cadence = cadence or cadence_of(user)
    qs = visible(user, Customer).filter(in_pool=False, owner__isnull=False, merged_into__isnull=True)
    if scope.region:
        qs = qs.filter(region_id=scope.region)
    if scope.salesperson:
        qs = qs.filter(owner_id=scope.salesperson)
    counts = {}
    for g in ALL_GRADES:
        k = _gkey(g)
        grade_q = Q(grade__isnull=True) if g is None else Q(grade=g)
        cut = day_bounds(rules.cutoff_for(g, today, cadence))[0]
        counts[f"n_{k}"] = Count("id", filter=grade_q)
        counts[f"c_{k}"] = Count("id", filter=grade_q & Q(last_followup_at__gte=cut))
    data = list(qs.order_by().values("owner_id").annotate(**counts))
    names = {u.pk: u for u in User.objects.filter(pk__in=[r["owner_id"] for r in data])}
    rows = []
    for r in data:
        grades = []
        for g in ALL_GRADES:
            k = _gkey(g)
            grades.append(
                {
                    "grade": k,
                    "cadence": rules.cadence_days(g, cadence),
                    "covered": r[f"c_{k}"],
                    "customers": r[f"n_{k}"],
                    "pct": pct(r[f"c_{k}"], r[f"n_{k}"]),
                }
            )
        covered, customers = sum(x["covered"] for x in grades), sum(x["customers"] for x in grades)
        push_c = sum(x["covered"] for x in grades[:3])
        push_n = sum(x["customers"] for x in grades[:3])
        rows.append(
            {
                "user": names.get(r["owner_id"]),
                "user_id": r["owner_id"],
                "grades": grades,
                "covered": covered,
                "customers": customers,
                "pct": pct(covered, customers),
                "push_pct": pct(push_c, push_n),
            }
        )
    rows.sort(key=lambda x: (str(x["user"] or ""), x["user_id"]))
    return rows


class LocalDay(Func):
    """The local calendar day of a datetime as a whole number (days since 2000-01-01), with the
    database's own date functions (per row, Django's SQLite date functions are Python callbacks).
    SQLite stores UTC text: the offset of the current time zone now is added (exact for zones
    without daylight saving time, such as Asia/Shanghai); PostgreSQL converts with the zone's name."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        offset = timezone.localtime().utcoffset() or dt.timedelta(0)
        modifier = f"{int(offset.total_seconds() // 60):+d} minutes"
        return f"CAST(julianday(date({sql}, %s)) - 2451544.5 AS INTEGER)", [*params, modifier]

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((({sql}) AT TIME ZONE %s)::date - DATE '2000-01-01')", [*params, timezone.get_current_timezone_name()]

    def as_sql(self, compiler, connection, **extra_context):  # pragma: no cover - SQLite and PostgreSQL only
        raise NotSupportedError("LocalDay is implemented for SQLite and PostgreSQL.")


def compliance_period(user: User, scope: Scope, *, cadence=None) -> list[dict]:
    """Per salesperson: repeat visits made in the period and how many came within the cadence of the
    customer's grade after the previous visit (days between the two local dates ≤ cadence). One query
    (+ the settings unless given, and the names)."""
    cadence = cadence or cadence_of(user)
    previous = (
        Visit.objects.filter(customer=OuterRef("customer"), status=Visit.Status.DONE, done_at__lt=OuterRef("done_at"))
        .order_by("-done_at")
        .annotate(d=LocalDay("done_at"))
        .values("d")[:1]
    )
    allowed = Case(
        *[When(customer__grade=g, then=Value(rules.cadence_days(g, cadence))) for g in rules.GRADES],
        default=Value(rules.cadence_days(None, cadence)),
        output_field=IntegerField(),
    )
    # days late (≤ 0: on time; NULL: a first visit), grouped with the salesperson so that the previous
    # visit is looked up once per visit; only these few groups come back to Python
    late_by = ExpressionWrapper(LocalDay("done_at") - Subquery(previous) - allowed, output_field=IntegerField())
    groups = (
        _visits(user, scope)
        .order_by()
        .annotate(late_by=late_by)
        .values("salesperson_id", "late_by")
        .annotate(n=Count("id"))
    )
    per_person: dict[int, dict] = {}
    for g in groups:
        row = per_person.setdefault(g["salesperson_id"], {"salesperson_id": g["salesperson_id"], "due": 0, "kept": 0})
        if g["late_by"] is not None:
            row["due"] += g["n"]
            row["kept"] += g["n"] if g["late_by"] <= 0 else 0
    data = [r for r in per_person.values() if r["due"]]
    names = {u.pk: u for u in User.objects.filter(pk__in=[r["salesperson_id"] for r in data])}
    rows = []
    for r in data:
        rate = rules.compliance(r["kept"], r["due"])
        rows.append(
            {
                "user": names.get(r["salesperson_id"]),
                "user_id": r["salesperson_id"],
                "due": r["due"],
                "kept": r["kept"],
                "late": r["due"] - r["kept"],
                "rate": rate,
                "pct": None if rate is None else round(rate * 100),
            }
        )
    rows.sort(key=lambda x: (str(x["user"] or ""), x["user_id"]))
    return rows


# --- the check-in map ------------------------------------------------------------------------------------


def _f(value) -> float | None:
    return None if value is None else float(value)


def distance_text(metres: int | None) -> str:
    if metres is None:
        return ""
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres} m"


def day_checkins(user: User, day: dt.date, *, salesperson: int | None = None) -> list[dict]:
    """The day's check-ins the user may see (a manager: their regions), oldest first, for the map and
    its table. A manual check-in has no position of its own: it is placed at the customer's stored
    location when there is one. One query."""
    start, end = day_bounds(day)
    people = [salesperson] if salesperson else team_of(user).values("pk")
    # the candidates through the index (salesperson, planned_on): a visit is checked in on its planned
    # day or soon after; the rows shown are then the visible ones among them
    candidates = Visit.objects.filter(
        salesperson__in=people,
        planned_on__gte=day - dt.timedelta(days=CHECKIN_WINDOW_DAYS),
        planned_on__lte=day,
        checkin_at__gte=start,
        checkin_at__lt=end,
    ).values("pk")
    qs = visible(user, Visit, queryset=Visit.objects.filter(pk__in=candidates))
    rows = (
        qs.select_related("customer", "salesperson")
        .only(
            "id",
            "checkin_at",
            "checkin_lat",
            "checkin_lng",
            "checkin_accuracy_m",
            "checkin_distance_m",
            "checkin_manual",
            "checkin_reason",
            "flagged",
            "flag_reason",
            "checkout_at",
            "customer__id",
            "customer__name",
            "customer__grade",
            "customer__latitude",
            "customer__longitude",
            "salesperson__id",
            "salesperson__username",
            "salesperson__display_name",
            "salesperson__first_name",
            "salesperson__last_name",
        )
        .order_by("checkin_at", "id")[:MAP_CAP]
    )
    out = []
    for v in rows:
        lat, lng, placed = _f(v.checkin_lat), _f(v.checkin_lng), "checkin"
        if lat is None or lng is None:
            lat, lng = _f(v.customer.latitude), _f(v.customer.longitude)
            placed = "customer" if lat is not None and lng is not None else ""
        out.append(
            {
                "id": v.pk,
                "time": timezone.localtime(v.checkin_at).strftime("%H:%M"),
                "at": v.checkin_at.isoformat(),
                "customer": v.customer.name,
                "customer_id": v.customer_id,
                "grade": v.customer.grade,
                "salesperson": str(v.salesperson),
                "salesperson_id": v.salesperson_id,
                "lat": lat,
                "lng": lng,
                "placed": placed,
                "customer_lat": _f(v.customer.latitude),
                "customer_lng": _f(v.customer.longitude),
                "distance_m": v.checkin_distance_m,
                "distance_text": distance_text(v.checkin_distance_m),
                "accuracy_m": v.checkin_accuracy_m,
                "manual": v.checkin_manual,
                "flagged": v.flagged,
                "reason": v.flag_reason or v.checkin_reason,
                "minutes": v.minutes_on_site,
            }
        )
    return out
