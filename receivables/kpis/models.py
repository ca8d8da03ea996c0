"""Models of this part of receivables; imported by receivables/models.py (``__all__`` lists them).

A credit check (资信调查) of a customer, SPEC §7 prevention: before the contract, during the term and
before a new sale, with the sources looked at and the result. Checks are a record: never edited —
a later check supersedes an earlier one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company

from . import rules

__all__ = ["CreditCheck"]


class CreditCheck(models.Model):
    class Stage(models.TextChoices):
        BEFORE_CONTRACT = "before_contract", _("before the contract (合作前期)")
        DURING_TERM = "during_term", _("during the term (合作中期)")
        BEFORE_NEW_SALE = "before_new_sale", _("before a new sale (再次销售前)")

    class Result(models.TextChoices):
        GOOD = rules.GOOD, _("good (良好)")
        CAUTION = rules.CAUTION, _("caution (需谨慎)")
        BAD = rules.BAD, _("bad (不良)")

    class Source(models.TextChoices):
        BANK_REPORT = "bank_report", _("bank credit report (征信报告)")
        COURT_LIST = "court_list", _("court enforcement list (失信被执行人)")
        LOCAL_REPUTATION = "local_reputation", _("local reputation (当地口碑)")
        MACHINES_OWNED = "machines_owned", _("machines owned (名下设备)")
        PROJECT_PAYMENTS = "project_payments", _("project payments (工程款回款)")
        BUSINESS_LICENCE = "business_licence", _("business licence and trading (营业执照与经营)")
        GUARANTOR = "guarantor", _("guarantor (担保人)")
        PREVIOUS_PAYMENTS = "previous_payments", _("payments to us so far (历史付款记录)")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_checks", verbose_name=_("customer")
    )
    account = models.ForeignKey(
        "receivables.ReceivableAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_checks",
        verbose_name=_("receivable account"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    checked_on = models.DateField(_("checked on"))
    sources = models.JSONField(_("sources checked"), default=list)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("credit check (资信调查)")
        verbose_name_plural = _("credit checks (资信调查)")
        ordering = ["-checked_on", "-id"]
        indexes = [models.Index(fields=["customer", "-checked_on", "-id"], name="creditcheck_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.checked_on} {self.result}"

    def source_labels(self) -> list[str]:
        labels = dict(self.Source.choices)
        return [str(labels.get(s, s)) for s in self.sources or []]


assert tuple(CreditCheck.Source.values) == rules.SOURCES
assert tuple(CreditCheck.Result.values) == rules.RESULTS

audited(CreditCheck)
