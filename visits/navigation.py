"""Menu entries of visits (客户拜访); see core/navigation.py."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

SALES = frozenset({Role.SALESPERSON})
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})

NAV = [
    NavItem(
        "visits", _("Visit plan (拜访计划)"), "visits:plan", "➜", roles=SALES | {Role.MANAGER}, bottom=True, exact=True
    ),
    NavItem("visits", _("Daily report (日报)"), "visits:report", "✎", roles=SALES),
    NavItem("visits", _("Evening review (笔记回顾)"), "visits:review", "☾", roles=SALES | MANAGERS),
    NavItem("visits", _("Team reports (团队日报)"), "visits:team", "☷", roles=MANAGERS),
    NavItem("visits", _("Check-in map (签到地图)"), "visits:map", "⌖", roles=MANAGERS),
    NavItem("visits", _("Flagged check-ins (异常签到)"), "visits:flagged", "⚑", roles=MANAGERS),
    NavItem("visits", _("Visit analytics (拜访分析)"), "visits:analytics", "▦", roles=MANAGERS),
]
