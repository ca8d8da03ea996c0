"""The demo data command: deterministic, valid data, one login per role, safe to run twice."""

from __future__ import annotations

import datetime as dt
import io

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from core.demo import DEMO_PASSWORD
from core.models import Company, Role, Todo, User, UserRole
from customers import rules
from customers.models import Customer


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    rows = Customer.objects.values_list(
        "name", "phone", "kind", "grade", "in_pool", "owner__username", "region__name", "city", "district", "address"
    )
    ids = sorted(c.id_number for c in Customer.objects.all())
    users = sorted(User.objects.values_list("username", "display_name"))
    return [sorted(rows, key=repr), ids, users]


class _Undo(Exception):
    pass


def seed_people(customers: int, seed_no: int) -> None:
    """What ``manage.py seed`` does first: the organisation and its customers, from the seed number
    (the rest of the demo — visits, orders, receivables — is seeded by the command in the tests below;
    it takes half a minute each time, so the generator's own properties are checked on this part)."""
    from core import demo
    from customers.demo import seed_customers

    ctx = demo.make_context(seed_no)
    demo.seed_org(ctx, regions=2, salespeople=6)
    seed_customers(ctx, count=customers)


def seeded_snapshot(customers: int, seed_no: int) -> list[tuple]:
    """Seed inside a transaction, read everything, roll back (the database is empty again)."""
    result = []
    with pytest.raises(_Undo), transaction.atomic():
        seed_people(customers, seed_no)
        result = snapshot()
        raise _Undo
    assert not Company.objects.exists()
    return result


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(db):
    first = seeded_snapshot(50, 7)
    again = seeded_snapshot(50, 7)
    other = seeded_snapshot(50, 8)
    assert len(first[0]) == 50
    assert first == again
    assert [r[:2] for r in first[0]] != [r[:2] for r in other[0]]


def test_generated_phones_and_id_numbers_are_valid(db):
    seed_people(50, 2026)
    customers = list(Customer.objects.all())
    assert len(customers) == 50
    phones = [c.phone for c in customers]
    assert len(set(phones)) == len(phones)
    for phone in phones:
        number = phonenumbers.parse(phone, "CN")
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.region_code_for_number(number) == "CN"
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, phone
    id_numbers = [c.id_number for c in customers if c.id_number]
    assert id_numbers, "the demo data should include some ID-card numbers"
    for number in id_numbers:
        assert rules.valid_id_number(number), number
        dt.date.fromisoformat(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")  # a real birthday
        assert number.startswith("37")  # the reference dealer's province, Shandong
    for c in customers:
        assert c.initials == rules.pinyin_initials(c.name)[:40]
        assert c.in_pool == (c.owner_id is None)


def test_every_role_has_a_demo_login_with_to_dos(db):
    seed("--customers", "20", "--quiet")
    assert set(UserRole.objects.values_list("role", flat=True)) == set(Role.values)
    for user in User.objects.filter(company__isnull=False):
        assert Todo.objects.filter(user=user).exists(), user.username
    client = Client()
    admin = UserRole.objects.filter(role=Role.ADMIN).first().user
    response = client.post("/login/", {"username": admin.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_if_empty_twice_is_safe(db):
    seed("--customers", "10", "--if-empty", "--quiet")
    counts = (Company.objects.count(), User.objects.count(), Customer.objects.count(), Todo.objects.count())
    assert counts[0] == 1 and counts[2] == 10
    out = seed("--customers", "10", "--if-empty")
    assert "already" in out
    assert (Company.objects.count(), User.objects.count(), Customer.objects.count(), Todo.objects.count()) == counts


def test_without_if_empty_a_database_with_data_is_refused(org):
    customers = Customer.objects.count()
    with pytest.raises(CommandError, match="already holds data"):
        seed("--customers", "10", "--quiet")
    assert Customer.objects.count() == customers
    assert Company.objects.count() == 1


@pytest.mark.parametrize("args", [("--customers", "-1"), ("--regions", "0"), ("--salespeople", "0")])
def test_nonsense_arguments_are_refused(db, args):
    with pytest.raises(CommandError):
        seed(*args, "--quiet")
    assert not Company.objects.exists()
