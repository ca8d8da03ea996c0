"""API of the commercial policies (see core/api.py for the conventions).

    GET  /api/policies                          the active policies with their parameters and preconditions
    GET  /api/policies/{id}                      one policy
    GET  /api/policies/benefit/{customer_id}?product=&hours=&rate=&down_<code>=&months_<code>=
                                                 the benefit account (利益帐): ≤ 3 recommended policies
                                                 with reasons, then the others and why not
    GET  /api/policies/qualification/{customer_id}
    PUT  /api/policies/qualification/{customer_id}   what the customer can show for the preconditions

An offer the policy refuses (down payment below its minimum, a term it does not offer, a promotion
outside its dates) is 422 naming ``down_<code>``/``months_<code>`` and the rule.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema

from core.api import FilterError
from core.visibility import Action, get_or_404, visible
from customers.models import Customer

from . import selectors, services
from .messages import precondition_label
from .method import preconditions_of
from .models import Policy, Qualification

router = Router(tags=["policies"])


def _s(value):
    return None if value is None else str(value)


def policy_out(p: Policy) -> dict:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "source": p.source,
        "provider": p.provider,
        "method": p.method,
        "down_ratio_min": _s(p.down_ratio_min),
        "down_ratio_max": _s(p.down_ratio_max),
        "terms": p.terms,
        "annual_rate": _s(p.annual_rate),
        "monthly_fee_rate": _s(p.monthly_fee_rate),
        "upfront_fee_rate": _s(p.upfront_fee_rate),
        "upfront_fee_fen": p.upfront_fee_fen,
        "monthly_fee_fen": p.monthly_fee_fen,
        "deposit_rate": _s(p.deposit_rate),
        "grace_months": p.grace_months,
        "grace_kind": p.grace_kind,
        "balloon_rate": _s(p.balloon_rate),
        "guarantee": p.guarantee,
        "price_reduction_fen": p.price_reduction_fen,
        "subsidy": {
            "per_hour_fen": p.subsidy_per_hour_fen,
            "cap_per_month_fen": p.subsidy_cap_fen,
            "months": p.subsidy_months,
        },
        "preconditions": [
            {"code": c, "value": v, "label": precondition_label(c, v)} for c, v in preconditions_of(p.preconditions)
        ],
        "valid_from": _s(p.valid_from),
        "valid_to": _s(p.valid_to),
        "products": [prod.code for prod in p.products.all()],
    }


@router.get("/policies")
def policy_list(request):
    return {"items": [policy_out(p) for p in selectors.policies(request.user)]}


@router.get("/policies/{int:policy_id}")
def policy_get(request, policy_id: int):
    return policy_out(get_or_404(request.user, Policy, policy_id, queryset=Policy.objects.prefetch_related("products")))


class PolicyIn(Schema):
    code: str
    name: str
    source: str
    provider: str = ""
    description: str = ""
    method: str = ""
    down_ratio_min: Decimal = Decimal("30")
    down_ratio_max: Decimal = Decimal("100")
    terms: list[int] = []
    annual_rate: Decimal = Decimal("0")
    monthly_fee_rate: Decimal = Decimal("0")
    upfront_fee_rate: Decimal = Decimal("0")
    upfront_fee_fen: int = 0
    monthly_fee_fen: int = 0
    deposit_rate: Decimal = Decimal("0")
    grace_months: int = 0
    grace_kind: str = "interest_only"
    balloon_rate: Decimal = Decimal("0")
    guarantee: str = ""
    price_reduction_fen: int = 0
    subsidy_per_hour_fen: int = 0
    subsidy_cap_fen: int = 0
    subsidy_months: int = 0
    preconditions: list[dict] = []
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    active: bool = True
    order: int = 0
    products: list[str] | None = None  # model codes; empty: every machine


def _products(request, codes):
    if codes is None:
        return None
    from pitch.models import Product

    found = {p.code: p for p in visible(request.user, Product).filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError({"products": [_("Unknown model: %(codes)s.") % {"codes": "、".join(missing)}]})
    return list(found.values())


@router.post("/policies", response={201: dict})
def policy_create(request, payload: PolicyIn):
    """Create a policy (administrators). Absurd or inconsistent parameters are 422, naming the field."""
    data = payload.dict()
    products = _products(request, data.pop("products"))
    policy = services.policy_save(actor=request.user, products=products, **data)
    return 201, policy_out(Policy.objects.prefetch_related("products").get(pk=policy.pk))


@router.put("/policies/{int:policy_id}")
def policy_update(request, policy_id: int, payload: PolicyIn):
    policy = get_or_404(request.user, Policy, policy_id, Action.CHANGE)
    data = payload.dict()
    products = _products(request, data.pop("products"))
    policy = services.policy_save(actor=request.user, policy=policy, products=products, **data)
    return policy_out(Policy.objects.prefetch_related("products").get(pk=policy.pk))


def _row_out(row: selectors.PolicyRow) -> dict:
    return selectors.account_snapshot(row) | {"recommended": row.recommended, "error": row.error or None}


@router.get("/policies/benefit/{customer_id}")
def benefit(request, customer_id: int):
    data = request.GET
    allowed = {"product", "hours", "rate"}
    codes = {k.split("_", 1)[1] for k in data if k.startswith(("down_", "months_"))}
    unknown = [k for k in data if k not in allowed and not k.startswith(("down_", "months_"))]
    if unknown:
        raise FilterError({k: [_("Not a parameter of the benefit account.")] for k in unknown})
    errors: dict[str, str] = {}
    offers = selectors.parse_offers(data, codes, errors)
    product = data.get("product") or None
    if product is not None and not product.isdigit():
        errors["product"] = _("Enter a whole number.")
    if errors:
        raise FilterError({k: [v] for k, v in errors.items()})
    view = selectors.benefit_view(
        request.user,
        customer_id=customer_id,
        product_id=product,
        hours_per_month=data.get("hours"),
        hourly_rate=data.get("rate"),
        offers=offers,
    )
    if view.errors:
        raise FilterError({k: [v] for k, v in view.errors.items()})
    refused = {
        f"down_{row.code}" if f"down_{row.code}" in data else f"months_{row.code}": [row.error]
        for row in view.rows
        if row.error and row.code in codes
    }
    if refused:
        raise ValidationError(refused)
    return {
        "customer": {"id": view.customer.pk, "name": view.customer.name, "use": view.customer.use},
        "product": {"id": view.product.pk, "model": view.product.code} if view.product else None,
        "list_price_fen": view.list_price_fen,
        "hours_per_month": _s(view.usage.hours_per_month),
        "hourly_rate": _s(view.usage.hourly_rate),
        "key_needs": [{"code": c, "name": n} for c, n in view.key_needs],
        "closing_ready": view.ready,
        "recommended": [_row_out(r) for r in view.recommended],
        "others": [_row_out(r) for r in view.rows if not r.recommended],
    }


class QualificationIn(Schema):
    has_guarantor: bool | None = None
    guarantor: str = ""
    property_certificate: bool | None = None
    business_licence: bool | None = None
    local_household: bool | None = None
    credit: str = ""
    credit_checked_on: dt.date | None = None


def _qualification_out(customer, q: Qualification | None) -> dict:
    fields = services.QUALIFICATION_FIELDS
    return {"customer": customer.pk} | {
        f: (_s(getattr(q, f)) if f == "credit_checked_on" else getattr(q, f)) if q else None for f in fields
    }


@router.get("/policies/qualification/{customer_id}")
def qualification_get(request, customer_id: int):
    customer = get_or_404(request.user, Customer, customer_id)
    return _qualification_out(customer, selectors.qualification_of(customer))


@router.put("/policies/qualification/{customer_id}")
def qualification_put(request, customer_id: int, payload: QualificationIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    try:
        q = services.qualification_update(actor=request.user, customer=customer, **payload.dict())
    except ValidationError:
        raise
    return _qualification_out(customer, q)
