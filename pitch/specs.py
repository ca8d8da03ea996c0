"""The machine specifications shared by our products (pitch.Product) and competitors' models
(customers.CompetitorMachine): one abstract model, so both carry the same fields and any of our
models compares with any competitor's side by side (pitch.rules.compare)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules


class TailSwing(models.TextChoices):
    CONVENTIONAL = "conventional", _("conventional tail (常规尾)")
    SHORT = "short", _("short tail swing (短尾)")
    ZERO = "zero", _("zero tail swing (无尾)")


class MachineSpecs(models.Model):
    """Structured specifications of an excavator model (参数). Anything else goes to ``other_specs``."""

    operating_weight_kg = models.PositiveIntegerField(_("operating weight (kg) (整机重量)"), null=True, blank=True)
    bucket_m3 = models.DecimalField(
        _("bucket capacity (m³) (斗容)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    engine_power_kw = models.DecimalField(
        _("engine power (kW) (功率)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    engine_model = models.CharField(_("engine model (发动机型号)"), max_length=60, blank=True)
    digging_force_kn = models.DecimalField(
        _("max digging force (kN) (最大挖掘力)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    digging_depth_mm = models.PositiveIntegerField(_("max digging depth (mm) (最大挖掘深度)"), null=True, blank=True)
    digging_reach_mm = models.PositiveIntegerField(_("max digging reach (mm) (最大挖掘半径)"), null=True, blank=True)
    tail_swing = models.CharField(_("tail swing (尾部回转)"), max_length=20, choices=TailSwing, blank=True)
    other_specs = models.JSONField(_("other specifications"), default=dict, blank=True)

    class Meta:
        abstract = True

    def spec_values(self) -> dict:
        """The compared specifications as {field: value} (pitch.rules.SPECS names them)."""
        return {spec.field: getattr(self, spec.field) for spec in rules.SPECS}


SPEC_FIELDS = tuple(spec.field for spec in rules.SPECS)
