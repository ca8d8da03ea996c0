"""Every write of collection (回款): the plan table and its 5W2H rounds, collection actions with
promises to pay, the promises' tracking (kept, partly kept, broken) and the sweep, the default list
of techniques. Keyword-only, atomic, validated (``ValidationError({field: message})``), checked
(``PermissionError``): the account's salesperson, the region's managers, finance of the region and
administrators record collection work (``selectors.may_collect``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core import audit
from core.models import Todo
from core.services import notify, todo_done, todo_post
from orders.documents import parse_day, parse_fen

from ..models import Instalment, Payment, PaymentPromise, ReceivableAccount
from ..signals import risk_inputs_changed
from . import rules
from .models import CollectionAction, CollectionPlan, CollectionPlanStep, CollectionTechnique, Tactic
from .selectors import may_collect
from .techniques import default_rows

PROMISE_TODO = "receivables.promise."  # + promise pk: the salesperson's follow-up of a broken promise
DEDUCTION_TODO = "receivables.deduction."  # + payment pk: the manager settles a deliberate deduction


def _require(actor, account) -> None:
    if not may_collect(actor, account):
        raise PermissionError(
            _(
                "Only the account's salesperson, the region's managers, finance and administrators "
                "record collection work."
            )
        )


def _text(value, field: str, errors: dict, *, max_length: int, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > max_length:
        errors[field] = _("At most %(n)d characters.") % {"n": max_length}
    return text


def _moment(value, field: str, errors: dict) -> dt.datetime | None:
    """A local date and time ("2026-12-03 09:30", ISO or a datetime) as an aware datetime."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = parse_datetime(str(value or "").strip().replace("T", " "))
        except ValueError:
            moment = None
        if moment is None:
            errors[field] = _("Enter a date and a time.")
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# ------------------------------------------------------------------------------------ techniques
@transaction.atomic
def techniques_seed(*, company) -> int:
    """Give ``company`` the deck's 22 techniques and 8 tips (the codes it lacks). Returns how many."""
    have = set(CollectionTechnique.objects.filter(company=company).values_list("code", flat=True))
    rows = [CollectionTechnique(company=company, **r) for r in default_rows() if r["code"] not in have]
    if rows:
        made = CollectionTechnique.objects.bulk_create(rows)
        audit.log_bulk(CollectionTechnique, made, "create")
    return len(rows)


# ----------------------------------------------------------------------------------- plan table
PLAN_TEXT = {
    "item_name": 120,
    "item_spec": 120,
    "acceptor": 120,
    "acceptance_standard": 2000,
    "payment_method": 200,
    "acceptance_method": 2000,
    "payer": 120,
}


@transaction.atomic
def plan_save(*, actor, account: ReceivableAccount, answers: dict) -> CollectionPlan:
    """Save the answers to the six questions (any subset: unanswered ones stay missing)."""
    _require(actor, account)
    errors: dict[str, str] = {}
    values = {name: _text(answers.get(name), name, errors, max_length=n) for name, n in PLAN_TEXT.items()}
    raw_q = answers.get("quantity")
    values["quantity"] = None
    if raw_q not in (None, ""):
        try:
            q = int(str(raw_q).strip())
            if q < 1:
                raise ValueError
            values["quantity"] = q
        except ValueError:
            errors["quantity"] = _("Enter a whole number of at least 1.")
    values["amount_fen"] = None
    try:
        fen = parse_fen(answers.get("amount_fen"), "amount_fen", required=False)
        values["amount_fen"] = fen or None
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    values["sold_on"] = None
    try:
        values["sold_on"] = parse_day(answers.get("sold_on"), "sold_on", required=False)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    plan = CollectionPlan.objects.select_for_update().filter(account=account).first()
    now = timezone.now()
    if plan is None:
        plan = CollectionPlan(company_id=account.company_id, account=account)
    for name, value in values.items():
        setattr(plan, name, value)
    plan.updated_by = actor
    plan.updated_at = now
    plan.save()
    return plan


@transaction.atomic
def step_add(
    *, actor, account: ReceivableAccount, what: str, who: str, planned_at, place: str, how: str, amount_fen
) -> CollectionPlanStep:
    """A collection round planned with 5W2H (what and why, who, when, where, how, how much)."""
    _require(actor, account)
    errors: dict[str, str] = {}
    what = _text(what, "what", errors, max_length=200, required=True)
    who = _text(who, "who", errors, max_length=120, required=True)
    place = _text(place, "place", errors, max_length=200, required=True)
    how = _text(how, "how", errors, max_length=300, required=True)
    when = _moment(planned_at, "planned_at", errors)
    if when is not None and timezone.localdate(when) < timezone.localdate():
        errors["planned_at"] = _("A round is planned for today or later.")
    try:
        fen = parse_fen(amount_fen, "amount_fen")
        if fen <= 0:
            errors["amount_fen"] = _("The amount must be more than zero.")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    ReceivableAccount.objects.select_for_update().filter(pk=account.pk).first()  # numbering, one at a time
    n = (CollectionPlanStep.objects.filter(account=account).order_by("-n").values_list("n", flat=True).first() or 0) + 1
    return CollectionPlanStep.objects.create(
        company_id=account.company_id,
        account=account,
        n=n,
        what=what,
        who=who,
        planned_at=when,
        place=place,
        how=how,
        amount_fen=fen,
        by=actor,
        at=timezone.now(),
    )


@transaction.atomic
def step_done(*, actor, step: CollectionPlanStep) -> CollectionPlanStep:
    _require(actor, step.account)
    if not step.done:
        step.done = True
        step.save(update_fields=["done"])
    return step


# ------------------------------------------------------------------------------------ actions
def outstanding_fen(account: ReceivableAccount) -> int:
    total = Instalment.objects.filter(account=account).aggregate(s=Sum(F("amount_fen") - F("paid_fen")))["s"]
    return total or 0


def _techniques(company_id, values, errors: dict) -> list[CollectionTechnique]:
    wanted = []
    for v in values or []:
        v = str(v).strip()
        if v and v not in wanted:
            wanted.append(v)
    if not wanted:
        return []
    rows = list(CollectionTechnique.objects.filter(company_id=company_id, active=True))
    by_key = {str(t.pk): t for t in rows} | {t.code: t for t in rows}
    unknown = [v for v in wanted if v not in by_key]
    if unknown:
        errors["techniques"] = _("Unknown technique: %(codes)s. Choose from the list.") % {"codes": "、".join(unknown)}
        return []
    return list({by_key[v].pk: by_key[v] for v in wanted}.values())


PROMISE_MESSAGES = {
    rules.PROMISE_IN_PAST: lambda hours: _("The promised date and time must be in the future."),
    rules.PROMISE_OUT_OF_HOURS: lambda hours: (
        _("Fix a time within contact hours (%(start)02d:00–%(end)02d:00).") % {"start": hours[0], "end": hours[1]}
    ),
    rules.PROMISE_TOO_FAR: lambda hours: _("Fix an exact date within %(n)d days.") % {"n": rules.PROMISE_MAX_DAYS},
}


@transaction.atomic
def action_record(
    *,
    actor,
    account: ReceivableAccount,
    kind: str,
    outcome: str,
    at=None,
    techniques=(),
    tactic: str = "",
    note: str = "",
    promised_at=None,
    promise_amount_fen=None,
) -> CollectionAction:
    """A visit, call or message (催收记录) with the techniques used, the tactic met and the outcome.
    With a promise to pay (an exact date, time and amount, outcome "promised to pay"): the promised
    moment in the future, within contact hours and at most 90 days away; the amount more than zero
    and at most what is outstanding."""
    _require(actor, account)
    errors: dict[str, str] = {}
    now = timezone.now()
    kind = (kind or "").strip()
    if kind not in CollectionAction.Kind.values:
        errors["kind"] = _("Choose a visit, a call or a message.")
    outcome = (outcome or "").strip()
    if outcome not in CollectionAction.Outcome.values:
        errors["outcome"] = _("Choose the outcome from the list.")
    tactic = (tactic or "").strip()
    if tactic and tactic not in Tactic.values:
        errors["tactic"] = _("Choose the customer's tactic from the list.")
    note = _text(note, "note", errors, max_length=2000)
    if outcome == CollectionAction.Outcome.OTHER and not note:
        errors["note"] = _("Say what happened.")
    when = now if at in (None, "") else _moment(at, "at", errors)
    if when is not None and when > now + dt.timedelta(minutes=5):
        errors["at"] = _("An action is recorded once it has happened: not in the future.")
    if when is not None and timezone.localdate(when) < account.start_on:
        errors["at"] = _("The action cannot be before the account started.")
    chosen = _techniques(account.company_id, techniques, errors)
    has_promise = promised_at not in (None, "") or promise_amount_fen not in (None, "", 0)
    promise_when = promise_fen = None
    if outcome == CollectionAction.Outcome.PROMISE or has_promise:
        if outcome != CollectionAction.Outcome.PROMISE and "outcome" not in errors:
            errors["outcome"] = _("A promise to pay goes with the outcome “promised to pay”.")
        if promised_at in (None, ""):
            errors["promised_at"] = _("A promise needs an exact date and time.")
        else:
            promise_when = _moment(promised_at, "promised_at", errors)
            if promise_when is not None:
                from ..ops.services import settings_for  # the company's contact hours (default 08:00–21:00)

                hours = settings_for(account.company_id).contact_hours
                problem = rules.promise_problem(
                    timezone.localtime(promise_when), timezone.localtime(now), contact_hours=hours
                )
                if problem:
                    errors["promised_at"] = PROMISE_MESSAGES[problem](hours)
        try:
            promise_fen = parse_fen(promise_amount_fen, "promise_amount_fen")
            if promise_fen <= 0:
                errors["promise_amount_fen"] = _("The promised amount must be more than zero.")
            else:
                left = outstanding_fen(account)
                if promise_fen > left:
                    errors["promise_amount_fen"] = _(
                        "The promised amount is more than what is outstanding (%(left)s)."
                    ) % {"left": _yuan(left)}
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    promise = None
    if promise_when is not None:
        promise = PaymentPromise.objects.create(
            company_id=account.company_id,
            account=account,
            promised_at=promise_when,
            amount_fen=promise_fen,
            by=actor,
            at=now,
        )
    action = CollectionAction.objects.create(
        company_id=account.company_id,
        account=account,
        kind=kind,
        at=when,
        on=timezone.localdate(when),
        by=actor,
        tactic=tactic,
        outcome=outcome,
        note=note,
        promise=promise,
        recorded_at=now,
    )
    if chosen:
        action.techniques.set(chosen)
        # the many-to-many rows have no save(): the audit trail gets the techniques explicitly
        audit.log_update(action, {"techniques": [[], [t.code for t in chosen]]})
    if promise is not None:
        # a new exact date settles the follow-up of the promises broken before it
        for old in PaymentPromise.objects.filter(
            account=account, status__in=(PaymentPromise.Status.BROKEN, PaymentPromise.Status.PARTLY)
        ):
            _close_todos(f"{PROMISE_TODO}{old.pk}")
    return action


def _yuan(fen: int) -> str:
    from pitch.templatetags.pitch_tags import yuan

    return yuan(fen)


# ----------------------------------------------------------------------------------- promises
def _managers(account: ReceivableAccount) -> list:
    from ..risk.services import approvers_for  # the region's managers, else the administrators

    return approvers_for(account)


def _close_todos(key: str) -> None:
    for todo in Todo.objects.filter(key=key, status=Todo.Status.OPEN):
        todo_done(todo=todo)


def _account_url(account) -> str:
    return reverse("receivables:detail", args=[account.pk])


def _on_broken(promise: PaymentPromise, account: ReceivableAccount, today: dt.date) -> None:
    """A promise broken (or only partly kept): the salesperson goes again and fixes a new exact date;
    the managers are told."""
    values = {
        "customer": account.customer.name,
        "amount": _yuan(promise.amount_fen),
        "when": timezone.localtime(promise.promised_at).strftime("%Y-%m-%d %H:%M"),
        "paid": _yuan(promise.paid_fen),
    }
    if promise.status == PaymentPromise.Status.BROKEN:
        title = _("Promise broken: %(customer)s did not pay %(amount)s promised for %(when)s") % values
    else:
        title = _("Promise partly kept: %(customer)s paid %(paid)s of %(amount)s promised for %(when)s") % values
    note = _(
        "Visit again, find out why (a finance problem or a deliberate deduction) and fix a new exact date, "
        "time and amount at once."
    )
    salesperson = account.salesperson if account.salesperson_id else account.customer.owner
    if salesperson is not None and salesperson.is_active:
        todo_post(
            user=salesperson,
            title=title,
            due=today,
            kind="promise_broken",
            url=_account_url(account),
            note=note,
            key=f"{PROMISE_TODO}{promise.pk}",
            about=promise,
        )
    for manager in _managers(account):
        notify(user=manager, title=title, body=f"{account.contract_number} · {note}", url=_account_url(account))


@transaction.atomic
def promises_refresh(*, account: ReceivableAccount, now: dt.datetime | None = None, signal: bool = True) -> list:
    """Recompute the account's promises from the payments received (``rules.settle_promises``):
    each promise's amount paid and status. A promise newly broken or partly kept posts the
    salesperson's to-do and tells the managers; one that turns out kept (a payment booked late with
    its true date) closes that to-do. Sends ``risk_inputs_changed`` when a status changed (unless
    ``signal`` is False: the caller sends it). Returns the promises whose status changed."""
    today = timezone.localdate(now or timezone.now())
    promises = list(PaymentPromise.objects.select_for_update().filter(account=account).order_by("promised_at", "pk"))
    if not promises:
        return []
    made_from = min(timezone.localdate(p.at) for p in promises)
    payments = Payment.objects.filter(
        account=account, kind=Payment.Kind.PAYMENT, reversal__isnull=True, received_on__gte=made_from
    ).values_list("received_on", "amount_fen")
    results = rules.settle_promises(
        [
            rules.PromiseIn(p.pk, timezone.localdate(p.at), timezone.localdate(p.promised_at), p.amount_fen)
            for p in promises
        ],
        list(payments),
        today,
    )
    failed = {PaymentPromise.Status.BROKEN, PaymentPromise.Status.PARTLY}
    changed = []
    stamp = now or timezone.now()
    for promise, result in zip(promises, results, strict=True):
        if promise.paid_fen == result.paid_fen and promise.status == result.status:
            continue
        before = promise.status
        promise.paid_fen = result.paid_fen
        promise.status = result.status
        promise.resolved_at = None if result.status == PaymentPromise.Status.OPEN else stamp
        promise.save(update_fields=["paid_fen", "status", "resolved_at"])
        if before == result.status:
            continue
        changed.append(promise)
        if result.status in failed and before not in failed:
            _on_broken(promise, account, today)
        elif result.status not in failed and before in failed:
            _close_todos(f"{PROMISE_TODO}{promise.pk}")
    if changed and signal:
        risk_inputs_changed.send(sender=PaymentPromise, account=account)
    return changed


def promise_sweep(now: dt.datetime | None = None) -> int:
    """The promises whose day has passed while still open become broken (or partly kept): every
    company, one account at a time. Returns how many promises changed."""
    now = now or timezone.now()
    start_of_today = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    account_ids = (
        PaymentPromise.objects.filter(status=PaymentPromise.Status.OPEN, promised_at__lt=start_of_today)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )
    changed = 0
    for account in ReceivableAccount.objects.filter(pk__in=list(account_ids)).select_related(
        "customer", "salesperson", "customer__owner"
    ):
        changed += len(promises_refresh(account=account, now=now))
    return changed


# -------------------------------------------------------------------------- partial payments
def deduction_todo(payment: Payment, account: ReceivableAccount) -> None:
    """A deliberate deduction (故意扣减) is a dispute to settle: a to-do to the managers."""
    if payment.kind != Payment.Kind.PAYMENT or payment.shortfall_reason != Payment.Shortfall.DEDUCTION:
        return
    title = _("Deduction to settle: %(customer)s paid %(amount)s, deducting for: %(note)s") % {
        "customer": account.customer.name,
        "amount": _yuan(payment.amount_fen),
        "note": payment.shortfall_note or "—",
    }
    for manager in _managers(account):
        todo_post(
            user=manager,
            title=title,
            due=timezone.localdate(),
            kind="payment_deduction",
            url=_account_url(account),
            note=_("Find out whether the deduction is justified (a service dispute, a part) and settle it."),
            key=f"{DEDUCTION_TODO}{payment.pk}",
            about=payment,
        )
