"""Background tasks of the core (run by the worker, see core/management/commands/worker.py)."""

from __future__ import annotations

from django.tasks import task


@task()
def deliver_notification(notification_id: int) -> list[str]:
    """Push one notification through the external channels (email, group robot)."""
    from .models import Notification
    from .notifications import dispatch

    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return []
    return dispatch(notification)


@task()
def remind_due_todos() -> int:
    """Morning reminder: each user with overdue or due-today to-dos gets one notification."""
    from .services import todo_morning_reminders

    return todo_morning_reminders()


@task()
def prune_login_failures() -> int:
    from .services import login_failures_prune

    return login_failures_prune()


@task()
def prune_task_results() -> str:
    """Delete finished task results older than 14 days (failed ones after 30) from the queue table."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("prune_db_task_results", "--min-age-days", "14", "--failed-min-age-days", "30", stdout=out)
    return out.getvalue().strip()
