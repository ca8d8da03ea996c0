"""The visit method's plain rules (visits/rules.py): cadence, the purchase window, the day's plan,
distances and the check-in verdict — properties with hypothesis plus the deck's worked numbers."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from visits import rules

DAY = dt.date(2026, 5, 20)
grades = st.sampled_from([9, 6, 3, 1, 0, None])
days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))
cadences = st.fixed_dictionaries({g: st.integers(min_value=0, max_value=120) for g in (9, 6, 3, 1, 0, None)})
windows = st.integers(min_value=0, max_value=5)
lats = st.floats(min_value=-89.9, max_value=89.9, allow_nan=False)
lngs = st.floats(min_value=-180, max_value=180, allow_nan=False)


# ------------------------------------------------------------------------------------------ cadence
def test_spec_default_cadence():
    """SPEC §2: 9 every 1–2 days, 6 weekly, 3 fortnightly, 1 monthly, 0 quarterly."""
    assert [rules.cadence_days(g) for g in (9, 6, 3, 1, 0)] == [2, 7, 14, 30, 90]
    assert rules.cadence_days(None) == 30
    assert rules.cadence_days(6, {6: 0}) == 1  # a cadence is at least one day
    assert rules.cadence_days(3, {None: 45}) == 45  # a grade missing from the settings: the ungraded cadence


@given(grades, days, st.integers(min_value=0, max_value=400), st.one_of(st.none(), days), cadences, windows)
def test_next_due_after_the_last_visit_and_never_later_than_the_cadence(grade, last, ago, expected, cadence, window):
    today = last + dt.timedelta(days=ago)
    due = rules.next_due(grade, last, today, expected_purchase=expected, cadence=cadence, window=window)
    assert due > last
    assert due <= last + dt.timedelta(days=rules.cadence_days(grade, cadence))


@given(grades, days, st.one_of(st.none(), days))
def test_never_visited_is_due_today(grade, today, expected):
    assert rules.next_due(grade, None, today, expected_purchase=expected) == today
    assert rules.is_due(grade, None, today, expected_purchase=expected)


@given(days, days)
def test_a_higher_grade_is_never_visited_less_often_with_the_defaults(last, expected):
    order = [rules.cadence_days(g) for g in rules.GRADES]
    assert order == sorted(order)
    dues = [rules.next_due(g, last, last, expected_purchase=expected) for g in rules.GRADES]
    assert dues == sorted(dues)  # 9 first, then 6, 3, 1, 0


@given(days, st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=5), cadences)
def test_in_the_purchase_window_a_grade_9_customer_is_due_the_day_after_any_visit(expected, window, back, cadence):
    next_day = expected - dt.timedelta(days=min(back, window))  # a day of the window
    last = next_day - dt.timedelta(days=1)
    assert rules.in_purchase_window(9, expected, next_day, window)
    assert rules.next_due(9, last, last, expected_purchase=expected, cadence=cadence, window=window) == next_day
    assert rules.is_due(9, last, next_day, expected_purchase=expected, cadence=cadence, window=window)
    # visited on that day: not due again the same day
    assert not rules.is_due(9, next_day, next_day, expected_purchase=expected, cadence=cadence, window=window)


@given(st.sampled_from([6, 3, 1, 0, None]), days, days, windows)
def test_only_grade_9_has_a_purchase_window(grade, expected, day, window):
    assert not rules.in_purchase_window(grade, expected, day, window)


def test_purchase_window_worked_example():
    """Purchase on the 20th, window 2 days: visits due on the 18th, 19th and 20th whatever the cadence."""
    expected = dt.date(2026, 5, 20)
    slow = {9: 10}
    assert rules.next_due(9, dt.date(2026, 5, 10), DAY, expected_purchase=expected, cadence=slow) == dt.date(
        2026, 5, 18
    )
    assert rules.next_due(9, dt.date(2026, 5, 18), DAY, expected_purchase=expected, cadence=slow) == dt.date(
        2026, 5, 19
    )
    assert rules.next_due(9, dt.date(2026, 5, 19), DAY, expected_purchase=expected, cadence=slow) == dt.date(
        2026, 5, 20
    )
    # after the purchase day the regular cadence is back
    assert rules.next_due(9, dt.date(2026, 5, 20), DAY, expected_purchase=expected, cadence=slow) == dt.date(
        2026, 5, 30
    )
    assert not rules.in_purchase_window(9, expected, dt.date(2026, 5, 17))
    assert rules.in_purchase_window(9, expected, dt.date(2026, 5, 18))
    assert not rules.in_purchase_window(9, expected, dt.date(2026, 5, 21))


@given(grades, days, st.integers(min_value=0, max_value=400), st.one_of(st.none(), days), cadences, windows)
def test_is_due_is_next_due_written_for_sql(grade, last, ago, expected, cadence, window):
    """The plan's SQL filter is ``is_due``; it must say exactly what ``next_due`` says."""
    day = last + dt.timedelta(days=ago)
    due = rules.next_due(grade, last, day, expected_purchase=expected, cadence=cadence, window=window)
    assert rules.is_due(grade, last, day, expected_purchase=expected, cadence=cadence, window=window) == (due <= day)


@given(grades, days, days, cadences)
def test_cutoff_for(grade, last, day, cadence):
    assume(last <= day)
    regular_due = last + dt.timedelta(days=rules.cadence_days(grade, cadence))
    assert (last < rules.cutoff_for(grade, day, cadence)) == (regular_due <= day)


def test_overdue_days():
    assert rules.overdue_days(dt.date(2026, 5, 17), DAY) == 3
    assert rules.overdue_days(DAY, DAY) == 0
    assert rules.overdue_days(dt.date(2026, 5, 25), DAY) == 0


# ------------------------------------------------------------------------------------------ the plan
candidates = st.lists(
    st.builds(
        rules.PlanCandidate,
        customer_id=st.integers(min_value=1, max_value=10_000),
        grade=grades,
        last_visit=st.one_of(st.none(), st.dates(min_value=DAY - dt.timedelta(days=200), max_value=DAY)),
        expected_purchase=st.one_of(
            st.none(), st.dates(min_value=DAY - dt.timedelta(days=5), max_value=DAY + dt.timedelta(days=10))
        ),
        distance_m=st.one_of(st.none(), st.floats(min_value=0, max_value=50_000)),
    ),
    max_size=30,
    unique_by=lambda c: c.customer_id,
)


@given(candidates)
def test_plan_holds_exactly_the_due_customers(cands):
    lines = rules.plan_for(cands, DAY)
    due = {
        c.customer_id
        for c in cands
        if rules.next_due(c.grade, c.last_visit, DAY, expected_purchase=c.expected_purchase) <= DAY
    }
    assert {line.customer_id for line in lines} == due
    for line in lines:
        c = next(x for x in cands if x.customer_id == line.customer_id)
        assert line.first_visit == (c.last_visit is None)
        assert line.overdue_days == (DAY - line.due).days >= 0


@given(candidates)
def test_plan_puts_the_purchase_window_then_9_6_3_first(cands):
    lines = rules.plan_for(cands, DAY)
    priority = {9: 0, 6: 1, 3: 2, 1: 3, 0: 4, None: 5}
    keys = [(not line.purchase_window, priority[line.grade]) for line in lines]
    assert keys == sorted(keys)
    for a, b in itertools.pairwise(lines):
        if (a.purchase_window, a.grade) == (b.purchase_window, b.grade):
            assert a.overdue_days >= b.overdue_days  # the longest overdue first
    # a customer in the purchase window comes before any customer outside it
    window = [i for i, line in enumerate(lines) if line.purchase_window]
    assert window == list(range(len(window)))


def test_plan_worked_example():
    cands = [
        rules.PlanCandidate(1, 1, DAY - dt.timedelta(days=40)),  # grade 1, overdue 10 days
        rules.PlanCandidate(2, 6, DAY - dt.timedelta(days=7)),  # grade 6, due today
        rules.PlanCandidate(3, 6, DAY - dt.timedelta(days=9)),  # grade 6, overdue 2
        rules.PlanCandidate(4, 9, DAY - dt.timedelta(days=1), expected_purchase=DAY + dt.timedelta(days=1)),
        rules.PlanCandidate(5, 3, DAY - dt.timedelta(days=3)),  # not due (fortnightly)
        rules.PlanCandidate(6, 3, None),  # never visited: first visit, due today
    ]
    lines = rules.plan_for(cands, DAY)
    assert [line.customer_id for line in lines] == [4, 3, 2, 6, 1]
    assert lines[0].purchase_window and lines[0].due == DAY
    assert [line.overdue_days for line in lines] == [0, 2, 0, 0, 10]
    assert [line.first_visit for line in lines] == [False, False, False, True, False]


def test_plan_nearest_first_among_equals():
    cands = [
        rules.PlanCandidate(1, 6, DAY - dt.timedelta(days=8), distance_m=9_000),
        rules.PlanCandidate(2, 6, DAY - dt.timedelta(days=8), distance_m=1_200),
        rules.PlanCandidate(3, 6, DAY - dt.timedelta(days=8)),  # no stored location: last
    ]
    assert [line.customer_id for line in rules.plan_for(cands, DAY)] == [2, 1, 3]


# ------------------------------------------------------------------------------------------ distance
def test_distance_between_cities():
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    assert 1_060_000 < rules.distance_m(*beijing, *shanghai) < 1_075_000
    jinan_a, jinan_b = (36.651200, 117.120100), (36.651200, 117.125700)  # 0.0056° of longitude in Jinan
    assert 495 < rules.distance_m(*jinan_a, *jinan_b) < 505


@given(lats, lngs, lats, lngs)
def test_distance_is_symmetric_and_bounded(lat1, lng1, lat2, lng2):
    d = rules.distance_m(lat1, lng1, lat2, lng2)
    assert d == rules.distance_m(lat2, lng2, lat1, lng1)
    assert 0 <= d <= math.pi * rules.EARTH_RADIUS_M + 1


@given(lats, lngs)
def test_distance_zero_for_the_same_point(lat, lng):
    assert rules.distance_m(lat, lng, lat, lng) == 0


@given(lats, lngs, lats, lngs, lats, lngs)
def test_distance_triangle_inequality(a1, a2, b1, b2, c1, c2):
    ab, bc, ac = rules.distance_m(a1, a2, b1, b2), rules.distance_m(b1, b2, c1, c2), rules.distance_m(a1, a2, c1, c2)
    assert ac <= ab + bc + 1e-3


def _destination(lat: float, lng: float, bearing: float, dist: float) -> tuple[float, float]:
    """The point ``dist`` metres from (lat, lng) on ``bearing`` (great circle), longitude in [-180, 180]."""
    d = dist / rules.EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lng), math.radians(bearing)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lng2 = (math.degrees(l2) + 540) % 360 - 180
    return math.degrees(p2), lng2


@given(
    lats,
    lngs,
    st.floats(min_value=0, max_value=360),
    st.floats(min_value=1, max_value=500_000),
    st.floats(min_value=0, max_value=1),
)
def test_bounding_box_contains_every_point_within_the_radius(lat, lng, bearing, radius, share):
    point = _destination(lat, lng, bearing, radius * share)
    assume(rules.distance_m(lat, lng, *point) <= radius)
    box = rules.bounding_box(lat, lng, radius)
    assert rules.within(*point, box), (point, box)


def test_bounding_box_edge_cases():
    # 20 km around Jinan: a small box, about 0.18° of latitude and 0.22° of longitude each way
    min_lat, max_lat, min_lng, max_lng = rules.bounding_box(36.65, 117.12, 20_000)
    assert max_lat - 36.65 == pytest.approx(0.1799, abs=1e-3)
    assert max_lng - 117.12 == pytest.approx(0.2245, abs=1e-3)
    assert (36.65 - min_lat, 117.12 - min_lng) == pytest.approx((max_lat - 36.65, max_lng - 117.12))
    # near the antimeridian or a pole: every longitude
    assert rules.bounding_box(10, 179.99, 5_000)[2:] == (-180.0, 180.0)
    assert rules.bounding_box(89.99, 0, 5_000)[2:] == (-180.0, 180.0)
    assert rules.within(0, 0, rules.bounding_box(0, 0, 0))


# ------------------------------------------------------------------------------------------ check-in
CUSTOMER = (36.651200, 117.120100)


def test_checkin_inside_the_radius():
    v = rules.judge_checkin(
        lat=36.6514, lng=117.1203, accuracy_m=15, customer_lat=CUSTOMER[0], customer_lng=CUSTOMER[1], radius_m=500
    )
    assert not v.flagged and v.reasons == () and v.distance_m < 50 and not v.store_location


def test_checkin_outside_the_radius_is_flagged_not_refused():
    v = rules.judge_checkin(
        lat=36.6512, lng=117.1301, accuracy_m=10, customer_lat=CUSTOMER[0], customer_lng=CUSTOMER[1], radius_m=500
    )
    assert v.flagged and v.reasons == ("outside",) and 880 < v.distance_m < 900


def test_checkin_without_position_is_manual_and_flagged():
    for lat, lng in ((None, None), (float("nan"), 117.0), (36.0, float("inf")), (200.0, 117.0)):
        v = rules.judge_checkin(lat=lat, lng=lng, accuracy_m=None, customer_lat=1.0, customer_lng=1.0, radius_m=500)
        assert v.flagged and v.reasons == ("manual",) and v.distance_m is None


def test_checkin_inaccurate_fix_and_first_location():
    v = rules.judge_checkin(lat=36.65, lng=117.12, accuracy_m=2_000, customer_lat=None, customer_lng=None, radius_m=500)
    assert v.flagged and v.reasons == ("inaccurate",) and not v.store_location  # a vague fix is not stored
    v = rules.judge_checkin(lat=36.65, lng=117.12, accuracy_m=20, customer_lat=None, customer_lng=None, radius_m=500)
    assert not v.flagged and v.store_location and v.distance_m is None


position = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


@given(position, position, position, position, position, st.integers(min_value=0, max_value=10_000))
def test_checkin_never_refuses_and_flags_outside_the_radius(lat, lng, accuracy, clat, clng, radius):
    v = rules.judge_checkin(
        lat=lat, lng=lng, accuracy_m=accuracy, customer_lat=clat, customer_lng=clng, radius_m=radius
    )
    assert v.flagged == bool(v.reasons)
    if v.distance_m is not None:
        assert ("outside" in v.reasons) == (rules.distance_m(lat, lng, clat, clng) > radius)
    if not rules.valid_position(lat, lng):
        assert v.reasons == ("manual",)


@given(
    lats, lngs, st.floats(min_value=0, max_value=360), st.floats(min_value=0, max_value=3_000), st.integers(50, 1_000)
)
def test_checkin_flag_follows_the_distance(lat, lng, bearing, dist, radius):
    here = _destination(lat, lng, bearing, dist)
    v = rules.judge_checkin(
        lat=here[0], lng=here[1], accuracy_m=10, customer_lat=lat, customer_lng=lng, radius_m=radius
    )
    assert ("outside" in v.reasons) == (rules.distance_m(*here, lat, lng) > radius)


def test_minutes_between():
    start = dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.UTC)
    assert rules.minutes_between(start, start + dt.timedelta(minutes=47, seconds=59)) == 47
    assert rules.minutes_between(start, start - dt.timedelta(minutes=1)) is None
    assert rules.minutes_between(None, start) is None


# ------------------------------------------------------------------------------------------ analytics
def test_visit_buckets_of_the_deck():
    assert [rules.visit_bucket(n) for n in (0, 1, 2, 3, 5, 6, 40)] == ["0", "1–2", "1–2", "3–5", "3–5", "6+", "6+"]


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_close_rate_and_compliance_are_shares(a, b):
    rate = rules.close_rate(a, b)
    assert rate is None if a + b == 0 else 0 <= rate <= 1
    share = rules.compliance(a, b)
    assert share is None if b == 0 else 0 <= share <= 1
    assert rules.close_rate(2, 1) == pytest.approx(2 / 3)
