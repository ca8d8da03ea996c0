"""Addresses of daily reports, the team view, the evening review, analytics and the check-in map."""

from django.urls import path

from . import views_reports as v

urlpatterns: list = [
    path("report/", v.report, name="report"),
    path("report/submit/", v.report_submit, name="report_submit"),
    path("reports/<int:pk>/", v.report_detail, name="report_detail"),
    path("reports/<int:pk>/comment/", v.report_comment, name="report_comment"),
    path("team/", v.team, name="team"),
    path("review/", v.review, name="review"),
    path("analytics/", v.analytics_page, name="analytics"),
    path("map/", v.checkin_map, name="map"),
]
