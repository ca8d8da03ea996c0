"""Demo data of collection (回款): the deck's techniques for the company; for the overdue demo
accounts a collection plan with 4 to 6 of the six questions answered, a 5W2H round ahead, two or
three actions with techniques and the customer's tactic, and promises to pay — some kept (a partial
payment came with its reason), some broken (the salesperson's to-do and the managers' notification
follow), one still open; one deliberate deduction for the managers to settle. Past promises are
written as rows (the service refuses a promise in the past); payments go through the ledger."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.models import Role, User

from .. import selectors as ledger
from .. import services as ledger_services
from ..models import Payment, PaymentPromise, ReceivableAccount
from .models import CollectionAction, CollectionPlan, CollectionPlanStep, CollectionTechnique, Tactic
from .services import promises_refresh, techniques_seed

NOTES = (
    "老板说工地回款还没到，月底前一定付。",
    "财务不在，让下周再来。",
    "客户说机器液压有点问题，想扣一部分钱。",
    "约好在工地见面，客户按时到场。",
    "电话无人接听，发了短信提醒。",
)
ACCEPTORS = ("机手王师傅", "项目经理李工", "老板本人")
PAYERS = ("老板{name}", "老板娘（管账）", "合伙人张总")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def seed(company, *, rng, today) -> dict[str, int]:
    counts = {"techniques": techniques_seed(company=company), "actions": 0, "promises": 0, "plans": 0}
    admin = User.objects.filter(company=company, user_roles__role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return counts
    techniques = list(CollectionTechnique.objects.filter(company=company, active=True))
    overdue = list(
        ledger.with_ageing(
            ReceivableAccount.objects.filter(company=company, status=ReceivableAccount.Status.OPEN).select_related(
                "customer", "salesperson"
            ),
            today,
        )
        .filter(days_past_due__gt=0)
        .order_by("-days_past_due", "pk")[:12]
    )
    now = timezone.now()
    for k, account in enumerate(overdue):
        who = account.salesperson or admin
        # the plan table: 4 to 6 of the six questions answered
        plan = CollectionPlan(
            company=company,
            account=account,
            item_name="小型挖掘机",
            item_spec=account.product,
            quantity=1,
            amount_fen=account.principal_fen,
            sold_on=account.start_on,
            acceptor=rng.choice(ACCEPTORS),
            acceptance_standard="按交车清单逐项验收，试机正常" if k % 3 else "",
            payment_method=account.policy_name or "分期",
            acceptance_method="交车仪式现场签字确认" if k % 2 else "",
            payer=rng.choice(PAYERS).format(name=account.customer.name[:1]),
            updated_by=who,
            updated_at=now,
        )
        plan.save()
        counts["plans"] += 1
        CollectionPlanStep.objects.create(
            company=company,
            account=account,
            n=1,
            what="收回逾期款并约定下次付款时间",
            who=str(who),
            planned_at=_at(today + dt.timedelta(days=1 + k % 3), 9),
            place=f"{account.customer.name}工地",
            how="提早上门，直切主题；不收礼不吃请",
            amount_fen=max(100, account.overdue),
            by=who,
            at=now,
        )
        start = max(account.start_on, today - dt.timedelta(days=20))
        for j in range(2 + k % 2):
            day = min(today - dt.timedelta(days=1), start + dt.timedelta(days=3 + 6 * j))
            action = CollectionAction.objects.create(
                company=company,
                account=account,
                kind=rng.choice(list(CollectionAction.Kind.values)),
                at=_at(day, rng.choice((9, 10, 14, 16))),
                on=day,
                by=who,
                tactic=rng.choice(["", *Tactic.values]),
                outcome=rng.choice([CollectionAction.Outcome.REFUSED, CollectionAction.Outcome.NO_CONTACT]),
                note=rng.choice(NOTES),
                recorded_at=now,
            )
            action.techniques.set(rng.sample(techniques, k=min(len(techniques), rng.randint(1, 3))))
            counts["actions"] += 1
        # the promise of the last visit: kept (4 in 12), broken (4 in 12), still open (the rest)
        case = k % 3
        made = today - dt.timedelta(days=6)
        promised = _at(today - dt.timedelta(days=2), 10) if case < 2 else _at(today + dt.timedelta(days=3), 10)
        amount = max(100_000, account.overdue // 2 // 10_000 * 10_000)  # half the overdue, in whole 100 yuan
        promise = PaymentPromise.objects.create(
            company=company, account=account, promised_at=promised, amount_fen=amount, by=who, at=_at(made, 15)
        )
        action = CollectionAction.objects.create(
            company=company,
            account=account,
            kind=CollectionAction.Kind.VISIT,
            at=_at(made, 15),
            on=made,
            by=who,
            tactic=Tactic.DRAG,
            outcome=CollectionAction.Outcome.PROMISE,
            note="客户承诺按约定时间付款，当场重复了日期、时间和金额。",
            promise=promise,
            recorded_at=now,
        )
        action.techniques.set([t for t in techniques if t.code in ("clear_terms", "go_early", "persist")])
        counts["actions"] += 1
        counts["promises"] += 1
        if case == 0:  # kept, with a partial payment that says why
            deduction = k % 2 == 1
            ledger_services.payment_record(
                actor=admin,
                account=account,
                amount_fen=amount,
                received_on=today - dt.timedelta(days=3),
                method=Payment.Method.TRANSFER,
                idempotency_key=f"demo-promise-{account.contract_number}",
                shortfall_reason=Payment.Shortfall.DEDUCTION if deduction else Payment.Shortfall.FINANCE,
                shortfall_note="说液压油管漏油，扣下维修费" if deduction else "工程款还没结算，先付一部分",
            )
        promises_refresh(account=account)  # a kept one is kept; a past one unpaid is broken
    return counts
