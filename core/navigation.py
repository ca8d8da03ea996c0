"""The menu, grouped by the chapters of the method. A module adds its entries to NAV."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class NavItem:
    group: str
    label: str
    url_name: str
    icon: str  # a one-character glyph; no icon font needed
    roles: frozenset[str] = ALL_ROLES
    bottom: bool = False  # shown in the phone's bottom bar


GROUPS = [
    ("today", _("Today")),
    ("customers", _("Customer cognition (客户认知)")),
    ("system", _("System")),
]

NAV: list[NavItem] = [
    NavItem("today", _("Today"), "core:today", "◉", bottom=True),
    NavItem("today", _("Notifications"), "core:notifications", "✉", bottom=True),
    NavItem(
        "customers",
        _("Customers"),
        "customers:list",
        "☺",
        roles=frozenset({Role.SALESPERSON, Role.MANAGER, Role.FINANCE, Role.ADMIN}),
        bottom=True,
    ),
    NavItem("system", _("Audit trail"), "core:audit", "☰", roles=frozenset({Role.ADMIN})),
    NavItem("system", _("My account"), "core:account", "⚙", bottom=True),
]


def navigation_for(user, path: str) -> dict:
    roles = user.role_set
    items = [item for item in NAV if item.roles & roles or item.roles == ALL_ROLES]
    groups = []
    for key, label in GROUPS:
        entries = []
        for item in items:
            if item.group != key:
                continue
            url = reverse(item.url_name)
            active = path == url if url == "/" else path.startswith(url)
            entries.append(
                {"label": item.label, "url": url, "icon": item.icon, "active": active, "bottom": item.bottom}
            )
        if entries:
            groups.append({"key": key, "label": label, "items": entries})
    bottom = [e for g in groups for e in g["items"] if e["bottom"]]
    return {"groups": groups, "bottom": bottom}
