"""Menu entries of this part; appended to receivables.navigation.NAV."""

from django.utils.translation import gettext_lazy as _

from core.models import Role
from core.navigation import NavItem

NAV: list = [
    NavItem(
        "receivables",
        _("Import running contracts (存量合同导入)"),
        "receivables:ops_import",
        "⇪",
        roles=frozenset({Role.FINANCE, Role.ADMIN}),
    ),
]
