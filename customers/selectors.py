"""Reads on customers, always through the visibility module."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, Subquery

from core.visibility import Action, visible

from . import rules
from .models import Customer


def customer_search(user, *, action=Action.LIST, **filters):
    """Visible customers, filtered (validated values, see customers/filters.py).

    ``q`` matches name, mobile or pinyin initials; ``fits`` keeps the segments where the product's
    positioning score reaches the dealer's threshold (客户定位).
    """
    qs = visible(user, Customer, action).filter(merged_into__isnull=True).select_related("owner", "region")
    q = rules.clean_text(filters.pop("q", "") or "")
    if q:
        digits = q.replace(" ", "")
        cond = Q(name__icontains=q)
        if digits.isdigit():
            cond |= Q(phone__contains=digits)
        if q.isascii() and q.isalpha():
            cond |= Q(initials__startswith=q.lower())
        qs = qs.filter(cond)
    pool = str(filters.pop("pool", "") or "")
    if pool == "1":
        qs = qs.filter(in_pool=True)
    elif pool == "0":
        qs = qs.filter(in_pool=False)
    if filters.pop("mine", False):
        qs = qs.filter(owner=user)
    product = filters.pop("fits", None)
    if product is not None:
        from .method import settings_for
        from .models import SegmentFit

        threshold = settings_for(user.company_id).fit_threshold
        segments = SegmentFit.objects.filter(
            product=product, score__gte=threshold, work_type=OuterRef("work_type"), scale=OuterRef("scale")
        ).filter(Q(engineering_kind="") | Q(engineering_kind=OuterRef("engineering_kind")))
        qs = qs.filter(Exists(segments))
    order = SORTS[filters.pop("sort", "") or ""]
    exact = {}
    for key, value in filters.items():
        if value in (None, ""):
            continue
        if key in ("owner", "region"):
            exact[key] = value
        elif key in ("grade", *DIMENSIONS):
            exact[key] = int(value)
        elif key in ("tier", "work_type", "engineering_kind", "use", "scale", "city", "district"):
            exact[key] = value
        else:
            raise TypeError(f"unknown customer filter {key!r}")
    return qs.filter(**exact).order_by(*order)


def first_rows(user, qs, *, sort: str = ""):
    """For a salesperson's list (own customers OR the public pool, newest first), a function
    ``top -> queryset`` restricted to the rows that can be among the first ``top``: the first ``top``
    of each half, read through its own index. SQLite cannot use an index to order an OR, and would
    sort every visible row for each page. None when the list is not of that shape."""
    if sort or user.role_set != {"salesperson"}:
        return None
    order = SORTS[""]
    own = qs.filter(owner=user).order_by(*order).values("pk")
    pool = qs.filter(in_pool=True).order_by(*order).values("pk")

    def narrowed(top: int):
        return qs.filter(Q(pk__in=own[:top]) | Q(pk__in=pool[:top]))

    return narrowed


SORTS = {
    "": ("-updated_at", "-id"),
    "grade": (F("grade").desc(nulls_last=True), "-updated_at", "-id"),
    "name": ("initials", "name", "id"),
    "followup": (F("last_followup_at").asc(nulls_first=True), "id"),
}
DIMENSIONS = ("capital", "experience", "winning", "decision", "influence", "susceptibility")


@dataclass
class Profile:
    """Everything the living profile (客户档案, 2–3 pages) shows, read in a fixed number of queries."""

    customer: Customer
    model: dict  # services.sensitivity_of: ranked needs, accuracy, readiness
    grade_changes: list
    tier_changes: list
    grade_criteria: dict
    relations: list  # who influences this customer
    influences: list  # whom this customer influences (relations naming this customer)
    machines: list
    contacts: list
    projects: list
    can_change: bool
    visits: list = field(default_factory=list)  # the last visits made, each with its latest note's summary
    followups: list = field(default_factory=list)  # open commitments, questions, points not understood


def customer_profile(user, pk: int, *, action=Action.VIEW) -> Profile:
    from core.visibility import can, get_or_404

    from . import method, services
    from .intel import projects_of
    from .models import GradeCriterion, Relation, StatusChange

    customer = get_or_404(
        user, Customer, pk, action, queryset=Customer.objects.select_related("owner", "region", "branch")
    )
    settings_row = method.settings_for(customer.company_id)
    needs = list(customer.needs.select_related("need_point"))
    model = services.sensitivity_of(customer, needs, config=_SettingsOnly(settings_row))
    changes = list(StatusChange.objects.filter(customer=customer).select_related("by")[:40])
    return Profile(
        customer=customer,
        model=model,
        grade_changes=[c for c in changes if c.kind == StatusChange.Kind.GRADE],
        tier_changes=[c for c in changes if c.kind == StatusChange.Kind.TIER],
        grade_criteria=dict(GradeCriterion.objects.filter(company_id=customer.company_id).values_list("grade", "text")),
        relations=list(customer.relations.select_related("linked_customer", "linked_contact")),
        influences=list(
            visible(user, Relation).filter(linked_customer=customer).select_related("customer").order_by("-influence")
        ),
        machines=list(customer.machines.select_related("competitor_machine")),
        contacts=list(customer.contacts.all()),
        projects=list(projects_of(user, customer)),
        can_change=can(user, customer, Action.CHANGE),
        **_visits_section(user, customer),
    )


PROFILE_VISITS = 5
PROFILE_FOLLOWUPS = 20


def _visits_section(user, customer: Customer) -> dict:
    """The profile's visits (拜访): the last visits made, with their latest note, and the open
    follow-ups — two queries whatever the number of visits and notes."""
    from visits.models import FollowUp, Visit, VisitNote

    latest = visible(user, VisitNote).filter(visit=OuterRef("pk")).order_by("-recorded_at", "-id")
    visits = (
        visible(user, Visit)
        .filter(customer=customer, status=Visit.Status.DONE)
        .annotate(note_id=Subquery(latest.values("pk")[:1]), note_summary=Subquery(latest.values("summary")[:1]))
        .select_related("salesperson")
        .order_by(F("done_at").desc(nulls_last=True), "-id")[:PROFILE_VISITS]
    )
    followups = (
        visible(user, FollowUp)
        .filter(customer=customer, status=FollowUp.Status.OPEN)
        .order_by(F("due_on").asc(nulls_last=True), "id")[:PROFILE_FOLLOWUPS]
    )
    return {"visits": list(visits), "followups": list(followups)}


@dataclass(frozen=True)
class _SettingsOnly:
    """What sensitivity_of needs of the configuration: the thresholds."""

    settings: object

    @property
    def sensitivity(self):
        return self.settings.sensitivity()
