"""Customer cognition (客户认知) in the browser: the living profile on a phone (classify, the preset
needs and why, verify, revise, grade with a reason, a family member), the public pool's nightly job
with its warning, return and a claim on a phone, and a manager's Excel import of a messy list."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from core.models import Todo, User
from customers import pool, rules
from customers.domain import pool as pool_domain
from customers.domain import sensitivity as sens
from customers.method import DEFAULT_POOL_RULES
from customers.models import Customer, CustomerNeed, PoolEvent, Relation, StatusChange

from .helpers import ZH, assert_fits_width, exact, go, login_ok, t

pytestmark = pytest.mark.browser

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# The deck's worked example (预设模型举例): its title is the reason shown under "Why this preset".
WORKED_EXAMPLE = next(x for x in sens.DEFAULT_TEMPLATES if x.code == "individual_short_of_money")


def free_mobile(prefix: str, skip: set[str] = frozenset()) -> str:
    used = set(Customer.objects.values_list("phone", flat=True)) | set(skip)
    return next(m for m in (f"{prefix}{n:04d}" for n in range(10_000)) if m not in used)


def ime(mobile: str) -> str:
    """The mobile number as a Chinese IME types it: full-width digits, grouped 3-4-4."""
    return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}".translate(FULL_WIDTH)


def message(page, text: str):
    expect(page.locator(".message").filter(has_text=text)).to_be_visible()


# --- 1. the living profile --------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_salesperson_builds_the_living_profile(page):
    user = User.objects.get(username="sales1")
    name = "鲍永庆"
    assert not Customer.objects.filter(name=name).exists()
    mobile = free_mobile("1380539")
    wife_mobile = free_mobile("1390539", {mobile})

    # Create the customer, typing the mobile with full-width digits.
    login_ok(page, user.username)
    go(page, "customers")
    page.locator("a.btn", has_text=t("New")).click()
    expect(page.locator("h1")).to_have_text(exact(t("New customer")))
    page.locator("[name=name]").fill(name)
    page.locator("[name=phone]").fill(ime(mobile))
    page.locator("[name=grade]").select_option("3")
    page.locator("[name=region]").select_option(str(user.regions.get().pk))
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name=name)
    assert customer.phone == mobile and customer.owner == user
    detail = f"/customers/{customer.pk}/"
    expect(page.locator(f'dl.facts a[href="tel:{mobile}"]')).to_have_text(mobile)
    expect(page.locator("[data-testid=readiness]")).to_contain_text(t("Classify the customer to preset the needs."))
    assert_fits_width(page)

    # Classify: an individual with little experience, little capital, weak at winning projects.
    page.locator("#classification a.btn", has_text=exact(t("Classify"))).click()
    expect(page).to_have_url(re.compile(rf"{detail}classify/$"))
    expect(page.locator("h1")).to_have_text(exact(t("Classification (客户分类)")))
    assert_fits_width(page)
    for field, value in (("scale", "individual"), ("experience", "2"), ("capital", "1"), ("winning", "1")):
        page.locator(f"select[name={field}]").select_option(value)
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"{detail}#needs$"))
    message(page, t("Classification saved; the needs not yet verified follow the new preset."))
    facts = page.locator("[data-testid=classification]")
    expect(facts).to_contain_text(t("Individual (个体户)"))

    # The preset: price and reputation are the key needs, ranked first; nothing verified yet.
    needs = page.locator("[data-testid=needs] > li")
    for i, code in enumerate(WORKED_EXAMPLE.key):
        expect(needs.nth(i)).to_have_attribute("data-need", code)
        expect(needs.nth(i)).to_have_class(re.compile(r"\bkey\b"))
        expect(needs.nth(i).locator(".rank")).to_have_text(str(i + 1))
        expect(needs.nth(i).locator("[data-testid=state]")).to_have_text(exact(t("Preset (预设)")))
    expect(page.locator("[data-testid=needs] > li.key")).to_have_count(len(WORKED_EXAMPLE.key))
    accuracy = page.locator("[data-testid=accuracy]")
    expect(accuracy).to_have_text("0%")
    assert_fits_width(page)

    # Why price is a key need: the worked example, and the scale/capital rule.
    price = page.locator("[data-testid=needs] > li[data-need=price]")
    reasons = price.locator("details.reasons")
    expect(reasons.locator("ul")).to_be_hidden()  # folded until tapped
    reasons.locator("summary").click()
    expect(reasons.locator("li").filter(has_text=exact(WORKED_EXAMPLE.title))).to_be_visible()
    expect(reasons.locator("li").filter(has_text=exact(sens.DEFAULT_RULES[0].title))).to_be_visible()

    # Verify both key needs with the customer: the model accuracy goes 0 → 50 → 100 %.
    verified = t("Verified with the customer (已求证)")
    for code, shown in (("price", "50%"), ("reputation", "100%")):
        row = page.locator(f"[data-testid=needs] > li[data-need={code}]")
        row.locator("[data-testid=verify]").click()
        expect(accuracy).to_have_text(shown)
        expect(row.locator("[data-testid=state]")).to_have_text(exact(verified))
        expect(row.locator("[data-testid=verify]")).to_have_count(0)

    # Every additional need is met by the preset, so they are folded away. The customer says digging
    # power matters more than the preset thought: revise it; it moves up, to be verified again.
    expect(page.locator("[data-testid=needs] > li[data-need=performance]")).to_have_count(0)
    met = page.locator("#needs details.met-needs")
    met.locator("> summary").click()
    performance = met.locator("li[data-need=performance]")
    performance.locator("details.need-edit summary").click()
    form = performance.locator("form.need-form")
    form.locator("[name=expected]").fill("70")
    form.locator("[name=note]").fill("矿上干活对挖掘力要求高")
    form.locator("button", has_text=exact(t("Save"))).click()
    performance = page.locator("[data-testid=needs] > li[data-need=performance]")
    expect(performance.locator("[data-testid=state]")).to_have_text(exact(t("Revised (已修正)")))
    expect(performance.locator(".sub")).to_contain_text("矿上干活对挖掘力要求高")
    expect(performance.locator(".rank")).to_have_text(str(len(WORKED_EXAMPLE.key) + 1))
    expect(performance).to_have_class(re.compile(r"\badditional\b"))
    expect(accuracy).to_have_text("100%")  # only key needs count
    assert_fits_width(page)

    # Change the grade with a reason; the history keeps it.
    reason = "已带家人看过样机 等工程款到位"
    grade_form = page.locator(f'form[action="{detail}grade/"]')
    grade_form.locator("select[name=grade]").select_option("6")
    grade_form.locator("input[name=reason]").fill(reason)
    grade_form.locator("button").click()
    expect(page.locator("h1 .badge")).to_have_text("6")
    expect(page.locator("[data-testid=grade]")).to_contain_text(t(str(Customer.Grade(6).label)))
    page.locator("#grade details.history-more summary").click()
    change = page.locator("[data-testid=grade-history] li").filter(has_text=reason)
    expect(change).to_have_count(1)
    expect(change).to_contain_text(f"{t(str(Customer.Grade(3).label))} → {t(str(Customer.Grade(6).label))}")
    expect(change).to_contain_text(str(user))

    # A family member with a mobile number (typed full-width), under relationships.
    relations = page.locator("#relations")
    relations.locator("details.add summary").click()
    add = relations.locator(f'form[action="{detail}relations/"]')
    add.locator("[name=kind]").select_option("family")
    add.locator("[name=name]").fill("鲍春梅")
    add.locator("[name=relation]").fill("妻子")
    add.locator("[name=phone]").fill(ime(wife_mobile))
    add.locator("[name=influence]").select_option("4")
    add.locator("button", has_text=exact(t("Add"))).click()
    message(page, t("Saved."))
    person = page.locator("[data-testid=relations] > li")
    expect(person).to_have_count(1)
    expect(person.locator(".title")).to_contain_text("鲍春梅")
    expect(person.locator(".title")).to_contain_text("妻子")
    expect(person.locator(f'a[href="tel:{wife_mobile}"]')).to_have_text(wife_mobile)
    expect(person.locator(".sub")).to_contain_text("4/5")
    assert_fits_width(page)

    # What was stored.
    customer.refresh_from_db()
    assert (customer.scale, customer.experience, customer.capital, customer.winning) == ("individual", 2, 1, 1)
    assert customer.grade == 6
    rows = {n.need_point.code: n for n in CustomerNeed.objects.filter(customer=customer).select_related("need_point")}
    assert {c for c, n in rows.items() if n.stage == CustomerNeed.Stage.KEY} == set(WORKED_EXAMPLE.key)
    for code in WORKED_EXAMPLE.key:
        assert rows[code].state == CustomerNeed.State.VERIFIED
        assert rows[code].source == CustomerNeed.Source.CONVERSATION
        assert WORKED_EXAMPLE.title in rows[code].reasons
    assert rows["performance"].state == CustomerNeed.State.REVISED and rows["performance"].expected == 70
    change = StatusChange.objects.get(customer=customer, kind=StatusChange.Kind.GRADE, reason=reason)
    assert (change.old, change.new, change.by) == ("3", "6", user)
    relation = Relation.objects.get(customer=customer)
    assert (relation.kind, relation.name, relation.relation, relation.phone, relation.influence) == (
        Relation.Kind.FAMILY,
        "鲍春梅",
        "妻子",
        wife_mobile,
        4,
    )


# --- 2. the public pool ------------------------------------------------------------------------------


def pool_row(page, customer):
    """Find the customer on the pool page with the search box (swapped in place)."""
    page.locator("form.toolbar input[type=search]").fill(customer.name)
    expect(page).to_have_url(re.compile(r"[?&]q="))  # the search result is in (the address follows it)
    row = page.locator(f"#pool-{customer.pk}")
    expect(row).to_be_visible()
    return row


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_pool_warns_returns_and_another_salesperson_claims(page):
    sales1, sales3 = User.objects.get(username="sales1"), User.objects.get(username="sales3")
    assert set(sales1.region_ids) == set(sales3.region_ids), "the seed puts sales1 and sales3 in one region"
    rule = pool.pool_rules(sales1.company_id)[6]
    assert (rule.days, rule.warn_days) == DEFAULT_POOL_RULES[6]

    # A grade-6 customer of sales1 not followed up for (days − warn_days) days: today is the warning day.
    now = timezone.localtime()
    customer = Customer.objects.filter(owner=sales1, in_pool=False, protected=False).order_by("pk").first()
    last = now - dt.timedelta(days=rule.days - rule.warn_days)
    Customer.objects.filter(pk=customer.pk).update(
        grade=6, last_followup_at=last, created_at=last - dt.timedelta(days=200), pool_warned_at=None
    )
    customer.refresh_from_db()

    result = pool.pool_sweep(now=now)
    assert result.warned >= 1
    customer.refresh_from_db()
    assert customer.owner == sales1 and customer.pool_warned_at is not None
    todo = Todo.objects.get(user=sales1, key=pool.warn_key(customer.pk), status=Todo.Status.OPEN)
    returns_on = now.date() + dt.timedelta(days=rule.warn_days)
    assert todo.due == returns_on - dt.timedelta(days=1)

    # sales1's Today page: the warning, due in the coming days, linking to the customer.
    login_ok(page, sales1.username)
    warning = page.locator(f"[data-testid=next-days] #todo-{todo.pk}")
    expect(warning).to_be_visible()
    expect(warning.locator(".title a")).to_have_text(exact(todo.title))
    expect(warning.locator(".title a")).to_have_attribute("href", f"/customers/{customer.pk}/")
    assert customer.name in todo.title
    assert_fits_width(page)

    # Nobody followed it up: on the return day it goes back to the public pool.
    result = pool.pool_sweep(now=now + dt.timedelta(days=rule.warn_days))
    assert result.returned >= 1
    customer.refresh_from_db()
    assert customer.in_pool and customer.owner is None and customer.previous_owner == sales1
    assert list(PoolEvent.objects.filter(customer=customer).order_by("at", "pk").values_list("action", flat=True)) == [
        PoolEvent.Action.WARNED,
        PoolEvent.Action.RETURNED,
    ]
    assert Todo.objects.get(pk=todo.pk).status == Todo.Status.DONE

    # sales1: no longer among "only mine"; in the pool, but in cool-down for its previous owner.
    go(page, "customers")
    page.locator("form.toolbar input[type=search]").fill(customer.name)
    expect(page).to_have_url(re.compile(r"[?&]q="))
    link = page.locator(f'[data-testid=customer-list] a[href="/customers/{customer.pk}/"]')
    expect(link).to_be_visible()
    row = page.locator("[data-testid=customer-list] > li").filter(
        has=page.locator(f'a[href="/customers/{customer.pk}/"]')
    )
    expect(row.locator(".badge.pool")).to_be_visible()
    page.locator("form.toolbar input[name=mine]").check()
    expect(page).to_have_url(re.compile(r"[?&]mine=1\b"))
    expect(link).to_have_count(0)

    go(page, "pool")
    row = pool_row(page, customer)
    with translation.override(ZH):
        limits = pool.limits_of(pool.pool_settings(sales1.company_id))
        cooldown = pool.refusal_label(pool_domain.Refusal.COOLDOWN, customer=customer, limits=limits)
    expect(row.locator("[data-testid=blocked]")).to_have_text(exact(cooldown))
    expect(row.locator("[data-testid=claim]")).to_have_count(0)
    expect(row).to_contain_text(str(sales1))  # "before: …"
    assert_fits_width(page)

    # sales3, of the same region, claims it from the pool page (swapped in place).
    page.context.clear_cookies()
    login_ok(page, sales3.username)
    held = Customer.objects.filter(owner=sales3, in_pool=False).count()
    limits = pool.limits_of(pool.pool_settings(sales3.company_id))

    def summary_text(held: int, claimed: int) -> str:
        return t("You hold %(held)s of at most %(cap)s customers · claimed today: %(n)s of %(quota)s") % {
            "held": held,
            "cap": limits.holding_cap,
            "n": claimed,
            "quota": limits.daily_quota,
        }

    go(page, "pool")
    summary = page.locator("[data-testid=pool-summary]")
    expect(summary).to_have_text(exact(summary_text(held, 0)))
    row = pool_row(page, customer)
    row.locator("[data-testid=claim]").click()
    expect(page.locator(f"#pool-{customer.pk} [data-testid=claimed]")).to_be_visible()
    expect(summary).to_have_text(exact(summary_text(held + 1, 1)))
    assert_fits_width(page)

    customer.refresh_from_db()
    assert customer.owner == sales3 and not customer.in_pool
    claim = PoolEvent.objects.get(customer=customer, action=PoolEvent.Action.CLAIMED)
    assert (claim.by, claim.to_owner) == (sales3, sales3)

    # The pool record shows the customer's warning, return and claim.
    page.locator("a.btn", has_text=exact(t("Pool record"))).click()
    expect(page.locator("h1")).to_have_text(exact(t("Pool record (公海记录)")))
    events = page.locator("[data-testid=pool-events] > li").filter(
        has=page.locator(f'a[href="/customers/{customer.pk}/"]')
    )
    expect(events).to_have_count(3)
    for action in (PoolEvent.Action.WARNED, PoolEvent.Action.RETURNED, PoolEvent.Action.CLAIMED):
        expect(events.filter(has_text=t(str(action.label)))).to_have_count(1)
    assert_fits_width(page)


# --- 3. the Excel import -----------------------------------------------------------------------------


def messy_workbook(region_name: str) -> tuple[bytes, dict]:
    """A dealer's list of 1,000 rows as kept by hand: a merged title row above the headings, a serial
    number and a landline column that are not imported, numbers stored as numbers or typed with
    full-width digits and spaces, blank rows, invalid mobiles and one mobile given twice."""
    from openpyxl import Workbook

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    given = "建国志明海军强伟华平东林磊洋勇杰涛超峰刚辉鹏飞斌宇浩凯健俊帆"
    names = (f"{s}{a}{b}" for s in surnames for a in given for b in given if a != b)
    first_row, count = 3, 1000  # data rows 3…1002, under the title (1) and the headings (2)
    blank = {103, 503, 780}
    invalid = {250: "1370539", 420: "12345678901", 866: "0531 8888 6666"}
    duplicate = (612, 41)  # row 612 gives row 41's mobile again, typed differently
    wb = Workbook()
    ws = wb.active
    ws.title = "客户名单"
    ws.append(["鲁中区域客户名单（2025年）"])
    ws.merge_cells("A1:H1")
    ws.append(["序号", "客户名称", "手机号码", "区域", "意向等级", "负责业务员", "座机", "备注"])
    expected = {"valid": {}, "errors": {}, "error_names": [], "blank": sorted(blank), "mobiles": {}}
    serial = 0
    for row in range(first_row, first_row + count):
        if row in blank:
            ws.append([])
            continue
        serial += 1
        name = next(names)
        mobile = f"1370539{serial:04d}"
        expected["mobiles"][row] = mobile
        cell = mobile if serial % 3 else int(mobile)  # some stored as numbers
        if serial % 10 == 0:
            cell = ime(mobile)
        if row in invalid:
            cell = invalid[row]
            expected["errors"][row] = ("phone_invalid", {"value": invalid[row]})
        elif row == duplicate[0]:
            cell = ime(expected["mobiles"][duplicate[1]]).replace(" ", "-")
            expected["errors"][row] = ("phone_dup_file", {"other": duplicate[1]})
        else:
            expected["valid"][row] = (name, mobile)
        if row in expected["errors"]:
            expected["error_names"].append(name)
        owner = ("sales1", "sales3", "")[serial % 3]
        grade = ("3", "6类", "", "1", "9")[serial % 5]
        region = region_name if serial % 4 else ""  # blank: the default region chosen on upload
        ws.append([serial, name, cell, region, grade, owner, f"0531-8888{serial:04d}", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), expected


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_manager_imports_a_messy_workbook(page):
    from customers import imports

    manager = User.objects.get(username="manager1")
    region = manager.regions.get()
    data, expected = messy_workbook(region.name)
    assert not Customer.objects.filter(phone__startswith="1370539").exists()
    for value in ("1370539", "12345678901", "0531 8888 6666"):
        with pytest.raises(rules.InvalidPhone):
            rules.normalize_mobile(value)
    before = Customer.objects.count()

    login_ok(page, manager.username)
    go(page, "import")
    upload = page.locator("[data-testid=import-upload]")
    expect(upload.locator("select[name=region]")).to_have_value(str(region.pk))  # the only region: preset
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "鲁中客户名单.xlsx", "mimeType": imports.XLSX_TYPE, "buffer": data}]
    )
    upload.locator("button[type=submit]").click()

    # The preview: headings found under the title row, the counts, and the row-by-row report.
    expect(page).to_have_url(re.compile(r"/customers/import/[0-9a-f-]{36}/$"))
    expect(page.locator("h1")).to_have_text(exact(t("Import preview")))
    rows_read = 1000 - len(expected["blank"])
    expect(page.locator("[data-testid=count-rows]")).to_have_text(str(rows_read))
    expect(page.locator("[data-testid=count-valid] strong")).to_have_text(str(len(expected["valid"])))
    expect(page.locator("[data-testid=count-errors]")).to_have_text(str(len(expected["errors"])))
    expect(page.locator("[data-testid=count-warnings]")).to_have_text("0")
    expect(page.locator("[data-testid=count-skipped]")).to_have_text(str(len(expected["blank"])))
    expect(page.locator("[data-testid=mapping-problems]")).to_have_count(0)
    # the serial number and the landline are recognised as not imported
    mapping = page.locator("[data-testid=import-mapping]")
    for col, field in ((0, ""), (1, "name"), (2, "phone"), (3, "region"), (4, "grade"), (5, "owner"), (6, "")):
        expect(mapping.locator(f"select[name=col-{col}]")).to_have_value(field)

    report = page.locator("[data-testid=import-report] tbody tr")
    expect(report).to_have_count(len(expected["errors"]) + len(expected["blank"]))
    with translation.override(ZH):
        texts = {
            "phone_invalid": str(imports.MESSAGES["phone_invalid"]),
            "phone_dup_file": str(imports.MESSAGES["phone_dup_file"]),
        }
        blank_text = str(imports.MESSAGES["blank_row"])
        error_label = str(imports.LEVEL_LABELS["error"])
    mobile_heading = "手机号码"
    for row, (code, params) in expected["errors"].items():
        line = page.locator(f'[data-testid=import-report] tr[data-row="{row}"]')
        expect(line).to_have_attribute("data-code", code)
        cells = line.locator("td")
        expect(cells.nth(0)).to_have_text(str(row))
        expect(cells.nth(1)).to_have_text("C")
        expect(cells.nth(2)).to_have_text(mobile_heading)
        expect(cells.nth(3)).to_have_text(exact(error_label))
        expect(cells.nth(4)).to_have_text(exact(texts[code] % params))
    for row in expected["blank"]:
        line = page.locator(f'[data-testid=import-report] tr[data-row="{row}"]')
        expect(line).to_have_attribute("data-code", "blank_row")
        expect(line.locator("td").nth(4)).to_have_text(exact(blank_text))
    assert_fits_width(page)

    # Only the errors (swapped in place).
    page.locator("#report nav.chips a", has_text=exact(t("Errors"))).click()
    expect(report).to_have_count(len(expected["errors"]))
    expect(page.locator("[data-testid=import-report] tr.issue.error")).to_have_count(len(expected["errors"]))
    assert Customer.objects.count() == before, "nothing is written before the import is confirmed"

    # Confirm: the valid rows are written, the others left out.
    confirm = page.locator("[data-testid=import-confirm] button[type=submit]")
    expect(confirm).to_contain_text(str(len(expected["valid"])))
    confirm.click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    with translation.override(ZH):
        done = t("Imported %(created)s customers and %(contacts)s contact people; %(left)s rows left out.") % {
            "created": len(expected["valid"]),
            "contacts": 0,
            "left": len(expected["errors"]),
        }
    message(page, done)

    imported = {c.phone: c for c in Customer.objects.filter(phone__startswith="1370539").select_related("owner")}
    assert len(imported) == len(expected["valid"]) == rows_read - len(expected["errors"])
    assert Customer.objects.count() == before + len(expected["valid"])
    for row, (name, mobile) in expected["valid"].items():
        c = imported[mobile]
        assert c.name == name and c.region_id == region.pk, row
    assert not Customer.objects.filter(name__in=expected["error_names"]).exists()
    owners = {c.owner.username if c.owner else "" for c in imported.values()}
    assert owners == {"sales1", "sales3", ""}
    assert all(c.in_pool == (c.owner is None) for c in imported.values())
