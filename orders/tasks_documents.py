"""Background task of the order documents and its schedule: the down payment's reminders (首付提醒).
Imported at start-up (orders/apps.py ``ready``) so the periodic job is registered."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from core.jobs import periodic


@task()
def down_payment_reminders_task() -> int:
    """Daily: to-dos 3 days before and on the due date for down payments not received in full."""
    from core import audit
    from core.models import Channel

    from .documents import down_payment_reminders

    with audit.acting(None, Channel.JOB):
        return down_payment_reminders()


periodic("orders.down_payment_reminders", "orders.tasks_documents.down_payment_reminders_task", daily_at=dt.time(7, 0))
