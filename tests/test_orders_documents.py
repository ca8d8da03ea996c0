"""Order documents (订单确认 · 定金 · 合同 · 首付), issue 6 items 2–5: the services, every refusal naming
its rule, the numbering, the PDFs in Chinese, the reminders, the pages and the API."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from core.models import Todo
from orders import documents as docs
from orders.domain.documents import rmb_capitals
from orders.dossier import dossier_install
from orders.models import Contract, Deal, DealStage, Deposit, DocumentCounter, DossierItem, DownPayment, Order
from pitch.models import Price, Product
from policies import quotes
from policies.demo import seed_policies
from policies.models import Qualification
from tests import pdfcheck
from tests.factories import zh

LIST_PRICE = 36_800_000  # ¥368,000.00


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture
def world(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    seed_policies(org.company, today=today)
    product = Product.objects.create(company=org.company, brand="恒岳", code="HY65-9", name="小型挖掘机")
    Price.objects.create(
        company=org.company, product=product, list_price_fen=LIST_PRICE, valid_from=today - dt.timedelta(days=30)
    )
    Qualification.objects.create(
        company=org.company,
        customer=org.cust_a1,
        has_guarantor=True,
        guarantor="张三",
        property_certificate=True,
        local_household=True,
        credit="good",
    )
    stage = DealStage.objects.create(company=org.company, code="lead", name="线索", order=1)
    now = timezone.now()
    org.deal = Deal.objects.create(
        company=org.company,
        customer=org.cust_a1,
        product=product,
        salesperson=org.sales_a1,
        stage=stage,
        stage_since=now,
        created_at=now,
    )
    org.product = product
    org.today = today
    return org


def quote_version(org):
    return quotes.quote_issue(
        actor=org.sales_a1,
        customer=org.cust_a1,
        product=org.product,
        policy_codes=["mfr_instalment", "bank_loan"],
        offers={},
        hours_per_month=None,
        hourly_rate=None,
    )


def make_order(org, **kw) -> Order:
    args = {
        "actor": org.sales_a1,
        "deal": org.deal,
        "quote_version": None,
        "policy_code": "",
        "extras": ["首年免费保养 4 次", "赠送破碎锤管路"],
        "delivery_on": org.today + dt.timedelta(days=20),
        "delivery_place": "济南市历城区工地",
        "deposit_fen": 2_000_000,
        "deposit_due": org.today + dt.timedelta(days=2),
        "down_payment_fen": 11_040_000,
        "down_payment_due": org.today + dt.timedelta(days=10),
        "commitments": "交车时派工程师现场培训",
    }
    args.update(kw)
    return docs.order_create(**args)


def signature_png(blank: bool = False) -> str:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(10, 100), (80, 20), (150, 90), (290, 10)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def jpeg_upload(name="signed.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (240, 240, 240)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def pdf_upload(name="authorisation.pdf") -> SimpleUploadedFile:
    from core.pdf import html_to_pdf

    return SimpleUploadedFile(name, html_to_pdf("<p>授权委托书</p>"), content_type="application/pdf")


def confirmed(org, **kw) -> Order:
    order = make_order(org, **kw)
    return docs.order_confirm(
        actor=org.sales_a1, order=order, method="stamp", confirmed_by_name=org.cust_a1.name, signature_png=None
    )


def with_deposit(org, **kw) -> Order:
    order = confirmed(org, **kw)
    docs.deposit_record(
        actor=org.sales_a1,
        order=order,
        amount_fen=2_000_000,
        received_on=org.today,
        method="转账",
        refund_terms="因甲方原因不能交车的，全额退还",
        penalty_terms="乙方违约的，定金不退",
    )
    return order


def contracted(org, **kw) -> Contract:
    order = with_deposit(org, **kw)
    return docs.contract_create(
        actor=org.sales_a1,
        order=order,
        signer_name=org.cust_a1.name,
        signer_is_customer=True,
        amount_fen=order.price_fen,
    )


def signed(org, **kw) -> Contract:
    contract = contracted(org, **kw)
    return docs.contract_sign(actor=org.sales_a1, contract=contract, signed_on=org.today, signed_copy=jpeg_upload())


def refusal(field, fn, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        fn(**kw)
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


# ------------------------------------------------------------------------------------------ order


def test_order_from_a_quote_takes_the_policys_price_account_and_extras(world):
    from policies.models import Compensation

    Compensation.objects.create(
        company=world.company,
        customer=world.cust_a1,
        product=world.product,
        kind="free_maintenance",
        description="首年保养 4 次",
        by=world.sales_a1,
        at=timezone.now(),
    )
    version = quote_version(world)
    order = make_order(world, quote_version=version, policy_code="bank_loan", extras=None, down_payment_fen=None)
    snapshot = next(p for p in version.content["policies"] if p["code"] == "bank_loan")
    assert order.price_fen == int(Decimal(snapshot["price"]) * 100)
    assert order.account["code"] == "bank_loan"
    assert order.policy.code == "bank_loan"
    # the deposit turns into part of the policy's down payment
    assert order.deposit_fen + order.down_payment_fen == int(Decimal(snapshot["down_payment"]) * 100)
    assert order.down_payment_fen == int(Decimal(snapshot["down_payment"]) * 100) - 2_000_000
    assert any("首年保养 4 次" in e for e in order.extras)
    assert order.number == f"DD{world.today.year}00001"
    assert order.confirmed_at is None


def test_order_without_a_quote_uses_todays_list_price(world):
    order = make_order(world)
    assert order.price_fen == LIST_PRICE
    assert order.account == {}
    assert order.extras == ["首年免费保养 4 次", "赠送破碎锤管路"]


def test_order_comes_with_its_dossier_checklist(world):
    """order_create sets the instalment dossier's checklist up from the agreed policy (no set-up step)."""

    def rows(order):
        return sorted(DossierItem.objects.filter(order=order).values_list("kind", "required", "condition"))

    order = make_order(world, quote_version=quote_version(world), policy_code="bank_loan", down_payment_fen=None)
    installed = rows(order)
    assert installed and ("buyer_id", True, "") in installed, installed
    dossier_install(order=order, actor=world.sales_a1)  # installing again changes nothing
    assert rows(order) == installed


def test_order_refusals_name_the_rule(world):
    version = quote_version(world)
    assert refusal("policy_code", make_order, org=world, quote_version=version, policy_code="full_payment_xx")
    assert refusal("delivery_on", make_order, org=world, delivery_on=world.today - dt.timedelta(days=1))
    assert refusal("deposit_fen", make_order, org=world, deposit_fen=LIST_PRICE + 1)
    assert refusal("down_payment_fen", make_order, org=world, down_payment_fen=LIST_PRICE + 1)
    assert refusal(
        "down_payment_due",
        make_order,
        org=world,
        deposit_due=world.today + dt.timedelta(days=5),
        down_payment_due=world.today + dt.timedelta(days=3),
    )
    assert refusal("delivery_place", make_order, org=world, delivery_place="  ")
    message = refusal(
        "down_payment_fen", make_order, org=world, quote_version=version, policy_code="bank_loan", down_payment_fen=1
    )
    assert "¥20,000.00" in message  # names the deposit and what to enter
    assert refusal("delivery_on", make_order, org=world, delivery_on="2026-13-40")
    # an expired quote does not become an order: a new version (today's prices and policies) first
    type(version).objects.filter(pk=version.pk).update(valid_until=world.today - dt.timedelta(days=1))
    version.refresh_from_db()
    message = refusal("quote_version", make_order, org=world, quote_version=version, policy_code="bank_loan")
    assert (world.today - dt.timedelta(days=1)).isoformat() in message
    assert not Order.objects.exists()
    assert not Order.objects.exists()
    assert not DocumentCounter.objects.filter(kind="DD").exists()


def test_order_for_someone_elses_customer_is_refused(world):
    with pytest.raises(PermissionError):
        make_order(world, actor=world.sales_a2)
    assert not Order.objects.exists()


def test_one_order_per_deal(world):
    make_order(world)
    assert refusal("deal", make_order, org=world) == zh("This deal already has an order.")


def test_numbers_follow_a_series_per_company_kind_and_year(world, other):
    first = make_order(world)
    stage = DealStage.objects.get(company=world.company)
    now = timezone.now()
    deal2 = Deal.objects.create(
        company=world.company,
        customer=world.cust_a1,
        product=world.product,
        salesperson=world.sales_a1,
        stage=stage,
        stage_since=now,
        created_at=now,
    )
    second = make_order(world, deal=deal2)
    assert [first.number, second.number] == [f"DD{world.today.year}00001", f"DD{world.today.year}00002"]
    counter = DocumentCounter.objects.get(company=world.company, kind="DD", year=world.today.year)
    assert counter.last == 2


# ------------------------------------------------------------------------------------------ confirmation


def test_confirm_with_a_drawn_signature_stores_it_and_renders_the_pdf(world):
    order = make_order(world)
    order = docs.order_confirm(
        actor=world.sales_a1, order=order, method="signature", signature_png=signature_png(), confirmed_by_name="王大力"
    )
    assert order.confirmed_at is not None and order.confirmation == "signature"
    with order.signature.open("rb") as handle:
        assert Image.open(handle).format == "PNG"
    with order.pdf.open("rb") as handle:
        data = handle.read()
    pdfcheck.assert_renders_chinese(data, "订单确认书")
    text = pdfcheck.pdf_text(data)
    assert "叁拾陆万捌仟元整" in text
    assert "王大力" in text and "首年免费保养" in text


def test_confirm_refusals(world):
    order = make_order(world)
    kw = {"actor": world.sales_a1, "order": order, "confirmed_by_name": "王大力"}
    assert refusal("signature_png", docs.order_confirm, method="signature", signature_png=None, **kw)
    assert refusal("signature_png", docs.order_confirm, method="signature", signature_png=signature_png(True), **kw)
    gif = io.BytesIO()
    Image.new("RGB", (20, 20)).save(gif, "GIF")
    fake = "data:image/png;base64," + base64.b64encode(gif.getvalue()).decode()
    assert refusal("signature_png", docs.order_confirm, method="signature", signature_png=fake, **kw)
    big = "data:image/png;base64," + "A" * (1024 * 1024 * 2)
    assert "1 MB" in refusal("signature_png", docs.order_confirm, method="signature", signature_png=big, **kw)
    assert refusal(
        "confirmed_by_name", docs.order_confirm, actor=world.sales_a1, order=order, method="stamp", confirmed_by_name=""
    )
    assert refusal("method", docs.order_confirm, method="fax", **kw)
    order.refresh_from_db()
    assert order.confirmed_at is None and not order.pdf
    docs.order_confirm(method="stamp", **kw)
    assert refusal("method", docs.order_confirm, method="stamp", **kw) == zh("This order is already confirmed.")


# ------------------------------------------------------------------------------------------ deposit


def test_deposit_receipt_is_numbered_and_prints_the_capitals(world):
    order = with_deposit(world)
    deposit = Deposit.objects.get(order=order)
    assert deposit.receipt_number == f"SJ{world.today.year}00001"
    with deposit.pdf.open("rb") as handle:
        data = handle.read()
    pdfcheck.assert_renders_chinese(data, "定金收据")  # in the title, translated or not
    text = pdfcheck.pdf_text(data)
    assert "贰万元整" in text and "¥20,000.00" in text and "全额退还" in text


def test_deposit_refusals(world):
    order = make_order(world)
    kw = {"actor": world.sales_a1, "received_on": world.today, "method": "现金", "penalty_terms": ""}
    assert refusal("order", docs.deposit_record, order=order, amount_fen=100, refund_terms="x", **kw) == zh(
        "The order must be confirmed by the customer before a deposit."
    )
    order = docs.order_confirm(actor=world.sales_a1, order=order, method="stamp", confirmed_by_name="王")
    assert refusal("refund_terms", docs.deposit_record, order=order, amount_fen=100, refund_terms=" ", **kw)
    assert refusal("amount_fen", docs.deposit_record, order=order, amount_fen=0, refund_terms="x", **kw)
    assert refusal("amount_fen", docs.deposit_record, order=order, amount_fen=LIST_PRICE + 1, refund_terms="x", **kw)
    kw["received_on"] = world.today + dt.timedelta(days=1)
    assert refusal("received_on", docs.deposit_record, order=order, amount_fen=100, refund_terms="x", **kw)
    assert not Deposit.objects.exists()
    assert not DocumentCounter.objects.filter(kind="SJ").exists()


def test_finance_of_the_region_records_a_deposit_but_not_another_region(world):
    order = confirmed(world)
    deposit = docs.deposit_record(
        actor=world.finance, order=order, amount_fen=100_000, received_on=world.today, refund_terms="可退"
    )
    assert deposit.by == world.finance
    with pytest.raises(PermissionError):
        docs.deposit_record(actor=world.sales_b1, order=order, amount_fen=1, received_on=world.today, refund_terms="x")


# ------------------------------------------------------------------------------------------ contract


def test_contract_is_gated_by_the_confirmation_and_the_deposit(world):
    order = make_order(world)
    kw = {"actor": world.sales_a1, "signer_name": "王", "signer_is_customer": True, "amount_fen": LIST_PRICE}
    assert refusal("order", docs.contract_create, order=order, **kw) == zh(
        "The order must be confirmed by the customer before the contract."
    )
    order = docs.order_confirm(actor=world.sales_a1, order=order, method="stamp", confirmed_by_name="王")
    assert refusal("order", docs.contract_create, order=order, **kw) == zh(
        "The deposit must be received before the contract."
    )
    assert not Contract.objects.exists()


def test_contract_amount_must_equal_the_order(world):
    order = with_deposit(world)
    message = refusal(
        "amount_fen",
        docs.contract_create,
        actor=world.sales_a1,
        order=order,
        signer_name="王",
        signer_is_customer=True,
        amount_fen=LIST_PRICE - 100,
    )
    assert "合同金额与订单不一致" in message
    assert not Contract.objects.exists() and not DocumentCounter.objects.filter(kind="HT").exists()


def test_a_representative_needs_an_authorisation_of_the_right_type(world):
    order = with_deposit(world)
    kw = {"actor": world.sales_a1, "order": order, "signer_name": "李代理", "signer_is_customer": False}
    assert "委托书" in refusal("authorisation", docs.contract_create, amount_fen=LIST_PRICE, **kw)
    text = SimpleUploadedFile("auth.pdf", b"just text, not a pdf", content_type="application/pdf")
    assert refusal("authorisation", docs.contract_create, amount_fen=LIST_PRICE, authorisation=text, **kw)
    gif = io.BytesIO()
    Image.new("RGB", (20, 20)).save(gif, "GIF")
    assert refusal(
        "authorisation",
        docs.contract_create,
        amount_fen=LIST_PRICE,
        authorisation=SimpleUploadedFile("a.png", gif.getvalue()),
        **kw,
    )
    huge = SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * (docs.UPLOAD_MAX_BYTES + 1) + b"%%EOF")
    assert "MB" in refusal("authorisation", docs.contract_create, amount_fen=LIST_PRICE, authorisation=huge, **kw)
    contract = docs.contract_create(amount_fen=LIST_PRICE, authorisation=pdf_upload(), **kw)
    assert contract.authorisation.name.endswith(".pdf") and not contract.signer_is_customer


def test_contract_pdf_with_template_capitals_and_schedule(world):
    version = quote_version(world)
    order = with_deposit(world, quote_version=version, policy_code="mfr_instalment", down_payment_fen=None)
    contract = docs.contract_create(
        actor=world.sales_a1, order=order, signer_name="王大力", signer_is_customer=True, amount_fen=order.price_fen
    )
    assert contract.number == f"HT{world.today.year}00001"
    assert contract.schedule, "a financed policy has a schedule"
    first = contract.schedule[0]
    assert set(first) == {"n", "due", "principal", "interest", "fee", "payment", "balance"}
    from policies.finance import add_months

    assert first["due"] == add_months(order.delivery_on, 1).isoformat()
    assert len(contract.schedule) == order.account["months"]
    assert Decimal(contract.schedule[-1]["balance"]) == 0
    financed = Decimal(order.account["financed_amount"])
    assert sum(Decimal(line["principal"]) for line in contract.schedule) == financed
    with contract.pdf.open("rb") as handle:
        data = handle.read()
    pdfcheck.assert_renders_chinese(data, "挖掘机买卖合同")
    text = pdfcheck.pdf_text(data)
    assert rmb_capitals(order.price_fen) in text.replace("\n", "")
    assert contract.number in text and "第七条" in text and world.company.name in text


def test_contract_for_full_payment_has_no_schedule(world):
    contract = contracted(world)
    assert contract.schedule == []


def test_contract_sign_refusals_and_success(world):
    contract = contracted(world)
    kw = {"actor": world.sales_a1, "contract": contract}
    assert refusal(
        "signed_on", docs.contract_sign, signed_on=world.today + dt.timedelta(days=1), signed_copy=jpeg_upload(), **kw
    )
    assert refusal("signed_copy", docs.contract_sign, signed_on=world.today, signed_copy=None, **kw)
    exe = SimpleUploadedFile("signed.pdf", b"MZ\x90\x00 not a document")
    assert refusal("signed_copy", docs.contract_sign, signed_on=world.today, signed_copy=exe, **kw)
    contract.refresh_from_db()
    assert contract.signed_on is None and not contract.signed_copy
    docs.contract_sign(signed_on=world.today, signed_copy=jpeg_upload(), **kw)
    contract.refresh_from_db()
    assert contract.signed_on == world.today and contract.signed_copy.name.endswith(".jpg")


# ------------------------------------------------------------------------------------------ down payment


def test_down_payment_in_parts_up_to_the_agreed_amount(world):
    contract = signed(world)
    order = contract.order
    kw = {"actor": world.sales_a1, "order": order, "received_on": world.today, "method": "转账"}
    # the contract is signed: the refusal is about the amount
    assert refusal("amount_fen", docs.down_payment_record, amount_fen=0, **kw) == zh(
        "The amount must be more than zero."
    )
    docs.down_payment_record(amount_fen=5_000_000, **kw)
    assert docs.down_payment_received_fen(order) == 5_000_000
    assert "¥60,400.00" in refusal("amount_fen", docs.down_payment_record, amount_fen=6_040_001, **kw)
    docs.down_payment_record(amount_fen=6_040_000, **kw)
    assert docs.down_payment_received_fen(order) == order.down_payment_fen == 11_040_000


def test_down_payment_needs_the_signed_contract(world):
    contract = contracted(world)
    assert refusal(
        "order",
        docs.down_payment_record,
        actor=world.sales_a1,
        order=contract.order,
        amount_fen=100,
        received_on=world.today,
    ) == zh("The contract must be signed before the down payment.")


def test_late_down_payment_needs_a_reason_and_tells_salesperson_and_managers(world, monkeypatch):
    contract = signed(world)
    order = contract.order
    Order.objects.filter(pk=order.pk).update(down_payment_due=world.today - dt.timedelta(days=2))
    order.refresh_from_db()
    kw = {"actor": world.sales_a1, "order": order, "received_on": world.today, "amount_fen": 1_000_000}
    assert refusal("late_reason", docs.down_payment_record, **kw)
    assert not DownPayment.objects.exists()
    docs.down_payment_record(late_reason="客户工程款未到账", **kw)
    todos = Todo.objects.filter(kind=docs.TODO_LATE)
    assert {t.user for t in todos} == {world.sales_a1, world.manager_a}
    assert all("客户工程款未到账" in t.title for t in todos)


def test_reminders_three_days_before_and_on_the_due_date(world):
    contract = signed(world)
    order = contract.order
    due = order.down_payment_due
    assert docs.down_payment_reminders(today=due - dt.timedelta(days=5)) == 0
    assert docs.down_payment_reminders(today=due - dt.timedelta(days=3)) == 1
    assert docs.down_payment_reminders(today=due - dt.timedelta(days=2)) == 1  # same to-do, updated
    soon = Todo.objects.get(key=f"orders.down_payment.{order.pk}.soon")
    assert soon.user == world.sales_a1 and order.number in soon.title
    assert docs.down_payment_reminders(today=due) == 1
    assert Todo.objects.filter(key=f"orders.down_payment.{order.pk}.due", status="open").exists()
    docs.down_payment_record(
        actor=world.sales_a1, order=order, amount_fen=order.down_payment_fen, received_on=world.today
    )
    assert not Todo.objects.filter(key__startswith=f"orders.down_payment.{order.pk}.", status="open").exists()
    assert docs.down_payment_reminders(today=due) == 0


# ------------------------------------------------------------------------------------------ job


def test_the_reminder_job_is_registered_and_runs(world):
    from core.jobs import JOBS
    from orders import tasks_documents

    assert JOBS["orders.down_payment_reminders"].task_path == "orders.tasks_documents.down_payment_reminders_task"
    contract = signed(world)
    Order.objects.filter(pk=contract.order_id).update(down_payment_due=world.today)
    assert tasks_documents.down_payment_reminders_task.call() == 1
    assert Todo.objects.filter(key=f"orders.down_payment.{contract.order_id}.due").exists()


# ------------------------------------------------------------------------------------------ pages


def page(msgid: str) -> str:
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        return gettext(msgid)


def test_order_pages_walk_the_steps(world, client_as):
    c = client_as(world.sales_a1)
    url = f"/orders/deals/{world.deal.pk}/order/new/"
    assert c.get(url).status_code == 200
    bad = c.post(url, {"delivery_on": (world.today - dt.timedelta(days=1)).isoformat(), "delivery_place": "济南"})
    assert bad.status_code == 400
    assert page("The delivery date cannot be in the past.") in bad.content.decode()
    response = c.post(
        url,
        {
            "quote_version": "",
            "delivery_on": (world.today + dt.timedelta(days=20)).isoformat(),
            "delivery_place": "济南市历城区",
            "deposit": "20,000",
            "deposit_due": world.today.isoformat(),
            "down_payment": "110400",
            "down_payment_due": (world.today + dt.timedelta(days=10)).isoformat(),
            "extras": "首年免费保养 4 次\n赠送斗齿一套",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/order/{order.pk}/"
    assert order.deposit_fen == 2_000_000 and order.down_payment_fen == 11_040_000
    assert order.extras == ["首年免费保养 4 次", "赠送斗齿一套"]
    detail = c.get(f"/orders/order/{order.pk}/").content.decode()
    assert "data-signature-pad" in detail and "orders/signature.js" in detail

    refused = c.post(f"/orders/order/{order.pk}/confirm/", {"method": "signature", "confirmed_by_name": "王大力"})
    assert refused.status_code == 400 and page("Draw the signature first.") in refused.content.decode()
    ok = c.post(
        f"/orders/order/{order.pk}/confirm/",
        {"method": "signature", "confirmed_by_name": "王大力", "signature_png": signature_png()},
    )
    assert ok.status_code == 302
    pdf = c.get(f"/orders/order/{order.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    dep = c.post(
        f"/orders/order/{order.pk}/deposit/new/",
        {
            "amount": "20000",
            "received_on": world.today.isoformat(),
            "method": "转账",
            "refund_terms": "可退",
            "penalty_terms": "",
        },
    )
    assert dep.status_code == 302
    deposit = Deposit.objects.get()
    assert c.get(f"/orders/deposit/{deposit.pk}/pdf/").status_code == 200

    wrong = c.post(
        f"/orders/order/{order.pk}/contract/new/",
        {"amount": "367999", "signer_name": "王大力", "signer_is_customer": "1"},
    )
    assert wrong.status_code == 400 and "合同金额与订单不一致" in wrong.content.decode()
    made = c.post(
        f"/orders/order/{order.pk}/contract/new/",
        {"amount": "368000.00", "signer_name": "王大力", "signer_is_customer": "1"},
    )
    contract = Contract.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/orders/contract/{contract.pk}/"
    assert c.get(f"/orders/contract/{contract.pk}/pdf/").status_code == 200
    signed_response = c.post(
        f"/orders/contract/{contract.pk}/", {"signed_on": world.today.isoformat(), "signed_copy": jpeg_upload()}
    )
    assert signed_response.status_code == 302
    assert c.get(f"/orders/contract/{contract.pk}/file/signed/").status_code == 200

    paid = c.post(
        f"/orders/order/{order.pk}/down-payment/new/",
        {"amount": "110400", "received_on": world.today.isoformat(), "method": "转账"},
    )
    assert paid.status_code == 302
    steps = c.get(f"/orders/order/{order.pk}/").content.decode()
    assert steps.count('class="done"') == 5


def test_pages_and_files_follow_visibility(world, client_as, other):
    order = with_deposit(world)
    deposit = Deposit.objects.get()
    for user, code in ((world.sales_a2, 404), (world.sales_b1, 404), (other.admin, 404), (world.manager_a, 200)):
        c = client_as(user)
        assert c.get(f"/orders/order/{order.pk}/").status_code == code
        assert c.get(f"/orders/order/{order.pk}/pdf/").status_code == code
        assert c.get(f"/orders/deposit/{deposit.pk}/pdf/").status_code == code
    # finance of the region reads the order and records money, but does not draw up the contract
    fin = client_as(world.finance)
    assert fin.get(f"/orders/order/{order.pk}/deposit/new/").status_code == 200
    assert fin.get(f"/orders/order/{order.pk}/contract/new/").status_code == 403


def test_order_page_query_count_does_not_grow_with_payments(world, client_as):
    contract = signed(world)
    order = contract.order
    c = client_as(world.sales_a1)
    c.get(f"/orders/order/{order.pk}/")
    docs.down_payment_record(actor=world.sales_a1, order=order, amount_fen=100, received_on=world.today)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        c.get(f"/orders/order/{order.pk}/")
    for _ in range(4):
        docs.down_payment_record(actor=world.sales_a1, order=order, amount_fen=100, received_on=world.today)
        docs.deposit_record(
            actor=world.sales_a1, order=order, amount_fen=100, received_on=world.today, refund_terms="可退"
        )
    with CaptureQueriesContext(connection) as many:
        c.get(f"/orders/order/{order.pk}/")
    assert len(many) == len(one)


# ------------------------------------------------------------------------------------------ API


def test_api_walks_the_steps(world, api_as):
    api = api_as(world.sales_a1)
    bad = api.post(
        "/api/orders/orders",
        {"deal": world.deal.pk, "delivery_on": "2000-01-01", "delivery_place": "济南", "deposit_fen": 100},
    )
    assert bad.status_code == 422 and "delivery_on" in bad.json()["error"]["fields"]
    created = api.post(
        "/api/orders/orders",
        {
            "deal": world.deal.pk,
            "delivery_on": (world.today + dt.timedelta(days=20)).isoformat(),
            "delivery_place": "济南",
            "deposit_fen": 2_000_000,
            "down_payment_fen": 11_040_000,
            "down_payment_due": (world.today + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    oid = body["id"]
    assert body["price_words"] == "叁拾陆万捌仟元整"
    early = api.post(f"/api/orders/orders/{oid}/contract", {"signer_name": "王", "amount_fen": LIST_PRICE})
    assert early.status_code == 422 and "order" in early.json()["error"]["fields"]
    conf = api.post(f"/api/orders/orders/{oid}/confirm", {"method": "stamp", "confirmed_by_name": "王大力"})
    assert conf.status_code == 200 and conf.json()["confirmed_at"]
    assert api.get(f"/api/orders/orders/{oid}/pdf").status_code == 200
    dep = api.post(
        f"/api/orders/orders/{oid}/deposits",
        {"amount_fen": 2_000_000, "received_on": world.today.isoformat(), "refund_terms": "可退"},
    )
    assert dep.status_code == 201 and dep.json()["receipt_number"].startswith("SJ")
    assert api.get(dep.json()["pdf"]).status_code == 200
    rep = api.post(
        f"/api/orders/orders/{oid}/contract",
        {"signer_name": "李代理", "signer_is_customer": False, "amount_fen": LIST_PRICE},
    )
    assert rep.status_code == 422 and "authorisation" in rep.json()["error"]["fields"]
    auth = base64.b64encode(pdf_upload().read()).decode()
    made = api.post(
        f"/api/orders/orders/{oid}/contract",
        {"signer_name": "李代理", "signer_is_customer": False, "amount_fen": LIST_PRICE, "authorisation_base64": auth},
    )
    assert made.status_code == 201, made.content
    cid = made.json()["id"]
    sign = api.client.post(
        f"/api/orders/contracts/{cid}/sign",
        {"signed_on": world.today.isoformat(), "signed_copy": jpeg_upload()},
        headers=api.headers,
    )
    assert sign.status_code == 200, sign.content
    assert sign.json()["signed_on"] == world.today.isoformat()
    paid = api.post(
        f"/api/orders/orders/{oid}/down-payments", {"amount_fen": 1_000_000, "received_on": world.today.isoformat()}
    )
    assert paid.status_code == 201 and paid.json()["down_payment_received_fen"] == 1_000_000
    got = api.get(f"/api/orders/orders/{oid}").json()
    assert [s["done"] for s in got["steps"]] == [True, True, True, True, False]
    assert api_as(world.sales_b1).get(f"/api/orders/orders/{oid}").status_code == 404
    assert (
        api_as(world.manager_b)
        .post(f"/api/orders/orders/{oid}/confirm", {"method": "stamp", "confirmed_by_name": "x"})
        .status_code
        == 404
    )


# ------------------------------------------------------------------------------------------ demo


def test_demo_documents_complete_the_demo_deals(world):
    import random

    from orders.demo_deals import seed_deals
    from orders.demo_documents import seed_documents
    from tests.factories import make_customer

    Deal.objects.all().delete()
    DealStage.objects.all().delete()  # the pipeline's default stages are installed by seed_deals
    for i in range(24):
        make_customer(world.sales_a1, region=world.region_a, name=f"演示客户{i:02d}", owner=world.sales_a1, grade=6)
    seed_deals(world.company, rng=random.Random(6))
    counts = seed_documents(world.company, rng=random.Random(6))
    assert counts["orders"] and counts["receipts"] and counts["contracts"]
    assert not Order.objects.filter(company=world.company, confirmed_at__isnull=False, pdf="").exists()
    assert not Deposit.objects.filter(company=world.company, pdf="").exists()
    assert not Contract.objects.filter(company=world.company, pdf="").exists()
    financed = Contract.objects.filter(company=world.company).exclude(order__policy__source="full_payment")
    assert all(c.schedule for c in financed)
    contract = Contract.objects.filter(company=world.company).first()
    with contract.pdf.open("rb") as handle:
        pdfcheck.assert_renders_chinese(handle.read(), "挖掘机买卖合同")


def test_every_step_leaves_its_audit_trail(world, api_as):
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEntry

    api = api_as(world.sales_a1)
    oid = api.post(
        "/api/orders/orders",
        {
            "deal": world.deal.pk,
            "delivery_on": (world.today + dt.timedelta(days=20)).isoformat(),
            "delivery_place": "济南",
            "deposit_fen": 2_000_000,
        },
    ).json()["id"]
    api.post(f"/api/orders/orders/{oid}/confirm", {"method": "stamp", "confirmed_by_name": "王大力"})
    api.post(
        f"/api/orders/orders/{oid}/deposits",
        {"amount_fen": 2_000_000, "received_on": world.today.isoformat(), "refund_terms": "可退"},
    )
    api.post(f"/api/orders/orders/{oid}/contract", {"signer_name": "王大力", "amount_fen": LIST_PRICE})
    for model, action in ((Order, "create"), (Order, "update"), (Deposit, "create"), (Contract, "create")):
        entries = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), action=action, actor=world.sales_a1, channel="api"
        )
        assert entries.exists(), (model, action)
    confirm = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Order), action="update", object_id=str(oid)
    ).first()
    assert "confirmed_at" in confirm.changes


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_gives_distinct_numbers():
    """Two people numbering receipts at once never share a number (the counter row is locked)."""
    import threading

    from django.db import connection, transaction

    from tests.factories import build_org

    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested: PostgreSQL only (SQLite serialises every write)")
    org = build_org(prefix="dn_")
    got, errors = [], []

    def work():
        try:
            for _i in range(5):
                with transaction.atomic():
                    got.append(docs.next_number(org.company.pk, "SJ", 2026))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == [f"SJ2026{n:05d}" for n in range(1, 16)]


def test_a_photographed_document_is_stored_without_its_metadata():
    """A signed copy or an authorisation photographed on a phone keeps no GPS position or camera data."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (36.0, 40.0, 0.0)}  # GPS
    raw = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(raw, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(raw.getvalue())).getexif()  # the upload carries it
    data, ext = docs.check_document(SimpleUploadedFile("contract.jpg", raw.getvalue()), "signed_copy")
    assert ext == "jpg"
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG" and stored.size == (40, 30)
        assert not stored.getexif()
