"""Menu entries of collection (回款); appended to receivables.navigation.NAV."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

COLLECTION_ROLES = frozenset({Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN})

NAV: list = [
    NavItem("receivables", _("Collection worklist (催收清单)"), "receivables:worklist", "☎", roles=COLLECTION_ROLES),
    NavItem(
        "receivables",
        _("Expected vs collected (应收与实收)"),
        "receivables:collection_expected",
        "▥",
        roles=COLLECTION_ROLES,
    ),
    NavItem(
        "receivables",
        _("Technique effectiveness (技巧效果)"),
        "receivables:collection_effectiveness",
        "✓",
        roles=frozenset({Role.MANAGER, Role.FINANCE, Role.ADMIN}),
    ),
]
