"""API of the instalment dossier (分期资料); see core/api.py for the conventions.

    GET  /api/orders/orders/{order_id}/dossier            the checklist, its status, complete or not
    POST /api/orders/orders/{order_id}/dossier/install    set up / update the checklist's rows
    POST /api/orders/orders/{order_id}/dossier/marital    {"married": true | false}
    POST /api/orders/dossier/{item_id}/upload             multipart: file, person_name, id_number
    POST /api/orders/dossier/{item_id}/verify             finance of the region
    POST /api/orders/dossier/{item_id}/reject             {"reason": "…"}; finance of the region
    GET  /api/orders/dossier/waiting                      finance: the dossiers waiting in its regions

Same services and visibility as the pages. Identity-card numbers are only ever returned masked
(the page reveals them to finance and administrators, logged). File addresses point at the
``orders:dossier_file`` view (visibility checked).
"""

from __future__ import annotations

from django.urls import reverse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from core import sensitive
from core.api import check_query, paginate
from core.visibility import Action, get_or_404

from . import dossier as services
from .domain import dossier as rules
from .models import DossierItem, Order

router = Router(tags=["orders"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def item_out(item: DossierItem) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "label": str(item.get_kind_display()),
        "required": item.required,
        "condition": item.condition,
        "status": services.item_status(item),
        "person_name": item.person_name,
        "id_number_masked": sensitive.mask(item.id_number),
        "file_url": reverse("orders:dossier_file", args=[item.pk]) if item.file else None,
        "uploaded_by": item.uploaded_by_id,
        "uploaded_at": _iso(item.uploaded_at),
        "verified_by": item.verified_by_id if item.verified_at else None,
        "verified_at": _iso(item.verified_at),
        "refused_by": item.verified_by_id if item.rejected_reason else None,
        "refused_reason": item.rejected_reason,
    }


def dossier_out(order: Order) -> dict:
    items = list(DossierItem.objects.filter(order=order))
    position = {kind: n for n, kind in enumerate(rules.ORDER)}
    items.sort(key=lambda i: (not i.required, position.get(i.kind, 99), i.pk))
    rows = [rules.Row(i.kind, i.required, i.condition, bool(i.file)) for i in items]
    return {
        "order": order.pk,
        "number": order.number,
        "customer": order.customer_id,
        "instalment": services.is_instalment(order),
        "complete": services.dossier_complete(order),
        "needs_install": services.is_instalment(order) and services.needs_install(order),
        "married": rules.married_from_rows(rows),
        "items": [item_out(i) for i in items],
    }


def _order(request, order_id: int) -> Order:
    return get_or_404(
        request.user, Order, order_id, Action.VIEW, queryset=Order.objects.select_related("customer", "policy")
    )


def _item(request, item_id: int, action: Action) -> DossierItem:
    return get_or_404(request.user, DossierItem, item_id, action)


@router.get("/orders/orders/{int:order_id}/dossier")
def dossier_get(request, order_id: int):
    """The order's checklist: each document's status (missing / uploaded / verified / refused)."""
    check_query(request, set())
    return dossier_out(_order(request, order_id))


@router.post("/orders/orders/{int:order_id}/dossier/install")
def dossier_install(request, order_id: int):
    """Set up the checklist for the order's policy, or bring it up to date after a change."""
    order = _order(request, order_id)
    services.dossier_install(order=order, actor=request.user)
    return dossier_out(order)


class MaritalIn(Schema):
    married: bool


@router.post("/orders/orders/{int:order_id}/dossier/marital")
def dossier_marital(request, order_id: int, payload: MaritalIn):
    """The buyer's marital status: married → the spouse's identity card and marriage certificate."""
    order = _order(request, order_id)
    services.dossier_marital(actor=request.user, order=order, married=payload.married)
    return dossier_out(order)


@router.post("/orders/dossier/{int:item_id}/upload")
def dossier_upload(
    request,
    item_id: int,
    file: File[UploadedFile] = None,
    person_name: Form[str] = "",
    id_number: Form[str] = "",
):
    """Multipart: ``file`` (JPEG, PNG or PDF by content, at most 10 MB), ``person_name`` and, for an
    identity card, ``id_number`` (check digit validated, stored encrypted, returned masked)."""
    item = _item(request, item_id, Action.CHANGE)
    done = services.dossier_upload(
        actor=request.user, item=item, file=file, person_name=person_name, id_number=id_number or None
    )
    return item_out(done)


@router.post("/orders/dossier/{int:item_id}/verify")
def dossier_verify(request, item_id: int):
    """Finance of the customer's region verified the document against the original."""
    item = _item(request, item_id, Action.VIEW)
    return item_out(services.dossier_verify(actor=request.user, item=item))


class RejectIn(Schema):
    reason: str = ""


@router.post("/orders/dossier/{int:item_id}/reject")
def dossier_reject(request, item_id: int, payload: RejectIn):
    """Finance refuses the document with a reason; the salesperson gets a to-do."""
    item = _item(request, item_id, Action.VIEW)
    return item_out(services.dossier_reject(actor=request.user, item=item, reason=payload.reason))


def waiting_out(order: Order) -> dict:
    return {
        "order": order.pk,
        "number": order.number,
        "customer": order.customer_id,
        "customer_name": order.customer.name,
        "region": order.customer.region_id,
        "required": order.n_required,
        "waiting": order.n_waiting,
        "verified": order.n_verified,
        "missing": order.n_missing,
        "refused": order.n_refused,
        "waiting_since": _iso(order.first_upload),
        "url": reverse("orders:dossier", args=[order.pk]),
    }


@router.get("/orders/dossier/waiting")
def dossier_waiting(request):
    """Finance (and administrators): the dossiers of its regions waiting for verification."""
    check_query(request, set())
    if not request.user.has_role(*services.FINANCE_ROLES):
        raise PermissionError
    return paginate(request, services.waiting_orders(request.user), waiting_out)
