"""The plain rules of receivables: allocation of a payment over instalments, ageing buckets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receivables import rules

DAY0 = dt.date(2026, 1, 1)

instalments = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 5_000_000)), min_size=0, max_size=24, unique_by=lambda t: t[0]
).map(lambda rows: [(i, DAY0 + dt.timedelta(days=off), out) for i, (off, out) in enumerate(rows)])
orders = st.sampled_from(rules.ORDERS)


@given(st.integers(0, 200_000_000), instalments, orders, st.dates(dt.date(2025, 1, 1), dt.date(2028, 1, 1)))
def test_allocations_and_credit_add_up_to_the_payment_and_never_exceed_outstanding(pay, rows, order, as_of):
    allocations, credit = rules.allocate(pay, rows, order, as_of=as_of)
    assert sum(fen for _i, fen in allocations) + credit == pay
    outstanding = {i: out for i, _d, out in rows}
    assert len({i for i, _ in allocations}) == len(allocations)  # each instalment once
    for ident, fen in allocations:
        assert 0 < fen <= outstanding[ident]
    # credit only when every instalment is full
    if credit:
        assert sum(fen for _i, fen in allocations) == sum(outstanding.values())


@given(st.integers(0, 200_000_000), instalments)
def test_oldest_first_fills_earlier_instalments_completely_before_later_ones(pay, rows):
    allocations, _credit = rules.allocate(pay, rows, rules.OLDEST_FIRST)
    got = dict(allocations)
    by_due = sorted(rows, key=lambda r: (r[1], r[0]))
    for k, (ident, _due, out) in enumerate(by_due):
        if got.get(ident, 0) < out:  # not full: nothing later got anything
            assert all(got.get(later, 0) == 0 for later, _d, o in by_due[k + 1 :] if o)
            break


@given(st.integers(0, 200_000_000), instalments)
def test_newest_first_fills_later_instalments_first(pay, rows):
    newest, _ = rules.allocate(pay, rows, rules.NEWEST_FIRST)
    order = [i for i, _d, o in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True) if o]
    assert [i for i, _ in newest] == order[: len(newest)]


def test_the_three_orders_on_an_example():
    rows = [(1, dt.date(2026, 1, 10), 100), (2, dt.date(2026, 2, 10), 100), (3, dt.date(2026, 3, 10), 100)]
    assert rules.allocate(150, rows) == ([(1, 100), (2, 50)], 0)
    assert rules.allocate(150, rows, rules.NEWEST_FIRST) == ([(3, 100), (2, 50)], 0)
    # due soonest: the instalment nearest the payment date first
    assert rules.allocate(150, rows, rules.DUE_SOONEST, as_of=dt.date(2026, 2, 5)) == ([(2, 100), (1, 50)], 0)
    assert rules.allocate(150, rows, rules.DUE_SOONEST, as_of=dt.date(2026, 2, 15)) == ([(2, 100), (3, 50)], 0)
    assert rules.allocate(350, rows) == ([(1, 100), (2, 100), (3, 100)], 50)
    assert rules.allocate(0, rows) == ([], 0)
    with pytest.raises(ValueError):
        rules.allocate(-1, rows)
    with pytest.raises(ValueError):
        rules.allocate(1, rows, "alphabetical")


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-5, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
     (90, "61-90"), (91, "90+"), (2000, "90+")],
)  # fmt: skip
def test_bucket_bounds(days, bucket):
    assert rules.bucket_of(days) == bucket


def test_bucket_labels_follow_the_bounds():
    assert rules.bucket_labels() == ["current", "1-30", "31-60", "61-90", "90+"]
    assert rules.bucket_labels((0, 7, 14)) == ["current", "1-7", "8-14", "14+"]
    assert rules.bucket_of(10, (0, 7, 14)) == "8-14"
    with pytest.raises(ValueError):
        rules.bucket_of(3, (30, 0))


@given(st.integers(-100, 1000))
def test_buckets_are_ordered_by_days(days):
    labels = rules.bucket_labels()
    assert labels.index(rules.bucket_of(days)) <= labels.index(rules.bucket_of(days + 1))


def test_days_past_due_counts_from_the_oldest_unpaid_instalment():
    as_of = dt.date(2026, 5, 1)
    rows = [(dt.date(2026, 2, 1), 0), (dt.date(2026, 3, 1), 10), (dt.date(2026, 4, 1), 100), (dt.date(2026, 6, 1), 5)]
    assert rules.days_past_due(rows, as_of) == (as_of - dt.date(2026, 3, 1)).days == 61
    assert rules.days_past_due(rows, dt.date(2026, 2, 15)) == 0  # the one due then is paid
    assert rules.days_past_due([(as_of, 100)], as_of) == 0  # due today: not late yet
    assert rules.days_past_due([], as_of) == 0


@given(st.integers(-(10**12), 10**12))
def test_fen_of_yuan_is_exact(fen):
    assert rules.fen_of_yuan(f"{Decimal(fen) / 100:.2f}") == fen


def test_fen_of_yuan_refuses_fractions_of_a_fen_and_nonsense():
    assert rules.fen_of_yuan("6800.00") == 680000
    assert rules.fen_of_yuan("0.1") == 10
    for bad in ("1.005", "abc", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            rules.fen_of_yuan(bad)
