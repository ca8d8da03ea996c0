"""De-duplication on create and merging duplicates (SPEC §1 data; issue: keep all history and relations)."""

from customers import services
from customers.models import Customer, CustomerMachine, Relation

from .factories import make_customer


def new_customer(client, org, **extra):
    data = {
        "name": "济南鑫达土石方工程队",
        "kind": "company",
        "phone": "",
        "grade": "",
        "region": org.region_a.pk,
        "province": "山东省",
        "city": "济南市",
        "district": "历城区",
    } | extra
    return client.post("/customers/new/", data)


def test_a_near_identical_name_in_the_same_area_is_shown_before_creating(org, client_as):
    services.customer_update(actor=org.sales_a1, customer=org.cust_a1, city="济南市", district="历城区")
    client = client_as(org.sales_a1)
    before = Customer.objects.count()
    response = new_customer(client, org, name="济南 鑫达土石方工程队")  # a stray space
    body = response.content.decode()
    assert response.status_code == 422 and Customer.objects.count() == before
    assert 'data-testid="duplicates"' in body and f'href="/customers/{org.cust_a1.pk}/"' in body
    # the salesperson says it is another customer: created
    response = new_customer(client, org, name="济南 鑫达土石方工程队", not_duplicate="1")
    assert response.status_code == 302 and Customer.objects.count() == before + 1


def test_a_duplicate_mobile_is_refused_and_named(org, client_as):
    services.customer_update(actor=org.sales_a2, customer=org.cust_a2, phone="13811112222")
    response = new_customer(client_as(org.sales_a1), org, name="另一个名字", phone="138 1111 2222")
    body = response.content.decode()
    assert response.status_code == 422 and 'data-testid="duplicates"' in body
    # the other salesperson's customer is named but not linked: sales_a1 may not open it
    assert org.cust_a2.name in body and f'href="/customers/{org.cust_a2.pk}/"' not in body


def test_merge_keeps_history_and_relations(org, client_as):
    dup = make_customer(org.manager_a, region=org.region_a, name="济南鑫达土石方工程队 ", owner=org.sales_a2)
    for c in (org.cust_a1, dup):  # both recorded in the same district
        services.customer_update(actor=org.manager_a, customer=c, city="济南市", district="历城区")
    services.customer_update(actor=org.manager_a, customer=dup, phone="13900001111", address="历城区工业南路8号")
    services.relation_add(actor=org.manager_a, customer=dup, kind="family", name="刘大姐", relation="妻子")
    services.machine_add(actor=org.manager_a, customer=dup, brand="卡特", model="305.5")
    services.grade_set(actor=org.manager_a, customer=dup, grade=9, reason="在比价")
    client = client_as(org.manager_a)
    body = client.get(f"/customers/{org.cust_a1.pk}/").content.decode()
    assert 'data-testid="merge"' in body and dup.name.strip() in body
    phone_before = Customer.objects.get(pk=org.cust_a1.pk).phone
    response = client.post(f"/customers/{org.cust_a1.pk}/merge/", {"duplicate": dup.pk})
    assert response.status_code == 302
    keep = Customer.objects.get(pk=org.cust_a1.pk)
    assert keep.phone == phone_before and keep.address == "历城区工业南路8号"  # only blanks are filled
    assert Relation.objects.get(name="刘大姐").customer == keep
    assert CustomerMachine.objects.get(brand="卡特").customer == keep
    assert keep.status_changes.filter(reason="在比价").exists()
    # the duplicate leaves the lists, its page leads to the customer it was merged into …
    listing = client.get("/customers/").content.decode()
    assert f'href="/customers/{dup.pk}/"' not in listing and f'href="/customers/{keep.pk}/"' in listing
    assert client.get(f"/customers/{dup.pk}/")["Location"] == f"/customers/{keep.pk}/"
    # … and its history is read on that customer's page
    history = client.get(f"/customers/{keep.pk}/").content.decode().split('id="history"')[1]
    assert "历城区工业南路8号" in history and "刘大姐" in client.get(f"/customers/{keep.pk}/").content.decode()


def test_a_salesperson_cannot_merge_someone_elses_customer(org, client_as):
    response = client_as(org.sales_a1).post(f"/customers/{org.cust_a1.pk}/merge/", {"duplicate": org.cust_a2.pk})
    assert response.status_code == 404
    assert Customer.objects.get(pk=org.cust_a2.pk).merged_into is None
