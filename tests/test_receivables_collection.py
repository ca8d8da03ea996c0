"""Collection (回款): the plan table (six questions, 5W2H), collection actions with techniques,
tactics and promises to pay, the promises' tracking and the nightly sweep, the partial-payment
reason, the collector's worklist, expected against collected, technique effectiveness, the account
section, the API and the demo."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEntry, Notification, Todo
from receivables import services as ledger
from receivables.collection import selectors, services
from receivables.collection.models import CollectionAction, CollectionPlan, CollectionPlanStep, CollectionTechnique
from receivables.models import Instalment, Payment, PaymentPromise, ReceivableAccount
from receivables.signals import risk_inputs_changed

from .conftest import ApiClient


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


_seq = iter(range(1, 1_000_000))


def today() -> dt.date:
    return timezone.localdate()


def account_for(customer, dues, *, start=None, principal=None, product="HY65-9 SN0001", policy="银行按揭"):
    """An account of ``customer`` with instalments ``dues``: [(due date or days from today, fen)]."""
    rows = [(today() + dt.timedelta(days=d) if isinstance(d, int) else d, fen) for d, fen in dues]
    account = ReceivableAccount.objects.create(
        company_id=customer.company_id,
        customer=customer,
        contract_number=f"DC2026{next(_seq):05d}",
        product=product,
        salesperson=customer.owner,
        region=customer.region,
        policy_name=policy,
        principal_fen=principal or sum(f for _d, f in rows),
        start_on=start or min(d for d, _f in rows) - dt.timedelta(days=30),
        source=ReceivableAccount.Source.IMPORT,
        created_at=timezone.now(),
    )
    for n, (due, fen) in enumerate(sorted(rows), start=1):
        Instalment.objects.create(
            company_id=customer.company_id, account=account, n=n, due_on=due, principal_fen=fen, amount_fen=fen
        )
    return account


def pay(account, actor, fen, day=None, **extra):
    return ledger.payment_record(
        actor=actor,
        account=account,
        amount_fen=fen,
        received_on=day or today(),
        method="transfer",
        idempotency_key=uuid.uuid4().hex,
        **extra,
    )


def tomorrow_at(hour=10, minute=0, days=1) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today() + dt.timedelta(days=days), dt.time(hour, minute)))


def promise_action(account, actor, fen, *, when=None, **extra):
    return services.action_record(
        actor=actor,
        account=account,
        kind="visit",
        outcome="promise",
        promised_at=when or tomorrow_at(),
        promise_amount_fen=fen,
        **extra,
    )


def body(r) -> str:
    return r.content.decode()


def _ui(msgid: str) -> str:
    """The text the pages show (简体中文; the msgid until the translation is added)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


# ------------------------------------------------------------------------------------ techniques
def test_a_new_company_gets_the_decks_22_techniques_and_8_tips_once(org):
    rows = CollectionTechnique.objects.filter(company=org.company)
    assert rows.filter(kind="technique").count() == 22 and rows.filter(kind="tip").count() == 8
    assert list(rows.filter(kind="technique").order_by("order").values_list("name", flat=True)[:3]) == [
        "防患于未然",
        "因人而异",
        "理直气壮",
    ]
    assert rows.get(code="law").name == "诉诸法律"
    assert services.techniques_seed(company=org.company) == 0  # idempotent
    rows.filter(code="law").delete()
    assert services.techniques_seed(company=org.company) == 1
    assert AuditEntry.objects.filter(content_type__model="collectiontechnique", action="create").exists()


# ------------------------------------------------------------------------------------ plan table
def test_the_plan_is_prefilled_from_the_ledger_and_names_what_is_missing(org, client_as):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    section = selectors.account_section(org.sales_a1, account)
    assert section["plan"] is None
    assert section["answers"]["item_name"] == "HY65-9 SN0001" and section["answers"]["amount_fen"] == 200_000
    # the payment method (the policy) and the dates (the instalments) are known, and who pays
    assert section["completeness"].answered == ("payment", "payer") and section["completeness"].score == 2
    assert [q["missing"] for q in section["questions"] if q["code"] == "sold"] == [["specification"]]
    page = body(client_as(org.sales_a1).get(reverse("receivables:detail", args=[account.pk])))
    assert 'data-testid="plan-score">2/6<' in page
    assert str(selectors.QUESTION_LABELS["acceptor"]) in page  # named as missing
    # the salesperson answers the rest through the page: 6/6, audited
    post = {
        "item_name": "小型挖掘机",
        "item_spec": "HY65-9",
        "quantity": "1",
        "amount": "2000",
        "sold_on": "2026-01-05",
        "acceptor": "机手王师傅",
        "acceptance_standard": "试机正常",
        "payment_method": "银行按揭",
        "acceptance_method": "交车单签字",
        "payer": "老板刘总",
    }
    r = client_as(org.sales_a1).post(reverse("receivables:collection_plan_save", args=[account.pk]), post)
    assert r.status_code == 302
    plan = CollectionPlan.objects.get(account=account)
    assert plan.amount_fen == 200_000 and plan.sold_on == dt.date(2026, 1, 5) and plan.updated_by == org.sales_a1
    assert AuditEntry.objects.filter(content_type__model="collectionplan", object_id=str(plan.pk)).exists()
    page = body(client_as(org.sales_a1).get(reverse("receivables:detail", args=[account.pk])))
    assert 'data-testid="plan-score">6/6<' in page and 'data-testid="plan-missing"' not in page


def test_bad_plan_input_names_the_field_and_writes_nothing(org, client_as):
    account = account_for(org.cust_a1, [(-10, 100_000)])
    c = client_as(org.finance)
    r = c.post(
        reverse("receivables:collection_plan_save", args=[account.pk]),
        {"quantity": "zero", "amount": "abc", "sold_on": "yesterday"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and "<html" not in body(r)
    for msgid in ("Enter a whole number of at least 1.", "Enter an amount in yuan.", "Enter a date as YYYY-MM-DD."):
        assert _ui(msgid) in body(r)
    assert not CollectionPlan.objects.exists()


def test_a_5w2h_round_is_numbered_and_checked(org, client_as):
    account = account_for(org.cust_a1, [(-10, 100_000)])
    c = client_as(org.manager_a)
    url = reverse("receivables:collection_step_new", args=[account.pk])
    good = {
        "what": "收回逾期款",
        "who": "张建国",
        "date": (today() + dt.timedelta(days=1)).isoformat(),
        "time": "09:30",
        "place": "济南工地",
        "how": "提早上门",
        "amount": "1000",
    }
    assert c.post(url, good).status_code == 302 and c.post(url, good | {"what": "再去"}).status_code == 302
    assert list(CollectionPlanStep.objects.filter(account=account).values_list("n", "amount_fen")) == [
        (1, 100_000),
        (2, 100_000),
    ]
    r = c.post(url, good | {"what": "", "amount": "0", "date": "2020-01-01"})
    assert r.status_code == 422
    for msgid in (
        "This field is required.",
        "The amount must be more than zero.",
        "A round is planned for today or later.",
    ):
        assert _ui(msgid) in body(r)
    assert CollectionPlanStep.objects.count() == 2
    step = CollectionPlanStep.objects.get(n=1)
    assert c.post(reverse("receivables:collection_step_done", args=[step.pk])).status_code == 302
    step.refresh_from_db()
    assert step.done


# -------------------------------------------------------------------------------------- actions
def test_an_action_with_techniques_a_tactic_and_a_promise(org):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    action = promise_action(
        account, org.sales_a1, 80_000, techniques=["persist", "clear_terms"], tactic="drag", note="月底工程款到"
    )
    assert action.by == org.sales_a1 and action.outcome == "promise" and action.tactic == "drag"
    assert sorted(action.techniques.values_list("code", flat=True)) == ["clear_terms", "persist"]
    promise = action.promise
    assert promise.status == "open" and promise.amount_fen == 80_000 and promise.account == account
    assert timezone.localtime(promise.promised_at).time() == dt.time(10, 0)
    assert AuditEntry.objects.filter(content_type__model="collectionaction", object_id=str(action.pk)).exists()
    assert AuditEntry.objects.filter(content_type__model="paymentpromise", object_id=str(promise.pk)).exists()
    linked = AuditEntry.objects.get(content_type__model="collectionaction", object_id=str(action.pk), action="update")
    assert sorted(linked.changes["techniques"][1]) == ["clear_terms", "persist"]


def test_a_promise_keeps_to_the_companys_contact_hours(org):
    from receivables.ops.services import settings_for

    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    cfg = settings_for(org.company.pk)
    cfg.contact_from, cfg.contact_until = 9, 18
    cfg.save()
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        promise_action(account, org.sales_a1, 1_000, when=tomorrow_at(19, 0))
    assert exc.value.message_dict["promised_at"] == ["Fix a time within contact hours (09:00–18:00)."]
    with pytest.raises(ValidationError):
        promise_action(account, org.sales_a1, 1_000, when=tomorrow_at(8, 30))
    assert not PaymentPromise.objects.exists()
    cfg.contact_from, cfg.contact_until = 6, 24  # the default 08:00–21:00 is the company's to change
    cfg.save()
    assert promise_action(account, org.sales_a1, 1_000, when=tomorrow_at(22, 30)).promise.amount_fen == 1_000


BAD_ACTIONS = [
    ({"kind": "fax"}, "kind"),
    ({"outcome": "maybe"}, "outcome"),
    ({"tactic": "flatter"}, "tactic"),
    ({"techniques": ["persist", "telepathy"]}, "techniques"),
    ({"outcome": "other", "note": ""}, "note"),
    ({"at": "2999-01-01 10:00"}, "at"),
    ({"at": "someday"}, "at"),
    ({"outcome": "promise"}, "promised_at"),  # a promise without a date
    ({"outcome": "promise", "promised_at": "PAST", "promise_amount_fen": 1_000}, "promised_at"),
    ({"outcome": "promise", "promised_at": "NIGHT", "promise_amount_fen": 1_000}, "promised_at"),
    ({"outcome": "promise", "promised_at": "FAR", "promise_amount_fen": 1_000}, "promised_at"),
    ({"outcome": "promise", "promised_at": "OK", "promise_amount_fen": 0}, "promise_amount_fen"),
    ({"outcome": "promise", "promised_at": "OK", "promise_amount_fen": -5}, "promise_amount_fen"),
    ({"outcome": "promise", "promised_at": "OK", "promise_amount_fen": 200_001}, "promise_amount_fen"),
    ({"outcome": "refused", "promised_at": "OK", "promise_amount_fen": 1_000}, "outcome"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_ACTIONS)
def test_bad_action_input_is_refused_naming_the_field_and_writes_nothing(org, changes, field):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    moments = {
        "PAST": timezone.now() - dt.timedelta(minutes=1),
        "NIGHT": tomorrow_at(22, 30),
        "FAR": tomorrow_at(10, 0, days=120),
        "OK": tomorrow_at(),
    }
    data = {"kind": "call", "outcome": "refused"} | changes
    if data.get("promised_at") in moments:
        data["promised_at"] = moments[data["promised_at"]]
    with pytest.raises(ValidationError) as exc:
        services.action_record(actor=org.sales_a1, account=account, **data)
    assert field in exc.value.message_dict
    assert not CollectionAction.objects.exists() and not PaymentPromise.objects.exists()


def test_who_may_record_collection_work(org, other, client_as):
    account = account_for(org.cust_a1, [(-10, 100_000)])
    pool = account_for(org.cust_pool, [(-10, 100_000)])
    for who in (org.sales_a1, org.manager_a, org.finance, org.admin):
        services.action_record(actor=who, account=account, kind="call", outcome="no_contact")
    for who in (org.sales_a2, org.sales_b1, org.manager_b, org.service, other.admin):
        with pytest.raises(PermissionError):
            services.action_record(actor=who, account=account, kind="call", outcome="no_contact")
    with pytest.raises(PermissionError):  # the pool customer's debt is not the salesperson's
        services.action_record(actor=org.sales_a1, account=pool, kind="call", outcome="no_contact")
    assert CollectionAction.objects.count() == 4
    url = reverse("receivables:collection_action_new", args=[account.pk])
    data = {"kind": "call", "outcome": "no_contact"}
    assert client_as(org.sales_b1).post(url, data).status_code == 404  # another region: not even seen
    assert client_as(org.service).post(url, data).status_code == 404
    assert ApiClient(org.sales_b1).post(f"/api/receivables/accounts/{account.pk}/actions", data).status_code == 404
    assert ApiClient(other.admin).get(f"/api/receivables/accounts/{account.pk}/plan").status_code == 404
    assert client_as(org.sales_b1).get(reverse("receivables:detail", args=[account.pk])).status_code == 404
    assert CollectionAction.objects.count() == 4


def test_recording_an_action_through_the_page_with_a_promise(org, client_as):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    c = client_as(org.sales_a1)
    url = reverse("receivables:collection_action_new", args=[account.pk])
    day = (today() + dt.timedelta(days=2)).isoformat()
    r = c.post(
        url,
        {
            "kind": "visit",
            "outcome": "promise",
            "techniques": ["go_early", "persist"],
            "tactic": "push",
            "promise_date": day,
            "promise_time": "23:00",
            "promise_amount": "500",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and "<html" not in body(r) and 'id="collection"' in body(r)
    hours = _ui("Fix a time within contact hours (%(start)02d:00–%(end)02d:00).") % {"start": 8, "end": 21}
    assert hours in body(r)
    assert 'value="persist" checked' in body(r)  # what was typed stays
    r = c.post(
        url,
        {
            "kind": "visit",
            "outcome": "promise",
            "techniques": ["go_early", "persist"],
            "tactic": "push",
            "promise_date": day,
            "promise_time": "10:30",
            "promise_amount": "500",
            "note": "老板在工地",
        },
    )
    assert r.status_code == 302
    promise = PaymentPromise.objects.get()
    assert promise.amount_fen == 50_000 and timezone.localtime(promise.promised_at).strftime("%H:%M") == "10:30"
    page = body(c.get(reverse("receivables:detail", args=[account.pk])))
    assert 'data-testid="action" data-outcome="promise"' in page and "老板在工地" in page
    assert 'data-testid="promise" data-status="open"' in page and "提早上门" in page


# ------------------------------------------------------------------------------------- promises
def test_a_payment_keeps_the_promise_and_its_reversal_reopens_it(org):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    promise = promise_action(account, org.sales_a1, 80_000).promise
    first = pay(account, org.finance, 30_000)
    promise.refresh_from_db()
    assert (promise.status, promise.paid_fen) == ("open", 30_000)
    pay(account, org.finance, 60_000)
    promise.refresh_from_db()
    assert (promise.status, promise.paid_fen) == ("kept", 80_000) and promise.resolved_at is not None
    ledger.payment_reverse(actor=org.finance, payment=first, reason="银行退票")
    promise.refresh_from_db()
    assert (promise.status, promise.paid_fen, promise.resolved_at) == ("open", 60_000, None)


def test_the_sweep_breaks_unpaid_promises_once_with_a_todo_a_notification_and_the_risk_signal(org):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    unpaid = promise_action(account, org.sales_a1, 80_000).promise
    other_account = account_for(org.cust_a2, [(-10, 100_000)])
    partly = promise_action(other_account, org.sales_a2, 50_000).promise
    pay(other_account, org.finance, 20_000)
    seen = []

    def listen(sender, account, **kwargs):
        seen.append(account.pk)

    risk_inputs_changed.connect(listen)
    try:
        assert services.promise_sweep(now=tomorrow_at(23, 0)) == 0  # the promised day is not over
        later = tomorrow_at(0, 30, days=2)
        assert services.promise_sweep(now=later) == 2
        assert services.promise_sweep(now=later) == 0  # once
    finally:
        risk_inputs_changed.disconnect(listen)
    unpaid.refresh_from_db()
    partly.refresh_from_db()
    assert (unpaid.status, unpaid.paid_fen) == ("broken", 0)
    assert (partly.status, partly.paid_fen) == ("partly", 20_000)
    assert sorted(seen) == sorted([account.pk, other_account.pk])
    todo = Todo.objects.get(user=org.sales_a1, kind="promise_broken")
    assert todo.status == "open" and todo.url == reverse("receivables:detail", args=[account.pk])
    assert account.customer.name in todo.title and "¥800" in todo.title
    assert Todo.objects.filter(user=org.sales_a2, kind="promise_broken").count() == 1
    assert Notification.objects.filter(user=org.manager_a).count() == 2  # the region's manager is told
    assert not Notification.objects.filter(user=org.manager_b).exists()
    # a new exact date settles the follow-up
    promise_action(account, org.sales_a1, 80_000, when=tomorrow_at(days=3))
    todo.refresh_from_db()
    assert todo.status == "done"


def test_a_payment_booked_late_with_its_true_date_turns_a_broken_promise_kept(org):
    account = account_for(org.cust_a1, [(-10, 100_000)])
    promise = promise_action(account, org.sales_a1, 100_000).promise
    services.promise_sweep(now=tomorrow_at(0, 30, days=2))
    promise.refresh_from_db()
    assert promise.status == "broken"
    pay(account, org.finance, 100_000, day=today())  # received on time, recorded late
    promise.refresh_from_db()
    assert promise.status == "kept"
    assert Todo.objects.get(kind="promise_broken").status == "done"


# ----------------------------------------------------------------------------- partial payments
def test_a_partial_payment_through_the_form_must_say_why_and_for_what(org, client_as):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    c = client_as(org.finance)
    url = reverse("receivables:payment_new", args=[account.pk])
    post = {"amount": "600", "received_on": today().isoformat(), "method": "transfer", "idempotency_key": "p1"}
    r = c.post(url, post, headers={"HX-Request": "true"})
    assert r.status_code == 422 and not Payment.objects.exists()
    assert _ui("Why only part was paid") in body(r) and "¥1,000" in body(r)  # what was due by then
    assert _ui("Say what the shortfall is for (e.g. a service dispute, a part).") in body(r)
    r = c.post(url, post | {"shortfall_reason": "deduction", "shortfall_note": "说液压油管漏油，扣维修费"})
    assert r.status_code == 302
    payment = Payment.objects.get()
    assert (payment.shortfall_reason, payment.shortfall_note) == ("deduction", "说液压油管漏油，扣维修费")
    page = body(c.get(reverse("receivables:detail", args=[account.pk])))
    assert 'data-testid="shortfall-shown"' in page and "说液压油管漏油" in page
    # a deliberate deduction is a dispute for the region's manager to settle
    todo = Todo.objects.get(kind="payment_deduction")
    assert todo.user == org.manager_a and "说液压油管漏油" in todo.title
    # paying all that is due needs no reason (and keeps none)
    full = post | {"amount": "400", "idempotency_key": "p2", "shortfall_reason": "finance", "shortfall_note": "x"}
    assert c.post(url, full).status_code == 302
    assert Payment.objects.get(idempotency_key="p2").shortfall_reason == ""


def test_the_api_asks_the_shortfall_reason_and_the_service_alone_does_not(org):
    account = account_for(org.cust_a1, [(-10, 100_000)])
    api = ApiClient(org.finance)
    url = f"/api/receivables/accounts/{account.pk}/payments"
    data = {"amount_fen": 30_000, "received_on": today().isoformat(), "method": "cash", "idempotency_key": "a1"}
    r = api.post(url, data)
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"shortfall_reason", "shortfall_note"}
    r = api.post(url, data | {"shortfall_reason": "finance", "shortfall_note": "工程款未结"})
    assert r.status_code == 201 and r.json()["shortfall_reason"] == "finance"
    assert r.json()["shortfall_note"] == "工程款未结"
    assert not Todo.objects.filter(kind="payment_deduction").exists()  # a finance problem is no dispute
    assert pay(account, org.finance, 1_000).shortfall_reason == ""  # imports and the demo: no question asked


# ------------------------------------------------------------------------------------- worklist
def _worklist_world(org):
    a = account_for(org.cust_a1, [(-40, 100_000), (-10, 100_000), (20, 100_000)])
    b = account_for(org.cust_a1, [(3, 50_000)])
    account_for(org.cust_a1, [(20, 50_000)])  # not due this week: not listed
    d = account_for(org.cust_a1, [(-5, 50_000), (30, 50_000)])
    pay(d, org.finance, 50_000)  # paid up to date: not listed
    e = account_for(org.cust_b1, [(-15, 70_000)])
    settled = account_for(org.cust_a1, [(-60, 10_000)])
    pay(settled, org.finance, 10_000)
    return a, b, e


def test_the_worklist_lists_what_to_chase_most_late_first(org):
    a, b, e = _worklist_world(org)
    promise_action(a, org.sales_a1, 100_000, tactic="drag")
    services.action_record(
        actor=org.sales_a1, account=a, kind="call", outcome="no_contact", at=timezone.now() - dt.timedelta(hours=2)
    )
    rows = list(selectors.worklist(org.admin))
    assert [r.pk for r in rows] == [a.pk, e.pk, b.pk]
    first = rows[0]
    assert (first.days_past_due, first.overdue, first.outstanding) == (40, 200_000, 300_000)
    assert first.next_due == today() + dt.timedelta(days=20)
    assert first.promise_fen == 100_000 and timezone.localtime(first.promise_at) == tomorrow_at()
    assert first.last_outcome == "promise"  # the latest action, not the call two hours before
    assert (rows[2].days_past_due, rows[2].overdue, rows[2].next_due) == (0, 0, today() + dt.timedelta(days=3))
    assert [r.pk for r in selectors.worklist(org.sales_a1)] == [a.pk, b.pk]
    assert [r.pk for r in selectors.worklist(org.sales_b1)] == [e.pk]
    assert [r.pk for r in selectors.worklist(org.admin, selectors.WorklistFilters(region=org.region_b.pk))] == [e.pk]
    ReceivableAccount.objects.filter(pk=b.pk).update(risk_level="high")
    assert [r.pk for r in selectors.worklist(org.admin, selectors.WorklistFilters(level="high"))] == [b.pk]


def test_the_worklist_page_with_a_fixed_number_of_queries(org, client_as, django_assert_max_num_queries):
    a, b, e = _worklist_world(org)
    c = client_as(org.admin)
    c.get(reverse("receivables:worklist"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        r = c.get(reverse("receivables:worklist"))
    page = body(r)
    assert r.status_code == 200 and page.count('data-testid="worklist-row"') == 3
    assert (
        page.index(f'data-account="{a.pk}"')
        < page.index(f'data-account="{e.pk}"')
        < page.index(f'data-account="{b.pk}"')
    )
    assert len(few.captured_queries) <= 8
    for k in range(12):
        late = account_for(org.cust_a2, [(-k - 1, 10_000)])
        promise_action(late, org.admin, 5_000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get(reverse("receivables:worklist"))
    assert body(r).count('data-testid="worklist-row"') == 15
    r = c.get(reverse("receivables:worklist"), {"level": "doom"})
    assert r.status_code == 422 and _ui("Unknown risk level.") in body(r)
    r = c.get(reverse("receivables:worklist"), {"region": org.region_b.pk}, headers={"HX-Request": "true"})
    assert body(r).count('data-testid="worklist-row"') == 1 and "<html" not in body(r)
    assert client_as(org.service).get(reverse("receivables:worklist")).status_code == 200


def test_the_worklist_api(org):
    a, b, _e = _worklist_world(org)
    promise_action(a, org.sales_a1, 100_000)
    items = ApiClient(org.sales_a1).get("/api/receivables/worklist").json()["items"]
    assert [i["account"] for i in items] == [a.pk, b.pk]
    assert items[0]["days_past_due"] == 40 and items[0]["overdue_fen"] == 200_000
    assert items[0]["open_promise"]["amount_fen"] == 100_000 and items[0]["last_action"]["outcome"] == "promise"
    assert items[1]["open_promise"] is None and items[1]["next_due_on"] == (today() + dt.timedelta(days=3)).isoformat()
    assert ApiClient(org.admin).get("/api/receivables/worklist?level=doom").status_code == 400
    assert ApiClient(org.admin).get("/api/receivables/worklist?colour=red").status_code == 400


# ---------------------------------------------------------------------------- expected/collected
def _ledger_2026(org):
    a = account_for(
        org.cust_a1,
        [(dt.date(2026, 1, 10), 100_000), (dt.date(2026, 2, 10), 100_000), (dt.date(2026, 3, 10), 100_000)],
        start=dt.date(2025, 12, 1),
    )
    pay(a, org.finance, 100_000, dt.date(2026, 1, 12))  # January's
    pay(a, org.finance, 150_000, dt.date(2026, 2, 20))  # February's and half of March's
    wrong = pay(a, org.finance, 30_000, dt.date(2026, 3, 5))
    ledger.payment_reverse(actor=org.finance, payment=wrong, reason="录错")  # never counts
    pay(a, org.finance, 40_000, dt.date(2026, 3, 25))
    pay(a, org.finance, 20_000, dt.date(2026, 3, 28))  # 10,000 to March, 10,000 left as credit
    b = account_for(org.cust_b1, [(dt.date(2026, 2, 10), 200_000)], start=dt.date(2025, 12, 1))
    return a, b


def test_expected_against_collected_by_month_and_week_computed_by_hand(org):
    _ledger_2026(org)
    f, errors = selectors.parse_period({"period": "month", "from": "2026-01-01", "to": "2026-04-30"})
    assert not errors
    report = selectors.expected_vs_collected(org.admin, f)
    rows = [(r["start"].isoformat(), r["expected_fen"], r["collected_fen"], r["rate"]) for r in report["rows"]]
    assert rows == [
        ("2026-01-01", 100_000, 100_000, 100),
        ("2026-02-01", 300_000, 150_000, 50),
        ("2026-03-01", 100_000, 50_000, 50),
        ("2026-04-01", 0, 0, None),
    ]
    assert (report["expected_fen"], report["collected_fen"], report["rate"]) == (500_000, 300_000, 60)
    # seen on 15 February: March and April have not begun, no rate; the rate is over January and February
    early = selectors.expected_vs_collected(org.admin, f, today=dt.date(2026, 2, 15))
    assert [r["rate"] for r in early["rows"]] == [100, 50, None, None]
    assert early["expected_to_date_fen"] == 400_000 and early["rate"] == 75
    region_a = selectors.expected_vs_collected(
        org.admin, selectors.PeriodFilters("month", f.start, f.end, region=org.region_a.pk)
    )
    assert [r["expected_fen"] for r in region_a["rows"]] == [100_000, 100_000, 100_000, 0]
    assert selectors.expected_vs_collected(org.sales_b1, f)["collected_fen"] == 0  # sees account b only
    assert selectors.expected_vs_collected(org.sales_b1, f)["expected_fen"] == 200_000
    weeks = selectors.expected_vs_collected(
        org.admin, selectors.PeriodFilters("week", dt.date(2026, 2, 9), dt.date(2026, 2, 22))
    )
    assert [(r["start"], r["expected_fen"], r["collected_fen"]) for r in weeks["rows"]] == [
        (dt.date(2026, 2, 9), 300_000, 0),
        (dt.date(2026, 2, 16), 0, 150_000),
    ]


def test_the_expected_page_and_api(org, client_as, django_assert_max_num_queries):
    _ledger_2026(org)
    c = client_as(org.manager_a)
    params = {"period": "month", "from": "2026-01-01", "to": "2026-03-31"}
    c.get(reverse("receivables:collection_expected"), params)
    with CaptureQueriesContext(connection) as few:
        r = c.get(reverse("receivables:collection_expected"), params)
    page = body(r)
    assert r.status_code == 200 and page.count('data-testid="expected-row"') == 3
    assert 'data-testid="total-expected">¥3,000<' in page and 'data-testid="total-collected">¥3,000<' in page
    assert 'id="expected-data"' in page and 'data-chart="expected"' in page
    _ledger_2026(org)  # twice the rows, the same queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get(reverse("receivables:collection_expected"), params)
    assert 'data-testid="total-expected">¥6,000<' in body(r)
    r = c.get(reverse("receivables:collection_expected"), {"period": "day", "from": "2026-05-01", "to": "2026-01-01"})
    assert (
        r.status_code == 422
        and _ui("By week or by month.") in body(r)
        and _ui("The end is before the start.") in body(r)
    )
    api = ApiClient(org.admin)
    data = api.get("/api/receivables/collection/expected?period=month&from=2026-01-01&to=2026-03-31").json()
    assert [x["collected_fen"] for x in data["rows"]] == [200_000, 300_000, 100_000] and data["rate"] == 60
    assert api.get("/api/receivables/collection/expected?period=year").status_code == 400


# ----------------------------------------------------------------------- technique effectiveness
def _actions_world(org):
    a = account_for(org.cust_a1, [(dt.date(2026, 2, 1), 500_000)], start=dt.date(2026, 1, 1))
    act = services.action_record
    act(
        actor=org.sales_a1,
        account=a,
        kind="visit",
        outcome="refused",
        at="2026-03-01 10:00",
        techniques=["persist", "clear_terms"],
    )
    pay(a, org.finance, 10_000, dt.date(2026, 3, 5))  # 4 days after
    act(actor=org.sales_a1, account=a, kind="call", outcome="refused", at="2026-03-10 10:00", techniques=["persist"])
    bounced = pay(a, org.finance, 10_000, dt.date(2026, 3, 12))
    ledger.payment_reverse(actor=org.finance, payment=bounced, reason="退票")
    pay(a, org.finance, 10_000, dt.date(2026, 3, 19))  # before the next action: does not follow it
    act(actor=org.sales_a1, account=a, kind="visit", outcome="refused", at="2026-03-20 10:00", techniques=["praise"])
    b = account_for(org.cust_b1, [(dt.date(2026, 2, 1), 500_000)], start=dt.date(2026, 1, 1))
    act(actor=org.sales_b1, account=b, kind="visit", outcome="refused", at="2026-03-01 10:00", techniques=["persist"])
    pay(b, org.admin, 10_000, dt.date(2026, 3, 1))  # the same day
    return a, b


def _shares(report) -> dict:
    return {r["technique"].code: (r["actions"], r["followed"], r["share"]) for r in report["rows"] if r["actions"]}


def test_technique_effectiveness_computed_by_hand(org):
    _actions_world(org)
    assert _shares(selectors.technique_effectiveness(org.sales_a1, days=7)) == {
        "persist": (2, 1, 50),
        "clear_terms": (1, 1, 100),
        "praise": (1, 0, 0),
    }
    assert _shares(selectors.technique_effectiveness(org.sales_a1, days=3)) == {
        "persist": (2, 0, 0),
        "clear_terms": (1, 0, 0),
        "praise": (1, 0, 0),
    }
    assert _shares(selectors.technique_effectiveness(org.admin, days=7))["persist"] == (3, 2, 67)
    since = selectors.technique_effectiveness(org.sales_a1, days=7, start=dt.date(2026, 3, 5), end=dt.date(2026, 3, 31))
    assert _shares(since) == {"persist": (1, 0, 0), "praise": (1, 0, 0)}
    report = selectors.technique_effectiveness(org.admin, days=7)
    assert report["rows"][0]["technique"].code == "clear_terms" and len(report["rows"]) == 30


def test_the_effectiveness_page_and_api(org, client_as, django_assert_max_num_queries):
    a, _b = _actions_world(org)
    c = client_as(org.manager_a)
    c.get(reverse("receivables:collection_effectiveness"), {"days": "3"})
    with CaptureQueriesContext(connection) as few:
        r = c.get(reverse("receivables:collection_effectiveness"), {"days": "3"})
    for k in range(6):  # more actions, the same queries
        services.action_record(
            actor=org.manager_a,
            account=a,
            kind="call",
            outcome="refused",
            at=f"2026-04-{k + 1:02d} 10:00",
            techniques=["praise", "law"],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        c.get(reverse("receivables:collection_effectiveness"), {"days": "3"})
    page = body(r)
    assert r.status_code == 200 and page.count('data-testid="effectiveness-row"') == 30
    row = page.split('data-code="clear_terms"')[1].split("</tr>")[0]
    assert 'data-testid="actions">1<' in row and 'data-testid="share">0%<' in row
    r = c.get(reverse("receivables:collection_effectiveness"), {"days": "0"})
    assert r.status_code == 422 and _ui("Enter a number of days from 1 to 90.") in body(r)
    data = ApiClient(org.sales_a1).get("/api/receivables/collection/effectiveness?days=7").json()
    persist = next(x for x in data["rows"] if x["code"] == "persist")
    assert (persist["actions"], persist["followed"], persist["share"]) == (2, 1, 50)
    assert ApiClient(org.admin).get("/api/receivables/collection/effectiveness?days=x").status_code == 400
    data = ApiClient(org.sales_a1).get("/api/receivables/collection/effectiveness?days=7&from=2026-03-05").json()
    assert next(x for x in data["rows"] if x["code"] == "persist")["actions"] == 1 and data["from"] == "2026-03-05"
    assert ApiClient(org.admin).get("/api/receivables/collection/effectiveness?from=March").status_code == 400


# ------------------------------------------------------------------------------- account section
def test_the_account_section_keeps_a_fixed_number_of_queries(org, client_as, django_assert_max_num_queries):
    small = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    big = account_for(org.cust_a1, [(-10 - k, 100_000) for k in range(12)])
    services.action_record(actor=org.sales_a1, account=small, kind="call", outcome="no_contact", techniques=["law"])
    for k in range(10):
        services.action_record(
            actor=org.sales_a1,
            account=big,
            kind="visit",
            outcome="refused",
            techniques=["persist", "praise"][: 1 + k % 2],
            tactic="push",
            at=timezone.now() - dt.timedelta(hours=k + 1),
        )
    promise_action(big, org.sales_a1, 50_000)
    services.step_add(
        actor=org.sales_a1,
        account=big,
        what="收款",
        who="张",
        planned_at=tomorrow_at(),
        place="工地",
        how="上门",
        amount_fen=10_000,
    )
    c = client_as(org.sales_a1)
    c.get(reverse("receivables:detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("receivables:detail", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = c.get(reverse("receivables:detail", args=[big.pk]))
    page = body(r)
    assert (
        page.count('data-testid="action" ') == 11
        and len(few.captured_queries) <= 30  # the whole account page: ledger and the four parts
        and page.count('data-testid="plan-step"') == 1
    )
    assert 'data-testid="action-form"' in page and "推" in page
    # the manager of the other region never sees it; finance sees and may record
    assert 'data-testid="action-form"' in body(client_as(org.finance).get(reverse("receivables:detail", args=[big.pk])))


# -------------------------------------------------------------------------------------------- API
def test_api_actions_promises_plan_and_techniques(org):
    account = account_for(org.cust_a1, [(-10, 100_000), (20, 100_000)])
    api = ApiClient(org.sales_a1)
    url = f"/api/receivables/accounts/{account.pk}/actions"
    when = tomorrow_at(9, 30).isoformat()
    r = api.post(
        url,
        {
            "kind": "visit",
            "outcome": "promise",
            "techniques": ["persist"],
            "tactic": "deceive",
            "promised_at": when,
            "promise_amount_fen": 70_000,
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["promise"]["amount_fen"] == 70_000 and r.json()["techniques"] == ["persist"]
    bad = api.post(
        url,
        {
            "kind": "visit",
            "outcome": "promise",
            "techniques": ["nope"],
            "promised_at": "2020-01-01T10:00",
            "promise_amount_fen": 0,
        },
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"techniques", "promised_at", "promise_amount_fen"}
    assert api.get(url).json()["count"] == 1
    promises = api.get(f"/api/receivables/promises?account={account.pk}&status=open").json()
    assert promises["count"] == 1 and promises["items"][0]["amount_fen"] == 70_000
    assert api.get("/api/receivables/promises?status=forgotten").status_code == 400
    assert ApiClient(org.sales_b1).get("/api/receivables/promises").json()["count"] == 0
    plan = api.get(f"/api/receivables/accounts/{account.pk}/plan").json()
    assert plan["saved"] is False and plan["completeness"]["answered"] == 2 and len(plan["payment_dates"]) == 2
    r = api.put(
        f"/api/receivables/accounts/{account.pk}/plan",
        {
            "item_name": "挖掘机",
            "item_spec": "HY65-9",
            "quantity": 1,
            "amount_fen": 200_000,
            "sold_on": "2026-01-05",
            "acceptor": "王",
            "acceptance_standard": "试机",
            "payment_method": "按揭",
            "acceptance_method": "签字",
            "payer": "刘",
        },
    )
    assert r.status_code == 200 and r.json()["completeness"] == {"answered": 6, "of": 6, "missing": {}}
    r = api.put(f"/api/receivables/accounts/{account.pk}/plan", {"quantity": 0})
    assert r.status_code == 422 and "quantity" in r.json()["error"]["fields"]
    r = api.post(
        f"/api/receivables/accounts/{account.pk}/plan/rounds",
        {
            "what": "收款",
            "who": "张",
            "planned_at": tomorrow_at().isoformat(),
            "place": "工地",
            "how": "上门",
            "amount_fen": 50_000,
        },
    )
    assert r.status_code == 201 and r.json()["n"] == 1
    techniques = api.get("/api/receivables/techniques").json()
    assert len(techniques) == 30 and techniques[0]["name"] == "防患于未然"


# ------------------------------------------------------------------------------------------- demo
def test_demo_records_actions_promises_kept_and_broken_and_reconciles(org):
    from receivables.demo import seed_receivables

    from .factories import make_customer
    from .test_receivables import _reconcile

    for _ in range(10):
        make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1)
    counts = seed_receivables(org.company, rng=random.Random(1))
    assert counts["actions"] > 10 and counts["plans"] >= 6
    statuses = set(PaymentPromise.objects.values_list("status", flat=True))
    assert {"kept", "broken", "open"} <= statuses
    assert Todo.objects.filter(kind="promise_broken").exists()
    assert Payment.objects.exclude(shortfall_reason="").exists()
    for plan in CollectionPlan.objects.select_related("account"):
        section = selectors.account_section(org.admin, plan.account)
        assert 4 <= section["completeness"].score <= 6
    assert CollectionAction.objects.filter(techniques__isnull=False).exclude(tactic="").exists()
    assert _reconcile() == 0


def test_the_nightly_sweep_is_a_periodic_job_audited_as_the_job(org):
    from core.jobs import JOBS

    job = JOBS["receivables.promise_sweep"]
    assert job.daily_at == dt.time(0, 30)
    account = account_for(org.cust_a1, [(-20, 100_000)])
    now = timezone.now()
    promise = PaymentPromise.objects.create(
        company=org.company,
        account=account,
        promised_at=now - dt.timedelta(days=3),
        amount_fen=50_000,
        by=org.sales_a1,
        at=now - dt.timedelta(days=5),
    )
    assert job.task().call() == 1
    promise.refresh_from_db()
    assert promise.status == "broken"
    entry = AuditEntry.objects.filter(content_type__model="paymentpromise", object_id=str(promise.pk)).latest("pk")
    assert entry.action == "update" and entry.channel == "job" and entry.changes["status"] == ["open", "broken"]
