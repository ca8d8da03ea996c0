"""Risk in a browser, at phone and desktop size: the salesperson records a risk signal on the account
page with a photo of the evidence (the section is swapped in place, the score rises with its reason),
the manager finds the lock request on the approvals page with its evidence and approves it in place;
the watch list fits."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from receivables.models import ReceivableAccount
from receivables.risk import services
from receivables.risk.models import EscalationStage, EscalationStep, RiskSignal

from .helpers import assert_fits_width, assert_same_document, login_ok, mark_document

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger(demo):
    from receivables.demo import seed_receivables

    seed_receivables(demo.company, rng=random.Random(5))
    return demo


def a_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 120, 60)).save(out, "PNG")
    return out.getvalue()


def test_a_signal_raises_the_risk_and_the_manager_approves_a_lock(page, ledger):
    account = (
        ReceivableAccount.objects.filter(company=ledger.company, salesperson__isnull=False, status="open")
        .exclude(risk_level="none")
        .order_by("-risk_score", "pk")
        .first()
    )
    assert account is not None, "the demo should score some accounts"
    who = account.salesperson
    before = account.risk_score
    login_ok(page, who.username)
    page.goto(f"/receivables/{account.pk}/")
    assert_fits_width(page)
    mark_document(page)
    page.locator("[data-testid=risk-signals] details.rk-form > summary").click()
    page.locator("#rk-kind").select_option("partners_conflict")
    page.locator("#rk-evidence").fill("两个合伙人为分账吵翻，设备停在工地")
    page.locator("[data-testid=signal-photo]").set_input_files(
        files=[{"name": "site.png", "mimeType": "image/png", "buffer": a_png()}]
    )
    page.locator("[data-testid=signal-submit]").click()
    expect(page.locator('[data-testid=risk-reason][data-code="partners_conflict"]')).to_be_visible()
    assert_same_document(page)
    signal = RiskSignal.objects.get(account=account, kind="partners_conflict")
    assert signal.photo  # sent with the form (multipart through htmx), stored
    link = page.locator('[data-testid=signal][data-kind="partners_conflict"] [data-testid=signal-photo-link]')
    photo = page.request.get(link.get_attribute("href"))
    assert photo.ok and photo.headers["content-type"] == "image/jpeg" and photo.body()[:2] == b"\xff\xd8"
    account.refresh_from_db()
    assert account.risk_score > before
    expect(page.locator("[data-testid=risk-score-value]")).to_have_text(str(account.risk_score))
    assert_fits_width(page)

    # a lock request awaiting the region's manager (the demo has one; else one is made)
    lock = EscalationStage.objects.get(company=ledger.company, code="machine_lock")
    step = EscalationStep.objects.filter(account=account, stage=lock, status="requested").first()
    if step is None:
        ReceivableAccount.objects.filter(pk=account.pk).update(lock_allowed=True)
        account.refresh_from_db()
        if not account.arrears_type:
            services.arrears_type_set(actor=who, account=account, arrears_type="deliberate", cause_note="有钱不还")
        helper = next(u for u in services.approvers_for(account, exclude=who))
        step = services.escalation_request(
            actor=helper, account=account, stage=lock, evidence="GPS被拆，承诺三次未兑现", skip_reason="客户失联",
        )  # fmt: skip
        step.requested_by = who  # as if the salesperson asked
        step.save(update_fields=["requested_by"])
    manager = services.approvers_for(account, exclude=step.requested_by)[0]
    page.context.clear_cookies()
    login_ok(page, manager.username)
    page.goto("/receivables/escalations/")
    row = page.locator(f'[data-testid=pending-step][data-step="{step.pk}"]')
    expect(row).to_contain_text(step.evidence[:6])
    assert_fits_width(page)
    mark_document(page)
    row.locator("[data-testid=approve]").click()
    expect(row).to_have_count(0)
    assert_same_document(page)
    step.refresh_from_db()
    assert step.status == EscalationStep.Status.APPROVED and step.lock_state == "scheduled"
    page.goto("/receivables/watch/")
    assert_fits_width(page)
