"""URLs of the intel pages (included by customers/urls.py under the customers: namespace)."""

urlpatterns: list = []
