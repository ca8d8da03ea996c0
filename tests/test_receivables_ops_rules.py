"""The plain rules of the ops part: the next good times to go (SPEC §7 timing) and the pre-warning
and escalation stages — hypothesis properties plus the cases the method names."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from receivables.ops import rules

NOW = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 12, 31))
HOURS = st.tuples(st.integers(0, 23), st.integers(1, 24)).filter(lambda h: h[0] < h[1])
PAY_DAY = st.one_of(st.none(), st.integers(1, 31))


def _rest(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_holiday(day)
    except NotImplementedError:
        return day.weekday() >= 5


@settings(max_examples=300, deadline=None)
@given(now=NOW, hours=HOURS, pay_day=PAY_DAY)
def test_a_good_time_is_never_outside_contact_hours_on_a_rest_day_friday_or_monday_morning(now, hours, pay_day):
    times = rules.next_good_times(now, pay_day=pay_day, contact_hours=hours)
    for g in times:
        assert g.at >= now
        assert hours[0] <= g.at.hour < hours[1]
        assert not _rest(g.at.date())
        assert g.at.weekday() != 4
        assert not (g.at.weekday() == 0 and g.at.hour < 12)
        assert g.score >= 1 and g.reasons
        if g.at.date() > dt.date(2026, 12, 31):
            assert rules.CALENDAR_UNKNOWN in g.reasons


@settings(max_examples=200, deadline=None)
@given(now=NOW, later=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20)), pay_day=PAY_DAY)
def test_good_times_are_in_time_order_one_a_day_and_monotonic_in_now(now, later, pay_day):
    first = rules.next_good_times(now, pay_day=pay_day)
    second = rules.next_good_times(now + later, pay_day=pay_day)
    assert len(first) == 3
    assert [g.at for g in first] == sorted(g.at for g in first)
    assert len({g.at.date() for g in first}) == 3
    # asking later never suggests an earlier moment
    assert second[0].at >= first[0].at
    # a good day still ahead stays suggested at the same time (only today's slot moves with the clock)
    asked = (now + later).date()
    still = [g.at for g in first if g.at.date() > asked]
    assert still == [g.at for g in second if g.at.date() > asked][: len(still)]


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31)), pay_day=st.integers(1, 31))
def test_the_pay_day_window_is_the_day_and_the_two_after(day, pay_day):
    import calendar

    last = calendar.monthrange(day.year, day.month)[1]
    this = day.replace(day=min(pay_day, last))
    inside = 0 <= (day - this).days <= 2
    prev = day.replace(day=1) - dt.timedelta(days=1)
    prev_pay = prev.replace(day=min(pay_day, calendar.monthrange(prev.year, prev.month)[1]))
    inside = inside or 0 <= (day - prev_pay).days <= 2
    assert rules.in_pay_window(day, pay_day) == inside


def test_tuesday_to_thursday_and_month_end_and_pay_day_are_favoured():
    # Monday 2026-09-28, 10:05: Monday morning is out → Monday 14:00 (month end), then Tue, Wed
    times = rules.next_good_times(dt.datetime(2026, 9, 28, 10, 5), pay_day=30)
    assert [g.at for g in times] == [
        dt.datetime(2026, 9, 28, 14, 0),
        dt.datetime(2026, 9, 29, 9, 0),
        dt.datetime(2026, 9, 30, 9, 0),
    ]
    assert times[2].reasons == (rules.MIDWEEK, rules.MONTH_END, rules.PAY_DAY)
    assert times[2].score > times[1].score > times[0].score


def test_an_ordinary_monday_afternoon_is_not_suggested_but_midweek_is():
    # Monday 2026-06-08 (mid-month, no pay day): Tuesday 9:00 first; Friday 12 and the weekend skipped
    times = rules.next_good_times(dt.datetime(2026, 6, 8, 15, 0))
    assert [g.at.date() for g in times] == [dt.date(2026, 6, 9), dt.date(2026, 6, 10), dt.date(2026, 6, 11)]
    nxt = rules.next_good_times(dt.datetime(2026, 6, 11, 20, 45))
    assert nxt[0].at == dt.datetime(2026, 6, 16, 9, 0)  # not Fri 12, Sat, Sun, nor ordinary Mon 15


def test_national_day_holidays_are_skipped_and_a_makeup_workday_counts():
    # 2026: 1–7 October off; Sunday 27 September and Saturday 10 October are make-up workdays?
    times = rules.next_good_times(dt.datetime(2026, 9, 30, 21, 0), count=2)
    for g in times:
        assert not chinese_calendar.is_holiday(g.at.date())
        assert g.at.date() > dt.date(2026, 10, 7)
    saturday_workdays = [
        d for d in (dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365))
        if d.weekday() == 5 and chinese_calendar.is_workday(d)
    ]  # fmt: skip
    assert saturday_workdays
    day = saturday_workdays[0]
    quality = rules.day_quality(day)
    assert quality is not None and rules.MAKEUP_WORKDAY in quality[1]
    holiday_weekdays = [
        d for d in (dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365))
        if d.weekday() in (1, 2, 3) and chinese_calendar.is_holiday(d)
    ]  # fmt: skip
    assert holiday_weekdays and all(rules.day_quality(d) is None for d in holiday_weekdays)


def test_beyond_the_calendar_data_weekends_are_rest_days_and_the_reason_says_so():
    times = rules.next_good_times(dt.datetime(2027, 3, 1, 8, 0))  # a Monday
    assert times[0].at == dt.datetime(2027, 3, 2, 9, 0)
    assert all(rules.CALENDAR_UNKNOWN in g.reasons for g in times)


def test_contact_hours_move_the_slot_and_a_late_evening_goes_to_the_next_day():
    times = rules.next_good_times(dt.datetime(2026, 6, 9, 8, 0), contact_hours=(10, 18))
    assert times[0].at == dt.datetime(2026, 6, 9, 10, 0)
    today_later = rules.next_good_times(dt.datetime(2026, 6, 9, 16, 10), contact_hours=(10, 18))
    assert today_later[0].at == dt.datetime(2026, 6, 9, 16, 30)
    after = rules.next_good_times(dt.datetime(2026, 6, 9, 17, 40), contact_hours=(10, 18))
    assert after[0].at == dt.datetime(2026, 6, 10, 10, 0)


THRESHOLDS = (1, 7, 30, 60)


@given(days=st.integers(-400, 400))
def test_the_stage_follows_the_days_to_the_due_date(days):
    today = dt.date(2026, 6, 15)
    due = today - dt.timedelta(days=days)
    stage = rules.prewarning_stage(due, today, prewarning_days=7, thresholds=THRESHOLDS)
    if -7 <= days < 0:
        assert stage == (rules.PRE, -days)
    elif days == 0:
        assert stage == (rules.DUE, 0)
    elif days < -7:
        assert stage is None
    else:
        level = rules.escalation_level(days, THRESHOLDS)
        assert stage == (rules.LATE, THRESHOLDS[level - 1])
        assert 1 <= level <= 4


@given(a=st.integers(0, 500), b=st.integers(0, 500))
def test_escalation_never_goes_down_as_days_pass(a, b):
    lo, hi = sorted((a, b))
    assert rules.escalation_level(lo, THRESHOLDS) <= rules.escalation_level(hi, THRESHOLDS)


def test_escalation_levels_at_the_default_thresholds():
    assert [rules.escalation_level(d, THRESHOLDS) for d in (0, 1, 6, 7, 29, 30, 59, 60, 400)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]
