"""The plain rules of prevention and KPIs (SPEC §7, the deck's chapter 2) — no Django here.

- ``period``: the report's period from a preset (this month, last month, this quarter, this year).
- ``collection_rate``: collected against what fell due, as a fraction (None when nothing fell due).
- ``quadrant``: the four attitudes (回款的四种态度) from sales achieved and collection rate against
  two lines (the team's medians, or the dealer's targets): high sales and low collection is
  sales-led (销售导向), high both strategy-led (战略导向), low both passive (被动型), low sales and high
  collection collection-led (回款导向). A value on a line counts as high; zero never does.
- ``credit_status``: whether a customer's credit check (资信调查) is good enough for a new sale.
- ``clean_sources``: the sources a credit check looked at, from the fixed list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

THIS_MONTH = "this_month"
LAST_MONTH = "last_month"
THIS_QUARTER = "this_quarter"
THIS_YEAR = "this_year"
PRESETS = (THIS_MONTH, LAST_MONTH, THIS_QUARTER, THIS_YEAR)

SALES_LED = "sales_led"
STRATEGY_LED = "strategy_led"
PASSIVE = "passive"
COLLECTION_LED = "collection_led"
QUADRANTS = (STRATEGY_LED, SALES_LED, COLLECTION_LED, PASSIVE)

# the sources a credit check may look at (资信调查的渠道)
SOURCES = (
    "bank_report",  # 征信报告
    "court_list",  # 失信被执行人名单
    "local_reputation",  # 当地口碑
    "machines_owned",  # 名下设备
    "project_payments",  # 工程款回款情况
    "business_licence",  # 营业执照与经营状况
    "guarantor",  # 担保人情况
    "previous_payments",  # 在我司的付款记录
)
GOOD, CAUTION, BAD = "good", "caution", "bad"
RESULTS = (GOOD, CAUTION, BAD)
MAX_AGE_DAYS = 180  # a credit check older than this is stale before a new sale

# why a customer's credit is not good enough for a new sale
NO_CHECK, STALE, BAD_RESULT, CAUTION_RESULT, OK = "none", "stale", "bad", "caution", "ok"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day (inclusive) of ``preset`` around ``today``."""
    if preset == THIS_MONTH:
        start = _month_start(today)
        return start, _next_month(start) - dt.timedelta(days=1)
    if preset == LAST_MONTH:
        end = _month_start(today) - dt.timedelta(days=1)
        return _month_start(end), end
    if preset == THIS_QUARTER:
        start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        end = _next_month(_next_month(_next_month(start))) - dt.timedelta(days=1)
        return start, end
    if preset == THIS_YEAR:
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    raise ValueError(f"unknown period: {preset!r}")


def collection_rate(due_fen: int, collected_fen: int) -> float | None:
    """Collected against due, a fraction (more than 1 never: what is collected against an instalment
    never exceeds it); None when nothing fell due."""
    if due_fen < 0 or collected_fen < 0:
        raise ValueError("amounts are never negative")
    if due_fen == 0:
        return None
    return collected_fen / due_fen


def median(values: Iterable[float]) -> float | None:
    """The median (the mean of the two middle values for an even count); None for no value."""
    rows = sorted(values)
    if not rows:
        return None
    mid = len(rows) // 2
    return float(rows[mid]) if len(rows) % 2 else (rows[mid - 1] + rows[mid]) / 2


def quadrant(sales: float, rate: float, sales_line: float, rate_line: float) -> str:
    """The attitude of a salesperson with ``sales`` and collection ``rate`` against the two lines. On a
    line counts as high, but nothing sold (or nothing collected) is never high, even on a zero line."""
    high_sales, high_rate = sales >= sales_line and sales > 0, rate >= rate_line and rate > 0
    if high_sales and high_rate:
        return STRATEGY_LED
    if high_sales:
        return SALES_LED
    if high_rate:
        return COLLECTION_LED
    return PASSIVE


def classify(
    points: Sequence[tuple[object, float, float | None]],
    *,
    sales_line: float | None = None,
    rate_line: float | None = None,
) -> tuple[dict[object, str | None], float | None, float | None]:
    """Each ``(key, sales, rate)`` with its quadrant, the lines at the medians of the placed points
    unless given. A point without a rate (nothing fell due) has no quadrant (None) and does not move
    the medians. Returns ``(quadrant by key, sales line, rate line)``."""
    placed = [(k, s, r) for k, s, r in points if r is not None]
    if sales_line is None:
        sales_line = median(s for _k, s, _r in placed)
    if rate_line is None:
        rate_line = median(r for _k, _s, r in placed)
    out: dict[object, str | None] = {}
    for key, sales, rate in points:
        if rate is None or sales_line is None or rate_line is None:
            out[key] = None
        else:
            out[key] = quadrant(sales, rate, sales_line, rate_line)
    return out, sales_line, rate_line


def credit_status(
    last_on: dt.date | None, last_result: str | None, today: dt.date, max_age_days: int = MAX_AGE_DAYS
) -> tuple[bool, str]:
    """May a new sale go ahead on the customer's last credit check? ``(ok, reason)``: no check, a bad
    result or a check older than ``max_age_days`` → not ok; a caution → ok, with the caution."""
    if last_on is None:
        return False, NO_CHECK
    if last_result == BAD:
        return False, BAD_RESULT
    if (today - last_on).days > max_age_days:
        return False, STALE
    if last_result == CAUTION:
        return True, CAUTION_RESULT
    return True, OK


def clean_sources(raw: Iterable[str]) -> tuple[list[str], list[str]]:
    """The sources in the fixed list's order without repeats, and the unknown ones as given."""
    given = [str(s).strip() for s in raw if str(s).strip()]
    unknown = [s for s in given if s not in SOURCES]
    return [s for s in SOURCES if s in given], unknown
