"""Addresses of the ops part, included under /receivables/ in the "receivables" namespace."""

from django.urls import path

from . import views as v

urlpatterns: list = [
    path("import/", v.import_contracts, name="ops_import"),
    path("import/template.xlsx", v.import_template, name="ops_import_template"),
]
