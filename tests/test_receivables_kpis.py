"""Receivables · prevention and KPIs: credit checks (资信调查), the collection rate (回款率) per
salesperson and region, the four attitudes (回款的四种态度), the first late payment flag, and the
bench's hand-written SQL against the selectors (ageing, worklist)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from core.models import AuditEntry
from orders.models import Contract
from receivables import selectors as ledger
from receivables import services as ledger_services
from receivables.kpis import bench, rules, selectors, services
from receivables.models import CreditCheck, Payment, ReceivableAccount

from .conftest import ApiClient
from .test_receivables import make_account, pay, ui

MARCH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


# ------------------------------------------------------------------------------------------- rules
def test_periods():
    day = dt.date(2026, 2, 14)
    assert rules.period(rules.THIS_MONTH, day) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert rules.period(rules.LAST_MONTH, day) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert rules.period(rules.LAST_MONTH, dt.date(2026, 1, 5)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert rules.period(rules.THIS_QUARTER, dt.date(2026, 12, 1)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert rules.period(rules.THIS_YEAR, day) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValueError):
        rules.period("fortnight", day)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)), st.sampled_from(rules.PRESETS))
def test_a_period_holds_its_day_except_last_month(day, preset):
    start, end = rules.period(preset, day)
    assert start <= end and start.day == 1
    assert (end + dt.timedelta(days=1)).day == 1
    if preset == rules.LAST_MONTH:
        assert end < day and (end + dt.timedelta(days=1)).month == day.month
    else:
        assert start <= day <= end


def test_quadrants_by_hand():
    assert rules.quadrant(10, 0.9, 5, 0.5) == rules.STRATEGY_LED
    assert rules.quadrant(10, 0.1, 5, 0.5) == rules.SALES_LED
    assert rules.quadrant(1, 0.9, 5, 0.5) == rules.COLLECTION_LED
    assert rules.quadrant(1, 0.1, 5, 0.5) == rules.PASSIVE
    assert rules.quadrant(5, 0.5, 5, 0.5) == rules.STRATEGY_LED  # on the lines counts as high
    assert rules.quadrant(0, 0.0, 0, 0.0) == rules.PASSIVE  # nothing sold, nothing collected: never high
    assert rules.median([3, 1, 2]) == 2 and rules.median([4, 1, 3, 2]) == 2.5 and rules.median([]) is None


points = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**10),
        st.one_of(st.none(), st.floats(min_value=0, max_value=1, allow_nan=False)),
    ),
    max_size=12,
)


@given(points)
def test_classification_is_consistent_with_the_medians(rows):
    keyed = [(i, s, r) for i, (s, r) in enumerate(rows)]
    quadrants, sales_line, rate_line = rules.classify(keyed)
    placed = [(i, s, r) for i, s, r in keyed if r is not None]
    if not placed:
        assert all(q is None for q in quadrants.values())
        return
    assert sales_line == rules.median(s for _i, s, _r in placed)
    assert rate_line == rules.median(r for _i, _s, r in placed)
    for i, s, r in keyed:
        q = quadrants[i]
        if r is None:
            assert q is None  # nothing fell due: no rate, no quadrant
            continue
        high_sales = q in (rules.SALES_LED, rules.STRATEGY_LED)
        high_rate = q in (rules.COLLECTION_LED, rules.STRATEGY_LED)
        assert high_sales == (s >= sales_line and s > 0) and high_rate == (r >= rate_line and r > 0)
    # at least half of the placed points are on or above each median
    assert 2 * sum(1 for _i, s, _r in placed if s >= sales_line) >= len(placed)
    assert 2 * sum(1 for _i, _s, r in placed if r >= rate_line) >= len(placed)


@given(points, st.integers(min_value=0, max_value=10**10), st.floats(min_value=0, max_value=1))
def test_targets_replace_the_medians(rows, sales_target, rate_target):
    keyed = [(i, s, r) for i, (s, r) in enumerate(rows)]
    quadrants, sales_line, rate_line = rules.classify(keyed, sales_line=sales_target, rate_line=rate_target)
    assert (sales_line, rate_line) == (sales_target, rate_target)
    for i, s, r in keyed:
        assert quadrants[i] == (None if r is None else rules.quadrant(s, r, sales_target, rate_target))


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_collection_rate(due, collected):
    rate = rules.collection_rate(due, collected)
    assert rate is None if due == 0 else rate * due == pytest.approx(collected)


def test_credit_status_rule():
    today = dt.date(2026, 6, 30)
    assert rules.credit_status(None, None, today) == (False, rules.NO_CHECK)
    assert rules.credit_status(today, rules.BAD, today) == (False, rules.BAD_RESULT)
    old = today - dt.timedelta(days=rules.MAX_AGE_DAYS + 1)
    assert rules.credit_status(old, rules.GOOD, today) == (False, rules.STALE)
    edge = today - dt.timedelta(days=rules.MAX_AGE_DAYS)
    assert rules.credit_status(edge, rules.GOOD, today) == (True, rules.OK)
    assert rules.credit_status(today, rules.CAUTION, today) == (True, rules.CAUTION_RESULT)


@given(st.lists(st.sampled_from([*rules.SOURCES, "astrology", " ", "court_list"]), max_size=10))
def test_clean_sources_keeps_known_ones_in_list_order_once(raw):
    chosen, unknown = rules.clean_sources(raw)
    assert chosen == [s for s in rules.SOURCES if s in raw]
    assert set(unknown) == {s.strip() for s in raw if s.strip() and s not in rules.SOURCES}


# ---------------------------------------------------------------------------------- credit checks
def record(actor, customer, **kw):
    values = {
        "stage": "before_new_sale",
        "checked_on": timezone.localdate() - dt.timedelta(days=1),
        "sources": ["bank_report", "court_list"],
        "result": "good",
        "note": "",
    } | kw
    return services.credit_check_record(actor=actor, customer=customer, **values)


def test_credit_check_recorded_with_audit_and_status(org):
    assert selectors.credit_check_status(org.cust_a1) == (False, selectors.status_message(rules.NO_CHECK, None))
    check = record(org.sales_a1, org.cust_a1, sources=["court_list", "bank_report", "court_list"])
    assert check.sources == ["bank_report", "court_list"] and check.by == org.sales_a1
    assert AuditEntry.objects.filter(content_type__model="creditcheck", object_id=str(check.pk)).exists()
    ok, message = selectors.credit_check_status(org.cust_a1)
    assert ok and check.checked_on.isoformat() in message
    record(org.finance, org.cust_a1, result="bad", note="失信被执行人名单有记录")
    ok, message = selectors.credit_check_status(org.cust_a1)
    assert not ok and "bad" in message


def test_a_stale_check_warns_before_a_new_sale(org):
    record(org.sales_a1, org.cust_a1, checked_on=timezone.localdate() - dt.timedelta(days=rules.MAX_AGE_DAYS + 5))
    ok, message = selectors.credit_check_status(org.cust_a1)
    assert not ok and str(rules.MAX_AGE_DAYS) in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"checked_on": timezone.localdate() + dt.timedelta(days=1)}, "checked_on"),
        ({"checked_on": "31/02/2026"}, "checked_on"),
        ({"sources": ["bank_report", "horoscope"]}, "sources"),
        ({"sources": []}, "sources"),
        ({"stage": "after_the_funeral"}, "stage"),
        ({"result": "excellent"}, "result"),
        ({"result": "caution", "note": " "}, "note"),
    ],
)
def test_credit_check_refuses_bad_input_naming_the_field(org, change, field):
    with pytest.raises(ValidationError) as exc:
        record(org.sales_a1, org.cust_a1, **change)
    assert field in exc.value.message_dict
    assert not CreditCheck.objects.exists()


def test_credit_check_permissions(org, other):
    # the pool customer is visible to the salesperson but not theirs; another region's; another company's
    for actor, customer in ((org.sales_a1, org.cust_pool), (org.sales_a1, org.cust_b1), (org.finance, org.cust_b1)):
        with pytest.raises(PermissionError):
            record(actor, customer)
    with pytest.raises(PermissionError):
        record(org.admin, other.customer)
    with pytest.raises(PermissionError):
        record(org.service, org.cust_b1)
    assert (
        not CreditCheck.objects.exists() and not AuditEntry.objects.filter(content_type__model="creditcheck").exists()
    )
    assert record(org.manager_b, org.cust_b1).pk and record(org.finance, org.cust_pool).pk
    account = make_account(org.cust_a2)
    with pytest.raises(ValidationError) as exc:
        record(org.admin, org.cust_a1, account=account)
    assert "account" in exc.value.message_dict


def test_account_page_shows_checks_first_late_flag_and_records_a_check(org, client_as):
    account = make_account(org.cust_a1, first_due=dt.date(2025, 2, 1))
    record(org.finance, org.cust_a1, result="caution", note="项目回款慢")
    c = client_as(org.sales_a1)
    body = c.get(reverse("receivables:detail", args=[account.pk])).content.decode()
    assert 'data-testid="kpis-panel"' in body and "项目回款慢" in body and 'data-testid="first-late-none"' in body
    assert 'data-testid="check-form"' in body  # the owner may record
    account.first_late_on = dt.date(2025, 2, 6)
    account.save(update_fields=["first_late_on"])
    url = reverse("receivables:kpis_account_check", args=[account.pk])
    bad = {"stage": "during_term", "checked_on": "2099-01-01", "result": "good", "sources": ["horoscope"]}
    r = c.post(url, bad, headers={"HX-Request": "true"})
    body = r.content.decode()
    assert r.status_code == 422 and 'data-testid="check-errors"' in body
    assert ui("The date of the check cannot be in the future.") in body and "horoscope" in body
    good = {"stage": "during_term", "checked_on": "2025-06-01", "result": "good", "sources": ["bank_report"]}
    r = c.post(url, good)
    assert r.status_code == 302 and CreditCheck.objects.filter(account=account, stage="during_term").count() == 1
    body = c.get(reverse("receivables:detail", args=[account.pk])).content.decode()
    assert 'data-testid="first-late"' in body and "2025-02-06" in body
    # the region's manager of another region does not see the account at all
    assert client_as(org.manager_b).post(url, good).status_code == 404


def test_customer_credit_check_page(org, client_as):
    c = client_as(org.sales_a1)
    url = reverse("receivables:kpis_customer_checks", args=[org.cust_a1.pk])
    profile = c.get(reverse("customers:detail", args=[org.cust_a1.pk])).content.decode()
    assert f'href="{url}" data-testid="credit-checks-link"' in profile
    r = c.get(url)
    assert r.status_code == 200 and 'data-ok="0"' in r.content.decode()
    r = c.post(url, {"stage": "before_new_sale", "checked_on": timezone.localdate().isoformat(), "result": "good",
                     "sources": ["court_list", "local_reputation"]})  # fmt: skip
    assert r.status_code == 302
    assert 'data-ok="1"' in c.get(url).content.decode()
    assert c.get(reverse("receivables:kpis_customer_checks", args=[org.cust_b1.pk])).status_code == 404
    r = c.post(reverse("receivables:kpis_customer_checks", args=[org.cust_pool.pk]), {"result": "good"})
    assert r.status_code == 403


def test_credit_check_api(org, other):
    api = ApiClient(org.sales_a1)
    r = api.post("/api/receivables/credit-checks", {"customer": org.cust_a1.pk, "stage": "before_contract",
                                                    "checked_on": "2025-01-05", "sources": ["bank_report"],
                                                    "result": "good"})  # fmt: skip
    assert r.status_code == 201 and r.json()["sources"] == ["bank_report"]
    r = api.post("/api/receivables/credit-checks", {"customer": org.cust_a1.pk, "stage": "before_contract",
                                                    "checked_on": "2999-01-05", "sources": ["tea_leaves"],
                                                    "result": "good"})  # fmt: skip
    assert r.status_code == 422 and {"checked_on", "sources"} <= set(r.json()["error"]["fields"])
    assert api.post("/api/receivables/credit-checks", {"customer": org.cust_b1.pk}).status_code == 404
    assert api.post("/api/receivables/credit-checks", {"customer": other.customer.pk}).status_code == 404
    record(org.manager_b, org.cust_b1)
    assert api.get("/api/receivables/credit-checks").json()["count"] == 1
    assert ApiClient(org.admin).get("/api/receivables/credit-checks").json()["count"] == 2
    assert ApiClient(org.admin).get("/api/receivables/credit-checks?result=best").status_code == 400
    status = api.get(f"/api/receivables/credit-status/{org.cust_a1.pk}").json()
    assert status["ok"] is False and "2025-01-05" in status["message"]  # older than the limit


# --------------------------------------------------------------------------------- collection rate
def _contract(org, customer, fen, signed_on):
    from .test_orders_delivery import make_order

    contract = Contract.objects.get(order=make_order(org, customer=customer))
    contract.amount_fen, contract.signed_on = fen, signed_on
    contract.save(update_fields=["amount_fen", "signed_on"])
    return contract


@pytest.fixture
def march(org):
    """March 2025 by hand: a1 — 100,000 due 3-01, 60,000 collected by 3-31 (a 50,000 payment of 3-10
    reversed, 20,000 more on 4-05 after the period); a2 — 200,000 due 3-15 paid early; b1 — 300,000 due
    3-20 unpaid. Contracts: a1 ¥5,000 and b1 ¥8,000 signed in March, a2 none."""
    a1 = make_account(org.cust_a1, (100_000, 100_000, 100_000), first_due=dt.date(2025, 2, 1))
    pay(a1, org.finance, 100_000, day=dt.date(2025, 2, 3))
    pay(a1, org.finance, 60_000, day=dt.date(2025, 3, 5))
    wrong = pay(a1, org.finance, 50_000, day=dt.date(2025, 3, 10))
    ledger_services.payment_reverse(actor=org.finance, payment=wrong, reason="录错账户")
    pay(a1, org.finance, 20_000, day=dt.date(2025, 4, 5))
    a2 = make_account(org.cust_a2, (200_000,), first_due=dt.date(2025, 3, 15))
    pay(a2, org.finance, 200_000, day=dt.date(2025, 3, 14))
    b1 = make_account(org.cust_b1, (300_000, 300_000), first_due=dt.date(2025, 3, 20))
    a1.first_late_on = dt.date(2025, 3, 2)
    a1.save(update_fields=["first_late_on"])
    b1.first_late_on = dt.date(2025, 3, 21)
    b1.save(update_fields=["first_late_on"])
    _contract(org, org.cust_a1, 500_000, dt.date(2025, 3, 10))
    _contract(org, org.cust_b1, 800_000, dt.date(2025, 3, 12))
    _contract(org, org.cust_b1, 999_999, dt.date(2025, 4, 1))  # after the period
    return {"a1": a1, "a2": a2, "b1": b1}


def test_collection_rate_by_hand(org, march):
    report = selectors.collection(org.admin, start=MARCH[0], end=MARCH[1])
    people = {p.key: p for p in report["people"]}
    a1, a2, b1 = people[org.sales_a1.pk], people[org.sales_a2.pk], people[org.sales_b1.pk]
    assert (a1.due_fen, a1.collected_fen, a1.overdue_fen, a1.first_late) == (100_000, 60_000, 40_000, 1)
    assert a1.rate == pytest.approx(0.6) and a1.sales_fen == 500_000
    assert (a2.due_fen, a2.collected_fen, a2.overdue_fen, a2.rate, a2.sales_fen) == (200_000, 200_000, 0, 1.0, 0)
    assert (b1.due_fen, b1.collected_fen, b1.overdue_fen, b1.rate) == (300_000, 0, 300_000, 0.0)
    assert b1.sales_fen == 800_000 and b1.first_late == 1
    regions = {r.key: r for r in report["regions"]}
    ra, rb = regions[org.region_a.pk], regions[org.region_b.pk]
    assert (ra.due_fen, ra.collected_fen, ra.overdue_fen) == (300_000, 260_000, 40_000)
    assert (rb.due_fen, rb.collected_fen, rb.overdue_fen) == (300_000, 0, 300_000)
    total = report["total"]
    assert (total.due_fen, total.collected_fen, total.overdue_fen, total.first_late) == (600_000, 260_000, 340_000, 2)
    # the overdue amount at the period's end is ageing's overdue on that day
    assert ledger.ageing(org.admin, as_of=MARCH[1], group_by="region")["total"]["overdue_fen"] == 340_000
    # April: the 20,000 of 4-05 counts against March's instalment only from April on, not in its rate
    april = selectors.collection(org.admin, start=dt.date(2025, 4, 1), end=dt.date(2025, 4, 30))
    p = {r.key: r for r in april["people"]}[org.sales_a1.pk]
    assert (p.due_fen, p.collected_fen, p.overdue_fen) == (100_000, 0, 20_000 + 100_000)


def test_a_period_not_over_reads_the_stored_paid_amounts_with_the_same_result(org, march):
    today = timezone.localdate()
    start = dt.date(2025, 1, 1)
    make_account(org.cust_a1, (70_000, 70_000), first_due=today - dt.timedelta(days=20))
    stored = selectors.collection(org.admin, start=start, end=today)  # end today: paid_fen, no join
    joined = selectors.collection(org.admin, start=start, end=today, today=today + dt.timedelta(days=1))

    def figures(report):
        rows = [*report["people"], *report["regions"], report["total"]]
        return [(r.key, r.due_fen, r.collected_fen, r.overdue_fen) for r in rows]

    assert figures(stored) == figures(joined) and stored["total"].overdue_fen > 0


def test_four_attitudes_from_the_medians_and_from_targets(org, march):
    report = selectors.collection(org.admin, start=MARCH[0], end=MARCH[1])
    chart = selectors.attitudes(report)
    got = {p.key: p.quadrant for p in report["people"]}
    assert got == {org.sales_a1.pk: "strategy_led", org.sales_a2.pk: "collection_led", org.sales_b1.pk: "sales_led"}
    assert chart["sales_line_fen"] == 500_000 and chart["rate_line"] == pytest.approx(0.6)
    report = selectors.collection(org.admin, start=MARCH[0], end=MARCH[1])
    selectors.attitudes(report, target_sales_fen=600_000, target_rate=0.7)
    got = {p.key: p.quadrant for p in report["people"]}
    assert got == {org.sales_a1.pk: "passive", org.sales_a2.pk: "collection_led", org.sales_b1.pk: "sales_led"}


def test_who_sees_which_figures(org, march):
    def keys(user):
        report = selectors.collection(user, start=MARCH[0], end=MARCH[1])
        return {p.key for p in report["people"]}, {r.key for r in report["regions"]}

    assert keys(org.admin) == ({org.sales_a1.pk, org.sales_a2.pk, org.sales_b1.pk}, {org.region_a.pk, org.region_b.pk})
    assert keys(org.manager_a) == ({org.sales_a1.pk, org.sales_a2.pk}, {org.region_a.pk})
    assert keys(org.finance) == ({org.sales_a1.pk, org.sales_a2.pk}, {org.region_a.pk})
    assert keys(org.manager_b) == ({org.sales_b1.pk}, {org.region_b.pk})
    assert keys(org.sales_a1) == ({org.sales_a1.pk}, {org.region_a.pk})  # only themselves
    assert keys(org.service) == (set(), set())


def test_kpi_page(org, march, client_as):
    c = client_as(org.manager_a)
    r = c.get(reverse("receivables:kpis"), {"start": "2025-03-01", "end": "2025-03-31"})
    body = r.content.decode()
    assert r.status_code == 200 and body.count('data-testid="person-row"') == 2
    # the manager's team only: medians ¥2,500 and 80% → a1 (¥5,000, 60%) is sales-led here
    assert f'data-key="{org.sales_a1.pk}" data-quadrant="sales_led"' in body
    assert org.sales_b1.display_name not in body  # another region
    assert 'data-testid="total-rate">86.7%' in body and "attitudes-data" in body
    assert ui("sales-led (销售导向)") in body and ui("collection-led (回款导向)") in body
    r = client_as(org.sales_a1).get(reverse("receivables:kpis"), {"start": "2025-03-01", "end": "2025-03-31"})
    body = r.content.decode()
    assert body.count('data-testid="person-row"') == 1 and 'data-testid="kpi-regions"' not in body
    r = c.get(reverse("receivables:kpis"), {"period": "fortnight", "target_rate": "180", "target_sales": "lots"})
    body = r.content.decode()
    assert r.status_code == 422 and 'data-testid="form-errors"' in body
    assert ui("A target collection rate is a percentage from 0 to 100.") in body
    assert ui("A target for sales is an amount in yuan, zero or more.") in body and ui("this month") in body
    r = c.get(reverse("receivables:kpis"), {"start": "2025-03-31", "end": "2025-03-01"})
    assert r.status_code == 422 and ui("The start is after the end.") in r.content.decode()
    assert c.get(reverse("receivables:kpis"), {"period": "last_month"}).status_code == 200


def test_kpi_api(org, march):
    q = "?period=custom&start=2025-03-01&end=2025-03-31"
    data = ApiClient(org.admin).get("/api/receivables/kpis" + q).json()
    assert data["total"]["due_fen"] == 600_000 and data["total"]["collected_fen"] == 260_000
    people = {p["id"]: p for p in data["salespeople"]}
    assert people[org.sales_b1.pk]["quadrant"] == "sales_led" and people[org.sales_b1.pk]["rate"] == 0
    assert data["quadrant_lines"] == {"sales_fen": 500_000, "rate": 0.6, "sales_by_median": True,
                                      "rate_by_median": True}  # fmt: skip
    mine = ApiClient(org.sales_b1).get("/api/receivables/kpis" + q).json()
    assert [p["id"] for p in mine["salespeople"]] == [org.sales_b1.pk] and mine["regions"] == []
    r = ApiClient(org.admin).get("/api/receivables/kpis?target_rate=abc&colour=red")
    assert r.status_code == 400  # an unknown filter
    r = ApiClient(org.admin).get("/api/receivables/kpis?target_rate=abc")
    assert r.status_code == 422 and "target_rate" in r.json()["error"]["fields"]


# ----------------------------------------------------------------------------------- query counts
def test_kpi_page_query_count_is_fixed(org, march, client_as, django_assert_num_queries):
    c = client_as(org.admin)
    url = reverse("receivables:kpis") + "?start=2025-03-01&end=2025-03-31"
    c.get(url)
    with django_assert_num_queries(7):
        c.get(url)
    for _ in range(4):
        acc = make_account(org.cust_a2, (50_000, 50_000), first_due=dt.date(2025, 3, 3))
        pay(acc, org.finance, 70_000, day=dt.date(2025, 3, 3))
        _contract(org, org.cust_a2, 100_000, dt.date(2025, 3, 4))
    with django_assert_num_queries(7):
        r = c.get(url)
    assert r.content.decode().count('data-testid="person-row"') == 3


def test_account_page_query_count_is_pinned(org, client_as, django_assert_num_queries):
    account = make_account(org.cust_a1, (100_000,), first_due=dt.date(2025, 1, 1))
    c = client_as(org.finance)
    url = reverse("receivables:detail", args=[account.pk])
    c.get(url)
    # the ledger part's queries plus one for the credit checks; the other parts of collection add
    # theirs at merge (the lead updates the number)
    with django_assert_num_queries(ACCOUNT_PAGE_QUERIES):
        c.get(url)
    for _ in range(5):
        record(org.finance, org.cust_a1)
    big = make_account(org.cust_a1, tuple([100_000] * 24), first_due=dt.date(2024, 1, 1))
    for _ in range(6):
        pay(big, org.finance, 150_000, day=dt.date(2025, 1, 5))
    with django_assert_num_queries(ACCOUNT_PAGE_QUERIES):
        r = c.get(reverse("receivables:detail", args=[big.pk]))
    assert r.content.decode().count('data-testid="credit-check"') == 5


ACCOUNT_PAGE_QUERIES = 29  # the ledger (7) and the four parts of collection: a fixed number whatever the rows


def test_ageing_page_query_count_is_pinned(org, client_as, django_assert_num_queries):
    make_account(org.cust_a1, first_due=dt.date(2025, 1, 1))
    c = client_as(org.admin)
    url = reverse("receivables:ageing") + "?group_by=region"
    c.get(url)
    with django_assert_num_queries(AGEING_PAGE_QUERIES):
        c.get(url)
    for customer in (org.cust_a2, org.cust_b1, org.cust_b1, org.cust_pool):
        make_account(customer, first_due=dt.date(2025, 6, 1))
    with django_assert_num_queries(AGEING_PAGE_QUERIES):
        r = c.get(url)
    assert r.content.decode().count('data-testid="ageing-row"') == 2


AGEING_PAGE_QUERIES = 4


# ------------------------------------------------------------------- the bench's hand-written SQL
def _random_ledgers(org, rng: random.Random) -> None:
    customers = [org.cust_a1, org.cust_a2, org.cust_b1, org.cust_pool]
    today = timezone.localdate()
    for k in range(10):
        n = rng.randint(1, 8)
        first = today - dt.timedelta(days=rng.randint(-40, 300))
        account = make_account(customers[k % 4], tuple(rng.choice([50_000, 80_001, 123_456]) for _ in range(n)),
                               first_due=first)  # fmt: skip
        start = first - dt.timedelta(days=25)
        for _ in range(rng.randint(0, 4)):
            day = min(today, start + dt.timedelta(days=rng.randint(0, 400)))
            p = pay(account, org.admin, rng.randint(1, 200_000), day=day)
            if rng.random() < 0.2:
                try:
                    ledger_services.payment_reverse(actor=org.admin, payment=p, reason="错")
                except ValidationError:
                    pass  # its credit was used since
    written_off = ReceivableAccount.objects.filter(customer=org.cust_a2).first()
    ReceivableAccount.objects.filter(pk=written_off.pk).update(status="written_off")


def test_hand_written_ageing_sql_equals_the_selector_to_the_fen(org):
    _random_ledgers(org, random.Random(7))
    today = timezone.localdate()
    for user in (org.admin, org.manager_a, org.finance, org.sales_b1, org.service):
        report = ledger.ageing(user, as_of=today, group_by="region")
        expected = {
            (g["key"], b): (c["n"], c["fen"]) for g in report["groups"] for b, c in g["buckets"].items() if c["n"]
        }
        rows = bench.run_sql(*bench.ageing_sql(connection.vendor, user, today))
        got = {(r[0], r[2]): (r[3], r[4]) for r in rows}
        assert got == expected, user.username
        assert sum(r[5] for r in rows) == report["total"]["overdue_fen"]
        names = {g["key"]: g["name"] for g in report["groups"]}
        assert all(names[r[0]] == r[1] for r in rows)
    assert len(expected) == 0  # the service engineer sees none
    assert bench.run_sql(*bench.ageing_sql(connection.vendor, org.admin, today))  # and the admin has rows


def test_hand_written_worklist_sql_follows_the_definition(org):
    _random_ledgers(org, random.Random(11))
    today = timezone.localdate()
    rows = bench.run_sql(*bench.worklist_sql(connection.vendor, org.admin, today))
    accounts = {a.pk: a for a in ledger.accounts(org.admin)}
    soon = today + dt.timedelta(days=bench.SOON_DAYS)
    expected = [
        a.pk
        for a in accounts.values()
        if a.status == "open" and a.instalments.filter(due_on__lte=soon).exclude(paid_fen=F("amount_fen")).exists()
    ]
    assert sorted(r[0] for r in rows) == sorted(expected)
    for pk, _number, _name, dpd, overdue, outstanding, _first in rows:
        a = accounts[pk]
        assert (dpd, overdue, outstanding) == (a.days_past_due, a.overdue, a.outstanding)
    keys = [(-r[3], str(r[6])) for r in rows]
    assert keys == sorted(keys)


def test_bench_seeds_receivables_at_scale(org):
    counts = bench.seed_instalment_volume(org.company, instalments=100, rng=random.Random(3))
    assert counts["instalments"] == 100 and counts["accounts"] == 3
    assert Payment.objects.count() == counts["payments"]
    call_command("reconcile_receivables")  # raises CommandError on any difference


# -------------------------------------------------------------------------------------------- demo
def test_demo_records_checks_at_the_three_stages(org):
    from receivables.demo import seed_receivables

    from .factories import make_customer

    for _ in range(10):
        make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1)
    counts = seed_receivables(org.company, rng=random.Random(5))
    assert counts["credit_checks"] == CreditCheck.objects.count() > 0
    assert set(CreditCheck.objects.values_list("stage", flat=True)) == set(CreditCheck.Stage.values)
    assert CreditCheck.objects.filter(result__in=["caution", "bad"]).exists()
    assert not CreditCheck.objects.filter(checked_on__gt=timezone.localdate()).exists()
