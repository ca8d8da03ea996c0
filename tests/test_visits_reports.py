"""Daily reports (日报), the manager's team view and the evening review (issue 4 item 7).

Figures come from real rows (visits, plan, check-ins, grade changes, new customers, contacts,
follow-ups, objections) — each a known number; submitting freezes them; a submitted report is
read-only for the salesperson while the managers of the salesperson's region comment on it; the
team summary's coverage of 9/6/3 customers on a constructed case; the evening review; query counts.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core import audit
from core.models import Channel, Notification
from customers import intel
from customers import services as customer_services
from customers.models import Customer, StatusChange
from visits import reports
from visits.method import settings_for
from visits.models import DailyReport, FollowUp, Objection, ReportComment, Visit, VisitNote

from .factories import make_customer

EN = {"headers": {"Accept-Language": "en"}}


# --- shared visit fixtures ----------------------------------------------------------------------------


def today() -> dt.date:
    return timezone.localdate()


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def now_today() -> dt.datetime:
    """A moment of today that is already past (tests may run just after midnight)."""
    return max(at(today(), 0, 1), timezone.now() - dt.timedelta(minutes=1))


def visit(sales, customer, *, day=None, done=True, when=None, kind=Visit.Kind.REPEAT, **fields) -> Visit:
    """A visit row as the plan / check-in / notes flow leaves it (planned for ``day``, done at ``when``)."""
    day = day or today()
    when = when or (now_today() if day == today() else at(day))
    status = fields.pop("status", Visit.Status.DONE if done else Visit.Status.PLANNED)
    return Visit.objects.create(
        company_id=sales.company_id,
        customer=customer,
        salesperson=sales,
        planned_on=day,
        kind=kind,
        status=status,
        done_at=when if status == Visit.Status.DONE else None,
        checkin_at=fields.pop("checkin_at", when if status == Visit.Status.DONE else None),
        **fields,
    )


def note(v: Visit, summary="谈了价格", changes=None, when=None) -> VisitNote:
    return VisitNote.objects.create(
        company_id=v.company_id,
        visit=v,
        customer=v.customer,
        author=v.salesperson,
        summary=summary,
        changes=changes if changes is not None else [{"section": "needs", "text": "价格：已核实"}],
        recorded_at=when or v.done_at or now_today(),
    )


def customer(org, sales=None, *, grade=None, followed=None, name=None, region=None) -> Customer:
    sales = sales or org.sales_a1
    fields = {"grade": grade} if grade is not None else {}
    if name:
        fields["name"] = name
    c = make_customer(sales, region=region or org.region_a, owner=sales, **fields)
    if followed is not None:
        Customer.objects.filter(pk=c.pk).update(last_followup_at=followed)
        c.refresh_from_db()
    return c


def by_grade(figures) -> dict:
    return dict(figures["visits"]["by_grade"])


# --- figures ----------------------------------------------------------------------------------------------


def test_the_figures_count_the_days_rows_of_the_salesperson(org):
    s = org.sales_a1
    d = today()
    c9, c6a, c6b, c3, c_none = (customer(org, grade=g) for g in (9, 6, 6, 3, None))
    visit(s, c9, kind=Visit.Kind.FIRST)
    visit(s, c6a)
    visit(s, c6b, flagged=True, flag_reason="距客户 2.3 公里")
    visit(s, c_none, checkin_manual=True, flagged=True, flag_reason="手动签到")
    visit(s, c3, done=False)  # planned for today, not made yet
    visit(s, c3, status=Visit.Status.CANCELLED)  # planned and cancelled
    visit(s, c3, day=d - dt.timedelta(days=1))  # yesterday: not today's
    visit(s, c9, day=d + dt.timedelta(days=1), done=False)  # tomorrow's plan
    visit(org.sales_a2, org.cust_a2)  # someone else's
    # a grade change by the salesperson today (an existing customer: created yesterday)
    Customer.objects.filter(pk=c3.pk).update(created_at=at(d - dt.timedelta(days=3)))
    StatusChange.objects.filter(customer=c3).update(at=at(d - dt.timedelta(days=3)))
    c3.refresh_from_db()
    with audit.acting(s, Channel.SYSTEM):
        customer_services.grade_set(actor=s, customer=c3, grade=6, reason="工地开工")
        customer_services.grade_set(actor=org.sales_a2, customer=org.cust_a2, grade=9, reason="not mine")
        intel.contact_create(actor=s, kind="operator", name="王师傅", region_id=org.region_a.pk)
        intel.project_create(actor=org.manager_a, name="济南绕城高速", region_id=org.region_a.pk)
    FollowUp.objects.create(company_id=s.company_id, customer=c9, kind="commitment", text="送报价", owner=s)
    FollowUp.objects.create(
        company_id=s.company_id,
        customer=c6a,
        kind="question",
        text="质保几年",
        owner=s,
        status="done",
        done_at=now_today(),
    )
    Objection.objects.create(company_id=s.company_id, customer=c6a, text="价格贵", by=s, at=now_today())

    f = reports.day_figures(s, d)

    assert f["visits"]["done"] == 4
    assert (f["visits"]["first"], f["visits"]["repeat"]) == (1, 3)
    # c3 is grade 6 now (changed today): the visit counts at the customer's grade now
    assert by_grade(f) == {"9": 1, "6": 2, "3": 0, "1": 0, "0": 0, "none": 1}
    # planned today: 4 done + 1 still planned + 1 cancelled
    assert f["plan"] == {"planned": 6, "done": 4, "cancelled": 1, "missed": 1, "kept_pct": 67}
    assert f["checkins"] == {"total": 4, "flagged": 2, "manual": 1}
    assert [(g["name"], g["from"], g["to"], g["reason"]) for g in f["grade_changes"]] == [
        (c3.name, "3", "6", "工地开工")
    ]
    # new customers owned by sales_a1 created today: cust_a1 of the fixture + c9, c6a, c6b, c_none
    assert f["new_customers"]["count"] == 5
    assert {c["name"] for c in f["new_customers"]["items"]} == {
        org.cust_a1.name,
        c9.name,
        c6a.name,
        c6b.name,
        c_none.name,
    }
    assert f["industry_contacts"] == 1
    assert f["market_projects"] == 1  # recorded in the salesperson's region today
    assert f["followups"] == {"opened": 2, "done": 1}
    assert f["objections"] == 1
    assert f["tomorrow"] == {"planned": 1}
    assert f["collections"] == {"count": 0, "amount": "0.00"}  # the receivables hook: no payment that day


def test_collections_come_from_the_receivables_hook_when_one_is_registered(org):
    previous = reports._collections_hook  # the receivables module's (receivables/ops/receivers.py)
    reports.register_collections(lambda user, day: {"count": 2, "amount": "35000.00"})
    try:
        assert reports.day_figures(org.sales_a1, today())["collections"] == {"count": 2, "amount": "35000.00"}
        reports.register_collections(None)
        assert reports.day_figures(org.sales_a1, today())["collections"] is None
    finally:
        reports.register_collections(previous)


def test_the_report_page_shows_the_figures_with_the_days_collections(org, client_as):
    visit(org.sales_a1, org.cust_a1)
    page = client_as(org.sales_a1).get("/visits/report/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="grade-6">1<' in html
    assert "¥0.00" in html and "not available yet" not in html  # the receivables hook: no payment today
    assert page.context["figures"]["visits"]["done"] == 1
    assert not page.context["frozen"]


# --- save, submit, read-only ------------------------------------------------------------------------------


def test_submit_freezes_the_figures_and_notifies_the_managers_of_the_region(org):
    s = org.sales_a1
    visit(s, org.cust_a1)
    reports.report_save(actor=s, day=today(), remarks="", tomorrow_plan="去章丘")
    report = reports.report_submit(actor=s, day=today(), remarks="跑了一个客户")
    assert report.status == DailyReport.Status.SUBMITTED and report.submitted_at
    assert report.tomorrow_plan == "去章丘" and report.remarks == "跑了一个客户"
    assert report.figures["visits"]["done"] == 1

    visit(s, customer(org, grade=9))  # made after submitting
    assert reports.day_figures(s, today())["visits"]["done"] == 2
    frozen, is_frozen = reports.figures_of(DailyReport.objects.get(pk=report.pk), s, today())
    assert is_frozen and frozen["visits"]["done"] == 1

    notified = Notification.objects.filter(url=f"/visits/reports/{report.pk}/")
    assert set(notified.values_list("user__username", flat=True)) == {"manager_a"}


def test_a_submitted_report_is_read_only_for_the_salesperson(org, client_as):
    s = org.sales_a1
    reports.report_submit(actor=s, day=today(), remarks="小结", tomorrow_plan="计划")
    with pytest.raises(ValidationError):
        reports.report_save(actor=s, day=today(), remarks="改一下")
    with pytest.raises(ValidationError):
        reports.report_submit(actor=s, day=today(), remarks="再交一次")

    c = client_as(s)
    response = c.post("/visits/report/", {"day": today().isoformat(), "remarks": "改一下", "tomorrow_plan": ""}, **EN)
    assert response.status_code == 422
    assert 'data-testid="report-error"' in response.content.decode()
    assert "This report was submitted" in response.content.decode()
    page = c.get("/visits/report/", **EN).content.decode()
    assert 'data-testid="report-form"' not in page and "小结" in page
    assert DailyReport.objects.get(salesperson=s).remarks == "小结"


def test_submit_needs_remarks_and_a_day_not_in_the_future(org, client_as):
    s = org.sales_a1
    with pytest.raises(ValidationError) as exc:
        reports.report_submit(actor=s, day=today(), remarks="  ")
    assert "remarks" in exc.value.message_dict
    assert not DailyReport.objects.filter(status=DailyReport.Status.SUBMITTED).exists()
    with pytest.raises(ValidationError) as exc:
        reports.report_save(actor=s, day=today() + dt.timedelta(days=1), remarks="x")
    assert "day" in exc.value.message_dict
    page = client_as(s).post("/visits/report/submit/", {"day": today().isoformat(), "remarks": ""}, **EN)
    assert page.status_code == 422
    assert "Write a few words about the day" in page.content.decode()


def test_only_salespeople_write_reports(org):
    with pytest.raises(PermissionError):
        reports.report_save(actor=org.manager_a, day=today(), remarks="x")
    with pytest.raises(PermissionError):
        reports.report_submit(actor=org.finance, day=today(), remarks="x")


def test_the_page_saves_a_draft_then_submits_it(org, client_as):
    c = client_as(org.sales_a1)
    d = today().isoformat()
    assert c.post("/visits/report/", {"day": d, "remarks": "草稿", "tomorrow_plan": "明天"}).status_code == 302
    report = DailyReport.objects.get(salesperson=org.sales_a1, day=today())
    assert report.status == DailyReport.Status.DRAFT and report.remarks == "草稿"
    assert c.post("/visits/report/submit/", {"day": d, "remarks": "定稿", "tomorrow_plan": "明天"}).status_code == 302
    report.refresh_from_db()
    assert report.status == DailyReport.Status.SUBMITTED and report.remarks == "定稿"


def test_tomorrows_plan_is_prefilled_with_the_visits_planned_for_tomorrow(org, client_as):
    visit(org.sales_a1, org.cust_a1, day=today() + dt.timedelta(days=1), done=False)
    page = client_as(org.sales_a1).get("/visits/report/")
    assert org.cust_a1.name in page.context["form"].initial["tomorrow_plan"]


# --- comments --------------------------------------------------------------------------------------------


def submitted(org, sales=None, remarks="今天跑了三个客户") -> DailyReport:
    return reports.report_submit(actor=sales or org.sales_a1, day=today(), remarks=remarks)


def test_the_regions_manager_comments_and_the_salesperson_is_notified(org, client_as):
    report = submitted(org)
    c = client_as(org.manager_a)
    page = c.get(f"/visits/reports/{report.pk}/", **EN)
    assert page.status_code == 200 and 'data-testid="comment-form"' in page.content.decode()
    response = c.post(f"/visits/reports/{report.pk}/comment/", {"text": "9类客户要天天跟"})
    assert response.status_code == 302
    comment = ReportComment.objects.get(report=report)
    assert comment.author == org.manager_a and comment.text == "9类客户要天天跟"
    note = Notification.objects.get(user=org.sales_a1, url=f"/visits/reports/{report.pk}/")
    assert "王经理" in note.title

    # the salesperson reads it on their own report
    own = client_as(org.sales_a1).get("/visits/report/").content.decode()
    assert "9类客户要天天跟" in own


def test_a_manager_of_another_region_gets_404(org, client_as):
    report = submitted(org)
    c = client_as(org.manager_b)
    assert c.get(f"/visits/reports/{report.pk}/").status_code == 404
    assert c.post(f"/visits/reports/{report.pk}/comment/", {"text": "hi"}).status_code == 404
    assert client_as(org.sales_a2).get(f"/visits/reports/{report.pk}/").status_code == 404
    with pytest.raises(PermissionError):
        reports.report_comment(actor=org.manager_b, report=report, text="hi")
    assert not ReportComment.objects.exists()


def test_administrators_read_but_do_not_comment_and_drafts_take_no_comment(org, client_as):
    report = submitted(org)
    admin = client_as(org.admin)
    page = admin.get(f"/visits/reports/{report.pk}/")
    assert page.status_code == 200 and not page.context["may_comment"]
    assert admin.post(f"/visits/reports/{report.pk}/comment/", {"text": "x"}).status_code == 403

    draft = reports.report_save(actor=org.sales_a2, day=today(), remarks="未完")
    with pytest.raises(ValidationError) as exc:
        reports.report_comment(actor=org.manager_a, report=draft, text="快交")
    assert "text" in exc.value.message_dict
    response = client_as(org.manager_a).post(f"/visits/reports/{report.pk}/comment/", {"text": ""}, **EN)
    assert response.status_code == 422


# --- the team summary -----------------------------------------------------------------------------------


def test_team_summary_coverage_on_a_constructed_case(org):
    d = today()
    # the fixture's cust_a1 (grade 6) was never followed up: it counts as not covered
    # default cadence: 9 every 2 days, 6 weekly, 3 fortnightly
    customer(org, grade=9, followed=at(d, 9))  # covered
    customer(org, grade=9, followed=at(d - dt.timedelta(days=1), 9))  # covered (within 2 days)
    customer(org, grade=9, followed=at(d - dt.timedelta(days=2), 18))  # due today: not covered
    customer(org, grade=6, followed=at(d - dt.timedelta(days=6), 8))  # covered
    customer(org, grade=6, followed=at(d - dt.timedelta(days=8)))  # overdue
    customer(org, grade=3, followed=at(d - dt.timedelta(days=13)))  # covered (last day)
    customer(org, grade=1, followed=None)  # grade 1: not in the 9/6/3 coverage
    customer(org, org.sales_a2, grade=9, followed=at(d))
    visit(org.sales_a1, org.cust_a1, flagged=True)
    visit(org.sales_a1, org.cust_a1, done=False)
    submitted(org)

    summary = reports.team_summary(org.manager_a, d)
    rows = {r["user"].username: r for r in summary["rows"]}
    assert set(rows) == {"sales_a1", "sales_a2"}  # not sales_b1 (region B)
    a1 = rows["sales_a1"]
    assert a1["coverage"] == [["9", 2, 3, 67], ["6", 1, 3, 33], ["3", 1, 1, 100]]
    assert a1["coverage_pct"] == 57  # 4 of 7
    assert (a1["done"], a1["planned"], a1["plan_done"], a1["kept_pct"]) == (1, 2, 1, 50)
    assert a1["flagged"] == 1
    assert a1["status"] == DailyReport.Status.SUBMITTED
    a2 = rows["sales_a2"]
    # sales_a2: the fixture's cust_a2 (grade 3, never followed up) and one grade-9 customer seen today
    assert a2["coverage"] == [["9", 1, 1, 100], ["6", 0, 0, None], ["3", 0, 1, 0]]
    assert a2["status"] == "" and a2["done"] == 0
    assert summary["totals"]["submitted"] == 1
    assert summary["totals"]["coverage_pct"] == round(100 * 5 / 9)


def test_the_team_page_for_managers_only(org, client_as):
    page = client_as(org.manager_a).get("/visits/team/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="team-row"') == 2 and "周强" not in html  # sales_b1 is region B
    assert client_as(org.sales_a1).get("/visits/team/").status_code == 403
    assert client_as(org.admin).get("/visits/team/").context["summary"]["team_size"] == 3


def test_a_manager_opening_the_own_report_page_goes_to_the_team(org, client_as):
    response = client_as(org.manager_a).get("/visits/report/")
    assert response.status_code == 302 and response["Location"] == "/visits/team/"
    assert client_as(org.finance).get("/visits/report/").status_code == 403


# --- the evening review ---------------------------------------------------------------------------------


def test_the_evening_review_puts_the_days_notes_side_by_side(org, client_as):
    v1 = visit(org.sales_a1, org.cust_a1)
    note(v1, "客户要报价", [{"section": "grade", "text": "意向等级 6 → 9"}])
    FollowUp.objects.create(
        company_id=v1.company_id,
        customer=org.cust_a1,
        note=VisitNote.objects.get(visit=v1),
        kind="commitment",
        text="周五送报价",
        owner=org.sales_a1,
    )
    v2 = visit(org.sales_a2, org.cust_a2)
    note(v2, "李明的笔记")
    old = visit(org.sales_a1, org.cust_a1, day=today() - dt.timedelta(days=1))
    note(old, "昨天的笔记")

    own = client_as(org.sales_a1).get("/visits/review/", **EN)
    html = own.content.decode()
    assert [n.summary for n in own.context["notes"]] == ["客户要报价"]
    assert "意向等级 6 → 9" in html and "周五送报价" in html and "Intent grade (意向等级)" in html
    yesterday = client_as(org.sales_a1).get(f"/visits/review/?day={(today() - dt.timedelta(days=1)).isoformat()}")
    assert [n.summary for n in yesterday.context["notes"]] == ["昨天的笔记"]

    manager = client_as(org.manager_a)
    team = manager.get("/visits/review/")
    assert {n.summary for n in team.context["notes"]} == {"客户要报价", "李明的笔记"}
    one = manager.get(f"/visits/review/?user={org.sales_a2.pk}")
    assert [n.summary for n in one.context["notes"]] == ["李明的笔记"]
    assert manager.get(f"/visits/review/?user={org.sales_b1.pk}").status_code == 404
    assert client_as(org.sales_a1).get(f"/visits/review/?user={org.sales_a2.pk}").status_code == 404
    assert reports.day_notes(org.manager_b, today()) == []


# --- query counts ------------------------------------------------------------------------------------------


def grow(org, n: int) -> None:
    """n more customers of sales_a1 and of sales_a2, each visited today with a note and a follow-up."""
    for i in range(n):
        for s in (org.sales_a1, org.sales_a2):
            c = customer(org, s, grade=(9, 6, 3, 1)[i % 4], followed=at(today() - dt.timedelta(days=i % 9)))
            v = visit(s, c, flagged=i % 2 == 0)
            nt = note(v, f"笔记{i}")
            FollowUp.objects.create(company_id=s.company_id, customer=c, note=nt, kind="question", text="?", owner=s)
            Objection.objects.create(company_id=s.company_id, customer=c, note=nt, text="贵", by=s, at=now_today())


@pytest.mark.parametrize(
    ("viewer", "url", "expected"),
    [
        # session, user, roles, + report, tomorrow's suggestion, figures: done, plan, grade changes,
        # new customers, contacts, (regions) market projects, follow-ups, objections, settings, coverage
        ("sales_a1", "/visits/report/", 17),  # 16 + the collections of the day (receivables hook)
        # session, user, roles, regions, + team, done, plan, reports, settings, coverage, notes
        ("manager_a", "/visits/team/", 11),
        # session, user, roles, + notes, follow-ups, objections
        ("sales_a1", "/visits/review/", 6),
        ("manager_a", "/visits/review/", 8),  # + regions, the team for the filter
    ],
)
def test_query_counts_do_not_grow_with_the_data(org, client_as, django_assert_num_queries, viewer, url, expected):
    settings_for(org.company.pk)  # the dealer's visit settings exist (installed on first use)
    c = client_as(getattr(org, viewer))
    grow(org, 2)
    with django_assert_num_queries(expected):
        few = c.get(url)
    assert few.status_code == 200
    grow(org, 6)
    with django_assert_num_queries(expected):
        many = c.get(url)
    assert many.status_code == 200
    if "review" in url:
        assert len(many.context["notes"]) > len(few.context["notes"]) >= 2


def test_query_count_of_a_submitted_report_with_comments(org, client_as, django_assert_num_queries):
    settings_for(org.company.pk)
    grow(org, 2)
    report = submitted(org)
    for i in range(3):
        reports.report_comment(actor=org.manager_a, report=report, text=f"点评{i}")
    c = client_as(org.manager_a)
    # session, user, roles, report, may comment (regions + salesperson's regions), comments
    with django_assert_num_queries(7):
        page = c.get(f"/visits/reports/{report.pk}/")
    assert page.context["frozen"] and len(page.context["comments"]) == 3


# --- API ------------------------------------------------------------------------------------------------------


def test_api_own_report_draft_submit_and_read_only(org, api_as):
    api = api_as(org.sales_a1)
    d = today().isoformat()
    visit(org.sales_a1, org.cust_a1)
    empty = api.get(f"/api/visits/reports/{d}").json()
    assert empty["status"] == "" and empty["figures"]["visits"]["done"] == 1 and not empty["figures_frozen"]
    put = api.put(f"/api/visits/reports/{d}", {"remarks": "草稿"})
    assert put.status_code == 200 and put.json()["status"] == "draft" and put.json()["remarks"] == "草稿"
    bad = api.post(f"/api/visits/reports/{d}/submit", {"remarks": ""})
    assert bad.status_code == 422 and "remarks" in bad.json()["error"]["fields"]
    done = api.post(f"/api/visits/reports/{d}/submit", {"tomorrow_plan": "去临沂"})
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "submitted" and body["figures_frozen"] and body["remarks"] == "草稿"
    again = api.put(f"/api/visits/reports/{d}", {"remarks": "改"})
    assert again.status_code == 422 and again.json()["error"]["code"] == "invalid"
    assert api.get("/api/visits/reports/2026-13-01").status_code == 400
    assert api.get("/api/visits/reports/today").json()["id"] == body["id"]


def test_api_submit_without_a_body_uses_the_saved_draft(org, api_as, client_as):
    api = api_as(org.sales_a2)
    d = today().isoformat()
    api.put(f"/api/visits/reports/{d}", {"remarks": "存的草稿"})
    done = api.post(f"/api/visits/reports/{d}/submit")
    assert done.status_code == 200 and done.json()["status"] == "submitted" and done.json()["remarks"] == "存的草稿"
    assert api_as(org.sales_a1).post(f"/api/visits/reports/{d}/submit", raw="[1]").status_code == 422
    assert api_as(org.sales_a1).post(f"/api/visits/reports/{d}/submit", {"remarks": 5}).status_code == 422
    schema = client_as(org.admin).get("/api/openapi.json").json()
    assert "/api/visits/reports/{day}/submit" in schema["paths"]


def test_api_manager_lists_comments_and_sees_the_team(org, api_as):
    report = submitted(org)
    reports.report_save(actor=org.sales_b1, day=today(), remarks="b")
    manager = api_as(org.manager_a)
    listed = manager.get(f"/api/visits/reports?day={today().isoformat()}").json()
    assert [r["salesperson"] for r in listed["items"]] == [org.sales_a1.pk]
    assert listed["items"][0]["figures"]["visits"]["done"] == 0
    assert manager.get("/api/visits/reports?dya=1").status_code == 400

    created = manager.post(f"/api/visits/reports/{report.pk}/comments", {"text": "好"})
    assert created.status_code == 201 and created.json()["text"] == "好"
    assert api_as(org.manager_b).post(f"/api/visits/reports/{report.pk}/comments", {"text": "x"}).status_code == 404
    assert api_as(org.sales_a1).post(f"/api/visits/reports/{report.pk}/comments", {"text": "x"}).status_code == 403

    team = manager.get("/api/visits/team").json()
    assert {r["salesperson"] for r in team["items"]} == {org.sales_a1.pk, org.sales_a2.pk}
    assert team["totals"]["submitted"] == 1
    assert api_as(org.sales_a1).get("/api/visits/team").status_code == 403
    own = api_as(org.sales_a1).get(f"/api/visits/reports/{today().isoformat()}").json()
    assert [c["text"] for c in own["comments"]] == ["好"]


# --- the real flow: a visit note recorded by the notes module feeds the report and the analytics --------


def test_a_recorded_visit_note_shows_in_the_figures_review_and_close_rate(org, client_as):
    from visits import analytics
    from visits.notes import note_record

    s = org.sales_a1
    with audit.acting(s, Channel.PAGE):
        note, created = note_record(
            actor=s,
            customer=org.cust_a1,
            data={
                "summary": "客户签了合同",
                "grade": {"grade": 9, "reason": "资金到位"},
                "objections": [{"text": "价格贵", "answer": "算了油耗"}],
                "commitments": [{"text": "下周送保养手册", "due_on": (today() + dt.timedelta(days=5)).isoformat()}],
                "market": [{"name": "章丘污水管网改造", "city": "济南市"}],
                "contacts": [{"kind": "operator", "name": "王师傅"}],
                "result": "won",
            },
        )
    assert created
    f = reports.day_figures(s, today())
    assert f["visits"]["done"] == 1 and by_grade(f)["9"] == 1
    assert [(g["from"], g["to"], g["reason"]) for g in f["grade_changes"]] == [("6", "9", "资金到位")]
    assert f["objections"] == 1 and f["followups"]["opened"] == 1
    assert f["market_projects"] == 1 and f["industry_contacts"] == 1
    assert f["results"] == {"won": 1, "lost": 0}
    review = client_as(s).get("/visits/review/")
    assert [n.pk for n in review.context["notes"]] == [note.pk]
    close = analytics.close_rate(org.manager_a, analytics.Scope.default())
    assert close["total"]["won"] == 1 and close["buckets"][0]["won"] == 1
