"""Daily reports (日报), the manager's team summary and the evening review (SPEC §2, issue 4 item 7).

    day_figures(user, day)                         # the day's figures, SQL aggregates, fixed query count
    report_save(actor=…, day=…, remarks=…, tomorrow_plan=…)      # the salesperson's draft
    report_submit(actor=…, day=…)                  # freezes the figures, notifies the managers
    report_comment(actor=…, report=…, text=…)      # a manager of the salesperson's regions comments
    team_summary(manager, day)                     # one row per salesperson of the manager's regions
    day_notes(user, day, salesperson=None)         # the evening review: the day's notes side by side

Rules decided here:

- A report is the salesperson's own (``DailyReport`` policy). Until it is submitted its figures are
  computed live from the records; ``report_submit`` freezes them in ``figures`` (JSON).
- A submitted report is read-only for the salesperson (remarks and tomorrow's plan included);
  the managers' comments go on.
- Only managers of one of the salesperson's regions comment (not administrators, not the
  salesperson), and only on submitted reports.
- Reports are for today or an earlier day, never a future one.
- "Planned for the day" = the salesperson's visits with ``planned_on`` = that day (a visit started
  on the spot is planned for its own day too); "plan kept" = the share of them that were made.
- Coverage of 9/6/3 customers = the share of the salesperson's grade-9/6/3 customers whose last
  follow-up (``Customer.last_followup_at``) lies within their grade's cadence (VisitSettings), i.e.
  not on or past their due day at the end of ``day``. It is the customers' state now: for an
  earlier day the frozen figures of a submitted report keep the state at submission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.models import Role, User
from core.services import notify
from core.visibility import Action, may, visible
from customers.models import Customer, IndustryContact, MarketProject, StatusChange

from . import rules
from .method import settings_for
from .models import DailyReport, FollowUp, Objection, ReportComment, Visit, VisitNote

REMARKS_MAX = 5000
PLAN_MAX = 3000
COMMENT_MAX = 2000
LIST_CAP = 20  # names listed in the figures (grade changes, new customers); the counts are complete
GRADE_KEYS = ("9", "6", "3", "1", "0", "none")
PUSH_GRADES = (9, 6, 3)  # the prospects to push (SPEC §1)


# --- the day ----------------------------------------------------------------------------------------


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day as an aware [start, end) range (Asia/Shanghai by default)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    return start, start + dt.timedelta(days=1)


def parse_day(value: str | None, *, default: dt.date | None = None) -> dt.date | None:
    """A YYYY-MM-DD query value; ``default`` (today) when empty, None when malformed."""
    if not value:
        return default or timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _grade_key(grade: int | None) -> str:
    return "none" if grade is None else str(grade)


def pct(part: int, whole: int) -> int | None:
    return None if not whole else round(100 * part / whole)


# --- collections: filled in by the receivables module -----------------------------------------------

_collections_hook: Callable[[User, dt.date], dict | None] | None = None


def register_collections(hook: Callable[[User, dt.date], dict | None] | None) -> None:
    """The receivables module (债权管理) registers ``hook(user, day) -> {"count": int, "amount": "1234.50"}``
    (amount as a Decimal string) giving the collections (回款) the salesperson recorded that day."""
    global _collections_hook
    _collections_hook = hook


def collections_of(user: User, day: dt.date) -> dict | None:
    """The day's collections, or None while no receivables module exists ("not available yet")."""
    return None if _collections_hook is None else _collections_hook(user, day)


# --- figures ------------------------------------------------------------------------------------------


def _cadence(company_id: int) -> dict[int | None, int]:
    return settings_for(company_id).cadence()


def coverage_cutoffs(day: dt.date, cadence) -> dict[int, dt.datetime]:
    """Per grade 9/6/3: a customer followed up at or after this instant is within the cadence."""
    return {g: day_bounds(rules.cutoff_for(g, day, cadence))[0] for g in PUSH_GRADES}


def _coverage_counts(cutoffs: dict[int, dt.datetime]) -> dict:
    counts = {}
    for g, cut in cutoffs.items():
        counts[f"n{g}"] = Count("id", filter=Q(grade=g))
        counts[f"c{g}"] = Count("id", filter=Q(grade=g, last_followup_at__gte=cut))
    return counts


def _coverage_rows(row: dict | None) -> list[list]:
    """[[grade, covered, customers, percent], …] for 9, 6, 3."""
    row = row or {}
    out = []
    for g in PUSH_GRADES:
        n, c = row.get(f"n{g}", 0), row.get(f"c{g}", 0)
        out.append([str(g), c, n, pct(c, n)])
    return out


def _owned(company_id: int) -> QuerySet[Customer]:
    return Customer.objects.filter(company_id=company_id, in_pool=False, merged_into__isnull=True)


def _done_counts(prefix: str = "") -> dict:
    """Aggregates over done visits: by the customer's grade, first or repeat, results."""
    grade = f"{prefix}customer__grade"
    out = {
        "done": Count("id"),
        "first": Count("id", filter=Q(kind=Visit.Kind.FIRST)),
        "customers": Count("customer", distinct=True),
        "won": Count("id", filter=Q(result=Visit.Result.WON)),
        "lost": Count("id", filter=Q(result=Visit.Result.LOST)),
        "g_none": Count("id", filter=Q(**{f"{grade}__isnull": True})),
    }
    for g in rules.GRADES:
        out[f"g_{g}"] = Count("id", filter=Q(**{grade: g}))
    return out


def _checkin_counts(start, end, *, exclude_done: bool) -> dict:
    """Check-ins made in [start, end); ``exclude_done`` leaves out the visits done that day (counted
    with the done visits) so that no check-in counts twice."""
    base = Q(checkin_at__gte=start, checkin_at__lt=end)
    if exclude_done:
        base &= ~Q(status=Visit.Status.DONE, done_at__gte=start, done_at__lt=end)
    return {
        "ci_total": Count("id", filter=base),
        "ci_flagged": Count("id", filter=base & Q(flagged=True)),
        "ci_manual": Count("id", filter=base & Q(checkin_manual=True)),
    }


def day_figures(user: User, day: dt.date) -> dict:
    """Everything the day's report shows, computed with SQL aggregates in a fixed number of queries
    (whatever the number of visits or customers). JSON-ready: it is frozen as is at submission."""
    start, end = day_bounds(day)
    company_id = user.company_id
    # by salesperson only (the company follows): SQLite, which has no statistics in production,
    # would otherwise walk the company's index instead of (salesperson, day)
    mine = Visit.objects.filter(salesperson=user)

    # 1. visits done that day (index visit_done_idx), with their check-ins
    done = mine.filter(status=Visit.Status.DONE, done_at__gte=start, done_at__lt=end).aggregate(
        **_done_counts(), **_checkin_counts(start, end, exclude_done=False)
    )
    # 2. the plan of the day and of tomorrow (index visit_plan_idx), other check-ins of the day
    tomorrow = day + dt.timedelta(days=1)
    plan = mine.filter(planned_on__in=[day, tomorrow]).aggregate(
        planned=Count("id", filter=Q(planned_on=day)),
        plan_done=Count("id", filter=Q(planned_on=day, status=Visit.Status.DONE)),
        plan_cancelled=Count("id", filter=Q(planned_on=day, status=Visit.Status.CANCELLED)),
        tomorrow=Count("id", filter=Q(planned_on=tomorrow) & ~Q(status=Visit.Status.CANCELLED)),
        **_checkin_counts(start, end, exclude_done=True),
    )
    # 3. grade changes made by the user that day
    changes = list(
        StatusChange.objects.filter(
            company_id=company_id, kind=StatusChange.Kind.GRADE, by=user, at__gte=start, at__lt=end
        )
        # the first grade of a customer created that day is part of "new customers", not a change
        .exclude(old="", customer__created_at__gte=start, customer__created_at__lt=end)
        .order_by("at", "id")
        .values("customer_id", "customer__name", "old", "new", "reason")[: LIST_CAP * 5]
    )
    # 4. new customers (created that day, owned by the user): the first ones and the total
    new = list(
        Customer.objects.filter(company_id=company_id, owner=user, created_at__gte=start, created_at__lt=end)
        .annotate(total=Window(Count("id")))
        .order_by("created_at", "id")
        .values("id", "name", "grade", "total")[:LIST_CAP]
    )
    # 5.–8. grade-0 contacts, market projects, follow-ups, objections
    contacts = IndustryContact.objects.filter(
        company_id=company_id, owner=user, updated_at__gte=start, updated_at__lt=end
    ).count()
    projects = MarketProject.objects.filter(
        company_id=company_id, region_id__in=list(user.region_ids), updated_at__gte=start, updated_at__lt=end
    ).count()
    followups = (
        FollowUp.objects.filter(company_id=company_id, owner=user)
        .filter(Q(created_at__gte=start, created_at__lt=end) | Q(done_at__gte=start, done_at__lt=end))
        .aggregate(
            opened=Count("id", filter=Q(created_at__gte=start, created_at__lt=end)),
            closed=Count("id", filter=Q(status=FollowUp.Status.DONE, done_at__gte=start, done_at__lt=end)),
        )
    )
    objections = Objection.objects.filter(company_id=company_id, by=user, at__gte=start, at__lt=end).count()
    # 9. coverage of the 9/6/3 customers (+ the settings' cadence)
    cutoffs = coverage_cutoffs(day, _cadence(company_id))
    coverage = _owned(company_id).filter(owner=user, grade__in=PUSH_GRADES).aggregate(**_coverage_counts(cutoffs))

    planned = plan["planned"]
    return {
        "day": day.isoformat(),
        "visits": {
            "done": done["done"],
            "first": done["first"],
            "repeat": done["done"] - done["first"],
            "customers": done["customers"],
            "by_grade": [[k, done[f"g_{k}"]] for k in GRADE_KEYS],
        },
        "plan": {
            "planned": planned,
            "done": plan["plan_done"],
            "cancelled": plan["plan_cancelled"],
            "missed": planned - plan["plan_done"] - plan["plan_cancelled"],
            "kept_pct": pct(plan["plan_done"], planned),
        },
        "checkins": {
            "total": done["ci_total"] + plan["ci_total"],
            "flagged": done["ci_flagged"] + plan["ci_flagged"],
            "manual": done["ci_manual"] + plan["ci_manual"],
        },
        "grade_changes": [
            {
                "customer": c["customer_id"],
                "name": c["customer__name"],
                "from": c["old"],
                "to": c["new"],
                "reason": c["reason"],
            }
            for c in changes
        ],
        "new_customers": {
            "count": new[0]["total"] if new else 0,
            "items": [{"id": c["id"], "name": c["name"], "grade": c["grade"]} for c in new],
        },
        "industry_contacts": contacts,
        "market_projects": projects,
        "followups": {"opened": followups["opened"], "done": followups["closed"]},
        "objections": objections,
        "results": {"won": done["won"], "lost": done["lost"]},
        "coverage": _coverage_rows(coverage),
        "tomorrow": {"planned": plan["tomorrow"]},
        "collections": collections_of(user, day),
    }


# --- reports --------------------------------------------------------------------------------------


def report_of(user: User, day: dt.date) -> DailyReport | None:
    return DailyReport.objects.filter(company_id=user.company_id, salesperson=user, day=day).first()


def figures_of(report: DailyReport | None, salesperson: User, day: dt.date) -> tuple[dict, bool]:
    """(figures, frozen): the frozen figures of a submitted report, else the live ones."""
    if report is not None and report.status == DailyReport.Status.SUBMITTED and report.figures:
        return report.figures, True
    return day_figures(salesperson, day), False


def tomorrow_suggestion(user: User, day: dt.date) -> str:
    """A first line for tomorrow's plan: the customers already planned for the next day."""
    names = list(
        Visit.objects.filter(company_id=user.company_id, salesperson=user, planned_on=day + dt.timedelta(days=1))
        .exclude(status=Visit.Status.CANCELLED)
        .order_by("id")
        .values_list("customer__name", flat=True)[:LIST_CAP]
    )
    return _("Visit: %(names)s") % {"names": "、".join(names)} if names else ""


def _check_author(actor: User, day: dt.date) -> None:
    if not actor.has_role(Role.SALESPERSON) or not may(actor, DailyReport, Action.CHANGE):
        raise PermissionError(_("Only salespeople write daily reports."))
    if day > timezone.localdate():
        raise ValidationError({"day": _("A daily report is for today or an earlier day.")})


def _clean_texts(remarks: str | None, tomorrow_plan: str | None) -> dict:
    out, errors = {}, {}
    for name, value, cap in (("remarks", remarks, REMARKS_MAX), ("tomorrow_plan", tomorrow_plan, PLAN_MAX)):
        if value is None:
            continue
        value = value.strip().replace("\r\n", "\n")
        if len(value) > cap:
            errors[name] = _("At most %(n)d characters.") % {"n": cap}
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def _locked_report(actor: User, day: dt.date) -> DailyReport:
    """The actor's report of the day, locked for the update (created as a draft if missing)."""
    qs = DailyReport.objects.select_for_update().filter(company_id=actor.company_id, salesperson=actor, day=day)
    report = qs.first()
    if report is None:
        try:
            with transaction.atomic():
                report = DailyReport.objects.create(company_id=actor.company_id, salesperson=actor, day=day)
        except IntegrityError:  # created at the same moment by another request
            report = qs.get()
    return report


def _read_only(report: DailyReport) -> None:
    if report.status == DailyReport.Status.SUBMITTED:
        when = timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M") if report.submitted_at else ""
        raise ValidationError(
            _("This report was submitted (%(when)s) and can no longer be changed; your manager may still comment.")
            % {"when": when},
            code="submitted",
        )


@transaction.atomic
def report_save(
    *, actor: User, day: dt.date, remarks: str | None = None, tomorrow_plan: str | None = None
) -> DailyReport:
    """Save the salesperson's draft of ``day`` (remarks, tomorrow's plan). Refused once submitted."""
    _check_author(actor, day)
    texts = _clean_texts(remarks, tomorrow_plan)
    report = _locked_report(actor, day)
    _read_only(report)
    for name, value in texts.items():
        setattr(report, name, value)
    report.save()
    return report


def managers_of(salesperson: User) -> QuerySet[User]:
    """The active managers covering one of the salesperson's regions."""
    return (
        User.objects.filter(
            company_id=salesperson.company_id,
            is_active=True,
            user_roles__role=Role.MANAGER,
            regions__in=list(salesperson.region_ids),
        )
        .exclude(pk=salesperson.pk)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def report_submit(
    *, actor: User, day: dt.date, remarks: str | None = None, tomorrow_plan: str | None = None
) -> DailyReport:
    """Submit the report of ``day``: remarks required, the figures frozen as they are now, the
    salesperson's managers notified. Submitting twice is refused (the report is read-only)."""
    _check_author(actor, day)
    texts = _clean_texts(remarks, tomorrow_plan)
    report = _locked_report(actor, day)
    _read_only(report)
    for name, value in texts.items():
        setattr(report, name, value)
    if not report.remarks.strip():
        raise ValidationError({"remarks": _("Write a few words about the day before submitting.")})
    report.figures = day_figures(actor, day)
    report.status = DailyReport.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.save()
    url = reverse("visits:report_detail", args=[report.pk])
    for manager in managers_of(actor):
        with override(settings.LANGUAGE_CODE):
            title = _("%(name)s submitted the daily report of %(day)s") % {"name": actor, "day": day.isoformat()}
        notify(user=manager, title=title, body=report.remarks[:300], url=url)
    return report


def may_comment(user: User, report: DailyReport) -> bool:
    """Managers of one of the salesperson's regions (one query)."""
    if not user.has_role(Role.MANAGER) or report.salesperson_id == user.pk or not user.region_ids:
        return False
    if report.company_id != user.company_id:
        return False
    return User.objects.filter(pk=report.salesperson_id, regions__in=list(user.region_ids)).exists()


@transaction.atomic
def report_comment(*, actor: User, report: DailyReport, text: str) -> ReportComment:
    """A manager of the salesperson's regions comments on a submitted report; the salesperson is notified."""
    if not may_comment(actor, report):
        raise PermissionError(_("Only the managers of the salesperson's regions comment on this report."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the comment.")})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"text": _("At most %(n)d characters.") % {"n": COMMENT_MAX}})
    if report.status != DailyReport.Status.SUBMITTED:
        raise ValidationError({"text": _("The report is still a draft: comment once it is submitted.")})
    comment = ReportComment.objects.create(company_id=report.company_id, report=report, author=actor, text=text)
    with override(settings.LANGUAGE_CODE):
        title = _("%(name)s commented on your daily report of %(day)s") % {"name": actor, "day": report.day.isoformat()}
    notify(user=report.salesperson, title=title, body=text[:300], url=reverse("visits:report_detail", args=[report.pk]))
    return comment


def report_list(user: User, *, day: dt.date | None = None, salesperson: int | None = None) -> QuerySet[DailyReport]:
    """The reports the user may read (own; a manager's team; an administrator's company)."""
    qs = visible(user, DailyReport).select_related("salesperson").annotate(n_comments=Count("comments"))
    if day is not None:
        qs = qs.filter(day=day)
    if salesperson is not None:
        qs = qs.filter(salesperson_id=salesperson)
    return qs.order_by("-day", "salesperson__display_name", "salesperson_id")


def report_comments(report: DailyReport) -> list[ReportComment]:
    return list(report.comments.select_related("author").order_by("created_at", "id"))


# --- the manager's team ------------------------------------------------------------------------------


def is_manager(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def team_of(user: User) -> QuerySet[User]:
    """The active salespeople the user may see: a manager's regions, an administrator's company."""
    return (
        visible(user, User)
        .filter(user_roles__role=Role.SALESPERSON, is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )


def team_summary(manager: User, day: dt.date) -> dict:
    """Per salesperson of the manager's regions: report status, visits per grade, plan kept, coverage
    of the 9/6/3 customers, flagged check-ins, notes. Seven queries whatever the team's size."""
    start, end = day_bounds(day)
    company_id = manager.company_id
    team = list(team_of(manager))
    ids = [u.pk for u in team]
    visits = Visit.objects.filter(company_id=company_id, salesperson_id__in=ids)
    done = {
        r["salesperson_id"]: r
        for r in visits.filter(status=Visit.Status.DONE, done_at__gte=start, done_at__lt=end)
        .values("salesperson_id")
        .annotate(**_done_counts(), **_checkin_counts(start, end, exclude_done=False))
    }
    plan = {
        r["salesperson_id"]: r
        for r in visits.filter(planned_on=day)
        .values("salesperson_id")
        .annotate(
            planned=Count("id"),
            plan_done=Count("id", filter=Q(status=Visit.Status.DONE)),
            **_checkin_counts(start, end, exclude_done=True),
        )
    }
    reports = {
        r.salesperson_id: r
        for r in DailyReport.objects.filter(company_id=company_id, day=day, salesperson_id__in=ids).annotate(
            n_comments=Count("comments")
        )
    }
    cutoffs = coverage_cutoffs(day, _cadence(company_id))
    coverage = {
        r["owner_id"]: r
        for r in _owned(company_id)
        .filter(owner_id__in=ids, grade__in=PUSH_GRADES)
        .values("owner_id")
        .annotate(**_coverage_counts(cutoffs))
    }
    notes = dict(
        VisitNote.objects.filter(company_id=company_id, author_id__in=ids, recorded_at__gte=start, recorded_at__lt=end)
        .values("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    zero_done = {k: 0 for k in ("done", "first", "customers", "won", "lost", "ci_total", "ci_flagged", "ci_manual")}
    rows, totals = [], {"done": 0, "planned": 0, "plan_done": 0, "flagged": 0, "notes": 0, "covered": 0, "push": 0}
    totals |= {"by_grade": {k: 0 for k in GRADE_KEYS}, "submitted": 0}
    for u in team:
        d = done.get(u.pk) or (zero_done | {f"g_{k}": 0 for k in GRADE_KEYS})
        p = plan.get(u.pk) or {"planned": 0, "plan_done": 0, "ci_total": 0, "ci_flagged": 0, "ci_manual": 0}
        cov = _coverage_rows(coverage.get(u.pk))
        covered, push = sum(c[1] for c in cov), sum(c[2] for c in cov)
        report = reports.get(u.pk)
        row = {
            "user": u,
            "report": report,
            "status": report.status if report else "",
            "done": d["done"],
            "first": d["first"],
            "by_grade": [[k, d[f"g_{k}"]] for k in GRADE_KEYS],
            "planned": p["planned"],
            "plan_done": p["plan_done"],
            "kept_pct": pct(p["plan_done"], p["planned"]),
            "coverage": cov,
            "coverage_pct": pct(covered, push),
            "flagged": d["ci_flagged"] + p["ci_flagged"],
            "checkins": d["ci_total"] + p["ci_total"],
            "notes": notes.get(u.pk, 0),
        }
        rows.append(row)
        totals["done"] += row["done"]
        totals["planned"] += row["planned"]
        totals["plan_done"] += row["plan_done"]
        totals["flagged"] += row["flagged"]
        totals["notes"] += row["notes"]
        totals["covered"] += covered
        totals["push"] += push
        totals["submitted"] += row["status"] == DailyReport.Status.SUBMITTED
        for k, n in row["by_grade"]:
            totals["by_grade"][k] += n
    totals["kept_pct"] = pct(totals["plan_done"], totals["planned"])
    totals["coverage_pct"] = pct(totals["covered"], totals["push"])
    totals["by_grade"] = list(totals["by_grade"].items())
    return {"day": day, "rows": rows, "totals": totals, "team_size": len(team)}


# --- the evening review -------------------------------------------------------------------------------


def review_people(user: User) -> QuerySet[User]:
    """Whose notes the user may review: themselves (a salesperson) and the team (managers)."""
    if is_manager(user):
        return team_of(user)
    return User.objects.filter(pk=user.pk)


def day_notes(user: User, day: dt.date, salesperson: User | None = None) -> list[VisitNote]:
    """The day's visit notes side by side: customer, grade, summary, what each note changed, the
    visit's check-in, its follow-ups and objections. A salesperson reviews their own notes; a manager
    the notes of one salesperson or of the whole team. Three queries."""
    start, end = day_bounds(day)
    qs = visible(user, VisitNote).filter(recorded_at__gte=start, recorded_at__lt=end)
    if salesperson is not None:
        qs = qs.filter(author=salesperson)
    elif is_manager(user):
        qs = qs.filter(author__in=team_of(user).values("pk"))  # the team's notes (index author, recorded_at)
    else:
        qs = qs.filter(author=user)
    return list(
        qs.select_related("customer", "author", "visit")
        .prefetch_related("followups", "objections")
        .order_by("recorded_at", "id")
    )
