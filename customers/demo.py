"""Demo customers: realistic, deterministic, bulk-inserted (100,000 in well under 2 minutes)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.demo import SeedContext
from core.sensitive import blind_index

from . import rules
from .models import Customer

# Valid mainland mobile prefixes (checked against phonenumbers by the tests of the seed).
MOBILE_PREFIXES = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "177",
    "180",
    "181",
    "189",
    "199",
)
COMPANY_SUFFIXES = (
    "建设工程有限公司",
    "土石方工程队",
    "市政工程有限公司",
    "园林绿化工程有限公司",
    "路桥工程有限公司",
    "水利工程有限公司",
    "机械租赁有限公司",
    "矿业有限公司",
)
GRADE_WEIGHTS = ((9, 4), (6, 10), (3, 18), (1, 30), (0, 18), (None, 20))


def _id_number(ctx: SeedContext, district_code: str) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=ctx.rng.randrange(0, 365 * 35))
    first17 = f"{district_code}{birth:%Y%m%d}{ctx.rng.randrange(0, 1000):03d}"
    return first17 + rules.id_check_digit(first17)


def seed_customers(ctx: SeedContext, *, count: int = 300, batch_size: int = 2000) -> int:
    rng, faker = ctx.rng, ctx.faker
    now = timezone.now()
    grades = [g for g, w in GRADE_WEIGHTS for _ in range(w)]
    used_phones: set[str] = set()
    sales_by_region: dict[int, list] = {}
    for u in ctx.salespeople:
        for rid in u.region_ids:
            sales_by_region.setdefault(rid, []).append(u)
    created = 0
    batch: list[Customer] = []
    for i in range(count):
        region = ctx.regions[i % len(ctx.regions)]
        city, districts = rng.choice(ctx.areas[region.pk])
        district_code, district = rng.choice(districts) if districts else ("370102", "")
        branches = [b for b in ctx.branches if b.region_id == region.pk]
        is_company = rng.random() < 0.25
        name = (
            (
                f"{city.removesuffix('市')}{faker.last_name()}{rng.choice(('氏', '鑫', '顺', '通', '达', '丰'))}"
                f"{rng.choice(COMPANY_SUFFIXES)}"
            )
            if is_company
            else faker.name()
        )
        while True:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"
            if phone not in used_phones:
                used_phones.add(phone)
                break
        in_pool = rng.random() < 0.15 or not sales_by_region.get(region.pk)
        owner = None if in_pool else rng.choice(sales_by_region[region.pk])
        id_number = _id_number(ctx, district_code) if not is_company and rng.random() < 0.3 else ""
        touched = now - dt.timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(0, 1440))
        batch.append(
            Customer(
                company=ctx.company,
                region=region,
                branch=rng.choice(branches) if branches else None,
                owner=owner,
                name=name[:100],
                kind=Customer.Kind.COMPANY if is_company else Customer.Kind.PERSON,
                phone=phone,
                id_number=id_number,
                id_number_index=blind_index(id_number) if id_number else "",
                province=ctx.province,
                city=city,
                district=district,
                address=f"{district}{faker.street_name()}{rng.randrange(1, 300)}号",
                grade=rng.choice(grades),
                in_pool=in_pool,
                initials=rules.pinyin_initials(name)[:40],
                last_followup_at=touched,
                created_at=touched - dt.timedelta(days=rng.randrange(0, 400)),
                updated_at=touched,
            )
        )
        if len(batch) >= batch_size:
            Customer.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        Customer.objects.bulk_create(batch)
        created += len(batch)
    return created
