"""Writes of prevention and KPIs: recording a credit check (资信调查).

Keyword-only, atomic, validated (``ValidationError({field: message})``), permission-checked through
the CreditCheck policy of core/visibility.py (``PermissionError``); the audit trail records the row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.visibility import Action, can, visible
from customers.models import Customer
from orders.documents import parse_day

from ..models import ReceivableAccount
from . import rules
from .models import CreditCheck
from .selectors import may_record_check

NOTE_MAX = 2000


def _clean(customer, account, stage, checked_on, sources, result, note) -> dict:
    errors: dict[str, str] = {}
    day = None
    try:
        day = parse_day(checked_on, "checked_on")
        if day > timezone.localdate():
            errors["checked_on"] = _("The date of the check cannot be in the future.")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    stage = (stage or "").strip()
    if stage not in CreditCheck.Stage.values:
        errors["stage"] = _("Choose the stage: before the contract, during the term or before a new sale.")
    result = (result or "").strip()
    if result not in CreditCheck.Result.values:
        errors["result"] = _("Choose the result: good, caution or bad.")
    if isinstance(sources, str):
        sources = [sources]
    chosen, unknown = rules.clean_sources(sources or [])
    if unknown:
        errors["sources"] = _("Unknown source: %(names)s. Choose from the list.") % {"names": ", ".join(unknown)}
    elif not chosen:
        errors["sources"] = _("Tick at least one source the check looked at.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("At most %(n)s characters.") % {"n": NOTE_MAX}
    if result in (rules.CAUTION, rules.BAD) and not note:
        errors["note"] = _("Say what was found: a caution or a bad result needs a note.")
    if account is not None and account.customer_id != customer.pk:
        errors["account"] = _("This account is not the customer's.")
    if errors:
        raise ValidationError(errors)
    return {"stage": stage, "checked_on": day, "sources": chosen, "result": result, "note": note}


@transaction.atomic
def credit_check_record(
    *,
    actor,
    customer: Customer,
    stage: str,
    checked_on,
    sources: list[str] | str,
    result: str,
    note: str = "",
    account: ReceivableAccount | None = None,
) -> CreditCheck:
    """Record a credit check (资信调查) of ``customer`` (optionally from one of its accounts). The
    owning salesperson, managers and finance of the customer's region and administrators may."""
    if not may_record_check(actor, customer) or not visible(actor, Customer).filter(pk=customer.pk).exists():
        raise PermissionError(_("You may not record a credit check for this customer."))
    values = _clean(customer, account, stage, checked_on, sources, result, note)
    check = CreditCheck.objects.create(
        company_id=customer.company_id,
        customer=customer,
        account=account,
        by=actor,
        at=timezone.now(),
        **values,
    )
    if not can(actor, check, Action.CHANGE):  # the policy decides; the transaction undoes the row
        raise PermissionError(_("You may not record a credit check for this customer."))
    return check
