"""URLs of the pool pages (included by customers/urls.py under the customers: namespace)."""

urlpatterns: list = []
