"""Financing maths (policies/finance.py): known answers and properties; plain Python, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import finance as f
from policies.finance import FinanceError, GraceKind, Method, Plan, schedule

# --- known answers -------------------------------------------------------------------------------


def test_equal_instalment_known_answer():
    # 100,000 at 6 % nominal over 12 months: the annuity 100000 × 0.005 / (1 − 1.005^-12) = 8,606.6429…
    s = schedule(Plan(amount=D("100000"), months=12, annual_rate=D("6")))
    assert {line.payment for line in s.lines} == {D("8606.64")}
    assert s.total_interest == D("3279.68")
    assert s.lines[0].interest == D("500.00") and s.lines[0].principal == D("8106.64")
    assert s.total_principal == D("100000.00")
    assert s.apr == D("6.00")  # no fee: the disclosed rate is the nominal rate
    assert s.effective_annual_rate == D("6.17")  # 1.005^12 − 1 = 6.1678 %
    assert s.total_paid == D("103279.68") and s.total_cost == D("3279.68") and s.total_fees == D("0.00")
    assert f.monthly_payment_estimate(Plan(amount=D("100000"), months=12, annual_rate=D("6"))) == D("8606.64")


def test_equal_principal_known_answer():
    # 100,000 / 12 = 8,333.33 a month; first month 8,333.33 + 500 interest; the last month repays the
    # 8,333.37 left plus 41.67 interest; total interest = 100000 × 0.005 × (12 + 1) / 2 = 3,250.
    s = schedule(Plan(amount=D("100000"), months=12, annual_rate=D("6"), method=Method.EQUAL_PRINCIPAL))
    assert s.lines[0].payment == D("8833.33")
    assert s.lines[-1].principal == D("8333.37") and s.lines[-1].interest == D("41.67")
    assert s.lines[-1].payment == D("8375.04")
    assert s.total_interest == D("3250.00")
    assert s.apr == D("6.00")


def test_flat_monthly_fee_known_answer():
    # 0.5 % a month on 120,000 over 24 months: 5,000 principal + 600 fee every month. The IRR of
    # 120000 = 5600 × a(24, i) is i = 0.92722 % a month: APR 11.13 %, about twice the quoted 6 %.
    s = schedule(Plan(amount=D("120000"), months=24, method=Method.FLAT_FEE, monthly_fee_rate=D("0.5")))
    assert {(line.principal, line.interest, line.payment) for line in s.lines} == {
        (D("5000.00"), D("600.00"), D("5600.00"))
    }
    assert s.total_interest == D("14400.00")
    assert abs(s.monthly_irr - 0.0092722197) < 1e-9
    assert s.apr == D("11.13")
    assert s.effective_annual_rate == D("11.71")


def test_zero_interest_with_upfront_fee_has_positive_apr():
    # 120,000 in 12 × 10,000 with 3 % (3,600) taken at t0: the borrower gets 116,400.
    s = schedule(Plan(amount=D("120000"), months=12, method=Method.ZERO_INTEREST, upfront_fee_rate=D("3")))
    assert s.cash_flows[0] == D("116400.00")
    assert {line.payment for line in s.lines} == {D("10000.00")}
    assert s.total_interest == D("0.00") and s.total_fees == D("3600.00") and s.total_cost == D("3600.00")
    assert s.apr == D("5.66")
    assert s.apr > 0


def test_zero_interest_without_fee_has_apr_zero():
    s = schedule(Plan(amount=D("100000"), months=7, method=Method.ZERO_INTEREST))
    assert s.apr == D("0.00") and s.effective_annual_rate == D("0.00") and s.monthly_irr == 0.0
    assert s.lines[0].principal == D("14285.71") and s.lines[-1].principal == D("14285.74")


def test_balloon_plan():
    # 100,000 at 6 % over 12 months with a 30,000 balloon: the annuity amortises 100000 − 30000 × v^12,
    # the last payment adds the balloon; the disclosed rate is still the nominal one.
    s = schedule(Plan(amount=D("100000"), months=12, annual_rate=D("6"), balloon=D("30000")))
    assert s.lines[0].payment == D("6174.65")
    assert s.lines[-1].payment == D("36174.65")
    assert s.lines[-2].balance > D("30000")
    assert s.total_interest == D("4095.80")  # 11 × 6174.65 + 36174.65 − 100000
    assert s.total_principal == D("100000.00")
    assert s.apr == D("6.00")


def test_balloon_equal_principal_and_flat():
    s = schedule(
        Plan(amount=D("100000"), months=10, annual_rate=D("6"), method=Method.EQUAL_PRINCIPAL, balloon=D("40000"))
    )
    assert s.lines[0].principal == D("6000.00") and s.lines[-1].principal == D("46000.00")
    s = schedule(
        Plan(amount=D("100000"), months=10, monthly_fee_rate=D("1"), method=Method.FLAT_FEE, balloon=D("50000"))
    )
    assert s.lines[0].payment == D("6000.00") and s.lines[-1].payment == D("56000.00")


def test_grace_interest_only():
    s = schedule(Plan(amount=D("120000"), months=12, annual_rate=D("12"), grace_months=2))
    assert [(line.principal, line.interest, line.payment) for line in s.lines[:2]] == [
        (D("0.00"), D("1200.00"), D("1200.00"))
    ] * 2
    assert s.lines[1].balance == D("120000.00")
    assert s.regular_payment == s.lines[2].payment
    assert s.total_principal == D("120000.00")
    assert s.apr == D("12.00")  # paying the interest as it falls due does not change the rate


def test_grace_nothing_due_capitalises_interest():
    s = schedule(
        Plan(amount=D("100000"), months=12, annual_rate=D("6"), grace_months=2, grace_kind=GraceKind.NOTHING_DUE)
    )
    assert [line.payment for line in s.lines[:2]] == [D("0.00"), D("0.00")]
    assert s.lines[0].principal == D("-500.00") and s.lines[1].balance == D("101002.50")
    assert s.total_principal == D("100000.00")
    assert s.apr == D("6.00")  # capitalised interest compounds at the same rate


def test_fees_and_deposit_in_the_irr():
    # Same loan, with a 1,000 upfront fee, 50 a month and a 10,000 deposit returned at the end.
    plan = Plan(
        amount=D("100000"),
        months=12,
        annual_rate=D("6"),
        upfront_fee=D("1000"),
        monthly_fee=D("50"),
        deposit=D("10000"),
    )
    s = schedule(plan)
    assert s.net_received == D("89000.00") and s.cash_flows[0] == D("89000.00")
    assert s.cash_flows[-1] == -D("8656.64") + D("10000")
    assert s.total_fees == D("1600.00") and s.total_cost == D("4879.68") and s.total_paid == D("104879.68")
    assert s.apr == f.apr_of(s.cash_flows)
    without_deposit = schedule(
        Plan(amount=D("100000"), months=12, annual_rate=D("6"), upfront_fee=D("1000"), monthly_fee=D("50"))
    )
    assert D("6") < without_deposit.apr < s.apr  # the deposit retained raises the true cost


def test_due_dates_clamped_to_month_end():
    s = schedule(Plan(amount=D("1000"), months=4, method=Method.ZERO_INTEREST), first_due=dt.date(2027, 1, 31))
    assert [line.due_date for line in s.lines] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]
    assert schedule(Plan(amount=D("1000"), months=1, method=Method.ZERO_INTEREST)).lines[0].due_date is None
    assert f.add_months(dt.date(2027, 12, 15), 2) == dt.date(2028, 2, 15)
    assert f.add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)


def test_irr_and_apr_of():
    assert f.irr([D("-100"), D("110")]) == pytest.approx(0.10, abs=1e-10)
    assert f.irr([100, -110]) == pytest.approx(0.10, abs=1e-10)
    assert f.irr([D("100"), D("-90")]) == pytest.approx(-0.10, abs=1e-10)
    assert f.apr_of([D("1000"), D("-1000")]) == D("0.00")
    assert f.apr_of([D("100"), D("-101")]) == D("12.00")
    assert f.effective_rate_of([D("100"), D("-101")]) == D("12.68")
    with pytest.raises(FinanceError) as e:
        f.irr([D("100"), D("100")])
    assert e.value.code == "irr_not_found"
    with pytest.raises(FinanceError):
        f.irr([D("100")])


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"amount": D("0")}, "amount_not_positive", "amount"),
        ({"amount": D("-5")}, "amount_not_positive", "amount"),
        ({"amount": D("10.001")}, "more_than_two_decimals", "amount"),
        ({"amount": "abc"}, "not_a_number", "amount"),
        ({"months": 0}, "months_out_of_range", "months"),
        ({"months": 121}, "months_out_of_range", "months"),
        ({"annual_rate": D("-1")}, "annual_rate_out_of_range", "annual_rate"),
        ({"annual_rate": D("36.01")}, "annual_rate_out_of_range", "annual_rate"),
        (
            {"method": Method.FLAT_FEE, "annual_rate": D("0"), "monthly_fee_rate": D("3.1")},
            "monthly_fee_rate_out_of_range",
            "monthly_fee_rate",
        ),
        ({"monthly_fee_rate": D("0.5")}, "rate_not_applicable", "monthly_fee_rate"),
        ({"method": Method.ZERO_INTEREST}, "rate_not_applicable", "annual_rate"),
        ({"balloon": D("100000.01")}, "balloon_exceeds_amount", "balloon"),
        ({"grace_months": 12}, "grace_not_shorter_than_term", "grace_months"),
        ({"grace_months": -1}, "grace_out_of_range", "grace_months"),
        ({"deposit": D("-1")}, "negative_amount", "deposit"),
        ({"upfront_fee": D("60000"), "deposit": D("40000")}, "deductions_exceed_amount", "upfront_fee"),
        ({"method": "lease"}, "unknown_method", "method"),
    ],
)
def test_invalid_plans_are_refused(kwargs, code, field):
    base = {"amount": D("100000"), "months": 12, "annual_rate": D("6")}
    with pytest.raises(FinanceError) as e:
        Plan(**(base | kwargs))
    assert (e.value.code, e.value.field) == (code, field)


def test_limits_are_inclusive():
    schedule(Plan(amount=D("100000"), months=120, annual_rate=D("36")))
    schedule(Plan(amount=D("100000"), months=120, method=Method.FLAT_FEE, monthly_fee_rate=D("3")))
    schedule(Plan(amount=D("100000"), months=12, annual_rate=D("6"), balloon=D("100000")))


# --- helpers -------------------------------------------------------------------------------------


def test_financed_amount_and_benefit_helpers():
    assert f.financed_amount(D("800000"), D("240000")) == D("560000")
    with pytest.raises(FinanceError) as e:
        f.financed_amount(D("800000"), D("800000"))
    assert e.value.field == "down_payment"
    assert f.rental_cashflow(D("200"), D("280"), D("20000")) == (D("56000.00"), D("36000.00"))
    assert f.rental_cashflow(D("150"), D("200"), D("20000"), D("12000")) == (D("30000.00"), D("-2000.00"))
    assert f.payback_month(D("240000"), D("36000")) == 7
    assert f.payback_month(D("240000"), D("0")) is None
    assert f.payback_month(D("100"), [D("30"), D("30"), D("50")]) == 3
    assert f.payback_month(D("100"), [D("30"), D("30")]) is None
    assert f.payback_month(D("0"), D("5")) == 0


# --- properties ----------------------------------------------------------------------------------

amounts = st.integers(min_value=100_000, max_value=500_000_000).map(lambda c: D(c) / 100)  # 1,000.00 … 5,000,000.00
months = st.integers(min_value=1, max_value=120)
annual_rates = st.integers(min_value=0, max_value=3600).map(lambda b: D(b) / 100)
fee_rates = st.integers(min_value=0, max_value=300).map(lambda b: D(b) / 100)


@st.composite
def plans(draw) -> Plan:
    amount = draw(amounts)
    n = draw(months)
    method = draw(st.sampled_from(Method))
    kwargs: dict = {}
    if method in (Method.EQUAL_INSTALMENT, Method.EQUAL_PRINCIPAL):
        kwargs["annual_rate"] = draw(annual_rates)
    elif method is Method.FLAT_FEE:
        kwargs["monthly_fee_rate"] = draw(fee_rates)
    grace = draw(st.integers(min_value=0, max_value=min(n - 1, 12)))
    balloon = D(draw(st.integers(min_value=0, max_value=int(amount * 100) // 2))) / 100 if draw(st.booleans()) else D(0)
    return Plan(
        amount=amount,
        months=n,
        method=method,
        grace_months=grace,
        grace_kind=draw(st.sampled_from(GraceKind)),
        balloon=balloon,
        upfront_fee_rate=draw(st.sampled_from([D("0"), D("1"), D("3")])),
        monthly_fee=draw(st.sampled_from([D("0"), D("50.00")])),
        deposit=draw(st.sampled_from([D("0"), (amount / 10).quantize(D("0.01"))])),
        **kwargs,
    )


def _two_decimals(value: D) -> bool:
    return value.as_tuple().exponent == -2


@given(plans())
def test_principal_parts_sum_to_amount_and_everything_is_in_fen(plan):
    s = schedule(plan)
    assert sum(line.principal for line in s.lines) == plan.amount == s.total_principal
    assert len(s.lines) == plan.months and [line.n for line in s.lines] == list(range(1, plan.months + 1))
    assert s.lines[-1].balance == 0
    for line in s.lines:
        for value in (line.principal, line.interest, line.fee, line.payment, line.balance):
            assert _two_decimals(value), line
        assert line.payment == line.principal + line.interest + line.fee
        assert line.interest >= 0 and line.balance >= 0
    for value in (s.total_interest, s.total_fees, s.total_paid, s.total_cost, s.apr, s.effective_annual_rate):
        assert _two_decimals(value)
    assert s.total_paid - plan.amount == s.total_cost == s.total_interest + s.total_fees
    assert s.apr == f.apr_of(s.cash_flows)
    assert s.effective_annual_rate >= s.apr


@given(plans())
def test_irr_solves_the_cash_flows(plan):
    s = schedule(plan)
    npv = sum(float(cf) / (1 + s.monthly_irr) ** t for t, cf in enumerate(s.cash_flows))
    # 1e-10 a month on the rate moves the NPV by at most duration × amount × 1e-10.
    assert abs(npv) <= float(plan.amount) * plan.months * 1e-9
    # No fees, no deposit: an interest-bearing plan discloses its nominal rate (within rounding).
    if plan.method in (Method.EQUAL_INSTALMENT, Method.EQUAL_PRINCIPAL) and not (
        plan.total_upfront_fee or plan.monthly_fee or plan.deposit
    ):
        assert abs(s.apr - plan.annual_rate) <= D("0.02")


@given(
    amounts,
    months,
    st.sampled_from([Method.ZERO_INTEREST, Method.EQUAL_INSTALMENT, Method.EQUAL_PRINCIPAL, Method.FLAT_FEE]),
)
def test_no_fee_no_interest_means_apr_zero(amount, n, method):
    s = schedule(Plan(amount=amount, months=n, method=method))
    assert s.apr == D("0.00") and s.effective_annual_rate == D("0.00")
    assert s.total_cost == D("0.00") and s.total_paid == amount


@given(
    amounts, st.integers(min_value=2, max_value=120), st.integers(min_value=10, max_value=300).map(lambda b: D(b) / 100)
)
def test_flat_fee_apr_above_its_nominal_rate(amount, n, rate):
    s = schedule(Plan(amount=amount, months=n, method=Method.FLAT_FEE, monthly_fee_rate=rate))
    assert s.apr > rate * 12
    assert s.monthly_irr > float(rate) / 100


# Amounts of machines (≥ 100,000): one more month at ≥ 1 % costs ≥ 40 yuan more, far above the
# rounding of the instalment (≤ half a fen a month); on a 1,000 loan the rounding could hide it.
@given(
    st.integers(min_value=10_000_000, max_value=500_000_000).map(lambda c: D(c) / 100),
    st.integers(min_value=1, max_value=119),
    st.integers(min_value=1, max_value=60),
    st.sampled_from([Method.EQUAL_INSTALMENT, Method.EQUAL_PRINCIPAL, Method.FLAT_FEE]),
    st.integers(min_value=100, max_value=3600).map(lambda b: D(b) / 100),
)
def test_longer_term_costs_more_interest(amount, n, extra, method, rate):
    longer = min(n + extra, 120)
    kwargs = {"monthly_fee_rate": rate / 12} if method is Method.FLAT_FEE else {"annual_rate": rate}
    short = schedule(Plan(amount=amount, months=n, method=method, **kwargs))
    long = schedule(Plan(amount=amount, months=longer, method=method, **kwargs))
    assert long.total_interest > short.total_interest


@given(amounts, months, annual_rates)
def test_equal_instalments_are_equal(amount, n, rate):
    # Every instalment is the same, except that the last one absorbs the rounding when the interest
    # rounded month after month leaves more than one instalment to repay.
    s = schedule(Plan(amount=amount, months=n, annual_rate=rate))
    assert len({line.payment for line in s.lines[:-1]}) <= 1
    # Each month's rounding (≤ 1 fen) compounds at the loan's rate until the end.
    assert abs(s.lines[-1].payment - s.lines[0].payment) <= D("0.01") * n * (1 + rate / 1200) ** n


@given(amounts, st.integers(min_value=2, max_value=120), annual_rates.filter(lambda r: r > 0))
def test_equal_principal_payments_decrease(amount, n, rate):
    s = schedule(Plan(amount=amount, months=n, annual_rate=rate, method=Method.EQUAL_PRINCIPAL))
    payments = [line.payment for line in s.lines[:-1]]
    assert payments == sorted(payments, reverse=True)
