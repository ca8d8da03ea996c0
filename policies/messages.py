"""The user's words for the rules' codes (policies/rules.py and policies/finance.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import finance, rules
from .models import Precondition


def yuan(amount) -> str:
    if amount is None:
        return "—"
    return f"¥{Decimal(amount):,.2f}"


def _date(value) -> str:
    return date_format(value, "Y-m-d") if isinstance(value, dt.date) else "—"


def precondition_label(code: str, value=None) -> str:
    try:
        label = str(Precondition(code).label)
    except ValueError:
        return code
    if code == "machines_owned" and value:
        return _("%(label)s: at least %(n)s") % {"label": label, "n": value}
    if code == "experience" and value:
        return _("%(label)s: at least level %(n)s of 5") % {"label": label, "n": value}
    return label


def error_text(err: Exception) -> str:
    """A refusal worded for the user, naming the rule."""
    if isinstance(err, finance.FinanceError):
        return finance_error_text(err)
    if not isinstance(err, rules.PolicyError):
        return str(err)
    p = err.params
    texts = {
        "promotion_not_valid": lambda: (
            _("This policy is valid from %(start)s to %(end)s only: it cannot be offered on %(on)s.")
            % {"start": _date(p.get("start")), "end": _date(p.get("end")), "on": _date(p.get("on"))}
        ),
        "down_payment_below_min": lambda: (
            _("Down payment %(given)s %% is below this policy's minimum of %(minimum)s %%.")
            % {"given": _pct(p["given"]), "minimum": _pct(p["minimum"])}
        ),
        "down_payment_above_max": lambda: (
            _("Down payment above this policy's maximum of %(maximum)s %%.") % {"maximum": _pct(p["maximum"])}
        ),
        "term_not_offered": lambda: (
            _("This policy does not offer %(months)s months; terms offered: %(offered)s.")
            % {"months": p.get("months") or "—", "offered": "、".join(str(m) for m in p.get("offered", ()))}
        ),
        "price_missing": lambda: _("This machine has no list price today: enter a price first."),
        "hours_out_of_range": lambda: _("Enter the working hours per month between 0 and %(limit)s.") % p,
        "hourly_rate_out_of_range": lambda: _("Enter an hourly rate between 0 and %(limit)s yuan.") % p,
        "negative": lambda: _("Enter a value of zero or more."),
        "ratio_above_100": lambda: _("A ratio cannot exceed 100 %."),
        "down_range_inverted": lambda: _("The minimum down payment cannot be above the maximum."),
        "annual_rate_absurd": lambda: (
            _("An annual rate above %(limit)s %% is refused as absurd (legal protection cap).") % p
        ),
        "monthly_fee_rate_absurd": lambda: _("A monthly fee rate above %(limit)s %% is refused as absurd.") % p,
        "upfront_fee_rate_absurd": lambda: _("A handling fee above %(limit)s %% of the loan is refused as absurd.") % p,
        "deposit_rate_absurd": lambda: _("A deposit above %(limit)s %% of the loan is refused as absurd.") % p,
        "balloon_rate_absurd": lambda: _("A balloon above %(limit)s %% of the loan is refused.") % p,
        "unknown_method": lambda: _("Choose a repayment method."),
        "no_terms": lambda: _("Enter at least one term (months) for a financing policy."),
        "term_out_of_range": lambda: _("A term must be between 1 and %(limit)s months (got %(months)s).") % p,
        "rate_not_applicable": lambda: _("This rate does not apply to the repayment method chosen: leave it at 0."),
        "nothing_financed": lambda: _("A financing policy needs a minimum down payment below 100 %."),
        "grace_not_shorter_than_term": lambda: _("The grace period must be shorter than the shortest term."),
        "subsidy_incomplete": lambda: _("An hourly subsidy needs both the amount per hour and the number of months."),
        "dates_inverted": lambda: _("The last day cannot be before the first day."),
        "unknown_precondition": lambda: _("Unknown precondition %(code)s.") % p,
        "precondition_not_met": lambda: (
            _("The customer does not meet the precondition: %(rule)s.")
            % {"rule": precondition_label(p.get("code", ""), p.get("value"))}
        ),
    }
    make = texts.get(err.code)
    return make() if make else err.code


def finance_error_text(err: finance.FinanceError) -> str:
    texts = {
        "amount_not_positive": _("The amount financed must be above zero."),
        "months_out_of_range": _("The term must be between 1 and %(n)s months.") % {"n": finance.MAX_MONTHS},
        "annual_rate_out_of_range": _("The annual rate must be between 0 and %(n)s %%.")
        % {"n": finance.MAX_ANNUAL_RATE},
        "monthly_fee_rate_out_of_range": _("The monthly fee rate must be between 0 and %(n)s %%.")
        % {"n": finance.MAX_MONTHLY_FEE_RATE},
        "rate_not_applicable": _("This rate does not apply to the repayment method chosen."),
        "down_payment_not_below_price": _("The down payment must be below the price."),
        "deductions_exceed_amount": _("Fees and deposit would take the whole amount financed."),
        "balloon_exceeds_amount": _("The balloon cannot exceed the amount financed."),
        "grace_not_shorter_than_term": _("The grace period must be shorter than the term."),
        "not_a_number": _("Enter a number."),
        "negative_amount": _("Enter an amount of zero or more."),
    }
    return texts.get(err.code, err.code)


def _pct(value) -> str:
    return f"{Decimal(value).normalize():f}"


def reason_text(reason: rules.Reason, need_names: dict[str, str] | None = None) -> str:
    """Why a policy is recommended (or left out), for the salesperson to say to the customer."""
    p = reason.params
    need = (need_names or {}).get(p.get("need")) or _need_name(p.get("need"))
    texts = {
        "lowest_total_cost": lambda: (
            _("Lowest total cost: %(amount)s — %(need)s is a key need.") % {"amount": yuan(p["amount"]), "need": need}
        ),
        "lowest_down_payment": lambda: (
            (
                _("Least up front (down payment, fees, deposit): %(amount)s — the customer's capital is limited.")
                if p.get("weak_capital")
                else _("Least up front (down payment, fees, deposit): %(amount)s — %(need)s is a key need.")
            )
            % {"amount": yuan(p["amount"]), "need": need}
        ),
        "lowest_monthly_payment": lambda: (
            _("Lowest monthly payment: %(amount)s — %(need)s is a key need.")
            % {"amount": yuan(p["amount"]), "need": need}
        ),
        "most_cash_left": lambda: (
            _("Most cash left each month from rental income: %(amount)s.") % {"amount": yuan(p["amount"])}
        ),
        "earliest_payback": lambda: _("Earliest payback: month %(month)s.") % {"month": p.get("month") or "—"},
        "lowest_cost_per_hour": lambda: _("Lowest cost per working hour: %(amount)s.") % {"amount": yuan(p["amount"])},
        "hourly_subsidy": lambda: (
            _("Hourly subsidy: %(amount)s credited over %(months)s months.")
            % {"amount": yuan(p["amount"]), "months": p["months"]}
        ),
        "time_limited": lambda: (
            _("Time-limited offer until %(until)s (%(days)s days left): a reason to decide now.")
            % {"until": _date(p["until"]), "days": p["days"]}
        ),
        "to_check": lambda: (
            _("To check with the customer: %(rules)s.")
            % {"rules": "、".join(precondition_label(c) for c in p["codes"])}
        ),
        "preconditions_met": lambda: (
            _("Preconditions met: %(rules)s.") % {"rules": "、".join(precondition_label(c) for c in p["codes"])}
        ),
        "strong_point": lambda: _strong_point(p),
        "only_eligible": lambda: _("The only policy whose preconditions the customer meets."),
        "not_for_this_machine": lambda: _("Not offered for this machine."),
        "precondition_not_met": lambda: (
            _("Missing precondition: %(rule)s.") % {"rule": precondition_label(p.get("code", ""), p.get("value"))}
        ),
        "cannot_compute": lambda: _("Cannot be worked out for this machine."),
    }
    make = texts.get(reason.code)
    if make:
        return make()
    return error_text(rules.PolicyError(reason.code, "policy", **p))


def _need_name(code) -> str:
    if not code:
        return _("the customer's need")
    from customers.domain.sensitivity import DEFAULT_NEED_POINTS

    names = dict(DEFAULT_NEED_POINTS)
    return names.get(code, code)


def _strong_point(p: dict) -> str:
    """The best side of a policy that is not the best on any count."""
    what = {
        "lowest_total_cost": _("total cost %(amount)s"),
        "lowest_down_payment": _("money up front %(amount)s"),
        "lowest_monthly_payment": _("monthly payment %(amount)s"),
        "most_cash_left": _("cash left each month %(amount)s"),
        "earliest_payback": _("payback in month %(month)s"),
        "lowest_cost_per_hour": _("cost per working hour %(amount)s"),
    }.get(p.get("criterion"), "%(amount)s")
    values = {"amount": yuan(p.get("amount")), "month": p.get("month") or "—"}
    return _("A balanced choice — its strong side: %(what)s.") % {"what": what % values}
