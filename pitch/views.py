"""Pages of the catalogue (产品目录): list, product detail, comparison with a competitor's model.
Thin: parse input, call a selector, render."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from core.visibility import Action, may

from . import objections, selectors
from .models import Product
from .specs import SPEC_FIELDS


def _int_or_none(value: str | None):
    return int(value) if value and value.isdigit() else None


def catalogue(request):
    products = selectors.catalogue(request.user)
    return render(
        request,
        "pitch/catalogue.html",
        {
            "products": products,
            "can_change": may(request.user, Product, Action.CHANGE),
        },
    )


def product_detail(request, pk: int):
    data = selectors.product_detail(request.user, pk)
    product = data["product"]
    specs = [(selectors.spec_label(f), selectors.display(product, f)) for f in SPEC_FIELDS]
    return render(
        request,
        "pitch/product_detail.html",
        {
            **data,
            "specs": specs,
            "competitors": selectors.competitor_machines(request.user)[:100],
            "can_change": may(request.user, Product, Action.CHANGE),
        },
    )


def compare(request):
    product_id = _int_or_none(request.GET.get("product"))
    competitor_id = _int_or_none(request.GET.get("competitor"))
    context = {
        "products": selectors.catalogue(request.user, active_only=False),
        "competitors": selectors.competitor_machines(request.user)[:200],
        "product_id": product_id,
        "competitor_id": competitor_id,
    }
    if product_id and competitor_id:
        context.update(selectors.compare(request.user, product_id, competitor_id))
        context["script"] = objections.competitor_script(request.user, competitor_id, product_id)
    elif request.GET:
        context["message"] = _("Choose one of our models and a competitor's model.")
    return render(request, "pitch/compare.html", context)
