"""Every read of risk, arrears, escalation and the three traps, through core.visibility."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, Sum

from core.models import Role
from core.visibility import visible

from ..models import ArrearsType, ReceivableAccount
from . import rules
from .defaults import DEFAULT_PLAYBOOK
from .labels import evidence_text, reason_label
from .models import (
    ArrearsPlaybook,
    ArrearsRecord,
    EscalationStage,
    EscalationStep,
    RiskSignal,
    SettlementRequest,
)


def reasons_out(reasons: list[dict]) -> list[dict]:
    """Stored reasons with their labels (code, label, weight, evidence)."""
    return [
        {**r, "label": reason_label(r["code"]), "evidence": evidence_text(r["code"], r.get("evidence", ""))}
        for r in reasons or []
    ]


def watch_list(user):
    """The accounts on the watch list or at high risk the user may see, highest score first, with their
    stored reasons — one query."""
    return (
        visible(user, ReceivableAccount)
        .filter(risk_level__in=[rules.WATCH, rules.HIGH])
        .select_related("customer", "salesperson", "region", "risk_assessment")
        .order_by("-risk_score", "pk")
    )


def watch_counts(user) -> dict[str, int]:
    rows = (
        visible(user, ReceivableAccount)
        .filter(risk_level__in=[rules.WATCH, rules.HIGH])
        .aggregate(
            watch=Count("pk", filter=Q(risk_level=rules.WATCH)), high=Count("pk", filter=Q(risk_level=rules.HIGH))
        )
    )
    return {"watch": rows["watch"] or 0, "high": rows["high"] or 0}


def pending_steps(user):
    """Escalation requests awaiting the user's decision: a manager's regions (an administrator: all),
    never their own requests; each account's signals in force (``account.active_signals``) beside."""
    qs = visible(user, EscalationStep).filter(status=EscalationStep.Status.REQUESTED).exclude(requested_by=user)
    if not user.has_role(Role.ADMIN):
        if not user.has_role(Role.MANAGER):
            return qs.none()
        qs = qs.filter(account__region_id__in=list(user.region_ids))
    signals = Prefetch(
        "account__risk_signals",
        queryset=RiskSignal.objects.filter(withdrawn_at__isnull=True).order_by("-observed_on", "-id"),
        to_attr="active_signals",
    )
    return (
        qs.select_related("account__customer", "account__region", "stage", "requested_by")
        .prefetch_related(signals)
        .order_by("at", "pk")
    )


def pending_settlements(user):
    """Settlement requests awaiting the user's decision: finance of the region or an administrator."""
    qs = visible(user, SettlementRequest).filter(status=SettlementRequest.Status.REQUESTED).exclude(requested_by=user)
    if not user.has_role(Role.ADMIN):
        if not user.has_role(Role.FINANCE):
            return qs.none()
        qs = qs.filter(account__region_id__in=list(user.region_ids))
    return qs.select_related("account__customer", "account__region", "requested_by").order_by("at", "pk")


def playbook_for(company_id: int, arrears_type: str) -> str:
    """The company's counter-measures for the type, else the deck's."""
    row = ArrearsPlaybook.objects.filter(company_id=company_id, arrears_type=arrears_type).first()
    return row.counter_measures if row else str(DEFAULT_PLAYBOOK.get(arrears_type or "", ""))


def playbook(company_id: int) -> list[dict]:
    """Every type with its counter-measures (the company's, else the deck's)."""
    own = dict(ArrearsPlaybook.objects.filter(company_id=company_id).values_list("arrears_type", "counter_measures"))
    return [
        {
            "arrears_type": value,
            "label": str(label),
            "counter_measures": own.get(value) or str(DEFAULT_PLAYBOOK[value]),
            "custom": value in own,
        }
        for value, label in ArrearsType.choices
    ]


def stages(company_id: int) -> list[EscalationStage]:
    return list(EscalationStage.objects.filter(company_id=company_id).order_by("order", "pk"))


def account_risk(account: ReceivableAccount) -> dict:
    """What the account page's risk section shows, in a fixed number of queries."""
    from .models import RiskAssessment

    assessment = RiskAssessment.objects.filter(account=account).first()
    signals = list(
        RiskSignal.objects.filter(account=account).select_related("by", "withdrawn_by").order_by("-observed_on", "-id")
    )
    records = list(ArrearsRecord.objects.filter(account=account).select_related("by").order_by("-at", "-id")[:5])
    steps = list(
        EscalationStep.objects.filter(account=account)
        .select_related("stage", "requested_by", "decided_by")
        .order_by("-at", "-id")
    )
    settlements = list(
        SettlementRequest.objects.filter(account=account)
        .select_related("requested_by", "decided_by", "payment")
        .order_by("-at", "-id")
    )
    flagged = [
        s for s in settlements if s.kind in rules.FLAGS_ACCOUNT and s.status == SettlementRequest.Status.APPROVED
    ]
    active_kinds = {s.kind for s in signals if s.withdrawn_at is None}
    return {
        "assessment": assessment,
        "reasons": reasons_out(assessment.reasons if assessment else []),
        "signals": signals,
        "arrears_records": records,
        "steps": steps,
        "settlements": settlements,
        "flagged": flagged,
        "flagged_fen": sum(s.amount_fen for s in flagged),
        "pending_settlements": [s for s in settlements if s.status == SettlementRequest.Status.REQUESTED],
        "lock_hint": rules.lock_little_effect(active_kinds, account.arrears_type),
        "done_codes": {s.stage.code for s in steps if s.status == EscalationStep.Status.DONE},
    }


def flagged_totals(account_ids) -> dict[int, int]:
    """Approved waivers, discounts and settlement documents per account (the banner), in SQL."""
    rows = (
        SettlementRequest.objects.filter(
            account_id__in=list(account_ids), kind__in=rules.FLAGS_ACCOUNT, status=SettlementRequest.Status.APPROVED
        )
        .values("account_id")
        .annotate(s=Sum("amount_fen"))
        .order_by()
    )
    return {r["account_id"]: r["s"] for r in rows}
