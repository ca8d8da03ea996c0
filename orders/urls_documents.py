"""Addresses of the order documents (订单确认 · 定金 · 合同 · 首付), namespace "orders"."""

from django.urls import path

from . import views_documents as v

urlpatterns = [
    path("deals/<int:deal_id>/order/new/", v.order_new, name="order_new"),
    path("order/<int:pk>/", v.order_detail, name="order_detail"),
    path("order/<int:pk>/confirm/", v.order_confirm, name="order_confirm"),
    path("order/<int:pk>/pdf/", v.order_pdf, name="order_pdf"),
    path("order/<int:order_id>/deposit/new/", v.deposit_new, name="deposit_new"),
    path("deposit/<int:pk>/pdf/", v.deposit_pdf, name="deposit_pdf"),
    path("order/<int:order_id>/contract/new/", v.contract_new, name="contract_new"),
    path("contract/<int:pk>/", v.contract_detail, name="contract_detail"),
    path("contract/<int:pk>/pdf/", v.contract_pdf, name="contract_pdf"),
    path("contract/<int:pk>/file/<str:kind>/", v.contract_file, name="contract_file"),
    path("order/<int:order_id>/down-payment/new/", v.down_payment_new, name="down_payment_new"),
]
