"""Signal receivers and periodic jobs of risk; imported when the receivables app is ready.

- ``risk_inputs_changed`` (a payment or reversal, a promise broken, a signal recorded or withdrawn):
  the account is re-scored in the writer's transaction.
- A new company gets the default escalation ladder (``services.stages_seed``).
- Daily at 06:30: every open account re-scored (days past due grow every day) and the machine locks at
  their longest duration flagged (``receivables.risk.tasks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import post_save
from django.dispatch import receiver

from core.models import Company
from receivables.signals import risk_inputs_changed

from . import tasks  # noqa: F401 - registers the periodic job

_paused: ContextVar[bool] = ContextVar("receivables_risk_paused", default=False)


@contextmanager
def paused() -> Iterator[None]:
    """No re-scoring per change inside the block: for a bulk writer (the demo seed) that runs
    ``services.risk_sweep`` once at its end instead."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _recompute(sender, account, **kwargs):
    if _paused.get():
        return
    from .services import risk_recompute

    risk_recompute(account=account)


risk_inputs_changed.connect(_recompute, dispatch_uid="receivables.risk.recompute")


@receiver(post_save, sender=Company, dispatch_uid="receivables.risk.company_ladder")
def _company_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .services import stages_seed

        stages_seed(company_id=instance.pk)
