"""The customer list's filters: every dimension, grade, tier, owner, area, pool and 'fits model X'."""

from customers import services
from customers.models import SegmentFit
from pitch.models import Product

from .factories import make_customer


def names(response):
    body = response.content.decode()
    start = body.find('data-testid="customer-list"')
    return body[start:] if start >= 0 else ""


def test_filter_by_dimensions_tier_and_mine(org, client_as):
    services.customer_classify(actor=org.sales_a1, customer=org.cust_a1, scale="individual", capital="1")
    services.customer_classify(actor=org.manager_a, customer=org.cust_a2, scale="contractor", capital="5")
    services.tier_set(actor=org.manager_a, customer=org.cust_a2, tier="gold")
    manager = client_as(org.manager_a)
    listed = names(manager.get("/customers/", {"scale": "individual"}))
    assert org.cust_a1.name in listed and org.cust_a2.name not in listed
    listed = names(manager.get("/customers/", {"capital": "5", "tier": "gold"}))
    assert org.cust_a2.name in listed and org.cust_a1.name not in listed
    sales = client_as(org.sales_a1)
    listed = names(sales.get("/customers/", {"mine": "1"}))
    assert org.cust_a1.name in listed and org.cust_pool.name not in listed


def test_fits_model_x_follows_the_positioning_the_administrator_set(org, client_as):
    product = Product.objects.create(company=org.company, code="HY65-9", name="6.5 吨小挖")
    SegmentFit.objects.create(
        company=org.company,
        product=product,
        work_type="engineering",
        engineering_kind="municipal",
        scale="individual",
        score=90,
    )
    SegmentFit.objects.create(
        company=org.company, product=product, work_type="mining", engineering_kind="", scale="contractor", score=20
    )
    municipal = make_customer(org.sales_a1, region=org.region_a, name="市政个体户老吴", owner=org.sales_a1)
    services.customer_classify(
        actor=org.sales_a1,
        customer=municipal,
        work_type="engineering",
        engineering_kind="municipal",
        scale="individual",
    )
    mine = make_customer(org.sales_a1, region=org.region_a, name="大矿老板", owner=org.sales_a1)
    services.customer_classify(actor=org.sales_a1, customer=mine, work_type="mining", scale="contractor")
    listed = names(client_as(org.sales_a1).get("/customers/", {"fits": product.pk}))
    assert municipal.name in listed and mine.name not in listed  # 20 is under the fit threshold (60)


def test_invalid_filters_are_named_on_the_page_and_in_the_api(org, client_as, api_as):
    body = client_as(org.sales_a1).get("/customers/", {"scale": "giant"}).content.decode()
    assert 'role="alert"' in body and "giant" in body
    response = api_as(org.sales_a1).get("/api/customers?scale=giant&capital=9")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"scale", "capital"}
    ok = api_as(org.sales_a1).get("/api/customers?mine=1")
    assert ok.status_code == 200 and {c["id"] for c in ok.json()["items"]} == {org.cust_a1.pk}


def test_sorting_by_grade_and_by_longest_without_follow_up(org, client_as):
    import datetime as dt

    from django.utils import timezone

    from customers.models import Customer

    now = timezone.now()
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=now - dt.timedelta(days=2))
    Customer.objects.filter(pk=org.cust_a2.pk).update(last_followup_at=now - dt.timedelta(days=40))
    Customer.objects.filter(pk=org.cust_pool.pk).update(last_followup_at=now)
    manager = client_as(org.manager_a)

    def order(sort):
        body = names(manager.get("/customers/", {"sort": sort}))
        found = [(body.find(c.name), c.name) for c in (org.cust_a1, org.cust_a2, org.cust_pool)]
        return [n for _i, n in sorted(found)]

    # grades: a1 6, a2 3, pool 1 — highest first
    assert order("grade") == [org.cust_a1.name, org.cust_a2.name, org.cust_pool.name]
    assert order("followup") == [org.cust_a2.name, org.cust_a1.name, org.cust_pool.name]


def test_a_salespersons_pages_read_each_half_by_its_index_and_match_the_plain_order(org, client_as):
    """Own customers OR the pool, newest first: every page is what sorting all visible rows gives."""
    import datetime as dt

    from django.utils import timezone

    from customers import selectors
    from customers.models import Customer
    from tests.factories import make_customer

    start = timezone.now() - dt.timedelta(days=10)
    for i in range(60):
        c = make_customer(org.manager_a, region=org.region_a, owner=org.sales_a1 if i % 3 else None, name=f"翻页{i}")
        # interleave own and pool customers in time, with ties on updated_at broken by id
        Customer.objects.filter(pk=c.pk).update(updated_at=start + dt.timedelta(hours=i // 2))
    qs = selectors.customer_search(org.sales_a1)
    assert selectors.first_rows(org.sales_a1, qs) is not None
    expected = list(qs.values_list("name", flat=True))
    assert len(expected) > 50
    client = client_as(org.sales_a1)
    seen = []
    for number in (1, 2, 3):
        page = client.get(f"/customers/?page={number}").context["page_obj"]
        seen += [c.name for c in page.object_list]
    assert seen == expected[: len(seen)] and len(seen) == len(expected)
    # a manager's list (one region) is not split
    assert selectors.first_rows(org.manager_a, selectors.customer_search(org.manager_a)) is None
