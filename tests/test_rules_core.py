"""Properties of the core's plain-Python rules (Today buckets, snooze limits)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from core import rules

dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))


@given(due=dates, today=dates)
def test_unsnoozed_bucket_follows_the_due_date(due, today):
    bucket = rules.todo_bucket(due, None, today)
    delta = (due - today).days
    if delta < 0:
        assert bucket is rules.Bucket.OVERDUE
    elif delta == 0:
        assert bucket is rules.Bucket.TODAY
    elif delta <= 7:
        assert bucket is rules.Bucket.NEXT
    else:
        assert bucket is None


@given(due=dates, snoozed=dates, today=dates)
def test_a_snoozed_todo_counts_from_the_snooze_date(due, snoozed, today):
    assert rules.todo_bucket(due, snoozed, today) == rules.todo_bucket(snoozed, None, today)


@given(due=dates, today=dates)
def test_snoozing_to_any_valid_date_takes_a_todo_out_of_overdue(due, today):
    until = today + dt.timedelta(days=1)
    assert rules.snooze_problem(until, today) is None
    assert rules.todo_bucket(due, until, today) is rules.Bucket.NEXT


@given(today=dates, days=st.integers(min_value=-400, max_value=800))
def test_snooze_limits(today, days):
    problem = rules.snooze_problem(today + dt.timedelta(days=days), today)
    if days <= 0:
        assert problem is rules.SnoozeProblem.NOT_AFTER_TODAY
    elif days > 366:
        assert problem is rules.SnoozeProblem.TOO_FAR
    else:
        assert problem is None


def test_national_day_is_not_a_workday_but_the_make_up_saturday_is():
    # 2026: National Day holiday 1–7 October; Saturday 10 October is a make-up working day (调休)
    assert not rules.is_workday(dt.date(2026, 10, 1))
    assert rules.is_workday(dt.date(2026, 10, 10))
    assert rules.next_workday(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)


def test_beyond_the_published_calendar_weekdays_are_workdays():
    assert rules.is_workday(dt.date(2031, 3, 7))  # a Friday
    assert not rules.is_workday(dt.date(2031, 3, 8))  # a Saturday


@given(today=dates)
def test_snooze_choices_are_valid_distinct_and_in_order(today):
    choices = rules.snooze_choices(today)
    days = [d for _, d in choices]
    assert days == sorted(set(days))
    assert choices[0] == ("tomorrow", today + dt.timedelta(days=1))
    assert all(rules.snooze_problem(d, today) is None for d in days)
    assert all(d.weekday() == 0 for k, d in choices if k == "next_monday")
    assert all(rules.is_workday(d) for k, d in choices if k == "next_workday")
