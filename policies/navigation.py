"""Menu entries of the commercial policies (商务政策); see core/navigation.py."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

APPROVER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})

# The negotiation guardrails: managers and administrators decide on discounts, salespeople follow
# the requests they made (the same page, /policies/approvals/, shows each their own rows).
NAV_NEGOTIATION = [
    NavItem("policies", _("Discount approvals (让价审批)"), "policies:approvals", "✓", roles=APPROVER_ROLES),
    NavItem("policies", _("My discount requests"), "policies:approvals", "¥", roles=frozenset({Role.SALESPERSON})),
]

POLICY_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.ADMIN, Role.FINANCE})

NAV = [
    NavItem("policies", _("Commercial policies (商务政策)"), "policies:list", "◈", roles=POLICY_ROLES, exact=True),
    *NAV_NEGOTIATION,
]
