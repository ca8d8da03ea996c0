"""API of the deal pipeline (商机), see core/api.py for the conventions.

    GET  /api/orders/deals?salesperson=&region=&status=&stage=   deals the caller may see, newest first
    POST /api/orders/deals             {"customer", "product", "quote", "amount_fen", "expected_on"}
    GET  /api/orders/deals/{id}        a deal with its stages (gates met or not) and time in each stage
    POST /api/orders/deals/{id}/move   {"stage": id or code}: forward through the gates; back: managers
    POST /api/orders/deals/{id}/lose   {"reason"} (required)
    GET  /api/orders/funnel?start=&end=&basis=created|entered&salesperson=&region=

Same services and visibility as the pages: an invisible deal is 404, one the caller may see but not
change is 403, a refused move or bad input is 422 naming the field.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404
from customers.models import Customer

from . import deals
from .domain import deals as rules
from .models import Deal, DealStage

router = Router(tags=["orders"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def deal_out(d: Deal) -> dict:
    now = timezone.now()
    return {
        "id": d.pk,
        "customer": d.customer_id,
        "customer_name": d.customer.name,
        "product": d.product_id,
        "product_code": d.product.code if d.product_id else None,
        "quote": d.quote_id,
        "salesperson": d.salesperson_id,
        "salesperson_name": str(d.salesperson),
        "stage": d.stage_id,
        "stage_code": d.stage.code,
        "stage_name": d.stage.name,
        "stage_since": _iso(d.stage_since),
        "days_in_stage": round(rules.days_between(d.stage_since, now), 1),
        "status": d.status,
        "amount_fen": d.amount_fen,
        "expected_on": _iso(d.expected_on),
        "lost_reason": d.lost_reason,
        "created_at": _iso(d.created_at),
        "closed_at": _iso(d.closed_at),
    }


class DealIn(Schema):
    customer: int | None = None
    product: int | None = None
    quote: int | None = None
    amount_fen: int | None = None
    expected_on: dt.date | None = None


class MoveIn(Schema):
    stage: int | str


class LoseIn(Schema):
    reason: str = ""


LIST_FILTERS = {"salesperson", "region", "status", "stage"}


@router.get("/orders/deals", response=dict)
def deal_list(request):
    check_query(request, LIST_FILTERS)
    form = deals.DealFilters(
        {k: request.GET[k] for k in ("salesperson", "region") if k in request.GET}, user=request.user
    )
    if not form.is_valid():
        raise FilterError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    qs = form.apply(deals.deals_of(request.user))
    status = request.GET.get("status", "")
    if status:
        if status not in Deal.Status.values:
            raise FilterError({"status": [_("One of: %(values)s") % {"values": ", ".join(Deal.Status.values)}]})
        qs = qs.filter(status=status)
    stage = request.GET.get("stage", "")
    if stage:
        qs = qs.filter(stage__pk=int(stage)) if stage.isdigit() else qs.filter(stage__code=stage)
    return paginate(request, qs.order_by("-created_at", "-pk"), deal_out)


@router.post("/orders/deals", response={201: dict})
def deal_create(request, payload: DealIn):
    from pitch.models import Product
    from policies.models import Quote

    quote = get_or_404(request.user, Quote, payload.quote) if payload.quote else None
    customer_id = quote.customer_id if quote else payload.customer
    if customer_id is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"customer": _("Give the customer or the quote.")})
    customer = get_or_404(request.user, Customer, customer_id)
    product = get_or_404(request.user, Product, payload.product) if payload.product else None
    deal = deals.deal_create(
        actor=request.user,
        customer=customer,
        product=product,
        quote=quote,
        amount_fen=payload.amount_fen,
        expected_on=payload.expected_on,
    )
    return Status(201, deal_out(deals.deal_get(request.user, deal.pk)))


def _detail_out(request, deal: Deal) -> dict:
    view = deals.deal_view(request.user, deal)
    return deal_out(deal) | {
        "stages": [
            {
                "id": s.stage.pk,
                "code": s.stage.code,
                "name": s.stage.name,
                "gate": s.stage.gate,
                "gate_met": s.met,
                "state": s.state,
            }
            for s in view["steps"]
        ],
        "blocked_by": view["blocked_by"].code if view["blocked_by"] else None,
        "blocked_why": str(view["blocked_why"]),
        "order": view["order"].pk if view["order"] else None,
        "stays": [
            {
                "stage": st.stage_id,
                "stage_name": st.stage.name,
                "entered_at": _iso(st.entered_at),
                "left_at": _iso(st.left_at),
                "days": st.days,
                "by": st.by_id,
            }
            for st in view["stays"]
        ],
    }


@router.get("/orders/deals/{int:deal_id}", response=dict)
def deal_get(request, deal_id: int):
    return _detail_out(request, deals.deal_get(request.user, deal_id))


@router.post("/orders/deals/{int:deal_id}/move", response=dict)
def deal_move(request, deal_id: int, payload: MoveIn):
    deal = deals.deal_get(request.user, deal_id, Action.CHANGE)
    raw = str(payload.stage)
    stages = DealStage.objects.filter(company_id=deal.company_id)
    stage = (stages.filter(pk=int(raw)) if raw.isdigit() else stages.filter(code=raw)).first()
    moved = deals.deal_move(actor=request.user, deal=deal, stage=stage)
    return _detail_out(request, deals.deal_get(request.user, moved.pk))


@router.post("/orders/deals/{int:deal_id}/lose", response=dict)
def deal_lose(request, deal_id: int, payload: LoseIn):
    deal = deals.deal_get(request.user, deal_id, Action.CHANGE)
    lost = deals.deal_lose(actor=request.user, deal=deal, reason=payload.reason)
    return deal_out(deals.deal_get(request.user, lost.pk))


FUNNEL_FILTERS = {"start", "end", "basis", "salesperson", "region"}


@router.get("/orders/funnel", response=dict)
def funnel(request):
    """The sales funnel: per stage the deals that reached it, amount, conversion to the next, lost
    there, average days; per salesperson and per region the same counts."""
    check_query(request, FUNNEL_FILTERS)
    form = deals.FunnelFilters(request.GET, user=request.user)
    if not form.is_valid():
        raise FilterError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    scope = deals.FunnelScope.of(form)
    data = deals.funnel(request.user, scope)
    codes = [s.code for s in data["stages"]]
    return {
        "filters": {
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "basis": scope.basis,
            "salesperson": scope.salesperson.pk if scope.salesperson else None,
            "region": scope.region.pk if scope.region else None,
        },
        "stages": [
            {
                "code": r["stage"].code,
                "name": r["stage"].name,
                "count": r["count"],
                "amount_fen": r["amount_fen"],
                "conversion": r["conversion"],
                "lost": r["lost"],
                "avg_days": r["avg_days"],
            }
            for r in data["rows"]
        ],
        "won": data["won"],
        "lost": data["lost"],
        "win_rate": data["win_rate"],
        "by_salesperson": [
            {"id": p["id"], "name": p["name"], "counts": dict(zip(codes, p["counts"], strict=True))}
            | {"won": p["won"], "lost": p["lost"], "win_rate": p["win_rate"]}
            for p in data["people"]
        ],
        "by_region": [
            {"id": r["id"], "name": r["name"], "counts": dict(zip(codes, r["counts"], strict=True))}
            | {"won": r["won"], "lost": r["lost"], "win_rate": r["win_rate"]}
            for r in data["regions"]
        ],
    }
