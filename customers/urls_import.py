"""URLs of the import pages (included by customers/urls.py under the customers: namespace)."""

from django.urls import path

from . import views_import

urlpatterns: list = [
    path("import/", views_import.import_start, name="import"),
    path("import/template.xlsx", views_import.import_template, name="import_template"),
    path("import/<uuid:batch>/", views_import.import_preview, name="import_preview"),
    path("import/<uuid:batch>/columns/", views_import.import_mapping, name="import_mapping"),
    path("import/<uuid:batch>/confirm/", views_import.import_confirm, name="import_confirm"),
    path("import/<uuid:batch>/cancel/", views_import.import_cancel, name="import_cancel"),
    path("import/<uuid:batch>/report.xlsx", views_import.import_report, name="import_report"),
    # the export of grade-0 industry contacts (the customer list's export is customers:export)
    path("contacts/export.xlsx", views_import.industry_contacts_export, name="contacts_export"),
]
