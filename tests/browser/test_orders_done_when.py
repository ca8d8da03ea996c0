"""Issue 6's done-when path on a phone: a quoted demo deal goes from the quote to the delivered
machine in the browser, every step done by whoever does it in real life — the salesperson starts
the deal from the quote, has the order confirmed with a signature drawn on the phone, records the
deposit, is refused when skipping the contract, draws up and uploads the signed contract, records
the down payment and uploads the instalment dossier; finance verifies it; the service engineer
registers the machine, ticks its preparation, sends it, records a delay, its arrival and the
handover with the photo of the signed delivery list. Every document is a PDF that reads in Chinese;
afterwards the deal is won, the three-day follow-up and the first-maintenance to-dos exist, the
contract's schedule is handed to receivables and the customer owns a machine with a tier."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.factories import make_id_number
from tests.pdfcheck import assert_renders_chinese, pdf_text

from .helpers import ZH, assert_fits_width, go, login_ok, t

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIGDEAL_SHOTS")  # a folder: keep phone screenshots of each step to look at


def _shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"orders-done-when-{name}.png"), full_page=True)


def _image(text: str, fmt: str = "JPEG") -> bytes:
    """A photo-like picture of a paper document (Pillow), as the phone's camera would send it."""
    img = Image.new("RGB", (900, 600), (246, 244, 236))
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 30, 870, 570), outline=(40, 40, 40), width=4)
    draw.text((60, 60), text, fill=(20, 20, 20))
    for y in range(140, 540, 40):
        draw.line((60, y, 840, y), fill=(120, 120, 120), width=2)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def _file(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def _draw_signature(page):
    canvas = page.get_by_test_id("signature-canvas")
    canvas.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the phone's bottom bar
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] - 20)
    page.mouse.down()
    for i in range(1, 14):
        page.mouse.move(box["x"] + 20 + i * 18, box["y"] + 30 + (i % 3) * 35)
    page.mouse.up()


def _pdf(page, href: str) -> bytes:
    response = page.request.get(href)
    assert response.status == 200, f"{href}: HTTP {response.status}"
    assert response.headers["content-type"] == "application/pdf"
    return response.body()


def _dossier_item(page, kind: str):
    return page.locator(f"[data-testid=dossier-item][data-kind={kind}]")


def _switch_user(page, username: str) -> None:
    page.context.clear_cookies()
    login_ok(page, username)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_quote_to_delivered_machine_on_a_phone(page, demo):
    from core.models import Todo
    from customers import method as cmethod
    from customers.models import Customer, CustomerMachine, IndustryContact
    from orders import deals
    from orders.models import Contract, Deal, DealStage, Delivery, DossierItem, Order, Transport
    from pitch.models import Price, Product
    from policies.demo import seed_policies
    from policies.models import Qualification
    from policies.quotes import quote_issue

    # 1. sales1's customer with a guarantor and an issued instalment quote for a HY65-9
    company = demo.company
    cmethod.config_for(company.pk)
    seed_policies(company)
    product = Product.objects.create(company=company, code="HY65-9", name="6.5 吨小型挖掘机", brand="恒岳")
    Price.objects.create(company=company, product=product, list_price_fen=36_800_000, valid_from=dt.date(2020, 1, 1))
    sales = demo.users["sales1"]
    customer = Customer.objects.filter(owner=sales, kind=Customer.Kind.PERSON).order_by("pk").first()
    buyer_id = make_id_number(dt.date(1984, 6, 12), "370102")
    customer.id_number = buyer_id
    customer.save()
    Qualification.objects.create(company=company, customer=customer, has_guarantor=True, credit="good")
    carrier = IndustryContact.objects.create(
        company=company, region=customer.region, owner=sales, kind="flatbed", name="顺达平板车物流", phone="13905310001"
    )
    version = quote_issue(
        actor=sales,
        customer=customer,
        product=product,
        policy_codes=["mfr_instalment"],
        offers={},
        hours_per_month=None,
        hourly_rate=None,
    )
    quote = version.quote
    snapshot = version.content["policies"][0]
    policy_down_fen = int(Decimal(str(snapshot["down_payment"])) * 100)
    deposit_fen = 2_000_000
    rest_fen = policy_down_fen - deposit_fen
    assert rest_fen > 0

    # 2. from the quote page: start a deal
    login_ok(page, "sales1")
    page.goto(f"/policies/quotes/{quote.pk}/")
    assert_fits_width(page)
    _shot(page, "01-quote")
    page.get_by_test_id("new-deal").click()
    expect(page.get_by_test_id("deal-form")).to_be_visible()
    assert_fits_width(page)
    page.get_by_test_id("deal-create").click()
    expect(page).to_have_url(re.compile(r"/orders/deals/\d+/$"))
    deal = Deal.objects.get(customer=customer, quote=quote)
    assert deal.salesperson == sales and deal.product == product
    expect(page.locator("[data-testid=stage-step][data-stage=quote]")).to_have_attribute("data-met", "1")
    assert_fits_width(page)
    _shot(page, "02-deal")

    # 3. the order confirmation, signed with a finger on the phone
    page.get_by_test_id("link-order").click()
    expect(page.get_by_test_id("order-form")).to_be_visible()
    assert_fits_width(page)
    page.get_by_test_id("order-delivery-on").fill((timezone.localdate() + dt.timedelta(days=10)).isoformat())
    page.get_by_test_id("order-delivery-place").fill("济南市历城区王舍人街道工地")
    page.get_by_test_id("order-deposit").fill(f"{deposit_fen / 100:.2f}")
    page.get_by_test_id("order-down-payment").fill(f"{rest_fen / 100:.2f}")
    _shot(page, "03-order-new")
    page.get_by_test_id("order-create").click()
    expect(page).to_have_url(re.compile(r"/orders/order/\d+/$"))
    order = Order.objects.get(deal=deal)
    assert order.policy.code == "mfr_instalment"
    assert (order.deposit_fen, order.down_payment_fen) == (deposit_fen, rest_fen)
    expect(page.get_by_test_id("order-number")).to_have_text(order.number)
    assert_fits_width(page)
    page.get_by_test_id("confirm-name").fill(customer.name)
    _draw_signature(page)
    _shot(page, "04-order-sign")
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("confirmed")).to_be_visible()
    assert_fits_width(page)
    order.refresh_from_db()
    assert order.confirmation == Order.Confirmation.SIGNATURE and order.signature and order.pdf
    pdf = _pdf(page, page.get_by_test_id("order-pdf").get_attribute("href"))
    assert_renders_chinese(pdf, customer.name)
    assert_renders_chinese(pdf, "济南市历城区")
    _shot(page, "05-order-confirmed")

    # 4. the deposit (the salesperson collects it on site) and its numbered receipt
    page.get_by_test_id("deposit-new").click()
    expect(page.get_by_test_id("deposit-form")).to_be_visible()
    assert_fits_width(page)
    page.get_by_test_id("deposit-submit").click()
    expect(page.get_by_test_id("deposit-row")).to_have_count(1)
    assert_fits_width(page)
    receipt = _pdf(page, page.get_by_test_id("deposit-pdf").get_attribute("href"))
    assert_renders_chinese(receipt, customer.name)
    assert_renders_chinese(receipt, "贰万元整")  # 20,000.00 in Chinese capitals
    _shot(page, "06-deposit")

    # 5. skipping the contract is refused, and the refusal names the gate
    page.goto(f"/orders/deals/{deal.pk}/")
    deal.refresh_from_db()
    assert deal.stage.code == "deposit"
    target = DealStage.objects.get(company=company, code="down_payment")
    page.get_by_test_id("move-stage").select_option(str(target.pk))
    page.get_by_test_id("move").click()
    error = page.get_by_test_id("move-error")
    expect(error).to_be_visible()
    with translation.override(ZH):
        expected = deals.refusal("contract_signed", target)
    expect(error).to_contain_text(expected)
    assert_fits_width(page)
    _shot(page, "07-gate-refused")
    deal.refresh_from_db()
    assert deal.stage.code == "deposit"

    # 6. the contract: drawn up for the customer as signer, then the signed copy uploaded
    page.get_by_test_id("link-contract_signed").click()
    expect(page.get_by_test_id("contract-form")).to_be_visible()
    assert_fits_width(page)
    page.get_by_test_id("contract-amount").fill(f"{order.price_fen / 100:.2f}")
    page.get_by_test_id("contract-signer").fill(customer.name)
    page.locator("input[name=signer_is_customer][value='1']").check()
    page.get_by_test_id("contract-submit").click()
    expect(page).to_have_url(re.compile(r"/orders/contract/\d+/$"))
    contract = Contract.objects.get(order=order)
    assert contract.signer_is_customer and contract.amount_fen == order.price_fen
    assert contract.schedule, "the instalment schedule is stored with the contract"
    expect(page.get_by_test_id("contract-schedule")).to_be_visible()
    assert_fits_width(page)
    contract_pdf = _pdf(page, page.get_by_test_id("contract-pdf").get_attribute("href"))
    from orders.domain.documents import rmb_capitals

    assert contract.number in pdf_text(contract_pdf)
    assert_renders_chinese(contract_pdf, "买卖合同")
    assert_renders_chinese(contract_pdf, customer.name)
    assert_renders_chinese(contract_pdf, rmb_capitals(order.price_fen))
    page.get_by_test_id("sign-file").set_input_files(files=[_file("signed.png", "image/png", _image("HT", "PNG"))])
    page.get_by_test_id("sign-submit").click()
    expect(page.get_by_test_id("contract-signed")).to_be_visible()
    assert_fits_width(page)
    _shot(page, "08-contract-signed")
    contract.refresh_from_db()
    assert contract.signed_on == timezone.localdate() and contract.signed_copy

    # 7. the down payment, received in full
    page.goto(f"/orders/order/{order.pk}/")
    page.get_by_test_id("down-payment-new").click()
    expect(page.get_by_test_id("down-payment-form")).to_be_visible()
    expect(page.get_by_test_id("down-payment-amount")).to_have_value(f"{rest_fen / 100:.2f}")
    assert_fits_width(page)
    page.get_by_test_id("down-payment-submit").click()
    expect(page.get_by_test_id("down-payment-row")).to_have_count(1)
    expect(page.get_by_test_id("down-payment-new")).to_have_count(0)  # nothing left to pay
    assert_fits_width(page)
    _shot(page, "09-down-payment")
    deal.refresh_from_db()
    assert deal.stage.code == "down_payment"

    # 8. the instalment dossier: the salesperson uploads, finance verifies
    page.goto(f"/orders/deals/{deal.pk}/")
    expect(page.locator("[data-testid=stage-step][data-stage=down_payment]")).to_have_attribute("data-met", "1")
    assert_fits_width(page)
    page.get_by_test_id("link-dossier").click()
    panel = page.get_by_test_id("dossier-panel")
    expect(panel).to_have_attribute("data-complete", "no")
    assert_fits_width(page)
    # the checklist was set up with the order, from its policy: no set-up button to press
    expect(page.get_by_test_id("dossier-setup")).to_have_count(0)
    expect(page.get_by_test_id("dossier-item").first).to_be_visible()
    page.get_by_test_id("married-no").click()
    expect(page.get_by_test_id("marital-status")).to_have_text(t("not married"))
    people = {
        "buyer_id": (customer.name, buyer_id),
        "household": (customer.name, None),
        "guarantor_id": ("李担保", make_id_number(dt.date(1979, 2, 3), "370103")),
        "guarantor_household": ("李担保", None),
    }
    required = list(
        DossierItem.objects.filter(order=order, required=True).order_by("pk").values_list("kind", flat=True)
    )
    assert sorted(required) == sorted(people)
    assert_fits_width(page)
    for kind, (name, number) in people.items():
        item = _dossier_item(page, kind)
        item.get_by_test_id("item-upload-open").click()
        item.get_by_test_id("person-name").fill(name)
        if number:
            item.get_by_test_id("id-number").fill(number)
        item.get_by_test_id("file-input").set_input_files(files=[_file(f"{kind}.jpg", "image/jpeg", _image(kind))])
        item.get_by_test_id("upload-submit").click()
        expect(page.locator(f"[data-testid=dossier-item][data-kind={kind}]")).to_have_attribute(
            "data-status", "uploaded"
        )
    expect(page.locator("[data-testid=dossier-item][data-kind=buyer_id] [data-testid=id-masked]")).not_to_contain_text(
        buyer_id
    )
    assert_fits_width(page)
    _shot(page, "10-dossier-uploaded")

    _switch_user(page, "finance1")
    go(page, "dossiers")
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    _shot(page, "11-dossier-queue")
    page.get_by_test_id("queue-row").locator("a").first.click()
    expect(page.get_by_test_id("dossier-panel")).to_be_visible()
    assert_fits_width(page)
    for kind in people:
        item = _dossier_item(page, kind)
        item.get_by_test_id("item-verify").click()
        expect(page.locator(f"[data-testid=dossier-item][data-kind={kind}]")).to_have_attribute(
            "data-status", "verified"
        )
    expect(page.get_by_test_id("dossier-panel")).to_have_attribute("data-complete", "yes")
    assert_fits_width(page)
    _shot(page, "12-dossier-verified")
    finance = demo.users["finance1"]
    assert set(DossierItem.objects.filter(order=order, required=True).values_list("verified_by", flat=True)) == {
        finance.pk
    }
    deal.refresh_from_db()
    assert deal.stage.code == "dossier"

    # 9. the service engineer: machine, preparation, transport (with a delay), delivery
    _switch_user(page, "service1")
    engineer = demo.users["service1"]
    page.goto(f"/orders/order/{order.pk}/machine/")
    expect(page.get_by_test_id("machine-panel")).to_be_visible()
    assert_fits_width(page)
    register = page.get_by_test_id("register-form")
    if not register.is_visible():
        page.locator("details.register > summary").click()
    register.locator("#serial_number").fill("HY659-26-00815")
    register.locator("#engine_number").fill("4TNV98-551230")
    register.locator("#telematics_id").fill("TM-8800123")
    register.get_by_test_id("register").click()
    expect(page.get_by_test_id("serial")).to_have_text("HY659-26-00815")
    for kind in ("inspection", "cleaning"):
        page.get_by_test_id(f"tick-{kind}").click()
        expect(page.get_by_test_id(f"prep-{kind}")).to_have_attribute("data-done", "1")
    unticked = page.locator("[data-testid=accessory][aria-pressed=false]")
    while unticked.count():
        n = unticked.count()
        unticked.first.click()
        expect(unticked).to_have_count(n - 1)
    page.get_by_test_id("tick-accessories").click()
    expect(page.get_by_test_id("prep-accessories")).to_have_attribute("data-done", "1")
    form = page.get_by_test_id("tick-form-transport")
    form.locator("#carrier").select_option(str(carrier.pk))
    form.locator("#vehicle").fill("鲁A·3G721")
    form.locator("#driver").fill("张师傅")
    form.locator("#driver_phone").fill("13905310002")
    page.get_by_test_id("tick-transport").click()
    expect(page.get_by_test_id("prep-transport")).to_have_attribute("data-done", "1")
    page.get_by_test_id("tick-form-service_staff").locator("#engineer").select_option(str(engineer.pk))
    page.get_by_test_id("tick-service_staff").click()
    expect(page.get_by_test_id("prep-service_staff")).to_have_attribute("data-done", "1")
    page.get_by_test_id("tick-customer_informed").click()
    expect(page.get_by_test_id("prep-customer_informed")).to_have_attribute("data-done", "1")
    expect(page.get_by_test_id("prep-count")).to_have_text("6/6")
    assert_fits_width(page)
    _shot(page, "13-preparation")
    deal.refresh_from_db()
    assert deal.stage.code == "delivery_prep"

    page.get_by_test_id("to-transport").click()
    expect(page.get_by_test_id("gate-open")).to_be_visible()
    assert_fits_width(page)
    page.locator("#eta").fill((timezone.localtime() + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("depart").click()
    transport_panel = page.get_by_test_id("transport-panel")
    expect(transport_panel).to_have_attribute("data-state", "on-the-road")
    page.locator("input[name=kind][value=delay]").check()
    page.locator("#place").fill("G220 国道 章丘段")
    page.locator("#note").fill("货车限行，改走国道")
    page.locator("#new_eta").fill((timezone.localtime() + dt.timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("record-event").click()
    expect(page.locator("[data-testid=timeline] [data-kind=delay]")).to_have_count(1)
    assert Todo.objects.filter(
        user=sales, kind="transport_delay", object_id=str(order.pk), status=Todo.Status.OPEN
    ).exists(), "a delay puts 'reassure the customer' on the salesperson's list"
    assert_fits_width(page)
    _shot(page, "14-transport-delay")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("arrive").click()
    expect(transport_panel).to_have_attribute("data-state", "arrived")
    assert Transport.objects.get(order=order).arrived_at is not None

    page.get_by_test_id("to-delivery").click()
    expect(page.get_by_test_id("auspicious")).to_be_visible()
    expect(page.locator("[data-testid=days] li").first).to_be_visible()
    assert_fits_width(page)
    _shot(page, "15-delivery")
    page.locator("#hour_meter").fill("3.5")
    page.get_by_test_id("photo-input").set_input_files(
        files=[_file("delivery-list.jpg", "image/jpeg", _image("delivery list signed"))]
    )
    page.get_by_test_id("deliver").click()
    expect(page.get_by_test_id("delivered")).to_be_visible()
    expect(page.get_by_test_id("handed")).to_be_visible()
    photo = page.request.get(f"/orders/order/{order.pk}/delivery/photo/")
    assert photo.status == 200 and photo.headers["content-type"] == "image/jpeg", photo.status
    picture = page.locator("img.delivery-photo")
    picture.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('img.delivery-photo').naturalWidth > 0")
    assert_fits_width(page)
    _shot(page, "16-delivered")

    # 10. after delivery: won, to-dos, schedule for collection, the customer an owner
    assert Delivery.objects.get(order=order).delivered_at is not None
    deal.refresh_from_db()
    assert deal.stage.code == "delivered" and deal.stage.won and deal.status == Deal.Status.WON
    todos = Todo.objects.filter(object_id=str(order.pk))
    assert todos.filter(user=sales, key=f"orders.delivery.followup.{order.pk}").exists()
    follow_up = todos.get(user=sales, key=f"orders.delivery.followup.{order.pk}")
    assert follow_up.due <= timezone.localdate() + dt.timedelta(days=3)
    assert todos.filter(user=sales, key=f"orders.maintenance.first.{order.pk}").exists()
    assert todos.filter(user=engineer, key=f"orders.maintenance.first.{order.pk}").exists()
    contract.refresh_from_db()
    assert contract.handed_to_receivables_at is not None and contract.schedule
    customer.refresh_from_db()
    assert customer.tier
    assert CustomerMachine.objects.filter(customer=customer, model="HY65-9").exists()

    # the salesperson sees the won deal on the phone
    _switch_user(page, "sales1")
    page.goto(f"/orders/deals/{deal.pk}/")
    expect(page.get_by_test_id("deal-status")).to_have_text(t("won"))
    assert_fits_width(page)
    _shot(page, "17-deal-won")
