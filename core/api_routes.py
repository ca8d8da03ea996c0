"""Core endpoints: token login, me, to-dos, notifications."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from . import selectors, services
from .api import check_query, error_body, paginate
from .models import Notification, Todo
from .visibility import Action, get_or_404, visible

router = Router(tags=["core"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = "phone"


class TokenOut(Schema):
    token: str


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: dict, 429: dict})
def token_create(request, payload: TokenIn):
    """Exchange a username and password for a personal API token (shown once)."""
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except PermissionDenied:
        user = None
    if getattr(request, "login_throttled", False):
        return Status(429, error_body("throttled", _("Too many failed logins for this account. Try again later.")))
    if user is None:
        return Status(401, error_body("invalid_login", _("Wrong username or password.")))
    return Status(200, {"token": services.api_token_issue(user=user, name=payload.name)})


@router.get("/me")
def me(request):
    u = request.user
    return {
        "id": u.pk,
        "username": u.username,
        "name": str(u),
        "company": u.company_id,
        "roles": sorted(u.role_set),
        "regions": sorted(u.region_ids),
    }


def todo_out(t: Todo) -> dict:
    return {
        "id": t.pk,
        "kind": t.kind,
        "title": t.title,
        "note": t.note,
        "due": t.due.isoformat(),
        "snoozed_until": t.snoozed_until.isoformat() if t.snoozed_until else None,
        "status": t.status,
        "url": t.url,
    }


@router.get("/todos")
def todos(request, status: str = "open"):
    check_query(request, {"status"})
    if status not in Todo.Status.values:
        from .api import FilterError

        raise FilterError({"status": [_("Choose open or done.")]})
    qs = visible(request.user, Todo).filter(user=request.user, status=status).order_by("due", "id")
    return paginate(request, qs, todo_out)


@router.get("/today")
def today(request):
    b = selectors.today_buckets(request.user)
    return {
        "today": b.today.isoformat(),
        "overdue": [todo_out(t) for t in b.overdue],
        "today_items": [todo_out(t) for t in b.due_today],
        "next_7_days": [todo_out(t) for t in b.next_days],
    }


@router.post("/todos/{todo_id}/done")
def todo_done(request, todo_id: int):
    todo = get_or_404(request.user, Todo, todo_id, Action.CHANGE)
    return todo_out(services.todo_done(todo=todo))


class SnoozeIn(Schema):
    until: dt.date


@router.post("/todos/{todo_id}/snooze")
def todo_snooze(request, todo_id: int, payload: SnoozeIn):
    from django.core.exceptions import ValidationError

    todo = get_or_404(request.user, Todo, todo_id, Action.CHANGE)
    try:
        services.todo_snooze(todo=todo, until=payload.until)
    except services.SnoozeError as exc:
        raise ValidationError({"until": [str(exc)]}) from None
    return todo_out(todo)


@router.get("/notifications")
def notifications(request, unread: bool = False):
    check_query(request, {"unread"})
    qs = visible(request.user, Notification).order_by("-created_at", "-id")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return paginate(
        request,
        qs,
        lambda n: {
            "id": n.pk,
            "title": n.title,
            "body": n.body,
            "url": n.url,
            "at": n.created_at.isoformat(),
            "read": bool(n.read_at),
        },
    )
