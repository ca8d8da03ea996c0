"""Addresses of this part, included under /receivables/ in the "receivables" namespace."""

from django.urls import path

from . import views as v

urlpatterns: list = [
    path("kpis/", v.kpis, name="kpis"),
    path("<int:pk>/credit-checks/", v.account_check, name="kpis_account_check"),
    path("credit-checks/customer/<int:pk>/", v.customer_checks, name="kpis_customer_checks"),
]
