"""``manage.py reconcile_receivables [--company ID]``: check the receivables ledger adds up.

For every account: the payments received minus the reversals == the allocations + the account's
credit. For every payment: its allocations + its credit share == its amount (negated for a
reversal). For every instalment: ``paid_fen`` == the sum of its allocations and
0 ≤ ``paid_fen`` ≤ ``amount_fen``. Each difference is printed; the exit code is 1 when there is any.
All sums are SQL aggregates (a fixed number of queries whatever the number of accounts).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import BigIntegerField, Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from receivables.models import Allocation, Instalment, Payment, ReceivableAccount


def _sum(qs, field="amount_fen"):
    rows = qs.order_by().values("k").annotate(s=Sum(field)).values("s")
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


def differences(company_id: int | None = None) -> list[str]:
    out: list[str] = []
    accounts = ReceivableAccount.objects.all()
    payments = Payment.objects.all()
    instalments = Instalment.objects.all()
    if company_id:
        accounts = accounts.filter(company_id=company_id)
        payments = payments.filter(company_id=company_id)
        instalments = instalments.filter(company_id=company_id)
    signed = Case(
        When(kind=Payment.Kind.PAYMENT, then=F("amount_fen")), default=-F("amount_fen"), output_field=BigIntegerField()
    )
    accounts = accounts.annotate(
        received=_sum(Payment.objects.filter(account=OuterRef("pk")).annotate(k=F("account_id"), v=signed), "v"),
        allocated=_sum(Allocation.objects.filter(payment__account=OuterRef("pk")).annotate(k=F("payment__account_id"))),
    )
    for a in accounts.filter(~Q(received=F("allocated") + F("credit_fen"))).order_by("pk"):
        out.append(
            f"account {a.pk} ({a.contract_number}): payments − reversals = {a.received} fen, "
            f"allocations + credit = {a.allocated} + {a.credit_fen} = {a.allocated + a.credit_fen} fen"
        )
    payments = payments.annotate(
        allocated=_sum(Allocation.objects.filter(payment=OuterRef("pk")).annotate(k=F("payment_id"))), v=signed
    ).annotate(
        credit_signed=Case(
            When(kind=Payment.Kind.PAYMENT, then=F("credit_fen")),
            default=-F("credit_fen"),
            output_field=BigIntegerField(),
        )
    )
    for p in payments.filter(~Q(v=F("allocated") + F("credit_signed"))).order_by("pk"):
        out.append(
            f"payment {p.pk} (account {p.account_id}, {p.kind}): amount {p.v} fen, "
            f"allocations + credit = {p.allocated} + {p.credit_signed} fen"
        )
    instalments = instalments.annotate(
        allocated=_sum(Allocation.objects.filter(instalment=OuterRef("pk")).annotate(k=F("instalment_id")))
    )
    for i in instalments.filter(
        ~Q(paid_fen=F("allocated")) | Q(paid_fen__lt=0) | Q(paid_fen__gt=F("amount_fen"))
    ).order_by("account_id", "n"):
        out.append(
            f"instalment {i.pk} (account {i.account_id} #{i.n}): paid {i.paid_fen} fen, "
            f"allocations {i.allocated} fen, amount {i.amount_fen} fen"
        )
    return out


class Command(BaseCommand):
    help = "Check that payments, allocations, credits and instalments' paid amounts agree; exit 1 on any difference."

    def add_arguments(self, parser):
        parser.add_argument("--company", type=int, default=None, help="Only this company's accounts.")

    def handle(self, *args, company=None, **options):
        found = differences(company)
        for line in found:
            self.stdout.write(line)
        if found:  # manage.py exits with status 1
            raise CommandError(f"{len(found)} difference(s) in the receivables ledger.", returncode=1)
        self.stdout.write("The receivables ledger reconciles.")
