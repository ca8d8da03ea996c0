"""Numbered quotes (报价单): numbering, versions kept, refusals naming the rule, the PDF rendered in
Chinese (tests/pdfcheck.py), visibility, the pages and the API."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Customer
from pitch.models import Price, Product
from policies import quotes
from policies.demo import seed_policies
from policies.models import (
    Compensation,
    DiscountRequest,
    NegotiationSettings,
    Policy,
    Qualification,
    Quote,
    QuoteCounter,
    QuoteVersion,
)
from tests import pdfcheck
from tests.factories import build_org

LIST_PRICE = 36_800_000  # ¥368,000.00
LIMIT = 736_000  # 2 % of the list price, the default limit without approval


@pytest.fixture
def world(org):
    today = timezone.localdate()
    seed_policies(org.company, today=today)
    product = Product.objects.create(
        company=org.company,
        brand="恒岳",
        code="HY65-9",
        name="小型挖掘机",
        operating_weight_kg=6050,
        engine_model="洋马 4TNV94L",
        bucket_m3=Decimal("0.23"),
    )
    Price.objects.create(
        company=org.company, product=product, list_price_fen=LIST_PRICE, valid_from=today - dt.timedelta(days=30)
    )
    for customer in (org.cust_a1, org.cust_a2):
        Qualification.objects.create(
            company=org.company,
            customer=customer,
            has_guarantor=True,
            guarantor="张三",
            property_certificate=True,
            local_household=True,
            credit="good",
        )
    org.sales_a1.mobile = "13800001111"
    org.sales_a1.save(update_fields=["mobile"])
    org.product = product
    org.today = today
    return org


def issue(org, *, actor=None, codes=("mfr_instalment", "bank_loan"), **kw):
    return quotes.quote_issue(
        actor=actor or org.sales_a1,
        customer=kw.pop("customer", org.cust_a1),
        product=kw.pop("product", org.product),
        policy_codes=list(codes),
        offers=kw.pop("offers", {}),
        hours_per_month=kw.pop("hours_per_month", None),
        hourly_rate=kw.pop("hourly_rate", None),
        **kw,
    )


def page_text(msgid: str) -> str:
    """A message as the pages show it (in the default language, 简体中文, once translated)."""
    with translation.override("zh-hans"):
        return _(msgid)


def refused(org, field, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        issue(org, **kw)
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


def approve(org, discount_fen, *, customer=None, status=DiscountRequest.Status.APPROVED):
    now = timezone.now()
    return DiscountRequest.objects.create(
        company=org.company,
        customer=customer or org.cust_a1,
        product=org.product,
        list_price_fen=LIST_PRICE,
        discount_fen=discount_fen,
        reason="老客户介绍",
        status=status,
        requested_by=org.sales_a1,
        requested_at=now,
        decided_by=org.manager_a,
        decided_at=now,
    )


# ------------------------------------------------------------------------------------------ numbering


def test_numbers_follow_one_series_per_company_and_year(world, other):
    year = world.today.year
    first = issue(world)
    second = issue(world, actor=world.sales_a2, customer=world.cust_a2)
    assert first.quote.number == f"BJ{year}00001"
    assert second.quote.number == f"BJ{year}00002"
    # another dealer has its own series
    assert quotes.next_number(other.company.pk, year) == f"BJ{year}00001"
    # a new year starts again at 1, and the current year goes on where it was
    assert quotes.next_number(world.company.pk, year + 1) == f"BJ{year + 1}00001"
    assert quotes.next_number(world.company.pk, year) == f"BJ{year}00003"
    assert QuoteCounter.objects.get(company=world.company, year=year).last == 3


def test_the_counter_goes_on_from_its_last_number(world):
    QuoteCounter.objects.create(company=world.company, year=world.today.year, last=41)
    assert issue(world).quote.number == f"BJ{world.today.year}00042"


def test_a_new_version_keeps_the_number_and_does_not_take_one(world):
    v1 = issue(world)
    v2 = issue(world, quote=v1.quote)
    assert v2.quote.number == v1.quote.number and v2.version == 2
    assert QuoteCounter.objects.get(company=world.company).last == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_gives_distinct_numbers():
    """Two salespeople numbering at once never share a number (the counter row is locked)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested: PostgreSQL only (SQLite serialises every write)")
    org = build_org(prefix="cc_")
    got, errors = [], []

    def work():
        try:
            for _i in range(5):
                with transaction.atomic():
                    got.append(quotes.next_number(org.company.pk, 2026))
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
    assert sorted(got) == [f"BJ2026{n:05d}" for n in range(1, 16)]


# ------------------------------------------------------------------------------------------ versions


def test_every_version_is_kept_unchanged(world):
    v1 = issue(world)
    frozen = (v1.list_price_fen, v1.discount_fen, v1.price_fen, v1.valid_until, v1.content, v1.pdf.name)
    pdf1 = v1.pdf.read()
    v2 = issue(world, quote=v1.quote, discount_fen=500_000, codes=["mfr_instalment"])
    v1.refresh_from_db()
    assert (v1.list_price_fen, v1.discount_fen, v1.price_fen, v1.valid_until, v1.content, v1.pdf.name) == frozen
    with v1.pdf.open("rb") as f:
        assert f.read() == pdf1
    quote = Quote.objects.get(pk=v1.quote_id)
    assert quote.latest_version == 2
    assert list(quote.versions.values_list("version", flat=True)) == [2, 1]
    assert v2.price_fen == LIST_PRICE - 500_000
    assert [p["code"] for p in v2.content["policies"]] == ["mfr_instalment"]
    assert sorted(v1.policies.values_list("code", flat=True)) == ["bank_loan", "mfr_instalment"]
    assert v2.pdf.name != v1.pdf.name and f"{quote.number}-v2" in v2.pdf.name


def test_the_content_freezes_the_accounts_and_the_machine(world):
    v = issue(world)
    c = v.content
    assert c["dealer"] == world.company.name
    assert c["customer"]["name"] == world.cust_a1.name
    assert c["salesperson"] == {"id": world.sales_a1.pk, "name": str(world.sales_a1), "mobile": "13800001111"}
    assert c["product"]["code"] == "HY65-9"
    assert ["6050", "洋马 4TNV94L"] == [
        value for _label, value in c["product"]["specs"] if value in ("6050", "洋马 4TNV94L")
    ]
    by_code = {p["code"]: p for p in c["policies"]}
    # the zero-interest instalment plan: no interest, default offer 40 % down over the shortest term
    zero = by_code["mfr_instalment"]
    assert Decimal(zero["apr"]) == 0 and Decimal(zero["total_cost"]) == Decimal("368000.00")
    assert Decimal(zero["down_payment"]) == Decimal("147200.00")
    bank = by_code["bank_loan"]
    assert Decimal(bank["apr"]) > Decimal("6.5")  # the handling fee lifts the APR above the nominal rate
    assert Decimal(bank["total_cost"]) > Decimal("368000")
    assert v.list_price_fen == LIST_PRICE and v.price_fen == LIST_PRICE and v.discount_fen == 0


def test_the_accounts_are_worked_out_on_the_quoted_price(world):
    v = issue(world, codes=["mfr_instalment"], discount_fen=LIMIT)
    account = v.content["policies"][0]
    price = Decimal(LIST_PRICE - LIMIT) / 100
    assert Decimal(account["price"]) == price
    assert Decimal(account["down_payment"]) == (price * Decimal("0.4")).quantize(Decimal("0.01"))


def test_chosen_offers_are_used(world):
    v = issue(world, codes=["bank_loan"], offers={"bank_loan": (Decimal("50"), 24)})
    account = v.content["policies"][0]
    assert account["months"] == 24 and Decimal(account["down_ratio"]) == 50
    assert v.content["offers"] == {"bank_loan": {"down_ratio": "50", "months": 24}}


# ------------------------------------------------------------------------------------------ refusals


def test_a_quote_offers_one_to_three_policies(world):
    message = refused(world, "policies", codes=["mfr_instalment", "bank_loan", "mfr_finance", "full_payment"])
    assert message == _("A quote offers at most three policies.")
    assert refused(world, "policies", codes=[]) == _("Choose at least one policy for the quote.")
    assert not Quote.objects.exists() and not QuoteCounter.objects.exists()
    assert len(issue(world, codes=["mfr_instalment", "bank_loan", "full_payment"]).content["policies"]) == 3


def test_a_discount_above_the_limit_needs_an_approval(world):
    message = refused(world, "discount_fen", discount_fen=LIMIT + 1)
    assert "¥7,360.00" in message and "¥7,360.01" in message
    assert not Quote.objects.exists() and not QuoteVersion.objects.exists()
    # exactly at the limit is fine without approval
    assert issue(world, discount_fen=LIMIT).price_fen == LIST_PRICE - LIMIT


def test_an_approved_discount_request_allows_the_discount(world):
    approve(world, 1_500_000, status=DiscountRequest.Status.PENDING)
    approve(world, 1_500_000, customer=world.cust_a2)  # another customer's approval does not count
    refused(world, "discount_fen", discount_fen=1_500_000)
    approve(world, 1_000_000)  # approved, but for less
    refused(world, "discount_fen", discount_fen=1_500_000)
    approve(world, 1_500_000)
    v = issue(world, discount_fen=1_500_000)
    assert v.discount_fen == 1_500_000 and v.price_fen == LIST_PRICE - 1_500_000
    assert v.content["discount_approved_fen"] == 1_500_000


def test_the_amount_limit_applies_too(world):
    NegotiationSettings.objects.update_or_create(
        company=world.company, defaults={"discount_limit_percent": Decimal("5"), "discount_limit_fen": 300_000}
    )
    refused(world, "discount_fen", discount_fen=300_001)
    assert issue(world, discount_fen=300_000).discount_fen == 300_000


def test_impossible_discounts_are_refused(world):
    assert refused(world, "discount_fen", discount_fen=-1) == _("The discount cannot be negative.")
    approve(world, LIST_PRICE)
    assert refused(world, "discount_fen", discount_fen=LIST_PRICE) == _("The discount must be below the list price.")


def test_valid_until_defaults_and_limits(world):
    settings = NegotiationSettings.objects.get(company=world.company)
    v = issue(world)
    assert v.valid_until == world.today + dt.timedelta(days=settings.quote_valid_days)
    # the year-end promotion ends in five days: the default is cut back to its last day
    promo = Policy.objects.get(company=world.company, code="promo_year_end")
    v = issue(world, codes=["promo_year_end", "mfr_instalment"])
    assert v.valid_until == promo.valid_to == world.today + dt.timedelta(days=5)
    # a typed date after the promotion's end is refused, naming the policy and its last day
    message = refused(world, "valid_until", codes=["promo_year_end"], valid_until=promo.valid_to + dt.timedelta(days=1))
    assert promo.name in message and promo.valid_to.isoformat() in message
    assert issue(world, codes=["promo_year_end"], valid_until=promo.valid_to).valid_until == promo.valid_to


def test_valid_until_in_the_past_is_refused(world):
    message = refused(world, "valid_until", valid_until=world.today - dt.timedelta(days=1))
    assert message == _("The quote cannot be valid until a day in the past.")
    assert refused(world, "valid_until", valid_until="31/12/2026") == _("Enter a date as YYYY-MM-DD.")
    assert issue(world, valid_until=world.today.isoformat()).valid_until == world.today


def test_a_policy_the_customer_does_not_qualify_for_is_refused_naming_it(world):
    Qualification.objects.filter(customer=world.cust_a1).update(property_certificate=False)
    message = refused(world, "policies", codes=["bank_loan"])
    assert "银行按揭·农商行设备贷" in message
    assert not QuoteVersion.objects.exists()


def test_unknown_policy_and_offer_outside_the_policy_are_refused(world):
    assert "nope" in refused(world, "policies", codes=["nope"])
    message = refused(world, "policies", codes=["bank_loan"], offers={"bank_loan": (Decimal("10"), 36)})
    assert "30" in message  # the minimum down payment


def test_a_new_version_keeps_customer_and_machine(world):
    v1 = issue(world)
    other_product = Product.objects.create(company=world.company, code="HY75-9", name="中挖")
    Price.objects.create(
        company=world.company, product=other_product, list_price_fen=45_000_000, valid_from=world.today
    )
    refused(world, "product", quote=v1.quote, product=other_product)
    Customer.objects.filter(pk=world.cust_a2.pk).update(owner=world.sales_a1)
    world.cust_a2.refresh_from_db()
    refused(world, "quote", quote=v1.quote, customer=world.cust_a2)


def test_only_who_may_change_the_customer_issues(world):
    with pytest.raises(PermissionError):
        issue(world, actor=world.sales_a2)  # cust_a1 belongs to sales_a1
    with pytest.raises(PermissionError):
        issue(world, actor=world.finance)  # finance reads region A, changes nothing
    v = issue(world, actor=world.manager_a)  # the manager of region A may
    assert v.by == world.manager_a and v.quote.salesperson == world.sales_a1  # the customer's salesperson


# ------------------------------------------------------------------------------------------ the PDF


def test_the_pdf_renders_chinese(world):
    Compensation.objects.create(
        company=world.company,
        customer=world.cust_a1,
        product=world.product,
        kind=Compensation.Kind.FREE_MAINTENANCE,
        description="首年免费保养四次",
        value_fen=120_000,
        by=world.sales_a1,
        at=timezone.now(),
    )
    v = issue(world, discount_fen=500_000)
    data = v.pdf.read()
    assert data.startswith(b"%PDF-")
    text = pdfcheck.pdf_text(data)
    page_count = pdfcheck.page_count(data)
    assert f"1 / {page_count}" in text  # page numbers
    for expected in (
        v.quote.number,
        world.company.name,
        world.cust_a1.name,
        "13800001111",
        "HY65-9",
        "¥368,000.00",  # list price
        "¥363,000.00",  # quoted price
        "首年免费保养四次",
        "厂家分期·零利率",
        "银行按揭·农商行设备贷",
        v.valid_until.isoformat(),
    ):
        assert expected in text, expected
    assert "1,200.00" not in text  # the compensation's cost to the dealer stays internal
    pdfcheck.assert_renders_chinese(data, world.cust_a1.name)
    pdfcheck.assert_renders_chinese(data, "厂家分期")
    image = pdfcheck.page_image(data, scale=1)
    assert abs(image.width - 595) <= 1 and abs(image.height - 842) <= 1  # A4


def test_fabe_highlights_go_into_the_quote(world, monkeypatch):
    import pitch.fabe

    class Card:
        feature = "洋马发动机"
        advantage = "省油"
        benefit = "每小时少烧一升油"
        evidence_text = "客户王师傅实测"

    calls = []

    def fake(user, customer, product, limit=3, policy_ids=None):
        calls.append((user, customer, product, limit, sorted(policy_ids)))
        return [Card()]

    monkeypatch.setattr(pitch.fabe, "highlights", fake)
    v = issue(world)
    # only the cards of the policies the quote offers (not those of the others) may be highlighted
    offered = sorted(v.policies.values_list("pk", flat=True))
    assert offered and calls == [(world.sales_a1, world.cust_a1, world.product, 3, offered)]
    assert v.content["highlights"] == [
        {"feature": "洋马发动机", "advantage": "省油", "benefit": "每小时少烧一升油", "evidence": "客户王师傅实测"}
    ]
    text = pdfcheck.pdf_text(v.pdf.read())
    assert "每小时少烧一升油" in text and "客户王师傅实测" in text


def test_the_quote_is_issued_without_the_fabe_module(world, monkeypatch):
    monkeypatch.setitem(sys.modules, "pitch.fabe", None)  # import → ImportError
    assert issue(world).content["highlights"] == []


def test_a_failing_pdf_writes_nothing(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(quotes, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        issue(world)
    assert not Quote.objects.exists() and not QuoteVersion.objects.exists() and not QuoteCounter.objects.exists()


# ------------------------------------------------------------------------------------------ pages


def test_the_quote_pages_and_pdf_follow_visibility(world, other, client_as):
    v = issue(world)
    detail = reverse("policies:quote_detail", args=[v.quote_id])
    pdf = reverse("policies:quote_pdf", args=[v.quote_id, 1])
    for user in (world.sales_a1, world.manager_a, world.finance, world.admin):
        c = client_as(user)
        assert c.get(detail).status_code == 200, user
        response = c.get(pdf)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f'filename="{v.quote.number}-v1.pdf"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    for user in (world.sales_a2, world.manager_b, other.admin):
        c = client_as(user)
        assert c.get(detail).status_code == 404, user
        assert c.get(pdf).status_code == 404, user
    assert client_as(world.sales_a1).get(reverse("policies:quote_pdf", args=[v.quote_id, 7])).status_code == 404


def test_the_detail_page_lists_every_version(world, client_as):
    v1 = issue(world)
    issue(world, quote=v1.quote, discount_fen=100_000)
    html = client_as(world.sales_a1).get(reverse("policies:quote_detail", args=[v1.quote_id])).content.decode()
    assert html.count('data-testid="version"') == 2
    assert f"{v1.quote.number} · v2" in html and f"{v1.quote.number} · v1" in html
    assert reverse("policies:quote_pdf", args=[v1.quote_id, 1]) in html
    assert reverse("policies:quote_pdf", args=[v1.quote_id, 2]) in html
    assert reverse("policies:quote_version", args=[v1.quote_id]) in html
    # finance reads it but gets no "new version" button
    html = client_as(world.finance).get(reverse("policies:quote_detail", args=[v1.quote_id])).content.decode()
    assert reverse("policies:quote_version", args=[v1.quote_id]) not in html


def _post_data(world, **extra):
    data = {"product": str(world.product.pk), "hours": "180", "policy": ["mfr_instalment", "bank_loan"]}
    data.update(extra)
    return data


def test_issue_from_the_benefit_page_redirects_to_the_quote(world, client_as):
    c = client_as(world.sales_a1)
    url = reverse("policies:quote_issue", args=[world.cust_a1.pk])
    response = c.post(url, _post_data(world, down_bank_loan="50", months_bank_loan="24", discount="1,000"))
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("policies:quote_detail", args=[quote.pk])
    v = quote.versions.get()
    assert v.discount_fen == 100_000
    assert v.content["usage"]["hours_per_month"] == "180"
    assert v.content["offers"]["bank_loan"] == {"down_ratio": "50", "months": 24}
    # htmx: the browser is told where to go
    response = c.post(url, _post_data(world), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/policies/quotes/")


def test_errors_rerender_naming_the_field(world, client_as):
    c = client_as(world.sales_a1)
    url = reverse("policies:quote_issue", args=[world.cust_a1.pk])
    response = c.post(url, _post_data(world, discount="9,000"), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="quote-panel"' in html and "¥7,360.00" in html
    assert 'data-testid="quote-errors"' in html
    response = c.post(url, _post_data(world, discount="abc"))
    assert response.status_code == 422 and page_text("Enter an amount in yuan.") in response.content.decode()
    response = c.post(url, _post_data(world, valid_until=(world.today - dt.timedelta(days=2)).isoformat()))
    assert page_text("The quote cannot be valid until a day in the past.") in response.content.decode()
    response = c.post(url, _post_data(world, policy=["full_payment", "mfr_instalment", "bank_loan", "mfr_finance"]))
    assert page_text("A quote offers at most three policies.") in response.content.decode()
    assert not Quote.objects.exists()


def test_issue_is_refused_to_who_may_not_change_the_customer(world, client_as):
    url = reverse("policies:quote_issue", args=[world.cust_a1.pk])
    assert client_as(world.sales_a2).post(url, _post_data(world)).status_code == 404
    assert client_as(world.finance).post(url, _post_data(world)).status_code == 403
    assert client_as(world.sales_a1).get(url).status_code == 405
    assert not Quote.objects.exists()


def test_new_version_is_prefilled_from_the_latest(world, client_as):
    v1 = issue(world, codes=["bank_loan"], offers={"bank_loan": (Decimal("50"), 24)}, discount_fen=200_000)
    c = client_as(world.sales_a1)
    url = reverse("policies:quote_version", args=[v1.quote_id])
    html = c.get(url).content.decode()
    assert 'name="discount" inputmode="decimal" value="2000"' in html
    assert 'value="bank_loan" checked' in html and 'value="mfr_instalment" checked' not in html
    assert 'name="down_bank_loan"' in html and 'value="50"' in html
    assert '<option value="24" selected>' in html
    response = c.post(
        url, {"policy": ["bank_loan"], "down_bank_loan": "50", "months_bank_loan": "24", "discount": "3000"}
    )
    assert response.status_code == 302
    v2 = QuoteVersion.objects.get(quote=v1.quote, version=2)
    assert v2.discount_fen == 300_000 and v2.content["offers"]["bank_loan"]["months"] == 24
    assert client_as(world.finance).get(url).status_code == 403
    assert client_as(world.sales_a2).get(url).status_code == 404


def test_the_benefit_page_shows_the_quote_panel(world, client_as):
    v = issue(world)
    html = (
        client_as(world.sales_a1)
        .get(reverse("policies:benefit", args=[world.cust_a1.pk]) + f"?product={world.product.pk}")
        .content.decode()
    )
    assert 'id="quote-panel"' in html
    assert reverse("policies:quote_issue", args=[world.cust_a1.pk]) in html
    assert v.quote.number in html
    assert html.count('data-testid="quote-policy"') >= 2
    assert html.count('name="policy" value=') == html.count('data-testid="quote-policy"')
    assert " checked" in html  # the recommended policies are ticked


def test_panel_context_ticks_the_recommended_policies(world):
    from policies import selectors

    view = selectors.benefit_view(world.sales_a1, customer_id=world.cust_a1.pk, product_id=world.product.pk)
    panel = quotes.panel_context(world.sales_a1, view)
    assert panel["selected"] == [row.code for row in view.recommended] and 1 <= len(panel["selected"]) <= 3
    assert panel["can_issue"] is True
    assert panel["discount_limit_fen"] == LIMIT
    assert panel["valid_until"] >= world.today
    assert {row.code for row in panel["choices"]} >= set(panel["selected"])


def test_list_and_detail_queries_do_not_grow(world, client_as, django_assert_num_queries):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from policies import selectors

    c = client_as(world.sales_a1)
    v = issue(world)
    view = selectors.benefit_view(world.sales_a1, customer_id=world.cust_a1.pk, product_id=world.product.pk)

    def count(url):
        with CaptureQueriesContext(conn) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    def panel_queries():
        with CaptureQueriesContext(conn) as ctx:
            quotes.panel_context(world.sales_a1, view)
        return len(ctx.captured_queries)

    detail = reverse("policies:quote_detail", args=[v.quote_id])
    listing = f"/api/policies/quotes?customer={world.cust_a1.pk}"
    n_detail, n_listing, n_panel = count(detail), count(listing), panel_queries()
    for _i in range(3):
        issue(world, quote=v.quote)
        issue(world)
    with django_assert_num_queries(n_detail):
        assert c.get(detail).status_code == 200
    with django_assert_num_queries(n_listing):
        assert c.get(listing).json()["count"] == 4
    with django_assert_num_queries(n_panel):
        assert len(quotes.panel_context(world.sales_a1, view)["quotes"]) == 4


# ------------------------------------------------------------------------------------------ API


def test_api_issue_list_detail_and_pdf(world, api_as):
    api = api_as(world.sales_a1)
    body = {
        "customer": world.cust_a1.pk,
        "product": world.product.pk,
        "policies": ["mfr_instalment", "bank_loan"],
        "offers": {"bank_loan": {"down_ratio": "40", "months": 36}},
        "hours_per_month": "150",
        "discount_fen": 300_000,
    }
    response = api.post("/api/policies/quotes", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith(f"BJ{world.today.year}")
    assert data["version"]["version"] == 1 and data["version"]["price_fen"] == LIST_PRICE - 300_000
    assert data["version"]["policies"] == ["mfr_instalment", "bank_loan"]
    quote_id = data["id"]
    # a new version through the API
    response = api.post("/api/policies/quotes", body | {"quote": quote_id, "discount_fen": 0})
    assert response.status_code == 201 and response.json()["version"]["version"] == 2

    listing = api.get(f"/api/policies/quotes?customer={world.cust_a1.pk}").json()
    assert listing["count"] == 1 and listing["items"][0]["price_fen"] == LIST_PRICE
    assert listing["items"][0]["latest_version"] == 2
    detail = api.get(f"/api/policies/quotes/{quote_id}").json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    pdf_url = detail["versions"][1]["pdf"]
    assert pdf_url == f"/api/policies/quotes/{quote_id}/versions/1/pdf"
    response = api.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdfcheck.assert_renders_chinese(b"".join(response.streaming_content), world.cust_a1.name)


def test_api_refusals(world, api_as, other):
    api = api_as(world.sales_a1)
    body = {"customer": world.cust_a1.pk, "product": world.product.pk, "policies": ["mfr_instalment"]}
    response = api.post("/api/policies/quotes", body | {"policies": ["a", "b", "c", "d"]})
    assert response.status_code == 422 and "policies" in response.json()["error"]["fields"]
    response = api.post("/api/policies/quotes", body | {"discount_fen": LIMIT + 100})
    assert response.status_code == 422 and "discount_fen" in response.json()["error"]["fields"]
    response = api.post("/api/policies/quotes", body | {"valid_until": "2000-01-01"})
    assert response.status_code == 422 and "valid_until" in response.json()["error"]["fields"]
    assert api_as(world.sales_a2).post("/api/policies/quotes", body).status_code == 404
    assert api_as(world.finance).post("/api/policies/quotes", body).status_code == 403
    assert api_as(other.admin).post("/api/policies/quotes", body).status_code == 404
    quote_id = api.post("/api/policies/quotes", body).json()["id"]
    assert api_as(world.sales_a2).get(f"/api/policies/quotes/{quote_id}").status_code == 404
    assert api_as(world.sales_a2).get(f"/api/policies/quotes/{quote_id}/versions/1/pdf").status_code == 404
    assert api_as(world.sales_a2).get(f"/api/policies/quotes?customer={world.cust_a1.pk}").status_code == 404
    assert api.get("/api/policies/quotes").status_code == 400
    assert api.get(f"/api/policies/quotes?customer={world.cust_a1.pk}&x=1").status_code == 400


def test_a_quote_is_refused_when_the_customer_misses_a_precondition(world):
    Qualification.objects.filter(customer=world.cust_a1).update(property_certificate=False)
    with pytest.raises(ValidationError) as exc:
        issue(world, codes=("bank_loan",))
    message = exc.value.message_dict["policies"][0]
    assert "银行按揭" in message  # names the policy
    assert page_text("a property certificate (房产证)") in message  # and the rule
    assert not QuoteVersion.objects.exists()


def test_a_quote_is_refused_below_the_minimum_down_payment_or_with_a_term_not_offered(world):
    from decimal import Decimal as D

    with pytest.raises(ValidationError) as low:
        issue(world, codes=("mfr_instalment",), offers={"mfr_instalment": (D("10"), 12)})
    assert "40" in low.value.message_dict["policies"][0]  # the policy's minimum, 40 %
    with pytest.raises(ValidationError) as term:
        issue(world, codes=("mfr_instalment",), offers={"mfr_instalment": (D("40"), 36)})
    assert "12" in term.value.message_dict["policies"][0] and "18" in term.value.message_dict["policies"][0]
    assert not QuoteVersion.objects.exists()
