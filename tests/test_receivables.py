"""Receivables (债权管理): accounts from contracts, payments with allocation and idempotency,
reversals, reconciliation, ageing in SQL, the pages and the API."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEntry
from orders.models import Contract
from receivables import rules, selectors, services
from receivables.models import Allocation, Instalment, Payment, ReceivableAccount

from .conftest import ApiClient


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


_seq = iter(range(1, 1_000_000))


def make_account(customer, amounts=(100_000, 100_000, 100_000), *, first_due=dt.date(2026, 3, 1), order="oldest_first"):
    """An imported-style account of ``customer``: one instalment a month from ``first_due``."""
    from policies.finance import add_months

    account = ReceivableAccount.objects.create(
        company_id=customer.company_id,
        customer=customer,
        contract_number=f"DR2026{next(_seq):05d}",
        product="HY65-9",
        salesperson=customer.owner,
        region=customer.region,
        policy_name="银行按揭",
        principal_fen=sum(amounts),
        start_on=add_months(first_due, -1),
        source=ReceivableAccount.Source.IMPORT,
        allocation_order=order,
        created_at=timezone.now(),
    )
    for n, fen in enumerate(amounts, start=1):
        Instalment.objects.create(
            company_id=customer.company_id,
            account=account,
            n=n,
            due_on=add_months(first_due, n - 1),
            principal_fen=fen,
            amount_fen=fen,
        )
    return account


def pay(account, actor, fen, *, key=None, day=dt.date(2026, 6, 1), method="transfer", payer=""):
    return services.payment_record(
        actor=actor,
        account=account,
        amount_fen=fen,
        received_on=day,
        method=method,
        payer_name=payer,
        idempotency_key=key or uuid.uuid4().hex,
    )


def paid(account) -> list[int]:
    return list(Instalment.objects.filter(account=account).order_by("n").values_list("paid_fen", flat=True))


def ui(msgid: str) -> str:
    """The text the pages show (the default language, 简体中文; English until translated)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def fields_of(exc) -> set[str]:
    return set(exc.value.message_dict)


# ------------------------------------------------------------------------------ accounts from contracts
def _contract(org, schedule, customer=None):
    from .test_orders_delivery import make_order

    order = make_order(org, customer=customer or org.cust_b1)
    contract = Contract.objects.get(order=order)
    contract.schedule = schedule
    contract.save(update_fields=["schedule"])
    return contract


SCHEDULE = [
    {"n": 1, "due": "2026-07-08", "principal": "9876.54", "interest": "123.45", "fee": "0.01", "payment": "10000.00",
     "balance": "20000.00"},
    {"n": 2, "due": "2026-08-08", "principal": "9900.00", "interest": "100.00", "fee": "0", "payment": "10000.00",
     "balance": "10000.00"},
]  # fmt: skip


def test_account_from_contract_converts_the_schedule_to_fen_exactly_and_once(org):
    contract = _contract(org, SCHEDULE)
    account = services.account_from_contract(contract=contract)
    assert account.contract == contract and account.contract_number == contract.number
    assert account.customer == org.cust_b1 and account.region == org.region_b
    assert account.salesperson == org.sales_b1 and account.source == "contract" and account.status == "open"
    assert account.principal_fen == 987_654 + 990_000
    rows = list(account.instalments.order_by("n").values_list("n", "due_on", "principal_fen", "interest_fen",
                                                               "fee_fen", "amount_fen", "paid_fen"))  # fmt: skip
    assert rows == [
        (1, dt.date(2026, 7, 8), 987_654, 12_345, 1, 1_000_000, 0),
        (2, dt.date(2026, 8, 8), 990_000, 10_000, 0, 1_000_000, 0),
    ]
    assert services.account_from_contract(contract=contract) == account  # idempotent
    assert ReceivableAccount.objects.filter(contract=contract).count() == 1
    assert AuditEntry.objects.filter(object_id=str(account.pk), action="create").exists()


def test_a_contract_without_schedule_has_no_account_and_a_bad_line_is_refused(org):
    assert services.account_from_contract(contract=_contract(org, [])) is None
    bad = _contract(org, [{"n": 1, "due": "2026-07-08", "principal": "1.005", "payment": "1.005"}])
    with pytest.raises(ValidationError) as exc:
        services.account_from_contract(contract=bad)
    assert "Line 1" in exc.value.message_dict["schedule"][0]
    assert not ReceivableAccount.objects.filter(contract=bad).exists()


def test_a_delivered_machine_becomes_an_account_through_the_signal(org):
    from orders import delivery as svc

    from .test_orders_delivery import make_order, on_site, photo

    order = make_order(org)
    on_site(org, order)
    svc.delivery_done(actor=org.service, order=order, delivered_at=timezone.now(), checklist_photo=photo(),
                      hour_meter="3")  # fmt: skip
    account = ReceivableAccount.objects.get(contract__order=order)
    assert account.instalments.count() == len(order.contract.schedule) >= 1
    assert account.product.startswith("HY65-9") and "HY659B" in account.product  # the machine's serial


def test_contracts_handed_before_the_module_listened_are_picked_up(org):
    contract = _contract(org, SCHEDULE)
    Contract.objects.filter(pk=contract.pk).update(handed_to_receivables_at=timezone.now())
    _contract(org, SCHEDULE)  # not handed over: no account
    assert services.take_handed_contracts(org.company) == 1
    assert services.take_handed_contracts(org.company) == 0
    assert ReceivableAccount.objects.get().contract == contract


# ------------------------------------------------------------------------------------------ payments
def test_a_payment_fills_the_oldest_instalments_first_and_leaves_the_rest_as_credit(org):
    account = make_account(org.cust_a1)
    p1 = pay(account, org.finance, 150_000)
    assert paid(account) == [100_000, 50_000, 0]
    assert list(p1.allocations.order_by("id").values_list("instalment__n", "amount_fen")) == [(1, 100_000), (2, 50_000)]
    p2 = pay(account, org.finance, 300_000)
    account.refresh_from_db()
    assert paid(account) == [100_000, 100_000, 100_000]
    assert p2.credit_fen == 150_000 and account.credit_fen == 150_000
    assert account.status == "settled"


def test_newest_first_order_of_the_account(org):
    account = make_account(org.cust_a1, order="newest_first")
    pay(account, org.finance, 150_000)
    assert paid(account) == [0, 50_000, 100_000]


def test_only_finance_of_the_region_and_administrators_record_payments(org):
    account = make_account(org.cust_a1)  # region A: finance covers it
    for who in (org.sales_a1, org.manager_a, org.service, org.sales_b1):
        with pytest.raises(PermissionError):
            pay(account, who, 1_000)
    account_b = make_account(org.cust_b1)  # finance does not cover region B
    with pytest.raises(PermissionError):
        pay(account_b, org.finance, 1_000)
    assert not Payment.objects.exists()
    pay(account, org.finance, 1_000)
    pay(account_b, org.admin, 1_000)
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": -5}, "amount_fen"),
        ({"amount_fen": "abc"}, "amount_fen"),
        ({"received_on": dt.date(2099, 1, 1)}, "received_on"),
        ({"received_on": "yesterday"}, "received_on"),
        ({"method": "cheque"}, "method"),
        ({"method": "third_party", "payer_name": "  "}, "payer_name"),
        # the three traps: a third party, an offset or goods only through an approved settlement request
        ({"method": "third_party", "payer_name": "张三的弟弟"}, "method"),
        ({"method": "offset"}, "method"),
        ({"method": "goods"}, "method"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "x" * 65}, "idempotency_key"),
        ({"idempotency_key": "reversal:1"}, "idempotency_key"),
    ],
)
def test_bad_payment_input_is_refused_naming_the_field_and_writes_nothing(org, changes, field):
    account = make_account(org.cust_a1)
    data = {"amount_fen": 1_000, "received_on": dt.date(2026, 6, 1), "method": "cash", "payer_name": "",
            "idempotency_key": "k-1"} | changes  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.payment_record(actor=org.finance, account=account, **data, settlement_approved=field == "payer_name")
    assert field in fields_of(exc)
    assert not Payment.objects.exists() and paid(account) == [0, 0, 0]


def test_a_yuan_amount_from_a_form_and_a_third_party_payer(org):
    account = make_account(org.cust_a1)
    p = services.payment_record(actor=org.finance, account=account, amount_fen="1,234.56", received_on="2026-06-01",
                                method="third_party", payer_name="张三的弟弟", idempotency_key="k",
                                settlement_approved=True)  # fmt: skip
    assert p.amount_fen == 123_456 and p.payer_name == "张三的弟弟"


def test_the_same_key_returns_the_same_payment_and_different_data_are_refused(org):
    account = make_account(org.cust_a1)
    first = pay(account, org.finance, 50_000, key="abc")
    again = pay(account, org.finance, 50_000, key="abc")
    assert again.pk == first.pk and Payment.objects.count() == 1 and paid(account) == [50_000, 0, 0]
    with pytest.raises(ValidationError) as exc:
        pay(account, org.finance, 60_000, key="abc")
    assert fields_of(exc) == {"amount_fen"}
    with pytest.raises(ValidationError) as exc:
        pay(account, org.finance, 50_000, key="abc", method="cash")
    assert fields_of(exc) == {"method"}
    other = make_account(org.cust_a2)
    with pytest.raises(ValidationError) as exc:
        pay(other, org.finance, 50_000, key="abc")
    assert fields_of(exc) == {"account"}
    assert Payment.objects.count() == 1 and paid(account) == [50_000, 0, 0]


# ----------------------------------------------------------------------------------------- reversals
def test_a_reversal_undoes_the_allocations_and_the_credit_once(org):
    account = make_account(org.cust_a1)
    pay(account, org.finance, 120_000)
    wrong = pay(account, org.finance, 250_000)  # fills 2 and 3, 70,000 credit
    account.refresh_from_db()
    assert account.status == "settled" and account.credit_fen == 70_000
    with pytest.raises(ValidationError) as exc:
        services.payment_reverse(actor=org.finance, payment=wrong, reason="  ")
    assert fields_of(exc) == {"reason"}
    with pytest.raises(PermissionError):
        services.payment_reverse(actor=org.manager_a, payment=wrong, reason="录错")
    reversal = services.payment_reverse(actor=org.finance, payment=wrong, reason="录错金额")
    account.refresh_from_db()
    assert paid(account) == [100_000, 20_000, 0] and account.credit_fen == 0 and account.status == "open"
    assert reversal.kind == "reversal" and reversal.reverses == wrong and reversal.amount_fen == 250_000
    assert sorted(reversal.allocations.values_list("amount_fen", flat=True)) == [-100_000, -80_000]
    with pytest.raises(ValidationError) as exc:
        services.payment_reverse(actor=org.finance, payment=wrong, reason="again")
    assert fields_of(exc) == {"payment"}
    with pytest.raises(ValidationError):
        services.payment_reverse(actor=org.finance, payment=reversal, reason="reverse the reversal")
    assert Payment.objects.filter(kind="reversal").count() == 1


# ----------------------------------------------------------------------------------- reconciliation
def _reconcile() -> int:
    """The command's exit status (manage.py exits with a CommandError's returncode)."""
    try:
        call_command("reconcile_receivables")
    except CommandError as exc:
        return exc.returncode
    return 0


def test_reconciliation_passes_and_a_corrupted_row_exits_1(org, capsys):
    account = make_account(org.cust_a1)
    pay(account, org.finance, 150_000)
    services.payment_reverse(actor=org.finance, payment=pay(account, org.finance, 400_000), reason="重复录入")
    assert _reconcile() == 0
    assert "reconciles" in capsys.readouterr().out
    first = Instalment.objects.get(account=account, n=1)
    Instalment.objects.filter(pk=first.pk).update(paid_fen=90_000)  # corrupt, bypassing the services
    assert _reconcile() == 1
    out = capsys.readouterr().out
    assert f"instalment {first.pk}" in out and "paid 90000" in out
    Instalment.objects.filter(pk=first.pk).update(paid_fen=100_000)
    ReceivableAccount.objects.filter(pk=account.pk).update(credit_fen=5)
    assert _reconcile() == 1
    assert f"account {account.pk}" in capsys.readouterr().out


def test_reconciliation_sees_a_missing_allocation(org, capsys):
    account = make_account(org.cust_a1)
    p = pay(account, org.finance, 50_000)
    Allocation.objects.filter(payment=p).delete()
    assert _reconcile() == 1
    out = capsys.readouterr().out
    assert f"payment {p.pk}" in out and f"account {account.pk}" in out


# -------------------------------------------------------------------------------------------- ageing
def test_ageing_buckets_each_account_by_its_oldest_unpaid_instalment(org):
    as_of = dt.date(2026, 6, 15)
    a = make_account(org.cust_a1, first_due=dt.date(2026, 3, 1))  # 3/1, 4/1, 5/1 → 106 days: 90+
    b = make_account(org.cust_a2, first_due=dt.date(2026, 5, 1))  # 5/1 paid, 6/1 unpaid → 14 days
    pay(b, org.finance, 100_000)
    c = make_account(org.cust_b1, first_due=dt.date(2026, 7, 1))  # nothing due yet → current
    rows = {r.pk: r for r in selectors.with_ageing(ReceivableAccount.objects.all(), as_of)}
    assert (rows[a.pk].days_past_due, rows[a.pk].bucket, rows[a.pk].outstanding) == (106, "90+", 300_000)
    assert (rows[b.pk].days_past_due, rows[b.pk].bucket, rows[b.pk].overdue) == (14, "1-30", 100_000)
    assert (rows[c.pk].days_past_due, rows[c.pk].bucket, rows[c.pk].overdue) == (0, "current", 0)
    report = selectors.ageing(org.admin, as_of=as_of, group_by="region")
    assert report["total"] == {"n": 3, "fen": 300_000 + 200_000 + 300_000, "overdue_fen": 300_000 + 100_000}
    region_a = next(g for g in report["groups"] if g["key"] == org.region_a.pk)
    assert region_a["buckets"]["90+"] == {"n": 1, "fen": 300_000}
    assert region_a["buckets"]["1-30"] == {"n": 1, "fen": 200_000}
    # the manager of region B sees only region B
    mine = selectors.ageing(org.manager_b, as_of=as_of, group_by="salesperson")
    assert [g["key"] for g in mine["groups"]] == [org.sales_b1.pk] and mine["total"]["n"] == 1


def test_ageing_sql_equals_rules_on_random_ledgers(org):
    """As of today and later: the stored paid amounts; as of a past date: the allocations of the
    payments received by then that were not reversed — SQL and the plain rules agree on both."""
    rng = random.Random(7)
    today = timezone.localdate()
    accounts = []
    for _k in range(25):
        first = today + dt.timedelta(days=rng.randint(-400, 40))
        amounts = [rng.randint(1, 9) * 10_000 for _ in range(rng.randint(1, 8))]
        account = make_account(rng.choice([org.cust_a1, org.cust_a2, org.cust_b1]), amounts, first_due=first)
        for _p in range(rng.randint(0, 3)):
            day = today - dt.timedelta(days=rng.randint(0, 300))
            p = pay(account, org.admin, rng.randint(1, 60) * 5_000, day=day)
            if rng.random() < 0.2:
                services.payment_reverse(actor=org.admin, payment=p, reason="测试冲正")
        accounts.append(account)
    reversed_ = set(Payment.objects.filter(kind="reversal").values_list("reverses_id", flat=True))
    assert reversed_, "the random ledger should hold reversals"
    for day in (today, today - dt.timedelta(days=45), today - dt.timedelta(days=200), today + dt.timedelta(days=100)):
        rows = {r.pk: r for r in selectors.with_ageing(ReceivableAccount.objects.all(), day)}
        for account in accounts:
            inst = []
            for i in account.instalments.prefetch_related("allocations__payment"):
                if day >= today:
                    paid_then = i.paid_fen
                else:
                    paid_then = sum(
                        a.amount_fen
                        for a in i.allocations.all()
                        if a.payment.kind == "payment"
                        and a.payment.received_on <= day
                        and a.payment_id not in reversed_
                    )
                inst.append((i.due_on, i.amount_fen - paid_then))
            dpd = rules.days_past_due(inst, day)
            assert rows[account.pk].days_past_due == dpd, (account.pk, day)
            assert rows[account.pk].bucket == rules.bucket_of(dpd)
            assert rows[account.pk].outstanding == sum(o for _d, o in inst)
            assert rows[account.pk].overdue == sum(o for d, o in inst if d < day)


def test_ageing_as_of_a_past_date_counts_what_was_paid_by_then(org):
    a = make_account(org.cust_a1, first_due=dt.date(2026, 1, 1))
    pay(a, org.finance, 100_000, day=dt.date(2026, 3, 1))  # the January instalment, paid late
    before = selectors.ageing(org.admin, as_of=dt.date(2026, 2, 15), group_by="customer")
    assert before["totals"]["31-60"] == {"n": 1, "fen": 300_000}  # 45 days late then
    after = selectors.ageing(org.admin, as_of=dt.date(2026, 3, 2), group_by="customer")
    assert after["totals"]["1-30"] == {"n": 1, "fen": 200_000}  # February's, 29 days late


# --------------------------------------------------------------------------------------------- pages
def test_account_list_shows_what_the_user_may_see_with_a_fixed_number_of_queries(
    org, client_as, django_assert_num_queries
):
    for _ in range(3):
        make_account(org.cust_a1)
    make_account(org.cust_b1)
    c = client_as(org.sales_a1)
    r = c.get(reverse("receivables:list"))
    assert r.status_code == 200 and r.content.decode().count('data-account="') == 3
    c = client_as(org.finance)
    with django_assert_num_queries(8) as ctx:
        c.get(reverse("receivables:list"))
    before = len(ctx.captured_queries)
    for _ in range(6):
        make_account(org.cust_a2)
    with django_assert_num_queries(before):
        r = c.get(reverse("receivables:list"))
    assert r.content.decode().count('data-account="') == 9
    assert client_as(org.service).get(reverse("receivables:list")).content.decode().count('data-account="') == 0


def test_account_list_filters(org, client_as):
    late = make_account(org.cust_a1, first_due=dt.date(2020, 1, 1))
    make_account(org.cust_a1, first_due=dt.date(2099, 1, 1))
    make_account(org.cust_b1, first_due=dt.date(2099, 1, 1))
    c = client_as(org.admin)
    r = c.get(reverse("receivables:list"), {"overdue": "1"})
    assert r.content.decode().count('data-account="') == 1 and f'data-account="{late.pk}"' in r.content.decode()
    r = c.get(reverse("receivables:list"), {"region": org.region_b.pk})
    assert r.content.decode().count('data-account="') == 1
    r = c.get(reverse("receivables:list"), {"salesperson": org.sales_a1.pk, "status": "open"})
    assert r.content.decode().count('data-account="') == 2
    r = c.get(reverse("receivables:list"), {"status": "settled"}, headers={"HX-Request": "true"})
    assert r.content.decode().count('data-account="') == 0 and "<html" not in r.content.decode()
    r = c.get(reverse("receivables:list"), {"status": "nope"})
    assert ui("Unknown status.") in r.content.decode()


def test_detail_page_form_for_finance_only_and_recording_through_it(org, client_as):
    account = make_account(org.cust_a1, first_due=dt.date(2020, 1, 1))
    url = reverse("receivables:detail", args=[account.pk])
    page = client_as(org.sales_a1).get(url)
    assert page.status_code == 200 and 'data-testid="payment-form"' not in page.content.decode()
    assert client_as(org.sales_b1).get(url).status_code == 404
    c = client_as(org.finance)
    page = c.get(url).content.decode()
    assert 'data-testid="payment-form"' in page and 'name="idempotency_key" value="' in page
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    assert len(key) == 32 and key != c.get(url).content.decode().split('name="idempotency_key" value="')[1][:32]
    post = {
        "amount": "1500",
        "received_on": "2020-02-01",
        "method": "cash",
        "idempotency_key": key,
        "shortfall_reason": "finance",
        "shortfall_note": "工程款未到",
    }  # less than the ¥2,000 due by then
    r = c.post(reverse("receivables:payment_new", args=[account.pk]), post)
    assert r.status_code == 302
    r = c.post(reverse("receivables:payment_new", args=[account.pk]), post)  # a double submit
    assert r.status_code == 302 and Payment.objects.count() == 1 and paid(account) == [100_000, 50_000, 0]
    # htmx: refused input swaps the ledger with the message naming the field, nothing written
    r = c.post(reverse("receivables:payment_new", args=[account.pk]),
               {"amount": "0", "received_on": "2020-02-01", "method": "cash", "idempotency_key": "n2"},
               headers={"HX-Request": "true"})  # fmt: skip
    body = r.content.decode()
    assert r.status_code == 422 and ui("The amount must be more than zero.") in body and 'id="ledger"' in body
    assert "<html" not in r.content.decode() and Payment.objects.count() == 1
    # the salesperson may not post
    r = client_as(org.sales_a1).post(
        reverse("receivables:payment_new", args=[account.pk]), post | {"idempotency_key": "z"}
    )
    assert r.status_code == 403
    # reverse through the page
    p = Payment.objects.get()
    r = c.post(reverse("receivables:payment_reverse", args=[p.pk]), {"reason": ""}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and ui("Say why the payment is reversed.") in r.content.decode()
    r = c.post(reverse("receivables:payment_reverse", args=[p.pk]), {"reason": "录错客户"})
    assert r.status_code == 302 and paid(account) == [0, 0, 0]
    page = c.get(url).content.decode()
    assert 'data-kind="reversal"' in page and "录错客户" in page


def test_ageing_page(org, client_as):
    make_account(org.cust_a1, first_due=dt.date(2020, 1, 1))
    c = client_as(org.manager_a)
    r = c.get(reverse("receivables:ageing"), {"as_of": "2020-03-15", "group_by": "customer"})
    body = r.content.decode()
    assert r.status_code == 200 and body.count('data-testid="ageing-row"') == 1 and org.cust_a1.name in body
    assert 'data-bucket="61-90"' in body  # 2020-01-01 → 2020-03-15: 74 days
    r = c.get(reverse("receivables:ageing"), {"as_of": "someday", "group_by": "planet"})
    assert r.status_code == 422 and ui("Enter a date as YYYY-MM-DD.") in r.content.decode()


# ----------------------------------------------------------------------------------------------- API
def test_api_list_detail_and_ageing(org, other):
    a = make_account(org.cust_a1, first_due=dt.date(2020, 1, 1))
    make_account(org.cust_b1)
    api = ApiClient(org.sales_a1)
    body = api.get("/api/receivables/accounts").json()
    assert body["count"] == 1 and body["items"][0]["id"] == a.pk and body["items"][0]["bucket"] == "90+"
    assert api.get("/api/receivables/accounts?colour=red").status_code == 400
    detail = api.get(f"/api/receivables/accounts/{a.pk}").json()
    assert [i["n"] for i in detail["instalments"]] == [1, 2, 3] and detail["outstanding_fen"] == 300_000
    assert ApiClient(other.admin).get(f"/api/receivables/accounts/{a.pk}").status_code == 404
    ageing = ApiClient(org.admin).get("/api/receivables/ageing?as_of=2020-03-15&group_by=region").json()
    assert ageing["total"]["accounts"] == 1 and ageing["totals"]["61-90"]["outstanding_fen"] == 300_000
    assert ApiClient(org.admin).get("/api/receivables/ageing?group_by=planet").status_code == 400


def test_api_payment_idempotency_header_and_reverse(org):
    a = make_account(org.cust_a1)
    api = ApiClient(org.finance)
    url = f"/api/receivables/accounts/{a.pk}/payments"
    data = {
        "amount_fen": 150_000,
        "received_on": "2026-06-01",
        "method": "transfer",
        "shortfall_reason": "finance",
        "shortfall_note": "工程款未到",
    }  # ¥3,000 was due by then
    r1 = api.post(url, data, headers={"Idempotency-Key": "pos-77"})
    assert r1.status_code == 201, r1.content
    assert [x["amount_fen"] for x in r1.json()["allocations"]] == [100_000, 50_000]
    r2 = api.post(url, data, headers={"Idempotency-Key": "pos-77"})
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    r3 = api.post(url, data | {"amount_fen": 1}, headers={"Idempotency-Key": "pos-77"})
    assert r3.status_code == 422 and "amount_fen" in r3.json()["error"]["fields"]
    r4 = api.post(url, data | {"idempotency_key": "body-1"})
    assert r4.status_code == 201
    assert api.post(url, data).status_code == 422  # no key at all
    assert ApiClient(org.manager_a).post(url, data | {"idempotency_key": "m"}).status_code == 403
    pid = r1.json()["id"]
    assert api.post(f"/api/receivables/payments/{pid}/reverse", {"reason": ""}).status_code == 422
    r = api.post(f"/api/receivables/payments/{pid}/reverse", {"reason": "银行退票"})
    assert r.status_code == 201 and r.json()["kind"] == "reversal" and r.json()["reverses"] == pid
    # only the second payment (body-1) is left where it was allocated: a reversal does not re-allocate
    assert paid(a) == [0, 50_000, 100_000]


# ---------------------------------------------------------------------------------------------- demo
def test_demo_seeds_accounts_in_every_bucket_that_reconcile(org, capsys):
    from receivables.demo import seed_receivables

    from .factories import make_customer

    for _ in range(10):
        make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1)
    counts = seed_receivables(org.company, rng=random.Random(1))
    assert counts["imported"] == 30
    report = selectors.ageing(org.admin, as_of=timezone.localdate(), group_by="region")
    assert all(report["totals"][b]["n"] > 0 for b in rules.bucket_labels()), report["totals"]
    assert ReceivableAccount.objects.filter(status="settled").exists()
    assert Instalment.objects.filter(paid_fen__gt=0).exclude(paid_fen=F("amount_fen")).exists()  # partly paid
    assert _reconcile() == 0


def test_account_page_query_count_does_not_grow_with_instalments_and_payments(
    org, client_as, django_assert_max_num_queries
):
    small = make_account(org.cust_a1, (100_000,), first_due=dt.date(2026, 1, 1))
    pay(small, org.finance, 50_000)
    big = make_account(org.cust_a1, tuple([100_000] * 36), first_due=dt.date(2025, 1, 1))
    for _ in range(8):
        pay(big, org.finance, 120_000)
    services.payment_reverse(actor=org.finance, payment=Payment.objects.filter(account=big).first(), reason="错")
    c = client_as(org.finance)
    c.get(reverse("receivables:detail", args=[small.pk]))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        c.get(reverse("receivables:detail", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get(reverse("receivables:detail", args=[big.pk]))
    assert r.content.decode().count('data-testid="instalment"') == 36
