"""The customer method's configuration, read from the database into the plain-Python domain.

One place turns a dealer's configured need points, preset rules and templates, thresholds and
pool rules into ``customers.domain`` objects; ``install_defaults`` writes the deck's defaults for
a new dealer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core.models import Company

from .domain import classification as cls
from .domain import sensitivity as sens
from .models import (
    Customer,
    CustomerSettings,
    GradeCriterion,
    NeedPoint,
    PoolRule,
    PresetEffect,
    PresetRule,
    PresetTemplate,
)

DEFAULT_GRADE_CRITERIA = {
    9: "已确定购买意向，近期（1–2 天内）成交，重点高频拜访",
    6: "有明确需求和购买时间，正在比较机型与商务政策",
    3: "有需求，购买时间在数月内，需持续跟进",
    1: "有需求，暂无购买时间",
    0: "非购买客户，但属于值得记录的行业人士（承包商、机手、配件店等）",
}
# days without follow-up before a customer returns to the pool, warning days (None: no grade)
DEFAULT_POOL_RULES = {9: (7, 2), 6: (14, 3), 3: (30, 5), 1: (60, 7), 0: (90, 7), None: (30, 5)}


@transaction.atomic
def install_defaults(company: Company) -> None:
    """The deck's need points, preset rules, worked-example template, grade criteria, pool rules."""
    CustomerSettings.objects.get_or_create(company=company)
    points = {}
    for order, (code, name) in enumerate(sens.DEFAULT_NEED_POINTS, start=1):
        points[code], _ = NeedPoint.objects.get_or_create(
            company=company, code=code, defaults={"name": name, "order": order}
        )
    for rule in sens.DEFAULT_RULES:
        row, created = PresetRule.objects.get_or_create(company=company, code=rule.code, defaults={"title": rule.title})
        if created:
            PresetEffect.objects.bulk_create(
                [
                    PresetEffect(rule=row, dimension=e.dimension, need_point=points[e.need], slope=e.slope)
                    for e in rule.effects
                ]
            )
    for order, t in enumerate(sens.DEFAULT_TEMPLATES, start=1):
        PresetTemplate.objects.get_or_create(
            company=company,
            code=t.code,
            defaults={
                "title": t.title,
                "order": order,
                "conditions": [condition_to_json(c) for c in t.conditions],
                "key_needs": list(t.key),
                "additional_needs": list(t.additional),
            },
        )
    for grade, text in DEFAULT_GRADE_CRITERIA.items():
        GradeCriterion.objects.get_or_create(company=company, grade=grade, defaults={"text": text})
    for grade, (days, warn) in DEFAULT_POOL_RULES.items():
        PoolRule.objects.get_or_create(company=company, grade=grade, defaults={"days": days, "warn_days": warn})


def condition_to_json(c: sens.Condition) -> dict:
    out: dict = {"dimension": c.dimension}
    if c.scales:
        out["scales"] = sorted(c.scales)
    if c.min_level is not None:
        out["min"] = c.min_level
    if c.max_level is not None:
        out["max"] = c.max_level
    return out


def condition_from_json(d: dict) -> sens.Condition:
    return sens.Condition(
        dimension=d["dimension"],
        min_level=d.get("min"),
        max_level=d.get("max"),
        scales=frozenset(cls.Scale(s) for s in d.get("scales", ())),
    )


@dataclass(frozen=True)
class Config:
    settings: CustomerSettings
    points: list[NeedPoint]
    rules: list[sens.DimensionRule]
    templates: list[sens.Template]

    @property
    def sensitivity(self) -> sens.Settings:
        return self.settings.sensitivity()


def config_for(company_id: int) -> Config:
    """The dealer's configured method (installing the defaults the first time). Four queries."""
    if not NeedPoint.objects.filter(company_id=company_id).exists():
        install_defaults(Company.objects.get(pk=company_id))
    settings_row, _ = CustomerSettings.objects.get_or_create(company_id=company_id)
    points = list(NeedPoint.objects.filter(company_id=company_id, active=True).order_by("order", "id"))
    by_rule: dict[int, list[PresetEffect]] = {}
    rules_rows = {r.pk: r for r in PresetRule.objects.filter(company_id=company_id, active=True)}
    for e in PresetEffect.objects.filter(rule__in=rules_rows.keys()).select_related("need_point"):
        by_rule.setdefault(e.rule_id, []).append(e)
    rules = [
        sens.DimensionRule(
            code=r.code,
            title=r.title,
            effects=tuple(sens.Effect(e.dimension, e.need_point.code, float(e.slope)) for e in by_rule.get(r.pk, [])),
        )
        for r in rules_rows.values()
    ]
    templates = [
        sens.Template(
            code=t.code,
            title=t.title,
            conditions=tuple(condition_from_json(c) for c in t.conditions),
            key=tuple(t.key_needs),
            additional=tuple(t.additional_needs),
        )
        for t in PresetTemplate.objects.filter(company_id=company_id, active=True).order_by("order", "id")
    ]
    return Config(settings=settings_row, points=points, rules=rules, templates=templates)


def profile_of(customer: Customer) -> cls.Profile:
    return cls.Profile(
        scale=cls.Scale(customer.scale) if customer.scale else None,
        capital=customer.capital,
        experience=customer.experience,
        winning=customer.winning,
        decision=customer.decision,
        influence=customer.influence,
        susceptibility=customer.susceptibility,
        work_type=cls.WorkType(customer.work_type) if customer.work_type else None,
        use=cls.Use(customer.use) if customer.use else None,
    )


def settings_for(company_id: int) -> CustomerSettings:
    """The dealer's thresholds (one query)."""
    row, _ = CustomerSettings.objects.get_or_create(company_id=company_id)
    return row
