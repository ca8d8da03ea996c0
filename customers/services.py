"""Writes on customers. Keyword-only, validated, one transaction, audited through the model."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.models import Region, User
from core.visibility import Action, can

from . import rules
from .models import Customer

EDITABLE = ("name", "kind", "phone", "id_number", "province", "city", "district", "address", "grade", "region_id")


def _clean(data: dict, *, company_id: int, actor: User | None = None, instance: Customer | None = None) -> dict:
    errors: dict[str, str] = {}
    out = dict(data)
    if "name" in out:
        out["name"] = rules.clean_text(out["name"] or "")
        if not out["name"]:
            errors["name"] = _("Enter the customer's name.")
        elif len(out["name"]) > 100:
            errors["name"] = _("The name is longer than 100 characters.")
    if "phone" in out:
        raw = rules.clean_text(out["phone"] or "")
        if raw:
            try:
                out["phone"] = rules.normalize_mobile(raw)
            except rules.InvalidPhone:
                errors["phone"] = _("“%(value)s” is not a valid mainland mobile number.") % {"value": raw}
            else:
                dup = Customer.objects.filter(company_id=company_id, phone=out["phone"])
                if instance is not None:
                    dup = dup.exclude(pk=instance.pk)
                if dup.exists():
                    errors["phone"] = _("Another customer already has the mobile number %(phone)s.") % {
                        "phone": rules.mask_mobile(out["phone"])
                    }
        else:
            out["phone"] = ""
    if "id_number" in out:
        value = rules.clean_text(out["id_number"] or "").upper()
        if value and not rules.valid_id_number(value):
            errors["id_number"] = _("The ID-card number is not valid (18 characters, check digit).")
        out["id_number"] = value
    if "grade" in out and out["grade"] not in (None, ""):
        try:
            grade = int(out["grade"])
        except (TypeError, ValueError):
            grade = -1
        if grade not in rules.INTENT_GRADES:
            errors["grade"] = _("The intent grade must be one of 9, 6, 3, 1, 0.")
        out["grade"] = grade
    elif "grade" in out:
        out["grade"] = None
    if "kind" in out and out["kind"] not in Customer.Kind.values:
        errors["kind"] = _("Choose person or company.")
    if "region_id" in out:
        if not Region.objects.filter(pk=out["region_id"] or 0, company_id=company_id).exists():
            errors["region"] = _("Choose a region of your company.")
        elif actor is not None and not actor.has_role("admin") and out["region_id"] not in actor.region_ids:
            errors["region"] = _("Choose one of the regions you cover.")
    for field in ("province", "city", "district", "address"):
        if field in out:
            out[field] = rules.clean_text(out[field] or "")
    if errors:
        raise ValidationError(errors)
    return out


def customer_validate(*, actor: User, fields: dict, instance: Customer | None = None) -> dict:
    """Check (and normalise) the given fields without writing; raises ValidationError naming them.

    Forms call it so that every field's error shows at once; the services call it again.
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    company_id = instance.company_id if instance is not None else actor.company_id
    return _clean(fields, company_id=company_id, actor=actor, instance=instance)


def _save_unique(customer: Customer) -> None:
    """Save; a concurrent insert of the same mobile number becomes a field error, not a crash."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ValidationError(
            {"phone": _("Another customer already has the mobile number %(phone)s.") % {"phone": customer.phone_masked}}
        ) from None


@transaction.atomic
def customer_create(*, actor: User, name: str, region_id: int, owner: User | None = None, **fields) -> Customer:
    """Create a customer owned by ``owner`` (default: the actor when a salesperson)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    data = _clean({"name": name, "region_id": region_id, **fields}, company_id=actor.company_id, actor=actor)
    if owner is None and actor.has_role("salesperson"):
        owner = actor
    customer = Customer(company_id=actor.company_id, owner=owner, in_pool=owner is None, **data)
    _save_unique(customer)
    return customer


@transaction.atomic
def customer_update(*, actor: User, customer: Customer, **fields) -> Customer:
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    data = _clean(fields, company_id=customer.company_id, actor=actor, instance=customer)
    for key, value in data.items():
        setattr(customer, key, value)
    _save_unique(customer)
    return customer


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    if not can(actor, customer, Action.DELETE):
        raise PermissionError
    customer.delete()
