"""Plain rules of the delivery part (orders/domain/delivery.py): the auspicious-day selection, the
release gate, the first maintenance's due date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orders.domain import delivery as r

ACTIVITIES = ["交易", "立券", "纳财", "开市", "立券交易", "开市立券", "嫁娶", "沐浴", "出行", "安葬", "栽种", "祭祀"]
days_st = st.lists(
    st.builds(
        r.AlmanacDay,
        day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
        good=st.lists(st.sampled_from(ACTIVITIES), max_size=6).map(tuple),
        bad=st.lists(st.sampled_from(ACTIVITIES), max_size=6).map(tuple),
        lucky=st.lists(st.booleans(), min_size=12, max_size=12).map(tuple),
    ),
    max_size=40,
)


def _wanted(entry: str) -> bool:
    return any(w in entry for w in r.WANTED_ACTIVITIES)


@given(days_st)
def test_never_a_day_whose_avoid_list_has_a_wanted_activity(days):
    for s in r.auspicious_days(days):
        source = next(d for d in days if d.day == s.day)
        assert not any(_wanted(e) for e in source.bad)
        assert any(_wanted(e) for e in source.good)
        assert s.matched and all(_wanted(e) for e in s.matched)


@given(days_st)
def test_ordered_by_date_each_day_once(days):
    out = [s.day for s in r.auspicious_days(days)]
    assert out == sorted(set(out))


@given(days_st)
def test_every_auspicious_day_is_suggested(days):
    suggested = {s.day for s in r.auspicious_days(days)}
    first = {}
    for d in days:
        first.setdefault(d.day, d)
    expected = {day for day, d in first.items() if r.is_auspicious(d)}
    assert suggested == expected


@given(st.lists(st.booleans(), min_size=12, max_size=12))
def test_lucky_hours_are_daytime_and_lucky(lucky):
    hours = r.lucky_hours(lucky)
    names = [b[0] for b in r.BRANCHES]
    for h in hours:
        assert h.branch in r.DAYTIME_BRANCHES
        assert lucky[names.index(h.branch)]
    assert len(hours) == sum(1 for name, good in zip(names, lucky, strict=True) if good and name in r.DAYTIME_BRANCHES)


def test_compound_entries_count_and_avoid_wins():
    day = dt.date(2026, 12, 1)
    # the almanac of 2026-12-01: good for 开市 and 纳财, but 立券 is to be avoided
    assert not r.is_auspicious(r.AlmanacDay(day, ("开市", "纳财"), ("立券",)))
    assert r.is_auspicious(r.AlmanacDay(day, ("立券交易",), ("嫁娶",)))
    assert not r.is_auspicious(r.AlmanacDay(day, ("嫁娶",), ()))
    assert r.lucky_hours([False] * 5 + [True] + [False] * 6)[0].label == "巳时 09:00–11:00"


@given(st.booleans(), st.booleans(), st.integers(0, 10**9), st.integers(0, 10**9), st.booleans(), st.booleans())
def test_release_gate_names_every_unmet_condition(machine, contract, due, got, dossier, prep):
    out = r.release_blockers(
        machine_assigned=machine,
        contract_signed=contract,
        down_payment_fen=due,
        down_payment_received_fen=got,
        dossier_complete=dossier,
        preparation_complete=prep,
    )
    assert (r.Blocker.NO_MACHINE in out) == (not machine)
    assert (r.Blocker.CONTRACT in out) == (not contract)
    assert (r.Blocker.DOWN_PAYMENT in out) == (got < due)
    assert (r.Blocker.DOSSIER in out) == (not dossier)
    assert (r.Blocker.PREPARATION in out) == (not prep)
    assert list(out) == [b for b in r.Blocker if b in out]  # a fixed order


@given(
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 1, 1)),
    st.decimals(min_value=0, max_value=99999, places=1),
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.5"), max_value=24, places=1)),
)
def test_first_maintenance_whichever_first_reminded_ahead(day, meter, daily):
    due = r.first_maintenance(day, meter, daily_hours=daily)
    assert due.due_hours == meter + r.FIRST_MAINTENANCE_HOURS
    assert day < due.due_on <= day + dt.timedelta(days=r.FIRST_MAINTENANCE_DAYS)
    assert day <= due.remind_on <= due.due_on
    assert due.remind_on == max(day, due.due_on - dt.timedelta(days=r.REMIND_DAYS_BEFORE))
    if daily is None:
        assert due.due_on == day + dt.timedelta(days=r.FIRST_MAINTENANCE_DAYS)
    else:  # by then the machine has worked at least the hours, or the 30 days are up
        days = (due.due_on - day).days
        assert days == r.FIRST_MAINTENANCE_DAYS or days * daily >= r.FIRST_MAINTENANCE_HOURS


def test_first_maintenance_known_answers():
    day = dt.date(2026, 12, 1)
    due = r.first_maintenance(day, Decimal("3.5"))
    assert (due.due_on, due.remind_on, due.due_hours) == (dt.date(2026, 12, 31), dt.date(2026, 12, 24), Decimal("53.5"))
    busy = r.first_maintenance(day, Decimal(0), daily_hours=Decimal(10))  # 50 h in 5 days
    assert (busy.due_on, busy.remind_on) == (dt.date(2026, 12, 6), day)
    assert r.follow_up_due(day) == dt.date(2026, 12, 4)
