"""Collection (回款), SPEC §7 and the collection deck: the collection plan table (回款计划统计分析表)
with the six questions asked before collecting and a 5W2H plan per round, the collection actions
(催收记录) with the techniques used and the customer's tactic met, and the configurable list of the
deck's 22 techniques and 8 tips. Promises to pay are ``receivables.PaymentPromise`` (shared)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company

__all__ = ["CollectionAction", "CollectionPlan", "CollectionPlanStep", "CollectionTechnique"]


class CollectionTechnique(models.Model):
    """One of the deck's 22 techniques (技巧) or 8 tips (招): a configurable list per company."""

    class Kind(models.TextChoices):
        TECHNIQUE = "technique", _("technique (技巧)")
        TIP = "tip", _("tip (招)")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TECHNIQUE)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("collection technique (回款技巧)")
        verbose_name_plural = _("collection techniques (回款技巧)")
        ordering = ["company", "kind", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="collection_technique_unique_code")]

    def __str__(self) -> str:
        return self.name


class CollectionPlan(models.Model):
    """The collection plan table (回款计划统计分析表) of an account: the six questions to answer
    before collecting (回款前的六个自问). Payment dates come from the account's instalments."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.OneToOneField(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="collection_plan",
        verbose_name=_("account"),
    )
    # 1. what was sold (交易项目): name, spec, quantity, amount, date
    item_name = models.CharField(_("item sold"), max_length=120, blank=True)
    item_spec = models.CharField(_("specification"), max_length=120, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"), null=True, blank=True)
    sold_on = models.DateField(_("date sold"), null=True, blank=True)
    # 2. who accepts it (验收人)
    acceptor = models.CharField(_("who accepts the machine (验收人)"), max_length=120, blank=True)
    # 3. the acceptance standard (验收标准)
    acceptance_standard = models.TextField(_("acceptance standard (验收标准)"), blank=True)
    # 4. payment method and dates (付款方式及日期): the method here, the dates are the instalments
    payment_method = models.CharField(_("payment method (付款方式)"), max_length=200, blank=True)
    # 5. the acceptance method (验收方式)
    acceptance_method = models.TextField(_("acceptance method (验收方式)"), blank=True)
    # 6. who is responsible for paying (付款责任人)
    payer = models.CharField(_("who is responsible for paying (付款责任人)"), max_length=120, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("collection plan (回款计划)")
        verbose_name_plural = _("collection plans (回款计划)")

    def __str__(self) -> str:
        return f"{self.account_id}"


class CollectionPlanStep(models.Model):
    """One round of collection planned with 5W2H: what and why, who goes, when, where, how, how much."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="collection_steps",
        verbose_name=_("account"),
    )
    n = models.PositiveSmallIntegerField(_("round"))
    what = models.CharField(_("what and why (目的)"), max_length=200)
    who = models.CharField(_("who goes (谁去)"), max_length=120)
    planned_at = models.DateTimeField(_("when (何时)"))
    place = models.CharField(_("where (何地)"), max_length=200)
    how = models.CharField(_("how (方法)"), max_length=300)
    amount_fen = models.PositiveBigIntegerField(_("how much (金额, fen)"))
    done = models.BooleanField(_("done"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("collection round (5W2H)")
        verbose_name_plural = _("collection rounds (5W2H)")
        ordering = ["account", "n"]
        constraints = [
            models.UniqueConstraint(fields=["account", "n"], name="collection_step_unique_n"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="collection_step_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.n}"


class Tactic(models.TextChoices):
    """The customer's evasion tactics (客户常用的欠款方法), the deck's 推拖拉骗压."""

    PUSH = "push", _("push (推)")
    DRAG = "drag", _("drag (拖)")
    PULL = "pull", _("pull (拉)")
    DECEIVE = "deceive", _("deceive (骗)")
    PRESS = "press", _("press (压)")


TACTIC_HELP = {
    Tactic.PUSH: _("Shifts you to someone else: the boss is away, finance is not in, ask the project."),
    Tactic.DRAG: _("Delays: next week, after the project pays, after the holiday."),
    Tactic.PULL: _("Pulls you close to soften you: meals, gifts, friendship, a new order."),
    Tactic.DECEIVE: _("Deceives: says it has paid, a cheque that bounces, a promise never meant."),
    Tactic.PRESS: _("Presses: complains about the machine or the service, threatens to stop buying."),
}


class CollectionAction(models.Model):
    """A collection action (催收记录): a visit, a call or a message, with the techniques used, the
    customer's tactic met, the outcome and, when the customer promised, the promise to pay."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("visit")
        CALL = "call", _("call")
        MESSAGE = "message", _("message")

    class Outcome(models.TextChoices):
        PAID = "paid", _("paid")
        PROMISE = "promise", _("promised to pay")
        REFUSED = "refused", _("refused")
        NO_CONTACT = "no_contact", _("no contact")
        DISPUTE = "dispute", _("dispute raised")
        OTHER = "other", _("other (see note)")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="collection_actions",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("when"))
    on = models.DateField(_("date"))  # the local date of ``at`` (the technique report compares dates)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    techniques = models.ManyToManyField(
        CollectionTechnique, blank=True, related_name="actions", verbose_name=_("techniques used")
    )
    tactic = models.CharField(_("customer's tactic (推拖拉骗压)"), max_length=10, choices=Tactic.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    promise = models.OneToOneField(
        "receivables.PaymentPromise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action",
        verbose_name=_("promise to pay (承诺还款)"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("collection action (催收记录)")
        verbose_name_plural = _("collection actions (催收记录)")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"], name="collection_action_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.on}"


for _model in (CollectionTechnique, CollectionPlan, CollectionPlanStep, CollectionAction):
    audited(_model)
