"""Product pitch (产品推介), SPEC §3: the catalogue — products with their specifications (参数), the
selling points (卖点) of each product dimension (产品内涵及外延) and list prices with validity dates.
FABE and objections come with the pitch issue."""

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
