"""The pre-visit brief (拜访卡): every entry point of a repeat visit on one phone screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from customers import services as customer_services
from customers.models import Customer, SegmentFit
from pitch.models import Product
from visits import notes
from visits.brief import BIRTHDAY_DAYS, brief_for, next_birthday
from visits.models import FollowUp
from visits.services import visit_done, visit_open

# ------------------------------------------------------------------ birthdays (plain rule)


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (dt.date(1980, 1, 3), dt.date(2026, 12, 25), dt.date(2027, 1, 3)),  # across the year end
        (dt.date(1980, 12, 25), dt.date(2026, 12, 25), dt.date(2026, 12, 25)),  # today
        (dt.date(1988, 2, 29), dt.date(2027, 2, 20), dt.date(2027, 2, 28)),  # no 29 February in 2027
        (dt.date(1988, 2, 29), dt.date(2028, 2, 20), dt.date(2028, 2, 29)),
        (dt.date(1988, 2, 29), dt.date(2027, 3, 1), dt.date(2028, 2, 29)),
        (dt.date(1988, 2, 29), dt.date(2027, 2, 28), dt.date(2027, 2, 28)),
    ],
)
def test_next_birthday(birthday, today, expected):
    assert next_birthday(birthday, today) == expected


@given(st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
def test_the_next_birthday_is_within_a_year_on_the_same_day(birthday, today):
    day = next_birthday(birthday, today)
    assert today <= day < today + dt.timedelta(days=366)
    if (birthday.month, birthday.day) == (2, 29) and day.month == 2 and day.day == 28:
        assert not (day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0))
    else:
        assert (day.month, day.day) == (birthday.month, birthday.day)


# ------------------------------------------------------------------ the brief of a constructed customer


@pytest.fixture
def story(org):
    """cust_a1 with a little history: classified, a product that fits, follow-ups, a complaint."""
    today = timezone.localdate()
    customer = org.cust_a1
    customer_services.customer_classify(
        actor=org.sales_a1,
        customer=customer,
        work_type="engineering",
        engineering_kind="municipal",
        use="rental",
        scale="individual",
        capital=1,
        experience=2,
        winning=1,
    )
    fits = Product.objects.create(company=org.company, code="HY65-9", name="6.5 吨小挖")
    poor = Product.objects.create(company=org.company, code="HY200", name="20 吨")
    retired = Product.objects.create(company=org.company, code="HY55", name="停产", active=False)
    for product, score in ((fits, 85), (poor, 40), (retired, 95)):
        SegmentFit.objects.create(
            company=org.company,
            product=product,
            work_type="engineering",
            engineering_kind="",
            scale="individual",
            score=score,
        )
    customer_services.tier_set(actor=org.sales_a1, customer=customer, tier="complaint", reason="交机晚了两周")
    in_five = today + dt.timedelta(days=5)
    born = dt.date(1976 if (in_five.month, in_five.day) == (2, 29) else 1975, in_five.month, in_five.day)
    Customer.objects.filter(pk=customer.pk).update(birthday=born, hobbies="钓鱼")
    customer.refresh_from_db()
    visit = visit_open(actor=org.sales_a1, customer=customer, day=today - dt.timedelta(days=10))
    visit_done(actor=org.sales_a1, visit=visit, at=timezone.now() - dt.timedelta(days=10))
    notes.note_record(
        actor=org.sales_a1,
        visit=visit,
        data={
            "summary": "老板想要小挖，担心售后",
            "questions": [{"text": "三年分期利息多少"}],
            "unclear": [{"text": "保养周期"}],
            "commitments": [
                {"text": "送产品画册", "due_on": (today + dt.timedelta(days=3)).isoformat()},
                {"text": "约服务经理见面", "due_on": (today - dt.timedelta(days=2)).isoformat()},
                {"text": "年底回访", "due_on": (today + dt.timedelta(days=20)).isoformat()},
                {"text": "已经做了的事", "due_on": today.isoformat()},
            ],
        },
    )
    notes.followup_done(actor=org.sales_a1, followup=FollowUp.objects.get(text="已经做了的事"))
    customer.refresh_from_db()
    return org


def test_the_brief_holds_every_entry_point(story):
    org = story
    today = timezone.localdate()
    b = brief_for(org.sales_a1, org.cust_a1)
    assert [r.product.code for r in b.recommend] == ["HY65-9"]  # fits, on sale, above the threshold
    assert {f.text for f in b.questions} == {"三年分期利息多少", "保养周期"}
    assert [f.text for f in b.commitments] == ["约服务经理见面", "送产品画册"]  # overdue first, then due soon
    assert b.later_commitments == 1
    birthday = next(c for c in b.care if c.kind == "birthday")
    assert birthday.days == 5 and birthday.day == today + dt.timedelta(days=5)
    assert {c.kind for c in b.care} == {"birthday", "age", "hobbies"}
    assert b.is_complaint and b.complaint.reason == "交机晚了两周"
    assert {n.need_point.code for n in b.unverified_key} == {"price", "reputation"}
    assert {n.need_point.code for n in b.unmet_key} == {"price", "reputation"}
    # grade 6: weekly; last visit 10 days ago, so due 3 days ago
    assert (b.grade, b.cadence_days, b.last_visit) == (6, 7, today - dt.timedelta(days=10))
    assert (b.next_due, b.overdue_days) == (today - dt.timedelta(days=3), 3)
    assert b.last_note.summary == "老板想要小挖，担心售后"


def test_birthdays_only_close_ones_count_across_the_year_end(org):
    customer = org.cust_a1
    Customer.objects.filter(pk=customer.pk).update(birthday=dt.date(1980, 1, 3))
    customer.refresh_from_db()
    near = brief_for(org.sales_a1, customer, today=dt.date(2026, 12, 25))
    assert [(c.day, c.days) for c in near.care if c.kind == "birthday"] == [(dt.date(2027, 1, 3), 9)]
    assert next(c.text for c in near.care if c.kind == "age") == "46"  # from the birthday when no age is known
    far = brief_for(org.sales_a1, customer, today=dt.date(2026, 12, 1))
    assert not [c for c in far.care if c.kind == "birthday"]
    Customer.objects.filter(pk=customer.pk).update(birthday=dt.date(1988, 2, 29))
    customer.refresh_from_db()
    leap = brief_for(org.sales_a1, customer, today=dt.date(2027, 2, 28 - BIRTHDAY_DAYS + 1))
    assert [c.day for c in leap.care if c.kind == "birthday"] == [dt.date(2027, 2, 28)]


def test_a_new_customer_has_a_first_visit_due_today(org):
    b = brief_for(org.sales_a1, org.cust_a1)
    assert b.last_visit is None and b.next_due == timezone.localdate() and b.overdue_days == 0
    assert not b.recommend and not b.questions and not b.commitments and not b.unverified_key
    assert not b.is_complaint and b.last_note is None


def test_the_brief_page_fits_on_one_screen_and_offers_the_next_steps(story, client_as):
    org = story
    client = client_as(org.sales_a1)
    body = client.get(f"/visits/brief/{org.cust_a1.pk}/").content.decode()
    for testid in ("complaint", "commitments", "questions", "recommend", "needs", "care", "last-note", "birthday"):
        assert f'data-testid="{testid}"' in body, testid
    for text in (
        "交机晚了两周",
        "送产品画册",
        "约服务经理见面",
        "三年分期利息多少",
        "HY65-9",
        "口碑",
        "钓鱼",
        "担心售后",
    ):
        assert text in body, text
    assert "年底回访" not in body and "已经做了的事" not in body and "HY200" not in body
    assert f'href="/visits/note/{org.cust_a1.pk}/"' in body
    assert body.count('data-testid="followup-done"') == 4  # the salesperson closes them from the card

    finance = client_as(org.finance).get(f"/visits/brief/{org.cust_a1.pk}/")
    assert finance.status_code == 200
    assert f'href="/visits/note/{org.cust_a1.pk}/"' not in finance.content.decode()
    assert 'data-testid="followup-done"' not in finance.content.decode()
    assert client_as(org.sales_a2).get(f"/visits/brief/{org.cust_a1.pk}/").status_code == 404
    assert client_as(org.manager_b).get(f"/visits/brief/{org.cust_a1.pk}/").status_code == 404


def test_the_brief_through_the_api(story, api_as):
    org = story
    body = api_as(org.sales_a1).get(f"/api/customers/{org.cust_a1.pk}/brief").json()
    assert body["grade"] == 6 and body["cadence_days"] == 7 and body["overdue_days"] == 3
    assert [r["code"] for r in body["recommend"]] == ["HY65-9"]
    assert [c["text"] for c in body["commitments"]] == ["约服务经理见面", "送产品画册"]
    assert {q["kind"] for q in body["questions"]} == {"question", "unclear"}
    assert body["complaint"]["reason"] == "交机晚了两周"
    assert {n["need"] for n in body["key_needs_to_verify"]} == {"price", "reputation"}
    assert any(c["kind"] == "birthday" and c["in_days"] == 5 for c in body["care"])
    assert body["last_note"]["summary"] == "老板想要小挖，担心售后"
    assert api_as(org.sales_b1).get(f"/api/customers/{org.cust_a1.pk}/brief").status_code == 404


# session, user, roles, customer; visit and customer settings, the last visit, may the user change the
# customer, the products that fit, open follow-ups, the complaint's reason, needs, the last note
BRIEF_QUERIES = 13


def test_the_brief_costs_a_fixed_number_of_queries(story, client_as, django_assert_num_queries):
    org = story
    client = client_as(org.sales_a1)
    url = f"/visits/brief/{org.cust_a1.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    today = timezone.localdate()
    for i in range(30):
        notes.note_record(
            actor=org.sales_a1,
            customer=org.cust_a1,
            data={
                "questions": [{"text": f"问题{i}"}],
                "commitments": [{"text": f"承诺{i}", "due_on": (today + dt.timedelta(days=i % 10)).isoformat()}],
            },
        )
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert "问题29" in body and "承诺6" in body and "承诺9" not in body
    assert len(few.captured_queries) == BRIEF_QUERIES, "\n".join(q["sql"][:90] for q in few.captured_queries)
