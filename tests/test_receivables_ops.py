"""Receivables, ops part: the Excel import of running contracts (row-by-row report, all or nothing),
the daily days-past-due snapshot with the first-late flag, pre-warnings and escalations as to-dos,
the account page's timing panel, the daily report's collections figure."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEntry, Notification, Todo
from pitch.templatetags.pitch_tags import yuan
from receivables import services as ledger
from receivables.models import CollectionSettings, DpdSnapshot, Instalment, Payment, ReceivableAccount
from receivables.ops import imports, panels, selectors, services
from receivables.selectors import with_ageing
from visits import reports

from .conftest import ApiClient
from .factories import zh
from .test_receivables import make_account, pay


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def tr(msgid: str) -> str:
    """What the pages say (the default language; the msgid until the lead adds the translation)."""
    try:
        return zh(msgid)
    except AssertionError:
        return msgid


TODAY = timezone.localdate()
HEAD = [heading for heading, _aliases in imports.COLUMNS_SPEC.values()]


def row(**values) -> list:
    """One instalment row in the template's column order."""
    base = {
        "contract_number": "HT-IMP-1",
        "customer": "济南鑫达土石方工程队",
        "product": "HY65-9",
        "policy": "厂家贴息分期",
        "principal": "40000.00",
        "start_on": "2026-01-05",
        "salesperson": "",
        "n": 1,
        "due_on": "2026-02-05",
        "principal_part": "20000.00",
        "interest": "500.00",
        "fee": "0",
        "amount": "20500.00",
        "paid": "",
        "lock_allowed": "是",
        "pay_day": 20,
    }
    base.update(values)
    return [base[f] for f in imports.FIELDS]


def workbook(rows: list[list], head: list[str] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head or HEAD)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_rows(org) -> list[list]:
    """Two contracts: one of cust_a1 (by name) half paid, one of cust_a2 (by mobile) for sales_a1."""
    return [
        row(n=1, due_on="2026-02-05", paid="20500"),
        row(n=2, due_on="2026-03-05", principal_part="20000", interest="300.50", amount="20300.50", paid="10000"),
        row(contract_number="HT-IMP-2", customer=org.cust_a2.phone, principal="100000", start_on="2026-05-01",
            salesperson="sales_a1", n=1, due_on="2026-06-01", principal_part="", interest="", fee="",
            amount="50000", lock_allowed="否", pay_day=""),
        row(contract_number="HT-IMP-2", customer=org.cust_a2.phone, principal="100000", start_on="2026-05-01",
            salesperson="sales_a1", n=2, due_on="2099-07-01", principal_part="", interest="", fee="",
            amount="50000", lock_allowed="否", pay_day=""),
    ]  # fmt: skip


def upload(client, data: bytes, **extra):
    return client.post(
        reverse("receivables:ops_import"),
        {"file": SimpleUploadedFile("contracts.xlsx", data), **extra},
    )


def nothing_written():
    assert not ReceivableAccount.objects.filter(source="import").exists()
    assert not Instalment.objects.exists() and not Payment.objects.exists()


# ------------------------------------------------------------------------------------------ the import
def test_the_template_downloads_and_opens_with_openpyxl_for_finance_only(org, client_as):
    r = client_as(org.finance).get(reverse("receivables:ops_import_template"))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    headings = [c.value for c in ws[1]]
    assert headings == HEAD and "合同编号 (contract number)" in headings and "到期日 (due date)" in headings
    assert ws.max_row == 3  # the heading and an example contract of two instalments
    assert len(wb.worksheets) == 2  # and the notes
    assert client_as(org.sales_a1).get(reverse("receivables:ops_import_template")).status_code == 403
    assert client_as(org.manager_a).get(reverse("receivables:ops_import")).status_code == 403


def test_the_template_itself_imports_once_its_customer_exists(org):
    org.cust_a1.phone = "13800000000"
    org.cust_a1.save(update_fields=["phone"])
    analysis = services.contracts_import(actor=org.admin, filename="t.xlsx", data=imports.template_xlsx())
    assert analysis.ok and analysis.counts()["contracts"] == 1 and analysis.counts()["instalments"] == 2


def test_import_happy_path_writes_accounts_instalments_and_opening_payments(org, client_as):
    r = upload(client_as(org.finance), workbook(good_rows(org)))
    html = r.content.decode()
    assert r.status_code == 200, html
    assert 'data-testid="import-done"' in html and 'data-testid="count-contracts">2<' in html
    assert 'data-testid="count-instalments">4<' in html
    one = ReceivableAccount.objects.get(contract_number="HT-IMP-1")
    assert one.source == "import" and one.customer == org.cust_a1 and one.salesperson == org.sales_a1
    assert one.region == org.region_a and one.principal_fen == 4_000_000 and one.start_on == dt.date(2026, 1, 5)
    assert one.lock_allowed and one.pay_day == 20 and one.policy_name == "厂家贴息分期" and one.product == "HY65-9"
    rows = list(one.instalments.order_by("n").values_list("n", "due_on", "principal_fen", "interest_fen",
                                                          "amount_fen", "paid_fen"))  # fmt: skip
    assert rows == [
        (1, dt.date(2026, 2, 5), 2_000_000, 50_000, 2_050_000, 2_050_000),
        (2, dt.date(2026, 3, 5), 2_000_000, 30_050, 2_030_050, 1_000_000),
    ]
    payments = list(one.payments.order_by("received_on").values_list("idempotency_key", "amount_fen", "received_on"))
    assert payments == [
        ("import:HT-IMP-1:1", 2_050_000, dt.date(2026, 2, 5)),
        ("import:HT-IMP-1:2", 1_000_000, dt.date(2026, 3, 5)),
    ]
    two = ReceivableAccount.objects.get(contract_number="HT-IMP-2")
    assert two.customer == org.cust_a2 and two.salesperson == org.sales_a1 and not two.lock_allowed
    assert two.pay_day is None and not two.payments.exists()
    assert list(two.instalments.values_list("principal_fen", "interest_fen", "fee_fen")) == [(5_000_000, 0, 0)] * 2
    # audited: the accounts, the instalments (bulk) and the payments, through the import channel
    entries = AuditEntry.objects.filter(channel="import", actor=org.finance)
    assert entries.filter(object_id=str(one.pk), content_type__model="receivableaccount").exists()
    assert entries.filter(content_type__model="instalment", action="create").count() == 4
    assert entries.filter(content_type__model="payment", action="create").count() == 2
    call_command("reconcile_receivables", stdout=io.StringIO())  # the ledger adds up


def test_check_only_reports_the_counts_and_writes_nothing(org, client_as):
    r = upload(client_as(org.admin), workbook(good_rows(org)), dry_run="1")
    assert r.status_code == 200 and 'data-testid="import-checked"' in r.content.decode()
    assert 'data-testid="count-contracts">2<' in r.content.decode()
    nothing_written()


BAD = {
    "unknown customer": (
        lambda org: [row(customer="不存在的客户")], "customer", None),
    "customer of another region (not visible to finance of A)": (
        lambda org: [row(customer=org.cust_b1.name)], "customer", None),
    "malformed date": (lambda org: [row(due_on="2026-13-45")], "due_on", None),
    "date in words": (lambda org: [row(start_on="next monday")], "start_on", None),
    "negative amount": (lambda org: [row(amount="-20500", principal_part="", interest="")], "amount",
                        "The amount cannot be negative."),
    "non-numeric amount": (lambda org: [row(interest="五百")], "interest", None),
    "more than 2 decimals": (lambda org: [row(fee="0.001")], "fee", None),
    "amount is not the sum of its parts": (lambda org: [row(amount="20000")], "amount", None),
    "duplicate instalment number": (lambda org: [row(), row(due_on="2026-03-05")], "n", None),
    "paid more than the amount": (lambda org: [row(paid="30000")], "paid", None),
    "missing required cell": (lambda org: [row(due_on="")], "due_on", None),
    "missing customer on the contract's first row": (lambda org: [row(customer="")], "customer", None),
    "unknown salesperson": (lambda org: [row(salesperson="nobody")], "salesperson", None),
    "lock neither yes nor no": (lambda org: [row(lock_allowed="maybe")], "lock_allowed", None),
    "pay day out of range": (lambda org: [row(pay_day=32)], "pay_day", None),
    "contract data differs between rows": (
        lambda org: [row(), row(n=2, due_on="2026-03-05", principal="50000")], "principal", None),
    "paid out of order": (lambda org: [row(), row(n=2, due_on="2026-03-05", paid="100")], "paid", None),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_row_is_reported_with_row_and_column_and_nothing_is_written(org, client_as, case):
    rows_of, field, message = BAD[case]
    bad = [r[:] for r in rows_of(org)]
    for r in bad:  # a contract of its own, after the good ones: nothing of them is written either
        r[imports.FIELDS.index("contract_number")] = "HT-BAD"
    rows = good_rows(org) + bad
    bad_row = len(good_rows(org)) + 2  # the sheet's row number of the first bad row (heading is row 1)
    r = upload(client_as(org.finance), workbook([[*r] for r in rows]))
    html = r.content.decode()
    assert r.status_code == 422, html
    assert 'data-testid="import-refused"' in html
    analysis = r.context["analysis"]
    issues = [i for i in analysis.issues if i.field == field]
    assert issues, [i.as_dict() for i in analysis.issues]
    issue = issues[0]
    assert issue.row >= bad_row
    assert issue.column == imports.imp.column_letter(imports.FIELDS.index(field))
    assert f'data-row="{issue.row}" data-column="{issue.column}"' in html
    if message:
        assert issue.message == tr(message)
    nothing_written()


def test_a_contract_already_in_receivables_is_refused(org, client_as):
    make_account(org.cust_a1).__class__.objects.filter(contract_number__startswith="DR").update(
        contract_number="HT-IMP-2"
    )
    before = ReceivableAccount.objects.count()
    r = upload(client_as(org.finance), workbook(good_rows(org)))
    assert r.status_code == 422
    issue = r.context["analysis"].issues[0]
    assert (issue.row, issue.field) == (4, "contract_number") and "HT-IMP-2" in issue.message
    assert ReceivableAccount.objects.count() == before
    assert not ReceivableAccount.objects.filter(contract_number="HT-IMP-1").exists()


def test_unreadable_file_and_missing_columns_name_the_file(org, client_as):
    c = client_as(org.finance)
    r = c.post(reverse("receivables:ops_import"), {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not a zip")})
    assert r.status_code == 422 and 'data-testid="file-error"' in r.content.decode()
    r = upload(c, workbook([["a", "b"]], head=["合同编号", "客户"]))
    assert r.status_code == 422 and "到期日 (due date)" in r.content.decode()
    r = c.post(reverse("receivables:ops_import"), {})
    assert r.status_code == 422
    nothing_written()


def test_the_import_page_has_a_fixed_number_of_queries(org, client_as, django_assert_num_queries):
    c = client_as(org.finance)
    c.get(reverse("receivables:ops_import"))
    with django_assert_num_queries(3):  # session, user, roles
        r = c.get(reverse("receivables:ops_import"))
    assert r.status_code == 200 and 'data-testid="import-fields"' in r.content.decode()


def test_the_import_checks_with_a_fixed_number_of_queries_whatever_the_rows(org, django_assert_num_queries):
    many = [row(contract_number=f"HT-Q-{k}", n=1) for k in range(40)]
    with django_assert_num_queries(4):  # the user's roles, the customers, the staff, the contracts taken
        analysis = imports.analyse(actor=org.finance, filename="x.xlsx", data=workbook(many))
    assert analysis.ok and len(analysis.contracts) == 40


def test_the_api_imports_with_the_same_report(org):
    api = ApiClient(org.finance)
    bad = workbook([*good_rows(org), row(customer="不存在的客户", contract_number="HT-X")])
    r = api.client.post("/api/receivables/import", {"file": SimpleUploadedFile("c.xlsx", bad)}, headers=api.headers)
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["error"]["code"] == "invalid"
    assert body["rows"][0]["row"] == 6 and body["rows"][0]["column"] == "B" and body["rows"][0]["field"] == "customer"
    assert "row 6 B" in body["error"]["fields"]
    nothing_written()
    r = api.client.post("/api/receivables/import", {"file": SimpleUploadedFile("c.xlsx", workbook(good_rows(org))),
                                                    "dry_run": "true"}, headers=api.headers)  # fmt: skip
    assert r.status_code == 201 and r.json() == {"written": False, "counts": r.json()["counts"]}
    nothing_written()
    r = api.client.post("/api/receivables/import", {"file": SimpleUploadedFile("c.xlsx", workbook(good_rows(org)))},
                        headers=api.headers)  # fmt: skip
    assert r.status_code == 201 and r.json()["written"] and r.json()["counts"]["contracts"] == 2
    assert ReceivableAccount.objects.filter(source="import").count() == 2
    seller = ApiClient(org.sales_a1)
    r = seller.client.post(
        "/api/receivables/import", {"file": SimpleUploadedFile("c.xlsx", bad)}, headers=seller.headers
    )
    assert r.status_code == 403


def test_the_management_command_imports_with_the_same_checks(org, tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_bytes(workbook([*good_rows(org), row(contract_number="HT-X", due_on="bad")]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_receivables", str(path), company=org.company.pk, user="finance", stderr=err)
    assert "row 6, column I" in err.getvalue()
    nothing_written()
    path.write_bytes(workbook(good_rows(org)))
    out = io.StringIO()
    call_command("import_receivables", str(path), company=org.company.pk, user="finance", stdout=out)
    assert "2 contracts with 4 instalments imported" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_receivables", str(path), company=org.company.pk, user="sales_a1")


# --------------------------------------------------------------------------------------------- snapshot
def _late_account(customer, days_late: int, amounts=(100_000, 100_000)):
    return make_account(customer, amounts, first_due=TODAY - dt.timedelta(days=days_late))


def test_the_snapshot_is_computed_in_sql_idempotent_per_day_and_flags_the_first_late_payment(org):
    late = _late_account(org.cust_a1, 12)
    current = make_account(org.cust_b1, first_due=TODAY + dt.timedelta(days=20))
    settled = make_account(org.cust_a2, (100_000,), first_due=TODAY - dt.timedelta(days=40))
    pay(settled, org.finance, 100_000, day=TODAY)
    counts = services.snapshot_take(org.company, TODAY)
    assert counts == {"snapshots": 2, "updated": 0, "first_late": 1}
    snap = DpdSnapshot.objects.get(account=late, on=TODAY)
    expected = with_ageing(ReceivableAccount.objects.filter(pk=late.pk), TODAY).get()
    assert (snap.days_past_due, snap.overdue_fen, snap.outstanding_fen) == (12, 100_000, 200_000)
    assert (snap.days_past_due, snap.overdue_fen) == (expected.days_past_due, expected.overdue)
    assert DpdSnapshot.objects.get(account=current).days_past_due == 0
    assert not DpdSnapshot.objects.filter(account=settled).exists()
    late.refresh_from_db()
    assert late.first_late_on == TODAY - dt.timedelta(days=11)
    todo = Todo.objects.get(user=org.sales_a1, kind="receivable_first_late")
    assert todo.url == reverse("receivables:detail", args=[late.pk]) and late.contract_number in todo.title
    assert Notification.objects.filter(user=org.manager_a, url=todo.url).count() == 1
    assert not Notification.objects.filter(user=org.manager_b, url=todo.url).exists()
    # again the same day: nothing new, no second alert
    assert services.snapshot_take(org.company, TODAY) == {"snapshots": 0, "updated": 0, "first_late": 0}
    assert DpdSnapshot.objects.filter(on=TODAY).count() == 2
    assert Todo.objects.filter(kind="receivable_first_late").count() == 1
    assert Notification.objects.filter(url=todo.url).count() == 1
    # a payment later that day: the day's snapshot is brought up to date
    pay(late, org.finance, 100_000, day=TODAY)
    assert services.snapshot_take(org.company, TODAY)["updated"] == 1
    assert DpdSnapshot.objects.get(account=late, on=TODAY).days_past_due == 0
    assert AuditEntry.objects.filter(content_type__model="dpdsnapshot").count() == 3


def test_the_backfill_command_writes_one_snapshot_per_day_and_alerts_only_for_today(org):
    late = _late_account(org.cust_a1, 5)
    start = TODAY - dt.timedelta(days=9)
    out = io.StringIO()
    call_command("snapshot_receivables", "--from", start.isoformat(), stdout=out)
    history = list(DpdSnapshot.objects.filter(account=late).order_by("on").values_list("on", "days_past_due"))
    assert len(history) == 10 and history[-1] == (TODAY, 5) and history[0] == (start, 0)
    assert [d for _on, d in history] == [0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
    late.refresh_from_db()
    assert late.first_late_on == TODAY - dt.timedelta(days=4)
    call_command("snapshot_receivables", "--from", start.isoformat(), stdout=io.StringIO())
    assert DpdSnapshot.objects.filter(account=late).count() == 10
    with pytest.raises(CommandError):
        call_command("snapshot_receivables", "--date", "2026-99-01")


# ---------------------------------------------------------------------------------------- pre-warnings
def _todos(key_prefix: str) -> set[tuple[str, str]]:
    return set(Todo.objects.filter(key__startswith=key_prefix).values_list("user__username", "kind"))


def test_prewarnings_at_minus_7_0_plus_1_7_30_60_go_to_the_right_people_once(org):
    CollectionSettings.objects.create(company=org.company)
    week = make_account(org.cust_a1, (123_456,), first_due=TODAY + dt.timedelta(days=7))
    later = make_account(org.cust_a1, (100_000,), first_due=TODAY + dt.timedelta(days=8))
    due = make_account(org.cust_a1, (100_000,), first_due=TODAY)
    late = {d: make_account(org.cust_a1, (100_000,), first_due=TODAY - dt.timedelta(days=d)) for d in (1, 7, 30, 60)}
    with translation.override("zh-hans"):  # the job runs in the company's language
        counts = services.prewarnings_post(org.company, TODAY)
    assert counts == {"prewarning": 1, "due": 1, "late": 1 + 2 + 3 + 4}
    pre = Todo.objects.get(key__startswith="rc-pre:")
    assert pre.user == org.sales_a1 and pre.kind == "receivable_prewarning" and pre.due == TODAY
    assert week.contract_number in pre.title and tr("Send the customer this message today (copy it):") in pre.note
    # the message to send: the customer, the amount, the due date and the contract
    assert org.cust_a1.name in pre.note and yuan(123_456) in pre.note and week.contract_number in pre.note
    assert (TODAY + dt.timedelta(days=7)).isoformat() in pre.note and tr("Next good times to go:") in pre.note
    assert not Todo.objects.filter(url=reverse("receivables:detail", args=[later.pk])).exists()
    arrive = Todo.objects.get(key__startswith="rc-due:")
    assert arrive.user == org.sales_a1 and arrive.due == TODAY and due.contract_number in arrive.title

    def people(account):
        url = reverse("receivables:detail", args=[account.pk])
        return set(Todo.objects.filter(url=url, kind="receivable_late").values_list("user__username", flat=True))

    assert people(late[1]) == {"sales_a1"}
    assert people(late[7]) == {"sales_a1", "manager_a"}
    assert people(late[30]) == {"sales_a1", "manager_a", "finance"}
    assert people(late[60]) == {"sales_a1", "manager_a", "finance", "admin"}
    one = Todo.objects.get(url=reverse("receivables:detail", args=[late[1].pk]))
    assert late[1].contract_number in one.title
    only = tr("Contact only the customer and the guarantors, never other third parties: %(people)s")
    assert only % {"people": f"{org.cust_a1.name} {org.cust_a1.phone}".strip()} in one.note
    total = Todo.objects.count()
    # a re-run the same day (or the job twice): nothing new
    assert services.prewarnings_post(org.company, TODAY) == {"prewarning": 0, "due": 0, "late": 0}
    assert Todo.objects.count() == total
    # the 1-day-late account a week later: the manager joins, the salesperson gets the new stage
    services.prewarnings_post(org.company, TODAY + dt.timedelta(days=6))
    assert people(late[1]) == {"sales_a1", "manager_a"}
    assert Todo.objects.filter(url=reverse("receivables:detail", args=[late[1].pk]), user=org.sales_a1).count() == 2


def test_thresholds_and_prewarning_days_come_from_the_company_settings(org):
    CollectionSettings.objects.create(
        company=org.company,
        prewarning_days=10,
        escalate_salesperson_days=3,
        escalate_manager_days=5,
        escalate_finance_days=20,
        escalate_admin_days=40,
    )
    make_account(org.cust_a1, (100_000,), first_due=TODAY + dt.timedelta(days=10))
    two = make_account(org.cust_a1, (100_000,), first_due=TODAY - dt.timedelta(days=2))
    five = make_account(org.cust_a1, (100_000,), first_due=TODAY - dt.timedelta(days=5))
    counts = services.prewarnings_post(org.company, TODAY)
    assert counts["prewarning"] == 1
    assert not Todo.objects.filter(url=reverse("receivables:detail", args=[two.pk])).exists()
    assert set(Todo.objects.filter(url=reverse("receivables:detail", args=[five.pk])).values_list(
        "user__username", flat=True)) == {"sales_a1", "manager_a"}  # fmt: skip


def test_collection_settings_refuse_thresholds_out_of_order_and_empty_contact_hours(org):
    cfg = CollectionSettings(company=org.company, escalate_manager_days=40, contact_from=20, contact_until=9)
    with pytest.raises(ValidationError) as exc:
        cfg.full_clean()
    assert {"escalate_manager_days", "contact_until"} <= set(exc.value.message_dict)


# ------------------------------------------------------------------------------------ the account page
def test_the_account_page_shows_the_history_chart_the_message_the_times_and_whom_to_contact(org, client_as):
    account = make_account(org.cust_a1, (100_000, 150_000), first_due=TODAY - dt.timedelta(days=3))
    Instalment.objects.filter(account=account, n=2).update(due_on=TODAY + dt.timedelta(days=5))
    org.cust_a1.phone = "13912345678"
    org.cust_a1.save(update_fields=["phone"])
    call_command("snapshot_receivables", "--from", (TODAY - dt.timedelta(days=4)).isoformat(), stdout=io.StringIO())
    r = client_as(org.sales_a1).get(reverse("receivables:detail", args=[account.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="ops-panel"' in html and 'data-testid="first-late"' in html
    data = json.loads(html.split('id="ops-dpd-data" type="application/json">')[1].split("</script>")[0])
    assert data["dpd"] == [0, 0, 1, 2, 3] and data["days"][-1] == TODAY.isoformat()
    assert 'data-testid="ops-message"' in html and 'data-testid="ops-copy"' in html and yuan(150_000) in html
    assert html.count('data-testid="ops-time"') == 3
    assert "13912345678" in html
    assert "receivables/ops.js" in html and "vendor/echarts.min.js" in html


def test_the_contacts_are_the_customer_and_the_guarantors_of_the_dossier_only(org):
    from orders.models import Contract, DossierItem

    from .test_orders_delivery import make_order

    order = make_order(org, customer=org.cust_b1)
    contract = Contract.objects.get(order=order)
    contract.schedule = [{"n": 1, "due": (TODAY + dt.timedelta(days=3)).isoformat(), "principal": "1000",
                          "interest": "0", "fee": "0", "payment": "1000"}]  # fmt: skip
    contract.save(update_fields=["schedule"])
    account = ledger.account_from_contract(contract=contract)
    DossierItem.objects.filter(order=order).delete()
    for kind, name in (("guarantor_id", "王芳"), ("spouse_id", "李秀英"), ("buyer_id", org.cust_b1.name)):
        DossierItem.objects.create(company=org.company, order=order, kind=kind, person_name=name)
    people = selectors.contacts_allowed(account, org.sales_b1)
    assert people[0].startswith(org.cust_b1.name)
    assert len(people) == 2 and "王芳" in people[1] and not any("李秀英" in p for p in people)


def test_the_panel_has_a_constant_number_of_queries(org, rf, django_assert_num_queries):
    small = make_account(org.cust_a1, (100_000,), first_due=TODAY + dt.timedelta(days=3))
    big = make_account(org.cust_a1, tuple([100_000] * 24), first_due=TODAY - dt.timedelta(days=200))
    for back in range(0, 180, 3):
        services.snapshot_take(org.company, TODAY - dt.timedelta(days=back), alert=False)
    request = rf.get("/")
    request.user = org.sales_a1
    services.settings_for(org.company.pk)
    from receivables.selectors import account_detail

    for account in (small, big):
        account = account_detail(org.sales_a1, account.pk)  # as the page reads it
        with django_assert_num_queries(4):  # settings, company, history, next instalment
            ctx = panels.account_panel(request, account)
    assert len(ctx["ops_history"]["days"]) == 60 and ctx["ops_history"]["max"] > 150


def test_the_dpd_api_follows_visibility(org):
    account = _late_account(org.cust_a1, 2)
    services.snapshot_take(org.company, TODAY)
    r = ApiClient(org.sales_a1).get(f"/api/receivables/accounts/{account.pk}/dpd")
    assert r.status_code == 200 and r.json()["days_past_due"] == [2] and r.json()["first_late_on"]
    assert ApiClient(org.sales_b1).get(f"/api/receivables/accounts/{account.pk}/dpd").status_code == 404


# -------------------------------------------------------------------------------- the daily report's figure
def test_the_daily_report_counts_the_payments_on_the_salespersons_accounts(org, django_assert_num_queries):
    mine = make_account(org.cust_a1, (500_000, 500_000), first_due=TODAY - dt.timedelta(days=30))
    other = make_account(org.cust_a2, (500_000,), first_due=TODAY - dt.timedelta(days=30))
    pay(mine, org.finance, 120_050, day=TODAY)
    pay(mine, org.finance, 30_000, day=TODAY)
    wrong = pay(mine, org.finance, 99_900, day=TODAY)
    ledger.payment_reverse(actor=org.finance, payment=wrong, reason="记错账户")
    pay(mine, org.finance, 10_000, day=TODAY - dt.timedelta(days=1))
    pay(other, org.finance, 70_000, day=TODAY)
    with django_assert_num_queries(1):
        figure = selectors.collections_of_day(org.sales_a1, TODAY)
    assert figure == {"count": 2, "amount": "1500.50"}
    assert reports.day_figures(org.sales_a1, TODAY)["collections"] == {"count": 2, "amount": "1500.50"}
    assert selectors.collections_of_day(org.sales_b1, TODAY) == {"count": 0, "amount": "0.00"}


def test_the_jobs_are_registered():
    from core.jobs import JOBS

    assert JOBS["receivables.dpd_snapshot"].task_path == "receivables.ops.tasks.snapshot_task"
    assert JOBS["receivables.prewarnings"].daily_at == dt.time(7, 0)


def test_the_demo_seed_gives_history_and_prewarnings(org):
    import random

    from receivables.ops import demo

    make_account(org.cust_a1, (100_000,) * 6, first_due=TODAY - dt.timedelta(days=45))
    make_account(org.cust_a2, (100_000,) * 6, first_due=TODAY + dt.timedelta(days=4))
    counts = demo.seed(org.company, rng=random.Random(1), today=TODAY)
    # weekly over 90 days, then daily for the last week, for each account since its start
    assert counts["dpd_snapshots"] == DpdSnapshot.objects.count() > 21
    assert counts["todos_prewarning"] == 1 and counts["todos_late"] >= 2
    assert CollectionSettings.objects.filter(company=org.company).exists()
