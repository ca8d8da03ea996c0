"""Query-count pins: the busiest pages cost a fixed number of queries, however many rows they show.

The numbers were measured once with a few rows; they must hold with three times the rows. A
change that adds a query per row (a missing select_related, a lookup in a template loop) fails here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import Todo

from .factories import make_customer, make_todo

# (viewer, url) -> queries: session, user, roles, [regions,] then the page's own reads
PINS = {
    ("sales_a1", "/"): 10,  # + Today (open to-dos, done today) + visits panel (3) + offers ending (2)
    ("manager_a", "/"): 5,
    # + count and page, and the filter choices: regions, salespeople, products (客户定位)
    ("sales_a1", "/customers/"): 8,
    ("manager_a", "/customers/"): 9,  # + the regions the manager covers
    ("sales_a1", "/api/customers"): 5,  # token, token's last use, roles, count, page
    ("manager_a", "/api/customers"): 6,
}


def add_rows(org, user, n: int) -> None:
    """n customers the user sees and n to-dos of the user spread over every Today bucket."""
    today = timezone.localdate()
    for i in range(n):
        owner = user if user.has_role("salesperson") else org.sales_a2
        make_customer(
            user, region=org.region_a, owner=owner, name=f"测试客户{user.username}{i:03d}", grade=(9, 6, 3, 1, 0)[i % 5]
        )
        kwargs = {"status": Todo.Status.DONE, "done_at": timezone.now()} if i % 4 == 3 else {}
        make_todo(user, due=today + dt.timedelta(days=(i % 11) - 3), title=f"待办{i:03d}", **kwargs)


@pytest.mark.parametrize(("viewer", "url"), PINS)
def test_query_count_does_not_grow_with_the_data(org, client_as, api_as, django_assert_num_queries, viewer, url):
    user = getattr(org, viewer)
    client = api_as(user) if url.startswith("/api/") else client_as(user)
    expected = PINS[viewer, url]

    add_rows(org, user, 4)
    with django_assert_num_queries(expected):
        few = client.get(url)
    assert few.status_code == 200

    add_rows(org, user, 8)  # three times as many rows as measured
    with django_assert_num_queries(expected):
        many = client.get(url)
    assert many.status_code == 200

    # the second page really shows more: the rows were in what was measured
    if url == "/":
        shown = many.content.decode().count('data-testid="todo"')
        assert shown > few.content.decode().count('data-testid="todo"') >= 3
    elif url == "/customers/":
        assert many.context["page_obj"].paginator.count == few.context["page_obj"].paginator.count + 8
    else:
        assert many.json()["count"] == few.json()["count"] + 8


# The living profile (客户档案) of a salesperson's customer: 22 queries for the customer, its needs,
# grade history, people, machines, projects and audit history; + 2 for the visits section (the last
# visits with their latest note, the open follow-ups).
PROFILE_QUERIES = 24


def test_the_living_profile_costs_a_fixed_number_of_queries(org, client_as, django_assert_num_queries):
    from customers import services as customer_services
    from visits import notes

    client = client_as(org.sales_a1)
    url = f"/customers/{org.cust_a1.pk}/"
    client.get(url)  # the method's defaults are installed on the first visit

    def grow(start: int, n: int) -> None:
        for i in range(start, start + n):
            customer_services.relation_add(
                actor=org.sales_a1, customer=org.cust_a1, kind="friend", name=f"朋友{i}", relation="朋友"
            )
            notes.note_record(
                actor=org.sales_a1,
                customer=org.cust_a1,
                data={"summary": f"拜访{i}", "unclear": [{"text": f"没听懂{i}"}]},
                client_key=f"pin-draft-{i:04d}",
            )

    grow(0, 2)
    with django_assert_num_queries(PROFILE_QUERIES):
        assert client.get(url).status_code == 200
    grow(2, 6)
    with django_assert_num_queries(PROFILE_QUERIES):
        body = client.get(url).content.decode()
    assert "没听懂7" in body and "朋友7" in body
