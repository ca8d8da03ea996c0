"""Background tasks of customer cognition, and their schedule (imported at start-up by apps.py)."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from core.jobs import periodic


@task()
def pool_sweep_task() -> dict:
    """Nightly: warn owners of customers about to return to the public pool, return overdue ones."""
    from .pool import pool_sweep

    return pool_sweep().as_dict()


periodic("customers.pool_sweep", "customers.tasks.pool_sweep_task", daily_at=dt.time(1, 30))
