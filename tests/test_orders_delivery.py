"""Machine, preparation, transport, ceremony and after delivery (orders/delivery.py, views_delivery.py,
api_delivery.py): every refusal names its rule and writes nothing; the release gate; the delay's
to-do; the ceremony's auspicious days; what follows delivery (follow-up, first maintenance, the
customer as owner, the schedule handed to receivables, the deal won)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import ExifTags, Image

from core.models import AuditEntry, Todo
from customers.models import CustomerMachine, IndustryContact, StatusChange
from orders import delivery as svc
from orders.deals import stages_for
from orders.domain import delivery as rules
from orders.models import (
    Contract,
    ContractTemplate,
    Deal,
    Delivery,
    DownPayment,
    Machine,
    Order,
    PreparationItem,
    Transport,
    TransportEvent,
)
from orders.signals import schedule_ready
from pitch.models import Product
from policies.models import Quote
from visits.models import Visit

from .conftest import ApiClient
from .factories import make_customer, zh

Kind = PreparationItem.Kind
SCHEDULE = [{"n": 1, "due": "2027-01-08", "principal": "6000.00", "interest": "800.00", "payment": "6800.00"}]


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are matched by their English source text (pages show them in the user's language)."""
    with translation.override("en"):
        yield


_seq = iter(range(1, 1_000_000))


def product_of(org, code="HY65-9") -> Product:
    return Product.objects.get_or_create(
        company=org.company, code=code, defaults={"brand": "恒岳", "name": "小型挖掘机"}
    )[0]


def make_order(org, *, customer=None, salesperson=None, down_payment_fen=11_040_000, paid=True, signed=True) -> Order:
    """A confirmed order of cust_b1 (region B: the service engineer's region), its contract signed
    ten days ago and its down payment received."""
    company, customer = org.company, customer or org.cust_b1
    salesperson = salesperson or customer.owner
    product = product_of(org)
    now = timezone.now()
    stages = stages_for(company.pk)
    n = next(_seq)
    quote = Quote.objects.create(
        company=company, number=f"BJ2026{n:05d}", customer=customer, product=product, salesperson=salesperson,
        created_at=now,
    )  # fmt: skip
    deal = Deal.objects.create(
        company=company, customer=customer, product=product, quote=quote, salesperson=salesperson,
        stage=stages[0], stage_since=now, created_at=now, amount_fen=36_800_000,
    )  # fmt: skip
    order = Order.objects.create(
        company=company, deal=deal, customer=customer, product=product, number=f"DD2026{n:05d}",
        price_fen=36_800_000, delivery_on=timezone.localdate() + dt.timedelta(days=5),
        delivery_place="临沂市兰山区工地", down_payment_fen=down_payment_fen, confirmed_at=now,
        confirmation=Order.Confirmation.STAMP, created_by=salesperson, created_at=now,
    )  # fmt: skip
    template = ContractTemplate.objects.get_or_create(company=company, name="标准", defaults={"body": "合同"})[0]
    Contract.objects.create(
        company=company, order=order, template=template, number=f"HT2026{n:05d}", amount_fen=order.price_fen,
        signer_name=customer.name, signed_on=timezone.localdate() - dt.timedelta(days=10) if signed else None,
        schedule=SCHEDULE, created_by=salesperson, created_at=now,
    )  # fmt: skip
    if paid and down_payment_fen:
        DownPayment.objects.create(
            company=company, order=order, amount_fen=down_payment_fen, received_on=timezone.localdate(),
            by=org.finance, at=now,
        )  # fmt: skip
    return order


def flatbed(org, region=None, name="临沂顺风平板物流") -> IndustryContact:
    region = region or org.region_b
    owner = org.sales_b1 if region == org.region_b else org.sales_a1
    return IndustryContact.objects.create(
        company=org.company, region=region, owner=owner, kind=IndustryContact.Kind.FLATBED, name=name
    )


def register(org, serial="HY659A0001", code="HY65-9") -> Machine:
    return svc.machine_register(
        actor=org.manager_b, product=product_of(org, code), serial_number=serial, engine_number="4TNV98-1"
    )


def prepare(org, order, *, actor=None) -> None:
    """Machine assigned and every preparation item ticked (as the region's service engineer)."""
    actor = actor or org.service
    svc.preparation_rows(order)
    if not Machine.objects.filter(order=order).exists():
        svc.machine_assign(actor=actor, order=order, machine=register(org, serial=f"HY659B{order.pk:04d}"))
    for i, _entry in enumerate(PreparationItem.objects.get(order=order, kind=Kind.ACCESSORIES).details["accessories"]):
        svc.accessory_tick(actor=actor, order=order, index=i)
    carrier = IndustryContact.objects.filter(kind=IndustryContact.Kind.FLATBED, region=org.region_b).first()
    for kind in Kind.values:
        svc.preparation_tick(
            actor=actor, order=order, kind=kind, carrier=carrier or flatbed(org), vehicle="鲁Q12345", driver="王师傅",
            driver_phone="13900001111", engineer=org.service,
        )  # fmt: skip


def on_site(org, order) -> Transport:
    """Prepared, departed and arrived."""
    prepare(org, order)
    svc.transport_depart(actor=org.service, order=order, eta=timezone.now() + dt.timedelta(hours=8))
    return svc.transport_arrive(actor=org.service, order=order)


def jpeg(size=(640, 480), *, gps=True) -> bytes:
    image = Image.new("RGB", size, (230, 230, 220))
    exif = Image.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (35.0, 3.0, 1.0), 3: "E", 4: (118.0, 20.0, 2.0)}
    exif[ExifTags.Base.Make] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def photo(data=None, name="delivery-list.jpg"):
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type="image/jpeg")


def refused(exc: pytest.ExceptionInfo, field: str) -> str:
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


# ------------------------------------------------------------------------------------------ machines
def test_register_a_machine_and_refusals(org, other):
    m = svc.machine_register(
        actor=org.service, product=product_of(org), serial_number=" hy659a 0007 ", telematics_id="gps-1"
    )
    assert (m.serial_number, m.telematics_id, m.order_id) == ("HY659A0007", "GPS-1", None)
    assert AuditEntry.objects.filter(object_id=str(m.pk), action="create").exists()
    with pytest.raises(ValidationError) as exc:
        svc.machine_register(actor=org.manager_b, product=product_of(org), serial_number="HY659A0007")
    assert "already registered" in refused(exc, "serial_number")
    with pytest.raises(ValidationError) as exc:
        svc.machine_register(actor=org.manager_b, product=product_of(org), serial_number="HY#1")
    refused(exc, "serial_number")
    theirs = Product.objects.create(company=other.company, code="X1", name="别家")
    with pytest.raises(ValidationError) as exc:
        svc.machine_register(actor=org.manager_b, product=theirs, serial_number="HY659A0008")
    refused(exc, "product")
    with pytest.raises(PermissionError):
        svc.machine_register(actor=org.sales_b1, product=product_of(org), serial_number="HY659A0009")
    assert Machine.objects.count() == 1


def test_assign_same_model_not_elsewhere_and_swap(org):
    order, second = make_order(org), make_order(org)
    small = register(org, serial="HY20A0001", code="HY20-9")
    with pytest.raises(ValidationError) as exc:
        svc.machine_assign(actor=org.manager_b, order=order, machine=small)
    assert "the order is for a HY65-9" in refused(exc, "machine")
    first = register(org, serial="HY659A0001")
    svc.machine_assign(actor=org.manager_b, order=order, machine=first)
    with pytest.raises(ValidationError) as exc:
        svc.machine_assign(actor=org.manager_b, order=second, machine=first)
    assert order.number in refused(exc, "machine")
    with pytest.raises(PermissionError):  # salespeople read the stock, managers and service assign
        svc.machine_assign(actor=org.sales_b1, order=order, machine=register(org, serial="HY659A0002"))
    swap = Machine.objects.get(serial_number="HY659A0002")
    svc.machine_assign(actor=org.service, order=order, machine=swap)
    first.refresh_from_db()
    assert first.order_id is None and Machine.objects.get(order=order) == swap
    assert set(svc.machines_in_stock(org.sales_b1)) == {small, first}  # back in stock


# ------------------------------------------------------------------------------------------ preparation
def test_checklist_created_on_first_view_and_ticks_record_who_and_when(org):
    order = make_order(org)
    rows = svc.preparation_rows(order)
    assert [r.kind for r in rows] == Kind.values
    assert len(svc.preparation_rows(order)) == 6 and PreparationItem.objects.filter(order=order).count() == 6
    accessories = rows[2].details["accessories"]
    assert [a["name"] for a in accessories] == list(rules.DEFAULT_ACCESSORIES)

    with pytest.raises(ValidationError) as exc:  # nothing to inspect yet
        svc.preparation_tick(actor=org.service, order=order, kind=Kind.INSPECTION)
    assert "Assign a machine" in refused(exc, "machine")
    svc.machine_assign(actor=org.service, order=order, machine=register(org))
    item = svc.preparation_tick(actor=org.service, order=order, kind=Kind.INSPECTION, note="液压无渗漏")
    assert (item.done_by, item.note) == (org.service, "液压无渗漏") and item.done_at is not None
    trail = AuditEntry.objects.filter(object_id=str(item.pk), action="update").latest("pk")
    assert {"done_by", "done_at", "note"} <= set(trail.changes)  # the audit trail of the tick
    item = svc.preparation_tick(actor=org.service, order=order, kind=Kind.INSPECTION, done=False)
    assert item.done_at is None and item.done_by is None
    with pytest.raises(ValidationError) as exc:
        svc.preparation_tick(actor=org.service, order=order, kind="polish")
    refused(exc, "kind")
    with pytest.raises(PermissionError):  # a salesperson of another region
        svc.preparation_tick(actor=org.sales_a1, order=order, kind=Kind.CLEANING)


def test_accessories_checked_against_the_delivery_list(org):
    order = make_order(org)
    svc.machine_assign(actor=org.service, order=order, machine=register(org))
    svc.accessories_set(actor=org.sales_b1, order=order, names="随机工具箱\n黄油枪\n\n黄油枪\n破碎锤管路")
    svc.accessory_tick(actor=org.service, order=order, index=0)
    with pytest.raises(ValidationError) as exc:
        svc.preparation_tick(actor=org.service, order=order, kind=Kind.ACCESSORIES)
    assert "黄油枪、破碎锤管路" in refused(exc, "accessories")
    svc.accessory_tick(actor=org.service, order=order, index=1)
    svc.accessory_tick(actor=org.service, order=order, index=2)
    assert svc.preparation_tick(actor=org.service, order=order, kind=Kind.ACCESSORIES).done_at
    with pytest.raises(ValidationError):
        svc.accessory_tick(actor=org.service, order=order, index=9)
    item = svc.accessories_set(actor=org.service, order=order, names=["随机工具箱", "黄油枪", "破碎锤管路", "灭火器"])
    assert item.done_at is None  # a changed list is checked again
    assert [a["ticked"] for a in item.details["accessories"]] == [True, True, True, False]
    with pytest.raises(ValidationError) as exc:
        svc.accessories_set(actor=org.service, order=order, names=" \n ")
    refused(exc, "accessories")


def test_transport_item_needs_a_flatbed_carrier_vehicle_and_driver(org):
    order = make_order(org)
    repair = IndustryContact.objects.create(
        company=org.company, region=org.region_b, kind=IndustryContact.Kind.REPAIR_SHOP, name="修理厂"
    )
    elsewhere = flatbed(org, org.region_a, name="济南平板")
    for carrier in (None, repair, elsewhere):  # not a carrier, or one the engineer of region B cannot see
        with pytest.raises(ValidationError) as exc:
            svc.preparation_tick(
                actor=org.service, order=order, kind=Kind.TRANSPORT, carrier=carrier, vehicle="鲁Q1", driver="王"
            )
        assert "flatbed" in refused(exc, "carrier")
    carrier = flatbed(org)
    with pytest.raises(ValidationError) as exc:
        svc.preparation_tick(actor=org.service, order=order, kind=Kind.TRANSPORT, carrier=carrier, driver="王")
    refused(exc, "vehicle")
    with pytest.raises(ValidationError) as exc:
        svc.preparation_tick(
            actor=org.service, order=order, kind=Kind.TRANSPORT, carrier=carrier, vehicle="鲁Q1", driver="王",
            driver_phone="123",
        )  # fmt: skip
    refused(exc, "driver_phone")
    assert not Transport.objects.filter(order=order).exists()
    svc.preparation_tick(
        actor=org.service, order=order, kind=Kind.TRANSPORT, carrier=carrier.pk, vehicle="鲁q 12345",
        driver="王师傅", driver_phone="13900001111",
    )  # fmt: skip
    t = Transport.objects.get(order=order)
    assert (t.carrier, t.vehicle, t.driver, t.driver_phone) == (carrier, "鲁Q 12345", "王师傅", "13900001111")


def test_service_staff_item_needs_an_engineer_who_gets_a_todo(org):
    order = make_order(org)
    with pytest.raises(ValidationError) as exc:
        svc.preparation_tick(actor=org.sales_b1, order=order, kind=Kind.SERVICE_STAFF, engineer=org.sales_b1)
    assert "service engineer" in refused(exc, "engineer")
    item = svc.preparation_tick(actor=org.sales_b1, order=order, kind=Kind.SERVICE_STAFF, engineer=org.service.pk)
    assert item.details["engineer"] == org.service.pk
    todo = Todo.objects.get(user=org.service, key=f"orders.delivery.attend.{order.pk}")
    assert todo.due == order.delivery_on and order.customer.name in todo.title


def test_preparation_complete(org):
    order = make_order(org)
    assert not svc.preparation_complete(order)
    prepare(org, order)
    assert svc.preparation_complete(order)
    order.deal.refresh_from_db()
    assert order.deal.stage.gate == "machine_ready"  # the deal followed (orders.deals.deal_sync)


# ------------------------------------------------------------------------------------------ release gate
def test_departure_refused_naming_every_unmet_condition(org):
    order = make_order(org, paid=False, signed=False)
    eta = timezone.now() + dt.timedelta(hours=6)
    with pytest.raises(ValidationError) as exc:
        svc.transport_depart(actor=org.service, order=order, eta=eta)
    words = refused(exc, "release")
    for part in ("no machine", "contract is not signed", "0.00 of 110,400.00 yuan", "preparation is not complete"):
        assert part in words
    assert "dossier" not in words  # a full-payment order needs none
    assert not Transport.objects.filter(order=order, departed_at__isnull=False).exists()


def test_departure_refused_while_the_dossier_is_incomplete(org, monkeypatch):
    order = make_order(org)
    prepare(org, order)
    monkeypatch.setattr(svc, "_dossier_complete", lambda o: False)
    with pytest.raises(ValidationError) as exc:
        svc.transport_depart(actor=org.service, order=order, eta=timezone.now() + dt.timedelta(hours=6))
    assert refused(exc, "release").count("；") == 0 and "dossier" in refused(exc, "release")


def test_part_payment_is_not_enough(org):
    order = make_order(org, paid=False)
    DownPayment.objects.create(
        company=org.company, order=order, amount_fen=5_000_000, received_on=timezone.localdate(), by=org.finance,
        at=timezone.now(),
    )  # fmt: skip
    prepare(org, order)
    assert [b for b, _w in svc.release_blockers(order)] == [rules.Blocker.DOWN_PAYMENT]


def test_depart_track_delay_and_arrive(org):
    order = make_order(org)
    with pytest.raises(ValidationError) as exc:  # not on the road yet
        svc.transport_position(actor=org.service, order=order, place="临沂")
    refused(exc, "place")
    prepare(org, order)
    with pytest.raises(ValidationError) as exc:
        svc.transport_depart(actor=org.service, order=order, eta=timezone.now() - dt.timedelta(hours=1))
    refused(exc, "eta")
    eta = timezone.now() + dt.timedelta(hours=6)
    t = svc.transport_depart(actor=org.service, order=order, eta=eta.isoformat())
    assert t.departed_at and t.eta == eta
    with pytest.raises(ValidationError) as exc:
        svc.transport_depart(actor=org.service, order=order, eta=eta)
    refused(exc, "departed_at")
    with pytest.raises(ValidationError) as exc:  # the checklist is frozen once the machine left
        svc.preparation_tick(actor=org.service, order=order, kind=Kind.CLEANING, done=False)
    refused(exc, "kind")

    svc.transport_position(actor=org.service, order=order, place="G2 京沪高速 临沂北", note="顺利")
    svc.transport_incident(actor=org.service, order=order, note="轮胎爆胎")
    with pytest.raises(ValidationError) as exc:
        svc.transport_incident(actor=org.service, order=order, note="  ")
    refused(exc, "note")
    with pytest.raises(ValidationError) as exc:  # a delay moves the arrival later
        svc.transport_delay(actor=org.service, order=order, note="换胎", new_eta=eta - dt.timedelta(hours=1))
    assert "later than" in refused(exc, "new_eta")
    with pytest.raises(ValidationError) as exc:
        svc.transport_delay(actor=org.service, order=order, note="", new_eta=eta + dt.timedelta(hours=2))
    refused(exc, "note")
    first = svc.transport_delay(actor=org.service, order=order, note="换胎", new_eta=eta + dt.timedelta(hours=2))
    second = svc.transport_delay(actor=org.service, order=order, note="限行", new_eta=eta + dt.timedelta(hours=5))
    todos = Todo.objects.filter(user=org.sales_b1, kind="transport_delay").order_by("pk")
    assert [t.key for t in todos] == [f"orders.transport.delay.{first.pk}", f"orders.transport.delay.{second.pk}"]
    assert "Reassure" in todos[0].title and todos[0].due == timezone.localdate() and todos[1].note == "限行"
    assert Transport.objects.get(order=order).eta == eta + dt.timedelta(hours=5)

    svc.transport_arrive(actor=org.service, order=order)
    with pytest.raises(ValidationError) as exc:
        svc.transport_position(actor=org.service, order=order, place="工地")
    assert "arrived" in refused(exc, "place")
    kinds = [e.kind for e in svc.timeline(Transport.objects.get(order=order))]
    assert kinds == ["departed", "position", "incident", "delay", "delay", "arrived"]
    assert TransportEvent.objects.filter(transport__order=order).count() == 4


# ------------------------------------------------------------------------------------------ ceremony
def test_auspicious_suggestions_follow_the_almanac():
    import cnlunar

    start = dt.date(2026, 12, 1)
    out = svc.auspicious_suggestions(start)
    days = [s.day for s in out]
    assert days == sorted(days) and all(start <= d < start + dt.timedelta(days=30) for d in days)
    assert dt.date(2026, 12, 1) not in days  # 宜 开市 but 忌 立券
    assert dt.date(2026, 12, 6) in days
    for s in out:
        lunar = cnlunar.Lunar(dt.datetime.combine(s.day, dt.time(12)), godType="8char")
        assert not any(w in e for e in lunar.badThing for w in rules.WANTED_ACTIVITIES)
        assert all(h.branch in rules.DAYTIME_BRANCHES for h in s.lucky_hours)


def test_day_marks_holidays_and_make_up_workdays():
    assert svc.day_mark(dt.date(2026, 10, 1)).holiday == "国庆节"
    assert svc.day_mark(dt.date(2026, 10, 10)).makeup_workday  # a Saturday worked in lieu
    plain = svc.day_mark(dt.date(2026, 12, 5))
    assert (plain.holiday, plain.makeup_workday, plain.weekend, plain.known) == ("", False, True, True)
    assert not svc.day_mark(dt.date(2099, 1, 1)).known  # not published: only the weekend is known


def test_plan_the_ceremony(org):
    order = make_order(org)
    svc.preparation_tick(actor=org.sales_b1, order=order, kind=Kind.SERVICE_STAFF, engineer=org.service)
    with pytest.raises(ValidationError) as exc:
        svc.delivery_plan(actor=org.sales_b1, order=order, planned_at=timezone.now() - dt.timedelta(days=2))
    refused(exc, "planned_at")
    when = timezone.localtime() + dt.timedelta(days=3)
    d = svc.delivery_plan(actor=org.sales_b1, order=order, planned_at=when, customs="放鞭炮，铲斗系红绸")
    assert d.planned_at == when and d.customs == "放鞭炮，铲斗系红绸"
    assert Todo.objects.get(user=org.service, key=f"orders.delivery.attend.{order.pk}").due == when.date()


def test_ceremony_not_before_the_contract(org):
    order = make_order(org)
    Contract.objects.filter(order=order).update(signed_on=timezone.localdate() + dt.timedelta(days=5))
    with pytest.raises(ValidationError) as exc:
        svc.delivery_plan(actor=org.sales_b1, order=order, planned_at=timezone.now() + dt.timedelta(days=1))
    assert "before the contract was signed" in refused(exc, "planned_at")


# ------------------------------------------------------------------------------------------ delivery
def _nothing_delivered(order) -> None:
    assert not Delivery.objects.filter(order=order, delivered_at__isnull=False).exists()
    assert not Todo.objects.filter(kind__in=["delivery_followup", "first_maintenance"]).exists()
    assert Contract.objects.get(order=order).handed_to_receivables_at is None


def test_delivery_refused_before_departure_and_arrival(org):
    order = make_order(org)
    prepare(org, order)
    args = {"actor": org.service, "order": order, "delivered_at": timezone.now(), "hour_meter": "3"}
    with pytest.raises(ValidationError) as exc:
        svc.delivery_done(**args, checklist_photo=photo())
    assert "not left" in refused(exc, "transport")
    svc.transport_depart(actor=org.service, order=order, eta=timezone.now() + dt.timedelta(hours=3))
    with pytest.raises(ValidationError) as exc:
        svc.delivery_done(**args, checklist_photo=photo())
    assert "not arrived" in refused(exc, "transport")
    _nothing_delivered(order)


def test_delivery_date_before_the_contract_refused(org):
    order = make_order(org)
    on_site(org, order)
    Contract.objects.filter(order=order).update(signed_on=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        svc.delivery_done(
            actor=org.service, order=order, delivered_at=timezone.now(), checklist_photo=photo(), hour_meter="3"
        )
    assert "before the contract was signed" in refused(exc, "delivered_at")
    _nothing_delivered(order)


@pytest.mark.parametrize(
    ("upload", "field", "words"),
    [
        (
            SimpleUploadedFile("list.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg"),
            "checklist_photo",
            "not a photo",
        ),
        (None, "checklist_photo", "Take a photo"),
        (SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"), "checklist_photo", "empty"),
    ],
)
def test_delivery_photo_refusals_write_nothing(org, upload, field, words):
    order = make_order(org)
    on_site(org, order)
    with pytest.raises(ValidationError) as exc:
        svc.delivery_done(
            actor=org.service, order=order, delivered_at=timezone.now(), checklist_photo=upload, hour_meter="3"
        )
    assert words in refused(exc, field)
    _nothing_delivered(order)


def test_delivery_photo_too_large_and_hour_meter_required(org, monkeypatch):
    from visits.method import settings_for

    order = make_order(org)
    on_site(org, order)
    conf = settings_for(org.company.pk)
    conf.photo_max_mb = 1
    conf.save()
    big = photo(jpeg((4000, 3000)) + b"\0" * (1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        svc.delivery_done(
            actor=org.service, order=order, delivered_at=timezone.now(), checklist_photo=big, hour_meter=3
        )
    assert "largest allowed is 1 MB" in refused(exc, "checklist_photo")
    for meter in ("", "-1", "abc"):
        with pytest.raises(ValidationError) as exc:
            svc.delivery_done(
                actor=org.service, order=order, delivered_at=timezone.now(), checklist_photo=photo(), hour_meter=meter
            )
        refused(exc, "hour_meter")
    _nothing_delivered(order)


def test_delivery_and_everything_after_it(org, django_capture_on_commit_callbacks):
    order = make_order(org)
    on_site(org, order)
    received = []

    def listener(sender, contract, **kwargs):
        received.append((sender, contract.pk, contract.schedule))

    schedule_ready.connect(listener)
    try:
        when = timezone.now()
        d = svc.delivery_done(
            actor=org.service, order=order, delivered_at=when, checklist_photo=photo(), hour_meter="3.5"
        )
    finally:
        schedule_ready.disconnect(listener)
    day = timezone.localdate(when)
    d.refresh_from_db()
    assert d.delivered_at == when and d.hour_meter == Decimal("3.5") and d.by == org.service
    with Image.open(d.checklist_photo.open("rb")) as stored:  # re-encoded without metadata
        assert stored.format == "JPEG" and not stored.getexif().get(ExifTags.Base.Make)

    follow = Todo.objects.get(user=org.sales_b1, key=f"orders.delivery.followup.{order.pk}")
    assert follow.due == day + dt.timedelta(days=3) and follow.kind == "delivery_followup"
    visit = Visit.objects.get(customer=order.customer, salesperson=org.sales_b1, status=Visit.Status.PLANNED)
    assert timezone.localdate() <= visit.planned_on <= day + dt.timedelta(days=3)

    due = rules.first_maintenance(day, Decimal("3.5"))
    maintenance = Todo.objects.filter(key=f"orders.maintenance.first.{order.pk}")
    assert {t.user for t in maintenance} == {org.sales_b1, org.service}
    assert all(t.due == due.remind_on == day + dt.timedelta(days=23) for t in maintenance)
    assert "HY659B" in maintenance[0].title and due.due_on.isoformat() in maintenance[0].title

    customer = order.customer
    customer.refresh_from_db()
    assert customer.tier == "silver" and customer.machine_count == 1
    assert StatusChange.objects.filter(customer=customer, kind=StatusChange.Kind.TIER, new="silver").exists()
    assert CustomerMachine.objects.filter(customer=customer, brand="恒岳", model="HY65-9").exists()

    contract = Contract.objects.get(order=order)
    assert contract.handed_to_receivables_at is not None
    assert received == [(Contract, contract.pk, SCHEDULE)]
    order.deal.refresh_from_db()
    assert order.deal.stage.won

    with pytest.raises(ValidationError) as exc:
        svc.delivery_done(actor=org.service, order=order, delivered_at=when, checklist_photo=photo(), hour_meter="4")
    assert "delivered" in refused(exc, "delivered_at")


def test_a_customer_with_a_tier_keeps_it_and_counts_machines(org):
    from customers.services import tier_set

    order = make_order(org)
    tier_set(actor=org.sales_b1, customer=order.customer, tier="gold")
    type(order.customer).objects.filter(pk=order.customer_id).update(machine_count=4)
    on_site(org, order)
    svc.delivery_done(
        actor=org.sales_b1, order=order, delivered_at=timezone.now(), checklist_photo=photo(), hour_meter=0
    )
    order.customer.refresh_from_db()
    assert (order.customer.tier, order.customer.machine_count) == ("gold", 5)


# ------------------------------------------------------------------------------------------ visibility, pages
def test_who_reaches_the_pages(org, other, client_as):
    order = make_order(org)
    for user, status in (
        (org.sales_b1, 200),
        (org.manager_b, 200),
        (org.service, 200),  # the engineer of the customer's region
        (org.admin, 200),
        (org.sales_a1, 404),
        (org.manager_a, 404),
        (other.admin, 404),
    ):
        for name in ("orders:machine", "orders:transport", "orders:delivery"):
            assert client_as(user).get(reverse(name, args=[order.pk])).status_code == status, (user, name)
    order_a = make_order(org, customer=org.cust_a1)
    assert client_as(org.service).get(reverse("orders:machine", args=[order_a.pk])).status_code == 404


def test_pages_walk_and_refusals_show_the_rule(org, client_as):
    order = make_order(org)
    c = client_as(org.service)
    r = c.get(reverse("orders:machine", args=[order.pk]))
    assert r.status_code == 200 and zh("Preparation checklist (整备清单)") in r.content.decode()
    r = c.post(
        reverse("orders:preparation_tick", args=[order.pk]), {"kind": Kind.INSPECTION}, headers={"HX-Request": "1"}
    )
    assert r.status_code == 422 and zh("Assign a machine to the order first.") in r.content.decode()
    r = c.post(
        reverse("orders:machine_register", args=[order.pk]), {"serial_number": "hy659c0001", "engine_number": "E1"}
    )
    assert r.status_code == 302 and Machine.objects.get(order=order).serial_number == "HY659C0001"
    r = c.post(
        reverse("orders:preparation_tick", args=[order.pk]), {"kind": Kind.CLEANING}, headers={"HX-Request": "1"}
    )
    assert r.status_code == 200 and 'data-testid="machine-panel"' in r.content.decode()
    r = c.post(reverse("orders:transport_depart", args=[order.pk]), {"eta": "2099-01-01T10:00"})
    # the only blocker left is the preparation, and the page names it
    assert [b for b, _w in svc.release_blockers(order)] == [rules.Blocker.PREPARATION]
    with translation.override("zh-hans"):
        reasons = "；".join(str(w) for _b, w in svc.release_blockers(order))
    assert (
        r.status_code == 422
        and zh("The machine may not leave yet: %(reasons)s.", reasons=reasons) in r.content.decode()
    )
    r = c.get(reverse("orders:delivery", args=[order.pk]))
    assert r.status_code == 200 and zh("Auspicious days (黄道吉日)") in r.content.decode()
    r = client_as(org.sales_b1).post(reverse("orders:machine_assign", args=[order.pk]), {"machine": 0})
    assert r.status_code in (403, 404)


def test_whole_path_through_the_api(org):
    order = make_order(org)
    api = ApiClient(org.service)
    base = f"/api/orders/orders/{order.pk}"
    m = svc.machine_register(actor=org.manager_b, product=product_of(org), serial_number="HY659D0001")
    assert api.post(f"{base}/machine", {"machine": m.pk}).status_code == 200
    state = api.get(f"{base}/machine").json()
    assert state["machine"]["serial_number"] == "HY659D0001" and len(state["preparation"]) == 6
    r = api.post(f"{base}/transport/depart", {"eta": "2099-01-01T10:00:00+08:00"})
    assert r.status_code == 422 and "release" in r.json()["error"]["fields"]
    for i in range(len(rules.DEFAULT_ACCESSORIES)):
        assert api.post(f"{base}/accessories/{i}", {"ticked": True}).status_code == 200
    carrier = flatbed(org)
    for kind in Kind.values:
        body = {"carrier": carrier.pk, "vehicle": "鲁Q1", "driver": "王", "engineer": org.service.pk}
        assert api.post(f"{base}/preparation/{kind}", body).status_code == 200, kind
    eta = (timezone.now() + dt.timedelta(hours=5)).isoformat()
    assert api.post(f"{base}/transport/depart", {"eta": eta}).status_code == 200
    later = (timezone.now() + dt.timedelta(hours=9)).isoformat()
    r = api.post(f"{base}/transport/events", {"kind": "delay", "note": "堵车", "new_eta": later})
    assert r.status_code == 201 and [e["kind"] for e in r.json()["timeline"]] == ["departed", "delay"]
    assert api.post(f"{base}/transport/events", {"kind": "teleport"}).status_code == 422
    assert api.post(f"{base}/transport/arrive").status_code == 200
    r = api.client.post(
        f"{base}/delivery",
        {"delivered_at": timezone.now().isoformat(), "hour_meter": "2", "checklist_photo": photo()},
        headers=api.headers,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["delivered_at"] and body["contract_handed_to_receivables_at"] and body["checklist_photo_url"]
    assert isinstance(body["auspicious_days"], list)
    assert ApiClient(org.sales_a1).get(f"{base}/machine").status_code == 404
    other = make_order(org)
    spare = svc.machine_register(actor=org.manager_b, product=product_of(org), serial_number="HY659D0002")
    r = ApiClient(org.sales_b1).post(f"/api/orders/orders/{other.pk}/machine", {"machine": spare.pk})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_stock_and_deliveries_lists_have_a_fixed_query_count(org, client_as):
    c = client_as(org.manager_b)
    register(org, serial="HY659E9999")
    make_order(org)
    c.get(reverse("orders:machines"))
    c.get(reverse("orders:deliveries"))

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = (count(reverse("orders:machines")), count(reverse("orders:deliveries")))
    for i in range(5):
        register(org, serial=f"HY659E{i:04d}")
        make_order(org)
    prepare(org, Order.objects.order_by("pk").last())
    after = (count(reverse("orders:machines")), count(reverse("orders:deliveries")))
    assert before == after
    r = c.get(reverse("orders:deliveries"))
    assert r.content.decode().count('href="/orders/order/') >= 5
    assert client_as(org.sales_b1).get(reverse("orders:machines")).status_code == 403


def test_demo_machines_transports_and_deliveries(org):
    import random

    from orders.demo_deals import seed_deals
    from orders.demo_delivery import seed_delivery
    from pitch.demo import seed_catalogue
    from policies.demo import seed_demo_policies

    for i in range(24):  # customers for the demo deals
        sales, region = (org.sales_a1, org.region_a) if i % 2 else (org.sales_b1, org.region_b)
        make_customer(sales, region=region, owner=sales, grade=9)
    seed_catalogue(org.company)
    seed_demo_policies(org.company)
    seed_deals(org.company, rng=random.Random(7))
    counts = seed_delivery(org.company, rng=random.Random(8))
    assert counts["stock"] > 0 and counts["transports"] > 0
    assert svc.machines_in_stock(org.admin).count() == counts["stock"]
    assert TransportEvent.objects.filter(kind=TransportEvent.Kind.DELAY).exists()
    assert Todo.objects.filter(kind="transport_delay").exists()
    for d in Delivery.objects.filter(delivered_at__isnull=False).select_related("order"):
        t = Transport.objects.get(order=d.order)
        assert t.departed_at < t.arrived_at <= d.delivered_at
        assert Contract.objects.get(order=d.order).handed_to_receivables_at is not None
        assert Todo.objects.filter(key=f"orders.delivery.followup.{d.order_id}").exists()
    assert seed_delivery(org.company, rng=random.Random(8))["stock"] == 0  # idempotent stock
