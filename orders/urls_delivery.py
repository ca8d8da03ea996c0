"""URLs of the machine, preparation, transport and delivery (included by orders/urls.py, namespace orders)."""

from django.urls import path

from . import views_delivery as v

urlpatterns: list = [
    path("machines/", v.machines, name="machines"),
    path("deliveries/", v.deliveries, name="deliveries"),
    path("order/<int:order_id>/machine/", v.machine, name="machine"),
    path("order/<int:order_id>/machine/assign/", v.machine_assign, name="machine_assign"),
    path("order/<int:order_id>/machine/register/", v.machine_register, name="machine_register"),
    path("order/<int:order_id>/preparation/tick/", v.preparation_tick, name="preparation_tick"),
    path("order/<int:order_id>/preparation/accessories/", v.accessories_set, name="accessories_set"),
    path("order/<int:order_id>/preparation/accessories/tick/", v.accessory_tick, name="accessory_tick"),
    path("order/<int:order_id>/transport/", v.transport, name="transport"),
    path("order/<int:order_id>/transport/depart/", v.transport_depart, name="transport_depart"),
    path("order/<int:order_id>/transport/event/", v.transport_event, name="transport_event"),
    path("order/<int:order_id>/transport/arrive/", v.transport_arrive, name="transport_arrive"),
    path("order/<int:order_id>/delivery/", v.delivery, name="delivery"),
    path("order/<int:order_id>/delivery/plan/", v.delivery_plan, name="delivery_plan"),
    path("order/<int:order_id>/delivery/done/", v.delivery_done, name="delivery_done"),
    path("order/<int:order_id>/delivery/photo/", v.delivery_photo, name="delivery_photo"),
]
