"""Sensitive personal data: the ID-card number is encrypted at rest, masked on screen, every reveal logged."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from core import sensitive
from core.models import SensitiveAccess
from customers.models import Customer

from .factories import make_customer, make_id_number

PLAIN = "110101199003071234"  # not a valid number, but the masking does not care


@pytest.fixture
def holder(org):
    """A customer of salesperson A1 (region A) with an ID-card number on file."""
    number = make_id_number()
    customer = make_customer(org.sales_a1, region=org.region_a, name="王大锤", owner=org.sales_a1, id_number=number)
    return customer, number


def raw_id_number(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {Customer._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_id_number_is_stored_encrypted_and_read_back_plain(holder):
    customer, number = holder
    raw = raw_id_number(customer.pk)
    assert raw and raw != number
    assert number not in raw and number[-6:] not in raw
    assert Customer.objects.get(pk=customer.pk).id_number == number
    assert sensitive.decrypt(raw) == number


def test_the_same_number_encrypts_differently_each_time_but_has_one_blind_index(org):
    number = make_id_number()
    a = make_customer(org.manager_a, region=org.region_a, id_number=number)
    b = make_customer(org.manager_a, region=org.region_a, id_number=number.lower())
    assert raw_id_number(a.pk) != raw_id_number(b.pk)
    assert Customer.objects.filter(id_number_index=sensitive.blind_index(number)).count() == 2


def test_mask_example():
    assert sensitive.mask(PLAIN) == "1101**********1234"
    assert sensitive.mask("") == ""
    assert sensitive.mask(None) == ""


@given(st.text(alphabet="0123456789X", min_size=9, max_size=30))
def test_mask_keeps_four_characters_each_end_and_hides_the_rest(value):
    masked = sensitive.mask(value)
    assert len(masked) == len(value)
    assert masked[:4] == value[:4] and masked[-4:] == value[-4:]
    assert set(masked[4:-4]) == {"*"}


@given(st.text(alphabet="0123456789X", min_size=1, max_size=8))
def test_mask_of_a_short_value_shows_at_most_its_first_character(value):
    masked = sensitive.mask(value)
    assert len(masked) == len(value) and masked[0] == value[0] and set(masked[1:]) <= {"*"}


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_admin_and_finance_may_reveal_and_each_reveal_is_logged(org, client_as, holder, role):
    customer, number = holder
    user = getattr(org, role)
    client = client_as(user)
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    assert number not in detail  # masked until asked for
    assert sensitive.mask(number) in detail
    for expected_count in (1, 2):
        response = client.post(f"/customers/{customer.pk}/reveal-id/")
        assert response.status_code == 200
        assert f'<span data-testid="id-plain">{number}</span>' in response.content.decode()
        assert SensitiveAccess.objects.count() == expected_count
    access = SensitiveAccess.objects.first()
    assert (access.user, access.kind, access.field, access.object_id, access.channel) == (
        user,
        "reveal",
        "id_number",
        str(customer.pk),
        "page",
    )
    assert access.company_id == org.company.pk


@pytest.mark.parametrize("role", ["sales_a1", "manager_a"])
def test_salesperson_and_manager_may_not_reveal(org, client_as, holder, role):
    customer, number = holder
    response = client_as(getattr(org, role)).post(f"/customers/{customer.pk}/reveal-id/")
    assert response.status_code == 403
    assert number not in response.content.decode()
    assert not SensitiveAccess.objects.exists()


def test_reveal_of_a_customer_one_may_not_see_is_not_found(org, client_as):
    theirs = make_customer(org.sales_b1, region=org.region_b, owner=org.sales_b1, id_number=make_id_number())
    response = client_as(org.finance).post(f"/customers/{theirs.pk}/reveal-id/")  # finance covers region A only
    assert response.status_code == 404
    assert theirs.id_number not in response.content.decode()
    assert not SensitiveAccess.objects.exists()


def test_reveal_needs_post(org, client_as, holder):
    customer, _number = holder
    response = client_as(org.admin).get(f"/customers/{customer.pk}/reveal-id/")
    assert response.status_code == 405
    assert not SensitiveAccess.objects.exists()


def test_the_salespersons_pages_and_api_never_carry_the_plain_number(org, client_as, api_as, holder):
    customer, number = holder
    client = client_as(org.sales_a1)
    pages = {
        "list": client.get("/customers/"),
        "search": client.get("/customers/", {"q": "王大锤"}),
        "detail": client.get(f"/customers/{customer.pk}/"),
        "edit": client.get(f"/customers/{customer.pk}/edit/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert number not in response.content.decode(), name
    assert "王大锤" in pages["search"].content.decode()
    assert sensitive.mask(number) in pages["detail"].content.decode()
    api = api_as(org.sales_a1)
    for response in (api.get(f"/api/customers/{customer.pk}"), api.get("/api/customers")):
        assert number not in response.content.decode()
    assert api.get(f"/api/customers/{customer.pk}").json()["id_number_masked"] == sensitive.mask(number)


def _sheet_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(cell) for row in wb.active.iter_rows(values_only=True) for cell in row if cell is not None)


def test_export_masks_the_number_for_a_salesperson_and_logs_it_for_finance(org, client_as, holder):
    _customer, number = holder
    text = _sheet_text(client_as(org.sales_a1).get("/customers/export.xlsx").content)
    assert "王大锤" in text and number not in text and sensitive.mask(number) in text
    assert not SensitiveAccess.objects.exists()

    text = _sheet_text(client_as(org.finance).get("/customers/export.xlsx").content)
    assert number in text
    [access] = SensitiveAccess.objects.all()
    assert (access.user, access.kind, access.field) == (org.finance, "export", "id_number")
    assert access.row_count == 4  # every customer of region A, the region finance covers


def test_rotating_the_keys_re_encrypts_fields_and_files(holder, settings, tmp_path):
    """A new key in front, ``rotate_field_keys``, then the old key can go: fields and sensitive files
    (ID-card pictures, authorisations) are still read back plain with the new key alone."""
    from cryptography.fernet import Fernet
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    customer, number = holder
    storage = sensitive.EncryptedFileSystemStorage(location=tmp_path)
    name = storage.save("id-card.jpg", ContentFile(b"\xff\xd8\xff picture of an ID card"))
    assert (tmp_path / name).read_bytes().startswith(sensitive.FERNET_PREFIX)
    plain_name = "legacy.pdf"  # stored before encryption was switched on: read as it is, encrypted by rotation
    (tmp_path / plain_name).write_bytes(b"%PDF-1.4 legacy")
    assert storage.open(plain_name).read() == b"%PDF-1.4 legacy"

    old = settings.FIELD_ENCRYPTION_KEYS or []
    new_key = Fernet.generate_key().decode()
    if not old:  # the development key derived from SECRET_KEY stays readable during the rotation
        import base64
        import hashlib

        digest = hashlib.sha256(("field-key:" + settings.SECRET_KEY).encode()).digest()
        old = [base64.urlsafe_b64encode(digest).decode()]
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old]
    sensitive.reset_keys_cache()
    try:
        call_command("rotate_field_keys", stdout=io.StringIO())
        for stored in (name, plain_name):  # the command rotates the models' files; these are ours
            storage.reencrypt(stored)
        settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is dropped
        sensitive.reset_keys_cache()
        assert Customer.objects.get(pk=customer.pk).id_number == number
        assert storage.open(name).read() == b"\xff\xd8\xff picture of an ID card"
        assert storage.open(plain_name).read() == b"%PDF-1.4 legacy"
        assert b"%PDF" not in (tmp_path / plain_name).read_bytes()
    finally:
        sensitive.reset_keys_cache()
