"""Every write of the catalogue: keyword-only, atomic, validated, permission-checked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import User
from core.visibility import Action, can

from . import rules
from .models import Dimension, Price, Product, SellingPoint


def _require(actor: User, obj, action: Action = Action.CHANGE) -> None:
    if not can(actor, obj, action):
        raise PermissionError(_("You may not change the catalogue."))


def overlapping_price(*, product: Product, valid_from: dt.date, valid_to: dt.date | None, exclude_pk=None):
    """The product's price whose validity shares a day with the range given, or None."""
    qs = Price.objects.filter(product=product).exclude(pk=exclude_pk).only("pk", "valid_from", "valid_to")
    for price in qs.filter(valid_from__lte=valid_to) if valid_to else qs:
        if rules.overlaps(valid_from, valid_to, price.valid_from, price.valid_to):
            return price
    return None


def price_check(*, product: Product, list_price_fen, valid_from, valid_to, exclude_pk=None) -> None:
    """Validate a price: a positive amount, a range ending after it starts, no other price the same days."""
    errors: dict[str, str] = {}
    if list_price_fen is None or int(list_price_fen) <= 0:
        errors["list_price_fen"] = _("Enter a price above zero.")
    if valid_from is None:
        errors["valid_from"] = _("Enter the first day the price is valid.")
    elif valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = _("The last day cannot be before the first day.")
    if not errors:
        clash = overlapping_price(product=product, valid_from=valid_from, valid_to=valid_to, exclude_pk=exclude_pk)
        if clash:
            errors["valid_from"] = _(
                "Another price of %(product)s is valid from %(start)s to %(end)s: a product has one price per day. "
                "End that price first or choose other dates."
            ) % {"product": product.code, "start": clash.valid_from, "end": clash.valid_to or _("further notice")}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def price_add(
    *,
    actor: User,
    product: Product,
    list_price_fen: int,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    note: str = "",
) -> Price:
    """A new list price of ``product``; refused when its dates overlap another price of the product."""
    _require(actor, product)
    Product.objects.select_for_update().filter(pk=product.pk).first()  # one writer per product at a time
    price_check(product=product, list_price_fen=list_price_fen, valid_from=valid_from, valid_to=valid_to)
    return Price.objects.create(
        company_id=product.company_id,
        product=product,
        list_price_fen=int(list_price_fen),
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
    )


@transaction.atomic
def price_end(*, actor: User, price: Price, valid_to: dt.date) -> Price:
    """End a price on ``valid_to`` (e.g. the day before its successor starts)."""
    _require(actor, price)
    price_check(
        product=price.product,
        list_price_fen=price.list_price_fen,
        valid_from=price.valid_from,
        valid_to=valid_to,
        exclude_pk=price.pk,
    )
    price.valid_to = valid_to
    price.save(update_fields=["valid_to"])
    return price


@transaction.atomic
def selling_point_add(
    *, actor: User, product: Product, dimension: str, title: str, text: str = "", order: int = 0
) -> SellingPoint:
    _require(actor, product)
    errors = {}
    if dimension not in Dimension.values:
        errors["dimension"] = _("Choose core, form or extended product.")
    if not title.strip():
        errors["title"] = _("Enter a title.")
    if errors:
        raise ValidationError(errors)
    return SellingPoint.objects.create(
        company_id=product.company_id, product=product, dimension=dimension, title=title.strip(), text=text, order=order
    )


@transaction.atomic
def product_specs_update(*, actor: User, product: Product, **specs) -> Product:
    """Change the structured specifications (and brand, name, active) of a product."""
    from .specs import SPEC_FIELDS

    allowed = {*SPEC_FIELDS, "other_specs", "brand", "name", "active", "tonnage"}
    unknown = set(specs) - allowed
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    _require(actor, product)
    for field, value in specs.items():
        setattr(product, field, value)
    product.full_clean(exclude=["company"])
    product.save()
    return product
