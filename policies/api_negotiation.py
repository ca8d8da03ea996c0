"""API of the negotiation guardrails (see core/api.py). Same services and visibility as the pages
(policies/views_negotiation.py):

    POST /api/policies/discounts                       ask for a discount above the limit (201; 200 when
                                                       the same pending request already exists)
    GET  /api/policies/discounts?status=&customer=     the caller's approvals list (a manager's regions,
                                                       an administrator's company; else own requests)
    POST /api/policies/discounts/{id}/decision         {"approve": bool, "note": str}
    POST /api/policies/discounts/{id}/withdraw         the requester takes it back
    POST /api/policies/compensations                   record value-added compensation (201)
    GET  /api/policies/compensations?customer=         the compensations the caller may see
    GET  /api/policies/closing/{customer_id}           the closing prompts (催单) of a customer
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404, visible
from customers.models import Customer

from . import negotiation as svc
from .models import Compensation, DiscountRequest, Quote

router = Router(tags=["policies"])


def request_out(r: DiscountRequest) -> dict:
    return {
        "id": r.pk,
        "customer": r.customer_id,
        "customer_name": r.customer.name,
        "product": r.product_id,
        "product_code": r.product.code,
        "quote": r.quote_id,
        "list_price_fen": r.list_price_fen,
        "discount_fen": r.discount_fen,
        "discount_percent": str(svc.percent_of(r.discount_fen, r.list_price_fen)),
        "reason": r.reason,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "requested_by": r.requested_by_id,
        "requested_by_name": str(r.requested_by),
        "requested_at": r.requested_at.isoformat(),
        "decided_by": r.decided_by_id,
        "decided_by_name": str(r.decided_by) if r.decided_by_id else None,
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
        "decision_note": r.decision_note,
    }


def compensation_out(c: Compensation) -> dict:
    return {
        "id": c.pk,
        "customer": c.customer_id,
        "product": c.product_id,
        "quote": c.quote_id,
        "kind": c.kind,
        "kind_label": str(c.get_kind_display()),
        "description": c.description,
        "value_fen": c.value_fen,
        "by": c.by_id,
        "at": c.at.isoformat(),
    }


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise FilterError({name: [_("Enter a whole number.")]})
    return int(raw)


def _product(user, pk):
    from pitch.models import Product

    return get_or_404(user, Product, pk)


def _quote(user, pk):
    return None if pk is None else get_or_404(user, Quote, pk)


class DiscountIn(Schema):
    customer: int
    product: int
    discount_fen: int
    reason: str = ""
    quote: int | None = None


@router.post("/policies/discounts", response={200: dict, 201: dict})
def discount_create(request, payload: DiscountIn):
    """Ask for a discount (fen) above the salesperson's limit; the managers of the customer's region
    get a to-do. Refused (422, naming the field): within the limit, no list price, no reason…"""
    user = request.user
    customer = get_or_404(user, Customer, payload.customer, Action.CHANGE)
    before = set(
        DiscountRequest.objects.filter(
            customer=customer, requested_by=user, status=DiscountRequest.Status.PENDING
        ).values_list("pk", flat=True)
    )
    r = svc.discount_request(
        actor=user,
        customer=customer,
        product=_product(user, payload.product),
        discount_fen=payload.discount_fen,
        reason=payload.reason,
        quote=_quote(user, payload.quote),
    )
    r = svc._requests().get(pk=r.pk)
    return Status(200 if r.pk in before else 201, request_out(r))


STATUSES = set(DiscountRequest.Status.values)


@router.get("/policies/discounts")
def discount_list(request):
    """Managers and administrators: the requests of their regions / company; anybody else their own.
    Filters: status (pending, approved, rejected, withdrawn), customer (id)."""
    check_query(request, {"status", "customer"})
    status = request.GET.get("status") or None
    if status is not None and status not in STATUSES:
        raise FilterError({"status": [_("One of: %(values)s") % {"values": ", ".join(sorted(STATUSES))}]})
    qs = svc.approvals(request.user, status=status, customer_id=_int_param(request, "customer"))
    return paginate(request, qs, request_out)


class DecisionIn(Schema):
    approve: bool
    note: str = ""


@router.post("/policies/discounts/{int:request_id}/decision")
def discount_decision(request, request_id: int, payload: DecisionIn):
    """A manager of the customer's region or an administrator (never the requester) approves or
    rejects (a rejection needs a note). Once only (422 when already settled)."""
    r = get_or_404(request.user, DiscountRequest, request_id, queryset=svc._requests())
    r = svc.discount_decide(actor=request.user, request=r, approve=payload.approve, note=payload.note)
    return request_out(r)


@router.post("/policies/discounts/{int:request_id}/withdraw")
def discount_withdraw(request, request_id: int):
    r = get_or_404(request.user, DiscountRequest, request_id, queryset=svc._requests())
    return request_out(svc.discount_withdraw(actor=request.user, request=r))


class CompensationIn(Schema):
    customer: int
    product: int
    kind: str
    description: str = ""
    value_fen: int = 0
    quote: int | None = None


@router.post("/policies/compensations", response={201: dict})
def compensation_create(request, payload: CompensationIn):
    """Value-added compensation recorded instead of a price cut (kind: free_maintenance, attachment,
    extended_warranty, parts, other)."""
    user = request.user
    customer = get_or_404(user, Customer, payload.customer, Action.CHANGE)
    c = svc.compensation_record(
        actor=user,
        customer=customer,
        product=_product(user, payload.product),
        kind=payload.kind,
        description=payload.description,
        value_fen=payload.value_fen,
        quote=_quote(user, payload.quote),
    )
    return Status(201, compensation_out(c))


@router.get("/policies/compensations")
def compensation_list(request):
    """The compensations the caller may see. Filter: customer (id)."""
    check_query(request, {"customer"})
    qs = visible(request.user, Compensation).order_by("-at", "-id")
    customer = _int_param(request, "customer")
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    return paginate(request, qs, compensation_out)


@router.get("/policies/closing/{int:customer_id}")
def closing(request, customer_id: int):
    """When to ask for the order (催单): every key need met; a time-limited policy offered in a quote
    ending soon. Items: {kind, text, url?, policy?, until?, days?}."""
    customer = get_or_404(request.user, Customer, customer_id)
    prompts = svc.closing_prompts(request.user, customer)
    items = []
    for p in prompts:
        item = dict(p)
        if item.get("until") is not None:
            item["until"] = item["until"].isoformat()
        items.append(item)
    return {"customer": customer.pk, "items": items}
