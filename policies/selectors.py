"""Every read of the commercial policies, starting from ``core.visibility``: the policies offered, the
customer's qualification, and the benefit account (利益帐) with the recommendation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.visibility import Action, get_or_404, visible
from customers.models import Customer

from . import finance, messages, rules
from .method import facts_of, terms_of
from .models import NegotiationSettings, Policy, Qualification


def negotiation_settings(company_id: int) -> NegotiationSettings:
    row, _created = NegotiationSettings.objects.get_or_create(company_id=company_id)
    return row


def policies(user, *, active_only: bool = True):
    qs = visible(user, Policy).prefetch_related("products")
    return qs.filter(active=True) if active_only else qs


def qualification_of(customer: Customer) -> Qualification | None:
    return Qualification.objects.filter(customer=customer).first()


@dataclass
class PolicyRow:
    policy: Policy
    terms: rules.Terms
    account: rules.Account | None = None
    checks: list[tuple[str, bool | None]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    recommended: bool = False
    error: str = ""
    down_ratio: Decimal | None = None
    months: int | None = None

    @property
    def code(self) -> str:
        return self.policy.code


@dataclass
class BenefitView:
    customer: Customer
    product: object | None
    products: list
    list_price_fen: int | None
    usage: rules.Usage
    key_needs: list[tuple[str, str]]
    ready: bool
    rows: list[PolicyRow]
    recommended: list[PolicyRow]
    excluded: list[PolicyRow]
    settings: NegotiationSettings
    qualification: Qualification | None
    on: dt.date
    needs_model: dict = field(default_factory=dict)  # customers.services.sensitivity_of, read once
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def list_price(self) -> Decimal | None:
        return None if self.list_price_fen is None else Decimal(self.list_price_fen) / 100


def _decimal(raw, name: str, errors: dict, default: Decimal) -> Decimal:
    if raw in (None, ""):
        return default
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        errors[name] = _("Enter a number.")
        return default
    if not value.is_finite():
        errors[name] = _("Enter a number.")
        return default
    return value


def parse_usage(customer: Customer, settings: NegotiationSettings, *, hours, rate, errors: dict) -> rules.Usage:
    hours_d = _decimal(hours, "hours", errors, Decimal(settings.default_hours_per_month))
    rate_d = _decimal(rate, "rate", errors, Decimal(settings.default_hourly_rate_fen) / 100)
    if not Decimal(0) <= hours_d <= 720:
        errors["hours"] = _("Enter the working hours per month between 0 and 720.")
        hours_d = Decimal(settings.default_hours_per_month)
    if not Decimal(0) <= rate_d <= 10000:
        errors["rate"] = _("Enter an hourly rate between 0 and 10,000 yuan.")
        rate_d = Decimal(settings.default_hourly_rate_fen) / 100
    return rules.Usage(rental=customer.use == "rental", hours_per_month=hours_d, hourly_rate=rate_d)


def parse_offers(data, codes, errors: dict) -> dict[str, tuple[Decimal | None, int | None]]:
    """``down_<code>`` (percent) and ``months_<code>`` from a query or form."""
    offers = {}
    for code in codes:
        down = data.get(f"down_{code}")
        months = data.get(f"months_{code}")
        d = _decimal(down, f"down_{code}", errors, None) if down not in (None, "") else None
        m = None
        if months not in (None, ""):
            try:
                m = int(months)
            except (TypeError, ValueError):
                errors[f"months_{code}"] = _("Enter a whole number of months.")
        offers[code] = (d, m)
    return offers


def _product_and_price(user, customer, product_id, on):
    from pitch.models import Product
    from pitch.selectors import catalogue

    products = list(catalogue(user, day=on))
    product = None
    if product_id not in (None, ""):
        product = get_or_404(user, Product, product_id)
        match = next((p for p in products if p.pk == product.pk), None)
        product.price_fen = match.price_fen if match else None
    else:
        # the machine of the last quote, else the best fit of the customer's segment (客户定位)
        from pitch.fabe import best_fit

        quoted = customer.quotes.order_by("-created_at").values_list("product_id", flat=True).first()
        priced = [p for p in products if p.price_fen]
        product = next((p for p in priced if p.pk == quoted), None) or (
            best_fit(user, customer, priced) if priced else None
        )
    return product, products


def _need_context(customer):
    from customers.services import sensitivity_of

    model = sensitivity_of(customer)
    key = [(row.need_point.code, row.need_point.name) for row, r in model["ranked"] if r.need.stage == "key"]
    return key, model


def compute_rows(
    *,
    customer: Customer,
    product,
    list_price_fen: int | None,
    policy_rows: list[Policy],
    usage: rules.Usage,
    offers: dict,
    key_needs: list[tuple[str, str]],
    facts: rules.Facts,
    on: dt.date,
) -> tuple[list[PolicyRow], list[PolicyRow], list[PolicyRow]]:
    """(recommended, other eligible, excluded) rows for these policies; no query."""
    names = dict(key_needs)
    candidates, by_code = [], {}
    for policy in policy_rows:
        terms = terms_of(policy)
        down, months = rules.default_offer(terms)
        asked = offers.get(policy.code, (None, None))
        down = asked[0] if asked[0] is not None else down
        months = asked[1] if asked[1] is not None else months
        applies = not policy.product_ids or (product is not None and product.pk in policy.product_ids)
        checks = rules.check_preconditions(terms.preconditions, facts)
        account, error = None, None
        if list_price_fen is None:
            error = rules.PolicyError("price_missing", "list_price")
        else:
            try:
                account = rules.benefit_account(
                    terms,
                    list_price=Decimal(list_price_fen) / 100,
                    down_ratio=down,
                    months=months,
                    usage=usage,
                    on=on,
                )
            except (rules.PolicyError, finance.FinanceError) as exc:
                error = exc
        row = PolicyRow(
            policy=policy,
            terms=terms,
            account=account,
            checks=[(messages.precondition_label(c.code, c.value), c.met) for c in checks],
            error=messages.error_text(error) if error else "",
            down_ratio=down,
            months=months,
        )
        by_code[policy.code] = row
        if isinstance(error, finance.FinanceError):
            error = rules.PolicyError("cannot_compute", "policy")
        candidates.append(rules.Candidate(terms, account, tuple(checks), error=error, applies_to_product=applies))
    rec = rules.recommend(
        candidates, key_needs=[code for code, _name in key_needs], facts=facts, rental=usage.rental, on=on
    )
    recommended, others, excluded = [], [], []
    for r in rec.recommended:
        row = by_code[r.terms.code]
        row.recommended = True
        row.reasons = [messages.reason_text(reason, names) for reason in r.reasons]
        recommended.append(row)
    for r in rec.others:
        row = by_code[r.terms.code]
        row.reasons = [messages.reason_text(reason, names) for reason in r.reasons]
        others.append(row)
    for e in rec.excluded:
        row = by_code[e.terms.code]
        row.reasons = [messages.reason_text(reason, names) for reason in e.reasons]
        excluded.append(row)
    return recommended, others, excluded


def benefit_view(
    user,
    *,
    customer_id,
    product_id=None,
    hours_per_month=None,
    hourly_rate=None,
    offers: dict | None = None,
    on: dt.date | None = None,
    action: Action = Action.VIEW,
) -> BenefitView:
    """The benefit account page: the customer, the machine and its list price, the usage, and the
    recommended policies (≤ 3) with their accounts and reasons, then the others. A fixed number of
    queries whatever the number of policies."""
    on = on or timezone.localdate()
    customer = get_or_404(user, Customer, customer_id, action)
    settings = negotiation_settings(customer.company_id)
    errors: dict[str, str] = {}
    usage = parse_usage(customer, settings, hours=hours_per_month, rate=hourly_rate, errors=errors)
    product, products = _product_and_price(user, customer, product_id, on)
    qualification = qualification_of(customer)
    facts = facts_of(customer, qualification)
    key_needs, needs_model = _need_context(customer)
    policy_rows = list(policies(user))
    for p in policy_rows:
        p.product_ids = {prod.pk for prod in p.products.all()}
    recommended, others, excluded = compute_rows(
        customer=customer,
        product=product,
        list_price_fen=getattr(product, "price_fen", None),
        policy_rows=policy_rows,
        usage=usage,
        offers=offers or {},
        key_needs=key_needs,
        facts=facts,
        on=on,
    )
    return BenefitView(
        customer=customer,
        product=product,
        products=products,
        list_price_fen=getattr(product, "price_fen", None),
        usage=usage,
        key_needs=key_needs,
        ready=needs_model["ready"],
        needs_model=needs_model,
        rows=recommended + others + excluded,
        recommended=recommended,
        excluded=excluded,
        settings=settings,
        qualification=qualification,
        on=on,
        errors=errors,
    )


def accounts_for_quote(user, *, customer, product, codes, offers, usage, on) -> list[PolicyRow]:
    """The chosen policies' accounts for a quote; refuses (ValidationError naming the rule) a policy
    that cannot be offered to this customer for this machine today."""
    view = benefit_view(
        user,
        customer_id=customer.pk,
        product_id=product.pk,
        hours_per_month=usage.hours_per_month,
        hourly_rate=usage.hourly_rate,
        offers=offers,
        on=on,
        action=Action.CHANGE,
    )
    by_code = {row.code: row for row in view.rows}
    out = []
    for code in codes:
        row = by_code.get(code)
        if row is None:
            raise ValidationError({"policies": _("Unknown or inactive policy: %(code)s.") % {"code": code}})
        if row.error:
            raise ValidationError({"policies": f"{row.policy.name}: {row.error}"})
        if row in view.excluded:
            raise ValidationError({"policies": f"{row.policy.name}: {' '.join(row.reasons)}"})
        out.append(row)
    return out


def _s(value) -> str | None:
    return None if value is None else str(value)


def account_snapshot(row: PolicyRow) -> dict:
    """The figures of one policy's account as issued (JSON-safe; Decimals as strings)."""
    a = row.account
    snap = {
        "code": row.policy.code,
        "name": row.policy.name,
        "source": row.policy.get_source_display(),
        "method": row.policy.get_method_display(),
        "guarantee": row.policy.guarantee,
        "valid_to": _s(row.policy.valid_to),
        "checks": [[label, met] for label, met in row.checks],
        "reasons": list(row.reasons),
    }
    if a is not None:
        snap |= {
            "list_price": _s(a.list_price),
            "price": _s(a.price),
            "down_ratio": _s(a.down_ratio),
            "down_payment": _s(a.down_payment),
            "financed_amount": _s(a.financed_amount),
            "months": a.months,
            "upfront_fees": _s(a.upfront_fees),
            "deposit": _s(a.deposit),
            "monthly_payment": _s(a.monthly_payment),
            "net_monthly_payment": _s(a.regular_net_payment),
            "total_interest": _s(a.total_interest),
            "total_fees": _s(a.total_fees),
            "total_cost": _s(a.total_cost),
            "extra_cost": _s(a.extra_cost),
            "apr": _s(a.apr),
            "subsidy_total": _s(a.subsidy_total),
            "initial_outlay": _s(a.initial_outlay),
            "rental": a.rental,
            "hours_per_month": _s(a.hours_per_month),
            "hourly_rate": _s(a.hourly_rate),
            "rental_income": _s(a.rental_income),
            "cash_left": _s(a.cash_left),
            "payback_month": a.payback_month,
            "cost_per_hour": _s(a.cost_per_hour),
            "horizon_months": a.horizon_months,
        }
    return snap
