"""Customers (客户). The foundation's version: identity, area, owner, grade and pool flag.

The customer-cognition issue extends it with the classification dimensions and need model.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Branch, Company, Region
from core.sensitive import EncryptedTextField

from . import rules


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
    in_pool = models.BooleanField(_("in public pool (公海)"), default=False)
    initials = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
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

    @property
    def phone_masked(self) -> str:
        return rules.mask_mobile(self.phone)


audited(Customer)
