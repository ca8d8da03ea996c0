"""The living profile page (客户档案) and its API: what a salesperson sees and does on a phone."""

import pytest
from django.utils import translation

from customers import services
from customers.models import Customer, CustomerNeed, Relation, StatusChange

from .factories import make_customer


def zh(msgid):
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def classify(client, customer, **extra):
    data = {
        "work_type": "engineering",
        "engineering_kind": "municipal",
        "use": "rental",
        "scale": "individual",
        "capital": "1",
        "experience": "2",
        "winning": "1",
        "decision": "2",
        "influence": "",
        "susceptibility": "4",
        "machine_count": "1",
    } | extra
    return client.post(f"/customers/{customer.pk}/classify/", data)


def test_classify_then_see_the_preset_needs_with_their_reasons(org, client_as):
    client = client_as(org.sales_a1)
    response = classify(client, org.cust_a1)
    assert response.status_code == 302 and response["Location"].endswith("#needs")
    body = client.get(f"/customers/{org.cust_a1.pk}/").content.decode()
    needs = body[body.index('id="needs"') : body.index('id="grade"')]
    first_two = [needs.split('data-need="')[i].split('"')[0] for i in (1, 2)]
    assert set(first_two) == {"price", "reputation"}  # key needs first
    assert "个体户—行业经验少、资金缺乏、揽活能力差" in needs  # the reason: the deck's worked example
    assert 'data-testid="readiness"' in body and zh("model accuracy") in body


def test_verify_two_needs_change_the_grade_and_add_a_family_member(org, client_as):
    client = client_as(org.sales_a1)
    classify(client, org.cust_a1)
    needs = {
        n.need_point.code: n for n in CustomerNeed.objects.filter(customer=org.cust_a1).select_related("need_point")
    }
    for code in ("price", "reputation"):
        client.post(f"/customers/{org.cust_a1.pk}/needs/{needs[code].pk}/", {"verify_only": "1"})
    client.post(
        f"/customers/{org.cust_a1.pk}/needs/{needs['brand'].pk}/",
        {"expected": "80", "deliverable": "55", "stage": "additional", "source": "competitor", "note": "信三一"},
    )
    client.post(f"/customers/{org.cust_a1.pk}/grade/", {"grade": "9", "reason": "本周交定金"})
    client.post(
        f"/customers/{org.cust_a1.pk}/relations/",
        {"kind": "family", "name": "王秀英", "relation": "妻子", "phone": "139 1234 5678", "influence": "5"},
    )
    states = dict(CustomerNeed.objects.filter(customer=org.cust_a1).values_list("need_point__code", "state"))
    assert (states["price"], states["reputation"], states["brand"]) == ("verified", "verified", "revised")
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 9
    assert StatusChange.objects.filter(customer=org.cust_a1, new="9", reason="本周交定金", by=org.sales_a1).exists()
    wife = Relation.objects.get(customer=org.cust_a1)
    assert (wife.name, wife.phone, wife.influence) == ("王秀英", "13912345678", 5)
    body = client.get(f"/customers/{org.cust_a1.pk}/").content.decode()
    assert 'data-testid="accuracy">100%<' in body  # both key needs verified
    assert "王秀英" in body and "本周交定金" in body


def test_whom_a_customer_influences_is_answered_both_ways(org, client_as):
    client = client_as(org.sales_a1)
    # the customer's friend is also our customer: linked by the mobile number
    friend = make_customer(
        org.sales_a1, region=org.region_a, name="老同学孙德胜", owner=org.sales_a1, phone="13688886666"
    )
    client.post(
        f"/customers/{org.cust_a1.pk}/relations/",
        {"kind": "friend", "name": "孙德胜", "relation": "老同学", "phone": "13688886666", "influence": "4"},
    )
    assert Relation.objects.get(customer=org.cust_a1).linked_customer == friend
    body = client.get(f"/customers/{friend.pk}/").content.decode()
    influences = body[body.index('data-testid="influences"') :]
    assert org.cust_a1.name in influences[: influences.index("</ul>")]


@pytest.mark.parametrize(
    ("url_tail", "data", "field_label"),
    [
        (
            "relations/",
            {"kind": "family", "name": "王", "relation": "妻子", "phone": "12345", "influence": "3"},
            "Mobile",
        ),
        ("machines/", {"brand": "三一", "count": "0"}, "Count"),
        ("grade/", {"grade": "5"}, "Intent grade (意向等级)"),
    ],
)
def test_bad_input_on_the_profile_names_the_field_and_writes_nothing(org, client_as, url_tail, data, field_label):
    client = client_as(org.sales_a1)
    before = (Relation.objects.count(), org.cust_a1.machines.count(), StatusChange.objects.count())
    response = client.post(f"/customers/{org.cust_a1.pk}/{url_tail}", data, follow=True)
    assert (Relation.objects.count(), org.cust_a1.machines.count(), StatusChange.objects.count()) == before
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith(zh(field_label) + "：") for m in messages), messages


def test_another_salesperson_cannot_change_the_profile(org, client_as):
    client = client_as(org.sales_a2)
    assert client.post(f"/customers/{org.cust_a1.pk}/grade/", {"grade": "9"}).status_code == 404
    assert client.get(f"/customers/{org.cust_a1.pk}/classify/").status_code == 404
    pool = client_as(org.sales_a1)
    assert pool.post(f"/customers/{org.cust_pool.pk}/grade/", {"grade": "9"}).status_code == 403  # sees, may not change
    body = pool.get(f"/customers/{org.cust_pool.pk}/").content.decode()
    assert f'action="/customers/{org.cust_pool.pk}/grade/"' not in body


def test_profile_query_count_does_not_grow_with_the_profile(org, client_as, django_assert_num_queries):
    client = client_as(org.sales_a1)
    classify(client, org.cust_a1)
    url = f"/customers/{org.cust_a1.pk}/"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for i in range(4):
        services.relation_add(actor=org.sales_a1, customer=org.cust_a1, kind="friend", name=f"朋友{i}", relation="朋友")
        services.machine_add(actor=org.sales_a1, customer=org.cust_a1, brand="三一", model=f"SY{i}")
        services.contact_add(actor=org.sales_a1, customer=org.cust_a1, name=f"联系人{i}")
        services.grade_set(actor=org.sales_a1, customer=org.cust_a1, grade=(9, 6, 3, 1)[i], reason="跟进")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


def test_the_profile_through_the_api(org, api_as):
    api = api_as(org.sales_a1)
    response = api.put(
        f"/api/customers/{org.cust_a1.pk}/classification",
        {"scale": "individual", "capital": 1, "experience": 2, "winning": 1},
    )
    assert response.status_code == 200, response.content
    profile = response.json()
    key = [n for n in profile["needs"] if n["stage"] == "key"]
    assert {n["need"] for n in key} == {"price", "reputation"} and profile["ready_to_close"] is False
    for n in key:
        r = api.post(
            f"/api/customers/{org.cust_a1.pk}/needs/{n['id']}",
            {"deliverable": n["expected"], "confirmed_with_customer": True},
        )
        assert r.status_code == 200
    assert r.json()["ready_to_close"] is True and r.json()["accuracy"] == 1.0
    bad = api.post(f"/api/customers/{org.cust_a1.pk}/needs/{key[0]['id']}", {"expected": 120})
    assert bad.status_code == 422 and "expected" in bad.json()["error"]["fields"]
    assert api.post(f"/api/customers/{org.cust_a1.pk}/grade", {"grade": 7}).status_code == 422
    other = api_as(org.sales_b1)
    assert other.get(f"/api/customers/{org.cust_a1.pk}/profile").status_code == 404
    assert Customer.objects.get(pk=org.cust_a1.pk).scale == "individual"


def test_pool_actions_on_the_profile(org, client_as):
    sales = client_as(org.sales_a1)
    body = sales.get(f"/customers/{org.cust_pool.pk}/").content.decode()
    assert f'action="/customers/pool/{org.cust_pool.pk}/claim/"' in body
    assert sales.post(f"/customers/pool/{org.cust_pool.pk}/claim/").status_code == 302
    org.cust_pool.refresh_from_db()
    assert org.cust_pool.owner == org.sales_a1 and not org.cust_pool.in_pool
    body = sales.get(f"/customers/{org.cust_pool.pk}/").content.decode()
    assert f'href="/customers/pool/{org.cust_pool.pk}/release/"' in body and "/claim/" not in body
    finance = client_as(org.finance).get(f"/customers/{org.cust_a1.pk}/").content.decode()
    assert "/claim/" not in finance and "/release/" not in finance and "/protect/" not in finance
    manager = client_as(org.manager_a).get(f"/customers/{org.cust_a1.pk}/").content.decode()
    assert f'action="/customers/pool/{org.cust_a1.pk}/protect/"' in manager


def test_a_machine_owned_today_can_be_a_known_competitor_model(org, client_as):
    from customers.models import CompetitorMachine

    rival = CompetitorMachine.objects.create(
        company=org.company, brand="三一", model="SY60C", customer_opinion="油耗高"
    )
    client = client_as(org.sales_a1)
    assert "SY60C" in client.get(f"/customers/{org.cust_a1.pk}/").content.decode()  # offered in the form
    client.post(f"/customers/{org.cust_a1.pk}/machines/", {"competitor_machine": rival.pk, "count": "2"})
    machine = org.cust_a1.machines.get()
    assert (machine.brand, machine.model, machine.count, machine.competitor_machine) == ("三一", "SY60C", 2, rival)


def test_a_relation_with_the_mobile_of_a_known_industry_contact_is_linked_to_it(org, client_as):
    from customers.models import IndustryContact

    operator = IndustryContact.objects.create(
        company=org.company, region=org.region_a, owner=org.sales_a1, kind="operator", name="老周", phone="13577778888"
    )
    client = client_as(org.sales_a1)
    client.post(
        f"/customers/{org.cust_a1.pk}/relations/",
        {"kind": "friend", "name": "周师傅", "relation": "机手", "phone": "13577778888", "influence": "4"},
    )
    relation = Relation.objects.get(customer=org.cust_a1)
    assert relation.linked_contact == operator and relation.linked_customer is None
    body = client.get(f"/customers/{org.cust_a1.pk}/").content.decode()
    assert f'href="/customers/contacts/{operator.pk}/"' in body


def test_the_visits_section_shows_the_last_visits_their_notes_and_the_open_followups(org, client_as):
    from django.utils import timezone

    from visits import notes

    notes.note_record(
        actor=org.sales_a1,
        customer=org.cust_a1,
        data={
            "summary": "谈了付款方式",
            "questions": [{"text": "三年分期利息多少"}],
            "commitments": [{"text": "送产品画册", "due_on": timezone.localdate().isoformat()}],
        },
    )
    client = client_as(org.sales_a1)
    body = client.get(f"/customers/{org.cust_a1.pk}/").content.decode()
    section = body[body.index('data-testid="visits"') : body.index('id="classification"')]
    assert "谈了付款方式" in section and "三年分期利息多少" in section and "送产品画册" in section
    assert f'href="/visits/brief/{org.cust_a1.pk}/"' in section
    assert f'href="/visits/note/{org.cust_a1.pk}/"' in section
    # finance reads the visits but writes no notes
    finance = client_as(org.finance).get(f"/customers/{org.cust_a1.pk}/").content.decode()
    finance_section = finance[finance.index('data-testid="visits"') : finance.index('id="classification"')]
    assert "谈了付款方式" in finance_section and "/visits/note/" not in finance_section
    # another salesperson's customer: the notes are not theirs to read
    other = client_as(org.sales_a2).get(f"/customers/{org.cust_a2.pk}/").content.decode()
    assert "谈了付款方式" not in other


def test_profile_query_count_does_not_grow_with_visits_and_notes(org, client_as, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from visits import notes

    def note(i):
        notes.note_record(
            actor=org.sales_a1,
            customer=org.cust_a1,
            data={"summary": f"第{i}次", "questions": [{"text": f"问题{i}"}]},
            client_key=f"profile-draft-{i:04d}",
        )

    note(0)
    client = client_as(org.sales_a1)
    url = f"/customers/{org.cust_a1.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for i in range(1, 8):
        note(i)
    from visits.models import Visit

    Visit.objects.filter(customer=org.cust_a1).update(done_at=timezone.now())
    with django_assert_num_queries(len(first.captured_queries)):
        body = client.get(url).content.decode()
    assert "问题7" in body and "第7次" in body
