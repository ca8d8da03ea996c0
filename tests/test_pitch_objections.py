"""The objection playbook (异议处理) with the six steps recorded per visit, the success rate per
answer, and the competitor comparison script (竞品对比五步法): services, pages, API, demo, query
counts."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import CompetitorMachine
from pitch import demo, objections
from pitch.models import CompetitorScript, ObjectionAnswer, ObjectionHandling, ObjectionType, Product
from visits.models import Visit


def make_visit(customer, salesperson) -> Visit:
    return Visit.objects.create(
        company_id=customer.company_id, customer=customer, salesperson=salesperson, planned_on=timezone.localdate()
    )


@pytest.fixture
def book(org, other):
    """Two objection types with answers; a visit of sales_a1 (cust_a1) and of sales_b1 (cust_b1)."""
    price = ObjectionType.objects.create(
        company=org.company,
        title="价格太贵",
        causes=["拿别的品牌比", "首付压力"],
        open_questions=["您觉得贵，主要是跟哪台机器比的？"],
        closed_questions=["您是觉得首付高，还是总价高？"],
        evidence="TCO 测算表",
    )
    brand = ObjectionType.objects.create(company=org.company, title="品牌不知名", causes=["身边没人开过"])
    retired = ObjectionType.objects.create(company=org.company, title="旧异议", active=False)
    a = {
        "tco": ObjectionAnswer.objects.create(company=org.company, objection_type=price, text="算总账", order=1),
        "monthly": ObjectionAnswer.objects.create(company=org.company, objection_type=price, text="换成月供", order=2),
        "visit_site": ObjectionAnswer.objects.create(company=org.company, objection_type=brand, text="看老客户"),
    }
    foreign_type = ObjectionType.objects.create(company=other.company, title="价格太贵")
    return {
        "price": price,
        "brand": brand,
        "retired": retired,
        "answers": a,
        "foreign": foreign_type,
        "visit_a1": make_visit(org.cust_a1, org.sales_a1),
        "visit_b1": make_visit(org.cust_b1, org.sales_b1),
    }


def record(org_user, visit, kind, answer, outcome, **extra):
    return objections.handling_record(
        actor=org_user,
        customer=visit.customer,
        visit=visit,
        objection_type=kind,
        answer=answer,
        outcome=outcome,
        **extra,
    )


# --- the service --------------------------------------------------------------------------------


def test_the_six_steps_are_recorded(org, book):
    h = record(
        org.sales_a1,
        book["visit_a1"],
        book["price"].pk,
        book["answers"]["tco"].pk,
        "resolved",
        acknowledged=True,
        cause_questions=["您觉得贵，主要是跟哪台机器比的？", "  "],
        cause_found="拿三一比",
        key_cause_confirmed="总价高",
        answer_note="算了三年油钱",
        satisfied="yes",
        next_doubt="担心服务",
    )
    h.refresh_from_db()
    assert (h.acknowledged, h.cause_questions, h.key_cause_confirmed) == (
        True,
        ["您觉得贵，主要是跟哪台机器比的？"],
        "总价高",
    )
    assert h.answer == book["answers"]["tco"] and h.outcome == "resolved" and h.satisfied == "yes"
    assert h.by == org.sales_a1 and h.company == org.company and h.next_doubt == "担心服务"


def test_every_bad_field_is_named_at_once_and_nothing_is_written(org, book):
    with pytest.raises(ValidationError) as exc:
        record(
            org.sales_a1,
            book["visit_a1"],
            book["price"],
            book["answers"]["visit_site"],  # an answer of another objection
            "maybe",
            satisfied="sort of",
            cause_questions="not a list",
        )
    assert exc.value.message_dict == {
        "answer": [_("Choose one of the answers of this objection.")],
        "outcome": [_("Choose resolved, partly resolved or unresolved.")],
        "satisfied": [_("Choose yes, partly or no.")],
        "cause_questions": [_("Send the questions asked as a list of texts.")],
    }
    assert not ObjectionHandling.objects.exists()


@pytest.mark.parametrize("which", ["retired", "foreign", "missing", "garbage"])
def test_the_objection_must_be_an_active_one_of_the_playbook(org, book, which):
    value = {"retired": book["retired"].pk, "foreign": book["foreign"].pk, "missing": "", "garbage": "x1"}[which]
    with pytest.raises(ValidationError) as exc:
        record(org.sales_a1, book["visit_a1"], value, None, "resolved")
    expected = {
        "retired": _("This objection is not in the playbook."),
        "foreign": _("This objection is not in the playbook."),
        "missing": _("Choose the objection."),
        "garbage": _("Enter a whole number."),
    }[which]
    assert exc.value.message_dict == {"objection_type": [expected]}


def test_only_the_salesperson_of_the_visit_records_on_it(org, book):
    with pytest.raises(PermissionError):
        record(org.sales_a2, book["visit_a1"], book["price"], None, "resolved")
    with pytest.raises(PermissionError):
        record(org.sales_a1, book["visit_b1"], book["price"], None, "resolved")
    with pytest.raises(ValidationError) as exc:  # the visit is with another customer
        objections.handling_record(
            actor=org.manager_a,
            customer=org.cust_a2,
            visit=book["visit_a1"],
            objection_type=book["price"],
            outcome="partly",
        )
    assert exc.value.message_dict == {"visit": [_("This visit is not with this customer.")]}
    book["visit_a1"].status = Visit.Status.CANCELLED
    book["visit_a1"].save()
    with pytest.raises(ValidationError) as exc:
        record(org.sales_a1, book["visit_a1"], book["price"], None, "resolved")
    assert exc.value.message_dict == {"visit": [_("This visit was cancelled.")]}


# --- success rate per answer ------------------------------------------------------------------------


@pytest.fixture
def history(org, book):
    """tco: 4 uses by sales_a1, 3 resolved; monthly: 2 uses, 1 partly; visit_site: 1 use by sales_b1, resolved."""
    a, v = book["answers"], book["visit_a1"]
    for outcome in ("resolved", "resolved", "resolved", "unresolved"):
        record(org.sales_a1, v, book["price"], a["tco"], outcome)
    record(org.sales_a1, v, book["price"], a["monthly"], "partly")
    record(org.sales_a1, v, book["price"], a["monthly"], "unresolved")
    record(org.sales_a1, v, book["price"], None, "resolved")  # no playbook answer: not in the rates
    record(org.sales_b1, book["visit_b1"], book["brand"], a["visit_site"], "resolved")
    return book


def _rates(user) -> dict:
    return {r.answer_id: (r.used, r.resolved, r.partly, r.rate) for r in objections.answer_rates(user)}


def test_success_rates_are_computed_per_answer(org, history):
    a = history["answers"]
    assert _rates(org.admin) == {
        a["tco"].pk: (4, 3, 0, 0.75),
        a["monthly"].pk: (2, 0, 1, 0.0),
        a["visit_site"].pk: (1, 1, 0, 1.0),
    }
    best_first = [r.answer_id for r in objections.answer_rates(org.admin) if r.objection == "价格太贵"]
    assert best_first == [a["tco"].pk, a["monthly"].pk]
    assert objections.outcome_totals(org.admin) == {"total": 8, "resolved": 5, "without_answer": 1}


def test_salespeople_see_their_own_figures_managers_their_regions(org, history):
    a = history["answers"]
    assert set(_rates(org.sales_a1)) == {a["tco"].pk, a["monthly"].pk}
    assert set(_rates(org.manager_a)) == {a["tco"].pk, a["monthly"].pk}
    assert _rates(org.manager_b) == {a["visit_site"].pk: (1, 1, 0, 1.0)}
    assert _rates(org.sales_a2) == {}


def test_the_report_page_and_its_query_count(org, history, client_as, django_assert_num_queries):
    client = client_as(org.manager_a)
    url = reverse("pitch:objection_report")
    client.get(url)
    with django_assert_num_queries(6) as first:
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "75%" in html and "算总账" in html and "看老客户" not in html
    for _i in range(5):
        record(
            org.sales_a2,
            make_visit(org.cust_a2, org.sales_a2),
            history["brand"],
            history["answers"]["visit_site"],
            "partly",
        )
    with django_assert_num_queries(len(first.captured_queries)):
        assert "看老客户" in client.get(url).content.decode()
    assert client.get(url + "?since=2026-13-01").status_code == 400


def test_the_playbook_page_shows_causes_questions_and_rates(org, history, client_as, django_assert_num_queries):
    client = client_as(org.sales_a1)
    url = reverse("pitch:playbook")
    client.get(url)
    with django_assert_num_queries(6):
        html = client.get(url).content.decode()
    assert "拿别的品牌比" in html and "您是觉得首付高，还是总价高？" in html
    assert (_("resolved %(p)s%% of %(n)s times") % {"p": 75, "n": 4}) in html
    assert "旧异议" not in html


# --- the handling page ----------------------------------------------------------------------------


def test_the_visit_page_links_to_the_handling(org, book, client_as):
    html = client_as(org.sales_a1).get(reverse("visits:visit", args=[book["visit_a1"].pk])).content.decode()
    assert reverse("pitch:handle", args=[book["visit_a1"].pk]) in html
    assert reverse("pitch:sheet", args=[org.cust_a1.pk]) in html


def test_picking_the_objection_loads_its_guide_with_htmx(org, book, client_as):
    client = client_as(org.sales_a1)
    url = reverse("pitch:handle", args=[book["visit_a1"].pk])
    page = client.get(url)
    assert (
        page.status_code == 200 and "价格太贵" in page.content.decode() and "拿别的品牌比" not in page.content.decode()
    )
    partial = client.get(url + f"?objection_type={book['price'].pk}", headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in html
    assert 'id="guide"' in html and "拿别的品牌比" in html and "算总账" in html and 'name="outcome"' in html
    assert client_as(org.sales_a2).get(url).status_code == 404  # not their visit nor their customer


def test_posting_the_form_records_and_goes_back_to_the_visit(org, book, client_as):
    client = client_as(org.sales_a1)
    url = reverse("pitch:handle", args=[book["visit_a1"].pk])
    response = client.post(
        url,
        {
            "objection_type": book["price"].pk,
            "acknowledged": "on",
            "cause_questions": ["您觉得贵，主要是跟哪台机器比的？", "您是觉得首付高，还是总价高？"],
            "key_cause_confirmed": "首付压力",
            "answer": book["answers"]["monthly"].pk,
            "satisfied": "partly",
            "outcome": "partly",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("visits:visit", args=[book["visit_a1"].pk])
    h = ObjectionHandling.objects.get()
    assert h.visit == book["visit_a1"] and len(h.cause_questions) == 2 and h.answer == book["answers"]["monthly"]


def test_a_next_doubt_opens_the_form_again(org, book, client_as):
    client = client_as(org.sales_a1)
    url = reverse("pitch:handle", args=[book["visit_a1"].pk])
    response = client.post(url, {"objection_type": book["brand"].pk, "outcome": "resolved", "next_doubt": "担心服务"})
    assert response.status_code == 302 and response["Location"].startswith(url + "?doubt=")
    assert "担心服务" in client.get(response["Location"]).content.decode()


def test_a_bad_post_shows_the_errors_and_keeps_the_input(org, book, client_as):
    client = client_as(org.sales_a1)
    url = reverse("pitch:handle", args=[book["visit_a1"].pk])
    response = client.post(
        url, {"objection_type": book["price"].pk, "answer": book["answers"]["visit_site"].pk, "cause_found": "拿三一比"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert _("Choose one of the answers of this objection.") in html
    assert _("Choose resolved, partly resolved or unresolved.") in html
    assert "拿三一比" in html and not ObjectionHandling.objects.exists()


# --- API ------------------------------------------------------------------------------------------------


def test_api_records_a_handling(org, book, api_as):
    api = api_as(org.sales_a1)
    body = {
        "visit": book["visit_a1"].pk,
        "objection_type": book["price"].pk,
        "acknowledged": True,
        "cause_questions": ["您觉得贵，主要是跟哪台机器比的？"],
        "answer": book["answers"]["tco"].pk,
        "satisfied": "yes",
        "outcome": "resolved",
    }
    response = api.post("/api/pitch/objections/handlings", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["customer"] == org.cust_a1.pk and out["answer"] == book["answers"]["tco"].pk and out["acknowledged"]
    rates = api.get("/api/pitch/objections/rates").json()
    assert rates["items"][0] | {"text": None} == {
        "answer": book["answers"]["tco"].pk,
        "text": None,
        "objection_type": book["price"].pk,
        "objection": "价格太贵",
        "used": 1,
        "resolved": 1,
        "partly": 0,
        "rate": 1.0,
    }


def test_api_refuses_bad_handlings_with_the_fields_named(org, book, api_as):
    api = api_as(org.sales_a1)
    bad = api.post(
        "/api/pitch/objections/handlings",
        {"customer": org.cust_a1.pk, "objection_type": 999999, "answer": book["answers"]["tco"].pk, "outcome": "won"},
    )
    assert bad.status_code == 422
    fields = bad.json()["error"]["fields"]
    assert fields == {
        "objection_type": [_("This objection is not in the playbook.")],
        "outcome": [_("Choose resolved, partly resolved or unresolved.")],
    }
    assert api.post("/api/pitch/objections/handlings", {"objection_type": 1}).json()["error"]["fields"] == {
        "visit": [_("Send the visit or the customer.")]
    }
    # another salesperson's visit: not found; a customer in another region: not found
    assert api.post("/api/pitch/objections/handlings", {"visit": book["visit_b1"].pk}).status_code == 404
    assert api.post("/api/pitch/objections/handlings", {"customer": org.cust_b1.pk}).status_code == 404
    assert not ObjectionHandling.objects.exists()


def test_api_playbook_and_bad_filters(org, history, api_as):
    api = api_as(org.sales_b1)
    types = api.get("/api/pitch/objections").json()
    assert [t["title"] for t in types["items"]] == ["价格太贵", "品牌不知名"]
    brand = types["items"][1]
    assert brand["answers"][0]["used"] == 1 and brand["answers"][0]["rate"] == 1.0
    assert types["items"][0]["answers"][0]["used"] == 0  # sales_b1 does not see sales_a1's handlings
    assert api.get("/api/pitch/objections/rates?since=yesterday").status_code == 400
    assert api.get("/api/pitch/objections?active=1").status_code == 400


# --- competitor scripts ------------------------------------------------------------------------------


@pytest.fixture
def scripts(org):
    machine = CompetitorMachine.objects.create(company=org.company, brand="三一", model="SY60C")
    ours = Product.objects.create(company=org.company, code="HY65-9", name="6.5 吨")
    small = Product.objects.create(company=org.company, code="HY20-9", name="2 吨")
    general = CompetitorScript.objects.create(
        company=org.company,
        competitor_machine=machine,
        strengths="品牌大",
        why_favoured="身边人多",
        new_decision_point="挣钱",
        explanation="油耗低",
        questions_answers="问答",
    )
    specific = CompetitorScript.objects.create(
        company=org.company,
        competitor_machine=machine,
        product=ours,
        strengths="SY60C 保有量高",
        why_favoured="二手好卖",
        new_decision_point="每天的油钱",
        explanation="HY65-9 挖掘力大 1.5 kN",
        questions_answers="保值回购",
    )
    return {"machine": machine, "ours": ours, "small": small, "general": general, "specific": specific}


def test_the_script_for_our_model_comes_before_the_general_one(org, scripts):
    m = scripts["machine"]
    assert objections.competitor_script(org.sales_a1, m.pk, scripts["ours"].pk) == scripts["specific"]
    assert objections.competitor_script(org.sales_a1, m.pk, scripts["small"].pk) == scripts["general"]
    assert objections.competitor_script(org.sales_a1, m.pk) == scripts["general"]
    scripts["general"].delete()  # only the one for HY65-9 left: shown for the other model too
    assert objections.competitor_script(org.sales_a1, m.pk, scripts["small"].pk) == scripts["specific"]


def test_the_compare_page_shows_the_five_steps(org, scripts, client_as):
    url = reverse("pitch:compare") + f"?product={scripts['ours'].pk}&competitor={scripts['machine'].pk}"
    html = client_as(org.sales_a1).get(url).content.decode()
    assert 'data-testid="script"' in html and "HY65-9 挖掘力大 1.5 kN" in html and "保值回购" in html
    assert 'data-testid="script-for"' not in html
    scripts["general"].delete()
    url = reverse("pitch:compare") + f"?product={scripts['small'].pk}&competitor={scripts['machine'].pk}"
    html = client_as(org.sales_a1).get(url).content.decode()
    assert 'data-testid="script-for"' in html and "HY65-9 挖掘力大 1.5 kN" in html


def test_api_competitor_script(org, other, scripts, api_as):
    api = api_as(org.sales_a1)
    out = api.get(f"/api/pitch/competitor-script?competitor={scripts['machine'].pk}&product={scripts['ours'].pk}")
    assert out.json()["script"]["explanation"] == "HY65-9 挖掘力大 1.5 kN"
    bare = CompetitorMachine.objects.create(company=org.company, brand="小松", model="PC56-7")
    assert api.get(f"/api/pitch/competitor-script?competitor={bare.pk}").json() == {"script": None}
    assert api.get("/api/pitch/competitor-script").status_code == 400
    assert (
        api_as(other.admin).get(f"/api/pitch/competitor-script?competitor={scripts['machine'].pk}").status_code == 404
    )


# --- demo ---------------------------------------------------------------------------------------------


def test_demo_playbook_scripts_and_handlings(org):
    from customers.method import install_defaults
    from pitch.demo import seed_catalogue

    install_defaults(org.company)
    for brand, model in (("三一", "SY60C"), ("小松", "PC56-7"), ("某牌", "大挖 300")):
        CompetitorMachine.objects.create(company=org.company, brand=brand, model=model)
    seed_catalogue(org.company)  # gives the known 6-tonne machines their specs
    now = timezone.now()
    for i in range(30):
        Visit.objects.create(
            company=org.company,
            customer=org.cust_a1,
            salesperson=org.sales_a1,
            planned_on=timezone.localdate(),
            status=Visit.Status.DONE,
            checkin_at=now,
        )
    demo.seed_pitch(org.company, rng=random.Random(4))
    types = ObjectionType.objects.filter(company=org.company)
    assert 6 <= types.count() <= 8 and "价格太贵" in set(types.values_list("title", flat=True))
    assert all(2 <= t.answers.count() <= 3 and t.causes and t.open_questions for t in types)
    scripted = set(CompetitorScript.objects.values_list("competitor_machine__model", flat=True))
    assert {"SY60C", "PC56-7"} <= scripted and "大挖 300" not in scripted
    assert ObjectionHandling.objects.filter(company=org.company).count() == 30
    assert objections.answer_rates(org.admin)
    demo.seed_pitch(org.company, rng=random.Random(4))  # idempotent
    assert ObjectionHandling.objects.filter(company=org.company).count() == 30


# --- admin ------------------------------------------------------------------------------------------------


def test_admin_edits_an_objection_type_with_one_line_per_cause_and_its_answers(org, client_as):
    client = client_as(org.admin)
    response = client.post(
        reverse("admin:pitch_objectiontype_add"),
        {
            "title": "残值低",
            "causes": "听说二手不好卖\r\n\r\n打算干两三年就换 ",
            "open_questions": "您打算用几年？",
            "closed_questions": "",
            "evidence": "二手收购报价",
            "active": "on",
            "order": 0,
            "answers-TOTAL_FORMS": 1,
            "answers-INITIAL_FORMS": 0,
            "answers-0-text": "出示二手车行收购价",
            "answers-0-order": 0,
            "answers-0-active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    kind = ObjectionType.objects.get(title="残值低")
    assert kind.company == org.company
    assert kind.causes == ["听说二手不好卖", "打算干两三年就换"] and kind.closed_questions == []
    answer = kind.answers.get()
    assert answer.text == "出示二手车行收购价" and answer.company == org.company
    # handlings are recorded on visits, not in the admin
    assert client.get(reverse("admin:pitch_objectionhandling_add")).status_code == 403
