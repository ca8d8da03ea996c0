"""Periodic jobs (core/jobs.py) and the worker: each slot is claimed once, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from core import jobs
from core.models import Notification, PeriodicRun, Todo

from .factories import build_org, make_todo

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 10)
REMIND = "core.remind_due_todos"
PRUNE = "core.prune_login_failures"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def queued(task_path: str) -> int:
    return DBTaskResult.objects.filter(task_path=task_path).count()


# --- claiming slots -------------------------------------------------------------------------------------


def test_a_slot_is_enqueued_once_even_when_two_workers_ask(db):
    first = jobs.enqueue_due(now=at(8), worker="worker-a")
    assert REMIND in first and PRUNE in first
    assert jobs.enqueue_due(now=at(8), worker="worker-b") == []
    assert jobs.enqueue_due(now=at(8), worker="worker-a") == []
    assert queued("core.tasks.remind_due_todos") == 1
    assert queued("core.tasks.prune_login_failures") == 1
    run = PeriodicRun.objects.get(name=REMIND)
    assert (run.slot, run.worker) == ("2026-03-10", "worker-a")


def test_a_daily_job_is_not_due_before_its_time(db):
    assert REMIND not in jobs.enqueue_due(now=at(7, 29), worker="w")
    assert queued("core.tasks.remind_due_todos") == 0
    assert REMIND in jobs.enqueue_due(now=at(7, 30), worker="w")
    # later the same day: already done; the next morning: due again
    assert REMIND not in jobs.enqueue_due(now=at(23, 59), worker="w")
    assert REMIND in jobs.enqueue_due(now=at(7, 30, DAY + dt.timedelta(days=1)), worker="w")
    assert queued("core.tasks.remind_due_todos") == 2


def test_the_daily_time_is_local_time(db):
    # 07:45 in Shanghai is 23:45 UTC the evening before
    utc = at(7, 45).astimezone(dt.UTC)
    assert utc.date() == DAY - dt.timedelta(days=1)
    assert REMIND in jobs.enqueue_due(now=utc, worker="w")
    assert PeriodicRun.objects.get(name=REMIND).slot == "2026-03-10"


def test_an_interval_job_runs_once_per_interval(db):
    assert PRUNE in jobs.enqueue_due(now=at(9, 5), worker="w")
    assert PRUNE not in jobs.enqueue_due(now=at(9, 55), worker="w2")
    assert PRUNE in jobs.enqueue_due(now=at(10, 5), worker="w2")
    assert queued("core.tasks.prune_login_failures") == 2


def test_a_job_needs_exactly_one_schedule():
    with pytest.raises(ValueError):
        jobs.periodic("x", "core.tasks.remind_due_todos")
    with pytest.raises(ValueError):
        jobs.periodic("x", "core.tasks.remind_due_todos", daily_at=dt.time(1), every=dt.timedelta(hours=1))
    assert "x" not in jobs.JOBS


moments = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(SHANGHAI)
)


@given(now=moments, daily_at=st.times())
def test_daily_slot_property(now, daily_at):
    job = jobs.PeriodicJob("p", "core.tasks.remind_due_todos", daily_at=daily_at)
    slot = job.slot(now)
    if now.time() < daily_at:
        assert slot is None
    else:
        assert slot == now.date().isoformat()
        # every later moment of the same day maps to the same slot
        end_of_day = now.replace(hour=23, minute=59, second=59, microsecond=999999)
        assert job.slot(end_of_day) == slot


@given(a=moments, b=moments, minutes=st.integers(min_value=1, max_value=24 * 60))
def test_interval_slot_property(a, b, minutes):
    every = dt.timedelta(minutes=minutes)
    job = jobs.PeriodicJob("p", "core.tasks.prune_login_failures", every=every)
    a, b = sorted((a, b))
    if b - a >= every:
        assert job.slot(a) != job.slot(b)  # a full interval apart: never the same run
    assert int(job.slot(a)) <= int(job.slot(b))  # slots only move forward


# --- the worker ----------------------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """Fix "now" for the worker and everything it runs."""

    def freeze(moment: dt.datetime):
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment.astimezone(dt.UTC))

    return freeze


def run_worker() -> str:
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_the_morning_reminder_and_delivers_it(settings, frozen, mailoutbox):
    settings.NOTIFY_CHANNELS = ["inapp", "email"]
    org = build_org()
    make_todo(org.sales_a1, due=DAY - dt.timedelta(days=1), title="逾期回访")
    make_todo(org.sales_a1, due=DAY, title="今日拜访")
    make_todo(org.sales_a2, due=DAY + dt.timedelta(days=2), title="下周的事")
    make_todo(org.manager_a, due=DAY, snoozed_until=DAY + dt.timedelta(days=2), title="已推迟")
    make_todo(org.finance, due=DAY, status=Todo.Status.DONE, title="已完成")

    frozen(at(7, 0))  # before the reminder's time: the worker runs nothing of it
    run_worker()
    assert not Notification.objects.exists()

    frozen(at(8, 0))
    run_worker()
    [note] = Notification.objects.all()
    assert note.user == org.sales_a1  # only the user with something due today or overdue
    assert "2" in note.title and "1" in note.title  # two due, one of them overdue
    assert [m.to for m in mailoutbox] == [[org.sales_a1.email]]  # delivered by the same worker run
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()

    run_worker()  # a second worker pass the same morning: nothing twice
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1
