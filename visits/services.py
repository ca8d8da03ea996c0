"""The writes every part of the visit flow shares. Keyword-only, validated, one transaction.

    visit = visit_open(actor=…, customer=…)               # today's visit of this customer (planned or new)
    visit_done(actor=…, visit=…, at=…)                     # the visit happened: follow-up date, pool clock

The plan, check-in, notes and daily reports have their own modules (``plan``, ``checkin``, ``notes``,
``reports``) built on these two.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.visibility import Action, can
from customers.models import Customer

from .models import Visit


def _customer_for_visit(actor: User, customer: Customer) -> None:
    """A salesperson visits the customers they may change (their own); managers those of their regions."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    if customer.merged_into_id:
        raise ValidationError({"customer": _("This customer was merged into another one; visit that one.")})


def first_visit(customer: Customer, *, excluding: int | None = None) -> bool:
    """No visit of this customer has happened yet (初次拜访)."""
    qs = Visit.objects.filter(customer=customer, status=Visit.Status.DONE)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return not qs.exists()


@transaction.atomic
def visit_open(*, actor: User, customer: Customer, day: dt.date | None = None) -> Visit:
    """The visit of ``customer`` by ``actor`` on ``day`` (default today): the one planned or already
    started that day, else a new one. First or repeat visit is decided here."""
    _customer_for_visit(actor, customer)
    day = day or timezone.localdate()
    visit = (
        Visit.objects.select_for_update()
        .filter(customer=customer, salesperson=actor, status__in=[Visit.Status.PLANNED, Visit.Status.DONE])
        .filter(planned_on=day)
        .order_by("status", "id")
        .first()
    )
    if visit is None:
        visit = Visit.objects.create(
            company_id=customer.company_id,
            customer=customer,
            salesperson=actor,
            planned_on=day,
            kind=Visit.Kind.FIRST if first_visit(customer) else Visit.Kind.REPEAT,
        )
    return visit


@transaction.atomic
def visit_done(*, actor: User, visit: Visit, at: dt.datetime | None = None) -> Visit:
    """Mark the visit as made (idempotent) and move the customer's last follow-up forward — the
    public pool's clock (``customers.pool``) reads it."""
    if not can(actor, visit, Action.CHANGE):
        raise PermissionError
    return record_done(visit=visit, at=at)


def record_done(*, visit: Visit, at: dt.datetime | None = None) -> Visit:
    """``visit_done`` without the permission check, for jobs (the caller decides)."""
    at = at or timezone.now()
    if visit.status != Visit.Status.DONE:
        visit.status = Visit.Status.DONE
        visit.done_at = visit.done_at or at
        if visit.kind == Visit.Kind.FIRST and not first_visit(visit.customer, excluding=visit.pk):
            visit.kind = Visit.Kind.REPEAT
        visit.save()
    customer = visit.customer
    if customer.last_followup_at is None or customer.last_followup_at < visit.done_at:
        customer.last_followup_at = visit.done_at
        customer.pool_warned_at = None
        customer.save(update_fields=["last_followup_at", "pool_warned_at"])
    return visit
