"""Issue 5's done-when path on a phone: for a rental customer with price as a key need, the
salesperson opens the benefit account (利益帐), sees at most three recommended policies with their
reasons, adjusts the working hours, issues a quote whose PDF reads correctly in Chinese, and asks for
a discount that goes to the manager, who approves it."""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.pdfcheck import assert_renders_chinese

from .helpers import assert_fits_width, login_ok

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIGDEAL_SHOTS")  # a folder: keep phone screenshots of each step to look at


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"done-when-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_rental_customer_benefit_account_quote_and_discount_on_a_phone(page, demo):
    from core.models import Todo
    from customers import method as cmethod
    from customers.models import Customer, CustomerNeed, NeedPoint
    from pitch.models import Price, Product
    from policies.demo import seed_policies
    from policies.models import DiscountRequest, Qualification, QuoteVersion

    company = demo.company
    cmethod.config_for(company.pk)
    seed_policies(company)
    product = Product.objects.create(company=company, code="HY65-9", name="6.5 吨小型挖掘机", brand="恒岳")
    Price.objects.create(company=company, product=product, list_price_fen=36_800_000, valid_from=dt.date(2020, 1, 1))
    sales = demo.users["sales1"]
    customer = Customer.objects.filter(owner=sales).order_by("pk").first()
    Customer.objects.filter(pk=customer.pk).update(use="rental", capital=2, machine_count=2)
    CustomerNeed.objects.filter(customer=customer).delete()
    CustomerNeed.objects.create(
        company=company,
        customer=customer,
        need_point=NeedPoint.objects.get(company=company, code="price"),
        expected=90,
        deliverable=50,
        stage="key",
        state_at=timezone.now(),
    )
    Qualification.objects.create(company=company, customer=customer, has_guarantor=True, credit="good")

    # 1. the benefit account from the customer's page: 1 to 3 policies, each with its reasons
    login_ok(page, "sales1")
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_test_id("benefit-link").click()
    expect(page).to_have_url(re.compile(rf"/policies/benefit/{customer.pk}/"))
    expect(page.get_by_test_id("key-need")).to_have_text(["价格"])  # the need point's configured name
    accounts = page.get_by_test_id("account")
    expect(accounts.first).to_be_visible()
    n = accounts.count()
    assert 1 <= n <= 3
    for i in range(n):
        expect(accounts.nth(i).get_by_test_id("reasons").locator("li").first).to_be_visible()
        expect(accounts.nth(i).get_by_test_id("cash-left")).to_be_visible()
    expect(page.get_by_test_id("other-policies")).to_be_visible()  # never all of them
    assert_fits_width(page)
    _shot(page, "1-benefit")

    # 2. more working hours: the cash left grows (htmx, the page stays)
    first = accounts.first
    code = first.get_attribute("data-code")
    before = first.get_by_test_id("income").inner_text()
    page.get_by_test_id("hours").fill("250")
    page.get_by_test_id("hours").dispatch_event("change")
    expect(page.locator(f"[data-testid=account][data-code={code}] [data-testid=income]")).not_to_have_text(before)
    expect(page.locator(f"[data-testid=account][data-code={code}] [data-testid=income]")).to_contain_text("62,500.00")
    expect(page).to_have_url(re.compile(r"hours=250"))
    _shot(page, "2-hours")

    # 3. a quote of the recommended policies, as a PDF that reads in Chinese
    panel = page.get_by_test_id("quote-panel")
    panel.scroll_into_view_if_needed()
    expect(panel.locator("[data-testid=quote-policy]:checked")).to_have_count(n)
    panel.get_by_test_id("issue-quote").click()
    expect(page).to_have_url(re.compile(r"/policies/quotes/\d+/$"))
    version = QuoteVersion.objects.get()
    assert version.content["policies"] and len(version.content["policies"]) == n
    assert {p["hours_per_month"] for p in version.content["policies"]} == {"250"}
    assert_fits_width(page)
    _shot(page, "3-quote")
    pdf = page.request.get(page.get_by_test_id("version-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert_renders_chinese(pdf.body(), "报价单")
    assert_renders_chinese(pdf.body(), customer.name)

    # 4. a discount above the limit goes to the manager
    page.goto(f"/policies/benefit/{customer.pk}/?hours=250")
    page.get_by_test_id("discount-open").click()
    page.locator("#neg_amount").fill("15000")
    page.locator("#neg_reason").fill("客户比价三一 SY60，差一万五")
    page.get_by_test_id("discount-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("discount-status")).to_have_attribute("data-status", "pending")
    assert_fits_width(page)
    _shot(page, "4-discount")
    request = DiscountRequest.objects.get()
    manager = next(
        u for name, u in demo.users.items() if name.startswith("manager") and customer.region_id in u.region_ids
    )
    assert Todo.objects.filter(user=manager, key=f"policies.discount.{request.pk}", status="open").exists()

    page.context.clear_cookies()
    login_ok(page, manager.username)
    page.goto("/policies/approvals/")
    row = page.get_by_test_id("approval-row")
    expect(row).to_have_count(1)
    assert_fits_width(page)
    _shot(page, "5-approvals")
    row.get_by_test_id("approve").click()
    expect(page.get_by_test_id("discount-status")).to_have_attribute("data-status", "approved")
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == manager
