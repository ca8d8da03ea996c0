"""Every write of the policies' configuration and of the customer's qualification: keyword-only,
atomic, validated (the rules' refusals worded for the user), permission-checked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import User
from core.visibility import Action, can

from . import messages, rules
from .method import terms_of
from .models import Precondition, Qualification


def policy_validate(policy) -> None:
    """Refuse a policy whose parameters are absurd or inconsistent (naming the field)."""
    errors: dict[str, list[str]] = {}
    for item in policy.preconditions or []:
        code = item.get("code") if isinstance(item, dict) else item
        if code not in Precondition.values:
            errors.setdefault("preconditions", []).append(_("Unknown precondition %(code)s.") % {"code": code})
    if not isinstance(policy.terms, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) for m in policy.terms
    ):
        errors.setdefault("terms", []).append(_("Enter the terms as a list of whole months, e.g. [12, 24, 36]."))
    if errors:
        raise ValidationError(errors)
    for err in rules.validate_terms(terms_of(policy)):
        errors.setdefault(err.field, []).append(messages.error_text(err))
    if errors:
        raise ValidationError(errors)


QUALIFICATION_FIELDS = (
    "has_guarantor",
    "guarantor",
    "property_certificate",
    "business_licence",
    "local_household",
    "credit",
    "credit_checked_on",
)


@transaction.atomic
def qualification_update(*, actor: User, customer, **values) -> Qualification:
    """Record what the customer can show for the policies' preconditions (客户资质)."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError(_("You may not change this customer."))
    unknown = set(values) - set(QUALIFICATION_FIELDS)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    row = Qualification.objects.select_for_update().filter(customer=customer).first() or Qualification(
        company_id=customer.company_id, customer=customer
    )
    for name, value in values.items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    if row.guarantor and row.has_guarantor is None:
        row.has_guarantor = True
    if row.has_guarantor is False and row.guarantor:
        raise ValidationError({"guarantor": _("A guarantor's name is given but 'has a guarantor' is no.")})
    row.full_clean(exclude=["company", "customer"])
    row.save()
    return row
