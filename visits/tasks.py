"""Background tasks of visits, and their schedule (imported at start-up by apps.py)."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from core.jobs import periodic


@task()
def close_forgotten_checkins_task() -> int:
    """Nightly: visits checked in on an earlier day and never checked out are closed and flagged."""
    from .checkin import close_forgotten_checkins

    return close_forgotten_checkins()


periodic("visits.close_forgotten_checkins", "visits.tasks.close_forgotten_checkins_task", daily_at=dt.time(0, 20))
