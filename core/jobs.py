"""Periodic jobs (定时任务): nightly recomputations and reminders, run by the worker process.

A module declares ``periodic("name", task, daily_at=time(2, 0))`` or ``every=timedelta(...)``.
Each worker, between tasks, asks ``enqueue_due()`` which jobs are due; each due run has a slot
name (the day, or the interval number) and is claimed by inserting PeriodicRun(name, slot) — the
unique constraint lets exactly one of several workers win, so a job never runs twice per slot,
whatever the number of workers. The winner enqueues the task on the database queue, from which
any worker may take it (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task_path: str  # "module.attr" of a django.tasks Task
    daily_at: dt.time | None = None
    every: dt.timedelta | None = None

    def slot(self, now: dt.datetime) -> str | None:
        """The slot due at ``now`` (local time), or None if the job is not due yet today."""
        local = timezone.localtime(now)
        if self.daily_at is not None:
            if local.time() < self.daily_at:
                return None
            return local.date().isoformat()
        assert self.every is not None
        seconds = int(self.every.total_seconds())
        return str(int(local.timestamp()) // seconds)

    def task(self):
        module, attr = self.task_path.rsplit(".", 1)
        return getattr(__import__(module, fromlist=[attr]), attr)


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, task_path: str, *, daily_at: dt.time | None = None, every: dt.timedelta | None = None):
    if (daily_at is None) == (every is None):
        raise ValueError("Give exactly one of daily_at or every.")
    JOBS[name] = PeriodicJob(name=name, task_path=task_path, daily_at=daily_at, every=every)
    return JOBS[name]


def claim(job: PeriodicJob, slot: str, worker: str = "") -> bool:
    from .models import PeriodicRun

    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=job.name, slot=slot, worker=worker[:64])
        return True
    except IntegrityError:
        return False


def enqueue_due(now: dt.datetime | None = None, worker: str = "") -> list[str]:
    """Claim and enqueue every job due now that no worker has claimed yet. Returns the job names."""
    now = now or timezone.now()
    started = []
    for job in JOBS.values():
        slot = job.slot(now)
        if slot is None:
            continue
        if claim(job, slot, worker):
            job.task().enqueue()
            logger.info("Enqueued periodic job %s for slot %s", job.name, slot)
            started.append(job.name)
    return started


# --- the core's own jobs ---------------------------------------------------------------------------
periodic("core.remind_due_todos", "core.tasks.remind_due_todos", daily_at=dt.time(7, 30))
periodic("core.prune_login_failures", "core.tasks.prune_login_failures", every=dt.timedelta(hours=1))
periodic("core.prune_task_results", "core.tasks.prune_task_results", daily_at=dt.time(3, 0))
