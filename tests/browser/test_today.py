"""The Today page: mark a to-do done and snooze another, both swapped in place by HTMX."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Todo

from .helpers import assert_same_document, exact, login_ok, mark_document, t

pytestmark = pytest.mark.browser


def test_mark_done_and_snooze_without_reload(page):
    login_ok(page, "sales1")
    open_items = page.locator("li.todo:not(.done)")
    assert open_items.count() >= 2, "the seed gives sales1 several open to-dos"
    first_id = open_items.nth(0).get_attribute("id")
    second_id = open_items.nth(1).get_attribute("id")
    first, second = page.locator(f"#{first_id}"), page.locator(f"#{second_id}")
    mark_document(page)

    # Done: the row turns into a done row with an Undo button.
    first.get_by_role("button", name=exact(t("Done"))).click()
    expect(first).to_have_class(re.compile(r"\bdone\b"))
    expect(first.get_by_role("button", name=exact(t("Undo")))).to_be_visible()
    todo = Todo.objects.get(pk=int(first_id.removeprefix("todo-")))
    assert todo.status == Todo.Status.DONE and todo.done_at is not None

    # Snooze: three days from today.
    until = timezone.localdate() + dt.timedelta(days=3)
    second.locator("summary").click()  # the snooze menu: quick choices and a custom date
    second.locator("input[name=until]").fill(until.isoformat())
    second.get_by_role("button", name=exact(t("Snooze"))).click()
    expect(second.locator(".sub")).to_contain_text(t("snoozed"))
    expect(second.locator(".sub")).to_contain_text(f"{until.month}/{until.day}")
    assert Todo.objects.get(pk=int(second_id.removeprefix("todo-"))).snoozed_until == until

    assert_same_document(page)

    # After a real reload the done to-do is listed under "Done today".
    page.reload()
    expect(page.locator(f"[data-testid=done-today] #{first_id}")).to_be_visible()
    expect(page.locator(".section-title h2").filter(has_text=exact(t("Done today")))).to_be_visible()


def test_quick_snooze_to_the_next_working_day_and_a_past_date_is_refused_in_place(page):
    from core import rules

    login_ok(page, "sales1")
    row = page.locator("li.todo:not(.done)").first
    row_id = row.get_attribute("id")
    row = page.locator(f"#{row_id}")
    mark_document(page)

    # A date in the past: the row stays, with the rule's message, and nothing is saved.
    row.locator("summary").click()
    row.locator("input[name=until]").fill((timezone.localdate() - dt.timedelta(days=1)).isoformat())
    row.get_by_role("button", name=exact(t("Snooze"))).click()
    expect(row.get_by_role("alert")).to_have_text(t("Snooze until a day after today."))
    pk = int(row_id.removeprefix("todo-"))
    assert Todo.objects.get(pk=pk).snoozed_until is None

    # The quick choice "next working day" (mainland holidays and make-up days counted).
    expected = rules.next_workday(timezone.localdate())
    row.locator("[data-choice=next_workday], [data-choice=tomorrow]").filter(
        has=page.locator("small", has_text=f"{expected.month}/{expected.day}")
    ).first.click()
    expect(row.locator(".sub")).to_contain_text(t("snoozed"))
    assert Todo.objects.get(pk=pk).snoozed_until == expected
    assert_same_document(page)
