"""Menu entries of risk: the watch list and the approvals."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

NAV = [
    NavItem(
        "receivables",
        _("Watch list (风险关注)"),
        "receivables:watch_list",
        "⚠",
        roles=frozenset({Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN}),
    ),
    NavItem(
        "receivables",
        _("Escalations and settlements (升级审批)"),
        "receivables:escalations",
        "⇪",
        roles=frozenset({Role.MANAGER, Role.FINANCE, Role.ADMIN}),
    ),
    NavItem("system", _("Risk settings (风险设置)"), "receivables:risk_settings", "⚖", roles=frozenset({Role.ADMIN})),
]
