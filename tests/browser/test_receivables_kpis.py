"""Receivables · KPIs and credit checks in a browser, at phone and desktop size: a manager reads the
collection rate of the team and each salesperson's attitude (the quadrant chart on a desktop, the
table on both); finance records a credit check from an account page (the panel is swapped in place,
a refused date is explained) — every page fits the screen."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import User
from core.visibility import visible
from receivables.models import CreditCheck, ReceivableAccount

from .helpers import assert_fits_width, assert_same_document, exact, login_ok, mark_document, t

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger(demo):
    from receivables.demo import seed_receivables

    seed_receivables(demo.company, rng=random.Random(5))
    return demo


def test_manager_reads_the_collection_kpis(page, ledger, viewport):
    login_ok(page, "manager1")
    page.goto("/receivables/kpis/?period=this_year")
    expect(page.locator("h1")).to_have_text(exact(t("Collection KPIs (回款考核)")))
    rows = page.locator("[data-testid=person-row]")
    expect(rows.first).to_be_visible()
    quadrants = {t(label) for label in ("strategy-led (战略导向)", "sales-led (销售导向)",
                                        "collection-led (回款导向)", "passive (被动型)")}  # fmt: skip
    placed = [q for q in rows.locator("[data-testid=quadrant]").all_inner_texts() if q.strip() != "—"]
    assert placed and all(q.strip() in quadrants for q in placed)
    expect(page.locator("[data-testid=regions-table]")).to_be_visible()
    expect(page.locator("[data-chart=attitudes] canvas")).to_have_count(1)  # ECharts drew the quadrant chart
    assert_fits_width(page)


def test_finance_records_a_credit_check_on_an_account(page, ledger):
    finance = User.objects.get(username="finance1")
    account = visible(finance, ReceivableAccount).order_by("pk").first()
    before = CreditCheck.objects.filter(customer=account.customer).count()
    login_ok(page, "finance1")
    page.goto(f"/receivables/{account.pk}/")
    panel = page.locator("[data-testid=kpis-panel]")
    expect(panel).to_be_visible()
    mark_document(page)
    panel.locator("summary").click()
    panel.locator("select[name=result]").select_option("caution")
    panel.locator("input[name=sources][value=project_payments]").check()
    panel.locator("textarea[name=note]").fill("工程款拖了两个月")
    page.evaluate("document.getElementById('kp-day').removeAttribute('max')")
    panel.locator("input[name=checked_on]").fill("2099-01-01")
    panel.locator("[data-testid=check-submit]").click()
    expect(page.locator("[data-testid=check-errors]")).to_contain_text(
        t("The date of the check cannot be in the future.")
    )
    assert_same_document(page)
    page.locator("[data-testid=kpis-panel] input[name=checked_on]").fill(timezone.localdate().isoformat())
    page.locator("[data-testid=kpis-panel] [data-testid=check-submit]").click()
    expect(page.locator("[data-testid=credit-check]").first).to_contain_text("工程款拖了两个月")  # newest first
    assert_same_document(page)
    assert CreditCheck.objects.filter(customer=account.customer).count() == before + 1
    assert_fits_width(page)
