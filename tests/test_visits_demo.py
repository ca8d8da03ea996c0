"""Demo data of visits: every visit page has something to show, and the bench's volume seeder writes
exactly what it is asked for."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from core.demo import make_context, seed_org
from core.models import User
from customers.demo import seed_customers
from customers.models import Customer, StatusChange
from visits import rules
from visits.demo import centre_of, seed_visit_volume, seed_visits
from visits.models import DailyReport, FollowUp, Objection, ReportComment, Visit, VisitNote


def demo_world(customers: int = 120, seed: int = 2026):
    ctx = make_context(seed)
    seed_org(ctx)
    seed_customers(ctx, count=customers)
    return ctx


@pytest.fixture
def seeded(db):
    ctx = demo_world()
    counts = seed_visits(ctx.company, rng=random.Random(7))
    return ctx, counts


def test_seed_visits_writes_a_plausible_history(seeded):
    ctx, counts = seeded
    today = timezone.localdate()
    assert counts["visits"] == Visit.objects.count() > 100
    done = Visit.objects.filter(status=Visit.Status.DONE)
    assert VisitNote.objects.count() == done.count() == counts["notes"]
    assert all(n.summary and n.changes for n in VisitNote.objects.all()[:50])
    # every customer has a location near its city
    for c in Customer.objects.all():
        assert c.latitude is not None and c.longitude is not None
        lat, lng = centre_of(c.province, c.city)
        assert rules.distance_m(float(c.latitude), float(c.longitude), lat, lng) < 40_000
    # check-ins near the customer, a few flagged (far away or manual)
    radius = 500
    near = done.filter(flagged=False, checkin_distance_m__isnull=False)
    assert near.exists() and not near.filter(checkin_distance_m__gt=radius).exists()
    assert done.filter(flagged=True, checkin_distance_m__gt=radius).exists()
    assert done.filter(checkin_manual=True, flagged=True, checkin_lat__isnull=True).exists()
    assert done.filter(flagged=True).count() < done.count() * 0.25
    # follow-ups open, done and due; objections; deals won and lost
    assert FollowUp.objects.filter(status=FollowUp.Status.DONE).exists()
    assert FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_on__lt=today).exists()
    assert FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_on__gte=today).exists()
    assert Objection.objects.exists()
    assert StatusChange.objects.filter(kind=StatusChange.Kind.GRADE, by__in=ctx.salespeople).exists()
    assert done.filter(result=Visit.Result.WON).exists() and done.filter(result=Visit.Result.LOST).exists()
    # visits follow the cadence roughly: a grade-9 customer is seen more often than a grade-1 one
    per_grade = {
        row["customer__grade"]: row["n"] / row["c"]
        for row in done.values("customer__grade").annotate(n=Count("id"), c=Count("customer", distinct=True))
    }
    assert per_grade[9] > per_grade[1]
    # the customers' last follow-up is their latest visit
    latest = done.values("customer").annotate(last=Max("done_at"))
    for row in latest[:30]:
        assert Customer.objects.get(pk=row["customer"]).last_followup_at == row["last"]
    # today's plan for every salesperson; reports, most submitted, some commented
    for person in ctx.salespeople:
        assert Visit.objects.filter(salesperson=person, planned_on=today).exists(), person
    assert DailyReport.objects.filter(status=DailyReport.Status.SUBMITTED).count() > counts["reports"] * 0.7
    assert not DailyReport.objects.filter(day__gte=today).exists()  # today's is left for the user
    assert ReportComment.objects.count() == counts["comments"] > 0
    submitted = DailyReport.objects.filter(status=DailyReport.Status.SUBMITTED).first()
    assert submitted.figures["visits"]["done"] > 0


def busiest_day(**filters) -> dt.date:
    days = Visit.objects.filter(status=Visit.Status.DONE, **filters).values_list("done_at", flat=True)
    counts: dict[dt.date, int] = {}
    for d in days:
        local = timezone.localtime(d).date()
        counts[local] = counts.get(local, 0) + 1
    return max(counts, key=lambda d: (counts[d], d))


def test_every_page_can_show_the_demo_data(seeded, client_as):
    ctx, _ = seeded
    sales1, manager1 = ctx.users["sales1"], ctx.users["manager1"]
    day = busiest_day(salesperson=sales1, done_at__lt=timezone.now() - dt.timedelta(days=1))
    sales = client_as(sales1)
    own = sales.get(f"/visits/report/?day={day.isoformat()}")
    assert own.status_code == 200 and own.context["figures"]["visits"]["done"] > 0
    assert sales.get("/visits/report/").status_code == 200
    review = sales.get(f"/visits/review/?day={day.isoformat()}")
    assert len(review.context["notes"]) > 0

    manager = client_as(manager1)
    team = manager.get(f"/visits/team/?day={day.isoformat()}")
    assert team.status_code == 200 and team.context["totals"]["done"] > 0
    assert any(r["coverage_pct"] is not None for r in team.context["rows"])
    analytics = manager.get("/visits/analytics/")
    assert analytics.context["close"]["total"]["closed"] > 0
    assert analytics.context["today_rows"] and analytics.context["period_rows"]
    map_day = busiest_day(customer__region_id__in=manager1.region_ids)
    checkins = manager.get(f"/visits/map/?day={map_day.isoformat()}")
    assert checkins.context["placed"] > 0
    commented = ReportComment.objects.filter(report__salesperson__regions__in=manager1.region_ids).first()
    detail = manager.get(f"/visits/reports/{commented.report_id}/")
    assert commented.text in detail.content.decode()


def test_seed_visit_volume_writes_exactly_that_many_visits(db):
    ctx = demo_world(customers=40)
    sales1 = ctx.users["sales1"]
    written = seed_visit_volume(ctx.company, sales1, customers=25, visits=3001, rng=random.Random(3), chunk=1000)
    assert written == Visit.objects.count() == 3001
    assert Customer.objects.filter(owner=sales1, in_pool=False).count() == 25
    # each salesperson visits the customers they hold; two years at most; today's later visits still planned
    assert not Visit.objects.exclude(customer__owner=F("salesperson")).exists()
    oldest = timezone.localdate() - dt.timedelta(days=730)
    assert not Visit.objects.filter(planned_on__lt=oldest).exists()
    assert not Visit.objects.filter(status=Visit.Status.DONE, done_at__isnull=True).exists()
    assert Visit.objects.filter(salesperson=sales1).count() > 3001 / (len(ctx.salespeople) + 1)
    assert Visit.objects.filter(status=Visit.Status.CANCELLED).exists()
    # the customers' last follow-up moved to their latest visit
    for row in (
        Visit.objects.filter(status=Visit.Status.DONE, salesperson=sales1)
        .values("customer")
        .annotate(last=Max("done_at"))[:10]
    ):
        assert Customer.objects.get(pk=row["customer"]).last_followup_at == row["last"]


def test_seed_visit_volume_gives_the_salesperson_exactly_the_customers_asked_for(db):
    ctx = demo_world(customers=40)
    sales1 = ctx.users["sales1"]
    before = Customer.objects.count()
    seed_visit_volume(ctx.company, sales1, customers=2, visits=10, rng=random.Random(3))
    assert Customer.objects.filter(owner=sales1).count() == 2
    assert Customer.objects.count() == before  # the surplus went to the other salespeople
    seed_visit_volume(ctx.company, sales1, customers=60, visits=10, rng=random.Random(3))
    assert Customer.objects.filter(owner=sales1, in_pool=False).count() == 60
    assert Customer.objects.count() == 60 + Customer.objects.exclude(owner=sales1).count()
    assert Visit.objects.count() == 20


class _Undo(Exception):
    pass


def snapshot_of_seed(rng_seed: int) -> list:
    rows: list = []
    with pytest.raises(_Undo), transaction.atomic():
        ctx = demo_world(customers=40)
        seed_visits(ctx.company, rng=random.Random(rng_seed), today=dt.date(2026, 3, 18))
        rows = list(
            Visit.objects.order_by("salesperson__username", "planned_on", "checkin_at", "customer__phone").values_list(
                "salesperson__username", "customer__phone", "planned_on", "status", "result", "flagged"
            )
        )
        raise _Undo
    return rows


def test_seed_visits_is_deterministic(db):
    first, again = snapshot_of_seed(5), snapshot_of_seed(5)
    assert first == again and len(first) > 50
    assert snapshot_of_seed(6) != first


def test_the_seed_command_loads_visits_and_the_bench_volume(db):
    out = io.StringIO()
    call_command("seed", "--customers", "30", "--visits", "400", "--visit-customers", "12", "--quiet", stdout=out)
    sales1 = User.objects.get(username="sales1")
    assert Customer.objects.filter(owner=sales1, in_pool=False).count() == 12
    assert Visit.objects.count() > 400
    assert DailyReport.objects.exists() and VisitNote.objects.exists()
