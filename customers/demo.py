"""Demo customers: realistic, deterministic, bulk-inserted (100,000 in well under 2 minutes)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.demo import SeedContext, keep_timestamps
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


def _classified(rng, **fields) -> Customer:
    """A demo customer with its classification (a quarter left unclassified, as in real life)."""
    from customers.domain import classification as cls

    customer = Customer(**fields)
    if rng.random() < 0.25:
        return customer
    weights = {cls.Scale.INDIVIDUAL: 50, cls.Scale.TEAM: 30, cls.Scale.SELF_OPERATED: 10, cls.Scale.CONTRACTOR: 10}
    if customer.kind == Customer.Kind.COMPANY:
        weights[cls.Scale.INDIVIDUAL] = 0
    scale = rng.choices(list(weights), weights=list(weights.values()))[0]
    mining = rng.random() < 0.12
    customer.work_type = "mining" if mining else "engineering"
    customer.engineering_kind = (
        ""
        if mining
        else rng.choices(
            ("municipal", "landscaping", "roads_bridges", "building", "water"), weights=(30, 20, 20, 20, 10)
        )[0]
    )
    big = scale in (cls.Scale.SELF_OPERATED, cls.Scale.CONTRACTOR)
    customer.use = "own_use" if (mining or big) and rng.random() < 0.7 else "rental"
    customer.scale = scale
    base = cls.SCALE_ORDER[scale]

    def level(shift: int = 0) -> int:
        return max(1, min(5, base + shift + rng.choice((-1, 0, 0, 1))))

    customer.capital, customer.experience, customer.winning = level(), level(), level()
    customer.decision, customer.influence = level(1), level()
    customer.susceptibility = max(1, min(5, 6 - level()))
    customer.machine_count = {cls.Scale.INDIVIDUAL: 1, cls.Scale.TEAM: 8}.get(scale, 20) + rng.randrange(0, 3)
    return customer


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
            _classified(
                rng,
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
            with keep_timestamps(Customer):
                Customer.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        with keep_timestamps(Customer):
            Customer.objects.bulk_create(batch)
        created += len(batch)
    return created


# --- customer cognition: classification, needs, people, machines, market and competitors ----------------

from customers.domain import classification as cls  # noqa: E402
from customers.domain import sensitivity as sens  # noqa: E402

BRANDS = (
    ("三一", "SY60C"),
    ("卡特彼勒", "305.5E2"),
    ("小松", "PC56-7"),
    ("徐工", "XE60DA"),
    ("柳工", "CLG906F"),
    ("山东临工", "E660F"),
    ("斗山", "DX60"),
    ("日立", "ZX60"),
)
OPINIONS = ("油耗偏高", "动力足，维修贵", "二手残值高", "配件难买", "服务响应慢", "皮实耐用", "操作舒适")
RELATIONS = (
    ("family", "妻子"),
    ("family", "儿子"),
    ("family", "兄弟"),
    ("friend", "老同学"),
    ("friend", "合伙人"),
    ("friend", "同村老乡"),
)
PROJECTS = (
    "农村道路硬化工程",
    "污水管网改造",
    "高标准农田建设",
    "河道清淤整治",
    "老旧小区改造",
    "园林绿化提升工程",
    "工业园区平整",
    "乡村振兴示范片区",
)


def _shop_name(rng, faker, city: str) -> str:
    return f"{city.removesuffix('市')}{faker.last_name()}记{rng.choice(('配件', '修理', '物流', '机械'))}"


def seed_cognition(ctx: SeedContext, *, needs_for: int = 3000) -> None:
    """Classify the demo customers, preset needs for the prospects, add people, machines, projects,
    industry contacts, competitors and the positioning of the dealer's products."""
    from decimal import Decimal

    from pitch.models import Product

    from . import method
    from .models import (
        CompetitorDealer,
        CompetitorMachine,
        CompetitorSalesperson,
        CustomerMachine,
        CustomerNeed,
        IndustryContact,
        MarketProject,
        NeedPoint,
        Relation,
        SegmentFit,
    )

    rng, faker, company = ctx.rng, ctx.faker, ctx.company
    method.install_defaults(company)
    config = method.config_for(company.pk)
    points = {p.code: p for p in NeedPoint.objects.filter(company=company)}
    now = timezone.now()

    # the dealer's products and how well they fit each segment (客户定位)
    products = [
        Product.objects.create(company=company, code="HY65-9", name="6.5 吨小型挖掘机", tonnage=Decimal("6.5")),
        Product.objects.create(company=company, code="HY35-9", name="3.5 吨微型挖掘机", tonnage=Decimal("3.5")),
        Product.objects.create(company=company, code="HY150-9", name="15 吨中型挖掘机", tonnage=Decimal("15.0")),
    ]
    fits = []
    for kind, score_small in (
        ("municipal", 95),
        ("landscaping", 95),
        ("roads_bridges", 75),
        ("building", 60),
        ("water", 55),
    ):
        for scale, factor in (
            (cls.Scale.INDIVIDUAL, 1.0),
            (cls.Scale.TEAM, 0.9),
            (cls.Scale.SELF_OPERATED, 0.6),
            (cls.Scale.CONTRACTOR, 0.5),
        ):
            fits.append(
                SegmentFit(
                    company=company,
                    product=products[0],
                    work_type="engineering",
                    engineering_kind=kind,
                    scale=scale,
                    score=int(score_small * factor),
                )
            )
            fits.append(
                SegmentFit(
                    company=company,
                    product=products[2],
                    work_type="engineering",
                    engineering_kind=kind,
                    scale=scale,
                    score=int(100 - score_small * factor * 0.6),
                )
            )
    for scale in cls.Scale:
        fits.append(
            SegmentFit(
                company=company, product=products[2], work_type="mining", engineering_kind="", scale=scale, score=85
            )
        )
        fits.append(
            SegmentFit(
                company=company, product=products[0], work_type="mining", engineering_kind="", scale=scale, score=25
            )
        )
    SegmentFit.objects.bulk_create(fits)

    # needs preset for the classified prospects; machines and relations for some customers
    # plain tuples, not model instances: 100,000 of them must stay cheap
    fields = (
        "pk",
        "grade",
        "region_id",
        "scale",
        "capital",
        "experience",
        "winning",
        "decision",
        "influence",
        "susceptibility",
    )
    customers = [
        dict(zip(fields, row, strict=True))
        for row in Customer.objects.filter(company=company).values_list(*fields).order_by("pk")
    ]
    need_rows, machines, relations = [], [], []
    prospects = 0
    for c in customers:
        if not c["scale"]:
            continue
        if c["grade"] in (9, 6, 3) and prospects < needs_for:
            prospects += 1
            profile = cls.Profile(
                scale=cls.Scale(c["scale"]),
                **{d: c[d] for d in ("capital", "experience", "winning", "decision", "influence", "susceptibility")},
            )
            for p in sens.preset(
                profile,
                list(points),
                rules=config.rules,
                templates=config.templates,
                settings=config.sensitivity,
            ):
                need_rows.append(
                    CustomerNeed(
                        company=company,
                        customer_id=c["pk"],
                        need_point=points[p.need],
                        expected=p.expected,
                        deliverable=p.deliverable,
                        stage=p.stage,
                        reasons=list(p.reasons),
                        state_at=now,
                    )
                )
        if rng.random() < 0.4:
            brand, model = rng.choice(BRANDS)
            machines.append(
                CustomerMachine(
                    company=company,
                    customer_id=c["pk"],
                    brand=brand,
                    model=model,
                    count=rng.randrange(1, 3),
                    years_used=rng.randrange(1, 9),
                    opinion=rng.choice(OPINIONS),
                )
            )
        if c["grade"] in (9, 6, 3) and rng.random() < 0.5:
            kind, relation = rng.choice(RELATIONS)
            relations.append(
                Relation(
                    company=company,
                    customer_id=c["pk"],
                    kind=kind,
                    relation=relation,
                    name=faker.name(),
                    influence=rng.randrange(2, 6),
                )
            )
    CustomerNeed.objects.bulk_create(need_rows, batch_size=5000)
    CustomerMachine.objects.bulk_create(machines, batch_size=5000)
    Relation.objects.bulk_create(relations, batch_size=5000)

    # market projects per region, linked to a few customers of the region
    by_region: dict[int, list[int]] = {}
    for c in customers[:20000]:
        by_region.setdefault(c["region_id"], []).append(c["pk"])
    for region in ctx.regions:
        for _i in range(6):
            city, districts = rng.choice(ctx.areas[region.pk])
            district = rng.choice(districts)[1] if districts else ""
            project = MarketProject.objects.create(
                company=company,
                region=region,
                name=f"{district}{rng.choice(PROJECTS)}",
                place=f"{city}{district}",
                province=ctx.province,
                city=city,
                district=district,
                starts_on=now.date(),
                duration_months=rng.choice((3, 6, 8, 12, 18)),
                work_volume=f"土方约 {rng.randrange(2, 60)} 万方",
                publisher=rng.choice(("县住建局公告", "乡镇政府", "老客户介绍", "招投标网")),
                expected_demand=rng.randrange(2, 25),
            )
            ids = by_region.get(region.pk, [])
            if ids:
                project.customers.set(rng.sample(ids, min(3, len(ids))))

    # grade-0 industry contacts of each kind, per region
    contacts = []
    for region in ctx.regions:
        sales = [u for u in ctx.salespeople if region.pk in u.region_ids]
        for kind in IndustryContact.Kind.values:
            for _i in range(3):
                city, _d = rng.choice(ctx.areas[region.pk])
                contacts.append(
                    IndustryContact(
                        company=company,
                        region=region,
                        owner=rng.choice(sales) if sales else None,
                        kind=kind,
                        name=faker.name() if kind == "operator" else _shop_name(rng, faker, city),
                        phone=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}",
                        province=ctx.province,
                        city=city,
                        reputation=rng.choice(("口碑好", "一般", "爱压价", "圈内有影响力")),
                        details={"years": rng.randrange(2, 20)} if kind == "operator" else {},
                    )
                )
    IndustryContact.objects.bulk_create(contacts)

    # competitors
    for name, brands in (
        ("济南众诚机械（三一代理）", "三一"),
        ("鲁中卡特设备有限公司", "卡特彼勒"),
        ("齐鲁徐工销售服务公司", "徐工"),
    ):
        dealer = CompetitorDealer.objects.create(
            company=company,
            name=name,
            brands=brands,
            size="销售 12 人，服务 8 人",
            strategy="低首付抢市场",
            policy="首付 20%，24 期",
        )
        for brand, model in BRANDS:
            if brand == brands:
                CompetitorMachine.objects.create(
                    company=company,
                    dealer=dealer,
                    brand=brand,
                    model=model,
                    specs="整机重量约 6 吨",
                    selling_points="品牌知名度高",
                    customer_opinion=rng.choice(OPINIONS),
                    policy=dealer.policy,
                )
        CompetitorSalesperson.objects.create(
            company=company,
            dealer=dealer,
            name=faker.name(),
            age=rng.randrange(25, 45),
            role="销售经理",
            years=rng.randrange(2, 12),
            territory=ctx.regions[0].name,
        )
