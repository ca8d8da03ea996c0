"""On a phone: the salesperson asks for a discount above the limit from the negotiation panel; the
region's manager approves it from the approvals list (htmx, no page load)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from .helpers import assert_fits_width, assert_same_document, login_ok, mark_document

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_discount_goes_to_the_manager_and_is_approved_on_a_phone(page, demo):
    from customers.models import Customer
    from pitch.models import Price, Product
    from policies.models import DiscountRequest

    sales = demo.users["sales1"]
    product = Product.objects.create(company=demo.company, code="HY65-9", name="小挖")
    Price.objects.create(
        company=demo.company, product=product, list_price_fen=30_000_000, valid_from=dt.date(2020, 1, 1)
    )
    customer = Customer.objects.filter(owner=sales).first()
    login_ok(page, "sales1")
    page.goto(f"/policies/negotiation/{customer.pk}/?product={product.pk}")
    expect(page.get_by_test_id("list-price")).to_contain_text("¥300,000.00")
    assert_fits_width(page)
    mark_document(page)
    page.get_by_test_id("discount-open").click()
    page.locator("#neg_amount").fill("6000")  # exactly the 2 % limit: no approval needed
    page.locator("#neg_reason").fill("客户比价三一")
    page.get_by_test_id("discount-form").locator("button[type=submit]").click()
    expect(page.locator("#negotiation-panel .error")).to_contain_text("¥6,000.00")
    page.locator("#neg_amount").fill("10000")
    page.get_by_test_id("discount-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("discount-request")).to_have_count(1)
    expect(page.get_by_test_id("discount-status")).to_have_attribute("data-status", "pending")
    assert_same_document(page)
    assert_fits_width(page)

    page.context.clear_cookies()
    manager = next(u for n, u in demo.users.items() if n.startswith("manager") and customer.region_id in u.region_ids)
    login_ok(page, manager.username)
    page.goto("/policies/approvals/")
    row = page.get_by_test_id("approval-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("request-discount")).to_contain_text("3.33 %")
    assert_fits_width(page)
    mark_document(page)
    row.get_by_test_id("approve").click()
    expect(page.get_by_test_id("discount-status")).to_have_attribute("data-status", "approved")
    assert_same_document(page)
    assert DiscountRequest.objects.get().decided_by == manager
