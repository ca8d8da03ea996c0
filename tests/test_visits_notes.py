"""Visit notes (拜访笔记): one structured note updates the living profile and says what it changed.

Each section of the note goes through the customers' services; invalid entries are named by their
place in the note (``relations[1].phone``) and nothing at all is written; a draft sent twice (the
phone's offline outbox) is recorded once.
"""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core.models import Todo
from customers import services as customer_services
from customers.models import (
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    CustomerMachine,
    CustomerNeed,
    IndustryContact,
    MarketProject,
    Relation,
    StatusChange,
)
from visits import notes
from visits.models import FollowUp, Objection, Visit, VisitNote
from visits.services import visit_open


def zh(msgid: str) -> str:
    """What a user of the default language reads (the lead fills the catalogue)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


KEY = "draft-0001-aaaa"


@pytest.fixture
def classified(org):
    """cust_a1 classified as the deck's individual short of money: key needs price and reputation."""
    customer_services.customer_classify(
        actor=org.sales_a1,
        customer=org.cust_a1,
        work_type="engineering",
        engineering_kind="municipal",
        use="rental",
        scale="individual",
        capital=1,
        experience=2,
        winning=1,
    )
    return org


def needs_of(customer) -> dict[str, CustomerNeed]:
    return {n.need_point.code: n for n in CustomerNeed.objects.filter(customer=customer).select_related("need_point")}


def accuracy(customer) -> float | None:
    return customer_services.sensitivity_of(customer)["accuracy"]


def record(org, data, *, actor=None, customer=None, visit=None, key=""):
    return notes.note_record(
        actor=actor or org.sales_a1,
        customer=customer if customer is not None or visit is not None else org.cust_a1,
        visit=visit,
        client_key=key,
        data=data,
    )


def form_rows(body: str, need_pk: int) -> str:
    """The form's index of a need row (the page orders needs by stage and pressure)."""
    return re.search(rf'name="needs\[(\d+)\]\.need_id" value="{need_pk}"', body).group(1)


# ------------------------------------------------------------------ the done-when path, on the page


def test_a_note_that_verifies_needs_and_changes_the_grade_shows_on_the_profile(classified, client_as):
    org = classified
    client = client_as(org.sales_a1)
    url = f"/visits/note/{org.cust_a1.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    needs = needs_of(org.cust_a1)
    assert accuracy(org.cust_a1) == 0  # two key needs, none verified yet
    price, reputation = form_rows(body, needs["price"].pk), form_rows(body, needs["reputation"].pk)
    client_key = re.search(r'name="client_key" value="([^"]+)"', body).group(1)
    data = {
        "client_key": client_key,
        "summary": "在工地见了老板，他在比三一和我们的价格",
        f"needs[{price}].need_id": needs["price"].pk,
        f"needs[{price}].expected": "80",
        f"needs[{price}].deliverable": "60",
        f"needs[{price}].verified": "1",
        f"needs[{price}].source": "conversation",
        f"needs[{reputation}].need_id": needs["reputation"].pk,
        f"needs[{reputation}].expected": str(needs["reputation"].expected),
        f"needs[{reputation}].deliverable": str(needs["reputation"].deliverable),
        f"needs[{reputation}].verified": "1",
        "grade.grade": "9",
        "grade.reason": "本周交定金",
        # the page's blank rows (defaults only) are left out
        "relations[0].kind": "family",
        "relations[0].influence": "3",
        "relations[0].name": "",
    }
    response = client.post(url, data)
    note = VisitNote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/visits/notes/{note.pk}/"

    after = needs_of(org.cust_a1)
    assert (after["price"].state, after["price"].expected) == ("verified", 80)
    assert after["reputation"].state == "verified"
    assert accuracy(org.cust_a1) == 1.0  # the model's accuracy rose
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 9
    change = StatusChange.objects.get(customer=org.cust_a1, kind="grade", new="9")
    assert (change.old, change.reason, change.by) == ("6", "本周交定金", org.sales_a1)
    assert not Relation.objects.exists()

    sections = [c["section"] for c in note.changes]
    assert sections == ["grade", "needs", "needs"]
    texts = " | ".join(c["text"] for c in note.changes)
    assert "价格" in texts and "80" in texts and "本周交定金" in texts
    assert note.visit.status == Visit.Status.DONE and note.visit.planned_on == timezone.localdate()

    assert client_as(org.sales_a2).get(response["Location"]).status_code == 404
    assert client_as(org.manager_a).get(response["Location"]).status_code == 200
    detail = client.get(response["Location"]).content.decode()
    assert "价格" in detail and "本周交定金" in detail and "在工地见了老板" in detail
    profile = client.get(f"/customers/{org.cust_a1.pk}/").content.decode()
    visits_section = profile[profile.index('data-testid="visits"') : profile.index('id="classification"')]
    assert "在工地见了老板" in visits_section and f"/visits/notes/{note.pk}/" in visits_section
    assert 'data-testid="accuracy">100%<' in profile
    assert zh("9 · about to buy") in profile[profile.index('data-testid="grade"') :][:200]


def test_the_page_shows_errors_next_to_the_fields_and_keeps_what_was_typed(classified, client_as):
    org = classified
    client = client_as(org.sales_a1)
    data = {
        "client_key": KEY,
        "summary": "带了样本",
        "grade.grade": "9",
        "grade.reason": "定金",
        "relations[0].kind": "family",
        "relations[0].name": "王秀英",
        "relations[0].relation": "妻子",
        "relations[0].influence": "5",
        "relations[1].kind": "friend",
        "relations[1].influence": "3",  # a blank row between two filled ones: left out
        "relations[2].kind": "friend",
        "relations[2].name": "孙德胜",
        "relations[2].relation": "老同学",
        "relations[2].phone": "12345",
        "relations[2].influence": "4",
    }
    response = client.post(f"/visits/note/{org.cust_a1.pk}/", data)
    assert response.status_code == 422
    body = response.content.decode()
    # the error of the payload's relations[1] is shown at the form's row 2, next to its mobile input
    start = body.index('data-row="relations" data-index="2"')
    row = body[start : body.index("data-remove-row", start)]
    phone = row[row.index('name="relations[2].phone"') :]
    assert 'value="12345"' in phone[:200] and 'class="error"' in phone[:600]
    assert 'class="error"' not in body[body.index('data-row="relations" data-index="0"') : start]
    assert 'value="王秀英"' in body and "带了样本" in body  # what was typed is kept
    assert 'data-testid="note-errors"' in body
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 6 and not VisitNote.objects.exists() and not Relation.objects.exists()


# ------------------------------------------------------------------ every section, through the service


def test_each_section_updates_the_profile_and_records_what_it_changed(classified):
    org = classified
    today = timezone.localdate()
    rival = CompetitorMachine.objects.create(company=org.company, brand="三一", model="SY60C")
    dealer = CompetitorDealer.objects.create(company=org.company, name="济南三一机械")
    their_man = CompetitorSalesperson.objects.create(company=org.company, dealer=dealer, name="小王")
    known = MarketProject.objects.create(company=org.company, region=org.region_a, name="济南绕城高速")
    needs = needs_of(org.cust_a1)
    data = {
        "summary": "老板在工地，谈了付款方式",
        "basics": {"occupation": "包工头", "age": "45", "hobbies": "钓鱼", "birthday": "1980-03-02"},
        "needs": [{"need_id": needs["brand"].pk, "expected": 80, "deliverable": 55, "source": "competitor"}],
        "grade": {"grade": 9, "reason": "下周提车"},
        "projects": [{"project_id": known.pk}, {"name": "章丘污水管网", "place": "章丘", "duration_months": "6"}],
        "machines": [{"competitor_machine_id": rival.pk, "count": 2, "years_used": 3, "opinion": "油耗高"}],
        "relations": [
            {"kind": "family", "name": "王秀英", "relation": "妻子", "influence": 5},
            {"kind": "friend", "name": "孙德胜", "relation": "老同学", "phone": "139 1234 5678", "occupation": "机手"},
        ],
        "objections": [{"text": "价格太高", "need_id": needs["price"].pk, "answer": "可以分期"}],
        "commitments": [{"text": "送产品画册", "due_on": (today + dt.timedelta(days=2)).isoformat()}],
        "questions": [{"text": "二手机残值多少"}],
        "unclear": [{"text": "保养周期"}],
        "market": [{"name": "历城物流园", "place": "历城", "work_volume": "土方20万方", "expected_demand": 8}],
        "contacts": [{"kind": "operator", "name": "老周", "phone": "13577778888", "details": {"years": 10}}],
        "competitors": {
            "dealers": [{"name": "临工经销商", "policy": "首付两成"}],
            "machines": [{"brand": "柳工", "model": "906", "customer_opinion": "便宜"}],
            "salespeople": [
                {"dealer_id": dealer.pk, "name": "小李", "territory": "章丘"},
                {"id": their_man.pk, "movements": "跳槽去了临工"},
            ],
        },
        "result": "won",
    }
    note, created = record(org, data)
    assert created
    c = org.cust_a1
    c.refresh_from_db()
    assert (c.occupation, c.age, c.hobbies, c.birthday, c.grade) == ("包工头", 45, "钓鱼", dt.date(1980, 3, 2), 9)
    brand = CustomerNeed.objects.get(pk=needs["brand"].pk)
    assert (brand.state, brand.expected, brand.deliverable, brand.source) == ("revised", 80, 55, "competitor")
    assert set(c.projects.values_list("name", flat=True)) == {"济南绕城高速", "章丘污水管网"}
    machine = CustomerMachine.objects.get(customer=c)
    assert (machine.brand, machine.model, machine.count, machine.competitor_machine) == ("三一", "SY60C", 2, rival)
    friend = Relation.objects.get(customer=c, kind="friend")
    assert friend.phone == "13912345678" and Relation.objects.filter(customer=c).count() == 2
    objection = Objection.objects.get()
    assert (objection.text, objection.need_point.code, objection.note, objection.by) == (
        "价格太高",
        "price",
        note,
        org.sales_a1,
    )
    assert set(FollowUp.objects.values_list("kind", flat=True)) == {"commitment", "question", "unclear"}
    market = MarketProject.objects.get(name="历城物流园")
    assert market.region == c.region and not market.customers.exists() and market.expected_demand == 8
    operator = IndustryContact.objects.get(name="老周")
    assert (operator.kind, operator.region, operator.owner, operator.details) == (
        "operator",
        c.region,
        org.sales_a1,
        {"years": 10},
    )
    assert CompetitorDealer.objects.filter(name="临工经销商").exists()
    assert CompetitorMachine.objects.filter(brand="柳工", model="906").exists()
    assert CompetitorSalesperson.objects.get(name="小李").dealer == dealer
    their_man.refresh_from_db()
    assert their_man.movements == "跳槽去了临工" and their_man.name == "小王"  # an update changes what is given
    assert note.visit.result == "won"

    sections = [ch["section"] for ch in note.changes]
    for section in (
        "basics",
        "grade",
        "needs",
        "projects",
        "machines",
        "relations",
        "objections",
        "commitments",
        "questions",
        "unclear",
        "market",
        "contacts",
        "competitors",
        "result",
    ):
        assert section in sections, section
    assert sections.count("basics") == 4 and sections.count("competitors") == 4
    texts = {ch["text"] for ch in note.changes}
    assert any("包工头" in t for t in texts) and any("王秀英" in t and "5/5" in t for t in texts)
    assert any("SY60C" in t and "× 2" in t for t in texts)


def test_unchanged_values_change_nothing_and_an_empty_note_is_refused(classified):
    org = classified
    needs = needs_of(org.cust_a1)
    untouched = [
        {"need_id": n.pk, "expected": n.expected, "deliverable": n.deliverable, "verified": False}
        for n in needs.values()
    ]
    with pytest.raises(ValidationError) as exc:
        record(org, {"needs": untouched, "grade": {"grade": 6}, "basics": {"occupation": ""}})
    assert "summary" in exc.value.message_dict
    note, _ = record(org, {"summary": "路过", "needs": untouched, "grade": {"grade": 6, "reason": ""}})
    assert note.changes == []
    assert all(n.state == "preset" for n in needs_of(org.cust_a1).values())


def test_an_old_draft_does_not_undo_what_was_recorded_meanwhile(classified):
    """The form sends the values it showed; a need or a basic left as shown keeps its current value."""
    org = classified
    price = needs_of(org.cust_a1)["price"]
    shown = {"expected": price.expected, "deliverable": price.deliverable}
    customer_services.need_record(actor=org.sales_a1, need=price, expected=90, confirmed_with_customer=True)
    customer_services.customer_update(actor=org.sales_a1, customer=org.cust_a1, occupation="包工头")
    draft = {
        "summary": "昨天没信号时写的",
        "basics": {"occupation": "", "hobbies": "钓鱼"},
        "needs": [
            {"need_id": price.pk, **shown, "expected_was": shown["expected"], "deliverable_was": shown["deliverable"]}
        ],
    }
    note, _ = record(org, draft)
    price.refresh_from_db()
    org.cust_a1.refresh_from_db()
    assert (price.expected, price.state) == (90, "verified")
    assert (org.cust_a1.occupation, org.cust_a1.hobbies) == ("包工头", "钓鱼")
    assert [c["section"] for c in note.changes] == ["basics"]


def test_commitments_and_questions_become_followups_and_todos_for_the_salesperson(classified):
    org = classified
    today = timezone.localdate()
    due = today + dt.timedelta(days=3)
    record(
        org,
        {
            "commitments": [{"text": "送产品画册", "due_on": due.isoformat()}],
            "questions": [{"text": "二手机残值多少"}, {"text": "能否三年分期", "due_on": today.isoformat()}],
            "unclear": [{"text": "保养周期"}],
        },
    )
    items = {f.text: f for f in FollowUp.objects.all()}
    assert items["送产品画册"].due_on == due and items["送产品画册"].owner == org.sales_a1
    # a question without a date is due with the next visit: grade 6 is visited weekly by default
    assert items["二手机残值多少"].due_on == today + dt.timedelta(days=7)
    assert items["保养周期"].due_on is None
    todos = {t.title: t for t in Todo.objects.filter(user=org.sales_a1, kind__startswith="visit_")}
    assert len(todos) == 3  # commitments and questions, not what the customer did not understand
    promised = next(t for t in todos.values() if "送产品画册" in t.title)
    assert promised.due == due and promised.url == f"/visits/brief/{org.cust_a1.pk}/"
    assert org.cust_a1.name in promised.title and promised.key == f"visits.followup.{items['送产品画册'].pk}"

    notes.followup_done(actor=org.sales_a1, followup=items["送产品画册"])
    promised.refresh_from_db()
    assert promised.status == Todo.Status.DONE and FollowUp.objects.get(text="送产品画册").status == "done"
    with pytest.raises(PermissionError):
        notes.followup_done(actor=org.sales_a2, followup=items["二手机残值多少"])

    # a manager's note after a joint visit: the customer's salesperson follows up
    record(org, {"commitments": [{"text": "经理承诺的优惠", "due_on": due.isoformat()}]}, actor=org.manager_a)
    assert FollowUp.objects.get(text="经理承诺的优惠").owner == org.sales_a1
    assert Todo.objects.filter(user=org.sales_a1, title__contains="经理承诺的优惠").exists()


def test_invalid_entries_are_named_and_nothing_is_written(classified):
    org = classified
    before = (
        Visit.objects.count(),
        StatusChange.objects.count(),
        Relation.objects.count(),
        FollowUp.objects.count(),
        Todo.objects.count(),
        MarketProject.objects.count(),
    )
    data = {
        "summary": "ok",
        "grade": {"grade": 9, "reason": "定金"},  # valid, must not be applied
        "relations": [
            {"kind": "family", "name": "王秀英", "relation": "妻子"},
            {"kind": "friend", "name": "孙德胜", "relation": "老同学", "phone": "12345"},
        ],
        "commitments": [{"text": "送画册"}],
        "machines": [{"count": 0}],
        "needs": [{"need_id": 999999, "expected": 80}],
        "market": [{"place": "历城"}],
        "contacts": [{"kind": "operator", "name": "老周", "details": {"age": 200}}],
        "competitors": {"machines": [{"brand": "柳工"}]},
        "result": "maybe",
        "colour": "red",
    }
    with pytest.raises(ValidationError) as exc:
        record(org, data)
    fields = exc.value.message_dict
    for name in (
        "relations[1].phone",
        "commitments[0].due_on",
        "machines[0].brand",
        "machines[0].count",
        "needs[0].need_id",
        "market[0].name",
        "contacts[0].details.age",
        "competitors.machines[0].model",
        "result",
        "colour",
    ):
        assert name in fields, (name, fields)
    assert "relations[0].name" not in fields and "grade.grade" not in fields
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 6  # the valid grade change was not applied either
    after = (
        Visit.objects.count(),
        StatusChange.objects.count(),
        Relation.objects.count(),
        FollowUp.objects.count(),
        Todo.objects.count(),
        MarketProject.objects.count(),
    )
    assert after == before and not VisitNote.objects.exists()


def test_a_grade_change_needs_a_reason_and_a_valid_grade(org):
    with pytest.raises(ValidationError) as exc:
        record(org, {"grade": {"grade": 9}})
    assert list(exc.value.message_dict) == ["grade.reason"]
    with pytest.raises(ValidationError) as exc:
        record(org, {"grade": {"grade": 7, "reason": "x"}})
    assert list(exc.value.message_dict) == ["grade.grade"]


def test_a_failure_while_writing_rolls_back_the_whole_note(classified, monkeypatch):
    org = classified

    def boom(**kwargs):
        raise ValidationError({"brand": ["taken meanwhile"]})

    monkeypatch.setattr(customer_services, "machine_add", boom)
    with pytest.raises(ValidationError):
        record(org, {"grade": {"grade": 9, "reason": "定金"}, "machines": [{"brand": "三一"}]})
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 6 and not VisitNote.objects.exists() and not Visit.objects.exists()


# ------------------------------------------------------------------ the visit, offline drafts, idempotency


def test_a_note_without_a_visit_opens_todays_visit_and_a_planned_visit_is_used(org):
    note, _ = record(org, {"summary": "第一次见面"})
    visit = note.visit
    assert (visit.planned_on, visit.status, visit.kind) == (timezone.localdate(), "done", "first")
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.last_followup_at == visit.done_at  # the pool's clock moved
    second, _ = record(org, {"summary": "下午又去了一次"})
    assert second.visit == visit and Visit.objects.count() == 1

    planned = visit_open(actor=org.sales_a1, customer=org.cust_a1, day=timezone.localdate() + dt.timedelta(days=1))
    third, _ = record(org, {"summary": "按计划拜访"}, visit=planned)
    assert third.visit == planned and third.customer == org.cust_a1
    planned.refresh_from_db()
    assert planned.status == "done"
    planned.status = Visit.Status.CANCELLED
    planned.save()
    with pytest.raises(ValidationError) as exc:
        record(org, {"summary": "x"}, visit=planned)
    assert "visit" in exc.value.message_dict


def test_an_offline_draft_counts_on_the_day_it_was_written(org):
    written = timezone.now() - dt.timedelta(days=2)
    note, _ = record(org, {"summary": "没信号时写的", "written_at": written.isoformat()}, key=KEY)
    assert note.recorded_at == written.replace(microsecond=written.microsecond)
    assert note.visit.planned_on == timezone.localdate(written) and note.visit.done_at == written
    future, _ = record(org, {"summary": "手机时间不准", "written_at": "2099-01-01T10:00:00+08:00"})
    assert future.recorded_at <= timezone.now()


def test_the_same_draft_sent_twice_is_recorded_once(classified):
    org = classified
    data = {
        "summary": "网络不好，发了两次",
        "grade": {"grade": 9, "reason": "定金"},
        "relations": [{"kind": "family", "name": "王秀英", "relation": "妻子"}],
        "commitments": [{"text": "送画册", "due_on": timezone.localdate().isoformat()}],
    }
    first, created = record(org, data, key=KEY)
    counts = (Relation.objects.count(), StatusChange.objects.count(), FollowUp.objects.count(), Todo.objects.count())
    again, created_again = record(org, data | {"summary": "changed"}, key=KEY)
    assert created and not created_again and again.pk == first.pk and again.summary == "网络不好，发了两次"
    assert (
        Relation.objects.count(),
        StatusChange.objects.count(),
        FollowUp.objects.count(),
        Todo.objects.count(),
    ) == counts
    assert VisitNote.objects.count() == 1
    # another salesperson cannot read someone else's note by sending its key
    with pytest.raises(ValidationError) as exc:
        record(org, {"summary": "x"}, actor=org.sales_a2, customer=org.cust_a2, key=KEY)
    assert "client_key" in exc.value.message_dict


def test_a_race_between_two_copies_of_a_draft_records_one(classified):
    """Both copies pass the first look-up; the unique constraint stops the second one."""
    org = classified
    first, _ = record(org, {"summary": "第一份", "grade": {"grade": 9, "reason": "定金"}}, key=KEY)
    real = notes._existing
    calls = []

    def missed_once(company_id, client_key):
        calls.append(client_key)
        return None if len(calls) == 1 else real(company_id, client_key)

    with mock.patch.object(notes, "_existing", side_effect=missed_once):
        again, created = record(
            org, {"summary": "第二份", "grade": {"grade": 3, "reason": "变卦"}, "unclear": [{"text": "x"}]}, key=KEY
        )
    assert not created and again.pk == first.pk and len(calls) == 2
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 9 and not FollowUp.objects.exists() and VisitNote.objects.count() == 1


def test_the_draft_key_is_checked(org):
    with pytest.raises(ValidationError) as exc:
        record(org, {"summary": "x"}, key="short")
    assert "client_key" in exc.value.message_dict


# ------------------------------------------------------------------ who may write, on the pages and the API


@pytest.mark.parametrize(
    ("viewer", "customer", "status"),
    [
        ("sales_a2", "cust_a1", 404),  # another salesperson's customer
        ("sales_b1", "cust_a1", 404),
        ("manager_b", "cust_a1", 404),  # another region
        ("finance", "cust_a1", 403),  # sees the customer, writes no notes
        ("sales_a1", "cust_pool", 403),  # sees the pool, must claim first
        ("manager_a", "cust_a1", 200),
    ],
)
def test_who_may_write_a_note(org, client_as, api_as, viewer, customer, status):
    user, target = getattr(org, viewer), getattr(org, customer)
    client = client_as(user)
    assert client.get(f"/visits/note/{target.pk}/").status_code == status
    posted = client.post(f"/visits/note/{target.pk}/", {"summary": "x", "client_key": KEY})
    assert posted.status_code == (302 if status == 200 else status)
    api = api_as(user).post("/api/visits/notes", {"customer": target.pk, "summary": "y", "client_key": KEY + "b"})
    assert api.status_code == (201 if status == 200 else status)
    if status != 200:
        assert not VisitNote.objects.exists()


def test_a_visit_of_another_salesperson_is_not_found(org, client_as):
    visit = visit_open(actor=org.sales_a2, customer=org.cust_a2)
    assert client_as(org.sales_a1).get(f"/visits/{visit.pk}/note/").status_code == 404
    assert client_as(org.finance).get(f"/visits/{visit.pk}/note/").status_code == 403
    own = client_as(org.sales_a2)
    assert own.get(f"/visits/{visit.pk}/note/").status_code == 200
    response = own.post(f"/visits/{visit.pk}/note/", {"summary": "见到了", "client_key": KEY})
    assert response.status_code == 302 and VisitNote.objects.get().visit == visit


def test_a_double_post_of_the_page_form_is_recorded_once(org, client_as):
    client = client_as(org.sales_a1)
    data = {"summary": "双击了提交", "client_key": KEY}
    first = client.post(f"/visits/note/{org.cust_a1.pk}/", data)
    second = client.post(f"/visits/note/{org.cust_a1.pk}/", data, follow=True)
    assert first["Location"] == second.redirect_chain[-1][0]
    assert VisitNote.objects.count() == 1
    assert [str(m) for m in second.context["messages"]][-1] == zh("This note was already recorded; here it is.")


# ------------------------------------------------------------------ API


def test_the_api_records_a_draft_once_and_says_so_the_second_time(classified, api_as):
    org = classified
    api = api_as(org.sales_a1)
    needs = needs_of(org.cust_a1)
    payload = {
        "customer": org.cust_a1.pk,
        "client_key": KEY,
        "summary": "离线草稿",
        "needs": [{"need_id": needs["price"].pk, "expected": 80, "deliverable": 60, "verified": True}],
        "grade": {"grade": 9, "reason": "定金"},
    }
    first = api.post("/api/visits/notes", payload)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True and body["client_key"] == KEY and body["url"] == f"/visits/notes/{body['id']}/"
    assert {c["section"] for c in body["changes"]} == {"needs", "grade"}
    second = api.post("/api/visits/notes", payload)
    assert second.status_code == 200
    assert second.json()["id"] == body["id"] and second.json()["created"] is False
    assert second.json()["message"] == zh("This note was already recorded; nothing was written again.")
    assert VisitNote.objects.count() == 1
    assert StatusChange.objects.filter(customer=org.cust_a1, new="9").count() == 1

    bad = api.post("/api/visits/notes", payload | {"client_key": KEY + "x", "relations": [{"kind": "family"}]})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"relations[0].name", "relations[0].relation"}
    assert api.post("/api/visits/notes", {"summary": "x"}).status_code == 422  # no customer, no visit

    listed = api.get(f"/api/visits/notes?customer={org.cust_a1.pk}").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert api.get("/api/visits/notes?customr=1").status_code == 400
    one = api.get(f"/api/visits/notes/{body['id']}")
    assert one.status_code == 200 and one.json()["summary"] == "离线草稿"
    assert api_as(org.sales_b1).get(f"/api/visits/notes/{body['id']}").status_code == 404
    assert api_as(org.sales_a2).get(f"/api/visits/notes/{body['id']}").status_code == 404
    assert api_as(org.sales_b1).get("/api/visits/notes").json()["count"] == 0


def test_the_api_marks_a_followup_done(org, api_as):
    record(org, {"commitments": [{"text": "送画册", "due_on": timezone.localdate().isoformat()}]})
    item = FollowUp.objects.get()
    assert api_as(org.sales_a2).post(f"/api/visits/followups/{item.pk}/done").status_code == 404
    assert api_as(org.finance).post(f"/api/visits/followups/{item.pk}/done").status_code == 403
    done = api_as(org.sales_a1).post(f"/api/visits/followups/{item.pk}/done")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert Todo.objects.get(key=f"visits.followup.{item.pk}").status == Todo.Status.DONE


def test_the_page_marks_a_followup_done(org, client_as):
    record(org, {"questions": [{"text": "残值多少"}]})
    item = FollowUp.objects.get()
    client = client_as(org.sales_a1)
    response = client.post(f"/visits/followups/{item.pk}/done/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == f"/visits/brief/{org.cust_a1.pk}/"
    item.refresh_from_db()
    assert item.status == "done"
    htmx = client.post(f"/visits/followups/{item.pk}/done/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'class="followup question done"' in htmx.content.decode()


# ------------------------------------------------------------------ the form's payload


def test_the_form_payload_drops_blank_rows_and_maps_errors_back_to_the_rows(rf):
    post = rf.post(
        "/",
        {
            "summary": "s",
            "basics.phone": "138",
            "grade.grade": "9",
            "relations[0].kind": "family",
            "relations[0].influence": "3",
            "relations[3].kind": "friend",
            "relations[3].name": "孙",
            "competitors.machines[2].brand": "柳工",
            "needs[0].need_id": "5",
            "needs[0].verified": "1",
            "client_key": KEY,
            "evil[0].x": "y",
        },
    ).POST
    payload, origin = notes.payload_from_form(post)
    assert payload == {
        "summary": "s",
        "basics": {"phone": "138"},
        "grade": {"grade": "9"},
        "relations": [{"kind": "friend", "name": "孙"}],
        "competitors": {"machines": [{"brand": "柳工"}]},
        "needs": [{"need_id": "5", "verified": "1"}],
        "client_key": KEY,
        "evil": [{"x": "y"}],
    }
    errors = notes.form_error_names(
        {"relations[0].phone": ["bad"], "competitors.machines[0].model": ["req"], "grade.reason": ["why"]}, origin
    )
    assert errors == {
        "relations[3].phone": ["bad"],
        "competitors.machines[2].model": ["req"],
        "grade.reason": ["why"],
    }
    assert notes.error_label("relations[3].phone").endswith("4 · " + str(notes.FIELD_LABELS["phone"]))


# ------------------------------------------------------------------ query counts


def _grow(org, start: int, n: int) -> None:
    """More of everything the note form offers: competitor models and dealers, projects."""
    for i in range(start, start + n):
        dealer = CompetitorDealer.objects.create(company=org.company, name=f"经销商{i}")
        CompetitorMachine.objects.create(company=org.company, dealer=dealer, brand="三一", model=f"SY{i}")
        MarketProject.objects.create(company=org.company, region=org.region_a, name=f"项目{i}")


# session, user, roles, the user's regions, customer (with its region), needs, competitor models, dealers,
# projects of the region
NOTE_FORM_QUERIES = 9


def test_the_note_form_costs_a_fixed_number_of_queries(classified, client_as, django_assert_num_queries):
    org = classified
    client = client_as(org.sales_a1)
    url = f"/visits/note/{org.cust_a1.pk}/"
    client.get(url)
    _grow(org, 0, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _grow(org, 3, 9)
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert "SY11" in body and "项目11" in body and "经销商11" in body
    assert len(few.captured_queries) == NOTE_FORM_QUERIES, [q["sql"][:80] for q in few.captured_queries]


def test_a_followup_todo_done_on_the_today_page_closes_the_followup(classified, client_as):
    org = classified
    due = timezone.localdate() + dt.timedelta(days=2)
    record(org, {"commitments": [{"text": "送保养手册", "due_on": due.isoformat()}]})
    followup = FollowUp.objects.get(text="送保养手册")
    todo = Todo.objects.get(user=org.sales_a1, key=f"visits.followup.{followup.pk}")
    response = client_as(org.sales_a1).post(f"/todos/{todo.pk}/done/")
    assert response.status_code in (200, 204, 302)
    followup.refresh_from_db()
    todo.refresh_from_db()
    assert todo.status == Todo.Status.DONE
    assert followup.status == FollowUp.Status.DONE and followup.done_at is not None
