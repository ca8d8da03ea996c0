"""Excel / CSV import of grade-0 industry contacts (customers/imports_contacts.py, the pages, the API).

The main fixture is a messy list as a dealer keeps it: a merged title, a kind column mixing
operators and parts shops, detail columns of both kinds and the export's details column, full-width
digits, stray spaces, blank, merged and repeated-heading rows, invalid mobiles, unknown kinds,
values out of range, duplicates in the file and in the database (one the manager may not see),
regions the manager does not cover. Its report is asserted row by row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import Workbook, load_workbook

from core import audit
from core.models import AuditEntry, Channel
from customers import imports, imports_contacts, intel
from customers.domain import contact_import as ci
from customers.domain import contacts as schema
from customers.domain import importing as imp
from customers.models import IndustryContact

HEADINGS = [
    "序号",  # A ignored
    "类别",  # B
    "名称",  # C
    "手机号（必填）",  # D
    "区域",  # E
    "市",  # F
    "区县",  # G
    "口碑",  # H
    "年龄",  # I  operators
    "月工资（元）",  # J  operators
    "配件品牌",  # K  parts shops
    "详细信息",  # L  the export's details column
    "备注",  # M
    "座机",  # N ignored
]
FIRST_ROW = 3  # row 1 title (merged), row 2 headings
ROWS = 40


def row_of(i: int) -> int:
    return FIRST_ROW + i


def base_row(i: int) -> list:
    operator = i % 2 == 0
    return [
        i + 1,
        "挖机手" if operator else "配件店",
        f"临沂联系人{i}",
        f"137{i:08d}",
        "鲁中区域",
        "临沂市",
        "兰山区",
        "",
        str(25 + i % 30) if operator else "",
        "9000" if operator else "",
        "" if operator else "三一、卡特",
        "",
        "",
        "0539-8888666",
    ]


@dataclass
class Messy:
    data: bytes
    expected: set[tuple[int, str, str, str]]  # (row, column letter or "", code, level)
    valid_rows: list[int]
    flagged_rows: set[int]
    rows: dict[int, list] = field(default_factory=dict)


VISIBLE_DUP = "13600000011"
HIDDEN_DUP = "13600000012"


def existing_contacts(org):
    """A contact of region A (the manager sees it) and one of region B (the manager does not)."""
    seen = intel.contact_create(
        actor=org.sales_a1, kind="operator", name="老李机手", region_id=org.region_a.pk, phone=VISIBLE_DUP
    )
    hidden = intel.contact_create(
        actor=org.sales_b1, kind="repair_shop", name="临沂南维修厂", region_id=org.region_b.pk, phone=HIDDEN_DUP
    )
    return seen, hidden


def messy_workbook(org) -> Messy:
    existing_contacts(org)
    expected: set[tuple[int, str, str, str]] = set()
    rows: dict[int, list] = {}
    errors, skipped, flagged = set(), set(), set()

    def err(i, col, code):
        expected.add((row_of(i), col, code, "error"))
        errors.add(i)

    def warn(i, col, code, flag=False):
        expected.add((row_of(i), col, code, "warning"))
        if flag:
            flagged.add(i)

    def skip(i, code):
        expected.add((row_of(i), "", code, "skipped"))
        skipped.add(i)

    merges = ["A1:N1"]
    for i in range(ROWS):
        r = base_row(i)
        if i == 2:  # full-width digits, spaces in the name and around the number: fine
            r[2] = " 老\u3000王 "
            r[3] = " １３７ ００００ ０００２\u00a0"
        elif i == 3:
            r[3] = "1370000"
            err(i, "D", "phone_invalid")
        elif i == 4:
            r[1] = "飞机"
            err(i, "B", "kind_unknown")
        elif i == 5:
            r = [None] * len(HEADINGS)
            skip(i, imp.Skip.BLANK)
        elif i == 6:
            r = ["兰山区"] + [None] * (len(HEADINGS) - 1)
            merges.append(f"A{row_of(i)}:N{row_of(i)}")
            skip(i, imp.Skip.MERGED)
        elif i == 7:  # an operator's age out of range
            r[1], r[8], r[9], r[10] = "挖机手", "200", "9000", ""
            err(i, "I", "detail_invalid")
        elif i == 8:
            r[8] = "35岁"
        elif i == 9:
            r[1], r[8], r[9], r[10] = "挖机手", "", "1.2万", ""
        elif i == 10:
            r[3] = rows[row_of(9)][3]
            warn(i, "D", "phone_dup_file", flag=True)
        elif i == 11:
            r[3] = VISIBLE_DUP
            warn(i, "D", "contact_dup_db", flag=True)
        elif i == 12:
            r[3] = HIDDEN_DUP
            warn(i, "D", "contact_dup_db_hidden", flag=True)
        elif i == 13:
            r[4] = "鲁南区域"
            err(i, "E", "region_not_covered")
        elif i == 14:
            r[4] = "火星区域"
            err(i, "E", "region_unknown")
        elif i == 15:
            r[1] = ""
            err(i, "B", "kind_missing")
        elif i == 16:
            r[2] = ""
            err(i, "C", "rule")
        elif i == 17:  # a parts shop has no age
            r[8] = "40"
            warn(i, "I", "detail_not_for_kind")
        elif i == 19:  # the export's details column, of a parts shop
            r[11] = "联系人：李四；主营配件：滤芯；液压件；员工人数：5"
        elif i == 20:
            r[11] = "年龄：33；颜色：红"  # an operator: the age is read, "颜色" is no field
            r[8] = ""
            warn(i, "L", "details_unknown")
        elif i == 21:
            r = list(HEADINGS)
            skip(i, imp.Skip.HEADING)
        elif i == 22:
            r[3] = f"{r[3]}/13900000022"
            warn(i, "D", "phone_extra")
        elif i == 23:
            r[7] = "好" * 201
            err(i, "H", "rule")
        elif i == 24:
            r[9] = "面议"
            err(i, "J", "detail_invalid")
        elif i == 25:
            r[1] = "Parts shop (配件店)"
        elif i == 26:
            r[12] = "第一行\n第二行"
        rows[row_of(i)] = r

    wb = Workbook()
    ws = wb.active
    ws.title = "行业联系人"
    ws.append(["2024年行业联系人名单"])
    ws.append(HEADINGS)
    for n in range(FIRST_ROW, FIRST_ROW + ROWS):
        ws.append(rows[n])
    for ref in merges:
        ws.merge_cells(ref)
    ws.append([None] * 3)  # a trailing blank row: not reported
    buf = io.BytesIO()
    wb.save(buf)
    valid = [row_of(i) for i in range(ROWS) if i not in errors and i not in skipped]
    return Messy(buf.getvalue(), expected, valid, {row_of(i) for i in flagged}, rows)


@pytest.fixture(autouse=True)
def batch_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


def report_set(batch) -> set[tuple[int, str, str, str]]:
    return {(i["row"], imp.Issue.from_dict(i).column_letter, i["code"], i["level"]) for i in batch["issues"]}


def counts() -> tuple[int, int]:
    return IndustryContact.objects.count(), AuditEntry.objects.count()


def upload(user, data: bytes, filename="x.xlsx", **kw):
    return imports_contacts.import_upload(actor=user, filename=filename, data=data, **kw)


def sheet(*rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the messy list ------------------------------------------------------------------------------------


def test_the_messy_list_gets_the_exact_report_and_nothing_is_written(org):
    messy = messy_workbook(org)
    before = counts()
    batch = upload(org.manager_a, messy.data)
    assert counts() == before
    assert batch["header_row"] == 2 and batch["sheet"] == "行业联系人"
    assert batch["mapping"] == [
        "",
        "kind",
        "name",
        "phone",
        "region",
        "city",
        "district",
        "reputation",
        "details.age",
        "details.wage",
        "details.brands",
        "details",
        "note",
        "",
    ]
    assert report_set(batch) == messy.expected
    assert batch["valid_rows"] == messy.valid_rows
    assert batch["summary"] == {"rows": 37, "valid": 28, "errors": 9, "warnings": 6, "flagged": 3, "skipped": 3}
    assert batch["inferred_kind"] == ""  # columns of two kinds: the kind column decides


def test_the_report_names_row_column_and_reason_in_the_readers_language(org):
    messy = messy_workbook(org)
    with translation.override("en"):
        batch = upload(org.manager_a, messy.data)
        by_row = {(r["row"], r["code"]): r for r in imports_contacts.issue_rows(batch)}
    assert by_row[(row_of(3), "phone_invalid")]["message"] == "“1370000” is not a valid mainland mobile number."
    assert by_row[(row_of(3), "phone_invalid")]["heading"] == "手机号（必填）"
    assert by_row[(row_of(4), "kind_unknown")]["message"].startswith("“飞机” is not a kind of industry contact")
    assert by_row[(row_of(7), "detail_invalid")]["message"] == "“200”: Enter a whole number from 16 to 80."
    assert by_row[(row_of(24), "detail_invalid")]["message"].startswith("“面议”: Enter an amount in yuan")
    assert by_row[(row_of(10), "phone_dup_file")]["message"] == f"The same mobile number as row {row_of(9)}."
    assert by_row[(row_of(11), "contact_dup_db")]["message"] == (
        "Industry contact “老李机手” already has this mobile number."
    )
    assert "临沂南" not in by_row[(row_of(12), "contact_dup_db_hidden")]["message"]
    assert by_row[(row_of(13), "region_not_covered")]["message"] == "You do not cover the region “鲁南区域”."
    assert by_row[(row_of(15), "kind_missing")]["message"].startswith("No kind")
    assert by_row[(row_of(16), "rule")]["message"] == "This field is required."
    assert by_row[(row_of(17), "detail_not_for_kind")]["message"] == (
        "“年龄” is not recorded for the kind Parts shop (配件店): “40” is left out."
    )
    assert by_row[(row_of(20), "details_unknown")]["message"] == (
        "“颜色：红” is not a detail of the kind Excavator operator (挖机手): left out."
    )
    assert by_row[(row_of(23), "rule")]["message"] == "At most 200 characters."
    assert by_row[(row_of(6), imp.Skip.MERGED)]["column"] == ""
    with translation.override("zh-hans"):
        zh = imports_contacts.issue_rows(batch)
    assert all(r["message"] for r in zh)


def test_the_reasons_are_translatable():
    from django.utils.functional import Promise

    assert all(isinstance(m, Promise) for code, m in imports_contacts.MESSAGES.items() if code != "rule")


def test_confirm_writes_the_valid_rows_cleaned_owned_by_the_importer_and_audited(org):
    messy = messy_workbook(org)
    batch = upload(org.manager_a, messy.data)
    contacts0, audit0 = counts()
    result = imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert (result.created, result.left_out) == (28, 37 - 28)
    new = IndustryContact.objects.filter(owner=org.manager_a)
    assert new.count() == 28 == IndustryContact.objects.count() - contacts0
    assert set(new.values_list("owner_id", flat=True)) == {org.manager_a.pk}
    assert set(new.values_list("region_id", flat=True)) == {org.region_a.pk}
    wang = new.get(phone="13700000002")
    assert (wang.name, wang.kind, wang.details, wang.city, wang.district) == (
        "老王",
        "operator",
        {"age": 27, "wage": "9000.00"},
        "临沂市",
        "兰山区",
    )
    assert new.get(name="临沂联系人8").details == {"age": 35, "wage": "9000.00"}
    assert new.get(name="临沂联系人9").details == {"wage": "12000.00"}
    assert new.get(name="临沂联系人1").details == {"brands": ["三一", "卡特"]}
    assert new.get(name="临沂联系人17").details == {"brands": ["三一", "卡特"]}  # the age is left out
    assert new.get(name="临沂联系人19").details == {
        "contact_person": "李四",
        "main_parts": ["滤芯", "液压件"],
        "staff": 5,
        "brands": ["三一", "卡特"],
    }
    assert new.get(name="临沂联系人20").details == {"age": 33, "wage": "9000.00"}
    assert new.get(name="临沂联系人22").phone == "13700000022"  # the second number is left out
    assert new.get(name="临沂联系人25").kind == "parts_shop"
    assert new.get(name="临沂联系人26").note == "第一行\n第二行"
    assert new.filter(phone=VISIBLE_DUP).count() == 1  # flagged rows are imported unless left out
    entries = AuditEntry.objects.order_by("-id")[:28]
    assert AuditEntry.objects.count() - audit0 == 28
    assert {(e.channel, e.actor_id, e.action) for e in entries} == {(Channel.IMPORT, org.manager_a.pk, "create")}
    assert {e.object_id for e in entries} == {str(pk) for pk in new.values_list("pk", flat=True)}
    with pytest.raises(imports_contacts.BatchNotFound):
        imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])


def test_leaving_out_the_possible_duplicates(org):
    messy = messy_workbook(org)
    batch = upload(org.manager_a, messy.data)
    result = imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"], skip_flagged=True)
    assert (result.created, result.left_out) == (25, 12)
    assert not IndustryContact.objects.filter(owner=org.manager_a, phone__in=[VISIBLE_DUP, HIDDEN_DUP]).exists()


def test_a_failure_midway_leaves_nothing_and_the_batch_can_be_confirmed_again(org, monkeypatch):
    messy = messy_workbook(org)
    batch = upload(org.manager_a, messy.data)
    before = counts()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "log_bulk", broken)
    with pytest.raises(RuntimeError):
        imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert counts() == before
    monkeypatch.undo()
    assert imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"]).created == 28


def test_a_mobile_taken_after_the_preview_is_shown_before_anything_is_written(org):
    data = sheet(["类别", "名称", "手机"], ["挖机手", "老王", "13700009001"])
    batch = upload(org.manager_a, data, default_region_id=org.region_a.pk)
    assert batch["summary"]["flagged"] == 0 and batch["summary"]["valid"] == 1
    intel.contact_create(
        actor=org.sales_a1, kind="operator", name="王师傅", region_id=org.region_a.pk, phone="13700009001"
    )
    with pytest.raises(imports_contacts.PreviewChanged):
        imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert IndustryContact.objects.filter(phone="13700009001").count() == 1
    fresh = imports_contacts.load_batch(actor=org.manager_a, batch_id=batch["id"])
    assert [i["code"] for i in fresh["issues"]] == ["contact_dup_db"] and fresh["summary"]["flagged"] == 1
    assert imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"]).created == 1


def test_a_region_no_longer_covered_stops_the_confirmation(org):
    batch = upload(org.manager_a, sheet(["类别", "名称"], ["挖机手", "老王"]), default_region_id=org.region_a.pk)
    org.manager_a.regions.set([org.region_b])
    manager = type(org.manager_a).objects.get(pk=org.manager_a.pk)
    with pytest.raises(imports_contacts.PreviewChanged):
        imports_contacts.import_confirm(actor=manager, batch_id=batch["id"])
    assert not IndustryContact.objects.filter(name="老王").exists()
    fresh = imports_contacts.load_batch(actor=manager, batch_id=batch["id"])
    assert fresh["summary"]["valid"] == 0


# --- the kind ------------------------------------------------------------------------------------------


def test_one_kind_for_the_whole_sheet_chosen_on_upload(org):
    data = sheet(
        ["名称", "手机", "联系人", "维修工人数", "维修品牌", "服务项目"],
        ["老李维修", "13700009101", "李工", "6人", "三一；徐工", "液压、发动机"],
    )
    batch = upload(org.manager_a, data, kind="repair_shop", default_region_id=org.region_a.pk)
    assert batch["summary"]["valid"] == 1, batch["issues"]
    imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    shop = IndustryContact.objects.get(phone="13700009101")
    assert (shop.kind, shop.details) == (
        "repair_shop",
        {"contact_person": "李工", "mechanics": 6, "brands": ["三一", "徐工"], "services": ["液压", "发动机"]},
    )


def test_the_headings_reveal_the_kind_and_the_kind_column_fills_in(org):
    data = sheet(
        ["类别", "姓名", "电话", "年龄", "工龄", "擅长机型", "老家"],
        ["", "刘师傅", "13700009201", "41", "15年", "60级\n200级", "临沂：费县"],
        ["挖机手", "赵师傅", "13700009202", "29", "3", "", ""],
    )
    batch = upload(org.manager_a, data, default_region_id=org.region_a.pk)
    assert batch["inferred_kind"] == "operator" and batch["summary"]["valid"] == 2, batch["issues"]
    imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    liu = IndustryContact.objects.get(phone="13700009201")
    assert liu.kind == "operator"
    assert liu.details == {"age": 41, "home": "临沂：费县", "years": 15, "machine_types": ["60级", "200级"]}


def test_a_heading_shared_by_two_kinds_is_read_with_the_rows_kind(org):
    # "现有设备" is a contractor's number of machines and a machinery owner's list of machines
    data = sheet(
        ["类别", "名称", "现有设备"],
        ["工程承包商", "鑫达工程", "12台"],
        ["非挖机设备老板", "装载机老张", "装载机、压路机"],
    )
    batch = upload(org.manager_a, data, default_region_id=org.region_a.pk)
    assert batch["summary"]["valid"] == 2, batch["issues"]
    imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert IndustryContact.objects.get(name="鑫达工程").details == {"machines": 12}
    assert IndustryContact.objects.get(name="装载机老张").details == {"machine_types": ["装载机", "压路机"]}


def test_the_kind_can_be_chosen_after_the_upload(org):
    batch = upload(org.manager_a, sheet(["名称", "手机"], ["老王", "13700009301"]), default_region_id=org.region_a.pk)
    assert [i["code"] for i in batch["issues"]] == ["kind_missing"]
    batch = imports_contacts.import_remap(
        actor=org.manager_a, batch_id=batch["id"], mapping={}, kind="flatbed", default_region_id=org.region_a.pk
    )
    assert batch["summary"]["valid"] == 1 and batch["contact_kind"] == "flatbed"
    with pytest.raises(ValidationError) as exc:
        imports_contacts.import_remap(
            actor=org.manager_a, batch_id=batch["id"], mapping={}, kind="pilot", default_region_id=None
        )
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError):
        upload(org.manager_a, sheet(["名称"], ["老王"]), kind="pilot")


def test_wrong_columns_are_named_and_can_be_mapped_by_hand(org):
    data = sheet(["单位", "号码"], ["临沂配件城", "13700009401"])
    batch = upload(org.manager_a, data, kind="parts_shop", default_region_id=org.region_a.pk)
    assert batch["mapping_problems"] == [{"code": "missing", "field": "name", "columns": []}]
    with pytest.raises(ValidationError):
        imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    with pytest.raises(ValidationError):
        imports_contacts.import_remap(
            actor=org.manager_a, batch_id=batch["id"], mapping={0: "salary"}, default_region_id=None
        )
    batch = imports_contacts.import_remap(
        actor=org.manager_a, batch_id=batch["id"], mapping={0: "name", 1: "phone"}, default_region_id=org.region_a.pk
    )
    assert batch["mapping_problems"] == [] and batch["summary"]["valid"] == 1
    assert imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"]).created == 1


def test_a_gbk_csv_and_a_region_column_without_the_suffix(org):
    text = "类别,名称,手机,区域,备注\n平板车物流,临沂顺达物流,１３７００００９５０１,鲁中,常跑济南\n"
    batch = upload(org.manager_a, text.encode("gbk"), filename="平板车.csv")
    assert batch["sheet"] == "GBK" and batch["summary"]["valid"] == 1, batch["issues"]
    imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    c = IndustryContact.objects.get(phone="13700009501")
    assert (c.kind, c.name, c.region_id, c.note) == ("flatbed", "临沂顺达物流", org.region_a.pk, "常跑济南")


def test_files_we_cannot_read_get_a_clear_message(org):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        upload(org.manager_a, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", filename="old.xls")
    assert ".xls" in exc.value.message_dict["file"][0]


# --- who may import ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["finance", "service"])
def test_finance_and_service_cannot_import(org, who, client_as, api_as):
    user = getattr(org, who)
    assert not imports_contacts.may_import(user)
    with pytest.raises(PermissionError):
        upload(user, sheet(["类别", "名称"], ["挖机手", "老王"]))
    assert client_as(user).get("/customers/contacts/import/").status_code == 403
    assert client_as(user).get("/customers/contacts/import/template.xlsx").status_code == 403
    response = api_as(user).client.post(
        "/api/contacts/import",
        {"file": _upload("x.csv", "类别,名称\n挖机手,老王\n".encode())},
        headers=api_as(user).headers,
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert not IndustryContact.objects.filter(name="老王").exists()


def test_a_salesperson_imports_into_the_regions_they_cover_and_owns_the_contacts(org):
    _seen, hidden = existing_contacts(org)
    with pytest.raises(ValidationError) as exc:
        upload(org.sales_a1, sheet(["类别", "名称"], ["挖机手", "老王"]), default_region_id=org.region_b.pk)
    assert "region" in exc.value.message_dict
    data = sheet(
        ["类别", "名称", "手机", "区域"],
        ["挖机手", "老王", "13700009601", ""],
        ["挖机手", "老赵", "13700009602", "鲁南区域"],
        ["维修厂", "小李维修", HIDDEN_DUP, ""],
    )
    with translation.override("en"):
        batch = upload(org.sales_a1, data, default_region_id=org.region_a.pk)
        by_row = {r["row"]: r for r in imports_contacts.issue_rows(batch)}
    assert by_row[3]["code"] == "region_not_covered"
    assert by_row[4]["code"] == "contact_dup_db_hidden" and hidden.name not in by_row[4]["message"]
    result = imports_contacts.import_confirm(actor=org.sales_a1, batch_id=batch["id"])
    assert result.created == 2
    mine = IndustryContact.objects.filter(phone__in=["13700009601", HIDDEN_DUP], owner=org.sales_a1)
    assert mine.count() == 2 and {c.region_id for c in mine} == {org.region_a.pk}
    # what they imported is theirs to change
    from core.visibility import Action, can

    assert all(can(org.sales_a1, c, Action.CHANGE) for c in mine)


def test_a_manager_may_write_only_the_regions_they_cover(org):
    data = sheet(["类别", "名称", "区域"], ["挖机手", "老王", "鲁中区域"], ["挖机手", "老赵", "鲁南区域"])
    batch = upload(org.manager_b, data)
    assert report_set(batch) == {(2, "C", "region_not_covered", "error")}
    admin = upload(org.admin, data)
    assert admin["summary"]["valid"] == 2


def test_a_batch_belongs_to_its_user_and_its_import(org):
    batch = upload(org.manager_a, sheet(["类别", "名称"], ["挖机手", "老王"]))
    with pytest.raises(imports_contacts.BatchNotFound):
        imports_contacts.load_batch(actor=org.admin, batch_id=batch["id"])
    with pytest.raises(imports.BatchNotFound):  # not a batch of customers
        imports.load_batch(actor=org.manager_a, batch_id=batch["id"])
    with pytest.raises(imports.BatchNotFound):
        imports.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    customers = imports.import_upload(actor=org.manager_a, filename="x.csv", data="姓名,区域\n张三,鲁中区域\n".encode())
    with pytest.raises(imports_contacts.BatchNotFound):
        imports_contacts.import_confirm(actor=org.manager_a, batch_id=customers["id"])


def test_the_stored_batch_is_encrypted(org, batch_dir):
    upload(org.manager_a, sheet(["类别", "名称", "手机"], ["挖机手", "老王机手", "13700009701"]))
    (path,) = batch_dir.glob("*.batch")
    raw = path.read_bytes()
    assert b"13700009701" not in raw and "老王机手".encode() not in raw


# --- the export reads back, the templates ---------------------------------------------------------------


def every_kind_of_contact(org) -> None:
    """One contact of every kind with every detail filled in (text, numbers, money, lists)."""
    values = {
        schema.FieldType.TEXT: "甲：乙；丙",  # the export's separators inside a text
        schema.FieldType.INT: None,
        schema.FieldType.MONEY: "12000.50",
        schema.FieldType.LIST: ["济南绕城高速、市政道路", "SANY SY75 2019 5000 h 28万"],
    }
    for n, kind in enumerate(IndustryContact.Kind.values):
        details = {
            s.name: (s.min + 1 if s.type == schema.FieldType.INT else values[s.type]) for s in schema.fields_of(kind)
        }
        intel.contact_create(
            actor=org.manager_a,
            kind=kind,
            name=f"联系人{kind}",
            region_id=org.region_a.pk,
            phone=f"1370001{n:04d}",
            province="山东省",
            city="临沂市",
            district="兰山区",
            address="工业大道 18 号",
            reputation="手艺好；人实在",
            note="第一行\n第二行",
            details=details,
        )


FIELDS = ("kind", "name", "phone", "province", "city", "district", "address", "reputation", "note", "details", "region")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_exported_list_imports_as_the_same_contacts(org, client_as, language):
    every_kind_of_contact(org)
    before = list(IndustryContact.objects.order_by("kind").values(*FIELDS))
    exported = client_as(org.manager_a).get("/customers/contacts/export.xlsx", headers={"accept-language": language})
    assert exported.status_code == 200
    IndustryContact.objects.all().delete()
    with translation.override(language):
        batch = upload(org.manager_a, exported.content)
    assert batch["issues"] == [] and batch["summary"]["valid"] == len(before)
    imports_contacts.import_confirm(actor=org.manager_a, batch_id=batch["id"])
    assert list(IndustryContact.objects.order_by("kind").values(*FIELDS)) == before


def test_an_exported_list_imported_again_is_flagged_as_duplicates(org, client_as):
    every_kind_of_contact(org)
    exported = client_as(org.admin).get("/customers/contacts/export.xlsx").content
    batch = upload(org.admin, exported)
    assert batch["summary"]["flagged"] == batch["summary"]["valid"] == 7
    assert {i["code"] for i in batch["issues"]} == {"contact_dup_db"}


@pytest.mark.parametrize("kind", ["", *IndustryContact.Kind.values])
def test_the_template_of_each_kind_reads_back(org, client_as, kind):
    response = client_as(org.sales_a1).get(f"/customers/contacts/import/template.xlsx?kind={kind}")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    headings = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    assert imports_contacts.columns_for(kind).columns.guess(headings) == imports_contacts.template_fields(kind)
    cc = imports_contacts.columns_for()  # no kind chosen: the detail headings reveal it
    assert cc.infer_kind(headings, cc.columns.guess(headings)) == kind
    notes = list(wb.worksheets[1].iter_rows(values_only=True))
    assert [r[0] for r in notes[1:]] == headings
    # filled in (the kind cell left blank) and uploaded without choosing the kind: one contact of the kind
    example = {schema.FieldType.TEXT: "x", schema.FieldType.MONEY: "¥3,500", schema.FieldType.LIST: "甲、乙"}
    specs = {ci.detail_target(s.name): s for s in schema.fields_of(kind)}
    row = []
    for f in imports_contacts.template_fields(kind):
        spec = specs.get(f)
        if spec is not None:
            row.append(str(spec.min + 1) if spec.type == schema.FieldType.INT else example[spec.type])
        else:
            row.append({"kind": "" if kind else "挖机手", "name": "老王", "phone": "13700009901"}.get(f, ""))
    wb.worksheets[0].append(row)
    buf = io.BytesIO()
    wb.save(buf)
    batch = upload(org.sales_a1, buf.getvalue(), default_region_id=org.region_a.pk)
    assert batch["issues"] == [] and batch["summary"]["valid"] == 1
    imports_contacts.import_confirm(actor=org.sales_a1, batch_id=batch["id"])
    contact = IndustryContact.objects.get(phone="13700009901")
    assert contact.kind == (kind or "operator") and len(contact.details) == len(
        schema.fields_of(contact.kind) if kind else []
    )


# --- the pages -----------------------------------------------------------------------------------------


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_pages_upload_preview_map_and_confirm(org, client_as):
    client = client_as(org.manager_a)
    start = client.get("/customers/contacts/import/?kind=operator")
    html = start.content.decode()
    assert start.status_code == 200 and 'value="operator" selected' in html
    assert "template.xlsx?kind=repair_shop" in html
    assert "/customers/contacts/import/" in client.get("/customers/import/").content.decode()
    messy = messy_workbook(org)
    response = client.post("/customers/contacts/import/", {"file": _upload("联系人.xlsx", messy.data)})
    assert response.status_code == 302
    preview_url = response["Location"]
    assert preview_url.startswith("/customers/contacts/import/")
    page = client.get(preview_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="count-valid"><strong>28</strong>' in html
    assert html.count('class="issue ') == len(messy.expected)
    assert 'value="details.age" selected' in html
    errors = client.get(preview_url + "?level=error", headers={"HX-Request": "true"}).content.decode()
    assert errors.strip().startswith('<div id="report">') and errors.count('class="issue error"') == 9
    report = client.get(preview_url + "report.xlsx")
    rows = list(load_workbook(io.BytesIO(report.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + len(messy.expected)
    # one kind for the sheet fills the blank kind cell of row 15
    response = client.post(preview_url + "columns/", {"kind": "operator", "col-13": ""})
    assert response.status_code == 302
    assert 'data-testid="count-valid"><strong>29</strong>' in client.get(preview_url).content.decode()
    assert not IndustryContact.objects.filter(owner=org.manager_a).exists()
    response = client.post(preview_url + "confirm/", {"skip_flagged": "1"})
    assert response.status_code == 302 and response["Location"] == "/customers/contacts/"
    assert IndustryContact.objects.filter(owner=org.manager_a).count() == 29 - 3
    assert client.get(preview_url).status_code == 404


def test_the_upload_page_names_the_problem_with_the_file(org, client_as):
    response = client_as(org.manager_a).post(
        "/customers/contacts/import/",
        {"file": _upload("old.xls", b"\xd0\xcf\x11\xe0")},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422 and ".xls" in response.content.decode()


def test_cancel_removes_the_batch(org, client_as, batch_dir):
    client = client_as(org.sales_a1)
    batch = upload(org.sales_a1, sheet(["类别", "名称"], ["挖机手", "老王"]))
    assert client.post(f"/customers/contacts/import/{batch['id']}/cancel/").status_code == 302
    assert not list(batch_dir.glob("*"))


@pytest.mark.parametrize(
    ("who", "link"), [("manager_a", True), ("sales_a1", True), ("service", False), ("admin", True)]
)
def test_the_contacts_list_links_to_the_import(org, client_as, who, link):
    html = client_as(getattr(org, who)).get("/customers/contacts/").content.decode()
    assert ('data-testid="import-contacts"' in html) is link
    assert 'data-testid="export-contacts"' in html


# --- the API -------------------------------------------------------------------------------------------


def test_the_api_uploads_reports_maps_and_confirms(org, api_as):
    api = api_as(org.manager_a)
    messy = messy_workbook(org)
    response = api.client.post("/api/contacts/import", {"file": _upload("x.xlsx", messy.data)}, headers=api.headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"]["valid"] == 28 and body["issues"]["count"] == len(messy.expected)
    assert body["kind"] is None and body["inferred_kind"] is None
    assert body["columns"][8] == {"column": "I", "heading": "年龄", "field": "details.age"}
    listed = api.get(f"/api/contacts/import/{body['id']}/issues?level=error&limit=200").json()
    assert listed["count"] == 9
    first = listed["items"][0]
    assert (first["row"], first["column"], first["code"]) == (row_of(3), "D", "phone_invalid")
    assert api.get(f"/api/contacts/import/{body['id']}/issues?levle=error").status_code == 400
    bad = api.post(f"/api/contacts/import/{body['id']}/columns", {"columns": {"Z": "name", "A": "salary"}})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"Z", "A"}
    wrong_kind = api.post(f"/api/contacts/import/{body['id']}/columns", {"kind": "pilot"})
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.json()["error"]["fields"]
    mapped = api.post(f"/api/contacts/import/{body['id']}/columns", {"kind": "operator"})
    assert mapped.status_code == 200 and mapped.json()["kind"] == "operator"
    assert mapped.json()["summary"]["valid"] == 29
    assert not IndustryContact.objects.filter(owner=org.manager_a).exists()
    confirmed = api.post(f"/api/contacts/import/{body['id']}/confirm?skip_flagged=true")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json() == {"created": 26, "left_out": 37 - 26}
    assert api.post(f"/api/contacts/import/{body['id']}/confirm").status_code == 404


def test_the_api_refuses_what_is_not_the_users(org, api_as):
    api = api_as(org.manager_a)
    body = api.client.post(
        "/api/contacts/import",
        {
            "file": _upload("x.csv", "名称,手机\n老王,13700009801\n".encode()),
            "kind": "operator",
            "region": org.region_a.pk,
        },
        headers=api.headers,
    ).json()
    assert body["kind"] == "operator" and body["default_region"] == org.region_a.pk
    other = api_as(org.admin)
    assert other.get(f"/api/contacts/import/{body['id']}").json()["error"]["code"] == "not_found"
    assert api.get(f"/api/customers/import/{body['id']}").status_code == 404  # a batch of contacts
    wrong_region = api.client.post(
        "/api/contacts/import",
        {"file": _upload("x.csv", "名称\n老王\n".encode()), "region": org.region_b.pk},
        headers=api.headers,
    )
    assert wrong_region.status_code == 422 and "region" in wrong_region.json()["error"]["fields"]
    stale_phone = "13700009801"
    intel.contact_create(
        actor=org.manager_a, kind="operator", name="老王", region_id=org.region_a.pk, phone=stale_phone
    )
    stale = api.post(f"/api/contacts/import/{body['id']}/confirm")
    assert stale.status_code == 422 and stale.json()["error"]["code"] == "invalid"


def test_the_api_schema_describes_the_contacts_import(org, client_as):
    schema_ = client_as(org.admin).get("/api/openapi.json").json()
    assert {"/api/contacts/import", "/api/contacts/import/{batch_id}/confirm"} <= set(schema_["paths"])


def test_the_domain_reads_the_details_column():
    cc = ci.ContactColumns()
    found, unknown = ci.split_details(
        "前言；年龄：35；颜色：红；擅长机型：60级；200级；老家：临沂：费县", cc.details_labels("operator"), "operator"
    )
    assert found == [("age", ["35"]), ("machine_types", ["60级", "200级"]), ("home", ["临沂：费县"])]
    assert unknown == ["前言", "颜色：红"]
    assert ci.list_items("三一、卡特；徐工\n柳工") == ["三一", "卡特", "徐工", "柳工"]
    assert cc.parse_kind("Used-machinery trader (二手市场)") == "used_trader"
    with pytest.raises(imp.BadValue):
        cc.parse_kind("飞机")


def test_log_bulk_rows_writes_what_log_bulk_writes(org):
    from core import bulk

    contact = IndustryContact(
        company=org.company, region=org.region_a, owner=org.manager_a, kind="operator", name="老王", details={"age": 30}
    )
    bulk.bulk_insert(IndustryContact, [contact])
    with audit.acting(org.manager_a, Channel.IMPORT):
        audit.log_bulk(IndustryContact, [contact], AuditEntry.Action.CREATE)
        row = (contact.company_id, contact.pk, str(contact), audit.created_changes(contact))
        audit.log_bulk_rows(IndustryContact, [row], AuditEntry.Action.CREATE)
    by_rows, by_objects = AuditEntry.objects.order_by("-id")[:2]
    fields = ("company_id", "actor_id", "channel", "action", "content_type_id", "object_id", "object_repr", "changes")
    assert [getattr(by_rows, f) for f in fields] == [getattr(by_objects, f) for f in fields]
    assert by_rows.changes["name"] == [None, "老王"] and "details" in by_rows.changes
