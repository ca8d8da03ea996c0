"""Menu entries of customer cognition (客户认知); see core/navigation.py."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

SALES_SIDE = frozenset({Role.SALESPERSON, Role.MANAGER, Role.ADMIN})

NAV = [
    NavItem(
        "customers",
        _("Customers"),
        "customers:list",
        "☺",
        roles=frozenset({Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN}),
        bottom=True,
    ),
    NavItem("customers", _("Public pool (公海)"), "customers:pool", "◎", roles=SALES_SIDE),
    NavItem(
        "customers",
        _("Industry contacts (0类客户)"),
        "customers:contacts",
        "☏",
        roles=frozenset({Role.SALESPERSON, Role.MANAGER, Role.SERVICE, Role.ADMIN}),
    ),
    NavItem("customers", _("Market projects (市场形势)"), "customers:projects", "⚒", roles=SALES_SIDE),
    NavItem("customers", _("Competitors (竞争对手)"), "customers:competitors", "⚔", roles=SALES_SIDE),
    NavItem("customers", _("Import from Excel"), "customers:import", "⇪", roles=frozenset({Role.MANAGER, Role.ADMIN})),
]
