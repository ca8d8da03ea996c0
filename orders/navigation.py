"""Menu entries of order to delivery (下单交车); see core/navigation.py. Each part appends its own."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

DEAL_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.ADMIN, Role.FINANCE})

NAV_DEALS: list = [
    NavItem("orders", _("Deals (商机)"), "orders:deals", "◧", roles=DEAL_ROLES, bottom=False),
    NavItem("orders", _("Sales funnel (销售漏斗)"), "orders:funnel", "▽", roles=DEAL_ROLES),
]
# the delivery part: orders on their way to the customer, and the machines in stock
NAV_DELIVERY: list = [
    NavItem("orders", _("Deliveries (交车)"), "orders:deliveries", "⛟", roles=DEAL_ROLES | {Role.SERVICE}),
    NavItem(
        "orders",
        _("Machines in stock (库存整机)"),
        "orders:machines",
        "▣",
        roles=frozenset({Role.MANAGER, Role.SERVICE, Role.ADMIN}),
    ),
]
# finance's work list of instalment dossiers waiting for verification (the dossier part)
NAV_DOSSIER: list = [
    NavItem(
        "orders",
        _("Dossiers to verify (分期资料审核)"),
        "orders:dossier_queue",
        "✓",
        roles=frozenset({Role.FINANCE, Role.ADMIN}),
    ),
]

NAV = [*NAV_DEALS, *NAV_DELIVERY, *NAV_DOSSIER]
