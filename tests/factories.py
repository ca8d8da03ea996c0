"""Builders of test data: an organisation with one user per role, customers, to-dos.

``build_org()`` makes the company the tests look at; ``build_other_company()`` makes a second
dealer whose rows nobody of the first one may ever see.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone, translation

from core import audit
from core.models import Branch, Channel, Company, Region, Role, Todo, User, UserRole
from customers import rules
from customers import services as customer_services
from customers.models import Customer

PASSWORD = "Excavator-2026!"

_phones = itertools.count(10_000_000)
_id_seq = itertools.count(100)


def next_phone() -> str:
    """A fresh, valid mainland mobile number (138xxxxxxxx)."""
    return f"138{next(_phones):08d}"


def make_id_number(birth: dt.date = dt.date(1990, 3, 7), area: str = "110101") -> str:
    """A valid 18-character resident ID number (check digit computed by GB 11643)."""
    first17 = f"{area}{birth:%Y%m%d}{next(_id_seq) % 1000:03d}"
    return first17 + rules.id_check_digit(first17)


def make_user(
    company: Company | None,
    username: str,
    roles: list[str],
    *,
    regions: list[Region] = (),
    branch: Branch | None = None,
    is_staff: bool = False,
    email: str | None = None,
    display_name: str = "",
) -> User:
    user = User(
        username=username,
        company=company,
        branch=branch,
        is_staff=is_staff,
        email=f"{username}@example.test" if email is None else email,
        display_name=display_name,
    )
    user.set_password(PASSWORD)
    user.save()
    if regions:
        user.regions.set(regions)
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    return user


def make_customer(actor: User, *, region: Region, owner: User | None = None, **fields) -> Customer:
    """A customer created through the service (validated, audited) as ``actor``."""
    fields.setdefault("phone", next_phone())
    name = fields.pop("name", f"客户{next(_phones)}")
    with audit.acting(actor, Channel.SYSTEM):
        return customer_services.customer_create(actor=actor, name=name, region_id=region.pk, owner=owner, **fields)


def make_todo(user: User, *, due: dt.date | None = None, title: str = "回访客户", **fields) -> Todo:
    return Todo.objects.create(
        company_id=user.company_id,
        user=user,
        kind=fields.pop("kind", "visit_due"),
        title=title,
        due=due or timezone.localdate(),
        **fields,
    )


def zh(msgid: str, **params) -> str:
    """The message as a user of the default language (简体中文) reads it; fails if untranslated."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert text != msgid and any("\u4e00" <= ch <= "\u9fff" for ch in text), f"not translated: {msgid!r}"
    return text % params if params else text


@dataclass
class Org:
    company: Company
    region_a: Region
    region_b: Region
    branch_a: Branch
    branch_b: Branch
    admin: User
    manager_a: User
    manager_b: User
    finance: User
    service: User
    sales_a1: User
    sales_a2: User
    sales_b1: User
    cust_a1: Customer
    cust_a2: Customer
    cust_b1: Customer
    cust_pool: Customer
    users: dict[str, User] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)


def build_org(name: str = "鲁工恒达工程机械有限公司", prefix: str = "") -> Org:
    """One dealer: regions A and B, a branch each, one user per role, four customers.

    - manager_a covers region A, manager_b region B; finance covers region A only;
      the service engineer covers region B; salespeople a1, a2 in A and b1 in B.
    - customers: one owned by each salesperson and one in the public pool of region A.
    """
    company = Company.objects.create(name=name, short_name=name[:4])
    region_a = Region.objects.create(company=company, name="鲁中区域", province="山东省")
    region_b = Region.objects.create(company=company, name="鲁南区域", province="山东省")
    branch_a = Branch.objects.create(company=company, region=region_a, name="济南网点", city="济南市")
    branch_b = Branch.objects.create(company=company, region=region_b, name="临沂网点", city="临沂市")

    def u(username, roles, regions=(), branch=None, **kw):
        return make_user(company, prefix + username, roles, regions=list(regions), branch=branch, **kw)

    admin = u("admin", [Role.ADMIN], [region_a, region_b], is_staff=True, display_name="管理员")
    manager_a = u("manager_a", [Role.MANAGER], [region_a], branch_a, display_name="王经理")
    manager_b = u("manager_b", [Role.MANAGER], [region_b], branch_b, display_name="赵经理")
    finance = u("finance", [Role.FINANCE], [region_a], display_name="钱会计")
    service = u("service", [Role.SERVICE], [region_b], display_name="孙工")
    sales_a1 = u("sales_a1", [Role.SALESPERSON], [region_a], branch_a, display_name="张建国")
    sales_a2 = u("sales_a2", [Role.SALESPERSON], [region_a], branch_a, display_name="李明")
    sales_b1 = u("sales_b1", [Role.SALESPERSON], [region_b], branch_b, display_name="周强")

    cust_a1 = make_customer(sales_a1, region=region_a, name="济南鑫达土石方工程队", owner=sales_a1, grade=6)
    cust_a2 = make_customer(sales_a2, region=region_a, name="历城顺通市政工程有限公司", owner=sales_a2, grade=3)
    cust_b1 = make_customer(sales_b1, region=region_b, name="临沂丰达路桥工程有限公司", owner=sales_b1, grade=9)
    cust_pool = make_customer(manager_a, region=region_a, name="章丘公海客户刘大壮", owner=None, grade=1)
    assert cust_pool.in_pool and cust_pool.owner_id is None

    users = {
        "admin": admin,
        "manager_a": manager_a,
        "manager_b": manager_b,
        "finance": finance,
        "service": service,
        "sales_a1": sales_a1,
        "sales_a2": sales_a2,
        "sales_b1": sales_b1,
    }
    customers = {"cust_a1": cust_a1, "cust_a2": cust_a2, "cust_b1": cust_b1, "cust_pool": cust_pool}
    return Org(
        company=company,
        region_a=region_a,
        region_b=region_b,
        branch_a=branch_a,
        branch_b=branch_b,
        users=users,
        customers=customers,
        **users,
        **customers,
    )


@dataclass
class OtherCompany:
    company: Company
    region: Region
    branch: Branch
    admin: User
    sales: User
    customer: Customer
    pool_customer: Customer


def build_other_company(name: str = "苏工远洋机械有限公司") -> OtherCompany:
    """A second dealer with its own administrator, salesperson and customers (one in its pool)."""
    company = Company.objects.create(name=name, short_name="远洋")
    region = Region.objects.create(company=company, name="苏北区域", province="江苏省")
    branch = Branch.objects.create(company=company, region=region, name="徐州网点", city="徐州市")
    admin = make_user(company, "other_admin", [Role.ADMIN], regions=[region], is_staff=True)
    sales = make_user(company, "other_sales", [Role.SALESPERSON], regions=[region], branch=branch)
    customer = make_customer(sales, region=region, name="徐州远洋客户", owner=sales, id_number=make_id_number())
    pool_customer = make_customer(admin, region=region, name="徐州公海客户", owner=None)
    return OtherCompany(company, region, branch, admin, sales, customer, pool_customer)
