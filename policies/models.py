"""Commercial policies (商务政策), SPEC §4: the financing and promotion policies a dealer offers, what
a customer qualifies with (客户资质), the negotiation's guardrails (discount approval, value-added
compensation) and the numbered quotes (报价单) with every version kept.

The maths is plain Python in ``policies/finance.py`` (schedules, the disclosed APR) and
``policies/rules.py`` (parameters, preconditions, the benefit account 利益帐, the recommendation)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company

from . import finance


def _company_fk():
    return models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))


class Source(models.TextChoices):
    """Where the money comes from (分期来源), SPEC §4."""

    FULL_PAYMENT = "full_payment", _("full payment (全款)")
    BANK_LOAN = "bank_loan", _("bank loan (银行按揭)")
    MANUFACTURER_FINANCE = "manufacturer_finance", _("manufacturer financing (厂家融资)")
    MANUFACTURER_INSTALMENT = "manufacturer_instalment", _("manufacturer instalment plan (厂家分期)")
    DEALER = "dealer", _("dealer's own policy (经销商政策)")


class Method(models.TextChoices):
    NONE = "", _("no financing (全款)")
    EQUAL_INSTALMENT = finance.Method.EQUAL_INSTALMENT, _("equal instalment (等额本息)")
    EQUAL_PRINCIPAL = finance.Method.EQUAL_PRINCIPAL, _("equal principal (等额本金)")
    FLAT_FEE = finance.Method.FLAT_FEE, _("flat monthly fee (月费率)")
    ZERO_INTEREST = finance.Method.ZERO_INTEREST, _("zero interest (零利率分期)")


class GraceKind(models.TextChoices):
    INTEREST_ONLY = finance.GraceKind.INTEREST_ONLY, _("interest only (只付息)")
    NOTHING_DUE = finance.GraceKind.NOTHING_DUE, _("nothing due, interest added (不还款)")


class Precondition(models.TextChoices):
    """What a policy may require of the customer (前提条件); checked in ``rules.check_preconditions``."""

    GUARANTOR = "guarantor", _("a guarantor (担保人)")
    PROPERTY_CERTIFICATE = "property_certificate", _("a property certificate (房产证)")
    BUSINESS_LICENCE = "business_licence", _("a business licence (营业执照)")
    LOCAL_HOUSEHOLD = "local_household", _("a local household registration (本地户口)")
    GOOD_CREDIT = "good_credit", _("a clean credit report (征信良好)")
    MACHINES_OWNED = "machines_owned", _("machines already owned (已有设备台数)")
    EXPERIENCE = "experience", _("industry experience (行业经验)")


PERCENT = dict(max_digits=7, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])


class Policy(models.Model):
    """A commercial policy (商务政策): a financing offer or a dealer's own policy, with its parameters
    and preconditions. A time-limited promotion (限时政策) has start and end dates."""

    company = _company_fk()
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("source (分期来源)"), max_length=30, choices=Source.choices)
    provider = models.CharField(_("provider (资金方)"), max_length=120, blank=True, help_text=_("e.g. the bank"))
    description = models.TextField(_("description"), blank=True)
    products = models.ManyToManyField(
        "pitch.Product", blank=True, related_name="policies", verbose_name=_("products (none: every product)")
    )
    # financing parameters (政策参数)
    method = models.CharField(_("repayment method (还款方式)"), max_length=20, choices=Method.choices, blank=True)
    down_ratio_min = models.DecimalField(_("minimum down payment (%) (最低首付比例)"), **PERCENT, default=Decimal("30"))
    down_ratio_max = models.DecimalField(
        _("maximum down payment (%) (最高首付比例)"), **PERCENT, default=Decimal("100")
    )
    terms = models.JSONField(_("terms offered (months) (可选期数)"), default=list, blank=True)
    annual_rate = models.DecimalField(_("nominal annual rate (%) (年利率)"), **PERCENT, default=Decimal("0"))
    monthly_fee_rate = models.DecimalField(_("monthly fee rate (%) (月费率)"), **PERCENT, default=Decimal("0"))
    upfront_fee_rate = models.DecimalField(
        _("handling fee (percent of the loan) (手续费率)"), **PERCENT, default=Decimal("0")
    )
    upfront_fee_fen = models.PositiveBigIntegerField(_("fixed fees (fen) (固定费用)"), default=0)
    monthly_fee_fen = models.PositiveBigIntegerField(_("monthly fee (fen) (每月服务费)"), default=0)
    deposit_rate = models.DecimalField(
        _("security deposit (percent of the loan) (保证金比例)"), **PERCENT, default=Decimal("0")
    )
    grace_months = models.PositiveSmallIntegerField(_("grace months (宽限期)"), default=0)
    grace_kind = models.CharField(
        _("grace kind"), max_length=20, choices=GraceKind.choices, default=GraceKind.INTEREST_ONLY
    )
    balloon_rate = models.DecimalField(_("balloon (percent of the loan) (尾款比例)"), **PERCENT, default=Decimal("0"))
    guarantee = models.CharField(_("guarantee (担保方式)"), max_length=200, blank=True)
    price_reduction_fen = models.PositiveBigIntegerField(_("price reduction (fen) (直降)"), default=0)
    # hourly subsidy (小时补贴): credited against the instalments up to a cap, for a number of months
    subsidy_per_hour_fen = models.PositiveBigIntegerField(_("subsidy per working hour (fen) (小时补贴)"), default=0)
    subsidy_cap_fen = models.PositiveBigIntegerField(_("subsidy cap per month (fen) (每月上限)"), default=0)
    subsidy_months = models.PositiveSmallIntegerField(_("subsidy months (补贴月数)"), default=0)
    # preconditions (前提条件): [{"code": "guarantor"}, {"code": "machines_owned", "value": 1}, …]
    preconditions = models.JSONField(_("preconditions (前提条件)"), default=list, blank=True)
    # time-limited promotion (限时政策)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("commercial policy (商务政策)")
        verbose_name_plural = _("commercial policies (商务政策)")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="policy_unique_code"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="policy_valid_range",
            ),
            models.CheckConstraint(
                condition=models.Q(down_ratio_min__lte=models.F("down_ratio_max")), name="policy_down_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def time_limited(self) -> bool:
        return self.valid_to is not None


class Qualification(models.Model):
    """What the customer can show for the policies' preconditions (客户资质). None = not known yet."""

    class Credit(models.TextChoices):
        UNKNOWN = "", _("not checked")
        GOOD = "good", _("clean (良好)")
        MINOR = "minor", _("minor late payments (轻微逾期)")
        BAD = "bad", _("serious defaults (严重失信)")

    company = _company_fk()
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="qualification", verbose_name=_("customer")
    )
    has_guarantor = models.BooleanField(_("has a guarantor (有担保人)"), null=True, blank=True)
    guarantor = models.CharField(_("guarantor's name (担保人)"), max_length=100, blank=True)
    property_certificate = models.BooleanField(_("property certificate (房产证)"), null=True, blank=True)
    business_licence = models.BooleanField(_("business licence (营业执照)"), null=True, blank=True)
    local_household = models.BooleanField(_("local household registration (本地户口)"), null=True, blank=True)
    credit = models.CharField(_("credit report (征信)"), max_length=10, choices=Credit.choices, blank=True)
    credit_checked_on = models.DateField(_("credit checked on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer qualification (客户资质)")
        verbose_name_plural = _("customer qualifications (客户资质)")

    def __str__(self) -> str:
        return str(self.customer_id)


class NegotiationSettings(models.Model):
    """A dealer's negotiation guardrails (谈判底线)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="negotiation_settings")
    discount_limit_percent = models.DecimalField(
        _("discount a salesperson may give without approval (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    discount_limit_fen = models.PositiveBigIntegerField(_("… and at most (fen, 0 = no amount limit)"), default=0)
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("warn this many days before an offered promotion ends"), default=3
    )
    quote_valid_days = models.PositiveSmallIntegerField(_("a quote is valid for (days)"), default=7)
    default_hours_per_month = models.PositiveSmallIntegerField(_("working hours per month (default)"), default=200)
    default_hourly_rate_fen = models.PositiveBigIntegerField(_("rental rate per hour (fen, default)"), default=25000)

    class Meta:
        verbose_name = _("negotiation settings (谈判设置)")
        verbose_name_plural = _("negotiation settings (谈判设置)")

    def __str__(self) -> str:
        return str(self.company)


class Quote(models.Model):
    """A numbered quote (报价单) for a customer and a machine. Each change is a new version
    (QuoteVersion); versions are never changed."""

    company = _company_fk()
    number = models.CharField(_("quote number (报价单号)"), max_length=30)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )
    product = models.ForeignKey("pitch.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("salesperson")
    )
    created_at = models.DateTimeField(_("created at"))
    latest_version = models.PositiveSmallIntegerField(_("latest version"), default=0)

    class Meta:
        verbose_name = _("quote (报价单)")
        verbose_name_plural = _("quotes (报价单)")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="quote_unique_number")]
        indexes = [models.Index(fields=["customer", "-created_at"], name="quote_customer_idx")]

    def __str__(self) -> str:
        return self.number


class QuoteVersion(models.Model):
    """One issued version of a quote: the figures frozen as issued, and its PDF."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="versions", verbose_name=_("quote"))
    version = models.PositiveSmallIntegerField(_("version"))
    list_price_fen = models.PositiveBigIntegerField(_("list price (fen)"))
    discount_fen = models.PositiveBigIntegerField(_("discount (fen) (优惠)"), default=0)
    price_fen = models.PositiveBigIntegerField(_("quoted price (fen) (成交价)"))
    valid_until = models.DateField(_("valid until (有效期至)"))
    # frozen figures: {"policies": [...benefit accounts...], "highlights": [...], "compensations": [...]}
    content = models.JSONField(_("content"), default=dict)
    policies = models.ManyToManyField(Policy, related_name="+", verbose_name=_("policies offered"))
    pdf = models.FileField(_("PDF"), upload_to="quotes/%Y/%m/", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("quote version (报价单版本)")
        verbose_name_plural = _("quote versions (报价单版本)")
        ordering = ["quote", "-version"]
        constraints = [models.UniqueConstraint(fields=["quote", "version"], name="quoteversion_unique")]

    def __str__(self) -> str:
        return f"{self.quote_id} v{self.version}"


class DiscountRequest(models.Model):
    """A discount above the salesperson's limit, waiting for a manager (让价审批)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    company = _company_fk()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="discount_requests", verbose_name=_("customer")
    )
    product = models.ForeignKey("pitch.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    quote = models.ForeignKey(
        Quote,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discount_requests",
        verbose_name=_("quote"),
    )
    list_price_fen = models.PositiveBigIntegerField(_("list price (fen)"))
    discount_fen = models.PositiveBigIntegerField(_("discount asked (fen)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    requested_at = models.DateTimeField(_("asked at"))
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

    class Meta:
        verbose_name = _("discount request (让价申请)")
        verbose_name_plural = _("discount requests (让价申请)")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["company", "status", "-requested_at"], name="discount_status_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} −{self.discount_fen / 100:,.2f}"


class Compensation(models.Model):
    """Value-added compensation (增值补偿) recorded instead of a price cut (hamburger principle)."""

    class Kind(models.TextChoices):
        FREE_MAINTENANCE = "free_maintenance", _("free maintenance (免费保养)")
        ATTACHMENT = "attachment", _("attachment (属具)")
        EXTENDED_WARRANTY = "extended_warranty", _("extended warranty (延保)")
        PARTS = "parts", _("spare parts (配件)")
        OTHER = "other", _("other (其他)")

    company = _company_fk()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="compensations", verbose_name=_("customer")
    )
    product = models.ForeignKey("pitch.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    quote = models.ForeignKey(
        Quote, on_delete=models.SET_NULL, null=True, blank=True, related_name="compensations", verbose_name=_("quote")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    value_fen = models.PositiveBigIntegerField(_("value to us (fen)"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("value-added compensation (增值补偿)")
        verbose_name_plural = _("value-added compensations (增值补偿)")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.description


class QuoteCounter(models.Model):
    """The quote number series (报价单号): one counter per company and year."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "year"], name="quotecounter_unique")]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.year}: {self.last}"


audited(Policy)
audited(Qualification)
audited(NegotiationSettings)
audited(Quote)
audited(QuoteVersion)
audited(DiscountRequest)
audited(Compensation)
