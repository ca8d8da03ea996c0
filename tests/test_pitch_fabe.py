"""FABE cards (FABE 话术卡) and the pitch sheet (推介单): services and their messages, the sheet's
order by the customer's needs, highlights, evidence files (checked, served with visibility), policy
cards, pages, API, admin, demo and query counts."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from customers.models import CustomerNeed, NeedPoint
from pitch import demo, fabe
from pitch.models import FabeCard, FabeEvidence, Product, SellingPoint
from policies.models import Policy


def need_points(company) -> dict[str, NeedPoint]:
    return {
        code: NeedPoint.objects.create(company=company, code=code, name=name, order=i)
        for i, (code, name) in enumerate((("price", "价格"), ("comfort", "舒适性"), ("digging", "挖掘力/效率")))
    }


def set_need(customer, point, expected, deliverable, stage):
    return CustomerNeed.objects.create(
        company_id=customer.company_id,
        customer=customer,
        need_point=point,
        expected=expected,
        deliverable=deliverable,
        stage=stage,
        state_at=timezone.now(),
    )


@pytest.fixture
def world(org):
    """HY65-9 with three selling points and a card each: fuel (price), cab (comfort), warranty (none)."""
    points = need_points(org.company)
    product = Product.objects.create(company=org.company, code="HY65-9", name="6.5 吨")
    sp = {
        title: SellingPoint.objects.create(
            company=org.company, product=product, dimension=dim, title=title, order=order
        )
        for title, dim, order in (("长质保", "extended", 10), ("驾驶室舒适", "form", 20), ("省油多赚钱", "core", 30))
    }
    cards = {
        "warranty": fabe.card_save(
            actor=org.admin, selling_point=sp["长质保"], feature="2 年质保", advantage="更长", benefit="放心"
        ),
        "comfort": fabe.card_save(
            actor=org.admin,
            selling_point=sp["驾驶室舒适"],
            feature="悬浮座椅",
            advantage="不累",
            benefit="机手留得住",
            need_points=[points["comfort"]],
        ),
        "fuel": fabe.card_save(
            actor=org.manager_a,
            selling_point=sp["省油多赚钱"],
            feature="油耗 5.5 L/h",
            advantage="省 0.8 L/h",
            benefit="每天省 60 元",
            need_points=[points["price"], points["digging"]],
        ),
    }
    return {"points": points, "product": product, "sp": sp, "cards": cards}


# --- services ------------------------------------------------------------------------------------


def test_a_card_needs_its_three_parts_and_names_each_missing_field(org, world):
    before = FabeCard.objects.count()
    with pytest.raises(ValidationError) as exc:
        fabe.card_save(actor=org.admin, selling_point=world["sp"]["长质保"], feature=" ", advantage="", benefit="b")
    errors = exc.value.message_dict
    assert set(errors) == {"feature", "advantage"}
    assert errors["feature"] == [_("Enter the %(part)s.") % {"part": _("feature (特征)")}]
    assert FabeCard.objects.count() == before


def test_a_card_is_about_exactly_one_selling_point_or_policy(org, world):
    policy = Policy.objects.create(company=org.company, code="hourly_subsidy", name="小时补贴", source="dealer")
    message = [_("Choose either a selling point or a commercial policy.")]
    with pytest.raises(ValidationError) as exc:
        fabe.card_save(actor=org.admin, feature="f", advantage="a", benefit="b")
    assert exc.value.message_dict["selling_point"] == message
    with pytest.raises(ValidationError) as exc:
        fabe.card_save(
            actor=org.admin, selling_point=world["sp"]["长质保"], policy=policy, feature="f", advantage="a", benefit="b"
        )
    assert exc.value.message_dict["selling_point"] == message
    card = fabe.card_save(actor=org.admin, policy=policy, feature="f", advantage="a", benefit="b")
    assert card.subject == policy and card.selling_point_id is None


def test_need_points_of_another_company_are_refused_and_nothing_is_written(org, other, world):
    foreign = NeedPoint.objects.create(company=other.company, code="price", name="价格")
    before = FabeCard.objects.count()
    with pytest.raises(ValidationError) as exc:
        fabe.card_save(
            actor=org.admin,
            selling_point=world["sp"]["长质保"],
            feature="f",
            advantage="a",
            benefit="b",
            need_points=[foreign.pk],
        )
    assert exc.value.message_dict == {"need_points": [_("Choose need points of your company.")]}
    assert FabeCard.objects.count() == before


def test_salespeople_read_the_cards_but_may_not_write_them(org, world):
    with pytest.raises(PermissionError):
        fabe.card_save(actor=org.sales_a1, selling_point=world["sp"]["长质保"], feature="f", advantage="a", benefit="b")
    with pytest.raises(PermissionError):
        fabe.card_save(
            actor=org.sales_a1, card=world["cards"]["fuel"], feature="f", advantage="a", benefit="b",
            selling_point=world["sp"]["省油多赚钱"],
        )  # fmt: skip
    assert len(fabe.product_cards(org.sales_a1, world["product"])) == 3


def test_changing_a_card_replaces_its_needs(org, world):
    card = world["cards"]["fuel"]
    fabe.card_save(
        actor=org.manager_a,
        card=card,
        selling_point=world["sp"]["省油多赚钱"],
        feature="油耗 5.2 L/h",
        advantage="a",
        benefit="b",
        need_points=[world["points"]["comfort"]],
    )
    card.refresh_from_db()
    assert card.feature == "油耗 5.2 L/h"
    assert [p.code for p in card.need_points.all()] == ["comfort"]


# --- the pitch sheet -------------------------------------------------------------------------------


def test_a_customer_whose_key_need_is_price_sees_the_price_card_first(org, world):
    p = world["points"]
    set_need(org.cust_a1, p["price"], 85, 50, "key")  # pressure 35
    set_need(org.cust_a1, p["comfort"], 70, 40, "additional")  # pressure 30, but additional
    data = fabe.sheet(org.sales_a1, org.cust_a1.pk, world["product"].pk)
    order = [sc.card.pk for sc in data["cards"]]
    assert order == [world["cards"]["fuel"].pk, world["cards"]["comfort"].pk, world["cards"]["warranty"].pk]
    first = data["cards"][0]
    assert first.key and first.best[0].need_point.code == "price" and first.best[1].rank == 1
    assert data["cards"][-1].answers == []  # answers none of the customer's needs: last
    assert data["uncovered"] == []


def test_a_customer_whose_key_need_is_comfort_sees_the_cab_first(org, world):
    p = world["points"]
    set_need(org.cust_a1, p["comfort"], 90, 40, "key")
    set_need(org.cust_a1, p["price"], 60, 55, "key")
    set_need(org.cust_a1, p["digging"], 60, 60, "additional")
    data = fabe.sheet(org.sales_a1, org.cust_a1.pk, world["product"].pk)
    assert [sc.card.pk for sc in data["cards"]][:2] == [world["cards"]["comfort"].pk, world["cards"]["fuel"].pk]
    # the fuel card answers two needs of the customer, the best-ranked first
    assert [n.need_point.code for n, _r in data["cards"][1].answers] == ["price", "digging"]


def test_without_a_product_the_sheet_shows_the_best_fit_of_the_customers_segment(org, world):
    from customers.models import SegmentFit

    small = Product.objects.create(company=org.company, code="HY20-9", name="2 吨")
    org.cust_a1.work_type, org.cust_a1.engineering_kind, org.cust_a1.scale = "engineering", "municipal", "individual"
    org.cust_a1.save()
    segment = {"work_type": "engineering", "engineering_kind": "municipal", "scale": "individual"}
    SegmentFit.objects.create(company=org.company, product=small, score=60, **segment)
    assert fabe.sheet(org.sales_a1, org.cust_a1.pk)["product"] == small  # the only fit (HY20-9 sorts first anyway)
    SegmentFit.objects.create(company=org.company, product=world["product"], score=90, **segment)
    assert fabe.sheet(org.sales_a1, org.cust_a1.pk)["product"] == world["product"]
    assert fabe.sheet(org.sales_a1, org.cust_a1.pk, small.pk)["product"] == small


def test_a_fit_for_the_whole_work_type_counts_for_every_engineering_kind(org, world):
    from customers.models import SegmentFit

    small = Product.objects.create(company=org.company, code="HY20-9", name="2 吨")
    org.cust_a1.work_type, org.cust_a1.engineering_kind, org.cust_a1.scale = "engineering", "water", "individual"
    org.cust_a1.save()
    # positioned for all engineering work, not for one kind of it: it fits a water-works customer
    SegmentFit.objects.create(
        company=org.company,
        product=world["product"],
        work_type="engineering",
        engineering_kind="",
        scale="individual",
        score=80,
    )
    SegmentFit.objects.create(
        company=org.company,
        product=small,
        work_type="engineering",
        engineering_kind="municipal",
        scale="individual",
        score=95,
    )
    assert fabe.best_fit(org.sales_a1, org.cust_a1, [small, world["product"]]) == world["product"]


def test_a_key_need_no_card_answers_is_pointed_out(org, world):
    other_point = NeedPoint.objects.create(company=org.company, code="brand", name="品牌")
    set_need(org.cust_a1, other_point, 90, 40, "key")
    data = fabe.sheet(org.sales_a1, org.cust_a1.pk, world["product"].pk)
    assert [n.need_point.code for n, _r in data["uncovered"]] == ["brand"]


def test_highlights_are_the_cards_of_key_needs_only(org, world):
    p = world["points"]
    set_need(org.cust_a1, p["comfort"], 70, 40, "additional")
    assert fabe.highlights(org.sales_a1, org.cust_a1, world["product"]) == []
    set_need(org.cust_a1, p["price"], 90, 40, "key")
    assert fabe.highlights(org.sales_a1, org.cust_a1, world["product"]) == [world["cards"]["fuel"]]
    assert fabe.highlights(org.sales_a1, org.cust_a1, world["product"], limit=0) == []


def test_highlights_speak_only_of_the_policies_offered(org, world):
    p = world["points"]
    set_need(org.cust_a1, p["price"], 90, 40, "key")
    offered = Policy.objects.create(company=org.company, code="mfr_instalment", name="厂家分期", source="dealer")
    other = Policy.objects.create(company=org.company, code="bank_loan", name="银行按揭", source="bank_loan")
    cards = {
        pol.code: fabe.card_save(
            actor=org.admin, policy=pol, feature="f", advantage="a", benefit="b", need_points=[p["price"]]
        )
        for pol in (offered, other)
    }
    every = fabe.highlights(org.sales_a1, org.cust_a1, world["product"], limit=5)
    assert {cards["mfr_instalment"], cards["bank_loan"]} <= set(every)
    only = fabe.highlights(org.sales_a1, org.cust_a1, world["product"], limit=5, policy_ids=[offered.pk])
    assert cards["mfr_instalment"] in only and cards["bank_loan"] not in only
    assert world["cards"]["fuel"] in only  # the machine's own cards stay


def test_the_sheet_of_an_invisible_customer_is_not_found(org, world):
    with pytest.raises(Http404):
        fabe.sheet(org.sales_a1, org.cust_b1.pk, world["product"].pk)


def test_active_policies_valid_today_join_the_sheet(org, world):
    today = timezone.localdate()
    price = world["points"]["price"]
    live = Policy.objects.create(company=org.company, code="hourly_subsidy", name="小时补贴", source="dealer")
    ended = Policy.objects.create(
        company=org.company,
        code="promo_year_end",
        name="年底促销",
        source="dealer",
        valid_from=today - dt.timedelta(days=60),
        valid_to=today - dt.timedelta(days=1),
    )
    off = Policy.objects.create(company=org.company, code="off", name="停用", source="dealer", active=False)
    other_product = Product.objects.create(company=org.company, code="HY20-9", name="2 吨")
    only_other = Policy.objects.create(company=org.company, code="only20", name="20 专属", source="dealer")
    only_other.products.set([other_product])
    for policy in (live, ended, off, only_other):
        fabe.card_save(actor=org.admin, policy=policy, feature="f", advantage="a", benefit="b", need_points=[price])
    set_need(org.cust_a1, price, 90, 40, "key")
    cards = fabe.sheet(org.sales_a1, org.cust_a1.pk, world["product"].pk)["cards"]
    policies = [sc.card.policy for sc in cards if sc.is_policy]
    assert policies == [live]
    # answering the key need, it comes before the cards that answer nothing
    assert [sc.card.pk for sc in cards].index(live.fabe_cards.get().pk) < len(cards) - 1


def test_seed_policy_fabe_adds_cards_for_the_known_codes_that_exist(org):
    assert demo.seed_policy_fabe(org.company) == 0  # no policy yet: nothing
    Policy.objects.create(company=org.company, code="hourly_subsidy", name="小时补贴", source="dealer")
    Policy.objects.create(company=org.company, code="something_else", name="其他", source="dealer")
    assert demo.seed_policy_fabe(org.company) == 1
    assert FabeCard.objects.get(company=org.company).policy.code == "hourly_subsidy"
    assert demo.seed_policy_fabe(org.company) == 0  # idempotent


# --- evidence ----------------------------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


def test_a_photo_is_verified_and_stored_as_jpeg(org, world):
    card = world["cards"]["fuel"]
    e = fabe.evidence_add(
        actor=org.admin, card=card, kind="photo", title="油耗表", upload=SimpleUploadedFile("a.png", _png())
    )
    assert e.file.name.endswith(".jpg") and e.size > 0
    with e.file.open("rb") as fh:
        assert Image.open(fh).format == "JPEG"


@pytest.mark.parametrize(
    ("kind", "name", "content", "expected"),
    [
        (
            "photo",
            "a.jpg",
            b"not a picture",
            lambda: (
                _("“%(name)s” is not a photo: send a %(formats)s picture.")
                % {"name": "a.jpg", "formats": "JPEG / PNG / WebP"}
            ),
        ),
        (
            "file",
            "report.pdf",
            b"MZ\x90\x00 an exe",
            lambda: _("“%(name)s” is not a real %(type)s file.") % {"name": "report.pdf", "type": "PDF"},
        ),
        (
            "file",
            "tool.exe",
            b"MZ\x90\x00",
            lambda: (
                _("“%(name)s” is not accepted: send a %(types)s file.") % {"name": "tool.exe", "types": fabe.FILE_NAMES}
            ),
        ),
        ("file", "empty.pdf", b"", lambda: _("The file is empty.")),
    ],
)
def test_bad_evidence_files_are_refused_naming_the_field(org, world, kind, name, content, expected):
    with pytest.raises(ValidationError) as exc:
        fabe.evidence_add(
            actor=org.admin, card=world["cards"]["fuel"], kind=kind, title="t", upload=SimpleUploadedFile(name, content)
        )
    if kind == "photo" and fabe.FILE_NAMES and "HEIC" in exc.value.message_dict["file"][0]:
        pytest.skip("HEIC support changes the message")
    assert exc.value.message_dict == {"file": [expected()]}
    assert not FabeEvidence.objects.exists()


def test_files_over_the_limit_are_refused(org, world, monkeypatch):
    monkeypatch.setitem(fabe.FILE_TYPES, "pdf", ("PDF", 1))
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10))
    with pytest.raises(ValidationError) as exc:
        fabe.evidence_add(actor=org.admin, card=world["cards"]["fuel"], kind="file", title="t", upload=big)
    assert exc.value.message_dict["file"] == [
        _("The file is %(size).1f MB; the largest allowed is %(max)d MB.") % {"size": big.size / 1024 / 1024, "max": 1}
    ]


def test_pdf_xlsx_and_testimonials_are_accepted(org, world):
    card = world["cards"]["fuel"]
    pdf = fabe.evidence_add(
        actor=org.admin, card=card, kind="file", title="报告", upload=SimpleUploadedFile("r.pdf", b"%PDF-1.7\n%%EOF")
    )
    xlsx = fabe.evidence_add(
        actor=org.admin, card=card, kind="file", title="测算表", upload=SimpleUploadedFile("t.xlsx", _xlsx())
    )
    assert pdf.file.name.endswith(".pdf") and xlsx.file.name.endswith(".xlsx")
    with pytest.raises(ValidationError) as exc:
        fabe.evidence_add(actor=org.admin, card=card, kind="testimonial", title="证言")
    assert set(exc.value.message_dict) == {"customer_name", "quote"}
    t = fabe.evidence_add(
        actor=org.admin, card=card, kind="testimonial", title="证言", customer_name="王师傅", quote="省油"
    )
    assert t.quote == "省油" and not t.file


def test_evidence_is_served_to_whoever_sees_the_card_only(org, other, world, client_as):
    e = fabe.evidence_add(
        actor=org.admin,
        card=world["cards"]["fuel"],
        kind="file",
        title="报告",
        upload=SimpleUploadedFile("r.pdf", b"%PDF-1.7\n%%EOF"),
    )
    url = reverse("pitch:evidence", args=[e.pk])
    response = client_as(org.sales_a1).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert client_as(other.admin).get(url).status_code == 404
    assert "/media/" not in url


def test_only_managers_and_admins_delete_evidence(org, world):
    e = fabe.evidence_add(actor=org.admin, card=world["cards"]["fuel"], kind="text", title="摘要", quote="5.5 L/h")
    with pytest.raises(PermissionError):
        fabe.evidence_delete(actor=org.sales_a1, evidence=e)
    fabe.evidence_delete(actor=org.manager_a, evidence=e)
    assert not FabeEvidence.objects.filter(pk=e.pk).exists()


# --- pages, query counts, API -------------------------------------------------------------------


def test_the_sheet_page_shows_the_cards_in_order_and_the_key_need(org, world, client_as):
    set_need(org.cust_a1, world["points"]["price"], 90, 40, "key")
    response = client_as(org.sales_a1).get(reverse("pitch:sheet", args=[org.cust_a1.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # the card answering the key need first, then the others in the catalogue's order (form, extended)
    assert html.index("油耗 5.5 L/h") < html.index("悬浮座椅") < html.index("2 年质保")
    assert (_("key need #%(rank)s: %(name)s") % {"rank": 1, "name": "价格"}) in html
    assert client_as(org.sales_a1).get(reverse("pitch:sheet", args=[org.cust_b1.pk])).status_code == 404
    assert client_as(org.sales_a1).get(reverse("pitch:sheet", args=[org.cust_a1.pk]) + "?product=x").status_code == 404


def _more_cards(org, world, n: int):
    for i in range(n):
        sp = SellingPoint.objects.create(
            company=org.company, product=world["product"], dimension="core", title=f"卖点{i}", order=100 + i
        )
        card = fabe.card_save(
            actor=org.admin, selling_point=sp, feature="f", advantage="a", benefit="b",
            need_points=list(world["points"].values()),
        )  # fmt: skip
        fabe.evidence_add(actor=org.admin, card=card, kind="text", title="t", quote="q")


def test_the_sheet_page_query_count_does_not_grow_with_cards_or_needs(org, world, client_as, django_assert_num_queries):
    client = client_as(org.sales_a1)
    url = reverse("pitch:sheet", args=[org.cust_a1.pk]) + f"?product={world['product'].pk}"
    set_need(org.cust_a1, world["points"]["price"], 90, 40, "key")
    client.get(url)  # warm up (session, settings row)
    with django_assert_num_queries(12) as first:
        assert client.get(url).status_code == 200
    _more_cards(org, world, 6)
    set_need(org.cust_a1, world["points"]["comfort"], 90, 40, "key")
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


def test_product_cards_page_and_pick(org, world, client_as):
    client = client_as(org.sales_a1)
    page = client.get(reverse("pitch:cards", args=[world["product"].pk]))
    assert page.status_code == 200 and page.content.decode().count('data-testid="fabe-card"') == 3
    detail = client.get(reverse("pitch:product_detail", args=[world["product"].pk])).content.decode()
    assert reverse("pitch:cards", args=[world["product"].pk]) in detail
    pick = client.get(reverse("pitch:sheet_pick") + f"?q={org.cust_a1.name}&product={world['product'].pk}")
    assert pick.status_code == 302
    assert pick["Location"] == reverse("pitch:sheet", args=[org.cust_a1.pk]) + f"?product={world['product'].pk}"
    # another salesperson's customer is not found
    assert client.get(reverse("pitch:sheet_pick") + f"?q={org.cust_b1.name}").status_code == 200


def test_api_cards_and_sheet(org, other, world, api_as):
    set_need(org.cust_a1, world["points"]["price"], 90, 40, "key")
    api = api_as(org.sales_a1)
    cards = api.get(f"/api/pitch/products/{world['product'].pk}/cards").json()
    assert cards["count"] == 3
    fuel = next(c for c in cards["items"] if c["id"] == world["cards"]["fuel"].pk)
    assert fuel["need_points"] == ["price", "digging"] and fuel["title"] == "省油多赚钱"
    sheet = api.get(f"/api/pitch/sheet/{org.cust_a1.pk}?product={world['product'].pk}").json()
    assert sheet["cards"][0]["id"] == world["cards"]["fuel"].pk
    assert sheet["cards"][0]["answers"][0] == {"need_point": "price", "name": "价格", "rank": 1, "stage": "key"}
    assert sheet["needs"][0]["need_point"] == "price" and sheet["needs"][0]["pressure"] == 50
    assert api.get(f"/api/pitch/sheet/{org.cust_b1.pk}").status_code == 404
    bad = api.get(f"/api/pitch/sheet/{org.cust_a1.pk}?product=abc")
    assert bad.status_code == 400 and "product" in bad.json()["error"]["fields"]
    assert api.get(f"/api/pitch/sheet/{org.cust_a1.pk}?prodcut=1").status_code == 400
    assert api_as(other.admin).get(f"/api/pitch/products/{world['product'].pk}/cards").status_code == 404


def test_admin_card_with_evidence_refuses_a_fake_photo(org, world, client_as):
    client = client_as(org.admin)
    url = reverse("admin:pitch_fabecard_add")
    data = {
        "selling_point": world["sp"]["长质保"].pk,
        "feature": "f",
        "advantage": "a",
        "benefit": "b",
        "order": 0,
        "evidence-TOTAL_FORMS": 1,
        "evidence-INITIAL_FORMS": 0,
        "evidence-0-kind": "photo",
        "evidence-0-title": "照片",
        "evidence-0-order": 0,
        "evidence-0-file": SimpleUploadedFile("x.jpg", b"nope"),
    }
    before = FabeCard.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200 and FabeCard.objects.count() == before
    data["evidence-0-file"] = SimpleUploadedFile("x.png", _png())
    response = client.post(url, data)
    assert response.status_code == 302
    card = FabeCard.objects.latest("pk")
    assert card.company_id == org.company.pk and card.evidence.get().file.name.endswith(".jpg")


# --- demo --------------------------------------------------------------------------------------------


def test_demo_cards_answer_needs_for_every_demo_selling_point(org):
    from customers.method import install_defaults
    from pitch.demo import seed_catalogue

    install_defaults(org.company)
    seed_catalogue(org.company)
    assert demo.seed_fabe(org.company) == SellingPoint.objects.filter(company=org.company).count()
    fuel = FabeCard.objects.get(selling_point__product__code="HY65-9", selling_point__title="省油多赚钱")
    assert "5.5 L/h" in fuel.feature and {p.code for p in fuel.need_points.all()} >= {"price"}
    assert fuel.evidence.filter(kind="testimonial").exists()
    assert demo.seed_fabe(org.company) == 0


# --- editing pages (managers and administrators) ------------------------------------------------------


def test_a_manager_adds_and_edits_a_card_on_the_pages(org, world, client_as):
    client = client_as(org.manager_a)
    product = world["product"]
    sp = SellingPoint.objects.create(company=org.company, product=product, dimension="extended", title="服务到家")
    add = reverse("pitch:card_add", args=[product.pk])
    assert client.get(add + f"?selling_point={sp.pk}").status_code == 200
    bad = client.post(add, {"selling_point": sp.pk, "feature": "4 小时到场", "advantage": "", "benefit": "少停机"})
    assert bad.status_code == 422 and "4 小时到场" in bad.content.decode()
    assert (_("Enter the %(part)s.") % {"part": _("advantage (优点)")}) in bad.content.decode()
    response = client.post(
        add,
        {
            "selling_point": sp.pk,
            "feature": "4 小时到场",
            "advantage": "不用等",
            "benefit": "少停机",
            "need_points": [world["points"]["price"].pk],
        },
    )
    card = FabeCard.objects.get(selling_point=sp)
    assert response.status_code == 302 and response["Location"] == reverse("pitch:card_edit", args=[card.pk])
    assert [p.code for p in card.need_points.all()] == ["price"]
    upload = SimpleUploadedFile("r.pdf", b"%PDF-1.7\n%%EOF")
    ev = client.post(
        reverse("pitch:evidence_add", args=[card.pk]), {"kind": "file", "title": "服务记录", "file": upload}
    )
    assert ev.status_code == 302 and card.evidence.get().file.name.endswith(".pdf")
    refused = client.post(
        reverse("pitch:evidence_add", args=[card.pk]),
        {"kind": "file", "title": "x", "file": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert refused.status_code == 422 and card.evidence.count() == 1
    client.post(reverse("pitch:evidence_delete", args=[card.evidence.get().pk]))
    assert not card.evidence.exists()


def test_salespeople_may_not_open_the_editing_pages(org, world, client_as):
    client = client_as(org.sales_a1)
    card = world["cards"]["fuel"]
    assert client.get(reverse("pitch:card_add", args=[world["product"].pk])).status_code == 403
    assert client.get(reverse("pitch:card_edit", args=[card.pk])).status_code == 403
    assert client.post(reverse("pitch:evidence_add", args=[card.pk]), {"kind": "text"}).status_code == 403
    page = client.get(reverse("pitch:cards", args=[world["product"].pk])).content.decode()
    assert 'data-testid="card-edit"' not in page and 'data-testid="card-add"' not in page
