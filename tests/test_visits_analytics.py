"""Visit analytics (issue 4 item 8): the close rate by number of visits before the deal, cadence
compliance per salesperson, the filters' visibility, and the manager's check-in map."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Customer
from visits import analytics, rules
from visits.models import Visit

from .test_visits_reports import at, customer, today, visit

EN = {"headers": {"Accept-Language": "en"}}


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def history(sales, c, *results_by_day: tuple[int, str]) -> None:
    """Done visits of ``c`` by ``sales``: (days ago, result) each, at 10:00."""
    for back, result in results_by_day:
        visit(sales, c, day=days_ago(back), when=at(days_ago(back)), result=result)


def buckets(data: dict) -> dict:
    return {r["bucket"]: (r["won"], r["lost"], r["pct"]) for r in data["buckets"]}


# --- close rate ---------------------------------------------------------------------------------------------


def test_close_rate_by_visits_before_the_deal_on_constructed_data(org):
    s = org.sales_a1
    won_after_2, lost_after_1, won_after_4 = (customer(org, grade=g) for g in (9, 6, 3))
    history(s, won_after_2, (10, ""), (8, "won"))
    history(s, lost_after_1, (9, "lost"))
    history(s, won_after_4, (20, ""), (15, ""), (10, ""), (5, "won"))
    # visits that are not done do not count
    visit(s, won_after_4, day=days_ago(12), status=Visit.Status.CANCELLED)
    visit(s, won_after_4, day=days_ago(11), done=False)
    # the first customer buys again: its second deal counts the visits since the first one (3: lost)
    history(s, won_after_2, (6, ""), (4, ""), (2, "lost"))

    data = analytics.close_rate(org.manager_a, analytics.Scope.default())
    assert buckets(data) == {"1–2": (1, 1, 50), "3–5": (1, 1, 50), "6+": (0, 0, None)}
    assert data["total"] == {"won": 2, "lost": 2, "closed": 4, "rate": 0.5, "pct": 50}
    counted = {
        (v.customer_id, v.result): v.n
        for v in analytics.closed_with_visit_counts(org.manager_a, analytics.Scope.default())
    }
    assert counted == {
        (won_after_2.pk, "won"): 2,
        (lost_after_1.pk, "lost"): 1,
        (won_after_4.pk, "won"): 4,
        (won_after_2.pk, "lost"): 3,
    }


def test_the_brief_example_won_after_2_lost_after_1_won_after_4(org):
    s = org.sales_a1
    a, b, c = (customer(org, grade=9) for _ in range(3))
    history(s, a, (5, ""), (4, "won"))
    history(s, b, (3, "lost"))
    history(s, c, (9, ""), (8, ""), (7, ""), (6, "won"))
    data = analytics.close_rate(org.sales_a1, analytics.Scope.default())
    assert buckets(data) == {"1–2": (1, 1, 50), "3–5": (1, 0, 100), "6+": (0, 0, None)}


def test_the_period_is_the_closing_day(org):
    s = org.sales_a1
    c = customer(org, grade=9)
    history(s, c, (200, ""), (100, ""), (50, "won"))
    last_60 = analytics.Scope(start=days_ago(59), end=today())
    # the deal closed within the period; its earlier visits count even when older than the period
    assert buckets(analytics.close_rate(org.manager_a, last_60))["3–5"] == (1, 0, 100)
    last_30 = analytics.Scope(start=days_ago(29), end=today())
    assert analytics.close_rate(org.manager_a, last_30)["total"]["closed"] == 0


def reference(sequences: list[list[str]]) -> dict:
    """Counting by hand: per customer, visits since the previous deal up to and including this one."""
    won, lost = {}, {}
    for seq in sequences:
        n = 0
        for result in seq:
            n += 1
            if result:
                bucket = rules.visit_bucket(n)
                (won if result == "won" else lost)[bucket] = (won if result == "won" else lost).get(bucket, 0) + 1
                n = 0
    return {b: (won.get(b, 0), lost.get(b, 0)) for b in analytics.BUCKETS}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(st.lists(st.lists(st.sampled_from(["", "", "", "won", "lost"]), min_size=1, max_size=9), min_size=1, max_size=4))
def test_property_the_sql_counts_match_counting_by_hand(org, sequences):
    with transaction.atomic():
        for i, seq in enumerate(sequences):
            c = Customer.objects.create(company=org.company, region=org.region_a, owner=org.sales_a1, name=f"P{i}")
            for k, result in enumerate(seq):
                back = 30 - k
                visit(org.sales_a1, c, day=days_ago(back), when=at(days_ago(back), 9 + i), result=result)
        data = analytics.close_rate(org.manager_a, analytics.Scope.default())
        assert {b: (w, lo) for b, (w, lo, _p) in buckets(data).items()} == reference(sequences)
        transaction.set_rollback(True)


def test_the_analytics_page_shows_the_chart_data_and_a_readable_table(org, client_as):
    s = org.sales_a1
    a, b = customer(org, grade=9), customer(org, grade=6)
    history(s, a, (3, ""), (2, "won"))
    history(s, b, (4, "lost"))
    page = client_as(org.manager_a).get("/visits/analytics/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    row = re.search(r'data-bucket="1–2">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>(?:<strong>)?([^<]*)", row)[:4] == ["1–2", "1", "1", "50%"]
    chart = json.loads(
        re.search(r'<script id="close-rate-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert chart["buckets"] == ["1–2", "3–5", "6+"] and chart["rates"] == [50, None, None]
    assert "vendor/echarts.min.js" in html and "visits/reports.js" in html
    assert client_as(org.finance).get("/visits/analytics/").status_code == 403


# --- filters and their visibility ------------------------------------------------------------------------


def test_filters_offer_only_what_the_user_may_see(org, client_as, api_as):
    history(org.sales_b1, org.cust_b1, (3, "won"))
    history(org.sales_a1, org.cust_a1, (3, "lost"))
    manager = client_as(org.manager_a)
    page = manager.get("/visits/analytics/")
    form = page.context["form"]
    assert set(form.fields["region"].queryset) == {org.region_a}
    assert set(form.fields["salesperson"].queryset) == {org.sales_a1, org.sales_a2}
    assert page.context["close"]["total"] == {"won": 0, "lost": 1, "closed": 1, "rate": 0.0, "pct": 0}

    bad = manager.get(f"/visits/analytics/?salesperson={org.sales_b1.pk}", **EN)
    assert bad.status_code == 422 and "salesperson" in bad.context["form"].errors
    assert bad.context["close"]["total"]["won"] == 0  # nothing of region B leaks
    assert manager.get(f"/visits/analytics/?region={org.region_b.pk}").status_code == 422

    api = api_as(org.manager_a)
    refused = api.get(f"/api/visits/analytics/close-rate?salesperson={org.sales_b1.pk}")
    assert refused.status_code == 400 and "salesperson" in refused.json()["error"]["fields"]
    assert api.get("/api/visits/analytics/close-rate?regoin=1").status_code == 400
    ok = api.get(f"/api/visits/analytics/close-rate?salesperson={org.sales_a1.pk}").json()
    assert ok["total"]["lost"] == 1 and ok["filters"]["salesperson"] == org.sales_a1.pk

    admin = api_as(org.admin).get(f"/api/visits/analytics/close-rate?region={org.region_b.pk}").json()
    assert admin["total"] == {"won": 1, "lost": 0, "closed": 1, "rate": 1.0, "pct": 100}

    sales = client_as(org.sales_a1).get("/visits/analytics/")
    assert list(sales.context["form"].fields["salesperson"].queryset) == [org.sales_a1]
    assert sales.context["close"]["total"]["closed"] == 1
    assert client_as(org.sales_a1).get(f"/visits/analytics/?salesperson={org.sales_a2.pk}").status_code == 422


def test_a_period_the_wrong_way_round_is_refused(org, client_as, api_as):
    page = client_as(org.manager_a).get(f"/visits/analytics/?start={today()}&end={days_ago(5)}", **EN)
    assert page.status_code == 422 and "start" in page.context["form"].errors
    response = api_as(org.manager_a).get("/api/visits/analytics/compliance?start=2026-02-30")
    assert response.status_code == 400 and "start" in response.json()["error"]["fields"]


# --- compliance ------------------------------------------------------------------------------------------


def test_compliance_today_per_salesperson_and_grade(org):
    d = today()
    Customer.objects.filter(pk=org.cust_a1.pk).update(last_followup_at=at(d))  # grade 6, covered
    customer(org, grade=9, followed=at(d - dt.timedelta(days=1)))  # covered
    customer(org, grade=9, followed=at(d - dt.timedelta(days=3)))  # not
    customer(org, grade=1, followed=at(d - dt.timedelta(days=29)))  # covered (monthly)
    customer(org, grade=0, followed=at(d - dt.timedelta(days=95)))  # not (quarterly)
    customer(org, followed=None)  # not graded, never followed up
    rows = {r["user_id"]: r for r in analytics.compliance_today(org.manager_a, analytics.Scope.default())}
    a1 = rows[org.sales_a1.pk]
    got = {g["grade"]: (g["covered"], g["customers"]) for g in a1["grades"]}
    assert got == {"9": (1, 2), "6": (1, 1), "3": (0, 0), "1": (1, 1), "0": (0, 1), "none": (0, 1)}
    assert (a1["covered"], a1["customers"], a1["pct"], a1["push_pct"]) == (3, 6, 50, 67)
    assert org.sales_b1.pk not in rows  # region B


def test_compliance_over_the_period_counts_repeat_visits_within_the_cadence(org):
    s = org.sales_a1
    weekly = customer(org, grade=6)
    history(s, weekly, (30, ""), (25, ""), (18, ""), (9, ""))  # gaps 5, 7, 9 days: 2 on time, 1 late
    every_2 = customer(org, grade=9)
    history(s, every_2, (5, ""), (3, ""), (2, ""))  # gaps 2, 1: on time
    rows = {r["user_id"]: r for r in analytics.compliance_period(org.manager_a, analytics.Scope.default())}
    a1 = rows[org.sales_a1.pk]
    assert (a1["due"], a1["kept"], a1["late"], a1["pct"]) == (5, 4, 1, 80)
    # the first visit of the period with an earlier one before the period counts too
    late_start = analytics.Scope(start=days_ago(26), end=today())
    rows = {r["user_id"]: r for r in analytics.compliance_period(org.manager_a, late_start)}
    assert (rows[s.pk]["due"], rows[s.pk]["kept"]) == (5, 4)
    short = analytics.Scope(start=days_ago(10), end=today())
    rows = {r["user_id"]: r for r in analytics.compliance_period(org.manager_a, short)}
    assert (rows[s.pk]["due"], rows[s.pk]["kept"]) == (3, 2)


def test_compliance_api(org, api_as):
    history(org.sales_a1, org.cust_a1, (8, ""), (1, ""))  # grade 6, weekly: 7 days later is on time
    history(org.sales_a2, org.cust_a2, (20, ""), (3, ""))  # grade 3, fortnightly: 17 days is late
    data = api_as(org.manager_a).get("/api/visits/analytics/compliance").json()
    period = {r["salesperson"]: (r["due"], r["kept"], r["pct"]) for r in data["period"]}
    assert period == {org.sales_a1.pk: (1, 1, 100), org.sales_a2.pk: (1, 0, 0)}
    today_rows = {r["salesperson"]: r for r in data["today"]}
    assert set(today_rows) == {org.sales_a1.pk, org.sales_a2.pk}


# --- the check-in map ----------------------------------------------------------------------------------


@pytest.fixture
def checkins(org):
    Customer.objects.filter(pk__in=[org.cust_a1.pk, org.cust_a2.pk]).update(
        latitude=Decimal("36.651000"), longitude=Decimal("117.120000")
    )
    ok = visit(
        org.sales_a1,
        org.cust_a1,
        checkin_lat=Decimal("36.652000"),
        checkin_lng=Decimal("117.121000"),
        checkin_distance_m=140,
        checkin_accuracy_m=12,
    )
    far = visit(
        org.sales_a2,
        org.cust_a2,
        checkin_lat=Decimal("36.700000"),
        checkin_lng=Decimal("117.200000"),
        checkin_distance_m=8900,
        checkin_accuracy_m=20,
        flagged=True,
        flag_reason="距客户 8.9 公里",
    )
    manual = visit(org.sales_a1, org.cust_a2, checkin_manual=True, flagged=True, flag_reason="手动签到：没有信号")
    other = visit(org.sales_b1, org.cust_b1, checkin_lat=Decimal("35.1"), checkin_lng=Decimal("118.3"))
    yesterday = visit(
        org.sales_a1, org.cust_a1, day=days_ago(1), checkin_lat=Decimal("36.6"), checkin_lng=Decimal("117.1")
    )
    return {"ok": ok, "far": far, "manual": manual, "other": other, "yesterday": yesterday}


def test_the_map_shows_the_days_checkins_of_the_managers_regions(org, client_as, checkins):
    page = client_as(org.manager_a).get("/visits/map/", **EN)
    assert page.status_code == 200
    points = {p["id"]: p for p in page.context["points"]}
    assert set(points) == {checkins["ok"].pk, checkins["far"].pk, checkins["manual"].pk}
    assert points[checkins["far"].pk]["flagged"] and points[checkins["far"].pk]["reason"] == "距客户 8.9 公里"
    assert (points[checkins["ok"].pk]["lat"], points[checkins["ok"].pk]["lng"]) == (36.652, 117.121)
    # a manual check-in has no position: placed at the customer's stored location
    assert points[checkins["manual"].pk]["placed"] == "customer"
    assert (points[checkins["manual"].pk]["lat"], points[checkins["manual"].pk]["lng"]) == (36.651, 117.12)
    html = page.content.decode()
    data = json.loads(
        re.search(r'<script id="checkin-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert len(data["points"]) == 3 and data["labels"]["flagged"] == "Flagged"
    assert html.count('data-testid="checkin-row"') == 3 and "8.9 km" in html
    one = client_as(org.manager_a).get(f"/visits/map/?user={org.sales_a2.pk}")
    assert [p["id"] for p in one.context["points"]] == [checkins["far"].pk]
    back = client_as(org.manager_a).get(f"/visits/map/?day={days_ago(1).isoformat()}")
    assert [p["id"] for p in back.context["points"]] == [checkins["yesterday"].pk]
    assert [p["id"] for p in client_as(org.manager_b).get("/visits/map/").context["points"]] == [checkins["other"].pk]
    assert client_as(org.sales_a1).get("/visits/map/").status_code == 403


def test_the_checkins_api(org, api_as, checkins):
    data = api_as(org.manager_a).get("/api/visits/checkins").json()
    assert data["count"] == 3 and sum(p["flagged"] for p in data["items"]) == 2
    assert api_as(org.manager_a).get(f"/api/visits/checkins?user={org.sales_b1.pk}").status_code == 400
    assert api_as(org.sales_a1).get("/api/visits/checkins").status_code == 403
    assert api_as(org.manager_a).get("/api/visits/checkins?day=yesterday").status_code == 400


def test_query_counts_of_analytics_and_map_do_not_grow(org, client_as, django_assert_num_queries):
    from visits.method import settings_for

    settings_for(org.company.pk)

    def grow(n):
        for i in range(n):
            c = customer(org, grade=(9, 6, 3)[i % 3], followed=at(days_ago(i)))
            history(org.sales_a1, c, (i + 3, ""), (i + 1, "won" if i % 2 else "lost"))
            visit(org.sales_a2, c, flagged=True, checkin_lat=Decimal("36.7"), checkin_lng=Decimal("117.2"))

    manager = client_as(org.manager_a)
    grow(2)
    # session, user, roles, regions + filters' choices (regions, team), close rate, settings,
    # compliance today + names, compliance period + names
    with django_assert_num_queries(12):
        few = manager.get("/visits/analytics/")
    # session, user, roles, regions + team, check-ins
    with django_assert_num_queries(6):
        few_map = manager.get("/visits/map/")
    grow(5)
    with django_assert_num_queries(12):
        many = manager.get("/visits/analytics/")
    with django_assert_num_queries(6):
        many_map = manager.get("/visits/map/")
    assert many.context["close"]["total"]["closed"] > few.context["close"]["total"]["closed"]
    assert len(many_map.context["points"]) > len(few_map.context["points"])
    assert timezone.localdate() == today()
