"""Issue 7's "done when", at phone size: an imported contract falls due → the pre-warning to-do
appears a week before → a visit with a promise to pay is logged → a partial payment is recorded with
its reason → the risk rises with its reasons → a machine-lock request goes to the manager, who
approves it with the evidence in front of them. The ageing page agrees with one hand-written SQL
query to the fen, and the ledger reconciles (the ``demo`` fixture checks it again after the test)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Todo, User
from core.visibility import visible
from customers.models import Customer
from receivables.management.commands.reconcile_receivables import differences
from receivables.models import Payment, PaymentPromise, ReceivableAccount
from receivables.ops import imports
from receivables.ops import services as ops
from receivables.risk import services as risk
from receivables.risk.models import EscalationStage, EscalationStep

from .helpers import assert_fits_width, go, login_ok, t

pytestmark = pytest.mark.browser

CONTRACT = "HT-DONE-7"


def _contract_sheet(customer: Customer, today: dt.date) -> bytes:
    """A running contract: the first instalment 10 days late, the second due in a week."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([heading for heading, _aliases in imports.COLUMNS_SPEC.values()])
    for n, due in ((1, today - dt.timedelta(days=10)), (2, today + dt.timedelta(days=7)),
                   (3, today + dt.timedelta(days=37))):  # fmt: skip
        row = {
            "contract_number": CONTRACT, "customer": customer.name, "product": "HY65-9", "policy": "厂家贴息分期",
            "principal": "60000", "start_on": (today - dt.timedelta(days=70)).isoformat(), "salesperson": "",
            "n": n, "due_on": due.isoformat(), "principal_part": "20000", "interest": "300", "fee": "0",
            "amount": "20300", "paid": "", "lock_allowed": "是", "pay_day": 25,
        }  # fmt: skip
        ws.append([row[f] for f in imports.FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _switch(page, username: str) -> None:
    page.context.clear_cookies()
    login_ok(page, username)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_an_imported_contract_from_pre_warning_to_an_approved_lock(page, demo, tmp_path):
    today = timezone.localdate()
    finance = User.objects.get(username="finance1")
    customer = visible(finance, Customer).filter(owner__username="sales1", in_pool=False).order_by("pk").first()
    assert customer is not None

    # 1. finance imports the running contract from Excel
    login_ok(page, "finance1")
    go(page, "receivables_import")
    sheet = tmp_path / "running.xlsx"
    sheet.write_bytes(_contract_sheet(customer, today))
    page.locator("[data-testid=import-file]").set_input_files(str(sheet))
    page.locator("[data-testid=import-submit]").click()
    expect(page.locator("[data-testid=import-done]")).to_be_visible()
    account = ReceivableAccount.objects.get(contract_number=CONTRACT)
    assert account.source == "import" and account.salesperson.username == "sales1" and account.lock_allowed

    # 2. the night's snapshot and the morning's pre-warnings (the jobs at 00:30 and 07:00)
    ops.snapshot_take(demo.company, today)
    ops.prewarnings_post(demo.company, today)
    account.refresh_from_db()
    assert account.first_late_on == today - dt.timedelta(days=9)

    # the salesperson finds the pre-warning a week before the second instalment, on the Today page
    _switch(page, "sales1")
    warning = page.locator("[data-testid=todo]", has_text=CONTRACT).filter(has_text="到期预警")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text((today + dt.timedelta(days=7)).isoformat())
    assert Todo.objects.filter(user__username="sales1", key__contains=str(account.pk), status="open").count() >= 2
    assert_fits_width(page)

    # 3. a visit with a promise to pay: an exact date, time and amount
    page.goto(f"/receivables/{account.pk}/")
    form = page.locator("[data-testid=action-form]")
    form.locator("[data-testid=action-kind]").select_option("visit")
    form.locator("[data-testid=action-techniques] input[type=checkbox]").first.check()
    form.locator("input[name=tactic][value=drag]").check()
    form.locator("[data-testid=action-outcome]").select_option("promise")
    tomorrow = today + dt.timedelta(days=1)
    form.locator("[data-testid=promise-date]").fill(tomorrow.isoformat())
    form.locator("[data-testid=promise-time]").fill("10:00")
    form.locator("[data-testid=promise-amount]").fill("20300")
    form.locator("#co-note").fill("老板说工程款下周到，先拖一拖")
    form.locator("[data-testid=action-submit]").click()
    expect(page.locator("[data-testid=action][data-outcome=promise]")).to_have_count(1)
    promise = PaymentPromise.objects.get(account=account)
    assert promise.amount_fen == 2_030_000 and timezone.localtime(promise.promised_at).hour == 10
    assert_fits_width(page)
    score_before = ReceivableAccount.objects.get(pk=account.pk).risk_score

    # 4. finance records a partial payment: the form asks why, and for what
    _switch(page, "finance1")
    page.goto(f"/receivables/{account.pk}/")
    page.locator("[data-testid=payment-amount]").fill("8000")
    page.locator("[data-testid=payment-submit]").click()
    expect(page.locator("[data-testid=form-errors]")).to_be_visible()  # a partial payment without a reason
    assert not Payment.objects.filter(account=account).exists()
    page.locator("[data-testid=shortfall-reason]").select_option("deduction")
    page.locator("[data-testid=shortfall-note]").fill("扣了上次维修的配件费")
    page.locator("[data-testid=payment-submit]").click()
    expect(page.locator("[data-testid=shortfall-shown]")).to_contain_text("扣了上次维修的配件费")
    assert Payment.objects.get(account=account).amount_fen == 800_000

    # 5. the risk rose, with its reasons on the page (they sum to the score)
    page.goto(f"/receivables/{account.pk}/")
    account.refresh_from_db()
    assert account.risk_score > score_before
    expect(page.locator("[data-testid=risk-score-value]")).to_have_text(str(account.risk_score))
    expect(page.locator('[data-testid=risk-reason][data-code="partial_payment"]')).to_be_visible()
    expect(page.locator('[data-testid=risk-reason][data-code="first_late"]')).to_be_visible()
    weights = page.locator("[data-testid=risk-reason] .title .muted").all_inner_texts()
    assert sum(int(w.strip().lstrip("+")) for w in weights) == account.risk_score
    assert_fits_width(page)

    # 6. the salesperson records the cause, then asks for a machine lock with the evidence; the
    # earlier steps of the ladder were done before (reminder, visit, manager and guarantor)
    _switch(page, "sales1")
    page.goto(f"/receivables/{account.pk}/")
    arrears = page.locator("[data-testid=arrears-form]")
    arrears.locator("#rk-at").select_option("deliberate")
    arrears.locator("#rk-cause").fill("工程款已到账仍以维修费为由扣款，故意拖欠")
    arrears.locator("[data-testid=arrears-submit]").click()
    expect(page.locator("[data-testid=arrears-type]")).to_have_text(t("deliberate default (恶意拖欠)"))
    sales1, manager = User.objects.get(username="sales1"), User.objects.get(username="manager1")
    for code in ("reminder", "visit", "manager_guarantor"):
        stage = EscalationStage.objects.get(company=demo.company, code=code)
        step = risk.escalation_request(actor=sales1, account=account, stage=stage, evidence="两次催告无果")
        if step.status == EscalationStep.Status.REQUESTED:
            risk.escalation_decide(actor=manager, step=step, approve=True)
        if stage.needs_notice:
            risk.escalation_notice(actor=sales1, step=step, sent_on=today, channel="letter", text="书面催告函")
        risk.escalation_done(actor=sales1, step=step)
    page.reload()
    lock = EscalationStage.objects.get(company=demo.company, code="machine_lock")
    panel = page.locator("[data-testid=risk-panel]")
    panel.locator("details.rk-form > summary", has_text=t("Request the next step")).click()
    step_form = panel.locator("[data-testid=step-form]")
    step_form.locator("#rk-stage").select_option(str(lock.pk))
    evidence = "承诺当天未付全款，故意扣款；GPS显示设备仍在工地作业"
    step_form.locator("#rk-sev").fill(evidence)
    step_form.locator("#rk-days").fill("10")
    step_form.locator("#rk-nsd").fill(today.isoformat())
    step_form.locator("#rk-nch").select_option("letter")
    step_form.locator("#rk-ntx").fill("如三日内不付清第1期欠款，将按合同约定远程锁机")
    step_form.locator("[data-testid=step-submit]").click()
    expect(panel.locator('[data-testid=step][data-stage="machine_lock"][data-status="requested"]')).to_have_count(1)
    requested = EscalationStep.objects.get(account=account, stage=lock)
    assert requested.status == EscalationStep.Status.REQUESTED and requested.requested_by == sales1
    assert_fits_width(page)

    # 7. the manager approves it on the approvals page, the evidence in front of them
    _switch(page, "manager1")
    page.goto("/receivables/escalations/")
    row = page.locator(f'[data-testid=pending-step][data-step="{requested.pk}"]')
    expect(row.locator("[data-testid=step-evidence]")).to_contain_text(evidence)
    assert_fits_width(page)
    row.locator("[data-testid=approve]").click()
    expect(row).to_have_count(0)
    requested.refresh_from_db()
    assert requested.status == EscalationStep.Status.APPROVED and requested.decided_by == manager
    assert requested.lock_state == "scheduled"  # applied at the next engine start, never to a running machine

    assert differences() == []
