"""Each role logs in through the form, lands on Today, follows every menu entry it has, sees only
what it may see, and logs out — on a phone (bottom bar) and on a desktop (side navigation)."""

import re

import pytest
from playwright.sync_api import expect

from core.models import User
from core.visibility import visible
from customers.models import Customer

from .helpers import (
    BOTTOM_BAR,
    ENTRIES,
    MENU,
    assert_fits_width,
    customer_pks_on_page,
    exact,
    go,
    is_phone,
    login_ok,
    menu,
    result_count,
    t,
)

pytestmark = pytest.mark.browser

USERS = {"salesperson": "sales1", "manager": "manager1", "finance": "finance1", "service": "service1", "admin": "admin"}


def check_today(page):
    headings = page.locator(".section-title h2")
    for msgid in ("Overdue", "Today", "Next 7 days"):
        expect(headings.filter(has_text=exact(t(msgid)))).to_have_count(1)
    assert_fits_width(page)


def check_menu(page, role):
    """The visible menu lists exactly the role's entries (the phone's bottom bar: those marked for it)."""
    other = page.locator("nav.sidenav" if is_phone(page) else "nav.bottomnav")
    expect(other).to_be_hidden()
    expected = [e for e in MENU[role] if not is_phone(page) or e in BOTTOM_BAR]
    links = menu(page).locator("a")
    expect(links).to_have_count(len(expected))
    for i, entry in enumerate(expected):
        label, url = ENTRIES[entry]
        expect(links.nth(i)).to_have_attribute("href", url)
        expect(links.nth(i)).to_contain_text(t(label))
    if is_phone(page):
        # ☰ opens the whole menu as a drawer; tapping beside it closes it again.
        page.locator("[data-testid=menu-toggle]").click()
        drawer = page.locator("nav.sidenav")
        expect(drawer).to_be_visible()
        expect(drawer.locator("a.nav-item")).to_have_count(len(MENU[role]))
        expect(drawer.locator("form[action='/logout/'] button")).to_be_visible()
        page.locator(".menu-backdrop").click(position={"x": 360, "y": 300})
        expect(drawer).to_be_hidden()


def check_customers(page, user, role):
    """The list shows exactly the rows core.visibility grants, and the New button only to who may add."""
    rows = visible(user, Customer)
    allowed = set(rows.values_list("pk", flat=True))
    assert allowed, "the seed should give every customer-reading role some customers"
    result_count(page, len(allowed))
    shown = customer_pks_on_page(page)
    assert len(shown) == min(25, len(allowed))
    assert set(shown) <= allowed
    new_button = page.locator("a.btn", has_text=t("New"))
    if role == "salesperson":
        others = Customer.objects.exclude(owner=user).filter(in_pool=False).values_list("pk", flat=True)
        assert not set(shown) & set(others), "a salesperson sees another salesperson's customer"
        assert allowed == set(Customer.objects.filter(owner=user).values_list("pk", flat=True)) | set(
            Customer.objects.filter(in_pool=True).values_list("pk", flat=True)
        )
        expect(new_button).to_be_visible()
    elif role == "manager":
        assert allowed == set(Customer.objects.filter(region__in=user.regions.all()).values_list("pk", flat=True))
        expect(new_button).to_be_visible()
    elif role == "finance":
        expect(new_button).to_have_count(0)
    elif role == "admin":
        assert allowed == set(Customer.objects.values_list("pk", flat=True))
        expect(new_button).to_be_visible()


def log_out(page):
    if is_phone(page):
        go(page, "account")
        page.locator("main form[action='/logout/'] button").click()
    else:
        page.locator("nav.sidenav form[action='/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("input[name=password]")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


@pytest.mark.parametrize("role", list(USERS))
def test_role_logs_in_navigates_and_logs_out(page, role):
    user = User.objects.get(username=USERS[role])
    login_ok(page, user.username)
    expect(page.locator("[data-testid=current-user]")).to_have_text(str(user))
    check_today(page)
    check_menu(page, role)

    for entry in MENU[role]:
        go(page, entry)
        if entry == "customers":
            check_customers(page, user, role)
        elif entry == "account":
            expect(page.locator("[data-testid=roles]")).to_have_text("、".join(str(x) for x in user.role_labels))
        elif entry == "audit":
            expect(page.locator("main")).to_be_visible()
        if not is_phone(page) or entry in BOTTOM_BAR:
            expect(menu(page).locator(f'a[href="{ENTRIES[entry][1]}"]')).to_have_class(re.compile(r"\bactive\b"))

    if role == "service":
        expect(page.locator('a[href="/customers/"]')).to_have_count(0)
    if role == "admin":
        expect(page.locator("nav.sidenav").locator('a[href="/audit/"]')).to_have_count(1)
    else:
        expect(page.locator('a[href="/audit/"]')).to_have_count(0)

    log_out(page)
