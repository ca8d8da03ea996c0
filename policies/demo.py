"""Demo commercial policies (商务政策): a bank loan, the manufacturer's financing company, the
manufacturer's instalment plan, the dealer's hourly subsidy (小时补贴), a year-end promotion with
dates, and full payment — realistic 2026 figures for a 6-tonne excavator (LPR 1-year ≈ 3.0 %; machine
loans well above it; financing companies quote flat monthly fee rates). Plus the qualification of
the demo customers who already have quotes in view, and the negotiation settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from django.utils import timezone

from .models import NegotiationSettings, Policy, Qualification

POLICIES = [
    dict(
        code="bank_loan",
        name="银行按揭·农商行设备贷",
        source="bank_loan",
        provider="本地农村商业银行",
        description="审批较复杂、需要抵押或担保，年利率较高、另收手续费；适合资金实力强、征信良好的客户。",
        method="equal_instalment",
        down_ratio_min=D("30"),
        down_ratio_max=D("70"),
        terms=[12, 24, 36],
        annual_rate=D("6.5"),
        upfront_fee_rate=D("1"),
        guarantee="房产抵押或担保人连带责任担保",
        preconditions=[{"code": "property_certificate"}, {"code": "good_credit"}, {"code": "local_household"}],
        order=30,
    ),
    dict(
        code="mfr_finance",
        name="厂家融资租赁·恒岳融资",
        source="manufacturer_finance",
        provider="恒岳融资租赁有限公司",
        description="手续简单、费用低，月费率报价；收取保证金，最后一期退还。",
        method="flat_fee",
        down_ratio_min=D("20"),
        down_ratio_max=D("60"),
        terms=[12, 24, 36],
        monthly_fee_rate=D("0.38"),
        upfront_fee_fen=200_000,
        deposit_rate=D("3"),
        guarantee="担保人连带责任担保",
        preconditions=[{"code": "guarantor"}, {"code": "good_credit"}],
        order=20,
    ),
    dict(
        code="mfr_instalment",
        name="厂家分期·零利率",
        source="manufacturer_instalment",
        provider="恒岳机械",
        description="最简单：无手续费、无利息，首付要求较高、期数较短。",
        method="zero_interest",
        down_ratio_min=D("40"),
        down_ratio_max=D("80"),
        terms=[12, 18],
        guarantee="担保人",
        preconditions=[{"code": "guarantor"}],
        order=10,
    ),
    dict(
        code="hourly_subsidy",
        name="经销商小时补贴·低首付分期",
        source="dealer",
        provider="本经销商",
        description=(
            "按设备实际工作小时补贴（以车联网记录为准），直接抵扣月供：每小时 10 元，每月最多 2,000 元，补 12 个月。"
        ),
        method="equal_instalment",
        down_ratio_min=D("15"),
        down_ratio_max=D("50"),
        terms=[24, 36],
        annual_rate=D("4.8"),
        guarantee="担保人 + 设备安装车联网终端",
        subsidy_per_hour_fen=1_000,
        subsidy_cap_fen=200_000,
        subsidy_months=12,
        preconditions=[{"code": "guarantor"}, {"code": "machines_owned", "value": 1}],
        order=5,
    ),
    dict(
        code="full_payment",
        name="全款购机",
        source="full_payment",
        description="一次付清，不产生利息和手续费。",
        method="",
        down_ratio_min=D("100"),
        down_ratio_max=D("100"),
        terms=[],
        price_reduction_fen=500_000,
        order=40,
    ),
]


def promo(today: dt.date) -> dict:
    """The year-end promotion: started two weeks ago, ends in five days (a closing prompt shows)."""
    return dict(
        code="promo_year_end",
        name="年末冲量·首付两成免息 12 期",
        source="dealer",
        provider="本经销商 + 恒岳机械",
        description="限时政策：首付 20% 起，12 期零利率，仅收 1% 手续费。",
        method="zero_interest",
        down_ratio_min=D("20"),
        down_ratio_max=D("60"),
        terms=[12],
        upfront_fee_rate=D("1"),
        guarantee="担保人",
        preconditions=[{"code": "guarantor"}],
        valid_from=today - dt.timedelta(days=14),
        valid_to=today + dt.timedelta(days=5),
        order=1,
    )


def seed_policies(company, *, today: dt.date | None = None) -> list[Policy]:
    today = today or timezone.localdate()
    out = []
    for spec in [*POLICIES, promo(today)]:
        policy, _created = Policy.objects.update_or_create(company=company, code=spec["code"], defaults=spec)
        out.append(policy)
    NegotiationSettings.objects.get_or_create(company=company)
    return out


def seed_qualifications(company, customers) -> int:
    """Qualifications of some demo customers: a guarantor, a property certificate, clean credit."""
    rows = []
    for i, customer in enumerate(customers):
        rows.append(
            Qualification(
                company=company,
                customer=customer,
                has_guarantor=i % 4 != 3,
                guarantor="" if i % 4 == 3 else "张建国",
                property_certificate=True if i % 3 == 0 else (False if i % 3 == 1 else None),
                local_household=True,
                credit="good" if i % 5 else "minor",
            )
        )
    Qualification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def seed_demo_policies(company, *, today: dt.date | None = None) -> None:
    """The policies, and the qualification of the customers whose needs are modelled (the ones a
    salesperson opens a benefit account for)."""
    from customers.models import Customer

    seed_policies(company, today=today)
    modelled = Customer.objects.filter(company=company, needs__isnull=False).distinct().order_by("pk")[:200]
    seed_qualifications(company, list(modelled))
    seed_negotiation(company)


def seed_negotiation(company) -> None:
    """A value-added compensation and a discount waiting for the manager (to-do and notification,
    through the services), on the first modelled rental customer of the first salesperson."""
    from core.models import Role, User
    from customers.models import Customer
    from pitch.models import Product

    from . import negotiation

    product = Product.objects.filter(company=company, code="HY65-9").first()
    sales = User.objects.filter(company=company, user_roles__role=Role.SALESPERSON).order_by("username").first()
    if product is None or sales is None:
        return
    customer = (
        Customer.objects.filter(company=company, owner=sales, use="rental", needs__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    if customer is None:
        return
    negotiation.compensation_record(
        actor=sales,
        customer=customer,
        product=product,
        kind="free_maintenance",
        description="首年免费保养 4 次（含机油机滤）",
        value_fen=320_000,
    )
    negotiation.discount_request(
        actor=sales,
        customer=customer,
        product=product,
        discount_fen=1_500_000,
        reason="客户拿到三一 SY60C 报价低 1.8 万，已送首年保养仍差一点，申请让价 1.5 万促成本周下单。",
    )
