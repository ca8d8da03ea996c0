"""Full-page screenshots of every page at both sizes, for looking at the layout.

    SCREENSHOTS=1 bin/test tests/browser/test_screenshots.py

writes test-artifacts/screenshots/<size>-<nn>-<page>.png. Skipped without SCREENSHOTS=1. Each page is
also checked for sideways overflow, so a layout that breaks at 375px fails here too.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer

from .conftest import ARTIFACTS
from .helpers import assert_fits_width, exact, is_phone, login, login_ok, t

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("SCREENSHOTS") != "1", reason="set SCREENSHOTS=1 to take screenshots"),
]


def test_screenshots(page, viewport):
    out = ARTIFACTS / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    shots = iter(range(1, 100))

    def shot(name):
        page.wait_for_load_state("load")
        assert_fits_width(page)
        page.screenshot(path=str(out / f"{viewport}-{next(shots):02d}-{name}.png"), full_page=True)

    page.goto("/login/")
    shot("login")
    login(page, "admin", "wrong")
    expect(page.locator(".form-errors")).to_be_visible()
    shot("login-error")

    login_ok(page, "admin")
    shot("today")
    if is_phone(page):
        page.locator("[data-testid=menu-toggle]").click()
        expect(page.locator("nav.sidenav")).to_be_visible()
        shot("menu-open")

    page.goto("/customers/")
    shot("customers-list")

    page.goto("/customers/new/")
    page.locator("[name=name]").fill("临沂宏达土石方工程有限公司")
    page.locator("[name=phone]").fill("１２３")
    page.locator("[name=id_number]").fill("370102199001011234")
    page.locator("[name=region]").select_option(index=1)
    page.locator("form.card button[type=submit]").click()
    expect(page.locator(".field.has-error")).to_have_count(2)  # mobile and ID-card number
    shot("customer-form-errors")

    page.locator("[name=phone]").fill("139 0531 7777")
    page.locator("[name=id_number]").fill("")
    page.locator("[name=grade]").select_option("6")
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    page.locator("a.btn", has_text=t("Edit")).click()
    page.locator("[name=grade]").select_option("9")
    page.locator("[name=address]").fill("兰山区解放路 88 号")
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("h1 .badge")).to_have_text("9")
    shot("customer-detail")

    with_id = Customer.objects.exclude(id_number="").order_by("pk").first()
    page.goto(f"/customers/{with_id.pk}/")
    page.locator("#id-number button").click()
    expect(page.locator("[data-testid=id-plain]")).to_be_visible()
    shot("customer-detail-id-revealed")

    page.goto("/notifications/")
    shot("notifications")
    page.goto("/account/")
    shot("account")
    page.goto("/audit/")
    expect(page.locator("h1")).to_have_text(exact(t("Audit trail")))
    shot("audit-trail")
