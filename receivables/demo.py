"""Demo data of receivables (债权管理): an account for every demo contract handed to receivables
(the delivered machines of the orders demo), and about 30 imported-style accounts (source
``import``) for the demo customers with instalments over the past two years — some paid up, some
partly paid, some overdue in every ageing bucket, a few settled. Payments go through the services
(allocated, idempotent keys), recorded by the company's administrator."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from core.models import Role, User
from customers.models import Customer
from policies.finance import add_months

from . import services
from .models import Instalment, Payment, ReceivableAccount

IMPORTED = 30
TERMS = (12, 18, 24, 36)
PRINCIPALS = (18_000_000, 26_000_000, 36_800_000, 52_000_000, 88_000_000)  # fen
# how many days behind each imported account is: current, 1-30, 31-60, 61-90, 90+ and settled
BEHIND = (0, 0, 0, 18, 25, 45, 52, 75, 84, 130, 220, -1)


def _pay(actor, account, instalment, fen, day, rng, n):
    services.payment_record(
        actor=actor,
        account=account,
        amount_fen=fen,
        received_on=day,
        method=rng.choice([Payment.Method.TRANSFER, Payment.Method.TRANSFER, Payment.Method.CASH]),
        idempotency_key=f"demo-{account.contract_number}-{n}",
    )


def _pay_up_to(actor, account, cutoff: dt.date, today: dt.date, rng, *, partial_next: bool) -> None:
    """Pay each instalment due before ``cutoff`` on or near its due date; optionally half the next."""
    n = 0
    for inst in Instalment.objects.filter(account=account).order_by("n"):
        if inst.due_on >= cutoff:
            if partial_next and inst.due_on <= today:
                n += 1
                _pay(actor, account, inst, inst.amount_fen // 2, min(inst.due_on, today), rng, n)
            break
        n += 1
        day = min(today, inst.due_on + dt.timedelta(days=rng.randint(-3, 6)))
        _pay(actor, account, inst, inst.amount_fen, day, rng, n)


def seed_receivables(company, *, rng: random.Random, today: dt.date | None = None) -> dict[str, int]:
    """The demo ledger and the parts' demo data; the risk is scored once at the end (the risk part's
    demo sweeps every account) rather than after each of the hundreds of demo payments."""
    from .risk.receivers import paused

    with paused():
        return _seed(company, rng=rng, today=today or timezone.localdate())


def _seed(company, *, rng: random.Random, today: dt.date) -> dict[str, int]:
    actor = User.objects.filter(company=company, user_roles__role=Role.ADMIN, is_active=True).order_by("pk").first()
    counts = {"from_contracts": services.take_handed_contracts(company), "imported": 0}
    if actor is None:
        return counts
    # the delivered machines' accounts: the instalments already due are paid, one in four late
    for account in ReceivableAccount.objects.filter(company=company, source=ReceivableAccount.Source.CONTRACT):
        behind = rng.choice([0, 0, 0, 40])
        _pay_up_to(actor, account, today - dt.timedelta(days=behind), today, rng, partial_next=False)
    customers = list(Customer.objects.filter(company=company, owner__isnull=False, in_pool=False).order_by("pk")[:400])
    if not customers:
        return counts
    now = timezone.now()
    for k in range(IMPORTED):
        customer = rng.choice(customers)
        months = rng.choice(TERMS)
        principal = rng.choice(PRINCIPALS)
        start = today - dt.timedelta(days=rng.randint(90, 730))
        financed = principal * 7 // 10
        account = ReceivableAccount.objects.create(
            company=company,
            customer=customer,
            contract_number=f"DR{start:%Y}{k + 1:05d}",
            product=rng.choice(["HY65-9", "HY75-9", "HY135-9", "HY215-9"]),
            salesperson_id=customer.owner_id,
            region_id=customer.region_id,
            policy_name=rng.choice(["厂家贴息分期", "银行按揭", "融资租赁"]),
            principal_fen=financed,
            start_on=start,
            source=ReceivableAccount.Source.IMPORT,
            created_at=now,
        )
        base, rest = divmod(financed, months)
        interest = financed * 4 // 100 // months
        Instalment.objects.bulk_create(
            [
                Instalment(
                    company=company,
                    account=account,
                    n=n,
                    due_on=add_months(start, n),
                    principal_fen=base + (rest if n == months else 0),
                    interest_fen=interest,
                    amount_fen=base + (rest if n == months else 0) + interest,
                )
                for n in range(1, months + 1)
            ]
        )
        behind = BEHIND[k % len(BEHIND)]
        if behind < 0:  # settled early: everything paid, a little over left as credit
            total = sum(Instalment.objects.filter(account=account).values_list("amount_fen", flat=True))
            services.payment_record(
                actor=actor,
                account=account,
                amount_fen=total + 50_000,
                received_on=min(today, start + dt.timedelta(days=60)),
                method=Payment.Method.TRANSFER,
                idempotency_key=f"demo-{account.contract_number}-all",
            )
        else:
            _pay_up_to(actor, account, today - dt.timedelta(days=behind), today, rng, partial_next=bool(k % 3 == 0))
        counts["imported"] += 1
    from importlib import import_module

    from .parts import PARTS

    for part in PARTS:  # the parts of collection seed on top of the ledger (receivables/parts.py)
        counts.update(import_module(f"receivables.{part}.demo").seed(company, rng=rng, today=today))
    return counts
