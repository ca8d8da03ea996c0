"""Addresses of the visit plan and the visit page (visits:plan, visits:visit, …)."""

from django.urls import path

from . import views_plan

urlpatterns: list = [
    path("", views_plan.plan_page, name="plan"),
    path("plan/add/", views_plan.plan_add, name="plan_add"),
    path("start/<int:customer_id>/", views_plan.start, name="start"),
    path("<int:pk>/", views_plan.visit, name="visit"),
    path("<int:pk>/cancel/", views_plan.cancel, name="cancel"),
    path("<int:pk>/appointment/", views_plan.appointment, name="appointment"),
    path("<int:pk>/prepare/", views_plan.prepare, name="prepare"),
    path("<int:pk>/checklist/", views_plan.checklist, name="checklist"),
]
