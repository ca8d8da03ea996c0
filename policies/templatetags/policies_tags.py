from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(amount):
    """An amount in yuan (Decimal) as ¥368,000.00; — when missing."""
    if amount in (None, ""):
        return "—"
    return f"¥{Decimal(amount):,.2f}"


@register.filter
def pct(value):
    """A percent without trailing zeros: 30.0000 → 30."""
    if value in (None, ""):
        return "—"
    d = Decimal(value).normalize()
    return f"{d:f}"


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
