"""Reads on customers, always through the visibility module."""

from __future__ import annotations

from django.db.models import Q

from core.visibility import Action, visible

from . import rules
from .models import Customer


def customer_search(user, *, q: str = "", grade: str | int | None = None, pool: str = "", action=Action.LIST):
    """Visible customers, filtered. ``q`` matches name, mobile or pinyin initials."""
    qs = visible(user, Customer, action).select_related("owner", "region")
    q = rules.clean_text(q)
    if q:
        digits = q.replace(" ", "")
        cond = Q(name__icontains=q)
        if digits.isdigit():
            cond |= Q(phone__contains=digits)
        if q.isascii() and q.isalpha():
            cond |= Q(initials__startswith=q.lower())
        qs = qs.filter(cond)
    if grade not in (None, ""):
        qs = qs.filter(grade=int(grade))
    if pool == "1":
        qs = qs.filter(in_pool=True)
    elif pool == "0":
        qs = qs.filter(in_pool=False)
    return qs.order_by("-updated_at", "-id")
