"""Risk (风险预警), arrears types, the escalation ladder and the three traps: services, to-dos,
permissions, the account page's section, the watch list, the approvals page and the API."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEntry, Notification, Todo
from receivables.models import Instalment, Payment, PaymentPromise, ReceivableAccount
from receivables.risk import services
from receivables.risk.models import ArrearsRecord, EscalationStage, EscalationStep, RiskSignal, SettlementRequest
from receivables.signals import risk_inputs_changed

from .factories import zh
from .test_receivables import make_account


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def ui(msgid: str) -> str:
    """The text a user of the default language reads (falls back to the msgid until translated)."""
    try:
        return zh(msgid)
    except AssertionError:
        return msgid


TODAY = timezone.localdate()


def late_account(customer, days_late=10, **kw):
    """An account whose first instalment fell due ``days_late`` days ago (later ones not yet due)."""
    return make_account(customer, first_due=TODAY - dt.timedelta(days=days_late), **kw)


def signal(account, who, kind="wages_late", evidence="机手说两个月没发工资"):
    return services.signal_record(actor=who, account=account, kind=kind, observed_on=TODAY, evidence=evidence)


def stage(org, code):
    return EscalationStage.objects.get(company=org.company, code=code)


def test_a_new_company_has_the_default_ladder_before_anyone_looks(org, other):
    from receivables.risk.defaults import DEFAULT_STAGES

    for company in (org.company, other.company):
        codes = list(EscalationStage.objects.filter(company=company).order_by("order").values_list("code", flat=True))
        assert codes == [row["code"] for row in DEFAULT_STAGES]
    assert services.stages_seed(company_id=org.company.pk) == 0  # idempotent
    locks = EscalationStage.objects.get(company=org.company, code="machine_lock")
    assert locks.is_lock and locks.needs_approval and locks.needs_notice


def with_cause(account, who, arrears_type="deliberate"):
    services.arrears_type_set(actor=who, account=account, arrears_type=arrears_type, cause_note="有钱不还，多次推脱")
    account.refresh_from_db()
    return account


def climb(org, account, who, *codes):
    """Request and finish the given stages in order (approved by the region's manager where needed)."""
    for code in codes:
        st = stage(org, code)
        step = services.escalation_request(
            actor=who, account=account, stage=st, evidence="证据" if st.needs_approval else "",
            notice_sent_on=TODAY if st.needs_notice else None, notice_channel="letter" if st.needs_notice else "",
            notice_text="催款函" if st.needs_notice else "",
        )  # fmt: skip
        if st.needs_approval:
            services.escalation_decide(actor=org.manager_a, step=step, approve=True)
        services.escalation_done(actor=who, step=step)


def reason_codes(account):
    account.refresh_from_db()
    return [r["code"] for r in account.risk_assessment.reasons]


# ------------------------------------------------------------------------------------------ the score
def test_a_signal_raises_the_score_with_its_reason_and_a_withdrawal_lowers_it(org):
    account = late_account(org.cust_a1, days_late=10)
    s = signal(account, org.sales_a1)
    account.refresh_from_db()
    assert account.risk_score == 10 + 15  # 1–30 days late + wages withheld
    assert account.risk_level == "low"
    reasons = account.risk_assessment.reasons
    assert [(r["code"], r["weight"]) for r in reasons] == [("wages_late", 15), ("dpd_1_30", 10)]
    assert "两个月没发工资" in reasons[0]["evidence"]
    services.signal_withdraw(actor=org.manager_a, signal=s, reason="核实后工资已发")
    account.refresh_from_db()
    assert account.risk_score == 10 and reason_codes(account) == ["dpd_1_30"]
    s.refresh_from_db()
    assert s.withdrawn_by == org.manager_a and RiskSignal.objects.filter(pk=s.pk).exists()  # never deleted
    with pytest.raises(ValidationError) as exc:
        services.signal_withdraw(actor=org.manager_a, signal=s, reason="again")
    assert "signal" in exc.value.message_dict
    assert AuditEntry.objects.filter(object_id=str(account.pk), changes__has_key="risk_score").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "rumour"}, "kind"),
        ({"evidence": "  "}, "evidence"),
        ({"observed_on": TODAY + dt.timedelta(days=1)}, "observed_on"),
        ({"observed_on": "last week"}, "observed_on"),
    ],
)
def test_a_bad_signal_is_refused_naming_the_field(org, changes, field):
    account = late_account(org.cust_a1)
    data = {"kind": "wages_late", "observed_on": TODAY, "evidence": "证据"} | changes
    with pytest.raises(ValidationError) as exc:
        services.signal_record(actor=org.sales_a1, account=account, **data)
    assert field in exc.value.message_dict
    assert not RiskSignal.objects.exists()


def test_who_records_signals(org):
    account = late_account(org.cust_a1)
    for who in (org.sales_a2, org.sales_b1, org.manager_b, org.service):
        with pytest.raises(PermissionError):
            signal(account, who)
    for who in (org.sales_a1, org.manager_a, org.finance, org.admin):
        signal(account, who)
    assert RiskSignal.objects.count() == 4


def test_the_ledger_feeds_the_score_partial_payments_broken_promises_first_late(org):
    account = late_account(org.cust_a1, days_late=5)
    services.risk_recompute(account=account)
    assert reason_codes(account) == ["dpd_1_30"]
    # a partial payment with a reason: the instalment past due is partly paid
    from receivables import services as ledger

    ledger.payment_record(actor=org.finance, account=account, amount_fen=30_000, received_on=TODAY, method="transfer",
                          idempotency_key=uuid.uuid4().hex, shortfall_reason="finance")  # fmt: skip
    assert "partial_payment" in reason_codes(account)  # recomputed through payment_posted/risk_inputs_changed
    # the collection part marks a promise broken and sends the signal
    now = timezone.now()
    PaymentPromise.objects.create(company=org.company, account=account, promised_at=now, amount_fen=70_000,
                                  status="broken", by=org.sales_a1, at=now)  # fmt: skip
    ReceivableAccount.objects.filter(pk=account.pk).update(first_late_on=TODAY - dt.timedelta(days=5))
    risk_inputs_changed.send(sender=ReceivableAccount, account=account)
    account.refresh_from_db()
    assert set(reason_codes(account)) == {"dpd_1_30", "partial_payment", "broken_promise", "first_late"}
    assert account.risk_score == 10 + 10 + 15 + 5 == sum(r["weight"] for r in account.risk_assessment.reasons)


def test_rising_to_the_watch_list_tells_the_regions_managers_once(org):
    account = late_account(org.cust_a1, days_late=40)  # 31–60 days: 20
    services.risk_recompute(account=account)
    assert not Todo.objects.filter(kind=services.TODO_RISK).exists()  # low: nobody is disturbed
    signal(account, org.sales_a1, "project_stuck", "总包拖欠工程款")  # +15 → 35: watch list
    account.refresh_from_db()
    assert account.risk_level == "watch"
    todos = Todo.objects.filter(kind=services.TODO_RISK)
    assert [t.user for t in todos] == [org.manager_a]  # the region's manager, not B's
    assert org.cust_a1.name in todos[0].title and "+15" in todos[0].note
    assert Notification.objects.filter(
        user=org.manager_a, url=reverse("receivables:detail", args=[account.pk])
    ).exists()
    signal(account, org.finance, "partners_conflict", "合伙人闹翻")  # still watch: no second to-do
    services.risk_recompute(account=account)
    assert todos.count() == 1
    signal(account, org.finance, "tracker_removed", "GPS被拆")  # high: one more
    assert Todo.objects.filter(kind=services.TODO_RISK, user=org.manager_a).count() == 2


def test_a_region_without_manager_tells_the_administrators(org):
    account = late_account(org.cust_b1, days_late=100)  # region B: manager_b
    org.manager_b.is_active = False
    org.manager_b.save()
    services.risk_recompute(account=account)
    assert [t.user for t in Todo.objects.filter(kind=services.TODO_RISK)] == [org.admin]


def test_the_daily_sweep_follows_the_days_past_due(org):
    account = late_account(org.cust_a1, days_late=20)
    services.risk_recompute(account=account)
    assert reason_codes(account) == ["dpd_1_30"]
    assert services.risk_sweep(company_id=org.company.pk, today=TODAY + dt.timedelta(days=20)) >= 1
    assert reason_codes(account) == ["dpd_31_60"]
    assert services.risk_sweep(company_id=org.company.pk, today=TODAY + dt.timedelta(days=20)) == 0  # unchanged


def test_weights_and_thresholds_are_set_by_administrators_validated_and_rescore(
    org, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from receivables.risk.tasks import risk_rescore_task

    account = late_account(org.cust_a1, days_late=10)
    signal(account, org.sales_a1)
    with pytest.raises(PermissionError):
        services.risk_settings_set(actor=org.manager_a, weights={"wages_late": 50})
    with pytest.raises(ValidationError) as exc:
        services.risk_settings_set(actor=org.admin, weights={"wages_late": 150, "dpd_31_60": 1}, thresholds=[5, 5, 9])
    assert set(exc.value.message_dict) == {"weights.wages_late", "weights.dpd_31_60", "thresholds"}
    assert not DBTaskResult.objects.exists()  # refused: nothing queued
    before = ReceivableAccount.objects.get(pk=account.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_settings_set(actor=org.admin, weights={"wages_late": 50}, thresholds=[1, 20, 55])
    # saved at once; the accounts are scored again by the background worker, not in the request
    account.refresh_from_db()
    assert (account.risk_score, account.risk_level) == (before.risk_score, before.risk_level)
    queued = DBTaskResult.objects.get(task_path="receivables.risk.tasks.risk_rescore_task")
    assert queued.args_kwargs["args"] == [org.company.pk]
    assert risk_rescore_task.call(org.company.pk) >= 1
    account.refresh_from_db()
    assert account.risk_score == 60 and account.risk_level == "high"


# ------------------------------------------------------------------------------------------ arrears
def test_the_arrears_type_needs_its_cause_and_keeps_history(org):
    account = late_account(org.cust_a1)
    with pytest.raises(ValidationError) as exc:
        services.arrears_type_set(actor=org.sales_a1, account=account, arrears_type="cash_flow", cause_note=" ")
    assert "cause_note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.arrears_type_set(actor=org.sales_a1, account=account, arrears_type="bad_luck", cause_note="x")
    assert "arrears_type" in exc.value.message_dict
    with pytest.raises(PermissionError):
        services.arrears_type_set(actor=org.sales_b1, account=account, arrears_type="cash_flow", cause_note="x")
    services.arrears_type_set(actor=org.sales_a1, account=account, arrears_type="cash_flow", cause_note="工程款未结")
    services.arrears_type_set(actor=org.manager_a, account=account, arrears_type="deliberate", cause_note="有钱不还")
    account.refresh_from_db()
    assert account.arrears_type == "deliberate"
    assert list(ArrearsRecord.objects.order_by("at", "id").values_list("arrears_type", flat=True)) == [
        "cash_flow", "deliberate",
    ]  # fmt: skip
    assert (
        AuditEntry.objects.filter(
            object_id=str(account.pk), content_type__model="receivableaccount", changes__has_key="arrears_type"
        ).count()
        == 2
    )


def test_the_playbook_defaults_and_company_override(org):
    from receivables.risk import selectors

    default = selectors.playbook_for(org.company.pk, "deliberate")
    assert "step by step" in default
    with pytest.raises(PermissionError):
        services.playbook_set(actor=org.manager_a, arrears_type="deliberate", counter_measures="我们自己的对策")
    services.playbook_set(actor=org.admin, arrears_type="deliberate", counter_measures="我们自己的对策")
    assert selectors.playbook_for(org.company.pk, "deliberate") == "我们自己的对策"
    services.playbook_set(actor=org.admin, arrears_type="deliberate", counter_measures="")
    assert selectors.playbook_for(org.company.pk, "deliberate") == default


# ---------------------------------------------------------------------------------------- escalation
def test_no_escalation_before_the_cause_is_recorded(org):
    account = late_account(org.cust_a1)
    with pytest.raises(ValidationError) as exc:
        services.escalation_request(actor=org.sales_a1, account=account, stage=stage(org, "reminder"))
    assert "arrears_type" in exc.value.message_dict
    assert not EscalationStep.objects.exists()


def test_the_ladder_is_climbed_step_by_step_unless_a_manager_notes_why(org):
    account = with_cause(late_account(org.cust_a1), org.sales_a1)
    with pytest.raises(ValidationError) as exc:
        services.escalation_request(actor=org.sales_a1, account=account, stage=stage(org, "visit"))
    assert "stage" in exc.value.message_dict and "Reminder" in exc.value.message_dict["stage"][0]
    with pytest.raises(ValidationError) as exc:  # a manager must say why
        services.escalation_request(actor=org.manager_a, account=account, stage=stage(org, "visit"))
    assert "skip_reason" in exc.value.message_dict
    step = services.escalation_request(
        actor=org.manager_a, account=account, stage=stage(org, "visit"), skip_reason="客户已失联，提醒无意义"
    )
    assert step.status == "approved" and step.skip_reason  # a visit needs no approval
    with pytest.raises(ValidationError):  # the same stage twice
        services.escalation_request(actor=org.sales_a1, account=account, stage=stage(org, "visit"), skip_reason="x")


def test_a_step_above_a_visit_needs_evidence_and_the_managers_approval_with_todos(org):
    account = with_cause(late_account(org.cust_a1), org.sales_a1)
    climb(org, account, org.sales_a1, "reminder", "visit")
    mg = stage(org, "manager_guarantor")
    with pytest.raises(ValidationError) as exc:
        services.escalation_request(actor=org.sales_a1, account=account, stage=mg, evidence="")
    assert "evidence" in exc.value.message_dict
    step = services.escalation_request(actor=org.sales_a1, account=account, stage=mg, evidence="三次承诺未兑现")
    assert step.status == "requested"
    todo = Todo.objects.get(kind=services.TODO_ESCALATION)
    assert todo.user == org.manager_a and todo.note == "三次承诺未兑现"
    with pytest.raises(PermissionError):  # another region's manager
        services.escalation_decide(actor=org.manager_b, step=step, approve=True)
    with pytest.raises(PermissionError):  # finance does not approve escalations
        services.escalation_decide(actor=org.finance, step=step, approve=True)
    with pytest.raises(ValidationError) as exc:
        services.escalation_decide(actor=org.manager_a, step=step, approve=False, note="")
    assert "decision_note" in exc.value.message_dict
    services.escalation_decide(actor=org.manager_a, step=step, approve=True, note="同意")
    todo.refresh_from_db()
    assert todo.status == "done"
    assert Todo.objects.filter(user=org.sales_a1, key=f"receivables.escalation.{step.pk}.do", status="open").exists()
    assert Notification.objects.filter(user=org.sales_a1).exists()
    with pytest.raises(ValidationError) as exc:  # decided once
        services.escalation_decide(actor=org.admin, step=step, approve=False, note="改主意")
    assert "step" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # no notice to the customer yet
        services.escalation_done(actor=org.sales_a1, step=step)
    assert "notice_text" in exc.value.message_dict
    services.escalation_notice(actor=org.sales_a1, step=step, sent_on=TODAY, channel="phone", text="告知将联系担保人")
    services.escalation_done(actor=org.sales_a1, step=step, note="担保人答应督促")
    step.refresh_from_db()
    assert step.status == "done"
    assert not Todo.objects.filter(key=f"receivables.escalation.{step.pk}.do", status="open").exists()


def test_nobody_approves_their_own_request(org):
    account = with_cause(late_account(org.cust_a1), org.manager_a)
    climb(org, account, org.sales_a1, "reminder", "visit")
    step = services.escalation_request(
        actor=org.manager_a, account=account, stage=stage(org, "manager_guarantor"), evidence="经理亲自出面"
    )
    assert not Todo.objects.filter(kind=services.TODO_ESCALATION, user=org.manager_a).exists()
    with pytest.raises(PermissionError):
        services.escalation_decide(actor=org.manager_a, step=step, approve=True)
    services.escalation_decide(actor=org.admin, step=step, approve=True)


def test_a_lock_only_where_the_contract_allows_it(org):
    account = with_cause(late_account(org.cust_a1), org.sales_a1)
    climb(org, account, org.sales_a1, "reminder", "visit", "manager_guarantor")
    with pytest.raises(ValidationError) as exc:
        services.escalation_request(actor=org.sales_a1, account=account, stage=stage(org, "machine_lock"), evidence="x")
    assert "does not allow a machine lock" in exc.value.message_dict["stage"][0]


def _approved_lock(org, *, days=None):
    account = late_account(org.cust_a1)
    ReceivableAccount.objects.filter(pk=account.pk).update(lock_allowed=True)
    account = with_cause(account, org.sales_a1)
    climb(org, account, org.sales_a1, "reminder", "visit", "manager_guarantor")
    step = services.escalation_request(
        actor=org.sales_a1, account=account, stage=stage(org, "machine_lock"), evidence="设备转移、GPS被拆",
        lock_days=days,
    )  # fmt: skip
    services.escalation_decide(actor=org.manager_a, step=step, approve=True)
    step.refresh_from_db()
    return step


def test_a_lock_is_scheduled_for_the_next_engine_start_never_applied_to_a_running_machine(org):
    step = _approved_lock(org, days=10)
    assert step.lock_state == "scheduled" and step.status == "approved"
    with pytest.raises(ValidationError) as exc:
        services.lock_apply(step=step, engine_running=True)
    assert "engine_running" in exc.value.message_dict
    step.refresh_from_db()
    assert step.lock_state == "scheduled" and step.lock_applied_at is None
    with pytest.raises(ValidationError) as exc:  # the customer must have been told first
        services.lock_apply(step=step, engine_running=False)
    assert "notice_text" in exc.value.message_dict
    services.escalation_notice(actor=org.sales_a1, step=step, sent_on=TODAY, channel="letter", text="锁机预告函")
    services.lock_apply(step=step, engine_running=False)
    step.refresh_from_db()
    assert step.lock_state == "applied" and step.status == "done"
    assert step.lock_until == TODAY + dt.timedelta(days=10)
    assert step.lock_review_on == TODAY + dt.timedelta(days=7)
    review = Todo.objects.get(key=f"receivables.escalation.{step.pk}.review")
    assert review.user == org.manager_a and review.due == step.lock_review_on
    assert services.lock_reviews(today=TODAY + dt.timedelta(days=10)) == 1
    assert Todo.objects.filter(key=f"receivables.escalation.{step.pk}.lift", status="open").exists()
    services.lock_lift(actor=org.manager_a, step=step, note="客户已还清逾期")
    step.refresh_from_db()
    assert step.lock_state == "lifted"


def test_a_step_is_cancelled_by_its_requester_or_an_approver_with_a_reason(org):
    account = with_cause(late_account(org.cust_a1), org.sales_a1)
    climb(org, account, org.sales_a1, "reminder", "visit")
    step = services.escalation_request(
        actor=org.sales_a1, account=account, stage=stage(org, "manager_guarantor"), evidence="未兑现"
    )
    with pytest.raises(PermissionError):
        services.escalation_cancel(actor=org.finance, step=step, note="x")
    with pytest.raises(ValidationError) as exc:
        services.escalation_cancel(actor=org.sales_a1, step=step, note="")
    assert "decision_note" in exc.value.message_dict
    services.escalation_cancel(actor=org.sales_a1, step=step, note="客户已还款")
    step.refresh_from_db()
    assert step.status == "cancelled"
    assert not Todo.objects.filter(key=f"receivables.escalation.{step.pk}", status="open").exists()


def test_the_daily_job_is_registered():
    from core.jobs import JOBS

    job = JOBS["receivables.risk_daily"]
    assert job.task_path == "receivables.risk.tasks.risk_daily_task" and job.daily_at == dt.time(6, 30)


def test_a_lock_is_never_longer_than_the_maximum(org):
    with pytest.raises(ValidationError) as exc:
        _approved_lock(org, days=16)
    assert "lock_days" in exc.value.message_dict


def test_legal_review_stages_need_a_written_notice_first(org):
    account = with_cause(late_account(org.cust_a1), org.sales_a1)
    pressure = stage(org, "industry_pressure")
    assert pressure.legal_review
    # a manager skips to it with a note, but a phone call is not a written notice
    base = {"actor": org.manager_a, "account": account, "stage": pressure, "evidence": "客户恶意拖欠",
            "skip_reason": "已起诉准备中"}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.escalation_request(**base)
    assert "notice_sent_on" in exc.value.message_dict or "notice_text" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.escalation_request(**base, notice_sent_on=TODAY, notice_channel="phone", notice_text="电话告知")
    assert "written notice" in exc.value.message_dict["notice_channel"][0]
    step = services.escalation_request(**base, notice_sent_on=TODAY, notice_channel="lawyer", notice_text="律师函")
    assert step.written_notice and step.status == "requested"
    services.escalation_decide(actor=org.admin, step=step, approve=True)


def test_a_lock_hint_when_the_machine_is_idle(org, client_as):
    account = with_cause(late_account(org.cust_a1), org.sales_a1, "cash_flow")
    assert not services.lock_hint(account)
    signal(account, org.sales_a1, "low_utilisation", "一个月只开了30小时")
    assert services.lock_hint(account)
    r = client_as(org.sales_a1).get(reverse("receivables:detail", args=[account.pk]))
    assert 'data-testid="lock-hint"' in r.content.decode()


# ------------------------------------------------------------------------------------ three traps
def test_goods_settlement_needs_a_valuation_and_third_party_needs_the_payer(org):
    account = late_account(org.cust_a1)
    with pytest.raises(ValidationError) as exc:
        services.settlement_request(actor=org.sales_a1, account=account, kind="goods", amount_fen=100_000,
                                    evidence="客户想用一台旧破碎锤抵债")  # fmt: skip
    assert {"valuation_fen", "valued_by"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.settlement_request(actor=org.sales_a1, account=account, kind="goods", amount_fen=100_000,
                                    valuation_fen=80_000, valued_by="二手评估师", evidence="评估报告")  # fmt: skip
    assert "amount_fen" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.settlement_request(actor=org.sales_a1, account=account, kind="third_party", amount_fen=100_000,
                                    evidence="代付函")  # fmt: skip
    assert "counterparty" in exc.value.message_dict
    assert not SettlementRequest.objects.exists()


def test_an_approved_third_party_payment_goes_through_the_ledger_once(org):
    account = late_account(org.cust_a1)
    req = services.settlement_request(actor=org.sales_a1, account=account, kind="third_party", amount_fen=60_000,
                                      counterparty="总包单位", evidence="代付确认函")  # fmt: skip
    assert [t.user for t in Todo.objects.filter(kind=services.TODO_SETTLEMENT)] == [org.finance]
    assert not Payment.objects.exists()  # nothing posted before approval
    for who in (org.sales_a1, org.manager_a):
        with pytest.raises(PermissionError):
            services.settlement_decide(actor=who, request=req, approve=True)
    services.settlement_decide(actor=org.finance, request=req, approve=True)
    req.refresh_from_db()
    payment = req.payment
    assert payment.method == "third_party" and payment.payer_name == "总包单位" and payment.amount_fen == 60_000
    assert payment.idempotency_key == f"settlement:{req.pk}"
    assert Instalment.objects.get(account=account, n=1).paid_fen == 60_000
    with pytest.raises(ValidationError):
        services.settlement_decide(actor=org.admin, request=req, approve=True)
    assert Payment.objects.count() == 1
    from django.core.management import call_command

    call_command("reconcile_receivables")  # the ledger stays clean


def test_finance_never_approves_its_own_request_and_an_offset_is_recorded_as_such(org):
    account = late_account(org.cust_a1)
    req = services.settlement_request(actor=org.finance, account=account, kind="offset", amount_fen=20_000,
                                      counterparty="客户欠款方某搅拌站", evidence="三方抵销协议")  # fmt: skip
    with pytest.raises(PermissionError):
        services.settlement_decide(actor=org.finance, request=req, approve=True)
    services.settlement_decide(actor=org.admin, request=req, approve=True)
    req.refresh_from_db()
    assert req.payment.method == "offset"


def test_an_approved_waiver_is_flagged_on_the_account_and_reduces_nothing(org, client_as):
    account = late_account(org.cust_a1)
    req = services.settlement_request(actor=org.sales_a1, account=account, kind="waiver", amount_fen=5_000,
                                      evidence="客户要求减免滞纳金")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.settlement_decide(actor=org.finance, request=req, approve=False)
    assert "decision_note" in exc.value.message_dict
    before = list(Instalment.objects.filter(account=account).values_list("amount_fen", "paid_fen"))
    services.settlement_decide(actor=org.finance, request=req, approve=True, note="一次性减免")
    assert list(Instalment.objects.filter(account=account).values_list("amount_fen", "paid_fen")) == before
    assert not Payment.objects.exists()
    page = client_as(org.sales_a1).get(reverse("receivables:detail", args=[account.pk])).content.decode()
    assert 'data-testid="settlement-banner"' in page and "¥50" in page


# -------------------------------------------------------------------------------------------- pages
def test_the_account_page_shows_the_risk_section_and_records_a_signal(org, client_as):
    account = late_account(org.cust_a1, days_late=40)
    c = client_as(org.sales_a1)
    r = c.post(reverse("receivables:risk_signal_new", args=[account.pk]),
               {"kind": "wages_late", "observed_on": TODAY.isoformat(), "evidence": ""},
               headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 422
    body = r.content.decode()
    assert 'data-testid="risk-errors"' in body and ui("Evidence") in body
    assert ui("Describe what was seen (the evidence).") in body
    r = c.post(reverse("receivables:risk_signal_new", args=[account.pk]),
               {"kind": "wages_late", "observed_on": TODAY.isoformat(), "evidence": "机手讨薪"})  # fmt: skip
    assert r.status_code == 302
    page = c.get(reverse("receivables:detail", args=[account.pk])).content.decode()
    assert 'data-code="wages_late"' in page and "机手讨薪" in page
    assert 'data-testid="risk-score-value">35<' in page
    assert 'data-testid="arrears-missing"' in page and 'data-testid="escalation-needs-cause"' in page
    assert (
        client_as(org.service)
        .post(
            reverse("receivables:risk_signal_new", args=[account.pk]),
            {"kind": "wages_late", "observed_on": TODAY.isoformat(), "evidence": "x"},
        )
        .status_code
        == 404
    )  # the service engineer does not see receivables


def test_the_escalation_form_refuses_without_a_cause_naming_it(org, client_as):
    account = late_account(org.cust_a1)
    c = client_as(org.sales_a1)
    r = c.post(reverse("receivables:risk_step_new", args=[account.pk]),
               {"stage": stage(org, "reminder").pk}, headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 422
    assert ui("Arrears type (欠款类型)") in r.content.decode()
    c.post(reverse("receivables:risk_arrears_set", args=[account.pk]),
           {"arrears_type": "cash_flow", "cause_note": "工程款未到"})  # fmt: skip
    r = c.post(reverse("receivables:risk_step_new", args=[account.pk]), {"stage": stage(org, "reminder").pk})
    assert r.status_code == 302 and EscalationStep.objects.filter(account=account).count() == 1
    page = c.get(reverse("receivables:detail", args=[account.pk])).content.decode()
    from django.utils.html import escape

    from receivables.risk.defaults import DEFAULT_PLAYBOOK

    assert 'data-testid="playbook"' in page
    assert escape(ui(str(DEFAULT_PLAYBOOK["cash_flow"]))) in page  # the cash-flow counter-measures


def test_the_account_page_query_count_does_not_grow_with_risk_rows(org, client_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = late_account(org.cust_a1)
    big = with_cause(late_account(org.cust_a1), org.sales_a1)
    for kind in ("wages_late", "low_utilisation", "family_crisis", "machine_moved"):
        signal(big, org.sales_a1, kind)
    climb(org, big, org.sales_a1, "reminder", "visit", "manager_guarantor")
    services.settlement_request(actor=org.sales_a1, account=big, kind="waiver", amount_fen=1_000, evidence="x")
    c = client_as(org.manager_a)
    c.get(reverse("receivables:detail", args=[small.pk]))  # seeds nothing more: the ladder exists
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("receivables:detail", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get(reverse("receivables:detail", args=[big.pk]))
    assert r.content.decode().count('data-testid="signal"') == 4


def test_the_watch_list_sorted_by_score_with_reasons_and_a_pinned_query_count(
    org, client_as, django_assert_num_queries
):
    high = late_account(org.cust_a1, days_late=100)  # 40
    signal(high, org.sales_a1, "tracker_removed", "GPS被拆")  # +30 → 70 high
    watch = late_account(org.cust_a1, days_late=70)  # 30 → watch
    services.risk_recompute(account=watch)
    low = late_account(org.cust_a1, days_late=3)
    services.risk_recompute(account=low)
    other_region = late_account(org.cust_b1, days_late=100)
    services.risk_recompute(account=other_region)
    c = client_as(org.manager_a)
    with django_assert_num_queries(7) as ctx:
        r = c.get(reverse("receivables:watch_list"))
    body = r.content.decode()
    assert body.index(f'data-account="{high.pk}"') < body.index(f'data-account="{watch.pk}"')
    assert f'data-account="{low.pk}"' not in body and f'data-account="{other_region.pk}"' not in body
    assert 'data-code="tracker_removed"' in body
    for _ in range(5):
        services.risk_recompute(account=late_account(org.cust_a2, days_late=95))
    with django_assert_num_queries(len(ctx.captured_queries)):
        r = c.get(reverse("receivables:watch_list"))
    assert r.content.decode().count('data-level="') == 7
    sales = client_as(org.sales_a2).get(reverse("receivables:watch_list")).content.decode()
    assert sales.count('data-level="') == 5  # own customers only


def test_the_approvals_page_approves_in_place_with_a_pinned_query_count(org, client_as, django_assert_num_queries):
    def pending_lock(customer):
        account = late_account(customer)
        ReceivableAccount.objects.filter(pk=account.pk).update(lock_allowed=True)
        who = customer.owner
        account = with_cause(account, who, "poor_business")
        climb(org, account, who, "reminder", "visit", "manager_guarantor")
        return services.escalation_request(actor=who, account=account, stage=stage(org, "machine_lock"),
                                           evidence="设备停工、GPS离线")  # fmt: skip

    first = pending_lock(org.cust_a1)
    services.settlement_request(actor=org.sales_a1, account=first.account, kind="goods", amount_fen=50_000,
                                valuation_fen=60_000, valued_by="评估公司", evidence="评估报告")  # fmt: skip
    c = client_as(org.manager_a)
    signal(first.account, org.sales_a1)
    with django_assert_num_queries(7) as ctx:
        r = c.get(reverse("receivables:escalations"))
    body = r.content.decode()
    assert body.count('data-testid="pending-step"') == 1 and "设备停工、GPS离线" in body
    assert 'data-testid="step-signals"' in body and "机手说两个月没发工资" in body  # the signals in force beside
    assert 'data-testid="lock-hint"' in body  # poor business: a lock will do little
    assert 'data-testid="pending-settlement"' not in body  # finance decides those
    for _ in range(3):
        pending_lock(org.cust_a2)
    with django_assert_num_queries(len(ctx.captured_queries)):
        r = c.get(reverse("receivables:escalations"))
    assert r.content.decode().count('data-testid="pending-step"') == 4
    r = c.post(reverse("receivables:risk_step_decide", args=[first.pk]), {"decision": "reject", "note": ""},
               headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 422 and ui("Say why the request is rejected.") in r.content.decode()
    r = c.post(reverse("receivables:risk_step_decide", args=[first.pk]), {"decision": "approve", "note": "同意锁机"},
               headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 200 and r.content.decode().count('data-testid="pending-step"') == 3
    first.refresh_from_db()
    assert first.status == "approved" and first.lock_state == "scheduled"
    f = client_as(org.finance).get(reverse("receivables:escalations")).content.decode()
    assert f.count('data-testid="pending-settlement"') == 1 and f.count('data-testid="pending-step"') == 0
    assert client_as(org.sales_a1).get(reverse("receivables:escalations")).status_code == 403


def test_the_risk_settings_page_for_administrators(org, client_as):
    assert client_as(org.manager_a).get(reverse("receivables:risk_settings")).status_code == 403
    c = client_as(org.admin)
    page = c.get(reverse("receivables:risk_settings")).content.decode()
    assert 'name="w_tracker_removed"' in page and 'name="pb_deliberate"' in page
    from receivables.risk import rules

    data = {f"w_{code}": str(v) for code, v in rules.DEFAULT_WEIGHTS.items()}
    data |= {"t_low": "1", "t_watch": "30", "t_high": "60", "lock_max_days": "15", "lock_review_days": "7"}
    for st in EscalationStage.objects.filter(company=org.company):
        data |= {f"s_{st.pk}_name": st.name, f"s_{st.pk}_order": str(st.order), f"s_{st.pk}_active": "1"}
        data |= {f"s_{st.pk}_{k}": "1" for k, on in (("approval", st.needs_approval), ("notice", st.needs_notice),
                                                      ("legal", st.legal_review)) if on}  # fmt: skip
    credit = EscalationStage.objects.get(company=org.company, code="credit_reporting")
    r = c.post(reverse("receivables:risk_settings"), data | {f"s_{credit.pk}_notice": ""})
    assert r.status_code == 422
    from django.utils.html import escape

    message = ui("A stage under legal review needs the manager's approval and a written notice.")
    assert escape(message) in r.content.decode()
    r = c.post(reverse("receivables:risk_settings"), data | {"w_wages_late": "120"})
    assert r.status_code == 422 and ui("A weight is a whole number from 0 to 100.") in r.content.decode()
    r = c.post(reverse("receivables:risk_settings"), data | {"w_wages_late": "40", "pb_accident": "先看保险"})
    assert r.status_code == 302
    assert services.settings_of(org.company.pk).effective_weights["wages_late"] == 40
    from receivables.risk.selectors import playbook_for

    assert playbook_for(org.company.pk, "accident") == "先看保险"
    data |= {f"s_{credit.pk}_active": "", f"s_{credit.pk}_name": "上报征信"}
    r = c.post(reverse("receivables:risk_settings"), data)
    assert r.status_code == 302
    credit.refresh_from_db()
    assert not credit.active and credit.name == "上报征信"


def a_photo(name="site.png", size=(640, 480)):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 160, 40)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_a_signal_with_a_photo_is_stored_encrypted_and_shown_only_to_who_sees_the_account(org, client_as, other):
    from django.conf import settings

    account = late_account(org.cust_a1, days_late=40)
    c = client_as(org.sales_a1)
    url = reverse("receivables:risk_signal_new", args=[account.pk])
    data = {"kind": "low_utilisation", "observed_on": TODAY.isoformat(), "evidence": "挖机停在院里两周没动"}
    # not a picture: refused naming the photo, nothing written (no row, no file)
    r = c.post(url, data | {"photo": SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")},
               headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 422 and ui("Photo of the evidence") in r.content.decode()
    assert not RiskSignal.objects.exists()
    folder = settings.MEDIA_ROOT / "receivables" / "signals"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))

    r = c.post(url, data | {"photo": a_photo()})
    assert r.status_code == 302
    signal = RiskSignal.objects.get()
    on_disk = (settings.MEDIA_ROOT / signal.photo.name).read_bytes()
    assert not on_disk.startswith(b"\xff\xd8") and b"PNG" not in on_disk[:16]  # encrypted at rest
    photo_url = reverse("receivables:risk_signal_photo", args=[signal.pk])
    page = c.get(reverse("receivables:detail", args=[account.pk])).content.decode()
    assert photo_url in page
    r = c.get(photo_url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert b"".join(r.streaming_content).startswith(b"\xff\xd8")  # re-encoded as JPEG
    assert client_as(org.manager_a).get(photo_url).status_code == 200
    assert client_as(org.sales_b1).get(photo_url).status_code == 404  # another region's salesperson
    assert client_as(other.admin).get(photo_url).status_code == 404  # another company
    assert client_as(org.service).get(photo_url).status_code == 404


def test_the_api_takes_a_signal_with_its_photo(org, api_as):
    account = late_account(org.cust_a1, days_late=40)
    api = api_as(org.sales_a1)
    url = f"/api/receivables/accounts/{account.pk}/risk/signals/with-photo"
    fields = {"kind": "machine_moved", "observed_on": TODAY.isoformat(), "evidence": "设备拉去外省，无项目"}
    r = api.client.post(url, fields | {"photo": a_photo("big.png", (10, 10))}, headers=api.headers)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "machine_moved" and body["photo_url"].endswith(f"/{body['id']}/photo")
    r = api.get(body["photo_url"])
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"\xff\xd8")
    assert api_as(org.sales_b1).get(body["photo_url"]).status_code == 404
    r = api.client.post(
        url, fields | {"photo": SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")}, headers=api.headers
    )
    assert r.status_code == 422 and "photo" in r.json()["error"]["fields"]
    assert RiskSignal.objects.count() == 1


# ---------------------------------------------------------------------------------------------- API
def test_the_api_records_signals_and_escalates_with_the_same_rules(org, api_as):
    account = late_account(org.cust_a1)
    api = api_as(org.sales_a1)
    r = api.post(f"/api/receivables/accounts/{account.pk}/risk/signals",
                 {"kind": "machine_moved", "observed_on": TODAY.isoformat(), "evidence": "设备转场到外省"})  # fmt: skip
    assert r.status_code == 201 and r.json()["kind"] == "machine_moved"
    r = api.get(f"/api/receivables/accounts/{account.pk}/risk")
    body = r.json()
    assert body["risk_score"] == 35 and {x["code"] for x in body["reasons"]} == {"machine_moved", "dpd_1_30"}
    assert all(x["label"] for x in body["reasons"])
    r = api.post(f"/api/receivables/accounts/{account.pk}/escalations", {"stage": "reminder"})
    assert r.status_code == 422 and "arrears_type" in r.json()["error"]["fields"]
    r = api.post(f"/api/receivables/accounts/{account.pk}/arrears-type",
                 {"arrears_type": "deliberate", "cause_note": "有钱不还"})  # fmt: skip
    assert r.status_code == 200 and r.json()["playbook"]
    assert api.post(f"/api/receivables/accounts/{account.pk}/escalations", {"stage": "reminder"}).status_code == 201
    r = api.post(f"/api/receivables/accounts/{account.pk}/escalations", {"stage": "repossession", "evidence": "x"})
    assert r.status_code == 422 and "stage" in r.json()["error"]["fields"]
    assert api_as(org.sales_b1).get(f"/api/receivables/accounts/{account.pk}/risk").status_code == 404
    r = api_as(org.manager_a).get("/api/receivables/watch")
    assert r.status_code == 200 and r.json()["count"] == 1


def test_the_api_lock_apply_refuses_a_running_engine(org, api_as):
    step = _approved_lock(org)
    services.escalation_notice(actor=org.sales_a1, step=step, sent_on=TODAY, channel="letter", text="锁机预告函")
    api = api_as(org.manager_a)
    r = api.post(f"/api/receivables/escalations/{step.pk}/lock-apply", {"engine_running": True})
    assert r.status_code == 422 and "engine_running" in r.json()["error"]["fields"]
    r = api.post(f"/api/receivables/escalations/{step.pk}/lock-apply", {"engine_running": False})
    assert r.status_code == 200 and r.json()["lock"]["state"] == "applied"
    assert r.json()["lock"]["until"] == (TODAY + dt.timedelta(days=15)).isoformat()


def test_the_api_settlement_decision_and_settings(org, api_as):
    account = late_account(org.cust_a1)
    r = api_as(org.sales_a1).post(f"/api/receivables/accounts/{account.pk}/settlements",
                                  {"kind": "goods", "amount_fen": 10_000, "evidence": "旧机抵债"})  # fmt: skip
    assert r.status_code == 422 and "valuation_fen" in r.json()["error"]["fields"]
    r = api_as(org.sales_a1).post(f"/api/receivables/accounts/{account.pk}/settlements",
                                  {"kind": "goods", "amount_fen": 10_000, "valuation_fen": 12_000,
                                   "valued_by": "评估公司", "evidence": "评估报告"})  # fmt: skip
    assert r.status_code == 201
    pending = api_as(org.finance).get("/api/receivables/approvals").json()
    assert [s["id"] for s in pending["settlements"]] == [r.json()["id"]]
    r = api_as(org.finance).post(f"/api/receivables/settlements/{r.json()['id']}/decide", {"approve": True})
    assert r.status_code == 200 and r.json()["payment"]
    assert Payment.objects.get(pk=r.json()["payment"]).method == "goods"
    assert api_as(org.manager_a).put("/api/receivables/risk-settings", {"thresholds": [1, 2, 3]}).status_code == 403
    r = api_as(org.admin).put("/api/receivables/risk-settings", {"thresholds": [10, 5, 60]})
    assert r.status_code == 422 and "thresholds" in r.json()["error"]["fields"]
    ladder = api_as(org.sales_a1).get("/api/receivables/escalation-stages").json()
    assert [s["code"] for s in ladder][:6] == ["reminder", "visit", "manager_guarantor", "machine_lock",
                                               "repossession", "legal_action"]  # fmt: skip
    assert [s["legal_review_required"] for s in ladder][-2:] == [True, True]
    stage_data = {"name": "锁机", "order": 40, "needs_approval": False, "needs_notice": True,
                  "legal_review_required": False}  # fmt: skip
    r = api_as(org.admin).put("/api/receivables/escalation-stages/machine_lock", stage_data)
    assert r.status_code == 422 and "needs_approval" in r.json()["error"]["fields"]
    assert api_as(org.manager_a).put("/api/receivables/escalation-stages/machine_lock", stage_data).status_code == 403
