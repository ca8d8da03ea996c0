"""Every write of the policies' configuration and of the customer's qualification: keyword-only,
atomic, validated (the rules' refusals worded for the user), permission-checked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import User
from core.visibility import Action, can, may

from . import messages, rules
from .method import terms_of
from .models import Policy, Precondition, Qualification


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


POLICY_FIELDS = (
    "code",
    "name",
    "source",
    "provider",
    "description",
    "method",
    "down_ratio_min",
    "down_ratio_max",
    "terms",
    "annual_rate",
    "monthly_fee_rate",
    "upfront_fee_rate",
    "upfront_fee_fen",
    "monthly_fee_fen",
    "deposit_rate",
    "grace_months",
    "grace_kind",
    "balloon_rate",
    "guarantee",
    "price_reduction_fen",
    "subsidy_per_hour_fen",
    "subsidy_cap_fen",
    "subsidy_months",
    "preconditions",
    "valid_from",
    "valid_to",
    "active",
    "order",
)


@transaction.atomic
def policy_save(*, actor: User, policy: Policy | None = None, products=None, **values) -> Policy:
    """Create (``policy`` None) or change a commercial policy; refused when its parameters are absurd
    or inconsistent (naming the field) or the code is taken. ``products``: the machines it is for
    (None: unchanged; empty: every machine)."""
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    if policy is None:
        if not may(actor, Policy, Action.CHANGE):
            raise PermissionError(_("You may not change the commercial policies."))
        policy = Policy(company_id=actor.company_id)
    elif not can(actor, policy, Action.CHANGE):
        raise PermissionError(_("You may not change the commercial policies."))
    for name, value in values.items():
        setattr(policy, name, value)
    policy_validate(policy)  # the rules first: they name the field (e.g. valid_to before valid_from)
    policy.full_clean()  # then the field checks and the unique code within the company
    policy.save()
    if products is not None:
        policy.products.set(products)
    return policy


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
