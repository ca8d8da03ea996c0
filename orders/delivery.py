"""Machine, preparation, transport, delivery ceremony and what follows delivery (整机·整备·运输·交车),
SPEC §5, issue 6 items 7–10. Services (keyword-only, validated, atomic) and the reads of the pages.

    machine_register(actor=…, product=…, serial_number=…, engine_number=…, telematics_id=…)
    machine_assign(actor=…, order=…, machine=…)
    preparation_rows(order)                                   # the checklist, created on first view
    preparation_tick(actor=…, order=…, kind=…, done=True, note=…, carrier=…, vehicle=…, driver=…, engineer=…)
    accessories_set(actor=…, order=…, names=[…]) / accessory_tick(actor=…, order=…, index=…, ticked=…)
    preparation_complete(order) -> bool
    release_blockers(order) -> [(Blocker, words)]             # the release gate (orders.domain.delivery)
    transport_depart / transport_position / transport_incident / transport_delay / transport_arrive
    auspicious_suggestions(start)                             # cnlunar 宜/忌 + chinese_calendar marks
    delivery_plan(actor=…, order=…, planned_at=…, customs=…)
    delivery_done(actor=…, order=…, delivered_at=…, checklist_photo=…, hour_meter=…)

Decisions:

- Machines are the company's stock (core.visibility: everybody on the sales side reads them;
  managers, service engineers and administrators register and assign them). A machine is assigned
  to an order of the same model, one order at a time; it can be swapped until it leaves.
- The preparation checklist has one row per kind (``PreparationItem.Kind``), created the first
  time the order's machine page is shown. Each tick records who and when. The transport item needs
  a carrier from the flatbed logistics contacts (平板车物流, grade-0 contacts) the user may see, a
  vehicle and a driver — it fills the ``Transport`` row; the service-staff item needs a user with
  the service role (the engineer gets a to-do to attend the delivery); the accessories item is
  ticked only when every entry of the delivery list is. Inspection, cleaning and accessories need
  the machine assigned. After departure the checklist no longer changes.
- The release gate (``orders.domain.delivery.release_blockers``): machine assigned, contract signed,
  down payment received in full, dossier complete, preparation complete. Departure is refused
  naming every unmet condition.
- A delay records the new arrival time (later than the previous one) and posts the salesperson a
  to-do "reassure the customer" (one per delay, key ``orders.transport.delay.<event pk>``).
- Delivery needs the machine arrived, a delivery time not before the contract's signing date nor
  the arrival, the hour meter, and the photo of the signed delivery list (checked and re-encoded
  like visit photos, no metadata kept, served only through ``orders:delivery_photo``). The photo
  is decoded before the transaction (as visit photos are); everything else is written in one
  transaction: the delivery, the follow-up to-do (within 3 days) and a planned visit, the
  first-maintenance to-dos for the salesperson and the engineer (7 days ahead), the customer made
  an owner (maintenance tier silver when empty, machine count + 1, the machine in its list), the
  contract's schedule handed to receivables (``orders.signals.schedule_ready`` and
  ``Contract.handed_to_receivables_at``), and the deal synced (to the won stage).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Role, User
from core.services import notify, todo_post
from core.visibility import Action, can, may, visible
from customers.models import Customer, CustomerMachine, IndustryContact, StatusChange, Tier

from .domain import delivery as rules
from .domain.delivery import Blocker
from .models import Contract, Delivery, Machine, Order, PreparationItem, Transport, TransportEvent
from .signals import schedule_ready

Kind = PreparationItem.Kind
NEEDS_MACHINE = frozenset({Kind.INSPECTION, Kind.CLEANING, Kind.ACCESSORIES})
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]*$")
FUTURE_SLACK = dt.timedelta(minutes=10)  # phones' clocks drift


# ------------------------------------------------------------------------------------------ helpers
def _text(value, field: str, *, required: bool = False, max_len: int = 300) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_len:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_len}})
    return text


def _code(value, field: str, *, required: bool) -> str:
    text = "".join(str(value or "").split()).upper()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > 40:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": 40}})
    if text and not _CODE.match(text):
        raise ValidationError({field: _("Letters, digits, “-”, “/” and “.” only.")})
    return text


def _moment(value, field: str, *, required: bool = True) -> dt.datetime | None:
    """An aware datetime from a datetime, an ISO string ("2026-12-08T09:30") or a date (at 09:00)."""
    if value in (None, ""):
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(9, 0))
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError({field: _("Enter a date and time as YYYY-MM-DD HH:MM.")}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _not_future(moment: dt.datetime, field: str) -> None:
    if moment > timezone.now() + FUTURE_SLACK:
        raise ValidationError({field: _("This time is in the future.")})


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page of another part not built yet
        return ""


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "product", "deal", "deal__salesperson")


def orders_reachable(user: User) -> QuerySet[Order]:
    """The orders whose machine, preparation, transport and delivery the user may see: the
    customer's rule (``visible(user, Order)``) and, for service engineers, the orders of the
    customers in their regions — the same scope their grant on PreparationItem, Transport and
    Delivery gives (core.visibility ``_order_grants(..., service=True)``)."""
    qs = visible(user, Order)
    if user.is_authenticated and user.has_role(Role.SERVICE) and user.region_ids:
        qs = qs | Order.objects.filter(company_id=user.company_id, customer__region__in=list(user.region_ids))
    return qs


def order_for(user: User, pk) -> Order:
    """The order for the machine/transport/delivery pages, or 404 (never another company's)."""
    try:
        return _orders().get(pk__in=orders_reachable(user).values("pk"), pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _salesperson(order: Order) -> User:
    return order.deal.salesperson


def _require(actor: User, row, message: str) -> None:
    if not can(actor, row, Action.CHANGE):
        raise PermissionError(message)


def _delivered(order: Order) -> bool:
    return Delivery.objects.filter(order=order, delivered_at__isnull=False).exists()


# ------------------------------------------------------------------------------------------ machines
@transaction.atomic
def machine_register(
    *,
    actor: User,
    product,
    serial_number: str,
    engine_number: str = "",
    telematics_id: str = "",
    in_stock_since: dt.date | None = None,
) -> Machine:
    """A machine into stock by its serial number (unique in the company), with its model, engine
    number and telematics device id."""
    if not may(actor, Machine, Action.CHANGE):
        raise PermissionError(_("Only managers, service engineers and administrators register machines."))
    if product is None or product.company_id != actor.company_id:
        raise ValidationError({"product": _("Choose a model of your company.")})
    serial = _code(serial_number, "serial_number", required=True)
    engine = _code(engine_number, "engine_number", required=False)
    telematics = _code(telematics_id, "telematics_id", required=False)
    if Machine.objects.filter(company_id=actor.company_id, serial_number=serial).exists():
        raise ValidationError(
            {"serial_number": _("Serial number %(serial)s is already registered.") % {"serial": serial}}
        )
    try:
        with transaction.atomic():
            return Machine.objects.create(
                company_id=actor.company_id,
                product=product,
                serial_number=serial,
                engine_number=engine,
                telematics_id=telematics,
                in_stock_since=in_stock_since or timezone.localdate(),
            )
    except IntegrityError:  # registered at the same moment by someone else
        raise ValidationError(
            {"serial_number": _("Serial number %(serial)s is already registered.") % {"serial": serial}}
        ) from None


@transaction.atomic
def machine_assign(*, actor: User, order: Order, machine: Machine) -> Machine:
    """Assign ``machine`` to ``order``: the ordered model, not assigned elsewhere; a machine assigned
    before is put back into stock (until the machine leaves)."""
    if not orders_reachable(actor).filter(pk=order.pk).exists():
        raise PermissionError(_("You may not change this order."))
    _require(actor, machine, _("Only managers, service engineers and administrators assign machines."))
    machine = Machine.objects.select_for_update().select_related("product").get(pk=machine.pk)
    if machine.company_id != order.company_id:
        raise ValidationError({"machine": _("Choose a machine of your company.")})
    if machine.product_id != order.product_id:
        raise ValidationError(
            {
                "machine": _("Machine %(serial)s is a %(model)s; the order is for a %(ordered)s.")
                % {"serial": machine.serial_number, "model": machine.product.code, "ordered": order.product.code}
            }
        )
    if machine.order_id == order.pk:
        return machine
    if machine.order_id is not None:
        other = Order.objects.filter(pk=machine.order_id).values_list("number", flat=True).first()
        raise ValidationError(
            {
                "machine": _("Machine %(serial)s is already assigned to order %(number)s.")
                % {"serial": machine.serial_number, "number": other or machine.order_id}
            }
        )
    if Transport.objects.filter(order=order, departed_at__isnull=False).exists():
        raise ValidationError({"machine": _("The machine has left for the customer: it can no longer be changed.")})
    for previous in Machine.objects.select_for_update().filter(order=order):
        previous.order = None
        previous.save()
    machine.order = order
    machine.save()
    return machine


def machines_in_stock(user: User, *, product_id=None) -> QuerySet[Machine]:
    """Machines not assigned to any order, oldest in stock first."""
    qs = visible(user, Machine).filter(order__isnull=True).select_related("product")
    if product_id:
        qs = qs.filter(product_id=product_id)
    return qs.order_by("in_stock_since", "serial_number")


def stock_for(user: User, order: Order) -> list[Machine]:
    """The machines of the ordered model one may assign to ``order``."""
    return list(machines_in_stock(user, product_id=order.product_id)[:50])


# ------------------------------------------------------------------------------------------ preparation
def _default_details(kind: str) -> dict:
    if kind == Kind.ACCESSORIES:
        return {"accessories": [{"name": n, "ticked": False} for n in rules.DEFAULT_ACCESSORIES]}
    return {}


def preparation_rows(order: Order) -> list[PreparationItem]:
    """The preparation checklist in the checklist's order; the rows are created the first time."""
    rows = {r.kind: r for r in PreparationItem.objects.filter(order=order).select_related("done_by")}
    missing = [k for k in Kind.values if k not in rows]
    if missing:
        with transaction.atomic():
            for kind in missing:
                rows[kind], _created = PreparationItem.objects.get_or_create(
                    order=order, kind=kind, defaults={"company_id": order.company_id, "details": _default_details(kind)}
                )
    return [rows[k] for k in Kind.values]


def _item(actor: User, order: Order, kind: str) -> PreparationItem:
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown preparation item.")})
    preparation_rows(order)
    item = PreparationItem.objects.select_for_update().get(order=order, kind=kind)
    _require(actor, item, _("You may not tick the preparation of this order."))
    if Transport.objects.filter(order=order, departed_at__isnull=False).exists():
        raise ValidationError({"kind": _("The machine has left: the preparation can no longer change.")})
    return item


def carriers_for(user: User) -> QuerySet[IndustryContact]:
    """The flatbed logistics contacts (平板车物流) the user may see."""
    return visible(user, IndustryContact).filter(kind=IndustryContact.Kind.FLATBED).order_by("name", "pk")


def engineers_for(order: Order) -> list[User]:
    """Active service engineers of the company, those covering the customer's region first."""
    qs = (
        User.objects.filter(company_id=order.company_id, is_active=True, user_roles__role=Role.SERVICE)
        .annotate(covers=Count("regions", filter=Q(regions=order.customer.region_id)))
        .order_by("-covers", "display_name", "username")
        .distinct()
    )
    return list(qs)


def _pk(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None


def _tick_transport(actor: User, order: Order, item: PreparationItem, *, carrier, vehicle, driver, driver_phone):
    from customers.services import mobile_or_error

    carrier_row = carriers_for(actor).filter(pk=_pk(carrier)).first() if _pk(carrier) else None
    if carrier_row is None:
        raise ValidationError({"carrier": _("Choose a carrier from the flatbed logistics contacts (平板车物流).")})
    vehicle = _text(vehicle, "vehicle", required=True, max_len=20).upper()
    driver = _text(driver, "driver", required=True, max_len=60)
    phone = mobile_or_error(driver_phone, "driver_phone")
    transport, _created = Transport.objects.select_for_update().get_or_create(
        order=order, defaults={"company_id": order.company_id}
    )
    transport.carrier, transport.vehicle, transport.driver, transport.driver_phone = carrier_row, vehicle, driver, phone
    transport.save()
    item.details = {
        "carrier": carrier_row.pk,
        "carrier_name": carrier_row.name,
        "vehicle": vehicle,
        "driver": driver,
        "driver_phone": phone,
    }


def _tick_engineer(actor: User, order: Order, item: PreparationItem, engineer) -> None:
    pk = _pk(engineer)
    chosen = next((u for u in engineers_for(order) if u.pk == pk), None) if pk else None
    if chosen is None:
        raise ValidationError({"engineer": _("Choose a service engineer.")})
    item.details = {"engineer": chosen.pk, "engineer_name": str(chosen)}
    when = _planned_day(order)
    todo_post(
        user=chosen,
        title=_("Attend the delivery of %(model)s to %(customer)s")
        % {"model": order.product.code, "customer": order.customer.name},
        due=when,
        kind="delivery_attend",
        url=_url("orders:delivery", order.pk),
        key=f"orders.delivery.attend.{order.pk}",
        about=order,
    )


def _planned_day(order: Order) -> dt.date:
    planned = Delivery.objects.filter(order=order).values_list("planned_at", flat=True).first()
    day = timezone.localdate(planned) if planned else order.delivery_on
    return max(day or timezone.localdate(), timezone.localdate())


@transaction.atomic
def preparation_tick(
    *,
    actor: User,
    order: Order,
    kind: str,
    done: bool = True,
    note: str = "",
    carrier=None,
    vehicle: str = "",
    driver: str = "",
    driver_phone: str = "",
    engineer=None,
) -> PreparationItem:
    """Tick (or untick) one item of the preparation checklist; who and when are recorded."""
    item = _item(actor, order, kind)
    if not done:
        item.done_by, item.done_at = None, None
        item.save()
        return item
    note = _text(note, "note", max_len=300)
    if kind in NEEDS_MACHINE and not Machine.objects.filter(order=order).exists():
        raise ValidationError({"machine": _("Assign a machine to the order first.")})
    if kind == Kind.ACCESSORIES:
        entries = item.details.get("accessories", [])
        if not entries:
            raise ValidationError({"accessories": _("The delivery list is empty: list the accessories first.")})
        open_ = [e["name"] for e in entries if not e.get("ticked")]
        if open_:
            raise ValidationError(
                {
                    "accessories": _("Not yet checked against the delivery list: %(names)s.")
                    % {"names": "、".join(open_)}
                }
            )
    elif kind == Kind.TRANSPORT:
        _tick_transport(actor, order, item, carrier=carrier, vehicle=vehicle, driver=driver, driver_phone=driver_phone)
    elif kind == Kind.SERVICE_STAFF:
        _tick_engineer(actor, order, item, engineer)
    item.note = note
    item.done_by, item.done_at = actor, timezone.now()
    item.save()
    if preparation_complete(order):
        _sync(order, actor)
    return item


@transaction.atomic
def accessories_set(*, actor: User, order: Order, names) -> PreparationItem:
    """The delivery list (随机附件), one accessory per entry; entries kept keep their tick. A changed
    list unticks the accessories item."""
    item = _item(actor, order, Kind.ACCESSORIES)
    if isinstance(names, str):
        names = names.splitlines()
    clean: list[str] = []
    for raw in names or []:
        name = " ".join(str(raw).split())
        if not name or name in clean:
            continue
        if len(name) > 60:
            raise ValidationError({"accessories": _("“%(name)s”: at most 60 characters.") % {"name": name[:20]}})
        clean.append(name)
    if not clean:
        raise ValidationError({"accessories": _("List at least one accessory.")})
    if len(clean) > rules.MAX_ACCESSORIES:
        raise ValidationError({"accessories": _("At most %(n)d accessories.") % {"n": rules.MAX_ACCESSORIES}})
    ticked = {e["name"] for e in item.details.get("accessories", []) if e.get("ticked")}
    entries = [{"name": n, "ticked": n in ticked} for n in clean]
    if entries != item.details.get("accessories"):
        item.details = {**item.details, "accessories": entries}
        item.done_by, item.done_at = None, None
        item.save()
    return item


@transaction.atomic
def accessory_tick(*, actor: User, order: Order, index, ticked: bool = True) -> PreparationItem:
    """Tick one accessory of the delivery list as present (or not)."""
    item = _item(actor, order, Kind.ACCESSORIES)
    entries = [dict(e) for e in item.details.get("accessories", [])]
    try:
        i = int(index)
        if not 0 <= i < len(entries):
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"accessory": _("Unknown accessory.")}) from None
    entries[i]["ticked"] = bool(ticked)
    item.details = {**item.details, "accessories": entries}
    if not ticked:
        item.done_by, item.done_at = None, None
    item.save()
    return item


def preparation_complete(order: Order) -> bool:
    """Every item of the preparation checklist is ticked."""
    return PreparationItem.objects.filter(order=order, done_at__isnull=False).count() == len(Kind.values)


# ------------------------------------------------------------------------------------------ release gate
def _down_payment_received_fen(order: Order) -> int:
    from orders.documents import down_payment_received_fen  # lazily: the documents part imports us

    return down_payment_received_fen(order)


def _dossier_complete(order: Order) -> bool:
    from orders.dossier import dossier_complete

    return dossier_complete(order)


def _sync(order: Order, actor: User) -> None:
    """The deal moves forward to the last stage whose gate is met (orders.deals)."""
    from orders.deals import deal_sync

    deal_sync(deal=order.deal, actor=actor)


def contract_signed(order: Order) -> Contract | None:
    return Contract.objects.filter(order=order, signed_on__isnull=False).first()


def release_blockers(order: Order) -> list[tuple[Blocker, str]]:
    """Every unmet condition of the release gate, in words."""
    received = _down_payment_received_fen(order)
    prep = preparation_rows(order)
    blockers = rules.release_blockers(
        machine_assigned=Machine.objects.filter(order=order).exists(),
        contract_signed=contract_signed(order) is not None,
        down_payment_fen=order.down_payment_fen,
        down_payment_received_fen=received,
        dossier_complete=_dossier_complete(order),
        preparation_complete=all(r.done_at for r in prep),
    )
    words = {
        Blocker.NO_MACHINE: _("no machine is assigned to the order"),
        Blocker.CONTRACT: _("the contract is not signed"),
        Blocker.DOWN_PAYMENT: _("the down payment is not received in full (%(got)s of %(due)s yuan)")
        % {"got": _yuan(received), "due": _yuan(order.down_payment_fen)},
        Blocker.DOSSIER: _("the instalment dossier is not complete and verified"),
        Blocker.PREPARATION: _("the preparation is not complete (%(items)s)")
        % {"items": "、".join(str(r.get_kind_display()) for r in prep if not r.done_at)},
    }
    return [(b, words[b]) for b in blockers]


# ------------------------------------------------------------------------------------------ transport
def _transport(actor: User, order: Order, *, lock: bool = True) -> Transport:
    qs = Transport.objects.select_for_update() if lock else Transport.objects
    transport, _created = qs.get_or_create(order=order, defaults={"company_id": order.company_id})
    _require(actor, transport, _("You may not record the transport of this order."))
    return transport


def _on_the_road(transport: Transport, field: str) -> None:
    if transport.departed_at is None:
        raise ValidationError({field: _("The machine has not left yet: record its departure first.")})
    if transport.arrived_at is not None:
        raise ValidationError(
            {field: _("The machine arrived at %(at)s already.") % {"at": _local(transport.arrived_at)}}
        )


@transaction.atomic
def transport_depart(*, actor: User, order: Order, eta, at=None) -> Transport:
    """The machine leaves: only through the release gate, with an expected arrival."""
    transport = _transport(actor, order)
    if transport.departed_at is not None:
        raise ValidationError(
            {"departed_at": _("The machine left at %(at)s already.") % {"at": _local(transport.departed_at)}}
        )
    blockers = release_blockers(order)
    if blockers:
        raise ValidationError(
            {
                "release": _("The machine may not leave yet: %(reasons)s.")
                % {"reasons": "；".join(w for _b, w in blockers)}
            }
        )
    at = _moment(at, "departed_at", required=False) or timezone.now()
    _not_future(at, "departed_at")
    eta = _moment(eta, "eta")
    if eta <= at:
        raise ValidationError({"eta": _("The expected arrival must be after the departure.")})
    transport.departed_at, transport.eta = at, eta
    transport.save()
    notify(
        user=_salesperson(order),
        title=_("The machine for %(customer)s has left; expected %(eta)s")
        % {"customer": order.customer.name, "eta": _local(eta)},
        url=_url("orders:transport", order.pk),
    )
    return transport


def _event(transport: Transport, actor: User, kind: str, **fields) -> TransportEvent:
    return TransportEvent.objects.create(transport=transport, kind=kind, at=timezone.now(), by=actor, **fields)


@transaction.atomic
def transport_position(*, actor: User, order: Order, place: str, note: str = "") -> TransportEvent:
    transport = _transport(actor, order)
    _on_the_road(transport, "place")
    place = _text(place, "place", required=True, max_len=100)
    return _event(transport, actor, TransportEvent.Kind.POSITION, place=place, note=_text(note, "note"))


@transaction.atomic
def transport_incident(*, actor: User, order: Order, note: str, place: str = "") -> TransportEvent:
    transport = _transport(actor, order)
    _on_the_road(transport, "note")
    note = _text(note, "note", required=True)
    return _event(transport, actor, TransportEvent.Kind.INCIDENT, place=_text(place, "place", max_len=100), note=note)


@transaction.atomic
def transport_delay(*, actor: User, order: Order, note: str, new_eta, place: str = "") -> TransportEvent:
    """A delay: the reason, the new arrival time (later than the one expected); the salesperson gets a
    to-do to reassure the customer."""
    transport = _transport(actor, order)
    _on_the_road(transport, "new_eta")
    note = _text(note, "note", required=True)
    new_eta = _moment(new_eta, "new_eta")
    if new_eta <= timezone.now():
        raise ValidationError({"new_eta": _("The new arrival time must be in the future.")})
    if transport.eta and new_eta <= transport.eta:
        raise ValidationError(
            {"new_eta": _("A delay moves the arrival later than %(eta)s.") % {"eta": _local(transport.eta)}}
        )
    event = _event(
        transport,
        actor,
        TransportEvent.Kind.DELAY,
        place=_text(place, "place", max_len=100),
        note=note,
        new_eta=new_eta,
    )
    transport.eta = new_eta
    transport.save()
    todo_post(
        user=_salesperson(order),
        title=_("Reassure %(customer)s: the machine is delayed until %(eta)s")
        % {"customer": order.customer.name, "eta": _local(new_eta)},
        due=timezone.localdate(),
        kind="transport_delay",
        url=_url("orders:transport", order.pk),
        note=note,
        key=f"orders.transport.delay.{event.pk}",
        about=order,
    )
    return event


@transaction.atomic
def transport_arrive(*, actor: User, order: Order, at=None) -> Transport:
    transport = _transport(actor, order)
    _on_the_road(transport, "arrived_at")
    at = _moment(at, "arrived_at", required=False) or timezone.now()
    _not_future(at, "arrived_at")
    if at < transport.departed_at:
        raise ValidationError({"arrived_at": _("The arrival cannot be before the departure.")})
    transport.arrived_at = at
    transport.save()
    return transport


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # departed, position, incident, delay, arrived
    label: str
    at: dt.datetime
    place: str = ""
    note: str = ""
    new_eta: dt.datetime | None = None
    by: str = ""


def timeline(transport: Transport | None) -> list[TimelineEntry]:
    """Departure, the events and the arrival, in time order (one query for the events)."""
    if transport is None or transport.pk is None:
        return []
    out = []
    if transport.departed_at:
        out.append(TimelineEntry("departed", _("Departed"), transport.departed_at))
    labels = dict(TransportEvent.Kind.choices)
    for e in transport.events.select_related("by").order_by("at", "id"):
        out.append(TimelineEntry(e.kind, str(labels[e.kind]), e.at, e.place, e.note, e.new_eta, str(e.by)))
    if transport.arrived_at:
        out.append(TimelineEntry("arrived", _("Arrived"), transport.arrived_at))
    return out


# ------------------------------------------------------------------------------------------ ceremony
def _almanac(day: dt.date) -> rules.AlmanacDay:
    import cnlunar  # MIT; 《钦定协纪辨方书》 宜/忌 per day and the lucky double-hours

    lunar = cnlunar.Lunar(dt.datetime.combine(day, dt.time(12, 0)), godType="8char")
    lucky_list = lunar.get_twohourLuckyList()
    return rules.AlmanacDay(
        day=day,
        good=tuple(lunar.goodThing),
        bad=tuple(lunar.badThing),
        lucky=tuple(v == "吉" for v in lucky_list[:12]),
    )


@dataclass(frozen=True)
class DayMark:
    holiday: str  # the statutory holiday's name, "" when none
    makeup_workday: bool  # a weekend day worked in lieu (调休上班)
    weekend: bool
    known: bool  # the State Council's calendar for the year is published (chinese_calendar has it)


def day_mark(day: dt.date) -> DayMark:
    import chinese_calendar

    weekend = day.weekday() >= 5
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
    except NotImplementedError:  # the year's calendar is not published yet
        return DayMark("", False, weekend, False)
    holiday = ""
    if on_holiday and name:
        try:
            holiday = chinese_calendar.Holiday(name).chinese
        except ValueError:
            holiday = str(name)
    return DayMark(holiday, workday and weekend, weekend, True)


@dataclass(frozen=True)
class DaySuggestion:
    day: dt.date
    matched: tuple[str, ...]
    lucky_hours: tuple[rules.LuckyHour, ...]
    mark: DayMark


def auspicious_suggestions(start: dt.date | None = None, days: int = rules.SUGGESTION_DAYS) -> list[DaySuggestion]:
    """The auspicious days of the next ``days`` days from ``start`` (default today), with the
    statutory holidays and make-up workdays."""
    start = start or timezone.localdate()
    almanac = [_almanac(start + dt.timedelta(days=i)) for i in range(days)]
    return [DaySuggestion(s.day, s.matched, s.lucky_hours, day_mark(s.day)) for s in rules.auspicious_days(almanac)]


def _delivery(actor: User | None, order: Order, *, lock: bool = True) -> Delivery:
    qs = Delivery.objects.select_for_update() if lock else Delivery.objects
    row, _created = qs.get_or_create(order=order, defaults={"company_id": order.company_id})
    if actor is not None:
        _require(actor, row, _("You may not record the delivery of this order."))
    return row


@transaction.atomic
def delivery_plan(*, actor: User, order: Order, planned_at, customs: str = "") -> Delivery:
    """The ceremony's time (not in the past, not before the contract is signed) and notes on local customs."""
    delivery = _delivery(actor, order)
    if delivery.delivered_at:
        raise ValidationError({"planned_at": _("The machine was delivered already.")})
    planned = _moment(planned_at, "planned_at")
    if timezone.localdate(planned) < timezone.localdate():
        raise ValidationError({"planned_at": _("The ceremony cannot be planned in the past.")})
    contract = contract_signed(order)
    if contract and timezone.localdate(planned) < contract.signed_on:
        raise ValidationError(
            {
                "planned_at": _("The delivery date is before the contract was signed (%(signed)s).")
                % {"signed": contract.signed_on}
            }
        )
    delivery.planned_at = planned
    delivery.customs = _text(customs, "customs", max_len=2000) if customs is not None else delivery.customs
    delivery.save()
    engineer = _engineer_of(order)
    if engineer is not None:  # the engineer's to-do moves to the ceremony's day
        todo_post(
            user=engineer,
            title=_("Attend the delivery of %(model)s to %(customer)s")
            % {"model": order.product.code, "customer": order.customer.name},
            due=timezone.localdate(planned),
            kind="delivery_attend",
            url=_url("orders:delivery", order.pk),
            key=f"orders.delivery.attend.{order.pk}",
            about=order,
        )
    return delivery


def _engineer_of(order: Order) -> User | None:
    details = (
        PreparationItem.objects.filter(order=order, kind=Kind.SERVICE_STAFF, done_at__isnull=False)
        .values_list("details", flat=True)
        .first()
    )
    pk = _pk((details or {}).get("engineer"))
    return User.objects.filter(pk=pk, company_id=order.company_id).first() if pk else None


def _hour_meter(value) -> Decimal:
    if value in (None, ""):
        raise ValidationError({"hour_meter": _("Read the hour meter (hours) at delivery.")})
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"hour_meter": _("Enter a number of hours.")}) from None
    if not hours.is_finite() or not 0 <= hours <= Decimal("99999.9"):
        raise ValidationError({"hour_meter": _("Between 0 and 99999.9 hours.")})
    return hours.quantize(Decimal("0.1"))


def _checked_photo(order: Order, upload) -> bytes:
    """The photo of the signed delivery list, verified and re-encoded like visit photos."""
    from core.images import checked_photo
    from visits.method import settings_for

    return checked_photo(
        upload,
        field="checklist_photo",
        max_mb=settings_for(order.company_id).photo_max_mb,
        missing=_("Take a photo of the delivery list signed by the customer."),
    )


def _check_delivery(actor: User, order: Order, delivered_at, hour_meter) -> tuple[dt.datetime, Decimal, Contract]:
    """The refusals of delivery_done that need no photo (also run before the photo is decoded)."""
    delivery = _delivery(actor, order, lock=False)
    if delivery.delivered_at:
        raise ValidationError(
            {"delivered_at": _("The machine was delivered at %(at)s already.") % {"at": _local(delivery.delivered_at)}}
        )
    transport = Transport.objects.filter(order=order).first()
    if transport is None or transport.departed_at is None:
        raise ValidationError({"transport": _("The machine has not left yet: it cannot be delivered.")})
    if transport.arrived_at is None:
        raise ValidationError({"transport": _("The machine has not arrived yet: record its arrival first.")})
    when = _moment(delivered_at, "delivered_at")
    _not_future(when, "delivered_at")
    contract = contract_signed(order)
    if contract is None:
        raise ValidationError({"delivered_at": _("The contract is not signed: the machine cannot be delivered.")})
    if timezone.localdate(when) < contract.signed_on:
        raise ValidationError(
            {
                "delivered_at": _("The delivery date (%(day)s) is before the contract was signed (%(signed)s).")
                % {"day": timezone.localdate(when), "signed": contract.signed_on}
            }
        )
    if when < transport.arrived_at.replace(second=0, microsecond=0):  # a form gives minutes
        raise ValidationError(
            {
                "delivered_at": _("The delivery cannot be before the machine arrived (%(at)s).")
                % {"at": _local(transport.arrived_at)}
            }
        )
    return when, _hour_meter(hour_meter), contract


def delivery_done(*, actor: User, order: Order, delivered_at, checklist_photo, hour_meter) -> Delivery:
    """The machine is handed over; see the module's decisions for everything that follows in the
    same transaction. The photo is checked and decoded first, outside the transaction (as visit
    photos are); the stored file is removed again when the transaction fails."""
    _check_delivery(actor, order, delivered_at, hour_meter)
    image = _checked_photo(order, checklist_photo)
    delivery = _delivery(actor, order, lock=False)
    name = f"{order.pk}-{secrets.token_hex(8)}.jpg"
    delivery.checklist_photo.save(name, ContentFile(image), save=False)
    stored = delivery.checklist_photo.name
    try:
        with transaction.atomic():
            return _deliver(actor, order, delivered_at, hour_meter, stored)
    except BaseException:
        delivery.checklist_photo.storage.delete(stored)
        raise


def _deliver(actor: User, order: Order, delivered_at, hour_meter, photo_name: str) -> Delivery:
    delivery = _delivery(actor, order)  # locked: a second delivery waits, then is refused
    when, hours, contract = _check_delivery(actor, order, delivered_at, hour_meter)
    machine = Machine.objects.select_related("product").get(order=order)
    delivery.delivered_at, delivery.hour_meter, delivery.by = when, hours, actor
    delivery.checklist_photo.name = photo_name
    delivery.save()
    day = timezone.localdate(when)
    salesperson = _salesperson(order)
    customer = Customer.objects.select_for_update().get(pk=order.customer_id)

    # the follow-up visit within 3 days
    follow_up = rules.follow_up_due(day)
    todo_post(
        user=salesperson,
        title=_("Follow-up visit to %(customer)s within 3 days of delivery") % {"customer": customer.name},
        due=follow_up,
        kind="delivery_followup",
        url=_url("customers:detail", customer.pk),
        key=f"orders.delivery.followup.{order.pk}",
        about=order,
    )
    _plan_visit(salesperson, customer, max(follow_up, timezone.localdate()))

    # the first maintenance, reminded ahead and attended with the engineer
    due = rules.first_maintenance(day, hours, daily_hours=_daily_hours(order))
    engineer = _engineer_of(order)
    title = _("First maintenance of %(serial)s due %(date)s (or at %(hours)s h); attend with the engineer") % {
        "serial": machine.serial_number,
        "date": due.due_on.isoformat(),
        "hours": f"{due.due_hours:.0f}",
    }
    for user in {salesperson, *([engineer] if engineer else [])}:
        todo_post(
            user=user,
            title=title,
            due=due.remind_on,
            kind="first_maintenance",
            url=_url("orders:delivery", order.pk),
            note=_("%(customer)s · %(model)s · delivered %(day)s with %(hours)s h on the meter")
            % {"customer": customer.name, "model": machine.product.code, "day": day.isoformat(), "hours": hours},
            key=f"orders.maintenance.first.{order.pk}",
            about=order,
        )

    # the customer becomes an owner
    _make_owner(actor, salesperson, customer, machine)

    # the instalment schedule goes to receivables
    contract.handed_to_receivables_at = timezone.now()
    contract.save()
    schedule_ready.send(sender=Contract, contract=contract)

    # the deal moves to its won stage
    _sync(order, actor)
    return delivery


def _daily_hours(order: Order) -> Decimal | None:
    """The expected daily use from the agreed benefit account (monthly hours / 30), if known."""
    account = order.account or {}
    for key in ("hours_per_month", "monthly_hours", "hours"):
        try:
            monthly = Decimal(str(account[key]))
        except (KeyError, InvalidOperation, ValueError, TypeError):
            continue
        if monthly.is_finite() and monthly > 0:
            return monthly / 30
    return None


def _plan_visit(salesperson: User, customer: Customer, day: dt.date) -> None:
    """A planned follow-up visit on the salesperson's plan when they may visit the customer."""
    from visits.services import visit_open

    if can(salesperson, customer, Action.CHANGE) and not customer.merged_into_id:
        visit_open(actor=salesperson, customer=customer, day=day)


def _make_owner(actor: User, salesperson: User, customer: Customer, machine: Machine) -> None:
    """Maintenance tier silver when empty (with its history), one more machine owned, and the
    machine in the customer's list — through the customers' services as whoever may change the
    customer (the one delivering, else the deal's salesperson); directly when neither may."""
    from customers import services as customer_services

    writer = next((u for u in (actor, salesperson) if can(u, customer, Action.CHANGE)), None)
    brand = machine.product.brand or str(machine.product.name)
    reason = _("Machine %(serial)s delivered") % {"serial": machine.serial_number}
    if writer is not None:
        if not customer.tier:
            customer = customer_services.tier_set(actor=writer, customer=customer, tier=Tier.SILVER, reason=reason)
        customer_services.machine_add(actor=writer, customer=customer, brand=brand, model=machine.product.code)
    else:
        if not customer.tier:
            StatusChange.objects.create(
                company_id=customer.company_id,
                customer=customer,
                kind=StatusChange.Kind.TIER,
                old="",
                new=Tier.SILVER,
                reason=reason,
                at=timezone.now(),
                by=actor,
            )
            customer.tier = Tier.SILVER
            customer.save(update_fields=["tier"])
        CustomerMachine.objects.create(
            company_id=customer.company_id, customer=customer, brand=brand[:60], model=machine.product.code
        )
    customer.refresh_from_db(fields=["machine_count"])
    customer.machine_count = (customer.machine_count or 0) + 1
    customer.save(update_fields=["machine_count"])


# ------------------------------------------------------------------------------------------ reads
def deliveries(user: User) -> QuerySet[Order]:
    """Confirmed orders not delivered yet that the user may follow, the earliest delivery date first,
    with their machine, transport and planned ceremony (one query per page)."""
    return (
        orders_reachable(user)
        .filter(confirmed_at__isnull=False)
        .exclude(delivery__delivered_at__isnull=False)
        .select_related("customer", "product", "machine", "transport", "delivery", "deal__salesperson")
        .order_by("delivery_on", "pk")
    )


@dataclass
class OrderState:
    """What the machine, transport and delivery pages show of an order (a fixed number of queries)."""

    order: Order
    machine: Machine | None
    items: list[PreparationItem]
    transport: Transport | None
    delivery: Delivery | None
    contract: Contract | None

    @property
    def prepared(self) -> bool:
        return all(i.done_at for i in self.items)

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done_at)


def order_state(order: Order) -> OrderState:
    return OrderState(
        order=order,
        machine=Machine.objects.select_related("product").filter(order=order).first(),
        items=preparation_rows(order),
        transport=Transport.objects.select_related("carrier").filter(order=order).first(),
        delivery=Delivery.objects.select_related("by").filter(order=order).first(),
        contract=Contract.objects.filter(order=order).first(),
    )
