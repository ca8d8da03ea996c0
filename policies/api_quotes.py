"""API of the numbered quotes (报价单), see core/api.py for the conventions.

    POST /api/policies/quotes                         issue a quote, or a new version ("quote": id)
         {"customer", "product", "policies": [codes], "offers": {code: {"down_ratio", "months"}},
          "hours_per_month", "hourly_rate" (yuan), "discount_fen", "valid_until", "quote"}
    GET  /api/policies/quotes?customer=<id>           the quotes (latest version's price), newest first
    GET  /api/policies/quotes/{id}                    a quote with every version
    GET  /api/policies/quotes/{id}/versions/{v}/pdf   a version's PDF

Same service and visibility as the pages: an invisible customer or quote is 404, one the caller may
see but not change is 403, bad input is 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import get_or_404
from customers.models import Customer

from . import quotes
from .models import Quote, QuoteVersion

router = Router(tags=["policies"])


class OfferIn(Schema):
    down_ratio: Decimal | None = None
    months: int | None = None


class QuoteIn(Schema):
    customer: int
    product: int
    policies: list[str]
    offers: dict[str, OfferIn] = {}
    hours_per_month: Decimal | None = None
    hourly_rate: Decimal | None = None
    discount_fen: int = 0
    valid_until: dt.date | None = None
    quote: int | None = None


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def version_out(q: Quote, v: QuoteVersion) -> dict:
    return {
        "version": v.version,
        "list_price_fen": v.list_price_fen,
        "discount_fen": v.discount_fen,
        "price_fen": v.price_fen,
        "valid_until": _iso(v.valid_until),
        "policies": [p.get("code") for p in v.content.get("policies", [])],
        "content": v.content,
        "by": v.by_id,
        "by_name": str(v.by),
        "at": _iso(v.at),
        "pdf": reverse("api:policies_quote_pdf", args=[q.pk, v.version]) if v.pdf else None,
    }


def quote_out(q: Quote) -> dict:
    return {
        "id": q.pk,
        "number": q.number,
        "customer": q.customer_id,
        "product": q.product_id,
        "product_code": q.product.code,
        "salesperson": q.salesperson_id,
        "created_at": _iso(q.created_at),
        "latest_version": q.latest_version,
        "price_fen": getattr(q, "price_fen", None),
        "valid_until": _iso(getattr(q, "valid_until", None)),
    }


@router.post("/policies/quotes", response={201: dict})
def quote_create(request, payload: QuoteIn):
    from pitch.models import Product

    customer = get_or_404(request.user, Customer, payload.customer)
    product = get_or_404(request.user, Product, payload.product)
    quote = quotes.quote_detail(request.user, payload.quote) if payload.quote else None
    version = quotes.quote_issue(
        actor=request.user,
        customer=customer,
        product=product,
        policy_codes=payload.policies,
        offers={code: (o.down_ratio, o.months) for code, o in payload.offers.items()},
        hours_per_month=payload.hours_per_month,
        hourly_rate=payload.hourly_rate,
        discount_fen=payload.discount_fen,
        valid_until=payload.valid_until,
        quote=quote,
    )
    q = version.quote
    return Status(201, quote_out(q) | {"version": version_out(q, version)})


@router.get("/policies/quotes", response=dict)
def quote_list(request, customer: int | None = None):
    check_query(request, {"customer"})
    if customer is None:
        raise FilterError({"customer": [_("Give the customer whose quotes to list.")]})
    row = get_or_404(request.user, Customer, customer)
    return paginate(request, quotes.customer_quotes(request.user, row), quote_out)


@router.get("/policies/quotes/{int:quote_id}", response=dict)
def quote_get(request, quote_id: int):
    q = quotes.quote_detail(request.user, quote_id)
    versions = [version_out(q, v) for v in quotes.quote_versions(request.user, q)]
    return quote_out(q) | {"versions": versions}


@router.get("/policies/quotes/{int:quote_id}/versions/{int:version}/pdf", url_name="policies_quote_pdf")
def quote_pdf(request, quote_id: int, version: int):
    from .views_quotes import pdf_response

    q = quotes.quote_detail(request.user, quote_id)
    return pdf_response(q, quotes.version_of(request.user, q, version))
