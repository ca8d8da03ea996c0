"""Models of the ops part of receivables: the daily days-past-due snapshot (逾期天数快照) of each
open account, and the company's collection settings (pre-warning days, escalation thresholds,
contact hours). Imported by receivables/models.py (``__all__`` lists them)."""

from __future__ import annotations

import itertools

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company

__all__ = ["CollectionSettings", "DpdSnapshot"]


class DpdSnapshot(models.Model):
    """One account's lateness on one day, written by the daily job (``services.snapshot_take``):
    the history charted on the account page. Unique per account and day: the job is idempotent."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", verbose_name=_("company"))
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.CASCADE,
        related_name="dpd_snapshots",
        verbose_name=_("account"),
    )
    on = models.DateField(_("snapshot day"))
    days_past_due = models.PositiveIntegerField(_("days past due"))
    overdue_fen = models.BigIntegerField(_("overdue (fen)"))
    outstanding_fen = models.BigIntegerField(_("outstanding (fen)"))

    class Meta:
        verbose_name = _("days-past-due snapshot (逾期快照)")
        verbose_name_plural = _("days-past-due snapshots (逾期快照)")
        ordering = ["account", "on"]
        constraints = [models.UniqueConstraint(fields=["account", "on"], name="dpd_snapshot_unique_day")]
        indexes = [models.Index(fields=["company", "on"], name="dpd_snapshot_company_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.on}: {self.days_past_due}"


class CollectionSettings(models.Model):
    """Per company: when the pre-warning goes out, when a late payment escalates to whom, and the
    hours at which customers may be called or visited."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="collection_settings", verbose_name=_("company")
    )
    prewarning_days = models.PositiveSmallIntegerField(
        _("pre-warning: days before the due date (提前预警天数)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    escalate_salesperson_days = models.PositiveSmallIntegerField(
        _("days late: the salesperson fixes a new date"), default=1, validators=[MinValueValidator(1)]
    )
    escalate_manager_days = models.PositiveSmallIntegerField(
        _("days late: the region's manager is told"), default=7, validators=[MinValueValidator(1)]
    )
    escalate_finance_days = models.PositiveSmallIntegerField(
        _("days late: finance is told"), default=30, validators=[MinValueValidator(1)]
    )
    escalate_admin_days = models.PositiveSmallIntegerField(
        _("days late: the administrators are told"), default=60, validators=[MinValueValidator(1)]
    )
    contact_from = models.PositiveSmallIntegerField(
        _("contact hours: from (hour)"), default=8, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    contact_until = models.PositiveSmallIntegerField(
        _("contact hours: until (hour)"), default=21, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )

    class Meta:
        verbose_name = _("collection settings (回款设置)")
        verbose_name_plural = _("collection settings (回款设置)")

    def __str__(self) -> str:
        return str(self.company)

    @property
    def thresholds(self) -> tuple[int, int, int, int]:
        return (
            self.escalate_salesperson_days,
            self.escalate_manager_days,
            self.escalate_finance_days,
            self.escalate_admin_days,
        )

    @property
    def contact_hours(self) -> tuple[int, int]:
        return (self.contact_from, self.contact_until)

    def clean(self) -> None:
        errors = {}
        t = self.thresholds
        if any(b <= a for a, b in itertools.pairwise(t)):
            errors["escalate_manager_days"] = _(
                "The escalation days must increase: salesperson, then manager, then finance, then administrators."
            )
        if self.contact_until is not None and self.contact_from is not None and self.contact_until <= self.contact_from:
            errors["contact_until"] = _("The contact hours must end after they start.")
        if errors:
            raise ValidationError(errors)


for _model in (DpdSnapshot, CollectionSettings):
    audited(_model)
