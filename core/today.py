"""Panels other modules put on the Today page (今日), above the to-dos.

A module registers ``fn(user, day) -> dict | None`` with ``today_panel``; the dict names its
``template`` and carries what it shows. A panel costs a fixed number of queries (the Today page's
query count is pinned in tests/test_query_counts.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

PANELS: list[Callable[[object, dt.date], dict | None]] = []


def today_panel(fn: Callable[[object, dt.date], dict | None]):
    if fn not in PANELS:
        PANELS.append(fn)
    return fn


def panels_for(user, day: dt.date) -> list[dict]:
    return [p for fn in PANELS if (p := fn(user, day))]
