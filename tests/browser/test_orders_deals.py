"""The deal pipeline in a browser, at phone and desktop size: the board with the demo deals, a move
refused by its gate and one allowed (swapped by htmx, no reload), the deal page, the funnel chart."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from orders import deals
from orders.models import Deal, DealStage

from .conftest import ARTIFACTS
from .helpers import assert_fits_width, assert_same_document, is_phone, login_ok, mark_document

pytestmark = pytest.mark.browser


@pytest.fixture
def pipeline(demo):
    from orders.demo_deals import seed_deals
    from pitch.demo import seed_catalogue
    from policies.demo import seed_demo_policies

    seed_catalogue(demo.company)
    seed_demo_policies(demo.company)
    seed_deals(demo.company, rng=random.Random(7))
    return demo


def _shot(page, name):
    target = ARTIFACTS / "orders" / f"{name}-{'phone' if is_phone(page) else 'desktop'}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)


def test_board_move_deal_page_and_funnel(page, pipeline):
    deal = Deal.objects.filter(status=Deal.Status.OPEN, stage__code="intent").select_related("salesperson").first()
    user = deal.salesperson
    login_ok(page, user.username)
    page.goto("/orders/deals/")
    expect(page.locator("[data-testid=stage-column]")).to_have_count(9)
    card = page.locator(f"[data-testid=deal-card][data-deal='{deal.pk}']")
    expect(card).to_be_visible()
    assert_fits_width(page)
    _shot(page, "board")

    # skipping the order confirmation is refused with the rule, without a reload
    mark_document(page)
    contract = DealStage.objects.get(company=deal.company, code="contract")
    card.locator("[data-testid=move-stage]").select_option(str(contract.pk))
    card.locator("[data-testid=move]").click()
    error = page.locator("[data-testid=board-error]")
    expect(error).to_be_visible()
    assert deals.refusal("quote", contract) in error.inner_text()
    assert_same_document(page)
    deal.refresh_from_db()
    assert deal.stage.code == "intent"

    page.goto(f"/orders/deals/{deal.pk}/")
    expect(page.locator("[data-testid=stage-step]")).to_have_count(9)
    expect(page.locator("[data-testid=step][data-gate=quote]")).to_be_visible()
    assert_fits_width(page)
    _shot(page, "deal")

    page.goto("/orders/funnel/")
    expect(page.locator("[data-testid=funnel-row]")).to_have_count(9)
    expect(page.locator("[data-chart=funnel] canvas")).to_have_count(1)
    assert_fits_width(page)
    _shot(page, "funnel")
