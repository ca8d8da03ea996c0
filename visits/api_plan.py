"""API of the visit plan, the appointment and preparation (see core/api.py for the conventions).

    GET   /api/visits/plan?day=YYYY-MM-DD&lat=&lng=&user=&limit=&offset=   the day's plan
    GET   /api/visits/plan?week=YYYY-MM-DD&user=                            the week of that day
    POST  /api/visits/plan          {"customer": id, "day": "YYYY-MM-DD"}    put a visit on the plan
    GET   /api/visits/{id}          the visit: appointment, preparation (with suggested objectives),
                                    checklist, suggested introducers
    PATCH /api/visits/{id}          {"appointment": {...}, "preparation": {...}, "checklist": {item: bool}}
                                    — every part given is saved, all or nothing
    POST  /api/visits/{id}/cancel   take a planned visit off the plan
    POST  /api/visits/start         {"customer": id}  today's visit of the customer ("visit now")

Same selectors, services and visibility as the pages: an invisible visit or customer is 404, a
visible one the caller may not change is 403, bad input is 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query
from core.visibility import Action, get_or_404
from customers.models import Customer

from . import plan, services
from .models import Visit

router = Router(tags=["visits"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _line_out(line) -> dict:
    return {
        "due": line.due.isoformat(),
        "overdue_days": line.overdue_days,
        "first_visit": line.first_visit,
        "purchase_window": line.purchase_window,
        "distance_m": None if line.distance_m is None else round(line.distance_m),
    }


def _customer_brief(c: Customer) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "grade": c.grade,
        "phone": c.phone,
        "city": c.city,
        "district": c.district,
        "last_followup_at": _iso(c.last_followup_at),
        "expected_purchase_on": _iso(c.expected_purchase_on),
        "latitude": None if c.latitude is None else float(c.latitude),
        "longitude": None if c.longitude is None else float(c.longitude),
    }


def _row_out(row: plan.Row) -> dict:
    out = {"customer": _customer_brief(row.customer), **_line_out(row.line)}
    if row.visit is not None:
        out["visit"] = _visit_short(row.visit)
    return out


def _visit_short(v: Visit) -> dict:
    return {
        "id": v.pk,
        "customer": v.customer_id,
        "salesperson": v.salesperson_id,
        "kind": v.kind,
        "status": v.status,
        "planned_on": _iso(v.planned_on),
        "appointment_at": _iso(v.appointment_at),
        "appointment_outcome": v.appointment_outcome,
        "checkin_at": _iso(v.checkin_at),
        "done_at": _iso(v.done_at),
    }


def _relation_out(r) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "relation": r.relation,
        "kind": r.kind,
        "phone": r.phone,
        "influence": r.influence,
        "linked_customer": r.linked_customer_id,
        "linked_contact": r.linked_contact_id,
        "known": bool(r.linked_customer_id or r.linked_contact_id),
    }


def visit_out(page: plan.VisitPage) -> dict:
    v = page.visit
    return {
        **_visit_short(v),
        "customer": _customer_brief(page.customer),
        "cadence_days": page.cadence_days,
        "last_visit": _iso(page.last_visit),
        **_line_out(page.line),
        "appointment": {
            "at": _iso(v.appointment_at),
            "channel": v.appointment_channel,
            "outcome": v.appointment_outcome,
            "approach": v.approach,
            "introducer_id": v.introducer_id,
            "note": v.appointment_note,
        },
        "introducers": [_relation_out(r) for r in page.known_introducers],
        "relations": [_relation_out(r) for r in page.introducers],
        "preparation": {
            "objectives": v.objectives or [],
            "actions": v.actions,
            "suggested_objectives": page.suggestions,
        },
        "checklist": [{"item": r.item.pk, "name": r.item.name, "checked": r.checked} for r in page.checklist],
        "can_change": page.can_change,
    }


def _day(raw: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FilterError({name: [_("Enter a date as YYYY-MM-DD.")]}) from None


def _int(raw: str, name: str, lo: int, hi: int, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FilterError({name: [_("Enter a whole number.")]}) from None
    if not lo <= value <= hi:
        raise FilterError({name: [_("Between %(lo)d and %(hi)d.") % {"lo": lo, "hi": hi}]})
    return value


@router.get("/visits/plan")
def plan_get(request):
    """The day's plan (``day``, default today): planned visits, customers due by cadence (paginated
    with ``limit``/``offset``), and with ``lat``/``lng`` the customers near that position. ``week``
    (any day of the week) gives the week instead. Managers pass ``user`` for a salesperson of their
    regions."""
    check_query(request, {"day", "lat", "lng", "user", "week"})
    q = request.GET
    target = plan.plan_owner(request.user, q.get("user"))
    if target is None:
        raise Http404
    if q.get("week"):
        week = plan.week_plan(request.user, _day(q["week"], "week"), salesperson=target)
        return {
            "monday": week.monday.isoformat(),
            "salesperson": target.pk,
            "days": [
                {"day": d.day.isoformat(), "visits": [_visit_short(v) for v in d.visits], "due_count": d.due_count}
                for d in week.days
            ],
        }
    day = _day(q["day"], "day") if q.get("day") else timezone.localdate()
    limit = _int(q.get("limit"), "limit", 1, 200, plan.PAGE_SIZE)
    offset = _int(q.get("offset"), "offset", 0, 10**9, 0)
    if offset % limit:
        raise FilterError({"offset": [_("A multiple of limit.")]})
    p = plan.day_plan(
        request.user,
        day,
        lat=q.get("lat"),
        lng=q.get("lng"),
        salesperson=target,
        page=offset // limit + 1,
        page_size=limit,
        show_all=True,
    )
    due = None
    if p.due is not None:
        shown = p.due.object_list if p.due.number == offset // limit + 1 else []  # past the last page: none
        due = {"count": p.due.paginator.count, "items": [_row_out(r) for r in shown]}
    return {
        "day": day.isoformat(),
        "salesperson": target.pk,
        "planned": [_row_out(r) for r in p.planned],
        "due": due,
        "nearby": None if p.nearby is None else [_row_out(r) for r in p.nearby],
        "nearby_km": p.settings.nearby_km,
    }


class PlanIn(Schema):
    customer: int
    day: dt.date | None = None


@router.post("/visits/plan", response={201: dict})
def plan_post(request, payload: PlanIn):
    customer = get_or_404(request.user, Customer, payload.customer, Action.CHANGE)
    visit = plan.plan_add(actor=request.user, customer=customer, day=payload.day or timezone.localdate())
    return Status(201, _visit_short(visit))


def _visit(request, visit_id: int, action: Action) -> Visit:
    qs = Visit.objects.select_related("customer", "introducer")
    return get_or_404(request.user, Visit, visit_id, action, queryset=qs)


@router.get("/visits/{int:visit_id}")
def visit_get(request, visit_id: int):
    return visit_out(plan.visit_page(request.user, _visit(request, visit_id, Action.VIEW)))


class AppointmentIn(Schema):
    at: dt.datetime | None = None
    channel: str = ""
    outcome: str = ""
    approach: str = ""
    introducer_id: int | None = None
    note: str = ""


class ObjectiveIn(Schema):
    text: str
    need_id: int | None = None


class PreparationIn(Schema):
    objectives: list[ObjectiveIn | str] = []
    actions: str = ""


class VisitPatch(Schema):
    appointment: AppointmentIn | None = None
    preparation: PreparationIn | None = None
    checklist: dict[int, bool] | None = None


@router.patch("/visits/{int:visit_id}")
def visit_patch(request, visit_id: int, payload: VisitPatch):
    """Save the appointment, the preparation and checklist ticks; every part given, all or nothing.
    Errors name the part: ``appointment.outcome``, ``preparation.objectives``, ``checklist.item``."""
    visit = _visit(request, visit_id, Action.CHANGE)
    with transaction.atomic():
        if payload.appointment is not None:
            a = payload.appointment.dict()
            visit = _prefixed("appointment", plan.appointment_record, actor=request.user, visit=visit, **a)
        if payload.preparation is not None:
            prep = payload.preparation
            objectives = [o if isinstance(o, str) else o.dict() for o in prep.objectives]
            visit = _prefixed(
                "preparation",
                plan.preparation_save,
                actor=request.user,
                visit=visit,
                objectives=objectives,
                actions=prep.actions,
            )
        for item, checked in (payload.checklist or {}).items():
            visit = _prefixed(
                "checklist", plan.checklist_tick, actor=request.user, visit=visit, item_id=item, checked=checked
            )
    return visit_out(plan.visit_page(request.user, _visit(request, visit_id, Action.VIEW)))


def _prefixed(part: str, service, **kwargs):
    """Run a service; its field errors are named ``part.field`` in the answer."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        raise ValidationError({f"{part}.{k}": v for k, v in exc.message_dict.items()}) from None


@router.post("/visits/{int:visit_id}/cancel")
def visit_cancel(request, visit_id: int):
    visit = _visit(request, visit_id, Action.CHANGE)
    return _visit_short(plan.visit_cancel(actor=request.user, visit=visit))


class StartIn(Schema):
    customer: int


@router.post("/visits/start")
def visit_start(request, payload: StartIn):
    """ "Visit now": today's visit of the customer (the planned one, or a new one)."""
    customer = get_or_404(request.user, Customer, payload.customer, Action.CHANGE)
    visit = services.visit_open(actor=request.user, customer=customer)
    return visit_out(plan.visit_page(request.user, _visit(request, visit.pk, Action.VIEW)))
