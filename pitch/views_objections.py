"""Pages of the objection playbook (异议处理): the playbook, handling an objection on a visit with
the six steps (one phone-first form; picking the objection loads its causes, questions and answers
with htmx), and the success rate per answer. Thin: parse, call pitch.objections, render."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.visibility import Action, get_or_404, may
from visits.models import Visit

from . import objections
from .models import ObjectionHandling, ObjectionType

_CHOICES = {"outcomes": ObjectionHandling.Outcome.choices, "satisfied_choices": ObjectionHandling.Satisfied.choices}


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


def _date(value: str | None, name: str, errors: dict) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def playbook(request):
    """The objection types with causes, questions, answers and each answer's success rate."""
    rates = {r.answer_id: r for r in objections.answer_rates(request.user)}
    types = list(objections.playbook(request.user))
    for kind in types:
        for answer in kind.answers.all():
            answer.rate = rates.get(answer.pk)
    return render(
        request,
        "pitch/objections/playbook.html",
        {
            "types": types,
            "can_change": may(request.user, ObjectionType, Action.CHANGE),
        },
    )


def _guide_context(request, kind_id):
    kind = objections.objection_type(request.user, kind_id) if kind_id else None
    if kind is None:
        return {"kind": None}
    rates = {r.answer_id: r for r in objections.answer_rates(request.user)}
    return {"kind": kind, "answers": [(a, rates.get(a.pk)) for a in kind.answers.all()]}


def handle(request, visit_id: int):
    """Handle an objection on a visit: pick the objection, tick the six steps, record the outcome."""
    visit = get_or_404(request.user, Visit, visit_id, Action.CHANGE, queryset=Visit.objects.select_related("customer"))
    if request.method == "POST":
        data = request.POST
        kind_id = _int_or_none(data.get("objection_type"))
        try:
            objections.handling_record(
                actor=request.user,
                customer=visit.customer,
                visit=visit,
                objection_type=data.get("objection_type", ""),
                acknowledged=data.get("acknowledged") == "on",
                cause_questions=data.getlist("cause_questions"),
                cause_found=data.get("cause_found", ""),
                key_cause_confirmed=data.get("key_cause_confirmed", ""),
                answer=data.get("answer", ""),
                answer_note=data.get("answer_note", ""),
                satisfied=data.get("satisfied", ""),
                next_doubt=data.get("next_doubt", ""),
                outcome=data.get("outcome", ""),
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
        except ValidationError as exc:
            ctx = _page_context(request, visit, kind_id if _valid_kind(request, kind_id) else None)
            ctx |= {"errors": exc.message_dict, "values": data, "checked": data.getlist("cause_questions")}
            return render(request, "pitch/objections/handle.html", ctx, status=422)
        next_doubt = data.get("next_doubt", "").strip()
        if next_doubt:
            messages.success(request, _("Objection recorded. Now the next doubt."))
            return redirect(reverse("pitch:handle", args=[visit.pk]) + "?" + urlencode({"doubt": next_doubt[:300]}))
        messages.success(request, _("Objection recorded."))
        return redirect("visits:visit", pk=visit.pk)
    kind_id = _int_or_none(request.GET.get("objection_type") or request.GET.get("type"))
    if _htmx(request):
        ctx = {"v": visit, **_CHOICES, "values": {}, "checked": [], "errors": {}, **_guide_context(request, kind_id)}
        return render(request, "pitch/objections/handle.html#guide", ctx)
    return render(request, "pitch/objections/handle.html", _page_context(request, visit, kind_id))


def _valid_kind(request, kind_id) -> bool:
    return bool(kind_id) and objections.playbook(request.user).filter(pk=kind_id).exists()


def _page_context(request, visit, kind_id) -> dict:
    return {
        "v": visit,
        "c": visit.customer,
        "types": objections.playbook(request.user),
        "kind_id": kind_id,
        "doubt": request.GET.get("doubt", "")[:300],
        "history": list(
            objections.handlings(request.user)
            .filter(customer=visit.customer)
            .select_related("objection_type", "answer")[:10]
        ),
        **_CHOICES,
        "values": {},
        "checked": [],
        "errors": {},
        **_guide_context(request, kind_id),
    }


def report(request):
    """Success rate per answer over the handlings the user may see (?since=&until=)."""
    errors: dict[str, str] = {}
    since = _date(request.GET.get("since"), "since", errors)
    until = _date(request.GET.get("until"), "until", errors)
    return render(
        request,
        "pitch/objections/report.html",
        {
            "rates": objections.answer_rates(request.user, since=since, until=until),
            "totals": objections.outcome_totals(request.user, since=since, until=until),
            "since": since,
            "until": until,
            "errors": errors,
        },
        status=400 if errors else 200,
    )
