"""Policies and negotiation settings for administrators (Django admin, company-scoped through
visibility). A policy's parameters are checked by the same rules as the benefit account."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin import VisibleAdmin

from . import services
from .models import NegotiationSettings, Policy


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = [f.name for f in Policy._meta.get_fields() if f.concrete and f.name not in ("id", "company")]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        probe = Policy(**{k: v for k, v in data.items() if k != "products"})
        try:
            services.policy_validate(probe)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, msgs)
        return data


@admin.register(Policy)
class PolicyAdmin(VisibleAdmin):
    form = PolicyForm
    list_display = ("name", "code", "source", "method", "down_ratio_min", "valid_from", "valid_to", "active", "order")
    list_filter = ("source", "active")
    search_fields = ("name", "code", "provider")
    filter_horizontal = ("products",)


@admin.register(NegotiationSettings)
class NegotiationSettingsAdmin(VisibleAdmin):
    exclude = ("company",)
    list_display = (
        "company",
        "discount_limit_percent",
        "discount_limit_fen",
        "expiry_warning_days",
        "quote_valid_days",
    )
