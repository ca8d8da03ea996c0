"""The KPI page's filters, validated once for the page and the API: a preset period (this month by
default) or a start and end date, and optional targets replacing the team's medians."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..rules import fen_of_yuan
from . import rules

MAX_DAYS = 3 * 366
PRESET_LABELS = {
    rules.THIS_MONTH: gettext_lazy("this month"),
    rules.LAST_MONTH: gettext_lazy("last month"),
    rules.THIS_QUARTER: gettext_lazy("this quarter"),
    rules.THIS_YEAR: gettext_lazy("this year"),
}
CUSTOM = "custom"


@dataclass
class KpiFilters:
    preset: str
    start: dt.date
    end: dt.date
    target_sales_fen: int | None = None
    target_rate: float | None = None  # a fraction


def _date(raw: str, name: str, errors: dict) -> dt.date | None:
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
    return day


def parse(params, today: dt.date) -> tuple[KpiFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    preset = (params.get("period") or "").strip()
    raw_start, raw_end = (params.get("start") or "").strip(), (params.get("end") or "").strip()
    if preset and preset != CUSTOM and preset not in rules.PRESETS:
        errors["period"] = _("Choose this month, last month, this quarter, this year or your own dates.")
        preset = ""
    if preset in ("", CUSTOM) and (raw_start or raw_end):
        preset = CUSTOM
        start = _date(raw_start, "start", errors) if raw_start else None
        end = _date(raw_end, "end", errors) if raw_end else None
        if raw_start and not raw_end and start:
            end = today
        if raw_end and not raw_start and end:
            start = end.replace(day=1)
        if start and end:
            if start > end:
                errors["start"] = _("The start is after the end.")
            elif (end - start).days > MAX_DAYS:
                errors["start"] = _("At most three years at a time.")
        if "start" in errors or "end" in errors or not (start and end):
            preset = rules.THIS_MONTH
            start, end = rules.period(preset, today)
    else:
        if preset in ("", CUSTOM):
            preset = rules.THIS_MONTH
        start, end = rules.period(preset, today)
    f = KpiFilters(preset=preset, start=start, end=end)
    raw_rate = (params.get("target_rate") or "").strip().rstrip("%")
    if raw_rate:
        try:
            rate = float(raw_rate)
        except ValueError:
            rate = -1
        if not 0 <= rate <= 100:
            errors["target_rate"] = _("A target collection rate is a percentage from 0 to 100.")
        else:
            f.target_rate = rate / 100
    raw_sales = (params.get("target_sales") or "").strip().replace(",", "")
    if raw_sales:
        try:
            fen = fen_of_yuan(raw_sales)
        except ValueError:
            fen = -1
        if fen < 0:
            errors["target_sales"] = _("A target for sales is an amount in yuan, zero or more.")
        else:
            f.target_sales_fen = fen
    return f, errors
