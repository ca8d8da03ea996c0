"""The deal pipeline (商机, issue 6 item 1): stages with gates, moves, time in stage, lost deals, the
board, the deal page, the funnel, the API and the demo."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import Notification, Todo
from orders import deals
from orders.domain import deals as rules
from orders.models import (
    Contract,
    Deal,
    DealStage,
    DealStageStay,
    Delivery,
    Deposit,
    DownPayment,
    Gate,
    Machine,
    Order,
    PreparationItem,
)
from pitch.models import Product
from policies.models import Policy, Quote, QuoteVersion

from .factories import make_customer

pytestmark = pytest.mark.django_db


# --- builders ---------------------------------------------------------------------------------------


def product(org, code="HY65-9") -> Product:
    return Product.objects.get_or_create(company=org.company, code=code, defaults={"name": "小型挖掘机"})[0]


def quote_for(org, customer, *, price_fen=36_800_000, prod=None) -> Quote:
    prod = prod or product(org)
    n = Quote.objects.filter(company=org.company).count() + 1
    q = Quote.objects.create(
        company=org.company,
        number=f"BJ2026{n:05d}",
        customer=customer,
        product=prod,
        salesperson=customer.owner or org.sales_a1,
        created_at=timezone.now(),
        latest_version=2,
    )
    for v, price in ((1, price_fen + 500_000), (2, price_fen)):
        QuoteVersion.objects.create(
            quote=q,
            version=v,
            list_price_fen=price,
            price_fen=price,
            valid_until=timezone.localdate() + dt.timedelta(days=7),
            by=q.salesperson,
            at=timezone.now(),
        )
    return q


def policy(org, source="full_payment") -> Policy:
    return Policy.objects.get_or_create(company=org.company, code=source, defaults={"name": source, "source": source})[
        0
    ]


def order_for(deal: Deal, *, confirmed=True, source="full_payment", deposit_fen=2_000_000, down_fen=5_000_000):
    return Order.objects.create(
        company=deal.company,
        deal=deal,
        customer=deal.customer,
        product=deal.product,
        policy=policy_of(deal, source),
        number=f"DD2026{deal.pk:05d}",
        price_fen=deal.amount_fen,
        delivery_on=timezone.localdate() + dt.timedelta(days=30),
        delivery_place="工地",
        deposit_fen=deposit_fen,
        down_payment_fen=down_fen,
        confirmed_at=timezone.now() if confirmed else None,
        created_by=deal.salesperson,
        created_at=timezone.now(),
    )


def policy_of(deal, source):
    return Policy.objects.get_or_create(
        company_id=deal.company_id, code=source, defaults={"name": source, "source": source}
    )[0]


def deposit(order, amount=None):
    return Deposit.objects.create(
        company=order.company,
        order=order,
        amount_fen=order.deposit_fen if amount is None else amount,
        received_on=timezone.localdate(),
        receipt_number=f"SJ{order.pk}-{Deposit.objects.count()}",
        refund_terms="双倍返还",
        by=order.created_by,
        at=timezone.now(),
    )


def contract(order, signed=True):
    from orders.models import ContractTemplate

    template = ContractTemplate.objects.get_or_create(company=order.company, name="标准", defaults={"body": "x"})[0]
    return Contract.objects.create(
        company=order.company,
        order=order,
        template=template,
        number=f"HT{order.pk}",
        amount_fen=order.price_fen,
        signer_name="客户",
        signed_on=timezone.localdate() if signed else None,
        created_by=order.created_by,
        created_at=timezone.now(),
    )


def down_payment(order, amount):
    return DownPayment.objects.create(
        company=order.company,
        order=order,
        amount_fen=amount,
        received_on=timezone.localdate(),
        by=order.created_by,
        at=timezone.now(),
    )


def stage(org, code) -> DealStage:
    deals.stages_for(org.company.pk)
    return DealStage.objects.get(company=org.company, code=code)


def new_deal(org, customer=None, actor=None, **kw) -> Deal:
    customer = customer or org.cust_a1
    actor = actor or customer.owner or org.manager_a
    return deals.deal_create(actor=actor, customer=customer, product=kw.pop("product", product(org)), **kw)


# --- stages -----------------------------------------------------------------------------------------


def test_the_default_stages_are_installed_once_on_first_use(org):
    first = deals.stages_for(org.company.pk)
    again = deals.stages_for(org.company.pk)
    names = ["意向", "报价", "订单确认", "定金", "合同", "首付", "分期资料", "整备运输", "已交车"]
    assert [s.name for s in first] == names
    assert [s.pk for s in again] == [s.pk for s in first]
    assert [s.gate for s in first] == ["", *rules.GATES]
    assert [s.won for s in first] == [False] * 8 + [True]
    assert DealStage.objects.filter(company=org.company).count() == 9


def test_an_inactive_stage_is_left_out_and_a_deal_skips_it(org):
    deal = new_deal(org)
    DealStage.objects.filter(company=org.company, code="quote").update(active=False)
    order_for(deal)
    deals.deal_sync(deal=deal, actor=org.sales_a1)
    deal.refresh_from_db()
    assert deal.stage.code == "order"  # 报价 no longer gates (inactive), the order is confirmed


# --- create -----------------------------------------------------------------------------------------


def test_a_deal_from_a_customer_starts_at_intent_with_a_stay_and_a_to_do(org):
    deal = new_deal(org, amount_fen=30_000_000)
    assert deal.stage.code == "intent" and deal.status == Deal.Status.OPEN
    assert deal.salesperson == org.sales_a1 and deal.amount_fen == 30_000_000
    stays = list(deal.stays.all())
    assert len(stays) == 1 and stays[0].left_at is None and stays[0].by == org.sales_a1
    todo = Todo.objects.get(user=org.sales_a1, key=f"orders.deal.{deal.pk}")
    assert todo.status == Todo.Status.OPEN and str(deals.NEXT_STEP[Gate.QUOTE]) in todo.title


def test_a_deal_from_a_quote_takes_machine_and_latest_price_and_enters_the_quote_stage(org):
    q = quote_for(org, org.cust_a1, price_fen=35_500_000)
    deal = deals.deal_create(actor=org.sales_a1, customer=org.cust_a1, quote=q)
    assert deal.product_id == q.product_id and deal.amount_fen == 35_500_000
    assert deal.stage.code == "quote"
    assert [s.stage.code for s in deal.stays.order_by("entered_at", "pk")] == ["intent", "quote"]
    first = deal.stays.order_by("pk").first()
    assert first.left_at == first.entered_at  # passed through at once
    with pytest.raises(ValidationError) as exc:
        deals.deal_create(actor=org.sales_a1, customer=org.cust_a1, quote=q)
    assert "quote" in exc.value.message_dict
    assert Deal.objects.filter(quote=q).count() == 1


def test_a_quote_of_another_customer_or_a_foreign_machine_is_refused(org, other):
    q = quote_for(org, org.cust_a2)
    with pytest.raises(ValidationError) as exc:
        deals.deal_create(actor=org.manager_a, customer=org.cust_a1, quote=q)
    assert "quote" in exc.value.message_dict
    foreign = Product.objects.create(company=other.company, code="X1", name="别家")
    with pytest.raises(ValidationError) as exc:
        deals.deal_create(actor=org.sales_a1, customer=org.cust_a1, product=foreign)
    assert "product" in exc.value.message_dict
    assert not Deal.objects.exists()


def test_only_who_may_change_the_customer_creates_a_deal(org):
    for actor, customer in ((org.sales_a2, org.cust_a1), (org.sales_a1, org.cust_pool), (org.finance, org.cust_a1)):
        with pytest.raises(PermissionError):
            deals.deal_create(actor=actor, customer=customer)
    deal = deals.deal_create(actor=org.manager_a, customer=org.cust_a1)
    assert deal.salesperson == org.sales_a1  # the customer's owner, not the manager


# --- gates --------------------------------------------------------------------------------------------


def test_skipping_a_gated_step_is_refused_naming_the_gate(org):
    deal = new_deal(org)
    order_for(deal)  # confirmed, no deposit yet
    deals.deal_sync(deal=deal, actor=org.sales_a1)
    deal.refresh_from_db()
    assert deal.stage.code == "order"
    target = stage(org, "contract")
    with pytest.raises(ValidationError) as exc:
        deals.deal_move(actor=org.sales_a1, deal=deal, stage=target)
    assert exc.value.message_dict["stage"] == [deals.refusal(Gate.DEPOSIT, target)]
    assert str(deals.UNMET[Gate.DEPOSIT]) in exc.value.message_dict["stage"][0]
    deal.refresh_from_db()
    assert deal.stage.code == "order" and deal.stays.filter(left_at__isnull=True).count() == 1


def test_a_part_deposit_does_not_open_the_gate(org):
    deal = new_deal(org)
    order = order_for(deal, deposit_fen=2_000_000)
    deposit(order, 500_000)
    assert deals.gate_facts(deal)[Gate.DEPOSIT] is False
    deposit(order, 1_500_000)
    assert deals.gate_facts(deal)[Gate.DEPOSIT] is True


def test_moving_forward_through_met_gates_records_a_stay_per_stage(org):
    deal = new_deal(org)
    order = order_for(deal)
    deposit(order)
    deal = deals.deal_move(actor=org.sales_a1, deal=deal, stage=stage(org, "deposit"))
    assert deal.stage.code == "deposit"
    codes = list(deal.stays.order_by("entered_at", "pk").values_list("stage__code", flat=True))
    assert codes == ["intent", "quote", "order", "deposit"]
    assert deal.stays.filter(left_at__isnull=True).get().stage.code == "deposit"


def test_deal_sync_moves_as_far_as_the_documents_allow_and_never_back(org):
    deal = new_deal(org)
    order = order_for(deal, down_fen=5_000_000)
    deposit(order)
    contract(order)
    down_payment(order, 2_000_000)  # part of the down payment
    deal = deals.deal_sync(deal=deal, actor=org.finance)  # finance may not change deals, sync still runs
    assert deal.stage.code == "contract"
    down_payment(order, 3_000_000)
    deal = deals.deal_sync(deal=deal, actor=org.finance)
    # full payment: the dossier is skipped; the machine is not prepared
    assert deal.stage.code == "dossier"
    Contract.objects.filter(order=order).update(signed_on=None)
    deal = deals.deal_sync(deal=deal, actor=org.sales_a1)
    assert deal.stage.code == "dossier"  # never backwards


def test_the_dossier_gate_waits_for_an_instalment_order(org):
    deal = new_deal(org)
    order = order_for(deal, source="bank_loan", down_fen=0)
    deposit(order)
    contract(order)
    facts = deals.gate_facts(deal)
    assert facts[Gate.DOWN_PAYMENT] is True and facts[Gate.DOSSIER] is False
    deal = deals.deal_sync(deal=deal, actor=org.sales_a1)
    assert deal.stage.code == "down_payment"


def test_delivery_wins_the_deal_and_closes_its_to_do(org):
    deal = new_deal(org)
    order = order_for(deal, down_fen=0)
    deposit(order)
    contract(order)
    Machine.objects.create(company=org.company, product=deal.product, serial_number="SN1", order=order)
    for kind in PreparationItem.Kind.values:
        PreparationItem.objects.create(company=org.company, order=order, kind=kind, done_at=timezone.now())
    deal = deals.deal_sync(deal=deal, actor=org.sales_a1)
    assert deal.stage.code == "delivery_prep" and deal.status == Deal.Status.OPEN
    Delivery.objects.create(company=org.company, order=order, delivered_at=timezone.now())
    deal = deals.deal_sync(deal=deal, actor=org.sales_a1)
    assert deal.stage.code == "delivered" and deal.status == Deal.Status.WON and deal.closed_at
    assert Todo.objects.get(key=f"orders.deal.{deal.pk}").status == Todo.Status.DONE


def test_back_to_an_earlier_stage_only_for_managers(org):
    deal = new_deal(org)
    order_for(deal)
    deal = deals.deal_sync(deal=deal, actor=org.sales_a1)
    assert deal.stage.code == "order"
    with pytest.raises(ValidationError) as exc:
        deals.deal_move(actor=org.sales_a1, deal=deal, stage=stage(org, "intent"))
    assert "stage" in exc.value.message_dict
    deal = deals.deal_move(actor=org.manager_a, deal=deal, stage=stage(org, "quote"))
    assert deal.stage.code == "quote"
    assert deal.stays.filter(left_at__isnull=True).get().by == org.manager_a


def test_moving_is_for_who_may_change_the_deal(org):
    deal = new_deal(org)
    for actor in (org.sales_a2, org.finance, org.manager_b):
        with pytest.raises(PermissionError):
            deals.deal_move(actor=actor, deal=deal, stage=stage(org, "quote"))


# --- lost -----------------------------------------------------------------------------------------


def test_losing_needs_a_reason_ends_the_stay_and_tells_the_managers(org):
    deal = new_deal(org)
    with pytest.raises(ValidationError) as exc:
        deals.deal_lose(actor=org.sales_a1, deal=deal, reason="   ")
    assert "reason" in exc.value.message_dict
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
    deals.deal_lose(actor=org.sales_a1, deal=deal, reason="客户选了三一")
    deal.refresh_from_db()
    assert deal.status == Deal.Status.LOST and deal.lost_reason == "客户选了三一" and deal.closed_at
    assert not deal.stays.filter(left_at__isnull=True).exists()
    assert Notification.objects.filter(user=org.manager_a, body="客户选了三一").exists()
    assert not Notification.objects.filter(user=org.manager_b).exists()
    assert Todo.objects.get(key=f"orders.deal.{deal.pk}").status == Todo.Status.DONE
    with pytest.raises(ValidationError):
        deals.deal_move(actor=org.manager_a, deal=deal, stage=stage(org, "quote"))
    with pytest.raises(ValidationError):
        deals.deal_lose(actor=org.sales_a1, deal=deal, reason="again")


# --- audit --------------------------------------------------------------------------------------------


def test_moves_leave_an_audit_trail(org):
    from core.audit import history_for

    deal = new_deal(org)
    order_for(deal)
    deals.deal_move(actor=org.sales_a1, deal=deal, stage=stage(org, "order"))
    entries = list(history_for(deal))
    assert any("stage" in (e.changes or {}) for e in entries)


# --- pages ----------------------------------------------------------------------------------------


def test_the_board_shows_the_columns_and_only_visible_deals(org, client_as):
    mine = new_deal(org)
    theirs = new_deal(org, customer=org.cust_b1)
    page = client_as(org.sales_a1).get("/orders/deals/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="stage-column"') == 9
    assert f'data-deal="{mine.pk}"' in html and f'data-deal="{theirs.pk}"' not in html
    assert org.cust_a1.name in html
    manager = client_as(org.manager_b).get("/orders/deals/").content.decode()
    assert f'data-deal="{theirs.pk}"' in manager and f'data-deal="{mine.pk}"' not in manager


def test_the_board_filters_by_salesperson_and_region(org, client_as):
    a = new_deal(org)
    b = new_deal(org, customer=org.cust_a2)
    html = client_as(org.admin).get(f"/orders/deals/?salesperson={org.sales_a2.pk}").content.decode()
    assert f'data-deal="{b.pk}"' in html and f'data-deal="{a.pk}"' not in html
    html = client_as(org.admin).get(f"/orders/deals/?region={org.region_b.pk}").content.decode()
    assert f'data-deal="{b.pk}"' not in html and f'data-deal="{a.pk}"' not in html


BOARD_QUERIES = 9  # the page shell (session, user, roles, menu) + stages, counts per stage, cards, filter choices
FUNNEL_QUERIES = 12


def test_the_board_costs_a_fixed_number_of_queries(org, client_as, django_assert_num_queries):
    client = client_as(org.manager_a)
    new_deal(org)
    client.get("/orders/deals/")  # stages installed
    with django_assert_num_queries(BOARD_QUERIES):
        assert client.get("/orders/deals/").status_code == 200
    for i in range(6):
        c = make_customer(org.sales_a2, region=org.region_a, owner=org.sales_a2, name=f"客户{i}")
        deal = new_deal(org, customer=c)
        if i % 2:
            order_for(deal)
            deals.deal_sync(deal=deal, actor=org.sales_a2)
    with django_assert_num_queries(BOARD_QUERIES):
        many = client.get("/orders/deals/")
    assert many.content.decode().count('data-testid="deal-card"') == 7


def test_a_refused_move_on_the_board_comes_back_with_the_rule(org, client_as):
    deal = new_deal(org)
    client = client_as(org.sales_a1)
    target = stage(org, "deposit")
    resp = client.post(
        f"/orders/deals/{deal.pk}/move/", {"stage": target.pk, "from": "board"}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert 'data-testid="board-error"' in html and "<html" not in html
    assert str(deals.UNMET[Gate.QUOTE]) in html
    deal.refresh_from_db()
    assert deal.stage.code == "intent"
    quote_for(org, org.cust_a1)
    resp = client.post(
        f"/orders/deals/{deal.pk}/move/",
        {"stage": stage(org, "quote").pk, "from": "board"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and 'data-testid="board-notice"' in resp.content.decode()
    deal.refresh_from_db()
    assert deal.stage.code == "quote"


def test_the_deal_page_shows_gates_and_links_the_next_steps(org, client_as):
    deal = new_deal(org)
    client = client_as(org.sales_a1)
    html = client.get(f"/orders/deals/{deal.pk}/").content.decode()
    assert 'data-stage="intent"' in html and 'aria-current="step"' in html
    assert html.count('data-testid="stage-step"') == 9
    assert 'data-met="0"' in html
    if _has_url("orders:order_new", deal.pk):
        assert reverse("orders:order_new", args=[deal.pk]) in html
    order = order_for(deal)
    deals.deal_sync(deal=deal, actor=org.sales_a1)
    html = client.get(f"/orders/deals/{deal.pk}/").content.decode()
    if _has_url("orders:deposit_new", order.pk):
        assert reverse("orders:deposit_new", args=[order.pk]) in html
    assert str(deals.UNMET[Gate.DEPOSIT]) in html  # the next step: the deposit
    assert 'data-testid="stay"' in html and 'data-testid="history-entry"' in html


def test_the_deal_page_warns_when_the_customer_has_no_recent_good_credit_check(org, client_as):
    """Prevention (SPEC §7): a credit check before a new sale; the deal page says when it is missing."""
    from receivables.kpis.services import credit_check_record

    deal = new_deal(org)
    client = client_as(org.sales_a1)
    html = client.get(f"/orders/deals/{deal.pk}/").content.decode()
    assert 'data-testid="credit-status" data-ok="0"' in html
    assert reverse("receivables:kpis_customer_checks", args=[deal.customer_id]) in html
    credit_check_record(actor=org.sales_a1, customer=deal.customer, stage="before_new_sale",
                        checked_on=timezone.localdate(), sources=["bank_report"], result="good")  # fmt: skip
    html = client.get(f"/orders/deals/{deal.pk}/").content.decode()
    assert 'data-testid="credit-status" data-ok="0"' not in html


def _has_url(name, *args) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


def test_moving_and_losing_from_the_deal_page(org, client_as):
    deal = new_deal(org)
    client = client_as(org.sales_a1)
    resp = client.post(f"/orders/deals/{deal.pk}/move/", {"stage": stage(org, "contract").pk})
    assert resp.status_code == 422 and 'data-testid="move-error"' in resp.content.decode()
    resp = client.post(f"/orders/deals/{deal.pk}/lose/", {"reason": ""})
    assert resp.status_code == 422 and 'data-testid="lose-error"' in resp.content.decode()
    resp = client.post(f"/orders/deals/{deal.pk}/lose/", {"reason": "价格太高"})
    assert resp.status_code == 302
    deal.refresh_from_db()
    assert deal.status == Deal.Status.LOST
    assert client_as(org.sales_a2).get(f"/orders/deals/{deal.pk}/").status_code == 404
    assert client_as(org.finance).post(f"/orders/deals/{deal.pk}/lose/", {"reason": "x"}).status_code == 403


def test_new_deal_pages_from_a_customer_and_from_a_quote(org, client_as):
    prod = product(org)
    client = client_as(org.sales_a1)
    page = client.get(f"/orders/deals/new/?customer={org.cust_a1.pk}")
    assert page.status_code == 200 and prod.code in page.content.decode()
    resp = client.post(
        "/orders/deals/new/", {"customer": org.cust_a1.pk, "product": prod.pk, "amount": "abc", "expected_on": ""}
    )
    assert resp.status_code == 422 and not Deal.objects.exists()
    resp = client.post(
        "/orders/deals/new/", {"customer": org.cust_a1.pk, "product": prod.pk, "amount": "320,000", "expected_on": ""}
    )
    deal = Deal.objects.get()
    assert resp.status_code == 302 and deal.amount_fen == 32_000_000
    q = quote_for(org, org.cust_a2, price_fen=40_000_000)
    client2 = client_as(org.sales_a2)
    assert client2.get(f"/orders/deals/new/?quote={q.pk}").status_code == 200
    resp = client2.post("/orders/deals/new/", {"quote": q.pk})
    assert resp.status_code == 302
    assert Deal.objects.get(quote=q).amount_fen == 40_000_000
    assert client.get(f"/orders/deals/new/?quote={q.pk}").status_code == 404  # not sales_a1's customer


# --- funnel ---------------------------------------------------------------------------------------


def _funnel_world(org):
    a = new_deal(org)  # intent
    b = new_deal(org, customer=org.cust_a2)
    order_for(b)
    deals.deal_sync(deal=b, actor=org.sales_a2)  # order
    c3 = make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name="第三客户")
    c = new_deal(org, customer=c3)
    deals.deal_lose(actor=org.sales_a1, deal=c, reason="没钱")
    d = new_deal(org, customer=org.cust_b1)  # region B
    return a, b, c, d


def test_the_funnel_counts_reached_stages_conversion_lost_and_days(org):
    _funnel_world(org)
    f = deals.funnel(org.admin, deals.FunnelScope.default())
    by = {r["stage"].code: r for r in f["rows"]}
    assert by["intent"]["count"] == 4 and by["quote"]["count"] == 1 and by["order"]["count"] == 1
    assert by["deposit"]["count"] == 0
    assert by["intent"]["conversion"] == 25.0 and by["quote"]["conversion"] == 100.0
    assert by["order"]["conversion"] == 0.0 and by["delivered"]["conversion"] is None
    assert by["intent"]["lost"] == 1 and f["lost"] == 1 and f["won"] == 0
    assert by["intent"]["avg_days"] is not None and by["intent"]["avg_days"] >= 0
    assert by["intent"]["amount_fen"] == sum(Deal.objects.values_list("amount_fen", flat=True))
    people = {p["id"]: p for p in f["people"]}
    assert people[org.sales_a1.pk]["counts"][0] == 2 and people[org.sales_a1.pk]["lost"] == 1
    regions = {r["id"]: r for r in f["regions"]}
    assert regions[org.region_a.pk]["counts"][0] == 3 and regions[org.region_b.pk]["counts"][0] == 1


def test_the_funnel_follows_visibility_and_filters(org):
    _funnel_world(org)
    manager = deals.funnel(org.manager_a, deals.FunnelScope.default())
    assert manager["rows"][0]["count"] == 3
    own = deals.funnel(org.sales_a1, deals.FunnelScope.default())
    assert own["rows"][0]["count"] == 2
    scope = deals.FunnelScope.default()
    only_a2 = deals.funnel(org.admin, deals.FunnelScope(scope.start, scope.end, salesperson=org.sales_a2))
    assert only_a2["rows"][0]["count"] == 1 and only_a2["rows"][2]["count"] == 1
    past = deals.funnel(org.admin, deals.FunnelScope(scope.start - dt.timedelta(days=400), scope.start))
    assert past["rows"][0]["count"] == 0


def test_average_days_in_stage_come_from_the_stays(org):
    deal = new_deal(org)
    now = timezone.now()
    DealStageStay.objects.filter(deal=deal).update(entered_at=now - dt.timedelta(days=4), left_at=now)
    f = deals.funnel(org.admin, deals.FunnelScope.default())
    assert f["rows"][0]["avg_days"] == pytest.approx(4.0, abs=0.1)


def test_the_funnel_page_and_its_queries(org, client_as, django_assert_num_queries):
    _funnel_world(org)
    client = client_as(org.manager_a)
    page = client.get("/orders/funnel/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-chart="funnel"' in html and html.count('data-testid="funnel-row"') == 9
    bad = client.get("/orders/funnel/?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 422
    with django_assert_num_queries(FUNNEL_QUERIES):
        client.get("/orders/funnel/")
    for i in range(5):
        c = make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name=f"漏斗客户{i}")
        new_deal(org, customer=c)
    with django_assert_num_queries(FUNNEL_QUERIES):
        client.get("/orders/funnel/")


# --- API ------------------------------------------------------------------------------------------


def test_api_create_get_move_lose(org, api_as):
    api = api_as(org.sales_a1)
    prod = product(org)
    resp = api.post("/api/orders/deals", {"customer": org.cust_a1.pk, "product": prod.pk, "amount_fen": 30_000_000})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["stage_code"] == "intent" and body["salesperson"] == org.sales_a1.pk
    deal_id = body["id"]
    detail = api.get(f"/api/orders/deals/{deal_id}").json()
    assert [s["code"] for s in detail["stages"]][:2] == ["intent", "quote"] and detail["blocked_by"] == "quote"
    resp = api.post(f"/api/orders/deals/{deal_id}/move", {"stage": "order"})
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "invalid" and "stage" in err["fields"]
    quote_for(org, org.cust_a1)
    resp = api.post(f"/api/orders/deals/{deal_id}/move", {"stage": "quote"})
    assert resp.status_code == 200 and resp.json()["stage_code"] == "quote"
    assert api.post(f"/api/orders/deals/{deal_id}/lose", {"reason": ""}).status_code == 422
    resp = api.post(f"/api/orders/deals/{deal_id}/lose", {"reason": "延期"})
    assert resp.status_code == 200 and resp.json()["status"] == "lost"


def test_api_list_filters_visibility_and_errors(org, other, api_as):
    a = new_deal(org)
    b = new_deal(org, customer=org.cust_b1)
    listed = api_as(org.sales_a1).get("/api/orders/deals").json()
    assert [d["id"] for d in listed["items"]] == [a.pk]
    admin = api_as(org.admin)
    assert admin.get("/api/orders/deals").json()["count"] == 2
    assert [d["id"] for d in admin.get(f"/api/orders/deals?region={org.region_b.pk}").json()["items"]] == [b.pk]
    assert admin.get("/api/orders/deals?status=open&stage=intent").json()["count"] == 2
    assert admin.get("/api/orders/deals?colour=red").status_code == 400
    assert admin.get("/api/orders/deals?status=maybe").status_code == 400
    assert api_as(other.admin).get(f"/api/orders/deals/{a.pk}").status_code == 404
    assert api_as(org.finance).post(f"/api/orders/deals/{a.pk}/move", {"stage": "quote"}).status_code == 403
    assert api_as(org.sales_a1).post("/api/orders/deals", {"customer": org.cust_pool.pk}).status_code == 403


def test_api_funnel(org, api_as):
    _funnel_world(org)
    body = api_as(org.manager_a).get("/api/orders/funnel?basis=entered").json()
    assert body["filters"]["basis"] == "entered"
    assert body["stages"][0]["code"] == "intent" and body["stages"][0]["count"] == 3
    assert body["lost"] == 1 and body["by_salesperson"]
    assert api_as(org.manager_a).get("/api/orders/funnel?start=2026-02-30").status_code == 400


# --- admin and demo -------------------------------------------------------------------------------


def test_the_stages_are_configured_in_the_admin(org, client_as):
    deals.stages_for(org.company.pk)
    client = client_as(org.admin)
    assert client.get("/admin/orders/dealstage/").status_code == 200
    assert client.get("/admin/orders/contracttemplate/").status_code == 200
    assert client_as(org.sales_a1).get("/admin/orders/dealstage/").status_code in (302, 403)


def test_the_demo_has_deals_at_every_stage_consistent_with_their_gates(org):
    from orders.demo_deals import seed_deals

    for i in range(12):
        make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name=f"演示客户{i}")
        make_customer(org.sales_a2, region=org.region_a, owner=org.sales_a2, name=f"演示客户乙{i}")
    product(org)
    policy(org, "full_payment")
    policy(org, "bank_loan")
    counts = seed_deals(org.company, rng=random.Random(3))
    assert counts["deals"] == 20 and counts["lost"] == 2
    stages = deals.stages_for(org.company.pk)
    for s in stages:
        assert Deal.objects.filter(stage=s).exclude(status=Deal.Status.LOST).count() >= 2, s.code
    for deal in Deal.objects.exclude(status=Deal.Status.LOST):
        before = deal.stage_id
        synced = deals.deal_sync(deal=deal, actor=deal.salesperson)
        assert synced.stage_id == before, (deal.stage.code, deals.gate_facts(deal))
        stays = list(deal.stays.order_by("entered_at"))
        assert stays[-1].stage_id == before and stays[-1].left_at is None
    assert Deal.objects.filter(status=Deal.Status.WON).count() == 3


def test_the_customer_deals_partial_lists_what_the_user_may_see(org):
    from django.template.loader import render_to_string

    deal = new_deal(org)
    shown = deals.customer_deals(org.sales_a1, org.cust_a1)
    assert [d.pk for d in shown] == [deal.pk]
    assert deals.customer_deals(org.sales_a2, org.cust_a1) == []
    html = render_to_string(
        "orders/deals/_customer_deals.html", {"customer": org.cust_a1, "deals": shown, "can_change": True}
    )
    assert reverse("orders:deal_detail", args=[deal.pk]) in html
    assert f"{reverse('orders:deal_new')}?customer={org.cust_a1.pk}" in html


def test_a_quote_issued_later_moves_the_customers_open_deals(org):
    waiting = deals.deal_create(actor=org.sales_a1, customer=org.cust_a1)  # no machine yet
    other_machine = new_deal(org, product=product(org, "HY215"))
    q = quote_for(org, org.cust_a1)
    moved = deals.sync_after_quote(q.versions.get(version=2))
    assert [d.pk for d in moved] == [waiting.pk]
    waiting.refresh_from_db()
    other_machine.refresh_from_db()
    assert waiting.stage.code == "quote" and waiting.quote == q and waiting.product_id == q.product_id
    assert other_machine.stage.code == "intent" and other_machine.quote_id is None
