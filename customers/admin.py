from django.contrib import admin

from core.admin import VisibleAdmin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(VisibleAdmin):
    list_display = ("name", "phone", "region", "owner", "grade", "in_pool")
    search_fields = ("name", "phone", "initials")
    exclude = ("company", "id_number")
