"""Pages of receivables (债权管理): the account list, one account with its instalments and payments
(finance records a payment or reverses one there), and ageing (账龄). Thin: parse, call the
selectors and services, render. A POST works as a plain form post (redirect back; refused input
re-renders with HTTP 422, the messages naming the field) and as an htmx request (the ledger panel
is swapped in place)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.models import Region, User
from core.visibility import Action, can, get_or_404, visible
from pitch.templatetags.pitch_tags import yuan

from . import selectors, services
from .collection.rules import due_by
from .models import Payment, ReceivableAccount

PAGE = 50
LABELS = {
    "amount_fen": gettext_lazy("Amount"),
    "received_on": gettext_lazy("Received on"),
    "method": gettext_lazy("Payment method"),
    "payer_name": gettext_lazy("Payer"),
    "idempotency_key": gettext_lazy("Form key"),
    "reason": gettext_lazy("Reason"),
    "payment": gettext_lazy("Payment"),
    "account": gettext_lazy("Account"),
    "shortfall_reason": gettext_lazy("Why only part was paid"),
    "shortfall_note": gettext_lazy("What the shortfall is for"),
}


def _is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _errors_of(exc: ValidationError) -> dict[str, str]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": " ".join(exc.messages)}
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


@require_GET
def account_list(request):
    """The accounts the user may see: filters status, overdue only, salesperson, region."""
    user = request.user
    filters, errors = selectors.parse_filters(request.GET)
    rows = selectors.accounts(user, filters)
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "filters": filters,
        "errors": errors,
        "query": query.urlencode(),
        "statuses": ReceivableAccount.Status.choices,
        "salespeople": User.objects.filter(pk__in=visible(user, ReceivableAccount).values("salesperson_id")).order_by(
            "username"
        ),
        "regions": visible(user, Region).order_by("name"),
        "today": timezone.localdate(),
    }
    template = "receivables/list.html#results" if _is_htmx(request) else "receivables/list.html"
    return render(request, template, context)


def _detail_context(request, account, *, errors=None, values=None, reverse_errors=None, reverse_for=None) -> dict:
    user = request.user
    values = dict(values or {})
    values.setdefault("received_on", timezone.localdate().isoformat())
    values.setdefault("method", Payment.Method.TRANSFER)
    # a new key for each render of the form: a double submit records one payment only
    values["idempotency_key"] = uuid.uuid4().hex if not errors else values.get("idempotency_key") or uuid.uuid4().hex
    rows = selectors.account_rows(account)
    due_today = due_by([(i.due_on, i.outstanding) for i in rows["instalments"]], timezone.localdate())
    return {
        "account": account,
        **rows,
        "due_today_fen": due_today,
        "may_record": can(user, account, Action.CHANGE),
        "errors": errors or {},
        "error_lines": [f"{LABELS.get(k, '')}：{v}" if k in LABELS else v for k, v in (errors or {}).items()],
        "values": values,
        "methods": [(v, label) for v, label in Payment.Method.choices if v not in services.APPROVED_ONLY],
        "shortfalls": Payment.Shortfall.choices,
        "reverse_errors": reverse_errors or {},
        "reverse_for": reverse_for,
        "today": timezone.localdate(),
        **_part_panels(request, account),
    }


def _part_panels(request, account) -> dict:
    """Each part of collection adds its section's context (receivables/parts.py)."""
    from importlib import import_module

    from .parts import PARTS

    context = {}
    for part in PARTS:
        context.update(import_module(f"receivables.{part}.panels").account_panel(request, account))
    return context


@require_GET
def account_detail(request, pk: int):
    account = selectors.account_detail(request.user, pk)
    return render(request, "receivables/detail.html", _detail_context(request, account))


def _ledger(request, account, status=200, **extra):
    template = "receivables/detail.html#ledger" if _is_htmx(request) else "receivables/detail.html"
    return render(request, template, _detail_context(request, account, **extra), status=status)


@require_POST
def payment_new(request, pk: int):
    """Finance (or an administrator) records a payment received."""
    account = selectors.account_detail(request.user, pk, Action.CHANGE)
    values = request.POST.dict()
    try:
        payment = services.payment_record(
            actor=request.user,
            account=account,
            amount_fen=values.get("amount", ""),
            received_on=values.get("received_on", ""),
            method=values.get("method", ""),
            payer_name=values.get("payer_name", ""),
            idempotency_key=values.get("idempotency_key", ""),
            shortfall_reason=values.get("shortfall_reason", ""),
            shortfall_note=values.get("shortfall_note", ""),
            require_shortfall=True,
        )
    except PermissionError as exc:
        return render(request, "403.html", {"message": str(exc)}, status=403)
    except ValidationError as exc:
        return _ledger(request, account, 422, errors=_errors_of(exc), values=values)
    messages.success(request, _("Payment of %(amount)s recorded.") % {"amount": yuan(payment.amount_fen)})
    if _is_htmx(request):
        return _ledger(request, selectors.account_detail(request.user, pk))
    return redirect("receivables:detail", pk)


@require_POST
def payment_reverse(request, pk: int):
    """Finance (or an administrator) reverses a payment recorded in error, with a reason."""
    payment = get_or_404(request.user, Payment, pk)
    account = selectors.account_detail(request.user, payment.account_id, Action.CHANGE)
    try:
        services.payment_reverse(actor=request.user, payment=payment, reason=request.POST.get("reason", ""))
    except PermissionError as exc:
        return render(request, "403.html", {"message": str(exc)}, status=403)
    except ValidationError as exc:
        return _ledger(request, account, 422, reverse_errors=_errors_of(exc), reverse_for=payment.pk)
    messages.success(request, _("Payment reversed."))
    if _is_htmx(request):
        return _ledger(request, selectors.account_detail(request.user, account.pk))
    return redirect("receivables:detail", account.pk)


def parse_ageing(params) -> tuple[dt.date, str, dict[str, str]]:
    errors = {}
    raw = (params.get("as_of") or "").strip()
    as_of = timezone.localdate()
    if raw:
        try:
            parsed = parse_date(raw)
        except ValueError:
            parsed = None
        if parsed is None:
            errors["as_of"] = _("Enter a date as YYYY-MM-DD.")
        else:
            as_of = parsed
    group_by = (params.get("group_by") or "region").strip()
    if group_by not in selectors.GROUPS:
        errors["group_by"] = _("Group by customer, salesperson, region or policy.")
        group_by = "region"
    return as_of, group_by, errors


@require_GET
def ageing(request):
    """Ageing (账龄分析) of the open accounts as of a date, by customer, salesperson, region or policy."""
    as_of, group_by, errors = parse_ageing(request.GET)
    report = selectors.ageing(request.user, as_of=as_of, group_by=group_by)
    context = {
        "report": report,
        "errors": errors,
        "group_choices": list(selectors.GROUP_LABELS.items()),
        "as_of": as_of,
        "group_by": group_by,
    }
    template = "receivables/ageing.html#table" if _is_htmx(request) else "receivables/ageing.html"
    return render(request, template, context, status=422 if errors else 200)
