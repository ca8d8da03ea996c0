"""The pre-visit brief (拜访卡), SPEC §2: the repeat visit's entry points (切入点) on one phone screen.

- something new to recommend (for now: the products whose positioning fits the customer's segment);
- what the customer did not fully understand and the questions we could not answer last time;
- commitments we made that fall due (within a week, or overdue);
- personal care: a birthday in the next two weeks, age, hobbies;
- complaints and conflicts to resolve (maintenance tier "complaint" and why);
- key needs not verified yet, and key needs still unmet;
- the intent grade and its visit cadence: last visit, next one due;
- the last visit's note.

``brief_for`` reads all of it in a fixed number of queries, however many follow-ups there are.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.utils import timezone

from core.visibility import Action, can, visible
from customers import method as customer_method
from customers.models import Customer, CustomerNeed, SegmentFit, StatusChange, Tier

from . import method, rules
from .models import FollowUp, Visit, VisitNote

BIRTHDAY_DAYS = 14  # a birthday this close is a care item
COMMITMENT_DAYS = 7  # commitments due this soon (or overdue) are shown
RECOMMEND_MAX = 3


def next_birthday(birthday: dt.date, today: dt.date) -> dt.date:
    """The next birthday on or after ``today``; someone born on 29 February celebrates on the 28th
    in the years without one."""
    for year in (today.year, today.year + 1):
        day = birthday.day
        if birthday.month == 2 and day == 29 and not calendar.isleap(year):
            day = 28
        candidate = dt.date(year, birthday.month, day)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: next year's birthday is always after today")


@dataclass(frozen=True)
class CareItem:
    kind: str  # "birthday", "age", "hobbies"
    text: str
    day: dt.date | None = None
    days: int | None = None  # days from today


@dataclass(frozen=True)
class Recommendation:
    product: object  # pitch.Product
    score: int


@dataclass
class Brief:
    customer: Customer
    today: dt.date
    grade: int | None
    cadence_days: int
    last_visit: dt.date | None
    next_due: dt.date
    overdue_days: int
    purchase_window: bool
    recommend: list[Recommendation] = field(default_factory=list)
    questions: list[FollowUp] = field(default_factory=list)  # open questions and points not understood
    commitments: list[FollowUp] = field(default_factory=list)  # open, due within a week or overdue
    later_commitments: int = 0  # open commitments due later
    care: list[CareItem] = field(default_factory=list)
    complaint: StatusChange | None = None  # why the customer is a complaint customer
    is_complaint: bool = False
    unverified_key: list[CustomerNeed] = field(default_factory=list)  # key needs still preset
    unmet_key: list[CustomerNeed] = field(default_factory=list)  # key needs whose pressure is too high
    last_note: VisitNote | None = None
    last_visit_id: int | None = None
    can_change: bool = False

    @property
    def entry_points(self) -> int:
        """How many things the salesperson can open the conversation with."""
        return (
            len(self.recommend)
            + len(self.questions)
            + len(self.commitments)
            + sum(1 for c in self.care if c.kind == "birthday")
            + int(self.is_complaint)
            + len(self.unverified_key)
        )


def new_to_recommend(user, customer: Customer, threshold: int) -> list[Recommendation]:
    """What is new to recommend: for now the products on sale whose positioning (客户定位) fits the
    customer's segment at or above the dealer's threshold, best fit first. The pitch module will
    extend this (new models, campaigns, what this customer has not been shown yet)."""
    if not customer.work_type or not customer.scale:
        return []
    fits = (
        visible(user, SegmentFit)
        .filter(work_type=customer.work_type, scale=customer.scale, score__gte=threshold, product__active=True)
        .filter(Q(engineering_kind="") | Q(engineering_kind=customer.engineering_kind))
        .select_related("product")
        .order_by("-score", "product__code")
    )
    out, seen = [], set()
    for fit in fits[: RECOMMEND_MAX * 2]:
        if fit.product_id not in seen:
            seen.add(fit.product_id)
            out.append(Recommendation(fit.product, fit.score))
    return out[:RECOMMEND_MAX]


def _care(customer: Customer, today: dt.date) -> list[CareItem]:
    items = []
    if customer.birthday:
        day = next_birthday(customer.birthday, today)
        days = (day - today).days
        if days <= BIRTHDAY_DAYS:
            items.append(CareItem("birthday", "", day, days))
    if customer.age:
        items.append(CareItem("age", str(customer.age)))
    elif customer.birthday:
        age = (
            today.year
            - customer.birthday.year
            - ((today.month, today.day) < (customer.birthday.month, customer.birthday.day))
        )
        items.append(CareItem("age", str(age)))
    if customer.hobbies:
        items.append(CareItem("hobbies", customer.hobbies))
    return items


def brief_for(user, customer: Customer, *, today: dt.date | None = None) -> Brief:
    """Everything the visit card shows for ``customer`` (already checked visible to ``user``)."""
    today = today or timezone.localdate()
    visit_settings = method.settings_for(customer.company_id)
    customer_settings = customer_method.settings_for(customer.company_id)
    sensitivity = customer_settings.sensitivity()

    last = (
        visible(user, Visit)
        .filter(customer=customer, status=Visit.Status.DONE, done_at__isnull=False)
        .order_by("-done_at", "-id")
        .values("pk", "done_at")
        .first()
    )
    last_day = timezone.localdate(last["done_at"]) if last else None
    cadence = visit_settings.cadence()
    due = rules.next_due(
        customer.grade,
        last_day,
        today,
        expected_purchase=customer.expected_purchase_on,
        cadence=cadence,
        window=visit_settings.purchase_window_days,
    )
    brief = Brief(
        customer=customer,
        today=today,
        grade=customer.grade,
        cadence_days=rules.cadence_days(customer.grade, cadence),
        last_visit=last_day,
        last_visit_id=last["pk"] if last else None,
        next_due=due,
        overdue_days=rules.overdue_days(due, today),
        purchase_window=rules.in_purchase_window(
            customer.grade, customer.expected_purchase_on, today, visit_settings.purchase_window_days
        ),
        can_change=can(user, customer, Action.CHANGE),
    )
    brief.recommend = new_to_recommend(user, customer, customer_settings.fit_threshold)

    soon = today + dt.timedelta(days=COMMITMENT_DAYS)
    open_items = (
        visible(user, FollowUp)
        .filter(customer=customer, status=FollowUp.Status.OPEN)
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )
    for item in open_items:
        if item.kind != FollowUp.Kind.COMMITMENT:
            brief.questions.append(item)
        elif item.due_on is None or item.due_on <= soon:
            brief.commitments.append(item)
        else:
            brief.later_commitments += 1

    brief.care = _care(customer, today)
    brief.is_complaint = customer.tier == Tier.COMPLAINT
    if brief.is_complaint:
        brief.complaint = (
            StatusChange.objects.filter(customer=customer, kind=StatusChange.Kind.TIER, new=Tier.COMPLAINT)
            .select_related("by")
            .order_by("-at", "-id")
            .first()
        )

    for need in sorted(
        customer.needs.select_related("need_point"), key=lambda n: (-n.pressure, n.need_point.order, n.pk)
    ):
        if need.stage != CustomerNeed.Stage.KEY:
            continue
        if need.state == CustomerNeed.State.PRESET:
            brief.unverified_key.append(need)
        if need.pressure > sensitivity.ready_threshold:
            brief.unmet_key.append(need)

    brief.last_note = (
        visible(user, VisitNote)
        .filter(customer=customer)
        .select_related("author")
        .order_by("-recorded_at", "-id")
        .first()
    )
    return brief
