"""URLs of check-in, check-out and site photos (included by visits/urls.py under the visits: namespace)."""

from django.urls import path

from . import views_checkin

urlpatterns: list = [
    path("<int:pk>/checkin/", views_checkin.checkin, name="checkin"),
    path("<int:pk>/checkout/", views_checkin.checkout, name="checkout"),
    path("<int:pk>/photos/", views_checkin.photo_add, name="photo_add"),
    path("photos/<int:pk>/delete/", views_checkin.photo_delete, name="photo_delete"),
    path("photos/<int:pk>/<str:size>/", views_checkin.photo, name="photo"),
    path("flagged/", views_checkin.flagged, name="flagged"),
]
