from django.urls import path

from . import views, views_fabe, views_objections

app_name = "pitch"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/fabe/", views_fabe.product_cards, name="cards"),
    path("products/<int:pk>/fabe/new/", views_fabe.card_add, name="card_add"),
    path("fabe/<int:pk>/", views_fabe.card_edit, name="card_edit"),
    path("fabe/<int:pk>/evidence/", views_fabe.evidence_add, name="evidence_add"),
    path("evidence/<int:pk>/delete/", views_fabe.evidence_delete, name="evidence_delete"),
    path("compare/", views.compare, name="compare"),
    path("sheet/", views_fabe.sheet_pick, name="sheet_pick"),
    path("sheet/<int:customer_id>/", views_fabe.sheet, name="sheet"),
    path("evidence/<int:pk>/", views_fabe.evidence, name="evidence"),
    path("objections/", views_objections.playbook, name="playbook"),
    path("objections/report/", views_objections.report, name="objection_report"),
    path("objections/visit/<int:visit_id>/", views_objections.handle, name="handle"),
]
