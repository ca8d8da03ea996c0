"""Pages of the visit notes (拜访笔记), the visit card (拜访卡) and the phone's offline drafts.

Thin: parse the form into the note's payload (``notes.payload_from_form``), call ``notes.note_record``
or a selector, render. The note form works as a plain form post; ``static/visits/notes.js`` adds the
offline drafts (localStorage, an outbox sent when the connection returns) and sends the same payload
to the API.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.visibility import Action, get_or_404, visible
from customers.models import (
    CompetitorDealer,
    CompetitorMachine,
    Customer,
    CustomerNeed,
    IndustryContact,
    MarketProject,
    Relation,
)

from . import notes
from .brief import brief_for
from .models import FollowUp, Visit, VisitNote

CHOICES_MAX = 200  # competitor models and dealers offered in the form's pickers
PROJECTS_MAX = 50  # recent projects of the customer's region offered for linking

# ------------------------------------------------------------------------------------ the note form


def js_texts() -> dict:
    """What notes.js says, in the user's language (the page embeds it with json_script)."""
    return {
        "queued": _("No signal: saved on this phone, will be sent when online."),
        "saved": _("Draft saved on this phone"),
        "restored": _("Draft restored from this phone"),
        "discard": _("Discard the draft"),
        "discardAsk": _("Discard this draft? What you typed will be lost."),
        "sending": _("Sending…"),
        "waiting": _("Waiting for a connection"),
        "rejected": _("Not accepted: correct it and send it again"),
        "openAgain": _("Open it again"),
        "continueWriting": _("Continue writing"),
        "inProgress": _("Not sent yet (still being written)"),
        "sendNow": _("Send now"),
        "none": _("No drafts on this phone: everything was sent."),
        "savedAt": _("saved"),
        "loginAgain": _("Log in again to send it."),
        "failed": _("The server could not take it now; it will be tried again."),
        "fixErrors": _("Please correct the marked fields."),
        "remove": _("Remove"),
        "offline": _("No signal"),
        "labels": {
            "sections": {k: str(v) for k, v in notes.SECTION_LABELS.items()},
            "fields": {k: str(v) for k, v in notes.FIELD_LABELS.items()},
        },
    }


@dataclass
class Field:
    key: str
    label: str
    widget: str = "text"  # text, textarea, number, date, tel, select
    required: bool = False
    choices: list = field(default_factory=list)  # [(value, label)]
    default: str = ""
    attrs: dict = field(default_factory=dict)


@dataclass
class BoundField:
    spec: Field
    name: str
    value: str
    errors: list
    help: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace("[", "-").replace("]", "").replace(".", "-")


def _text(key, label, *, required=False, maxlength=None, **attrs) -> Field:
    if maxlength:
        attrs["maxlength"] = maxlength
    return Field(key, label, "text", required, attrs=attrs)


def _num(key, label, lo, hi, *, default="") -> Field:
    return Field(key, label, "number", default=default, attrs={"min": lo, "max": hi, "inputmode": "numeric"})


def _row_specs(*, needs, machines, dealers, projects) -> dict[str, tuple[str, list[Field]]]:
    """The repeatable sections of the form: (label, fields of one row)."""
    L = gettext_lazy
    need_choices = [("", L("— any —"))] + [(str(n.pk), n.need_point.name) for n in needs]
    return {
        "commitments": (
            L("Commitments we made (承诺事项)"),
            [
                _text("text", L("What we promised"), required=True, maxlength=300),
                Field("due_on", L("By"), "date", required=True),
            ],
        ),
        "questions": (
            L("Questions we could not answer (未答复事项)"),
            [
                _text("text", L("The question"), required=True, maxlength=300),
                Field("due_on", L("Answer by (empty: the next visit)"), "date"),
            ],
        ),
        "unclear": (
            L("Not fully understood (未完全了解事项)"),
            [_text("text", L("What the customer did not fully understand"), required=True, maxlength=300)],
        ),
        "objections": (
            L("Objections heard (客户异议)"),
            [
                _text("text", L("Objection"), required=True, maxlength=300),
                Field("need_id", L("About the need"), "select", choices=need_choices),
                _text("answer", L("Our answer"), maxlength=300),
            ],
        ),
        "relations": (
            L("Family and friends (家庭成员·朋友圈)"),
            [
                Field("kind", L("Kind"), "select", True, choices=Relation.Kind.choices, default="family"),
                _text("name", L("Name"), required=True, maxlength=60),
                _text("relation", L("Relation (e.g. wife, old classmate)"), required=True, maxlength=40),
                Field("phone", L("Mobile"), "tel", attrs={"inputmode": "tel", "autocomplete": "off"}),
                _text("occupation", L("Occupation"), maxlength=60),
                Field(
                    "influence",
                    L("Influence on the customer"),
                    "select",
                    True,
                    choices=[(str(i), f"{i}/5") for i in range(1, 6)],
                    default="3",
                ),
            ],
        ),
        "machines": (
            L("Machines owned (现有设备)"),
            [
                Field(
                    "competitor_machine_id",
                    L("Known competitor model"),
                    "select",
                    choices=[("", L("— none —"))] + [(str(m.pk), f"{m.brand} {m.model}") for m in machines],
                ),
                _text("brand", L("Brand"), maxlength=60),
                _text("model", L("Model"), maxlength=60),
                _num("count", L("Count"), 1, 500, default="1"),
                _num("years_used", L("Years used"), 0, 60),
                _text("opinion", L("Opinion"), maxlength=300),
            ],
        ),
        "projects": (
            L("Customer's projects (项目)"),
            [
                Field(
                    "project_id",
                    L("A project we know"),
                    "select",
                    choices=[("", L("— a new project —"))] + [(str(p.pk), p.name) for p in projects],
                ),
                _text("name", L("New project: name"), maxlength=120),
                _text("place", L("Place"), maxlength=120),
                _num("duration_months", L("Duration (months)"), 1, 240),
            ],
        ),
        "market": (
            L("Market projects (市场形势)"),
            [
                _text("name", L("Project name"), required=True, maxlength=120),
                _text("place", L("Place"), maxlength=120),
                _num("duration_months", L("Duration (months)"), 1, 240),
                _text("work_volume", L("Work volume (工程量)"), maxlength=120),
                _text("publisher", L("Information published by"), maxlength=120),
                _num("expected_demand", L("Excavators needed"), 0, 10000),
            ],
        ),
        "contacts": (
            L("Industry contacts (0类客户)"),
            [
                Field("kind", L("Kind"), "select", True, choices=IndustryContact.Kind.choices, default="contractor"),
                _text("name", L("Name"), required=True, maxlength=100),
                Field("phone", L("Mobile"), "tel", attrs={"inputmode": "tel", "autocomplete": "off"}),
                _text("reputation", L("Reputation (口碑)"), maxlength=200),
                Field("note", L("Note"), "textarea"),
            ],
        ),
        "competitors.dealers": (
            L("Competitor dealers"),
            [
                _text("name", L("Dealer"), required=True, maxlength=120),
                _text("brands", L("Brands"), maxlength=200),
                _text("size", L("Size"), maxlength=120),
                Field("policy", L("Commercial policy"), "textarea"),
                Field("strategy", L("Strategy"), "textarea"),
            ],
        ),
        "competitors.machines": (
            L("Competitor machines"),
            [
                _text("brand", L("Brand"), required=True, maxlength=60),
                _text("model", L("Model"), required=True, maxlength=60),
                Field("selling_points", L("Selling points"), "textarea"),
                Field("customer_opinion", L("Customers' opinion"), "textarea"),
                Field("policy", L("Commercial policy"), "textarea"),
            ],
        ),
        "competitors.salespeople": (
            L("Competitor salespeople"),
            [
                Field(
                    "dealer_id",
                    L("Dealer"),
                    "select",
                    True,
                    choices=[("", L("— choose —"))] + [(str(d.pk), d.name) for d in dealers],
                ),
                _text("name", L("Name"), required=True, maxlength=60),
                Field("phone", L("Mobile"), "tel", attrs={"inputmode": "tel", "autocomplete": "off"}),
                _text("territory", L("Territory"), maxlength=120),
                Field("movements", L("Movements (动向)"), "textarea"),
            ],
        ),
    }


SECTION_ORDER = (
    "commitments",
    "questions",
    "unclear",
    "objections",
    "relations",
    "machines",
    "projects",
    "market",
    "contacts",
)
COMPETITOR_ORDER = ("competitors.dealers", "competitors.machines", "competitors.salespeople")


def _bind(prefix: str, spec: Field, values: dict, errors: dict, *, blank: bool) -> BoundField:
    name = f"{prefix}.{spec.key}"
    value = spec.default if blank else values.get(name, "" if prefix.endswith("]") else spec.default)
    return BoundField(spec, name, str(value if value is not None else ""), errors.get(name, []))


def _rows(key: str, specs: list[Field], values: dict, errors: dict) -> list[dict]:
    """The rows to show: those posted (when the page comes back with errors), else one blank row."""
    pattern = re.compile(rf"^{re.escape(key)}\[(\d{{1,3}})\]\.")
    indices = sorted({int(m.group(1)) for n in values if (m := pattern.match(n))})
    if not indices:
        return [{"index": 0, "fields": [_bind(f"{key}[0]", s, {}, {}, blank=True) for s in specs]}]
    return [
        {"index": i, "fields": [_bind(f"{key}[{i}]", s, values, errors, blank=False) for s in specs]} for i in indices
    ]


def _ordered_needs(customer: Customer) -> list[CustomerNeed]:
    needs = list(customer.needs.select_related("need_point"))
    return sorted(needs, key=lambda n: (n.stage != CustomerNeed.Stage.KEY, -n.pressure, n.need_point.order, n.pk))


BASIC_FIELDS = [
    _text("occupation", gettext_lazy("Occupation (职业)"), maxlength=60),
    _num("age", gettext_lazy("Age (年龄)"), 16, 100),
    Field("birthday", gettext_lazy("Birthday (生日)"), "date"),
    _text("hobbies", gettext_lazy("Hobbies (爱好)"), maxlength=200),
    Field("phone", gettext_lazy("Mobile"), "tel", attrs={"inputmode": "tel", "autocomplete": "off"}),
    _text("address", gettext_lazy("Address"), maxlength=200),
    Field("expected_purchase_on", gettext_lazy("Expected purchase date (预计购机日期)"), "date"),
]


def _form_context(request, *, visit, customer, values=None, errors=None, client_key="") -> dict:
    user = request.user
    posted = values is not None
    values, errors = values or {}, errors or {}
    needs = _ordered_needs(customer)
    machines = list(visible(user, CompetitorMachine).order_by("brand", "model", "id")[:CHOICES_MAX])
    dealers = list(visible(user, CompetitorDealer).order_by("name", "id")[:CHOICES_MAX])
    projects = list(
        visible(user, MarketProject, Action.CHANGE)
        .filter(region_id=customer.region_id)
        .order_by("-updated_at", "-id")[:PROJECTS_MAX]
    )
    specs = _row_specs(needs=needs, machines=machines, dealers=dealers, projects=projects)

    def section(key):
        label, fields = specs[key]
        rows = _rows(key, fields, values, errors)
        template = {"index": "__i__", "fields": [_bind(f"{key}[__i__]", s, {}, {}, blank=True) for s in fields]}
        filled = sum(1 for r in rows if any(f.value and f.value != f.spec.default for f in r["fields"]))
        has_errors = any(f.errors for r in rows for f in r["fields"])
        return {"key": key, "label": label, "rows": rows, "template": template, "filled": filled, "errors": has_errors}

    need_rows = []
    for i, need in enumerate(needs):
        prefix = f"needs[{i}]"

        def v(name, default, prefix=prefix):
            return values.get(f"{prefix}.{name}", default) if posted else default

        need_rows.append(
            {
                "need": need,
                "prefix": prefix,
                "expected": v("expected", need.expected),
                "deliverable": v("deliverable", need.deliverable),
                "verified": v("verified", "") not in ("", None),
                "source": v("source", "conversation"),
                "errors": [m for k, ms in errors.items() if k.startswith(prefix + ".") for m in ms],
                # key needs and needs under pressure first; the others fold away on the phone
                "main": need.stage == CustomerNeed.Stage.KEY or need.pressure > 0,
            }
        )
    basics = []
    for spec in BASIC_FIELDS:
        current = _initial(getattr(customer, spec.key), spec.widget == "date")
        basics.append(
            BoundField(
                spec,
                f"basics.{spec.key}",
                str(values.get(f"basics.{spec.key}", "")) if posted else "",
                errors.get(f"basics.{spec.key}", []),
                help=_("now: %(value)s") % {"value": current} if current else _("not recorded yet"),
            )
        )
    top_errors = [
        (notes.error_label(k) or (k if k not in ("__all__", "visit", "customer", "client_key") else ""), m)
        for k, ms in errors.items()
        for m in ms
    ]
    if visit is not None:
        action, draft_key = reverse("visits:note", args=[visit.pk]), f"visit-{visit.pk}"
    else:
        action, draft_key = reverse("visits:note_new", args=[customer.pk]), f"customer-{customer.pk}"
    return {
        "visit": visit,
        "c": customer,
        "action": action,
        "draft_key": draft_key,
        "client_key": client_key or uuid.uuid4().hex,
        "summary": values.get("summary", "") if posted else "",
        "need_rows": [r for r in need_rows if r["main"]],
        "other_need_rows": [r for r in need_rows if not r["main"]],
        "grade_value": str(values.get("grade.grade", "")) if posted else _initial(customer.grade),
        "grade_reason": values.get("grade.reason", "") if posted else "",
        "grade_errors": errors.get("grade.grade", []) + errors.get("grade.reason", []),
        "grades": Customer.Grade.choices,
        "basics": basics,
        "basics_errors": any(b.errors for b in basics),
        "sections": [section(k) for k in SECTION_ORDER],
        "competitor_sections": [section(k) for k in COMPETITOR_ORDER],
        "result": values.get("result", "") if posted else "",
        "results": Visit.Result.choices,
        "sources": [
            (CustomerNeed.Source.CONVERSATION, _("conversation")),
            (CustomerNeed.Source.COMPETITOR, _("competitor data")),
        ],
        "errors": errors,
        "top_errors": top_errors,
        "summary_errors": errors.get("summary", []),
        "result_errors": errors.get("result", []),
        "row_defaults": {k: list(v) for k, v in notes.ROW_DEFAULTS.items() if v},
        "brief_url": reverse("visits:brief", args=[customer.pk]),
        "api_url": reverse("api:visit_note_create"),
        "js_texts": js_texts(),
    }


def _initial(value, is_date: bool = False) -> str:
    if value is None:
        return ""
    return value.isoformat() if is_date else str(value)


def _note_page(request, *, visit: Visit | None, customer: Customer):
    if request.method == "POST":
        payload, origin = notes.payload_from_form(request.POST)
        client_key = payload.pop("client_key", "")
        try:
            note, created = notes.note_record(
                actor=request.user,
                visit=visit,
                customer=None if visit is not None else customer,
                client_key=client_key,
                data=payload,
            )
        except PermissionError:
            raise PermissionDenied from None
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            ctx = _form_context(
                request,
                visit=visit,
                customer=customer,
                values=request.POST,
                errors=notes.form_error_names(fields, origin),
                client_key=client_key,
            )
            return render(request, "visits/notes/form.html", ctx, status=422)
        if created:
            messages.success(request, _("Visit note recorded; the profile is up to date."))
        else:
            messages.info(request, _("This note was already recorded; here it is."))
        return redirect("visits:note_detail", pk=note.pk)
    return render(request, "visits/notes/form.html", _form_context(request, visit=visit, customer=customer))


def note(request, pk: int):
    """The note of a visit (planned or under way)."""
    visit = get_or_404(
        request.user, Visit, pk, Action.CHANGE, queryset=Visit.objects.select_related("customer", "customer__region")
    )
    return _note_page(request, visit=visit, customer=visit.customer)


def note_new(request, customer_id: int):
    """A note without a planned visit: recording it opens today's visit of the customer."""
    customer = get_or_404(
        request.user, Customer, customer_id, Action.CHANGE, queryset=Customer.objects.select_related("region")
    )
    return _note_page(request, visit=None, customer=customer)


# ------------------------------------------------------------------------------------ note, brief


def note_detail(request, pk: int):
    note = get_or_404(
        request.user,
        VisitNote,
        pk,
        Action.VIEW,
        queryset=VisitNote.objects.select_related("customer", "visit", "author"),
    )
    groups: dict[str, list[str]] = {}
    for change in note.changes or []:
        groups.setdefault(change.get("section", ""), []).append(change.get("text", ""))
    changes = [(notes.SECTION_LABELS.get(s, s), texts) for s, texts in groups.items()]
    followups = list(visible(request.user, FollowUp).filter(note=note).order_by("kind", "due_on", "id"))
    changeable = set(visible(request.user, FollowUp, Action.CHANGE).filter(note=note).values_list("pk", flat=True))
    return render(
        request,
        "visits/notes/detail.html",
        {
            "note": note,
            "c": note.customer,
            "changes": changes,
            "followups": followups,
            "changeable": changeable,
            "js_texts": js_texts(),
        },
    )


def brief(request, customer_id: int):
    customer = get_or_404(
        request.user,
        Customer,
        customer_id,
        Action.VIEW,
        queryset=Customer.objects.select_related("owner", "region"),
    )
    b = brief_for(request.user, customer)
    changeable = {f.pk for f in b.questions + b.commitments if f.owner_id == request.user.pk}
    ctx = {"b": b, "c": customer, "changeable": changeable, "js_texts": js_texts()}
    return render(request, "visits/brief.html", ctx)


@require_POST
def followup_done(request, pk: int):
    item = get_or_404(request.user, FollowUp, pk, Action.CHANGE, queryset=FollowUp.objects.select_related("customer"))
    notes.followup_done(actor=request.user, followup=item)
    if request.headers.get("HX-Request"):
        return HttpResponse(
            render_to_string("visits/notes/_followup.html", {"f": item, "changeable": set()}, request=request)
        )
    messages.success(request, _("Marked as done."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("visits:brief", args=[item.customer_id])
    return redirect(target)


# ------------------------------------------------------------------------------------ drafts, offline


def drafts(request):
    """The drafts waiting on this phone: rendered by notes.js from the phone's storage."""
    return render(request, "visits/notes/drafts.html", {"js_texts": js_texts()})


@never_cache
def service_worker(request):
    """The offline helper (service worker) of the visit pages, served under /visits/ so that its
    scope covers them: pages seen online open again without signal, and the drafts page always does."""
    body = render_to_string("visits/notes/sw.js", {"drafts_url": reverse("visits:drafts")}, request=request)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/visits/"
    return response
