"""A manager imports a dealer's spreadsheet: upload, the preview with its row-by-row report, the
columns, the confirmation — on a desktop (the page is made for it) and on a phone."""

import io
import os
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from customers.models import Customer

from .conftest import ARTIFACTS
from .helpers import assert_fits_width, go, login_ok

pytestmark = pytest.mark.browser


def _workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["2024年客户名单"])
    ws.merge_cells("A1:E1")
    ws.append(["客户名称", "手机号（必填）", "区县", "意向等级", "负责业务员"])
    ws.append(["张　三", "１３９ ０５３１ ８００１", "历城区", "9类", ""])
    ws.append(["李四", "1390531", "历城区", "6", ""])  # invalid mobile
    ws.append([None] * 5)  # blank
    ws.append(["王五", "13905318003", "章丘区", "3", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_manager_imports_with_a_preview_and_a_report(page, demo, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    login_ok(page, "manager1")
    go(page, "import")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "客户.xlsx", "mimeType": "application/octet-stream", "buffer": _workbook()}]
    )
    page.locator("[data-testid=import-upload] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/import/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-testid=count-valid] strong")).to_have_text("2")
    expect(page.locator("[data-testid=count-errors]")).to_have_text("1")
    expect(page.locator("[data-testid=count-skipped]")).to_have_text("1")
    report = page.locator("[data-testid=import-report]")
    expect(report.locator("tr[data-row='4'][data-code=phone_invalid] td").nth(1)).to_have_text("B")
    expect(report.locator("tr[data-row='5'][data-code=blank_row]")).to_be_visible()
    assert_fits_width(page)
    if os.environ.get("SCREENSHOTS") == "1":
        size = "phone" if page.viewport_size["width"] < 900 else "desktop"
        page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{size}-import-preview.png"), full_page=True)
    assert not Customer.objects.filter(phone="13905318001").exists()  # nothing before the confirmation

    page.locator("[data-testid=import-confirm] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator(".message").first).to_contain_text("2")
    assert Customer.objects.get(phone="13905318001").name == "张三"
    assert Customer.objects.filter(phone="13905318003").exists()


def _operators() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["机手名单"])
    ws.merge_cells("A1:E1")
    ws.append(["姓名", "手机号", "年龄", "工龄", "月工资"])
    ws.append(["刘　师傅", "１３７ ０５３１ ９００１", "41岁", "15", "1.2万"])
    ws.append(["赵师傅", "1370531", "29", "3", "9000"])  # invalid mobile
    ws.append(["钱师傅", "13705319003", "200", "3", "9000"])  # age out of range
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_salesperson_imports_industry_contacts_on_a_phone(page, demo, tmp_path, settings):
    from customers.models import IndustryContact

    settings.VAR_DIR = tmp_path
    login_ok(page, "sales1")
    go(page, "contacts")
    page.locator("[data-testid=import-contacts]").click()
    expect(page).to_have_url(re.compile(r"/customers/contacts/import/$"))
    assert_fits_width(page)
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "机手.xlsx", "mimeType": "application/octet-stream", "buffer": _operators()}]
    )
    page.locator("select[name=kind]").select_option("operator")
    page.locator("[data-testid=import-upload] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/contacts/import/[0-9a-f-]{36}/$"))
    expect(page.locator("[data-testid=count-valid] strong")).to_have_text("1")
    expect(page.locator("[data-testid=count-errors]")).to_have_text("2")
    report = page.locator("[data-testid=import-report]")
    expect(report.locator("tr[data-row='4'][data-code=phone_invalid] td").nth(1)).to_have_text("B")
    expect(report.locator("tr[data-row='5'][data-code=detail_invalid] td").nth(1)).to_have_text("C")
    assert_fits_width(page)
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=str(ARTIFACTS / "screenshots" / "phone-contacts-import-preview.png"), full_page=True)
    assert not IndustryContact.objects.filter(phone="13705319001").exists()  # nothing before the confirmation

    page.locator("[data-testid=import-confirm] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/contacts/$"))
    expect(page.locator(".message").first).to_contain_text("1")
    liu = IndustryContact.objects.get(phone="13705319001")
    assert (liu.name, liu.kind, liu.owner.username) == ("刘师傅", "operator", "sales1")
    assert liu.details == {"age": 41, "years": 15, "wage": "12000.00"}
