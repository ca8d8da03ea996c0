from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def yuan(fen):
    """A price in fen as yuan with thousands separators: 36800000 → ¥368,000."""
    if fen in (None, ""):
        return "—"
    value = Decimal(fen) / 100
    return f"¥{value:,.0f}" if value == value.to_integral() else f"¥{value:,.2f}"


@register.filter
def signed(value):
    """A difference with its sign: +12.5 / −300."""
    if value in (None, ""):
        return ""
    return f"+{value}" if value > 0 else str(value).replace("-", "−")
