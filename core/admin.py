"""Django admin for configuration data; every queryset goes through the visibility module."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import visibility
from .models import AuditEntry, Branch, Company, Region, SensitiveAccess, User, UserRole


def is_operator(user) -> bool:
    """The deployment's operator: a superuser outside every company (sets up companies)."""
    return user.is_superuser and user.company_id is None


class VisibleChoices:
    """Foreign-key choices limited to the rows the user may see (never another company's)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if not is_operator(request.user) and related._meta.label in visibility.POLICIES:
            kwargs["queryset"] = visibility.visible(request.user, related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class VisibleAdmin(VisibleChoices, admin.ModelAdmin):
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_operator(request.user):
            return qs
        return visibility.visible(request.user, self.model, visibility.Action.LIST, queryset=qs)

    def has_view_permission(self, request, obj=None):
        if is_operator(request.user):
            return True
        if obj is None:
            return visibility.may(request.user, self.model, visibility.Action.LIST)
        return visibility.can(request.user, obj, visibility.Action.VIEW)

    def has_change_permission(self, request, obj=None):
        if is_operator(request.user):
            return True
        if obj is None:
            return visibility.may(request.user, self.model, visibility.Action.CHANGE)
        return visibility.can(request.user, obj, visibility.Action.CHANGE)

    def has_add_permission(self, request):
        return is_operator(request.user) or visibility.may(request.user, self.model, visibility.Action.CHANGE)

    def has_delete_permission(self, request, obj=None):
        if is_operator(request.user):
            return True
        if obj is None:
            return visibility.may(request.user, self.model, visibility.Action.DELETE)
        return visibility.can(request.user, obj, visibility.Action.DELETE)

    def has_module_permission(self, request):
        return is_operator(request.user) or visibility.may(request.user, self.model, visibility.Action.LIST)

    def save_model(self, request, obj, form, change):
        if not change and hasattr(obj, "company_id") and not obj.company_id and request.user.company_id:
            obj.company_id = request.user.company_id
        super().save_model(request, obj, form, change)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "created_at")

    def has_module_permission(self, request):
        return is_operator(request.user)

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (
        lambda self, request, obj=None: is_operator(request.user)
    )


@admin.register(Region)
class RegionAdmin(VisibleAdmin):
    list_display = ("name", "province", "company")
    exclude = ("company",)


@admin.register(Branch)
class BranchAdmin(VisibleAdmin):
    list_display = ("name", "region", "city")
    exclude = ("company",)


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


@admin.register(User)
class UserAdmin(VisibleAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "company", "branch", "is_active")
    list_filter = ("is_active",)
    inlines = [UserRoleInline]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("DigDeal", {"fields": ("company", "branch", "regions", "display_name", "mobile")}),
    )


class ReadOnlyAdmin(VisibleAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "channel", "action", "content_type", "object_repr")
    list_filter = ("action", "channel")


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "kind", "channel", "content_type", "object_id", "field", "row_count")
