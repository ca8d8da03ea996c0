"""Demo data of the ops part: the company's collection settings, a customer's pay day and the lock
clause on some accounts, 90 days of days-past-due snapshots (weekly, then daily for the last week:
the account charts), and today's pre-warnings and escalations (the salespeople's to-do lists)."""

from __future__ import annotations

import datetime as dt

from ..models import ReceivableAccount
from . import services
from .models import CollectionSettings

HISTORY = 90


def seed(company, *, rng, today) -> dict[str, int]:
    CollectionSettings.objects.get_or_create(company=company)
    accounts = list(ReceivableAccount.objects.filter(company=company).order_by("pk"))
    for account in accounts:
        account.pay_day = rng.choice([None, None, 10, 15, 20, 25, 28])
        account.lock_allowed = account.lock_allowed or rng.random() < 0.6
    ReceivableAccount.objects.bulk_update(accounts, ["pay_day", "lock_allowed"])
    snapshots = 0
    # weekly points over the history and daily for the last week (each day is one SQL pass over
    # every instalment: 21 passes instead of 91 keep the demo seed quick on PostgreSQL)
    for back in [*range(HISTORY, 7, -7), *range(7, -1, -1)]:
        day = today - dt.timedelta(days=back)
        snapshots += services.snapshot_take(company, day, alert=back == 0)["snapshots"]
    posted = services.prewarnings_post(company, today)
    return {"dpd_snapshots": snapshots, **{f"todos_{k}": v for k, v in posted.items()}}
