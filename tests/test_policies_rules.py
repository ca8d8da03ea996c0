"""The commercial-policy rules (policies/rules.py): offers, preconditions, the benefit account and
the recommendation. Plain Python, no database."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import rules as r

TODAY = dt.date(2026, 12, 1)
RENTAL = r.Usage(rental=True, hours_per_month=D(200), hourly_rate=D(250))
OWN = r.Usage(rental=False, hours_per_month=D(150))

BANK = r.Terms(
    code="bank",
    method="equal_instalment",
    annual_rate=D("6.5"),
    upfront_fee_rate=D("1"),
    terms=(12, 24, 36),
    down_ratio_min=D("30"),
    down_ratio_max=D("70"),
    preconditions=(("property_certificate", None), ("good_credit", None)),
)
ZERO = r.Terms(
    code="zero", method="zero_interest", terms=(12, 18), down_ratio_min=D("40"), preconditions=(("guarantor", None),)
)
SUBSIDY = r.Terms(
    code="subsidy",
    method="equal_instalment",
    annual_rate=D("4.8"),
    terms=(24, 36),
    down_ratio_min=D("15"),
    subsidy_per_hour=D("10"),
    subsidy_cap=D("2000"),
    subsidy_months=12,
    preconditions=(("guarantor", None), ("machines_owned", 1)),
)
FULL = r.Terms(code="full", method="", down_ratio_min=D("100"), terms=(), price_reduction=D("5000"))
PROMO = r.Terms(
    code="promo",
    method="zero_interest",
    terms=(12,),
    down_ratio_min=D("20"),
    upfront_fee_rate=D("1"),
    valid_from=dt.date(2026, 11, 17),
    valid_to=dt.date(2026, 12, 6),
)
PRICE = D("368000")


def account(t, usage=RENTAL, down=None, months=None, on=TODAY):
    d, m = r.default_offer(t)
    return r.benefit_account(
        t,
        list_price=PRICE,
        down_ratio=d if down is None else down,
        months=m if months is None else months,
        usage=usage,
        on=on,
    )


# --- refusals naming the rule ------------------------------------------------------------------------


def test_down_payment_below_the_minimum_is_refused_naming_the_rule():
    with pytest.raises(r.PolicyError) as exc:
        account(BANK, down=D("20"))
    assert exc.value.code == "down_payment_below_min" and exc.value.field == "down_ratio"
    assert exc.value.params["minimum"] == D("30")


def test_a_term_the_policy_does_not_offer_is_refused():
    with pytest.raises(r.PolicyError) as exc:
        account(BANK, months=48)
    assert exc.value.code == "term_not_offered" and exc.value.params["offered"] == (12, 24, 36)


def test_a_promotion_outside_its_dates_is_refused_and_valid_on_its_last_day():
    assert account(PROMO, on=dt.date(2026, 12, 6)).months == 12
    for day in (dt.date(2026, 12, 7), dt.date(2026, 11, 16)):
        with pytest.raises(r.PolicyError) as exc:
            account(PROMO, on=day)
        assert exc.value.code == "promotion_not_valid"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"annual_rate": D("48")}, "annual_rate_absurd"),
        ({"annual_rate": D("-1")}, "negative"),
        ({"method": "flat_fee", "annual_rate": D("0"), "monthly_fee_rate": D("5")}, "monthly_fee_rate_absurd"),
        ({"down_ratio_min": D("80"), "down_ratio_max": D("50")}, "down_range_inverted"),
        ({"terms": ()}, "no_terms"),
        ({"terms": (12, 240)}, "term_out_of_range"),
        ({"monthly_fee_rate": D("0.5")}, "rate_not_applicable"),
        ({"subsidy_per_hour": D("10")}, "subsidy_incomplete"),
        ({"valid_from": dt.date(2026, 12, 10), "valid_to": dt.date(2026, 12, 1)}, "dates_inverted"),
    ],
)
def test_absurd_configurations_are_refused(changes, code):
    from dataclasses import replace

    errors = r.validate_terms(replace(BANK, **changes))
    assert code in {e.code for e in errors}


def test_the_demo_like_policies_are_valid():
    for t in (BANK, ZERO, SUBSIDY, FULL, PROMO):
        assert r.validate_terms(t) == []


# --- preconditions ---------------------------------------------------------------------------------


def test_preconditions_are_met_not_met_or_not_known():
    facts = r.Facts(guarantor=True, property_certificate=False, credit="", machines_owned=0)
    checks = {c.code: c.met for c in r.check_preconditions(BANK.preconditions + SUBSIDY.preconditions, facts)}
    assert checks == {"property_certificate": False, "good_credit": None, "guarantor": True, "machines_owned": False}
    assert r.check_preconditions((("machines_owned", 1),), r.Facts(machines_owned=2))[0].met is True
    assert r.check_preconditions((("good_credit", None),), r.Facts(credit="minor"))[0].met is False


# --- the benefit account ---------------------------------------------------------------------------


def test_benefit_account_of_a_bank_loan():
    a = account(BANK)  # 30 % down, 36 months
    assert a.down_payment == D("110400.00") and a.financed_amount == D("257600.00")
    assert a.upfront_fees == D("2576.00")
    assert a.total_cost == a.down_payment + sum(a.payments) + a.upfront_fees
    assert a.apr > D("6.5")  # the handling fee raises the disclosed rate above the nominal one
    assert a.rental_income == D("50000.00")
    assert a.cash_left == a.rental_income - a.monthly_payment
    # payback: the first month when the cumulative cash left covers the money put down
    assert a.payback_month == math.ceil((a.down_payment + a.upfront_fees) / a.cash_left) == 3


def test_hourly_subsidy_is_credited_against_the_instalment_up_to_the_cap_for_its_months():
    a = account(SUBSIDY)
    assert a.subsidy[:12] == (D("2000.00"),) * 12  # 200 h × 10 = 2,000 = the cap
    assert set(a.subsidy[12:]) == {D("0.00")}
    assert a.subsidy_total == D("24000.00")
    few = account(SUBSIDY, usage=r.Usage(rental=True, hours_per_month=D(80), hourly_rate=D(250)))
    assert few.subsidy[0] == D("800.00")  # below the cap: hours × rate
    assert a.net_payments[0] == a.payments[0] - D("2000.00")


def test_full_payment_has_no_instalment_and_own_use_gets_a_cost_per_hour():
    a = account(FULL, usage=OWN)
    assert a.down_payment == a.total_cost == D("363000.00") and a.months == 0 and a.apr == 0
    assert a.cost_per_hour == (D("363000") / (150 * 36)).quantize(D("0.01"))
    assert a.payback_month is None and a.rental_income == 0


def test_more_hours_never_delay_the_payback():
    slow = account(BANK, usage=r.Usage(rental=True, hours_per_month=D(120), hourly_rate=D(250)))
    fast = account(BANK, usage=r.Usage(rental=True, hours_per_month=D(220), hourly_rate=D(250)))
    assert fast.cash_left > slow.cash_left and fast.payback_month <= slow.payback_month


@settings(max_examples=60, deadline=None)
@given(
    down=st.integers(min_value=30, max_value=70),
    months=st.sampled_from([12, 24, 36]),
    hours=st.integers(min_value=0, max_value=400),
)
def test_account_properties(down, months, hours):
    a = account(
        BANK, down=D(down), months=months, usage=r.Usage(rental=True, hours_per_month=D(hours), hourly_rate=D(200))
    )
    assert a.down_payment + a.financed_amount == a.price
    assert sum(line.principal for line in a.schedule.lines) == a.financed_amount
    assert a.total_cost >= a.price  # financing never makes the machine cheaper
    assert a.extra_cost == a.total_interest + a.total_fees
    assert len(a.payments) == months


# --- the recommendation ----------------------------------------------------------------------------


def candidates(facts, usage=RENTAL, on=TODAY, policies=(BANK, ZERO, SUBSIDY, FULL, PROMO)):
    out = []
    for t in policies:
        checks = tuple(r.check_preconditions(t.preconditions, facts))
        try:
            out.append(r.Candidate(t, account(t, usage=usage, on=on), checks))
        except r.PolicyError as exc:
            out.append(r.Candidate(t, None, checks, error=exc))
    return out


def test_never_more_than_three_and_never_one_with_a_missing_precondition():
    facts = r.Facts(guarantor=True, property_certificate=False, credit="good", machines_owned=2, capital=2)
    rec = r.recommend(candidates(facts), key_needs=["price", "policy"], facts=facts, rental=True, on=TODAY)
    codes = [x.terms.code for x in rec.recommended]
    assert 1 <= len(codes) <= 3
    assert "bank" not in codes  # no property certificate
    assert {e.terms.code for e in rec.excluded} == {"bank"}
    assert all(x.reasons for x in rec.recommended)


def test_weak_capital_favours_the_lowest_money_down_and_says_so():
    facts = r.Facts(guarantor=True, credit="good", machines_owned=2, capital=1, property_certificate=True)
    rec = r.recommend(candidates(facts), key_needs=["policy"], facts=facts, rental=True, on=TODAY)
    top = rec.recommended[0]
    assert top.terms.code == "subsidy"  # 15 % down
    assert "lowest_down_payment" in {x.code for x in top.reasons}


def test_an_own_use_customer_with_price_as_key_need_and_cash_gets_the_cheapest_first():
    facts = r.Facts(guarantor=True, credit="good", machines_owned=2, capital=5, property_certificate=True)
    rec = r.recommend(candidates(facts, usage=OWN), key_needs=["price"], facts=facts, rental=False, on=TODAY)
    assert rec.recommended[0].terms.code == "full"
    assert rec.recommended[0].reasons[0].code in ("lowest_total_cost", "lowest_cost_per_hour")


def test_an_expired_promotion_is_left_out_with_its_rule():
    facts = r.Facts(guarantor=True)
    rec = r.recommend(
        candidates(facts, on=dt.date(2026, 12, 10)),
        key_needs=["price"],
        facts=facts,
        rental=True,
        on=dt.date(2026, 12, 10),
    )
    assert ("promo", "promotion_not_valid") in {(e.terms.code, e.reasons[0].code) for e in rec.excluded}


def test_nothing_eligible_gives_an_empty_recommendation():
    facts = r.Facts(guarantor=False, property_certificate=False)
    rec = r.recommend(candidates(facts, policies=(BANK, ZERO)), key_needs=["price"], facts=facts, rental=True, on=TODAY)
    assert rec.recommended == () and len(rec.excluded) == 2


@settings(max_examples=80, deadline=None)
@given(
    guarantor=st.sampled_from([True, False, None]),
    prop=st.sampled_from([True, False, None]),
    credit=st.sampled_from(["", "good", "minor"]),
    capital=st.sampled_from([None, 1, 3, 5]),
    machines=st.sampled_from([None, 0, 3]),
    needs=st.lists(st.sampled_from(["price", "policy", "brand", "cost_performance"]), unique=True, max_size=3),
    rental=st.booleans(),
)
def test_recommendation_properties(guarantor, prop, credit, capital, machines, needs, rental):
    facts = r.Facts(
        guarantor=guarantor, property_certificate=prop, credit=credit, capital=capital, machines_owned=machines
    )
    usage = RENTAL if rental else OWN
    cands = candidates(facts, usage=usage)
    rec = r.recommend(cands, key_needs=needs, facts=facts, rental=rental, on=TODAY)
    eligible = [c for c in cands if c.account and not any(ch.met is False for ch in c.checks)]
    assert len(rec.recommended) == min(3, len(eligible))  # 1–3 whenever something fits, never more
    assert len(rec.recommended) + len(rec.others) + len(rec.excluded) == len(cands)
    for x in rec.recommended:
        assert all(ch.met is not False for ch in x.checks)
        assert x.reasons
    scores = [x.score for x in rec.recommended + rec.others]
    assert scores == sorted(scores, reverse=True)
