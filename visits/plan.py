"""The visit plan (拜访计划), the appointment (预约) and preparation (拜访准备), SPEC §2.

Selectors (reads, always from ``core.visibility.visible``):

    day_plan(user, day, lat=…, lng=…, salesperson=…, page=…)  # planned visits, who is due, who is near
    week_plan(user, monday, salesperson=…)                     # the week's plan, due counts per day
    visit_page(user, pk)                                       # everything the visit page shows
    introducers_for(customer)                                  # known people who can introduce us
    objective_suggestions(needs, ready_threshold)              # objectives from the key needs

Services (writes; keyword-only, validated, one transaction):

    plan_add(actor=, customer=, day=)            visit_cancel(actor=, visit=)   (alias plan_remove)
    appointment_record(actor=, visit=, at=, channel=, outcome=, approach=, introducer_id=, note=)
    preparation_save(actor=, visit=, objectives=, actions=)
    checklist_tick(actor=, visit=, item_id=, checked=)

Who is due is decided in SQL with the same comparisons as ``rules.is_due`` (one query for the
page of suggestions and one for their count, whatever the number of customers): the cadence per
grade via ``rules.cutoff_for`` on ``Customer.last_followup_at`` (index ``customer_cadence_idx``),
the grade-9 purchase window via ``rules.window_due_until``. The order is the plan's order
(``rules.PlanLine.sort_key``): purchase window, then grade 9/6/3/1/0, then the longest overdue; the
rows of the page shown are then described (due day, days overdue, distance) by ``rules``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Role, User
from core.visibility import Action, can, visible
from customers import method as customer_method
from customers.models import Customer, CustomerNeed, Relation
from customers.rules import clean_text

from . import method, rules, services
from .models import ChecklistItem, Visit, VisitNote, VisitPhoto, VisitSettings

PAGE_SIZE = 20  # suggestions per page
PLANNED_LIMIT = 30  # visits of one day shown before "show all" (a day holds far fewer)
NEARBY_LIMIT = 20  # customers shown under "near me"
PLAN_AHEAD_DAYS = 90  # how far ahead a visit may be planned
APPOINTMENT_PAST_DAYS = 1  # an appointment may be recorded up to a day after its time
APPOINTMENT_AHEAD_DAYS = 365
MAX_OBJECTIVES = 12
OBJECTIVE_MAX = 200
ACTIONS_MAX = 2000
NOTE_MAX = 300
_GRADE_ORDER = (9, 6, 3, 1, 0, None)


# ------------------------------------------------------------------------------------------ helpers
def _start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the dealer's time zone (aware)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _grade_q(grade: int | None) -> Q:
    return Q(grade__isnull=True) if grade is None else Q(grade=grade)


def _decimal(value: float, rounding: str) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.000001"), rounding=rounding)


def salespeople_for(viewer: User) -> QuerySet[User]:
    """The salespeople whose plan ``viewer`` may look at: themselves; managers the salespeople of
    their regions; administrators all of the company's."""
    return (
        visible(viewer, User)
        .filter(user_roles__role=Role.SALESPERSON, is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )


def plan_owner(viewer: User, user_id) -> User | None:
    """The salesperson of ``?user=``: the viewer when absent; None when the viewer may not see them."""
    if user_id in (None, "", viewer.pk, str(viewer.pk)):
        return viewer
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    return salespeople_for(viewer).filter(pk=pk).first()


def _last_day(customer: Customer) -> dt.date | None:
    at = customer.last_followup_at
    return timezone.localtime(at).date() if at else None


def _line(customer: Customer, day: dt.date, st: VisitSettings, position=None) -> rules.PlanLine:
    """The plan's description of one customer on ``day`` (due, overdue, first visit, window, distance)."""
    last = _last_day(customer)
    due = rules.next_due(
        customer.grade,
        last,
        day,
        expected_purchase=customer.expected_purchase_on,
        cadence=st.cadence(),
        window=st.purchase_window_days,
    )
    distance = None
    if position is not None and customer.latitude is not None and customer.longitude is not None:
        distance = rules.distance_m(position[0], position[1], float(customer.latitude), float(customer.longitude))
    first = not getattr(customer, "has_visits", True)
    return rules.PlanLine(
        customer_id=customer.pk,
        grade=customer.grade,
        due=due,
        overdue_days=rules.overdue_days(due, day),
        first_visit=first,
        purchase_window=rules.in_purchase_window(
            customer.grade, customer.expected_purchase_on, day, st.purchase_window_days
        ),
        distance_m=distance,
    )


def _position(lat, lng) -> tuple[float, float] | None:
    if lat in (None, "") and lng in (None, ""):
        return None
    if not rules.valid_position(lat, lng):
        raise ValidationError({"lat": _("Not a position on the globe: latitude −90…90, longitude −180…180.")})
    return float(lat), float(lng)


# ------------------------------------------------------------------------------------------ who is due
def due_filter(day: dt.date, st: VisitSettings) -> Q:
    """``rules.is_due`` as a filter on customers (needs the ``last_day`` annotation of ``_due_base``)."""
    cadence = st.cadence()
    q = Q(last_followup_at__isnull=True)
    for grade in _GRADE_ORDER:
        q |= _grade_q(grade) & Q(last_followup_at__lt=_start(rules.cutoff_for(grade, day, cadence)))
    until = rules.window_due_until(day, st.purchase_window_days)
    if until is not None:
        q |= Q(
            grade=9,
            expected_purchase_on__lte=until,
            last_followup_at__lt=_start(day),
            last_day__lt=F("expected_purchase_on"),
        )
    return q


def _window_flag(day: dt.date, st: VisitSettings) -> Case:
    until = rules.window_due_until(day, st.purchase_window_days)
    if until is None:
        return Case(default=Value(1), output_field=IntegerField())
    return Case(
        When(grade=9, expected_purchase_on__gte=day, expected_purchase_on__lte=until, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def _plan_order(day: dt.date, st: VisitSettings) -> list:
    """SQL for ``rules.PlanLine.sort_key``: window first, grade 9/6/3/1/0, then the longest overdue
    (within a grade the oldest last visit; never visited counts as due today)."""
    cadence = st.cadence()
    rank = Case(
        *[When(grade=g, then=Value(i)) for i, g in enumerate(_GRADE_ORDER) if g is not None],
        default=Value(len(_GRADE_ORDER) - 1),
        output_field=IntegerField(),
    )
    never = Case(
        *[When(grade=g, then=Value(day - dt.timedelta(days=rules.cadence_days(g, cadence)))) for g in rules.GRADES],
        default=Value(day - dt.timedelta(days=rules.cadence_days(None, cadence))),
    )
    return [_window_flag(day, st), rank, Coalesce("last_day", never), "pk"]


def _customers_of(viewer: User, salesperson: User) -> QuerySet[Customer]:
    """The salesperson's customers as far as ``viewer`` may see them."""
    return visible(viewer, Customer).filter(owner=salesperson, merged_into__isnull=True)


def _with_first_visit(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    # done_at first: answered from the index visit_customer_idx (customer, -done_at) in one seek
    done = Visit.objects.filter(customer=OuterRef("pk"), done_at__isnull=False, status=Visit.Status.DONE)
    return qs.annotate(has_visits=Exists(done))


def _planned_visits(salesperson: User, lo: dt.date, hi: dt.date) -> QuerySet[Visit]:
    return Visit.objects.filter(salesperson=salesperson, planned_on__range=(lo, hi)).exclude(
        status=Visit.Status.CANCELLED
    )


def _not_planned(salesperson: User, lo: dt.date, hi: dt.date) -> Q:
    """Customers without a visit of the salesperson planned between ``lo`` and ``hi`` — one
    uncorrelated subquery (the database builds the set once, not once per customer)."""
    return ~Q(pk__in=_planned_visits(salesperson, lo, hi).values("customer_id"))


def due_customers(viewer: User, salesperson: User, day: dt.date, st: VisitSettings) -> QuerySet[Customer]:
    """The salesperson's customers due by cadence on ``day`` and not planned yet (between today
    and that day), in plan order. Filtering and ordering happen in SQL."""
    lo = min(timezone.localdate(), day)
    qs = (
        _customers_of(viewer, salesperson)
        .annotate(last_day=TruncDate("last_followup_at", tzinfo=timezone.get_current_timezone()))
        .filter(due_filter(day, st))
        .filter(_not_planned(salesperson, lo, day))
    )
    return _with_first_visit(qs).defer("id_number").order_by(*_plan_order(day, st))


# ------------------------------------------------------------------------------------------ day plan
@dataclass
class Row:
    """One customer in the plan: the planned visit (if any), the customer, the rule's description."""

    customer: Customer
    line: rules.PlanLine
    visit: Visit | None = None

    @property
    def distance_km(self) -> float | None:
        return None if self.line.distance_m is None else self.line.distance_m / 1000


@dataclass
class DayPlan:
    day: dt.date
    today: dt.date
    salesperson: User
    settings: VisitSettings
    planned: list[Row]
    due: Page | None  # None for a past day: the plan of a past day is what was planned
    nearby: list[Row] | None  # None without a position
    position: tuple[float, float] | None
    own: bool  # the viewer's own plan (they may plan and start visits from it)
    more_planned: bool = False  # more visits that day than shown (``planned_limit``)

    @property
    def cadence(self) -> dict:
        return self.settings.cadence()


def day_plan(
    user: User,
    day: dt.date,
    *,
    lat=None,
    lng=None,
    salesperson: User | None = None,
    page: int | str | None = 1,
    page_size: int = PAGE_SIZE,
    show_all: bool = False,
) -> DayPlan:
    """The salesperson's plan for ``day``: the visits planned that day, the customers due by cadence
    and not planned yet (with days overdue, first or repeat visit, the purchase window, the distance
    when a position is given), and — with a position — the customers within ``nearby_km``."""
    target = salesperson or user
    position = _position(lat, lng)
    st = method.settings_for(user.company_id)
    today = timezone.localdate()
    # still to do first, by appointment time; the visits made that day after them
    done_last = Case(When(status=Visit.Status.DONE, then=Value(1)), default=Value(0), output_field=IntegerField())
    visits = (
        visible(user, Visit)
        .filter(salesperson=target, planned_on=day)
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("customer")
        .defer("customer__id_number")
        .order_by(done_last, F("appointment_at").asc(nulls_last=True), "pk")
    )
    planned_limit = None if show_all else PLANNED_LIMIT
    visits = list(visits if planned_limit is None else visits[: planned_limit + 1])
    more_planned = planned_limit is not None and len(visits) > planned_limit
    planned = []
    for v in visits[:planned_limit]:
        v.customer.has_visits = v.kind == Visit.Kind.REPEAT
        planned.append(Row(v.customer, _line(v.customer, day, st, position), v))
    # without an appointment time: the plan's order (window, grade, overdue, nearest)
    planned.sort(
        key=lambda r: (
            r.visit.status == Visit.Status.DONE,
            r.visit.appointment_at is None,
            r.visit.appointment_at or timezone.now(),
            r.line.sort_key(),
        )
    )
    due = None
    if day >= today:
        due = Paginator(due_customers(user, target, day, st), page_size).get_page(page)
        rows = [Row(c, _line(c, day, st, position)) for c in due.object_list]
        # ties of the SQL order (same window, grade and days overdue) go nearest first, as the rule says
        rows.sort(key=lambda r: r.line.sort_key())
        due.object_list = rows
    nearby = _nearby(user, target, day, st, position) if position is not None else None
    return DayPlan(
        day, today, target, st, planned, due, nearby, position, own=target.pk == user.pk, more_planned=more_planned
    )


def _nearby(user: User, target: User, day: dt.date, st: VisitSettings, position: tuple[float, float]) -> list[Row]:
    """Customers with a stored location within ``nearby_km``: a bounding box in SQL, then the exact
    distance (``rules.distance_m``), nearest first. Two queries."""
    radius = st.nearby_km * 1000
    min_lat, max_lat, min_lng, max_lng = rules.bounding_box(position[0], position[1], radius)
    box = _customers_of(user, target).filter(
        latitude__range=(_decimal(min_lat, ROUND_FLOOR), _decimal(max_lat, ROUND_CEILING)),
        longitude__range=(_decimal(min_lng, ROUND_FLOOR), _decimal(max_lng, ROUND_CEILING)),
    )
    found = []
    for pk, la, lo in box.values_list("pk", "latitude", "longitude"):
        d = rules.distance_m(position[0], position[1], float(la), float(lo))
        if d <= radius:
            found.append((d, pk))
    found.sort()
    ids = [pk for _d, pk in found[:NEARBY_LIMIT]]
    if not ids:
        return []
    planned = Exists(_planned_visits(target, day, day).filter(customer=OuterRef("pk")))
    qs = _with_first_visit(_customers_of(user, target).filter(pk__in=ids)).annotate(planned=planned)
    rows = {c.pk: c for c in qs.defer("id_number")}
    return [Row(rows[pk], _line(rows[pk], day, st, position)) for pk in ids if pk in rows]


# ------------------------------------------------------------------------------------------ week plan
@dataclass
class WeekDay:
    day: dt.date
    visits: list[Visit] = field(default_factory=list)
    due_count: int | None = None  # customers due by cadence that day and not planned (None: past)


@dataclass
class WeekPlan:
    monday: dt.date
    today: dt.date
    salesperson: User
    days: list[WeekDay]
    own: bool

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_plan(user: User, monday: dt.date, *, salesperson: User | None = None) -> WeekPlan:
    """The week from ``monday``: each day's planned visits (one query) and how many customers are
    due by cadence that day and not planned yet (one aggregate query for the seven days)."""
    target = salesperson or user
    monday = monday_of(monday)
    today = timezone.localdate()
    st = method.settings_for(user.company_id)
    days = [WeekDay(monday + dt.timedelta(days=i)) for i in range(7)]
    visits = (
        visible(user, Visit)
        .filter(salesperson=target, planned_on__range=(days[0].day, days[-1].day))
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("customer")
        .order_by("planned_on", F("appointment_at").asc(nulls_last=True), "pk")
    )
    by_day = {d.day: d for d in days}
    for v in visits:
        by_day[v.planned_on].visits.append(v)
    future = [d for d in days if d.day >= today]
    if future:
        qs = _customers_of(user, target).annotate(
            last_day=TruncDate("last_followup_at", tzinfo=timezone.get_current_timezone())
        )
        counts = qs.aggregate(
            **{
                f"d{i}": Count(
                    "pk",
                    filter=due_filter(d.day, st) & _not_planned(target, min(today, d.day), d.day),
                )
                for i, d in enumerate(future)
            }
        )
        for i, d in enumerate(future):
            d.due_count = counts[f"d{i}"]
    return WeekPlan(monday, today, target, days, own=target.pk == user.pk)


# ------------------------------------------------------------------------------------------ services
def _check_change(actor: User, obj) -> None:
    if not can(actor, obj, Action.CHANGE):
        raise PermissionError


def _as_date(value, field_name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field_name: _("Enter a date as YYYY-MM-DD.")}) from None


@transaction.atomic
def plan_add(*, actor: User, customer: Customer, day) -> Visit:
    """Put a visit of ``customer`` on ``actor``'s plan for ``day`` (today up to 90 days ahead).
    Planning the same customer twice on a day gives the one visit (idempotent)."""
    _check_change(actor, customer)
    day = _as_date(day, "day")
    today = timezone.localdate()
    if day < today:
        raise ValidationError({"day": _("A visit cannot be planned in the past.")})
    if day > today + dt.timedelta(days=PLAN_AHEAD_DAYS):
        raise ValidationError({"day": _("Plan at most %(n)d days ahead.") % {"n": PLAN_AHEAD_DAYS}})
    return services.visit_open(actor=actor, customer=customer, day=day)


def _not_over(visit: Visit) -> None:
    if visit.status == Visit.Status.CANCELLED:
        raise ValidationError({"visit": _("This visit was cancelled.")})


@transaction.atomic
def visit_cancel(*, actor: User, visit: Visit) -> Visit:
    """Take a planned visit off the plan (it stays on record as cancelled). A visit that took place
    — checked in or done — cannot be cancelled."""
    _check_change(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == Visit.Status.CANCELLED:
        return visit
    if visit.status == Visit.Status.DONE or visit.checkin_at:
        raise ValidationError({"visit": _("This visit has already taken place; it cannot be cancelled.")})
    visit.status = Visit.Status.CANCELLED
    visit.save()
    return visit


plan_remove = visit_cancel


def introducers_for(customer: Customer, *, known_only: bool = True, user: User | None = None) -> list[Relation]:
    """People around the customer who can introduce us (朋友介绍法): the customer's relationships
    who are already known to us — also our customer or an industry contact — most influential first.
    ``known_only=False`` adds the other relationships after them; ``user`` keeps what they may see."""
    qs = visible(user, Relation) if user is not None else Relation.objects.all()
    qs = qs.filter(customer=customer).select_related("linked_customer", "linked_contact")
    known = Q(linked_customer__isnull=False) | Q(linked_contact__isnull=False)
    if known_only:
        return list(qs.filter(known).order_by("-influence", "name", "pk"))
    return list(
        qs.annotate(known=Case(When(known, then=Value(0)), default=Value(1), output_field=IntegerField())).order_by(
            "known", "-influence", "name", "pk"
        )
    )


@transaction.atomic
def appointment_record(
    *,
    actor: User,
    visit: Visit,
    at: dt.datetime | None,
    channel: str = "",
    outcome: str = "",
    approach: str = "",
    introducer_id: int | None = None,
    note: str = "",
) -> Visit:
    """The appointment (预约): the proposed time, how we asked, what the customer said. A refusal
    needs a way in — the work site (到地拜访法) or an introduction by someone around the customer
    (朋友介绍法, one of the customer's relationships). An agreed or moved appointment moves the
    visit to that day."""
    _check_change(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _not_over(visit)
    if visit.status == Visit.Status.DONE or visit.checkin_at:
        raise ValidationError({"visit": _("This visit has already taken place.")})
    errors: dict[str, str] = {}
    channel, outcome, approach = channel or "", outcome or "", approach or ""
    if channel and channel not in Visit.Channel.values:
        errors["channel"] = _("Choose how you asked: phone, WeChat, text message or in person.")
    if outcome not in Visit.Outcome.values:
        errors["outcome"] = _("Choose what the customer said.")
    if approach not in Visit.Approach.values:
        errors["approach"] = _("Choose the work site or an introduction.")
    if outcome and not channel and "channel" not in errors:
        errors["channel"] = _("Say how you asked the customer.")
    now = timezone.now()
    if at is not None:
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        if at < now - dt.timedelta(days=APPOINTMENT_PAST_DAYS):
            errors["at"] = _("The time is more than a day in the past.")
        elif at > now + dt.timedelta(days=APPOINTMENT_AHEAD_DAYS):
            errors["at"] = _("The time is more than a year ahead.")
    elif outcome in (Visit.Outcome.AGREED, Visit.Outcome.RESCHEDULED):
        errors["at"] = _("Enter the time the customer agreed to.")
    if outcome == Visit.Outcome.REFUSED and not approach and "approach" not in errors:
        errors["approach"] = _("The customer refused: choose a way in — go to the work site, or an introduction.")
    elif approach and outcome not in (Visit.Outcome.REFUSED, Visit.Outcome.NO_ANSWER) and "approach" not in errors:
        errors["approach"] = _("A way in is for a refusal or an unanswered call.")
    introducer = None
    if approach == Visit.Approach.INTRODUCTION:
        if introducer_id in (None, ""):
            errors["introducer_id"] = _("Choose who introduces you.")
        else:
            try:
                introducer = Relation.objects.filter(pk=int(introducer_id), customer_id=visit.customer_id).first()
            except (TypeError, ValueError):
                introducer = None
            if introducer is None:
                errors["introducer_id"] = _("Choose one of this customer's relationships.")
    note = clean_text(str(note or ""))
    if len(note) > NOTE_MAX:
        errors["note"] = _("At most %(n)d characters.") % {"n": NOTE_MAX}
    moved_to = None
    if at is not None and outcome in (Visit.Outcome.AGREED, Visit.Outcome.RESCHEDULED) and not errors:
        moved_to = timezone.localtime(at).date()
        if moved_to != visit.planned_on:
            clash = (
                Visit.objects.filter(customer_id=visit.customer_id, salesperson_id=visit.salesperson_id)
                .filter(planned_on=moved_to)
                .exclude(pk=visit.pk)
                .exclude(status=Visit.Status.CANCELLED)
                .exists()
            )
            if clash:
                errors["at"] = _("A visit of this customer is already planned on that day.")
    if errors:
        raise ValidationError(errors)
    visit.appointment_at = at
    visit.appointment_channel = channel
    visit.appointment_outcome = outcome
    visit.approach = approach
    visit.introducer = introducer
    visit.appointment_note = note
    if moved_to is not None:
        visit.planned_on = moved_to
    visit.save()
    return visit


def objective_suggestions(needs: list[CustomerNeed], ready_threshold: int) -> list[dict]:
    """Objectives tied to the customer's key decision points (SPEC §2 preparation): every key need
    still unverified (preset or revised, not yet confirmed with the customer) or unmet (pressure above
    the met threshold), the largest pressure first. Each: {"need_id", "need", "text", "unverified",
    "unmet", "pressure"}."""
    out = []
    for n in sorted(needs, key=lambda n: (-(n.expected - n.deliverable), n.need_point.order, n.pk)):
        if n.stage != CustomerNeed.Stage.KEY:
            continue
        unverified = n.state != CustomerNeed.State.VERIFIED
        unmet = n.pressure > ready_threshold
        if not (unverified or unmet):
            continue
        args = {"need": n.need_point.name, "e": n.expected, "d": n.deliverable}
        if unverified and unmet:
            text = _("Verify %(need)s with the customer and close the gap (expects %(e)s, we deliver %(d)s)") % args
        elif unverified:
            text = _("Verify %(need)s with the customer (not confirmed yet)") % args
        else:
            text = _("Close the gap on %(need)s: expects %(e)s, we deliver %(d)s") % args
        out.append(
            {
                "need_id": n.pk,
                "need": n.need_point.name,
                "text": text,
                "unverified": unverified,
                "unmet": unmet,
                "pressure": n.pressure,
            }
        )
    return out


def _clean_objectives(raw, customer_id: int) -> list[dict]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple):
        raise ValidationError({"objectives": _("A list of objectives.")})
    out, need_ids = [], set()
    for i, item in enumerate(raw):
        need_id = None
        if isinstance(item, dict):
            text, need_id = item.get("text", ""), item.get("need_id")
        else:
            text = item
        text = clean_text(str(text or ""))
        if not text:
            continue
        if len(text) > OBJECTIVE_MAX:
            raise ValidationError(
                {"objectives": _("Objective %(i)d: at most %(n)d characters.") % {"i": i + 1, "n": OBJECTIVE_MAX}}
            )
        if need_id not in (None, ""):
            try:
                need_id = int(need_id)
            except (TypeError, ValueError):
                raise ValidationError({"objectives": _("Objective %(i)d: not a need.") % {"i": i + 1}}) from None
            need_ids.add(need_id)
        else:
            need_id = None
        if any(o["text"] == text for o in out):
            continue
        out.append({"text": text, "need_id": need_id})
    if len(out) > MAX_OBJECTIVES:
        raise ValidationError(
            {"objectives": _("At most %(n)d objectives: keep the visit focused.") % {"n": MAX_OBJECTIVES}}
        )
    if need_ids:
        known = set(CustomerNeed.objects.filter(customer_id=customer_id, pk__in=need_ids).values_list("pk", flat=True))
        if need_ids - known:
            raise ValidationError({"objectives": _("An objective points at a need of another customer.")})
    return out


@transaction.atomic
def preparation_save(*, actor: User, visit: Visit, objectives, actions: str = "") -> Visit:
    """The visit plan (拜访计划): objectives — each a text, tied to a need of the customer or not —
    and the main actions (主要行动措施)."""
    _check_change(actor, visit)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _not_over(visit)
    cleaned = _clean_objectives(objectives, visit.customer_id)
    actions = clean_text(str(actions or ""))
    if len(actions) > ACTIONS_MAX:
        raise ValidationError({"actions": _("At most %(n)d characters.") % {"n": ACTIONS_MAX}})
    visit.objectives = cleaned
    visit.actions = actions
    visit.save()
    return visit


@transaction.atomic
def checklist_tick(*, actor: User, visit: Visit, item_id, checked: bool) -> Visit:
    """Tick (or untick) one item of the material checklist (物品准备). The row is locked so two quick
    taps on the phone never lose each other's tick."""
    _check_change(actor, visit)
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise ValidationError({"item": _("Not an item of the checklist.")}) from None
    if not ChecklistItem.objects.filter(pk=item_id, company_id=visit.company_id, active=True).exists():
        raise ValidationError({"item": _("Not an item of the checklist.")})
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _not_over(visit)
    checklist = dict(visit.checklist or {})
    checklist[str(item_id)] = bool(checked)
    visit.checklist = checklist
    visit.save()
    return visit


# ------------------------------------------------------------------------------------------ visit page
@dataclass
class ChecklistRow:
    item: ChecklistItem
    checked: bool


@dataclass
class VisitPage:
    visit: Visit
    customer: Customer
    settings: VisitSettings
    line: rules.PlanLine
    cadence_days: int
    last_visit: dt.date | None
    suggestions: list[dict]
    introducers: list[Relation]  # the known ones first, then the other relationships
    checklist: list[ChecklistRow]
    photos: list[VisitPhoto]
    notes: list[VisitNote]
    can_change: bool

    @property
    def known_introducers(self) -> list[Relation]:
        return [r for r in self.introducers if r.linked_customer_id or r.linked_contact_id]

    @property
    def checked_count(self) -> int:
        return sum(1 for r in self.checklist if r.checked)

    @property
    def chosen_needs(self) -> set[int]:
        return {o.get("need_id") for o in self.visit.objectives or [] if o.get("need_id")}


def checklist_rows(visit: Visit) -> list[ChecklistRow]:
    """The dealer's material checklist with this visit's ticks (one query)."""
    ticks = visit.checklist or {}
    return [ChecklistRow(i, bool(ticks.get(str(i.pk)))) for i in method.checklist_for(visit.company_id)]


def visit_page(user: User, visit: Visit) -> VisitPage:
    """What the visit page shows, in a fixed number of queries (``visit`` read with its customer)."""
    customer = visit.customer
    st = method.settings_for(visit.company_id)
    ready = customer_method.settings_for(visit.company_id).ready_threshold
    # the customer's model and people as far as the viewer may see them (a visit made for a customer
    # handed over since stays readable; the customer's needs and relationships do not)
    needs = list(visible(user, CustomerNeed).filter(customer=customer).select_related("need_point"))
    customer.has_visits = visit.kind == Visit.Kind.REPEAT
    day = visit.planned_on or timezone.localdate()
    return VisitPage(
        visit=visit,
        customer=customer,
        settings=st,
        line=_line(customer, day, st),
        cadence_days=rules.cadence_days(customer.grade, st.cadence()),
        last_visit=_last_day(customer),
        suggestions=objective_suggestions(needs, ready),
        introducers=introducers_for(customer, known_only=False, user=user),
        checklist=checklist_rows(visit),
        photos=list(visit.photos.all()),
        notes=list(visit.notes.all()),
        can_change=can(user, visit, Action.CHANGE),
    )
