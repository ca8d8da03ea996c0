"""Addresses of collection (回款), included under /receivables/ in the "receivables" namespace."""

from django.urls import path

from . import views as v

urlpatterns: list = [
    path("worklist/", v.worklist, name="worklist"),
    path("collection/expected/", v.expected, name="collection_expected"),
    path("collection/techniques/", v.effectiveness, name="collection_effectiveness"),
    path("<int:pk>/collection/actions/", v.action_new, name="collection_action_new"),
    path("<int:pk>/collection/plan/", v.plan_save, name="collection_plan_save"),
    path("<int:pk>/collection/rounds/", v.step_new, name="collection_step_new"),
    path("collection/rounds/<int:pk>/done/", v.step_done, name="collection_step_done"),
]
