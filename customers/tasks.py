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


@task()
def preset_imported_needs(actor_id: int, customer_ids: list[int]) -> int:
    """After a large import: preset the needs of the imported classified customers."""
    from core.models import User

    from .imports import preset_imported

    actor = User.objects.filter(pk=actor_id).first()
    return preset_imported(actor=actor, customer_ids=customer_ids) if actor is not None else 0


periodic("customers.pool_sweep", "customers.tasks.pool_sweep_task", daily_at=dt.time(1, 30))
