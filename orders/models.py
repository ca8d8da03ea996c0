"""Order to delivery (下单交车), SPEC §5: the deal pipeline (商机), the order confirmation (订单确认),
the deposit (定金) with its receipt, the contract (合同) from a template, the down payment (首付),
the instalment dossier (分期资料), the machine (整机) and its preparation (整备), transport (运输),
the delivery ceremony (交车仪式) and what follows delivery.

Parts and their owners (see docs/architecture.md): ``deals.py`` (stages, pipeline, funnel),
``documents.py`` (order confirmation, deposit, contract, down payment), ``dossier.py`` (instalment
dossier), ``delivery.py`` (machines, preparation, transport, ceremony, after delivery)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company
from core.sensitive import EncryptedTextField, encrypted_storage

USER = settings.AUTH_USER_MODEL


def _company_fk():
    return models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))


def _user_fk(verbose, *, null=False, related_name="+"):
    return models.ForeignKey(
        USER, on_delete=models.PROTECT, null=null, blank=null, related_name=related_name, verbose_name=verbose
    )


# --- deals (商机) ------------------------------------------------------------------------------------


class Gate(models.TextChoices):
    """What must be true before a deal enters a stage (entry condition, checked by orders.rules)."""

    NONE = "", _("nothing")
    QUOTE = "quote", _("a quote issued")
    ORDER_CONFIRMED = "order_confirmed", _("the order confirmed by the customer")
    DEPOSIT = "deposit", _("the deposit received")
    CONTRACT_SIGNED = "contract_signed", _("the contract signed")
    DOWN_PAYMENT = "down_payment", _("the down payment received in full")
    DOSSIER = "dossier", _("the instalment dossier complete and verified")
    MACHINE_READY = "machine_ready", _("the machine prepared")
    DELIVERED = "delivered", _("the machine delivered")


class DealStage(models.Model):
    """A configurable stage of the pipeline (商机阶段) with its entry condition."""

    company = _company_fk()
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    gate = models.CharField(_("entry condition"), max_length=20, choices=Gate.choices, blank=True)
    won = models.BooleanField(_("the deal is won here"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deal stage (商机阶段)")
        verbose_name_plural = _("deal stages (商机阶段)")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="dealstage_unique_code")]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    """A sales opportunity (商机) for one machine: from a customer or a quote to the delivered machine."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        WON = "won", _("won")
        LOST = "lost", _("lost")

    company = _company_fk()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="deals", verbose_name=_("customer")
    )
    product = models.ForeignKey(
        "pitch.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    quote = models.ForeignKey(
        "policies.Quote",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("quote"),
    )
    salesperson = _user_fk(_("salesperson"))
    stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage"))
    stage_since = models.DateTimeField(_("in this stage since"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    amount_fen = models.PositiveBigIntegerField(_("expected amount (fen)"), default=0)
    expected_on = models.DateField(_("expected closing date"), null=True, blank=True)
    lost_reason = models.TextField(_("why lost"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deal (商机)")
        verbose_name_plural = _("deals (商机)")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "salesperson", "status"], name="deal_sales_idx"),
            models.Index(fields=["company", "stage", "status"], name="deal_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.product_id}"


class DealStageStay(models.Model):
    """How long a deal stayed in a stage (time in stage, for the funnel)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stays", verbose_name=_("deal"))
    stage = models.ForeignKey(DealStage, on_delete=models.PROTECT, related_name="+", verbose_name=_("stage"))
    entered_at = models.DateTimeField(_("entered at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    by = _user_fk(_("moved by"))

    class Meta:
        verbose_name = _("stage stay")
        verbose_name_plural = _("stage stays")
        ordering = ["deal", "entered_at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id} · {self.stage_id}"


# --- the order and its documents ---------------------------------------------------------------------


class DocumentCounter(models.Model):
    """Number series of the documents (receipts 收据, contracts 合同): one per company, kind and year."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "kind", "year"], name="documentcounter_unique")]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.kind}/{self.year}: {self.last}"


class Order(models.Model):
    """The order confirmation (订单确认): everything agreed, confirmed by the customer."""

    class Confirmation(models.TextChoices):
        SIGNATURE = "signature", _("signature drawn on the phone")
        STAMP = "stamp", _("confirmation with time stamp")

    company = _company_fk()
    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="order", verbose_name=_("deal"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    product = models.ForeignKey("pitch.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    quote_version = models.ForeignKey(
        "policies.QuoteVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("policy")
    )
    number = models.CharField(_("order number"), max_length=30)
    price_fen = models.PositiveBigIntegerField(_("agreed price (fen)"))
    extras = models.JSONField(_("promised extras"), default=list, blank=True)  # ["首年免费保养 4 次", …]
    account = models.JSONField(_("benefit account agreed"), default=dict, blank=True)  # the policy's figures
    delivery_on = models.DateField(_("delivery date"))
    delivery_place = models.CharField(_("delivery place"), max_length=200)
    deposit_fen = models.PositiveBigIntegerField(_("deposit (fen)"), default=0)
    deposit_due = models.DateField(_("deposit due"), null=True, blank=True)
    down_payment_fen = models.PositiveBigIntegerField(_("down payment (fen)"), default=0)
    down_payment_due = models.DateField(_("down payment due"), null=True, blank=True)
    commitments = models.TextField(_("other commitments"), blank=True)
    confirmation = models.CharField(_("confirmation"), max_length=10, choices=Confirmation.choices, blank=True)
    signature = models.FileField(_("customer's signature"), upload_to="orders/signatures/%Y/%m/", blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by_name = models.CharField(_("confirmed by"), max_length=60, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="orders/confirmations/%Y/%m/", blank=True)
    created_by = _user_fk(_("created by"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("order confirmation (订单确认)")
        verbose_name_plural = _("order confirmations (订单确认)")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="order_unique_number")]

    def __str__(self) -> str:
        return self.number


class Deposit(models.Model):
    """A deposit received (定金) with its numbered receipt (收据)."""

    company = _company_fk()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="deposits", verbose_name=_("order"))
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("payment method"), max_length=20, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=30)
    refund_terms = models.TextField(_("refund terms"))
    penalty_terms = models.TextField(_("penalty terms"), blank=True)
    pdf = models.FileField(_("receipt PDF"), upload_to="orders/receipts/%Y/%m/", blank=True)
    by = _user_fk(_("received by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("deposit (定金)")
        verbose_name_plural = _("deposits (定金)")
        ordering = ["order", "received_on", "id"]
        constraints = [models.UniqueConstraint(fields=["company", "receipt_number"], name="deposit_unique_receipt")]

    def __str__(self) -> str:
        return self.receipt_number


class ContractTemplate(models.Model):
    """A contract template (合同模板): Django template text with the order's fields."""

    company = _company_fk()
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("body (template)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contract template (合同模板)")
        verbose_name_plural = _("contract templates (合同模板)")

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """The sales contract (销售合同) generated from a template; signed by the legally liable party."""

    company = _company_fk()
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="contract", verbose_name=_("order"))
    template = models.ForeignKey(ContractTemplate, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("contract number"), max_length=30)
    amount_fen = models.PositiveBigIntegerField(_("contract amount (fen)"))
    signer_name = models.CharField(_("signer"), max_length=60)
    signer_is_customer = models.BooleanField(_("the signer is the customer (legally liable)"), default=True)
    authorisation = models.FileField(
        _("authorisation (委托书)"), upload_to="orders/authorisations/%Y/%m/", blank=True, storage=encrypted_storage
    )
    signed_copy = models.FileField(_("signed copy"), upload_to="orders/contracts/%Y/%m/", blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    schedule = models.JSONField(_("instalment schedule"), default=list, blank=True)  # [{n, due, principal, …}]
    handed_to_receivables_at = models.DateTimeField(_("handed to receivables at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="orders/contracts/%Y/%m/", blank=True)
    created_by = _user_fk(_("created by"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("contract (合同)")
        verbose_name_plural = _("contracts (合同)")
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="contract_unique_number")]

    def __str__(self) -> str:
        return self.number


class DownPayment(models.Model):
    """A part of the down payment received (首付), part payments allowed."""

    company = _company_fk()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="down_payments", verbose_name=_("order"))
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("payment method"), max_length=20, blank=True)
    late_reason = models.TextField(_("why late"), blank=True)
    by = _user_fk(_("recorded by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("down payment (首付)")
        verbose_name_plural = _("down payments (首付)")
        ordering = ["order", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount_fen}"


# --- the instalment dossier (分期资料) -----------------------------------------------------------------


class DossierItem(models.Model):
    """One document of the instalment dossier; which ones depends on the policy (orders.rules)."""

    class Kind(models.TextChoices):
        BUYER_ID = "buyer_id", _("buyer's identity card (购机人身份证)")
        SPOUSE_ID = "spouse_id", _("spouse's identity card (配偶身份证)")
        HOUSEHOLD = "household", _("household register (户口本)")
        MARRIAGE = "marriage", _("marriage certificate (结婚证)")
        PROPERTY = "property", _("property certificate (房产证)")
        GUARANTOR_ID = "guarantor_id", _("guarantor's identity card (担保人身份证)")
        GUARANTOR_HOUSEHOLD = "guarantor_household", _("guarantor's household register (担保人户口本)")
        BUSINESS_LICENCE = "business_licence", _("business licence (营业执照)")
        OTHER = "other", _("other (其他)")

    class Condition(models.TextChoices):
        """Why a document is (or is no longer) on the list, when that depends on the buyer's status."""

        NONE = "", _("always")
        IF_MARRIED = "if_married", _("if married")
        NOT_MARRIED = "not_married", _("not needed: the buyer is not married")

    company = _company_fk()
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="dossier", verbose_name=_("order"))
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    condition = models.CharField(_("condition"), max_length=12, choices=Condition.choices, blank=True)
    person_name = models.CharField(_("name on the document"), max_length=60, blank=True)
    id_number = EncryptedTextField(_("identity-card number"), blank=True)
    file = models.FileField(  # ID cards, household registers…: encrypted at rest
        _("file"), upload_to="orders/dossier/%Y/%m/", blank=True, storage=encrypted_storage
    )
    uploaded_by = _user_fk(_("uploaded by"), null=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    verified_by = _user_fk(_("verified by"), null=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rejected_reason = models.CharField(_("why refused"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("dossier document (分期资料)")
        verbose_name_plural = _("dossier documents (分期资料)")
        ordering = ["order", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], condition=~models.Q(kind="other"), name="dossieritem_unique_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.kind}"


# --- machine, preparation, transport, delivery ------------------------------------------------------


class Machine(models.Model):
    """A machine (整机) by serial number, assigned to an order."""

    company = _company_fk()
    product = models.ForeignKey("pitch.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("model"))
    serial_number = models.CharField(_("serial number (整机编号)"), max_length=40)
    engine_number = models.CharField(_("engine number (发动机号)"), max_length=40, blank=True)
    telematics_id = models.CharField(_("telematics device id (车联网终端号)"), max_length=40, blank=True)
    order = models.OneToOneField(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="machine", verbose_name=_("order")
    )
    in_stock_since = models.DateField(_("in stock since"), null=True, blank=True)

    class Meta:
        verbose_name = _("machine (整机)")
        verbose_name_plural = _("machines (整机)")
        constraints = [models.UniqueConstraint(fields=["company", "serial_number"], name="machine_unique_serial")]

    def __str__(self) -> str:
        return self.serial_number


class PreparationItem(models.Model):
    """One item of the machine's preparation checklist (整备清单), ticked with who and when."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", _("inspection (检查)")
        CLEANING = "cleaning", _("cleaning (清洗)")
        ACCESSORIES = "accessories", _("accessories against the delivery list (随机附件)")
        TRANSPORT = "transport", _("transport booked (运输)")
        SERVICE_STAFF = "service_staff", _("service staff assigned (服务人员)")
        CUSTOMER_INFORMED = "customer_informed", _("customer informed (通知客户)")

    company = _company_fk()
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="preparation", verbose_name=_("order"))
    kind = models.CharField(_("item"), max_length=20, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)  # accessories list, engineer id…
    done_by = _user_fk(_("done by"), null=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("preparation item (整备)")
        verbose_name_plural = _("preparation items (整备)")
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="preparation_unique_kind")]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.kind}"


class Transport(models.Model):
    """The transport of the machine (运输): carrier from the logistics contacts, vehicle, driver."""

    company = _company_fk()
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="transport", verbose_name=_("order"))
    carrier = models.ForeignKey(
        "customers.IndustryContact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carrier (物流)"),
    )
    vehicle = models.CharField(_("vehicle (车牌)"), max_length=20, blank=True)
    driver = models.CharField(_("driver"), max_length=60, blank=True)
    driver_phone = models.CharField(_("driver's mobile"), max_length=20, blank=True)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    eta = models.DateTimeField(_("expected arrival"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transport (运输)")
        verbose_name_plural = _("transports (运输)")

    def __str__(self) -> str:
        return f"{self.order_id}"


class TransportEvent(models.Model):
    """A position update, an incident or a delay with a new arrival time."""

    class Kind(models.TextChoices):
        POSITION = "position", _("position")
        INCIDENT = "incident", _("incident")
        DELAY = "delay", _("delay")

    transport = models.ForeignKey(Transport, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    new_eta = models.DateTimeField(_("new expected arrival"), null=True, blank=True)
    by = _user_fk(_("recorded by"))

    class Meta:
        verbose_name = _("transport event")
        verbose_name_plural = _("transport events")
        ordering = ["transport", "at", "id"]

    def __str__(self) -> str:
        return f"{self.transport_id} · {self.kind}"


class Delivery(models.Model):
    """The delivery ceremony (交车仪式) and the signed delivery checklist."""

    company = _company_fk()
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="delivery", verbose_name=_("order"))
    planned_at = models.DateTimeField(_("planned for"), null=True, blank=True)
    customs = models.TextField(_("local customs (当地风俗)"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    checklist_photo = models.FileField(
        _("signed delivery list (photo)"), upload_to="orders/delivery/%Y/%m/", blank=True
    )
    hour_meter = models.DecimalField(_("hour meter at delivery"), max_digits=8, decimal_places=1, null=True, blank=True)
    by = _user_fk(_("delivered by"), null=True)

    class Meta:
        verbose_name = _("delivery (交车)")
        verbose_name_plural = _("deliveries (交车)")

    def __str__(self) -> str:
        return f"{self.order_id}"


for _model in (
    DealStage,
    Deal,
    Order,
    Deposit,
    ContractTemplate,
    Contract,
    DownPayment,
    DossierItem,
    Machine,
    PreparationItem,
    Transport,
    TransportEvent,
    Delivery,
):
    audited(_model)
