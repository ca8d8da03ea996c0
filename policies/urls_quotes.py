from django.urls import path

from . import views_quotes

urlpatterns = [
    path("quotes/issue/<int:customer_id>/", views_quotes.quote_issue, name="quote_issue"),
    path("quotes/<int:pk>/", views_quotes.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/new-version/", views_quotes.quote_version, name="quote_version"),
    path("quotes/<int:pk>/v<int:version>.pdf", views_quotes.quote_pdf, name="quote_pdf"),
]
