"""Background task of collection: the nightly sweep of the promises to pay (承诺还款)."""

from __future__ import annotations

from django.tasks import task


@task()
def promise_sweep_task() -> int:
    """Daily 00:30: the promises whose day has passed unpaid are broken (or partly kept) — the
    salesperson's to-do, the managers' notification, the risk recomputed."""
    from core import audit
    from core.models import Channel

    from .services import promise_sweep

    with audit.acting(None, Channel.JOB):
        return promise_sweep()
