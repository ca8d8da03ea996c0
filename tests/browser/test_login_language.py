"""Login errors and the language switch."""

import re

import pytest
from playwright.sync_api import expect

from core.models import LoginFailure

from .helpers import CJK, ZH_CATALOG, exact, go, login, login_ok, t

pytestmark = pytest.mark.browser


def test_wrong_password_shows_an_error(page):
    login(page, "sales1", "not-the-password")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".form-errors[role=alert]")).to_have_text(
        exact(t("Wrong username or password. Note that both fields may be case-sensitive."))
    )
    expect(page.locator("input[name=username]")).to_have_value("sales1")
    expect(page.locator("input[name=password]")).to_have_value("")
    assert LoginFailure.objects.filter(username="sales1").count() == 1
    login_ok(page, "sales1")  # one failure does not lock the account


def test_switch_to_english_on_the_account_page(page):
    login_ok(page, "manager1")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    go(page, "account")  # heading in Chinese (once the catalogue has it)
    if ZH_CATALOG.exists():
        assert CJK.search(t("My account")), "the Chinese catalogue lacks 'My account'"
    page.locator("select[name=language]").select_option("en")
    page.locator("form.lang-switch button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator("h1")).to_have_text(exact("My account"))
    expect(page.locator("select[name=language]")).to_have_value("en")
    # The choice sticks for the following pages.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(exact("Today"))
    expect(page.locator(".section-title h2").first).to_have_text(exact("Overdue"))
