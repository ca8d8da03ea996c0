from django.urls import path  # noqa: F401

from . import urls_deals, urls_delivery, urls_documents, urls_dossier

app_name = "orders"

# each part of the chapter keeps its own address list
urlpatterns = urls_deals.urlpatterns + urls_documents.urlpatterns + urls_dossier.urlpatterns + urls_delivery.urlpatterns
