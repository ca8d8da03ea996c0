"""The menu, grouped by the chapters of the method. A module adds its entries to NAV."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
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
    exact: bool = False  # active only on its own address, not on the pages below it


GROUPS = [
    ("today", _("Today")),
    ("customers", _("Customer cognition (客户认知)")),
    ("pitch", _("Product pitch (产品推介)")),
    ("policies", _("Commercial policies (商务政策)")),
    ("orders", _("Order to delivery (下单交车)")),
    ("receivables", _("Receivables (债权管理)")),
    ("visits", _("Visits (客户拜访)")),
    ("system", _("System")),
]

NAV: list[NavItem] = [
    NavItem("today", _("Today"), "core:today", "◉", bottom=True),
    NavItem("today", _("Notifications"), "core:notifications", "✉", bottom=True),
    NavItem("system", _("Audit trail"), "core:audit", "☰", roles=frozenset({Role.ADMIN})),
    NavItem("system", _("My account"), "core:account", "⚙", bottom=True),
]


def _all_items() -> list[NavItem]:
    """The core's entries plus each app's ``navigation.NAV`` (apps add their pages there)."""
    from importlib import import_module

    from django.apps import apps

    items = list(NAV)
    for config in apps.get_app_configs():
        if config.name == "core":
            continue
        try:
            module = import_module(f"{config.name}.navigation")
        except ModuleNotFoundError:
            continue
        items.extend(module.NAV)
    return items


def navigation_for(user, path: str) -> dict:
    """The user's menu; the active entry is the one whose address is the longest prefix of ``path``
    (the home page "/" only when it is the page itself)."""
    roles = user.role_set
    items = [item for item in _all_items() if item.roles & roles or item.roles == ALL_ROLES]
    groups = []
    for key, label in GROUPS:
        entries = []
        for item in items:
            if item.group != key:
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:  # a page not built yet
                continue
            entries.append(
                {
                    "label": item.label,
                    "url": url,
                    "icon": item.icon,
                    "active": False,
                    "bottom": item.bottom,
                    "exact": item.exact or url == "/",
                }
            )
        if entries:
            groups.append({"key": key, "label": label, "items": entries})
    matches = [
        e for g in groups for e in g["items"] if (path == e["url"] if e["url"] == "/" else path.startswith(e["url"]))
    ]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    bottom = [e for g in groups for e in g["items"] if e["bottom"]]
    return {"groups": groups, "bottom": bottom}
