"""Catalogue, FABE cards, objection playbook and competitor scripts for administrators (Django admin,
company-scoped, through visibility)."""

import secrets

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from core import visibility
from core.admin import VisibleAdmin, VisibleChoices, is_operator
from customers.models import CompetitorMachine

from . import fabe, services
from .models import (
    CompetitorScript,
    FabeCard,
    FabeEvidence,
    ObjectionAnswer,
    ObjectionHandling,
    ObjectionType,
    Price,
    Product,
    SellingPoint,
)
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


# --- FABE cards, objection playbook, competitor scripts ----------------------------------------


class CompanyInlines(CompanyScoped):
    """Inline rows get the parent's company; many-to-many choices limited to visible rows."""

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            if not obj.company_id:
                obj.company_id = form.instance.company_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if not is_operator(request.user) and related._meta.label in visibility.POLICIES:
            kwargs["queryset"] = visibility.visible(request.user, related)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class LinesField(forms.CharField):
    """A JSON list of texts edited as one text per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class FabeEvidenceForm(forms.ModelForm):
    class Meta:
        model = FabeEvidence
        fields = ("kind", "title", "file", "customer_name", "quote", "order")

    def clean(self):
        data = super().clean()
        kind, upload = data.get("kind"), data.get("file")
        if kind in (FabeEvidence.Kind.PHOTO, FabeEvidence.Kind.FILE):
            if upload and upload is not getattr(self.instance, "file", None) and hasattr(upload, "read"):
                try:
                    content, ext = fabe.clean_upload(kind, upload)
                except ValidationError as e:
                    raise ValidationError(e.message_dict) from None
                data["file"] = ContentFile(content, name=f"{secrets.token_hex(8)}.{ext}")
                self.instance.size = len(content)
            elif not upload:
                self.add_error("file", _("Choose a file."))
        elif kind == FabeEvidence.Kind.TESTIMONIAL and not (data.get("customer_name") and data.get("quote")):
            self.add_error("quote", _("Enter the customer who said it and what they said."))
        return data


class VisibleInline(VisibleChoices):
    """Inline rows editable by whoever the visibility policy lets change them (not Django's perms)."""

    def _may(self, request, action) -> bool:
        return is_operator(request.user) or visibility.may(request.user, self.model, action)

    def has_view_permission(self, request, obj=None):
        return self._may(request, visibility.Action.LIST)

    def has_add_permission(self, request, obj=None):
        return self._may(request, visibility.Action.CHANGE)

    def has_change_permission(self, request, obj=None):
        return self._may(request, visibility.Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, visibility.Action.DELETE)


class FabeEvidenceInline(VisibleInline, admin.StackedInline):
    model = FabeEvidence
    form = FabeEvidenceForm
    extra = 0


class FabeCardForm(forms.ModelForm):
    class Meta:
        model = FabeCard
        fields = ("selling_point", "policy", "need_points", "feature", "advantage", "benefit", "evidence_text", "order")

    def clean(self):
        data = super().clean()
        if bool(data.get("selling_point")) == bool(data.get("policy")):
            raise ValidationError({"selling_point": _("Choose either a selling point or a commercial policy.")})
        return data


@admin.register(FabeCard)
class FabeCardAdmin(CompanyInlines):
    form = FabeCardForm
    list_display = ("__str__", "selling_point", "policy", "order")
    list_filter = ("selling_point__product",)
    search_fields = ("feature", "advantage", "benefit", "selling_point__title")
    list_select_related = ("selling_point", "policy")
    inlines = [FabeEvidenceInline]


class ObjectionTypeForm(forms.ModelForm):
    causes = LinesField(label=_("likely causes"), required=False, help_text=_("One per line."))
    open_questions = LinesField(label=_("open questions (开放式问题)"), required=False, help_text=_("One per line."))
    closed_questions = LinesField(
        label=_("closed questions (封闭式问题)"), required=False, help_text=_("One per line.")
    )

    class Meta:
        model = ObjectionType
        fields = ("title", "need_point", "causes", "open_questions", "closed_questions", "evidence", "active", "order")


class ObjectionAnswerInline(VisibleInline, admin.StackedInline):
    model = ObjectionAnswer
    fields = ("text", "evidence", "order", "active")
    extra = 0


@admin.register(ObjectionType)
class ObjectionTypeAdmin(CompanyInlines):
    form = ObjectionTypeForm
    list_display = ("title", "need_point", "active", "order")
    list_filter = ("active",)
    search_fields = ("title",)
    inlines = [ObjectionAnswerInline]


@admin.register(CompetitorScript)
class CompetitorScriptAdmin(CompanyScoped):
    list_display = ("competitor_machine", "product")
    list_select_related = ("competitor_machine", "product")
    search_fields = ("competitor_machine__brand", "competitor_machine__model")


@admin.register(ObjectionHandling)
class ObjectionHandlingAdmin(CompanyScoped):
    """Read-only: handlings are recorded on visits (pitch:handle or the API)."""

    list_display = ("at", "customer", "objection_type", "answer", "outcome", "by")
    list_filter = ("outcome", "objection_type")
    list_select_related = ("customer", "objection_type", "answer", "by")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
