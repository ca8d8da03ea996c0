"""API of the catalogue (产品目录): products with specs, prices and selling points; the comparison
with a competitor's model. Same selectors and visibility as the pages."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from core.api import FilterError, check_query, paginate

from . import selectors
from .specs import SPEC_FIELDS

router = Router(tags=["pitch"])


def _num(value):
    return None if value is None else (value if isinstance(value, (int, str)) else str(value))


def _specs(obj) -> dict:
    return {f: _num(getattr(obj, f)) for f in SPEC_FIELDS} | {"other_specs": obj.other_specs or {}}


def product_out(p) -> dict:
    return {
        "id": p.pk,
        "brand": p.brand,
        "model": p.code,
        "name": p.name,
        "active": p.active,
        "price_fen": getattr(p, "price_fen", None),
        "specs": _specs(p),
    }


@router.get("/pitch/products")
def product_list(request, active: str = "1"):
    """Visible products with today's list price (fen). Filter: active=1 (default) or active=0 (all)."""
    check_query(request, {"active"})
    if active not in {"0", "1"}:
        raise FilterError({"active": [_("Enter 0 or 1.")]})
    return paginate(request, selectors.catalogue(request.user, active_only=active == "1"), product_out)


@router.get("/pitch/products/{product_id}")
def product_get(request, product_id: int):
    """One product: specs, today's price, all prices and the selling points by dimension."""
    data = selectors.product_detail(request.user, product_id)
    price = data["price"]
    return product_out(data["product"]) | {
        "price_fen": price.list_price_fen if price else None,
        "prices": [
            {
                "id": p.pk,
                "list_price_fen": p.list_price_fen,
                "valid_from": p.valid_from.isoformat(),
                "valid_to": p.valid_to.isoformat() if p.valid_to else None,
                "note": p.note,
            }
            for p in data["prices"]
        ],
        "selling_points": {
            dim: [{"id": s.pk, "title": s.title, "text": s.text, "order": s.order} for s in points]
            for dim, _label, points in data["dimensions"]
        },
    }


def _id(name: str, value: str) -> int:
    if not value.isdigit():
        raise FilterError({name: [_("Enter a whole number.")]})
    return int(value)


@router.get("/pitch/compare")
def compare(request, product: str = "", competitor: str = ""):
    """Our model against a competitor's, spec by spec: values, difference (ours − theirs) and the
    verdict (better, worse, same, different for a neutral spec, unknown when a value is missing)."""
    check_query(request, {"product", "competitor"})
    data = selectors.compare(request.user, _id("product", product), _id("competitor", competitor))
    m = data["competitor"]
    return {
        "product": {"id": data["product"].pk, "brand": data["product"].brand, "model": data["product"].code},
        "competitor": {"id": m.pk, "brand": m.brand, "model": m.model},
        "rows": [
            {
                "field": r["field"],
                "label": r["label"],
                "unit": r["unit"],
                "ours": _num(getattr(data["product"], r["field"])),
                "theirs": _num(getattr(m, r["field"])),
                "difference": _num(r["difference"]),
                "verdict": r["verdict"],
            }
            for r in data["rows"]
        ],
    }
