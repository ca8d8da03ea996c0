"""Pages of the machine, its preparation, the transport and the delivery ceremony (整机·整备·运输·交车).
Thin: parse, call orders.delivery, render.

Every POST works as a plain form post (redirect back to the page; refused input re-renders the page
with HTTP 422 and the messages naming the field) and as an htmx request (the page's panel is
swapped in place). The photo of the signed delivery list is streamed by ``delivery_photo`` after a
visibility check — never from a public /media/ URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.files import file_response
from core.models import Role
from core.visibility import Action, can, get_or_404, may
from pitch.models import Product

from . import delivery as services
from .domain import delivery as rules
from .models import Delivery, Machine, PreparationItem, TransportEvent

LABELS = {
    "machine": gettext_lazy("Machine"),
    "product": gettext_lazy("Model"),
    "serial_number": gettext_lazy("Serial number"),
    "engine_number": gettext_lazy("Engine number"),
    "telematics_id": gettext_lazy("Telematics device id"),
    "kind": gettext_lazy("Preparation item"),
    "note": gettext_lazy("Note"),
    "carrier": gettext_lazy("Carrier"),
    "vehicle": gettext_lazy("Vehicle"),
    "driver": gettext_lazy("Driver"),
    "driver_phone": gettext_lazy("Driver's mobile"),
    "engineer": gettext_lazy("Service engineer"),
    "accessories": gettext_lazy("Delivery list"),
    "accessory": gettext_lazy("Accessory"),
    "release": gettext_lazy("Release"),
    "departed_at": gettext_lazy("Departure"),
    "eta": gettext_lazy("Expected arrival"),
    "place": gettext_lazy("Place"),
    "new_eta": gettext_lazy("New expected arrival"),
    "arrived_at": gettext_lazy("Arrival"),
    "planned_at": gettext_lazy("Ceremony time"),
    "customs": gettext_lazy("Local customs"),
    "transport": gettext_lazy("Transport"),
    "delivered_at": gettext_lazy("Delivered at"),
    "hour_meter": gettext_lazy("Hour meter"),
    "checklist_photo": gettext_lazy("Photo of the signed delivery list"),
}


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": exc.messages}
    return dict(exc.message_dict)


def _error_lines(errors: dict[str, list[str]]) -> list[str]:
    lines = []
    for field, errs in errors.items():
        label = LABELS.get(field)
        lines.extend(f"{label}：{e}" if label else e for e in errs)
    return lines


# ------------------------------------------------------------------------------------------ pages
PAGES = {
    "machine": "orders/delivery/machine.html",
    "transport": "orders/delivery/transport.html",
    "delivery": "orders/delivery/delivery.html",
}


def _context(request, order, page: str, *, errors=None, values=None) -> dict:
    user = request.user
    state = services.order_state(order)
    ctx = {
        "order": order,
        "customer": order.customer,
        "s": state,
        "page": page,
        "errors": errors or {},
        "error_lines": _error_lines(errors or {}),
        "values": values or {},
        # preparation, transport and delivery share one policy (the order's customer, the region's
        # service engineers and finance)
        "can_change": can(user, state.items[0], Action.CHANGE),
        "departed": bool(state.transport and state.transport.departed_at),
        "arrived": bool(state.transport and state.transport.arrived_at),
        "delivered": bool(state.delivery and state.delivery.delivered_at),
        "now": timezone.localtime(),
    }
    if page == "machine":
        ctx["may_machines"] = may(user, Machine, Action.CHANGE)
        ctx["stock"] = services.stock_for(user, order) if ctx["may_machines"] and not ctx["departed"] else []
        ctx["carriers"] = list(services.carriers_for(user)[:100])
        ctx["engineers"] = services.engineers_for(order)
        ctx["kinds"] = PreparationItem.Kind
    elif page == "transport":
        ctx["blockers"] = services.release_blockers(order) if not ctx["departed"] else []
        ctx["timeline"] = services.timeline(state.transport)
        ctx["event_kinds"] = TransportEvent.Kind
    else:
        ctx["suggestions"] = services.auspicious_suggestions()
        ctx["wanted"] = "、".join(rules.WANTED_ACTIVITIES)
        ctx["days"] = rules.SUGGESTION_DAYS
        ctx["follow_up_days"] = rules.FOLLOW_UP_DAYS
    return ctx


def _render(request, order, page: str, *, status: int = 200, **kwargs):
    template = PAGES[page] + ("#panel" if _htmx(request) else "")
    return render(request, template, _context(request, order, page, **kwargs), status=status)


def _page(page: str):
    def view(request, order_id: int):
        order = services.order_for(request.user, order_id)
        return _render(request, order, page)

    view.__name__ = page
    return require_GET(view)


machine = _page("machine")
transport = _page("transport")
delivery = _page("delivery")


def _post(page: str, action, notice: str, *, values=None):
    """Run ``action(request, order)``; the page (or its panel) with the notice, or with the refusal."""

    @require_POST
    def view(request, order_id: int):
        order = services.order_for(request.user, order_id)
        try:
            action(request, order)
        except PermissionError as exc:
            message = str(exc) or _("Your role may not do this.")
            if _htmx(request):
                return _render(request, order, page, status=403, errors={"__all__": [message]})
            return render(request, "403.html", {"message": message}, status=403)
        except ValidationError as exc:
            return _render(request, order, page, status=422, errors=_errors_of(exc), values=request.POST.dict())
        if _htmx(request):
            response = _render(request, order, page)
            response["HX-Trigger"] = "orders-delivery-changed"
            return response
        messages.success(request, str(notice))
        return redirect(f"orders:{page}", order_id=order.pk)

    return view


def _machine_of(request, order):
    return get_or_404(request.user, Machine, request.POST.get("machine") or 0, Action.CHANGE)


machine_assign = _post(
    "machine",
    lambda r, o: services.machine_assign(actor=r.user, order=o, machine=_machine_of(r, o)),
    gettext_lazy("Machine assigned."),
)


def _register_and_assign(request, order):
    new = services.machine_register(
        actor=request.user,
        product=order.product,
        serial_number=request.POST.get("serial_number", ""),
        engine_number=request.POST.get("engine_number", ""),
        telematics_id=request.POST.get("telematics_id", ""),
    )
    services.machine_assign(actor=request.user, order=order, machine=new)


machine_register = _post("machine", _register_and_assign, gettext_lazy("Machine registered and assigned."))


def _tick(request, order):
    p = request.POST
    services.preparation_tick(
        actor=request.user,
        order=order,
        kind=p.get("kind", ""),
        done=p.get("done", "1") != "0",
        note=p.get("note", ""),
        carrier=p.get("carrier"),
        vehicle=p.get("vehicle", ""),
        driver=p.get("driver", ""),
        driver_phone=p.get("driver_phone", ""),
        engineer=p.get("engineer"),
    )


preparation_tick = _post("machine", _tick, gettext_lazy("Preparation updated."))
accessories_set = _post(
    "machine",
    lambda r, o: services.accessories_set(actor=r.user, order=o, names=r.POST.get("accessories", "")),
    gettext_lazy("Delivery list saved."),
)
accessory_tick = _post(
    "machine",
    lambda r, o: services.accessory_tick(
        actor=r.user, order=o, index=r.POST.get("index"), ticked=r.POST.get("ticked", "1") != "0"
    ),
    gettext_lazy("Accessory checked."),
)
transport_depart = _post(
    "transport",
    lambda r, o: services.transport_depart(actor=r.user, order=o, eta=r.POST.get("eta")),
    gettext_lazy("Departure recorded."),
)


def _event(request, order):
    p = request.POST
    kind = p.get("kind", "")
    if kind == TransportEvent.Kind.POSITION:
        services.transport_position(actor=request.user, order=order, place=p.get("place", ""), note=p.get("note", ""))
    elif kind == TransportEvent.Kind.INCIDENT:
        services.transport_incident(actor=request.user, order=order, note=p.get("note", ""), place=p.get("place", ""))
    elif kind == TransportEvent.Kind.DELAY:
        services.transport_delay(
            actor=request.user, order=order, note=p.get("note", ""), new_eta=p.get("new_eta"), place=p.get("place", "")
        )
    else:
        raise ValidationError({"kind": _("Choose position, incident or delay.")})


transport_event = _post("transport", _event, gettext_lazy("Transport updated."))
transport_arrive = _post(
    "transport",
    lambda r, o: services.transport_arrive(actor=r.user, order=o),
    gettext_lazy("Arrival recorded."),
)
delivery_plan = _post(
    "delivery",
    lambda r, o: services.delivery_plan(
        actor=r.user, order=o, planned_at=r.POST.get("planned_at"), customs=r.POST.get("customs", "")
    ),
    gettext_lazy("Ceremony planned."),
)
delivery_done = _post(
    "delivery",
    lambda r, o: services.delivery_done(
        actor=r.user,
        order=o,
        delivered_at=r.POST.get("delivered_at"),
        checklist_photo=r.FILES.get("checklist_photo"),
        hour_meter=r.POST.get("hour_meter"),
    ),
    gettext_lazy("Delivered. The follow-up visit and the first maintenance are on the to-do lists."),
)


@require_GET
def delivery_photo(request, order_id: int):
    """The photo of the signed delivery list, to whoever may see the delivery; private cache."""
    order = services.order_for(request.user, order_id)
    row = Delivery.objects.filter(order=order).first()
    if row is None or not row.checklist_photo or not can(request.user, row, Action.VIEW):
        raise Http404
    return file_response(row.checklist_photo, f"delivery-{order.pk}.jpg")


# ------------------------------------------------------------------------------------------ lists
STOCK_PAGE = 50


@require_GET
def deliveries(request):
    """Orders on their way to the customer (machine, preparation, transport, ceremony)."""
    page = Paginator(services.deliveries(request.user), STOCK_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/delivery/deliveries.html", {"page_obj": page, "rows": page.object_list})


def machines(request):
    """Managers, service and administrators: the machines in stock (GET) and registering one (POST)."""
    user = request.user
    if not user.has_role(Role.MANAGER, Role.SERVICE, Role.ADMIN):
        return render(
            request, "403.html", {"message": _("Only managers and service engineers keep the stock.")}, status=403
        )
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.POST.dict()
        product = Product.objects.filter(company_id=user.company_id, pk=_int(values.get("product"))).first()
        try:
            row = services.machine_register(
                actor=user,
                product=product,
                serial_number=values.get("serial_number", ""),
                engine_number=values.get("engine_number", ""),
                telematics_id=values.get("telematics_id", ""),
            )
        except PermissionError as exc:
            return render(request, "403.html", {"message": str(exc)}, status=403)
        except ValidationError as exc:
            errors, status = _errors_of(exc), 422
        else:
            messages.success(request, _("Machine %(serial)s registered.") % {"serial": row.serial_number})
            return redirect("orders:machines")
    product_id = _int(request.GET.get("product"))
    page = Paginator(services.machines_in_stock(user, product_id=product_id), STOCK_PAGE).get_page(
        request.GET.get("page")
    )
    ctx = {
        "page_obj": page,
        "rows": page.object_list,
        "products": list(Product.objects.filter(company_id=user.company_id, active=True).order_by("code")),
        "product_id": product_id,
        "errors": errors,
        "error_lines": _error_lines(errors),
        "values": values,
        "may_register": may(user, Machine, Action.CHANGE),
    }
    return render(request, "orders/delivery/machines.html", ctx, status=status)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
