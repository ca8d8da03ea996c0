"""Background tasks of the ops part: the nightly days-past-due snapshot and the morning
pre-warnings, for every company. Registered as periodic jobs in receivers.py."""

from __future__ import annotations

from django.tasks import task


@task()
def snapshot_task() -> int:
    """Daily (00:30): today's snapshot of every account with something outstanding, every company."""
    from django.utils import timezone

    from core import audit
    from core.models import Channel, Company

    from . import services

    day = timezone.localdate()
    n = 0
    with audit.acting(None, Channel.JOB):
        for company in Company.objects.order_by("pk"):
            n += services.snapshot_take(company, day)["snapshots"]
    return n


@task()
def prewarnings_task() -> int:
    """Daily (07:00): pre-warnings, due-date and escalation to-dos, every company."""
    from django.utils import timezone

    from core import audit
    from core.models import Channel, Company

    from . import services

    day = timezone.localdate()
    n = 0
    with audit.acting(None, Channel.JOB):
        for company in Company.objects.order_by("pk"):
            n += sum(services.prewarnings_post(company, day).values())
    return n
