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


class RiskLevel(models.TextChoices):
    NONE = "none", _("no risk seen")
    LOW = "low", _("low risk")
    WATCH = "watch", _("watch list")
    HIGH = "high", _("high risk")


class ArrearsType(models.TextChoices):
    """The deck's six types of arrears (欠款类型), each with its counter-measures."""

    WEAK_EFFORT = "weak_effort", _("weak collection effort (催收不力)")
    DISPUTE = "dispute", _("contract dispute (合同纠纷)")
    POOR_BUSINESS = "poor_business", _("poor business (经营不善)")
    CASH_FLOW = "cash_flow", _("cash-flow shortage (资金周转困难)")
    DELIBERATE = "deliberate", _("deliberate default (恶意拖欠)")
    ACCIDENT = "accident", _("accident (意外事故)")


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
    # shared by the parts of collection (ops, collection, risk, kpis): see docs/architecture.md
    first_late_on = models.DateField(_("first late payment on (首次逾期)"), null=True, blank=True)
    pay_day = models.PositiveSmallIntegerField(
        _("customer's pay day (day of the month their project pays them)"), null=True, blank=True
    )
    lock_allowed = models.BooleanField(_("the contract allows a machine lock"), default=False)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.NONE)
    arrears_type = models.CharField(
        _("arrears type (欠款类型)"), max_length=16, choices=ArrearsType.choices, blank=True
    )

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
        OFFSET = "offset", _("offset against another debt (三角债抵销)")
        GOODS = "goods", _("settlement in goods (以物抵债)")

    class Shortfall(models.TextChoices):
        FINANCE = "finance", _("a finance problem on the customer's side")
        DEDUCTION = "deduction", _("a deliberate deduction")

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
    shortfall_reason = models.CharField(
        _("why only part was paid"), max_length=12, choices=Shortfall.choices, blank=True
    )
    shortfall_note = models.TextField(_("what the shortfall is for"), blank=True)
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


class PaymentPromise(models.Model):
    """A promise to pay (承诺还款): an exact date, time and amount, fixed at once when a due date is
    missed (SPEC §7 timing). Kept, partly kept or broken; a broken promise raises the risk."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        KEPT = "kept", _("kept")
        PARTLY = "partly", _("partly kept")
        BROKEN = "broken", _("broken")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        ReceivableAccount, on_delete=models.PROTECT, related_name="promises", verbose_name=_("account")
    )
    promised_at = models.DateTimeField(_("promised for (date and time)"))
    amount_fen = models.PositiveBigIntegerField(_("promised amount (fen)"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    paid_fen = models.PositiveBigIntegerField(_("paid against the promise (fen)"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("promise to pay (承诺还款)")
        verbose_name_plural = _("promises to pay (承诺还款)")
        ordering = ["-promised_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="promise_amount_positive")]
        indexes = [models.Index(fields=["account", "status"], name="promise_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.promised_at:%Y-%m-%d %H:%M} {self.amount_fen}"


for _model in (ReceivableAccount, Instalment, Payment, Allocation, PaymentPromise):
    audited(_model)

# The parts of collection keep their own models in their packages (see receivables/parts.py).
from .collection.models import *  # noqa: E402,F403
from .kpis.models import *  # noqa: E402,F403
from .ops.models import *  # noqa: E402,F403
from .risk.models import *  # noqa: E402,F403
