"""The instalment dossier (orders/dossier.py, views_dossier.py, api_dossier.py): checklist by
policy, uploads (type, size, identity-card checksum), encryption and masking, reveal logged,
verification by finance of the region only, refusal with a to-do, the completeness gate."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from PIL import ExifTags, Image

from core.models import SensitiveAccess, Todo
from customers.models import Customer, Relation
from orders import dossier as svc
from orders.domain import dossier as d
from orders.models import Deal, DealStage, DossierItem, Order
from pitch.models import Product
from policies.demo import seed_policies
from policies.models import Policy
from tests.factories import make_customer, make_id_number, zh


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are matched by their English source text (pages show them in the user's language)."""
    with translation.override("en"):
        yield


_numbers = iter(range(1, 100_000))


def make_order(org, *, customer=None, policy_code="mfr_instalment", salesperson=None) -> Order:
    company = org.company
    if not Policy.objects.filter(company=company).exists():
        seed_policies(company, today=timezone.localdate())
    product = Product.objects.filter(company=company).first() or Product.objects.create(
        company=company, brand="恒岳", code="HY65-9", name="小型挖掘机", operating_weight_kg=6050
    )
    stage = DealStage.objects.filter(company=company).order_by("order").first()
    stage = stage or DealStage.objects.create(company=company, code="order", name="订单", order=30)
    customer = customer or org.cust_a1
    now = timezone.now()
    deal = Deal.objects.create(
        company=company,
        customer=customer,
        product=product,
        salesperson=salesperson or org.sales_a1,
        stage=stage,
        stage_since=now,
        created_at=now,
    )
    policy = Policy.objects.get(company=company, code=policy_code) if policy_code else None
    return Order.objects.create(
        company=company,
        deal=deal,
        customer=customer,
        product=product,
        policy=policy,
        number=f"DD2026{next(_numbers):05d}",
        price_fen=36_800_000,
        delivery_on=timezone.localdate() + dt.timedelta(days=20),
        delivery_place="济南市历城区工地",
        down_payment_fen=11_040_000,
        created_by=org.sales_a1,
        created_at=now,
    )


def jpeg(size=(400, 300), *, gps=True) -> bytes:
    image = Image.new("RGB", size, (200, 200, 190))
    for x in range(0, size[0], 30):
        image.paste((20, 20, 20), (x, 0, x + 6, size[1]))
    exif = Image.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (36.0, 40.0, 48.36), 3: "E", 4: (117.0, 3.0, 48.24)}
    exif[ExifTags.Base.Make] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def upload(name="id.jpg", data=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type=content_type)


def item_of(order, kind) -> DossierItem:
    return DossierItem.objects.get(order=order, kind=kind)


def installed(org, **kw) -> Order:
    order = make_order(org, **kw)
    svc.dossier_install(order=order, actor=order.deal.salesperson)
    return order


def fill(org, order, *, actor=None, verify=False):
    """Upload every required document (valid numbers), optionally verify them as finance."""
    actor = actor or order.deal.salesperson
    for item in DossierItem.objects.filter(order=order, required=True):
        number = make_id_number() if item.kind in d.ID_DOCUMENTS else None
        svc.dossier_upload(actor=actor, item=item, file=upload(), person_name="张建国", id_number=number)
        if verify:
            svc.dossier_verify(actor=org.finance, item=item)


def kinds(order) -> dict[str, tuple[bool, str]]:
    return {i.kind: (i.required, i.condition) for i in DossierItem.objects.filter(order=order)}


# ------------------------------------------------------------------------------------------ checklist
def test_full_payment_order_needs_nothing_and_is_complete(org):
    order = installed(org, policy_code="full_payment")
    assert not DossierItem.objects.filter(order=order).exists()
    assert svc.dossier_complete(order)
    no_policy = installed(org, policy_code=None)
    assert svc.dossier_complete(no_policy)


def test_checklist_follows_the_policy_and_the_customer(org):
    # manufacturer instalment: a guarantor; marital status not known
    order = installed(org, policy_code="mfr_instalment")
    assert kinds(order) == {
        "buyer_id": (True, ""),
        "household": (True, ""),
        "spouse_id": (True, "if_married"),
        "marriage": (True, "if_married"),
        "guarantor_id": (True, ""),
        "guarantor_household": (True, ""),
    }
    assert not svc.dossier_complete(order)
    # a bank loan for a company whose wife is recorded: property certificate, business licence
    company = make_customer(
        org.sales_a1, region=org.region_a, owner=org.sales_a1, name="济南宏远建设有限公司", kind="company"
    )
    Relation.objects.create(company=org.company, customer=company, kind="family", name="王芳", relation="妻子")
    bank = installed(org, customer=company, policy_code="bank_loan")
    assert kinds(bank) == {
        "buyer_id": (True, ""),
        "household": (True, ""),
        "spouse_id": (True, ""),
        "marriage": (True, ""),
        "property": (True, ""),
        "business_licence": (True, ""),
    }


def test_install_is_idempotent_and_a_policy_change_keeps_uploads(org):
    order = installed(org, policy_code="mfr_instalment")
    ids = set(DossierItem.objects.filter(order=order).values_list("pk", flat=True))
    svc.dossier_install(order=order, actor=org.sales_a1)
    assert set(DossierItem.objects.filter(order=order).values_list("pk", flat=True)) == ids
    svc.dossier_upload(
        actor=org.sales_a1,
        item=item_of(order, "guarantor_id"),
        file=upload(),
        person_name="李担保",
        id_number=make_id_number(),
    )
    # the policy changes to a bank loan: property certificate added, guarantor no longer needed
    order.policy = Policy.objects.get(company=org.company, code="bank_loan")
    order.save()
    svc.dossier_install(order=order, actor=org.sales_a1)
    now = kinds(order)
    assert now["property"] == (True, "")
    assert now["guarantor_id"] == (False, "")  # uploaded: kept, not required any more
    assert "guarantor_household" not in now  # empty: removed


def test_marital_status_stated(org):
    order = installed(org)
    svc.dossier_marital(actor=org.sales_a1, order=order, married=False)
    assert kinds(order)["spouse_id"] == (False, "not_married")
    svc.dossier_install(order=order, actor=org.sales_a1)  # a re-install keeps the statement
    assert kinds(order)["marriage"] == (False, "not_married")
    svc.dossier_marital(actor=org.sales_a1, order=order, married=True)
    assert kinds(order)["spouse_id"] == (True, "")
    with pytest.raises(PermissionError):
        svc.dossier_marital(actor=org.sales_a2, order=order, married=False)  # not their customer


# ------------------------------------------------------------------------------------------ upload
def test_upload_encrypts_the_number_strips_exif_and_records_who(org):
    order = installed(org)
    number = make_id_number()
    item = svc.dossier_upload(
        actor=org.sales_a1,
        item=item_of(order, "buyer_id"),
        file=upload(),
        person_name="张建国",
        id_number=number.lower(),
    )
    assert item.id_number == number  # normalised (lower-case x), plain in Python
    assert item.uploaded_by == org.sales_a1 and item.uploaded_at is not None
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM orders_dossieritem WHERE id = %s", [item.pk])
        stored = cur.fetchone()[0]
    assert number not in stored and stored.startswith("gAAAA")  # a Fernet token at rest
    with item.file.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        assert image.format == "JPEG"
        assert not image.getexif()  # no GPS, no camera maker
    # the picture of the ID card is encrypted on disk too: no JPEG marker, a Fernet token
    on_disk = open(item.file.path, "rb").read()
    assert on_disk.startswith(b"gAAAAA") and b"\xff\xd8\xff" not in on_disk and b"JFIF" not in on_disk


def test_bad_checksum_refused_and_nothing_written(org):
    order = installed(org)
    item = item_of(order, "buyer_id")
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张建国", id_number=bad)
    assert "check digit" in exc.value.message_dict["id_number"][0]
    item.refresh_from_db()
    assert not item.file and item.id_number == "" and item.uploaded_at is None
    with pytest.raises(ValidationError) as exc:
        svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="", id_number=None)
    assert set(exc.value.message_dict) == {"id_number", "person_name"}  # every field's problem at once


def test_buyer_number_must_match_the_customer_and_differ_from_the_guarantor(org):
    recorded = make_id_number()
    person = make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name="刘大壮", id_number=recorded)
    order = installed(org, customer=person)
    with pytest.raises(ValidationError) as exc:
        svc.dossier_upload(
            actor=org.sales_a1,
            item=item_of(order, "buyer_id"),
            file=upload(),
            person_name="刘大壮",
            id_number=make_id_number(),
        )
    assert "recorded for the customer" in exc.value.message_dict["id_number"][0]
    svc.dossier_upload(
        actor=org.sales_a1, item=item_of(order, "buyer_id"), file=upload(), person_name="刘大壮", id_number=recorded
    )
    with pytest.raises(ValidationError) as exc:
        svc.dossier_upload(
            actor=org.sales_a1,
            item=item_of(order, "guarantor_id"),
            file=upload(),
            person_name="李四",
            id_number=recorded,
        )
    assert "buyer's own" in exc.value.message_dict["id_number"][0]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("id.exe", b"MZ\x90\x00" + b"\x00" * 100, "neither a photo nor a PDF"),
        ("id.jpg", b"GIF89a" + b"\x00" * 50, "neither a photo nor a PDF"),  # named .jpg, is not
        ("id.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 60, "not a readable picture"),  # a broken JPEG
        ("id.pdf", b"%PDF-1.4\n garbage without end", "not a complete PDF"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_wrong_file_type_refused(org, name, data, words):
    order = installed(org)
    item = item_of(order, "household")
    with pytest.raises(ValidationError) as exc:
        svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(name, data), person_name="张建国")
    assert words in exc.value.message_dict["file"][0]
    item.refresh_from_db()
    assert not item.file


def test_pdf_and_png_accepted(org):
    order = installed(org)
    a = svc.dossier_upload(
        actor=org.sales_a1,
        item=item_of(order, "household"),
        file=upload("hk.pdf", PDF, "application/pdf"),
        person_name="张",
    )
    assert a.file.name.endswith(".pdf")
    with a.file.open("rb") as fh:
        assert fh.read() == PDF  # a PDF is given back as sent (and kept encrypted on disk)
    assert b"%PDF" not in open(a.file.path, "rb").read()
    b = svc.dossier_upload(
        actor=org.sales_a1, item=item_of(order, "marriage"), file=upload("m.png", png(), "image/png"), person_name="张"
    )
    assert b.file.name.endswith(".png")


def test_too_large_refused(org, monkeypatch):
    order = installed(org)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF", "application/pdf")
    with pytest.raises(ValidationError) as exc:
        svc.dossier_upload(actor=org.sales_a1, item=item_of(order, "household"), file=big, person_name="张")
    assert "largest allowed is 10 MB" in exc.value.message_dict["file"][0]


def test_upload_refused_to_others(org, other):
    order = installed(org)
    item = item_of(order, "household")
    for user in (org.sales_a2, org.sales_b1, org.manager_b, org.service, other.admin):
        with pytest.raises(PermissionError):
            svc.dossier_upload(actor=user, item=item, file=upload(), person_name="张")
    svc.dossier_upload(actor=org.manager_a, item=item, file=upload(), person_name="张")  # the region's manager may


# ------------------------------------------------------------------------------------------ verify
def test_verification_by_the_wrong_role_refused(org):
    order = installed(org)
    item = item_of(order, "household")
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    for user in (org.sales_a1, org.manager_a, org.service):
        with pytest.raises(PermissionError):
            svc.dossier_verify(actor=user, item=item)
    item.refresh_from_db()
    assert item.verified_at is None
    done = svc.dossier_verify(actor=org.finance, item=item)
    assert done.verified_by == org.finance and done.verified_at is not None


def test_finance_of_another_region_refused(org):
    order = installed(org, customer=org.cust_b1, salesperson=org.sales_b1)  # region B: finance covers A only
    item = item_of(order, "household")
    svc.dossier_upload(actor=org.sales_b1, item=item, file=upload(), person_name="周")
    with pytest.raises(PermissionError):
        svc.dossier_verify(actor=org.finance, item=item)
    svc.dossier_verify(actor=org.admin, item=item)  # an administrator may


def test_nothing_to_verify_before_upload(org):
    order = installed(org)
    with pytest.raises(ValidationError) as exc:
        svc.dossier_verify(actor=org.finance, item=item_of(order, "household"))
    assert "not been uploaded" in exc.value.message_dict["file"][0]


def test_reject_needs_a_reason_and_posts_a_todo_to_the_salesperson(org):
    order = installed(org)
    item = item_of(order, "household")
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    with pytest.raises(ValidationError) as exc:
        svc.dossier_reject(actor=org.finance, item=item, reason="  ")
    assert "reason" in exc.value.message_dict
    svc.dossier_reject(actor=org.finance, item=item, reason="照片模糊，看不清户主页")
    item.refresh_from_db()
    assert svc.item_status(item) == d.REFUSED and item.verified_by == org.finance
    todo = Todo.objects.get(user=org.sales_a1, key=f"orders.dossier.refused.{item.pk}")
    assert todo.status == Todo.Status.OPEN and "照片模糊" in todo.note
    with pytest.raises(ValidationError):
        svc.dossier_verify(actor=org.finance, item=item)  # refused: upload again first
    # a new upload clears the refusal and closes the to-do
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    item.refresh_from_db()
    todo.refresh_from_db()
    assert item.rejected_reason == "" and item.verified_at is None and svc.item_status(item) == d.UPLOADED
    assert todo.status == Todo.Status.DONE


def test_new_upload_clears_a_verification(org):
    order = installed(org)
    item = item_of(order, "household")
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    svc.dossier_verify(actor=org.finance, item=item)
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    item.refresh_from_db()
    assert item.verified_at is None and item.verified_by is None


def test_finance_todo_when_the_last_document_is_in_and_the_gate(org):
    order = installed(org)
    svc.dossier_marital(actor=org.sales_a1, order=order, married=False)
    key = f"orders.dossier.verify.{order.pk}"
    items = list(DossierItem.objects.filter(order=order, required=True))
    for n, item in enumerate(items):
        assert not Todo.objects.filter(key=key).exists()  # not before the last one
        number = make_id_number() if item.kind in d.ID_DOCUMENTS else None
        svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张", id_number=number)
    todo = Todo.objects.get(key=key)
    assert todo.user == org.finance and todo.status == Todo.Status.OPEN
    assert reverse("orders:dossier", args=[order.pk]) == todo.url
    assert not svc.dossier_complete(order)  # uploaded is not verified
    for item in items[:-1]:
        svc.dossier_verify(actor=org.finance, item=item)
        assert not svc.dossier_complete(order)
    svc.dossier_verify(actor=org.finance, item=items[-1])
    assert svc.dossier_complete(order)
    todo.refresh_from_db()
    assert todo.status == Todo.Status.DONE
    # a policy change that adds a document reopens the gate
    order.policy = Policy.objects.get(company=org.company, code="bank_loan")
    order.save()
    assert not svc.dossier_complete(order)  # property certificate needed, even before re-install


# ------------------------------------------------------------------------------------------ pages
def page(client, order):
    return client.get(reverse("orders:dossier", args=[order.pk]))


def test_page_masks_the_number_for_a_salesperson(org, client_as):
    order = installed(org)
    number = make_id_number()
    svc.dossier_upload(
        actor=org.sales_a1, item=item_of(order, "buyer_id"), file=upload(), person_name="张建国", id_number=number
    )
    response = page(client_as(org.sales_a1), order)
    html = response.content.decode()
    assert response.status_code == 200
    assert number not in html
    assert f"{number[:4]}**********{number[-4:]}" in html
    assert 'data-testid="id-reveal"' not in html
    assert 'capture="environment"' in html and 'accept="image/*,application/pdf"' in html
    reveal = client_as(org.sales_a1).post(reverse("orders:dossier_reveal", args=[item_of(order, "buyer_id").pk]))
    assert reveal.status_code == 403 and number not in reveal.content.decode()
    assert not SensitiveAccess.objects.exists()


def test_reveal_logged_for_finance(org, client_as):
    order = installed(org)
    number = make_id_number()
    item = svc.dossier_upload(
        actor=org.sales_a1, item=item_of(order, "buyer_id"), file=upload(), person_name="张建国", id_number=number
    )
    c = client_as(org.finance)
    assert 'data-testid="id-reveal"' in page(c, order).content.decode()
    response = c.post(reverse("orders:dossier_reveal", args=[item.pk]))
    assert response.status_code == 200 and number in response.content.decode()
    access = SensitiveAccess.objects.get()
    assert access.user == org.finance and access.field == "id_number" and access.object_id == str(item.pk)
    assert access.kind == SensitiveAccess.Kind.REVEAL


def test_page_upload_verify_and_reject_flow(org, client_as):
    order = installed(org)
    item = item_of(order, "household")
    c = client_as(org.sales_a1)
    url = reverse("orders:dossier_upload", args=[item.pk])
    bad = c.post(
        url, {"person_name": "张", "file": upload("x.txt", b"hello", "text/plain")}, headers={"HX-Request": "1"}
    )
    assert bad.status_code == 422
    not_a_document = zh(
        "“%(name)s” is neither a photo nor a PDF: send a %(formats)s file.", name="x.txt", formats=svc.FORMAT_NAMES
    )
    assert not_a_document in bad.content.decode()
    ok = c.post(url, {"person_name": "张", "file": upload()})
    assert ok.status_code == 302
    item.refresh_from_db()
    assert item.file
    # the file is served only to whoever may see the order
    file_url = reverse("orders:dossier_file", args=[item.pk])
    served = c.get(file_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:3] == b"\xff\xd8\xff"  # decrypted for who may see it
    assert served["Cache-Control"] == "private, no-store"
    assert client_as(org.sales_a2).get(file_url).status_code == 404
    assert client_as(org.sales_b1).get(file_url).status_code == 404
    # the salesperson sees no verify button; the manager may not verify
    assert 'data-testid="item-verify"' not in page(c, order).content.decode()
    assert client_as(org.manager_a).post(reverse("orders:dossier_verify", args=[item.pk])).status_code == 403
    f = client_as(org.finance)
    assert 'data-testid="item-verify"' in page(f, order).content.decode()
    r = f.post(reverse("orders:dossier_reject", args=[item.pk]), {"reason": ""}, headers={"HX-Request": "1"})
    assert r.status_code == 422 and zh("Say why the document is refused.") in r.content.decode()
    assert f.post(reverse("orders:dossier_verify", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    assert item.verified_by == org.finance
    html = page(c, order).content.decode()
    when = date_filter(timezone.localtime(item.verified_at), "Y-m-d H:i")
    assert zh("verified by %(who)s at %(when)s", who=str(org.finance), when=when) in html


def test_queue_for_finance_with_a_fixed_number_of_queries(org, client_as, django_assert_num_queries):
    c = client_as(org.finance)
    first = installed(org)
    fill(org, first)
    c.get(reverse("orders:dossier_queue"))  # warm the session and the menu's caches
    with django_assert_num_queries(_queue_queries(c)) as ctx:
        response = c.get(reverse("orders:dossier_queue"))
    assert response.status_code == 200
    n = len(ctx.captured_queries)
    for _i in range(3):
        fill(org, installed(org, customer=org.cust_a2, salesperson=org.sales_a2))
    fill(org, installed(org, customer=org.cust_b1, salesperson=org.sales_b1))  # region B
    with django_assert_num_queries(n):
        response = c.get(reverse("orders:dossier_queue"))
    html = response.content.decode()
    assert html.count('data-testid="queue-row"') == 4  # region B not in finance's regions
    assert org.cust_b1.name not in html
    assert client_as(org.sales_a1).get(reverse("orders:dossier_queue")).status_code == 403


def _queue_queries(c) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        c.get(reverse("orders:dossier_queue"))
    return len(ctx.captured_queries)


def test_dossier_page_has_a_fixed_number_of_queries(org, client_as, django_assert_num_queries):
    order = installed(org)
    c = client_as(org.finance)
    page(c, order)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        page(c, order)
    n = len(ctx.captured_queries)
    fill(org, order)
    with django_assert_num_queries(n):
        assert page(c, order).status_code == 200


# ------------------------------------------------------------------------------------------ API
def test_api_dossier_masks_and_uploads(org, api_as):
    order = installed(org)
    number = make_id_number()
    item = item_of(order, "buyer_id")
    api = api_as(org.sales_a1)
    r = api.client.post(
        f"/api/orders/dossier/{item.pk}/upload",
        {"file": upload(), "person_name": "张建国", "id_number": number},
        headers=api.headers,
    )
    assert r.status_code == 200, r.content
    assert r.json()["id_number_masked"] == f"{number[:4]}**********{number[-4:]}"
    body = api.get(f"/api/orders/orders/{order.pk}/dossier").json()
    assert number not in str(body)
    assert body["complete"] is False and body["instalment"] is True
    buyer = next(i for i in body["items"] if i["kind"] == "buyer_id")
    assert buyer["status"] == "uploaded" and buyer["file_url"] == reverse("orders:dossier_file", args=[item.pk])
    # a bad checksum: 422 naming the field
    bad = api.client.post(
        f"/api/orders/dossier/{item_of(order, 'spouse_id').pk}/upload",
        {"file": upload(), "person_name": "王芳", "id_number": "110101199003071230"},
        headers=api.headers,
    )
    assert bad.status_code == 422 and "id_number" in bad.json()["error"]["fields"]
    # finance masks too: the API never reveals
    assert number not in str(api_as(org.finance).get(f"/api/orders/orders/{order.pk}/dossier").json())


def test_api_verify_reject_and_waiting(org, api_as):
    order = installed(org)
    item = item_of(order, "household")
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    assert api_as(org.sales_a1).post(f"/api/orders/dossier/{item.pk}/verify").status_code == 403
    assert api_as(org.sales_b1).post(f"/api/orders/dossier/{item.pk}/verify").status_code == 404
    fin = api_as(org.finance)
    waiting = fin.get("/api/orders/dossier/waiting").json()
    assert waiting["count"] == 1 and waiting["items"][0]["waiting"] == 1
    assert fin.post(f"/api/orders/dossier/{item.pk}/reject", {"reason": ""}).status_code == 422
    r = fin.post(f"/api/orders/dossier/{item.pk}/reject", {"reason": "不清楚"})
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["refused_reason"] == "不清楚"
    svc.dossier_upload(actor=org.sales_a1, item=item, file=upload(), person_name="张")
    r = fin.post(f"/api/orders/dossier/{item.pk}/verify")
    assert r.status_code == 200 and r.json()["verified_by"] == org.finance.pk
    assert api_as(org.sales_a1).get("/api/orders/dossier/waiting").status_code == 403
    m = api_as(org.sales_a1).post(f"/api/orders/orders/{order.pk}/dossier/marital", {"married": False})
    assert m.status_code == 200 and m.json()["married"] is False


def test_customer_kind_company_constant():
    assert Customer.Kind.COMPANY == "company"


# ------------------------------------------------------------------------------------------ demo
def test_demo_dossiers(org):
    import random

    from customers.rules import valid_id_number
    from orders import deals
    from orders.demo_dossier import seed_dossier

    deals.install_defaults(org.company.pk)
    stages = deals.stages_for(org.company.pk)
    orders = [installed(org) for _ in range(3)]
    for order, at in zip(orders, (5, 4, 1), strict=True):  # down payment, contract, early
        Deal.objects.filter(pk=order.deal_id).update(stage=stages[at])
    counts = seed_dossier(org.company, rng=random.Random(7))
    assert counts["dossiers"] == 3
    assert counts["uploaded"] >= 3 and counts["verified"] >= 1 and counts["refused"] == 1
    for order in orders:
        assert not svc.dossier_complete(order)  # demo deals stay where they are
        for item in DossierItem.objects.filter(order=order).exclude(file=""):
            if item.kind in d.ID_DOCUMENTS:
                assert valid_id_number(item.id_number)
    assert not DossierItem.objects.filter(order=orders[2]).exclude(file="").exists()
    assert set(DossierItem.objects.filter(order=orders[1]).exclude(file="").values_list("kind", flat=True)) == {
        "buyer_id",
        "household",
    }
    assert services_waiting(org) == 2  # documents uploaded and not yet checked, at any stage


def services_waiting(org) -> int:
    return svc.waiting_orders(org.finance).count()


def test_audit_trail_hides_the_number(org):
    from core import audit
    from core.audit import history_for
    from core.models import Channel

    order = installed(org)
    number = make_id_number()
    with audit.acting(org.sales_a1, Channel.PAGE):
        item = svc.dossier_upload(
            actor=org.sales_a1, item=item_of(order, "buyer_id"), file=upload(), person_name="张建国", id_number=number
        )
    with audit.acting(org.finance, Channel.API):
        svc.dossier_verify(actor=org.finance, item=item)
    entries = list(history_for(item))
    assert {e.actor_id for e in entries} >= {org.sales_a1.pk, org.finance.pk}
    assert all(number not in str(e.changes) for e in entries)


def test_page_setup_and_marital_status(org, client_as):
    order = make_order(org)  # straight in the database: order_create would have set the checklist up
    c = client_as(org.sales_a1)
    html = page(c, order).content.decode()
    assert 'data-testid="dossier-setup"' in html
    assert not DossierItem.objects.filter(order=order).exists()  # a GET never writes
    assert c.post(reverse("orders:dossier_setup", args=[order.pk])).status_code == 302
    assert DossierItem.objects.filter(order=order).count() == 6
    assert 'data-testid="dossier-setup"' not in page(c, order).content.decode()
    r = c.post(reverse("orders:dossier_marital", args=[order.pk]), {"married": "no"}, headers={"HX-Request": "1"})
    assert r.status_code == 200 and f'data-testid="marital-status">{zh("not married")}<' in r.content.decode()
    bad = c.post(reverse("orders:dossier_marital", args=[order.pk]), {"married": "maybe"}, headers={"HX-Request": "1"})
    assert bad.status_code == 422 and zh("Say whether the buyer is married.") in bad.content.decode()
    assert client_as(org.sales_b1).get(reverse("orders:dossier", args=[order.pk])).status_code == 404


def test_full_payment_page_says_no_dossier(org, client_as):
    order = installed(org, policy_code="full_payment")
    html = page(client_as(org.sales_a1), order).content.decode()
    assert zh("A full-payment order needs no instalment dossier.") in html
    assert 'data-complete="yes"' in html


def test_api_upload_without_a_file(org, api_as):
    order = installed(org)
    api = api_as(org.sales_a1)
    item = item_of(order, "household")
    r = api.client.post(f"/api/orders/dossier/{item.pk}/upload", {"person_name": "张"}, headers=api.headers)
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
    r = api.client.post(
        f"/api/orders/dossier/{item.pk}/upload", {"person_name": "张", "file": upload()}, headers=api.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "uploaded"
    assert api_as(org.sales_b1).get(f"/api/orders/orders/{order.pk}/dossier").status_code == 404
    assert api.get(f"/api/orders/orders/{order.pk}/dossier?x=1").status_code == 400
