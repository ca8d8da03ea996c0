"""Pages of collection (回款): the collector's worklist, expected against collected, technique
effectiveness, and the account section's forms (plan table, 5W2H round, action with a promise).
Thin: parse, call the selectors and services, render. A refused form re-renders the account page
(or, for htmx, the collection section) with HTTP 422 and the messages naming the field."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.models import Region, User
from core.visibility import get_or_404, visible

from .. import selectors as ledger
from ..models import ReceivableAccount, RiskLevel
from . import selectors, services
from .models import CollectionPlanStep

PAGE = 30


def _is_htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _errors_of(exc: ValidationError) -> dict[str, str]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": " ".join(exc.messages)}
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


def _people(user):
    """The salespeople and regions to filter by (only those of accounts the user may see)."""
    salespeople = User.objects.filter(pk__in=visible(user, ReceivableAccount).values("salesperson_id")).order_by(
        "username"
    )
    return list(salespeople), list(visible(user, Region).order_by("name"))


# ------------------------------------------------------------------------------------ worklist
@require_GET
def worklist(request):
    """The collector's worklist (催收工作清单), opened every morning."""
    user = request.user
    filters, errors = selectors.parse_worklist(request.GET)
    today = timezone.localdate()
    rows = selectors.worklist(user, filters, today=today)
    page = Paginator(rows, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    salespeople, regions = _people(user)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "filters": filters,
        "errors": errors,
        "query": query.urlencode(),
        "salespeople": salespeople,
        "regions": regions,
        "levels": RiskLevel.choices,
        "outcomes": selectors.OUTCOME_LABELS,
        "today": today,
        "soon": selectors.SOON_DAYS,
    }
    template = "receivables/collection/worklist.html"
    if _is_htmx(request):
        template += "#rows"
    return render(request, template, context, status=422 if errors else 200)


# ------------------------------------------------------------------------------------- reports
@require_GET
def expected(request):
    """Expected against collected (应收与实收) by week or by month, with a bar chart."""
    f, errors = selectors.parse_period(request.GET)
    report = selectors.expected_vs_collected(request.user, f)
    salespeople, regions = _people(request.user)
    chart = {
        "periods": [_period_label(r["start"], f.period) for r in report["rows"]],
        "expected": [r["expected_fen"] / 100 for r in report["rows"]],
        "collected": [r["collected_fen"] / 100 for r in report["rows"]],
        "labels": {"expected": _("Expected"), "collected": _("Collected")},
    }
    context = {
        "report": report,
        "f": f,
        "errors": errors,
        "chart": chart,
        "salespeople": salespeople,
        "regions": regions,
    }
    return render(request, "receivables/collection/expected.html", context, status=422 if errors else 200)


def _period_label(day, period: str) -> str:
    return day.isoformat() if period == "week" else day.strftime("%Y-%m")


def parse_effectiveness(params) -> tuple[dict, dict[str, str]]:
    """N days (1–90, default 7) and the optional period of the actions (from, to)."""
    from django.utils.dateparse import parse_date

    out: dict = {"days": 7, "start": None, "end": None}
    errors: dict[str, str] = {}
    raw = (params.get("days") or "7").strip()
    try:
        out["days"] = int(raw)
        if not 1 <= out["days"] <= 90:
            raise ValueError
    except ValueError:
        out["days"] = 7
        errors["days"] = _("Enter a number of days from 1 to 90.")
    for name, key in (("from", "start"), ("to", "end")):
        raw = (params.get(name) or "").strip()
        if raw:
            try:
                out[key] = parse_date(raw)
            except ValueError:
                out[key] = None
            if out[key] is None:
                errors[name] = _("Enter a date as YYYY-MM-DD.")
    return out, errors


@require_GET
def effectiveness(request):
    """Technique effectiveness (技巧效果): per technique, the share of actions followed by a payment
    within N days."""
    f, errors = parse_effectiveness(request.GET)
    report = selectors.technique_effectiveness(request.user, **f)
    return render(
        request,
        "receivables/collection/effectiveness.html",
        {"report": report, "errors": errors, "days": f["days"], "start": f["start"], "end": f["end"]},
        status=422 if errors else 200,
    )


# ------------------------------------------------------------------------ the account's forms
def _section(request, account, *, form: str = "", errors=None, values=None, status=200):
    """The account page again (or its collection section for htmx), with this form's errors."""
    request.collection_form = {"form": form, "errors": errors or {}, "values": values or {}}
    if _is_htmx(request):
        from .panels import account_panel

        context = {"account": account, **account_panel(request, account)}
        return render(request, "receivables/collection/_account.html", context, status=status)
    from ..views import _detail_context

    return render(request, "receivables/detail.html", _detail_context(request, account), status=status)


def _done(request, account, message: str):
    messages.success(request, message)
    if _is_htmx(request):
        return _section(request, ledger.account_detail(request.user, account.pk))
    return redirect(f"{_account_url(account)}#collection")


def _account_url(account) -> str:
    from django.urls import reverse

    return reverse("receivables:detail", args=[account.pk])


def _forbidden(request, exc):
    return render(request, "403.html", {"message": str(exc)}, status=403)


@require_POST
def action_new(request, pk: int):
    """Record a visit, call or message, with a promise to pay when the customer made one."""
    account = ledger.account_detail(request.user, pk)
    values = request.POST.dict()
    techniques = request.POST.getlist("techniques")
    promised_at = ""
    if values.get("promise_date") or values.get("promise_time"):
        promised_at = f"{values.get('promise_date', '').strip()} {values.get('promise_time', '').strip()}".strip()
    try:
        services.action_record(
            actor=request.user,
            account=account,
            kind=values.get("kind", ""),
            outcome=values.get("outcome", ""),
            at=values.get("at", ""),
            techniques=techniques,
            tactic=values.get("tactic", ""),
            note=values.get("note", ""),
            promised_at=promised_at,
            promise_amount_fen=values.get("promise_amount", ""),
        )
    except PermissionError as exc:
        return _forbidden(request, exc)
    except ValidationError as exc:
        values["techniques"] = techniques
        return _section(request, account, form="action", errors=_errors_of(exc), values=values, status=422)
    return _done(request, account, _("Collection action recorded."))


@require_POST
def plan_save(request, pk: int):
    """Save the answers to the six questions."""
    account = ledger.account_detail(request.user, pk)
    values = request.POST.dict()
    answers = dict(values)
    answers["amount_fen"] = values.get("amount", "")
    try:
        services.plan_save(actor=request.user, account=account, answers=answers)
    except PermissionError as exc:
        return _forbidden(request, exc)
    except ValidationError as exc:
        return _section(request, account, form="plan", errors=_errors_of(exc), values=values, status=422)
    return _done(request, account, _("Collection plan saved."))


@require_POST
def step_new(request, pk: int):
    """Add a 5W2H round to the plan."""
    account = ledger.account_detail(request.user, pk)
    values = request.POST.dict()
    when = f"{values.get('date', '').strip()} {values.get('time', '').strip()}".strip()
    try:
        services.step_add(
            actor=request.user,
            account=account,
            what=values.get("what", ""),
            who=values.get("who", ""),
            planned_at=when,
            place=values.get("place", ""),
            how=values.get("how", ""),
            amount_fen=values.get("amount", ""),
        )
    except PermissionError as exc:
        return _forbidden(request, exc)
    except ValidationError as exc:
        return _section(request, account, form="step", errors=_errors_of(exc), values=values, status=422)
    return _done(request, account, _("Collection round planned."))


@require_POST
def step_done(request, pk: int):
    step = get_or_404(request.user, CollectionPlanStep, pk)
    account = ledger.account_detail(request.user, step.account_id)
    try:
        services.step_done(actor=request.user, step=step)
    except PermissionError as exc:
        return _forbidden(request, exc)
    return _done(request, account, _("Round marked done."))
