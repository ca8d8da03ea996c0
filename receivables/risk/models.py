"""Models of risk (风险预警), arrears types (欠款类型), the escalation ladder (升级催收) and the three
traps (三个陷阱); imported by receivables/models.py (``__all__`` lists them).

Signals, steps and settlement requests are never deleted: a signal is withdrawn with a reason, a
step or a request is rejected or cancelled. Every row is audited (core.audit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company
from core.sensitive import encrypted_storage

from . import rules

__all__ = [
    "ArrearsPlaybook",
    "ArrearsRecord",
    "EscalationStage",
    "EscalationStep",
    "RiskAssessment",
    "RiskSettings",
    "RiskSignal",
    "SettlementRequest",
]


class RiskSettings(models.Model):
    """The company's risk weights (0–100 per input) and level thresholds; the machine lock's limits."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"))
    weights = models.JSONField(_("weights of the risk inputs"), default=dict, blank=True)
    threshold_low = models.PositiveSmallIntegerField(_("low risk from score"), default=rules.DEFAULT_THRESHOLDS[0])
    threshold_watch = models.PositiveSmallIntegerField(_("watch list from score"), default=rules.DEFAULT_THRESHOLDS[1])
    threshold_high = models.PositiveSmallIntegerField(_("high risk from score"), default=rules.DEFAULT_THRESHOLDS[2])
    lock_max_days = models.PositiveSmallIntegerField(_("longest machine lock (days)"), default=15)
    lock_review_days = models.PositiveSmallIntegerField(_("review a lock after (days)"), default=7)

    class Meta:
        verbose_name = _("risk settings (风险设置)")
        verbose_name_plural = _("risk settings (风险设置)")

    def __str__(self) -> str:
        return str(self.company)

    @property
    def effective_weights(self) -> dict[str, int]:
        return {**rules.DEFAULT_WEIGHTS, **{k: v for k, v in (self.weights or {}).items() if k in rules.CODES}}

    @property
    def thresholds(self) -> tuple[int, int, int]:
        return (self.threshold_low, self.threshold_watch, self.threshold_high)


class RiskSignal(models.Model):
    """A risk signal (风险信号) seen by staff, with its evidence. Withdrawn, never deleted."""

    class Kind(models.TextChoices):
        WAGES_LATE = rules.WAGES_LATE, _("wages withheld or late (拖欠工资)")
        LOW_UTILISATION = rules.LOW_UTILISATION, _("low machine utilisation (设备开工率低)")
        SERVICE_DISPUTE = rules.SERVICE_DISPUTE, _("service dispute with us (服务纠纷)")
        PROJECT_STUCK = rules.PROJECT_PAYMENTS_STUCK, _("the customer's project payments stuck (工程款被拖欠)")
        PARTNERS_CONFLICT = rules.PARTNERS_CONFLICT, _("partners in conflict (合伙人矛盾)")
        BUSINESS_FAILING = rules.BUSINESS_FAILING, _("business failing (经营恶化)")
        FAMILY_CRISIS = rules.FAMILY_CRISIS, _("family crisis (家庭变故)")
        MACHINE_MOVED = rules.MACHINE_MOVED, _("machine moved without a project (设备无项目转移)")
        TRACKER_REMOVED = rules.TRACKER_REMOVED, _("GPS tracker removed (GPS被拆除)")
        TRACKER_OFFLINE = rules.TRACKER_OFFLINE, _("GPS tracker offline (GPS离线)")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="risk_signals",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("signal"), max_length=20, choices=Kind.choices)
    observed_on = models.DateField(_("observed on"))
    evidence = models.TextField(_("evidence"))
    photo = models.FileField(  # a JPEG re-encoded without metadata, encrypted at rest
        _("photo of the evidence (证据照片)"),
        upload_to="receivables/signals/%Y/%m/",
        blank=True,
        storage=encrypted_storage,
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("recorded at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_reason = models.TextField(_("why withdrawn"), blank=True)

    class Meta:
        verbose_name = _("risk signal (风险信号)")
        verbose_name_plural = _("risk signals (风险信号)")
        ordering = ["-observed_on", "-id"]
        indexes = [models.Index(fields=["account", "withdrawn_at"], name="risksignal_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind}"


class RiskAssessment(models.Model):
    """The account's last computed score with its reasons (code, weight, evidence), for the watch list
    and the account page; account.risk_score/risk_level hold the same score and level."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.OneToOneField(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="risk_assessment",
        verbose_name=_("account"),
    )
    score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    level = models.CharField(_("risk level"), max_length=10, default=rules.NONE)
    reasons = models.JSONField(_("reasons"), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("risk assessment (风险评估)")
        verbose_name_plural = _("risk assessments (风险评估)")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score}"


class ArrearsRecord(models.Model):
    """The arrears type (欠款类型) recorded for an account with the cause, before any escalation."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="arrears_records",
        verbose_name=_("account"),
    )
    arrears_type = models.CharField(_("arrears type (欠款类型)"), max_length=16)
    cause_note = models.TextField(_("cause of the arrears"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("arrears cause (欠款原因)")
        verbose_name_plural = _("arrears causes (欠款原因)")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.arrears_type}"


class ArrearsPlaybook(models.Model):
    """The company's counter-measures (控制对策) for one arrears type; defaults from the deck."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"))
    arrears_type = models.CharField(_("arrears type (欠款类型)"), max_length=16)
    counter_measures = models.TextField(_("counter-measures (控制对策)"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("arrears playbook (欠款对策)")
        verbose_name_plural = _("arrears playbooks (欠款对策)")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "arrears_type"], name="playbook_unique_type")]

    def __str__(self) -> str:
        return self.arrears_type


class EscalationStage(models.Model):
    """A stage of the company's escalation ladder (升级阶梯)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"))
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"))
    needs_approval = models.BooleanField(_("needs a manager's approval"), default=True)
    needs_notice = models.BooleanField(_("needs a recorded notice to the customer"), default=True)
    legal_review = models.BooleanField(_("legal review required (需法务审核)"), default=False)
    is_lock = models.BooleanField(_("machine lock"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation stage (升级阶段)")
        verbose_name_plural = _("escalation stages (升级阶段)")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="stage_unique_code")]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One step up the ladder for an account: requested, approved (or not needed) or rejected, then
    done once its notice is recorded. A lock step carries the lock's state."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    class Channel(models.TextChoices):
        LETTER = "letter", _("written letter (书面函件)")
        LAWYER = "lawyer", _("lawyer's letter (律师函)")
        IN_PERSON = "in_person", _("in person")
        PHONE = "phone", _("phone")
        SMS = "sms", _("text message")
        WECHAT = "wechat", _("WeChat")

    class Lock(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled for the next engine start")
        APPLIED = "applied", _("applied")
        LIFTED = "lifted", _("lifted")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="escalation_steps",
        verbose_name=_("account"),
    )
    stage = models.ForeignKey(EscalationStage, on_delete=models.PROTECT, related_name="+", verbose_name=_("stage"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    at = models.DateTimeField(_("requested at"))
    evidence = models.TextField(_("evidence"), blank=True)
    skip_reason = models.TextField(_("why a stage is skipped"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    notice_sent_on = models.DateField(_("notice sent on"), null=True, blank=True)
    notice_channel = models.CharField(_("notice channel"), max_length=10, choices=Channel.choices, blank=True)
    notice_text = models.TextField(_("notice to the customer"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("outcome"), blank=True)
    lock_days = models.PositiveSmallIntegerField(_("lock for (days)"), null=True, blank=True)
    lock_state = models.CharField(_("lock state"), max_length=10, choices=Lock.choices, blank=True)
    lock_applied_at = models.DateTimeField(_("lock applied at"), null=True, blank=True)
    lock_until = models.DateField(_("lock ends on"), null=True, blank=True)
    lock_review_on = models.DateField(_("lock review on"), null=True, blank=True)
    lock_lifted_at = models.DateTimeField(_("lock lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation step (升级步骤)")
        verbose_name_plural = _("escalation steps (升级步骤)")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["company", "status"], name="escstep_status_idx"),
            models.Index(fields=["account", "status"], name="escstep_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_note=""), name="escstep_rejection_has_note"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.stage_id} {self.status}"

    @property
    def written_notice(self) -> bool:
        return bool(self.notice_sent_on and self.notice_text and self.notice_channel in WRITTEN_CHANNELS)

    @property
    def notice_recorded(self) -> bool:
        return bool(self.notice_sent_on and self.notice_text and self.notice_channel)


WRITTEN_CHANNELS = (EscalationStep.Channel.LETTER, EscalationStep.Channel.LAWYER)


class SettlementRequest(models.Model):
    """A waiver, discount, settlement document, third-party payment, offset (三角债) or settlement
    in goods (以物抵债): the three traps of the deck, each decided by finance (or an administrator)."""

    class Kind(models.TextChoices):
        WAIVER = rules.WAIVER, _("waiver (减免)")
        DISCOUNT = rules.DISCOUNT, _("discount (折扣)")
        SETTLEMENT_DOCUMENT = rules.SETTLEMENT_DOCUMENT, _("settlement agreement (和解协议)")
        THIRD_PARTY = rules.THIRD_PARTY, _("payment by a third party (第三方代付)")
        OFFSET = rules.OFFSET, _("offset against another debt (三角债抵销)")
        GOODS = rules.GOODS, _("settlement in goods (以物抵债)")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        related_name="settlement_requests",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    counterparty = models.CharField(_("payer or counterparty"), max_length=100, blank=True)
    valuation_fen = models.PositiveBigIntegerField(_("valuation of the goods (fen)"), null=True, blank=True)
    valued_by = models.CharField(_("valued by"), max_length=100, blank=True)
    evidence = models.TextField(_("evidence"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    payment = models.OneToOneField(
        "receivables.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement_request",
        verbose_name=_("payment posted"),
    )

    class Meta:
        verbose_name = _("settlement request (和解/抵债申请)")
        verbose_name_plural = _("settlement requests (和解/抵债申请)")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "status"], name="settlement_status_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="settlement_amount_positive")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.amount_fen}"


for _model in (
    RiskSettings,
    RiskSignal,
    RiskAssessment,
    ArrearsRecord,
    ArrearsPlaybook,
    EscalationStage,
    EscalationStep,
    SettlementRequest,
):
    audited(_model)
