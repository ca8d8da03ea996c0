"""To-dos: idempotent posting, the Today buckets, done and snooze from the page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core import selectors, services
from core.models import Todo

from .factories import make_todo, zh


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


# --- posting ---------------------------------------------------------------------------------------


def test_posting_with_the_same_key_updates_the_open_todo(org):
    first = services.todo_post(user=org.sales_a1, title="回访 济南鑫达", due=days(1), kind="visit_due", key="visit:7")
    second = services.todo_post(
        user=org.sales_a1,
        title="回访 济南鑫达（改期）",
        due=days(3),
        kind="visit_due",
        key="visit:7",
        about=org.cust_a1,
    )
    assert second.pk == first.pk
    [todo] = Todo.objects.filter(user=org.sales_a1, key="visit:7")
    assert (todo.title, todo.due, todo.object_id) == ("回访 济南鑫达（改期）", days(3), str(org.cust_a1.pk))


def test_posting_again_does_not_reopen_a_done_todo(org):
    todo = services.todo_post(user=org.sales_a1, title="首次", due=days(0), kind="visit_due", key="visit:8")
    services.todo_done(todo=todo)
    services.todo_post(user=org.sales_a1, title="再次", due=days(2), kind="visit_due", key="visit:8")
    [todo] = Todo.objects.filter(user=org.sales_a1, key="visit:8")
    assert (todo.status, todo.title) == ("done", "首次")


def test_the_key_is_per_user_and_posts_without_a_key_accumulate(org):
    services.todo_post(user=org.sales_a1, title="A", due=days(0), kind="k", key="same")
    services.todo_post(user=org.sales_a2, title="B", due=days(0), kind="k", key="same")
    services.todo_post(user=org.sales_a1, title="C", due=days(0), kind="k")
    services.todo_post(user=org.sales_a1, title="C", due=days(0), kind="k")
    assert Todo.objects.filter(key="same").count() == 2
    assert Todo.objects.filter(user=org.sales_a1, title="C").count() == 2


# --- the Today buckets --------------------------------------------------------------------------


def titles(todos) -> list[str]:
    return [t.title for t in todos]


def test_today_buckets_sort_open_todos_by_their_effective_day(org):
    me = org.sales_a1
    for offset in (-3, -1, 0, 1, 7, 8):
        make_todo(me, due=days(offset), title=f"due {offset:+d}")
    make_todo(me, due=days(-2), snoozed_until=days(3), title="snoozed from -2 to +3")
    make_todo(me, due=days(-5), snoozed_until=days(0), title="snoozed from -5 to today")
    make_todo(me, due=days(-1), status=Todo.Status.DONE, done_at=timezone.now(), title="done")
    make_todo(org.sales_a2, due=days(0), title="someone else's")

    b = selectors.today_buckets(me)
    assert b.today == timezone.localdate()
    assert titles(b.overdue) == ["due -3", "due -1"]  # oldest first
    assert titles(b.due_today) == ["due +0", "snoozed from -5 to today"]  # a snoozed one counts from its new day
    assert titles(b.next_days) == ["due +1", "snoozed from -2 to +3", "due +7"]  # +8 is beyond the week
    assert titles(b.done_today) == ["done"]


def test_today_buckets_accept_another_day_as_today(org):
    make_todo(org.sales_a1, due=days(5), title="in five days")
    b = selectors.today_buckets(org.sales_a1, today=days(6))
    assert titles(b.overdue) == ["in five days"]


# --- done and snooze from the Today page --------------------------------------------------------------


def test_done_from_the_today_page_without_htmx_redirects_back(org, client_as):
    todo = make_todo(org.sales_a1, due=days(-1), title="回访 济南鑫达")
    client = client_as(org.sales_a1)
    response = client.post(f"/todos/{todo.pk}/done/")
    assert response.status_code == 302 and response["Location"] == "/"
    todo.refresh_from_db()
    assert todo.status == "done" and todo.done_at is not None
    page = client.get("/").content.decode()
    assert 'data-testid="overdue"' not in page
    assert "回访 济南鑫达" in page[page.index('data-testid="done-today"') :]


def test_done_and_undo_with_htmx_answer_with_the_item_alone(org, client_as):
    todo = make_todo(org.sales_a1, due=days(0), title="准备拜访资料")
    client = client_as(org.sales_a1)
    response = client.post(f"/todos/{todo.pk}/done/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode().strip()
    assert fragment.startswith(f'<li id="todo-{todo.pk}" class="todo done"')
    assert "<html" not in fragment and "准备拜访资料" in fragment
    response = client.post(f"/todos/{todo.pk}/done/", {"undo": "1"}, headers={"HX-Request": "true"})
    assert response.content.decode().strip().startswith(f'<li id="todo-{todo.pk}" class="todo"')
    todo.refresh_from_db()
    assert (todo.status, todo.done_at) == ("open", None)


@pytest.mark.parametrize("htmx", [False, True])
def test_snooze_from_the_today_page_moves_an_overdue_todo_to_next_days(org, client_as, htmx):
    todo = make_todo(org.sales_a1, due=days(-2), title="兑现承诺：送配件清单")
    client = client_as(org.sales_a1)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/todos/{todo.pk}/snooze/", {"until": days(3).isoformat()}, headers=headers)
    assert response.status_code == (200 if htmx else 302)
    todo.refresh_from_db()
    assert todo.snoozed_until == days(3)
    page = client.get("/").content.decode()
    assert 'data-testid="overdue"' not in page
    assert "兑现承诺：送配件清单" in page[page.index('data-testid="next-days"') :]


@pytest.mark.parametrize("until", [0, -1])
def test_snooze_to_today_or_the_past_is_refused_with_a_clear_message_htmx(org, client_as, until):
    todo = make_todo(org.sales_a1, due=days(-1))
    client = client_as(org.sales_a1)
    url = f"/todos/{todo.pk}/snooze/"
    response = client.post(url, {"until": days(until).isoformat()}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert zh("Snooze until a day after today.") in response.content.decode()
    response = client.post(
        url, {"until": days(until).isoformat()}, headers={"HX-Request": "true", "Accept-Language": "en"}
    )
    assert 'role="alert">Snooze until a day after today.<' in response.content.decode()
    todo.refresh_from_db()
    assert todo.snoozed_until is None


def test_snooze_to_today_without_htmx_shows_the_message_on_the_today_page(org, client_as):
    todo = make_todo(org.sales_a1, due=days(-1))
    client = client_as(org.sales_a1, headers={"Accept-Language": "en"})
    response = client.post(f"/todos/{todo.pk}/snooze/", {"until": days(0).isoformat()}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Snooze until: Snooze until a day after today." in response.content.decode()
    todo.refresh_from_db()
    assert todo.snoozed_until is None


def test_another_users_todo_is_not_found_from_the_page(org, client_as):
    theirs = make_todo(org.sales_a2, due=days(0))
    client = client_as(org.sales_a1)
    assert client.post(f"/todos/{theirs.pk}/done/").status_code == 404
    assert client.post(f"/todos/{theirs.pk}/snooze/", {"until": days(2).isoformat()}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.snoozed_until) == ("open", None)


# --- the same through the API ------------------------------------------------------------------------


def test_done_and_snooze_through_the_api(org, api_as):
    api = api_as(org.sales_a1)
    a = make_todo(org.sales_a1, due=days(0), title="A")
    b = make_todo(org.sales_a1, due=days(-1), title="B")
    response = api.post(f"/api/todos/{a.pk}/done")
    assert response.status_code == 200 and response.json()["status"] == "done"
    response = api.post(f"/api/todos/{b.pk}/snooze", {"until": days(2).isoformat()})
    assert response.status_code == 200 and response.json()["snoozed_until"] == days(2).isoformat()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.snoozed_until) == ("done", days(2))
    today = api.get("/api/today").json()
    assert [t["title"] for t in today["next_7_days"]] == ["B"]
    assert today["overdue"] == today["today_items"] == []


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (0, "Snooze until a day after today."),
        (-30, "Snooze until a day after today."),
        (400, "Snooze for at most a year."),
    ],
)
def test_api_snooze_out_of_range_names_until(org, api_as, until, message):
    todo = make_todo(org.sales_a1, due=days(-1))
    response = api_as(org.sales_a1, **{"Accept-Language": "en"}).post(
        f"/api/todos/{todo.pk}/snooze", {"until": days(until).isoformat()}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"until": [message]}
    todo.refresh_from_db()
    assert todo.snoozed_until is None


def test_api_snooze_with_a_malformed_date_names_until(org, api_as):
    todo = make_todo(org.sales_a1, due=days(-1))
    response = api_as(org.sales_a1).post(f"/api/todos/{todo.pk}/snooze", {"until": "next week"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["until"]


def test_another_users_todo_is_not_found_in_the_api(org, api_as):
    theirs = make_todo(org.sales_a2, due=days(0), title="李明的待办")
    api = api_as(org.sales_a1)
    for response in (
        api.post(f"/api/todos/{theirs.pk}/done"),
        api.post(f"/api/todos/{theirs.pk}/snooze", {"until": days(2).isoformat()}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert (theirs.status, theirs.snoozed_until) == ("open", None)
    listed = api.get("/api/todos").json()
    assert "李明的待办" not in [t["title"] for t in listed["items"]]
