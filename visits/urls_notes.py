from django.urls import path

from . import views_notes

urlpatterns: list = [
    path("<int:pk>/note/", views_notes.note, name="note"),
    path("note/<int:customer_id>/", views_notes.note_new, name="note_new"),
    path("notes/<int:pk>/", views_notes.note_detail, name="note_detail"),
    path("brief/<int:customer_id>/", views_notes.brief, name="brief"),
    path("followups/<int:pk>/done/", views_notes.followup_done, name="followup_done"),
    path("drafts/", views_notes.drafts, name="drafts"),
    path("sw.js", views_notes.service_worker, name="sw"),
]
