"""Demo data of the delivery part: machines in stock, flatbed carriers, and for the demo orders that
reached preparation or delivery (made by ``orders.demo_deals``) the preparation's details, the
transport with its timeline (one on the road with a delay), and for delivered machines what
follows delivery (follow-up and first-maintenance to-dos, the schedule handed to receivables, the
customer an owner). Deterministic with ``rng``; run after ``seed_deals``."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Q
from django.utils import timezone

from core.models import Region, Role, User
from core.services import todo_post
from customers.models import Customer, IndustryContact, Tier
from pitch.models import Product

from .domain import delivery as rules
from .models import Contract, Delivery, Machine, Order, PreparationItem, Transport, TransportEvent

CARRIERS = ("顺达平板物流", "通衢工程机械运输", "鑫宇大件运输")
DRIVERS = ("王师傅", "李师傅", "张师傅", "刘师傅")
PLATES = ("鲁A", "鲁Q", "鲁B", "鲁R")
PLACES = ("京沪高速 临沂北服务区", "G205 国道 沂南段", "日兰高速 曲阜东", "济青高速 淄博段")


def _carriers(company, rng: random.Random) -> dict[int, IndustryContact]:
    """One flatbed logistics contact per region (the existing one, else a new one)."""
    out = {}
    for region in Region.objects.filter(company=company).order_by("pk"):
        contact = IndustryContact.objects.filter(
            company=company, region=region, kind=IndustryContact.Kind.FLATBED
        ).first()
        if contact is None:
            contact = IndustryContact.objects.create(
                company=company,
                region=region,
                kind=IndustryContact.Kind.FLATBED,
                name=f"{region.name[:2]}{rng.choice(CARRIERS)}",
                phone=f"139{rng.randint(10**7, 10**8 - 1)}",
                details={},
            )
        out[region.pk] = contact
    return out


def _stock(company, rng: random.Random, year: int) -> int:
    made = 0
    for n, product in enumerate(Product.objects.filter(company=company, active=True).order_by("code")[:4]):
        for i in range(2 + n % 3):
            serial = f"{product.code.replace('-', '')}S{year}{i + 1:03d}"
            if Machine.objects.filter(company=company, serial_number=serial).exists():
                continue
            Machine.objects.create(
                company=company,
                product=product,
                serial_number=serial,
                engine_number=f"YC{rng.randint(10**7, 10**8 - 1)}",
                telematics_id=f"T{rng.randint(10**9, 10**10 - 1)}",
                in_stock_since=timezone.localdate() - dt.timedelta(days=rng.randint(5, 120)),
            )
            made += 1
    return made


def seed_delivery(company, *, rng: random.Random, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"stock": _stock(company, rng, timezone.localdate(now).year), "transports": 0, "delivered": 0}
    carriers = _carriers(company, rng)
    engineers = list(
        User.objects.filter(company=company, is_active=True, user_roles__role=Role.SERVICE).order_by("pk").distinct()
    )
    orders = (
        Order.objects.filter(company=company, machine__isnull=False)
        .select_related("customer", "deal__salesperson", "machine", "product")
        .order_by("pk")
    )
    for n, order in enumerate(orders):
        delivery = Delivery.objects.filter(order=order).first()
        delivered = bool(delivery and delivery.delivered_at)
        items = {i.kind: i for i in PreparationItem.objects.filter(order=order)}
        if len(items) < len(PreparationItem.Kind.values) or any(not i.done_at for i in items.values()):
            continue  # partly prepared orders stay as the deals demo made them
        carrier = carriers.get(order.customer.region_id)
        engineer = engineers[n % len(engineers)] if engineers else None
        vehicle = f"{rng.choice(PLATES)}{rng.randint(10000, 99999)}"
        driver = rng.choice(DRIVERS)
        phone = f"138{rng.randint(10**7, 10**8 - 1)}"
        done_at = min(i.done_at for i in items.values())
        items[PreparationItem.Kind.ACCESSORIES].details = {
            "accessories": [{"name": a, "ticked": True} for a in rules.DEFAULT_ACCESSORIES]
        }
        if carrier:
            items[PreparationItem.Kind.TRANSPORT].details = {
                "carrier": carrier.pk,
                "carrier_name": carrier.name,
                "vehicle": vehicle,
                "driver": driver,
                "driver_phone": phone,
            }
        if engineer:
            items[PreparationItem.Kind.SERVICE_STAFF].details = {
                "engineer": engineer.pk,
                "engineer_name": str(engineer),
            }
        PreparationItem.objects.bulk_update(list(items.values()), ["details"])

        transport, created = Transport.objects.get_or_create(order=order, defaults={"company": company})
        if not created and transport.departed_at:
            continue  # seeded already
        transport.carrier, transport.vehicle, transport.driver, transport.driver_phone = carrier, vehicle, driver, phone
        salesperson = order.deal.salesperson
        if delivered:
            arrived = delivery.delivered_at - dt.timedelta(hours=2)
            transport.departed_at = arrived - dt.timedelta(hours=rng.randint(5, 20))
            transport.eta = transport.arrived_at = arrived
            transport.save()
            _after(order, delivery, salesperson, engineer)
            counts["delivered"] += 1
        elif n % 2 == 0:  # on the road, delayed once
            departed = max(done_at, now - dt.timedelta(hours=rng.randint(6, 30)))
            transport.departed_at = departed
            transport.eta = now + dt.timedelta(hours=rng.randint(4, 20))
            transport.save()
            TransportEvent.objects.create(
                transport=transport,
                kind=TransportEvent.Kind.POSITION,
                at=departed + dt.timedelta(hours=2),
                place=rng.choice(PLACES),
                note="",
                by=engineer or salesperson,
            )
            delay = TransportEvent.objects.create(
                transport=transport,
                kind=TransportEvent.Kind.DELAY,
                at=min(now, departed + dt.timedelta(hours=4)),
                place=rng.choice(PLACES),
                note="货车限行，改走国道",
                new_eta=transport.eta,
                by=engineer or salesperson,
            )
            todo_post(
                user=salesperson,
                title=f"安抚{order.customer.name}：整机延误至 {timezone.localtime(transport.eta):%m-%d %H:%M}",
                due=timezone.localdate(now),
                kind="transport_delay",
                key=f"orders.transport.delay.{delay.pk}",
                about=order,
            )
        else:  # booked, waiting to leave
            transport.save()
        counts["transports"] += 1
    return counts


def _after(order: Order, delivery: Delivery, salesperson: User, engineer: User | None) -> None:
    """What delivery_done does, for a machine the deals demo delivered."""
    day = timezone.localdate(delivery.delivered_at)
    todo_post(
        user=salesperson,
        title=f"交车后 3 天内回访{order.customer.name}",
        due=rules.follow_up_due(day),
        kind="delivery_followup",
        key=f"orders.delivery.followup.{order.pk}",
        about=order,
    )
    due = rules.first_maintenance(day, delivery.hour_meter or 0)
    for user in {salesperson, *([engineer] if engineer else [])}:
        todo_post(
            user=user,
            title=(
                f"{order.machine.serial_number} 首保 {due.due_on:%Y-%m-%d} 到期"
                f"（或 {due.due_hours:.0f} 小时），与服务工程师同去"
            ),
            due=due.remind_on,
            kind="first_maintenance",
            key=f"orders.maintenance.first.{order.pk}",
            about=order,
        )
    Contract.objects.filter(order=order, handed_to_receivables_at__isnull=True).update(
        handed_to_receivables_at=delivery.delivered_at
    )
    Customer.objects.filter(Q(tier="") | Q(tier__isnull=True), pk=order.customer_id).update(tier=Tier.SILVER)
