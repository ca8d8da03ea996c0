"""Addresses of this part, included under /receivables/ in the "receivables" namespace."""

urlpatterns: list = []
