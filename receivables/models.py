"""Receivables (债权管理), SPEC §7: the receivable account (应收账户) of each financed contract, its
instalments (期次), the payments received (回款) and how each was allocated (分配) to instalments.

Payments and allocations are never edited or deleted: a mistake is undone by a reversal (冲正), a new
payment row of kind ``reversal`` whose allocations are the negatives of the reversed payment's.
``Instalment.paid_fen`` and ``ReceivableAccount.credit_fen`` are kept by the services in the same
transaction as the allocations; ``manage.py reconcile_receivables`` checks they agree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company

from . import rules


class ReceivableAccount(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SETTLED = "settled", _("settled")
        WRITTEN_OFF = "written_off", _("written off")

    class Source(models.TextChoices):
        CONTRACT = "contract", _("contract")
        IMPORT = "import", _("import")

    class AllocationOrder(models.TextChoices):
        OLDEST_FIRST = rules.OLDEST_FIRST, _("oldest instalment first")
        NEWEST_FIRST = rules.NEWEST_FIRST, _("newest instalment first")
        DUE_SOONEST = rules.DUE_SOONEST, _("instalment nearest the payment date first")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="receivable_accounts", verbose_name=_("customer")
    )
    contract = models.OneToOneField(
        "orders.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receivable_account",
        verbose_name=_("contract"),
    )
    contract_number = models.CharField(_("contract number"), max_length=30)
    product = models.CharField(_("machine"), max_length=120, blank=True)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("salesperson"),
    )
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    policy_name = models.CharField(_("commercial policy"), max_length=100, blank=True)
    principal_fen = models.PositiveBigIntegerField(_("principal (fen)"))
    start_on = models.DateField(_("start date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    allocation_order = models.CharField(
        _("allocation order"), max_length=16, choices=AllocationOrder.choices, default=AllocationOrder.OLDEST_FIRST
    )
    credit_fen = models.PositiveBigIntegerField(_("unallocated credit (fen)"), default=0)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.CONTRACT)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("receivable account (应收账户)")
        verbose_name_plural = _("receivable accounts (应收账户)")
        ordering = ["-start_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "contract_number"], name="receivable_unique_contract_number")
        ]
        indexes = [
            models.Index(fields=["company", "status", "-start_on"], name="receivable_status_idx"),
            models.Index(fields=["company", "region", "status"], name="receivable_region_idx"),
            models.Index(fields=["company", "salesperson", "status"], name="receivable_sales_idx"),
        ]

    def __str__(self) -> str:
        return self.contract_number


class Instalment(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        ReceivableAccount, on_delete=models.PROTECT, related_name="instalments", verbose_name=_("account")
    )
    n = models.PositiveSmallIntegerField(_("instalment number"))
    due_on = models.DateField(_("due on"))
    principal_fen = models.PositiveBigIntegerField(_("principal (fen)"), default=0)
    interest_fen = models.PositiveBigIntegerField(_("interest (fen)"), default=0)
    fee_fen = models.PositiveBigIntegerField(_("fee (fen)"), default=0)
    amount_fen = models.PositiveBigIntegerField(_("amount due (fen)"))
    paid_fen = models.PositiveBigIntegerField(_("paid (fen)"), default=0)

    class Meta:
        verbose_name = _("instalment (期次)")
        verbose_name_plural = _("instalments (期次)")
        ordering = ["account", "n"]
        constraints = [
            models.UniqueConstraint(fields=["account", "n"], name="instalment_unique_n"),
            models.CheckConstraint(condition=Q(paid_fen__lte=F("amount_fen")), name="instalment_paid_lte_amount"),
        ]
        indexes = [models.Index(fields=["account", "due_on"], name="instalment_due_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.n}"

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen


class Payment(models.Model):
    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REVERSAL = "reversal", _("reversal")

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        TRANSFER = "transfer", _("bank transfer")
        THIRD_PARTY = "third_party", _("paid by a third party")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        ReceivableAccount, on_delete=models.PROTECT, related_name="payments", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    credit_fen = models.PositiveBigIntegerField(_("left as credit (fen)"), default=0)
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("payment method"), max_length=12, choices=Method.choices)
    payer_name = models.CharField(_("payer"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("payment (回款)")
        verbose_name_plural = _("payments (回款)")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "idempotency_key"], name="payment_unique_idempotency_key"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="payment", reverses__isnull=True) | Q(kind="reversal", reverses__isnull=False),
                name="payment_reversal_points_back",
            ),
        ]
        indexes = [models.Index(fields=["account", "received_on"], name="payment_account_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"

    @property
    def signed_fen(self) -> int:
        return self.amount_fen if self.kind == self.Kind.PAYMENT else -self.amount_fen


class Allocation(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    instalment = models.ForeignKey(
        Instalment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("instalment")
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # negative for a reversal

    class Meta:
        verbose_name = _("allocation (回款分配)")
        verbose_name_plural = _("allocations (回款分配)")
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.instalment_id}: {self.amount_fen}"


for _model in (ReceivableAccount, Instalment, Payment, Allocation):
    audited(_model)
