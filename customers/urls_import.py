"""URLs of the import pages (included by customers/urls.py under the customers: namespace)."""

from django.urls import path

from . import views_import as v

urlpatterns: list = [
    # customers and their contact people
    path("import/", v.import_start, name="import"),
    path("import/template.xlsx", v.import_template, name="import_template"),
    path("import/<uuid:batch>/", v.import_preview, name="import_preview"),
    path("import/<uuid:batch>/columns/", v.import_mapping, name="import_mapping"),
    path("import/<uuid:batch>/confirm/", v.import_confirm, name="import_confirm"),
    path("import/<uuid:batch>/cancel/", v.import_cancel, name="import_cancel"),
    path("import/<uuid:batch>/report.xlsx", v.import_report, name="import_report"),
    # grade-0 industry contacts (0类客户)
    path("contacts/import/", v.contacts_import_start, name="contacts_import"),
    path("contacts/import/template.xlsx", v.contacts_import_template, name="contacts_import_template"),
    path("contacts/import/<uuid:batch>/", v.contacts_import_preview, name="contacts_import_preview"),
    path("contacts/import/<uuid:batch>/columns/", v.contacts_import_mapping, name="contacts_import_mapping"),
    path("contacts/import/<uuid:batch>/confirm/", v.contacts_import_confirm, name="contacts_import_confirm"),
    path("contacts/import/<uuid:batch>/cancel/", v.contacts_import_cancel, name="contacts_import_cancel"),
    path("contacts/import/<uuid:batch>/report.xlsx", v.contacts_import_report, name="contacts_import_report"),
    # the export of grade-0 industry contacts (the customer list's export is customers:export)
    path("contacts/export.xlsx", v.industry_contacts_export, name="contacts_export"),
]
