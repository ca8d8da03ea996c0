"""Configuration of the customer method for administrators (Django admin, company-scoped)."""

from django.contrib import admin

from core.admin import VisibleAdmin, VisibleChoices

from .models import (
    Customer,
    CustomerSettings,
    GradeCriterion,
    NeedPoint,
    PoolRule,
    PresetEffect,
    PresetRule,
    PresetTemplate,
    SegmentFit,
)


@admin.register(Customer)
class CustomerAdmin(VisibleAdmin):
    list_display = ("name", "phone", "region", "owner", "grade", "in_pool")
    search_fields = ("name", "phone", "initials")
    exclude = ("company", "id_number", "merged_into", "previous_owner")


class CompanyScopedAdmin(VisibleAdmin):
    exclude = ("company",)


@admin.register(CustomerSettings)
class CustomerSettingsAdmin(CompanyScopedAdmin):
    list_display = (
        "company",
        "key_threshold",
        "ready_threshold",
        "fit_threshold",
        "holding_cap",
        "daily_claim_quota",
        "cooldown_days",
    )


@admin.register(NeedPoint)
class NeedPointAdmin(CompanyScopedAdmin):
    list_display = ("name", "code", "order", "default_deliverable", "active")
    list_editable = ("order", "default_deliverable", "active")


class PresetEffectInline(VisibleChoices, admin.TabularInline):
    model = PresetEffect
    extra = 1


@admin.register(PresetRule)
class PresetRuleAdmin(CompanyScopedAdmin):
    list_display = ("title", "code", "active")
    inlines = [PresetEffectInline]


@admin.register(PresetTemplate)
class PresetTemplateAdmin(CompanyScopedAdmin):
    list_display = ("title", "code", "order", "active")


@admin.register(GradeCriterion)
class GradeCriterionAdmin(CompanyScopedAdmin):
    list_display = ("grade", "text")


@admin.register(PoolRule)
class PoolRuleAdmin(CompanyScopedAdmin):
    list_display = ("grade", "days", "warn_days")


@admin.register(SegmentFit)
class SegmentFitAdmin(CompanyScopedAdmin):
    list_display = ("product", "work_type", "engineering_kind", "scale", "score")
    list_filter = ("product", "work_type", "scale")
    list_editable = ("score",)
