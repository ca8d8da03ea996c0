"""Product pitch (产品推介), SPEC §3: the catalogue — products with their specifications (参数), the
selling points (卖点) of each product dimension (产品内涵及外延) and list prices with validity dates.
FABE cards (FABE 话术卡) for selling points and commercial policies, the objection playbook (异议处理)
with the six steps recorded per visit, and the competitor comparison script (竞品对比五步法)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company

from .specs import MachineSpecs


class Product(MachineSpecs):
    """A machine model the dealer sells (产品), e.g. HY65-9: ``code`` is the model, ``name`` its
    description."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    brand = models.CharField(_("brand"), max_length=60, blank=True)
    code = models.CharField(_("model"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    tonnage = models.DecimalField(_("operating weight (t)"), max_digits=6, decimal_places=1, null=True, blank=True)
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product (产品)")
        verbose_name_plural = _("products (产品)")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="product_unique_code")]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Dimension(models.TextChoices):
    """The three levels of a product (产品内涵及外延)."""

    CORE = "core", _("core product (核心产品)")
    FORM = "form", _("form product (形式产品)")
    EXTENDED = "extended", _("extended product (延伸产品)")


class SellingPoint(models.Model):
    """A selling point (卖点) of a product in one of its dimensions."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="selling_points", verbose_name=_("product (产品)")
    )
    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("selling point (卖点)")
        verbose_name_plural = _("selling points (卖点)")
        ordering = ["product", "dimension", "order", "pk"]
        indexes = [models.Index(fields=["product", "dimension", "order"], name="sellingpoint_product_idx")]

    def __str__(self) -> str:
        return self.title


class Price(models.Model):
    """A list price (指导价) of a product, valid from one date to another (inclusive; no end: until
    further notice). A product has at most one price on any day (pitch.services.price_add)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product (产品)")
    )
    list_price_fen = models.PositiveBigIntegerField(_("list price (fen)"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("list price (指导价)")
        verbose_name_plural = _("list prices (指导价)")
        ordering = ["product", "-valid_from"]
        indexes = [models.Index(fields=["product", "valid_from"], name="price_product_from_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="price_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.list_price_fen / 100:,.2f} ({self.valid_from}–{self.valid_to or ''})"

    @property
    def yuan(self):
        from decimal import Decimal

        return Decimal(self.list_price_fen) / 100


audited(Product)
audited(SellingPoint)
audited(Price)


# --- FABE cards (FABE 话术卡) -------------------------------------------------------------------


class FabeCard(models.Model):
    """A FABE card: the feature (特征), advantage (优点), benefit (利益) and evidence (证据) of one
    selling point (卖点) or one commercial policy (商务政策) — exactly one of them. ``need_points`` are
    the customer needs the card answers: the pitch sheet of a customer orders the cards by the rank
    of those needs in the customer's sensitivity model."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    selling_point = models.ForeignKey(
        SellingPoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fabe_cards",
        verbose_name=_("selling point (卖点)"),
    )
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fabe_cards",
        verbose_name=_("commercial policy (商务政策)"),
    )
    need_points = models.ManyToManyField(
        "customers.NeedPoint",
        blank=True,
        related_name="+",
        verbose_name=_("needs it answers"),
        help_text=_(
            "The customer needs this card answers; the pitch sheet shows it first to customers for whom they are key."
        ),
    )
    feature = models.TextField(_("feature (特征)"))
    advantage = models.TextField(_("advantage (优点)"))
    benefit = models.TextField(_("benefit (利益)"))
    evidence_text = models.TextField(_("evidence (证据)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("FABE card (FABE 话术卡)")
        verbose_name_plural = _("FABE cards (FABE 话术卡)")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(selling_point__isnull=False, policy__isnull=True)
                | models.Q(selling_point__isnull=True, policy__isnull=False),
                name="fabecard_one_subject",
            ),
        ]

    def __str__(self) -> str:
        subject = self.subject
        return str(subject) if subject else f"FABE {self.pk}"

    @property
    def subject(self):
        """The selling point or the commercial policy the card is about."""
        return self.selling_point if self.selling_point_id else self.policy


class FabeEvidence(models.Model):
    """A piece of evidence (证据) of a FABE card: a photo, a file (test report, video), a customer's
    testimonial (用户证言) or a text. Files are served by ``pitch:evidence`` to whoever sees the card."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo")
        FILE = "file", _("file")
        TESTIMONIAL = "testimonial", _("customer testimonial (用户证言)")
        TEXT = "text", _("text")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    card = models.ForeignKey(FabeCard, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("FABE card"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to="fabe/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0, editable=False)
    customer_name = models.CharField(_("customer"), max_length=120, blank=True)
    quote = models.TextField(_("quote or text"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("FABE evidence (证据)")
        verbose_name_plural = _("FABE evidence (证据)")
        ordering = ["card", "order", "pk"]

    def __str__(self) -> str:
        return self.title


# --- objection playbook (异议处理) ----------------------------------------------------------------


class ObjectionType(models.Model):
    """A common objection (常见异议) with its likely causes, the open and closed questions that find
    the real cause, and the evidence to show."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    title = models.CharField(_("objection"), max_length=120)
    need_point = models.ForeignKey(
        "customers.NeedPoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("need point"),
    )
    causes = models.JSONField(_("likely causes"), default=list, blank=True)
    open_questions = models.JSONField(_("open questions (开放式问题)"), default=list, blank=True)
    closed_questions = models.JSONField(_("closed questions (封闭式问题)"), default=list, blank=True)
    evidence = models.TextField(_("evidence (证据)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("objection type (常见异议)")
        verbose_name_plural = _("objection types (常见异议)")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


class ObjectionAnswer(models.Model):
    """An answer or solution (应对话术) to an objection; its success rate comes from the handlings."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    objection_type = models.ForeignKey(
        ObjectionType, on_delete=models.CASCADE, related_name="answers", verbose_name=_("objection type (常见异议)")
    )
    text = models.TextField(_("answer (应对话术)"))
    evidence = models.TextField(_("evidence (证据)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("objection answer (应对话术)")
        verbose_name_plural = _("objection answers (应对话术)")
        ordering = ["objection_type", "order", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ObjectionHandling(models.Model):
    """One objection handled on a visit with the six steps (异议处理六步法) and its outcome."""

    class Satisfied(models.TextChoices):
        YES = "yes", _("yes")
        PARTLY = "partly", _("partly")
        NO = "no", _("no")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("resolved")
        PARTLY = "partly", _("partly resolved")
        UNRESOLVED = "unresolved", _("unresolved")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="objection_handlings",
        verbose_name=_("visit"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="objection_handlings", verbose_name=_("customer")
    )
    objection_type = models.ForeignKey(
        ObjectionType, on_delete=models.PROTECT, related_name="handlings", verbose_name=_("objection type (常见异议)")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("handled by")
    )
    at = models.DateTimeField(_("handled at"))
    # 1. acknowledge the worry
    acknowledged = models.BooleanField(_("1. worry acknowledged"), default=False)
    # 2. find its cause with open and closed questions
    cause_questions = models.JSONField(_("2. questions asked"), default=list, blank=True)
    cause_found = models.TextField(_("2. cause found"), blank=True)
    # 3. confirm the key cause
    key_cause_confirmed = models.TextField(_("3. key cause confirmed"), blank=True)
    # 4. answer each key point or offer a solution
    answer = models.ForeignKey(
        ObjectionAnswer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handlings",
        verbose_name=_("4. answer used"),
    )
    answer_note = models.TextField(_("4. answer or solution given"), blank=True)
    # 5. confirm the customer is satisfied
    satisfied = models.CharField(_("5. customer satisfied"), max_length=8, choices=Satisfied, blank=True)
    # 6. repeat for the next doubt
    next_doubt = models.CharField(_("6. next doubt"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)

    class Meta:
        verbose_name = _("objection handling (异议处理记录)")
        verbose_name_plural = _("objection handlings (异议处理记录)")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["by", "at"], name="objhandling_by_idx"),
            models.Index(fields=["customer", "at"], name="objhandling_customer_idx"),
            models.Index(fields=["answer", "outcome"], name="objhandling_answer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.objection_type_id} · {self.get_outcome_display()}"


# --- competitor comparison script (竞品对比五步法) ----------------------------------------------


class CompetitorScript(models.Model):
    """The five steps of a comparison with one competitor's machine (竞品对比五步法)."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    competitor_machine = models.ForeignKey(
        "customers.CompetitorMachine",
        on_delete=models.CASCADE,
        related_name="scripts",
        verbose_name=_("competitor machine (竞品机型)"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="competitor_scripts",
        verbose_name=_("our model"),
        help_text=_("Empty: the script holds against any of our models."),
    )
    strengths = models.TextField(_("1. acknowledge its strengths"))
    why_favoured = models.TextField(_("2. why the customer favours it"))
    new_decision_point = models.TextField(_("3. a new decision point where we differ"))
    explanation = models.TextField(_("4. our product against it"))
    questions_answers = models.TextField(_("5. acceptance through questions and answers"))

    class Meta:
        verbose_name = _("competitor script (竞品对比五步法)")
        verbose_name_plural = _("competitor scripts (竞品对比五步法)")
        ordering = ["competitor_machine", "product"]

    def __str__(self) -> str:
        return f"{self.competitor_machine_id} / {self.product_id or '*'}"


audited(FabeCard)
audited(FabeEvidence)
audited(ObjectionType)
audited(ObjectionAnswer)
audited(ObjectionHandling)
audited(CompetitorScript)
