"""Every read of the catalogue, starting from ``visibility.visible``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from core.visibility import Action, get_or_404, visible
from customers.models import CompetitorMachine

from . import rules
from .models import Dimension, Price, Product, SellingPoint


def current_prices(user, day: dt.date | None = None):
    """Visible prices valid on ``day`` (today by default)."""
    day = day or timezone.localdate()
    return visible(user, Price).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


def catalogue(user, *, active_only: bool = True, day: dt.date | None = None):
    """Visible products with ``price_fen`` (today's list price or None) and ``points`` (selling
    points), one query whatever the number of products."""
    prices = current_prices(user, day).filter(product=OuterRef("pk")).order_by("-valid_from")
    qs = visible(user, Product).annotate(
        price_fen=Subquery(prices.values("list_price_fen")[:1]),
        points=Count("selling_points", distinct=True),
    )
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("code")


def product_detail(user, pk, day: dt.date | None = None) -> dict:
    """The product, its current price, its prices and its selling points by dimension."""
    product = get_or_404(
        user,
        Product,
        pk,
        queryset=Product.objects.prefetch_related(
            Prefetch("selling_points", queryset=visible(user, SellingPoint)),
            Prefetch("prices", queryset=visible(user, Price).order_by("-valid_from")),
        ),
    )
    day = day or timezone.localdate()
    prices = list(product.prices.all())
    current = next((p for p in prices if rules.is_valid_on(day, p.valid_from, p.valid_to)), None)
    by_dimension = {d: [] for d in Dimension.values}
    for point in product.selling_points.all():
        by_dimension[point.dimension].append(point)
    return {
        "product": product,
        "price": current,
        "prices": prices,
        "dimensions": [(d, Dimension(d).label, by_dimension[d]) for d in Dimension.values],
    }


def competitor_machines(user):
    return visible(user, CompetitorMachine).order_by("brand", "model")


def spec_label(field: str) -> str:
    return str(Product._meta.get_field(field).verbose_name)


def display(obj, field: str):
    """A spec value as shown (choice labels instead of codes)."""
    if field == "tail_swing":
        return obj.get_tail_swing_display() if obj.tail_swing else None
    return getattr(obj, field)


def compare(user, product_id, competitor_id) -> dict:
    """Our model against a competitor's, spec by spec (pitch.rules.compare)."""
    product = get_or_404(user, Product, product_id, Action.VIEW)
    machine = get_or_404(user, CompetitorMachine, competitor_id, Action.VIEW)
    rows = rules.compare(product.spec_values(), machine.spec_values())
    return {
        "product": product,
        "competitor": machine,
        "rows": [
            {
                "field": r.field,
                "label": spec_label(r.field),
                "unit": r.unit,
                "ours": display(product, r.field),
                "theirs": display(machine, r.field),
                "difference": r.difference,
                "verdict": r.verdict,
            }
            for r in rows
        ],
    }
