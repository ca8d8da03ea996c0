"""Risk's section of the account page: score, level and reasons; signals (record, withdraw); the
arrears type with its cause and playbook; the escalation ladder; the three traps. A fixed number of
queries whatever the account holds."""

from __future__ import annotations

from django.utils import timezone

from ..models import ArrearsType
from . import selectors
from .models import EscalationStep, RiskSignal, SettlementRequest
from .services import STAFF_ROLES, settings_of


def account_panel(request, account, *, errors=None, values=None, form: str = "") -> dict:
    """Extra context for ``templates/receivables/risk/_account.html`` (under the key ``risk``).
    ``form`` names the form whose ``errors`` and ``values`` are shown again."""
    user = request.user
    stages = selectors.stages(account.company_id)
    data = selectors.account_risk(account)
    done = data["done_codes"]
    active = [s for s in stages if s.active]
    next_stage = next((s for s in active if s.code not in done), None)
    settings = settings_of(account.company_id)
    return {
        "risk": {
            **data,
            "may_record": user.has_role(*STAFF_ROLES),
            "stages": active,
            "next_stage": next_stage,
            "signal_kinds": RiskSignal.Kind.choices,
            "arrears_types": ArrearsType.choices,
            "playbook": selectors.playbook_for(account.company_id, account.arrears_type),
            "channels": EscalationStep.Channel.choices,
            "settlement_kinds": SettlementRequest.Kind.choices,
            "lock_max_days": settings.lock_max_days,
            "errors": errors or {},
            "values": values or {},
            "form": form,
            "today": timezone.localdate(),
        }
    }
