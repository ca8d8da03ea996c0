"""The names of the risk inputs (reasons), for pages, the API and to-dos."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import rules

BEHAVIOUR_LABELS = {
    "dpd_1_30": _("1–30 days past due"),
    "dpd_31_60": _("31–60 days past due"),
    "dpd_61_90": _("61–90 days past due"),
    "dpd_over_90": _("over 90 days past due"),
    rules.BROKEN_PROMISE: _("broken promises to pay"),
    rules.PARTIAL_PAYMENT: _("partial payments"),
    rules.FIRST_LATE: _("first late payment (首次逾期)"),
}


def reason_label(code: str) -> str:
    from .models import RiskSignal

    if code in RiskSignal.Kind.values:
        return str(RiskSignal.Kind(code).label)
    return str(BEHAVIOUR_LABELS.get(code, code))


def evidence_text(code: str, evidence: str) -> str:
    """The evidence of a ledger reason in words (a signal's evidence is the staff's own text)."""
    if code in rules.DPD_CODES:
        return str(_("%(n)s days past due today")) % {"n": evidence}
    if code == rules.BROKEN_PROMISE:
        return str(_("promises broken: %(n)s")) % {"n": evidence}
    if code == rules.PARTIAL_PAYMENT:
        return str(_("partly paid: %(n)s")) % {"n": evidence}
    if code == rules.FIRST_LATE:
        return str(_("first late on %(day)s")) % {"day": evidence}
    return evidence
