from django.urls import path

from . import views

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("benefit/<int:customer_id>/", views.benefit, name="benefit"),
    path("qualification/<int:customer_id>/", views.qualification, name="qualification"),
]
