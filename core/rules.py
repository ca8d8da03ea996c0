"""Core rules as plain Python (no Django): which Today bucket a to-do falls in, snooze limits."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import chinese_calendar

HORIZON_DAYS = 7  # "next 7 days" on the Today page
MAX_SNOOZE_DAYS = 366


class Bucket(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    NEXT = "next"


def effective_due(due: dt.date, snoozed_until: dt.date | None) -> dt.date:
    """A snoozed to-do counts from the day it was snoozed to."""
    return snoozed_until or due


def todo_bucket(due: dt.date, snoozed_until: dt.date | None, today: dt.date) -> Bucket | None:
    """Overdue, today, next 7 days — or None when further out."""
    day = effective_due(due, snoozed_until)
    if day < today:
        return Bucket.OVERDUE
    if day == today:
        return Bucket.TODAY
    if day <= today + dt.timedelta(days=HORIZON_DAYS):
        return Bucket.NEXT
    return None


class SnoozeProblem(StrEnum):
    NOT_AFTER_TODAY = "not_after_today"
    TOO_FAR = "too_far"


def snooze_problem(until: dt.date, today: dt.date) -> SnoozeProblem | None:
    if until <= today:
        return SnoozeProblem.NOT_AFTER_TODAY
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        return SnoozeProblem.TOO_FAR
    return None


def is_workday(day: dt.date) -> bool:
    """Mainland working day: public holidays off, make-up Saturdays/Sundays (调休) on.

    Beyond the years the calendar library knows (the State Council publishes each year's schedule
    late in the year before), Monday to Friday.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def next_workday(after: dt.date) -> dt.date:
    day = after + dt.timedelta(days=1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def snooze_choices(today: dt.date) -> list[tuple[str, dt.date]]:
    """Quick snooze targets: tomorrow, next working day, next Monday — deduplicated, by date."""
    tomorrow = today + dt.timedelta(days=1)
    monday = today + dt.timedelta(days=7 - today.weekday())
    out: list[tuple[str, dt.date]] = []
    for key, day in (("tomorrow", tomorrow), ("next_workday", next_workday(today)), ("next_monday", monday)):
        if all(day != d for _, d in out):
            out.append((key, day))
    return sorted(out, key=lambda item: item[1])
