"""Properties of the public-pool rules (customers/domain/pool.py): returning, warning, claiming."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from customers.domain import pool as dom

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)
JOB_TIME = dt.time(1, 30)

grades = st.sampled_from([9, 6, 3, 1, 0, None])
enabled_rules = st.builds(dom.Rule, days=st.integers(1, 90), warn_days=st.integers(0, 20))
any_rules = st.builds(dom.Rule, days=st.integers(0, 90), warn_days=st.integers(0, 20))
minutes = st.integers(0, 60 * 24 * 120)
moments = minutes.map(lambda m: START + dt.timedelta(minutes=m))


def at_job(day: dt.date, jitter_s: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, JOB_TIME, tzinfo=SHANGHAI) + dt.timedelta(seconds=jitter_s)


@st.composite
def holdings(draw, protected=st.booleans()):
    created = draw(moments)
    followed = draw(st.one_of(st.none(), st.integers(0, 60 * 24 * 60).map(lambda m: created + dt.timedelta(minutes=m))))
    owned = draw(st.one_of(st.none(), st.integers(0, 60 * 24 * 60).map(lambda m: created + dt.timedelta(minutes=m))))
    return dom.Holding(
        grade=draw(grades),
        created_at=created,
        last_followup_at=followed,
        owned_since=owned,
        protected=draw(protected),
    )


def run_nights(h: dom.Holding, rules, first: dt.date, nights: int, runs=None, jitter=None):
    """Run the sweep once a night (or on the nights in ``runs``); returns [(day, step)] and the holding."""
    steps = []
    for i in range(nights):
        if runs is not None and not runs[i % len(runs)]:
            continue
        day = first + dt.timedelta(days=i)
        now = at_job(day, (jitter or [0])[i % len(jitter or [0])])
        decision = dom.next_step(h, rules, now)
        if decision.step == dom.Step.WARN:
            h = dataclasses.replace(h, warned_at=now)
        elif decision.step == dom.Step.WITHDRAW:
            h = dataclasses.replace(h, warned_at=None)
        elif decision.step == dom.Step.RETURN:
            h = dataclasses.replace(h, in_pool=True, warned_at=None)
        steps.append((day, decision.step))
        if decision.step == dom.Step.RETURN:
            break
    return steps, h


# --- returning ----------------------------------------------------------------------------------------


@given(h=holdings(protected=st.just(True)), rule=any_rules, now=moments, warned=st.booleans())
def test_a_protected_customer_never_returns_and_is_never_warned(h, rule, now, warned):
    h = dataclasses.replace(h, warned_at=now - dt.timedelta(days=30) if warned else None)
    step = dom.next_step(h, {h.grade: rule}, now + dt.timedelta(days=400)).step
    assert step in (dom.Step.NONE, dom.Step.WITHDRAW)
    assert step == (dom.Step.WITHDRAW if warned else dom.Step.NONE)


@given(h=holdings(protected=st.just(False)), rule=any_rules, other=grades, now=moments)
def test_a_grade_without_an_enabled_rule_never_returns(h, rule, other, now):
    assume(other != h.grade or rule.days == 0)
    steps, _ = run_nights(h, {other: rule}, START.date(), 200)
    assert {s for _, s in steps} <= {dom.Step.NONE}


@given(
    h=holdings(protected=st.just(False)),
    rule=enabled_rules,
    runs=st.lists(st.booleans(), min_size=1, max_size=9).filter(any),
    jitter=st.lists(st.integers(-600, 600), min_size=1, max_size=5),
)
def test_a_warning_always_precedes_the_return_by_the_notice_period(h, rule, runs, jitter):
    """Even when the job misses nights or runs a few minutes early or late."""
    steps, _ = run_nights(h, {h.grade: rule}, START.date(), 400, runs=runs, jitter=jitter)
    returns = [day for day, s in steps if s == dom.Step.RETURN]
    if not returns:
        return
    (returned,) = returns
    warnings = [day for day, s in steps if s == dom.Step.WARN]
    assert warnings, "returned without a warning"
    assert (returned - warnings[-1]).days >= rule.notice_days
    assert returned >= dom.due_date(h, rule, at_job(returned))


@given(h=holdings(protected=st.just(False)), rule=enabled_rules)
def test_a_neglected_customer_returns_on_its_due_date_when_the_job_runs_every_night(h, rule):
    first = dom.local_date(dom.clock_start(h), START) + dt.timedelta(days=1)  # the first night after the clock started
    steps, final = run_nights(h, {h.grade: rule}, first, 400)
    due = dom.due_date(h, rule, START)
    warn = dom.warn_date(h, rule, START)
    warned = [day for day, s in steps if s == dom.Step.WARN]
    assert final.in_pool
    assert [day for day, s in steps if s == dom.Step.RETURN] == [max(due, warned[0] + dt.timedelta(rule.notice_days))]
    assert warned == [max(warn, first)]  # warned once, on the warning date (or the first night)
    if warn >= first:
        assert steps[-1] == (due, dom.Step.RETURN)


@given(h=holdings(), rule=any_rules, now=moments, warned_hours_ago=st.one_of(st.none(), st.integers(0, 24 * 90)))
def test_the_sweep_is_idempotent(h, rule, now, warned_hours_ago):
    now = now + dt.timedelta(days=60)
    if warned_hours_ago is not None:
        h = dataclasses.replace(h, warned_at=now - dt.timedelta(hours=warned_hours_ago))
    rules = {h.grade: rule}
    first = dom.next_step(h, rules, now)
    if first.step == dom.Step.WARN:
        h = dataclasses.replace(h, warned_at=now)
    elif first.step == dom.Step.WITHDRAW:
        h = dataclasses.replace(h, warned_at=None)
    elif first.step == dom.Step.RETURN:
        h = dataclasses.replace(h, in_pool=True, warned_at=None)
    assert dom.next_step(h, rules, now).step == dom.Step.NONE


@given(h=holdings(protected=st.just(False)), rule=enabled_rules, gap=st.integers(0, 60 * 24 * 200))
def test_a_follow_up_restarts_the_clock(h, rule, gap):
    followed = dom.clock_start(h) + dt.timedelta(minutes=gap)
    later = dataclasses.replace(h, last_followup_at=followed, warned_at=followed - dt.timedelta(minutes=1))
    steps, _ = run_nights(later, {h.grade: rule}, followed.date(), 400)
    back = [day for day, s in steps if s == dom.Step.RETURN]
    assert back and back[0] >= followed.astimezone(SHANGHAI).date() + dt.timedelta(days=rule.days)
    # the old warning no longer counts: a fresh one comes first
    assert any(s == dom.Step.WARN for _, s in steps)


@given(h=holdings(protected=st.just(False)), rule=enabled_rules, now=moments)
def test_nothing_happens_before_the_warning_date(h, rule, now):
    assume(now.date() < dom.warn_date(h, rule, now))
    assert dom.next_step(h, {h.grade: rule}, now).step == dom.Step.NONE


def test_the_decks_grade_6_default_example():
    """Grade 6: 14 days, warned 3 days before. Followed up on 1 March → warned 12 March, back 15 March."""
    rules = {6: dom.Rule(days=14, warn_days=3)}
    h = dom.Holding(grade=6, created_at=START, last_followup_at=dt.datetime(2026, 3, 1, 16, 0, tzinfo=SHANGHAI))
    steps, _ = run_nights(h, rules, dt.date(2026, 3, 1), 30)
    assert [(d, s) for d, s in steps if s != dom.Step.NONE] == [
        (dt.date(2026, 3, 12), dom.Step.WARN),
        (dt.date(2026, 3, 15), dom.Step.RETURN),
    ]


def test_days_are_counted_in_local_dates():
    # 23:30 in Shanghai is 15:30 UTC the same day; 00:30 in Shanghai is still the day before in UTC
    rule = dom.Rule(days=7, warn_days=2)
    late = dom.Holding(grade=9, created_at=dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC))
    early = dom.Holding(grade=9, created_at=dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC))
    now = at_job(dt.date(2026, 3, 8))
    assert dom.due_date(late, rule, now) == dt.date(2026, 3, 8)
    assert dom.due_date(early, rule, now) == dt.date(2026, 3, 9)


def test_naive_datetimes_are_refused():
    h = dom.Holding(grade=9, created_at=dt.datetime(2026, 3, 1, 8, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        dom.next_step(h, {9: dom.Rule(7, 2)}, START)
    with pytest.raises(ValueError, match="timezone-aware"):
        dom.claim_refusals(dom.PoolCustomer(in_pool=True), dom.Claimant(0, 0), dom.Limits(), dt.datetime(2026, 3, 1))


def test_a_warning_of_zero_days_still_gives_a_day_of_notice():
    rules = {9: dom.Rule(days=7, warn_days=0)}
    h = dom.Holding(grade=9, created_at=START)
    steps, _ = run_nights(h, rules, START.date(), 30)
    assert [(d - START.date()).days for d, s in steps if s != dom.Step.NONE] == [6, 7]


# --- claiming -----------------------------------------------------------------------------------------

limits_st = st.builds(
    dom.Limits, holding_cap=st.integers(0, 30), daily_quota=st.integers(0, 15), cooldown_days=st.integers(0, 60)
)


@given(limits=limits_st, held=st.integers(0, 40), attempts=st.integers(0, 60), now=moments)
def test_never_more_claims_a_day_than_the_quota_nor_more_customers_than_the_cap(limits, held, attempts, now):
    claimed = 0
    for _ in range(attempts):
        who = dom.Claimant(held=held, claimed_today=claimed)
        if not dom.claim_refusals(dom.PoolCustomer(in_pool=True), who, limits, now):
            claimed += 1
            held += 1
    assert claimed <= limits.daily_quota
    if claimed:
        assert held <= limits.holding_cap
    # the next day the quota is fresh: a salesperson under the cap may claim again
    fresh = dom.claim_refusals(dom.PoolCustomer(in_pool=True), dom.Claimant(held, 0), limits, now)
    assert (dom.Refusal.DAILY_QUOTA in fresh) == (limits.daily_quota == 0)


@given(limits=limits_st, entered=moments, later_minutes=st.integers(0, 60 * 24 * 90), previous=st.booleans())
def test_the_cooldown_binds_only_the_previous_owner_and_only_until_it_ends(limits, entered, later_minutes, previous):
    now = entered + dt.timedelta(minutes=later_minutes)
    c = dom.PoolCustomer(in_pool=True, i_was_previous_owner=previous, entered_pool_at=entered)
    refused = dom.Refusal.COOLDOWN in dom.claim_refusals(c, dom.Claimant(0, 0), limits, now)
    ends = dom.cooldown_ends(entered, limits.cooldown_days, now)
    assert refused == (previous and ends is not None and now.date() < ends)
    if ends is not None:
        assert ends == entered.astimezone(SHANGHAI).date() + dt.timedelta(days=limits.cooldown_days)


@given(
    limits=limits_st,
    c=st.builds(
        dom.PoolCustomer,
        in_pool=st.booleans(),
        protected=st.booleans(),
        in_my_regions=st.booleans(),
        i_was_previous_owner=st.booleans(),
        entered_pool_at=st.one_of(st.none(), moments),
    ),
    held=st.integers(0, 40),
    claimed=st.integers(0, 20),
    now=moments,
)
def test_a_claim_is_allowed_exactly_when_every_rule_allows_it(limits, c, held, claimed, now):
    refusals = dom.claim_refusals(c, dom.Claimant(held, claimed), limits, now)
    if not c.in_pool:
        assert refusals == [dom.Refusal.NOT_IN_POOL]
        return
    assert (dom.Refusal.PROTECTED in refusals) == c.protected
    assert (dom.Refusal.OUTSIDE_REGIONS in refusals) == (not c.in_my_regions)
    assert (dom.Refusal.HOLDING_CAP in refusals) == (held >= limits.holding_cap)
    assert (dom.Refusal.DAILY_QUOTA in refusals) == (claimed >= limits.daily_quota)


@given(held=st.integers(0, 500), adding=st.integers(0, 500), cap=st.integers(0, 500))
def test_over_cap(held, adding, cap):
    assert dom.over_cap(held, adding, dom.Limits(holding_cap=cap)) == (held + adding > cap)


@given(h=holdings(protected=st.just(False)), rule=enabled_rules, today_offset=st.integers(0, 400))
def test_the_database_preselection_never_misses_a_customer_the_rules_act_on(h, rule, today_offset):
    """customers.pool pre-selects by clock day in SQL: every WARN or RETURN must be inside it."""
    now = at_job(START.date() + dt.timedelta(days=today_offset))
    step = dom.next_step(h, {h.grade: rule}, now).step
    if step in (dom.Step.WARN, dom.Step.RETURN) and h.warned_at is None:
        assert dom.local_date(dom.clock_start(h), now) <= dom.latest_clock_day(rule, now.date())


def test_a_record_dated_after_now_is_warned_once_not_every_night():
    """Found by hypothesis: created a minute 'after' the sweep's now (clock skew), rule of 1 day."""
    tz = dt.timezone(dt.timedelta(hours=8))
    now = dt.datetime(2026, 5, 5, 9, 0, tzinfo=tz)
    h = dom.Holding(
        grade=9,
        created_at=dt.datetime(2026, 3, 6, 9, 1, tzinfo=tz) + dt.timedelta(days=60),
        last_followup_at=dt.datetime(2026, 3, 6, 9, 0, tzinfo=tz),
    )
    rules = {9: dom.Rule(days=1, warn_days=0)}
    first = dom.next_step(h, rules, now)
    assert first.step == dom.Step.WARN
    warned = dataclasses.replace(h, warned_at=now)
    assert dom.next_step(warned, rules, now).step == dom.Step.NONE
