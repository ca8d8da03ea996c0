"""API of risk, arrears, escalation and the three traps (django-ninja), mounted beside receivables.api.

    GET  /api/receivables/watch                              the watch list (watch and high), highest score first
    GET  /api/receivables/accounts/{id}/risk                 score, level, reasons, signals, arrears type and
                                                             playbook, escalation steps, settlement requests
    POST /api/receivables/accounts/{id}/risk/signals         {"kind", "observed_on", "evidence"}
    POST /api/receivables/risk/signals/{id}/withdraw         {"reason"}
    POST /api/receivables/accounts/{id}/arrears-type         {"arrears_type", "cause_note"}
    GET  /api/receivables/playbook                           the counter-measures of every arrears type
    PUT  /api/receivables/playbook/{type}                    {"counter_measures"} (administrators; "" = default)
    GET  /api/receivables/risk-settings                      weights, thresholds, lock limits
    PUT  /api/receivables/risk-settings                      {"weights", "thresholds", "lock_max_days", ...} (admins)
    GET  /api/receivables/escalation-stages                  the ladder
    PUT  /api/receivables/escalation-stages/{code}           {"name", "order", "needs_approval", "needs_notice",
                                                              "legal_review_required", "active"} (administrators)
    POST /api/receivables/accounts/{id}/escalations          {"stage": code, "evidence", "skip_reason", "lock_days",
                                                              "notice_sent_on", "notice_channel", "notice_text"}
    GET  /api/receivables/approvals                          escalations and settlements awaiting the user
    POST /api/receivables/escalations/{id}/decide            {"approve": bool, "note"}
    POST /api/receivables/escalations/{id}/notice            {"sent_on", "channel", "text"}
    POST /api/receivables/escalations/{id}/done              {"note"}
    POST /api/receivables/escalations/{id}/cancel            {"note"}
    POST /api/receivables/escalations/{id}/lock-apply        {"engine_running": bool} (the engine-start event)
    POST /api/receivables/escalations/{id}/lock-lift         {"note"}
    POST /api/receivables/accounts/{id}/settlements          {"kind", "amount_fen", "counterparty", "valuation_fen",
                                                              "valued_by", "evidence"}
    POST /api/receivables/settlements/{id}/decide            {"approve": bool, "note"}

Refused input answers 422 naming the field; a role that may not act 403.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from core.api import paginate
from core.files import file_response
from core.visibility import get_or_404

from .. import selectors as ledger_selectors
from ..models import ArrearsType
from . import selectors, services
from .labels import reason_label
from .models import EscalationStage, EscalationStep, RiskSignal, SettlementRequest

router = Router(tags=["receivables"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class SignalIn(Schema):
    kind: str
    observed_on: dt.date
    evidence: str = ""


class ReasonIn(Schema):
    reason: str = ""


class NoteIn(Schema):
    note: str = ""


class ArrearsIn(Schema):
    arrears_type: str
    cause_note: str = ""


class PlaybookIn(Schema):
    counter_measures: str = ""


class SettingsIn(Schema):
    weights: dict[str, int] | None = None
    thresholds: list[int] | None = None
    lock_max_days: int | None = None
    lock_review_days: int | None = None


class StepIn(Schema):
    stage: str
    evidence: str = ""
    skip_reason: str = ""
    lock_days: int | None = None
    notice_sent_on: dt.date | None = None
    notice_channel: str = ""
    notice_text: str = ""


class StageIn(Schema):
    name: str
    order: int
    needs_approval: bool
    needs_notice: bool
    legal_review_required: bool
    active: bool = True


class DecideIn(Schema):
    approve: bool
    note: str = ""


class NoticeIn(Schema):
    sent_on: dt.date
    channel: str
    text: str = ""


class LockApplyIn(Schema):
    engine_running: bool


class SettlementIn(Schema):
    kind: str
    amount_fen: int
    evidence: str = ""
    counterparty: str = ""
    valuation_fen: int | None = None
    valued_by: str = ""


def signal_out(s: RiskSignal) -> dict:
    return {
        "id": s.pk,
        "account": s.account_id,
        "kind": s.kind,
        "label": str(s.get_kind_display()),
        "observed_on": _iso(s.observed_on),
        "evidence": s.evidence,
        "by": s.by_id,
        "at": _iso(s.at),
        "withdrawn_at": _iso(s.withdrawn_at),
        "withdrawn_reason": s.withdrawn_reason,
        "photo_url": f"/api/receivables/risk/signals/{s.pk}/photo" if s.photo else None,
    }


def step_out(s: EscalationStep) -> dict:
    return {
        "id": s.pk,
        "account": s.account_id,
        "stage": s.stage.code,
        "stage_name": s.stage.name,
        "legal_review_required": s.stage.legal_review,
        "status": s.status,
        "requested_by": s.requested_by_id,
        "at": _iso(s.at),
        "evidence": s.evidence,
        "skip_reason": s.skip_reason,
        "decided_by": s.decided_by_id,
        "decided_at": _iso(s.decided_at),
        "decision_note": s.decision_note,
        "notice": {"sent_on": _iso(s.notice_sent_on), "channel": s.notice_channel, "text": s.notice_text}
        if s.notice_sent_on
        else None,
        "done_at": _iso(s.done_at),
        "lock": {
            "days": s.lock_days,
            "state": s.lock_state,
            "applied_at": _iso(s.lock_applied_at),
            "until": _iso(s.lock_until),
            "review_on": _iso(s.lock_review_on),
            "lifted_at": _iso(s.lock_lifted_at),
        }
        if s.stage.is_lock
        else None,
    }


def settlement_out(r: SettlementRequest) -> dict:
    return {
        "id": r.pk,
        "account": r.account_id,
        "kind": r.kind,
        "amount_fen": r.amount_fen,
        "counterparty": r.counterparty,
        "valuation_fen": r.valuation_fen,
        "valued_by": r.valued_by,
        "evidence": r.evidence,
        "status": r.status,
        "requested_by": r.requested_by_id,
        "at": _iso(r.at),
        "decided_by": r.decided_by_id,
        "decided_at": _iso(r.decided_at),
        "decision_note": r.decision_note,
        "payment": r.payment_id,
    }


def _stage_out(s: EscalationStage) -> dict:
    return {
        "code": s.code,
        "name": s.name,
        "order": s.order,
        "needs_approval": s.needs_approval,
        "needs_notice": s.needs_notice,
        "legal_review_required": s.legal_review,
        "machine_lock": s.is_lock,
        "active": s.active,
    }


# -------------------------------------------------------------------------------------------- risk
@router.get("/receivables/watch", response=dict)
def watch(request):
    def out(a):
        assessment = getattr(a, "risk_assessment", None)
        return {
            "id": a.pk,
            "contract_number": a.contract_number,
            "customer": {"id": a.customer_id, "name": a.customer.name},
            "risk_score": a.risk_score,
            "risk_level": a.risk_level,
            "arrears_type": a.arrears_type,
            "reasons": selectors.reasons_out(assessment.reasons[:3] if assessment else []),
        }

    return paginate(request, selectors.watch_list(request.user), out)


@router.get("/receivables/accounts/{int:account_id}/risk", response=dict)
def account_risk(request, account_id: int):
    account = ledger_selectors.account_detail(request.user, account_id)
    data = selectors.account_risk(account)
    return {
        "account": account.pk,
        "risk_score": account.risk_score,
        "risk_level": account.risk_level,
        "reasons": data["reasons"],
        "signals": [signal_out(s) for s in data["signals"]],
        "arrears_type": account.arrears_type,
        "arrears_cause": data["arrears_records"][0].cause_note if data["arrears_records"] else "",
        "playbook": selectors.playbook_for(account.company_id, account.arrears_type),
        "lock_allowed": account.lock_allowed,
        "lock_little_effect": data["lock_hint"],
        "escalations": [step_out(s) for s in data["steps"]],
        "settlements": [settlement_out(s) for s in data["settlements"]],
        "flagged_fen": data["flagged_fen"],
    }


@router.post("/receivables/accounts/{int:account_id}/risk/signals", response={201: dict})
def signal_create(request, account_id: int, payload: SignalIn):
    account = ledger_selectors.account_detail(request.user, account_id)
    signal = services.signal_record(
        actor=request.user,
        account=account,
        kind=payload.kind,
        observed_on=payload.observed_on,
        evidence=payload.evidence,
    )
    return Status(201, signal_out(signal))


@router.post("/receivables/accounts/{int:account_id}/risk/signals/with-photo", response={201: dict})
def signal_create_with_photo(
    request,
    account_id: int,
    kind: Form[str],
    observed_on: Form[str],
    evidence: Form[str],
    photo: File[UploadedFile],
):
    """The same as a JSON signal, as multipart form fields with the photo of the evidence (``photo``:
    JPEG, PNG or WebP, at most 10 MB; stored re-encoded without metadata, encrypted)."""
    account = ledger_selectors.account_detail(request.user, account_id)
    signal = services.signal_record(
        actor=request.user, account=account, kind=kind, observed_on=observed_on, evidence=evidence, photo=photo
    )
    return Status(201, signal_out(signal))


@router.get("/receivables/risk/signals/{int:signal_id}/photo")
def signal_photo(request, signal_id: int):
    """The JPEG of a signal's evidence photo, to whoever may see the account."""
    signal = get_or_404(request.user, RiskSignal, signal_id)
    return file_response(signal.photo, f"signal-{signal.pk}.jpg", content_type="image/jpeg")


@router.post("/receivables/risk/signals/{int:signal_id}/withdraw", response=dict)
def signal_withdraw(request, signal_id: int, payload: ReasonIn):
    signal = get_or_404(request.user, RiskSignal, signal_id)
    return signal_out(services.signal_withdraw(actor=request.user, signal=signal, reason=payload.reason))


@router.get("/receivables/risk-settings", response=dict)
def settings_get(request):
    s = services.settings_of(request.user.company_id)
    return {
        "weights": s.effective_weights,
        "labels": {code: reason_label(code) for code in s.effective_weights},
        "thresholds": list(s.thresholds),
        "lock_max_days": s.lock_max_days,
        "lock_review_days": s.lock_review_days,
    }


@router.put("/receivables/risk-settings", response=dict)
def settings_put(request, payload: SettingsIn):
    services.risk_settings_set(
        actor=request.user,
        weights=payload.weights,
        thresholds=payload.thresholds,
        lock_max_days=payload.lock_max_days,
        lock_review_days=payload.lock_review_days,
    )
    return settings_get(request)


# ----------------------------------------------------------------------------------------- arrears
@router.post("/receivables/accounts/{int:account_id}/arrears-type", response=dict)
def arrears_set(request, account_id: int, payload: ArrearsIn):
    account = ledger_selectors.account_detail(request.user, account_id)
    record = services.arrears_type_set(
        actor=request.user, account=account, arrears_type=payload.arrears_type, cause_note=payload.cause_note
    )
    return {
        "account": account.pk,
        "arrears_type": record.arrears_type,
        "cause_note": record.cause_note,
        "playbook": selectors.playbook_for(account.company_id, record.arrears_type),
    }


@router.get("/receivables/playbook", response=list[dict])
def playbook(request):
    return selectors.playbook(request.user.company_id)


@router.put("/receivables/playbook/{arrears_type}", response=dict)
def playbook_put(request, arrears_type: str, payload: PlaybookIn):
    services.playbook_set(actor=request.user, arrears_type=arrears_type, counter_measures=payload.counter_measures)
    return {
        "arrears_type": arrears_type,
        "label": str(ArrearsType(arrears_type).label),
        "counter_measures": selectors.playbook_for(request.user.company_id, arrears_type),
    }


# -------------------------------------------------------------------------------------- escalation
@router.get("/receivables/escalation-stages", response=list[dict])
def stages(request):
    return [_stage_out(s) for s in selectors.stages(request.user.company_id)]


@router.put("/receivables/escalation-stages/{code}", response=dict)
def stage_put(request, code: str, payload: StageIn):
    stage = EscalationStage.objects.filter(company_id=request.user.company_id, code=code).first()
    if stage is None:
        raise Http404
    stage = services.stage_update(
        actor=request.user,
        stage=stage,
        name=payload.name,
        order=payload.order,
        needs_approval=payload.needs_approval,
        needs_notice=payload.needs_notice,
        legal_review=payload.legal_review_required,
        active=payload.active,
    )
    return _stage_out(stage)


@router.post("/receivables/accounts/{int:account_id}/escalations", response={201: dict})
def step_create(request, account_id: int, payload: StepIn):
    account = ledger_selectors.account_detail(request.user, account_id)
    stage = EscalationStage.objects.filter(company_id=account.company_id, code=payload.stage).first()
    if stage is None:
        raise ValidationError({"stage": _("Choose an active stage of the ladder.")})
    step = services.escalation_request(
        actor=request.user,
        account=account,
        stage=stage,
        evidence=payload.evidence,
        skip_reason=payload.skip_reason,
        lock_days=payload.lock_days,
        notice_sent_on=payload.notice_sent_on,
        notice_channel=payload.notice_channel,
        notice_text=payload.notice_text,
    )
    return Status(201, step_out(step))


def _step(request, step_id: int) -> EscalationStep:
    return get_or_404(
        request.user, EscalationStep, step_id, queryset=EscalationStep.objects.select_related("stage", "account")
    )


@router.get("/receivables/approvals", response=dict)
def approvals(request):
    return {
        "escalations": [step_out(s) for s in selectors.pending_steps(request.user)],
        "settlements": [settlement_out(s) for s in selectors.pending_settlements(request.user)],
    }


@router.post("/receivables/escalations/{int:step_id}/decide", response=dict)
def step_decide(request, step_id: int, payload: DecideIn):
    step = services.escalation_decide(
        actor=request.user, step=_step(request, step_id), approve=payload.approve, note=payload.note
    )
    return step_out(step)


@router.post("/receivables/escalations/{int:step_id}/notice", response=dict)
def step_notice(request, step_id: int, payload: NoticeIn):
    step = services.escalation_notice(
        actor=request.user, step=_step(request, step_id), sent_on=payload.sent_on, channel=payload.channel,
        text=payload.text,
    )  # fmt: skip
    return step_out(step)


@router.post("/receivables/escalations/{int:step_id}/done", response=dict)
def step_done(request, step_id: int, payload: NoteIn):
    return step_out(services.escalation_done(actor=request.user, step=_step(request, step_id), note=payload.note))


@router.post("/receivables/escalations/{int:step_id}/cancel", response=dict)
def step_cancel(request, step_id: int, payload: NoteIn):
    return step_out(services.escalation_cancel(actor=request.user, step=_step(request, step_id), note=payload.note))


@router.post("/receivables/escalations/{int:step_id}/lock-apply", response=dict)
def lock_apply(request, step_id: int, payload: LockApplyIn):
    step = services.lock_apply(actor=request.user, step=_step(request, step_id), engine_running=payload.engine_running)
    return step_out(step)


@router.post("/receivables/escalations/{int:step_id}/lock-lift", response=dict)
def lock_lift(request, step_id: int, payload: NoteIn):
    return step_out(services.lock_lift(actor=request.user, step=_step(request, step_id), note=payload.note))


# ------------------------------------------------------------------------------------- three traps
@router.post("/receivables/accounts/{int:account_id}/settlements", response={201: dict})
def settlement_create(request, account_id: int, payload: SettlementIn):
    account = ledger_selectors.account_detail(request.user, account_id)
    req = services.settlement_request(
        actor=request.user,
        account=account,
        kind=payload.kind,
        amount_fen=payload.amount_fen,
        counterparty=payload.counterparty,
        valuation_fen=payload.valuation_fen,
        valued_by=payload.valued_by,
        evidence=payload.evidence,
    )
    return Status(201, settlement_out(req))


@router.post("/receivables/settlements/{int:request_id}/decide", response=dict)
def settlement_decide(request, request_id: int, payload: DecideIn):
    req = get_or_404(request.user, SettlementRequest, request_id)
    return settlement_out(
        services.settlement_decide(actor=request.user, request=req, approve=payload.approve, note=payload.note)
    )
