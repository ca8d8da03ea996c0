"""Every write of receivables (债权管理): accounts from contracts, payments (回款) and reversals (冲正).

Keyword-only, atomic, validated (``ValidationError({field: message})``), permission-checked
(``PermissionError``). Only finance of the account's region and administrators record or reverse
payments (``visibility.can(actor, account, CHANGE)``); nothing ever edits or deletes a payment.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.visibility import Action, can
from orders.documents import parse_day, parse_fen

from . import rules
from .collection.rules import due_by, is_shortfall
from .models import Allocation, Instalment, Payment, ReceivableAccount
from .signals import payment_posted, risk_inputs_changed

KEY_MAX = 64
REVERSAL_KEY = "reversal:"  # a reversal's own key: f"reversal:{payment.pk}"


def _schedule_lines(contract) -> list[dict]:
    """The contract's schedule in fen, exactly: ValidationError naming the line when not whole fen."""
    lines = []
    for i, line in enumerate(contract.schedule or [], start=1):
        try:
            amounts = {k: rules.fen_of_yuan(line.get(k) or "0") for k in ("principal", "interest", "fee", "payment")}
            due = dt.date.fromisoformat(line["due"])
            n = int(line.get("n") or i)
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                {"schedule": _("Line %(n)s of the instalment schedule is not valid.") % {"n": i}}
            ) from None
        lines.append({"n": n, "due_on": due, **amounts})
    return lines


@transaction.atomic
def account_from_contract(*, contract) -> ReceivableAccount | None:
    """The receivable account (应收账户) of a contract with an instalment schedule, with one
    instalment per line. Idempotent: a contract has at most one account (the existing one is
    returned). A contract without a schedule (full payment) has none: None."""
    existing = ReceivableAccount.objects.filter(contract_id=contract.pk).first()
    if existing is not None:
        return existing
    lines = _schedule_lines(contract)
    if not lines:
        return None
    order = contract.order
    customer = order.customer
    machine = getattr(order, "machine", None)  # none yet: RelatedObjectDoesNotExist is an AttributeError
    product = str(order.product) if order.product_id else ""
    if machine is not None:
        product = f"{product} {machine.serial_number}".strip()
    handed = contract.handed_to_receivables_at or timezone.now()
    now = timezone.now()
    account = ReceivableAccount.objects.create(
        company_id=contract.company_id,
        customer=customer,
        contract=contract,
        contract_number=contract.number,
        product=product[:120],
        salesperson_id=order.deal.salesperson_id if order.deal_id else customer.owner_id,
        region_id=customer.region_id,
        policy_name=(order.policy.name if order.policy_id else "")[:100],
        principal_fen=sum(line["principal"] for line in lines),
        start_on=timezone.localdate(handed),
        source=ReceivableAccount.Source.CONTRACT,
        created_at=now,
    )
    for line in lines:
        Instalment.objects.create(
            company_id=account.company_id,
            account=account,
            n=line["n"],
            due_on=line["due_on"],
            principal_fen=line["principal"],
            interest_fen=line["interest"],
            fee_fen=line["fee"],
            amount_fen=line["payment"] or line["principal"] + line["interest"] + line["fee"],
        )
    return account


def _require_change(actor, account: ReceivableAccount, what: str) -> None:
    if not can(actor, account, Action.CHANGE):
        raise PermissionError(_("Only finance of the account's region and administrators record payments."))


def _lock(account: ReceivableAccount) -> ReceivableAccount:
    return ReceivableAccount.objects.select_for_update().get(pk=account.pk)


def _settle_status(account: ReceivableAccount) -> None:
    """open ↔ settled by whether anything is still outstanding (a written-off account stays so)."""
    if account.status == ReceivableAccount.Status.WRITTEN_OFF:
        return
    totals = Instalment.objects.filter(account=account).aggregate(a=Sum("amount_fen"), p=Sum("paid_fen"))
    settled = (totals["a"] or 0) == (totals["p"] or 0)
    status = ReceivableAccount.Status.SETTLED if settled else ReceivableAccount.Status.OPEN
    if account.status != status:
        account.status = status


def _same_request(existing: Payment, account, amount, received, method, payer) -> None:
    """The same idempotency key sent again: refused, naming the field, when the data differ."""
    for field, old, new in (
        ("account", existing.account_id, account.pk),
        ("amount_fen", existing.amount_fen, amount),
        ("received_on", existing.received_on, received),
        ("method", existing.method, method),
        ("payer_name", existing.payer_name, payer),
    ):
        if old != new:
            raise ValidationError(
                {
                    field: _(
                        "This idempotency key was already used for a payment with a different %(field)s: "
                        "send a new key for a new payment."
                    )
                    % {"field": field}
                }
            )


# the three traps (SPEC §7): these reach the ledger only through an approved settlement request
# (receivables/risk/services.py settlement_decide), never straight from the payment form or API
APPROVED_ONLY = frozenset({Payment.Method.THIRD_PARTY, Payment.Method.OFFSET, Payment.Method.GOODS})


def _parse_payment(amount_fen, received_on, method, payer_name, idempotency_key, approved=False):
    errors: dict[str, str] = {}
    amount = received = None
    try:
        amount = parse_fen(amount_fen, "amount_fen")
        if amount <= 0:
            errors["amount_fen"] = _("The amount must be more than zero.")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        received = parse_day(received_on, "received_on")
        if received > timezone.localdate():
            errors["received_on"] = _("The date received cannot be in the future.")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    method = (method or "").strip()
    if method not in Payment.Method.values:
        errors["method"] = _("Choose how the money was paid: cash, bank transfer or a third party.")
    elif method in APPROVED_ONLY and not approved:
        errors["method"] = _(
            "A payment by a third party, an offset against another debt or goods in place of money needs "
            "finance's approval first (the three traps): request it on the account page."
        )
    payer = (payer_name or "").strip()
    if method == Payment.Method.THIRD_PARTY and not payer:
        errors["payer_name"] = _("A payment by a third party needs the payer's name.")
    if len(payer) > 100:
        errors["payer_name"] = _("At most 100 characters.")
    key = (idempotency_key or "").strip()
    if not key:
        errors["idempotency_key"] = _("An idempotency key is required (a new one for each payment).")
    elif key.startswith(REVERSAL_KEY):
        errors["idempotency_key"] = _("This idempotency key is reserved: send another one.")
    elif len(key) > KEY_MAX:
        errors["idempotency_key"] = _("At most %(n)d characters.") % {"n": KEY_MAX}
    if errors:
        raise ValidationError(errors)
    return amount, received, method, payer, key


@transaction.atomic
def payment_record(
    *,
    actor,
    account: ReceivableAccount,
    amount_fen,
    received_on,
    method,
    payer_name: str = "",
    idempotency_key,
    shortfall_reason: str = "",
    shortfall_note: str = "",
    settlement_approved: bool = False,
    require_shortfall: bool = False,
) -> Payment:
    """A payment received (回款), allocated to the outstanding instalments in the account's order;
    what is left is the account's credit. The same idempotency key returns the payment it recorded
    (and is refused, naming the field, if the data differ).

    A partial payment — less than what was due up to the date received (overdue + due that day) —
    says why (SPEC §7): a finance problem on the customer's side or a deliberate deduction, and for
    what. ``require_shortfall`` (the payment form and the API) refuses one without both."""
    _require_change(actor, account, "payment_record")
    amount, received, method, payer, key = _parse_payment(
        amount_fen, received_on, method, payer_name, idempotency_key, approved=settlement_approved
    )
    shortfall = (shortfall_reason or "").strip()
    if shortfall and shortfall not in Payment.Shortfall.values:
        raise ValidationError({"shortfall_reason": _("Choose why only part was paid from the list.")})
    account = _lock(account)
    existing = Payment.objects.filter(company_id=account.company_id, idempotency_key=key).first()
    if existing is not None:
        _same_request(existing, account, amount, received, method, payer)
        return existing
    instalments = list(Instalment.objects.filter(account=account).order_by("due_on", "n"))
    note = (shortfall_note or "").strip()
    due = due_by([(i.due_on, i.outstanding_fen) for i in instalments], received)
    if not is_shortfall(amount, due):
        shortfall, note = "", ""  # paid in full: nothing short
    elif require_shortfall:
        errors = {}
        if not shortfall:
            errors["shortfall_reason"] = _(
                "%(due)s was due by this date: say why only part was paid (a finance problem or a deduction)."
            ) % {"due": _yuan(due)}
        if not note:
            errors["shortfall_note"] = _("Say what the shortfall is for (e.g. a service dispute, a part).")
        if errors:
            raise ValidationError(errors)
    allocations, credit = rules.allocate(
        amount,
        [(i.pk, i.due_on, i.outstanding_fen) for i in instalments],
        account.allocation_order,
        as_of=received,
    )
    try:
        with transaction.atomic():  # a concurrent request with the same key on another account
            payment = Payment.objects.create(
                company_id=account.company_id,
                account=account,
                kind=Payment.Kind.PAYMENT,
                amount_fen=amount,
                credit_fen=credit,
                received_on=received,
                method=method,
                payer_name=payer,
                idempotency_key=key,
                shortfall_reason=shortfall,
                shortfall_note=note,
                by=actor,
                at=timezone.now(),
            )
    except IntegrityError:
        existing = Payment.objects.get(company_id=account.company_id, idempotency_key=key)
        _same_request(existing, account, amount, received, method, payer)
        return existing
    by_id = {i.pk: i for i in instalments}
    for instalment_id, fen in allocations:
        instalment = by_id[instalment_id]
        Allocation.objects.create(company_id=account.company_id, payment=payment, instalment=instalment, amount_fen=fen)
        instalment.paid_fen += fen
        instalment.save(update_fields=["paid_fen"])
    account.credit_fen += credit
    _settle_status(account)
    account.save(update_fields=["credit_fen", "status"])
    _posted(payment, account)
    return payment


def _yuan(fen: int) -> str:
    from pitch.templatetags.pitch_tags import yuan

    return yuan(fen)


def _posted(payment: Payment, account: ReceivableAccount) -> None:
    """Tell the parts of collection (promises, risk) that the ledger moved."""
    payment_posted.send(sender=Payment, payment=payment, account=account)
    risk_inputs_changed.send(sender=ReceivableAccount, account=account)


@transaction.atomic
def payment_reverse(*, actor, payment: Payment, reason: str) -> Payment:
    """A reversal (冲正) of a payment recorded in error: a new entry undoing its allocations and its
    credit. The reason is required; a payment is reversed once only; a reversal is not reversed."""
    account = payment.account
    _require_change(actor, account, "payment_reverse")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the payment is reversed.")})
    account = _lock(account)
    payment = Payment.objects.get(pk=payment.pk)
    if payment.kind != Payment.Kind.PAYMENT:
        raise ValidationError({"payment": _("A reversal cannot be reversed.")})
    if Payment.objects.filter(reverses=payment).exists():
        raise ValidationError({"payment": _("This payment has already been reversed.")})
    if account.credit_fen < payment.credit_fen:
        raise ValidationError({"payment": _("The credit this payment left has been used: it cannot be reversed.")})
    reversal = Payment.objects.create(
        company_id=account.company_id,
        account=account,
        kind=Payment.Kind.REVERSAL,
        amount_fen=payment.amount_fen,
        credit_fen=payment.credit_fen,
        received_on=timezone.localdate(),
        method=payment.method,
        payer_name=payment.payer_name,
        idempotency_key=f"{REVERSAL_KEY}{payment.pk}",
        reverses=payment,
        reason=reason,
        by=actor,
        at=timezone.now(),
    )
    for allocation in Allocation.objects.filter(payment=payment).select_related("instalment"):
        Allocation.objects.create(
            company_id=account.company_id,
            payment=reversal,
            instalment=allocation.instalment,
            amount_fen=-allocation.amount_fen,
        )
        instalment = Instalment.objects.select_for_update().get(pk=allocation.instalment_id)
        instalment.paid_fen -= allocation.amount_fen
        instalment.save(update_fields=["paid_fen"])
    account.credit_fen -= payment.credit_fen
    _settle_status(account)
    account.save(update_fields=["credit_fen", "status"])
    _posted(reversal, account)
    return reversal


def take_handed_contracts(company) -> int:
    """Accounts for the contracts handed to receivables before this module listened (or by the demo,
    which marks them without the signal). Returns how many accounts were created."""
    from orders.models import Contract

    made = 0
    for contract in (
        Contract.objects.filter(
            company=company, handed_to_receivables_at__isnull=False, receivable_account__isnull=True
        )
        .select_related("order__customer", "order__deal", "order__policy", "order__product")
        .order_by("pk")
    ):
        if contract.schedule and account_from_contract(contract=contract) is not None:
            made += 1
    return made
