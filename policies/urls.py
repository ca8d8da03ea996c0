from django.urls import path  # noqa: F401

from . import urls_benefit, urls_negotiation, urls_quotes

app_name = "policies"

# each part of the chapter keeps its own address list
urlpatterns = urls_benefit.urlpatterns + urls_quotes.urlpatterns + urls_negotiation.urlpatterns
