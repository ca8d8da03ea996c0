"""Collection in a browser, at phone and desktop size: a salesperson opens the worklist in the
morning, goes to the most overdue account, records a visit with the techniques used, the tactic met
and a promise to pay (a promise at night is refused, the form keeps what was typed; the section is
swapped in place); finance then records a partial payment that says why; the reports fit the screen."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Role, User
from receivables.collection import selectors
from receivables.models import Payment, PaymentPromise

from .helpers import assert_fits_width, assert_same_document, exact, login_ok, mark_document, t

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger(demo):
    from receivables.demo import seed_receivables

    seed_receivables(demo.company, rng=random.Random(5))
    return demo


def _salesperson_with_work():
    for user in User.objects.filter(user_roles__role=Role.SALESPERSON).order_by("pk"):
        rows = list(selectors.worklist(user)[:1])
        if rows:
            return user, rows[0]
    pytest.fail("the demo should give a salesperson an overdue account")


def test_a_visit_with_a_promise_then_a_partial_payment_with_its_reason(page, ledger):
    user, first = _salesperson_with_work()
    login_ok(page, user.username)
    page.goto("/receivables/worklist/")
    expect(page.locator("h1")).to_have_text(exact(t("Collection worklist (催收清单)")))
    expect(page.locator("[data-testid=worklist-row]").first).to_have_attribute("data-account", str(first.pk))
    assert_fits_width(page)
    page.locator("[data-testid=worklist-row] a").first.click()
    expect(page).to_have_url(re.compile(rf"/receivables/{first.pk}/"))
    expect(page.locator("[data-testid=plan-score]")).to_have_text(re.compile(r"^[0-6]/6$"))

    section = page.locator("[data-testid=actions]")
    if not section.locator("[data-testid=action-form]").is_visible():
        section.locator("summary").first.click()
    form = section.locator("[data-testid=action-form]")
    form.locator("[data-testid=action-kind]").select_option("visit")
    form.locator("input[name=techniques][value=go_early]").check()
    form.locator("input[name=tactic][value=drag]").check()
    form.locator("[data-testid=action-outcome]").select_option("promise")
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    form.locator("[data-testid=promise-date]").fill(day)
    form.locator("[data-testid=promise-time]").fill("10:30")
    form.locator("[data-testid=promise-amount]").fill("0")
    assert_fits_width(page)
    mark_document(page)
    form.locator("[data-testid=action-submit]").click()
    refused = t("The promised amount must be more than zero.")
    expect(page.locator("[data-testid=action-errors]")).to_contain_text(refused)
    assert_same_document(page)
    form = page.locator("[data-testid=action-form]")
    expect(form.locator("input[name=techniques][value=go_early]")).to_be_checked()  # what was typed stays
    form.locator("[data-testid=promise-amount]").fill("3000")
    form.locator("[data-testid=action-submit]").click()
    expect(page.locator("[data-testid=promise][data-status=open]", has_text="¥3,000")).to_have_count(1)
    assert_same_document(page)
    promise = PaymentPromise.objects.filter(account_id=first.pk, status="open").latest("pk")
    assert promise.amount_fen == 300_000 and timezone.localtime(promise.promised_at).strftime("%H:%M") == "10:30"
    assert promise.action.by == user and list(promise.action.techniques.values_list("code", flat=True)) == ["go_early"]
    assert_fits_width(page)

    # finance: a payment below what is due must say why and for what
    page.context.clear_cookies()
    finance = User.objects.filter(user_roles__role=Role.FINANCE, regions=first.region_id).first()
    if finance is None:
        finance = User.objects.get(username="admin")
    login_ok(page, finance.username)
    page.goto(f"/receivables/{first.pk}/")
    page.locator("[data-testid=payment-amount]").fill("1000")
    page.locator("[data-testid=payment-submit]").click()
    expect(page.locator("#ledger [data-testid=form-errors]")).to_contain_text(t("Why only part was paid"))
    page.locator("[data-testid=shortfall-reason]").select_option("deduction")
    page.locator("[data-testid=shortfall-note]").fill("说液压油管漏油，扣维修费")
    page.locator("[data-testid=payment-submit]").click()
    expect(page.locator("#ledger [data-testid=shortfall-shown]").first).to_contain_text("说液压油管漏油")
    payment = Payment.objects.filter(account_id=first.pk).latest("pk")
    assert (payment.amount_fen, payment.shortfall_reason) == (100_000, "deduction")
    assert_fits_width(page)

    for address in ("/receivables/collection/expected/", "/receivables/collection/techniques/"):
        page.goto(address)
        expect(page.locator("table.data")).to_be_visible()
        assert_fits_width(page)
