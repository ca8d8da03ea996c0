"""API of the visit notes (see core/api.py for the conventions).

The phone's offline drafts are sent here: ``POST /api/visits/notes`` with the note's payload (see
``visits.notes``) and its ``client_key``; 201 when recorded, 200 with the same note when that draft
was recorded already (nothing is written twice).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Body, Router, Status

from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404, visible
from customers.models import Customer

from . import notes
from .brief import brief_for
from .models import FollowUp, Visit, VisitNote

router = Router(tags=["visits"])


def followup_out(f: FollowUp) -> dict:
    return {
        "id": f.pk,
        "customer": f.customer_id,
        "visit": f.visit_id,
        "note": f.note_id,
        "kind": f.kind,
        "text": f.text,
        "due_on": f.due_on,
        "status": f.status,
        "done_at": f.done_at.isoformat() if f.done_at else None,
        "owner": f.owner_id,
    }


def note_out(n: VisitNote) -> dict:
    return {
        "id": n.pk,
        "visit": n.visit_id,
        "customer": n.customer_id,
        "author": n.author_id,
        "client_key": n.client_key,
        "summary": n.summary,
        "changes": n.changes,
        "recorded_at": n.recorded_at.isoformat(),
        "url": reverse("visits:note_detail", args=[n.pk]),
    }


def _id(payload: dict, name: str) -> int | None:
    value = payload.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValidationError({name: [_("Enter a whole number.")]})
    return int(value)


@router.post("/visits/notes", response={200: dict, 201: dict}, url_name="visit_note_create")
def note_create(request, payload: dict[str, Any] = Body(...)):  # noqa: B008 - ninja's way to take a JSON body
    """Record a visit note: the structured payload of ``visits.notes`` plus ``visit`` (a visit id) or
    ``customer`` (a customer id: today's visit is opened) and ``client_key`` (the draft's key).

    201: recorded. 200: this ``client_key`` was recorded already — the same note, nothing written.
    422: the errors name the entry and field (``relations[1].phone``); nothing was written."""
    data = dict(payload)
    visit_id, customer_id = _id(data, "visit"), _id(data, "customer")
    data.pop("visit", None)
    data.pop("customer", None)
    visit = customer = None
    if visit_id is not None:
        visit = get_or_404(
            request.user, Visit, visit_id, Action.CHANGE, queryset=Visit.objects.select_related("customer")
        )
    elif customer_id is not None:
        customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    else:
        raise ValidationError({"customer": [_("Say which customer or visit the note is about.")]})
    client_key = data.pop("client_key", "") or ""
    if not isinstance(client_key, str):
        raise ValidationError({"client_key": [_("Enter text.")]})
    note, created = notes.note_record(
        actor=request.user, visit=visit, customer=customer, client_key=client_key, data=data
    )
    body = note_out(note) | {
        "created": created,
        "message": _("Visit note recorded.")
        if created
        else _("This note was already recorded; nothing was written again."),
    }
    return Status(201 if created else 200, body)


@router.get("/visits/notes")
def note_list(request, customer: str = "", visit: str = ""):
    """The visit notes the caller may see, newest first. Filters: customer, visit (ids)."""
    check_query(request, {"customer", "visit"})
    qs = visible(request.user, VisitNote)
    for name, value in (("customer", customer), ("visit", visit)):
        if value and not value.isdigit():
            raise FilterError({name: [_("Enter a whole number.")]})
        if value:
            qs = qs.filter(**{f"{name}_id": int(value)})
    return paginate(request, qs.order_by("-recorded_at", "-id"), note_out)


@router.get("/visits/notes/{note_id}")
def note_get(request, note_id: int):
    note = get_or_404(request.user, VisitNote, note_id, Action.VIEW)
    followups = visible(request.user, FollowUp).filter(note=note).order_by("id")
    return note_out(note) | {"followups": [followup_out(f) for f in followups]}


@router.post("/visits/followups/{followup_id}/done")
def followup_done(request, followup_id: int):
    item = get_or_404(request.user, FollowUp, followup_id, Action.CHANGE)
    return followup_out(notes.followup_done(actor=request.user, followup=item))


@router.get("/customers/{customer_id}/brief")
def customer_brief(request, customer_id: int):
    """The visit card (拜访卡): the repeat visit's entry points for one customer."""
    customer = get_or_404(request.user, Customer, customer_id, Action.VIEW)
    b = brief_for(request.user, customer)
    return {
        "customer": customer.pk,
        "name": customer.name,
        "grade": b.grade,
        "tier": customer.tier,
        "cadence_days": b.cadence_days,
        "last_visit": b.last_visit,
        "next_due": b.next_due,
        "overdue_days": b.overdue_days,
        "purchase_window": b.purchase_window,
        "recommend": [
            {"product": r.product.pk, "code": r.product.code, "name": r.product.name, "fit": r.score}
            for r in b.recommend
        ],
        "questions": [followup_out(f) for f in b.questions],
        "commitments": [followup_out(f) for f in b.commitments],
        "later_commitments": b.later_commitments,
        "care": [{"kind": c.kind, "text": c.text, "day": c.day, "in_days": c.days} for c in b.care],
        "complaint": (
            {
                "reason": b.complaint.reason if b.complaint else "",
                "at": b.complaint.at.isoformat() if b.complaint else None,
            }
            if b.is_complaint
            else None
        ),
        "key_needs_to_verify": [
            {"id": n.pk, "need": n.need_point.code, "name": n.need_point.name} for n in b.unverified_key
        ],
        "key_needs_unmet": [
            {"id": n.pk, "need": n.need_point.code, "name": n.need_point.name, "pressure": n.pressure}
            for n in b.unmet_key
        ],
        "last_note": note_out(b.last_note) if b.last_note else None,
    }
