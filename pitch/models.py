"""Product pitch (产品推介), SPEC §3. For now the catalogue's products; FABE and objections come with
the pitch issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company


class Product(models.Model):
    """A machine model the dealer sells (产品), e.g. HY65-9."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
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


audited(Product)
