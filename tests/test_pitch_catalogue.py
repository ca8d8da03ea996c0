"""The catalogue (产品目录): specs, prices with validity dates, selling points by dimension, the
comparison with a competitor's model; pages, API, admin and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from customers.models import CompetitorMachine
from pitch import rules, selectors, services
from pitch.demo import seed_catalogue
from pitch.models import Price, Product, SellingPoint
from pitch.specs import SPEC_FIELDS

TODAY = dt.date(2026, 12, 1)


def make_product(company, code="HY65-9", **specs) -> Product:
    defaults = {
        "brand": "恒岳",
        "operating_weight_kg": 6050,
        "bucket_m3": Decimal("0.23"),
        "engine_power_kw": Decimal("40.0"),
        "engine_model": "洋马 4TNV94L",
        "digging_force_kn": Decimal("46.5"),
        "digging_depth_mm": 3920,
        "digging_reach_mm": 6230,
        "tail_swing": "conventional",
    }
    return Product.objects.create(company=company, code=code, name="小挖", **(defaults | specs))


def make_competitor(company, model="SY60C", **specs) -> CompetitorMachine:
    defaults = {
        "operating_weight_kg": 5780,
        "bucket_m3": Decimal("0.23"),
        "engine_power_kw": Decimal("36.2"),
        "engine_model": "洋马 4TNV94L",
        "digging_force_kn": Decimal("45.0"),
        "digging_depth_mm": 3880,
        "digging_reach_mm": 6300,
        "tail_swing": "short",
    }
    return CompetitorMachine.objects.create(company=company, brand="三一", model=model, **(defaults | specs))


# --- shared specs: one definition for both models ------------------------------------------------


def test_products_and_competitor_machines_share_the_spec_fields():
    for field in (*SPEC_FIELDS, "other_specs"):
        ours, theirs = Product._meta.get_field(field), CompetitorMachine._meta.get_field(field)
        assert type(ours) is type(theirs) and ours.verbose_name == theirs.verbose_name
    # the competitor keeps its free-text fields
    assert CompetitorMachine._meta.get_field("specs").get_internal_type() == "TextField"


# --- comparison rules ------------------------------------------------------------------------------


def test_more_digging_force_is_better_more_weight_is_neutral():
    rows = {
        r.field: r
        for r in rules.compare(
            {"digging_force_kn": Decimal("46.5"), "operating_weight_kg": 6050, "digging_reach_mm": 6230},
            {"digging_force_kn": Decimal("45.0"), "operating_weight_kg": 5780, "digging_reach_mm": 6300},
        )
    }
    assert rows["digging_force_kn"].verdict == rules.BETTER and rows["digging_force_kn"].difference == Decimal("1.5")
    assert rows["digging_reach_mm"].verdict == rules.WORSE and rows["digging_reach_mm"].difference == -70
    assert rows["operating_weight_kg"].verdict == rules.DIFFERENT and rows["operating_weight_kg"].difference == 270
    assert rows["bucket_m3"].verdict == rules.UNKNOWN  # no value on either side


def test_lower_is_better_direction_and_equal_values():
    assert rules.verdict(rules.LOWER, 5, 6) == rules.BETTER
    assert rules.verdict(rules.LOWER, 7, 6) == rules.WORSE
    assert rules.verdict(rules.HIGHER, 6, 6) == rules.SAME
    assert rules.verdict(rules.NEUTRAL, "short", "zero") == rules.DIFFERENT
    assert rules.verdict(rules.HIGHER, None, 6) == rules.UNKNOWN


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_swapping_the_machines_swaps_better_and_worse(a, b):
    swap = {rules.BETTER: rules.WORSE, rules.WORSE: rules.BETTER, rules.SAME: rules.SAME}
    assert rules.verdict(rules.HIGHER, b, a) == swap[rules.verdict(rules.HIGHER, a, b)]


@given(
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    st.integers(0, 400),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    st.integers(0, 400),
)
def test_ranges_overlap_exactly_when_they_share_a_day(a, alen, b, blen):
    a_to, b_to = a + dt.timedelta(days=alen), b + dt.timedelta(days=blen)
    shared = max(a, b) <= min(a_to, b_to)
    assert rules.overlaps(a, a_to, b, b_to) == shared
    assert rules.overlaps(a, None, b, b_to) == (b_to >= a)


def test_compare_selector_labels_and_verdicts(org):
    product, machine = make_product(org.company), make_competitor(org.company)
    data = selectors.compare(org.sales_a1, product.pk, machine.pk)
    rows = {r["field"]: r for r in data["rows"]}
    assert [r["field"] for r in data["rows"]] == list(SPEC_FIELDS)
    assert rows["digging_force_kn"]["verdict"] == "better"
    assert rows["digging_reach_mm"]["verdict"] == "worse"
    assert rows["operating_weight_kg"]["verdict"] == "different"
    assert rows["engine_model"]["verdict"] == "same"
    assert rows["tail_swing"]["ours"] != "conventional"  # shown with its label


# --- prices ----------------------------------------------------------------------------------------


def test_the_current_price_is_the_one_valid_today(org):
    product = make_product(org.company)
    services.price_add(
        actor=org.admin,
        product=product,
        list_price_fen=37_800_000,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 6, 30),
    )
    services.price_add(actor=org.admin, product=product, list_price_fen=36_800_000, valid_from=dt.date(2026, 7, 1))
    assert selectors.catalogue(org.sales_a1, day=dt.date(2026, 3, 1)).get().price_fen == 37_800_000
    assert selectors.catalogue(org.sales_a1, day=TODAY).get().price_fen == 36_800_000
    assert selectors.catalogue(org.sales_a1, day=dt.date(2025, 12, 31)).get().price_fen is None
    assert selectors.product_detail(org.sales_a1, product.pk, day=TODAY)["price"].list_price_fen == 36_800_000


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2026, 6, 30), None),  # starts on the last day of the first
        (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),  # ends on its first day
        (dt.date(2026, 2, 1), dt.date(2026, 3, 1)),  # inside
        (dt.date(2025, 1, 1), None),  # open-ended over it
    ],
)
def test_overlapping_prices_are_refused_with_a_clear_message(org, start, end):
    product = make_product(org.company)
    services.price_add(
        actor=org.admin,
        product=product,
        list_price_fen=37_800_000,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 6, 30),
    )
    with pytest.raises(ValidationError) as e:
        services.price_add(actor=org.admin, product=product, list_price_fen=36_800_000, valid_from=start, valid_to=end)
    message = e.value.message_dict["valid_from"][0]
    assert "HY65-9" in message and "2026-01-01" in message and "2026-06-30" in message
    assert Price.objects.count() == 1


def test_an_open_ended_price_blocks_later_ones_until_it_is_ended(org):
    product = make_product(org.company)
    first = services.price_add(actor=org.admin, product=product, list_price_fen=1_000, valid_from=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        services.price_add(actor=org.admin, product=product, list_price_fen=2_000, valid_from=dt.date(2027, 1, 1))
    services.price_end(actor=org.admin, price=first, valid_to=dt.date(2026, 12, 31))
    services.price_add(actor=org.admin, product=product, list_price_fen=2_000, valid_from=dt.date(2027, 1, 1))
    assert Price.objects.count() == 2


def test_invalid_prices_are_refused(org):
    product = make_product(org.company)
    with pytest.raises(ValidationError) as e:
        services.price_add(
            actor=org.admin,
            product=product,
            list_price_fen=0,
            valid_from=dt.date(2026, 2, 1),
            valid_to=dt.date(2026, 1, 1),
        )
    assert "list_price_fen" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.price_add(
            actor=org.admin,
            product=product,
            list_price_fen=100,
            valid_from=dt.date(2026, 2, 1),
            valid_to=dt.date(2026, 1, 1),
        )
    assert "valid_to" in e.value.message_dict


def test_only_administrators_change_the_catalogue(org, other):
    product = make_product(org.company)
    for user in (org.sales_a1, org.manager_a, org.service, org.finance, other.admin):
        with pytest.raises(PermissionError):
            services.price_add(actor=user, product=product, list_price_fen=100, valid_from=TODAY)
        with pytest.raises(PermissionError):
            services.selling_point_add(actor=user, product=product, dimension="core", title="省油")
        with pytest.raises(PermissionError):
            services.product_specs_update(actor=user, product=product, digging_force_kn=Decimal("50"))
    point = services.selling_point_add(actor=org.admin, product=product, dimension="form", title="驾驶室舒适")
    assert point.company_id == org.company.pk
    services.product_specs_update(actor=org.admin, product=product, digging_force_kn=Decimal("50"))
    product.refresh_from_db()
    assert product.digging_force_kn == Decimal("50")
    with pytest.raises(ValidationError):
        services.selling_point_add(actor=org.admin, product=product, dimension="other", title="")


# --- pages ------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(org):
    seed_catalogue(org.company, today=TODAY)
    # the competitor machines created by the seeder carry their specs
    return Product.objects.get(company=org.company, code="HY65-9"), CompetitorMachine.objects.get(
        company=org.company, model="SY60C"
    )


def test_the_demo_catalogue_is_complete(org, catalogue):
    product, machine = catalogue
    assert Product.objects.filter(company=org.company).count() == 4
    assert product.operating_weight_kg == 6050 and product.bucket_m3 == Decimal("0.23")
    assert {p.dimension for p in product.selling_points.all()} == {"core", "form", "extended"}
    assert machine.digging_force_kn and machine.digging_depth_mm
    # running it again adds nothing
    seed_catalogue(org.company, today=TODAY)
    assert Price.objects.filter(product=product).count() == 2
    assert SellingPoint.objects.filter(product=product).count() == product.selling_points.count()


def test_a_salesperson_reads_the_catalogue_pages(org, client_as, catalogue):
    product, machine = catalogue
    client = client_as(org.sales_a1)
    page = client.get("/pitch/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "HY65-9" in body and "HY20-9" in body and "¥" in body
    assert "/admin/pitch/product/" not in body  # no management link for a salesperson
    detail = client.get(f"/pitch/products/{product.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "省油多赚钱" in text and 'data-testid="dimension-extended"' in text and "6050" in text
    compare = client.get(f"/pitch/compare/?product={product.pk}&competitor={machine.pk}")
    assert compare.status_code == 200
    html = compare.content.decode()
    assert 'data-testid="row-digging_force_kn" data-verdict="better"' in html
    assert 'data-testid="row-operating_weight_kg" data-verdict="different"' in html
    assert client.get("/pitch/compare/").status_code == 200
    assert client.get("/pitch/compare/?product=x").status_code == 200


def test_the_catalogue_is_in_the_menu_of_the_sales_side(org, client_as, catalogue):
    from core.navigation import navigation_for

    def labels(user):
        return [str(i["label"]) for g in navigation_for(user, "/pitch/")["groups"] for i in g["items"]]

    for user in (org.sales_a1, org.manager_a, org.admin, org.service):
        assert _zh("Catalogue (产品目录)") in labels(user)
    assert _zh("Catalogue (产品目录)") not in labels(org.finance)


def test_another_companys_products_are_not_found(org, other, client_as, catalogue):
    product, machine = catalogue
    client = client_as(other.sales)
    assert client.get(f"/pitch/products/{product.pk}/").status_code == 404
    theirs = make_product(other.company)
    assert (
        client_as(org.sales_a1).get(f"/pitch/compare/?product={theirs.pk}&competitor={machine.pk}").status_code == 404
    )


# --- API --------------------------------------------------------------------------------------------


def test_the_api_lists_reads_and_compares(org, api_as, catalogue):
    product, machine = catalogue
    api = api_as(org.sales_a1)
    listing = api.get("/api/pitch/products")
    assert listing.status_code == 200
    data = listing.json()
    assert data["count"] == 4 and {i["model"] for i in data["items"]} >= {"HY65-9", "HY20-9"}
    one = api.get(f"/api/pitch/products/{product.pk}")
    assert one.status_code == 200
    body = one.json()
    assert body["specs"]["operating_weight_kg"] == 6050 and body["specs"]["bucket_m3"] == "0.23"
    assert body["price_fen"] is not None and set(body["selling_points"]) == {"core", "form", "extended"}
    compare = api.get(f"/api/pitch/compare?product={product.pk}&competitor={machine.pk}")
    assert compare.status_code == 200
    rows = {r["field"]: r for r in compare.json()["rows"]}
    assert rows["digging_force_kn"]["verdict"] == "better"
    assert api.get("/api/pitch/compare?product=x&competitor=1").status_code == 400
    assert api.get("/api/pitch/products?typo=1").status_code == 400
    assert api.get("/api/pitch/products/999999").status_code == 404


# --- admin ------------------------------------------------------------------------------------------


def test_only_administrators_change_products_in_the_admin(org, client_as, catalogue):
    product, _machine = catalogue
    admin = client_as(org.admin)
    assert admin.get("/admin/pitch/product/").status_code == 200
    assert admin.get(f"/admin/pitch/product/{product.pk}/change/").status_code == 200
    assert admin.get("/admin/pitch/sellingpoint/").status_code == 200
    assert admin.get("/admin/pitch/price/").status_code == 200
    # an overlapping price is refused by the admin form with the service's message
    response = admin.post(
        "/admin/pitch/price/add/",
        {"product": product.pk, "list_price_fen": "100", "valid_from": "2026-12-01", "valid_to": ""},
    )
    assert response.status_code == 200 and "同一产品每天只能有一个价格" in response.content.decode()
    ok = admin.post(
        "/admin/pitch/price/add/",
        {"product": product.pk, "list_price_fen": "100", "valid_from": "2020-01-01", "valid_to": "2020-12-31"},
    )
    assert ok.status_code == 302 and Price.objects.filter(valid_from=dt.date(2020, 1, 1)).get().company == org.company
    sales = client_as(org.sales_a1)
    assert sales.get(f"/admin/pitch/product/{product.pk}/change/").status_code in (302, 403)
    assert sales.post("/admin/pitch/sellingpoint/add/", {"product": product.pk}).status_code in (302, 403)


# --- query counts -----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_catalogue_queries_do_not_grow_with_products(org, client_as, api_as, catalogue):
    client, api = client_as(org.sales_a1), api_as(org.sales_a1)
    page, listing = _queries(client, "/pitch/"), _queries(api, "/api/pitch/products")
    product = Product.objects.get(company=org.company, code="HY65-9")
    detail = _queries(client, f"/pitch/products/{product.pk}/")
    for i in range(10):
        extra = make_product(org.company, code=f"X{i}")
        services.price_add(actor=org.admin, product=extra, list_price_fen=100, valid_from=TODAY)
        services.selling_point_add(actor=org.admin, product=product, dimension="core", title=f"卖点{i}")
    assert _queries(client, "/pitch/") == page
    assert _queries(api, "/api/pitch/products") == listing
    assert _queries(client, f"/pitch/products/{product.pk}/") == detail


def test_administrators_enter_a_competitor_machines_specs_in_the_admin(org, other, client_as):
    machine = make_competitor(org.company)
    make_competitor(other.company, model="THEIRS-60")
    client = client_as(org.admin)
    listing = client.get("/admin/customers/competitormachine/")
    assert listing.status_code == 200 and "SY60C" in listing.content.decode()
    assert "THEIRS-60" not in listing.content.decode()
    page = client.get(f"/admin/customers/competitormachine/{machine.pk}/change/")
    assert page.status_code == 200 and "digging_force_kn" in page.content.decode()


def _zh(msgid: str) -> str:
    """The label a user of the default language reads."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(translation.gettext(msgid))
