"""Menu entries of the product pitch (产品推介); see core/navigation.py."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

PITCH_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.ADMIN, Role.SERVICE})
PLAYBOOK_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.ADMIN})

NAV = [
    NavItem("pitch", _("Catalogue (产品目录)"), "pitch:catalogue", "▦", roles=PITCH_ROLES),
    NavItem("pitch", _("Compare with a competitor"), "pitch:compare", "⇄", roles=PITCH_ROLES),
    NavItem("pitch", _("Pitch sheet (推介单)"), "pitch:sheet_pick", "☰", roles=PLAYBOOK_ROLES),
    NavItem("pitch", _("Objection playbook (异议处理)"), "pitch:playbook", "?", roles=PLAYBOOK_ROLES, exact=True),
    NavItem("pitch", _("Answers that work"), "pitch:objection_report", "%", roles=PLAYBOOK_ROLES),
]
