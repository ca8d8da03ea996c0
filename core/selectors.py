"""Reads of the core: the Today page buckets, unread notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import rules
from .models import Notification, Role, Todo, User
from .visibility import visible


@dataclass
class TodayBuckets:
    today: dt.date
    overdue: list[Todo]
    due_today: list[Todo]
    next_days: list[Todo]
    done_today: list[Todo]


def today_buckets(user, *, today: dt.date | None = None, limit: int = 100) -> TodayBuckets:
    """Open to-dos: overdue, today, next 7 days (by the snoozed date when snoozed). Two queries."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=rules.HORIZON_DAYS)
    todos = list(
        visible(user, Todo)
        .filter(user=user, status=Todo.Status.OPEN)
        .annotate(effective=Coalesce(F("snoozed_until"), F("due")))
        .filter(effective__lte=horizon)
        .order_by("effective", "id")[: limit * 3]
    )
    done = list(
        visible(user, Todo)
        .filter(user=user, status=Todo.Status.DONE, done_at__date__gte=today)
        .order_by("-done_at")[:limit]
    )
    grouped: dict[rules.Bucket, list[Todo]] = {b: [] for b in rules.Bucket}
    for t in todos:
        bucket = rules.todo_bucket(t.due, t.snoozed_until, today)
        if bucket is not None:
            grouped[bucket].append(t)
    return TodayBuckets(
        today=today,
        overdue=grouped[rules.Bucket.OVERDUE][:limit],
        due_today=grouped[rules.Bucket.TODAY][:limit],
        next_days=grouped[rules.Bucket.NEXT][:limit],
        done_today=done,
    )


def unread_notifications(user, limit: int = 20) -> list[Notification]:
    return list(visible(user, Notification).filter(read_at__isnull=True)[:limit])


def unread_count(user) -> int:
    return visible(user, Notification).filter(read_at__isnull=True).count()


def open_todo_count(user, *, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return (
        visible(user, Todo)
        .filter(user=user, status=Todo.Status.OPEN)
        .filter(Q(snoozed_until__isnull=True, due__lte=today) | Q(snoozed_until__lte=today))
        .count()
    )


def region_people(company_id: int, region_id: int | None, role: str, *, exclude=None) -> list[User]:
    """Who answers for a region in a role: the active users with ``role`` (a manager to approve, finance
    to check) covering the region; if none, the company's administrators. ``exclude`` (the requester)
    is never one of them."""
    base = User.objects.filter(company_id=company_id, is_active=True)
    if exclude is not None:
        base = base.exclude(pk=exclude.pk)
    people = list(base.filter(user_roles__role=role, regions=region_id).distinct().order_by("pk"))
    return people or list(base.filter(user_roles__role=Role.ADMIN).distinct().order_by("pk"))
