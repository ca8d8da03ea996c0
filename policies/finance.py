"""Financing maths as plain Python (no Django): repayment schedules, the disclosed annual rate, helpers.

Conventions
-----------
* Money is ``Decimal`` rounded to the fen (0.01, ROUND_HALF_UP); every line is rounded as it is
  computed and the **last instalment absorbs the rounding** (its principal is whatever balance is
  left), so the principal parts always sum to the amount financed exactly. In 等额本息 every
  instalment, the last included, is the rounded annuity payment (plus the balloon at the end), and
  the last month's interest is that payment minus the balance left, so total interest = payment ×
  term − principal as banks' calculators publish it (100,000 at 6 % over 12 months: 8,606.64 a
  month, 3,279.68 interest); the last interest differs from balance × rate by the accumulated
  rounding of the payment and of each month's interest (a few fen on a machine loan). Should that
  rounding leave more than one instalment to repay (tiny loans at tiny rates), the last payment is
  the balance plus its interest instead. Each month's interest is round(balance × monthly rate).
* Rates are given and reported **in percent**: ``annual_rate=Decimal("6")`` is 6 % a year,
  ``monthly_fee_rate=Decimal("0.5")`` is 0.5 % a month, ``apr == Decimal("11.10")`` is 11.10 %.
* Interest-bearing methods use the nominal monthly rate annual_rate / 12 (as Chinese banks quote
  月利率 = 年利率 / 12), charged on the outstanding balance.
* ``months`` is the whole term, grace months included; the amortisation runs over the remaining
  ``months - grace_months`` months. A balloon (尾款) is repaid with the last instalment.
* Grace (宽限期): ``INTEREST_ONLY`` months pay the month's interest and the monthly fee;
  ``NOTHING_DUE`` months pay nothing: the month's interest is capitalised (shown as a negative
  principal part, so the balance grows and the principal parts still sum to the amount financed)
  and no monthly fee is charged.
* The disclosed annual rate follows the PBoC 2021 rule (年化利率 by IRR of the actual cash flows):
  from the borrower's side, t0 = amount financed − upfront fee − deposit, month k = −payment k,
  the last month also receives the deposit back; APR = monthly IRR × 12 (nominal), and the
  effective annual rate (1 + i)^12 − 1 is given as a second figure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum

FEN = Decimal("0.01")
ZERO = Decimal("0")
ZERO_FEN = Decimal("0.00")
HUNDRED = Decimal("100")

MAX_MONTHS = 120
# The PRC judicial protection cap of reference (4 × LPR ≈ 15 % since 2020; 24 %/36 % in the 2015
# rules): anything above 36 % a year, or a fee above 3 % a month, is refused as absurd.
MAX_ANNUAL_RATE = Decimal("36")
MAX_MONTHLY_FEE_RATE = Decimal("3")

IRR_TOLERANCE = 1e-12  # bisection stops when the bracket is narrower than this (monthly rate)


class Method(StrEnum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    FLAT_FEE = "flat_fee"  # 月费率: interest = amount financed × monthly fee rate every month
    ZERO_INTEREST = "zero_interest"  # 零利率分期


class GraceKind(StrEnum):
    INTEREST_ONLY = "interest_only"  # 只付息
    NOTHING_DUE = "nothing_due"  # 不还款 (interest capitalised)


class FinanceError(ValueError):
    """Invalid input or an unsolvable computation; ``code`` is stable, ``field`` names the input."""

    def __init__(self, code: str, field: str | None = None, message: str = ""):
        self.code = code
        self.field = field
        super().__init__(message or (f"{code} ({field})" if field else code))


def fen(value: Decimal) -> Decimal:
    """Round to the fen, half up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _dec(value: object, name: str) -> Decimal:
    if isinstance(value, Decimal):
        out = value
    elif isinstance(value, bool):
        raise FinanceError("not_a_number", name)
    elif isinstance(value, int | str):
        try:
            out = Decimal(value)
        except InvalidOperation as exc:
            raise FinanceError("not_a_number", name) from exc
    elif isinstance(value, float):
        out = Decimal(repr(value))
    else:
        raise FinanceError("not_a_number", name)
    if not out.is_finite():
        raise FinanceError("not_a_number", name)
    return out


def _money(value: object, name: str) -> Decimal:
    out = _dec(value, name)
    if out != fen(out):
        raise FinanceError("more_than_two_decimals", name)
    return fen(out)


@dataclass(frozen=True)
class Plan:
    """One financing offer. Amounts in yuan, rates in percent (see the module's conventions).

    ``upfront_fee`` is an amount and ``upfront_fee_rate`` a percent of the amount financed; both may
    be given and add up. ``deposit`` (保证金) is retained at t0 and refunded with the last month.
    """

    amount: Decimal
    months: int
    method: Method = Method.EQUAL_INSTALMENT
    annual_rate: Decimal = ZERO
    monthly_fee_rate: Decimal = ZERO
    upfront_fee: Decimal = ZERO
    upfront_fee_rate: Decimal = ZERO
    monthly_fee: Decimal = ZERO
    deposit: Decimal = ZERO
    grace_months: int = 0
    grace_kind: GraceKind = GraceKind.INTEREST_ONLY
    balloon: Decimal = ZERO

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in ("amount", "upfront_fee", "monthly_fee", "deposit", "balloon"):
            set_(self, name, _money(getattr(self, name), name))
        for name in ("annual_rate", "monthly_fee_rate", "upfront_fee_rate"):
            set_(self, name, _dec(getattr(self, name), name))
        try:
            set_(self, "method", Method(self.method))
        except ValueError as exc:
            raise FinanceError("unknown_method", "method") from exc
        try:
            set_(self, "grace_kind", GraceKind(self.grace_kind))
        except ValueError as exc:
            raise FinanceError("unknown_grace_kind", "grace_kind") from exc
        self._validate()

    def _validate(self) -> None:
        if self.amount <= 0:
            raise FinanceError("amount_not_positive", "amount")
        if isinstance(self.months, bool) or not isinstance(self.months, int) or not 1 <= self.months <= MAX_MONTHS:
            raise FinanceError("months_out_of_range", "months")
        if not ZERO <= self.annual_rate <= MAX_ANNUAL_RATE:
            raise FinanceError("annual_rate_out_of_range", "annual_rate")
        if not ZERO <= self.monthly_fee_rate <= MAX_MONTHLY_FEE_RATE:
            raise FinanceError("monthly_fee_rate_out_of_range", "monthly_fee_rate")
        if self.method in (Method.EQUAL_INSTALMENT, Method.EQUAL_PRINCIPAL) and self.monthly_fee_rate:
            raise FinanceError("rate_not_applicable", "monthly_fee_rate")
        if self.method in (Method.FLAT_FEE, Method.ZERO_INTEREST) and self.annual_rate:
            raise FinanceError("rate_not_applicable", "annual_rate")
        if self.method is Method.ZERO_INTEREST and self.monthly_fee_rate:
            raise FinanceError("rate_not_applicable", "monthly_fee_rate")
        if not ZERO <= self.upfront_fee_rate <= HUNDRED:
            raise FinanceError("upfront_fee_rate_out_of_range", "upfront_fee_rate")
        for name in ("upfront_fee", "monthly_fee", "deposit", "balloon"):
            if getattr(self, name) < 0:
                raise FinanceError("negative_amount", name)
        if self.balloon > self.amount:
            raise FinanceError("balloon_exceeds_amount", "balloon")
        if isinstance(self.grace_months, bool) or not isinstance(self.grace_months, int) or self.grace_months < 0:
            raise FinanceError("grace_out_of_range", "grace_months")
        if self.grace_months >= self.months:
            raise FinanceError("grace_not_shorter_than_term", "grace_months")
        if self.total_upfront_fee + self.deposit >= self.amount:
            raise FinanceError("deductions_exceed_amount", "upfront_fee")

    @property
    def total_upfront_fee(self) -> Decimal:
        """手续费 charged at t0: the amount plus the percent of the amount financed, to the fen."""
        return self.upfront_fee + fen(self.amount * self.upfront_fee_rate / HUNDRED)

    @property
    def monthly_rate(self) -> Decimal:
        """The fraction charged each month: annual_rate/1200, or monthly_fee_rate/100 for a flat fee."""
        if self.method is Method.FLAT_FEE:
            return self.monthly_fee_rate / HUNDRED
        if self.method is Method.ZERO_INTEREST:
            return ZERO
        return self.annual_rate / HUNDRED / 12


@dataclass(frozen=True)
class Line:
    n: int
    due_date: dt.date | None
    principal: Decimal
    interest: Decimal
    fee: Decimal
    payment: Decimal  # principal + interest + fee
    balance: Decimal  # after this line


@dataclass(frozen=True)
class Schedule:
    plan: Plan
    lines: list[Line]
    cash_flows: list[Decimal]  # borrower's side, t0 … months
    monthly_irr: float
    apr: Decimal  # percent, 2 decimals: monthly IRR × 12
    effective_annual_rate: Decimal  # percent, 2 decimals: (1 + i)^12 − 1
    total_principal: Decimal = field(default=ZERO)
    total_interest: Decimal = field(default=ZERO)
    total_fees: Decimal = field(default=ZERO)  # upfront fee + monthly fees
    total_paid: Decimal = field(default=ZERO)  # every payment + the upfront fee (the deposit comes back)
    total_cost: Decimal = field(default=ZERO)  # total interest + total fees = total paid − amount financed
    net_received: Decimal = field(default=ZERO)  # amount financed − upfront fee − deposit

    @property
    def regular_payment(self) -> Decimal:
        """The first payment after the grace months (what the UI quotes as 月供)."""
        return self.lines[self.plan.grace_months].payment


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (nxt - dt.timedelta(days=1)).day
    return dt.date(year, month, min(start.day, last_day))


def _annuity_payment(balance: Decimal, balloon: Decimal, rate: Decimal, months: int) -> Decimal:
    if rate == 0:
        return fen((balance - balloon) / months)
    v_n = (1 + rate) ** -months
    return fen((balance - balloon * v_n) * rate / (1 - v_n))


def schedule(plan: Plan, first_due: dt.date | None = None) -> Schedule:
    """The repayment schedule of ``plan``; ``first_due`` dates line 1, the others monthly after it."""
    rate = plan.monthly_rate
    flat = plan.method is Method.FLAT_FEE
    lines: list[Line] = []
    balance = plan.amount

    def due(n: int) -> dt.date | None:
        return add_months(first_due, n - 1) if first_due else None

    def month_interest(bal: Decimal) -> Decimal:
        return fen((plan.amount if flat else bal) * rate)

    for n in range(1, plan.grace_months + 1):
        interest = month_interest(balance)
        if plan.grace_kind is GraceKind.NOTHING_DUE:
            balance += interest
            lines.append(Line(n, due(n), -interest, interest, ZERO_FEN, ZERO_FEN, balance))
        else:
            payment = interest + plan.monthly_fee
            lines.append(Line(n, due(n), ZERO_FEN, interest, plan.monthly_fee, payment, balance))

    term = plan.months - plan.grace_months
    if plan.method is Method.EQUAL_INSTALMENT:
        instalment = _annuity_payment(balance, plan.balloon, rate, term)
    else:
        part = fen((balance - plan.balloon) / term)
    for k in range(1, term + 1):
        n = plan.grace_months + k
        interest = month_interest(balance)
        if k == term and plan.method is Method.EQUAL_INSTALMENT and rate and instalment + plan.balloon >= balance:
            # Every instalment stays equal (as published calculators show it: total interest =
            # instalment × term − principal); the last one's interest absorbs the rounding.
            principal, interest = balance, instalment + plan.balloon - balance
        elif k == term:
            principal = balance
        elif plan.method is Method.EQUAL_INSTALMENT:
            principal = min(max(instalment - interest, ZERO_FEN), balance)
        else:
            principal = min(part, balance)
        balance -= principal
        payment = principal + interest + plan.monthly_fee
        lines.append(Line(n, due(n), principal, interest, plan.monthly_fee, payment, balance))

    upfront = plan.total_upfront_fee
    net = plan.amount - upfront - plan.deposit
    flows = [net] + [-line.payment for line in lines]
    flows[-1] += plan.deposit
    i = irr(flows)
    total_interest = sum((line.interest for line in lines), ZERO)
    total_fees = upfront + sum((line.fee for line in lines), ZERO)
    total_paid = upfront + sum((line.payment for line in lines), ZERO)
    return Schedule(
        plan=plan,
        lines=lines,
        cash_flows=flows,
        monthly_irr=i,
        apr=_percent(i * 12),
        effective_annual_rate=_percent(math.expm1(12 * math.log1p(i))),
        total_principal=sum((line.principal for line in lines), ZERO),
        total_interest=total_interest,
        total_fees=total_fees,
        total_paid=total_paid,
        total_cost=total_interest + total_fees,
        net_received=net,
    )


# --- IRR ---------------------------------------------------------------------------------------


def _npv(rate: float, flows: Sequence[float]) -> float:
    total = 0.0
    for cf in reversed(flows):  # Horner: cf0 + cf1 v + cf2 v² …
        total = total / (1.0 + rate) + cf
    return total


def irr(cash_flows: Sequence[Decimal | float | int]) -> float:
    """Monthly internal rate of return: the rate r with Σ cf_t / (1 + r)^t = 0, t = 0 … n.

    Solved on floats by bisection, which cannot diverge: the sum of the flows is checked exactly
    (in Decimal) first, so a plan costing nothing gets exactly 0; otherwise a bracket is searched
    from 0 outwards — upwards (doubling, up to 1e9 a month, far beyond any real plan) when the
    flows cost the borrower something, downwards towards −99.99 % when they are a net gain — and
    halved until it is narrower than 1e-12 (well inside the 1e-10 a month asked for). The flows
    may be given from either side (the sign of the first non-zero flow decides). Where several
    roots exist (flows changing sign more than once) the one nearest 0 on the side of the net
    result is found. Raises ``FinanceError("irr_not_found")`` when the flows do not change sign
    within the bracket.
    """
    if len(cash_flows) < 2:
        raise FinanceError("irr_not_found", "cash_flows", "at least two cash flows are needed")
    exact = sum((_dec(cf, "cash_flows") for cf in cash_flows), ZERO)
    if exact == 0:
        return 0.0
    # Seen from the side that receives the first non-zero flow (the borrower's), so that a net cost
    # (flows summing below 0) means a positive rate; the roots do not depend on the side.
    first = next((_dec(cf, "cash_flows") for cf in cash_flows if cf), ZERO)
    sign = -1.0 if first < 0 else 1.0
    exact = exact if sign > 0 else -exact
    flows = [sign * float(cf) for cf in cash_flows]
    f0 = _npv(0.0, flows)
    if exact < 0 or f0 < 0:  # the borrower pays back more than received: root above 0
        lo, hi = 0.0, 0.01
        while (_npv(hi, flows) > 0) == (f0 > 0):
            lo, hi = hi, hi * 2
            if hi > 1e9:  # no real plan comes near; flows that never turn positive
                raise FinanceError("irr_not_found", "cash_flows")
    else:  # paid back less than received: a negative rate
        lo, hi = -0.01, 0.0
        while (_npv(lo, flows) > 0) == (f0 > 0):
            hi, lo = lo, max(lo * 2, -0.9999)
            if hi <= -0.9999:
                raise FinanceError("irr_not_found", "cash_flows")
    f_lo = _npv(lo, flows)
    while hi - lo > IRR_TOLERANCE:
        mid = (lo + hi) / 2
        f_mid = _npv(mid, flows)
        if f_mid == 0:
            return mid
        if (f_mid > 0) == (f_lo > 0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return (lo + hi) / 2


def _percent(fraction: float) -> Decimal:
    # Enough digits for any float, so that even an absurd fee (99 % upfront) gives a figure, not an error.
    with localcontext() as ctx:
        ctx.prec = 400
        return fen(Decimal(repr(fraction)) * HUNDRED)


def apr_of(cash_flows: Sequence[Decimal | float | int]) -> Decimal:
    """The disclosed annual rate (PBoC 2021): monthly IRR × 12, in percent with 2 decimals."""
    return _percent(irr(cash_flows) * 12)


def effective_rate_of(cash_flows: Sequence[Decimal | float | int]) -> Decimal:
    """The effective annual rate (1 + i)^12 − 1 of the monthly IRR, in percent with 2 decimals."""
    return _percent(math.expm1(12 * math.log1p(irr(cash_flows))))


# --- helpers for the UI and the benefit account (利益帐) ------------------------------------------


def financed_amount(price: Decimal, down_payment: Decimal) -> Decimal:
    """Amount financed = price − down payment (首付); the min/max ratio checks live elsewhere."""
    price, down_payment = _money(price, "price"), _money(down_payment, "down_payment")
    if price <= 0:
        raise FinanceError("amount_not_positive", "price")
    if down_payment < 0:
        raise FinanceError("negative_amount", "down_payment")
    if down_payment >= price:
        raise FinanceError("down_payment_not_below_price", "down_payment")
    return price - down_payment


def monthly_payment_estimate(plan: Plan) -> Decimal:
    """The regular monthly payment (月供) the UI quotes: the first one after the grace months."""
    return schedule(plan).regular_payment


def rental_cashflow(
    hours_per_month: Decimal, hourly_rate: Decimal, monthly_payment: Decimal, monthly_costs: Decimal = ZERO
) -> tuple[Decimal, Decimal]:
    """(income, cash left) of a month of work: hours × hourly rate, minus the payment and running costs."""
    hours = _dec(hours_per_month, "hours_per_month")
    rate = _dec(hourly_rate, "hourly_rate")
    if hours < 0:
        raise FinanceError("negative_amount", "hours_per_month")
    if rate < 0:
        raise FinanceError("negative_amount", "hourly_rate")
    income = fen(hours * rate)
    return income, income - fen(_dec(monthly_payment, "monthly_payment")) - fen(_dec(monthly_costs, "monthly_costs"))


def payback_month(
    investment: Decimal, monthly_cash: Decimal | Sequence[Decimal], max_months: int = MAX_MONTHS * 2
) -> int | None:
    """The first month (1-based) when the cumulative cash left covers ``investment`` (down payment,
    fees…), or None within ``max_months``. ``monthly_cash`` is one figure for every month or a list
    month by month (the figure after the list's end is taken as 0)."""
    target = _dec(investment, "investment")
    if target <= 0:
        return 0
    constant = None if isinstance(monthly_cash, Sequence) else _dec(monthly_cash, "monthly_cash")
    if constant is not None:
        if constant <= 0:
            return None
        month = math.ceil(target / constant)
        return month if month <= max_months else None
    cumulative = ZERO
    for month, cash in enumerate(monthly_cash[:max_months], start=1):
        cumulative += _dec(cash, "monthly_cash")
        if cumulative >= target:
            return month
    return None
