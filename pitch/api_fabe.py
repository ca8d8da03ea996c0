"""API of the FABE cards, the pitch sheet, the objection playbook and the competitor scripts (see
core/api.py for the conventions). Same selectors, services and visibility as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Body, Router, Status

from core.api import FilterError, check_query
from core.visibility import Action, get_or_404
from customers.models import Customer
from visits.models import Visit

from . import fabe, objections
from .models import FabeCard, ObjectionHandling, Product

router = Router(tags=["pitch"])


def _id(name: str, value: str, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    if not str(value).isdigit():
        raise FilterError({name: [_("Enter a whole number.")]})
    return int(value)


def _date(name: str, value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError({name: [_("Enter a date as YYYY-MM-DD.")]}) from None


def card_out(card: FabeCard, answers=()) -> dict:
    subject = card.subject
    return {
        "id": card.pk,
        "selling_point": card.selling_point_id,
        "policy": card.policy_id,
        "title": getattr(subject, "title", None) or getattr(subject, "name", None) or str(subject),
        "feature": card.feature,
        "advantage": card.advantage,
        "benefit": card.benefit,
        "evidence_text": card.evidence_text,
        "need_points": [p.code for p in card.need_points.all()],
        "evidence": [
            {
                "id": e.pk,
                "kind": e.kind,
                "title": e.title,
                "url": reverse("pitch:evidence", args=[e.pk]) if e.file else None,
                "customer_name": e.customer_name,
                "quote": e.quote,
            }
            for e in card.evidence.all()
        ],
        "answers": [
            {"need_point": n.need_point.code, "name": n.need_point.name, "rank": r.rank, "stage": str(r.need.stage)}
            for n, r in answers
        ],
    }


@router.get("/pitch/products/{product_id}/cards")
def product_cards(request, product_id: int):
    """The FABE cards of a product's selling points."""
    check_query(request, set())
    product = get_or_404(request.user, Product, product_id)
    cards = fabe.product_cards(request.user, product)
    return {"count": len(cards), "items": [card_out(c) for c in cards]}


@router.get("/pitch/sheet/{customer_id}")
def sheet(request, customer_id: int, product: str = ""):
    """The pitch sheet of a customer: the ranked needs and the FABE cards of the product (default:
    the first on sale) and of the active policies, ordered by the best-ranked need each answers."""
    check_query(request, {"product"})
    data = fabe.sheet(request.user, customer_id, _id("product", product, required=False))
    p = data["product"]
    return {
        "customer": {"id": data["customer"].pk, "name": data["customer"].name},
        "product": {"id": p.pk, "model": p.code} if p else None,
        "needs": [
            {
                "need_point": n.need_point.code,
                "name": n.need_point.name,
                "rank": r.rank,
                "stage": str(r.need.stage),
                "pressure": r.need.pressure,
                "met": r.met,
            }
            for n, r in data["needs"]
        ],
        "cards": [card_out(sc.card, sc.answers) for sc in data["cards"]],
        "uncovered_key_needs": [n.need_point.code for n, _r in data["uncovered"]],
    }


def type_out(t, rates: dict) -> dict:
    return {
        "id": t.pk,
        "title": t.title,
        "need_point": t.need_point.code if t.need_point_id else None,
        "causes": t.causes,
        "open_questions": t.open_questions,
        "closed_questions": t.closed_questions,
        "evidence": t.evidence,
        "answers": [
            {"id": a.pk, "text": a.text, "evidence": a.evidence} | _rate(rates.get(a.pk)) for a in t.answers.all()
        ],
    }


def _rate(r) -> dict:
    if r is None:
        return {"used": 0, "resolved": 0, "partly": 0, "rate": None}
    return {"used": r.used, "resolved": r.resolved, "partly": r.partly, "rate": r.rate}


@router.get("/pitch/objections")
def playbook(request):
    """The objection playbook: types with causes, questions, evidence and answers (with their success rate)."""
    check_query(request, set())
    rates = {r.answer_id: r for r in objections.answer_rates(request.user)}
    types = list(objections.playbook(request.user))
    return {"count": len(types), "items": [type_out(t, rates) for t in types]}


def handling_out(h: ObjectionHandling) -> dict:
    return {
        "id": h.pk,
        "customer": h.customer_id,
        "visit": h.visit_id,
        "objection_type": h.objection_type_id,
        "by": h.by_id,
        "at": h.at.isoformat(),
        "acknowledged": h.acknowledged,
        "cause_questions": h.cause_questions,
        "cause_found": h.cause_found,
        "key_cause_confirmed": h.key_cause_confirmed,
        "answer": h.answer_id,
        "answer_note": h.answer_note,
        "satisfied": h.satisfied,
        "next_doubt": h.next_doubt,
        "outcome": h.outcome,
    }


def _payload_id(payload: dict, name: str) -> int | None:
    value = payload.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValidationError({name: [_("Enter a whole number.")]})
    return int(value)


@router.post("/pitch/objections/handlings", response={201: dict})
def handling_create(request, payload: dict[str, Any] = Body(...)):  # noqa: B008 - ninja's way to take a JSON body
    """Record an objection handled with the six steps: ``visit`` (a visit the user may change) or
    ``customer``; ``objection_type``; ``acknowledged``; ``cause_questions`` (list of texts);
    ``cause_found``; ``key_cause_confirmed``; ``answer`` (an answer of that type) and
    ``answer_note``; ``satisfied`` (yes / partly / no); ``next_doubt``; ``outcome`` (resolved /
    partly / unresolved). 422 with the errors per field; nothing written."""
    visit_id, customer_id = _payload_id(payload, "visit"), _payload_id(payload, "customer")
    visit = None
    if visit_id is not None:
        visit = get_or_404(
            request.user, Visit, visit_id, Action.CHANGE, queryset=Visit.objects.select_related("customer")
        )
        customer = visit.customer
        if customer_id is not None and customer_id != customer.pk:
            raise ValidationError({"customer": [_("This visit is not with this customer.")]})
    elif customer_id is not None:
        customer = get_or_404(request.user, Customer, customer_id)
    else:
        raise ValidationError({"visit": [_("Send the visit or the customer.")]})
    handling = objections.handling_record(
        actor=request.user,
        customer=customer,
        visit=visit,
        objection_type=payload.get("objection_type"),
        acknowledged=payload.get("acknowledged") is True,
        cause_questions=payload.get("cause_questions", []),
        cause_found=str(payload.get("cause_found") or ""),
        key_cause_confirmed=str(payload.get("key_cause_confirmed") or ""),
        answer=payload.get("answer"),
        answer_note=str(payload.get("answer_note") or ""),
        satisfied=str(payload.get("satisfied") or ""),
        next_doubt=str(payload.get("next_doubt") or ""),
        outcome=str(payload.get("outcome") or ""),
    )
    return Status(201, handling_out(handling))


@router.get("/pitch/objections/rates")
def answer_rates(request, since: str = "", until: str = ""):
    """Success rate per answer over the handlings the user may see (a salesperson's own, a
    manager's regions): used, resolved, partly, rate (resolved / used)."""
    check_query(request, {"since", "until"})
    rows = objections.answer_rates(request.user, since=_date("since", since), until=_date("until", until))
    return {
        "count": len(rows),
        "items": [
            {
                "answer": r.answer_id,
                "text": r.text,
                "objection_type": r.objection_type_id,
                "objection": r.objection,
                "used": r.used,
                "resolved": r.resolved,
                "partly": r.partly,
                "rate": r.rate,
            }
            for r in rows
        ],
    }


@router.get("/pitch/competitor-script")
def competitor_script(request, competitor: str = "", product: str = ""):
    """The five-step comparison script for a competitor machine (for our model ``product`` if one
    was written for it, else the general one); ``script`` is null when none is written."""
    check_query(request, {"competitor", "product"})
    s = objections.competitor_script(
        request.user, _id("competitor", competitor), _id("product", product, required=False)
    )
    if s is None:
        return {"script": None}
    return {
        "script": {
            "id": s.pk,
            "competitor_machine": s.competitor_machine_id,
            "product": s.product_id,
            "strengths": s.strengths,
            "why_favoured": s.why_favoured,
            "new_decision_point": s.new_decision_point,
            "explanation": s.explanation,
            "questions_answers": s.questions_answers,
        }
    }
