"""Demo data of risk: the ladder, signals and arrears causes on the most overdue accounts, one lock
request awaiting a manager, one approved visit, one third-party payment awaiting finance; every
account scored."""

from __future__ import annotations

import datetime as dt

from core.models import Role, User

from ..models import ReceivableAccount
from ..selectors import with_ageing
from . import services
from .models import EscalationStage

CASES = [
    # arrears type, cause, signals (kind, days ago, evidence)
    (
        "cash_flow",
        "客户在高速项目上的工程款被总包拖欠两个月，资金周转困难，表示项目结算后即还款。",
        [
            ("project_stuck", 12, "客户出示总包付款通知，结算延期到下月底。"),
            ("wages_late", 5, "机手反映上月工资未发。"),
        ],
    ),
    (
        "poor_business",
        "今年土方活少，设备大部分时间停放在院内，经营入不敷出。",
        [
            ("low_utilisation", 9, "回访时设备停在院内，小时表一个月只走了30小时。"),
            ("business_failing", 20, "客户把另一台旧挖机转卖给同行。"),
        ],
    ),
    (
        "deliberate",
        "客户有活有收入，但多次承诺不兑现，以各种理由推脱。",
        [
            ("machine_moved", 3, "设备从项目地转移到外省，无在建项目。"),
            ("tracker_removed", 2, "GPS最后定位后失联，服务工程师现场确认定位器被拆。"),
        ],
    ),
    (
        "dispute",
        "客户认为交车时属具与合同配置不符，要求先解决再付款。",
        [("service_dispute", 15, "客户投诉破碎锤管路未按合同配置安装。")],
    ),
    (
        "accident",
        "机手施工中受伤住院，客户忙于处理赔偿。",
        [("family_crisis", 25, "客户家属来电说明事故情况。")],
    ),
]


def _staff(account) -> User | None:
    return (
        account.salesperson
        or User.objects.filter(company_id=account.company_id, user_roles__role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .first()
    )


def seed(company, *, rng, today) -> dict[str, int]:
    services.stages_seed(company_id=company.pk)
    stages = {s.code: s for s in EscalationStage.objects.filter(company=company)}
    overdue = list(
        with_ageing(ReceivableAccount.objects.filter(company=company, status=ReceivableAccount.Status.OPEN), today)
        .filter(days_past_due__gt=0)
        .select_related("customer", "salesperson")
        .order_by("-days_past_due", "pk")[: len(CASES) + 2]
    )
    counts = {"risk_signals": 0, "escalation_steps": 0, "settlement_requests": 0}
    for account, (arrears, cause, signals) in zip(overdue, CASES, strict=False):
        actor = _staff(account)
        if actor is None:
            continue
        if account.first_late_on is None:
            account.first_late_on = today - dt.timedelta(days=account.days_past_due)
            account.save(update_fields=["first_late_on"])
        for kind, ago, evidence in signals:
            services.signal_record(
                actor=actor,
                account=account,
                kind=kind,
                observed_on=today - dt.timedelta(days=ago),
                evidence=evidence,
            )
            counts["risk_signals"] += 1
        services.arrears_type_set(actor=actor, account=account, arrears_type=arrears, cause_note=cause)
    # the deliberate defaulter: reminder and visit done, a lock awaiting the manager (the contract allows it)
    if len(overdue) >= 3:
        account = overdue[2]
        actor = _staff(account)
        ReceivableAccount.objects.filter(pk=account.pk).update(lock_allowed=True)
        account.lock_allowed = True
        for code, note in (("reminder", "电话和短信提醒三次。"), ("visit", "上门两次，客户避而不见。")):
            step = services.escalation_request(actor=actor, account=account, stage=stages[code], evidence=note)
            services.escalation_done(actor=actor, step=step, note=note)
            counts["escalation_steps"] += 1
        # the manager-and-guarantor stage skipped with a manager's note? no: done properly first
        manager = User.objects.filter(
            company=company, user_roles__role=Role.MANAGER, regions=account.region_id, is_active=True
        ).first()
        if manager is not None:
            step = services.escalation_request(
                actor=manager,
                account=account,
                stage=stages["manager_guarantor"],
                evidence="客户失联，需要经理出面联系担保人。",
                notice_sent_on=today - dt.timedelta(days=6),
                notice_channel="letter",
                notice_text="书面催款函：请于七日内偿还逾期款项，否则将采取锁机等措施。",
            )
            admin = User.objects.filter(company=company, user_roles__role=Role.ADMIN, is_active=True).first()
            services.escalation_decide(actor=admin, step=step, approve=True, note="同意。")
            services.escalation_done(actor=manager, step=step, note="担保人表示会督促，但客户仍未还款。")
            counts["escalation_steps"] += 1
            services.escalation_request(
                actor=actor,
                account=account,
                stage=stages["machine_lock"],
                evidence="设备已转移外省且GPS被拆，三次承诺未兑现，担保人督促无效。",
                lock_days=10,
                notice_sent_on=today - dt.timedelta(days=1),
                notice_channel="letter",
                notice_text="锁机预告函：如三日内仍未还款，设备将在下次启动时锁定。",
            )
            counts["escalation_steps"] += 1
    # an approved visit on the cash-flow account
    if overdue:
        account = overdue[0]
        actor = _staff(account)
        step = services.escalation_request(actor=actor, account=account, stage=stages["reminder"], evidence="")
        services.escalation_done(actor=actor, step=step, note="已短信提醒，客户称下月初结算。")
        services.escalation_request(
            actor=actor, account=account, stage=stages["visit"], evidence="按客户结算日上门，带上对账单。"
        )
        counts["escalation_steps"] += 2
    # a third-party payment awaiting finance (the customer's main contractor pays part of the debt)
    if overdue:
        account = overdue[0]
        services.settlement_request(
            actor=_staff(account),
            account=account,
            kind="third_party",
            amount_fen=5_000_000,
            counterparty="山东路桥集团第三工程处",
            evidence="总包出具的代付确认函（扫描件已存档），代付本月工程款中的5万元。",
        )
        counts["settlement_requests"] += 1
    counts["risk_scored"] = services.risk_sweep(company_id=company.pk, today=today)
    return counts
