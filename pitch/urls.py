from django.urls import path

from . import views

app_name = "pitch"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("compare/", views.compare, name="compare"),
]
