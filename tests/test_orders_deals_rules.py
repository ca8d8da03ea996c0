"""The pipeline's plain rules (orders.domain.deals): gates, how far a deal may go, conversion."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.domain import deals as rules

GATES = ["", *rules.GATES]
facts_st = st.dictionaries(st.sampled_from(rules.GATES), st.booleans())
pipelines = st.lists(st.sampled_from(["", *rules.GATES]), min_size=1, max_size=12)


def test_the_default_pipeline_is_the_methods_order():
    assert [s.gate for s in rules.DEFAULT_STAGES] == GATES
    assert [s.name for s in rules.DEFAULT_STAGES][3:5] == ["定金", "合同"]
    assert [s.won for s in rules.DEFAULT_STAGES].count(True) == 1 and rules.DEFAULT_STAGES[-1].won


def test_entering_the_contract_without_the_deposit_names_the_deposit():
    facts = {rules.QUOTE: True, rules.ORDER_CONFIRMED: True, rules.DEPOSIT: False, rules.CONTRACT_SIGNED: True}
    verdict = rules.allowed(GATES, facts, 4, current=2)
    assert not verdict.ok and verdict.gate == rules.DEPOSIT and not verdict.backwards
    assert rules.allowed(GATES, facts | {rules.DEPOSIT: True}, 4, current=2).ok


def test_moving_back_is_flagged_not_decided():
    verdict = rules.allowed(GATES, {}, 0, current=3)
    assert verdict.backwards and not verdict.ok


@given(pipelines, facts_st, st.data())
def test_allowed_is_the_first_unmet_gate_up_to_the_target(gates, facts, data):
    target = data.draw(st.integers(0, len(gates) - 1))
    verdict = rules.allowed(gates, facts, target)
    unmet = [g for g in gates[: target + 1] if g and not facts.get(g)]
    assert verdict.ok == (not unmet)
    assert verdict.gate == (unmet[0] if unmet else None)


@given(pipelines, facts_st)
def test_furthest_is_the_last_stage_one_may_enter(gates, facts):
    far = rules.furthest(gates, facts)
    assert rules.allowed(gates, facts, far).ok or far == 0
    if far + 1 < len(gates):
        assert not rules.allowed(gates, facts, far + 1).ok


@given(pipelines, facts_st, st.data())
def test_sync_never_moves_back(gates, facts, data):
    current = data.draw(st.integers(0, len(gates) - 1))
    target = rules.sync_target(gates, facts, current)
    assert current <= target < len(gates)
    assert rules.path(current, target) == list(range(current + 1, target + 1))


def test_a_gate_not_in_the_facts_is_unmet_and_an_empty_gate_always_met():
    assert rules.met("", {}) and not rules.met(rules.DEPOSIT, {})
    with pytest.raises(IndexError):
        rules.first_unmet(GATES, {}, len(GATES))


@pytest.mark.parametrize(
    ("source", "needed"),
    [("full_payment", False), (None, False), ("", False), ("bank_loan", True), ("dealer", True)],
)
def test_the_dossier_is_skipped_for_full_payment(source, needed):
    assert rules.dossier_needed(source) is needed


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_down_payment_adds_up_part_payments(received, due):
    assert rules.down_payment_met(received, due) == (received >= due)


@given(st.lists(st.integers(0, 500), min_size=1, max_size=10))
def test_conversion(reached):
    out = rules.conversion(reached)
    assert len(out) == len(reached) and out[-1] is None
    for i in range(len(reached) - 1):
        if reached[i] == 0:
            assert out[i] is None
        else:
            assert out[i] == round(100 * reached[i + 1] / reached[i], 1)


def test_days_between_is_never_negative():
    t = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert rules.days_between(t, t + dt.timedelta(hours=36)) == 1.5
    assert rules.days_between(t, t - dt.timedelta(days=1)) == 0.0
