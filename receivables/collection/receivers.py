"""Signal receivers and periodic jobs of collection; imported when the receivables app is ready.

- ``payment_posted``: the account's promises to pay are recomputed (kept / partly kept / broken);
  a deliberate deduction posts a to-do to the managers (a dispute to settle).
- a new company gets the deck's 22 techniques and 8 tips.
- ``receivables.promise_sweep`` daily at 00:30: promises whose day passed unpaid are broken.
"""

from __future__ import annotations

import datetime as dt

from django.db.models.signals import post_save
from django.dispatch import receiver

from core.jobs import periodic
from core.models import Company

from ..signals import payment_posted


@receiver(payment_posted, dispatch_uid="receivables.collection.payment_posted")
def _payment_posted(sender, payment, account, **kwargs):
    from .services import deduction_todo, promises_refresh

    promises_refresh(account=account, signal=False)  # the ledger sends risk_inputs_changed itself
    deduction_todo(payment, account)


@receiver(post_save, sender=Company, dispatch_uid="receivables.collection.company_techniques")
def _company_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .services import techniques_seed

        techniques_seed(company=instance)


periodic("receivables.promise_sweep", "receivables.collection.tasks.promise_sweep_task", daily_at=dt.time(0, 30))
