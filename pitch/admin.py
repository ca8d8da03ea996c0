"""Catalogue screens for administrators (Django admin, company-scoped, through visibility)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin import VisibleAdmin, VisibleChoices
from customers.models import CompetitorMachine

from . import services
from .models import Price, Product, SellingPoint
from .specs import SPEC_FIELDS


class PriceForm(forms.ModelForm):
    class Meta:
        model = Price
        fields = ("product", "list_price_fen", "valid_from", "valid_to", "note")

    def clean(self):
        data = super().clean()
        product = data.get("product") or getattr(self.instance, "product", None)
        if product and not self.errors:
            try:
                services.price_check(
                    product=product,
                    list_price_fen=data.get("list_price_fen"),
                    valid_from=data.get("valid_from"),
                    valid_to=data.get("valid_to"),
                    exclude_pk=self.instance.pk,
                )
            except ValidationError as e:
                raise ValidationError(e.message_dict) from None
        return data


class PriceInline(VisibleChoices, admin.TabularInline):
    model = Price
    form = PriceForm
    fields = ("list_price_fen", "valid_from", "valid_to", "note")
    extra = 0


class SellingPointInline(VisibleChoices, admin.TabularInline):
    model = SellingPoint
    fields = ("dimension", "title", "text", "order")
    extra = 0


class CompanyScoped(VisibleAdmin):
    exclude = ("company",)


@admin.register(Product)
class ProductAdmin(CompanyScoped):
    list_display = ("code", "brand", "name", "operating_weight_kg", "bucket_m3", "engine_power_kw", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "brand")
    inlines = [SellingPointInline, PriceInline]

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            if not obj.company_id:
                obj.company_id = form.instance.company_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(SellingPoint)
class SellingPointAdmin(CompanyScoped):
    list_display = ("title", "product", "dimension", "order")
    list_filter = ("dimension", "product")
    search_fields = ("title", "text")


@admin.register(Price)
class PriceAdmin(CompanyScoped):
    form = PriceForm
    list_display = ("product", "list_price_fen", "valid_from", "valid_to")
    list_filter = ("product",)
    date_hierarchy = "valid_from"


# The competitors' machines get their structured specifications here (the competitor pages of
# customer cognition keep the free-text fields); same visibility as those pages.
if not admin.site.is_registered(CompetitorMachine):

    @admin.register(CompetitorMachine)
    class CompetitorMachineSpecsAdmin(CompanyScoped):
        list_display = ("brand", "model", "operating_weight_kg", "bucket_m3", "engine_power_kw", "digging_force_kn")
        search_fields = ("brand", "model")
        fields = ("dealer", "brand", "model", *SPEC_FIELDS, "other_specs", "specs", "selling_points")
