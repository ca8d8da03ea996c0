"""Pages of risk: the watch list, the approvals (escalations and settlements), the risk settings, and
the forms of the account page's risk section. Thin: parse, call the services, render. A POST works
as a plain form (redirect back; refused input re-renders with HTTP 422, the messages naming the
field) and as an htmx request (the section or the row is swapped in place)."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.files import file_response
from core.models import Role
from core.visibility import get_or_404

from .. import selectors as ledger_selectors
from ..models import ArrearsType
from ..views import _detail_context, _errors_of, _is_htmx
from . import rules, selectors, services
from .defaults import DEFAULT_PLAYBOOK
from .labels import reason_label
from .models import EscalationStage, EscalationStep, RiskSignal, SettlementRequest
from .panels import account_panel

PAGE = 50
LABELS = {
    "kind": gettext_lazy("Kind"),
    "observed_on": gettext_lazy("Observed on"),
    "evidence": gettext_lazy("Evidence"),
    "photo": gettext_lazy("Photo of the evidence"),
    "withdrawn_reason": gettext_lazy("Why withdrawn"),
    "arrears_type": gettext_lazy("Arrears type (欠款类型)"),
    "cause_note": gettext_lazy("Cause"),
    "stage": gettext_lazy("Stage"),
    "skip_reason": gettext_lazy("Why a stage is skipped"),
    "lock_days": gettext_lazy("Lock for (days)"),
    "notice_sent_on": gettext_lazy("Notice sent on"),
    "notice_channel": gettext_lazy("Notice channel"),
    "notice_text": gettext_lazy("Notice to the customer"),
    "decision_note": gettext_lazy("Decision note"),
    "done_note": gettext_lazy("Outcome"),
    "amount_fen": gettext_lazy("Amount"),
    "counterparty": gettext_lazy("Payer or counterparty"),
    "valuation_fen": gettext_lazy("Valuation"),
    "valued_by": gettext_lazy("Valued by"),
    "step": gettext_lazy("Step"),
    "signal": gettext_lazy("Signal"),
    "request": gettext_lazy("Request"),
    "thresholds": gettext_lazy("Thresholds"),
    "lock_max_days": gettext_lazy("Longest machine lock (days)"),
    "lock_review_days": gettext_lazy("Review a lock after (days)"),
    "name": gettext_lazy("Stage name"),
    "order": gettext_lazy("Order"),
    "legal_review": gettext_lazy("legal review required"),
    "needs_approval": gettext_lazy("manager's approval"),
    "__all__": "",
}


def error_lines(errors: dict[str, str]) -> list[str]:
    out = []
    for field, message in errors.items():
        label = LABELS.get(field)
        if label is None and field.startswith("weights."):
            label = reason_label(field.split(".", 1)[1])
        out.append(f"{label}：{message}" if label else message)
    return out


# ---------------------------------------------------------------------------------- account section
def _section(request, account, *, status=200, errors=None, values=None, form=""):
    """The risk section again (htmx) or the whole account page (a plain post)."""
    account = ledger_selectors.account_detail(request.user, account.pk)
    panel = account_panel(request, account, errors=errors, values=values, form=form)
    panel["risk"]["error_lines"] = error_lines(errors or {})
    if _is_htmx(request):
        return render(request, "receivables/risk/_account.html", {"account": account, **panel}, status=status)
    context = _detail_context(request, account)
    context.update(panel)
    return render(request, "receivables/detail.html", context, status=status)


def _post(request, account, form: str, call, success: str):
    values = request.POST.dict()
    try:
        call(values)
    except PermissionError as exc:
        return render(request, "403.html", {"message": str(exc)}, status=403)
    except ValidationError as exc:
        return _section(request, account, status=422, errors=_errors_of(exc), values=values, form=form)
    messages.success(request, success)
    if _is_htmx(request):
        return _section(request, account)
    return redirect("receivables:detail", account.pk)


@require_POST
def signal_new(request, pk: int):
    account = ledger_selectors.account_detail(request.user, pk)
    return _post(
        request,
        account,
        "signal",
        lambda v: services.signal_record(
            actor=request.user,
            account=account,
            kind=v.get("kind", ""),
            observed_on=v.get("observed_on", ""),
            evidence=v.get("evidence", ""),
            photo=request.FILES.get("photo"),
        ),
        _("Risk signal recorded."),
    )


@require_GET
def signal_photo(request, pk: int):
    """The photo of a signal's evidence, to whoever may see the signal's account; never cached by others."""
    row = get_or_404(request.user, RiskSignal, pk)
    return file_response(row.photo, f"signal-{row.pk}.jpg", content_type="image/jpeg")


@require_POST
def signal_withdraw(request, pk: int):
    signal = get_or_404(request.user, RiskSignal, pk)
    account = ledger_selectors.account_detail(request.user, signal.account_id)
    return _post(
        request,
        account,
        f"withdraw-{signal.pk}",
        lambda v: services.signal_withdraw(actor=request.user, signal=signal, reason=v.get("withdrawn_reason", "")),
        _("Signal withdrawn."),
    )


@require_POST
def arrears_set(request, pk: int):
    account = ledger_selectors.account_detail(request.user, pk)
    return _post(
        request,
        account,
        "arrears",
        lambda v: services.arrears_type_set(
            actor=request.user,
            account=account,
            arrears_type=v.get("arrears_type", ""),
            cause_note=v.get("cause_note", ""),
        ),
        _("Arrears type recorded."),
    )


def _stage(account, raw) -> EscalationStage:
    stage = EscalationStage.objects.filter(
        company_id=account.company_id, pk=raw if str(raw).isdigit() else None
    ).first()
    if stage is None:
        raise ValidationError({"stage": _("Choose an active stage of the ladder.")})
    return stage


@require_POST
def step_new(request, pk: int):
    account = ledger_selectors.account_detail(request.user, pk)
    return _post(
        request,
        account,
        "step",
        lambda v: services.escalation_request(
            actor=request.user,
            account=account,
            stage=_stage(account, v.get("stage", "")),
            evidence=v.get("evidence", ""),
            skip_reason=v.get("skip_reason", ""),
            lock_days=v.get("lock_days") or None,
            notice_sent_on=v.get("notice_sent_on") or None,
            notice_channel=v.get("notice_channel", ""),
            notice_text=v.get("notice_text", ""),
        ),
        _("Escalation requested."),
    )


def _step(request, pk: int) -> EscalationStep:
    return get_or_404(request.user, EscalationStep, pk, queryset=EscalationStep.objects.select_related("account"))


@require_POST
def step_notice(request, pk: int):
    step = _step(request, pk)
    account = ledger_selectors.account_detail(request.user, step.account_id)
    return _post(
        request,
        account,
        f"notice-{step.pk}",
        lambda v: services.escalation_notice(
            actor=request.user,
            step=step,
            sent_on=v.get("notice_sent_on", ""),
            channel=v.get("notice_channel", ""),
            text=v.get("notice_text", ""),
        ),
        _("Notice recorded."),
    )


@require_POST
def step_done(request, pk: int):
    step = _step(request, pk)
    account = ledger_selectors.account_detail(request.user, step.account_id)
    return _post(
        request,
        account,
        f"done-{step.pk}",
        lambda v: services.escalation_done(actor=request.user, step=step, note=v.get("done_note", "")),
        _("Step marked done."),
    )


@require_POST
def lock_lift(request, pk: int):
    step = _step(request, pk)
    account = ledger_selectors.account_detail(request.user, step.account_id)
    return _post(
        request,
        account,
        f"lift-{step.pk}",
        lambda v: services.lock_lift(actor=request.user, step=step, note=v.get("done_note", "")),
        _("Machine lock lifted."),
    )


@require_POST
def settlement_new(request, pk: int):
    account = ledger_selectors.account_detail(request.user, pk)
    return _post(
        request,
        account,
        "settlement",
        lambda v: services.settlement_request(
            actor=request.user,
            account=account,
            kind=v.get("kind", ""),
            amount_fen=v.get("amount", ""),
            counterparty=v.get("counterparty", ""),
            valuation_fen=v.get("valuation") or None,
            valued_by=v.get("valued_by", ""),
            evidence=v.get("evidence", ""),
        ),
        _("Sent to finance for approval."),
    )


# -------------------------------------------------------------------------------------- watch list
@require_GET
def watch_list(request):
    """Accounts on the watch list or at high risk, highest score first, with their top reasons."""
    page = Paginator(selectors.watch_list(request.user), PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for a in rows:
        assessment = getattr(a, "risk_assessment", None)
        a.top_reasons = selectors.reasons_out(assessment.reasons[:3] if assessment else [])
    context = {"page_obj": page, "rows": rows, "counts": selectors.watch_counts(request.user)}
    return render(request, "receivables/risk/watch.html", context)


# --------------------------------------------------------------------------------------- approvals
def _approvals_context(request, *, errors=None, error_for=None) -> dict:
    steps = list(selectors.pending_steps(request.user))
    settlements = list(selectors.pending_settlements(request.user))
    hints = _lock_hints([s.account for s in steps if s.stage.is_lock])
    for s in steps:
        s.lock_hint = hints.get(s.account_id, False)
    return {
        "steps": steps,
        "settlements": settlements,
        "errors": errors or {},
        "error_lines": error_lines(errors or {}),
        "error_for": error_for,
        "is_approver": request.user.has_role(Role.MANAGER, Role.ADMIN, Role.FINANCE),
    }


def _lock_hints(accounts) -> dict[int, bool]:
    """Per account: will a lock have little effect? One query for all of them."""
    if not accounts:
        return {}
    kinds: dict[int, set[str]] = {}
    for account_id, kind in RiskSignal.objects.filter(
        account_id__in=[a.pk for a in accounts], withdrawn_at__isnull=True, kind__in=rules.IDLE_SIGNALS
    ).values_list("account_id", "kind"):
        kinds.setdefault(account_id, set()).add(kind)
    return {a.pk: rules.lock_little_effect(kinds.get(a.pk, set()), a.arrears_type) for a in accounts}


@require_GET
def escalations(request):
    """Pending escalation steps (for the region's managers) and settlement requests (for finance)."""
    if not request.user.has_role(Role.MANAGER, Role.ADMIN, Role.FINANCE):
        raise PermissionDenied
    return render(request, "receivables/risk/escalations.html", _approvals_context(request))


def _decided(request, *, errors=None, error_for=None, status=200):
    template = "receivables/risk/escalations.html"
    if _is_htmx(request):
        template += "#pending"
    return render(request, template, _approvals_context(request, errors=errors, error_for=error_for), status=status)


def _decide(request, decide, *, error_for: str, approved: str, rejected: str):
    """Approve or reject ``obj`` with ``decide(actor=, approve=, note=)``, then show the pending list."""
    approve = request.POST.get("decision") == "approve"
    try:
        decide(actor=request.user, approve=approve, note=request.POST.get("note", ""))
    except PermissionError as exc:
        return render(request, "403.html", {"message": str(exc)}, status=403)
    except ValidationError as exc:
        return _decided(request, errors=_errors_of(exc), error_for=error_for, status=422)
    messages.success(request, approved if approve else rejected)
    return _decided(request) if _is_htmx(request) else redirect("receivables:escalations")


@require_POST
def step_decide(request, pk: int):
    step = _step(request, pk)
    return _decide(
        request,
        functools.partial(services.escalation_decide, step=step),
        error_for=f"step-{step.pk}",
        approved=_("Escalation approved."),
        rejected=_("Escalation rejected."),
    )


@require_POST
def settlement_decide(request, pk: int):
    req = get_or_404(request.user, SettlementRequest, pk)
    return _decide(
        request,
        functools.partial(services.settlement_decide, request=req),
        error_for=f"settlement-{req.pk}",
        approved=_("Request approved."),
        rejected=_("Request rejected."),
    )


# ---------------------------------------------------------------------------------------- settings
def _settings_context(request, *, errors=None, values=None) -> dict:
    s = services.settings_of(request.user.company_id)
    weights = s.effective_weights
    values = values or {}
    return {
        "settings": s,
        "weights": [
            {"code": code, "label": reason_label(code), "value": values.get(f"w_{code}", weights[code])}
            for code in rules.CODES
        ],
        "values": values,
        "errors": errors or {},
        "error_lines": error_lines(errors or {}),
        "playbook": selectors.playbook(request.user.company_id),
        "stages": selectors.stages(request.user.company_id),
    }


def _int(raw, field: str, errors: dict):
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        errors[field] = _("A whole number.")
        return None


@require_http_methods(["GET", "POST"])
def risk_settings(request):
    """Administrators set the risk weights, thresholds, the machine lock's limits and the playbook."""
    if not request.user.has_role(Role.ADMIN):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "receivables/risk/settings.html", _settings_context(request))
    values = request.POST.dict()
    errors: dict[str, str] = {}
    weights = {}
    for code in rules.CODES:
        value = _int(values.get(f"w_{code}", ""), f"weights.{code}", errors)
        if value is not None:
            weights[code] = value
    thresholds = [_int(values.get(k, ""), "thresholds", errors) for k in ("t_low", "t_watch", "t_high")]
    max_days = _int(values.get("lock_max_days", ""), "lock_max_days", errors)
    review_days = _int(values.get("lock_review_days", ""), "lock_review_days", errors)
    try:
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            services.risk_settings_set(
                actor=request.user,
                weights=weights,
                thresholds=thresholds,
                lock_max_days=max_days,
                lock_review_days=review_days,
            )
            for st in selectors.stages(request.user.company_id):
                raw_order = values.get(f"s_{st.pk}_order", "")
                services.stage_update(
                    actor=request.user,
                    stage=st,
                    name=values.get(f"s_{st.pk}_name", ""),
                    order=int(raw_order) if raw_order.strip().isdigit() else -1,
                    needs_approval=bool(values.get(f"s_{st.pk}_approval")),
                    needs_notice=bool(values.get(f"s_{st.pk}_notice")),
                    legal_review=bool(values.get(f"s_{st.pk}_legal")),
                    active=bool(values.get(f"s_{st.pk}_active")),
                )
            for value in ArrearsType.values:
                text = values.get(f"pb_{value}", "").strip()
                default = str(DEFAULT_PLAYBOOK[value]).strip()
                services.playbook_set(
                    actor=request.user, arrears_type=value, counter_measures="" if text == default else text
                )
    except ValidationError as exc:
        return render(
            request,
            "receivables/risk/settings.html",
            _settings_context(request, errors=_errors_of(exc), values=values),
            status=422,
        )
    messages.success(request, _("Risk settings saved; the open accounts are scored again within minutes."))
    return redirect("receivables:risk_settings")
