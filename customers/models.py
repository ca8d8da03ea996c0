"""Customer cognition (客户认知), SPEC §1 and the visit-note contents of §2.

Customers with their classification, the need-sensitivity model, intent-grade and maintenance-tier
history, relationships, grade-0 industry contacts, market projects, competitors and the machines
customers own today, target positioning, and the public pool (公海).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Branch, Company, Region
from core.sensitive import EncryptedTextField
from pitch.specs import MachineSpecs

from . import rules
from .domain import classification as cls
from .domain import sensitivity as sens

LEVEL_CHOICES = [
    (1, _("1 · very weak")),
    (2, _("2 · weak")),
    (3, _("3 · average")),
    (4, _("4 · strong")),
    (5, _("5 · very strong")),
]


class WorkType(models.TextChoices):
    MINING = cls.WorkType.MINING, _("Mining (矿山类)")
    ENGINEERING = cls.WorkType.ENGINEERING, _("Engineering (工程类)")


class EngineeringKind(models.TextChoices):
    ROADS_BRIDGES = cls.EngineeringKind.ROADS_BRIDGES, _("Roads & bridges (路桥)")
    WATER = cls.EngineeringKind.WATER, _("Water (水利)")
    MUNICIPAL = cls.EngineeringKind.MUNICIPAL, _("Municipal (市政)")
    LANDSCAPING = cls.EngineeringKind.LANDSCAPING, _("Landscaping (园林)")
    BUILDING = cls.EngineeringKind.BUILDING, _("Building (建筑)")


class Use(models.TextChoices):
    OWN_USE = cls.Use.OWN_USE, _("Own use (自用类)")
    RENTAL = cls.Use.RENTAL, _("Rental (租赁类)")


class Scale(models.TextChoices):
    INDIVIDUAL = cls.Scale.INDIVIDUAL, _("Individual (个体户)")
    TEAM = cls.Scale.TEAM, _("Team (工程队)")
    SELF_OPERATED = cls.Scale.SELF_OPERATED, _("Self-operated company (自营工程公司)")
    CONTRACTOR = cls.Scale.CONTRACTOR, _("Contractor company (工程承建公司)")


class Tier(models.TextChoices):
    GOLD = "gold", _("Gold (金)")
    SILVER = "silver", _("Silver (银)")
    BRONZE = "bronze", _("Bronze (铜)")
    COMPLAINT = "complaint", _("Complaint (抱怨客户)")


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person (个人)")
        COMPANY = "company", _("Company (公司)")

    class Grade(models.IntegerChoices):
        G9 = 9, _("9 · about to buy")
        G6 = 6, _("6 · prospect")
        G3 = 3, _("3 · prospect")
        G1 = 1, _("1 · need, no timing")
        G0 = 0, _("0 · industry contact")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="customers", verbose_name=_("region"))
    branch = models.ForeignKey(
        Branch, on_delete=models.SET_NULL, null=True, blank=True, related_name="customers", verbose_name=_("branch")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("owning salesperson (负责业务员)"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    id_number = EncryptedTextField(_("ID-card number (身份证号)"), blank=True)
    id_number_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    province = models.CharField(_("province"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    district = models.CharField(_("district"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grade = models.PositiveSmallIntegerField(_("intent grade (意向等级)"), choices=Grade.choices, null=True, blank=True)
    # classification (客户分类)
    work_type = models.CharField(_("work type (工程类别)"), max_length=20, choices=WorkType.choices, blank=True)
    engineering_kind = models.CharField(
        _("engineering kind (工程细分)"), max_length=20, choices=EngineeringKind.choices, blank=True
    )
    use = models.CharField(_("use (用途)"), max_length=10, choices=Use.choices, blank=True)
    scale = models.CharField(_("scale (规模实力)"), max_length=20, choices=Scale.choices, blank=True)
    capital = models.PositiveSmallIntegerField(
        _("capital strength (资金实力)"), choices=LEVEL_CHOICES, null=True, blank=True
    )
    experience = models.PositiveSmallIntegerField(
        _("industry experience (行业经验)"), choices=LEVEL_CHOICES, null=True, blank=True
    )
    winning = models.PositiveSmallIntegerField(
        _("project-winning ability (揽活能力)"), choices=LEVEL_CHOICES, null=True, blank=True
    )
    decision = models.PositiveSmallIntegerField(
        _("decision ability (决策能力)"), choices=LEVEL_CHOICES, null=True, blank=True
    )
    influence = models.PositiveSmallIntegerField(
        _("influence on others (影响力)"), choices=LEVEL_CHOICES, null=True, blank=True
    )
    susceptibility = models.PositiveSmallIntegerField(
        _("susceptibility to influence (被影响力)"), choices=LEVEL_CHOICES, null=True, blank=True
    )
    machine_count = models.PositiveIntegerField(_("machines owned"), null=True, blank=True)
    tier = models.CharField(_("maintenance tier (客户维护)"), max_length=10, choices=Tier.choices, blank=True)
    # public pool (公海)
    in_pool = models.BooleanField(_("in public pool (公海)"), default=False)
    protected = models.BooleanField(_("protected from the pool"), default=False)
    pool_entered_at = models.DateTimeField(_("entered the pool"), null=True, blank=True)
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous owner"),
    )
    pool_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
        help_text=_("A duplicate merged into another customer; its history stays with that customer."),
    )
    initials = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    # basics recorded in visit notes (拜访笔记·基础信息) and what visits need
    occupation = models.CharField(_("occupation (职业)"), max_length=60, blank=True)
    age = models.PositiveSmallIntegerField(_("age (年龄)"), null=True, blank=True)
    birthday = models.DateField(_("birthday (生日)"), null=True, blank=True)
    hobbies = models.CharField(_("hobbies (爱好)"), max_length=200, blank=True)
    expected_purchase_on = models.DateField(_("expected purchase date (预计购机日期)"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer (客户)")
        verbose_name_plural = _("customers (客户)")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "phone"], condition=~models.Q(phone=""), name="customer_unique_phone"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "owner", "-updated_at"], name="customer_owner_idx"),
            models.Index(fields=["company", "region", "-updated_at"], name="customer_region_idx"),
            models.Index(fields=["company", "in_pool", "-updated_at"], name="customer_pool_idx"),
            models.Index(fields=["company", "phone"], name="customer_phone_idx"),
            models.Index(fields=["company", "owner", "grade", "last_followup_at"], name="customer_cadence_idx"),
        ]
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.initials = rules.pinyin_initials(self.name)[:40]
        from core.sensitive import blind_index

        self.id_number_index = blind_index(self.id_number) if self.id_number else ""
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"initials", "id_number_index", "updated_at"}
        super().save(*args, **kwargs)

    def audit_also(self) -> list[int]:
        """Duplicates merged into this customer: their history belongs to this one's."""
        return list(Customer.objects.filter(merged_into=self).values_list("pk", flat=True))

    @property
    def phone_masked(self) -> str:
        return rules.mask_mobile(self.phone)


def _company_fk(related_name="+"):
    return models.ForeignKey(Company, on_delete=models.PROTECT, related_name=related_name, verbose_name=_("company"))


class CustomerContact(models.Model):
    """A contact person of a customer (联系人): for companies and for teams of partners."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    title = models.CharField(_("role"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("contact (联系人)")
        verbose_name_plural = _("contacts (联系人)")

    def __str__(self) -> str:
        return self.name


class CustomerSettings(models.Model):
    """A dealer's settings of the customer method: thresholds, pool limits (可配置)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="customer_settings")
    key_threshold = models.PositiveSmallIntegerField(
        _("key-need pressure threshold"),
        default=15,
        help_text=_("Without a template, a need with at least this pressure is key."),
    )
    ready_threshold = models.SmallIntegerField(
        _("met-need pressure threshold"), default=0, help_text=_("A key need is met when its pressure is at most this.")
    )
    fit_threshold = models.PositiveSmallIntegerField(_("product fit threshold"), default=60)
    holding_cap = models.PositiveIntegerField(_("customers a salesperson may hold"), default=300)
    daily_claim_quota = models.PositiveIntegerField(_("pool claims per salesperson per day"), default=10)
    cooldown_days = models.PositiveIntegerField(_("days before a previous owner may claim again"), default=30)

    class Meta:
        verbose_name = _("customer method settings")
        verbose_name_plural = _("customer method settings")

    def __str__(self) -> str:
        return str(self.company)

    def sensitivity(self) -> sens.Settings:
        return sens.Settings(key_threshold=self.key_threshold, ready_threshold=self.ready_threshold)


class NeedPoint(models.Model):
    """A need point (需求点) a purchase decision weighs. Seeded with the deck's list, configurable."""

    company = _company_fk("need_points")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    default_deliverable = models.PositiveSmallIntegerField(
        _("what we deliver by default (0–100)"), default=sens.DEFAULT_DELIVERABLE
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("need point (需求点)")
        verbose_name_plural = _("need points (需求点)")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="needpoint_unique_code")]
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class PresetRule(models.Model):
    """A dimension → need rule (客户分类体现维度与需求点对应关系) with its effects."""

    company = _company_fk("preset_rules")
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("preset rule (维度→需求规则)")
        verbose_name_plural = _("preset rules (维度→需求规则)")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="presetrule_unique_code")]

    def __str__(self) -> str:
        return self.title


class PresetEffect(models.Model):
    DIMENSIONS = [
        ("scale", _("scale (规模实力)")),
        ("capital", _("capital strength (资金实力)")),
        ("experience", _("industry experience (行业经验)")),
        ("winning", _("project-winning ability (揽活能力)")),
        ("decision", _("decision ability (决策能力)")),
        ("influence", _("influence on others (影响力)")),
        ("susceptibility", _("susceptibility to influence (被影响力)")),
    ]

    rule = models.ForeignKey(PresetRule, on_delete=models.CASCADE, related_name="effects")
    dimension = models.CharField(_("dimension"), max_length=20, choices=DIMENSIONS)
    need_point = models.ForeignKey(NeedPoint, on_delete=models.CASCADE, related_name="+", verbose_name=_("need point"))
    slope = models.DecimalField(_("points per level"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("preset effect")
        verbose_name_plural = _("preset effects")

    def __str__(self) -> str:
        return f"{self.dimension} → {self.need_point}: {self.slope}"


class PresetTemplate(models.Model):
    """A segment preset (预设模型), e.g. the deck's individual short of money."""

    company = _company_fk("preset_templates")
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    # [{"dimension": "scale", "scales": ["individual"]}, {"dimension": "experience", "max": 2}, …]
    conditions = models.JSONField(_("conditions"), default=list)
    key_needs = models.JSONField(_("key needs (codes)"), default=list)
    additional_needs = models.JSONField(_("additional needs (codes)"), default=list)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("preset template (预设模型)")
        verbose_name_plural = _("preset templates (预设模型)")
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="presettemplate_unique_code")]
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class CustomerNeed(models.Model):
    """One need of one customer in the sensitivity model (敏感性评估)."""

    class Stage(models.TextChoices):
        KEY = sens.Stage.KEY, _("Key need (关键需求点)")
        ADDITIONAL = sens.Stage.ADDITIONAL, _("Additional need (附加需求点)")

    class State(models.TextChoices):
        PRESET = sens.State.PRESET, _("Preset (预设)")
        VERIFIED = sens.State.VERIFIED, _("Verified with the customer (已求证)")
        REVISED = sens.State.REVISED, _("Revised (已修正)")

    class Source(models.TextChoices):
        PRESET = sens.Source.PRESET, _("Preset from the classification")
        CONVERSATION = sens.Source.CONVERSATION, _("Conversation with the customer")
        COMPETITOR = sens.Source.COMPETITOR, _("Competitor data the customer trusts")

    company = _company_fk()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="needs")
    need_point = models.ForeignKey(NeedPoint, on_delete=models.PROTECT, related_name="+", verbose_name=_("need point"))
    expected = models.PositiveSmallIntegerField(_("expected target (预期目标)"))
    deliverable = models.PositiveSmallIntegerField(_("deliverable (实际能满足)"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PRESET)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.PRESET)
    reasons = models.JSONField(_("preset reasons"), default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    state_at = models.DateTimeField(_("state since"))
    state_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("customer need (客户需求点)")
        verbose_name_plural = _("customer needs (客户需求点)")
        constraints = [
            models.UniqueConstraint(fields=["customer", "need_point"], name="customerneed_unique"),
            models.CheckConstraint(condition=models.Q(expected__lte=100), name="customerneed_expected_max"),
            models.CheckConstraint(condition=models.Q(deliverable__lte=100), name="customerneed_deliverable_max"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.need_point}"

    @property
    def pressure(self) -> int:
        return self.expected - self.deliverable


class GradeCriterion(models.Model):
    """What makes a customer 9, 6, 3, 1 or 0 at this dealer (its field-activity norm)."""

    company = _company_fk("grade_criteria")
    grade = models.PositiveSmallIntegerField(_("intent grade"), choices=Customer.Grade.choices)
    text = models.TextField(_("criteria"))

    class Meta:
        verbose_name = _("intent grade criteria (日报分类标准)")
        verbose_name_plural = _("intent grade criteria (日报分类标准)")
        constraints = [models.UniqueConstraint(fields=["company", "grade"], name="gradecriterion_unique")]
        ordering = ["-grade"]

    def __str__(self) -> str:
        return f"{self.grade}"


class StatusChange(models.Model):
    """History of the intent grade and the maintenance tier: who, when, why."""

    class Kind(models.TextChoices):
        GRADE = "grade", _("intent grade")
        TIER = "tier", _("maintenance tier")

    company = _company_fk()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="status_changes")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    old = models.CharField(_("from"), max_length=20, blank=True)
    new = models.CharField(_("to"), max_length=20, blank=True)
    reason = models.CharField(_("why"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("grade / tier change")
        verbose_name_plural = _("grade / tier changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "kind", "-at"], name="statuschange_customer_idx"),
            models.Index(fields=["by", "at"], name="statuschange_by_idx"),  # the daily report
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.kind}: {self.old} → {self.new}"

    def _label(self, value: str) -> str:
        if not value:
            return ""
        if self.kind == self.Kind.GRADE:
            return str(dict(Customer.Grade.choices).get(int(value), value))
        return str(dict(Tier.choices).get(value, value))

    @property
    def old_label(self) -> str:
        return self._label(self.old)

    @property
    def new_label(self) -> str:
        return self._label(self.new)


class IndustryContact(models.Model):
    """A grade-0 industry contact (0类客户): not a buyer, worth recording (SPEC §2 visit notes)."""

    class Kind(models.TextChoices):
        CONTRACTOR = "contractor", _("Contractor (工程承包商)")
        OPERATOR = "operator", _("Excavator operator (挖机手)")
        PARTS_SHOP = "parts_shop", _("Parts shop (配件店)")
        REPAIR_SHOP = "repair_shop", _("Repair shop (维修厂)")
        FLATBED = "flatbed", _("Flatbed logistics (平板车物流)")
        USED_TRADER = "used_trader", _("Used-machinery trader (二手市场)")
        OTHER_MACHINERY = "other_machinery", _("Non-excavator machinery owner (非挖机设备老板)")

    company = _company_fk()
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    province = models.CharField(_("province"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    district = models.CharField(_("district"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    reputation = models.CharField(_("reputation (口碑)"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict)  # the kind's own fields, see domain.contacts
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("industry contact (0类客户)")
        verbose_name_plural = _("industry contacts (0类客户)")
        indexes = [models.Index(fields=["company", "kind"], name="industrycontact_kind_idx")]

    def __str__(self) -> str:
        return self.name


class Relation(models.Model):
    """Family member or friend of a customer, and their influence on the customer (家庭成员·朋友圈)."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family (家庭成员)")
        FRIEND = "friend", _("Friend (朋友圈)")

    company = _company_fk()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    relation = models.CharField(_("relation (关系)"), max_length=40, help_text=_("e.g. wife, brother, old classmate"))
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    influence = models.PositiveSmallIntegerField(
        _("influence on the customer (影响力)"), choices=LEVEL_CHOICES, default=3
    )
    linked_customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="influences",
        verbose_name=_("is also our customer"),
    )
    linked_contact = models.ForeignKey(
        IndustryContact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="influences",
        verbose_name=_("is also an industry contact"),
    )

    class Meta:
        verbose_name = _("relationship (关系人)")
        verbose_name_plural = _("relationships (关系人)")

    def __str__(self) -> str:
        return f"{self.name}（{self.relation}）"


class MarketProject(models.Model):
    """A project under way or coming in the area (市场形势): the area's excavator demand."""

    company = _company_fk()
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("project name"), max_length=120)
    place = models.CharField(_("place"), max_length=120, blank=True)
    province = models.CharField(_("province"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    district = models.CharField(_("district"), max_length=40, blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    work_volume = models.CharField(_("work volume (工程量)"), max_length=120, blank=True)
    publisher = models.CharField(_("information published by"), max_length=120, blank=True)
    expected_demand = models.PositiveIntegerField(_("expected excavators needed"), null=True, blank=True)
    customers = models.ManyToManyField(Customer, blank=True, related_name="projects", verbose_name=_("customers"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("market project (市场项目)")
        verbose_name_plural = _("market projects (市场项目)")

    def __str__(self) -> str:
        return self.name


class CompetitorDealer(models.Model):
    """A competing dealer company (竞争对手经销商)."""

    company = _company_fk()
    name = models.CharField(_("name"), max_length=120)
    size = models.CharField(_("size"), max_length=120, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    brands = models.CharField(_("brands"), max_length=200, blank=True)
    strategy = models.TextField(_("strategy"), blank=True)
    policy = models.TextField(_("commercial policy"), blank=True)

    class Meta:
        verbose_name = _("competitor dealer (竞争对手)")
        verbose_name_plural = _("competitor dealers (竞争对手)")

    def __str__(self) -> str:
        return self.name


class CompetitorMachine(MachineSpecs):
    """A competing machine model (竞品机型): what it offers and what customers say of it. The
    structured specifications (pitch.specs.MachineSpecs) are the same as our products', so any of
    ours compares with it side by side; ``specs`` keeps the free-text notes."""

    company = _company_fk()
    dealer = models.ForeignKey(
        CompetitorDealer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="machines",
        verbose_name=_("sold by"),
    )
    brand = models.CharField(_("brand"), max_length=60)
    model = models.CharField(_("model"), max_length=60)
    specs = models.TextField(_("specifications"), blank=True)
    selling_points = models.TextField(_("selling points"), blank=True)
    customer_opinion = models.TextField(_("customers' opinion"), blank=True)
    policy = models.TextField(_("commercial policy"), blank=True)

    class Meta:
        verbose_name = _("competitor machine (竞品机型)")
        verbose_name_plural = _("competitor machines (竞品机型)")

    def __str__(self) -> str:
        return f"{self.brand} {self.model}"


class CompetitorSalesperson(models.Model):
    """A competitor's salesperson (竞品业务员)."""

    company = _company_fk()
    dealer = models.ForeignKey(CompetitorDealer, on_delete=models.CASCADE, related_name="salespeople")
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    role = models.CharField(_("role"), max_length=60, blank=True)
    years = models.PositiveSmallIntegerField(_("years in the trade"), null=True, blank=True)
    territory = models.CharField(_("territory"), max_length=120, blank=True)
    results = models.CharField(_("results"), max_length=200, blank=True)
    movements = models.TextField(_("movements (动向)"), blank=True)

    class Meta:
        verbose_name = _("competitor salesperson (竞品业务员)")
        verbose_name_plural = _("competitor salespeople (竞品业务员)")

    def __str__(self) -> str:
        return self.name


class CustomerMachine(models.Model):
    """A machine the customer owns today (现有设备): brand, model, years used, opinion."""

    company = _company_fk()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="machines")
    brand = models.CharField(_("brand"), max_length=60)
    model = models.CharField(_("model"), max_length=60, blank=True)
    count = models.PositiveSmallIntegerField(_("count"), default=1)
    years_used = models.PositiveSmallIntegerField(_("years used"), null=True, blank=True)
    opinion = models.CharField(_("opinion"), max_length=300, blank=True)
    competitor_machine = models.ForeignKey(
        CompetitorMachine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned",
        verbose_name=_("competitor model"),
    )

    class Meta:
        verbose_name = _("customer machine (现有设备)")
        verbose_name_plural = _("customer machines (现有设备)")

    def __str__(self) -> str:
        return f"{self.brand} {self.model}"


class SegmentFit(models.Model):
    """Target positioning (客户定位): how well a product fits a segment, 0–100."""

    company = _company_fk()
    product = models.ForeignKey("pitch.Product", on_delete=models.CASCADE, related_name="fits")
    work_type = models.CharField(_("work type"), max_length=20, choices=WorkType.choices)
    engineering_kind = models.CharField(
        _("engineering kind"), max_length=20, choices=EngineeringKind.choices, blank=True
    )
    scale = models.CharField(_("scale"), max_length=20, choices=Scale.choices)
    score = models.PositiveSmallIntegerField(_("fit (0–100)"))

    class Meta:
        verbose_name = _("segment fit (客户定位)")
        verbose_name_plural = _("segment fits (客户定位)")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "work_type", "engineering_kind", "scale"], name="segmentfit_unique"
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="segmentfit_score_max"),
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.work_type}/{self.engineering_kind}/{self.scale}: {self.score}"


class PoolRule(models.Model):
    """When a customer of a grade returns to the public pool (公海回收规则)."""

    company = _company_fk()
    grade = models.PositiveSmallIntegerField(
        _("intent grade"),
        choices=Customer.Grade.choices,
        null=True,
        blank=True,
        help_text=_("Empty: customers without a grade."),
    )
    days = models.PositiveIntegerField(_("days without follow-up before it returns"))
    warn_days = models.PositiveIntegerField(_("warn the owner this many days before"), default=3)

    class Meta:
        verbose_name = _("pool rule (公海规则)")
        verbose_name_plural = _("pool rules (公海规则)")
        constraints = [models.UniqueConstraint(fields=["company", "grade"], name="poolrule_unique_grade")]

    def __str__(self) -> str:
        grade = _("no grade") if self.grade is None else self.grade
        return f"{grade}: {self.days}"


class PoolEvent(models.Model):
    """Every move into, out of and inside the pool, and every warning (公海记录)."""

    class Action(models.TextChoices):
        RETURNED = "returned", _("returned to the pool")
        WARNED = "warned", _("owner warned")
        CLAIMED = "claimed", _("claimed from the pool")
        ASSIGNED = "assigned", _("assigned by a manager")
        RELEASED = "released", _("released by the owner")

    company = _company_fk()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pool_events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(_("at"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pool event (公海记录)")
        verbose_name_plural = _("pool events (公海记录)")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="poolevent_customer_idx"),
            models.Index(fields=["company", "action", "by", "at"], name="poolevent_claims_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.action}"


for _model in (
    Customer,
    CustomerContact,
    CustomerSettings,
    NeedPoint,
    PresetRule,
    PresetEffect,
    PresetTemplate,
    CustomerNeed,
    GradeCriterion,
    IndustryContact,
    Relation,
    MarketProject,
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    CustomerMachine,
    SegmentFit,
    PoolRule,
):
    audited(_model)
