"""Thin views of the core: Today (待办), notifications, account, audit trail."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import LoginForm, SnoozeForm
from .models import AuditEntry, Notification, Todo
from .visibility import Action, get_or_404, may, visible


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


def today(request):
    buckets = selectors.today_buckets(request.user)
    return render(request, "core/today.html", {"b": buckets, "snooze_default": buckets.today + dt.timedelta(days=1)})


def _todo_response(request, todo):
    if request.headers.get("HX-Request"):
        return render(
            request,
            "core/today.html#todo",
            {
                "todo": todo,
                "b": {"today": timezone.localdate()},
                "snooze_default": timezone.localdate() + dt.timedelta(days=1),
            },
        )
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
            return render(
                request,
                "core/today.html#todo",
                {
                    "todo": todo,
                    "snooze_error": msg,
                    "b": {"today": timezone.localdate()},
                    "snooze_default": timezone.localdate() + dt.timedelta(days=1),
                },
                status=422,
            )
        messages.error(request, _("Snooze until: %(msg)s") % {"msg": msg})
    return _todo_response(request, todo)


def notifications(request):
    items = list(visible(request.user, Notification).order_by("-created_at")[:50])
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("core:notifications")
    return render(request, "core/notifications.html", {"items": items})


def account(request):
    return render(request, "core/account.html", {})


def audit_list(request):
    if not may(request.user, AuditEntry, Action.LIST):
        raise Http404
    qs = visible(request.user, AuditEntry).select_related("actor", "content_type").order_by("-at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page_obj": page, "querystring_base": ""})
