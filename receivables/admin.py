"""Receivables in the Django admin (company-scoped through visibility). Accounts show their
instalments; payments and allocations are read-only: they are written by the services only and are
never edited or deleted (a mistake is reversed on the account's page)."""

from django.contrib import admin

from core.admin import VisibleAdmin

from .models import Allocation, Instalment, Payment, ReceivableAccount


class ReadOnlyAdmin(VisibleAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReceivableAccount)
class ReceivableAccountAdmin(ReadOnlyAdmin):
    list_display = ("contract_number", "customer", "salesperson", "region", "status", "principal_fen", "credit_fen")
    list_filter = ("status", "source")
    search_fields = ("contract_number", "customer__name")
    exclude = ("company",)


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyAdmin):
    list_display = ("account", "n", "due_on", "amount_fen", "paid_fen")
    exclude = ("company",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "amount_fen", "received_on", "method", "by", "at")
    list_filter = ("kind", "method")
    exclude = ("company",)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("payment", "instalment", "amount_fen")
    exclude = ("company",)


# --- ops: the company's collection settings (administrators change them) ------------------------------
from .ops.models import CollectionSettings  # noqa: E402


@admin.register(CollectionSettings)
class CollectionSettingsAdmin(VisibleAdmin):
    list_display = ("company", "prewarning_days", "escalate_manager_days", "contact_from", "contact_until")
    exclude = ("company",)

    def has_add_permission(self, request):
        # one row per company, installed with the defaults on first use
        taken = CollectionSettings.objects.filter(company_id=request.user.company_id).exists()
        return super().has_add_permission(request) and not taken


# --- collection (回款): administrators edit the list of techniques and tips; the plan table, its
# rounds and the collection actions are read-only here (recorded on the account's page or the API).
from .collection.models import CollectionAction, CollectionPlan, CollectionPlanStep, CollectionTechnique  # noqa: E402


@admin.register(CollectionTechnique)
class CollectionTechniqueAdmin(VisibleAdmin):
    list_display = ("name", "code", "kind", "order", "active")
    list_filter = ("kind", "active")
    list_editable = ("order", "active")
    search_fields = ("name", "code")
    exclude = ("company",)

    def has_delete_permission(self, request, obj=None):
        # a technique already used by actions is deactivated, not deleted (the report keeps it)
        if obj is not None and obj.actions.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CollectionPlan)
class CollectionPlanAdmin(ReadOnlyAdmin):
    list_display = ("account", "item_name", "acceptor", "payer", "updated_at")
    exclude = ("company",)


@admin.register(CollectionPlanStep)
class CollectionPlanStepAdmin(ReadOnlyAdmin):
    list_display = ("account", "n", "who", "planned_at", "amount_fen", "done")
    exclude = ("company",)


@admin.register(CollectionAction)
class CollectionActionAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "at", "by", "tactic", "outcome")
    list_filter = ("kind", "outcome", "tactic")
    exclude = ("company",)
