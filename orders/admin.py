"""Configuration of order to delivery for administrators (Django admin, company-scoped through
visibility): the deal stages with their entry conditions (商机阶段) and the contract templates (合同模板)."""

from django.contrib import admin

from core.admin import VisibleAdmin

from .models import ContractTemplate, DealStage


@admin.register(DealStage)
class DealStageAdmin(VisibleAdmin):
    exclude = ("company",)
    list_display = ("name", "code", "order", "gate", "won", "active")
    list_editable = ("order", "active")
    list_filter = ("active", "won")
    ordering = ("order", "id")


@admin.register(ContractTemplate)
class ContractTemplateAdmin(VisibleAdmin):
    exclude = ("company",)
    list_display = ("name", "active")
    list_filter = ("active",)
    search_fields = ("name",)
