"""Demo deals (商机) at every stage of the pipeline: about 20 deals of the demo salespeople, from a
quote where the stage needs one, with the rows each stage's gate reads (order confirmed, deposit,
signed contract, down payment, dossier for instalments, machine prepared, delivery) written directly
with the models, plausible times in each stage, and two lost deals with their reasons. Each stage
holds two deals or more; the facts of a deal meet the gates up to its stage and not the next one, so
``deal_sync`` leaves them where they are."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from core.models import Role, User
from customers.models import Customer

from . import deals
from .domain import deals as rules
from .models import (
    Contract,
    Deal,
    DealStageStay,
    Delivery,
    Deposit,
    DownPayment,
    Machine,
    Order,
    PreparationItem,
)

# deals per stage index (意向 … 已交车); 20 in all, plus the lost ones
PER_STAGE = (3, 2, 2, 2, 2, 2, 2, 2, 3)
LOST_REASONS = (
    "客户选择了竞品三一 SY60C，对方首付低 2 万、送一年保养。",
    "客户工程款未到位，项目推迟到明年开春，暂不购机。",
)
PLACES = ("济南市历城区王舍人街道工地", "章丘区明水经济开发区", "临沂市兰山区义堂镇", "泰安市岱岳区满庄镇")


def _number(company_id: int, prefix: str, year: int) -> str:
    try:
        from .documents import next_number
    except ImportError:
        next_number = None
    if next_number is not None:
        return next_number(company_id, prefix, year)
    from .models import DocumentCounter

    counter, _created = DocumentCounter.objects.get_or_create(company_id=company_id, kind=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}{year}{counter.last:05d}"


def _template(company):
    try:
        from .documents import install_default_template
    except ImportError:
        install_default_template = None
    if install_default_template is not None:
        return install_default_template(company)
    from .models import ContractTemplate

    return ContractTemplate.objects.get_or_create(
        company=company, name="设备买卖合同", defaults={"body": "{{ order.number }}"}
    )[0]


def _quote(company, customer, product, salesperson, price_fen: int, policy, at: dt.datetime):
    from policies.models import Quote, QuoteVersion
    from policies.quotes import next_number

    quote = Quote.objects.create(
        company=company,
        number=next_number(company.pk, timezone.localdate(at).year),
        customer=customer,
        product=product,
        salesperson=salesperson,
        created_at=at,
        latest_version=1,
    )
    version = QuoteVersion.objects.create(
        quote=quote,
        version=1,
        list_price_fen=price_fen,
        discount_fen=0,
        price_fen=price_fen,
        valid_until=timezone.localdate(at) + dt.timedelta(days=7),
        content={"policies": [{"code": policy.code, "name": policy.name}] if policy else []},
        by=salesperson,
        at=at,
    )
    if policy is not None:
        version.policies.add(policy)
    return quote, version


def _timeline(rng: random.Random, now: dt.datetime, stage_index: int) -> list[dt.datetime]:
    """Entry times of stages 0…stage_index, the last a few days ago, spaced 1–9 days."""
    times = [now - dt.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 9))]
    for _ in range(stage_index):
        times.append(times[-1] - dt.timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 20)))
    return list(reversed(times))


@transaction.atomic
def seed_deals(company, *, rng: random.Random, now: dt.datetime | None = None) -> dict[str, int]:
    """About 20 deals over the stages (2+ per stage) and 2 lost ones; returns counts."""
    from pitch.models import Product
    from policies.models import Policy

    now = now or timezone.now()
    stages = deals.stages_for(company.pk)
    salespeople = list(
        User.objects.filter(company=company, is_active=True, user_roles__role=Role.SALESPERSON)
        .distinct()
        .order_by("pk")
    )
    products = list(Product.objects.filter(company=company, active=True).order_by("code"))
    if not salespeople or not products or len(stages) < len(PER_STAGE):
        return {"deals": 0}
    policies = list(Policy.objects.filter(company=company, active=True).order_by("order", "pk"))
    full = next((p for p in policies if p.source == "full_payment"), None)
    instalment = [p for p in policies if p.source != "full_payment"]
    financed = next(
        (p for p in instalment if p.source == "manufacturer_instalment"), instalment[0] if instalment else None
    )
    financed_made = False
    busy = set(Deal.objects.filter(company=company).values_list("customer_id", flat=True))
    pool = {}
    for sp in salespeople:
        pool[sp.pk] = list(
            Customer.objects.filter(company=company, owner=sp, in_pool=False, merged_into__isnull=True)
            .exclude(pk__in=busy)
            .order_by("-grade", "pk")[:12]
        )
    template = None
    plan = [i for i, n in enumerate(PER_STAGE) for _ in range(n)]
    plan += [rng.randint(1, 3) for _ in LOST_REASONS]
    made = lost_made = 0
    for n, stage_index in enumerate(plan):
        lost = n >= sum(PER_STAGE)
        # round robin over the salespeople who still have customers free
        free = [p for p in salespeople if pool[p.pk]]
        if not free:
            break
        sp = free[n % len(free)]
        customer = pool[sp.pk].pop(0)
        product = products[rng.randrange(len(products))]
        price = _price(product) or 38_000_000
        times = _timeline(rng, now, stage_index)
        # beyond the down payment: full payment (the dossier is skipped); before it: instalments, so
        # that a deal in 首付 waits for its dossier
        policy = full if stage_index >= 6 else (instalment[n % len(instalment)] if instalment else full)
        if stage_index == len(PER_STAGE) - 1 and financed is not None and not financed_made:
            # one delivered machine is financed: its contract's schedule goes to receivables (债权管理)
            policy, financed_made = financed, True
        quote = version = None
        if stage_index >= 1:
            quote, version = _quote(company, customer, product, sp, price, policy, times[0])
        deal = Deal.objects.create(
            company=company,
            customer=customer,
            product=product,
            quote=quote,
            salesperson=sp,
            stage=stages[stage_index],
            stage_since=times[-1],
            amount_fen=price,
            expected_on=timezone.localdate(now) + dt.timedelta(days=rng.randint(10, 60)),
            created_at=times[0],
            status=Deal.Status.WON if stages[stage_index].won else Deal.Status.OPEN,
            closed_at=times[-1] if stages[stage_index].won else None,
        )
        for i, entered in enumerate(times):
            left = times[i + 1] if i + 1 < len(times) else None
            DealStageStay.objects.create(deal=deal, stage=stages[i], entered_at=entered, left_at=left, by=sp)
        if stage_index >= 2:
            if template is None:
                template = _template(company)
            _documents(company, deal, sp, product, price, policy, version, times, stage_index, template, rng)
        if lost:
            left = now - dt.timedelta(days=rng.randint(0, 2))
            DealStageStay.objects.filter(deal=deal, left_at__isnull=True).update(left_at=left)
            deal.status, deal.closed_at = Deal.Status.LOST, left
            deal.lost_reason = LOST_REASONS[lost_made]
            deal.save(update_fields=["status", "closed_at", "lost_reason"])
            lost_made += 1
        else:
            made += 1
        deals._post_next_step(deal, stages)
    return {"deals": made, "lost": lost_made}


def _schedule(order) -> list[dict]:
    """The financed order's instalment schedule (empty when the policy's terms do not fit the demo's
    figures: the contract is then written without one, as a full payment's)."""
    from django.core.exceptions import ValidationError

    from .documents import contract_schedule

    try:
        return contract_schedule(order)
    except ValidationError:
        return []


def _price(product) -> int:
    return deals._price_today(product)


def _documents(company, deal, sp, product, price, policy, version, times, stage_index, template, rng) -> None:
    """The rows each gate up to ``stage_index`` reads (stage indexes as in DEFAULT_STAGES)."""
    confirmed = times[2]
    instalment = rules.dossier_needed(policy.source if policy else None)  # no dossier rows: see above
    deposit_fen = 2_000_000
    down_fen = (price * 3 // 10) if instalment else price - deposit_fen
    order = Order.objects.create(
        company=company,
        deal=deal,
        customer=deal.customer,
        product=product,
        quote_version=version,
        policy=policy,
        number=_number(company.pk, "DD", timezone.localdate(confirmed).year),
        price_fen=price,
        extras=["首年免费保养 4 次", "赠送破碎锤管路"],
        delivery_on=timezone.localdate(confirmed) + dt.timedelta(days=30),
        delivery_place=PLACES[rng.randrange(len(PLACES))],
        deposit_fen=deposit_fen,
        deposit_due=timezone.localdate(confirmed) + dt.timedelta(days=3),
        down_payment_fen=down_fen,
        down_payment_due=timezone.localdate(confirmed) + dt.timedelta(days=15),
        confirmation=Order.Confirmation.STAMP,
        confirmed_at=confirmed,
        confirmed_by_name=deal.customer.name[:20],
        created_by=sp,
        created_at=confirmed,
    )
    if stage_index >= 3:
        day = timezone.localdate(times[3])
        Deposit.objects.create(
            company=company,
            order=order,
            amount_fen=deposit_fen,
            received_on=day,
            method="bank",
            receipt_number=_number(company.pk, "SJ", day.year),
            refund_terms="因卖方原因不能交车，定金双倍返还；买方无故不履约，定金不予退还。",
            by=sp,
            at=times[3],
        )
    if stage_index >= 4:
        Contract.objects.create(
            company=company,
            order=order,
            template=template,
            number=_number(company.pk, "HT", timezone.localdate(times[4]).year),
            amount_fen=price,
            signer_name=deal.customer.name[:20],
            signed_on=timezone.localdate(times[4]),
            created_by=sp,
            created_at=times[4] - dt.timedelta(days=1),
            schedule=_schedule(order) if instalment else [],
        )
    if stage_index >= 5:
        DownPayment.objects.create(
            company=company,
            order=order,
            amount_fen=down_fen,
            received_on=timezone.localdate(times[5]),
            method="bank",
            by=sp,
            at=times[5],
        )
    if stage_index >= 7:
        Machine.objects.create(
            company=company,
            product=product,
            serial_number=f"HY{order.number[-7:]}{rng.randint(100, 999)}",
            engine_number=f"YC{rng.randint(10**7, 10**8 - 1)}",
            telematics_id=f"T{rng.randint(10**9, 10**10 - 1)}",
            order=order,
            in_stock_since=timezone.localdate(times[0]),
        )
        for kind in PreparationItem.Kind.values:
            PreparationItem.objects.create(company=company, order=order, kind=kind, done_by=sp, done_at=times[7])
    if stage_index >= 8:
        Delivery.objects.create(
            company=company,
            order=order,
            planned_at=times[8],
            delivered_at=times[8],
            hour_meter=rng.randint(2, 8),
            by=sp,
        )
