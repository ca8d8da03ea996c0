"""The delivery part in a browser at phone size: a prepared demo machine leaves (htmx, no reload), a
delay is recorded (the salesperson's to-do), it arrives, and the service engineer hands it over with
the photo of the signed delivery list; the follow-up and first-maintenance to-dos appear."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image
from playwright.sync_api import expect

from core.models import Todo
from orders.models import Delivery, Order, Transport

from .conftest import ARTIFACTS
from .helpers import assert_fits_width, assert_same_document, login_ok, mark_document

pytestmark = pytest.mark.browser


@pytest.fixture
def waiting(demo):
    """The demo orders; one booked for transport and waiting to leave."""
    from orders.demo_deals import seed_deals
    from orders.demo_delivery import seed_delivery
    from pitch.demo import seed_catalogue
    from policies.demo import seed_demo_policies

    seed_catalogue(demo.company)
    seed_demo_policies(demo.company)
    seed_deals(demo.company, rng=random.Random(7))
    seed_delivery(demo.company, rng=random.Random(8))
    order = (
        Order.objects.filter(company=demo.company, transport__departed_at__isnull=True, machine__isnull=False)
        .exclude(delivery__delivered_at__isnull=False)
        .select_related("deal__salesperson")
        .first()
    )
    assert order is not None, "the demo has an order waiting to leave"
    return order


def _shot(page, name):
    target = ARTIFACTS / "orders" / f"delivery-{name}-phone.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (235, 235, 225)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_depart_delay_arrive_deliver(page, waiting):
    order = waiting
    login_ok(page, "service1")
    page.goto(f"/orders/order/{order.pk}/machine/")
    expect(page.locator("[data-testid=prep-inspection]")).to_have_attribute("data-done", "1")
    assert_fits_width(page)
    _shot(page, "machine")

    page.goto(f"/orders/order/{order.pk}/transport/")
    expect(page.locator("[data-testid=gate-open]")).to_be_visible()
    assert_fits_width(page)
    mark_document(page)
    page.locator("#eta").fill("2099-01-01T10:00")
    page.locator("[data-testid=depart]").click()
    panel = page.locator("[data-testid=transport-panel]")
    expect(panel).to_have_attribute("data-state", "on-the-road")
    page.locator("input[name=kind][value=delay]").check()
    page.locator("#note").fill("货车限行，改走国道")
    page.locator("#new_eta").fill("2099-01-02T10:00")
    page.locator("[data-testid=record-event]").click()
    expect(page.locator("[data-testid=timeline] [data-kind=delay]")).to_have_count(1)
    assert_same_document(page)
    assert Todo.objects.filter(user=order.deal.salesperson, kind="transport_delay", object_id=str(order.pk)).exists()
    _shot(page, "transport")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=arrive]").click()
    expect(panel).to_have_attribute("data-state", "arrived")
    assert Transport.objects.get(order=order).arrived_at is not None

    page.locator("[data-testid=to-delivery]").click()
    expect(page.locator("[data-testid=auspicious]")).to_be_visible()
    assert_fits_width(page)
    page.locator("#hour_meter").fill("3.5")
    page.locator("[data-testid=photo-input]").set_input_files(
        files=[{"name": "list.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.locator("[data-testid=deliver]").click()
    expect(page.locator("[data-testid=delivered]")).to_be_visible()
    expect(page.locator("[data-testid=handed]")).to_be_visible()
    _shot(page, "delivered")
    assert Delivery.objects.get(order=order).delivered_at is not None
    keys = set(Todo.objects.filter(object_id=str(order.pk)).values_list("key", flat=True))
    assert f"orders.delivery.followup.{order.pk}" in keys and f"orders.maintenance.first.{order.pk}" in keys
