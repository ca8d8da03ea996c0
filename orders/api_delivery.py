"""API of the machine, preparation, transport and delivery (see core/api.py for the conventions).

    GET    /api/orders/machines?product=ID                    machines in stock
    POST   /api/orders/machines                               {product, serial_number, engine_number, telematics_id}
    GET    /api/orders/orders/{id}/machine                    machine, preparation checklist, release gate
    POST   /api/orders/orders/{id}/machine                    {machine}: assign from stock
    POST   /api/orders/orders/{id}/preparation/{kind}         {done, note, carrier, vehicle, driver, driver_phone,
                                                              engineer}
    PUT    /api/orders/orders/{id}/accessories                {names: [...]}: the delivery list
    POST   /api/orders/orders/{id}/accessories/{index}        {ticked}
    GET    /api/orders/orders/{id}/transport                  booking, timeline, release gate
    POST   /api/orders/orders/{id}/transport/depart           {eta}
    POST   /api/orders/orders/{id}/transport/events           {kind: position|incident|delay, place, note, new_eta}
    POST   /api/orders/orders/{id}/transport/arrive
    GET    /api/orders/orders/{id}/delivery                   the ceremony, auspicious days
    POST   /api/orders/orders/{id}/delivery/plan              {planned_at, customs}
    POST   /api/orders/orders/{id}/delivery                   multipart: delivered_at, hour_meter, checklist_photo

Same services and visibility as the pages: an order the caller may not see is 404; a step the
caller may not take is 403; bad input is 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from core.api import check_query, paginate
from core.visibility import Action, get_or_404
from pitch.models import Product

from . import delivery as services
from .models import Machine, Order, PreparationItem, Transport, TransportEvent

router = Router(tags=["orders"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def machine_out(m: Machine | None) -> dict | None:
    if m is None:
        return None
    return {
        "id": m.pk,
        "product": m.product_id,
        "model": m.product.code,
        "serial_number": m.serial_number,
        "engine_number": m.engine_number,
        "telematics_id": m.telematics_id,
        "order": m.order_id,
        "in_stock_since": _iso(m.in_stock_since),
    }


def item_out(i: PreparationItem) -> dict:
    return {
        "kind": i.kind,
        "label": str(i.get_kind_display()),
        "done": i.done_at is not None,
        "done_at": _iso(i.done_at),
        "done_by": i.done_by_id,
        "note": i.note,
        "details": i.details,
    }


def transport_out(t: Transport | None) -> dict | None:
    if t is None:
        return None
    return {
        "carrier": t.carrier_id,
        "carrier_name": t.carrier.name if t.carrier_id else "",
        "vehicle": t.vehicle,
        "driver": t.driver,
        "driver_phone": t.driver_phone,
        "departed_at": _iso(t.departed_at),
        "eta": _iso(t.eta),
        "arrived_at": _iso(t.arrived_at),
    }


def _blockers(order: Order) -> list[dict]:
    return [{"code": str(b), "message": words} for b, words in services.release_blockers(order)]


def _order(request, order_id: int) -> Order:
    return services.order_for(request.user, order_id)


def _machine_state(request, order: Order) -> dict:
    state = services.order_state(order)
    return {
        "order": order.pk,
        "machine": machine_out(state.machine),
        "preparation": [item_out(i) for i in state.items],
        "preparation_complete": state.prepared,
        "release_blockers": _blockers(order),
    }


def _transport_state(order: Order) -> dict:
    state = services.order_state(order)
    return {
        "order": order.pk,
        "transport": transport_out(state.transport),
        "timeline": [
            {
                "kind": e.kind,
                "at": e.at.isoformat(),
                "place": e.place,
                "note": e.note,
                "new_eta": _iso(e.new_eta),
                "by": e.by,
            }
            for e in services.timeline(state.transport)
        ],
        "release_blockers": [] if state.transport and state.transport.departed_at else _blockers(order),
    }


def _delivery_state(order: Order) -> dict:
    state = services.order_state(order)
    d = state.delivery
    return {
        "order": order.pk,
        "planned_at": _iso(d.planned_at) if d else None,
        "customs": d.customs if d else "",
        "delivered_at": _iso(d.delivered_at) if d else None,
        "hour_meter": str(d.hour_meter) if d and d.hour_meter is not None else None,
        "checklist_photo_url": reverse("orders:delivery_photo", args=[order.pk]) if d and d.checklist_photo else None,
        "contract_handed_to_receivables_at": _iso(state.contract.handed_to_receivables_at) if state.contract else None,
        "auspicious_days": [
            {
                "day": s.day.isoformat(),
                "good_for": list(s.matched),
                "lucky_hours": [{"branch": h.branch, "start": h.start, "end": h.end} for h in s.lucky_hours],
                "holiday": s.mark.holiday,
                "makeup_workday": s.mark.makeup_workday,
                "weekend": s.mark.weekend,
                "calendar_published": s.mark.known,
            }
            for s in services.auspicious_suggestions()
        ],
    }


# ------------------------------------------------------------------------------------------ machines
@router.get("/orders/machines")
def machines(request, product: int | None = None):
    """Machines in stock (not assigned), oldest first."""
    check_query(request, {"product"})
    return paginate(request, services.machines_in_stock(request.user, product_id=product), machine_out)


class MachineIn(Schema):
    product: int
    serial_number: str
    engine_number: str = ""
    telematics_id: str = ""


@router.post("/orders/machines", response={201: dict})
def machine_register(request, payload: MachineIn):
    product = Product.objects.filter(company_id=request.user.company_id, pk=payload.product).first()
    machine = services.machine_register(
        actor=request.user,
        product=product,
        serial_number=payload.serial_number,
        engine_number=payload.engine_number,
        telematics_id=payload.telematics_id,
    )
    return Status(201, machine_out(machine))


@router.get("/orders/orders/{int:order_id}/machine")
def machine_state(request, order_id: int):
    return _machine_state(request, _order(request, order_id))


class AssignIn(Schema):
    machine: int


@router.post("/orders/orders/{int:order_id}/machine")
def machine_assign(request, order_id: int, payload: AssignIn):
    order = _order(request, order_id)
    machine = get_or_404(request.user, Machine, payload.machine, Action.CHANGE)
    services.machine_assign(actor=request.user, order=order, machine=machine)
    return _machine_state(request, order)


# ------------------------------------------------------------------------------------------ preparation
class TickIn(Schema):
    done: bool = True
    note: str = ""
    carrier: int | None = None
    vehicle: str = ""
    driver: str = ""
    driver_phone: str = ""
    engineer: int | None = None


class AccessoriesIn(Schema):
    names: list[str]


@router.put("/orders/orders/{int:order_id}/accessories")
def accessories_set(request, order_id: int, payload: AccessoriesIn):
    order = _order(request, order_id)
    return item_out(services.accessories_set(actor=request.user, order=order, names=payload.names))


class AccessoryTickIn(Schema):
    ticked: bool = True


@router.post("/orders/orders/{int:order_id}/accessories/{int:index}")
def accessory_tick(request, order_id: int, index: int, payload: AccessoryTickIn | None = None):
    order = _order(request, order_id)
    ticked = payload.ticked if payload else True
    return item_out(services.accessory_tick(actor=request.user, order=order, index=index, ticked=ticked))


@router.post("/orders/orders/{int:order_id}/preparation/{kind}")
def preparation_tick(request, order_id: int, kind: str, payload: TickIn | None = None):
    """Tick (``done``: true) or untick an item; ``transport`` needs carrier, vehicle and driver,
    ``service_staff`` an engineer, ``accessories`` every accessory of the delivery list ticked."""
    payload = payload or TickIn()
    order = _order(request, order_id)
    item = services.preparation_tick(actor=request.user, order=order, kind=kind, **payload.dict())
    return item_out(item)


# ------------------------------------------------------------------------------------------ transport
@router.get("/orders/orders/{int:order_id}/transport")
def transport_state(request, order_id: int):
    return _transport_state(_order(request, order_id))


class DepartIn(Schema):
    eta: dt.datetime


@router.post("/orders/orders/{int:order_id}/transport/depart")
def transport_depart(request, order_id: int, payload: DepartIn):
    """Refused through the release gate, naming every unmet condition (field ``release``)."""
    order = _order(request, order_id)
    services.transport_depart(actor=request.user, order=order, eta=payload.eta)
    return _transport_state(order)


class EventIn(Schema):
    kind: str
    place: str = ""
    note: str = ""
    new_eta: dt.datetime | None = None


@router.post("/orders/orders/{int:order_id}/transport/events", response={201: dict})
def transport_event(request, order_id: int, payload: EventIn):
    order = _order(request, order_id)
    if payload.kind == TransportEvent.Kind.POSITION:
        services.transport_position(actor=request.user, order=order, place=payload.place, note=payload.note)
    elif payload.kind == TransportEvent.Kind.INCIDENT:
        services.transport_incident(actor=request.user, order=order, note=payload.note, place=payload.place)
    elif payload.kind == TransportEvent.Kind.DELAY:
        services.transport_delay(
            actor=request.user, order=order, note=payload.note, new_eta=payload.new_eta, place=payload.place
        )
    else:
        raise ValidationError({"kind": _("Choose position, incident or delay.")})
    return Status(201, _transport_state(order))


@router.post("/orders/orders/{int:order_id}/transport/arrive")
def transport_arrive(request, order_id: int):
    order = _order(request, order_id)
    services.transport_arrive(actor=request.user, order=order)
    return _transport_state(order)


# ------------------------------------------------------------------------------------------ delivery
@router.get("/orders/orders/{int:order_id}/delivery")
def delivery_state(request, order_id: int):
    return _delivery_state(_order(request, order_id))


class PlanIn(Schema):
    planned_at: dt.datetime
    customs: str = ""


@router.post("/orders/orders/{int:order_id}/delivery/plan")
def delivery_plan(request, order_id: int, payload: PlanIn):
    order = _order(request, order_id)
    services.delivery_plan(actor=request.user, order=order, planned_at=payload.planned_at, customs=payload.customs)
    return _delivery_state(order)


@router.post("/orders/orders/{int:order_id}/delivery")
def delivery_done(
    request,
    order_id: int,
    delivered_at: Form[str],
    hour_meter: Form[str],
    checklist_photo: File[UploadedFile] = None,
):
    """Multipart: ``delivered_at`` (ISO date-time), ``hour_meter``, ``checklist_photo`` (the signed
    delivery list; JPEG/PNG/WebP, checked by opening it)."""
    order = _order(request, order_id)
    services.delivery_done(
        actor=request.user,
        order=order,
        delivered_at=delivered_at,
        checklist_photo=checklist_photo,
        hour_meter=hour_meter,
    )
    return _delivery_state(order)
