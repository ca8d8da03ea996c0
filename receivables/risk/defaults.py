"""The defaults of the method: the escalation ladder and the counter-measures of each arrears type
(the collection deck: 拖欠货款的类型及控制对策, 采取渐进的收款程序, 能够协商解决的不要动用法律)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# code, name, order, needs_approval, needs_notice, legal_review, is_lock
DEFAULT_STAGES = [
    {"code": "reminder", "name": _("Reminder (提醒催告)"), "order": 10, "needs_approval": False,
     "needs_notice": False, "legal_review": False, "is_lock": False},
    {"code": "visit", "name": _("Visit (上门催收)"), "order": 20, "needs_approval": False,
     "needs_notice": False, "legal_review": False, "is_lock": False},
    {"code": "manager_guarantor", "name": _("Manager and guarantor (经理出面·联系担保人)"), "order": 30,
     "needs_approval": True, "needs_notice": True, "legal_review": False, "is_lock": False},
    {"code": "machine_lock", "name": _("Machine lock (远程锁机)"), "order": 40, "needs_approval": True,
     "needs_notice": True, "legal_review": False, "is_lock": True},
    {"code": "repossession", "name": _("Repossession (收回设备)"), "order": 50, "needs_approval": True,
     "needs_notice": True, "legal_review": False, "is_lock": False},
    {"code": "legal_action", "name": _("Legal action (诉诸法律)"), "order": 60, "needs_approval": True,
     "needs_notice": True, "legal_review": False, "is_lock": False},
    # beside the ladder's order: legal review required, a written notice first
    {"code": "industry_pressure", "name": _("Industry circle pressure (行业圈施压)"), "order": 70,
     "needs_approval": True, "needs_notice": True, "legal_review": True, "is_lock": False},
    {"code": "credit_reporting", "name": _("Credit reporting (征信上报)"), "order": 80, "needs_approval": True,
     "needs_notice": True, "legal_review": True, "is_lock": False},
]  # fmt: skip

# the deck's counter-measures per arrears type (the company may write its own)
DEFAULT_PLAYBOOK = {
    "weak_effort": _(
        "Collect with confidence and on the agreed day: arrive early on the due date, remind a week "
        "before, fix a new date and hour at once when told “not today”; put collection in the "
        "salesperson's targets; a colleague or the manager goes along."
    ),
    "dispute": _(
        "Find the clause in dispute and the acceptance record; settle the product or service question "
        "first (service engineer, written confirmation of each point); agree in writing what is owed "
        "and when; no waiver document without finance approval."
    ),
    "poor_business": _(
        "Look at the customer's projects and cash; agree a realistic schedule with small, regular "
        "payments; secure the machine and the guarantors; watch the signals weekly; a lock earns "
        "little when the machine stands idle."
    ),
    "cash_flow": _(
        "Time the visit to the customer's pay day and finance cycle; ask for a part now and a promise "
        "with exact date, hour and amount for the rest; a third-party payment or offset only with "
        "finance approval."
    ),
    "deliberate": _(
        "Be firm and persistent: visit, do not be moved by complaints, accept no gifts; record every "
        "promise and broken promise; escalate step by step with written notices: manager and "
        "guarantor, lock, repossession, legal action."
    ),
    "accident": _(
        "Show understanding and help: find out about insurance and compensation, agree a temporary "
        "schedule in writing, keep in close contact; escalate only if the customer stops cooperating."
    ),
}
