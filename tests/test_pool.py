"""The public pool (公海): the nightly job, claims, releases, managers' assignments, pages and API."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation

from core import audit, jobs
from core.models import AuditEntry, Channel, Notification, Todo
from customers import pool
from customers.models import Customer, CustomerSettings, PoolEvent, PoolRule
from customers.tasks import pool_sweep_task

from .factories import make_customer, make_user

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
EV = PoolEvent.Action


def night(days: int, hour: int = 1, minute: int = 30) -> dt.datetime:
    """The job's run ``days`` nights from today (customers of build_org were created today)."""
    return dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=SHANGHAI)


def said(msgid: str, **params) -> str:
    """The message as the site's default language says it (translated or not)."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(msgid) % params


def fresh(c: Customer) -> Customer:
    return Customer.objects.get(pk=c.pk)


def counts() -> tuple:
    return (
        PoolEvent.objects.count(),
        Todo.objects.count(),
        Todo.objects.filter(status=Todo.Status.OPEN).count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


def limits(org, **values) -> None:
    CustomerSettings.objects.update_or_create(company=org.company, defaults=values)


def audit_of(c: Customer):
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Customer), object_id=str(c.pk))


def pool_customer(org, name: str, region=None, **fields) -> Customer:
    return make_customer(
        org.manager_a if region is None else org.admin, region=region or org.region_a, name=name, **fields
    )


# --- the nightly job -------------------------------------------------------------------------------


def test_the_pool_job_moves_a_neglected_customer_and_warns_its_owner_first(org):
    """Acceptance: grade 6 (default 14 days, warned 3 days before), never followed up since today."""
    c, owner = org.cust_a1, org.sales_a1
    pool.pool_sweep(now=night(10))
    assert fresh(c).pool_warned_at is None

    pool.pool_sweep(now=night(11))
    c = fresh(c)
    assert (c.owner, c.in_pool, c.pool_warned_at) == (owner, False, night(11))
    todo = Todo.objects.get(user=owner, key=f"pool-warn:{c.pk}")
    assert (todo.status, todo.kind, todo.due, todo.url) == (
        "open",
        "pool_warning",
        night(13).date(),
        f"/customers/{c.pk}/",
    )
    assert c.name in todo.title
    assert Notification.objects.filter(user=owner, title=todo.title).count() == 1
    assert PoolEvent.objects.filter(customer=c, action=EV.WARNED, from_owner=owner).count() == 1

    before = counts()
    pool.pool_sweep(now=night(11))  # the same night again: nothing more
    assert counts() == before
    pool.pool_sweep(now=night(13))
    assert fresh(c).owner == owner

    pool.pool_sweep(now=night(14))
    c = fresh(c)
    assert (c.owner, c.in_pool, c.previous_owner, c.pool_entered_at, c.pool_warned_at) == (
        None,
        True,
        owner,
        night(14),
        None,
    )
    event = PoolEvent.objects.get(customer=c, action=EV.RETURNED)
    assert (event.from_owner, event.to_owner, event.by, event.at) == (owner, None, None, night(14))
    assert Todo.objects.get(pk=todo.pk).status == Todo.Status.DONE  # the warning is over
    assert Notification.objects.filter(user=owner, url=f"/customers/{c.pk}/").count() == 2
    entry = audit_of(c).get(channel=Channel.JOB, changes__has_key="in_pool")
    assert entry.actor is None and entry.changes["owner"] == [owner.pk, None]
    # the regional manager is asked to redistribute what came back tonight
    assert Todo.objects.get(user=org.manager_a, key=f"pool-returned:{night(14).date().isoformat()}").kind == (
        "pool_returned"
    )
    assert not Todo.objects.filter(user=org.manager_b, key=f"pool-returned:{night(14).date().isoformat()}").exists()

    before = counts()
    pool.pool_sweep(now=night(14))
    pool.pool_sweep(now=night(15))
    assert counts() == before


def test_a_follow_up_after_the_warning_withdraws_it_and_restarts_the_clock(org):
    c = org.cust_a1
    pool.pool_sweep(now=night(11))
    Customer.objects.filter(pk=c.pk).update(last_followup_at=night(12, 10))
    result = pool.pool_sweep(now=night(13))
    assert result.withdrawn >= 1
    assert fresh(c).pool_warned_at is None
    assert Todo.objects.get(user=org.sales_a1, key=f"pool-warn:{c.pk}").status == Todo.Status.DONE
    pool.pool_sweep(now=night(14))
    assert fresh(c).owner == org.sales_a1
    # the next cycle warns again, reopening the same to-do
    pool.pool_sweep(now=night(12 + 11))
    todo = Todo.objects.get(user=org.sales_a1, key=f"pool-warn:{c.pk}")
    assert todo.status == Todo.Status.OPEN and todo.due == night(12 + 13).date()
    pool.pool_sweep(now=night(12 + 14))
    assert fresh(c).in_pool


def test_a_protected_customer_never_returns(org):
    pool.pool_sweep(now=night(11))
    pool.pool_protect(actor=org.manager_a, customer=org.cust_a1, protected=True)
    c = fresh(org.cust_a1)
    assert c.protected and c.pool_warned_at is None
    assert Todo.objects.get(key=f"pool-warn:{c.pk}").status == Todo.Status.DONE
    for days in (14, 30, 200):
        pool.pool_sweep(now=night(days))
    assert fresh(c).owner == org.sales_a1
    assert not PoolEvent.objects.filter(customer=c, action=EV.RETURNED).exists()


def test_only_managers_protect(org):
    with pytest.raises(PermissionError):
        pool.pool_protect(actor=org.sales_a1, customer=org.cust_a1, protected=True)
    with pytest.raises(PermissionError):
        pool.pool_protect(actor=org.manager_b, customer=org.cust_a1, protected=True)


def test_the_rules_are_configurable_per_grade(org):
    pool.pool_rules(org.company.pk)  # the defaults are installed for a new dealer
    PoolRule.objects.filter(company=org.company, grade=6).update(days=3, warn_days=1)
    PoolRule.objects.filter(company=org.company, grade=9).update(days=0)  # 0: grade 9 never returns
    pool.pool_sweep(now=night(2))
    assert fresh(org.cust_a1).pool_warned_at == night(2)
    pool.pool_sweep(now=night(3))
    assert fresh(org.cust_a1).in_pool
    pool.pool_sweep(now=night(100))
    assert fresh(org.cust_b1).owner == org.sales_b1


def test_a_claim_restarts_the_clock_for_the_new_owner(org):
    pool.pool_sweep(now=night(11))
    pool.pool_sweep(now=night(14))
    c = fresh(org.cust_a1)
    pool.pool_claim(actor=org.sales_a2, customer=c, now=night(14, 9))
    pool.pool_sweep(now=night(20))
    assert fresh(c).pool_warned_at is None  # due 14 days after the claim, not after the old follow-up
    pool.pool_sweep(now=night(14 + 11))
    assert fresh(c).pool_warned_at is not None


def test_the_job_is_registered_and_its_task_runs_the_sweep(org):
    job = jobs.JOBS["customers.pool_sweep"]
    assert (job.task_path, job.daily_at) == ("customers.tasks.pool_sweep_task", dt.time(1, 30))
    assert "customers.pool_sweep" in jobs.enqueue_due(now=night(1, 1, 31), worker="w")
    assert pool_sweep_task.call() == {"warned": 0, "returned": 0, "withdrawn": 0}


def test_other_companies_are_swept_with_their_own_rules(org, other):
    PoolRule.objects.create(company=other.company, grade=None, days=5, warn_days=1)
    pool.pool_sweep(now=night(4))
    assert fresh(other.customer).pool_warned_at == night(4)
    assert fresh(org.cust_a1).pool_warned_at is None


# --- claim ------------------------------------------------------------------------------------------


def test_a_salesperson_claims_a_pool_customer_of_their_region(org):
    with audit.acting(org.sales_a1, Channel.PAGE):
        c = pool.pool_claim(actor=org.sales_a1, customer=org.cust_pool)
    c = fresh(c)
    assert (c.owner, c.in_pool, c.pool_entered_at) == (org.sales_a1, False, None)
    event = PoolEvent.objects.get(customer=c, action=EV.CLAIMED)
    assert (event.by, event.to_owner) == (org.sales_a1, org.sales_a1)
    todo = Todo.objects.get(user=org.sales_a1, key=f"pool-claim:{c.pk}")
    assert todo.kind == "pool_claimed" and todo.due == timezone.localdate()
    assert audit_of(c).filter(changes__has_key="owner", actor=org.sales_a1).exists()


def test_nobody_claims_a_customer_twice(org):
    pool.pool_claim(actor=org.sales_a1, customer=org.cust_pool)
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_a2, customer=org.cust_pool)
    assert "in_pool" in exc.value.message_dict


def test_a_salesperson_cannot_claim_outside_their_regions(org):
    # sales_b1 sees the pool of every region but covers only region B
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_b1, customer=org.cust_pool)
    assert list(exc.value.message_dict) == ["region"]
    assert org.region_a.name in exc.value.message_dict["region"][0]


def test_a_salesperson_cannot_claim_someone_elses_customer(org, other):
    # (pages and API answer 404 before: the row is not visible; see below)
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_a1, customer=org.cust_a2)
    assert list(exc.value.message_dict) == ["in_pool"]
    with pytest.raises(PermissionError):
        pool.pool_claim(actor=org.sales_a1, customer=other.pool_customer)
    assert fresh(org.cust_a2).owner == org.sales_a2 and fresh(other.pool_customer).in_pool


def test_managers_assign_rather_than_claim(org):
    with pytest.raises(PermissionError):
        pool.pool_claim(actor=org.manager_a, customer=org.cust_pool)


def test_the_holding_cap(org):
    limits(org, holding_cap=1)  # sales_a1 already holds cust_a1
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_a1, customer=org.cust_pool)
    assert list(exc.value.message_dict) == ["holding_cap"]
    assert fresh(org.cust_pool).in_pool


def test_the_daily_quota_resets_the_next_day(org):
    limits(org, daily_claim_quota=1)
    second = pool_customer(org, "第二个公海客户")
    today = timezone.localtime().replace(hour=9)
    pool.pool_claim(actor=org.sales_a1, customer=org.cust_pool, now=today)
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_a1, customer=second, now=today.replace(hour=23))
    assert list(exc.value.message_dict) == ["daily_claim_quota"]
    pool.pool_claim(actor=org.sales_a1, customer=second, now=today + dt.timedelta(days=1))


def test_the_previous_owner_waits_for_the_cooldown(org):
    limits(org, cooldown_days=30)
    now = timezone.localtime()
    pool.pool_release(actor=org.sales_a1, customer=org.cust_a1, reason="暂无购机计划", now=now)
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_a1, customer=org.cust_a1, now=now + dt.timedelta(days=29))
    assert list(exc.value.message_dict) == ["cooldown_days"]
    # another salesperson of the region may claim it at once; the previous owner after 30 days
    with undone():
        pool.pool_claim(actor=org.sales_a2, customer=org.cust_a1, now=now)
    pool.pool_claim(actor=org.sales_a1, customer=org.cust_a1, now=now + dt.timedelta(days=30))


class Undo(Exception):
    pass


@contextlib.contextmanager
def undone():
    """Try something, then roll it back."""
    with contextlib.suppress(Undo), transaction.atomic():
        yield
        raise Undo


def test_a_reserved_pool_customer_is_assigned_not_claimed(org):
    pool.pool_protect(actor=org.manager_a, customer=org.cust_pool, protected=True)
    with pytest.raises(ValidationError) as exc:
        pool.pool_claim(actor=org.sales_a1, customer=org.cust_pool)
    assert list(exc.value.message_dict) == ["protected"]
    pool.pool_assign(actor=org.manager_a, customers=[org.cust_pool], to_user=org.sales_a1)


# --- release ------------------------------------------------------------------------------------------


def test_release_needs_a_reason_and_records_it(org):
    with pytest.raises(ValidationError) as exc:
        pool.pool_release(actor=org.sales_a1, customer=org.cust_a1, reason="  ")
    assert list(exc.value.message_dict) == ["reason"]
    c = pool.pool_release(actor=org.sales_a1, customer=org.cust_a1, reason="客户转行")
    c = fresh(c)
    assert (c.owner, c.in_pool, c.previous_owner) == (None, True, org.sales_a1)
    assert PoolEvent.objects.get(customer=c, action=EV.RELEASED).note == "客户转行"
    with pytest.raises(ValidationError) as exc:
        pool.pool_release(actor=org.manager_a, customer=c, reason="again")
    assert "in_pool" in exc.value.message_dict


def test_release_is_for_the_owner_or_the_manager(org):
    with pytest.raises(PermissionError):
        pool.pool_release(actor=org.sales_a2, customer=org.cust_a1, reason="x")
    pool.pool_release(actor=org.manager_a, customer=org.cust_a1, reason="长期未联系")
    assert Notification.objects.filter(user=org.sales_a1, body="长期未联系").exists()


def test_a_protected_customer_is_not_released(org):
    pool.pool_protect(actor=org.manager_a, customer=org.cust_a1, protected=True)
    with pytest.raises(ValidationError) as exc:
        pool.pool_release(actor=org.sales_a1, customer=org.cust_a1, reason="x")
    assert list(exc.value.message_dict) == ["protected"]


# --- managers assign and reassign ---------------------------------------------------------------------


def test_a_manager_assigns_a_pool_customer(org):
    moved = pool.pool_assign(actor=org.manager_a, customers=[org.cust_pool.pk], to_user=org.sales_a2, note="就近")
    c = fresh(org.cust_pool)
    assert [m.pk for m in moved] == [c.pk] and (c.owner, c.in_pool) == (org.sales_a2, False)
    event = PoolEvent.objects.get(customer=c, action=EV.ASSIGNED)
    assert (event.by, event.from_owner, event.to_owner, event.note) == (org.manager_a, None, org.sales_a2, "就近")
    todo = Todo.objects.get(user=org.sales_a2, key=f"pool-assign:{c.pk}")
    assert todo.kind == "pool_assigned" and c.name in todo.title
    assert Notification.objects.filter(user=org.sales_a2, title=todo.title).exists()


def test_a_manager_reassigns_an_owned_customer(org):
    pool.pool_sweep(now=night(11))  # sales_a1 was warned about cust_a1
    pool.pool_assign(actor=org.manager_a, customers=[org.cust_a1], to_user=org.sales_a2)
    c = fresh(org.cust_a1)
    assert (c.owner, c.previous_owner, c.pool_warned_at) == (org.sales_a2, org.sales_a1, None)
    assert Todo.objects.get(user=org.sales_a1, key=f"pool-warn:{c.pk}").status == Todo.Status.DONE
    assert Notification.objects.filter(user=org.sales_a1, title__contains=str(org.sales_a2)).exists()


def test_a_salesperson_cannot_assign(org):
    with pytest.raises(PermissionError):
        pool.pool_assign(actor=org.sales_a1, customers=[org.cust_pool], to_user=org.sales_a1)
    with pytest.raises(PermissionError):
        pool.pool_reassign_all(actor=org.sales_a1, from_user=org.sales_a2, to_user=org.sales_a1)


def test_a_manager_assigns_only_in_their_regions(org):
    with pytest.raises(Http404):  # region B's customer: invisible to manager A
        pool.pool_assign(actor=org.manager_a, customers=[org.cust_b1], to_user=org.sales_a2)
    with pytest.raises(ValidationError) as exc:  # region B's salesperson: not manager A's
        pool.pool_assign(actor=org.manager_a, customers=[org.cust_pool], to_user=org.sales_b1)
    assert list(exc.value.message_dict) == ["to_user"]
    with pytest.raises(ValidationError) as exc:  # the administrator: the salesperson must cover the region
        pool.pool_assign(actor=org.admin, customers=[org.cust_b1], to_user=org.sales_a1)
    assert org.region_b.name in exc.value.message_dict["to_user"][0]
    assert fresh(org.cust_b1).owner == org.sales_b1


def test_finance_sees_but_cannot_assign(org):
    with pytest.raises(PermissionError):
        pool.pool_assign(actor=org.finance, customers=[org.cust_pool], to_user=org.sales_a1)


def test_assigning_respects_the_holding_cap(org):
    limits(org, holding_cap=1)
    with pytest.raises(ValidationError) as exc:
        pool.pool_assign(actor=org.manager_a, customers=[org.cust_pool], to_user=org.sales_a1)
    assert exc.value.message_dict["to_user"] == [
        said(
            "%(name)s holds %(held)d customers; %(n)d more would exceed the holding cap of %(cap)d.",
            name=org.sales_a1,
            held=1,
            n=1,
            cap=1,
        )
    ]


def test_reassign_all_of_a_departing_salesperson_in_one_action(org):
    extra = [make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name=f"老客户{i}") for i in range(3)]
    elsewhere = make_customer(org.admin, region=org.region_b, owner=org.sales_a1, name="外区客户")
    done = pool.pool_reassign_all(actor=org.manager_a, from_user=org.sales_a1, to_user=org.sales_a2, note="离职")
    assert (done.moved, done.to_pool) == (4, False)
    for c in [org.cust_a1, *extra]:
        c = fresh(c)
        assert (c.owner, c.previous_owner) == (org.sales_a2, org.sales_a1)
    assert fresh(elsewhere).owner == org.sales_a1  # region B is manager B's business
    assert PoolEvent.objects.filter(action=EV.ASSIGNED, by=org.manager_a, note="离职").count() == 4
    todo = Todo.objects.get(user=org.sales_a2, kind="pool_assigned")
    assert "4" in todo.title and "老客户0" in todo.note


def test_reassign_all_is_all_or_nothing(org):
    for i in range(3):
        make_customer(org.sales_a1, region=org.region_a, owner=org.sales_a1, name=f"老客户{i}")
    limits(org, holding_cap=4)  # sales_a2 holds 1 and would get 4
    with pytest.raises(ValidationError) as exc:
        pool.pool_reassign_all(actor=org.manager_a, from_user=org.sales_a1, to_user=org.sales_a2)
    assert list(exc.value.message_dict) == ["to_user"]
    assert Customer.objects.filter(owner=org.sales_a1).count() == 4
    assert not PoolEvent.objects.exists()


def test_reassign_all_back_to_the_pool(org):
    org.sales_a1.is_active = False
    org.sales_a1.save()
    pool.pool_protect(actor=org.manager_a, customer=org.cust_a1, protected=True)
    done = pool.pool_reassign_all(actor=org.manager_a, from_user=org.sales_a1, to_user=None)
    c = fresh(org.cust_a1)
    assert done.to_pool and (c.owner, c.in_pool, c.protected, c.previous_owner) == (None, True, False, org.sales_a1)
    assert PoolEvent.objects.get(customer=c, action=EV.RETURNED).by == org.manager_a


def test_reassign_all_checks_both_salespeople(org):
    with pytest.raises(Http404):
        pool.pool_reassign_all(actor=org.manager_b, from_user=org.sales_a1, to_user=org.sales_b1)
    with pytest.raises(ValidationError):
        pool.pool_reassign_all(actor=org.manager_a, from_user=org.sales_a1, to_user=org.sales_a1)
    gone = make_user(org.company, "sales_gone", ["salesperson"], regions=[org.region_a])
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError) as exc:
        pool.pool_reassign_all(actor=org.manager_a, from_user=org.sales_a1, to_user=gone)
    assert list(exc.value.message_dict) == ["to_user"]
    with pytest.raises(ValidationError) as exc:
        pool.pool_reassign_all(actor=org.manager_a, from_user=gone, to_user=org.sales_a1)
    assert list(exc.value.message_dict) == ["from_user"]


# --- pages ----------------------------------------------------------------------------------------------


def test_the_pool_page_shows_claim_buttons_for_the_salespeople_of_the_region(org, client_as):
    page = client_as(org.sales_a1).get("/customers/pool/")
    assert page.status_code == 200
    html = page.content.decode()
    assert org.cust_pool.name in html and 'data-testid="claim"' in html
    assert org.cust_a1.name not in html
    # a salesperson of region B sees only their regions by default; all regions on request, without a button
    assert org.cust_pool.name not in client_as(org.sales_b1).get("/customers/pool/").content.decode()
    other_region = client_as(org.sales_b1).get("/customers/pool/?region=all").content.decode()
    assert org.cust_pool.name in other_region and 'data-testid="claim"' not in other_region
    assert 'data-testid="blocked"' in other_region


def test_the_pool_page_filters_by_region_and_grade(org, client_as):
    g9 = pool_customer(org, "高意向公海客户", grade=9)
    b = pool_customer(org, "鲁南公海客户", region=org.region_b, grade=9)
    c = client_as(org.admin)
    names = lambda r: {row["c"].name for row in r.context["rows"]}  # noqa: E731
    assert names(c.get("/customers/pool/?grade=9&region=all")) == {g9.name, b.name}
    assert names(c.get(f"/customers/pool/?region={org.region_b.pk}")) == {b.name}
    assert names(c.get("/customers/pool/?grade=1")) == {org.cust_pool.name}
    htmx = c.get("/customers/pool/?grade=9", headers={"HX-Request": "true"})
    assert htmx.content.decode().lstrip().startswith('<div id="results">')


def test_claiming_from_the_page(org, client_as):
    c = client_as(org.sales_a1)
    r = c.post(f"/customers/pool/{org.cust_pool.pk}/claim/", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'data-testid="claimed"' in r.content.decode() and 'hx-swap-oob="true"' in r.content.decode()
    assert fresh(org.cust_pool).owner == org.sales_a1
    again = client_as(org.sales_a2).post(f"/customers/pool/{org.cust_pool.pk}/claim/", headers={"HX-Request": "true"})
    assert again.status_code == 404  # no longer in the pool: no longer visible to sales_a2


def test_a_refused_claim_says_why(org, client_as):
    limits(org, holding_cap=1)
    c = client_as(org.sales_a1)
    r = c.post(f"/customers/pool/{org.cust_pool.pk}/claim/", headers={"HX-Request": "true"})
    assert r.status_code == 422 and 'data-testid="claim-error"' in r.content.decode()
    plain = c.post(f"/customers/pool/{org.cust_pool.pk}/claim/", follow=True)
    text = said(
        "You already hold %(held)d customers; the holding cap is %(cap)d. Release a customer before claiming.",
        held=1,
        cap=1,
    )
    assert [str(m) for m in plain.context["messages"]] == [text]


def test_claiming_without_htmx_opens_the_customer(org, client_as):
    r = client_as(org.sales_a1).post(f"/customers/pool/{org.cust_pool.pk}/claim/")
    assert r.status_code == 302 and r["Location"] == f"/customers/{org.cust_pool.pk}/"


def test_invisible_rows_are_404_on_every_pool_page(org, other, client_as):
    c = client_as(org.sales_a1)
    assert c.post(f"/customers/pool/{org.cust_a2.pk}/claim/").status_code == 404
    assert c.post(f"/customers/pool/{other.pool_customer.pk}/claim/").status_code == 404
    assert c.get(f"/customers/pool/{org.cust_a2.pk}/release/").status_code == 404
    assert client_as(org.manager_b).post(f"/customers/pool/{org.cust_a1.pk}/protect/").status_code == 404
    m = client_as(org.manager_a)
    r = m.post("/customers/pool/assign/", {"customers": [org.cust_b1.pk], "to_user": org.sales_a2.pk})
    assert r.status_code == 404
    assert fresh(org.cust_b1).owner == org.sales_b1


def test_a_salesperson_cannot_use_the_manager_pages(org, client_as):
    c = client_as(org.sales_a1)
    assert c.get("/customers/pool/assign/").status_code == 403
    assert c.post("/customers/pool/reassign/", {"from_user": org.sales_a2.pk, "to_user": "pool"}).status_code == 403
    assert c.post(f"/customers/pool/{org.cust_a1.pk}/protect/", {"protected": "1"}).status_code == 403
    assert not fresh(org.cust_a1).protected
    assert fresh(org.cust_a2).owner == org.sales_a2


def test_release_page(org, client_as):
    c = client_as(org.sales_a1)
    assert c.get(f"/customers/pool/{org.cust_a1.pk}/release/").status_code == 200
    bad = c.post(f"/customers/pool/{org.cust_a1.pk}/release/", {"reason": ""})
    assert bad.status_code == 422 and bad.context["form"].errors["reason"]
    ok = c.post(f"/customers/pool/{org.cust_a1.pk}/release/", {"reason": "客户已购竞品"})
    assert ok.status_code == 302 and fresh(org.cust_a1).in_pool


def test_protect_page(org, client_as):
    m = client_as(org.manager_a)
    r = m.post(f"/customers/pool/{org.cust_a1.pk}/protect/", {"protected": "1", "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == f"/customers/{org.cust_a1.pk}/"
    assert fresh(org.cust_a1).protected
    m.post(f"/customers/pool/{org.cust_a1.pk}/protect/", {"protected": "0"})
    assert not fresh(org.cust_a1).protected


def test_assign_page(org, client_as):
    m = client_as(org.manager_a)
    page = m.get("/customers/pool/assign/")
    assert page.status_code == 200 and org.cust_pool.name in page.content.decode()
    assert org.cust_a1.name not in page.content.decode()
    owned = m.get(f"/customers/pool/assign/?source={org.sales_a1.pk}")
    assert org.cust_a1.name in owned.content.decode()
    r = m.post(
        f"/customers/pool/assign/?source={org.sales_a1.pk}", {"customers": [org.cust_a1.pk], "to_user": org.sales_a2.pk}
    )
    assert r.status_code == 302 and fresh(org.cust_a1).owner == org.sales_a2
    none = m.post("/customers/pool/assign/", {"to_user": org.sales_a2.pk})
    assert none.status_code == 422 and none.context["form"].non_field_errors()
    b = m.post("/customers/pool/assign/", {"customers": [org.cust_pool.pk], "to_user": org.sales_b1.pk})
    assert b.status_code == 422 and b.context["form"].errors["to_user"]  # not a choice for manager A


def test_reassign_page_previews_then_moves(org, client_as):
    m = client_as(org.manager_a)
    assert m.get("/customers/pool/reassign/").status_code == 200
    preview = m.post("/customers/pool/reassign/", {"from_user": org.sales_a1.pk, "to_user": org.sales_a2.pk})
    assert preview.status_code == 200 and preview.context["preview"]["count"] == 1
    assert fresh(org.cust_a1).owner == org.sales_a1
    done = m.post(
        "/customers/pool/reassign/", {"from_user": org.sales_a1.pk, "to_user": org.sales_a2.pk, "confirm": "1"}
    )
    assert done.status_code == 302 and fresh(org.cust_a1).owner == org.sales_a2
    to_pool = m.post("/customers/pool/reassign/", {"from_user": org.sales_a2.pk, "to_user": "pool", "confirm": "1"})
    assert to_pool.status_code == 302
    assert Customer.objects.filter(owner=org.sales_a2).count() == 0
    same = m.post("/customers/pool/reassign/", {"from_user": org.sales_a1.pk, "to_user": org.sales_a1.pk})
    assert same.status_code == 422 and same.context["form"].errors["to_user"]
    empty = m.post("/customers/pool/reassign/", {"from_user": org.sales_a1.pk, "to_user": "pool"})
    assert empty.status_code == 422 and empty.context["form"].errors["from_user"]


def test_the_pool_record_page(org, client_as):
    pool.pool_claim(actor=org.sales_a1, customer=org.cust_pool)
    pool.pool_release(actor=org.sales_b1, customer=org.cust_b1, reason="不再联系")
    html = client_as(org.sales_a1).get("/customers/pool/events/").content.decode()
    assert org.cust_pool.name in html and org.cust_b1.name in html  # own customer and a pool customer
    manager_b = client_as(org.manager_b).get("/customers/pool/events/?action=claimed").content.decode()
    assert org.cust_pool.name not in manager_b


def test_the_menu_shows_the_pool_to_the_sales_side(org, client_as):
    assert 'href="/customers/pool/"' in client_as(org.sales_a1).get("/").content.decode()
    assert 'href="/customers/pool/"' not in client_as(org.service).get("/").content.decode()


# --- API ----------------------------------------------------------------------------------------------


def test_api_pool_list(org, api_as):
    sales = api_as(org.sales_a1)
    body = sales.get("/api/pool").json()
    assert [i["id"] for i in body["items"]] == [org.cust_pool.pk] and body["items"][0]["can_claim"] is True
    b = api_as(org.sales_b1).get("/api/pool?region=").json()
    assert b["items"][0]["can_claim"] is False and "region" in b["items"][0]["claim_refusals"]
    assert api_as(org.sales_b1).get("/api/pool?region=mine").json()["count"] == 0
    assert sales.get("/api/pool?grade=1").json()["count"] == 1
    assert sales.get("/api/pool?grade=5").status_code == 400
    bad = sales.get("/api/pool?owner=1")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_filter"
    assert "can_claim" not in api_as(org.manager_a).get("/api/pool").json()["items"][0]


def test_api_claim_and_release(org, other, api_as):
    sales = api_as(org.sales_a1)
    r = sales.post(f"/api/pool/{org.cust_pool.pk}/claim")
    assert r.status_code == 200 and r.json()["owner"] == org.sales_a1.pk
    again = api_as(org.sales_a2).post(f"/api/pool/{org.cust_pool.pk}/claim")
    assert again.status_code == 404
    assert sales.post(f"/api/pool/{other.pool_customer.pk}/claim").status_code == 404
    region = api_as(org.sales_b1).post(f"/api/pool/{pool_customer(org, '再一个').pk}/claim")
    assert region.status_code == 422 and "region" in region.json()["error"]["fields"]
    missing = sales.post(f"/api/customers/{org.cust_pool.pk}/release", {})
    assert missing.status_code == 422 and "reason" in missing.json()["error"]["fields"]
    empty = sales.post(f"/api/customers/{org.cust_pool.pk}/release", {"reason": " "})
    assert empty.status_code == 422 and "reason" in empty.json()["error"]["fields"]
    ok = sales.post(f"/api/customers/{org.cust_pool.pk}/release", {"reason": "不需要了"})
    assert ok.status_code == 200 and ok.json()["in_pool"] is True
    assert sales.post(f"/api/customers/{org.cust_a2.pk}/release", {"reason": "x"}).status_code == 404
    assert api_as(org.manager_a).post(f"/api/pool/{org.cust_a1.pk}/claim").status_code == 403


def test_api_assign_and_reassign(org, api_as):
    sales = api_as(org.sales_a1)
    body = {"customers": [org.cust_pool.pk], "to_user": org.sales_a1.pk}
    assert sales.post("/api/pool/assign", body).status_code == 403
    manager = api_as(org.manager_a)
    assert (
        manager.post("/api/pool/assign", {"customers": [org.cust_b1.pk], "to_user": org.sales_a1.pk}).status_code == 404
    )
    wrong = manager.post("/api/pool/assign", {"customers": [org.cust_pool.pk], "to_user": org.sales_b1.pk})
    assert wrong.status_code == 422 and "to_user" in wrong.json()["error"]["fields"]
    ok = manager.post("/api/pool/assign", body)
    assert ok.status_code == 200 and ok.json()["moved"] == 1
    everything = manager.post("/api/pool/reassign-all", {"from_user": org.sales_a1.pk, "to_user": org.sales_a2.pk})
    assert everything.status_code == 200 and everything.json()["moved"] == 2
    back = manager.post("/api/pool/reassign-all", {"from_user": org.sales_a2.pk, "to_user": None})
    assert back.status_code == 200 and back.json()["to_pool"] is True
    assert manager.post("/api/pool/reassign-all", {"from_user": org.sales_b1.pk}).status_code == 422
    protect = manager.post(f"/api/customers/{org.cust_a1.pk}/protect", {"protected": True})
    assert protect.status_code == 200 and protect.json()["protected"] is True
    assert sales.post(f"/api/customers/{org.cust_a1.pk}/protect", {"protected": True}).status_code in (403, 404)


# --- query-count pins -------------------------------------------------------------------------------

POOL_PINS = {
    # session, user, roles, regions, then: settings, held, claimed today, region choices, count, page
    ("sales_a1", "/customers/pool/"): 10,
    ("manager_a", "/customers/pool/"): 7,  # no claim buttons: no limits or counts
    ("sales_a1", "/api/pool"): 9,  # token, last use, roles, regions, settings, held, claimed today, count, page
    ("manager_a", "/customers/pool/events/"): 6,
}


@pytest.mark.parametrize(("viewer", "url"), POOL_PINS)
def test_the_pool_pages_cost_a_fixed_number_of_queries(org, client_as, api_as, django_assert_num_queries, viewer, url):
    user = getattr(org, viewer)
    client = api_as(user) if url.startswith("/api/") else client_as(user)
    pool.pool_settings(org.company.pk)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            c = pool_customer(org, f"公海客户{i:03d}", grade=(9, 6, 3, 1, 0)[i % 5])
            pool.pool_assign(actor=org.manager_a, customers=[c], to_user=org.sales_a2)
            pool.pool_release(actor=org.sales_a2, customer=c, reason="测试")

    add(3, 0)
    with django_assert_num_queries(POOL_PINS[viewer, url]):
        few = client.get(url)
    assert few.status_code == 200
    add(9, 3)
    with django_assert_num_queries(POOL_PINS[viewer, url]):
        many = client.get(url)
    assert many.status_code == 200
    if url == "/api/pool":
        assert many.json()["count"] == few.json()["count"] + 9
    else:
        assert many.context["page_obj"].paginator.count > few.context["page_obj"].paginator.count
