"""Check-in on a phone (375×812): the browser's position (emulated), a camera photo (a file handed to
the camera input), check-out — and, without location permission, a manual check-in with a reason."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from customers.models import Customer
from visits import rules
from visits.models import Visit, VisitPhoto
from visits.services import visit_open

from .conftest import TIMEOUT_MS, VIEWPORTS
from .helpers import assert_fits_width, assert_same_document, login_ok, mark_document, t

pytestmark = pytest.mark.browser

YARD = (36.6801, 117.0634)  # the customer's yard, 济南市历城区
NEAR = (36.6809, 117.0634)  # ≈ 89 m north of it


@pytest.fixture
def visit(demo) -> Visit:
    sales = demo.users["sales1"]
    customer = Customer.objects.filter(owner=sales, merged_into__isnull=True).order_by("pk").first()
    Customer.objects.filter(pk=customer.pk).update(latitude=YARD[0], longitude=YARD[1])
    customer.refresh_from_db()
    return visit_open(actor=sales, customer=customer)


def _phone(request, chromium, live_server, **extra):
    context = chromium.new_context(
        **VIEWPORTS["phone"], base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **extra
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    request.node._browser_page = tab  # the failure screenshot (conftest)
    return context, tab


def _jpeg() -> bytes:
    image = Image.new("RGB", (1200, 900), (190, 140, 60))
    for x in range(0, 1200, 60):
        image.paste((40, 40, 40), (x, 0, x + 12, 900))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_check_in_with_the_phones_position_take_a_photo_and_check_out(request, chromium, live_server, visit):
    context, page = _phone(
        request,
        chromium,
        live_server,
        geolocation={"latitude": NEAR[0], "longitude": NEAR[1], "accuracy": 14},
        permissions=["geolocation"],
    )
    try:
        login_ok(page, "sales1")
        page.goto(f"/visits/{visit.pk}/checkin/")
        panel = page.locator("#checkin-panel")
        expect(panel).to_have_attribute("data-state", "new")
        expect(page.locator("[data-testid=manual]")).to_be_hidden()  # with a position no reason is asked
        assert_fits_width(page)
        mark_document(page)

        page.get_by_role("button", name=re.compile(t("Check in here"))).click()
        expect(panel).to_have_attribute("data-state", "in")
        metres = round(rules.distance_m(*NEAR, *YARD))
        expect(panel.locator("[data-testid=distance]")).to_contain_text(f"{metres} m")
        expect(panel.locator("[data-testid=accuracy]")).to_have_text("±14 m")
        expect(panel.locator("[data-testid=flag]")).to_have_count(0)
        done = Visit.objects.get(pk=visit.pk)
        assert done.checkin_accuracy_m == 14 and not done.flagged and done.checkin_distance_m == metres

        # the camera: the phone hands the picture to <input type=file capture=environment>
        camera = panel.locator("input[type=file][capture=environment]")
        expect(panel.locator("label.camera")).to_be_visible()
        camera.set_input_files(files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
        thumb = panel.locator("[data-testid=photo] img")
        expect(thumb).to_have_count(1)
        expect(panel.locator("[data-testid=photo-count]")).to_have_text("1")
        page.wait_for_function("() => document.querySelector('[data-testid=photo] img').naturalWidth === 320")
        assert VisitPhoto.objects.filter(visit=visit).count() == 1

        expect(panel.locator("[data-testid=minutes]")).to_have_text("0")
        page.get_by_role("button", name=t("Check out")).click()
        expect(panel).to_have_attribute("data-state", "out")
        expect(panel.locator("[data-testid=done-line]")).to_be_visible()
        visit.refresh_from_db()
        assert visit.status == Visit.Status.DONE and visit.checkout_at is not None
        assert visit.checkout_lat is not None  # the position was sent with the check-out
        assert_same_document(page)
        assert_fits_width(page)
    finally:
        context.close()


def test_without_location_permission_the_screen_asks_for_a_reason(request, chromium, live_server, visit):
    context, page = _phone(request, chromium, live_server)  # no geolocation permission granted
    try:
        login_ok(page, "sales1")
        page.goto(f"/visits/{visit.pk}/checkin/")
        panel = page.locator("#checkin-panel")
        page.get_by_role("button", name=re.compile(t("Check in here"))).click()

        manual = panel.locator("[data-testid=manual]")
        expect(manual).to_be_visible()
        expect(panel.locator("[data-testid=geo-status]")).to_have_text(
            t("Location permission was denied: check in manually and say why.")
        )
        assert Visit.objects.get(pk=visit.pk).checkin_at is None

        # a reason is required
        manual.get_by_role("button", name=t("Check in without location")).click()
        expect(manual.get_by_role("alert")).to_have_text(t("Say why there is no location."))
        assert Visit.objects.get(pk=visit.pk).checkin_at is None

        manual.locator("textarea[name=manual_reason]").fill("手机定位权限被关闭，客户在工地门口")
        manual.get_by_role("button", name=t("Check in without location")).click()
        expect(panel).to_have_attribute("data-state", "in")
        expect(panel.locator("[data-testid=flag]")).to_be_visible()
        expect(panel.locator("[data-testid=manual-reason]")).to_have_text("手机定位权限被关闭，客户在工地门口")
        v = Visit.objects.get(pk=visit.pk)
        assert v.checkin_manual and v.flagged and "手机定位权限被关闭" in v.flag_reason
        assert_fits_width(page)
    finally:
        context.close()
