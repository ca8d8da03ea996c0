"""Thin views of the core: Today (待办), notifications, account, audit trail."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import rules, selectors, services
from .forms import LoginForm, SnoozeForm, TokenForm
from .models import ApiToken, AuditEntry, Notification, Todo
from .visibility import Action, get_or_404, may, visible


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


SNOOZE_LABELS = {
    "tomorrow": gettext_lazy("Tomorrow"),
    "next_workday": gettext_lazy("Next working day"),
    "next_monday": gettext_lazy("Next Monday"),
}


def _row_context(today: dt.date) -> dict:
    """What every to-do row needs: today, the quick snooze choices, the default custom date."""
    return {
        "b": {"today": today},
        "snooze_choices": [(key, SNOOZE_LABELS[key], day) for key, day in rules.snooze_choices(today)],
        "snooze_default": today + dt.timedelta(days=1),
    }


def today(request):
    from .today import panels_for

    buckets = selectors.today_buckets(request.user)
    ctx = _row_context(buckets.today) | {"b": buckets, "panels": panels_for(request.user, buckets.today)}
    return render(request, "core/today.html", ctx)


def _todo_response(request, todo, **extra):
    if request.headers.get("HX-Request"):
        ctx = _row_context(timezone.localdate()) | {"todo": todo} | extra
        return render(request, "core/today.html#todo", ctx, status=422 if extra else 200)
    return redirect("core:today")


@require_POST
def todo_done(request, pk: int):
    todo = get_or_404(request.user, Todo, pk, Action.CHANGE)
    if request.POST.get("undo"):
        services.todo_reopen(todo=todo)
    else:
        services.todo_done(todo=todo)
    return _todo_response(request, todo)


@require_POST
def todo_snooze(request, pk: int):
    todo = get_or_404(request.user, Todo, pk, Action.CHANGE)
    form = SnoozeForm(request.POST)
    if form.is_valid():
        services.todo_snooze(todo=todo, until=form.cleaned_data["until"])
    else:
        msg = "；".join(form.errors.get("until", [_("Enter a valid date.")]))
        if request.headers.get("HX-Request"):
            return _todo_response(request, todo, snooze_error=msg)
        messages.error(request, _("Snooze until: %(msg)s") % {"msg": msg})
    return _todo_response(request, todo)


def notifications(request):
    items = list(visible(request.user, Notification).order_by("-created_at")[:50])
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("core:notifications")
    return render(request, "core/notifications.html", {"items": items})


def account(request, new_token: str = ""):
    tokens = visible(request.user, ApiToken).order_by("-created_at")
    return render(request, "core/account.html", {"tokens": tokens, "new_token": new_token})


@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(form.errors.get("name", [])))
        return redirect("core:account")
    raw = services.api_token_issue(user=request.user, name=form.cleaned_data["name"])
    # shown once, in this response only; the database keeps its hash
    return account(request, new_token=raw)


@require_POST
def token_revoke(request, pk: int):
    token = get_or_404(request.user, ApiToken, pk, Action.CHANGE)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("core:account")


def audit_list(request):
    if not may(request.user, AuditEntry, Action.LIST):
        raise Http404
    qs = visible(request.user, AuditEntry).select_related("actor", "content_type").order_by("-at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page_obj": page, "querystring_base": ""})
