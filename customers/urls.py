from django.urls import path

from . import urls_import, urls_intel, urls_pool, views, views_profile

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export.xlsx", views.customer_export, name="export"),
    path("<int:pk>/", views_profile.profile, name="detail"),
    path("<int:pk>/classify/", views_profile.classify, name="classify"),
    path("<int:pk>/merge/", views_profile.merge, name="merge"),
    path("<int:pk>/preset/", views_profile.preset_again, name="preset"),
    path("<int:pk>/needs/<int:need_pk>/", views_profile.need_update, name="need_update"),
    path("<int:pk>/grade/", views_profile.grade, name="grade"),
    path("<int:pk>/tier/", views_profile.tier, name="tier"),
    path("<int:pk>/relations/", views_profile.relation_add, name="relation_add"),
    path("<int:pk>/relations/<int:item_pk>/delete/", views_profile.relation_delete, name="relation_delete"),
    path("<int:pk>/machines/", views_profile.machine_add, name="machine_add"),
    path("<int:pk>/machines/<int:item_pk>/delete/", views_profile.machine_delete, name="machine_delete"),
    path("<int:pk>/contacts/", views_profile.contact_add, name="contact_add"),
    path("<int:pk>/contacts/<int:item_pk>/delete/", views_profile.contact_delete, name="contact_delete"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/reveal-id/", views.customer_reveal_id, name="reveal_id"),
]
urlpatterns += urls_pool.urlpatterns + urls_import.urlpatterns + urls_intel.urlpatterns
