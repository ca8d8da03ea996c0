"""Addresses of receivables (债权管理), namespace "receivables"."""

from django.urls import include, path

from . import views as v

app_name = "receivables"

urlpatterns = [
    path("", v.account_list, name="list"),
    path("ageing/", v.ageing, name="ageing"),
    path("<int:pk>/", v.account_detail, name="detail"),
    path("<int:pk>/payments/", v.payment_new, name="payment_new"),
    path("payments/<int:pk>/reverse/", v.payment_reverse, name="payment_reverse"),
    # the parts of collection (receivables/parts.py), in the same namespace
    path("", include("receivables.ops.urls")),
    path("", include("receivables.collection.urls")),
    path("", include("receivables.risk.urls")),
    path("", include("receivables.kpis.urls")),
]
