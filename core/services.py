"""Writes of the core: to-dos, notifications, login throttling. Keyword-only, one transaction each."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from . import rules
from .models import ApiToken, LoginFailure, Notification, Todo, User


@transaction.atomic
def todo_post(
    *,
    user: User,
    title: str,
    due: dt.date,
    kind: str,
    url: str = "",
    note: str = "",
    key: str = "",
    about: models.Model | None = None,
) -> Todo:
    """Post a dated to-do to a user. With ``key``, posting again updates the same open to-do."""
    fields = {
        "company_id": user.company_id,
        "title": title[:200],
        "due": due,
        "kind": kind,
        "url": url,
        "note": note,
    }
    if about is not None:
        fields["content_type"] = ContentType.objects.get_for_model(type(about))
        fields["object_id"] = str(about.pk)
    if key:
        todo, created = Todo.objects.get_or_create(user=user, key=key, defaults=fields)
        if not created and todo.status == Todo.Status.OPEN:
            for name, value in fields.items():
                setattr(todo, name, value)
            todo.save()
        return todo
    return Todo.objects.create(user=user, **fields)


@transaction.atomic
def todo_done(*, todo: Todo) -> Todo:
    if todo.status == Todo.Status.DONE:
        return todo
    todo.status = Todo.Status.DONE
    todo.done_at = timezone.now()
    todo.save(update_fields=["status", "done_at"])
    for prefix, hook in TODO_DONE_HOOKS.items():
        if todo.key.startswith(prefix):
            hook(todo)
    return todo


# A to-do that stands for a record of another module (a commitment made on a visit) closes that
# record when it is done on the Today page: the module registers ``key prefix -> hook(todo)``.
TODO_DONE_HOOKS: dict[str, Callable[[Todo], None]] = {}


def on_todo_done(prefix: str, hook: Callable[[Todo], None]) -> None:
    TODO_DONE_HOOKS[prefix] = hook


@transaction.atomic
def todo_reopen(*, todo: Todo) -> Todo:
    todo.status = Todo.Status.OPEN
    todo.done_at = None
    todo.save(update_fields=["status", "done_at"])
    return todo


class SnoozeError(ValueError):
    pass


SNOOZE_MESSAGES = {
    rules.SnoozeProblem.NOT_AFTER_TODAY: gettext_lazy("Snooze until a day after today."),
    rules.SnoozeProblem.TOO_FAR: gettext_lazy("Snooze for at most a year."),
}


@transaction.atomic
def todo_snooze(*, todo: Todo, until: dt.date) -> Todo:
    problem = rules.snooze_problem(until, timezone.localdate())
    if problem is not None:
        raise SnoozeError(str(SNOOZE_MESSAGES[problem]))
    todo.snoozed_until = until
    todo.save(update_fields=["snoozed_until"])
    return todo


@transaction.atomic
def notify(*, user: User, title: str, body: str = "", url: str = "") -> Notification:
    """In-app notification, then the external channels through the worker (after commit)."""
    from .tasks import deliver_notification

    notification = Notification.objects.create(
        company_id=user.company_id, user=user, title=title[:200], body=body, url=url
    )
    if any(name != "inapp" for name in settings.NOTIFY_CHANNELS):
        transaction.on_commit(lambda: deliver_notification.enqueue(notification.pk))
    return notification


@transaction.atomic
def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def todo_morning_reminders(*, today: dt.date | None = None) -> int:
    """One notification per user who has open to-dos overdue or due today. Counted in SQL."""
    today = today or timezone.localdate()
    due_by_user = (
        Todo.objects.filter(status=Todo.Status.OPEN)
        .filter(Q(snoozed_until__isnull=True, due__lte=today) | Q(snoozed_until__lte=today))
        .values("user")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due__lt=today, snoozed_until__isnull=True)))
    )
    counts = {row["user"]: (row["n"], row["overdue"]) for row in due_by_user}
    sent = 0
    for user in User.objects.filter(pk__in=counts.keys(), is_active=True):
        n, overdue = counts[user.pk]
        with override(settings.LANGUAGE_CODE):
            title = _("Today: %(n)d to-dos (%(overdue)d overdue)") % {"n": n, "overdue": overdue}
        notify(user=user, title=title, url="/")
        sent += 1
    return sent


# --- API tokens ---------------------------------------------------------------------------------


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str) -> str:
    """Create a personal API token; the raw value is returned once and only its hash is stored."""
    raw = "dd_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=(name.strip() or "token")[:80], prefix=raw[3:9], key_hash=api_token_hash(raw)
    )
    return raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- login throttling ---------------------------------------------------------------------------


def login_is_throttled(*, username: str, ip: str) -> bool:
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.LOGIN_MAX_FAILURES
    by_user = recent.filter(username=username.lower()).count() >= limit
    # an address gets more room: several people may share one site's network
    by_ip = bool(ip) and recent.filter(ip=ip).count() >= limit * 4
    return by_user or by_ip


def login_failure_record(*, username: str, ip: str) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], ip=ip[:45])


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()


def login_failures_prune() -> int:
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return LoginFailure.objects.filter(at__lt=since).delete()[0]
