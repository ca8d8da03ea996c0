"""API of prevention and KPIs (django-ninja), mounted beside receivables.api.

GET  /api/receivables/kpis            ?period=this_month|last_month|this_quarter|this_year|custom
                                      &start=&end=&target_rate=(percent)&target_sales=(yuan)
     the collection rate, overdue at the end and first late payments per salesperson and region,
     sales achieved and the four attitudes (quadrant per salesperson, the lines used)
GET  /api/receivables/credit-checks   ?customer=&result=good|caution|bad   (paginated)
POST /api/receivables/credit-checks   {"customer", "account"?, "stage", "checked_on", "sources": [...],
                                       "result", "note"}   → 201; 422 naming the field
GET  /api/receivables/credit-status/{customer_id}   {"ok", "message"} — before a new sale
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404
from customers.models import Customer

from ..models import ReceivableAccount
from . import filters, selectors, services
from .models import CreditCheck

router = Router(tags=["receivables"])


class CreditCheckIn(Schema):
    customer: int
    account: int | None = None
    stage: str = ""
    checked_on: str = ""
    sources: list[str] = []
    result: str = ""
    note: str = ""


def check_out(c: CreditCheck) -> dict:
    return {
        "id": c.pk,
        "customer": {"id": c.customer_id, "name": c.customer.name},
        "account": c.account_id,
        "stage": c.stage,
        "checked_on": c.checked_on.isoformat(),
        "sources": list(c.sources or []),
        "result": c.result,
        "note": c.note,
        "by": c.by_id,
        "at": c.at.isoformat(),
    }


def _row(r) -> dict:
    return {
        "id": r.key,
        "name": r.name,
        "due_fen": r.due_fen,
        "collected_fen": r.collected_fen,
        "rate": None if r.rate is None else round(r.rate, 4),
        "overdue_fen": r.overdue_fen,
        "first_late_payments": r.first_late,
    }


@router.get("/receivables/kpis", response=dict)
def kpis(request):
    check_query(request, {"period", "start", "end", "target_rate", "target_sales"})
    today = timezone.localdate()
    f, errors = filters.parse(request.GET, today)
    if errors:
        raise ValidationError(errors)
    report = selectors.collection(request.user, start=f.start, end=f.end, today=today)
    chart = selectors.attitudes(report, target_sales_fen=f.target_sales_fen, target_rate=f.target_rate)
    team = selectors.sees_team(request.user)
    return {
        "period": {"preset": f.preset, "start": f.start.isoformat(), "end": f.end.isoformat()},
        "overdue_as_of": report["cut"].isoformat(),
        "total": _row(report["total"]) | {"sales_fen": report["total"].sales_fen},
        "salespeople": [
            _row(p) | {"sales_fen": p.sales_fen, "contracts": p.contracts, "quadrant": p.quadrant}
            for p in report["people"]
        ],
        "regions": [_row(r) for r in report["regions"]] if team else [],
        "quadrant_lines": {
            "sales_fen": chart["sales_line_fen"],
            "rate": chart["rate_line"],
            "sales_by_median": chart["by_median"]["sales"],
            "rate_by_median": chart["by_median"]["rate"],
        },
        "quadrant_counts": chart["counts"],
    }


@router.get("/receivables/credit-checks", response=dict)
def credit_check_list(request):
    check_query(request, {"customer", "result"})
    raw = (request.GET.get("customer") or "").strip()
    result = (request.GET.get("result") or "").strip()
    errors: dict[str, list[str]] = {}
    customer_id = None
    if raw:
        try:
            customer_id = int(raw)
        except ValueError:
            errors["customer"] = [_("Enter a whole number.")]
    if result and result not in CreditCheck.Result.values:
        errors["result"] = [_("Choose the result: good, caution or bad.")]
    if errors:
        raise FilterError(errors)
    return paginate(
        request, selectors.credit_checks_of(request.user, customer_id=customer_id, result=result), check_out
    )


@router.post("/receivables/credit-checks", response={201: dict})
def credit_check_create(request, payload: CreditCheckIn):
    customer = get_or_404(request.user, Customer, payload.customer, Action.VIEW)
    account = None
    if payload.account is not None:
        account = get_or_404(request.user, ReceivableAccount, payload.account, Action.VIEW)
    check = services.credit_check_record(
        actor=request.user,
        customer=customer,
        account=account,
        stage=payload.stage,
        checked_on=payload.checked_on,
        sources=payload.sources,
        result=payload.result,
        note=payload.note,
    )
    return Status(201, check_out(check))


@router.get("/receivables/credit-status/{int:customer_id}", response=dict)
def credit_status(request, customer_id: int):
    customer = get_or_404(request.user, Customer, customer_id, Action.VIEW)
    ok, message = selectors.credit_check_status(customer)
    return {"customer": customer.pk, "ok": ok, "message": message}
