"""Receivables in a browser, at phone and desktop size: finance filters its accounts to the overdue
ones (htmx, no reload), opens one, records a payment (the ledger is swapped in place), reverses it
with a reason, and looks at the ageing — every page fits the screen. (A double submit recording one
payment is tested without a browser in tests/test_receivables.py.)"""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from core.models import User
from core.visibility import visible
from receivables.models import Payment, ReceivableAccount

from .helpers import assert_fits_width, assert_same_document, exact, login_ok, mark_document, t

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger(demo):
    from receivables.demo import seed_receivables

    seed_receivables(demo.company, rng=random.Random(5))
    return demo


def test_finance_records_and_reverses_a_payment(page, ledger):
    finance = User.objects.get(username="finance1")
    mine = visible(finance, ReceivableAccount)
    assert mine.exists(), "the demo should give finance some accounts"
    login_ok(page, "finance1")
    page.goto("/receivables/")
    expect(page.locator("h1")).to_have_text(exact(t("Receivable accounts (应收账户)")))
    assert_fits_width(page)
    mark_document(page)
    page.locator("[data-testid=overdue-only]").check()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    assert_same_document(page)
    first = page.locator("[data-testid=account-list] li").first
    pk = int(first.get_attribute("data-account"))
    assert mine.filter(pk=pk).exists()
    first.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/receivables/{pk}/$"))
    assert_fits_width(page)

    account = ReceivableAccount.objects.get(pk=pk)
    unpaid = account.instalments.filter(paid_fen=0).order_by("due_on").first()
    before = Payment.objects.filter(account=account).count()
    mark_document(page)
    page.locator("[data-testid=payment-amount]").fill("1000")
    # less than what is overdue: the form asks why (a finance problem or a deduction) and for what
    page.locator("[data-testid=shortfall-reason]").select_option("finance")
    page.locator("[data-testid=shortfall-note]").fill("工程款还没结")
    page.locator("[data-testid=payment-submit]").click()
    expect(page.locator("#ledger [data-testid=payment]").first).to_contain_text("1,000")
    expect(page.locator("#ledger [data-testid=shortfall-shown]").first).to_contain_text("工程款还没结")
    assert_same_document(page)
    assert Payment.objects.filter(account=account).count() == before + 1
    payment = Payment.objects.filter(account=account).latest("pk")
    assert payment.amount_fen == 100_000 and payment.by == finance
    if unpaid is not None:
        assert payment.allocations.exists()

    row = page.locator(f"[data-payment='{payment.pk}']")
    row.locator("summary").click()
    row.locator("textarea[name=reason]").fill("录错账户")
    row.locator("[data-testid=reverse-submit]").click()
    expect(page.locator("#ledger [data-kind=reversal]", has_text="录错账户")).to_have_count(1)
    assert Payment.objects.filter(reverses=payment, reason="录错账户").exists()
    assert_fits_width(page)

    page.goto("/receivables/ageing/")
    expect(page.locator("[data-testid=ageing-table]")).to_be_visible()
    assert_fits_width(page)


def test_a_salesperson_reads_own_accounts_without_the_payment_form(page, ledger):
    account = ReceivableAccount.objects.filter(customer__owner__isnull=False).first()
    owner = account.customer.owner
    login_ok(page, owner.username)
    page.goto(f"/receivables/{account.pk}/")
    expect(page.locator("[data-testid=instalments]")).to_be_visible()
    expect(page.locator("[data-testid=payment-form]")).to_have_count(0)
    assert_fits_width(page)
