"""The audit trail: every create, update and delete of a customer, whichever door it came through."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.utils import translation

from core import audit
from core.models import AuditEntry, Channel
from customers import services
from customers.models import Customer

from .factories import make_id_number


def entries_for(customer_pk) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(content_type__model="customer", object_id=str(customer_pk)).order_by("at", "id")
    )


def form_data(customer: Customer | None = None, **overrides) -> dict:
    data = {
        "name": "",
        "kind": "person",
        "phone": "",
        "grade": "",
        "region": "",
        "province": "",
        "city": "",
        "district": "",
        "address": "",
        "id_number": "",
    }
    if customer is not None:
        data |= {
            "name": customer.name,
            "kind": customer.kind,
            "phone": customer.phone,
            "grade": "" if customer.grade is None else str(customer.grade),
            "region": customer.region_id,
            "province": customer.province,
            "city": customer.city,
            "district": customer.district,
            "address": customer.address,
        }
    return data | overrides


def test_create_update_through_the_pages_are_recorded_with_channel_page(org, client_as):
    client = client_as(org.sales_a1)
    response = client.post(
        "/customers/new/",
        form_data(name="泰安宏达土石方", phone="139 1234 5678", grade="6", region=org.region_a.pk, city="泰安市"),
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="泰安宏达土石方")
    [created] = entries_for(customer.pk)
    assert (created.action, created.channel, created.actor) == ("create", "page", org.sales_a1)
    assert created.changes["name"] == [None, "泰安宏达土石方"]
    assert created.changes["phone"] == [None, "13912345678"]
    assert created.changes["grade"] == [None, 6]
    assert created.changes["owner"] == [None, org.sales_a1.pk]
    assert created.company_id == org.company.pk

    response = client.post(
        f"/customers/{customer.pk}/edit/", form_data(customer, grade="9", address="泰山区岱宗大街1号")
    )
    assert response.status_code == 302
    created_again, updated = entries_for(customer.pk)
    assert created_again == created
    assert (updated.action, updated.channel, updated.actor) == ("update", "page", org.sales_a1)
    # only what changed, old -> new
    assert updated.changes == {"grade": [6, 9], "address": ["", "泰山区岱宗大街1号"]}


def test_saving_without_a_change_writes_no_entry(org, client_as):
    before = len(entries_for(org.cust_a1.pk))
    response = client_as(org.sales_a1).post(f"/customers/{org.cust_a1.pk}/edit/", form_data(org.cust_a1))
    assert response.status_code == 302
    assert len(entries_for(org.cust_a1.pk)) == before


def test_create_update_delete_through_the_api_are_recorded_with_channel_api(org, api_as):
    api = api_as(org.manager_a)
    response = api.post(
        "/api/customers", {"name": "章丘恒通机械租赁", "region": org.region_a.pk, "phone": "13698765432"}
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert api.patch(f"/api/customers/{pk}", {"grade": 3, "city": "济南市"}).status_code == 200
    assert api.delete(f"/api/customers/{pk}").status_code == 204
    assert not Customer.objects.filter(pk=pk).exists()

    created, updated, deleted = entries_for(pk)
    assert [e.action for e in (created, updated, deleted)] == ["create", "update", "delete"]
    assert {e.channel for e in (created, updated, deleted)} == {"api"}
    assert {e.actor for e in (created, updated, deleted)} == {org.manager_a}
    assert created.changes["name"] == [None, "章丘恒通机械租赁"]
    assert updated.changes == {"grade": [None, 3], "city": ["", "济南市"]}
    assert deleted.object_repr == "章丘恒通机械租赁"
    # the API's context does not leak into whatever runs next in this thread
    assert audit.current().channel == Channel.SYSTEM and audit.current().actor is None


def test_delete_through_the_admin_site_is_recorded_with_channel_admin(org, client_as):
    customer = org.cust_b1
    response = client_as(org.admin).post(f"/admin/customers/customer/{customer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    deleted = entries_for(customer.pk)[-1]
    assert (deleted.action, deleted.channel, deleted.actor) == ("delete", "admin", org.admin)


def test_import_context_attributes_changes_to_the_importing_user(org):
    with audit.acting(org.admin, Channel.IMPORT):
        customer = services.customer_create(
            actor=org.admin, name="导入客户", region_id=org.region_b.pk, phone="13512345678"
        )
        services.customer_update(actor=org.admin, customer=customer, grade=1)
    created, updated = entries_for(customer.pk)
    assert (created.channel, created.actor, created.action) == ("import", org.admin, "create")
    assert (updated.channel, updated.actor, updated.changes) == ("import", org.admin, {"grade": [None, 1]})


def test_job_context_without_a_user_records_the_job_channel(org):
    customer = org.cust_a2
    with audit.acting(None, Channel.JOB):
        Customer.objects.filter(pk=customer.pk).get().delete()
    deleted = entries_for(customer.pk)[-1]
    assert (deleted.action, deleted.channel, deleted.actor) == ("delete", "job", None)


def test_changes_outside_any_context_are_the_systems(org):
    customer = Customer.objects.get(pk=org.cust_a1.pk)
    customer.address = "历下区经十路100号"
    customer.save()
    entry = entries_for(customer.pk)[-1]
    assert (entry.channel, entry.actor, entry.changes) == ("system", None, {"address": ["", "历下区经十路100号"]})


@pytest.mark.parametrize("reader", ["orm", "raw"])
def test_the_id_number_never_appears_in_plain_text_in_the_trail(org, client_as, api_as, reader):
    first, second = make_id_number(), make_id_number()
    client_as(org.sales_a1).post(
        "/customers/new/", form_data(name="身份证客户", phone="13712345678", region=org.region_a.pk, id_number=first)
    )
    customer = Customer.objects.get(name="身份证客户")
    assert customer.id_number == first
    assert api_as(org.sales_a1).patch(f"/api/customers/{customer.pk}", {"id_number": second}).status_code == 200
    entries = entries_for(customer.pk)
    assert [e.action for e in entries] == ["create", "update"]
    # the change is recorded, the values are not
    old, new = entries[0].changes["id_number"]
    assert not old and new == "***"
    assert entries[1].changes["id_number"] == ["***", "***"]
    if reader == "orm":
        stored = [json.dumps(e.changes, ensure_ascii=False) + e.object_repr for e in AuditEntry.objects.all()]
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT changes, object_repr FROM {AuditEntry._meta.db_table}")
            stored = [f"{changes}{object_repr}" for changes, object_repr in cursor.fetchall()]
    for text in stored:
        assert first not in text and second not in text
        assert first[-8:] not in text  # not even its tail


def test_audit_entries_cannot_be_changed_or_deleted(org):
    entry = AuditEntry.objects.filter(company=org.company).first()
    original = (entry.action, entry.changes)
    entry.action = "delete"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    fresh = AuditEntry.objects.get(pk=entry.pk)
    assert (fresh.action, fresh.changes) == original


def test_the_customer_page_shows_its_history(org, client_as):
    client = client_as(org.sales_a1)
    customer = org.cust_a1
    client.post(f"/customers/{customer.pk}/edit/", form_data(customer, grade="9"))
    body = client.get(f"/customers/{customer.pk}/").content.decode()
    history = body[body.index('id="history"') :]
    assert history.count('class="history-entry"') == len(entries_for(customer.pk)) == 2
    assert "张建国" in history  # who changed it
    # what changed, from what to what — in words a person reads: the field's label and the grades' labels
    label = str(Customer._meta.get_field("grade").verbose_name)
    with translation.override("zh-hans"):
        label = translation.gettext(label)
        old, new = str(Customer.Grade(6).label), str(Customer.Grade(9).label)
    assert f'<span class="field-label">{label}</span>：{old} → {new}' in history
    assert "initials" not in history and "id_number_index" not in history  # derived columns are not history


def test_history_cannot_be_rewritten_in_bulk(org):
    from core.models import SensitiveAccess

    entries = AuditEntry.objects.filter(object_id=str(org.cust_a1.pk))
    before = list(entries.values_list("pk", "changes"))
    assert before, "creating the customer left an entry"
    with pytest.raises(PermissionError):
        entries.update(changes={})
    with pytest.raises(PermissionError):
        entries.delete()
    with pytest.raises(PermissionError):
        SensitiveAccess.objects.all().delete()
    assert list(entries.values_list("pk", "changes")) == before
