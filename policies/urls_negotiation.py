"""Addresses of the negotiation guardrails: discount requests and approvals (让价审批), value-added
compensation (增值补偿) and the negotiation panel on its own page."""

from django.urls import path

from . import views_negotiation as v

urlpatterns: list = [
    path("negotiation/<int:customer_id>/", v.negotiation, name="negotiation"),
    path("discounts/new/", v.discount_request, name="discount_request"),
    path("discounts/<int:pk>/decide/", v.discount_decide, name="discount_decide"),
    path("discounts/<int:pk>/withdraw/", v.discount_withdraw, name="discount_withdraw"),
    path("approvals/", v.approvals, name="approvals"),
    path("approvals/<int:pk>/", v.approval, name="approval"),
    path("compensations/new/", v.compensation_record, name="compensation_record"),
]
