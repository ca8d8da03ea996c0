"""URLs of the instalment dossier (分期资料), included by orders/urls.py under the orders: namespace."""

from django.urls import path

from . import views_dossier

urlpatterns: list = [
    path("dossier/", views_dossier.dossier_queue, name="dossier_queue"),
    path("dossier/<int:order_id>/", views_dossier.dossier, name="dossier"),
    path("dossier/<int:order_id>/setup/", views_dossier.dossier_setup, name="dossier_setup"),
    path("dossier/<int:order_id>/marital/", views_dossier.dossier_marital, name="dossier_marital"),
    path("dossier/items/<int:item_id>/upload/", views_dossier.dossier_upload, name="dossier_upload"),
    path("dossier/items/<int:item_id>/verify/", views_dossier.dossier_verify, name="dossier_verify"),
    path("dossier/items/<int:item_id>/reject/", views_dossier.dossier_reject, name="dossier_reject"),
    path("dossier/items/<int:item_id>/reveal/", views_dossier.dossier_reveal, name="dossier_reveal"),
    path("dossier/items/<int:item_id>/file/", views_dossier.dossier_file, name="dossier_file"),
]
