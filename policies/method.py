"""Reads the dealer's configured policies and the customer's qualification into the rules' plain
objects (policies/rules.py)."""

from __future__ import annotations

from decimal import Decimal

from . import rules
from .models import Policy, Qualification


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def preconditions_of(raw) -> tuple[tuple[str, int | None], ...]:
    out = []
    for item in raw or []:
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict) and item.get("code"):
            value = item.get("value")
            out.append((str(item["code"]), int(value) if value not in (None, "") else None))
    return tuple(out)


def terms_of(policy: Policy) -> rules.Terms:
    return rules.Terms(
        code=policy.code,
        name=policy.name,
        source=policy.source,
        method=policy.method,
        down_ratio_min=policy.down_ratio_min,
        down_ratio_max=policy.down_ratio_max,
        terms=tuple(int(m) for m in (policy.terms or []) if str(m).lstrip("-").isdigit()),
        annual_rate=policy.annual_rate,
        monthly_fee_rate=policy.monthly_fee_rate,
        upfront_fee_rate=policy.upfront_fee_rate,
        upfront_fee=_yuan(policy.upfront_fee_fen),
        monthly_fee=_yuan(policy.monthly_fee_fen),
        deposit_rate=policy.deposit_rate,
        grace_months=policy.grace_months,
        grace_kind=policy.grace_kind,
        balloon_rate=policy.balloon_rate,
        price_reduction=_yuan(policy.price_reduction_fen),
        subsidy_per_hour=_yuan(policy.subsidy_per_hour_fen),
        subsidy_cap=_yuan(policy.subsidy_cap_fen),
        subsidy_months=policy.subsidy_months,
        preconditions=preconditions_of(policy.preconditions),
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
    )


def facts_of(customer, qualification: Qualification | None) -> rules.Facts:
    q = qualification
    return rules.Facts(
        guarantor=(q.has_guarantor if q.has_guarantor is not None else (True if q.guarantor.strip() else None))
        if q
        else None,
        property_certificate=q.property_certificate if q else None,
        business_licence=q.business_licence if q else None,
        local_household=q.local_household if q else None,
        credit=q.credit if q else "",
        machines_owned=customer.machine_count,
        experience=customer.experience,
        capital=customer.capital,
    )
