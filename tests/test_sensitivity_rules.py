"""Properties of the need-sensitivity model (customers/domain/sensitivity.py), SPEC §1."""

import dataclasses
import itertools

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from customers.domain import classification as cls
from customers.domain import sensitivity as sens

NEEDS = [code for code, _ in sens.DEFAULT_NEED_POINTS]
levels = st.one_of(st.none(), st.sampled_from(cls.LEVELS))
scales = st.one_of(st.none(), st.sampled_from(list(cls.Scale)))
profiles = st.builds(
    cls.Profile,
    scale=scales,
    capital=levels,
    experience=levels,
    winning=levels,
    decision=levels,
    influence=levels,
    susceptibility=levels,
)
scores = st.integers(min_value=0, max_value=100)


def by_need(presets):
    return {p.need: p for p in presets}


@given(profile=profiles, smaller=st.sampled_from(list(cls.Scale)), larger=st.sampled_from(list(cls.Scale)))
def test_a_larger_scale_never_makes_the_preset_more_price_sensitive(profile, smaller, larger):
    assume(cls.SCALE_ORDER[smaller] < cls.SCALE_ORDER[larger])
    small = by_need(sens.preset(dataclasses.replace(profile, scale=smaller), NEEDS))
    large = by_need(sens.preset(dataclasses.replace(profile, scale=larger), NEEDS))
    assert large["price"].expected - large["price"].deliverable <= small["price"].expected - small["price"].deliverable
    assert large["brand"].expected >= small["brand"].expected  # …and more brand-sensitive


@given(profile=profiles, weak=st.sampled_from(cls.LEVELS), strong=st.sampled_from(cls.LEVELS))
def test_more_capital_never_raises_price_sensitivity(profile, weak, strong):
    assume(weak < strong)
    poor = by_need(sens.preset(dataclasses.replace(profile, capital=weak), NEEDS))
    rich = by_need(sens.preset(dataclasses.replace(profile, capital=strong), NEEDS))
    assert rich["price"].expected <= poor["price"].expected


@given(profile=profiles, less=st.sampled_from(cls.LEVELS), more=st.sampled_from(cls.LEVELS))
def test_experience_raises_performance_and_timeliness_but_lowers_service_cost_and_reputation(profile, less, more):
    assume(less < more)
    novice = by_need(sens.preset(dataclasses.replace(profile, experience=less), NEEDS))
    veteran = by_need(sens.preset(dataclasses.replace(profile, experience=more), NEEDS))
    assert veteran["service_timeliness"].expected >= novice["service_timeliness"].expected
    assert veteran["service_commitment"].expected >= novice["service_commitment"].expected
    # the template of the individual short of money may make them key, never less pressing
    assert veteran["service_cost"].expected <= novice["service_cost"].expected or novice["service_cost"].stage == "key"
    assert veteran["reputation"].expected <= novice["reputation"].expected or veteran["reputation"].stage == "key"


@given(profile=profiles)
def test_presets_stay_on_the_scale_and_explain_themselves(profile):
    presets = sens.preset(profile, NEEDS)
    assert [p.need for p in presets] == NEEDS
    for p in presets:
        assert 0 <= p.expected <= 100 and 0 <= p.deliverable <= 100
        moved = p.expected != sens.BASE_EXPECTED
        assert not moved or p.reasons, f"{p.need} moved from the base without a reason"


@given(
    scale=st.just(cls.Scale.INDIVIDUAL),
    experience=st.sampled_from([1, 2]),
    capital=st.sampled_from([1, 2]),
    winning=st.sampled_from([1, 2]),
    decision=levels,
)
def test_the_decks_individual_short_of_money(scale, experience, capital, winning, decision):
    profile = cls.Profile(scale=scale, experience=experience, capital=capital, winning=winning, decision=decision)
    presets = by_need(sens.preset(profile, NEEDS))
    key = {n for n, p in presets.items() if p.stage == sens.Stage.KEY}
    assert key == {"price", "reputation"}
    template = sens.DEFAULT_TEMPLATES[0]
    for need in ("service_cost", "performance", "cost_performance", "brand"):
        assert presets[need].stage == sens.Stage.ADDITIONAL and template.title in presets[need].reasons
    # key needs are unmet in the preset: the deal cannot close before they are addressed
    assert not sens.closing_ready([sens.Need(n, p.expected, p.deliverable, p.stage) for n, p in presets.items()])


needs_st = st.lists(
    st.builds(
        sens.Need,
        need=st.sampled_from(NEEDS),
        expected=scores,
        deliverable=scores,
        stage=st.sampled_from(list(sens.Stage)),
        state=st.sampled_from(list(sens.State)),
        order=st.integers(0, 20),
    ),
    max_size=17,
    unique_by=lambda n: n.need,
)


@given(needs=needs_st)
def test_ranking_puts_key_needs_first_and_orders_by_pressure(needs):
    ranked = sens.rank(needs)
    assert [r.rank for r in ranked] == list(range(1, len(needs) + 1))
    stages = [r.need.stage for r in ranked]
    assert stages == sorted(stages, key=lambda s: s != sens.Stage.KEY)
    for a, b in itertools.pairwise(ranked):
        if a.need.stage == b.need.stage:
            assert a.need.pressure >= b.need.pressure
            assert b.stage_rank == a.stage_rank + 1


@given(needs=needs_st, threshold=st.integers(-20, 30))
def test_closing_readiness_is_false_while_any_key_need_is_unmet(needs, threshold):
    settings = sens.Settings(ready_threshold=threshold)
    key = [n for n in needs if n.stage == sens.Stage.KEY]
    ready = sens.closing_ready(needs, settings)
    if any(n.pressure > threshold for n in key) or not key:
        assert not ready
    else:
        assert ready
    assert ready == (bool(key) and not sens.unmet_key_needs(needs, settings))


@given(needs=needs_st)
def test_accuracy_is_the_share_of_key_needs_verified(needs):
    key = [n for n in needs if n.stage == sens.Stage.KEY]
    acc = sens.accuracy(needs)
    if not key:
        assert acc is None
    else:
        assert acc == pytest.approx(sum(n.state == sens.State.VERIFIED for n in key) / len(key))


@given(expected=scores, deliverable=scores)
def test_pressure_is_expected_minus_deliverable(expected, deliverable):
    assert sens.pressure(expected, deliverable) == expected - deliverable


@pytest.mark.parametrize("bad", [(-1, 50), (101, 50), (50, 101), (50, -5)])
def test_scores_outside_0_100_are_refused(bad):
    with pytest.raises(ValueError):
        sens.pressure(*bad)


@pytest.mark.parametrize(
    ("current", "changed", "confirmed", "expected"),
    [
        (sens.State.PRESET, False, True, sens.State.VERIFIED),  # verified as preset
        (sens.State.PRESET, True, False, sens.State.REVISED),  # new information, to verify
        (sens.State.VERIFIED, True, False, sens.State.REVISED),  # a verified need revised needs verifying again
        (sens.State.REVISED, False, True, sens.State.VERIFIED),
        (sens.State.VERIFIED, True, True, sens.State.VERIFIED),  # changed together with the customer
        (sens.State.PRESET, False, False, sens.State.PRESET),
    ],
)
def test_verify_and_revise(current, changed, confirmed, expected):
    assert sens.next_state(current, values_changed=changed, confirmed_with_customer=confirmed) == expected


def test_segment_keys():
    assert cls.segment_key("engineering", "municipal", "individual") == "engineering/municipal/individual"
    assert cls.segment_key("mining", "municipal", "team") == "mining//team"  # mining has no sub-kind
