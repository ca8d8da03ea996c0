"""Every write of risk (风险预警), arrears (欠款类型), escalation (升级催收) and the three traps.

Keyword-only, atomic, validated (``ValidationError({field: message})``), permission-checked
(``PermissionError``), audited through the models (core.audit).

- Staff on an account (its salesperson, the region's managers and finance, administrators — whoever
  may see the account) record risk signals, the arrears type with its cause, escalation requests,
  notices to the customer and settlement requests.
- A step above a visit is decided by a manager of the account's region (else an administrator),
  never by the requester; a settlement request by finance of the region or an administrator.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import checked_photo
from core.models import Role, Todo, User
from core.selectors import region_people
from core.services import notify, todo_done, todo_post
from core.visibility import Action, can
from orders.documents import parse_day, parse_fen

from .. import selectors as ledger
from ..models import ArrearsType, Instalment, Payment, PaymentPromise, ReceivableAccount
from . import rules
from .defaults import DEFAULT_STAGES
from .models import (
    WRITTEN_CHANNELS,
    ArrearsPlaybook,
    ArrearsRecord,
    EscalationStage,
    EscalationStep,
    RiskAssessment,
    RiskSettings,
    RiskSignal,
    SettlementRequest,
)

PHOTO_MAX_MB = 10  # a phone photo of the evidence
STAFF_ROLES = (Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN)
TODO_RISK = "receivables_risk"
TODO_ESCALATION = "receivables_escalation"
TODO_LOCK = "receivables_lock"
TODO_SETTLEMENT = "receivables_settlement"
TEXT_MAX = 4000


# ------------------------------------------------------------------------------------------ helpers
def _text(value, field: str, *, required: str | None = None, max_length: int = TEXT_MAX) -> str:
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return text


def _require_staff(actor, account: ReceivableAccount) -> None:
    if not (getattr(actor, "pk", None) and actor.has_role(*STAFF_ROLES) and can(actor, account, Action.VIEW)):
        raise PermissionError(
            _("Only the account's salesperson, the region's managers and finance, and administrators may do this.")
        )


def _url(account: ReceivableAccount) -> str:
    return reverse("receivables:detail", args=[account.pk])


def settings_of(company_id: int) -> RiskSettings:
    """The company's risk settings (the defaults, unsaved, until an administrator changes them)."""
    return RiskSettings.objects.filter(company_id=company_id).first() or RiskSettings(company_id=company_id)


def approvers_for(account: ReceivableAccount, *, exclude=None) -> list[User]:
    """The active managers covering the account's region; if none, the company's administrators."""
    return region_people(account.company_id, account.region_id, Role.MANAGER, exclude=exclude)


def finance_for(account: ReceivableAccount, *, exclude=None) -> list[User]:
    """Finance covering the account's region; if none, the company's administrators."""
    return region_people(account.company_id, account.region_id, Role.FINANCE, exclude=exclude)


def may_decide_step(user, step: EscalationStep) -> bool:
    """A manager of the account's region or an administrator — never the requester."""
    if not getattr(user, "pk", None) or user.company_id != step.company_id or step.requested_by_id == user.pk:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.MANAGER) and step.account.region_id in user.region_ids


def may_decide_settlement(user, request: SettlementRequest) -> bool:
    """Finance of the account's region or an administrator — never the requester."""
    if not getattr(user, "pk", None) or user.company_id != request.company_id or request.requested_by_id == user.pk:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.FINANCE) and request.account.region_id in user.region_ids


def _close_todos(key: str) -> None:
    for todo in Todo.objects.filter(key=key, status=Todo.Status.OPEN):
        todo_done(todo=todo)


# ------------------------------------------------------------------------------------- risk settings
@transaction.atomic
def risk_settings_set(
    *, actor, weights: dict | None = None, thresholds=None, lock_max_days=None, lock_review_days=None
) -> RiskSettings:
    """An administrator sets the weights (0–100 each), the thresholds (low < watch < high) and the
    lock's limits; every open account of the company is then re-scored in the background."""
    if not (getattr(actor, "pk", None) and actor.has_role(Role.ADMIN)):
        raise PermissionError(_("Only administrators change the risk settings."))
    row = RiskSettings.objects.select_for_update().filter(company_id=actor.company_id).first() or RiskSettings(
        company_id=actor.company_id
    )
    errors: dict[str, str] = {}
    if weights is not None:
        if not isinstance(weights, dict):
            errors["weights"] = _("Give the weights as a list of inputs and whole numbers from 0 to 100.")
        else:
            for code, problem in rules.weights_problems(weights).items():
                if problem == "unknown":
                    errors[f"weights.{code}"] = _("Unknown risk input.")
                elif problem == "range":
                    errors[f"weights.{code}"] = _("A weight is a whole number from 0 to 100.")
                else:
                    errors[f"weights.{code}"] = _("A later days-past-due grade cannot weigh less than an earlier one.")
    if thresholds is not None:
        problem = rules.thresholds_problem(list(thresholds))
        if problem == "range":
            errors["thresholds"] = _("Three whole numbers from 1 to 1000: low, watch list and high risk.")
        elif problem == "order":
            errors["thresholds"] = _("The thresholds must rise: low below watch list below high risk.")
    for name, value in (("lock_max_days", lock_max_days), ("lock_review_days", lock_review_days)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 90):
            errors[name] = _("A whole number of days from 1 to 90.")
    if not errors and lock_review_days is not None:
        if lock_review_days > (lock_max_days if lock_max_days is not None else row.lock_max_days):
            errors["lock_review_days"] = _("The review comes before the lock's longest duration ends.")
    if errors:
        raise ValidationError(errors)
    if weights is not None:
        row.weights = {code: weights[code] for code in rules.CODES if code in weights}
    if thresholds is not None:
        row.threshold_low, row.threshold_watch, row.threshold_high = list(thresholds)
    if lock_max_days is not None:
        row.lock_max_days = lock_max_days
    if lock_review_days is not None:
        row.lock_review_days = lock_review_days
    row.save()
    # every open account is scored again by the background worker (thousands of accounts: not in the
    # administrator's request); the daily sweep would catch up anyway
    from .tasks import risk_rescore_task

    company_id = actor.company_id
    transaction.on_commit(lambda: risk_rescore_task.enqueue(company_id))
    return row


# --------------------------------------------------------------------------------------- risk score
def _inputs_queryset(qs, today: dt.date):
    """Accounts annotated with what the score reads from the ledger, in SQL."""
    broken = (
        PaymentPromise.objects.filter(account=OuterRef("pk"), status=PaymentPromise.Status.BROKEN)
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    short_payments = (
        Payment.objects.filter(account=OuterRef("pk"), kind=Payment.Kind.PAYMENT, reversal__isnull=True)
        .exclude(shortfall_reason="")
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    part_paid = (
        Instalment.objects.filter(
            account=OuterRef("pk"), due_on__lt=today, paid_fen__gt=0, paid_fen__lt=F("amount_fen")
        )
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def count(sub):
        return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0), output_field=IntegerField())

    qs = ledger.with_ageing(qs, today)
    return qs.annotate(broken_promises=count(broken), short_payments=count(short_payments), part_paid=count(part_paid))


def _signals_by_account(account_ids) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    rows = (
        RiskSignal.objects.filter(account_id__in=list(account_ids), withdrawn_at__isnull=True)
        .order_by("account_id", "-observed_on", "-id")
        .values_list("account_id", "kind", "evidence", "observed_on")
    )
    for account_id, kind, evidence, observed_on in rows:
        kinds = out.setdefault(account_id, {})
        if kind not in kinds:  # the latest evidence of each kind
            kinds[kind] = f"{observed_on:%Y-%m-%d} {evidence}"[:300]
    return out


def inputs_of(row, signals: dict[str, str]) -> rules.Inputs:
    return rules.Inputs(
        signals=signals,
        days_past_due=max(int(row.days_past_due or 0), 0),
        broken_promises=int(row.broken_promises or 0),
        partial_payments=int(row.short_payments or 0) + int(row.part_paid or 0),
        first_late_on=row.first_late_on.isoformat() if row.first_late_on else "",
    )


def _store(row: ReceivableAccount, value: int, level: str, reasons: list[rules.Reason], assessment) -> bool:
    """Save the score, level and reasons if they changed; tell the managers when the level rises to
    the watch list or high risk. Returns whether anything changed."""
    data = [{"code": r.code, "weight": r.weight, "evidence": r.evidence} for r in reasons]
    before = row.risk_level
    changed = False
    if row.risk_score != value or row.risk_level != level:
        account = ReceivableAccount.objects.get(pk=row.pk)  # a plain instance: the audit sees the change
        account.risk_score, account.risk_level = min(value, 32767), level
        account.save(update_fields=["risk_score", "risk_level"])
        changed = True
    if assessment is None:
        RiskAssessment.objects.create(
            company_id=row.company_id, account_id=row.pk, score=value, level=level, reasons=data,
            computed_at=timezone.now(),
        )  # fmt: skip
        changed = True
    elif assessment.score != value or assessment.level != level or assessment.reasons != data:
        assessment.score, assessment.level, assessment.reasons = value, level, data
        assessment.computed_at = timezone.now()
        assessment.save()
        changed = True
    if rules.rises_to_alert(before, level):
        _alert_managers(row, value, level, reasons)
    return changed


def _alert_managers(account: ReceivableAccount, value: int, level: str, reasons: list[rules.Reason]) -> None:
    from .labels import reason_label

    top = "; ".join(f"{reason_label(r.code)} +{r.weight}" for r in reasons[:3])
    level_label = _("high risk") if level == rules.HIGH else _("watch list")
    title = _("Risk %(level)s: %(customer)s %(contract)s (score %(score)s)") % {
        "level": level_label,
        "customer": account.customer.name,
        "contract": account.contract_number,
        "score": value,
    }
    key = f"receivables.risk.{account.pk}.{level}"
    for manager in approvers_for(account):
        told = Todo.objects.filter(user=manager, key=key).exists()
        todo_post(
            user=manager, title=title, due=timezone.localdate(), kind=TODO_RISK, url=_url(account), note=top, key=key,
            about=account,
        )  # fmt: skip
        if not told:  # a level going down and up again does not ring twice
            notify(user=manager, title=title, body=top, url=_url(account))


@transaction.atomic
def risk_recompute(*, account: ReceivableAccount, today: dt.date | None = None) -> ReceivableAccount:
    """Score the account from its signals and its ledger; store score, level and reasons."""
    day = today or timezone.localdate()
    settings = settings_of(account.company_id)
    row = (
        _inputs_queryset(ReceivableAccount.objects.filter(pk=account.pk), day)
        .select_related("customer", "risk_assessment")
        .get()
    )
    value, reasons = rules.score(
        inputs_of(row, _signals_by_account([row.pk]).get(row.pk, {})), settings.effective_weights
    )
    level = rules.level_of(value, settings.thresholds)
    _store(row, value, level, reasons, getattr(row, "risk_assessment", None))
    account.risk_score, account.risk_level = value, level
    return account


def risk_sweep(*, company_id: int | None = None, today: dt.date | None = None, chunk: int = 500) -> int:
    """Daily: re-score every open account (days past due change every day); returns how many changed.
    One query per chunk for the ledger, one for the signals."""
    day = today or timezone.localdate()
    settings: dict[int, RiskSettings] = {}
    qs = ReceivableAccount.objects.filter(status=ReceivableAccount.Status.OPEN)
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            rows = list(
                _inputs_queryset(ReceivableAccount.objects.filter(pk__in=part), day)
                .select_related("customer", "risk_assessment")
                .order_by("pk")
            )
            signals = _signals_by_account(part)
            for row in rows:
                s = settings.get(row.company_id) or settings.setdefault(row.company_id, settings_of(row.company_id))
                value, reasons = rules.score(inputs_of(row, signals.get(row.pk, {})), s.effective_weights)
                level = rules.level_of(value, s.thresholds)
                if _store(row, value, level, reasons, getattr(row, "risk_assessment", None)):
                    changed += 1
    return changed


# ------------------------------------------------------------------------------------------ signals
@transaction.atomic
def signal_record(*, actor, account: ReceivableAccount, kind, observed_on, evidence, photo=None) -> RiskSignal:
    """A risk signal seen by staff, with its evidence (what was seen, and optionally a photo: the idle
    machine, the empty site); the score is recomputed at once. The photo is verified, re-encoded
    without metadata (core.images) and stored encrypted; nothing is written if anything is wrong."""
    _require_staff(actor, account)
    errors: dict[str, str] = {}
    kind = (kind or "").strip() if isinstance(kind, str) else ""
    if kind not in RiskSignal.Kind.values:
        errors["kind"] = _("Choose the signal from the list.")
    try:
        day = parse_day(observed_on, "observed_on")
        if day > timezone.localdate():
            errors["observed_on"] = _("The day it was seen cannot be in the future.")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        day = None
    try:
        text = _text(evidence, "evidence", required=_("Describe what was seen (the evidence)."))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        text = ""
    jpeg = None
    if photo is not None:
        try:
            jpeg = checked_photo(photo, field="photo", max_mb=PHOTO_MAX_MB, missing=_("Choose a photo."))
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    signal = RiskSignal(
        company_id=account.company_id, account=account, kind=kind, observed_on=day, evidence=text, by=actor,
        at=timezone.now(),
    )  # fmt: skip
    if jpeg is not None:
        signal.photo.save(f"{secrets.token_hex(8)}.jpg", ContentFile(jpeg), save=False)
    try:
        signal.save()
        _inputs_changed(account)
    except BaseException:
        if signal.photo:
            signal.photo.storage.delete(signal.photo.name)
        raise
    return signal


@transaction.atomic
def signal_withdraw(*, actor, signal: RiskSignal, reason) -> RiskSignal:
    """A signal recorded in error or no longer true is withdrawn with a reason (never deleted)."""
    signal = RiskSignal.objects.select_for_update().select_related("account").get(pk=signal.pk)
    _require_staff(actor, signal.account)
    text = _text(reason, "withdrawn_reason", required=_("Say why the signal is withdrawn."))
    if signal.withdrawn_at is not None:
        raise ValidationError({"signal": _("This signal has already been withdrawn.")})
    signal.withdrawn_at, signal.withdrawn_by, signal.withdrawn_reason = timezone.now(), actor, text
    signal.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    _inputs_changed(signal.account)
    return signal


def _inputs_changed(account: ReceivableAccount) -> None:
    from ..signals import risk_inputs_changed

    risk_inputs_changed.send(sender=ReceivableAccount, account=account)


# ---------------------------------------------------------------------------------------- arrears
@transaction.atomic
def arrears_type_set(*, actor, account: ReceivableAccount, arrears_type, cause_note) -> ArrearsRecord:
    """Record the arrears type (欠款类型) with the cause — the deck's first caution: know why before
    acting. Stored on the account; each record kept as history."""
    _require_staff(actor, account)
    errors: dict[str, str] = {}
    value = (arrears_type or "").strip() if isinstance(arrears_type, str) else ""
    if value not in ArrearsType.values:
        errors["arrears_type"] = _("Choose the arrears type from the list.")
    try:
        note = _text(cause_note, "cause_note", required=_("Describe the cause of the arrears."))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        note = ""
    if errors:
        raise ValidationError(errors)
    locked = ReceivableAccount.objects.select_for_update().get(pk=account.pk)
    if locked.arrears_type != value:
        locked.arrears_type = value
        locked.save(update_fields=["arrears_type"])
    account.arrears_type = value
    return ArrearsRecord.objects.create(
        company_id=account.company_id, account=account, arrears_type=value, cause_note=note, by=actor,
        at=timezone.now(),
    )  # fmt: skip


@transaction.atomic
def playbook_set(*, actor, arrears_type, counter_measures) -> ArrearsPlaybook | None:
    """An administrator writes the company's counter-measures for a type; empty text restores the
    default of the deck."""
    if not (getattr(actor, "pk", None) and actor.has_role(Role.ADMIN)):
        raise PermissionError(_("Only administrators change the playbook."))
    if arrears_type not in ArrearsType.values:
        raise ValidationError({"arrears_type": _("Choose the arrears type from the list.")})
    text = _text(counter_measures, "counter_measures")
    existing = ArrearsPlaybook.objects.filter(company_id=actor.company_id, arrears_type=arrears_type).first()
    if not text:
        if existing is not None:
            existing.delete()
        return None
    if existing is None:
        order = ArrearsType.values.index(arrears_type)
        return ArrearsPlaybook.objects.create(
            company_id=actor.company_id, arrears_type=arrears_type, counter_measures=text, order=order
        )
    existing.counter_measures = text
    existing.save(update_fields=["counter_measures"])
    return existing


# ------------------------------------------------------------------------------------- escalation
@transaction.atomic
def stages_seed(*, company_id: int) -> int:
    """The default ladder (idempotent): reminder → visit → manager and guarantor → machine lock →
    repossession → legal action, plus industry-circle pressure and credit reporting (legal review)."""
    have = set(EscalationStage.objects.filter(company_id=company_id).values_list("code", flat=True))
    made = 0
    for stage in DEFAULT_STAGES:
        if stage["code"] not in have:
            EscalationStage.objects.create(company_id=company_id, **{**stage, "name": str(stage["name"])})
            made += 1
    return made


@transaction.atomic
def stage_update(
    *, actor, stage: EscalationStage, name, order, needs_approval: bool, needs_notice: bool, legal_review: bool,
    active: bool,
) -> EscalationStage:  # fmt: skip
    """An administrator adjusts a stage of the ladder. A stage under legal review always needs the
    manager's approval and a notice; a machine lock always needs the approval."""
    if not (getattr(actor, "pk", None) and actor.has_role(Role.ADMIN)) or stage.company_id != actor.company_id:
        raise PermissionError(_("Only administrators change the escalation ladder."))
    errors: dict[str, str] = {}
    label = _text(name, "name", required=_("Give the stage a name."), max_length=60)
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 999:
        errors["order"] = _("The order is a whole number from 0 to 999.")
    if legal_review and not (needs_approval and needs_notice):
        errors["legal_review"] = _("A stage under legal review needs the manager's approval and a written notice.")
    if stage.is_lock and not needs_approval:
        errors["needs_approval"] = _("A machine lock always needs the manager's approval.")
    if errors:
        raise ValidationError(errors)
    stage.name, stage.order, stage.active = label, order, bool(active)
    stage.needs_approval, stage.needs_notice, stage.legal_review = (
        bool(needs_approval),
        bool(needs_notice),
        bool(legal_review),
    )
    stage.save()
    return stage


def _done_codes(account: ReceivableAccount) -> set[str]:
    return set(
        EscalationStep.objects.filter(account=account, status=EscalationStep.Status.DONE).values_list(
            "stage__code", flat=True
        )
    )


def lock_hint(account: ReceivableAccount) -> bool:
    """A lock will have little effect: the machine is idle or away, or the business is poor."""
    kinds = RiskSignal.objects.filter(account=account, withdrawn_at__isnull=True).values_list("kind", flat=True)
    return rules.lock_little_effect(kinds, account.arrears_type)


def _step_key(step: EscalationStep) -> str:
    return f"receivables.escalation.{step.pk}"


def _notice_fields(sent_on, channel, text, *, written: bool) -> tuple[dt.date | None, str, str]:
    errors: dict[str, str] = {}
    day = None
    try:
        day = parse_day(sent_on, "notice_sent_on")
        if day > timezone.localdate():
            errors["notice_sent_on"] = _("The notice cannot be dated in the future.")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    channel = (channel or "").strip() if isinstance(channel, str) else ""
    if channel not in EscalationStep.Channel.values:
        errors["notice_channel"] = _("Choose how the customer was told.")
    elif written and channel not in WRITTEN_CHANNELS:
        errors["notice_channel"] = _("This stage needs a written notice first (a letter or a lawyer's letter).")
    try:
        body = _text(text, "notice_text", required=_("Write what the customer was told."))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        body = ""
    if errors:
        raise ValidationError(errors)
    return day, channel, body


@transaction.atomic
def escalation_request(
    *,
    actor,
    account: ReceivableAccount,
    stage: EscalationStage,
    evidence: str = "",
    skip_reason: str = "",
    lock_days=None,
    notice_sent_on=None,
    notice_channel: str = "",
    notice_text: str = "",
) -> EscalationStep:
    """Ask for the next step up the ladder. Refused: no arrears type (cause) recorded yet; a stage
    skipped without a manager's note; no evidence above a visit; a lock the contract does not allow;
    a legal-review stage without a written notice; the same stage already open."""
    _require_staff(actor, account)
    account = ReceivableAccount.objects.select_for_update().select_related("customer").get(pk=account.pk)
    if stage.company_id != account.company_id or not stage.active:
        raise ValidationError({"stage": _("Choose an active stage of the ladder.")})
    if not account.arrears_type:
        raise ValidationError(
            {"arrears_type": _("Record the arrears type and its cause before any escalation (find out why first).")}
        )
    if EscalationStep.objects.filter(
        account=account, stage=stage, status__in=[EscalationStep.Status.REQUESTED, EscalationStep.Status.APPROVED]
    ).exists():
        raise ValidationError({"stage": _("This stage is already requested or under way for the account.")})
    ladder = [
        rules.StageRef(code, order)
        for code, order in EscalationStage.objects.filter(company_id=account.company_id, active=True).values_list(
            "code", "order"
        )
    ]
    skipped = rules.skipped_stage(ladder, stage.code, _done_codes(account))
    skip = _text(skip_reason, "skip_reason")
    if skipped is not None:
        name = EscalationStage.objects.get(company_id=account.company_id, code=skipped.code).name
        if not actor.has_role(Role.MANAGER, Role.ADMIN):
            raise ValidationError(
                {
                    "stage": _(
                        "Escalate step by step: “%(stage)s” has not been done yet. "
                        "Only a manager may skip a stage, with a note of why."
                    )
                    % {"stage": name}
                }
            )
        if not skip:
            raise ValidationError(
                {"skip_reason": _("“%(stage)s” has not been done yet: note why it is skipped.") % {"stage": name}}
            )
    else:
        skip = ""
    text = _text(evidence, "evidence")
    if stage.needs_approval and not text:
        raise ValidationError(
            {"evidence": _("Give the evidence for the manager: a step above a visit is approved on it.")}
        )
    days = None
    if stage.is_lock:
        if not account.lock_allowed:
            raise ValidationError({"stage": _("The contract does not allow a machine lock.")})
        limit = settings_of(account.company_id).lock_max_days
        if lock_days in (None, ""):
            days = limit
        else:
            try:
                days = int(lock_days)
            except (TypeError, ValueError):
                days = 0
            if not 1 <= days <= limit:
                raise ValidationError({"lock_days": _("A lock lasts from 1 to %(n)d days.") % {"n": limit}})
    notice = None
    if stage.legal_review or notice_text or notice_sent_on:
        notice = _notice_fields(notice_sent_on, notice_channel, notice_text, written=stage.legal_review)
    now = timezone.now()
    step = EscalationStep.objects.create(
        company_id=account.company_id,
        account=account,
        stage=stage,
        requested_by=actor,
        at=now,
        evidence=text,
        skip_reason=skip,
        status=EscalationStep.Status.REQUESTED if stage.needs_approval else EscalationStep.Status.APPROVED,
        lock_days=days,
    )
    if notice is not None:
        step.notice_sent_on, step.notice_channel, step.notice_text = notice
        step.save(update_fields=["notice_sent_on", "notice_channel", "notice_text"])
    if stage.needs_approval:
        title = _("Approve the escalation “%(stage)s” for %(customer)s %(contract)s") % {
            "stage": stage.name,
            "customer": account.customer.name,
            "contract": account.contract_number,
        }
        for approver in approvers_for(account, exclude=actor):
            todo_post(
                user=approver, title=title, due=timezone.localdate(), kind=TODO_ESCALATION,
                url=reverse("receivables:escalations"), note=text[:500], key=_step_key(step), about=account,
            )  # fmt: skip
            notify(user=approver, title=title, body=text[:500], url=reverse("receivables:escalations"))
    return step


@transaction.atomic
def escalation_decide(*, actor, step: EscalationStep, approve: bool, note: str = "") -> EscalationStep:
    """A manager of the account's region (else an administrator) approves or rejects a requested step,
    once; never the requester; a rejection needs a note."""
    step = EscalationStep.objects.select_for_update().select_related("account__customer", "stage").get(pk=step.pk)
    if not may_decide_step(actor, step):
        raise PermissionError(
            _("Only a manager of the account's region or an administrator decides, never the requester.")
        )
    if step.status != EscalationStep.Status.REQUESTED:
        raise ValidationError({"step": _("This request has already been decided.")})
    text = _text(note, "decision_note")
    if not approve and not text:
        raise ValidationError({"decision_note": _("Say why the request is rejected.")})
    if approve and step.stage.legal_review and not step.written_notice:
        raise ValidationError({"notice_text": _("Legal review required: a written notice must be recorded first.")})
    step.status = EscalationStep.Status.APPROVED if approve else EscalationStep.Status.REJECTED
    step.decided_by, step.decided_at, step.decision_note = actor, timezone.now(), text
    if approve and step.stage.is_lock:
        step.lock_state = EscalationStep.Lock.SCHEDULED
    step.save()
    _close_todos(_step_key(step))
    account = step.account
    if approve:
        title = _("Escalation “%(stage)s” approved for %(customer)s: carry it out") % {
            "stage": step.stage.name, "customer": account.customer.name,
        }  # fmt: skip
        todo_post(
            user=step.requested_by, title=title, due=timezone.localdate(), kind=TODO_ESCALATION, url=_url(account),
            note=text, key=f"{_step_key(step)}.do", about=account,
        )  # fmt: skip
    else:
        title = _("Escalation “%(stage)s” rejected for %(customer)s") % {
            "stage": step.stage.name, "customer": account.customer.name,
        }  # fmt: skip
    notify(user=step.requested_by, title=title, body=text, url=_url(account))
    return step


@transaction.atomic
def escalation_notice(*, actor, step: EscalationStep, sent_on, channel, text) -> EscalationStep:
    """Record the notice given to the customer (date, channel, text) for a step."""
    step = EscalationStep.objects.select_for_update().select_related("account", "stage").get(pk=step.pk)
    _require_staff(actor, step.account)
    if step.status not in (EscalationStep.Status.REQUESTED, EscalationStep.Status.APPROVED):
        raise ValidationError({"step": _("This step is closed.")})
    step.notice_sent_on, step.notice_channel, step.notice_text = _notice_fields(
        sent_on, channel, text, written=step.stage.legal_review
    )
    step.save(update_fields=["notice_sent_on", "notice_channel", "notice_text"])
    return step


@transaction.atomic
def escalation_done(*, actor, step: EscalationStep, note: str = "") -> EscalationStep:
    """An approved step carried out; a stage needing a notice only once the notice is recorded. A
    lock is done when it is applied at the engine start (``lock_apply``)."""
    step = EscalationStep.objects.select_for_update().select_related("account", "stage").get(pk=step.pk)
    _require_staff(actor, step.account)
    if step.status != EscalationStep.Status.APPROVED:
        raise ValidationError({"step": _("Only an approved step can be marked done.")})
    if step.stage.is_lock:
        raise ValidationError({"step": _("A machine lock is done when it is applied at the next engine start.")})
    if step.stage.needs_notice and not step.notice_recorded:
        raise ValidationError({"notice_text": _("Record the notice to the customer (date, channel, text) first.")})
    step.status, step.done_at = EscalationStep.Status.DONE, timezone.now()
    step.done_note = _text(note, "done_note")
    step.save(update_fields=["status", "done_at", "done_note"])
    _close_todos(f"{_step_key(step)}.do")
    return step


@transaction.atomic
def escalation_cancel(*, actor, step: EscalationStep, note) -> EscalationStep:
    """The requester or an approver withdraws a step not yet done (a lock not yet applied)."""
    step = EscalationStep.objects.select_for_update().select_related("account").get(pk=step.pk)
    if not (step.requested_by_id == getattr(actor, "pk", None) or may_decide_step(actor, step)):
        raise PermissionError(_("Only the requester or an approver cancels a step."))
    if step.status not in (EscalationStep.Status.REQUESTED, EscalationStep.Status.APPROVED):
        raise ValidationError({"step": _("This step is closed.")})
    step.status = EscalationStep.Status.CANCELLED
    step.decision_note = _text(note, "decision_note", required=_("Say why the step is cancelled."))
    if step.lock_state == EscalationStep.Lock.SCHEDULED:
        step.lock_state = ""
    step.save()
    _close_todos(_step_key(step))
    _close_todos(f"{_step_key(step)}.do")
    return step


@transaction.atomic
def lock_apply(*, step: EscalationStep, engine_running: bool, actor=None) -> EscalationStep:
    """The machine's engine is starting: an approved, scheduled lock is applied now — never to a running
    machine (refused: it stays scheduled). Called by the telematics integration (actor None) or by
    staff confirming the start. The lock ends after its days at most; a review date is set."""
    step = EscalationStep.objects.select_for_update().select_related("account__customer", "stage").get(pk=step.pk)
    if actor is not None:
        _require_staff(actor, step.account)
    if not step.stage.is_lock or step.lock_state != EscalationStep.Lock.SCHEDULED:
        raise ValidationError({"step": _("No approved lock is scheduled for this step.")})
    if step.status != EscalationStep.Status.APPROVED:
        raise ValidationError({"step": _("No approved lock is scheduled for this step.")})
    if engine_running:
        raise ValidationError(
            {
                "engine_running": _(
                    "The engine is running: a lock is never applied to a running machine. "
                    "It stays scheduled for the next engine start."
                )
            }
        )
    if step.stage.needs_notice and not step.notice_recorded:
        raise ValidationError({"notice_text": _("Record the notice to the customer (date, channel, text) first.")})
    s = settings_of(step.company_id)
    today = timezone.localdate()
    days = min(step.lock_days or s.lock_max_days, s.lock_max_days)
    step.lock_state, step.lock_applied_at = EscalationStep.Lock.APPLIED, timezone.now()
    step.lock_until = today + dt.timedelta(days=days)
    step.lock_review_on = today + dt.timedelta(days=min(s.lock_review_days, days))
    step.status, step.done_at = EscalationStep.Status.DONE, timezone.now()
    step.save()
    _close_todos(f"{_step_key(step)}.do")
    reviewer = step.decided_by or step.requested_by
    todo_post(
        user=reviewer,
        title=_("Review the machine lock of %(customer)s (ends %(until)s)") % {
            "customer": step.account.customer.name, "until": step.lock_until.isoformat(),
        },
        due=step.lock_review_on, kind=TODO_LOCK, url=_url(step.account), key=f"{_step_key(step)}.review",
        about=step.account,
    )  # fmt: skip
    return step


@transaction.atomic
def lock_lift(*, actor, step: EscalationStep, note) -> EscalationStep:
    """An approver or finance lifts an applied lock (paid, agreement, or its time is up)."""
    step = EscalationStep.objects.select_for_update().select_related("account").get(pk=step.pk)
    if not (may_decide_step(actor, step) or step.decided_by_id == getattr(actor, "pk", None)
            or (actor.has_role(Role.FINANCE) and can(actor, step.account, Action.CHANGE))):  # fmt: skip
        raise PermissionError(_("Only an approver or finance lifts a lock."))
    if step.lock_state != EscalationStep.Lock.APPLIED:
        raise ValidationError({"step": _("This machine is not locked.")})
    step.done_note = _text(note, "done_note", required=_("Say why the lock is lifted."))
    step.lock_state, step.lock_lifted_at = EscalationStep.Lock.LIFTED, timezone.now()
    step.save(update_fields=["lock_state", "lock_lifted_at", "done_note"])
    _close_todos(f"{_step_key(step)}.review")
    _close_todos(f"{_step_key(step)}.lift")
    return step


def lock_reviews(*, today: dt.date | None = None) -> int:
    """Daily: a lock at its longest duration must be lifted today — a to-do to whoever approved it."""
    day = today or timezone.localdate()
    n = 0
    for step in EscalationStep.objects.filter(
        lock_state=EscalationStep.Lock.APPLIED, lock_until__lte=day
    ).select_related("account__customer", "decided_by", "requested_by"):
        todo_post(
            user=step.decided_by or step.requested_by,
            title=_("Lift the machine lock of %(customer)s today: its longest duration is reached") % {
                "customer": step.account.customer.name,
            },
            due=day, kind=TODO_LOCK, url=_url(step.account), key=f"{_step_key(step)}.lift", about=step.account,
        )  # fmt: skip
        n += 1
    return n


# ------------------------------------------------------------------------------------ three traps
PAYMENT_METHOD = {
    rules.THIRD_PARTY: Payment.Method.THIRD_PARTY,
    rules.OFFSET: Payment.Method.OFFSET,
    rules.GOODS: Payment.Method.GOODS,
}


def _settlement_key(request: SettlementRequest) -> str:
    return f"receivables.settlement.{request.pk}"


@transaction.atomic
def settlement_request(
    *,
    actor,
    account: ReceivableAccount,
    kind,
    amount_fen,
    evidence,
    counterparty: str = "",
    valuation_fen=None,
    valued_by: str = "",
) -> SettlementRequest:
    """Ask finance to approve a waiver, discount, settlement document, third-party payment, offset or
    settlement in goods (the three traps). Goods need a valuation (how much, who valued, evidence)."""
    _require_staff(actor, account)
    errors: dict[str, str] = {}
    kind = kind.strip() if isinstance(kind, str) else ""
    amount = valuation = None
    try:
        amount = parse_fen(amount_fen, "amount_fen")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        valuation = (
            parse_fen(valuation_fen, "valuation_fen", required=False) if valuation_fen not in (None, "") else None
        )
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    party = _text(counterparty, "counterparty", max_length=100)
    valuer = _text(valued_by, "valued_by", max_length=100)
    text = _text(evidence, "evidence")
    if kind not in rules.SETTLEMENT_KINDS:
        errors["kind"] = _("Choose what is asked for from the list.")
    elif amount is not None:
        messages = {
            ("amount_fen", "positive"): _("The amount must be more than zero."),
            ("amount_fen", "above_valuation"): _("The goods settle at most their valuation."),
            ("counterparty", "required"): _("Name the third party who pays or the counterparty of the offset."),
            ("evidence", "required"): _("Give the evidence (the document, the agreement, the valuation report)."),
            ("valuation_fen", "required"): _("Settlement in goods needs a valuation: how much the goods are worth."),
            ("valued_by", "required"): _("Settlement in goods needs a valuation: who valued the goods."),
        }
        for field, problem in rules.settlement_problems(
            kind, amount, counterparty=party, valuation_fen=valuation, valued_by=valuer, evidence=text
        ).items():
            errors.setdefault(field, messages[(field, problem)])
    if errors:
        raise ValidationError(errors)
    request = SettlementRequest.objects.create(
        company_id=account.company_id, account=account, kind=kind, amount_fen=amount, counterparty=party,
        valuation_fen=valuation if kind == rules.GOODS else None, valued_by=valuer if kind == rules.GOODS else "",
        evidence=text, requested_by=actor, at=timezone.now(),
    )  # fmt: skip
    title = _("Approve: %(kind)s of %(amount)s for %(customer)s") % {
        "kind": request.get_kind_display(),
        "amount": f"¥{amount / 100:,.2f}",
        "customer": account.customer.name,
    }
    for person in finance_for(account, exclude=actor):
        todo_post(
            user=person, title=title, due=timezone.localdate(), kind=TODO_SETTLEMENT,
            url=reverse("receivables:escalations"), note=text[:500], key=_settlement_key(request), about=account,
        )  # fmt: skip
        notify(user=person, title=title, body=text[:500], url=reverse("receivables:escalations"))
    return request


@transaction.atomic
def settlement_decide(*, actor, request: SettlementRequest, approve: bool, note: str = "") -> SettlementRequest:
    """Finance of the region (or an administrator), not the requester, decides once. Approved, a
    third-party payment, an offset or goods go through the ledger (idempotency key of the request);
    a waiver, discount or settlement document is flagged on the account — nothing is reduced."""
    from .. import services as ledger_services

    request = SettlementRequest.objects.select_for_update().select_related("account__customer").get(pk=request.pk)
    if not may_decide_settlement(actor, request):
        raise PermissionError(
            _("Only finance of the account's region or an administrator decides, never the requester.")
        )
    if request.status != SettlementRequest.Status.REQUESTED:
        raise ValidationError({"request": _("This request has already been decided.")})
    text = _text(note, "decision_note")
    if not approve and not text:
        raise ValidationError({"decision_note": _("Say why the request is rejected.")})
    request.status = SettlementRequest.Status.APPROVED if approve else SettlementRequest.Status.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), text
    if approve and request.kind in rules.POSTS_PAYMENT:
        request.payment = ledger_services.payment_record(
            actor=actor,
            account=request.account,
            amount_fen=request.amount_fen,
            received_on=timezone.localdate(),
            method=PAYMENT_METHOD[request.kind],
            payer_name=(request.counterparty or request.valued_by or request.account.customer.name)[:100],
            idempotency_key=f"settlement:{request.pk}",
            settlement_approved=True,
        )
    request.save()
    _close_todos(_settlement_key(request))
    title = (_("Approved: %(kind)s for %(customer)s") if approve else _("Rejected: %(kind)s for %(customer)s")) % {
        "kind": request.get_kind_display(),
        "customer": request.account.customer.name,
    }
    notify(user=request.requested_by, title=title, body=text, url=_url(request.account))
    return request
