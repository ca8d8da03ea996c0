"""Pages of daily reports (日报), the manager's team view, the evening review, the analytics and the
check-in map. Thin: parse input, call ``visits.reports`` / ``visits.analytics``, render."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.models import Role, User
from core.visibility import get_or_404
from customers.models import Customer

from . import analytics, reports
from .models import DailyReport
from .notes import SECTION_LABELS  # the note's sections in words, as the note page shows them


def _forbidden(request, message: str = ""):
    return render(request, "403.html", {"message": message}, status=403)


def _apply_errors(exc: ValidationError, form: forms.Form) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _day(request) -> dt.date | None:
    return reports.parse_day(request.GET.get("day") or request.POST.get("day"))


def _bad_day(request):
    messages.error(request, _("Enter a date as YYYY-MM-DD."))
    return None


def _day_nav(day: dt.date) -> dict:
    today = timezone.localdate()
    return {
        "day": day,
        "today": today,
        "is_today": day == today,
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1) if day < today else None,
    }


GRADE_LABELS = {str(v): label for v, label in Customer.Grade.choices} | {"none": gettext_lazy("not graded")}


def _grade_rows(by_grade) -> list[dict]:
    return [{"key": k, "n": n, "label": GRADE_LABELS.get(k, k)} for k, n in by_grade]


# --- the salesperson's own report ---------------------------------------------------------------------


class ReportForm(forms.Form):
    remarks = forms.CharField(
        label=gettext_lazy("Remarks (工作小结)"),
        required=False,
        max_length=reports.REMARKS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What went well, what did not, what you need from your manager."),
    )
    tomorrow_plan = forms.CharField(
        label=gettext_lazy("Tomorrow's plan (明日计划)"),
        required=False,
        max_length=reports.PLAN_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _report_context(request, report: DailyReport | None, salesperson: User, day: dt.date) -> dict:
    figures, frozen = reports.figures_of(report, salesperson, day)
    return {
        "report": report,
        "salesperson": salesperson,
        "figures": figures,
        "frozen": frozen,
        "grades": _grade_rows(figures["visits"]["by_grade"]),
        "comments": reports.report_comments(report) if report is not None and report.pk else [],
        **_day_nav(day),
    }


def report(request):
    """The salesperson's report of a day (today by default): live figures, remarks, tomorrow's plan."""
    user = request.user
    if not user.has_role(Role.SALESPERSON):
        if reports.is_manager(user):
            return redirect("visits:team")
        return _forbidden(request, _("Only salespeople write daily reports."))
    day = _day(request)
    if day is None:
        _bad_day(request)
        day = timezone.localdate()
    if day > timezone.localdate():
        messages.error(request, _("A daily report is for today or an earlier day."))
        return redirect(reverse("visits:report"))
    existing = reports.report_of(user, day)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                reports.report_save(actor=user, day=day, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(exc, form)
            else:
                messages.success(request, _("Draft saved."))
                return redirect(_report_url(day))
        status = 422
    else:
        initial = {}
        if existing is not None:
            initial = {"remarks": existing.remarks, "tomorrow_plan": existing.tomorrow_plan}
        if not initial.get("tomorrow_plan"):
            initial["tomorrow_plan"] = reports.tomorrow_suggestion(user, day)
        form = ReportForm(initial=initial)
    ctx = _report_context(request, existing, user, day) | {"form": form, "own": True}
    return render(request, "visits/reports/report.html", ctx, status=status)


def _report_url(day: dt.date) -> str:
    url = reverse("visits:report")
    return url if day == timezone.localdate() else f"{url}?{urlencode({'day': day.isoformat()})}"


@require_POST
def report_submit(request):
    user = request.user
    day = _day(request)
    if day is None:
        _bad_day(request)
        return redirect("visits:report")
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            reports.report_submit(actor=user, day=day, **form.cleaned_data)
        except PermissionError as exc:
            return _forbidden(request, str(exc))
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, _("Daily report submitted. Your manager has been notified."))
            return redirect(_report_url(day))
    if not user.has_role(Role.SALESPERSON):
        return _forbidden(request, _("Only salespeople write daily reports."))
    existing = reports.report_of(user, day)
    ctx = _report_context(request, existing, user, min(day, timezone.localdate())) | {"form": form, "own": True}
    return render(request, "visits/reports/report.html", ctx, status=422)


# --- a report seen by its reader (manager, administrator, the salesperson) ----------------------------------


class CommentForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Comment (点评)"),
        max_length=reports.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _detail(request, report: DailyReport, form: CommentForm | None = None, status: int = 200):
    may_comment = reports.may_comment(request.user, report)
    ctx = _report_context(request, report, report.salesperson, report.day) | {
        "own": report.salesperson_id == request.user.pk,
        "may_comment": may_comment,
        "comment_form": form or (CommentForm() if may_comment else None),
    }
    return render(request, "visits/reports/detail.html", ctx, status=status)


def _report_or_404(request, pk: int) -> DailyReport:
    return get_or_404(request.user, DailyReport, pk, queryset=DailyReport.objects.select_related("salesperson"))


def report_detail(request, pk: int):
    return _detail(request, _report_or_404(request, pk))


@require_POST
def report_comment(request, pk: int):
    report = _report_or_404(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            reports.report_comment(actor=request.user, report=report, text=form.cleaned_data["text"])
        except PermissionError as exc:
            return _forbidden(request, str(exc))
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, _("Comment sent to %(name)s.") % {"name": report.salesperson})
            return redirect("visits:report_detail", pk=report.pk)
    elif not reports.may_comment(request.user, report):
        return _forbidden(request)
    return _detail(request, report, form, status=422)


# --- the manager's team -------------------------------------------------------------------------------------


def team(request):
    user = request.user
    if not reports.is_manager(user):
        return _forbidden(request, _("Only managers see the team's reports."))
    day = _day(request)
    if day is None:
        _bad_day(request)
        day = timezone.localdate()
    summary = reports.team_summary(user, day)
    for row in summary["rows"]:
        row["grades"] = _grade_rows(row["by_grade"])
    ctx = {
        "summary": summary,
        "rows": summary["rows"],
        "totals": summary["totals"],
        "total_grades": _grade_rows(summary["totals"]["by_grade"]),
        **_day_nav(day),
    }
    return render(request, "visits/reports/team.html", ctx)


# --- the evening review -------------------------------------------------------------------------------------


def _change_rows(changes) -> list[dict]:
    """A note's ``changes`` as (section label, text) rows, whatever shape each entry has."""
    rows = []
    for ch in changes if isinstance(changes, list) else []:
        if isinstance(ch, dict):
            section = str(ch.get("section", ""))
            rows.append({"section": SECTION_LABELS.get(section, section), "text": ch.get("text", "")})
        else:
            rows.append({"section": "", "text": str(ch)})
    return rows


def review(request):
    """The day's notes side by side (a grid on a desktop, one swipeable column at a time on a phone)."""
    user = request.user
    people = reports.review_people(user)
    day = _day(request)
    if day is None:
        _bad_day(request)
        day = timezone.localdate()
    chosen = None
    raw = request.GET.get("user", "")
    if raw:
        chosen = people.filter(pk=raw).first() if raw.isdigit() else None
        if chosen is None:
            raise Http404
    manager = reports.is_manager(user)
    notes = reports.day_notes(user, day, chosen)
    for note in notes:
        note.change_rows = _change_rows(note.changes)
    ctx = {
        "notes": notes,
        "keep": [("user", chosen.pk if chosen else "")],
        "chosen": chosen,
        "people": list(people) if manager else [],
        "manager": manager,
        **_day_nav(day),
    }
    return render(request, "visits/reports/review.html", ctx)


# --- analytics and the map ------------------------------------------------------------------------------------


def analytics_page(request):
    user = request.user
    if not analytics.may_see_analytics(user):
        return _forbidden(request)
    form = analytics.AnalyticsFilters(request.GET or None, user=user)
    status = 200
    if request.GET and not form.is_valid():
        status = 422
        scope = analytics.Scope.default()
    else:
        scope = form.scope() if request.GET else analytics.Scope.default()
    if not request.GET:
        form = analytics.AnalyticsFilters(initial={"start": scope.start, "end": scope.end}, user=user)
    close = analytics.close_rate(user, scope)
    cadence = analytics.cadence_of(user)
    chart = {
        "buckets": [str(r["bucket"]) for r in close["buckets"]],
        "rates": [r["pct"] for r in close["buckets"]],
        "won": [r["won"] for r in close["buckets"]],
        "lost": [r["lost"] for r in close["buckets"]],
        "labels": {
            "rate": _("Close rate (%)"),
            "won": _("Won"),
            "lost": _("Lost"),
            "visits": _("Visits before the deal"),
        },
    }
    ctx = {
        "form": form,
        "scope": scope,
        "close": close,
        "chart": chart,
        "today_rows": analytics.compliance_today(user, scope, cadence=cadence),
        "period_rows": analytics.compliance_period(user, scope, cadence=cadence),
        "grade_labels": GRADE_LABELS,
        "grade_keys": [str(g) if g is not None else "none" for g in analytics.ALL_GRADES],
    }
    return render(request, "visits/reports/analytics.html", ctx, status=status)


def checkin_map(request):
    user = request.user
    if not reports.is_manager(user):
        return _forbidden(request, _("Only managers see the check-in map."))
    day = _day(request)
    if day is None:
        _bad_day(request)
        day = timezone.localdate()
    team_list = list(reports.team_of(user))
    raw = request.GET.get("user", "")
    chosen = next((u for u in team_list if str(u.pk) == raw), None)
    points = analytics.day_checkins(user, day, salesperson=chosen.pk if chosen else None)
    data = {
        "points": points,
        "labels": {
            "ok": _("Checked in"),
            "flagged": _("Flagged"),
            "customer": _("Customer location"),
            "distance": _("Distance"),
            "salesperson": _("Salesperson"),
            "time": _("Time"),
            "manual": _("Manual check-in"),
            "lng": _("Longitude"),
            "lat": _("Latitude"),
        },
    }
    ctx = {
        "points": points,
        "data": data,
        "team": team_list,
        "chosen": chosen,
        "flagged": sum(1 for p in points if p["flagged"]),
        "placed": sum(1 for p in points if p["placed"]),
        **_day_nav(day),
    }
    return render(request, "visits/reports/map.html", ctx)
