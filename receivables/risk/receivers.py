"""Signal receivers and periodic jobs of risk; imported when the receivables app is ready.

- ``risk_inputs_changed`` (a payment or reversal, a promise broken, a signal recorded or withdrawn):
  the account is re-scored in the writer's transaction.
- Daily at 06:30: every open account re-scored (days past due grow every day) and the machine locks at
  their longest duration flagged (``receivables.risk.tasks``).
"""

from __future__ import annotations

from receivables.signals import risk_inputs_changed

from . import tasks  # noqa: F401 - registers the periodic job


def _recompute(sender, account, **kwargs):
    from .services import risk_recompute

    risk_recompute(account=account)


risk_inputs_changed.connect(_recompute, dispatch_uid="receivables.risk.recompute")
