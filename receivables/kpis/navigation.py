"""Menu entries of this part; appended to receivables.navigation.NAV."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

KPI_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN})

NAV: list = [
    NavItem("receivables", _("Collection KPIs (回款考核)"), "receivables:kpis", "◎", roles=KPI_ROLES),
]
