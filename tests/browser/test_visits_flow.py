"""The visit day on a phone (375×812), end to end: the plan → visit now → check in with the phone's
position and a camera photo → a note that verifies a need and changes the grade → the profile shows
it → the daily report submitted → the manager reads it and comments → the salesperson sees the comment.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from customers import services as customer_services
from customers.models import Customer, CustomerNeed, StatusChange
from visits.models import DailyReport, ReportComment, Visit, VisitNote, VisitPhoto

from .conftest import TIMEOUT_MS, VIEWPORTS
from .helpers import assert_fits_width, login_ok, t

pytestmark = pytest.mark.browser

YARD = (34.7466, 113.6254)  # the customer's yard (郑州)
HERE = (34.7470, 113.6258)  # ≈ 56 m from it


def _tab(request, chromium, live_server, **extra):
    context = chromium.new_context(
        **VIEWPORTS["phone"], base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **extra
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    request.node._browser_page = tab  # the failure screenshot (conftest)
    return context, tab


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 160, 90)).save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def prospect(demo) -> Customer:
    """A grade-6 prospect of sales1 with a stored location, classified (preset needs), never visited."""
    sales = demo.users["sales1"]
    customer = Customer.objects.filter(owner=sales, merged_into__isnull=True).order_by("pk").first()
    customer_services.customer_classify(
        actor=sales,
        customer=customer,
        work_type="engineering",
        engineering_kind="municipal",
        use="rental",
        scale="individual",
        capital=1,
        experience=2,
        winning=1,
    )
    # graded 6 some time ago (no grade change today), never visited, its yard's position known
    Customer.objects.filter(pk=customer.pk).update(grade=6, latitude=YARD[0], longitude=YARD[1], last_followup_at=None)
    StatusChange.objects.filter(customer=customer).delete()
    Visit.objects.filter(customer=customer).delete()
    customer.refresh_from_db()
    return customer


def test_plan_check_in_note_profile_report_and_the_managers_comment(request, chromium, live_server, prospect):
    customer = prospect
    context, page = _tab(
        request,
        chromium,
        live_server,
        geolocation={"latitude": HERE[0], "longitude": HERE[1], "accuracy": 12},
        permissions=["geolocation"],
    )
    try:
        login_ok(page, "sales1")
        # 1. the plan: a never-visited customer is due today, as a first visit
        page.goto("/visits/")
        row = page.locator(f"[data-testid=plan-row][data-customer='{customer.pk}']")
        expect(row).to_be_visible()
        expect(row.locator("[data-testid=first]")).to_be_visible()
        assert_fits_width(page)
        row.locator("[data-testid=visit-now]").click()
        expect(page).to_have_url(re.compile(r"/visits/\d+/$"))
        visit = Visit.objects.get(customer=customer)
        assert visit.kind == Visit.Kind.FIRST

        # 2. check in with the phone's position, take a photo
        page.locator("[data-testid=checkin-link]").click()
        page.get_by_role("button", name=re.compile(t("Check in here"))).click()
        panel = page.locator("#checkin-panel")
        expect(panel).to_have_attribute("data-state", "in")
        expect(panel.locator("[data-testid=flag]")).to_have_count(0)  # inside the allowed radius
        panel.locator("input[type=file][capture=environment]").set_input_files(
            files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
        )
        expect(panel.locator("[data-testid=photo] img")).to_have_count(1)
        visit.refresh_from_db()
        assert visit.checkin_at is not None and not visit.flagged and visit.checkin_distance_m < 100
        assert VisitPhoto.objects.filter(visit=visit).count() == 1

        # 3. the note: price verified, grade 6 → 9 with a reason
        page.goto(f"/visits/{visit.pk}/")
        page.locator("[data-testid=note-link]").click()
        page.locator("[name=summary]").fill("老板确认预算，最在乎首付")
        price = page.locator(".note-need[data-need=price]")
        price.locator("input[name$='.expected']").fill("80")
        price.locator("[data-testid=verify-price]").check()
        page.locator("details[data-section=grade] > summary").click()
        page.locator("[name='grade.grade']").select_option("9")
        page.locator("[name='grade.reason']").fill("下周一交定金")
        page.locator("[data-testid=note-submit]").click()
        expect(page).to_have_url(re.compile(r"/visits/notes/\d+/$"))
        assert VisitNote.objects.filter(customer=customer).count() == 1

        # 4. the living profile shows the verified need, the new grade and the visit
        page.goto(f"/customers/{customer.pk}/")
        need = CustomerNeed.objects.get(customer=customer, need_point__code="price")
        assert (need.state, need.expected) == ("verified", 80)
        expect(page.locator("[data-testid=grade]")).to_contain_text(t("9 · about to buy"))
        expect(page.locator(f"#need-{need.pk} [data-testid=state]")).to_have_text(
            t("Verified with the customer (已求证)")
        )
        expect(page.locator("[data-testid=profile-visits]")).to_contain_text("老板确认预算")
        assert StatusChange.objects.filter(customer=customer, new="9", reason="下周一交定金").exists()
        customer.refresh_from_db()
        assert customer.last_followup_at is not None  # the pool's clock moved

        # 5. the daily report, assembled from the day, submitted with remarks and tomorrow's plan
        page.goto("/visits/report/")
        expect(page.locator("[data-testid=fig-visits] .num")).to_have_text("1")
        expect(page.locator("[data-testid=fig-grades] .num")).to_have_text("1")
        page.locator("[name=remarks]").fill("拜访1家，1家升为9分")
        page.locator("[name=tomorrow_plan]").fill("送合同")
        page.locator("[data-testid=submit-report]").click()
        report = DailyReport.objects.get(salesperson__username="sales1")
        expect(page.locator("main")).to_contain_text("拜访1家")
        assert report.status == DailyReport.Status.SUBMITTED and report.figures
        assert_fits_width(page)
    finally:
        context.close()

    # 6. the manager reads the team's reports and comments
    context, page = _tab(request, chromium, live_server)
    try:
        login_ok(page, "manager1")
        page.goto("/visits/team/")
        page.locator("[data-testid=report-link]").first.click()
        expect(page).to_have_url(re.compile(rf"/visits/reports/{report.pk}/$"))
        expect(page.locator("[data-testid=remarks]")).to_contain_text("拜访1家")
        page.locator("[data-testid=comment-form] [name=text]").fill("很好，跟紧定金")
        page.locator("[data-testid=comment-form] button[type=submit]").click()
        expect(page.locator("[data-testid=comment]")).to_contain_text("很好，跟紧定金")
        assert ReportComment.objects.filter(report=report, author__username="manager1").exists()
        assert_fits_width(page)
    finally:
        context.close()

    # 7. the salesperson sees the comment on the report
    context, page = _tab(request, chromium, live_server)
    try:
        login_ok(page, "sales1")
        page.goto(f"/visits/reports/{report.pk}/")
        expect(page.locator("[data-testid=comment]")).to_contain_text("很好，跟紧定金")
        author = ReportComment.objects.get(report=report).author
        expect(page.locator("[data-testid=comment]").first).to_contain_text(str(author))
    finally:
        context.close()
