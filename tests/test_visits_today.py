"""The visits panel of the Today page (今日): visits made / planned today, and how many more
customers are due by cadence."""

from __future__ import annotations

from django.utils import timezone

from customers.models import Customer
from visits import plan
from visits.services import visit_done, visit_open


def test_a_salesperson_sees_todays_visits_on_the_today_page(org, client_as):
    today = timezone.localdate()
    Customer.objects.filter(owner=org.sales_a1).update(last_followup_at=None)  # never visited: all due
    plan.plan_add(actor=org.sales_a1, customer=org.cust_a1, day=today)
    extra = Customer.objects.create(company=org.company, region=org.region_a, owner=org.sales_a1, name="新客户甲")
    visit_done(actor=org.sales_a1, visit=visit_open(actor=org.sales_a1, customer=extra))

    response = client_as(org.sales_a1).get("/")
    panel = response.context["panels"][0]
    assert (panel["done"], panel["planned"]) == (1, 2)
    due = Customer.objects.filter(owner=org.sales_a1, last_followup_at__isnull=True).exclude(pk=org.cust_a1.pk).count()
    assert panel["due"] == due
    body = response.content.decode()
    assert 'data-testid="today-visits"' in body and "1/2" in body


def test_the_panel_is_for_salespeople_only(org, client_as):
    assert client_as(org.manager_a).get("/").context["panels"] == []
    assert client_as(org.finance).get("/").context["panels"] == []
