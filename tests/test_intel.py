"""Market and industry intelligence (SPEC §2 visit notes): services, pages, API, bad input, visibility.

Grade-0 industry contacts with their kind's own fields, market projects linked to an area and to
customers with the excavator demand per area, competitors (dealers, machines, salespeople) linked to
the machines customers own today.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import audit
from core.models import AuditEntry, Channel
from customers import intel
from customers.models import (
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    CustomerMachine,
    IndustryContact,
    MarketProject,
)

from .factories import make_customer

EN = {"headers": {"Accept-Language": "en"}}


def english(exc: ValidationError) -> dict:
    return exc.message_dict


def contact(org, actor=None, *, kind="operator", name="王师傅", region=None, **fields) -> IndustryContact:
    actor = actor or org.sales_a1
    with audit.acting(actor, Channel.SYSTEM):
        return intel.contact_create(actor=actor, kind=kind, name=name, region_id=(region or org.region_a).pk, **fields)


def project(org, actor=None, *, name="济南绕城高速东段", region=None, **fields) -> MarketProject:
    actor = actor or org.manager_a
    with audit.acting(actor, Channel.SYSTEM):
        return intel.project_create(actor=actor, name=name, region_id=(region or org.region_a).pk, **fields)


def flagged(html: str) -> set[str]:
    """Names of the form fields the page marks as wrong (detail fields carry the "d-" prefix)."""
    return set(re.findall(r'<div class="field has-error">\s*<label for="id_([\w-]+)"', html))


# --- industry contacts: services ------------------------------------------------------------------


def test_an_operator_is_recorded_with_the_fields_of_its_kind(org):
    c = contact(
        org,
        phone="+86 １３９-１２３４-０００９",
        reputation="手稳，不糊弄",
        details={"age": "35", "home": "河南周口", "years": 12, "machine_types": ["60级", "200级"], "wage": "1.2万"},
    )
    c.refresh_from_db()
    assert c.phone == "13912340009"
    assert c.owner == org.sales_a1 and c.company == org.company
    assert c.details == {
        "age": 35,
        "home": "河南周口",
        "years": 12,
        "machine_types": ["60级", "200级"],
        "wage": "12000.00",
    }
    with translation.override("en"):
        rows = {r.label: r.value for r in intel.contact_details(c)}
    assert rows == {
        "Age": "35",
        "Home town (老家)": "河南周口",
        "Years operating": "12",
        "Machine types operated best": "60级；200级",
        "Monthly wage (yuan)": "¥12,000",
    }
    entry = AuditEntry.objects.get(object_id=str(c.pk), content_type__model="industrycontact")
    assert entry.action == "create" and entry.actor == org.sales_a1


def test_bad_input_names_every_field_and_writes_nothing(org):
    before = (IndustryContact.objects.count(), AuditEntry.objects.count())
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        contact(
            org,
            name="  ",
            phone="12345",
            details={"age": 200, "wage": "lots", "shoe_size": 42},
        )
    errors = english(caught.value)
    assert set(errors) == {"name", "phone", "details.age", "details.wage", "details.shoe_size"}
    assert errors["phone"] == ["“12345” is not a valid mainland mobile number."]
    assert errors["details.age"] == ["Enter a whole number from 16 to 80."]
    assert (IndustryContact.objects.count(), AuditEntry.objects.count()) == before


def test_details_are_merged_and_a_kind_change_drops_the_other_kinds_fields(org):
    c = contact(org, details={"age": 35, "home": "周口", "wage": 9000})
    intel.contact_update(actor=org.sales_a1, contact=c, details={"age": 36, "home": ""})
    c.refresh_from_db()
    assert c.details == {"age": 36, "wage": "9000.00"}
    intel.contact_update(
        actor=org.sales_a1, contact=c, kind="contractor", details={"company": "鑫达土石方", "staff": 20}
    )
    c.refresh_from_db()
    assert (c.kind, c.details) == ("contractor", {"company": "鑫达土石方", "staff": 20})


def test_an_update_that_breaks_a_rule_changes_nothing(org):
    c = contact(org, details={"age": 35})
    with pytest.raises(ValidationError) as caught:
        intel.contact_update(actor=org.sales_a1, contact=c, name="新名字", details={"years": 99})
    assert set(caught.value.message_dict) == {"details.years"}
    c.refresh_from_db()
    assert (c.name, c.details) == ("王师傅", {"age": 35})


def test_who_may_record_and_change_contacts(org):
    with pytest.raises(ValidationError) as caught:
        contact(org, org.sales_a1, region=org.region_b)
    assert set(caught.value.message_dict) == {"region"}
    for user in (org.finance, org.service):
        with pytest.raises(PermissionError):
            contact(org, user)
    mine = contact(org, org.sales_a2)
    with pytest.raises(PermissionError):  # sales_a1 reads the region's contacts, changes only its own
        intel.contact_update(actor=org.sales_a1, contact=mine, name="改名")
    with pytest.raises(PermissionError):
        intel.contact_delete(actor=org.sales_a1, contact=mine)
    intel.contact_update(actor=org.manager_a, contact=mine, reputation="靠谱")
    intel.contact_delete(actor=org.sales_a2, contact=mine)
    assert not IndustryContact.objects.filter(pk=mine.pk).exists()


def test_contact_search_by_name_mobile_kind_and_what_is_in_the_details(org):
    trader = contact(
        org,
        kind="used_trader",
        name="历城二手机市场老刘",
        phone="13912345678",
        details={"stock": ["三一SY75 2019年 28万", "卡特305.5 2018年 25万"], "wanted": ["HY65 2020年 20万以内"]},
    )
    operator = contact(org, name="赵师傅", details={"home": "山东临沂"})
    other_region = contact(org, org.sales_b1, region=org.region_b, name="临沂老孙", kind="repair_shop")

    def found(user=org.sales_a1, **f):
        return set(intel.contact_search(user, **f).values_list("pk", flat=True))

    assert found() == {trader.pk, operator.pk}
    assert found(q="SY75") == found(q="三一") == found(q="卡特") == {trader.pk}
    assert found(q="临沂") == {operator.pk}
    assert found(q="2345678") == {trader.pk}
    assert found(kind="operator") == {operator.pk}
    assert found(org.sales_b1) == {other_region.pk}
    assert found(org.service) == {other_region.pk}  # repair and parts shops of the engineer's region
    assert found(org.finance) == set()


# --- market projects: services ---------------------------------------------------------------------


def test_a_project_links_only_customers_the_actor_may_see(org):
    before = MarketProject.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        project(org, org.sales_a1, customers=[org.cust_a1.pk, org.cust_b1.pk])
    assert caught.value.message_dict == {
        "customers": [f"No customer #{org.cust_b1.pk} among the customers you can see."]
    }
    assert MarketProject.objects.count() == before
    p = project(org, org.sales_a1, customers=[org.cust_a1.pk, org.cust_pool.pk], expected_demand=6)
    assert set(p.customers.all()) == {org.cust_a1, org.cust_pool}


def test_unlinking_keeps_the_links_the_actor_cannot_see(org):
    p = project(org, org.manager_a, customers=[org.cust_a1.pk, org.cust_a2.pk])
    intel.project_update(actor=org.sales_a1, project=p, customers=[org.cust_pool.pk])
    # cust_a1 unlinked, cust_pool linked; cust_a2 (sales_a2's, invisible to sales_a1) stays
    assert set(p.customers.all()) == {org.cust_pool, org.cust_a2}
    intel.project_unlink_customer(actor=org.manager_a, project=p, customer=org.cust_a2)
    intel.project_link_customer(actor=org.manager_a, project=p, customer=org.cust_a1)
    assert set(p.customers.all()) == {org.cust_pool, org.cust_a1}
    with pytest.raises(PermissionError):
        intel.project_link_customer(actor=org.sales_a1, project=p, customer=org.cust_b1)


def test_linking_customers_is_in_the_projects_history(org):
    p = project(org, org.manager_a, customers=[org.cust_a1.pk])
    with audit.acting(org.manager_a, Channel.PAGE):
        intel.project_update(actor=org.manager_a, project=p, customers=[org.cust_a2.pk], expected_demand=3)
    with translation.override("en"):
        rows = audit.history_rows(p)
    changes = [c for row in rows for c in row.changes]
    assert ("customers", org.cust_a1.name, org.cust_a2.name) in changes
    assert ("customers", "—", org.cust_a1.name) in changes
    assert ("expected excavators needed", "—", "3") in changes


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"expected_demand": -1}, "expected_demand"),
        ({"expected_demand": 10_001}, "expected_demand"),
        ({"expected_demand": "many"}, "expected_demand"),
        ({"duration_months": 0}, "duration_months"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"starts_on": "1899-01-01"}, "starts_on"),
        ({"name": ""}, "name"),
        ({"publisher": "x" * 121}, "publisher"),
        ({"customers": "12"}, "customers"),
    ],
)
def test_project_values_out_of_range_are_named(org, fields, field):
    before = MarketProject.objects.count()
    with pytest.raises(ValidationError) as caught:
        project(org, **({"name": "项目"} | fields))
    assert list(caught.value.message_dict) == [field]
    assert MarketProject.objects.count() == before


def test_demand_by_area_adds_up_the_visible_projects_per_city_and_district(org):
    project(org, name="绕城高速", city="济南市", district="历城区", expected_demand=8)
    project(org, name="小清河治理", province="山东省", city="济南市", district="历城区", expected_demand=4)
    project(org, name="章丘园林", city="济南市", district="章丘区", expected_demand=15)
    project(org, name="老旧小区改造", city="济南市", district="章丘区")
    project(
        org, org.manager_b, name="临沂港", region=org.region_b, city="临沂市", district="兰山区", expected_demand=30
    )
    rows = intel.demand_by_area(org.sales_a1)
    assert [(r["city"], r["district"], r["projects"], r["demand"], r["unestimated"]) for r in rows] == [
        ("济南市", "章丘区", 2, 15, 1),
        ("济南市", "历城区", 2, 12, 0),
    ]
    assert sum(r["demand"] for r in intel.demand_by_area(org.admin)) == 57
    assert intel.demand_by_area(org.admin, region=org.region_b.pk)[0]["demand"] == 30
    assert intel.demand_by_area(org.finance) == []


def test_projects_of_a_customer_for_the_profile(org):
    p = project(org, customers=[org.cust_a1.pk])
    project(org, name="别的项目")
    assert list(intel.projects_of(org.sales_a1, org.cust_a1)) == [p]
    assert list(intel.projects_of(org.sales_b1, org.cust_a1)) == []  # a project of region A


# --- competitors: services --------------------------------------------------------------------------


def test_competitors_and_the_machines_customers_own(org, other):
    dealer = intel.dealer_create(actor=org.sales_a1, name="山东三一代理", brands="三一", policy="首付两成")
    machine = intel.machine_create(
        actor=org.sales_a1, brand="三一", model="SY75C", dealer_id=dealer.pk, selling_points="油耗低"
    )
    person = intel.salesperson_create(
        actor=org.sales_a1, dealer_id=dealer.pk, name="对手小李", phone="139 1234 0010", age="28", years=5
    )
    assert person.phone == "13912340010" and person.age == 28
    CustomerMachine.objects.create(
        company=org.company, customer=org.cust_a1, brand="三一", model="SY75C", count=2, competitor_machine=machine
    )
    CustomerMachine.objects.create(
        company=org.company, customer=org.cust_b1, brand="三一", model="SY75C", competitor_machine=machine
    )
    assert intel.machines_owned(org.sales_a1) == {machine.pk: {"customers": 1, "units": 2}}
    assert intel.machines_owned(org.admin) == {machine.pk: {"customers": 2, "units": 3}}
    assert [m.customer for m in intel.owners_of(org.sales_b1, machine)] == [org.cust_b1]
    # a dealer of another company cannot be chosen
    other_dealer = intel.dealer_create(actor=other.sales, name="苏北代理")
    with pytest.raises(ValidationError) as caught:
        intel.machine_create(actor=org.sales_a1, brand="X", model="1", dealer_id=other_dealer.pk)
    assert list(caught.value.message_dict) == ["dealer"]
    with pytest.raises(PermissionError):
        intel.dealer_create(actor=org.finance, name="不行")


def test_competitor_salesperson_bad_input_is_named_and_nothing_written(org):
    dealer = intel.dealer_create(actor=org.sales_a1, name="代理")
    before = CompetitorSalesperson.objects.count()
    with pytest.raises(ValidationError) as caught:
        intel.salesperson_create(
            actor=org.sales_a1, dealer_id=dealer.pk, name="小李", phone="0531-888", age=3, years=70
        )
    assert set(caught.value.message_dict) == {"phone", "age", "years"}
    with pytest.raises(ValidationError) as caught:
        intel.salesperson_create(actor=org.sales_a1, dealer_id=None, name="")
    assert set(caught.value.message_dict) == {"dealer", "name"}
    assert CompetitorSalesperson.objects.count() == before


# --- pages -------------------------------------------------------------------------------------------


def test_the_menu_shows_the_three_pages_to_the_sales_side(org, client_as):
    html = client_as(org.sales_a1).get("/").content.decode()
    for url in ("/customers/contacts/", "/customers/projects/", "/customers/competitors/"):
        assert f'href="{url}"' in html
    html = client_as(org.finance).get("/").content.decode()
    assert "/customers/contacts/" not in html and "/customers/projects/" not in html


def test_the_contacts_page_lists_filters_and_searches(org, client_as):
    contact(org, name="赵师傅", phone="13912340001", details={"age": 41, "wage": 11000})
    contact(org, kind="flatbed", name="顺风平板运输", details={"trucks": 6})
    contact(org, org.sales_b1, region=org.region_b, name="临沂老孙")
    client = client_as(org.sales_a1, **EN)
    html = client.get("/customers/contacts/").content.decode()
    assert "赵师傅" in html and "顺风平板运输" in html and "临沂老孙" not in html
    assert "139****0001" in html and "13912340001" not in html  # masked in the list
    assert "Age：41" in html and "Monthly wage (yuan)：¥11,000" in html
    html = client.get("/customers/contacts/?kind=flatbed").content.decode()
    assert "顺风平板运输" in html and "赵师傅" not in html
    partial = client.get("/customers/contacts/?q=赵", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="results">') and "赵师傅" in partial and "顺风" not in partial
    assert client_as(org.finance).get("/customers/contacts/").status_code == 403


def test_the_new_contact_page_asks_the_kind_then_shows_its_fields(org, client_as):
    client = client_as(org.sales_a1, **EN)
    html = client.get("/customers/contacts/new/").content.decode()
    assert 'data-testid="kind-picker"' in html and "?kind=used_trader" in html
    html = client.get("/customers/contacts/new/?kind=used_trader").content.decode()
    assert "Stock and asking prices" in html and "Wanted models and buy prices" in html
    assert 'name="d-stock"' in html and 'name="d-age"' not in html
    # htmx swaps the fields when the kind changes
    assert 'hx-get="/customers/contacts/new/"' in html
    html = client.get("/customers/contacts/new/?kind=operator").content.decode()
    assert 'name="d-age"' in html and 'name="d-wage"' in html and 'name="d-stock"' not in html


def contact_form(org, **overrides) -> dict:
    return {
        "kind": "operator",
        "name": "钱师傅",
        "phone": "+86 139 1234 0002",
        "region": org.region_a.pk,
        "reputation": "",
        "province": "山东省",
        "city": "济南市",
        "district": "",
        "address": "",
        "note": "",
        "d-age": "38",
        "d-home": "",
        "d-years": "15",
        "d-machine_types": "60级\n75级",
        "d-wage": "1.3万",
        "d-employer": "",
    } | overrides


def test_recording_a_contact_through_the_page(org, client_as):
    client = client_as(org.sales_a1, **EN)
    response = client.post("/customers/contacts/new/?kind=operator", contact_form(org))
    assert response.status_code == 302
    c = IndustryContact.objects.get(name="钱师傅")
    assert response["Location"] == f"/customers/contacts/{c.pk}/"
    assert c.phone == "13912340002"
    assert c.details == {"age": 38, "years": 15, "machine_types": ["60级", "75级"], "wage": "13000.00"}
    html = client.get(response["Location"]).content.decode()
    assert "¥13,000" in html and 'href="tel:13912340002"' in html
    # the history names the detail fields as people do
    assert "Monthly wage (yuan)" in html and 'data-testid="history-entry"' in html


def test_a_bad_contact_form_is_422_naming_every_field_and_writes_nothing(org, client_as):
    before = IndustryContact.objects.count()
    response = client_as(org.sales_a1, **EN).post(
        "/customers/contacts/new/?kind=operator",
        contact_form(org, phone="12345", **{"d-age": "200", "d-wage": "a lot", "d-years": "-3"}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert flagged(html) == {"phone", "d-age", "d-wage", "d-years"}
    assert "Age：Enter a whole number from 16 to 80." in html
    assert "Mobile：“12345” is not a valid mainland mobile number." in html
    assert IndustryContact.objects.count() == before


def test_editing_a_contact_and_changing_its_kind(org, client_as):
    c = contact(org, details={"age": 30, "home": "周口"})
    client = client_as(org.sales_a1, **EN)
    html = client.get(f"/customers/contacts/{c.pk}/edit/").content.decode()
    assert 'value="30"' in html and 'value="周口"' in html
    html = client.get(f"/customers/contacts/{c.pk}/edit/?kind=contractor").content.decode()
    assert 'name="d-company"' in html and 'name="d-age"' not in html
    form = contact_form(org, kind="contractor", name="王老板") | {"d-company": "鑫达土石方", "d-staff": "25"}
    response = client.post(f"/customers/contacts/{c.pk}/edit/", form)
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.kind, c.name, c.details) == ("contractor", "王老板", {"company": "鑫达土石方", "staff": 25})


def test_deleting_a_contact_from_its_page(org, client_as):
    c = contact(org)
    assert client_as(org.sales_a2).post(f"/customers/contacts/{c.pk}/delete/").status_code == 403
    response = client_as(org.sales_a1).post(f"/customers/contacts/{c.pk}/delete/")
    assert response.status_code == 302 and not IndustryContact.objects.filter(pk=c.pk).exists()


def test_the_projects_page_shows_the_demand_by_area_on_top(org, client_as):
    project(org, name="绕城高速", city="济南市", district="历城区", expected_demand=8)
    project(org, name="章丘园林", city="济南市", district="章丘区", expected_demand=15)
    project(org, org.manager_b, name="临沂港", region=org.region_b, city="临沂市", expected_demand=30)
    html = client_as(org.sales_a1, **EN).get("/customers/projects/").content.decode()
    summary = html.index('data-testid="demand-by-area"')
    assert summary < html.index('data-testid="project-list"')
    assert "23 excavators expected from 2 projects" in html
    assert html.index("章丘区") < html.index("历城区")  # largest demand first
    assert "临沂港" not in html
    partial = client_as(org.sales_a1, **EN).get("/customers/projects/?q=章丘", headers={"HX-Request": "true"})
    assert "15 excavators expected from 1 project" in partial.content.decode()


def project_form(org, **overrides) -> dict:
    return {
        "name": "小清河综合治理",
        "region": org.region_a.pk,
        "place": "历城段",
        "province": "山东省",
        "city": "济南市",
        "district": "历城区",
        "starts_on": "2026-03-01",
        "duration_months": "18",
        "work_volume": "土方50万方",
        "publisher": "市水务局公告",
        "expected_demand": "12",
    } | overrides


def test_recording_a_project_with_its_customers_through_the_page(org, client_as):
    client = client_as(org.sales_a1, **EN)
    data = project_form(org) | {"customers": [str(org.cust_a1.pk), str(org.cust_pool.pk)]}
    response = client.post("/customers/projects/new/", data)
    assert response.status_code == 302
    p = MarketProject.objects.get(name="小清河综合治理")
    assert set(p.customers.all()) == {org.cust_a1, org.cust_pool}
    assert (p.expected_demand, p.duration_months, str(p.starts_on)) == (12, 18, "2026-03-01")
    html = client.get(f"/customers/projects/{p.pk}/").content.decode()
    assert org.cust_a1.name in html and 'data-testid="history-entry"' in html


def test_a_bad_project_form_names_the_fields_and_writes_nothing(org, client_as):
    client = client_as(org.sales_a1, **EN)
    data = project_form(org, expected_demand="-2", duration_months="999", starts_on="2026-02-30")
    data["customers"] = [str(org.cust_b1.pk)]  # not a customer sales_a1 may see
    response = client.post("/customers/projects/new/", data)
    assert response.status_code == 422
    html = response.content.decode()
    assert flagged(html) == {"expected_demand", "duration_months", "starts_on"}
    assert f"No customer #{org.cust_b1.pk} among the customers you can see." in html
    assert org.cust_b1.name not in html
    assert not MarketProject.objects.filter(name="小清河综合治理").exists()


def test_the_customer_search_of_the_project_form_lists_visible_customers_only(org, client_as):
    client = client_as(org.sales_a1)
    html = client.get("/customers/projects/customer-options/?cq=工程").content.decode()
    assert org.cust_a1.name in html and org.cust_b1.name not in html and org.cust_a2.name not in html
    html = client.get(f"/customers/projects/customer-options/?cq=工程&customers={org.cust_a1.pk}").content.decode()
    assert org.cust_a1.name not in html  # already ticked
    assert client_as(org.finance).get("/customers/projects/customer-options/?cq=工程").status_code == 403


def test_the_competitors_page_and_its_forms(org, client_as):
    client = client_as(org.sales_a1, **EN)
    response = client.post("/customers/competitors/dealers/new/", {"name": "山东三一代理", "brands": "三一"})
    assert response.status_code == 302
    dealer = CompetitorDealer.objects.get(name="山东三一代理")
    response = client.post(
        "/customers/competitors/machines/new/",
        {"brand": "三一", "model": "SY75C", "dealer": dealer.pk, "selling_points": "油耗低"},
    )
    assert response.status_code == 302
    machine = CompetitorMachine.objects.get(model="SY75C")
    assert machine.dealer == dealer
    html = client.get(f"/customers/competitors/salespeople/new/?dealer={dealer.pk}").content.decode()
    assert f'<option value="{dealer.pk}" selected>' in html
    response = client.post(
        "/customers/competitors/salespeople/new/",
        {"name": "对手小李", "dealer": dealer.pk, "phone": "12345", "age": "300", "years": ""},
    )
    assert response.status_code == 422
    assert flagged(response.content.decode()) == {"phone", "age"}
    response = client.post(
        "/customers/competitors/salespeople/new/",
        {"name": "对手小李", "dealer": dealer.pk, "phone": "13912340011", "age": "28", "territory": "历城"},
    )
    assert response.status_code == 302
    CustomerMachine.objects.create(
        company=org.company,
        customer=org.cust_a1,
        brand="三一",
        model="SY75C",
        years_used=3,
        opinion="省油但不耐用",
        competitor_machine=machine,
    )
    CustomerMachine.objects.create(
        company=org.company,
        customer=org.cust_b1,
        brand="三一",
        model="SY75C",
        opinion="别人的客户",
        competitor_machine=machine,
    )
    html = client.get("/customers/competitors/").content.decode()
    assert "山东三一代理" in html and "三一 SY75C" in html and "对手小李" in html
    assert "owned by 1 customer" in html
    html = client.get(f"/customers/competitors/machines/{machine.pk}/").content.decode()
    assert "省油但不耐用" in html and "used 3 years" in html and "别人的客户" not in html
    html = client.get(f"/customers/competitors/dealers/{dealer.pk}/").content.decode()
    assert "SY75C" in html and "对手小李" in html and 'data-testid="history-entry"' in html
    response = client.post(f"/customers/competitors/dealers/{dealer.pk}/edit/", {"name": "", "brands": "三一"})
    assert response.status_code == 422 and flagged(response.content.decode()) == {"name"}
    assert client_as(org.finance).get("/customers/competitors/").status_code == 403


# --- visibility through the pages and the API ---------------------------------------------------------


@pytest.fixture
def rows(org, other):
    """One row of each kind in region A, region B and the other company."""
    r = {
        "contact_b": contact(org, org.sales_b1, region=org.region_b, name="临沂老孙"),
        "contact_other": contact(org, other.sales, region=other.region, name="徐州老周"),
        "project_b": project(org, org.manager_b, region=org.region_b, name="临沂港"),
        "project_other": project(org, other.admin, region=other.region, name="徐州地铁"),
        "dealer_other": intel.dealer_create(actor=other.sales, name="苏北代理"),
    }
    r["machine_other"] = intel.machine_create(actor=other.sales, brand="徐工", model="XE60")
    r["salesperson_other"] = intel.salesperson_create(
        actor=other.sales, dealer_id=r["dealer_other"].pk, name="徐州小王"
    )
    return r


INVISIBLE_PAGES = [
    ("sales_a1", "contact_b", "/customers/contacts/{}/"),
    ("sales_a1", "contact_b", "/customers/contacts/{}/edit/"),
    ("finance", "contact_b", "/customers/contacts/{}/"),
    ("admin", "contact_other", "/customers/contacts/{}/"),
    ("sales_a1", "project_b", "/customers/projects/{}/"),
    ("sales_a1", "project_b", "/customers/projects/{}/edit/"),
    ("service", "project_b", "/customers/projects/{}/"),
    ("admin", "project_other", "/customers/projects/{}/"),
    ("admin", "dealer_other", "/customers/competitors/dealers/{}/"),
    ("manager_a", "dealer_other", "/customers/competitors/dealers/{}/edit/"),
    ("admin", "machine_other", "/customers/competitors/machines/{}/"),
    ("sales_a1", "salesperson_other", "/customers/competitors/salespeople/{}/"),
    ("finance", "salesperson_other", "/customers/competitors/salespeople/{}/edit/"),
]


@pytest.mark.parametrize(("viewer", "row", "url"), INVISIBLE_PAGES)
def test_an_invisible_row_is_not_found_on_its_pages(org, rows, client_as, viewer, row, url):
    obj = rows[row]
    response = client_as(getattr(org, viewer)).get(url.format(obj.pk))
    assert response.status_code == 404
    assert str(obj) not in response.content.decode()


INVISIBLE_API = [
    ("sales_a1", "contact_b", "/api/contacts/{}"),
    ("admin", "contact_other", "/api/contacts/{}"),
    ("service", "project_b", "/api/projects/{}"),
    ("admin", "project_other", "/api/projects/{}"),
    ("admin", "dealer_other", "/api/competitor-dealers/{}"),
    ("admin", "machine_other", "/api/competitor-machines/{}"),
    ("admin", "salesperson_other", "/api/competitor-salespeople/{}"),
]


@pytest.mark.parametrize(("viewer", "row", "url"), INVISIBLE_API)
def test_an_invisible_row_is_not_found_in_the_api(org, rows, api_as, viewer, row, url):
    obj = rows[row]
    api = api_as(getattr(org, viewer))
    for response in (api.get(url.format(obj.pk)), api.patch(url.format(obj.pk), {"name": "改名"})):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert str(obj) not in response.content.decode()
    obj.refresh_from_db()
    assert str(obj) == str(rows[row])


def test_a_visible_but_unchangeable_contact_is_403_on_the_edit_page_and_in_the_api(org, client_as, api_as):
    c = contact(org, org.sales_a2, name="李明记的挖机手")
    assert client_as(org.sales_a1).get(f"/customers/contacts/{c.pk}/").status_code == 200
    response = client_as(org.sales_a1).get(f"/customers/contacts/{c.pk}/edit/")
    assert response.status_code == 403 and c.name not in response.content.decode()
    response = api_as(org.sales_a1).patch(f"/api/contacts/{c.pk}", {"name": "改名"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert IndustryContact.objects.get(pk=c.pk).name == "李明记的挖机手"


def test_lists_never_show_another_companys_rows(org, rows, client_as, api_as):
    client, api = client_as(org.admin), api_as(org.admin)
    for url, name in (
        ("/customers/contacts/", "徐州老周"),
        ("/customers/projects/", "徐州地铁"),
        ("/customers/competitors/", "苏北代理"),
        ("/customers/competitors/", "徐州小王"),
    ):
        assert name not in client.get(url).content.decode()
    for url in ("/api/contacts", "/api/projects", "/api/competitor-dealers", "/api/competitor-machines"):
        assert api.get(url).json()["count"] == (1 if url in ("/api/contacts", "/api/projects") else 0)


# --- API ----------------------------------------------------------------------------------------------


def api_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_api_contact_kinds_describe_the_forms(org, api_as):
    kinds = api_as(org.sales_a1, **{"Accept-Language": "en"}).get("/api/contact-kinds").json()["items"]
    operator = next(k for k in kinds if k["kind"] == "operator")
    age = next(f for f in operator["fields"] if f["name"] == "age")
    assert age == {"name": "age", "type": "int", "label": "Age", "help": "", "min": 16, "max": 80}
    assert {k["kind"] for k in kinds} == set(IndustryContact.Kind.values)


def test_api_contacts_create_get_patch_list_delete(org, api_as):
    api = api_as(org.sales_a1)
    response = api.post(
        "/api/contacts",
        {
            "kind": "repair_shop",
            "name": "历城通达维修厂",
            "region": org.region_a.pk,
            "phone": "13912340003",
            "details": {"mechanics": "6", "brands": ["小松", "卡特"], "services": "发动机\n液压"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["details"] == {"mechanics": 6, "brands": ["小松", "卡特"], "services": ["发动机", "液压"]}
    assert body["owner"] == org.sales_a1.pk
    url = f"/api/contacts/{body['id']}"
    assert api.get(url).json()["name"] == "历城通达维修厂"
    patched = api.patch(url, {"details": {"mechanics": 8, "services": None}, "reputation": "修得快"}).json()
    assert patched["details"] == {"mechanics": 8, "brands": ["小松", "卡特"]} and patched["reputation"] == "修得快"
    listing = api.get("/api/contacts?kind=repair_shop&q=通达").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == body["id"]
    assert api.delete(url).status_code == 204
    assert not IndustryContact.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"phone": "12345"}, {"phone"}),
        ({"details": {"age": 200}}, {"details.age"}),
        ({"details": {"wage": "-5"}, "name": " "}, {"details.wage", "name"}),
        ({"details": {"favourite_colour": "red"}}, {"details.favourite_colour"}),
        ({"kind": "astronaut"}, {"kind"}),
        ({"region": 999999}, {"region"}),
        ({"details": {"age": "thirty"}}, {"details.age"}),
    ],
)
def test_api_contact_bad_input_is_422_naming_the_fields_and_writes_nothing(org, api_as, payload, fields):
    before = IndustryContact.objects.count()
    data = {"kind": "operator", "name": "孙师傅", "region": org.region_a.pk} | payload
    error = api_error(api_as(org.sales_a1).post("/api/contacts", data), 422)
    assert error["code"] == "invalid" and set(error["fields"]) == fields
    assert IndustryContact.objects.count() == before


def test_api_wrong_types_are_422_naming_the_field(org, api_as):
    api = api_as(org.manager_a)
    error = api_error(api.post("/api/contacts", {"kind": "operator", "name": "A", "region": "abc"}), 422)
    assert "region" in error["fields"]
    error = api_error(api.post("/api/projects", {"name": "A", "region": org.region_a.pk, "starts_on": "soon"}), 422)
    assert "starts_on" in error["fields"]
    error = api_error(api.post("/api/projects", {"name": "A", "region": org.region_a.pk, "customers": "1,2"}), 422)
    assert "customers" in error["fields"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/contacts?kind=astronaut", "kind"),
        ("/api/contacts?region=abc", "region"),
        ("/api/contacts?owner=1", "owner"),
        ("/api/projects?region=x", "region"),
        ("/api/projects?sort=name", "sort"),
        ("/api/market-demand?region=x", "region"),
        ("/api/competitor-machines?dealer=abc", "dealer"),
        ("/api/competitor-salespeople?limit=0", "limit"),
        ("/api/competitor-dealers?brand=x", "brand"),
    ],
)
def test_api_bad_filters_are_400_naming_them(org, api_as, url, field):
    error = api_error(api_as(org.sales_a1).get(url), 400)
    assert list(error["fields"]) == [field]


def test_api_projects_link_customers_and_sum_the_demand(org, api_as):
    api = api_as(org.sales_a1)
    response = api.post(
        "/api/projects",
        {
            "name": "章丘园林提升",
            "region": org.region_a.pk,
            "city": "济南市",
            "district": "章丘区",
            "expected_demand": 9,
            "customers": [org.cust_a1.pk],
            "starts_on": "2026-04-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customers"] == [org.cust_a1.pk] and body["starts_on"] == "2026-04-01"
    url = f"/api/projects/{body['id']}"
    error = api_error(api.patch(url, {"customers": [org.cust_b1.pk], "expected_demand": 5}), 422)
    assert list(error["fields"]) == ["customers"]
    assert MarketProject.objects.get(pk=body["id"]).expected_demand == 9  # nothing half-written
    assert api.patch(url, {"customers": [org.cust_pool.pk]}).json()["customers"] == [org.cust_pool.pk]
    demand = api.get("/api/market-demand").json()
    assert demand["total"] == 9
    assert demand["items"] == [{"city": "济南市", "district": "章丘区", "projects": 1, "demand": 9, "unestimated": 0}]
    # another salesperson sees the project but only the customers it may see
    other_view = api_as(org.sales_a2).get(url).json()
    assert other_view["customers"] == [org.cust_pool.pk]
    assert api_as(org.sales_a2).get("/api/projects").json()["items"][0]["customers"] == [org.cust_pool.pk]


def test_api_competitors(org, api_as):
    api = api_as(org.sales_a1)
    dealer = api.post("/api/competitor-dealers", {"name": "临工代理", "brands": "临工"}).json()
    machine = api.post("/api/competitor-machines", {"brand": "临工", "model": "E660", "dealer": dealer["id"]}).json()
    assert machine["dealer"] == dealer["id"] and machine["owned_by_customers"] == 0
    CustomerMachine.objects.create(
        company=org.company, customer=org.cust_a1, brand="临工", count=3, competitor_machine_id=machine["id"]
    )
    listing = api.get(f"/api/competitor-machines?dealer={dealer['id']}").json()
    assert listing["items"][0]["owned_by_customers"] == 1 and listing["items"][0]["units_owned"] == 3
    person = api.post(
        "/api/competitor-salespeople", {"dealer": dealer["id"], "name": "小周", "phone": "+8613912340012", "age": 30}
    )
    assert person.status_code == 201 and person.json()["phone"] == "13912340012"
    error = api_error(api.patch(f"/api/competitor-salespeople/{person.json()['id']}", {"years": 99}), 422)
    assert list(error["fields"]) == ["years"]
    patched = api.patch(f"/api/competitor-dealers/{dealer['id']}", {"strategy": "低价冲量"}).json()
    assert patched["strategy"] == "低价冲量"
    assert api.get("/api/competitor-salespeople?q=小周").json()["count"] == 1
    assert api_error(api_as(org.finance).get("/api/competitor-dealers/" + str(dealer["id"])), 404)


# --- query counts: the list pages cost the same however many rows they show -----------------------


def add_intel_rows(org, n: int, start: int) -> None:
    dealer = intel.dealer_create(actor=org.manager_a, name=f"代理{start}")
    for i in range(start, start + n):
        contact(org, org.sales_a1, name=f"挖机手{i:03d}", details={"age": 30, "wage": 9000, "machine_types": ["60级"]})
        project(org, org.manager_a, name=f"项目{i:03d}", city="济南市", district=f"区{i % 3}", expected_demand=i)
        machine = intel.machine_create(actor=org.manager_a, brand="三一", model=f"SY{i:03d}", dealer_id=dealer.pk)
        intel.salesperson_create(actor=org.manager_a, dealer_id=dealer.pk, name=f"业务员{i:03d}")
        customer = make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name=f"机主{i:03d}")
        CustomerMachine.objects.create(company=org.company, customer=customer, brand="三一", competitor_machine=machine)


# (viewer, url) -> queries: session, user, roles, [regions,] then the page's own reads
PINS = {
    ("sales_a1", "/customers/contacts/"): 7,  # + regions of the filter, count, page
    ("manager_a", "/customers/contacts/"): 7,
    ("sales_a1", "/customers/projects/"): 8,  # + demand by area, regions of the filter, count, page
    ("manager_a", "/customers/projects/"): 8,
    ("sales_a1", "/customers/competitors/"): 7,  # + dealers, machines, owned counts, salespeople
    ("sales_a1", "/api/contacts"): 6,  # token, token's last use, roles, regions, count, page
    ("sales_a1", "/api/projects"): 7,  # + the visible customers of the page's projects
    ("sales_a1", "/api/competitor-machines"): 6,  # + owned counts
}


@pytest.mark.parametrize(("viewer", "url"), PINS)
def test_query_count_does_not_grow_with_the_data(org, client_as, api_as, django_assert_num_queries, viewer, url):
    user = getattr(org, viewer)
    client = api_as(user) if url.startswith("/api/") else client_as(user)
    expected = PINS[viewer, url]
    add_intel_rows(org, 3, 0)
    with django_assert_num_queries(expected):
        few = client.get(url)
    assert few.status_code == 200
    add_intel_rows(org, 6, 100)  # three times as many rows as measured
    with django_assert_num_queries(expected):
        many = client.get(url)
    assert many.status_code == 200
    if url.startswith("/api/"):
        assert many.json()["count"] > few.json()["count"]
    else:
        assert len(many.content) > len(few.content)
