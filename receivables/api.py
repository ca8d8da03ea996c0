"""API of receivables (债权管理), see core/api.py for the conventions.

    GET  /api/receivables/accounts                 ?status=&overdue=1&salesperson=&region=
    GET  /api/receivables/accounts/{id}            the account with its instalments and payments
    POST /api/receivables/accounts/{id}/payments   {"amount_fen", "received_on", "method", "payer_name",
                                                    "idempotency_key"} (or the Idempotency-Key header),
                                                   "shortfall_reason" (finance|deduction) and
                                                   "shortfall_note" when less than was due by then
    POST /api/receivables/payments/{id}/reverse    {"reason"}
    GET  /api/receivables/ageing                   ?as_of=YYYY-MM-DD&group_by=customer|salesperson|region|policy

Recording a payment answers 201 with the new payment, or 200 with the payment already recorded under
the same key (a retry); the same key with different data is refused (422) naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404

from . import selectors, services
from .models import Payment

router = Router(tags=["receivables"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class PaymentIn(Schema):
    amount_fen: int
    received_on: dt.date
    method: str
    payer_name: str = ""
    idempotency_key: str = ""
    shortfall_reason: str = ""
    shortfall_note: str = ""


class ReverseIn(Schema):
    reason: str = ""


def account_out(a) -> dict:
    return {
        "id": a.pk,
        "contract_number": a.contract_number,
        "contract": a.contract_id,
        "customer": {"id": a.customer_id, "name": a.customer.name},
        "product": a.product,
        "salesperson": a.salesperson_id,
        "region": a.region_id,
        "policy_name": a.policy_name,
        "principal_fen": a.principal_fen,
        "start_on": _iso(a.start_on),
        "status": a.status,
        "source": a.source,
        "allocation_order": a.allocation_order,
        "credit_fen": a.credit_fen,
        "outstanding_fen": getattr(a, "outstanding", None),
        "overdue_fen": getattr(a, "overdue", None),
        "days_past_due": getattr(a, "days_past_due", None),
        "bucket": getattr(a, "bucket", None),
    }


def payment_out(p: Payment) -> dict:
    return {
        "id": p.pk,
        "account": p.account_id,
        "kind": p.kind,
        "amount_fen": p.amount_fen,
        "credit_fen": p.credit_fen,
        "received_on": _iso(p.received_on),
        "method": p.method,
        "payer_name": p.payer_name,
        "idempotency_key": p.idempotency_key,
        "reverses": p.reverses_id,
        "reason": p.reason,
        "shortfall_reason": p.shortfall_reason,
        "shortfall_note": p.shortfall_note,
        "by": p.by_id,
        "at": _iso(p.at),
        "allocations": [
            {"instalment": a.instalment_id, "n": a.instalment.n, "amount_fen": a.amount_fen}
            for a in p.allocations.select_related("instalment").order_by("id")
        ],
    }


@router.get("/receivables/accounts", response=dict)
def account_list(request):
    check_query(request, {"status", "overdue", "salesperson", "region"})
    filters, errors = selectors.parse_filters(request.GET)
    if errors:
        raise ValidationError(errors)
    return paginate(request, selectors.accounts(request.user, filters), account_out)


@router.get("/receivables/accounts/{int:account_id}", response=dict)
def account_get(request, account_id: int):
    account = selectors.account_detail(request.user, account_id)
    detail = selectors.account_rows(account)
    return account_out(account) | {
        "amount_fen": detail["amount_fen"],
        "paid_fen": detail["paid_fen"],
        "outstanding_fen": detail["outstanding_fen"],
        "overdue_fen": detail["overdue_fen"],
        "days_past_due": detail["days_past_due"],
        "bucket": detail["bucket"],
        "instalments": [
            {
                "id": i.pk,
                "n": i.n,
                "due_on": _iso(i.due_on),
                "principal_fen": i.principal_fen,
                "interest_fen": i.interest_fen,
                "fee_fen": i.fee_fen,
                "amount_fen": i.amount_fen,
                "paid_fen": i.paid_fen,
                "outstanding_fen": i.outstanding,
                "state": i.state,
            }
            for i in detail["instalments"]
        ],
        "payments": [
            {
                "id": p.pk,
                "kind": p.kind,
                "amount_fen": p.amount_fen,
                "credit_fen": p.credit_fen,
                "received_on": _iso(p.received_on),
                "method": p.method,
                "payer_name": p.payer_name,
                "reverses": p.reverses_id,
                "reversed": p.is_reversed,
                "reason": p.reason,
                "shortfall_reason": p.shortfall_reason,
                "shortfall_note": p.shortfall_note,
            }
            for p in detail["payments"]
        ],
    }


@router.post("/receivables/accounts/{int:account_id}/payments", response={200: dict, 201: dict})
def payment_create(request, account_id: int, payload: PaymentIn):
    account = selectors.account_detail(request.user, account_id, Action.CHANGE)
    header = (request.headers.get("Idempotency-Key") or "").strip()
    body = (payload.idempotency_key or "").strip()
    if header and body and header != body:
        raise ValidationError({"idempotency_key": _("The Idempotency-Key header and the body's key differ.")})
    key = header or body
    before = Payment.objects.filter(company_id=account.company_id, idempotency_key=key).exists() if key else False
    payment = services.payment_record(
        actor=request.user,
        account=account,
        amount_fen=payload.amount_fen,
        received_on=payload.received_on,
        method=payload.method,
        payer_name=payload.payer_name,
        idempotency_key=key,
        shortfall_reason=payload.shortfall_reason,
        shortfall_note=payload.shortfall_note,
        require_shortfall=True,
    )
    return Status(200 if before else 201, payment_out(payment))


@router.post("/receivables/payments/{int:payment_id}/reverse", response={201: dict})
def payment_reverse(request, payment_id: int, payload: ReverseIn):
    payment = get_or_404(request.user, Payment, payment_id)
    selectors.account_detail(request.user, payment.account_id, Action.CHANGE)
    reversal = services.payment_reverse(actor=request.user, payment=payment, reason=payload.reason)
    return Status(201, payment_out(reversal))


@router.get("/receivables/ageing", response=dict)
def ageing(request):
    check_query(request, {"as_of", "group_by"})
    from .views import parse_ageing

    as_of, group_by, errors = parse_ageing(request.GET)
    if errors:
        raise FilterError({k: [v] for k, v in errors.items()})
    report = selectors.ageing(request.user, as_of=as_of, group_by=group_by)
    return {
        "as_of": _iso(report["as_of"]),
        "group_by": group_by,
        "buckets": report["labels"],
        "groups": [
            {
                "key": g["key"],
                "name": str(g["name"]),
                "accounts": g["n"],
                "outstanding_fen": g["fen"],
                "overdue_fen": g["overdue_fen"],
                "buckets": {b: {"accounts": c["n"], "outstanding_fen": c["fen"]} for b, c in g["buckets"].items()},
            }
            for g in report["groups"]
        ],
        "totals": {b: {"accounts": c["n"], "outstanding_fen": c["fen"]} for b, c in report["totals"].items()},
        "total": {
            "accounts": report["total"]["n"],
            "outstanding_fen": report["total"]["fen"],
            "overdue_fen": report["total"]["overdue_fen"],
        },
    }
