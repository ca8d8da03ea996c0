"""Plain rules of the ops part (no Django here), SPEC §7 timing:

- ``next_good_times``: the next good moments to go to (or call) a customer about money — Tuesday to
  Thursday preferred, never Monday morning nor Friday, the month end and the customer's own pay day
  (the day their project pays them, and the two days after) favoured, statutory holidays skipped and
  make-up workdays counted (``chinese_calendar``), within the contact hours. Each carries its reasons.
- ``prewarning_stage`` / ``escalation_level``: which to-do an instalment calls for on a day — the
  pre-warning a week ahead, "arrive early" on the due date, escalation by days late.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

# reasons (codes; the pages turn them into sentences)
MIDWEEK = "midweek"  # Tuesday to Thursday
MONDAY_AFTERNOON = "monday_afternoon"
MAKEUP_WORKDAY = "makeup_workday"  # a weekend day that is a statutory make-up workday (调休上班)
MONTH_END = "month_end"  # the last 5 days of a month
PAY_DAY = "pay_day"  # the customer's pay day or the 2 days after
CALENDAR_UNKNOWN = "calendar_unknown"  # beyond chinese_calendar's data: weekends taken as rest days

MONTH_END_DAYS = 5
PAY_DAY_AFTER = 2
MORNING = 9  # a visit about money: early, before the customer is out on site
AFTERNOON = 14  # Monday: only after noon
HORIZON_DAYS = 120
STEP_MINUTES = 30

# weights of a day's score; a day qualifies with a score of at least 1
WEIGHTS = {MIDWEEK: 1, MAKEUP_WORKDAY: 1, MONTH_END: 1, PAY_DAY: 2}

# to-do stages of an instalment
PRE, DUE, LATE = "pre", "due", "late"


def china_rest_day(day: dt.date) -> bool | None:
    """True on a statutory holiday or an ordinary weekend, False on a workday (make-up Saturdays
    included), None beyond the calendar's data (the caller falls back on the weekend)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_holiday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class GoodTime:
    at: dt.datetime
    score: int
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _pay_day_of(year: int, month: int, pay_day: int) -> dt.date:
    """The pay day in a month (31 in a 30-day month is its last day)."""
    return dt.date(year, month, min(pay_day, calendar.monthrange(year, month)[1]))


def in_pay_window(day: dt.date, pay_day: int | None) -> bool:
    """The customer's pay day or one of the ``PAY_DAY_AFTER`` days after it (across a month end)."""
    if not pay_day:
        return False
    this = _pay_day_of(day.year, day.month, pay_day)
    prev_month = day.replace(day=1) - dt.timedelta(days=1)
    prev = _pay_day_of(prev_month.year, prev_month.month, pay_day)
    return any(0 <= (day - p).days <= PAY_DAY_AFTER for p in (this, prev))


def is_month_end(day: dt.date) -> bool:
    return calendar.monthrange(day.year, day.month)[1] - day.day < MONTH_END_DAYS


def day_quality(
    day: dt.date, *, pay_day: int | None = None, holidays: Callable[[dt.date], bool | None] = china_rest_day
) -> tuple[int, tuple[str, ...], int] | None:
    """``(score, reasons, earliest hour)`` of a day for talking money, or None when it is out:
    a rest day (holiday, or weekend not made a workday), a Friday, a day scoring nothing."""
    rest = holidays(day)
    reasons: list[str] = []
    if rest is None:
        rest = day.weekday() >= 5
        reasons.append(CALENDAR_UNKNOWN)
    if rest:
        return None
    weekday = day.weekday()
    if weekday == 4:  # Friday: the customer's mind is on the weekend
        return None
    earliest = MORNING
    if weekday == 0:
        earliest = AFTERNOON
        reasons.append(MONDAY_AFTERNOON)
    elif weekday in (1, 2, 3):
        reasons.append(MIDWEEK)
    else:
        reasons.append(MAKEUP_WORKDAY)
    if is_month_end(day):
        reasons.append(MONTH_END)
    if in_pay_window(day, pay_day):
        reasons.append(PAY_DAY)
    score = sum(WEIGHTS.get(r, 0) for r in reasons)
    if score < 1:
        return None
    return score, tuple(reasons), earliest


def _ceil(moment: dt.datetime) -> dt.datetime:
    moment = moment.replace(second=0, microsecond=0) + (
        dt.timedelta(minutes=1) if moment.second or moment.microsecond else dt.timedelta()
    )
    extra = (-moment.minute) % STEP_MINUTES
    return moment + dt.timedelta(minutes=extra)


CONTACT_HOURS = (8, 21)  # the default contact hours, whole hours: 08:00 to 21:00 (CollectionSettings)


def next_good_times(
    now: dt.datetime,
    *,
    pay_day: int | None = None,
    holidays: Callable[[dt.date], bool | None] = china_rest_day,
    contact_hours: tuple[int, int] = CONTACT_HOURS,
    count: int = 3,
) -> list[GoodTime]:
    """The next ``count`` good moments after ``now`` (local wall-clock time, naive), one per day, in
    time order: on a qualifying day (``day_quality``) at the earliest of the day's good hour (9:00,
    Monday 14:00) within the contact hours, or — today — the next half hour if that is later."""
    start, end = contact_hours
    if not (0 <= start < end <= 24):
        raise ValueError("contact hours must be 0 <= start < end <= 24")
    if pay_day is not None and not 1 <= pay_day <= 31:
        raise ValueError("pay day must be 1..31")
    out: list[GoodTime] = []
    naive = now.replace(tzinfo=None)
    day = naive.date()
    for _ in range(HORIZON_DAYS):
        quality = day_quality(day, pay_day=pay_day, holidays=holidays)
        if quality is not None:
            score, reasons, earliest = quality
            at = dt.datetime.combine(day, dt.time(max(earliest, start)))
            if day == naive.date():
                at = max(at, _ceil(naive))
            close = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=end)
            if at < close and at >= naive:
                out.append(GoodTime(at=at, score=score, reasons=reasons))
                if len(out) >= count:
                    break
        day += dt.timedelta(days=1)
    return out


def escalation_level(days_late: int, thresholds: tuple[int, ...]) -> int:
    """How many escalation thresholds ``days_late`` has reached (0: none; 1: the salesperson; 2: +
    the region's manager; 3: + finance; 4: + the administrators, with the default thresholds)."""
    return sum(1 for t in thresholds if days_late >= t)


def prewarning_stage(
    due_on: dt.date, today: dt.date, *, prewarning_days: int, thresholds: tuple[int, ...]
) -> tuple[str, int] | None:
    """The to-do an unpaid instalment calls for today: ``(PRE, days to go)`` within the pre-warning
    window, ``(DUE, 0)`` on the due date, ``(LATE, threshold reached)`` after it (the highest
    threshold reached), None otherwise (too early, or late but below the first threshold)."""
    days = (today - due_on).days
    if -prewarning_days <= days < 0:
        return PRE, -days
    if days == 0:
        return DUE, 0
    level = escalation_level(days, thresholds)
    if days > 0 and level:
        return LATE, thresholds[level - 1]
    return None
