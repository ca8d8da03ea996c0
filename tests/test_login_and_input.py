"""Login, throttling and bad input on the pages and the API, in Chinese by default and in English."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from core.models import LoginFailure
from customers.models import Customer

from .factories import PASSWORD, make_id_number, zh

WRONG_LOGIN = "Wrong username or password. Note that both fields may be case-sensitive."
THROTTLED = "Too many failed logins for this account. Try again in 15 minutes or ask your administrator."


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login ----------------------------------------------------------------------------------------------


def test_wrong_password_shows_the_chinese_error(org):
    client = Client()
    response = login(client, org.sales_a1.username, "wrong")
    assert response.status_code == 200
    assert zh(WRONG_LOGIN) in response.content.decode()
    assert not logged_in(client)


def test_wrong_password_in_english_for_an_english_browser(org):
    client = Client(headers={"Accept-Language": "en"})
    response = login(client, org.sales_a1.username, "wrong")
    assert WRONG_LOGIN in response.content.decode()


def test_right_password_logs_in(org):
    client = Client()
    response = login(client, org.sales_a1.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in(client)


def test_after_too_many_failures_even_the_right_password_is_refused(org):
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert zh(WRONG_LOGIN) in login(client, org.sales_a1.username, "wrong").content.decode()
    response = login(client, org.sales_a1.username, PASSWORD)
    assert response.status_code == 200
    assert zh(THROTTLED) in response.content.decode()
    assert not logged_in(client)
    # the username is throttled, not everybody: a colleague still gets in
    assert login(Client(), org.sales_a2.username, PASSWORD).status_code == 302


def test_a_success_before_the_limit_clears_the_failures(org):
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        login(client, org.sales_a1.username, "wrong")
    assert login(client, org.sales_a1.username, PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username=org.sales_a1.username).exists()


def test_pages_need_a_login_but_the_api_answers_401_json(db):
    response = Client().get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = Client().get("/api/customers")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_api_token_with_a_wrong_password_is_401_with_the_error_shape(org, api_as):
    response = api_as().post("/api/auth/token", {"username": org.sales_a1.username, "password": "wrong"})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "invalid_login"
    assert body["error"]["message"] == zh("Wrong username or password.")
    assert body["error"]["fields"] == {}


def test_api_token_with_the_right_password_works_as_a_bearer_token(org, api_as):
    response = api_as().post("/api/auth/token", {"username": org.sales_a1.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    me = Client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["roles"]) == (org.sales_a1.username, ["salesperson"])
    bad = Client().get("/api/me", headers={"Authorization": f"Bearer {token}x"})
    assert bad.status_code == 401


def test_api_token_is_throttled_too(org, api_as):
    api = api_as()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert api.post("/api/auth/token", {"username": org.sales_a1.username, "password": "x"}).status_code == 401
    response = api.post("/api/auth/token", {"username": org.sales_a1.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


# --- bad input on the customer form ------------------------------------------------------------------------


def flagged_fields(html: str) -> set[str]:
    """Names of the form fields the page marks as wrong."""
    return set(re.findall(r'<div class="field has-error">\s*<label for="id_(\w+)"', html))


def customer_form(org, **overrides) -> dict:
    return {
        "name": "淄博宏远土石方",
        "kind": "person",
        "phone": "13912340000",
        "grade": "6",
        "region": org.region_a.pk,
        "province": "",
        "city": "",
        "district": "",
        "address": "",
        "id_number": "",
    } | overrides


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "12345"}, "phone", ("“%(value)s” is not a valid mainland mobile number.", {"value": "12345"})),
        (
            {"phone": "0531-88888888"},
            "phone",
            ("“%(value)s” is not a valid mainland mobile number.", {"value": "0531-88888888"}),
        ),
        ({"name": ""}, "name", None),
        ({"name": "   "}, "name", None),
        ({"grade": "5"}, "grade", None),
        ({"grade": "10"}, "grade", None),
        (
            {"id_number": "110101199003071235"},
            "id_number",
            ("The ID-card number is not valid (18 characters, check digit).", {}),
        ),
    ],
)
def test_invalid_customer_form_is_422_naming_the_field_and_writes_nothing(org, client_as, overrides, field, message):
    before = Customer.objects.count()
    response = client_as(org.sales_a1).post("/customers/new/", customer_form(org, **overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert flagged_fields(html) == {field}
    if message:
        assert zh(message[0], **message[1]) in html
    assert Customer.objects.count() == before


def test_a_duplicate_mobile_is_a_field_error(org, client_as):
    response = client_as(org.sales_a1).post("/customers/new/", customer_form(org, phone=org.cust_b1.phone))
    assert response.status_code == 422
    assert flagged_fields(response.content.decode()) == {"phone"}
    assert Customer.objects.filter(phone=org.cust_b1.phone).count() == 1


def test_a_salesperson_cannot_create_in_a_region_they_do_not_cover(org, client_as):
    before = Customer.objects.count()
    response = client_as(org.sales_a1).post("/customers/new/", customer_form(org, region=org.region_b.pk))
    assert response.status_code == 422
    assert flagged_fields(response.content.decode()) == {"region"}
    assert Customer.objects.count() == before


def test_the_form_accepts_a_sloppy_but_valid_mobile_and_stores_it_normalised(org, client_as):
    response = client_as(org.sales_a1).post(
        "/customers/new/", customer_form(org, phone="+86 １３９-１２３４-０００１", id_number=make_id_number())
    )
    assert response.status_code == 302
    assert Customer.objects.get(name="淄博宏远土石方").phone == "13912340001"


def test_finance_and_service_may_not_create_customers(org, client_as):
    for user in (org.finance, org.service):
        client = client_as(user)
        assert client.get("/customers/new/").status_code == 403
        assert client.post("/customers/new/", customer_form(org)).status_code == 403
    assert not Customer.objects.filter(name="淄博宏远土石方").exists()


# --- bad input on the API --------------------------------------------------------------------------------


def api_error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A", "region": "abc"}, "region"),
        ({"name": "A", "region": 1, "grade": "nine"}, "grade"),
        ({"name": ["A"], "region": 1}, "name"),
        ({"region": 1}, "name"),
    ],
)
def test_api_create_with_a_wrong_type_is_422_naming_the_field(org, api_as, payload, field):
    before = Customer.objects.count()
    error = api_error(api_as(org.manager_a).post("/api/customers", payload), 422)
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert Customer.objects.count() == before


def test_api_create_with_malformed_json_is_422(org, api_as):
    error = api_error(api_as(org.manager_a).post("/api/customers", raw='{"name": "A", "region": '), 422)
    assert error["fields"] == {"body": [zh("The request body is not valid JSON.")]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"grade": 5}, "grade"),
        ({"name": "  "}, "name"),
        ({"kind": "robot"}, "kind"),
        ({"id_number": "123"}, "id_number"),
    ],
)
def test_api_create_breaking_a_rule_is_422_naming_the_field(org, api_as, payload, field):
    before = Customer.objects.count()
    response = api_as(org.manager_a).post("/api/customers", {"name": "A", "region": org.region_a.pk} | payload)
    error = api_error(response, 422)
    assert list(error["fields"]) == [field]
    assert Customer.objects.count() == before


def test_api_create_in_another_companys_region_is_refused(org, other, api_as):
    error = api_error(api_as(org.admin).post("/api/customers", {"name": "A", "region": other.region.pk}), 422)
    assert list(error["fields"]) == ["region"]
    assert not Customer.objects.filter(name="A").exists()


def test_api_patch_breaking_a_rule_changes_nothing(org, api_as):
    error = api_error(api_as(org.sales_a1).patch(f"/api/customers/{org.cust_a1.pk}", {"phone": "555"}), 422)
    assert list(error["fields"]) == ["phone"]
    assert Customer.objects.get(pk=org.cust_a1.pk).phone == org.cust_a1.phone


def test_api_unknown_filter_is_400_naming_it(org, api_as):
    error = api_error(api_as(org.sales_a1).get("/api/customers?nosuch=1&q=济南"), 400)
    assert error["code"] == "unknown_filter"
    assert list(error["fields"]) == ["nosuch"]
    assert "nosuch" in error["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("grade=5", "grade"), ("pool=yes", "pool"), ("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset")],
)
def test_api_bad_filter_values_are_400_naming_them(org, api_as, query, field):
    error = api_error(api_as(org.sales_a1).get(f"/api/customers?{query}"), 400)
    assert list(error["fields"]) == [field]


def test_api_messages_follow_accept_language(org, api_as):
    payload = {"name": "A", "region": org.region_a.pk, "phone": "12345"}
    english = api_error(api_as(org.manager_a, **{"Accept-Language": "en"}).post("/api/customers", payload), 422)
    assert english["message"] == "Invalid input: phone"
    assert english["fields"]["phone"] == ["“12345” is not a valid mainland mobile number."]
    chinese = api_error(api_as(org.manager_a).post("/api/customers", payload), 422)
    assert chinese["message"] == zh("Invalid input: %(fields)s", fields="phone")
    assert chinese["fields"]["phone"] == [zh("“%(value)s” is not a valid mainland mobile number.", value="12345")]


def test_pages_follow_accept_language(org, client_as):
    english = client_as(org.sales_a1, headers={"Accept-Language": "en"}).get("/customers/")
    assert '<html lang="en">' in english.content.decode()
    chinese = client_as(org.sales_a1).get("/customers/")
    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert zh("Customers") in chinese.content.decode()
