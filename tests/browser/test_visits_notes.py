"""Visit notes on a phone (375×812): a note that verifies a need and changes the grade shows on the
living profile; a note written without signal stays on the phone, survives a reload and is sent
once when the phone is online again."""

import re

import pytest
from ninja.errors import HttpError
from playwright.sync_api import expect

from core.models import User
from customers import services as customer_services
from customers.models import Customer, CustomerNeed, StatusChange
from visits import notes as notes_module
from visits.models import VisitNote

from .helpers import assert_fits_width, exact, login_ok, t

pytestmark = pytest.mark.browser


def a_classified_customer(username: str) -> Customer:
    """One of the salesperson's customers, classified as the deck's individual short of money:
    its key needs are price and reputation, both preset (not verified yet)."""
    user = User.objects.get(username=username)
    customer = Customer.objects.filter(owner=user, in_pool=False).order_by("pk").first()
    customer_services.grade_set(actor=user, customer=customer, grade=6, reason="")
    customer_services.customer_classify(
        actor=user,
        customer=customer,
        work_type="engineering",
        engineering_kind="municipal",
        use="rental",
        scale="individual",
        capital=1,
        experience=2,
        winning=1,
    )
    return customer


def no_signal(**kwargs):
    raise HttpError(503, "no signal")


def wait_until_kept_offline(page) -> None:
    """The offline helper controls the page and keeps a copy of it (what a phone does in the yard
    before driving to the site)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """async () => {
            const cache = await caches.open('digdeal-visits-v1');
            return !!(await cache.match(location.pathname)) && !!(await cache.match('/visits/drafts/'));
        }"""
    )


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_note_that_verifies_a_need_and_changes_the_grade_shows_on_the_profile(page):
    customer = a_classified_customer("sales1")
    login_ok(page, "sales1")
    page.goto(f"/customers/{customer.pk}/")
    page.locator("[data-testid=visit-actions] a", has_text=exact(t("Write a visit note"))).click()
    expect(page).to_have_url(re.compile(rf"/visits/note/{customer.pk}/$"))
    assert_fits_width(page)

    page.locator("[name=summary]").fill("在工地见了老板，确认了他最在乎价格")
    price = page.locator(".note-need[data-need=price]")
    price.locator("input[name$='.expected']").fill("85")
    price.locator("[data-testid=verify-price]").check()
    page.locator("details[data-section=grade] > summary").click()
    page.locator("[name='grade.grade']").select_option("9")
    page.locator("[name='grade.reason']").fill("本周交定金")
    page.locator("details[data-section=commitments] > summary").click()
    page.locator("[name='commitments[0].text']").fill("周五前送报价单")
    page.locator("[name='commitments[0].due_on']").fill("2099-01-01")  # too far ahead: refused, nothing written
    page.locator("[data-testid=note-submit]").click()
    expect(page.locator("[data-js-errors]")).to_be_visible()
    expect(page.locator(".field.has-error [name='commitments[0].due_on']")).to_be_visible()
    assert not VisitNote.objects.exists()
    customer.refresh_from_db()
    assert customer.grade == 6

    page.locator("[name='commitments[0].due_on']").fill("")
    page.locator("[name='commitments[0].text']").fill("")
    page.locator("[data-testid=note-submit]").click()
    expect(page).to_have_url(re.compile(r"/visits/notes/\d+/$"))
    expect(page.locator("[data-testid=note-changes]")).to_contain_text("价格")
    expect(page.locator("[data-testid=note-changes]")).to_contain_text("本周交定金")
    assert_fits_width(page)

    note = VisitNote.objects.get()
    assert note.customer == customer and note.author.username == "sales1"
    need = CustomerNeed.objects.get(customer=customer, need_point__code="price")
    assert (need.state, need.expected) == ("verified", 85)
    assert StatusChange.objects.filter(customer=customer, new="9", reason="本周交定金").exists()

    page.locator("a.btn", has_text=exact(t("Profile"))).first.click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.locator("[data-testid=grade]")).to_contain_text(t("9 · about to buy"))
    expect(page.locator(f"#need-{need.pk} [data-testid=state]")).to_have_text(t("Verified with the customer (已求证)"))
    expect(page.locator("[data-testid=profile-visits]")).to_contain_text("在工地见了老板")
    assert_fits_width(page)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_an_offline_draft_survives_a_reload_and_is_sent_once(page, monkeypatch):
    customer = a_classified_customer("sales1")
    login_ok(page, "sales1")
    page.goto(f"/visits/note/{customer.pk}/")
    wait_until_kept_offline(page)

    page.context.set_offline(True)
    # Chromium's offline emulation can let a POST through right after a reload (the page is served by
    # the service worker, and Playwright's routing does not see requests behind a service worker); a
    # mountain has no such gap, so while "offline" the server also answers the note API as an
    # unreachable gateway would (503: the phone keeps the draft and retries).
    monkeypatch.setattr(notes_module, "note_record", no_signal)
    page.locator("[name=summary]").fill("山里没信号，先存在手机上")
    page.locator(".note-need[data-need=reputation] [data-testid=verify-reputation]").check()
    page.locator("[data-testid=note-submit]").click()
    expect(page.locator("[data-draft-status]")).to_contain_text(
        t("No signal: saved on this phone, will be sent when online.")
    )
    expect(page.locator("[data-drafts-count]").first).to_have_text("1")
    key = page.evaluate(f"JSON.parse(localStorage.getItem('digdeal.notes.u{customer.owner_id}.outbox'))[0].key")
    assert not VisitNote.objects.exists()

    # the drafts page opens without signal, and the draft is still there after a reload
    page.locator("[data-draft-status] a").click()
    expect(page).to_have_url(re.compile(r"/visits/drafts/$"))
    expect(page.locator("[data-testid=draft]")).to_have_count(1)
    page.reload()
    expect(page.locator("[data-testid=draft]")).to_have_count(1)
    expect(page.locator("[data-testid=draft]")).to_contain_text(customer.name)
    assert not VisitNote.objects.exists()

    monkeypatch.undo()
    page.context.set_offline(False)  # back in signal: the browser says "online", the outbox is sent
    expect(page.locator("[data-testid=draft]")).to_have_count(0)
    expect(page.locator("[data-drafts-list]")).to_contain_text(t("No drafts on this phone: everything was sent."))
    note = VisitNote.objects.get(client_key=key)
    assert note.summary == "山里没信号，先存在手机上"
    assert CustomerNeed.objects.get(customer=customer, need_point__code="reputation").state == "verified"

    # the same draft sent again (a second tab, a retry after a lost answer) is recorded once
    page.evaluate(
        """(item) => {
            const key = 'digdeal.notes.u' + item.user + '.outbox';
            localStorage.setItem(key, JSON.stringify([{key: item.key, url: '/api/visits/notes', customer: item.customer,
              payload: {summary: 'again'}, label: 'again', formUrl: '/', savedAt: new Date().toISOString(),
              status: 'waiting'}]));
            return window.DigDealNotes.flush();
        }""",
        {"key": key, "user": customer.owner_id, "customer": customer.pk},
    )
    expect(page.locator("[data-drafts-list]")).to_contain_text(t("No drafts on this phone: everything was sent."))
    assert VisitNote.objects.filter(client_key=key).count() == 1 and VisitNote.objects.count() == 1
    assert_fits_width(page)
