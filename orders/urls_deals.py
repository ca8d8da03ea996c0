"""Addresses of the deal pipeline (商机): board, new deal, the deal page, move, lose, funnel."""

from django.urls import path

from . import views_deals as v

urlpatterns: list = [
    path("deals/", v.board, name="deals"),
    path("deals/new/", v.deal_new, name="deal_new"),
    path("deals/<int:pk>/", v.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/move/", v.deal_move, name="deal_move"),
    path("deals/<int:pk>/lose/", v.deal_lose, name="deal_lose"),
    path("funnel/", v.funnel_page, name="funnel"),
]
