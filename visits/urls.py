from django.urls import path  # noqa: F401

from . import urls_checkin, urls_notes, urls_plan, urls_reports

app_name = "visits"

# each part of the visit flow keeps its own address list
urlpatterns = urls_plan.urlpatterns + urls_checkin.urlpatterns + urls_notes.urlpatterns + urls_reports.urlpatterns
