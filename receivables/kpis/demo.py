"""Demo data of this part: credit checks (资信调查) of the demo accounts' customers — one before the
contract for each, one during the term for about half (a caution where the account is behind), one
before a new sale for a few (some stale, one bad) — recorded through the service by the salesperson
or the region's finance, as a dealer would."""

from __future__ import annotations

import datetime as dt

from core.models import Role, User

from ..models import ReceivableAccount
from . import services
from .models import CreditCheck

S = CreditCheck.Source
GOOD_NOTES = ("", "征信无逾期，名下两台设备，口碑好", "工程款按月到账")
CAUTION_NOTES = (
    "征信有一次30天逾期，已结清",
    "项目回款慢，老板说下月结算",
    "合伙人之间有矛盾，需关注",
)
BAD_NOTES = ("法院失信被执行人名单有记录", "名下设备已被抵押，另有两笔欠款")


def seed(company, *, rng, today) -> dict[str, int]:
    actor = User.objects.filter(company=company, user_roles__role=Role.ADMIN, is_active=True).order_by("pk").first()
    if actor is None:
        return {"credit_checks": 0}
    finance = {
        region_id: user
        for user in User.objects.filter(company=company, user_roles__role=Role.FINANCE, is_active=True).order_by("-pk")
        for region_id in user.region_ids
    }
    n = 0
    seen: set[int] = set()
    accounts = ReceivableAccount.objects.filter(company=company).select_related("customer", "salesperson")
    for account in accounts.order_by("start_on", "pk"):
        customer = account.customer
        if customer.pk in seen:
            continue
        seen.add(customer.pk)
        by = account.salesperson or actor
        if not services_may(by, customer):
            by = actor
        before = account.start_on - dt.timedelta(days=rng.randint(3, 20))
        sources = [S.BANK_REPORT, S.COURT_LIST, S.LOCAL_REPUTATION]
        if rng.random() < 0.6:
            sources.append(S.MACHINES_OWNED)
        _record(by, customer, account, CreditCheck.Stage.BEFORE_CONTRACT, min(before, today), sources, "good", rng)
        n += 1
        late = account.first_late_on is not None or rng.random() < 0.3
        if rng.random() < 0.5 and account.start_on + dt.timedelta(days=60) < today:
            checker = finance.get(account.region_id, actor)
            day = min(today, account.start_on + dt.timedelta(days=rng.randint(60, 300)))
            result = "caution" if late else "good"
            _record(
                checker,
                customer,
                account,
                CreditCheck.Stage.DURING_TERM,
                day,
                [S.PROJECT_PAYMENTS, S.PREVIOUS_PAYMENTS, S.LOCAL_REPUTATION],
                result,
                rng,
            )
            n += 1
        if rng.random() < 0.25:
            result = rng.choice(["good", "good", "caution", "bad"])
            day = today - dt.timedelta(days=rng.choice([5, 20, 200, 400]))
            _record(
                by,
                customer,
                None,
                CreditCheck.Stage.BEFORE_NEW_SALE,
                day,
                [S.BANK_REPORT, S.COURT_LIST, S.PREVIOUS_PAYMENTS, S.GUARANTOR],
                result,
                rng,
            )
            n += 1
    return {"credit_checks": n}


def services_may(user, customer) -> bool:
    from .selectors import may_record_check

    return may_record_check(user, customer)


def _record(by, customer, account, stage, day, sources, result, rng) -> None:
    notes = {"good": GOOD_NOTES, "caution": CAUTION_NOTES, "bad": BAD_NOTES}[result]
    services.credit_check_record(
        actor=by,
        customer=customer,
        account=account,
        stage=stage,
        checked_on=day,
        sources=[str(s) for s in sources],
        result=result,
        note=rng.choice(notes),
    )
