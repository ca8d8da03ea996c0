from django.urls import path

from . import urls_import, urls_intel, urls_pool, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export.xlsx", views.customer_export, name="export"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/reveal-id/", views.customer_reveal_id, name="reveal_id"),
]
urlpatterns += urls_pool.urlpatterns + urls_import.urlpatterns + urls_intel.urlpatterns
