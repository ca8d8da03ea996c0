"""The visit plan (拜访计划), the appointment (预约), preparation (拜访准备) and the visit page:
who is suggested when, what the salesperson and the manager see, bad input, the API, query counts."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.utils import timezone, translation

from customers import method as customer_method
from customers import services as customer_services
from customers.models import Customer, CustomerNeed, NeedPoint, Relation
from visits import method, plan, rules
from visits.models import ChecklistItem, Visit, VisitNote, VisitPhoto, VisitSettings

from .factories import make_customer

JINAN = (36.651200, 117.120100)


# ------------------------------------------------------------------------------------------ helpers
def t(msgid: str, **params) -> str:
    """The text as the page (default language 简体中文) shows it, translated or not yet."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % params if params else text


def tn(singular: str, plural: str, n: int) -> str:
    """A counted text ({% blocktranslate count %}) as the page shows it."""
    with translation.override("zh-hans"):
        return translation.ngettext(singular, plural, n) % {"n": n}


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def today() -> dt.date:
    return timezone.localdate()


def at_day(days_ago: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today() - dt.timedelta(days=days_ago), dt.time(hour, 0)))


def customer(org, owner, *, grade=None, last=None, expected=None, pos=None, name=None, region=None) -> Customer:
    """A customer of ``owner``: last visited ``last`` days ago (None: never), expected purchase in
    ``expected`` days, stored position ``pos``."""
    c = make_customer(
        owner, region=region or org.region_a, owner=owner, grade=grade, **({"name": name} if name else {})
    )
    fields = {}
    if last is not None:
        fields["last_followup_at"] = at_day(last)
    if expected is not None:
        fields["expected_purchase_on"] = today() + dt.timedelta(days=expected)
    if pos is not None:
        fields["latitude"], fields["longitude"] = pos
    if fields:
        Customer.objects.filter(pk=c.pk).update(**fields)
    c.refresh_from_db()
    return c


def done_visit(c: Customer, salesperson, days_ago: int) -> Visit:
    return Visit.objects.create(
        company_id=c.company_id,
        customer=c,
        salesperson=salesperson,
        status=Visit.Status.DONE,
        planned_on=today() - dt.timedelta(days=days_ago),
        done_at=at_day(days_ago),
    )


def planned(c: Customer, salesperson, day: dt.date | None = None) -> Visit:
    first = not Visit.objects.filter(customer=c, status=Visit.Status.DONE).exists()
    return Visit.objects.create(
        company_id=c.company_id,
        customer=c,
        salesperson=salesperson,
        planned_on=day or today(),
        kind=Visit.Kind.FIRST if first else Visit.Kind.REPEAT,
    )


def photo(visit: Visit, by=None) -> VisitPhoto:
    """A stored 2×2 JPEG on the visit."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2), "orange").save(buf, "JPEG")
    name = default_storage.save(f"visits/test/{visit.pk}.jpg", ContentFile(buf.getvalue()))
    return VisitPhoto.objects.create(
        company_id=visit.company_id, visit=visit, image=name, taken_at=timezone.now(), by=by
    )


def due_ids(user, day=None, salesperson=None) -> list[int]:
    p = plan.day_plan(user, day or today(), salesperson=salesperson, page_size=200)
    return [r.customer.pk for r in p.due.object_list]


@pytest.fixture
def jinan(org):
    """sales_a1's customers around Jinan: 5 km, 15 km and 30 km north, one 19 km east, one with no
    location; and a customer of sales_a2 right next to the position."""
    a1 = org.sales_a1
    north = lambda km: (round(JINAN[0] + km / 111.195, 6), JINAN[1])  # noqa: E731
    return {
        "5km": customer(org, a1, grade=3, last=1, pos=north(5), name="北五公里"),
        "15km": customer(org, a1, grade=1, last=1, pos=north(15), name="北十五公里"),
        "30km": customer(org, a1, grade=6, last=8, pos=north(30), name="北三十公里"),
        "19km_east": customer(org, a1, grade=0, last=1, pos=(JINAN[0], round(JINAN[1] + 19 / 89.2, 6)), name="东十九"),
        "nowhere": customer(org, a1, grade=9, last=2, name="无位置"),
        "other": customer(org, org.sales_a2, grade=9, last=30, pos=JINAN, name="别人的客户"),
    }


# ------------------------------------------------------------------------------------------ cadence
def test_cadence_with_the_spec_defaults(org):
    """Due on the day the cadence ends (9: 2 days, 6: 7, 3: 14, 1: 30, 0: 90, none: 30), not before."""
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))  # visited today
    due, not_due = [], []
    for grade, days in ((9, 2), (6, 7), (3, 14), (1, 30), (0, 90), (None, 30)):
        due.append(customer(org, a1, grade=grade, last=days).pk)
        not_due.append(customer(org, a1, grade=grade, last=days - 1).pk)
    ids = due_ids(a1)
    assert set(ids) == set(due)
    assert not set(ids) & set(not_due)
    # grade order 9, 6, 3, 1, 0, ungraded
    assert ids == due


def test_cadence_follows_the_dealers_settings(org):
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))
    weekly = customer(org, a1, grade=6, last=3)
    quarterly = customer(org, a1, grade=0, last=40)
    assert due_ids(a1) == []
    st = method.settings_for(org.company.pk)
    st.cadence_6, st.cadence_0 = 3, 40
    st.save()
    assert due_ids(a1) == [weekly.pk, quarterly.pk]


def test_cadence_in_sql_agrees_with_the_rule(org):
    """Every combination of grade, last visit and purchase date: the SQL filter says what
    ``rules.next_due`` says (the same cases the property test covers in plain Python)."""
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))
    made = []
    for grade in (9, 6, 3, None):
        for last in (None, 0, 1, 2, 3, 6, 7, 13, 14, 40):
            for expected in (None, -3, -1, 0, 1, 2, 3, 6):
                if grade != 9 and expected is not None:
                    continue
                made.append(customer(org, a1, grade=grade, last=last, expected=expected))
    st = method.settings_for(org.company.pk)
    ids = set(due_ids(a1))
    for c in made:
        last = timezone.localtime(c.last_followup_at).date() if c.last_followup_at else None
        due = rules.next_due(c.grade, last, today(), expected_purchase=c.expected_purchase_on, cadence=st.cadence())
        assert (c.pk in ids) == (due <= today()), (c.grade, last, c.expected_purchase_on)


def test_grade_9_is_visited_daily_in_the_purchase_window(org, client_as):
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))
    buying = customer(org, a1, grade=9, last=1, expected=1, name="后天买机")  # visited yesterday
    later = customer(org, a1, grade=9, last=1, expected=5, name="五天后买机")  # not in the window yet
    overdue6 = customer(org, a1, grade=6, last=20, name="逾期六级")
    assert due_ids(a1) == [buying.pk, overdue6.pk]  # the purchase window before everything else
    row = plan.day_plan(a1, today()).due.object_list[0]
    assert row.line.purchase_window and row.line.overdue_days == 0
    page = text_of(client_as(a1).get("/visits/"))
    assert "后天买机" in page and "五天后买机" not in page
    expected = (today() + dt.timedelta(days=1)).strftime("%-m/%-d")
    assert t("buys %(d)s: visit daily", d=expected) in page
    # visited today: not due again today, due again tomorrow
    Customer.objects.filter(pk=buying.pk).update(last_followup_at=at_day(0))
    assert buying.pk not in due_ids(a1)
    assert buying.pk in due_ids(a1, today() + dt.timedelta(days=1))
    # without a window (setting 0) only the cadence counts
    st = method.settings_for(org.company.pk)
    st.purchase_window_days = 0
    st.save()
    Customer.objects.filter(pk=buying.pk).update(last_followup_at=at_day(1))
    assert buying.pk not in due_ids(a1)
    assert later.pk not in due_ids(a1)


def test_overdue_days_first_and_repeat_visits(org, client_as):
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))
    old = customer(org, a1, grade=6, last=17, name="老客户")  # due 10 days ago
    done_visit(old, a1, 17)
    fresh = customer(org, a1, grade=6, name="新客户")  # never visited: first visit, due today
    less = customer(org, a1, grade=6, last=9, name="少逾期")  # overdue 2 days
    done_visit(less, a1, 9)
    rows = plan.day_plan(a1, today()).due.object_list
    assert [r.customer.pk for r in rows] == [old.pk, less.pk, fresh.pk]
    assert [r.line.overdue_days for r in rows] == [10, 2, 0]
    assert [r.line.first_visit for r in rows] == [False, False, True]
    page = text_of(client_as(a1).get("/visits/"))
    assert tn("%(n)s day overdue", "%(n)s days overdue", 10) in page
    assert page.count('data-testid="first"') == 1 and page.count('data-testid="repeat"') == 2
    assert t("First visit (初次拜访)") in page and t("Repeat visit (重复拜访)") in page


def test_planned_customers_leave_the_suggestions(org, client_as):
    a1 = org.sales_a1
    c = customer(org, a1, grade=6, last=8, name="已计划")
    client = client_as(a1)
    r = client.post("/visits/plan/add/", {"customer": c.pk, "day": today().isoformat()})
    assert r.status_code == 302
    visit = Visit.objects.get(customer=c, salesperson=a1, planned_on=today())
    assert visit.kind == Visit.Kind.FIRST and visit.status == Visit.Status.PLANNED
    p = plan.day_plan(a1, today())
    assert [row.visit.pk for row in p.planned] == [visit.pk]
    assert c.pk not in [row.customer.pk for row in p.due.object_list]
    # planning twice gives the same visit
    client.post("/visits/plan/add/", {"customer": c.pk, "day": today().isoformat()})
    assert Visit.objects.filter(customer=c, planned_on=today()).count() == 1
    # planned for tomorrow: today's list no longer suggests it either
    tomorrow = planned(customer(org, a1, grade=3, last=20), a1, today() + dt.timedelta(days=1))
    assert tomorrow.customer_id not in due_ids(a1, today() + dt.timedelta(days=1))
    # cancelled: suggested again
    r = client.post(f"/visits/{visit.pk}/cancel/")
    assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CANCELLED
    assert c.pk in due_ids(a1)


def test_a_long_day_shows_the_first_visits_then_all(org, client_as, monkeypatch):
    monkeypatch.setattr(plan, "PLANNED_LIMIT", 2)
    a1 = org.sales_a1
    made = [planned(customer(org, a1, grade=6, last=30, name=f"长计划{i}"), a1) for i in range(3)]
    client = client_as(a1)
    page = text_of(client.get("/visits/"))
    planned_part = page[page.index('data-testid="planned"') : page.index('data-testid="all-planned"')]
    assert planned_part.count('data-testid="plan-row"') == 2
    page = text_of(client.get(f"/visits/?day={today().isoformat()}&all=1"))
    assert 'data-testid="all-planned"' not in page and all(v.customer.name in page for v in made)


def test_visit_now_opens_todays_visit(org, client_as):
    a1 = org.sales_a1
    c = customer(org, a1, grade=9, last=3)
    client = client_as(a1)
    r = client.post(f"/visits/start/{c.pk}/")
    visit = Visit.objects.get(customer=c, planned_on=today())
    assert r.status_code == 302 and r.url == f"/visits/{visit.pk}/"
    assert client.post(f"/visits/start/{c.pk}/").url == f"/visits/{visit.pk}/"  # the same one
    page = text_of(client.get("/visits/"))
    assert 'data-testid="visit-now"' in page  # also on the planned row
    # not the user's customer: 404; a customer the user only sees (finance): 403
    assert client.post(f"/visits/start/{org.cust_b1.pk}/").status_code == 404
    assert client_as(org.finance).post(f"/visits/start/{c.pk}/").status_code == 403


def test_week_plan(org, client_as):
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))
    monday = plan.monday_of(today())
    c = customer(org, a1, grade=3, last=2, name="周计划客户")
    later = monday + dt.timedelta(days=6)
    v = planned(c, a1, later) if later >= today() else None
    customer(org, a1, grade=6, last=7)  # due today
    week = plan.week_plan(a1, today())
    day = next(d for d in week.days if d.day == today())
    assert day.due_count == plan.day_plan(a1, today()).due.paginator.count == 1
    assert all(d.due_count is None for d in week.days if d.day < today())
    if v:
        assert [x.pk for x in week.days[6].visits] == [v.pk]
    r = client_as(a1).get(f"/visits/?week=1&day={today().isoformat()}")
    assert r.status_code == 200
    assert text_of(r).count('data-testid="weekday"') == 7


# ------------------------------------------------------------------------------------------ near me
def test_near_me_bounding_box_then_exact_distance(org, jinan, client_as):
    a1 = org.sales_a1
    p = plan.day_plan(a1, today(), lat=JINAN[0], lng=JINAN[1])
    assert p.settings.nearby_km == 20
    names = [r.customer.name for r in p.nearby]
    assert names == ["北五公里", "北十五公里", "东十九"]  # nearest first; 30 km and other people's out
    km = [round(r.distance_km, 1) for r in p.nearby]
    assert km[0] == pytest.approx(5.0, abs=0.05) and km[1] == pytest.approx(15.0, abs=0.05)
    assert 18.8 < km[2] < 19.2
    # the due list shows distances too (the customer without a location has none)
    due = {r.customer.name: r for r in p.due.object_list}
    assert due["无位置"].line.distance_m is None
    # the page
    page = text_of(client_as(a1).get(f"/visits/?lat={JINAN[0]}&lng={JINAN[1]}"))
    assert "5.0 km" in page and "15.0 km" in page and "北三十公里" in page  # 30 km: in the due list only
    nearby = page[page.index('data-testid="nearby-list"') :]
    assert "北三十公里" not in nearby and "别人的客户" not in nearby
    # a larger radius in the settings takes the 30 km customer in
    st = VisitSettings.objects.get(company=org.company)
    st.nearby_km = 35
    st.save()
    assert [r.customer.name for r in plan.day_plan(a1, today(), lat=JINAN[0], lng=JINAN[1]).nearby][-1] == "北三十公里"


def test_near_me_without_position_and_with_a_wrong_one(org, jinan, client_as):
    client = client_as(org.sales_a1)
    page = text_of(client.get("/visits/"))
    assert "data-near-me" in page and 'data-testid="nearby-list"' not in page
    assert t("Tap “Near me” to list your customers around you, nearest first.") in page
    assert client.get("/visits/?lat=36.6").status_code == 422  # half a position
    r = client.get("/visits/?lat=200&lng=117")
    assert r.status_code == 422
    assert t("Not a position on the globe: latitude −90…90, longitude −180…180.") in text_of(r)
    assert 'data-testid="due"' in text_of(r)  # the plan is still shown


# ------------------------------------------------------------------------------------------ appointment
@pytest.fixture
def visit_a1(org):
    c = org.cust_a1
    Customer.objects.filter(pk=c.pk).update(address="章丘区工业园", city="济南市", district="章丘区")
    return planned(Customer.objects.get(pk=c.pk), org.sales_a1)


@pytest.fixture
def introducers(org, visit_a1):
    """Around cust_a1: a brother who is also our customer (influence 4), a friend who is an industry
    contact (influence 5), an old classmate we do not know (influence 5)."""
    from customers.models import IndustryContact

    a1, c = org.sales_a1, visit_a1.customer
    other = make_customer(a1, region=org.region_a, owner=a1, name="王大哥")
    contact = IndustryContact.objects.create(
        company=org.company, region=org.region_a, kind="operator", name="机手老李", phone="13900001111"
    )
    brother = customer_services.relation_add(
        actor=a1, customer=c, kind="family", name="王二", relation="哥哥", influence=4, phone=other.phone
    )
    friend = customer_services.relation_add(
        actor=a1, customer=c, kind="friend", name="李师傅", relation="朋友", influence=5, phone="13900001111"
    )
    stranger = customer_services.relation_add(
        actor=a1, customer=c, kind="friend", name="张同学", relation="老同学", influence=5
    )
    assert brother.linked_customer_id == other.pk and friend.linked_contact_id == contact.pk
    return {"brother": brother, "friend": friend, "stranger": stranger}


def test_introducers_are_known_people_by_influence(org, visit_a1, introducers):
    c = visit_a1.customer
    assert [r.name for r in plan.introducers_for(c)] == ["李师傅", "王二"]
    assert [r.name for r in plan.introducers_for(c, known_only=False)] == ["李师傅", "王二", "张同学"]


def post_appointment(client, visit, **data):
    base = {"at": "", "channel": "phone", "outcome": "", "approach": "", "introducer_id": "", "note": ""}
    return client.post(f"/visits/{visit.pk}/appointment/", base | data)


def test_refused_appointment_needs_a_way_in(org, visit_a1, introducers, client_as):
    client = client_as(org.sales_a1)
    r = post_appointment(client, visit_a1, outcome="refused")
    assert r.status_code == 422
    page = text_of(r)
    assert t("The customer refused: choose a way in — go to the work site, or an introduction.") in page
    assert 'class="field has-error"' in page
    # an introduction names who introduces
    r = post_appointment(client, visit_a1, outcome="refused", approach="introduction")
    assert r.status_code == 422 and t("Choose who introduces you.") in text_of(r)
    # the introducer must be a relationship of this customer
    elsewhere = Relation.objects.create(
        company=org.company, customer=org.cust_a2, kind="friend", name="外人", relation="朋友"
    )
    r = post_appointment(client, visit_a1, outcome="refused", approach="introduction", introducer_id=elsewhere.pk)
    assert r.status_code == 422
    assert t("Choose one of this customer's relationships.") in text_of(r) or "introducer_id" in text_of(r)
    visit_a1.refresh_from_db()
    assert visit_a1.appointment_outcome == ""  # nothing half-written
    # a known introducer: saved, and the page suggests the ways in with the known people
    friend = introducers["friend"]
    r = post_appointment(
        client, visit_a1, outcome="refused", approach="introduction", introducer_id=friend.pk, note="说在忙"
    )
    assert r.status_code == 302
    visit_a1.refresh_from_db()
    assert (visit_a1.appointment_outcome, visit_a1.approach, visit_a1.introducer_id) == (
        "refused",
        "introduction",
        friend.pk,
    )
    page = text_of(client.get(f"/visits/{visit_a1.pk}/"))
    ways = page[page.index('data-testid="ways-in"') :]
    assert t("Go to the work site (到地拜访法)") in ways and "章丘区工业园" in ways
    known = ways[ways.index('data-testid="introducers"') : ways.index("</ul>")]
    assert known.index("李师傅") < known.index("王二") and "张同学" not in known
    assert "13900001111" in known


def test_refused_with_nobody_known_suggests_the_site_and_recording_friends(org, visit_a1, client_as):
    client = client_as(org.sales_a1)
    assert post_appointment(client, visit_a1, outcome="refused", approach="site").status_code == 302
    page = text_of(client.get(f"/visits/{visit_a1.pk}/"))
    assert 'data-testid="no-introducers"' in page
    assert t("Go to the work site (到地拜访法)") in page


def test_appointment_time_rules(org, visit_a1, client_as):
    client = client_as(org.sales_a1)
    two_days_ago = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = post_appointment(client, visit_a1, outcome="agreed", at=two_days_ago)
    assert r.status_code == 422 and t("The time is more than a day in the past.") in text_of(r)
    r = post_appointment(client, visit_a1, outcome="agreed")
    assert r.status_code == 422 and t("Enter the time the customer agreed to.") in text_of(r)
    r = post_appointment(client, visit_a1, outcome="agreed", at="not a time")
    assert r.status_code == 422
    r = post_appointment(client, visit_a1, outcome="agreed", at="2026-01-01T10:00", channel="pigeon")
    assert r.status_code == 422
    r = post_appointment(client, visit_a1, outcome="agreed", approach="site", at=_tomorrow_10())
    assert r.status_code == 422 and t("A way in is for a refusal or an unanswered call.") in text_of(r)
    # agreed for tomorrow 10:00: saved, and the visit moves to tomorrow's plan
    r = post_appointment(client, visit_a1, outcome="agreed", at=_tomorrow_10(), channel="wechat")
    assert r.status_code == 302
    visit_a1.refresh_from_db()
    assert visit_a1.planned_on == today() + dt.timedelta(days=1)
    assert timezone.localtime(visit_a1.appointment_at).hour == 10
    assert visit_a1.appointment_channel == "wechat"
    page = text_of(client.get(f"/visits/?day={visit_a1.planned_on.isoformat()}"))
    assert 'data-testid="appointment"' in page and "10:00" in page


def _tomorrow_10() -> str:
    return (today() + dt.timedelta(days=1)).isoformat() + "T10:00"


def test_appointment_on_a_visit_that_took_place_is_refused(org, client_as):
    v = done_visit(org.cust_a1, org.sales_a1, 0)
    r = post_appointment(client_as(org.sales_a1), v, outcome="agreed", at=_tomorrow_10())
    assert r.status_code == 422 and t("This visit has already taken place.") in text_of(r)
    # and cannot be cancelled
    r = client_as(org.sales_a1).post(f"/visits/{v.pk}/cancel/", follow=True)
    assert t("This visit has already taken place; it cannot be cancelled.") in text_of(r)
    v.refresh_from_db()
    assert v.status == Visit.Status.DONE


# ------------------------------------------------------------------------------------------ preparation
@pytest.fixture
def needs(org):
    """cust_a1's model: price key & preset (pressure 20), reputation key & verified but unmet
    (pressure 8), service cost key & verified & met, brand additional & preset."""
    customer_method.install_defaults(org.company)
    points = {p.code: p for p in NeedPoint.objects.filter(company=org.company)}
    now = timezone.now()

    def need(code, expected, deliverable, stage, state):
        return CustomerNeed.objects.create(
            company=org.company,
            customer=org.cust_a1,
            need_point=points[code],
            expected=expected,
            deliverable=deliverable,
            stage=stage,
            state=state,
            state_at=now,
        )

    key, add = CustomerNeed.Stage.KEY, CustomerNeed.Stage.ADDITIONAL
    preset, verified = CustomerNeed.State.PRESET, CustomerNeed.State.VERIFIED
    return {
        "price": need("price", 80, 60, key, preset),
        "reputation": need("reputation", 68, 60, key, verified),
        "service_cost": need("service_cost", 50, 60, key, verified),
        "brand": need("brand", 75, 60, add, preset),
    }


def test_objectives_from_unverified_or_unmet_key_needs(org, needs, visit_a1):
    rows = list(CustomerNeed.objects.filter(customer=org.cust_a1).select_related("need_point"))
    s = plan.objective_suggestions(rows, ready_threshold=0)
    assert [x["need_id"] for x in s] == [needs["price"].pk, needs["reputation"].pk]  # largest pressure first
    assert (s[0]["unverified"], s[0]["unmet"]) == (True, True)
    assert (s[1]["unverified"], s[1]["unmet"]) == (False, True)
    assert "价格" in s[0]["text"] and "口碑" in s[1]["text"]
    # a higher met threshold: reputation (pressure 8) counts as met
    s = plan.objective_suggestions(rows, ready_threshold=10)
    assert [x["need_id"] for x in s] == [needs["price"].pk]
    # a revised need is to be verified again, even when met
    CustomerNeed.objects.filter(pk=needs["service_cost"].pk).update(state=CustomerNeed.State.REVISED)
    rows = list(CustomerNeed.objects.filter(customer=org.cust_a1).select_related("need_point"))
    s = plan.objective_suggestions(rows, ready_threshold=0)
    assert [x["need_id"] for x in s] == [needs["price"].pk, needs["reputation"].pk, needs["service_cost"].pk]
    assert (s[2]["unverified"], s[2]["unmet"]) == (True, False)


def test_preparation_page_and_save(org, needs, visit_a1, client_as):
    client = client_as(org.sales_a1)
    page = text_of(client.get(f"/visits/{visit_a1.pk}/"))
    sugg = page[page.index('data-testid="suggestions"') :]
    sugg = sugg[: sugg.index("</ul>")]
    assert "价格" in sugg and "口碑" in sugg and "品牌" not in sugg and "服务·费用" not in sugg
    assert sugg.count("checked") == 2  # a first plan starts from the suggestions
    r = client.post(
        f"/visits/{visit_a1.pk}/prepare/",
        {"needs": [needs["price"].pk], "objectives": "带上分期方案\n\n约下次试机", "actions": "先听后问，演示残值计算"},
    )
    assert r.status_code == 302
    visit_a1.refresh_from_db()
    assert [o.get("need_id") for o in visit_a1.objectives] == [needs["price"].pk, None, None]
    assert [o["text"] for o in visit_a1.objectives][1:] == ["带上分期方案", "约下次试机"]
    assert visit_a1.actions == "先听后问，演示残值计算"
    page = text_of(client.get(f"/visits/{visit_a1.pk}/"))
    objectives = page[page.index('data-testid="objectives"') :]
    assert "带上分期方案" in objectives and "价格" in objectives
    # a need of another customer cannot be an objective; too long an action is refused
    with pytest.raises(Exception) as exc:
        plan.preparation_save(
            actor=org.sales_a1, visit=visit_a1, objectives=[{"text": "x", "need_id": 10**6}], actions=""
        )
    assert "objectives" in exc.value.message_dict
    r = client.post(f"/visits/{visit_a1.pk}/prepare/", {"objectives": "x" * 201, "actions": ""})
    assert r.status_code == 422
    assert t("Objective %(i)d: at most %(n)d characters.", i=1, n=200) in text_of(r)


def test_checklist_one_tap_per_item(org, visit_a1, client_as):
    client = client_as(org.sales_a1)
    page = text_of(client.get(f"/visits/{visit_a1.pk}/"))
    items = method.checklist_for(org.company.pk)
    assert [i.name for i in items] == list(rules.DEFAULT_CHECKLIST)
    assert page.count('data-testid="check-item"') == len(items) and "0/7" in page
    cards = items[1]
    r = client.post(
        f"/visits/{visit_a1.pk}/checklist/", {"item": cards.pk, "checked": "1"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    body = text_of(r)
    assert f'id="check-{cards.pk}"' in body and 'aria-pressed="true"' in body and "名片" in body
    assert 'id="check-count"' in body and "1/7" in body  # the count follows (out of band)
    visit_a1.refresh_from_db()
    assert visit_a1.checklist == {str(cards.pk): True}
    # untick without htmx: back to the page
    r = client.post(f"/visits/{visit_a1.pk}/checklist/", {"item": cards.pk, "checked": "0"})
    assert r.status_code == 302 and r.url.endswith("#checklist")
    visit_a1.refresh_from_db()
    assert visit_a1.checklist == {str(cards.pk): False}
    # an item of another dealer or an unknown one
    other_item = ChecklistItem.objects.create(company=_other_company(), name="别家的")
    r = client.post(f"/visits/{visit_a1.pk}/checklist/", {"item": other_item.pk}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and t("Not an item of the checklist.") in text_of(r)
    # the items are configurable
    ChecklistItem.objects.filter(pk=items[0].pk).update(active=False)
    ChecklistItem.objects.create(company=org.company, name="试机合同", order=99)
    names = [r.item.name for r in plan.checklist_rows(visit_a1)]
    assert "公文包" not in names and names[-1] == "试机合同"


def _other_company():
    from core.models import Company

    return Company.objects.create(name="别家经销商")


# ------------------------------------------------------------------------------------------ visit page
def test_visit_page_shows_customer_cadence_checkin_and_notes(org, visit_a1, client_as):
    v = visit_a1
    Visit.objects.filter(pk=v.pk).update(
        checkin_at=at_day(0, 9),
        checkin_distance_m=820,
        checkin_accuracy_m=35,
        flagged=True,
        flag_reason="签到位置距客户 820 米，超出 500 米范围",
        checkout_at=at_day(0, 10),
    )
    shot = photo(v, org.sales_a1)
    VisitNote.objects.create(
        company=org.company,
        visit=v,
        customer=v.customer,
        author=org.sales_a1,
        summary="客户关心首付比例",
        recorded_at=timezone.now(),
    )
    r = client_as(org.sales_a1).get(f"/visits/{v.pk}/")
    assert r.status_code == 200
    page = text_of(r)
    head = page[page.index('data-testid="visit-head"') :]
    assert org.cust_a1.name in page and t("First visit (初次拜访)") in head
    assert tn("every day", "every %(n)s days", 7) in head
    state = page[page.index('data-testid="checkin-state"') :]
    assert "820 m" in state and "±35 m" in state and "超出 500 米范围" in state
    assert tn("%(n)s minute", "%(n)s minutes", 60) in state
    notes = page[page.index('data-testid="notes"') :]
    assert "客户关心首付比例" in notes
    # the links to the other parts appear once their pages exist (url … as var)
    from django.urls import NoReverseMatch, reverse

    for name, args, attr in (
        ("visits:checkin", [v.pk], "href"),
        ("visits:note", [v.pk], "href"),
        ("visits:brief", [v.customer_id], "href"),
        ("visits:photo", [shot.pk, "thumb"], "src"),
    ):
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        assert f'{attr}="{url}"' in page


def test_who_sees_and_changes_a_visit(org, visit_a1, client_as):
    url = f"/visits/{visit_a1.pk}/"
    assert client_as(org.sales_a2).get(url).status_code == 404  # another salesperson
    assert client_as(org.manager_b).get(url).status_code == 404  # a manager of another region
    assert client_as(org.manager_a).get(url).status_code == 200
    finance = client_as(org.finance)
    r = finance.get(url)
    assert r.status_code == 200 and 'data-testid="appointment-form"' not in text_of(r)
    assert post_appointment(finance, visit_a1, outcome="agreed", at=_tomorrow_10()).status_code == 403
    assert finance.post(f"/visits/{visit_a1.pk}/checklist/", {"item": 1}).status_code == 403
    assert finance.post(f"/visits/{visit_a1.pk}/cancel/").status_code == 403
    assert client_as(org.sales_a2).post(f"/visits/{visit_a1.pk}/cancel/").status_code == 404


def test_a_customer_handed_over_keeps_the_visit_not_the_profile(org, needs, introducers, visit_a1, client_as):
    Customer.objects.filter(pk=org.cust_a1.pk).update(owner=org.sales_a2)
    page = plan.visit_page(org.sales_a1, Visit.objects.select_related("customer").get(pk=visit_a1.pk))
    assert page.suggestions == [] and page.introducers == [] and page.can_change  # still their visit
    r = client_as(org.sales_a1).get(f"/visits/{visit_a1.pk}/")
    assert r.status_code == 200 and "李师傅" not in text_of(r) and "价格" not in text_of(r)
    assert client_as(org.sales_a2).get(f"/visits/{visit_a1.pk}/").status_code == 200  # the new owner reads it


# ------------------------------------------------------------------------------------------ managers
def test_manager_sees_a_salesperson_of_the_region(org, client_as):
    a1 = org.sales_a1
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at_day(0))
    c = customer(org, a1, grade=6, last=10, name="张建国的客户")
    v = planned(customer(org, a1, grade=3, last=20, name="计划中的客户"), a1)
    manager = client_as(org.manager_a)
    r = manager.get(f"/visits/?user={a1.pk}")
    assert r.status_code == 200
    page = text_of(r)
    assert 'data-testid="plan-owner"' in page and str(a1) in page
    assert c.name in page and v.customer.name in page
    assert 'data-testid="plan-add"' not in page and 'data-testid="visit-now"' not in page  # not their plan
    # the salesperson picker lists the region's salespeople only
    assert str(org.sales_a2) in page and str(org.sales_b1) not in page
    assert manager.get(f"/visits/?user={org.sales_b1.pk}").status_code == 404
    assert manager.get(f"/visits/?user={org.sales_b1.pk}&week=1").status_code == 404
    assert manager.get("/visits/?user=abc").status_code == 404
    assert client_as(org.manager_b).get(f"/visits/?user={a1.pk}").status_code == 404
    # a salesperson cannot look at a colleague's plan
    assert client_as(org.sales_a2).get(f"/visits/?user={a1.pk}").status_code == 404
    # the administrator sees everybody
    assert client_as(org.admin).get(f"/visits/?user={org.sales_b1.pk}").status_code == 200


def test_managers_own_plan_page(org, client_as):
    r = client_as(org.manager_a).get("/visits/")
    assert r.status_code == 200
    assert 'name="user"' in text_of(r)


# ------------------------------------------------------------------------------------------ bad input
def test_bad_input_on_the_plan(org, client_as):
    client = client_as(org.sales_a1)
    r = client.get("/visits/?day=2026-13-45")
    assert r.status_code == 422
    assert 'data-testid="day-error"' in text_of(r) and t("Enter a date as YYYY-MM-DD.") in text_of(r)
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    r = client.post("/visits/plan/add/", {"customer": org.cust_a1.pk, "day": yesterday})
    assert r.status_code == 422 and t("A visit cannot be planned in the past.") in text_of(r)
    far = (today() + dt.timedelta(days=120)).isoformat()
    r = client.post("/visits/plan/add/", {"customer": org.cust_a1.pk, "day": far})
    assert r.status_code == 422 and t("Plan at most %(n)d days ahead.", n=90) in text_of(r)
    r = client.post("/visits/plan/add/", {"customer": org.cust_a1.pk, "day": "tomorrow"})
    assert r.status_code == 422
    assert client.post("/visits/plan/add/", {"customer": org.cust_b1.pk}).status_code == 404
    assert client.post("/visits/plan/add/", {"customer": "x"}).status_code == 404
    assert Visit.objects.count() == 0
    # a past day shows what was planned, no suggestions
    r = client.get(f"/visits/?day={yesterday}")
    assert r.status_code == 200 and 'data-testid="due"' not in text_of(r)


# ------------------------------------------------------------------------------------------ API
def test_api_plan(org, api_as, jinan):
    api = api_as(org.sales_a1)
    r = api.get(f"/api/visits/plan?lat={JINAN[0]}&lng={JINAN[1]}&limit=2")
    assert r.status_code == 200
    body = r.json()
    assert body["day"] == today().isoformat() and body["nearby_km"] == 20
    assert body["due"]["count"] >= 2 and len(body["due"]["items"]) == 2
    assert [x["customer"]["name"] for x in body["nearby"]] == ["北五公里", "北十五公里", "东十九"]
    assert body["nearby"][0]["distance_m"] == pytest.approx(5000, abs=50)
    second = api.get("/api/visits/plan?limit=2&offset=2").json()
    assert not {x["customer"]["id"] for x in second["due"]["items"]} & {
        x["customer"]["id"] for x in body["due"]["items"]
    }
    assert api.get("/api/visits/plan?dya=2026-01-01").json()["error"]["code"] == "unknown_filter"
    assert api.get("/api/visits/plan?day=bad").status_code == 400
    r = api.get("/api/visits/plan?lat=91&lng=0")
    assert r.status_code == 422 and "lat" in r.json()["error"]["fields"]
    # plan a customer
    c = jinan["30km"]
    r = api.post("/api/visits/plan", {"customer": c.pk, "day": today().isoformat()})
    assert r.status_code == 201 and r.json()["kind"] == "first"
    visit_id = r.json()["id"]
    assert api.get("/api/visits/plan").json()["planned"][0]["visit"]["id"] == visit_id
    r = api.post("/api/visits/plan", {"customer": c.pk, "day": "2020-01-01"})
    assert r.status_code == 422 and r.json()["error"]["fields"]["day"]
    assert api.post("/api/visits/plan", {"customer": org.cust_b1.pk}).status_code == 404
    # the week
    week = api.get(f"/api/visits/plan?week={today().isoformat()}").json()
    assert len(week["days"]) == 7 and any(v["id"] == visit_id for d in week["days"] for v in d["visits"])
    # cancel
    assert api.post(f"/api/visits/{visit_id}/cancel").json()["status"] == "cancelled"
    # managers: ?user=
    manager = api_as(org.manager_a)
    assert manager.get(f"/api/visits/plan?user={org.sales_a1.pk}").json()["salesperson"] == org.sales_a1.pk
    assert manager.get(f"/api/visits/plan?user={org.sales_b1.pk}").status_code == 404


def test_api_visit_get_patch_start(org, api_as, needs, introducers, visit_a1):
    api = api_as(org.sales_a1)
    r = api.get(f"/api/visits/{visit_a1.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["customer"]["id"] == org.cust_a1.pk and body["kind"] == "first" and body["cadence_days"] == 7
    assert [x["need_id"] for x in body["preparation"]["suggested_objectives"]] == [
        needs["price"].pk,
        needs["reputation"].pk,
    ]
    assert [x["name"] for x in body["introducers"]] == ["李师傅", "王二"]
    assert len(body["checklist"]) == 7 and not any(x["checked"] for x in body["checklist"])
    # refused without a way in: 422 naming the part and field; nothing of the patch is written
    item = body["checklist"][0]["item"]
    r = api.patch(
        f"/api/visits/{visit_a1.pk}",
        {"checklist": {str(item): True}, "appointment": {"outcome": "refused", "channel": "phone"}},
    )
    assert r.status_code == 422 and "appointment.approach" in r.json()["error"]["fields"]
    visit_a1.refresh_from_db()
    assert visit_a1.checklist == {} and visit_a1.appointment_outcome == ""
    r = api.patch(
        f"/api/visits/{visit_a1.pk}",
        {
            "appointment": {
                "outcome": "refused",
                "channel": "phone",
                "approach": "introduction",
                "introducer_id": introducers["brother"].pk,
            },
            "preparation": {
                "objectives": [{"text": "核实价格预期", "need_id": needs["price"].pk}, "带画册"],
                "actions": "先听",
            },
            "checklist": {str(item): True},
        },
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["appointment"]["introducer_id"] == introducers["brother"].pk
    assert out["preparation"]["objectives"] == [
        {"text": "核实价格预期", "need_id": needs["price"].pk},
        {"text": "带画册", "need_id": None},
    ]
    assert out["checklist"][0]["checked"] is True
    r = api.patch(f"/api/visits/{visit_a1.pk}", {"checklist": {"999999": True}})
    assert r.status_code == 422 and "checklist.item" in r.json()["error"]["fields"]
    r = api.patch(f"/api/visits/{visit_a1.pk}", {"appointment": {"outcome": "maybe"}})
    assert r.status_code == 422 and "appointment.outcome" in r.json()["error"]["fields"]
    # permissions
    assert api_as(org.sales_a2).get(f"/api/visits/{visit_a1.pk}").status_code == 404
    assert api_as(org.finance).get(f"/api/visits/{visit_a1.pk}").status_code == 200
    assert api_as(org.finance).patch(f"/api/visits/{visit_a1.pk}", {"checklist": {}}).status_code == 403
    assert api_as(org.finance).post(f"/api/visits/{visit_a1.pk}/cancel").status_code == 403
    # visit now
    r = api.post("/api/visits/start", {"customer": org.cust_a1.pk})
    assert r.status_code == 200 and r.json()["id"] == visit_a1.pk  # today's planned visit
    assert api.post("/api/visits/start", {"customer": org.cust_b1.pk}).status_code == 404
    assert api.post("/api/visits/start", {}).status_code == 422


# ------------------------------------------------------------------------------------------ query counts
def _grow_plan(org, n: int) -> None:
    a1 = org.sales_a1
    for i in range(n):
        c = customer(org, a1, grade=(9, 6, 3, 1, 0)[i % 5], last=100 + i, pos=(JINAN[0] + i / 1000, JINAN[1]))
        if i % 2:
            done_visit(c, a1, 100 + i)
        if i % 3 == 0:
            planned(customer(org, a1, grade=6, last=50), a1)


@pytest.mark.parametrize(
    ("viewer", "url", "expected"),
    [
        # session, user, roles, then: settings, planned visits, count and page of the due customers
        ("sales_a1", "/visits/", 7),
        # + the near-me box and its rows
        ("sales_a1", f"/visits/?lat={JINAN[0]}&lng={JINAN[1]}", 9),
        # + regions, the salesperson, the salesperson picker
        ("manager_a", "/visits/?user={a1}", 10),
        ("sales_a1", "/visits/?week=1", 6),
    ],
)
def test_plan_page_query_count(org, client_as, django_assert_num_queries, viewer, url, expected):
    client = client_as(getattr(org, viewer))
    url = url.format(a1=org.sales_a1.pk)
    method.settings_for(org.company.pk)
    _grow_plan(org, 5)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    _grow_plan(org, 15)
    with django_assert_num_queries(expected):
        r = client.get(url)
    assert r.status_code == 200
    if "week" not in url:
        assert text_of(r).count('data-testid="plan-row"') > 15


def test_visit_page_query_count(org, client_as, django_assert_num_queries, needs, introducers, visit_a1):
    client = client_as(org.sales_a1)
    url = f"/visits/{visit_a1.pk}/"
    client.get(url)  # installs the default checklist

    def grow(n):
        for i in range(n):
            VisitNote.objects.create(
                company=org.company,
                visit=visit_a1,
                customer=visit_a1.customer,
                author=org.sales_a1,
                summary=f"第{i}条",
                recorded_at=timezone.now(),
            )
            photo(visit_a1)
            Relation.objects.create(
                company=org.company, customer=visit_a1.customer, kind="friend", name=f"友{i}", relation="朋友"
            )
            ChecklistItem.objects.create(company=org.company, name=f"物品{i}")

    # session, user, roles, the visit, can-change, settings ×2, needs, relations, checklist, photos, notes
    expected = 12
    grow(2)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    grow(6)
    with django_assert_num_queries(expected):
        r = client.get(url)
    page = text_of(r)
    assert "第5条" in page and page.count("条</") == 8  # every note listed


def test_the_bench_scenario_filters_in_sql(org, django_assert_max_num_queries):
    """The plan of a salesperson with many customers: the suggestions come from one page query and
    one count, not from a loop over the customers (their number does not change the queries)."""
    a1 = org.sales_a1
    Customer.objects.bulk_create(
        [
            Customer(
                company=org.company,
                region=org.region_a,
                owner=a1,
                name=f"批量客户{i}",
                grade=(9, 6, 3, 1, 0)[i % 5],
                last_followup_at=at_day(i % 120),
            )
            for i in range(600)
        ]
    )
    method.settings_for(org.company.pk)
    with django_assert_max_num_queries(4):  # settings, planned visits, count, page
        p = plan.day_plan(a1, today())
    assert p.due.paginator.count > 300 and len(p.due.object_list) == plan.PAGE_SIZE
    keys = [
        (not r.line.purchase_window, {9: 0, 6: 1, 3: 2, 1: 3, 0: 4}.get(r.customer.grade, 5)) for r in p.due.object_list
    ]
    assert keys == sorted(keys)
