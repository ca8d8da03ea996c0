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
