"""Pages of the visit plan (拜访计划) and the visit page (appointment, preparation, checklist).
Thin: parse the input, call a selector or a service of ``visits.plan``, render."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.models import Role
from core.visibility import Action, get_or_404
from customers.models import Customer

from . import plan, services
from .models import Visit

# ------------------------------------------------------------------------------------------ forms


class AppointmentForm(forms.Form):
    """Input shape of the appointment (预约); ``plan.appointment_record`` validates the rules."""

    at = forms.DateTimeField(
        label=gettext_lazy("Proposed time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Propose a time (a closed question), in the customer's free time."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[("", "—"), *Visit.Channel.choices], required=False
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[("", gettext_lazy("Not asked yet")), *[c for c in Visit.Outcome.choices if c[0]]],
        required=False,
        widget=forms.RadioSelect,
    )
    approach = forms.ChoiceField(
        label=gettext_lazy("Way in"),
        choices=[("", gettext_lazy("Not needed")), *[c for c in Visit.Approach.choices if c[0]]],
        required=False,
        widget=forms.RadioSelect,
    )
    introducer_id = forms.TypedChoiceField(
        label=gettext_lazy("Introduced by"), coerce=int, empty_value=None, required=False, choices=[]
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=plan.NOTE_MAX)

    def __init__(self, *args, introducers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["introducer_id"].choices = [("", "—")] + [
            (r.pk, f"{r.name}（{r.relation}）· {_('influence')} {r.influence}/5") for r in introducers
        ]


class PrepareForm(forms.Form):
    """Preparation (拜访准备): suggested objectives ticked, own objectives one per line, main actions."""

    needs = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Objectives from the key needs"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    objectives = forms.CharField(
        label=gettext_lazy("Other objectives (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    actions = forms.CharField(
        label=gettext_lazy("Main actions (主要行动措施)"),
        required=False,
        max_length=plan.ACTIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = list(choices)


def _objective_choices(page: plan.VisitPage) -> list[tuple[int, str]]:
    """Each suggestion, and each saved objective tied to a need that is no longer suggested."""
    out = {o["need_id"]: o["text"] for o in page.visit.objectives or [] if o.get("need_id")}
    for s in page.suggestions:
        out.setdefault(s["need_id"], s["text"])
    return list(out.items())


def _prepare_form(page: plan.VisitPage, data=None) -> PrepareForm:
    saved = page.visit.objectives or []
    initial = {
        "needs": [o["need_id"] for o in saved if o.get("need_id")],
        "objectives": "\n".join(o["text"] for o in saved if not o.get("need_id")),
        "actions": page.visit.actions,
    }
    if not saved and not page.visit.actions:
        initial["needs"] = [s["need_id"] for s in page.suggestions]  # a first plan starts from the suggestions
    return PrepareForm(data, initial=initial, choices=_objective_choices(page), auto_id="prep_%s")


def _appointment_form(page: plan.VisitPage, data=None) -> AppointmentForm:
    v = page.visit
    initial = {
        "at": timezone.localtime(v.appointment_at) if v.appointment_at else None,
        "channel": v.appointment_channel or Visit.Channel.PHONE,
        "outcome": v.appointment_outcome,
        "approach": v.approach,
        "introducer_id": v.introducer_id,
        "note": v.appointment_note,
    }
    return AppointmentForm(data, initial=initial, introducers=page.introducers, auto_id="appt_%s")


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errs in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errs)


# ------------------------------------------------------------------------------------------ plan page


def _parse_day(raw: str | None, errors: dict) -> dt.date:
    today = timezone.localdate()
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors["day"] = _("Enter a date as YYYY-MM-DD.")
        return today


def plan_page(request, *, day: dt.date | None = None, status: int = 200):
    """The day's (or week's) plan. GET ?day=YYYY-MM-DD, ?week=1, ?user=<salesperson id> (managers),
    ?lat=&lng= (near me), ?page=."""
    errors: dict = {}
    q = request.GET
    day = day or _parse_day(q.get("day"), errors)
    target = plan.plan_owner(request.user, q.get("user"))
    if target is None:
        raise Http404
    is_manager = request.user.has_role(Role.MANAGER, Role.ADMIN)
    keep = {"user": target.pk} if target.pk != request.user.pk else {}
    ctx = {
        "errors": errors,
        "target": target,
        "is_manager": is_manager,
        "salespeople": list(plan.salespeople_for(request.user)) if is_manager else [],
    }
    if q.get("week"):
        week = plan.week_plan(request.user, day, salesperson=target)
        ctx |= {"week": week, "keep": urlencode(keep)}
        return render(request, "visits/plan/week.html", ctx, status=422 if errors else status)
    lat, lng = q.get("lat"), q.get("lng")
    limit = {"show_all": bool(q.get("all"))}
    try:
        p = plan.day_plan(request.user, day, lat=lat, lng=lng, salesperson=target, page=q.get("page"), **limit)
    except ValidationError as exc:
        errors |= {k: " ".join(v) for k, v in exc.message_dict.items()}
        p = plan.day_plan(request.user, day, salesperson=target, page=q.get("page"), **limit)
    if p.position:
        keep |= {"lat": f"{p.position[0]:.6f}", "lng": f"{p.position[1]:.6f}"}
    ctx |= {
        "p": p,
        "keep": urlencode(keep),
        "day_q": urlencode({**keep, "day": day.isoformat()}),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "here": request.get_full_path(),
    }
    return render(request, "visits/plan/day.html", ctx, status=422 if errors else status)


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _plan_url(day: dt.date | None) -> str:
    url = reverse("visits:plan")
    return f"{url}?day={day.isoformat()}" if day else url


def _customer_id(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404 from None


@require_POST
def plan_add(request):
    customer = get_or_404(request.user, Customer, _customer_id(request.POST.get("customer")), Action.CHANGE)
    raw_day = request.POST.get("day") or timezone.localdate().isoformat()
    try:
        visit = plan.plan_add(actor=request.user, customer=customer, day=raw_day)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc, {"day": _("Day")}))
        return plan_page(request, status=422)
    messages.success(
        request,
        _("%(name)s is on the plan for %(day)s.") % {"name": customer.name, "day": visit.planned_on.strftime("%m-%d")},
    )
    return redirect(_next_or(request, _plan_url(visit.planned_on)))


def _errors_text(exc: ValidationError, labels: dict) -> str:
    parts = []
    for name, errs in exc.message_dict.items():
        label = labels.get(name, "")
        parts += [f"{label}：{e}" if label else e for e in errs]
    return " ".join(parts)


@require_POST
def start(request, customer_id: int):
    """ "Visit now": today's visit of this customer (the planned one, or a new one), then its page."""
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    try:
        visit = services.visit_open(actor=request.user, customer=customer)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc, {}))
        return redirect(_next_or(request, _plan_url(None)))
    return redirect("visits:visit", pk=visit.pk)


@require_POST
def cancel(request, pk: int):
    visit = get_or_404(request.user, Visit, pk, Action.CHANGE)
    try:
        plan.visit_cancel(actor=request.user, visit=visit)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc, {}))
        return redirect("visits:visit", pk=pk)
    messages.success(request, _("Visit to %(name)s cancelled.") % {"name": visit.customer.name})
    return redirect(_next_or(request, _plan_url(visit.planned_on)))


# ------------------------------------------------------------------------------------------ visit page


def _visit(request, pk: int, action: Action) -> Visit:
    qs = Visit.objects.select_related("customer", "salesperson", "introducer")
    return get_or_404(request.user, Visit, pk, action, queryset=qs)


def _render_visit(request, visit: Visit, *, appointment=None, prepare=None, status: int = 200):
    page = plan.visit_page(request.user, visit)
    ctx = {
        "page": page,
        "v": visit,
        "c": page.customer,
        "appointment_form": appointment or _appointment_form(page),
        "prepare_form": prepare or _prepare_form(page),
        "open_appointment": bool(appointment and appointment.errors) or not visit.appointment_outcome,
        "open_prepare": bool(prepare and prepare.errors) or not (visit.objectives or visit.actions),
        "checked_count": page.checked_count,
    }
    return render(request, "visits/visit.html", ctx, status=status)


def visit(request, pk: int):
    return _render_visit(request, _visit(request, pk, Action.VIEW))


def appointment(request, pk: int):
    if request.method != "POST":
        return redirect(reverse("visits:visit", args=[pk]) + "#appointment")
    v = _visit(request, pk, Action.CHANGE)
    form = AppointmentForm(
        request.POST, introducers=plan.introducers_for(v.customer, known_only=False, user=request.user)
    )
    if form.is_valid():
        d = form.cleaned_data
        try:
            plan.appointment_record(
                actor=request.user,
                visit=v,
                at=d["at"],
                channel=d["channel"],
                outcome=d["outcome"],
                approach=d["approach"],
                introducer_id=d["introducer_id"],
                note=d["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Appointment saved."))
            return redirect(reverse("visits:visit", args=[pk]) + "#appointment")
    form.auto_id = "appt_%s"
    return _render_visit(request, v, appointment=form, status=422)


def prepare(request, pk: int):
    if request.method != "POST":
        return redirect(reverse("visits:visit", args=[pk]) + "#prepare")
    v = _visit(request, pk, Action.CHANGE)
    page = plan.visit_page(request.user, v)
    form = PrepareForm(request.POST, choices=_objective_choices(page), auto_id="prep_%s")
    if form.is_valid():
        texts = dict(_objective_choices(page))
        objectives = [{"text": texts[n], "need_id": n} for n in form.cleaned_data["needs"]]
        objectives += [{"text": line} for line in form.cleaned_data["objectives"].splitlines()]
        try:
            plan.preparation_save(
                actor=request.user, visit=v, objectives=objectives, actions=form.cleaned_data["actions"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Preparation saved."))
            return redirect(reverse("visits:visit", args=[pk]) + "#prepare")
    return _render_visit(request, v, prepare=form, status=422)


@require_POST
def checklist(request, pk: int):
    """One tap on a checklist item. htmx gets the item back (and the count); a plain post goes back."""
    v = _visit(request, pk, Action.CHANGE)
    checked = request.POST.get("checked", "1") not in ("0", "", "false", "off")
    error = ""
    try:
        v = plan.checklist_tick(actor=request.user, visit=v, item_id=request.POST.get("item"), checked=checked)
    except ValidationError as exc:
        error = _errors_text(exc, {})
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect(reverse("visits:visit", args=[pk]) + "#checklist")
    rows = plan.checklist_rows(v)
    row = next((r for r in rows if str(r.item.pk) == str(request.POST.get("item"))), None)
    ctx = {
        "v": v,
        "r": row,
        "error": error,
        "can_change": True,
        "checked_count": sum(1 for r in rows if r.checked),
        "total": len(rows),
        "oob": True,
    }
    return render(request, "visits/plan/_check_item.html", ctx, status=422 if error or row is None else 200)
