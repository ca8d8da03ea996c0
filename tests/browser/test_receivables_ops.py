"""Receivables (ops part) in a browser, at phone and desktop size: finance imports running contracts
from Excel through the menu — a bad sheet is refused row by row with nothing written, the fixed one
is imported — then the account page shows the days-past-due chart, the next good times, the
pre-warning message with its copy button and whom to contact; every page fits the screen."""

from __future__ import annotations

import datetime as dt
import io
import random

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import User
from core.visibility import visible
from customers.models import Customer
from receivables.models import DpdSnapshot, Instalment, ReceivableAccount
from receivables.ops import imports

from .helpers import assert_fits_width, go, login_ok, t

pytestmark = pytest.mark.browser


def _sheet(customer: Customer, *, bad: bool) -> bytes:
    today = timezone.localdate()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([heading for heading, _aliases in imports.COLUMNS_SPEC.values()])
    first_due = today - dt.timedelta(days=20)
    for n in (1, 2, 3):
        due = first_due + dt.timedelta(days=30 * (n - 1))
        values = {
            "contract_number": "HT-BROWSER-1",
            "customer": customer.name,
            "product": "HY65-9",
            "policy": "厂家贴息分期",
            "principal": "60000",
            "start_on": (first_due - dt.timedelta(days=30)).isoformat(),
            "salesperson": "",
            "n": n,
            "due_on": "2026-02-30" if bad and n == 2 else due.isoformat(),
            "principal_part": "20000",
            "interest": "300",
            "fee": "0",
            "amount": "20300",
            "paid": "",
            "lock_allowed": "是",
            "pay_day": 25,
        }
        ws.append([values[f] for f in imports.FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_finance_imports_running_contracts_and_reads_the_account_panel(page, demo, tmp_path):
    finance = User.objects.get(username="finance1")
    customer = visible(finance, Customer).filter(owner__isnull=False).order_by("pk").first()
    assert customer is not None
    login_ok(page, "finance1")
    go(page, "receivables_import")

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_sheet(customer, bad=True))
    page.locator("[data-testid=import-file]").set_input_files(str(bad))
    page.locator("[data-testid=import-submit]").click()
    expect(page.locator("[data-testid=import-refused]")).to_be_visible()
    issue = page.locator("[data-testid=import-issue]")
    expect(issue).to_have_count(1)
    expect(issue).to_have_attribute("data-row", "3")
    expect(issue).to_have_attribute("data-column", "I")
    assert not ReceivableAccount.objects.filter(contract_number="HT-BROWSER-1").exists()
    assert_fits_width(page)

    good = tmp_path / "good.xlsx"
    good.write_bytes(_sheet(customer, bad=False))
    page.locator("[data-testid=import-file]").set_input_files(str(good))
    page.locator("[data-testid=import-submit]").click()
    expect(page.locator("[data-testid=import-done]")).to_be_visible()
    expect(page.locator("[data-testid=count-instalments]")).to_have_text("3")
    assert_fits_width(page)
    account = ReceivableAccount.objects.get(contract_number="HT-BROWSER-1")
    assert account.source == "import" and account.instalments.count() == 3

    # the nightly snapshot of the last days, and the account page
    from receivables.ops import services

    today = timezone.localdate()
    for back in range(25, -1, -1):
        services.snapshot_take(demo.company, today - dt.timedelta(days=back), alert=False)
    assert DpdSnapshot.objects.filter(account=account).count() == 26
    upcoming = Instalment.objects.get(account=account, n=2)
    Instalment.objects.filter(pk=upcoming.pk).update(due_on=today + dt.timedelta(days=5))
    page.goto(f"/receivables/{account.pk}/")
    panel = page.locator("[data-testid=ops-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-chart=ops-dpd] canvas")).to_have_count(1)  # ECharts drew the history
    expect(panel.locator("[data-testid=ops-time]")).to_have_count(3)
    expect(panel.locator("[data-testid=ops-message]")).to_contain_text(account.contract_number)
    panel.locator("[data-testid=ops-copy]").click()
    expect(panel.locator("[data-testid=ops-copy]")).to_have_text(t("Copied"))
    expect(panel.locator("[data-testid=ops-contacts]")).to_contain_text(customer.name)
    assert_fits_width(page)


def test_the_demo_account_pages_fit_the_screen(page, demo):
    from receivables.demo import seed_receivables

    seed_receivables(demo.company, rng=random.Random(5))
    login_ok(page, "admin")
    account = DpdSnapshot.objects.filter(days_past_due__gt=30).order_by("account_id").first().account
    page.goto(f"/receivables/{account.pk}/")
    expect(page.locator("[data-testid=first-late]")).to_be_visible()
    expect(page.locator("[data-chart=ops-dpd] canvas")).to_have_count(1)
    assert_fits_width(page)
