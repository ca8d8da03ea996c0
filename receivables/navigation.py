"""Menu entries of receivables (债权管理); see core/navigation.py."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

RECEIVABLE_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN})

NAV = [
    NavItem("receivables", _("Receivable accounts (应收账户)"), "receivables:list", "¥", roles=RECEIVABLE_ROLES),
    NavItem("receivables", _("Ageing (账龄)"), "receivables:ageing", "⌛", roles=RECEIVABLE_ROLES),
]

for _part in ("ops", "collection", "risk", "kpis"):
    NAV.extend(__import__(f"receivables.{_part}.navigation", fromlist=["NAV"]).NAV)
