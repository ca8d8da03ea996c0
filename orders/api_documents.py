"""API of the order documents (订单确认 · 定金 · 合同 · 首付), see core/api.py for the conventions.

    POST /api/orders/orders                              create the order of a deal
         {"deal", "quote_version", "policy_code", "extras": [...], "delivery_on", "delivery_place",
          "deposit_fen", "deposit_due", "down_payment_fen", "down_payment_due", "commitments"}
    GET  /api/orders/orders/{id}                         the order with its deposits, contract, down payments
    POST /api/orders/orders/{id}/confirm                 {"method": "signature"|"stamp", "signature_png": data URL,
                                                          "confirmed_by_name"}
    GET  /api/orders/orders/{id}/pdf                     the order confirmation PDF
    POST /api/orders/orders/{id}/deposits                {"amount_fen", "received_on", "method", "refund_terms",
                                                          "penalty_terms"}
    GET  /api/orders/deposits/{id}/pdf                   the receipt PDF
    POST /api/orders/orders/{id}/contract                {"signer_name", "signer_is_customer", "amount_fen",
                                                          "authorisation_base64" (PDF/JPG/PNG, representative)}
    GET  /api/orders/contracts/{id}                      the contract with its schedule
    POST /api/orders/contracts/{id}/sign                 multipart: signed_on, signed_copy (file)
    GET  /api/orders/contracts/{id}/pdf                  the contract PDF
    POST /api/orders/orders/{id}/down-payments           {"amount_fen", "received_on", "method", "late_reason"}

Same services and visibility as the pages: invisible rows are 404, visible but not changeable 403,
bad input 422 naming the field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from core.visibility import Action, get_or_404

from . import documents as docs
from .models import Contract, Deal, Deposit, Order

router = Router(tags=["orders"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class OrderIn(Schema):
    deal: int
    quote_version: int | None = None
    policy_code: str = ""
    extras: list[str] | None = None
    delivery_on: dt.date
    delivery_place: str
    deposit_fen: int = 0
    deposit_due: dt.date | None = None
    down_payment_fen: int | None = None
    down_payment_due: dt.date | None = None
    commitments: str = ""


class ConfirmIn(Schema):
    method: str
    signature_png: str | None = None
    confirmed_by_name: str


class DepositIn(Schema):
    amount_fen: int
    received_on: dt.date
    method: str = ""
    refund_terms: str
    penalty_terms: str = ""


class ContractIn(Schema):
    signer_name: str
    signer_is_customer: bool = True
    amount_fen: int
    authorisation_base64: str | None = None


class DownPaymentIn(Schema):
    amount_fen: int
    received_on: dt.date
    method: str = ""
    late_reason: str = ""


def deposit_out(d: Deposit) -> dict:
    return {
        "id": d.pk,
        "receipt_number": d.receipt_number,
        "amount_fen": d.amount_fen,
        "received_on": _iso(d.received_on),
        "method": d.method,
        "refund_terms": d.refund_terms,
        "penalty_terms": d.penalty_terms,
        "by": d.by_id,
        "pdf": reverse("api:orders_deposit_pdf", args=[d.pk]) if d.pdf else None,
    }


def contract_out(c: Contract) -> dict:
    return {
        "id": c.pk,
        "number": c.number,
        "order": c.order_id,
        "amount_fen": c.amount_fen,
        "signer_name": c.signer_name,
        "signer_is_customer": c.signer_is_customer,
        "has_authorisation": bool(c.authorisation),
        "signed_on": _iso(c.signed_on),
        "has_signed_copy": bool(c.signed_copy),
        "schedule": c.schedule,
        "pdf": reverse("api:orders_contract_pdf", args=[c.pk]) if c.pdf else None,
    }


def order_out(o: Order) -> dict:
    deposits = list(o.deposits.all())
    downs = list(o.down_payments.all())
    contract = docs.order_contract(o)
    down_total = sum(d.amount_fen for d in downs)
    return {
        "id": o.pk,
        "number": o.number,
        "deal": o.deal_id,
        "customer": o.customer_id,
        "product": o.product_id,
        "quote_version": o.quote_version_id,
        "policy": o.account.get("code") if o.account else None,
        "price_fen": o.price_fen,
        "price_words": docs.rules.rmb_capitals(o.price_fen),
        "extras": o.extras,
        "account": o.account,
        "delivery_on": _iso(o.delivery_on),
        "delivery_place": o.delivery_place,
        "deposit_fen": o.deposit_fen,
        "deposit_due": _iso(o.deposit_due),
        "down_payment_fen": o.down_payment_fen,
        "down_payment_due": _iso(o.down_payment_due),
        "commitments": o.commitments,
        "confirmation": o.confirmation or None,
        "confirmed_at": _iso(o.confirmed_at),
        "confirmed_by_name": o.confirmed_by_name,
        "pdf": reverse("api:orders_order_pdf", args=[o.pk]) if o.pdf else None,
        "deposits": [deposit_out(d) for d in deposits],
        "contract": contract_out(contract) if contract else None,
        "down_payments": [
            {
                "id": p.pk,
                "amount_fen": p.amount_fen,
                "received_on": _iso(p.received_on),
                "method": p.method,
                "late_reason": p.late_reason,
            }
            for p in downs
        ],
        "down_payment_received_fen": down_total,
        "steps": [
            {"code": s["code"], "done": s["done"]}
            for s in docs.steps(o, contract, sum(d.amount_fen for d in deposits), down_total)
        ],
    }


def _order(request, pk: int, action: Action = Action.VIEW) -> Order:
    return docs.order_detail(request.user, pk, action)


@router.post("/orders/orders", response={201: dict})
def order_create(request, payload: OrderIn):
    deal = get_or_404(request.user, Deal, payload.deal, Action.CHANGE)
    order = docs.order_create(
        actor=request.user,
        deal=deal,
        quote_version=payload.quote_version,
        policy_code=payload.policy_code,
        extras=payload.extras,
        delivery_on=payload.delivery_on,
        delivery_place=payload.delivery_place,
        deposit_fen=payload.deposit_fen,
        deposit_due=payload.deposit_due,
        down_payment_fen=payload.down_payment_fen,
        down_payment_due=payload.down_payment_due,
        commitments=payload.commitments,
    )
    return Status(201, order_out(_order(request, order.pk)))


@router.get("/orders/orders/{int:order_id}", response=dict)
def order_get(request, order_id: int):
    return order_out(_order(request, order_id))


@router.post("/orders/orders/{int:order_id}/confirm", response=dict)
def order_confirm(request, order_id: int, payload: ConfirmIn):
    order = _order(request, order_id, Action.CHANGE)
    docs.order_confirm(
        actor=request.user,
        order=order,
        method=payload.method,
        signature_png=payload.signature_png,
        confirmed_by_name=payload.confirmed_by_name,
    )
    return order_out(_order(request, order_id))


@router.get("/orders/orders/{int:order_id}/pdf", url_name="orders_order_pdf")
def order_pdf(request, order_id: int):
    from .views_documents import _file_response

    order = _order(request, order_id)
    return _file_response(order.pdf, f"{order.number}.pdf")


@router.post("/orders/orders/{int:order_id}/deposits", response={201: dict})
def deposit_create(request, order_id: int, payload: DepositIn):
    order = _order(request, order_id)
    deposit = docs.deposit_record(
        actor=request.user,
        order=order,
        amount_fen=payload.amount_fen,
        received_on=payload.received_on,
        method=payload.method,
        refund_terms=payload.refund_terms,
        penalty_terms=payload.penalty_terms,
    )
    return Status(201, deposit_out(deposit))


@router.get("/orders/deposits/{int:deposit_id}/pdf", url_name="orders_deposit_pdf")
def deposit_pdf(request, deposit_id: int):
    from .views_documents import _file_response

    deposit = get_or_404(request.user, Deposit, deposit_id)
    return _file_response(deposit.pdf, f"{deposit.receipt_number}.pdf")


@router.post("/orders/orders/{int:order_id}/contract", response={201: dict})
def contract_create(request, order_id: int, payload: ContractIn):
    order = _order(request, order_id, Action.CHANGE)
    authorisation = None
    if payload.authorisation_base64:
        try:
            authorisation = ContentFile(base64.b64decode(payload.authorisation_base64, validate=True))
        except (binascii.Error, ValueError):
            raise ValidationError({"authorisation": _("Send the file as base64.")}) from None
    contract = docs.contract_create(
        actor=request.user,
        order=order,
        signer_name=payload.signer_name,
        signer_is_customer=payload.signer_is_customer,
        authorisation=authorisation,
        amount_fen=payload.amount_fen,
    )
    return Status(201, contract_out(contract))


def _contract(request, pk: int, action: Action = Action.VIEW) -> Contract:
    return get_or_404(request.user, Contract, pk, action)


@router.get("/orders/contracts/{int:contract_id}", response=dict)
def contract_get(request, contract_id: int):
    return contract_out(_contract(request, contract_id))


@router.post("/orders/contracts/{int:contract_id}/sign", response=dict)
def contract_sign(request, contract_id: int, signed_on: Form[dt.date], signed_copy: File[UploadedFile]):
    contract = _contract(request, contract_id, Action.CHANGE)
    contract = docs.contract_sign(actor=request.user, contract=contract, signed_on=signed_on, signed_copy=signed_copy)
    return contract_out(contract)


@router.get("/orders/contracts/{int:contract_id}/pdf", url_name="orders_contract_pdf")
def contract_pdf(request, contract_id: int):
    from .views_documents import _file_response

    contract = _contract(request, contract_id)
    return _file_response(contract.pdf, f"{contract.number}.pdf")


@router.post("/orders/orders/{int:order_id}/down-payments", response={201: dict})
def down_payment_create(request, order_id: int, payload: DownPaymentIn):
    order = _order(request, order_id)
    row = docs.down_payment_record(
        actor=request.user,
        order=order,
        amount_fen=payload.amount_fen,
        received_on=payload.received_on,
        method=payload.method,
        late_reason=payload.late_reason,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "amount_fen": row.amount_fen,
            "received_on": _iso(row.received_on),
            "late_reason": row.late_reason,
            "down_payment_received_fen": docs.down_payment_received_fen(order),
        },
    )
