"""API of daily reports, the team summary, analytics and the day's check-ins (see core/api.py).

Same selectors, services and visibility as the pages (visits/views_reports.py):

    GET  /api/visits/reports/{day}             the caller's own report of the day (live figures until submitted)
    PUT  /api/visits/reports/{day}             save the draft: remarks, tomorrow_plan
    POST /api/visits/reports/{day}/submit      submit (freezes the figures, notifies the managers)
    GET  /api/visits/reports?day=&user=        the reports the caller may read (a manager's team)
    POST /api/visits/reports/{id}/comments     a manager of the salesperson's regions comments
    GET  /api/visits/team?day=                 the manager's team summary
    GET  /api/visits/analytics/close-rate      ?start=&end=&region=&salesperson=
    GET  /api/visits/analytics/compliance      same filters
    GET  /api/visits/checkins?day=&user=       the day's check-ins (managers)
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.models import Role
from core.visibility import get_or_404

from . import analytics, reports
from .models import DailyReport, ReportComment

router = Router(tags=["visits"])


def _day_param(value: str, name: str = "day") -> dt.date:
    day = reports.parse_day(value)
    if day is None:
        raise FilterError({name: [_("Enter a date as YYYY-MM-DD.")]})
    return day


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise FilterError({name: [_("Enter a whole number.")]})
    return int(raw)


def comment_out(c: ReportComment) -> dict:
    return {
        "id": c.pk,
        "author": c.author_id,
        "author_name": str(c.author),
        "text": c.text,
        "at": c.created_at.isoformat(),
    }


def report_out(report: DailyReport | None, salesperson, day: dt.date, *, figures: bool = True, comments=None) -> dict:
    out = {
        "id": report.pk if report else None,
        "salesperson": salesperson.pk,
        "salesperson_name": str(salesperson),
        "day": day.isoformat(),
        "status": report.status if report else "",
        "remarks": report.remarks if report else "",
        "tomorrow_plan": report.tomorrow_plan if report else "",
        "submitted_at": report.submitted_at.isoformat() if report and report.submitted_at else None,
    }
    if figures:
        values, frozen = reports.figures_of(report, salesperson, day)
        out["figures"] = values
        out["figures_frozen"] = frozen
    if comments is not None:
        out["comments"] = [comment_out(c) for c in comments]
    return out


def _own(request, day: dt.date) -> dict:
    user = request.user
    report = reports.report_of(user, day)
    return report_out(report, user, day, comments=reports.report_comments(report) if report else [])


def _require_salesperson(user) -> None:
    if not user.has_role(Role.SALESPERSON):
        raise PermissionError


@router.get("/visits/reports/{day}")
def report_get(request, day: str):
    """The caller's report of ``day`` (YYYY-MM-DD or "today"); status "" when not started yet."""
    _require_salesperson(request.user)
    return _own(request, _path_day(day))


def _path_day(value: str) -> dt.date:
    if value == "today":
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError({"day": [_("Enter a date as YYYY-MM-DD.")]}) from None


class ReportIn(Schema):
    remarks: str | None = None
    tomorrow_plan: str | None = None


@router.put("/visits/reports/{day}")
def report_put(request, day: str, payload: ReportIn):
    """Save the draft (only the fields sent). A submitted report is read-only (422)."""
    d = _path_day(day)
    reports.report_save(actor=request.user, day=d, remarks=payload.remarks, tomorrow_plan=payload.tomorrow_plan)
    return _own(request, d)


def _optional_texts(request) -> dict:
    """The optional body of submit: JSON {"remarks": str, "tomorrow_plan": str}, form fields, or nothing."""
    if request.content_type != "application/json":
        return {name: request.POST[name] for name in ("remarks", "tomorrow_plan") if name in request.POST}
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise ValidationError({"body": _("The request body is not valid JSON.")}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": _("The request body is not valid JSON.")})
    out = {}
    for name in ("remarks", "tomorrow_plan"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise ValidationError({name: _("Enter text.")})
        out[name] = value
    return out


@router.post(
    "/visits/reports/{day}/submit",
    openapi_extra={
        "requestBody": {"required": False, "content": {"application/json": {"schema": ReportIn.model_json_schema()}}}
    },
)
def report_submit(request, day: str):
    """Submit, optionally with {"remarks", "tomorrow_plan"}: the remarks are required (here or saved
    before); the figures are frozen; the salesperson's managers are notified."""
    d = _path_day(day)
    reports.report_submit(actor=request.user, day=d, **_optional_texts(request))
    return _own(request, d)


@router.get("/visits/reports")
def report_list(request):
    """The reports the caller may read: their own; a manager's team; an administrator's company.
    Filters: day (YYYY-MM-DD), user (salesperson id). Figures: frozen for submitted reports, else
    empty (read one report for its live figures)."""
    check_query(request, {"day", "user"})
    day = _day_param(request.GET["day"]) if request.GET.get("day") else None
    qs = reports.report_list(request.user, day=day, salesperson=_int_param(request, "user"))

    def out(r: DailyReport) -> dict:
        data = report_out(r, r.salesperson, r.day, figures=False)
        data["figures"] = r.figures if r.status == DailyReport.Status.SUBMITTED else None
        data["comments"] = r.n_comments
        return data

    return paginate(request, qs, out)


class CommentIn(Schema):
    text: str


@router.post("/visits/reports/{int:report_id}/comments", response={201: dict})
def report_comment(request, report_id: int, payload: CommentIn):
    report = get_or_404(request.user, DailyReport, report_id)
    comment = reports.report_comment(actor=request.user, report=report, text=payload.text)
    return Status(201, comment_out(comment))


@router.get("/visits/team")
def team(request):
    """Managers: per salesperson of their regions — report status, visits per grade, plan kept,
    coverage of the 9/6/3 customers, flagged check-ins, notes."""
    check_query(request, {"day"})
    if not reports.is_manager(request.user):
        raise PermissionError
    day = _day_param(request.GET.get("day", ""))
    summary = reports.team_summary(request.user, day)
    rows = [
        {
            "salesperson": r["user"].pk,
            "salesperson_name": str(r["user"]),
            "report": r["report"].pk if r["report"] else None,
            "status": r["status"],
            "visits": r["done"],
            "first_visits": r["first"],
            "by_grade": dict(r["by_grade"]),
            "planned": r["planned"],
            "plan_done": r["plan_done"],
            "plan_kept_pct": r["kept_pct"],
            "coverage": {g: {"covered": c, "customers": n, "pct": p} for g, c, n, p in r["coverage"]},
            "coverage_pct": r["coverage_pct"],
            "checkins": r["checkins"],
            "flagged": r["flagged"],
            "notes": r["notes"],
        }
        for r in summary["rows"]
    ]
    totals = dict(summary["totals"])
    totals["by_grade"] = dict(totals["by_grade"])
    return {"day": day.isoformat(), "items": rows, "totals": totals}


ANALYTICS_FILTERS = {"start", "end", "region", "salesperson"}


def _scope(request) -> analytics.Scope:
    check_query(request, ANALYTICS_FILTERS)
    user = request.user
    if not analytics.may_see_analytics(user):
        raise PermissionError
    form = analytics.AnalyticsFilters(request.GET, user=user)
    if not form.is_valid():
        raise FilterError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    return form.scope()


def _scope_out(scope: analytics.Scope) -> dict:
    return {
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "region": scope.region,
        "salesperson": scope.salesperson,
    }


@router.get("/visits/analytics/close-rate")
def close_rate(request):
    """Deals won and lost per number of visits before them (1–2, 3–5, 6+) and the close rate.
    Filters: start, end (the closing day, default the last 90 days), region, salesperson."""
    scope = _scope(request)
    data = analytics.close_rate(request.user, scope)
    return {"filters": _scope_out(scope), **data}


@router.get("/visits/analytics/compliance")
def compliance(request):
    """Cadence compliance per salesperson: today's state per grade, and the repeat visits of the
    period made within the cadence. Same filters as close-rate."""
    scope = _scope(request)
    cadence = analytics.cadence_of(request.user)

    def person(row: dict) -> dict:
        return {"salesperson": row["user_id"], "salesperson_name": str(row["user"] or "")}

    today = [
        person(r) | {"grades": r["grades"], "covered": r["covered"], "customers": r["customers"], "pct": r["pct"]}
        for r in analytics.compliance_today(request.user, scope, cadence=cadence)
    ]
    period = [
        person(r) | {"due": r["due"], "kept": r["kept"], "late": r["late"], "rate": r["rate"], "pct": r["pct"]}
        for r in analytics.compliance_period(request.user, scope, cadence=cadence)
    ]
    return {"filters": _scope_out(scope), "today": today, "period": period}


@router.get("/visits/checkins")
def checkins(request):
    """Managers: the day's check-ins of their regions (position, customer, salesperson, distance,
    flagged and why). Filters: day (default today), user (a salesperson of the team)."""
    check_query(request, {"day", "user"})
    user = request.user
    if not reports.is_manager(user):
        raise PermissionError
    day = _day_param(request.GET.get("day", ""))
    salesperson = _int_param(request, "user")
    if salesperson is not None and not reports.team_of(user).filter(pk=salesperson).exists():
        raise FilterError({"user": [_("Choose a salesperson of your regions.")]})
    points = analytics.day_checkins(user, day, salesperson=salesperson)
    return {"day": day.isoformat(), "count": len(points), "items": points}
