"""The public pool (公海): the nightly sweep, claims, releases and managers' assignments.

Rules live in ``customers.domain.pool`` (plain Python); this module reads the dealer's
configuration (PoolRule per grade, CustomerSettings limits), applies the rules to the database
and records every move:

- each customer change goes through ``Customer.save()`` (audited by the signal, attributed to the
  request's user or to the background job);
- each move or warning adds a PoolEvent (公海记录);
- whoever has something to do gets a to-do (``core.services.todo_post`` with an idempotency key)
  and a notification.

Every read and write goes through ``core.visibility``; the sweep is the system's own job and reads
every company. Services are keyword-only and run in one transaction each (the sweep: one per
customer, so an error stops the night's run without undoing the customers already handled, and
the next run carries on); rows are locked (SELECT … FOR UPDATE) before they are checked, so two
salespeople clicking "claim" at once cannot both win.

What counts as a follow-up: ``Customer.last_followup_at`` (written by visits and calls). Claiming
or being assigned a customer also restarts its clock (the latest CLAIMED/ASSIGNED PoolEvent to the
current owner), so nobody inherits a predecessor's neglect.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import audit
from core import services as core_services
from core.models import Channel, Company, Region, Role, Todo, User
from core.visibility import Action, can, visible

from . import method, rules
from .domain import pool as dom
from .models import Customer, CustomerSettings, NeedPoint, PoolEvent, PoolRule

KIND_WARNING = "pool_warning"
KIND_RETURNED = "pool_returned"
KIND_CLAIMED = "pool_claimed"
KIND_ASSIGNED = "pool_assigned"
GRADES = {"9", "6", "3", "1", "0"}


def warn_key(customer_id: int) -> str:
    return f"pool-warn:{customer_id}"


# --- configuration ------------------------------------------------------------------------------------


def pool_settings(company_id: int) -> CustomerSettings:
    row, _created = CustomerSettings.objects.get_or_create(company_id=company_id)
    return row


def limits_of(row: CustomerSettings) -> dom.Limits:
    return dom.Limits(holding_cap=row.holding_cap, daily_quota=row.daily_claim_quota, cooldown_days=row.cooldown_days)


def pool_rules(company_id: int) -> dict[int | None, dom.Rule]:
    """The dealer's rules per grade; a new dealer gets the method's defaults first."""
    rows = list(PoolRule.objects.filter(company_id=company_id))
    if not rows and not NeedPoint.objects.filter(company_id=company_id).exists():
        method.install_defaults(Company.objects.get(pk=company_id))
        rows = list(PoolRule.objects.filter(company_id=company_id))
    return {r.grade: dom.Rule(days=r.days, warn_days=r.warn_days) for r in rows}


def _now(now: dt.datetime | None) -> dt.datetime:
    return timezone.localtime(now or timezone.now())


def _date(d: dt.date) -> str:
    return formats.date_format(d, "SHORT_DATE_FORMAT")


def _detail_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


# --- to-dos and notifications (stored text in the site's language) -------------------------------------


def _post_todo(*, user: User, key: str, title: str, due: dt.date, kind: str, url: str, note: str = "", about=None):
    """A keyed to-do; a done one with the same key is opened again (a new cycle, a new claim)."""
    todo = core_services.todo_post(user=user, key=key, title=title, due=due, kind=kind, url=url, note=note, about=about)
    if todo.status == Todo.Status.DONE:
        todo.title, todo.due, todo.url, todo.note = title[:200], due, url, note
        todo.status, todo.done_at, todo.snoozed_until = Todo.Status.OPEN, None, None
        todo.save()
    return todo


def _close_warning(customer_id: int, user_id: int | None) -> None:
    if user_id is None:
        return
    for todo in Todo.objects.filter(user_id=user_id, key=warn_key(customer_id), status=Todo.Status.OPEN):
        core_services.todo_done(todo=todo)


def _site_language():
    return translation.override(settings.LANGUAGE_CODE)


# --- reads ------------------------------------------------------------------------------------------


def _owned_since():
    """When the current owner got the customer (claim or assignment), for the follow-up clock."""
    return Subquery(
        PoolEvent.objects.filter(
            customer=OuterRef("pk"),
            to_owner=OuterRef("owner"),
            action__in=[PoolEvent.Action.CLAIMED, PoolEvent.Action.ASSIGNED],
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )


def holding_of(customer: Customer) -> dom.Holding:
    """The domain's view of an owned customer (``owned_since`` annotated, see _owned_since)."""
    return dom.Holding(
        grade=customer.grade,
        created_at=customer.created_at,
        last_followup_at=customer.last_followup_at,
        owned_since=getattr(customer, "owned_since", None),
        warned_at=customer.pool_warned_at,
        protected=customer.protected,
        in_pool=customer.in_pool,
    )


def pool_search(user, *, q: str = "", region: str = "", grade: str = "") -> QuerySet[Customer]:
    """Pool customers the user may see, newest in the pool first.

    ``region``: "" every region, "mine" the regions the user covers, or a region id.
    """
    qs = visible(user, Customer).filter(in_pool=True).select_related("region", "previous_owner")
    q = rules.clean_text(q)
    if q:
        cond = Q(name__icontains=q)
        digits = q.replace(" ", "")
        if digits.isdigit():
            cond |= Q(phone__contains=digits)
        if q.isascii() and q.isalpha():
            cond |= Q(initials__startswith=q.lower())
        qs = qs.filter(cond)
    if grade in GRADES:
        qs = qs.filter(grade=int(grade))
    if region == "mine":
        qs = qs.filter(region__in=list(user.region_ids))
    elif region.isdigit():
        qs = qs.filter(region_id=int(region))
    return qs.order_by(F("pool_entered_at").desc(nulls_last=True), "-id")


def region_choices(user) -> QuerySet[Region]:
    return visible(user, Region).order_by("name")


def salespeople_for(actor, *, active_only: bool = True) -> QuerySet[User]:
    """Salespeople the actor (a manager: those of their regions) may assign customers to."""
    qs = visible(actor, User).filter(user_roles__role=Role.SALESPERSON)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("display_name", "username")


def claimant_of(user, now: dt.datetime | None = None) -> dom.Claimant:
    """How many customers the user holds and claimed today (two counts)."""
    now = _now(now)
    held = Customer.objects.filter(company_id=user.company_id, owner=user, in_pool=False).count()
    claimed = PoolEvent.objects.filter(
        company_id=user.company_id, action=PoolEvent.Action.CLAIMED, by=user, at__gte=dom.day_start(now)
    ).count()
    return dom.Claimant(held=held, claimed_today=claimed)


def claim_refusals(
    user, customer: Customer, *, claimant: dom.Claimant, limits: dom.Limits, now: dt.datetime | None = None
) -> list[dom.Refusal]:
    """Why ``user`` may not claim ``customer`` now (no query once region_ids is cached)."""
    now = _now(now)
    seen = dom.PoolCustomer(
        in_pool=customer.in_pool,
        protected=customer.protected,
        in_my_regions=customer.region_id in user.region_ids,
        i_was_previous_owner=customer.previous_owner_id == user.pk,
        entered_pool_at=customer.pool_entered_at,
    )
    return dom.claim_refusals(seen, claimant, limits, now)


def refusal_message(
    refusal: dom.Refusal,
    *,
    user,
    customer: Customer,
    claimant: dom.Claimant,
    limits: dom.Limits,
    now: dt.datetime | None = None,
) -> str:
    """The sentence telling the salesperson why, and what they can do about it."""
    now = _now(now)
    name = customer.name
    if refusal == dom.Refusal.NOT_IN_POOL:
        if customer.owner_id == user.pk:
            return _("%(name)s is already yours.") % {"name": name}
        return _("%(name)s is no longer in the public pool: someone else claimed it first.") % {"name": name}
    if refusal == dom.Refusal.PROTECTED:
        return _("%(name)s is reserved: only a manager can assign it.") % {"name": name}
    if refusal == dom.Refusal.OUTSIDE_REGIONS:
        return _("%(name)s is in the region %(region)s, which you do not cover.") % {
            "name": name,
            "region": customer.region,
        }
    if refusal == dom.Refusal.HOLDING_CAP:
        return _(
            "You already hold %(held)d customers; the holding cap is %(cap)d. Release a customer before claiming."
        ) % {"held": claimant.held, "cap": limits.holding_cap}
    if refusal == dom.Refusal.DAILY_QUOTA:
        return _("You have used today's claim quota (%(quota)d claims a day). Claim again tomorrow.") % {
            "quota": limits.daily_quota
        }
    ends = dom.cooldown_ends(customer.pool_entered_at, limits.cooldown_days, now)
    return _(
        "You owned %(name)s before it went to the pool: you may claim it again from %(date)s "
        "(cool-down of %(days)d days)."
    ) % {"name": name, "date": _date(ends) if ends else "—", "days": limits.cooldown_days}


def refusal_label(refusal: dom.Refusal, *, customer: Customer, limits: dom.Limits, now=None) -> str:
    """A few words for a list row."""
    if refusal == dom.Refusal.COOLDOWN:
        ends = dom.cooldown_ends(customer.pool_entered_at, limits.cooldown_days, _now(now))
        return _("cool-down until %(date)s") % {"date": _date(ends) if ends else "—"}
    return {
        dom.Refusal.NOT_IN_POOL: _("already claimed"),
        dom.Refusal.PROTECTED: _("reserved for assignment"),
        dom.Refusal.OUTSIDE_REGIONS: _("not your region"),
        dom.Refusal.HOLDING_CAP: _("holding cap reached"),
        dom.Refusal.DAILY_QUOTA: _("daily quota used"),
    }[refusal]


def pool_events(user, *, action: str = "") -> QuerySet[PoolEvent]:
    qs = visible(user, PoolEvent).select_related("customer", "from_owner", "to_owner", "by")
    if action in PoolEvent.Action.values:
        qs = qs.filter(action=action)
    return qs.order_by("-at", "-id")


# --- the nightly sweep --------------------------------------------------------------------------------


@dataclass
class SweepResult:
    warned: int = 0
    returned: int = 0
    withdrawn: int = 0

    def as_dict(self) -> dict:
        return {"warned": self.warned, "returned": self.returned, "withdrawn": self.withdrawn}


def pool_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """The job body: warn owners before their customers are due, return overdue customers.

    Idempotent: running it again at the same time changes nothing (an owner warned in this
    cycle is not warned twice; a returned customer is in the pool). Attributed to the job in the
    audit trail.
    """
    now = _now(now)
    result = SweepResult()
    with audit.acting(None, Channel.JOB):
        for company_id in Company.objects.order_by("pk").values_list("pk", flat=True):
            _sweep_company(company_id, now, result)
    return result


def _candidates(company_id: int, rules_by_grade: dict, now: dt.datetime) -> list[int]:
    """Owned customers that may need a step today: pre-selected in SQL, decided by the domain."""
    cond = Q(pool_warned_at__isnull=False)
    for grade, rule in rules_by_grade.items():
        if not rule.enabled:
            continue
        last_day = dom.latest_clock_day(rule, now.date()) + dt.timedelta(days=1)
        cutoff = dt.datetime.combine(last_day, dt.time(0), tzinfo=now.tzinfo)
        grade_q = Q(grade__isnull=True) if grade is None else Q(grade=grade)
        cond |= grade_q & Q(protected=False, clock__lt=cutoff)
    return list(
        Customer.objects.filter(company_id=company_id, in_pool=False, owner__isnull=False)
        .annotate(owned_since=_owned_since())
        .annotate(
            clock=Greatest(
                Coalesce("last_followup_at", "created_at"),
                Coalesce("owned_since", "created_at"),
            )
        )
        .filter(cond)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _sweep_company(company_id: int, now: dt.datetime, result: SweepResult) -> None:
    rules_by_grade = pool_rules(company_id)
    returned_by_region: dict[int, int] = defaultdict(int)
    for pk in _candidates(company_id, rules_by_grade, now):
        with transaction.atomic():
            locked = Customer.objects.select_for_update().filter(pk=pk, in_pool=False, owner__isnull=False)
            if not list(locked.values_list("pk", flat=True)):
                continue  # released or moved to the pool meanwhile
            customer = Customer.objects.select_related("owner").annotate(owned_since=_owned_since()).get(pk=pk)
            decision = dom.next_step(holding_of(customer), rules_by_grade, now)
            if decision.step == dom.Step.WARN:
                _warn(customer, decision, now)
                result.warned += 1
            elif decision.step == dom.Step.RETURN:
                _return(customer, now)
                returned_by_region[customer.region_id] += 1
                result.returned += 1
            elif decision.step == dom.Step.WITHDRAW:
                customer.pool_warned_at = None
                customer.save(update_fields=["pool_warned_at"])
                _close_warning(customer.pk, customer.owner_id)
                result.withdrawn += 1
    if returned_by_region:
        _tell_managers(company_id, returned_by_region, now)


def _warn(customer: Customer, decision: dom.Decision, now: dt.datetime) -> None:
    owner = customer.owner
    returns_on = decision.returns_on or now.date()
    customer.pool_warned_at = now
    customer.save(update_fields=["pool_warned_at"])
    with _site_language():
        title = _("Follow up %(name)s by %(date)s, or it returns to the public pool") % {
            "name": customer.name,
            "date": _date(returns_on - dt.timedelta(days=1)),
        }
        note = _("Not followed up since %(date)s.") % {
            "date": _date(dom.local_date(dom.clock_start(holding_of(customer)), now))
        }
    PoolEvent.objects.create(
        company_id=customer.company_id,
        customer=customer,
        action=PoolEvent.Action.WARNED,
        from_owner=owner,
        at=now,
        note=note[:300],
    )
    due = max(now.date(), returns_on - dt.timedelta(days=1))
    url = _detail_url(customer)
    _post_todo(
        user=owner,
        key=warn_key(customer.pk),
        title=title,
        due=due,
        kind=KIND_WARNING,
        url=url,
        note=note,
        about=customer,
    )
    core_services.notify(user=owner, title=title, body=note, url=url)


def _return(customer: Customer, now: dt.datetime) -> None:
    owner = customer.owner
    clock = dom.local_date(dom.clock_start(holding_of(customer)), now)
    customer.owner = None
    customer.in_pool = True
    customer.previous_owner = owner
    customer.pool_entered_at = now
    customer.pool_warned_at = None
    customer.save(update_fields=["owner", "in_pool", "previous_owner", "pool_entered_at", "pool_warned_at"])
    with _site_language():
        note = _("Not followed up since %(date)s.") % {"date": _date(clock)}
        title = _("%(name)s went back to the public pool") % {"name": customer.name}
    PoolEvent.objects.create(
        company_id=customer.company_id,
        customer=customer,
        action=PoolEvent.Action.RETURNED,
        from_owner=owner,
        at=now,
        note=note[:300],
    )
    _close_warning(customer.pk, owner.pk)
    core_services.notify(user=owner, title=title, body=note, url=_detail_url(customer))


def _tell_managers(company_id: int, returned_by_region: dict[int, int], now: dt.datetime) -> None:
    """One to-do per regional manager: the customers that went back to the pool tonight."""
    managers = (
        User.objects.filter(
            company_id=company_id,
            is_active=True,
            user_roles__role=Role.MANAGER,
            regions__in=list(returned_by_region),
        )
        .distinct()
        .prefetch_related("regions")
    )
    for manager in managers:
        n = sum(returned_by_region.get(r.pk, 0) for r in manager.regions.all())
        if not n:
            continue
        with _site_language():
            title = ngettext(
                "%(n)d customer went back to the public pool: assign it or leave it to be claimed",
                "%(n)d customers went back to the public pool: assign them or leave them to be claimed",
                n,
            ) % {"n": n}
        _post_todo(
            user=manager,
            key=f"pool-returned:{now.date().isoformat()}",
            title=title,
            due=now.date(),
            kind=KIND_RETURNED,
            url=reverse("customers:pool") + "?region=mine",
        )


# --- claim, release, protect --------------------------------------------------------------------------


def _lock_user(user: User) -> None:
    """Serialise one salesperson's claims and receipts (daily quota and holding cap)."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


@transaction.atomic
def pool_claim(*, actor: User, customer: Customer, now: dt.datetime | None = None) -> Customer:
    """A salesperson takes a customer out of the pool, within the dealer's limits."""
    now = _now(now)
    if not actor.has_role(Role.SALESPERSON):
        raise PermissionError(_("Only salespeople claim customers; managers assign them."))
    _lock_user(actor)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.company_id != actor.company_id or (customer.in_pool and not can(actor, customer, Action.VIEW)):
        raise PermissionError
    limits = limits_of(pool_settings(customer.company_id))
    claimant = claimant_of(actor, now)
    refusals = claim_refusals(actor, customer, claimant=claimant, limits=limits, now=now)
    if refusals:
        raise ValidationError(
            {
                str(r): refusal_message(r, user=actor, customer=customer, claimant=claimant, limits=limits, now=now)
                for r in refusals
            }
        )
    customer.owner = actor
    customer.in_pool = False
    customer.pool_entered_at = None
    customer.pool_warned_at = None
    customer.save(update_fields=["owner", "in_pool", "pool_entered_at", "pool_warned_at"])
    PoolEvent.objects.create(
        company_id=customer.company_id,
        customer=customer,
        action=PoolEvent.Action.CLAIMED,
        to_owner=actor,
        by=actor,
        at=now,
    )
    with _site_language():
        title = _("First contact with %(name)s (claimed from the public pool)") % {"name": customer.name}
    _post_todo(
        user=actor,
        key=f"pool-claim:{customer.pk}",
        title=title,
        due=now.date(),
        kind=KIND_CLAIMED,
        url=_detail_url(customer),
        about=customer,
    )
    return customer


@transaction.atomic
def pool_release(*, actor: User, customer: Customer, reason: str, now: dt.datetime | None = None) -> Customer:
    """The owner (or a manager) gives a customer back to the pool, saying why."""
    now = _now(now)
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    reason = rules.clean_text(reason or "")
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why the customer goes back to the pool; the pool record keeps it.")
    elif len(reason) > 300:
        errors["reason"] = _("The reason is longer than 300 characters.")
    if customer.in_pool:
        errors["in_pool"] = _("%(name)s is already in the public pool.") % {"name": customer.name}
    elif customer.protected:
        errors["protected"] = _("%(name)s is protected from the pool: a manager must lift the protection first.") % {
            "name": customer.name
        }
    if errors:
        raise ValidationError(errors)
    owner = customer.owner
    customer.previous_owner = owner or customer.previous_owner
    customer.owner = None
    customer.in_pool = True
    customer.pool_entered_at = now
    customer.pool_warned_at = None
    customer.save(update_fields=["owner", "in_pool", "previous_owner", "pool_entered_at", "pool_warned_at"])
    PoolEvent.objects.create(
        company_id=customer.company_id,
        customer=customer,
        action=PoolEvent.Action.RELEASED,
        from_owner=owner,
        by=actor,
        at=now,
        note=reason,
    )
    if owner is not None:
        _close_warning(customer.pk, owner.pk)
        if owner.pk != actor.pk:
            with _site_language():
                title = _("%(by)s moved your customer %(name)s to the public pool") % {
                    "by": actor,
                    "name": customer.name,
                }
            core_services.notify(user=owner, title=title, body=reason, url=_detail_url(customer))
    return customer


@transaction.atomic
def pool_protect(*, actor: User, customer: Customer, protected: bool) -> Customer:
    """A manager protects a customer from the pool (it never returns; in the pool: assign only)."""
    if not actor.has_role(Role.MANAGER, Role.ADMIN):
        raise PermissionError(_("Only managers protect customers from the pool."))
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    protected = bool(protected)
    if customer.protected == protected:
        return customer
    customer.protected = protected
    warned_owner = customer.owner_id if protected and customer.pool_warned_at else None
    if warned_owner:
        customer.pool_warned_at = None
    customer.save(update_fields=["protected", "pool_warned_at"])
    _close_warning(customer.pk, warned_owner)
    return customer


# --- managers: assign, reassign ---------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if not actor.has_role(Role.MANAGER, Role.ADMIN):
        raise PermissionError(_("Only managers assign customers."))


def _check_target(actor: User, to_user: User, customers: list[Customer], limits: dom.Limits) -> None:
    """The receiving salesperson: one the actor manages, active, covering the customers' regions."""
    if (
        to_user.company_id != actor.company_id
        or not salespeople_for(actor, active_only=False).filter(pk=to_user.pk).exists()
    ):
        raise ValidationError({"to_user": _("Choose a salesperson of your regions.")})
    if not to_user.is_active:
        raise ValidationError({"to_user": _("%(name)s is deactivated.") % {"name": to_user}})
    outside = sorted({c.region for c in customers if c.region_id not in to_user.region_ids}, key=str)
    if outside:
        raise ValidationError(
            {
                "to_user": _("%(name)s does not cover the region %(regions)s of the chosen customers.")
                % {"name": to_user, "regions": "、".join(str(r) for r in outside)}
            }
        )
    held = Customer.objects.filter(company_id=to_user.company_id, owner=to_user, in_pool=False).count()
    if dom.over_cap(held, len(customers), limits):
        raise ValidationError(
            {
                "to_user": _("%(name)s holds %(held)d customers; %(n)d more would exceed the holding cap of %(cap)d.")
                % {"name": to_user, "held": held, "n": len(customers), "cap": limits.holding_cap}
            }
        )


def _locked_changeable(actor: User, ids: Iterable[int]) -> list[Customer]:
    """The actor's changeable customers with these ids, locked; 404/403 for any other id."""
    ids = set(ids)
    rows = list(visible(actor, Customer, Action.CHANGE).select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = ids - {c.pk for c in rows}
    if missing:
        if visible(actor, Customer, Action.VIEW).filter(pk__in=missing).exists():
            raise PermissionError
        raise Http404
    return rows


def _move(*, actor: User, customers: list[Customer], to_user: User, note: str, now: dt.datetime) -> None:
    """Give customers to ``to_user``: audited saves, ASSIGNED events, to-dos and notifications."""
    events = []
    losers: dict[int, list[Customer]] = defaultdict(list)
    owners = {u.pk: u for u in User.objects.filter(pk__in={c.owner_id for c in customers if c.owner_id})}
    for c in customers:
        old = c.owner_id
        c.previous_owner_id = old or c.previous_owner_id
        c.owner = to_user
        c.in_pool = False
        c.pool_entered_at = None
        c.pool_warned_at = None
        c.save(update_fields=["owner", "in_pool", "previous_owner", "pool_entered_at", "pool_warned_at"])
        events.append(
            PoolEvent(
                company_id=c.company_id,
                customer=c,
                action=PoolEvent.Action.ASSIGNED,
                from_owner_id=old,
                to_owner=to_user,
                by=actor,
                at=now,
                note=note,
            )
        )
        if old:
            _close_warning(c.pk, old)
            if old != actor.pk:
                losers[old].append(c)
    PoolEvent.objects.bulk_create(events)
    with _site_language():
        if len(customers) == 1:
            c = customers[0]
            title = _("First contact with %(name)s (assigned to you by %(by)s)") % {"name": c.name, "by": actor}
            key, url, about = f"pool-assign:{c.pk}", _detail_url(c), c
        else:
            title = _("First contact with the %(n)d customers %(by)s assigned to you") % {
                "n": len(customers),
                "by": actor,
            }
            key, url, about = f"pool-assign:{now.isoformat()}", reverse("customers:list") + "?pool=0", None
        body = "、".join(c.name for c in customers[:20]) + ("…" if len(customers) > 20 else "")
        if note:
            body = f"{note}\n{body}"
    _post_todo(
        user=to_user, key=key[:120], title=title, due=now.date(), kind=KIND_ASSIGNED, url=url, note=body, about=about
    )
    core_services.notify(user=to_user, title=title, body=body, url=url)
    for owner_id, lost in losers.items():
        with _site_language():
            title = _("%(by)s reassigned %(n)d of your customers to %(to)s") % {
                "by": actor,
                "n": len(lost),
                "to": to_user,
            }
        core_services.notify(user=owners[owner_id], title=title, body="、".join(c.name for c in lost[:20]))


def _customer_ids(customers) -> list[int]:
    ids = []
    for c in customers:
        try:
            ids.append(c.pk if isinstance(c, Customer) else int(c))
        except (TypeError, ValueError):
            raise ValidationError({"customers": _("“%(value)s” is not a customer id.") % {"value": c}}) from None
    return list(dict.fromkeys(ids))


@transaction.atomic
def pool_assign(
    *, actor: User, customers, to_user: User, note: str = "", now: dt.datetime | None = None
) -> list[Customer]:
    """A manager gives pool customers, or customers owned by someone else, to a salesperson.

    Managers are not bound by the daily quota or the cool-down, but the holding cap holds.
    Returns the customers that changed hands (those ``to_user`` already owned are left alone).
    """
    now = _now(now)
    _require_manager(actor)
    ids = _customer_ids(customers)
    if not ids:
        raise ValidationError({"customers": _("Choose at least one customer.")})
    note = rules.clean_text(note or "")[:300]
    _lock_user(to_user)
    rows = _locked_changeable(actor, ids)
    moving = [c for c in rows if c.in_pool or c.owner_id != to_user.pk]
    if not moving:
        raise ValidationError({"customers": _("%(name)s already owns the chosen customers.") % {"name": to_user}})
    _check_target(actor, to_user, moving, limits_of(pool_settings(actor.company_id)))
    _move(actor=actor, customers=moving, to_user=to_user, note=note, now=now)
    return moving


@dataclass(frozen=True)
class Reassigned:
    moved: int
    to_pool: bool


@transaction.atomic
def pool_reassign_all(
    *, actor: User, from_user: User, to_user: User | None, note: str = "", now: dt.datetime | None = None
) -> Reassigned:
    """A salesperson leaves: every customer of theirs the manager may change, in one action.

    To another salesperson (holding cap and regions checked) or, with ``to_user=None``, back
    to the public pool (protection lifted: the manager decided).
    """
    now = _now(now)
    _require_manager(actor)
    if not visible(actor, User).filter(pk=from_user.pk).exists():
        raise Http404
    if to_user is not None and to_user.pk == from_user.pk:
        raise ValidationError({"to_user": _("Choose someone other than the departing salesperson.")})
    note = rules.clean_text(note or "")[:300]
    if to_user is not None:
        _lock_user(to_user)
    rows = list(
        visible(actor, Customer, Action.CHANGE)
        .select_for_update()
        .filter(owner=from_user, in_pool=False)
        .order_by("pk")
    )
    if not rows:
        raise ValidationError(
            {"from_user": _("%(name)s holds no customers in the regions you manage.") % {"name": from_user}}
        )
    if to_user is not None:
        _check_target(actor, to_user, rows, limits_of(pool_settings(actor.company_id)))
        _move(actor=actor, customers=rows, to_user=to_user, note=note, now=now)
        return Reassigned(moved=len(rows), to_pool=False)
    with _site_language():
        event_note = note or _("Reassigned when %(name)s left") % {"name": from_user}
    for c in rows:
        c.previous_owner = from_user
        c.owner = None
        c.in_pool = True
        c.protected = False
        c.pool_entered_at = now
        c.pool_warned_at = None
        c.save(update_fields=["owner", "in_pool", "previous_owner", "protected", "pool_entered_at", "pool_warned_at"])
        _close_warning(c.pk, from_user.pk)
    PoolEvent.objects.bulk_create(
        [
            PoolEvent(
                company_id=c.company_id,
                customer=c,
                action=PoolEvent.Action.RETURNED,
                from_owner=from_user,
                by=actor,
                at=now,
                note=event_note[:300],
            )
            for c in rows
        ]
    )
    return Reassigned(moved=len(rows), to_pool=True)
