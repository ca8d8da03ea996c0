"""URLs of the import pages (included by customers/urls.py under the customers: namespace)."""

urlpatterns: list = []
