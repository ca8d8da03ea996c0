"""The commercial-policy method as plain Python (no Django), SPEC §4.

* ``Terms``: a policy's parameters; ``validate_terms`` refuses absurd configurations;
  ``check_offer`` refuses an offer outside the policy (down payment below its minimum, a term it does
  not offer, a promotion outside its dates).
* ``check_preconditions``: each precondition against what the customer can show (met, not met, not
  known yet).
* ``benefit_account``: the customer's benefit account (利益帐) of one policy — down payment, monthly
  payment, total cost, the disclosed APR; the hourly subsidy; for a rental customer the rental income,
  the cash left each month and the payback month; for an own-use customer the cost per working hour.
* ``recommend``: 1 to 3 policies, never all of them, ranked by fit to the customer's key needs and
  preconditions, each with its reasons.

Errors and reasons are codes with parameters; ``policies/messages.py`` words them for the user.
Money in yuan as ``Decimal`` (fen-exact, see finance.py); rates in percent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from . import finance
from .finance import FEN, ZERO, fen

HUNDRED = Decimal("100")
MAX_RECOMMENDED = 3
OWN_USE_HORIZON_MONTHS = 36  # cost per working hour of a machine paid in full: over three years

FULL_PAYMENT = ""  # Terms.method of a full-payment policy (全款)


class PolicyError(ValueError):
    """An offer or a configuration the rules refuse: ``code`` (stable), ``field``, ``params``."""

    def __init__(self, code: str, field: str, **params):
        self.code, self.field, self.params = code, field, params
        super().__init__(f"{code} ({field}) {params}")


@dataclass(frozen=True)
class Terms:
    code: str
    name: str = ""
    source: str = ""
    method: str = finance.Method.EQUAL_INSTALMENT
    down_ratio_min: Decimal = Decimal("30")
    down_ratio_max: Decimal = HUNDRED
    terms: tuple[int, ...] = (12, 24, 36)
    annual_rate: Decimal = ZERO
    monthly_fee_rate: Decimal = ZERO
    upfront_fee_rate: Decimal = ZERO
    upfront_fee: Decimal = ZERO  # yuan
    monthly_fee: Decimal = ZERO  # yuan
    deposit_rate: Decimal = ZERO
    grace_months: int = 0
    grace_kind: str = finance.GraceKind.INTEREST_ONLY
    balloon_rate: Decimal = ZERO
    price_reduction: Decimal = ZERO  # yuan off the list price (直降)
    subsidy_per_hour: Decimal = ZERO  # yuan per working hour (小时补贴)
    subsidy_cap: Decimal = ZERO  # yuan per month at most (0: no cap)
    subsidy_months: int = 0
    preconditions: tuple[tuple[str, int | None], ...] = ()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @property
    def financed(self) -> bool:
        return self.method != FULL_PAYMENT

    @property
    def has_subsidy(self) -> bool:
        return self.subsidy_per_hour > 0 and self.subsidy_months > 0

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


def validate_terms(t: Terms) -> list[PolicyError]:
    """What is wrong with a policy's configuration (empty: nothing)."""
    errors: list[PolicyError] = []
    for name in (
        "down_ratio_min",
        "down_ratio_max",
        "annual_rate",
        "monthly_fee_rate",
        "upfront_fee_rate",
        "deposit_rate",
        "balloon_rate",
    ):
        if getattr(t, name) < 0:
            errors.append(PolicyError("negative", name))
    if t.down_ratio_max > HUNDRED:
        errors.append(PolicyError("ratio_above_100", "down_ratio_max"))
    if t.down_ratio_min > t.down_ratio_max:
        errors.append(PolicyError("down_range_inverted", "down_ratio_min"))
    if t.annual_rate > finance.MAX_ANNUAL_RATE:
        errors.append(PolicyError("annual_rate_absurd", "annual_rate", limit=finance.MAX_ANNUAL_RATE))
    if t.monthly_fee_rate > finance.MAX_MONTHLY_FEE_RATE:
        errors.append(PolicyError("monthly_fee_rate_absurd", "monthly_fee_rate", limit=finance.MAX_MONTHLY_FEE_RATE))
    if t.upfront_fee_rate > 20:
        errors.append(PolicyError("upfront_fee_rate_absurd", "upfront_fee_rate", limit=20))
    if t.deposit_rate > 50:
        errors.append(PolicyError("deposit_rate_absurd", "deposit_rate", limit=50))
    if t.balloon_rate > 50:
        errors.append(PolicyError("balloon_rate_absurd", "balloon_rate", limit=50))
    if t.financed:
        if t.method not in set(finance.Method):
            errors.append(PolicyError("unknown_method", "method"))
        if not t.terms:
            errors.append(PolicyError("no_terms", "terms"))
        for months in t.terms:
            if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= finance.MAX_MONTHS:
                errors.append(PolicyError("term_out_of_range", "terms", months=months, limit=finance.MAX_MONTHS))
        if t.method in (finance.Method.EQUAL_INSTALMENT, finance.Method.EQUAL_PRINCIPAL) and t.monthly_fee_rate:
            errors.append(PolicyError("rate_not_applicable", "monthly_fee_rate"))
        if t.method in (finance.Method.FLAT_FEE, finance.Method.ZERO_INTEREST) and t.annual_rate:
            errors.append(PolicyError("rate_not_applicable", "annual_rate"))
        if t.method == finance.Method.ZERO_INTEREST and t.monthly_fee_rate:
            errors.append(PolicyError("rate_not_applicable", "monthly_fee_rate"))
        if t.down_ratio_min >= HUNDRED:
            errors.append(PolicyError("nothing_financed", "down_ratio_min"))
        if t.terms and t.grace_months >= min(t.terms):
            errors.append(PolicyError("grace_not_shorter_than_term", "grace_months"))
    if t.has_subsidy and t.subsidy_cap < 0:
        errors.append(PolicyError("negative", "subsidy_cap"))
    if (t.subsidy_per_hour > 0) != (t.subsidy_months > 0):
        errors.append(PolicyError("subsidy_incomplete", "subsidy_months"))
    if t.valid_from and t.valid_to and t.valid_to < t.valid_from:
        errors.append(PolicyError("dates_inverted", "valid_to"))
    return errors


def check_offer(t: Terms, *, down_ratio: Decimal, months: int | None, on: dt.date) -> None:
    """Refuse an offer the policy does not allow (PolicyError naming the rule)."""
    if not t.valid_on(on):
        raise PolicyError("promotion_not_valid", "policy", start=t.valid_from, end=t.valid_to, on=on)
    if not t.financed:
        return
    if down_ratio < t.down_ratio_min:
        raise PolicyError("down_payment_below_min", "down_ratio", minimum=t.down_ratio_min, given=down_ratio)
    if down_ratio > t.down_ratio_max or down_ratio >= HUNDRED:
        raise PolicyError("down_payment_above_max", "down_ratio", maximum=min(t.down_ratio_max, Decimal("99")))
    if months not in t.terms:
        raise PolicyError("term_not_offered", "months", months=months, offered=tuple(t.terms))


# --- preconditions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the customer can show; None = not known yet."""

    guarantor: bool | None = None
    property_certificate: bool | None = None
    business_licence: bool | None = None
    local_household: bool | None = None
    credit: str = ""  # "" not checked, good, minor, bad
    machines_owned: int | None = None
    experience: int | None = None  # 1–5
    capital: int | None = None  # 1–5, for the recommendation


@dataclass(frozen=True)
class Check:
    code: str
    value: int | None
    met: bool | None  # None: not known yet — to be checked with the customer


def _check(code: str, value: int | None, f: Facts) -> bool | None:
    if code in ("guarantor", "property_certificate", "business_licence", "local_household"):
        return getattr(f, code)
    if code == "good_credit":
        return {"good": True, "minor": False, "bad": False}.get(f.credit)
    if code in ("machines_owned", "experience"):
        have = getattr(f, code)
        return None if have is None else have >= (value or 0)
    raise PolicyError("unknown_precondition", "preconditions", code=code)


def check_preconditions(preconditions: Iterable[tuple[str, int | None]], facts: Facts) -> list[Check]:
    return [Check(code, value, _check(code, value, facts)) for code, value in preconditions]


# --- the benefit account (利益帐) --------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How the customer will use the machine: rental (hours × hourly rate is income) or own use."""

    rental: bool
    hours_per_month: Decimal
    hourly_rate: Decimal = ZERO  # yuan per hour, rental only
    monthly_costs: Decimal = ZERO  # operator, fuel… left out by default (the customer's own figures)


@dataclass(frozen=True)
class Account:
    code: str
    list_price: Decimal
    price: Decimal  # after the policy's reduction
    down_ratio: Decimal
    down_payment: Decimal
    financed_amount: Decimal
    months: int  # 0 for full payment
    upfront_fees: Decimal
    deposit: Decimal
    monthly_payment: Decimal  # the regular instalment (after any grace months)
    payments: tuple[Decimal, ...]  # month by month
    total_interest: Decimal
    total_fees: Decimal
    total_cost: Decimal  # everything the customer pays for the machine: down payment + payments + fees
    extra_cost: Decimal  # total cost − price: the price of the financing
    apr: Decimal  # percent, the PBoC disclosure (0 for full payment)
    subsidy: tuple[Decimal, ...]  # hourly subsidy credited month by month
    net_payments: tuple[Decimal, ...]  # payment − subsidy, month by month
    initial_outlay: Decimal  # down payment + upfront fees + deposit
    hours_per_month: Decimal
    rental: bool
    hourly_rate: Decimal
    rental_income: Decimal  # a month's hours × rate (rental)
    cash_left: Decimal  # rental: income − regular net instalment − costs; own use: 0
    cash_left_months: tuple[Decimal, ...]
    payback_month: int | None  # rental: the month the cumulative cash left covers the initial outlay
    cost_per_hour: Decimal | None  # own use: total cost / hours worked over the term (36 months if full)
    horizon_months: int
    schedule: finance.Schedule | None = None

    @property
    def subsidy_total(self) -> Decimal:
        return sum(self.subsidy, ZERO)

    @property
    def regular_net_payment(self) -> Decimal:
        if not self.net_payments:
            return ZERO
        return self.net_payments[min(len(self.net_payments) - 1, self.grace_index)]

    @property
    def grace_index(self) -> int:
        return next((i for i, p in enumerate(self.payments) if p == self.monthly_payment), 0)


def _subsidy(t: Terms, usage: Usage, payments: Sequence[Decimal]) -> list[Decimal]:
    out = []
    for k, payment in enumerate(payments):
        if not t.has_subsidy or k >= t.subsidy_months:
            out.append(ZERO_FEN)
            continue
        amount = fen(usage.hours_per_month * t.subsidy_per_hour)
        if t.subsidy_cap > 0:
            amount = min(amount, t.subsidy_cap)
        out.append(min(amount, payment))  # credited against the instalment, never paid out
    return out


ZERO_FEN = Decimal("0.00")


def benefit_account(
    t: Terms,
    *,
    list_price: Decimal,
    down_ratio: Decimal,
    months: int | None,
    usage: Usage,
    on: dt.date,
    first_due: dt.date | None = None,
) -> Account:
    """The benefit account of one policy for one machine (raises PolicyError / FinanceError)."""
    if list_price <= 0:
        raise PolicyError("price_missing", "list_price")
    if usage.hours_per_month < 0 or usage.hours_per_month > 720:
        raise PolicyError("hours_out_of_range", "hours_per_month", limit=720)
    if usage.hourly_rate < 0 or usage.hourly_rate > 10000:
        raise PolicyError("hourly_rate_out_of_range", "hourly_rate", limit=10000)
    check_offer(t, down_ratio=down_ratio, months=months, on=on)
    price = fen(list_price - t.price_reduction)
    if price <= 0:
        raise PolicyError("price_missing", "list_price")
    if not t.financed:
        payments: tuple[Decimal, ...] = ()
        down_payment, financed, months_ = price, ZERO_FEN, 0
        upfront = deposit = interest = fees = ZERO_FEN
        apr, regular, sched = ZERO_FEN, ZERO_FEN, None
    else:
        down_payment = fen(price * down_ratio / HUNDRED)
        financed = finance.financed_amount(price, down_payment)
        plan = finance.Plan(
            amount=financed,
            months=months,
            method=finance.Method(t.method),
            annual_rate=t.annual_rate,
            monthly_fee_rate=t.monthly_fee_rate,
            upfront_fee=t.upfront_fee,
            upfront_fee_rate=t.upfront_fee_rate,
            monthly_fee=t.monthly_fee,
            deposit=fen(financed * t.deposit_rate / HUNDRED),
            grace_months=t.grace_months,
            grace_kind=finance.GraceKind(t.grace_kind),
            balloon=fen(financed * t.balloon_rate / HUNDRED),
        )
        sched = finance.schedule(plan, first_due)
        payments = tuple(line.payment for line in sched.lines)
        months_ = months
        upfront, deposit = plan.total_upfront_fee, plan.deposit
        interest, fees, apr = sched.total_interest, sched.total_fees, sched.apr
        regular = sched.regular_payment
    subsidy = tuple(_subsidy(t, usage, payments))
    net = tuple(p - s for p, s in zip(payments, subsidy, strict=True))
    total_cost = down_payment + sum(payments, ZERO_FEN) + upfront
    initial = down_payment + upfront + deposit
    horizon = months_ or OWN_USE_HORIZON_MONTHS
    income = fen(usage.hours_per_month * usage.hourly_rate) if usage.rental else ZERO_FEN
    if usage.rental:
        months_cash = [income - p - fen(usage.monthly_costs) for p in net] or [income - fen(usage.monthly_costs)]
        if months_:
            months_cash[-1] += deposit  # the deposit comes back with the last instalment
        regular_index = next((i for i, p in enumerate(payments) if p == regular), 0) if payments else 0
        cash_left = months_cash[min(regular_index, len(months_cash) - 1)]
        # after the term the machine keeps earning: extend the series so payback can come later
        tail = income - fen(usage.monthly_costs)
        series = months_cash + [tail] * (finance.MAX_MONTHS * 2 - len(months_cash))
        payback = finance.payback_month(initial, series)
        cost_per_hour = None
    else:
        months_cash, cash_left, payback = [], ZERO_FEN, None
        hours = usage.hours_per_month * horizon
        cost_per_hour = fen((total_cost - sum(subsidy, ZERO_FEN)) / hours) if hours > 0 else None
    return Account(
        code=t.code,
        list_price=fen(list_price),
        price=price,
        down_ratio=down_ratio if t.financed else HUNDRED,
        down_payment=down_payment,
        financed_amount=financed,
        months=months_,
        upfront_fees=upfront,
        deposit=deposit,
        monthly_payment=regular,
        payments=payments,
        total_interest=interest,
        total_fees=fees,
        total_cost=total_cost,
        extra_cost=total_cost - price,
        apr=apr,
        subsidy=subsidy,
        net_payments=net,
        initial_outlay=initial,
        hours_per_month=usage.hours_per_month,
        rental=usage.rental,
        hourly_rate=usage.hourly_rate,
        rental_income=income,
        cash_left=cash_left,
        cash_left_months=tuple(months_cash),
        payback_month=payback,
        cost_per_hour=cost_per_hour,
        horizon_months=horizon,
        schedule=sched,
    )


def default_offer(t: Terms) -> tuple[Decimal, int | None]:
    """The offer shown first: the policy's minimum down payment and its longest term."""
    if not t.financed:
        return HUNDRED, None
    return t.down_ratio_min, max(t.terms)


# --- the recommendation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)
    weight: Decimal = ZERO


@dataclass(frozen=True)
class Candidate:
    terms: Terms
    account: Account | None  # None when the offer could not be computed
    checks: tuple[Check, ...] = ()
    error: PolicyError | None = None
    applies_to_product: bool = True


@dataclass(frozen=True)
class Recommended:
    terms: Terms
    account: Account
    checks: tuple[Check, ...]
    score: Decimal
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Excluded:
    terms: Terms
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Recommendation:
    recommended: tuple[Recommended, ...]
    excluded: tuple[Excluded, ...]
    others: tuple[Recommended, ...]  # eligible, not in the top 3


CRITERIA = (
    "lowest_total_cost",
    "lowest_down_payment",
    "lowest_monthly_payment",
    "most_cash_left",
    "earliest_payback",
    "lowest_cost_per_hour",
)
PRICE_NEEDS = ("price", "cost_performance")
POLICY_NEEDS = ("policy",)
NEED_WEIGHTS = (Decimal(3), Decimal(2), Decimal("1.5"), Decimal(1))  # by the need's rank among key needs


def _need_weight(key_needs: Sequence[str], codes: Sequence[str]) -> tuple[Decimal, str | None]:
    for i, need in enumerate(key_needs):
        if need in codes:
            return NEED_WEIGHTS[min(i, len(NEED_WEIGHTS) - 1)], need
    return ZERO, None


def _closeness(values: dict[str, Decimal], lower_is_better: bool = True) -> dict[str, Decimal]:
    """1 for the best value, 0 for the worst, linear in between (all 1 when equal)."""
    lo, hi = min(values.values()), max(values.values())
    if hi == lo:
        return dict.fromkeys(values, Decimal(1))
    span = hi - lo
    return {k: ((hi - v) if lower_is_better else (v - lo)) / span for k, v in values.items()}


def recommend(
    candidates: Iterable[Candidate],
    *,
    key_needs: Sequence[str],
    facts: Facts,
    rental: bool,
    on: dt.date,
    limit: int = MAX_RECOMMENDED,
) -> Recommendation:
    """Rank the candidate policies for this customer: 1 to ``limit`` (≤ 3) recommended, with reasons.

    A policy is left out when it does not apply to the machine, its offer cannot be made (e.g. a
    promotion not valid today) or a precondition is not met. The others score by the customer's key
    needs in rank order (price → lowest total cost; commercial policy → lowest down payment and
    monthly payment), the use (rental → most cash left each month and earliest payback; own use →
    lowest cost per working hour), capital strength (weak → lowest down payment), preconditions not
    yet known (a penalty: to be checked) and a time-limited offer (a small bonus: a reason to close).
    """
    limit = max(1, min(limit, MAX_RECOMMENDED))
    excluded: list[Excluded] = []
    eligible: list[Candidate] = []
    for c in candidates:
        if not c.applies_to_product:
            excluded.append(Excluded(c.terms, (Reason("not_for_this_machine"),)))
        elif c.error is not None or c.account is None:
            err = c.error
            excluded.append(
                Excluded(c.terms, (Reason(err.code if err else "cannot_compute", err.params if err else {}),))
            )
        elif any(ch.met is False for ch in c.checks):
            missing = [ch for ch in c.checks if ch.met is False]
            excluded.append(
                Excluded(
                    c.terms,
                    tuple(Reason("precondition_not_met", {"code": ch.code, "value": ch.value}) for ch in missing),
                )
            )
        else:
            eligible.append(c)
    if not eligible:
        return Recommendation((), tuple(excluded), ())

    acc = {c.terms.code: c.account for c in eligible}
    scores = {code: Decimal(0) for code in acc}
    reasons: dict[str, list[Reason]] = {code: [] for code in acc}

    strongest: dict[str, tuple[Decimal, str, dict]] = {}

    def criterion(name: str, weight: Decimal, values: dict[str, Decimal], lower: bool, params_of) -> None:
        if weight <= 0 or not values:
            return
        close = _closeness(values, lower)
        best = max(close.values())
        for code, c in close.items():
            scores[code] += weight * c
            if weight * c > strongest.get(code, (Decimal(-1),))[0]:
                strongest[code] = (weight * c, name, params_of(code))
            if c == best and len(values) > 1 and not all(v == 1 for v in close.values()):
                reasons[code].append(Reason(name, params_of(code), weight))

    w_price, need = _need_weight(key_needs, PRICE_NEEDS)
    criterion(
        "lowest_total_cost",
        w_price,
        {k: a.total_cost for k, a in acc.items()},
        True,
        lambda k: {"amount": acc[k].total_cost, "need": need},
    )
    w_policy, pneed = _need_weight(key_needs, POLICY_NEEDS)
    weak_capital = facts.capital is not None and facts.capital <= 2
    w_down = w_policy + (Decimal(2) if weak_capital else ZERO)
    criterion(
        "lowest_down_payment",
        w_down,
        {k: a.initial_outlay for k, a in acc.items()},
        True,
        lambda k: {"amount": acc[k].initial_outlay, "need": pneed, "weak_capital": weak_capital},
    )
    criterion(
        "lowest_monthly_payment",
        w_policy,
        {k: a.regular_net_payment for k, a in acc.items() if a.months},
        True,
        lambda k: {"amount": acc[k].regular_net_payment, "need": pneed},
    )
    if rental:
        criterion(
            "most_cash_left",
            Decimal(2),
            {k: a.cash_left for k, a in acc.items()},
            False,
            lambda k: {"amount": acc[k].cash_left},
        )
        never = Decimal(10_000)
        criterion(
            "earliest_payback",
            Decimal(1),
            {k: Decimal(a.payback_month) if a.payback_month is not None else never for k, a in acc.items()},
            True,
            lambda k: {"month": acc[k].payback_month},
        )
    else:
        criterion(
            "lowest_cost_per_hour",
            Decimal(2),
            {k: a.cost_per_hour if a.cost_per_hour is not None else a.total_cost for k, a in acc.items()},
            True,
            lambda k: {"amount": acc[k].cost_per_hour},
        )
    checks = {c.terms.code: c.checks for c in eligible}
    for c in eligible:
        code = c.terms.code
        if c.account.subsidy_total > 0:
            scores[code] += Decimal("0.5")
            reasons[code].append(
                Reason(
                    "hourly_subsidy",
                    {"amount": c.account.subsidy_total, "months": c.terms.subsidy_months},
                    Decimal("0.5"),
                )
            )
        if c.terms.valid_to is not None:
            scores[code] += Decimal("0.25")
            reasons[code].append(
                Reason(
                    "time_limited", {"until": c.terms.valid_to, "days": (c.terms.valid_to - on).days}, Decimal("0.25")
                )
            )
        unknown = [ch for ch in checks[code] if ch.met is None]
        if unknown:
            scores[code] -= Decimal("0.5") * len(unknown)
            reasons[code].append(
                Reason("to_check", {"codes": tuple(ch.code for ch in unknown)}, Decimal("-0.5") * len(unknown))
            )
        met = [ch for ch in checks[code] if ch.met]
        if met:
            reasons[code].append(Reason("preconditions_met", {"codes": tuple(ch.code for ch in met)}))
    for c in eligible:
        code = c.terms.code
        if len(eligible) > 1 and code in strongest and not any(r.code in CRITERIA for r in reasons[code]):
            _w, name, params = strongest[code]
            reasons[code].append(Reason("strong_point", {"criterion": name, **params}, Decimal("0.1")))
    if len(eligible) == 1:
        reasons[eligible[0].terms.code].append(Reason("only_eligible", {}, Decimal("0.2")))
    order = sorted(eligible, key=lambda c: (-scores[c.terms.code], acc[c.terms.code].total_cost, c.terms.code))
    ranked = [
        Recommended(
            c.terms,
            acc[c.terms.code],
            tuple(checks[c.terms.code]),
            scores[c.terms.code].quantize(FEN),
            tuple(sorted(reasons[c.terms.code], key=lambda r: -r.weight)),
        )
        for c in order
    ]
    return Recommendation(tuple(ranked[:limit]), tuple(excluded), tuple(ranked[limit:]))
