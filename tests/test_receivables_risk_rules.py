"""The plain rules of risk (receivables/risk/rules.py): the score, its reasons, the levels, the
ladder's step-by-step rule, the lock hint and the three traps' checks — hypothesis where it pays."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from receivables.risk import rules

weights_st = st.fixed_dictionaries({code: st.integers(0, rules.WEIGHT_MAX) for code in rules.CODES})
evidence_st = st.text(max_size=20)
inputs_st = st.builds(
    rules.Inputs,
    signals=st.dictionaries(st.sampled_from(rules.SIGNALS), evidence_st, max_size=len(rules.SIGNALS)),
    days_past_due=st.integers(-30, 2000),
    broken_promises=st.integers(0, 10),
    partial_payments=st.integers(0, 10),
    first_late_on=st.sampled_from(["", "2026-03-01"]),
)
thresholds_st = st.lists(st.integers(1, 1000), min_size=3, max_size=3, unique=True).map(sorted)


@given(inputs_st, weights_st)
def test_the_reasons_always_sum_to_the_score(inputs, weights):
    value, reasons = rules.score(inputs, weights)
    assert value == sum(r.weight for r in reasons)
    assert all(r.weight > 0 for r in reasons)
    assert len({r.code for r in reasons}) == len(reasons)  # one reason per input


@given(inputs_st, weights_st, st.sampled_from(rules.SIGNALS), evidence_st)
def test_adding_a_signal_never_lowers_the_score(inputs, weights, kind, evidence):
    before, _ = rules.score(inputs, weights)
    more = rules.Inputs(
        signals={**inputs.signals, kind: evidence},
        days_past_due=inputs.days_past_due,
        broken_promises=inputs.broken_promises,
        partial_payments=inputs.partial_payments,
        first_late_on=inputs.first_late_on,
    )
    after, reasons = rules.score(more, weights)
    assert after >= before
    if kind not in inputs.signals and weights[kind] > 0:
        assert after == before + weights[kind]
        assert any(r.code == kind for r in reasons)


@given(inputs_st, weights_st, st.integers(0, 5), st.integers(0, 200))
def test_more_broken_promises_or_more_days_late_never_lower_the_score(inputs, weights, extra, days):
    if rules.weights_problems(weights):  # the grades must not fall (validated when saved)
        return
    before, _ = rules.score(inputs, weights)
    worse = rules.Inputs(
        signals=inputs.signals,
        days_past_due=max(inputs.days_past_due, 0) + days,
        broken_promises=inputs.broken_promises + extra,
        partial_payments=inputs.partial_payments,
        first_late_on=inputs.first_late_on,
    )
    assert rules.score(worse, weights)[0] >= before


@given(st.integers(0, 3000), st.integers(0, 3000), thresholds_st)
def test_the_level_is_monotonic_in_the_score(a, b, thresholds):
    low, high = sorted((a, b))
    assert rules.LEVELS.index(rules.level_of(low, thresholds)) <= rules.LEVELS.index(rules.level_of(high, thresholds))


def test_levels_at_the_default_thresholds():
    assert [rules.level_of(v) for v in (0, 1, 29, 30, 59, 60, 500)] == [
        "none", "low", "low", "watch", "watch", "high", "high",
    ]  # fmt: skip


def test_days_past_due_are_graded_and_count_once():
    w = rules.DEFAULT_WEIGHTS
    for days, code in ((0, None), (1, "dpd_1_30"), (30, "dpd_1_30"), (31, "dpd_31_60"), (90, "dpd_61_90"),
                       (91, "dpd_over_90")):  # fmt: skip
        assert rules.dpd_grade(days) == code
        _value, reasons = rules.score(rules.Inputs(days_past_due=days), w)
        assert [r.code for r in reasons] == ([code] if code else [])


def test_broken_promises_count_each_up_to_three_and_reasons_are_heaviest_first():
    w = rules.DEFAULT_WEIGHTS
    value, reasons = rules.score(
        rules.Inputs(signals={"tracker_removed": "拆了"}, broken_promises=5, first_late_on="2026-01-05"), w
    )
    assert value == 30 + 15 * 3 + 5
    assert [(r.code, r.weight) for r in reasons] == [("broken_promise", 45), ("tracker_removed", 30), ("first_late", 5)]
    assert reasons[1].evidence == "拆了" and reasons[0].evidence == "5"


def test_a_weight_of_zero_is_no_reason():
    value, reasons = rules.score(rules.Inputs(signals={"wages_late": "x"}), {**rules.DEFAULT_WEIGHTS, "wages_late": 0})
    assert value == 0 and reasons == []


def test_weights_and_thresholds_are_validated():
    assert rules.weights_problems({"wages_late": 101, "nonsense": 3, "first_late": -1, "family_crisis": True}) == {
        "wages_late": "range", "nonsense": "unknown", "first_late": "range", "family_crisis": "range",
    }  # fmt: skip
    assert rules.weights_problems({"dpd_31_60": 5}) == {"dpd_31_60": "order"}  # lighter than 1–30 (10)
    assert rules.weights_problems(dict(rules.DEFAULT_WEIGHTS)) == {}
    assert rules.thresholds_problem([1, 30, 60]) is None
    assert rules.thresholds_problem([30, 30, 60]) == "order"
    assert rules.thresholds_problem([0, 30, 60]) == "range"
    assert rules.thresholds_problem([1, 30]) == "range"


LADDER = [rules.StageRef(c, o) for c, o in (("reminder", 10), ("visit", 20), ("manager_guarantor", 30),
                                              ("machine_lock", 40))]  # fmt: skip


def test_the_ladder_is_climbed_step_by_step():
    assert rules.skipped_stage(LADDER, "reminder", set()) is None
    assert rules.skipped_stage(LADDER, "visit", set()).code == "reminder"
    assert rules.skipped_stage(LADDER, "visit", {"reminder"}) is None
    assert rules.skipped_stage(LADDER, "machine_lock", {"reminder", "visit"}).code == "manager_guarantor"


@given(st.lists(st.sampled_from([s.code for s in LADDER]), unique=True), st.sampled_from([s.code for s in LADDER]))
def test_a_stage_is_allowed_exactly_when_the_one_below_is_done(done, target):
    ordered = [s.code for s in LADDER]
    i = ordered.index(target)
    skipped = rules.skipped_stage(LADDER, target, done)
    assert (skipped is None) == (i == 0 or ordered[i - 1] in done)


def test_a_lock_has_little_effect_on_an_idle_machine_or_a_poor_business():
    assert rules.lock_little_effect(["low_utilisation"], "")
    assert rules.lock_little_effect(["machine_moved"], "deliberate")
    assert rules.lock_little_effect([], "poor_business")
    assert not rules.lock_little_effect(["tracker_removed", "wages_late"], "deliberate")


def test_the_three_traps_checks():
    ok = {"counterparty": "", "valuation_fen": None, "valued_by": "", "evidence": "协议"}
    assert rules.settlement_problems("waiver", 100, **ok) == {}
    assert rules.settlement_problems("third_party", 100, **ok) == {"counterparty": "required"}
    assert rules.settlement_problems("goods", 100, **ok) == {"valuation_fen": "required", "valued_by": "required"}
    assert rules.settlement_problems("goods", 200, **{**ok, "valuation_fen": 150, "valued_by": "评估师"}) == {
        "amount_fen": "above_valuation"
    }
    assert rules.settlement_problems("offset", 0, **{**ok, "evidence": ""}) == {
        "amount_fen": "positive", "counterparty": "required", "evidence": "required",
    }  # fmt: skip
    assert rules.settlement_problems("gift", 1, **ok) == {"kind": "unknown"}
