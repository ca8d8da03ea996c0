"""The jobs of risk: daily, re-score the open accounts and flag the locks to lift; after the risk
settings changed, re-score the company's accounts."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from core.jobs import periodic


@task()
def risk_daily_task() -> dict[str, int]:
    """Daily: every open account re-scored (days past due change), locks at their end flagged."""
    from core import audit
    from core.models import Channel

    from .services import lock_reviews, risk_sweep

    with audit.acting(None, Channel.JOB):
        return {"changed": risk_sweep(), "locks_to_lift": lock_reviews()}


@task()
def risk_rescore_task(company_id: int) -> int:
    """After the risk settings changed: the company's open accounts scored with the new weights."""
    from core import audit
    from core.models import Channel

    from .services import risk_sweep

    with audit.acting(None, Channel.JOB):
        return risk_sweep(company_id=company_id)


periodic("receivables.risk_daily", "receivables.risk.tasks.risk_daily_task", daily_at=dt.time(6, 30))
