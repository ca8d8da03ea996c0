"""The salesperson's customer path on a phone: create (full-width digits), see the mobile
normalised, fix a wrong mobile, change the grade and find it in the history; search by pinyin initials."""

import re

import pytest
from playwright.sync_api import expect

from core.models import User
from core.visibility import visible
from customers import rules
from customers.models import Customer

from .helpers import (
    CJK,
    ZH_CATALOG,
    assert_fits_width,
    assert_same_document,
    customer_pks_on_page,
    exact,
    go,
    login_ok,
    mark_document,
    result_count,
    t,
)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("viewport", ["phone"], indirect=True)]

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def free_mobile() -> str:
    used = set(Customer.objects.values_list("phone", flat=True))
    return next(m for m in (f"1390531{n:04d}" for n in range(10_000)) if m not in used)


def field_error(page, name):
    return page.locator(f".field.has-error:has([name={name}]) .error")


def test_salesperson_creates_and_edits_a_customer(page):
    user = User.objects.get(username="sales1")
    login_ok(page, user.username)
    go(page, "customers")
    page.locator("a.btn", has_text=t("New")).click()
    expect(page).to_have_url(re.compile(r"/customers/new/$"))
    expect(page.locator("h1")).to_have_text(exact(t("New customer")))

    # A wrong mobile number: the form comes back with a Chinese message naming the field.
    page.locator("[name=name]").fill("郑晓明")
    page.locator("[name=phone]").fill("12345")
    page.locator("[name=grade]").select_option("3")
    page.locator("[name=region]").select_option(str(user.regions.get().pk))
    page.locator("form.card button[type=submit]").click()
    error = field_error(page, "phone")
    expected = f"{t('Mobile')}：" + t("“%(value)s” is not a valid mainland mobile number.") % {"value": "12345"}
    expect(error).to_have_text(exact(expected))
    if ZH_CATALOG.exists():
        assert CJK.search(error.inner_text()), f"the error is not in Chinese: {error.inner_text()!r}"
    expect(page.locator("[name=name]")).to_have_value("郑晓明")  # what was typed is kept
    assert not Customer.objects.filter(name="郑晓明").exists()
    assert_fits_width(page)

    # The same number typed with full-width digits and spaces, as a Chinese IME produces it.
    mobile = free_mobile()
    typed = f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}".translate(FULL_WIDTH)
    page.locator("[name=phone]").fill(typed)
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="郑晓明")
    assert customer.phone == mobile and customer.owner == user and customer.grade == 3
    expect(page.locator("h1")).to_contain_text("郑晓明")
    expect(page.locator(f'dl.facts a[href="tel:{mobile}"]')).to_have_text(mobile)
    expect(page.locator(".message")).to_contain_text("郑晓明")

    # Change the grade; the history shows the change.
    page.locator(f'a[href="/customers/{customer.pk}/edit/"]').click()
    expect(page.locator("[name=phone]")).to_have_value(mobile)
    page.locator("[name=grade]").select_option("9")
    page.locator("form.card button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.locator("h1 .badge")).to_have_text("9")
    entries = page.locator("#history .history-entry")
    expect(entries).to_have_count(2)  # newest first: updated, created
    grade_label = t(str(Customer._meta.get_field("grade").verbose_name))
    change = entries.first.locator("li", has=page.locator(".field-label", has_text=exact(grade_label)))
    expect(change).to_have_text(
        re.compile(
            rf"^\s*{re.escape(grade_label)}\s*：\s*{re.escape(t(str(Customer.Grade(3).label)))}\s*→"
            rf"\s*{re.escape(t(str(Customer.Grade(9).label)))}\s*$"
        )
    )
    customer.refresh_from_db()
    assert customer.grade == 9
    assert_fits_width(page)


def test_search_by_pinyin_initials_updates_the_list_in_place(page):
    user = User.objects.get(username="sales1")
    rows = list(visible(user, Customer).order_by("pk"))
    assert len(rows) > 2

    def matches(q):
        return {c.pk for c in rows if q in c.name or c.initials.startswith(q)}

    # The initials of a visible customer that pick out fewer than all the rows.
    query = next(
        c.initials[:2] for c in rows if c.initials[:2].isalpha() and 0 < len(matches(c.initials[:2])) < len(rows)
    )
    expected = matches(query)
    assert all(rules.pinyin_initials(Customer.objects.get(pk=pk).name).startswith(query) for pk in expected)

    login_ok(page, user.username)
    go(page, "customers")
    result_count(page, len(rows))
    mark_document(page)
    page.locator("input[type=search]").fill(query)
    result_count(page, len(expected))
    assert set(customer_pks_on_page(page)) == expected
    assert_same_document(page)
    expect(page).to_have_url(re.compile(rf"[?&]q={query}\b"))  # the address can be shared / reloaded

    page.locator("input[type=search]").fill("")
    result_count(page, len(rows))
    assert_same_document(page)
