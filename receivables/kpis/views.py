"""Pages of prevention and KPIs: the KPI page (collection rate, first late payments, the four
attitudes) and credit checks (资信调查) recorded from the account page or the customer's own page.
Thin: parse, call the selectors and services, render. Refused input re-renders with HTTP 422."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.visibility import Action, get_or_404
from customers.models import Customer

from .. import selectors as base_selectors
from . import filters, panels, selectors, services
from .models import CreditCheck


def _is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _errors_of(exc: ValidationError) -> dict[str, str]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": " ".join(exc.messages)}
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


@require_GET
def kpis(request):
    """Collection rate per salesperson and region, first late payments, the four attitudes."""
    today = timezone.localdate()
    f, errors = filters.parse(request.GET, today)
    report = selectors.collection(request.user, start=f.start, end=f.end, today=today)
    chart = selectors.attitudes(report, target_sales_fen=f.target_sales_fen, target_rate=f.target_rate)
    chart_data = {
        "points": chart["points"],
        "sales_line": None if chart["sales_line_fen"] is None else chart["sales_line_fen"] / 100,
        "rate_line": None if chart["rate_line"] is None else round(chart["rate_line"] * 100, 1),
        "quadrants": selectors.labels(),
        "labels": {"sales": _("Sales achieved (¥)"), "rate": _("Collection rate (%)")},
    }
    context = {
        "f": f,
        "errors": errors,
        "report": report,
        "chart": chart,
        "chart_data": chart_data,
        "sales_line_fen": None if chart["sales_line_fen"] is None else round(chart["sales_line_fen"]),
        "presets": list(filters.PRESET_LABELS.items()),
        "team": selectors.sees_team(request.user),
        "quadrant_labels": selectors.QUADRANT_LABELS,
        "target_rate_pct": "" if f.target_rate is None else round(f.target_rate * 100, 1),
        "target_sales_yuan": "" if f.target_sales_fen is None else f.target_sales_fen / 100,
    }
    template = "receivables/kpis/kpis.html#report" if _is_htmx(request) else "receivables/kpis/kpis.html"
    return render(request, template, context, status=422 if errors else 200)


def _record(request, customer, account=None):
    values = request.POST
    return services.credit_check_record(
        actor=request.user,
        customer=customer,
        account=account,
        stage=values.get("stage", ""),
        checked_on=values.get("checked_on", ""),
        sources=values.getlist("sources"),
        result=values.get("result", ""),
        note=values.get("note", ""),
    )


@require_POST
def account_check(request, pk: int):
    """A credit check recorded from the account page (the account's customer)."""
    account = base_selectors.account_detail(request.user, pk)
    try:
        _record(request, account.customer, account)
    except PermissionError as exc:
        return render(request, "403.html", {"message": str(exc)}, status=403)
    except ValidationError as exc:
        context = panels.account_panel(request, account, errors=_errors_of(exc), values=request.POST)
        template = "receivables/kpis/_account.html" if _is_htmx(request) else "receivables/kpis/check_page.html"
        return render(request, template, context | {"account": account, "customer": account.customer}, status=422)
    if _is_htmx(request):  # the panel is swapped in place and shows the new check
        return render(
            request, "receivables/kpis/_account.html", panels.account_panel(request, account) | {"account": account}
        )
    messages.success(request, _("Credit check recorded."))
    return redirect("receivables:detail", account.pk)


@require_http_methods(["GET", "POST"])
def customer_checks(request, pk: int):
    """The credit checks of one customer, and the form (linked from the customer's page)."""
    customer = get_or_404(request.user, Customer, pk, Action.VIEW)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            _record(request, customer)
        except PermissionError as exc:
            return render(request, "403.html", {"message": str(exc)}, status=403)
        except ValidationError as exc:
            errors, status = _errors_of(exc), 422
        else:
            messages.success(request, _("Credit check recorded."))
            return redirect("receivables:kpis_customer_checks", customer.pk)
    context = panels.checks_context(request, customer, errors=errors, values=request.POST if errors else None)
    return render(request, "receivables/kpis/check_page.html", context | {"customer": customer}, status=status)


CHECK_LABELS = {
    "stage": CreditCheck._meta.get_field("stage").verbose_name,
    "checked_on": CreditCheck._meta.get_field("checked_on").verbose_name,
    "sources": CreditCheck._meta.get_field("sources").verbose_name,
    "result": CreditCheck._meta.get_field("result").verbose_name,
    "note": CreditCheck._meta.get_field("note").verbose_name,
}
