"""Excel / CSV import of customers (customers/imports.py, the pages and the API).

The main fixture is a messy 1,000-row workbook as a dealer keeps it: a merged title, a blank row
before the headings, headings with notes, a serial-number and a landline column, full-width digits,
stray spaces, blank, merged and repeated-heading rows, vertically merged region cells, invalid and
duplicate mobile numbers, customers already in the database, regions the manager does not cover.
Its report is asserted row by row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from core.models import AuditEntry, Channel
from customers import imports
from customers import rules as customer_rules
from customers.domain import importing as imp
from customers.models import Customer, CustomerContact, StatusChange

from .factories import make_customer, make_id_number

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"
GIVEN = [a + b for a in "建国志明海军" for b in "强伟华平东林"]  # 36 given names → 1,080 distinct names
DISTRICTS = ["历城区", "章丘区", "历下区", "市中区"]
OWNERS = ["张建国", "sales_a2", ""]  # display name, username, blank (public pool)
GRADES = ["9", "6类", "3", "1", "0", ""]
WORK_TYPES = ["工程类", "矿山", "路桥", ""]
SCALES = ["个体户", "工程队", ""]
COUNTS = ["2台", "", "5"]
HEADINGS = [
    "序号",  # A ignored
    "客户名称",  # B
    "手机号（必填）",  # C
    "身份证号",  # D
    " 区域 ",  # E
    "省",  # F
    "市",  # G
    "区县",  # H
    "详细地址",  # I
    "意向等级",  # J
    "工程类别",  # K
    "规模",  # L
    "设备台数",  # M
    "负责业务员",  # N
    "联系人",  # O
    "联系人电话",  # P
    "座机",  # Q ignored
]
COL = {h.strip().split("（")[0]: imp.column_letter(i) for i, h in enumerate(HEADINGS)}
FIRST_ROW = 4  # row 1 title (merged), row 2 blank, row 3 headings
ROWS = 1000


def row_of(i: int) -> int:
    return FIRST_ROW + i


def base_row(i: int) -> list:
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[i // len(SURNAMES)]
    contact = i % 7 == 0
    return [
        i + 1,
        name,
        f"139{i:08d}",
        make_id_number() if i % 10 == 5 else "",
        "鲁中区域",
        "山东省",
        "济南市",
        DISTRICTS[i % len(DISTRICTS)],
        f"{DISTRICTS[i % len(DISTRICTS)]}工业路{i}号",
        GRADES[i % len(GRADES)],
        WORK_TYPES[i % len(WORK_TYPES)],
        SCALES[i % len(SCALES)],
        COUNTS[i % len(COUNTS)],
        OWNERS[i % len(OWNERS)],
        "王会计" if contact else "",
        f"137{i:08d}" if contact else "",
        "0531-88886666",
    ]


@dataclass
class Messy:
    data: bytes
    expected: set[tuple[int, str, str, str]]  # (row, column letter or "", code, level)
    valid_rows: list[int]
    flagged_rows: set[int]
    rows: dict[int, list] = field(default_factory=dict)  # row number -> cells written


def messy_workbook(org) -> Messy:
    """1,000 spreadsheet rows below the headings; the faults sit at fixed places (see ``faults``)."""
    visible_twin = make_customer(org.manager_a, region=org.region_a, name="历下恒通路桥工程有限公司", city="济南市")
    Customer.objects.filter(pk=visible_twin.pk).update(district="历下区")
    hidden_twin = make_customer(org.manager_b, region=org.region_b, name="市中宏达机械租赁有限公司", city="济南市")
    Customer.objects.filter(pk=hidden_twin.pk).update(district="市中区")

    expected: set[tuple[int, str, str, str]] = set()
    rows: dict[int, list] = {}
    merges = ["A1:Q1"]
    error_rows: set[int] = set()
    skipped: set[int] = set()
    flagged: set[int] = set()

    def err(i, col, code):
        expected.add((row_of(i), col, code, "error"))
        error_rows.add(i)

    def warn(i, col, code, flag=False):
        expected.add((row_of(i), col, code, "warning"))
        if flag:
            flagged.add(i)

    def skip(i, code):
        expected.add((row_of(i), "", code, "skipped"))
        skipped.add(i)

    for i in range(ROWS):
        r = base_row(i)
        if i == 10:  # full-width digits, spaces inside the name and around the number: fine
            r[1] = " " + "\u3000".join(r[1]) + "\u00a0"
            r[2] = " １３９ ００００ ００１０ "
        elif i == 20:
            r[2] = "1390000"
            err(i, "C", "phone_invalid")
        elif i == 30:
            r[2] = rows[row_of(29)][2]
            err(i, "C", "phone_dup_file")
        elif i == 40:
            r[2] = org.cust_a1.phone
            err(i, "C", "phone_dup_db")
        elif i == 41:
            r[2] = org.cust_b1.phone  # a customer of region B: not named to manager A
            err(i, "C", "phone_dup_db_hidden")
        elif i in (50, 250, 251):
            r = [None] * len(HEADINGS)
            skip(i, imp.Skip.BLANK)
        elif i == 60:
            r = ["—— 章丘片区 ——"] + [None] * (len(HEADINGS) - 1)
            merges.append(f"A{row_of(i)}:Q{row_of(i)}")
            skip(i, imp.Skip.MERGED)
        elif 71 <= i <= 74:  # the region merged over rows 70–74: blank cells below the top one
            r[4] = None
            if i == 74:
                merges.append(f"E{row_of(70)}:E{row_of(74)}")
        elif i == 80:
            r[4] = "鲁南区域"
            err(i, "E", "region_not_covered")
        elif i == 81:
            r[4] = "火星区域"
            err(i, "E", "region_unknown")
        elif i == 82:
            r[4] = ""
            err(i, "E", "region_missing")
        elif i == 90:
            r[13] = "无名氏"
            err(i, "N", "owner_unknown")
        elif i == 91:
            r[13] = "周强"  # a salesperson of region B
            warn(i, "N", "owner_other_region")
        elif i == 100:
            r[9] = "A"
            err(i, "J", "rule")
        elif i == 110:
            good = make_id_number()
            r[3] = good[:17] + ("0" if good[17] != "0" else "1")
            err(i, "D", "rule")
        elif i == 120:
            r[11] = "大公司"
            err(i, "L", "bad_choice")
        elif i == 130:
            r[12] = "三台"
            err(i, "M", "count_invalid")
        elif i == 135:
            r[12] = "20000"
            err(i, "M", "rule")
        elif i == 140:
            r[1] = "  "
            err(i, "B", "rule")
        elif i == 150:
            r = list(HEADINGS)
            skip(i, imp.Skip.HEADING)
        elif i == 159:
            r[1], r[7] = "章丘宏远建设工程有限公司", "章丘区"
        elif i == 160:
            r[1], r[7] = "章丘宏远建设工程公司", "章丘"
            warn(i, "B", "similar_file", flag=True)
        elif i == 170:
            r[1], r[7] = "历下恒通路桥工程公司", "历下区"
            warn(i, "B", "similar_db", flag=True)
        elif i == 171:
            r[1], r[7] = "市中宏达机械租赁公司", "市中区"
            warn(i, "B", "similar_db_hidden", flag=True)
        elif i == 180:
            r[2] = f"{r[2]}/13700000180"
            warn(i, "C", "phone_extra")
        elif i == 190:
            r[9] = "5"
            err(i, "J", "rule")
        elif i == 210:
            r[14] = ""
            err(i, "O", "contact_without_name")
        elif i == 220:
            r[14], r[15] = "刘工", "12345"
            err(i, "P", "phone_invalid")
        elif i == 230:
            r[3] = rows[row_of(225)][3]  # 225 has an ID number (every tenth row from 5)
            warn(i, "D", "id_dup_file", flag=True)
        elif i == 310:
            r[10] = "挖沙"
            err(i, "K", "bad_choice")
        elif i == 320:
            r = [i + 1] + [None] * (len(HEADINGS) - 2) + ["0531-88886666"]  # only ignored columns
            skip(i, imp.Skip.BLANK)
        rows[row_of(i)] = r

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["2024年鲁中区域客户名单"])
    ws.append([])
    ws.append(HEADINGS)
    for n in range(FIRST_ROW, FIRST_ROW + ROWS):
        ws.append(rows[n])
    for ref in merges:
        ws.merge_cells(ref)
    for _ in range(3):
        ws.append([None] * 3)  # trailing blank rows: not reported
    buf = io.BytesIO()
    wb.save(buf)
    valid = [row_of(i) for i in range(ROWS) if i not in error_rows and i not in skipped]
    return Messy(buf.getvalue(), expected, valid, {row_of(i) for i in flagged}, rows)


@pytest.fixture(autouse=True)
def batch_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


def counts() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        CustomerContact.objects.count(),
        AuditEntry.objects.count(),
        StatusChange.objects.count(),
    )


def report_set(batch) -> set[tuple[int, str, str, str]]:
    return {(i["row"], imp.Issue.from_dict(i).column_letter, i["code"], i["level"]) for i in batch["issues"]}


# --- the messy workbook ---------------------------------------------------------------------------------


def test_the_messy_workbook_gets_the_exact_report_and_nothing_is_written(org):
    messy = messy_workbook(org)
    before = counts()
    batch = imports.import_upload(actor=org.manager_a, filename="客户名单.xlsx", data=messy.data)
    assert counts() == before
    assert batch["header_row"] == 3 and batch["sheet"] == "客户"
    assert batch["mapping"] == [
        "",
        "name",
        "phone",
        "id_number",
        "region",
        "province",
        "city",
        "district",
        "address",
        "grade",
        "work_type",
        "scale",
        "machine_count",
        "owner",
        "contact_name",
        "contact_phone",
        "",
    ]
    assert report_set(batch) == messy.expected
    assert batch["valid_rows"] == messy.valid_rows
    assert batch["summary"] == {
        "rows": 994,
        "valid": 976,
        "errors": 18,
        "warnings": 6,
        "flagged": 4,
        "skipped": 6,
    }
    assert len(messy.valid_rows) == 976


def test_the_report_says_what_is_wrong_with_the_values_and_names_visible_customers_only(org):
    messy = messy_workbook(org)
    with translation.override("en"):
        batch = imports.import_upload(actor=org.manager_a, filename="x.xlsx", data=messy.data)
        by_row = {(r["row"], r["code"]): r for r in imports.issue_rows(batch)}
    assert by_row[(row_of(20), "phone_invalid")]["message"] == "“1390000” is not a valid mainland mobile number."
    assert by_row[(row_of(20), "phone_invalid")]["heading"] == "手机号（必填）"
    assert by_row[(row_of(30), "phone_dup_file")]["message"] == f"The same mobile number as row {row_of(29)}."
    assert (
        by_row[(row_of(40), "phone_dup_db")]["message"]
        == f"Customer “{org.cust_a1.name}” already has this mobile number."
    )
    assert org.cust_b1.name not in by_row[(row_of(41), "phone_dup_db_hidden")]["message"]
    assert by_row[(row_of(80), "region_not_covered")]["message"] == "You do not cover the region “鲁南区域”."
    assert by_row[(row_of(100), "rule")]["message"] == "The intent grade must be one of 9, 6, 3, 1, 0."
    assert by_row[(row_of(120), "bad_choice")]["message"] == (
        "“大公司” is not one of: 个体户、工程队、自营工程公司、工程承建公司."
    )
    assert by_row[(row_of(140), "rule")]["message"] == "Enter the customer's name."
    assert "历下恒通路桥工程有限公司" in by_row[(row_of(170), "similar_db")]["message"]
    assert "市中宏达" not in by_row[(row_of(171), "similar_db_hidden")]["message"]
    assert by_row[(row_of(160), "similar_file")]["message"].endswith(f"row {row_of(159)} (章丘宏远建设工程有限公司).")
    assert by_row[(row_of(60), imp.Skip.MERGED)]["column"] == ""


def test_the_reasons_are_translatable():
    from django.utils.functional import Promise

    assert all(isinstance(m, Promise) for code, m in imports.MESSAGES.items() if code != "rule")
    with translation.override("zh-hans"):
        issue = imp.Issue(5, "phone_dup_file", params={"other": 4})
        assert imports.message(issue) == translation.gettext("The same mobile number as row %(other)s.") % {"other": 4}


def test_confirm_writes_exactly_the_valid_rows_in_one_go_audited_as_an_import(org, batch_dir):
    messy = messy_workbook(org)
    batch = imports.import_upload(actor=org.manager_a, filename="x.xlsx", data=messy.data)
    c0, contacts0, audit0, history0 = counts()
    result = imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert (result.created, result.left_out) == (976, 994 - 976)
    new = Customer.objects.filter(company=org.company).exclude(pk__lte=max(org.customers[k].pk for k in org.customers))
    new = new.exclude(name__in=["历下恒通路桥工程有限公司", "市中宏达机械租赁有限公司"])
    assert new.count() == 976 == Customer.objects.count() - c0
    expected_phones = set()
    for n in messy.valid_rows:
        first = imp.split_phones(imp.cell_text(messy.rows[n][2]))[0]
        expected_phones.add(customer_rules.normalize_mobile(first))
    assert set(new.values_list("phone", flat=True)) == expected_phones
    # cleaned values, owners, pool, region, classification
    c10 = new.get(phone="13900000010")
    assert (c10.name, c10.region_id, c10.owner_id, c10.grade) == (
        SURNAMES[10] + GIVEN[0],
        org.region_a.pk,
        org.sales_a2.pk,
        0,
    )
    c0_ = new.get(phone="13900000000")
    assert (c0_.owner, c0_.in_pool, c0_.grade, c0_.work_type, c0_.scale, c0_.machine_count) == (
        org.sales_a1,
        False,
        9,
        "engineering",
        "individual",
        2,
    )
    c2 = new.get(phone="13900000002")
    assert c2.in_pool and c2.owner is None and c2.pool_entered_at is not None
    c74 = new.get(phone=f"139{74:08d}")
    assert c74.region_id == org.region_a.pk  # from the merged cell above
    c2_ = new.get(phone=f"139{2:08d}")
    assert (c2_.work_type, c2_.engineering_kind) == ("engineering", "roads_bridges")
    assert new.get(phone=f"139{5:08d}").id_number_index and new.get(phone=f"139{5:08d}").id_number
    assert new.get(phone=f"139{0:08d}").initials == customer_rules.pinyin_initials(c0_.name)
    assert new.filter(kind="company").count() == 4  # the four …公司 names
    # contact people, grade history, audit trail
    with_contact = [n for n in messy.valid_rows if messy.rows[n][14]]
    assert CustomerContact.objects.count() - contacts0 == len(with_contact) == result.contacts
    graded = [n for n in messy.valid_rows if imp.parse_grade(str(messy.rows[n][9] or ""))]
    assert StatusChange.objects.count() - history0 == len(graded)
    entries = AuditEntry.objects.filter(pk__gt=0).order_by("-id")[: 976 + result.contacts]
    assert {(e.channel, e.actor_id, e.action) for e in entries} == {(Channel.IMPORT, org.manager_a.pk, "create")}
    assert AuditEntry.objects.count() - audit0 == 976 + result.contacts
    # the batch is gone: a second confirm finds nothing
    assert not list(batch_dir.glob("*.batch*"))
    with pytest.raises(imports.BatchNotFound):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])


def test_leaving_out_the_possible_duplicates(org):
    messy = messy_workbook(org)
    batch = imports.import_upload(actor=org.manager_a, filename="x.xlsx", data=messy.data)
    result = imports.import_confirm(actor=org.manager_a, batch_id=batch["id"], skip_flagged=True)
    assert result.created == 976 - len(messy.flagged_rows)
    assert not Customer.objects.filter(name="章丘宏远建设工程公司").exists()
    assert Customer.objects.filter(name="章丘宏远建设工程有限公司").exists()


def test_a_failure_midway_leaves_nothing_and_the_batch_can_be_confirmed_again(org, monkeypatch):
    messy = messy_workbook(org)
    batch = imports.import_upload(actor=org.manager_a, filename="x.xlsx", data=messy.data)
    before = counts()

    from core import audit

    log_bulk = audit.log_bulk

    def boom(model, objects, action):
        if model is CustomerContact:  # the last step: customers, their audit entries and history are in
            raise RuntimeError("disk full")
        return log_bulk(model, objects, action)

    monkeypatch.setattr(audit, "log_bulk", boom)
    with pytest.raises(RuntimeError):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert counts() == before
    monkeypatch.undo()
    assert imports.import_confirm(actor=org.manager_a, batch_id=batch["id"]).created == 976


def test_a_change_after_the_preview_is_shown_before_anything_is_written(org):
    messy = messy_workbook(org)
    batch = imports.import_upload(actor=org.manager_a, filename="x.xlsx", data=messy.data)
    make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, phone=f"139{3:08d}")  # meanwhile
    before = counts()
    with pytest.raises(imports.PreviewChanged):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert counts() == before
    fresh = imports.load_batch(actor=org.manager_a, batch_id=batch["id"])
    assert (row_of(3), "C", "phone_dup_db", "error") in report_set(fresh)
    assert imports.import_confirm(actor=org.manager_a, batch_id=batch["id"]).created == 975


# --- who may import where ------------------------------------------------------------------------------


def test_manager_b_may_write_only_region_b(org):
    messy = messy_workbook(org)
    batch = imports.import_upload(actor=org.manager_b, filename="x.xlsx", data=messy.data)
    codes = {(i["row"], i["code"]) for i in batch["issues"]}
    assert (row_of(0), "region_not_covered") in codes
    assert (row_of(80), "region_not_covered") not in codes  # 鲁南区域 is theirs
    assert batch["summary"]["valid"] == 1  # row 80 only
    # the database twin in region A is now the hidden one, B's is named
    assert (row_of(40), "phone_dup_db_hidden") in codes and (row_of(41), "phone_dup_db") in codes


@pytest.mark.parametrize("who", ["finance", "service", "sales_a1"])
def test_finance_service_and_salespeople_cannot_import(org, who, client_as, api_as):
    user = org.users[who]
    with pytest.raises(PermissionError):
        imports.import_upload(actor=user, filename="x.csv", data="姓名\n张三\n".encode())
    assert client_as(user).get("/customers/import/").status_code == 403
    assert client_as(user).get("/customers/import/template.xlsx").status_code == 403
    api = api_as(user)
    response = api.client.post(
        "/api/customers/import",
        {"file": io.BytesIO("姓名\n张三\n".encode())},
        headers=api.headers,
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_a_batch_belongs_to_its_user(org, client_as):
    batch = imports.import_upload(actor=org.manager_a, filename="x.csv", data="姓名,区域\n张三,鲁中区域\n".encode())
    with pytest.raises(imports.BatchNotFound):
        imports.load_batch(actor=org.admin, batch_id=batch["id"])
    assert client_as(org.admin).get(f"/customers/import/{batch['id']}/").status_code == 404
    assert client_as(org.admin).post(f"/customers/import/{batch['id']}/confirm/").status_code == 404
    assert client_as(org.manager_a).get(f"/customers/import/{batch['id']}/").status_code == 200


def test_a_default_region_must_be_one_the_user_covers(org):
    with pytest.raises(imports.ValidationError) as exc:
        imports.import_upload(
            actor=org.manager_a, filename="x.csv", data="姓名\n张三\n".encode(), default_region_id=org.region_b.pk
        )
    assert "region" in exc.value.message_dict


# --- files in other shapes -----------------------------------------------------------------------------


def gbk_csv() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["客户名称", "联系电话", "区县", "负责业务员", "意向等级"])
    w.writerow(["临沂 丰达 路桥", "１３９ ００００ ９００１", "兰山区", "张建国", "9"])
    w.writerow(["", "", "", "", ""])
    w.writerow(["孙　悟空", "13900009002", "罗庄区", "", "3类"])
    w.writerow(["坏号码", "1234", "罗庄区", "", ""])
    return buf.getvalue().encode("gbk")


def test_a_gbk_csv_is_read_with_its_encoding(org):
    data = gbk_csv()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    batch = imports.import_upload(
        actor=org.manager_a, filename="客户.csv", data=data, default_region_id=org.region_a.pk
    )
    assert (batch["kind"], batch["sheet"], batch["header_row"]) == ("csv", "GBK", 1)
    assert report_set(batch) == {(3, "", "blank_row", "skipped"), (5, "B", "phone_invalid", "error")}
    imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    c = Customer.objects.get(phone="13900009001")
    assert (c.name, c.district, c.grade, c.owner, c.region) == ("临沂丰达路桥", "兰山区", 9, org.sales_a1, org.region_a)
    assert Customer.objects.get(phone="13900009002").name == "孙悟空"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_utf_csvs_too(org, encoding):
    text = "姓名;手机;区域\n张三;13900009101;鲁中区域\n"
    batch = imports.import_upload(actor=org.manager_a, filename="a.csv", data=text.encode(encoding))
    assert batch["summary"]["valid"] == 1 and batch["mapping"] == ["name", "phone", "region"]


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        ("list.xlsx", b"PK\x03\x04garbage that is not a zip", ".xlsx"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100, ".xlsx"),
        ("empty.csv", b"", "empty"),
        ("latin.csv", "name\nJos\xe9\n".encode("latin-1") + b"\x81\xff\xfe", "GBK"),
    ],
)
def test_files_we_cannot_read_get_a_clear_message(org, filename, data, words):
    with translation.override("en"), pytest.raises(imports.ValidationError) as exc:
        imports.import_upload(actor=org.manager_a, filename=filename, data=data)
    assert words in " ".join(exc.value.message_dict["file"])


def test_wrong_columns_are_named_and_can_be_mapped_by_hand(org):
    data = "单位,移动号码,片\n临沂丰达,13900009201,鲁中区域\n".encode()
    batch = imports.import_upload(actor=org.manager_a, filename="x.csv", data=data)
    assert batch["mapping"] == ["", "", ""]
    assert batch["mapping_problems"] == [{"code": "missing", "field": "name", "columns": []}]
    assert batch["summary"]["valid"] == 0
    with pytest.raises(imports.ValidationError):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    batch = imports.import_remap(
        actor=org.manager_a, batch_id=batch["id"], mapping={0: "name", 1: "phone", 2: "region"}, default_region_id=None
    )
    assert batch["mapping_problems"] == [] and batch["summary"]["valid"] == 1
    twice = imports.import_remap(actor=org.manager_a, batch_id=batch["id"], mapping={2: "name"}, default_region_id=None)
    assert twice["mapping_problems"] == [{"code": "twice", "field": "name", "columns": [0, 2]}]


def test_the_template_and_the_export_read_back_as_the_same_columns(org, client_as):
    client = client_as(org.manager_a)
    response = client.get("/customers/import/template.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headings = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert imp.guess_mapping(headings) == list(imp.FIELDS)
    for lang in ("en", "zh-hans"):
        exported = client.get("/customers/export.xlsx", headers={"accept-language": lang})
        sheet = load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
        mapping = imp.guess_mapping([imp.cell_text(v) for v in next(sheet.iter_rows(max_row=1, values_only=True))])
        assert {"name", "phone", "province", "city", "district", "address", "grade", "owner", "region"} <= set(mapping)


def test_an_exported_list_imports_into_an_empty_company_as_duplicates_only(org, client_as):
    exported = client_as(org.admin).get("/customers/export.xlsx").content
    batch = imports.import_upload(actor=org.admin, filename="export.xlsx", data=exported)
    assert batch["summary"]["valid"] == 0
    assert {i["code"] for i in batch["issues"]} <= {"phone_dup_db", "owner_unknown"}


# --- the pages -----------------------------------------------------------------------------------------


def test_the_pages_upload_preview_map_and_confirm(org, client_as):
    client = client_as(org.manager_a)
    page = client.get("/customers/import/")
    assert page.status_code == 200 and "customers-template" not in page.content.decode()
    messy = messy_workbook(org)
    response = client.post(
        "/customers/import/", {"file": _upload("客户名单.xlsx", messy.data), "region": org.region_a.pk}
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    page = client.get(preview_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="count-valid"><strong>977</strong>' in html  # row 82 takes the default region
    assert html.count('class="issue ') == len(messy.expected) - 1  # all on one page; row 82 has a region now
    errors = client.get(preview_url + "?level=error", headers={"HX-Request": "true"}).content.decode()
    assert errors.strip().startswith('<div id="report">') and errors.count('class="issue error"') == 17
    assert f'data-row="{row_of(20)}" data-code="phone_invalid"' in errors
    assert Customer.objects.filter(phone=f"139{0:08d}").count() == 0
    # the report as a workbook: row, column, heading, level, reason, then the row's own cells
    report = client.get(preview_url + "report.xlsx")
    rows = list(load_workbook(io.BytesIO(report.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + len(messy.expected) - 1  # row 82 has the default region
    by_row = {(r[0], r[1]): r for r in rows[1:]}
    assert by_row[(row_of(20), "C")][2] == "手机号（必填）" and by_row[(row_of(20), "C")][5 + 2] == "1390000"
    masked = by_row[(row_of(230), "D")][5 + 3]
    assert "*" in masked  # a manager does not see ID numbers in clear
    # leave the landline column out explicitly and check again: same report
    response = client.post(preview_url + "columns/", {"col-16": "", "region": org.region_a.pk})
    assert response.status_code == 302
    response = client.post(preview_url + "confirm/", {"skip_flagged": "1"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert Customer.objects.filter(phone__startswith="139000").count() > 0
    assert Customer.objects.filter(phone__startswith="139").count() == 977 - 4
    assert client.get(preview_url).status_code == 404


def test_the_upload_page_names_the_problem_with_the_file(org, client_as):
    response = client_as(org.manager_a).post(
        "/customers/import/", {"file": _upload("old.xls", b"\xd0\xcf\x11\xe0")}, headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    assert ".xls" in response.content.decode()


def test_cancel_removes_the_batch(org, client_as, batch_dir):
    client = client_as(org.manager_a)
    batch = imports.import_upload(actor=org.manager_a, filename="x.csv", data="姓名,区域\n张三,鲁中区域\n".encode())
    assert client.post(f"/customers/import/{batch['id']}/cancel/").status_code == 302
    assert not list(batch_dir.glob("*"))
    assert Customer.objects.filter(name="张三").count() == 0


def test_the_stored_batch_is_encrypted(org, batch_dir):
    imports.import_upload(
        actor=org.manager_a, filename="x.csv", data="姓名,身份证号,区域\n张三,110101199003071234,鲁中区域\n".encode()
    )
    (path,) = batch_dir.glob("*.batch")
    raw = path.read_bytes()
    assert b"110101199003071234" not in raw and "张三".encode() not in raw


# --- the API -------------------------------------------------------------------------------------------


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_api_uploads_reports_and_confirms(org, api_as):
    api = api_as(org.manager_a)
    messy = messy_workbook(org)
    response = api.client.post("/api/customers/import", {"file": _upload("x.xlsx", messy.data)}, headers=api.headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"]["valid"] == 976 and body["issues"]["count"] == len(messy.expected)
    assert body["columns"][2] == {"column": "C", "heading": "手机号（必填）", "field": "phone"}
    listed = api.get(f"/api/customers/import/{body['id']}/issues?level=error&limit=200").json()
    assert listed["count"] == len([e for e in messy.expected if e[3] == "error"])
    first = listed["items"][0]
    assert (first["row"], first["column"], first["code"]) == (row_of(20), "C", "phone_invalid")
    assert api.get(f"/api/customers/import/{body['id']}/issues?levle=error").status_code == 400
    assert Customer.objects.filter(phone=f"139{0:08d}").count() == 0
    confirmed = api.post(f"/api/customers/import/{body['id']}/confirm?skip_flagged=false")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["created"] == 976
    assert api.post(f"/api/customers/import/{body['id']}/confirm").status_code == 404


def test_the_api_maps_columns_by_letter_and_rejects_bad_files(org, api_as):
    api = api_as(org.manager_a)
    data = "单位,移动号码\n临沂丰达,13900009301\n".encode("gbk")
    body = api.client.post(
        "/api/customers/import",
        {"file": _upload("x.csv", data), "region": org.region_a.pk},
        headers=api.headers,
    ).json()
    assert body["mapping_problems"][0]["field"] == "name" and body["default_region"] == org.region_a.pk
    bad = api.post(f"/api/customers/import/{body['id']}/columns", {"columns": {"Z": "name", "A": "salary"}})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"Z", "A"}
    ok = api.post(f"/api/customers/import/{body['id']}/columns", {"columns": {"A": "name", "B": "phone"}})
    assert ok.status_code == 200 and ok.json()["summary"]["valid"] == 1
    assert api.post(f"/api/customers/import/{body['id']}/confirm").json()["created"] == 1
    xls = api.client.post(
        "/api/customers/import", {"file": _upload("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")}, headers=api.headers
    )
    assert xls.status_code == 422 and "file" in xls.json()["error"]["fields"]


def test_the_api_says_when_the_preview_is_stale(org, api_as):
    api = api_as(org.manager_a)
    body = api.client.post(
        "/api/customers/import",
        {"file": _upload("x.csv", "姓名,手机,区域\n张三,13900009401,鲁中区域\n".encode())},
        headers=api.headers,
    ).json()
    make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, phone="13900009401")
    stale = api.post(f"/api/customers/import/{body['id']}/confirm")
    assert stale.status_code == 422 and stale.json()["error"]["code"] == "invalid"
    assert json.loads(api.get(f"/api/customers/import/{body['id']}").content)["summary"]["valid"] == 0


# --- the exports ---------------------------------------------------------------------------------------


def test_the_customer_export_has_the_classification_and_a_sheet_of_contact_people(org, client_as):
    from customers import services

    services.contact_add(actor=org.sales_a1, customer=org.cust_a1, name="王会计", phone="13700001111", title="财务")
    services.contact_add(actor=org.sales_b1, customer=org.cust_b1, name="赵出纳", phone="13700002222")
    Customer.objects.filter(pk=org.cust_a1.pk).update(work_type="mining", scale="team", machine_count=4)
    content = client_as(org.manager_a).get("/customers/export.xlsx", headers={"accept-language": "en"}).content
    wb = load_workbook(io.BytesIO(content), read_only=True)
    customers_, people = wb.worksheets
    rows = list(customers_.iter_rows(values_only=True))
    row = next(r for r in rows if r[0] == org.cust_a1.name)
    assert row[-5:] == ("Mining (矿山类)", None, None, "Team (工程队)", 4)
    contacts = list(people.iter_rows(values_only=True))
    assert contacts[1:] == [(org.cust_a1.name, org.cust_a1.phone, "王会计", "13700001111", "财务", None)]  # not B's
    # the export's headings are the import's: every column but the pool flag is recognised
    mapping = imp.guess_mapping([imp.cell_text(v) for v in rows[0]])
    assert mapping.count("") == 1 and mapping[10] == ""


def test_the_industry_contacts_export(org, client_as):
    from customers.domain import contacts as schema
    from customers.models import IndustryContact

    spec = next(f for f in schema.fields_of("repair_shop") if f.type == schema.FieldType.TEXT)
    IndustryContact.objects.create(
        company=org.company,
        region=org.region_a,
        owner=org.sales_a1,
        kind="repair_shop",
        name="历城老李维修",
        phone="13700003333",
        details={spec.name: "挖机液压"},
    )
    IndustryContact.objects.create(company=org.company, region=org.region_b, kind="operator", name="临沂机手")
    response = client_as(org.sales_a1).get("/customers/contacts/export.xlsx?kind=repair_shop")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["历城老李维修"]
    assert "挖机液压" in rows[1][9]
    everything = client_as(org.admin).get("/customers/contacts/export.xlsx").content
    names = [
        r[1] for r in load_workbook(io.BytesIO(everything), read_only=True).worksheets[0].iter_rows(values_only=True)
    ]
    assert names[1:] == ["临沂机手", "历城老李维修"] or set(names[1:]) == {"临沂机手", "历城老李维修"}
    assert client_as(org.finance).get("/customers/contacts/export.xlsx").status_code == 403


# --- confirming checks the database again --------------------------------------------------------------


def _small_batch(org, text="姓名,手机,区域,负责业务员\n张三,13900009501,鲁中区域,张建国\n李四,13900009502,鲁中区域,\n"):
    return imports.import_upload(actor=org.manager_a, filename="x.csv", data=text.encode())


def test_a_region_no_longer_covered_stops_the_confirmation(org):
    batch = _small_batch(org)
    org.manager_a.regions.set([org.region_b])
    manager = type(org.manager_a).objects.get(pk=org.manager_a.pk)  # region_ids is cached per instance
    with pytest.raises(imports.PreviewChanged):
        imports.import_confirm(actor=manager, batch_id=batch["id"])
    assert not Customer.objects.filter(phone__startswith="139000095").exists()
    fresh = imports.load_batch(actor=manager, batch_id=batch["id"])
    assert {i["code"] for i in fresh["issues"]} == {"region_not_covered"} and fresh["summary"]["valid"] == 0


def test_a_salesperson_who_left_stops_the_confirmation(org):
    batch = _small_batch(org)
    type(org.sales_a1).objects.filter(pk=org.sales_a1.pk).update(is_active=False)
    with pytest.raises(imports.PreviewChanged):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    fresh = imports.load_batch(actor=org.manager_a, batch_id=batch["id"])
    assert [(i["row"], i["code"]) for i in fresh["issues"]] == [(2, "owner_unknown")]
    assert imports.import_confirm(actor=org.manager_a, batch_id=batch["id"]).created == 1


def test_bulk_insert_writes_what_save_writes(org):
    from django.utils import timezone

    number = make_id_number()
    fields = dict(
        company_id=org.company.pk,
        region_id=org.region_a.pk,
        owner_id=None,
        in_pool=True,
        name="历城 张三",
        kind="person",
        phone="13900009601",
        id_number=number,
        province="山东省",
        grade=6,
        work_type="mining",
        machine_count=3,
        pool_entered_at=timezone.now(),
    )
    saved = Customer(**fields)
    saved.save()
    inserted = Customer(**{**fields, "phone": "13900009602"})
    inserted.initials = customer_rules.pinyin_initials(inserted.name)[:40]
    from core.sensitive import blind_index

    inserted.id_number_index = blind_index(number)
    imports.bulk_insert(Customer, [inserted])
    assert inserted.pk and not inserted._state.adding
    a, b = Customer.objects.get(pk=saved.pk), Customer.objects.get(pk=inserted.pk)
    skip = {"id", "phone", "created_at", "updated_at"}
    assert {f.attname: getattr(b, f.attname) for f in Customer._meta.concrete_fields if f.attname not in skip} == {
        f.attname: getattr(a, f.attname) for f in Customer._meta.concrete_fields if f.attname not in skip
    }
    assert b.id_number == number and b.created_at and b.updated_at
    assert Customer.objects.filter(id_number_index=blind_index(number)).count() == 2


def test_the_api_schema_describes_the_import(org, client_as):
    schema = client_as(org.admin).get("/api/openapi.json").json()
    assert {"/api/customers/import", "/api/customers/import/{batch_id}/confirm"} <= set(schema["paths"])
    upload = schema["paths"]["/api/customers/import"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]


def test_batches_expire(org, batch_dir, monkeypatch):
    import os
    import time

    old = _small_batch(org)
    (path,) = batch_dir.glob("*.batch")
    os.utime(path, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    _small_batch(org, "姓名,区域\n赵六,鲁中区域\n")  # a new upload sweeps what has expired
    assert not path.exists() and len(list(batch_dir.iterdir())) == 1
    with pytest.raises(imports.BatchNotFound):
        imports.load_batch(actor=org.manager_a, batch_id=old["id"])
    fresh = _small_batch(org)
    monkeypatch.setattr(imports, "BATCH_TTL", imports.dt.timedelta(seconds=-1))
    with pytest.raises(imports.BatchNotFound):
        imports.load_batch(actor=org.manager_a, batch_id=fresh["id"])
    with pytest.raises(imports.BatchNotFound):
        imports.load_batch(actor=org.manager_a, batch_id="not-a-uuid")


# --- needs preset at import ----------------------------------------------------------------------------


def _classified_csv(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    lines = ["姓名,手机,区域,工程类别,用途,规模"] + [",".join((*r[:2], "鲁中区域", *r[2:])) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def test_an_imported_classified_customer_has_its_needs_preset_with_their_reasons(org):
    from customers import method, services
    from customers.models import CustomerNeed, NeedPoint

    data = _classified_csv(
        [
            ("张大个体", "13900009711", "工程类", "租赁", "个体户"),
            ("王家工程队", "13900009712", "路桥", "自用", "工程队"),
            ("李未分类", "13900009713", "", "", "个体户"),  # incomplete: no preset
        ]
    )
    batch = imports.import_upload(actor=org.manager_a, filename="x.csv", data=data)
    assert batch["summary"]["valid"] == 3
    audit0 = AuditEntry.objects.count()
    imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    points = NeedPoint.objects.filter(company=org.company, active=True).count()
    individual = Customer.objects.get(phone="13900009711")
    team = Customer.objects.get(phone="13900009712")
    assert not CustomerNeed.objects.filter(customer__phone="13900009713").exists()
    assert CustomerNeed.objects.filter(customer__in=[individual, team]).count() == 2 * points
    # the same needs as the profile's preset (services.needs_preset on a twin classified by hand)
    twin = make_customer(org.manager_a, region=org.region_a, name="对照个体户")
    services.customer_classify(
        actor=org.manager_a, customer=twin, work_type="engineering", use="rental", scale="individual"
    )

    def needs_of(customer):
        return {
            n.need_point.code: (n.expected, n.deliverable, n.stage, n.reasons, n.state, n.source, n.state_by_id)
            for n in CustomerNeed.objects.filter(customer=customer).select_related("need_point")
        }

    imported = needs_of(individual)
    assert imported == needs_of(twin) and len(imported) == points
    config = method.config_for(org.company.pk)
    scale_rule = next(r.title for r in config.rules if any(e.dimension == "scale" for e in r.effects))
    assert imported["price"][3] == [scale_rule] and imported["price"][4:6] == ("preset", "preset")
    assert imported["price"][0] > needs_of(team)["price"][0]  # an individual is more price-sensitive
    assert imported["price"][6] == org.manager_a.pk
    # audited as the import, with what save() records
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(CustomerNeed)
    entries = AuditEntry.objects.filter(pk__gt=0, content_type=ct).order_by("id")
    mine = [e for e in entries if e.channel == Channel.IMPORT]
    assert len(mine) == 2 * points and AuditEntry.objects.filter(channel=Channel.IMPORT).count() >= 2 * points
    need = CustomerNeed.objects.select_related("need_point").get(customer=individual, need_point__code="price")
    entry = next(e for e in mine if e.object_id == str(need.pk))
    assert (entry.actor_id, entry.action, entry.object_repr) == (org.manager_a.pk, "create", str(need))
    by_save = next(
        e for e in entries if e.object_id == str(CustomerNeed.objects.get(customer=twin, need_point__code="price").pk)
    )
    assert entry.changes.keys() == by_save.changes.keys()
    assert entry.changes["customer"] == [None, individual.pk]
    assert {k: v for k, v in entry.changes.items() if k not in ("customer", "state_at")} == {
        k: v for k, v in by_save.changes.items() if k not in ("customer", "state_at")
    }
    assert AuditEntry.objects.count() > audit0


def test_presetting_at_import_costs_no_query_per_row(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers import method

    method.config_for(org.company.pk)  # the defaults installed once
    combos = [("工程类", "租赁", "个体户"), ("矿山类", "自用", "工程队"), ("路桥", "自用", "工程承建公司")]

    def queries(n: int, start: int) -> int:
        rows = [(f"客户{start + i}", f"139{start + i:08d}", *combos[i % 3]) for i in range(n)]
        batch = imports.import_upload(actor=org.manager_a, filename="x.csv", data=_classified_csv(rows))
        with CaptureQueriesContext(connection) as ctx:
            imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
        return len(ctx.captured_queries)

    assert queries(3, 1000) == queries(60, 2000)


def test_a_large_import_leaves_the_preset_to_the_worker(org, monkeypatch, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from customers.models import CustomerNeed
    from customers.tasks import preset_imported_needs

    monkeypatch.setattr(imports, "PRESET_NOW_MAX", 1)
    data = _classified_csv(
        [
            ("大客户甲", "13900009721", "工程类", "租赁", "个体户"),
            ("大客户乙", "13900009722", "矿山类", "自用", "工程队"),
        ]
    )
    batch = imports.import_upload(actor=org.manager_a, filename="x.csv", data=data)
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    imported = list(Customer.objects.filter(phone__in=["13900009721", "13900009722"]).order_by("pk"))
    assert len(imported) == 2
    assert not CustomerNeed.objects.filter(customer__in=imported).exists()  # not in the import's transaction
    queued = DBTaskResult.objects.get(task_path="customers.tasks.preset_imported_needs")
    assert queued.args_kwargs["args"] == [org.manager_a.pk, [c.pk for c in imported]]
    # the worker's run presets them, audited as the import; a second run changes nothing
    preset_imported_needs.call(org.manager_a.pk, [c.pk for c in imported])
    count = CustomerNeed.objects.filter(customer__in=imported).count()
    assert count > 0 and set(CustomerNeed.objects.filter(customer__in=imported).values_list("state", flat=True)) == {
        "preset"
    }
    assert AuditEntry.objects.filter(channel=Channel.IMPORT, content_type__model="customerneed").count() == count
    preset_imported_needs.call(org.manager_a.pk, [c.pk for c in imported])
    assert CustomerNeed.objects.filter(customer__in=imported).count() == count
