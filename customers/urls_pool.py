"""URLs of the pool pages (included by customers/urls.py under the customers: namespace)."""

from django.urls import path

from . import views_pool

urlpatterns: list = [
    path("pool/", views_pool.pool_list, name="pool"),
    path("pool/<int:pk>/claim/", views_pool.pool_claim, name="pool_claim"),
    path("pool/<int:pk>/release/", views_pool.pool_release, name="pool_release"),
    path("pool/<int:pk>/protect/", views_pool.pool_protect, name="pool_protect"),
    path("pool/assign/", views_pool.pool_assign, name="pool_assign"),
    path("pool/reassign/", views_pool.pool_reassign_all, name="pool_reassign_all"),
    path("pool/events/", views_pool.pool_event_list, name="pool_events"),
]
