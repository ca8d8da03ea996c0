"""Negotiation guardrails (SPEC §4): the discount limit, discount requests approved by a manager of the
customer's region (让价审批), value-added compensation (增值补偿) and the closing prompts (催单);
services, pages (htmx), API and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import strategies as st

from core.models import Notification, Todo
from customers import services as customer_services
from customers.models import CustomerNeed
from pitch.models import Price, Product
from policies import negotiation as svc
from policies.models import Compensation, DiscountRequest, NegotiationSettings, Policy, Quote, QuoteVersion

from .factories import make_customer

PRICE = 30_000_000  # ¥300,000.00
LIMIT = 600_000  # 2 % (the default) of the list price: ¥6,000.00


@pytest.fixture
def product(org):
    p = Product.objects.create(company=org.company, code="HY65-9", name="小挖", brand="恒岳")
    Price.objects.create(company=org.company, product=p, list_price_fen=PRICE, valid_from=dt.date(2020, 1, 1))
    return p


def ask(org, product, amount=1_000_000, *, actor=None, customer=None, reason="客户在比三一的价格，差一万"):
    return svc.discount_request(
        actor=actor or org.sales_a1,
        customer=customer or org.cust_a1,
        product=product,
        discount_fen=amount,
        reason=reason,
    )


def todos(user, request):
    return Todo.objects.filter(user=user, key=f"policies.discount.{request.pk}")


# --- the limit -----------------------------------------------------------------------------------------


def test_the_limit_is_the_percentage_of_the_list_price_or_the_amount_whichever_is_smaller():
    assert svc.limit_fen(list_price_fen=PRICE, limit_percent=Decimal("2")) == 600_000
    assert svc.limit_fen(list_price_fen=PRICE, limit_percent=Decimal("2"), limit_amount_fen=500_000) == 500_000
    assert svc.limit_fen(list_price_fen=PRICE, limit_percent=Decimal("2"), limit_amount_fen=900_000) == 600_000
    assert svc.limit_fen(list_price_fen=12_345, limit_percent=Decimal("1.5")) == 185  # 185.175 fen, rounded down
    assert svc.limit_fen(list_price_fen=PRICE, limit_percent=Decimal("0")) == 0


def test_exactly_at_the_limit_needs_no_approval_one_fen_more_does():
    conf = NegotiationSettings(discount_limit_percent=Decimal("2"), discount_limit_fen=0)
    assert svc.discount_check(settings=conf, list_price_fen=PRICE, discount_fen=LIMIT) is False
    assert svc.discount_check(settings=conf, list_price_fen=PRICE, discount_fen=LIMIT + 1) is True
    capped = NegotiationSettings(discount_limit_percent=Decimal("2"), discount_limit_fen=300_000)
    assert svc.discount_check(settings=capped, list_price_fen=PRICE, discount_fen=300_000) is False
    assert svc.discount_check(settings=capped, list_price_fen=PRICE, discount_fen=300_001) is True


@given(
    price=st.integers(min_value=1, max_value=10**11),
    percent=st.decimals(min_value=0, max_value=100, places=2),
    amount=st.integers(min_value=0, max_value=10**9),
    discount=st.integers(min_value=0, max_value=10**11),
)
def test_approval_is_needed_exactly_above_a_limit_that_respects_both_caps(price, percent, amount, discount):
    limit = svc.limit_fen(list_price_fen=price, limit_percent=percent, limit_amount_fen=amount)
    assert 0 <= limit <= price * percent / 100
    if amount > 0:
        assert limit <= amount
    assert svc.needs_approval(
        list_price_fen=price, discount_fen=discount, limit_percent=percent, limit_amount_fen=amount
    ) == (discount > limit)


# --- asking ----------------------------------------------------------------------------------------------


def test_a_request_goes_to_the_managers_of_the_customers_region_as_a_todo_and_a_notification(org, product):
    r = ask(org, product)
    assert (r.status, r.list_price_fen, r.discount_fen, r.requested_by) == ("pending", PRICE, 1_000_000, org.sales_a1)
    todo = todos(org.manager_a, r).get()
    assert (
        todo.status == "open"
        and todo.url == reverse("policies:approval", args=[r.pk])
        and todo.kind == "discount_approval"
    )
    assert org.cust_a1.name in todo.title
    assert Notification.objects.filter(user=org.manager_a, url=todo.url).count() == 1
    # not the other region's manager, not the administrators while the region has a manager
    assert not Todo.objects.filter(key=f"policies.discount.{r.pk}").exclude(user=org.manager_a).exists()
    assert not Notification.objects.filter(user__in=[org.manager_b, org.admin]).exists()


def test_without_a_manager_in_the_region_the_administrators_get_it(org, product):
    org.manager_a.regions.clear()
    r = ask(org, product)
    assert todos(org.admin, r).count() == 1
    assert not todos(org.manager_a, r).exists()


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        (LIMIT, "理由", "discount_fen"),  # within the limit: apply it, no approval
        (1, "理由", "discount_fen"),
        (0, "理由", "discount_fen"),
        (-5, "理由", "discount_fen"),
        (PRICE, "理由", "discount_fen"),  # the whole price
        (1_000_000, "   ", "reason"),
        ("一万", "理由", "discount_fen"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_nothing_is_written(org, product, amount, reason, field):
    with pytest.raises(ValidationError) as exc:
        ask(org, product, amount, reason=reason)
    assert field in exc.value.message_dict
    assert not DiscountRequest.objects.exists() and not Todo.objects.filter(kind="discount_approval").exists()


def test_within_the_limit_the_message_says_no_approval_is_needed(org, product):
    with pytest.raises(ValidationError) as exc:
        ask(org, product, LIMIT)
    expected = gettext("Within your limit (%(limit)s): no approval needed — apply it in the quote.") % {
        "limit": "¥6,000.00"
    }
    assert exc.value.message_dict["discount_fen"] == [expected]


def test_a_machine_without_a_list_price_today_is_refused(org, product):
    Price.objects.filter(product=product).update(valid_to=dt.date(2021, 1, 1))
    with pytest.raises(ValidationError) as exc:
        ask(org, product)
    assert "product" in exc.value.message_dict


def test_only_who_may_change_the_customer_asks(org, product):
    with pytest.raises(PermissionError):
        ask(org, product, actor=org.sales_a2)  # cust_a1 belongs to sales_a1
    with pytest.raises(PermissionError):
        ask(org, product, actor=org.finance)


def test_another_companys_machine_is_refused(org, other, product):
    theirs = Product.objects.create(company=other.company, code="X1", name="x")
    with pytest.raises(ValidationError) as exc:
        ask(org, theirs)
    assert "product" in exc.value.message_dict


def test_asking_twice_returns_the_same_request_and_a_new_amount_replaces_it(org, product):
    first = ask(org, product)
    assert ask(org, product).pk == first.pk
    assert DiscountRequest.objects.count() == 1 and todos(org.manager_a, first).count() == 1
    second = ask(org, product, 1_200_000)
    first.refresh_from_db()
    assert first.status == "withdrawn" and second.status == "pending"
    assert todos(org.manager_a, first).get().status == "done"
    assert todos(org.manager_a, second).get().status == "open"


# --- deciding --------------------------------------------------------------------------------------------


def test_approval_closes_the_todos_and_tells_the_requester(org, product):
    r = ask(org, product)
    done = svc.discount_decide(actor=org.manager_a, request=r, approve=True, note="")
    assert (done.status, done.decided_by, done.decided_at is not None) == ("approved", org.manager_a, True)
    assert todos(org.manager_a, r).get().status == "done"
    told = Notification.objects.get(user=org.sales_a1)
    assert org.cust_a1.name in told.title and told.url == reverse("policies:approval", args=[r.pk])


def test_a_manager_of_another_region_may_not_decide(org, product):
    r = ask(org, product)
    with pytest.raises(PermissionError):
        svc.discount_decide(actor=org.manager_b, request=r, approve=True)
    with pytest.raises(PermissionError):
        svc.discount_decide(actor=org.sales_a2, request=r, approve=True)
    r.refresh_from_db()
    assert r.status == "pending"


def test_a_manager_never_approves_their_own_request(org, product):
    r = ask(org, product, actor=org.manager_a)
    assert not todos(org.manager_a, r).exists() and todos(org.admin, r).count() == 1  # nobody else in region A
    with pytest.raises(PermissionError):
        svc.discount_decide(actor=org.manager_a, request=r, approve=True)
    assert svc.discount_decide(actor=org.admin, request=r, approve=True).status == "approved"


def test_a_rejection_needs_a_note(org, product):
    r = ask(org, product)
    with pytest.raises(ValidationError) as exc:
        svc.discount_decide(actor=org.manager_a, request=r, approve=False, note="  ")
    assert "decision_note" in exc.value.message_dict
    r.refresh_from_db()
    assert r.status == "pending" and todos(org.manager_a, r).get().status == "open"
    done = svc.discount_decide(actor=org.manager_a, request=r, approve=False, note="先送两次保养")
    assert (done.status, done.decision_note) == ("rejected", "先送两次保养")


def test_deciding_twice_is_refused(org, product):
    r = ask(org, product)
    svc.discount_decide(actor=org.manager_a, request=r, approve=True)
    with pytest.raises(ValidationError) as exc:
        svc.discount_decide(actor=org.admin, request=r, approve=False, note="不行")
    assert "status" in exc.value.message_dict
    r.refresh_from_db()
    assert (r.status, r.decided_by) == ("approved", org.manager_a)


def test_only_the_requester_withdraws_a_pending_request(org, product):
    r = ask(org, product)
    with pytest.raises(PermissionError):
        svc.discount_withdraw(actor=org.manager_a, request=r)
    assert svc.discount_withdraw(actor=org.sales_a1, request=r).status == "withdrawn"
    assert todos(org.manager_a, r).get().status == "done"
    with pytest.raises(ValidationError):
        svc.discount_withdraw(actor=org.sales_a1, request=r)


def test_approved_discount_is_the_largest_approved_one(org, product):
    assert svc.approved_discount_fen(org.cust_a1, product) == 0
    small = ask(org, product, 700_000)
    svc.discount_decide(actor=org.manager_a, request=small, approve=True)
    big = ask(org, product, 900_000)
    svc.discount_decide(actor=org.manager_a, request=big, approve=True)
    refused = ask(org, product, 2_000_000)
    svc.discount_decide(actor=org.manager_a, request=refused, approve=False, note="太多")
    ask(org, product, 1_500_000)  # pending
    withdrawn = ask(org, product, 1_800_000)  # replaces the pending one
    svc.discount_withdraw(actor=org.sales_a1, request=withdrawn)
    assert svc.approved_discount_fen(org.cust_a1, product) == 900_000
    assert svc.approved_discount_fen(org.cust_a2, product) == 0


def test_asking_again_within_an_approved_discount_is_refused(org, product):
    r = ask(org, product, 900_000)
    svc.discount_decide(actor=org.manager_a, request=r, approve=True)
    with pytest.raises(ValidationError) as exc:
        ask(org, product, 800_000)
    assert exc.value.message_dict["discount_fen"] == [
        gettext("A discount of up to %(amount)s is already approved: apply it in the quote.") % {"amount": "¥9,000.00"}
    ]
    assert ask(org, product, 1_000_000).status == "pending"  # more than approved: the manager decides again


def test_the_decision_is_audited(org, product):
    from core.audit import history_for

    r = ask(org, product)
    svc.discount_decide(actor=org.manager_a, request=r, approve=True)
    assert history_for(r).count() >= 2


# --- compensation ----------------------------------------------------------------------------------------


def test_compensation_is_recorded_and_validated(org, product):
    c = svc.compensation_record(
        actor=org.sales_a1,
        customer=org.cust_a1,
        product=product,
        kind="free_maintenance",
        description="首年两次免费保养",
        value_fen=160_000,
    )
    assert (c.kind, c.value_fen, c.by, c.company) == ("free_maintenance", 160_000, org.sales_a1, org.company)
    assert list(svc.compensations_of(org.manager_a, org.cust_a1)) == [c]
    assert list(svc.compensations_of(org.manager_b, org.cust_a1)) == []
    for kwargs, field in [
        ({"kind": "cash_back"}, "kind"),
        ({"description": " "}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"value_fen": -1}, "value_fen"),
        ({"value_fen": "很多"}, "value_fen"),
    ]:
        data = {"kind": "attachment", "description": "破碎锤", "value_fen": 0} | kwargs
        with pytest.raises(ValidationError) as exc:
            svc.compensation_record(actor=org.sales_a1, customer=org.cust_a1, product=product, **data)
        assert field in exc.value.message_dict
    with pytest.raises(PermissionError):
        svc.compensation_record(
            actor=org.sales_b1, customer=org.cust_a1, product=product, kind="parts", description="滤芯"
        )
    assert Compensation.objects.count() == 1


# --- closing prompts -------------------------------------------------------------------------------------


def make_ready(org, customer):
    customer_services.customer_classify(
        actor=org.sales_a1,
        customer=customer,
        work_type="engineering",
        engineering_kind="municipal",
        use="rental",
        scale="individual",
        capital="1",
        experience="2",
        winning="1",
        decision="2",
    )
    for need in CustomerNeed.objects.filter(customer=customer, stage="key"):
        customer_services.need_record(
            actor=org.sales_a1, need=need, deliverable=need.expected, confirmed_with_customer=True
        )


def promotion(org, code, valid_to, name="年终限时政策"):
    return Policy.objects.create(
        company=org.company,
        code=code,
        name=name,
        source="dealer",
        valid_from=dt.date(2026, 1, 1),
        valid_to=valid_to,
        price_reduction_fen=500_000,
    )


def quote_offering(org, customer, product, *policies, n=[0]):  # a counter for the numbers
    n[0] += 1
    q = Quote.objects.create(
        company=org.company,
        number=f"BJ-T-{n[0]}",
        customer=customer,
        product=product,
        salesperson=org.sales_a1,
        created_at=timezone.now(),
        latest_version=1,
    )
    v = QuoteVersion.objects.create(
        quote=q,
        version=1,
        list_price_fen=PRICE,
        price_fen=PRICE,
        valid_until=dt.date(2026, 12, 31),
        by=org.sales_a1,
        at=timezone.now(),
    )
    v.policies.set(policies)
    return q


ON = dt.date(2026, 12, 1)


def test_no_prompt_for_a_customer_not_ready_and_offered_nothing(org):
    assert svc.closing_prompts(org.sales_a1, org.cust_a1, on=ON) == []


def test_key_needs_met_prompt_to_ask_for_the_order(org):
    make_ready(org, org.cust_a1)
    prompts = svc.closing_prompts(org.sales_a1, org.cust_a1, on=ON)
    assert [p["kind"] for p in prompts] == ["ready"]
    assert prompts[0]["text"] == gettext("The customer's key needs are met — ask for the order (催单).")


def test_an_offered_promotion_ending_soon_prompts_an_ended_one_does_not(org, product):
    soon = promotion(org, "promo_soon", ON + dt.timedelta(days=2), name="双十二特惠")
    ended = promotion(org, "promo_ended", ON - dt.timedelta(days=1))
    later = promotion(org, "promo_later", ON + dt.timedelta(days=30))  # beyond the 3 warning days
    promotion(org, "promo_not_offered", ON + dt.timedelta(days=1))
    quote_offering(org, org.cust_a1, product, soon, ended, later)
    quote_offering(org, org.cust_a2, product, soon)
    prompts = svc.closing_prompts(org.sales_a1, org.cust_a1, on=ON)
    assert [(p["kind"], p["policy"], p["days"]) for p in prompts] == [("expiring", "promo_soon", 2)]
    assert "双十二特惠" in prompts[0]["text"] and "2026-12-03" in prompts[0]["text"]
    # the warning window is the dealer's setting
    NegotiationSettings.objects.create(company=org.company, expiry_warning_days=30)
    assert {p["policy"] for p in svc.closing_prompts(org.sales_a1, org.cust_a1, on=ON)} == {"promo_soon", "promo_later"}
    # on its last day it still prompts; the day after, it does not
    assert [p["days"] for p in svc.closing_prompts(org.sales_a1, org.cust_a1, on=soon.valid_to)] == [0, 28]
    assert "promo_soon" not in {
        p["policy"] for p in svc.closing_prompts(org.sales_a1, org.cust_a1, on=soon.valid_to + dt.timedelta(days=1))
    }


def test_the_today_panel_lists_my_customers_with_offers_ending_soon(org, product, django_assert_num_queries):
    from core import today as today_module

    before = list(today_module.PANELS)
    try:
        from policies.today import expiring_offers

        soon = promotion(org, "promo_soon", ON + dt.timedelta(days=1))
        quote_offering(org, org.cust_a1, product, soon)
        quote_offering(org, org.cust_a1, product, soon)
        quote_offering(org, org.cust_a2, product, soon)
        user = type(org.sales_a1).objects.get(pk=org.sales_a1.pk)
        assert user.role_set  # loaded once per request by the page
        with django_assert_num_queries(2):
            panel = expiring_offers(user, ON)
        assert [c["name"] for c in panel["customers"]] == [org.cust_a1.name]
        assert [o["days"] for o in panel["customers"][0]["offers"]] == [1]
        assert expiring_offers(org.sales_b1, ON) is None
        assert expiring_offers(org.manager_a, ON) is None
    finally:
        today_module.PANELS[:] = before


# --- pages -----------------------------------------------------------------------------------------------


def test_the_panel_shows_price_limit_value_first_and_the_forms(org, product, client_as):
    make_ready(org, org.cust_a1)
    page = client_as(org.sales_a1).get(
        reverse("policies:negotiation", args=[org.cust_a1.pk]) + f"?product={product.pk}"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "¥300,000.00" in html and "¥6,000.00" in html
    assert 'data-testid="discount-form"' in html and 'data-testid="compensation-form"' in html
    assert 'data-testid="value-need" data-code="reputation"' in html  # a key value need of this customer
    assert 'data-kind="ready"' in html


def test_a_salesperson_asks_on_the_phone_with_htmx_and_sees_the_request(org, product, client_as):
    c = client_as(org.sales_a1)
    url = reverse("policies:discount_request")
    data = {"customer": org.cust_a1.pk, "product": product.pk, "amount": "10000", "reason": "比三一贵一万"}
    resp = c.post(url, data, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    r = DiscountRequest.objects.get()
    assert r.discount_fen == 1_000_000
    html = resp.content.decode()
    assert 'id="negotiation-panel"' in html and "<html" not in html
    assert f'data-testid="discount-request" data-id="{r.pk}"' in html
    # within the limit: refused, the message next to the amount, HTTP 422 for htmx to swap
    resp = c.post(url, data | {"amount": "6000"}, headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert (
        gettext("Within your limit (%(limit)s): no approval needed — apply it in the quote.") % {"limit": "¥6,000.00"}
        in resp.content.decode()
    )
    assert DiscountRequest.objects.count() == 1


def test_a_plain_post_goes_back_to_where_the_form_was(org, product, client_as):
    c = client_as(org.sales_a1)
    back = reverse("policies:negotiation", args=[org.cust_a1.pk]) + f"?product={product.pk}"
    resp = c.post(
        reverse("policies:compensation_record"),
        {
            "customer": org.cust_a1.pk,
            "product": product.pk,
            "kind": "attachment",
            "description": "送破碎锤",
            "value": "8000",
            "next": back,
        },
    )
    assert resp.status_code == 302 and resp["Location"] == back
    assert Compensation.objects.get().value_fen == 800_000
    resp = c.post(
        reverse("policies:compensation_record"),
        {"customer": org.cust_a1.pk, "product": product.pk, "kind": "attachment", "description": ""},
    )
    assert resp.status_code == 422 and Compensation.objects.count() == 1


def test_another_salesperson_cannot_post_for_my_customer(org, product, client_as):
    resp = client_as(org.sales_a2).post(
        reverse("policies:discount_request"),
        {"customer": org.cust_a1.pk, "product": product.pk, "amount": "10000", "reason": "x"},
    )
    assert resp.status_code in (403, 404) and not DiscountRequest.objects.exists()


def test_the_manager_approves_from_the_list_with_htmx(org, product, client_as):
    r = ask(org, product)
    c = client_as(org.manager_a)
    page = c.get(reverse("policies:approvals"))
    html = page.content.decode()
    assert page.status_code == 200 and f'data-id="{r.pk}"' in html and 'data-testid="approve"' in html
    assert "3.33 %" in html  # ¥10,000 of ¥300,000
    resp = c.post(
        reverse("policies:discount_decide", args=[r.pk]),
        {"decision": "reject", "note": ""},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 422
    r.refresh_from_db()
    assert r.status == "pending"
    resp = c.post(
        reverse("policies:discount_decide", args=[r.pk]),
        {"decision": "approve", "note": "老客户"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and 'data-status="approved"' in resp.content.decode()
    r.refresh_from_db()
    assert (r.status, r.decision_note) == ("approved", "老客户")


def test_the_approvals_page_of_the_other_region_and_of_the_requester(org, product, client_as):
    r = ask(org, product)
    assert f'data-id="{r.pk}"' not in client_as(org.manager_b).get(reverse("policies:approvals")).content.decode()
    mine = client_as(org.sales_a1).get(reverse("policies:approvals")).content.decode()
    assert f'data-id="{r.pk}"' in mine and 'data-testid="approve"' not in mine and 'data-testid="withdraw"' in mine
    assert f'data-id="{r.pk}"' not in client_as(org.sales_a2).get(reverse("policies:approvals")).content.decode()
    # the decision page: 404 for a manager of another region, a form for the region's manager
    assert client_as(org.manager_b).get(reverse("policies:approval", args=[r.pk])).status_code == 404
    detail = client_as(org.manager_a).get(reverse("policies:approval", args=[r.pk]))
    assert detail.status_code == 200 and 'data-testid="decide-form"' in detail.content.decode()
    resp = client_as(org.manager_b).post(reverse("policies:discount_decide", args=[r.pk]), {"decision": "approve"})
    assert resp.status_code == 404


def test_the_approvals_page_costs_the_same_queries_with_more_requests(org, product, client_as):
    def count() -> int:
        c = client_as(org.manager_a)
        c.get(reverse("policies:approvals"))  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("policies:approvals")).status_code == 200
        return len(ctx.captured_queries)

    ask(org, product)
    one = count()
    for i, cust in enumerate(
        [org.cust_a2, *[make_customer(org.manager_a, region=org.region_a, owner=org.sales_a2) for _ in range(4)]]
    ):
        ask(org, product, 1_000_000 + i, actor=org.sales_a2, customer=cust)
    assert DiscountRequest.objects.filter(status="pending").count() == 6
    assert count() == one == APPROVALS_QUERIES


# session, user, roles, regions, then the page: the count and the rows (with customer, region,
# product, requester, decider and quote joined)
APPROVALS_QUERIES = 6


def test_the_menu_entries(org):
    from policies.navigation import NAV_NEGOTIATION

    by_label = {str(item.label): item for item in NAV_NEGOTIATION}
    assert set(by_label) == {str(gettext("Discount approvals (让价审批)")), str(gettext("My discount requests"))}
    assert all(reverse(item.url_name) == "/policies/approvals/" for item in NAV_NEGOTIATION)


# --- API -------------------------------------------------------------------------------------------------


def test_the_api_asks_lists_and_decides(org, product, api_as):
    sales, manager, other_manager = api_as(org.sales_a1), api_as(org.manager_a), api_as(org.manager_b)
    body = {"customer": org.cust_a1.pk, "product": product.pk, "discount_fen": 1_000_000, "reason": "比三一贵"}
    resp = sales.post("/api/policies/discounts", body)
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    assert resp.json()["status"] == "pending" and resp.json()["discount_percent"] == "3.33"
    assert sales.post("/api/policies/discounts", body).status_code == 200  # the same request
    within = sales.post("/api/policies/discounts", body | {"discount_fen": LIMIT})
    assert within.status_code == 422 and "discount_fen" in within.json()["error"]["fields"]
    listed = manager.get("/api/policies/discounts?status=pending").json()
    assert [i["id"] for i in listed["items"]] == [rid]
    assert other_manager.get("/api/policies/discounts").json()["count"] == 0
    assert manager.get("/api/policies/discounts?status=maybe").status_code == 400
    assert manager.get("/api/policies/discounts?state=pending").status_code == 400
    assert other_manager.post(f"/api/policies/discounts/{rid}/decision", {"approve": True}).status_code == 404
    assert sales.post(f"/api/policies/discounts/{rid}/decision", {"approve": True}).status_code == 403
    no_note = manager.post(f"/api/policies/discounts/{rid}/decision", {"approve": False})
    assert no_note.status_code == 422 and "decision_note" in no_note.json()["error"]["fields"]
    ok = manager.post(f"/api/policies/discounts/{rid}/decision", {"approve": True, "note": "同意"})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = manager.post(f"/api/policies/discounts/{rid}/decision", {"approve": True})
    assert again.status_code == 422


def test_the_api_records_compensation_and_gives_the_closing_prompts(org, product, api_as):
    sales = api_as(org.sales_a1)
    body = {
        "customer": org.cust_a1.pk,
        "product": product.pk,
        "kind": "extended_warranty",
        "description": "延保一年",
        "value_fen": 300_000,
    }
    resp = sales.post("/api/policies/compensations", body)
    assert resp.status_code == 201 and resp.json()["kind"] == "extended_warranty"
    bad = sales.post("/api/policies/compensations", body | {"kind": "cash"})
    assert bad.status_code == 422 and "kind" in bad.json()["error"]["fields"]
    assert sales.get(f"/api/policies/compensations?customer={org.cust_a1.pk}").json()["count"] == 1
    soon = promotion(org, "promo_soon", timezone.localdate() + dt.timedelta(days=2))
    quote_offering(org, org.cust_a1, product, soon)
    closing = sales.get(f"/api/policies/closing/{org.cust_a1.pk}")
    assert closing.status_code == 200
    assert [(i["kind"], i["policy"], i["days"]) for i in closing.json()["items"]] == [("expiring", "promo_soon", 2)]
    assert api_as(org.sales_b1).get(f"/api/policies/closing/{org.cust_a1.pk}").status_code == 404


def test_the_benefit_page_includes_the_panel(org, product, client_as):
    resp = client_as(org.sales_a1).get(reverse("policies:benefit", args=[org.cust_a1.pk]) + f"?product={product.pk}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="negotiation-panel"' in html and "¥300,000.00" in html and 'data-testid="discount-form"' in html


def test_the_panel_costs_the_same_queries_with_more_requests_and_compensations(org, product, client_as):
    url = reverse("policies:negotiation", args=[org.cust_a1.pk]) + f"?product={product.pk}"

    def count() -> int:
        c = client_as(org.sales_a1)
        c.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    ask(org, product)
    svc.compensation_record(actor=org.sales_a1, customer=org.cust_a1, product=product, kind="parts", description="滤芯")
    one = count()
    for i in range(4):
        r = ask(org, product, 1_000_000 + i)
        svc.compensation_record(
            actor=org.sales_a1, customer=org.cust_a1, product=product, kind="attachment", description=f"属具{i}"
        )
    svc.discount_decide(actor=org.manager_a, request=r, approve=True)
    assert count() == one
