"""Visit notes (拜访笔记), SPEC §2: what was learned on site, recorded in one go.

One service, ``note_record``, takes ONE structured payload — the same from the page's form
(``payload_from_form``), the phone's offline draft and the API — validates all of it, and only then
writes every entry into the living profile in one transaction: everything or nothing. The note keeps
in ``VisitNote.changes`` what each entry changed, in words, in the order applied.

The payload (a dict; every key optional except that a note must say something)::

    {
      "client_key": "3f0c…",            # the draft's idempotency key (unique per company)
      "written_at": "2026-05-01T10:20:00+08:00",  # when the note was written (offline drafts)
      "summary": "…",                   # free text
      "basics": {"occupation", "age", "birthday", "hobbies", "phone", "address",
                 "expected_purchase_on"},           # the customer's basics, set as given
      "needs": [{"need_id", "expected", "deliverable", "verified": bool,
                 "source": "conversation" | "competitor", "note",
                 "expected_was", "deliverable_was"}],   # a CustomerNeed of this customer; "…_was": the
                 # values the form showed — left unchanged, the need keeps its current value (an old
                 # offline draft does not undo what was recorded meanwhile)
      "grade": {"grade": 9|6|3|1|0, "reason": "…"},  # a change needs a reason
      "projects": [{"project_id"} | {"name", "place", "city", "district", "starts_on",
                   "duration_months", "work_volume", "publisher", "expected_demand"}],
      "machines": [{"brand", "model", "count", "years_used", "opinion", "competitor_machine_id"}],
      "relations": [{"kind": "family" | "friend", "name", "relation", "phone", "occupation", "influence"}],
      "objections": [{"text", "answer", "need_id"}],
      "commitments": [{"text", "due_on"}],          # due date required → a to-do
      "questions": [{"text", "due_on"}],            # due date optional (default: next visit due) → a to-do
      "unclear": [{"text"}],                        # what the customer did not fully understand
      "market": [{"name", "place", "city", "district", "starts_on", "duration_months",
                  "work_volume", "publisher", "expected_demand"}],   # projects of the area
      "contacts": [{"kind", "name", "phone", "reputation", "city", "district", "address",
                    "note", "details"}],           # grade-0 industry contacts
      "competitors": {"dealers": [{"id"?, "name", "size", "organisation", "brands", "strategy", "policy"}],
                      "machines": [{"id"?, "dealer_id", "brand", "model", "specs", "selling_points",
                                    "customer_opinion", "policy"}],
                      "salespeople": [{"id"?, "dealer_id", "name", "phone", "age", "role", "years",
                                       "territory", "results", "movements"}]},   # "id": update that row
      "result": "" | "won" | "lost"                  # the deal closed or was lost on this visit
    }

Errors name the entry and its field the way the form names its inputs: ``relations[1].name``,
``basics.phone``, ``competitors.machines[0].brand``. Market projects and contacts are recorded in the
customer's region. A grade left empty means "unchanged"; a basic left empty too (the form shows the
current value beside the field and sends only what was typed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import services as core_services
from core.models import Todo, User
from core.visibility import Action, can, visible
from customers import intel
from customers import rules as customer_rules
from customers import services as customer_services
from customers.models import (
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    Customer,
    CustomerNeed,
    MarketProject,
    Relation,
)

from . import method, rules
from .models import FollowUp, Objection, Visit, VisitNote
from .services import visit_done, visit_open

# ------------------------------------------------------------------------------------ the payload

BASICS = ("occupation", "age", "birthday", "hobbies", "phone", "address", "expected_purchase_on")
LISTS = (
    "needs",
    "projects",
    "machines",
    "relations",
    "objections",
    "commitments",
    "questions",
    "unclear",
    "market",
    "contacts",
)
COMPETITOR_LISTS = ("dealers", "machines", "salespeople")
TOP_KEYS = ("client_key", "written_at", "summary", "basics", "grade", "competitors", "result", *LISTS)
ENTRY_FIELDS: dict[str, tuple[str, ...]] = {
    "needs": ("need_id", "expected", "deliverable", "verified", "source", "note", "expected_was", "deliverable_was"),
    "projects": (
        "project_id",
        "name",
        "place",
        "city",
        "district",
        "starts_on",
        "duration_months",
        "work_volume",
        "publisher",
        "expected_demand",
    ),
    "machines": ("brand", "model", "count", "years_used", "opinion", "competitor_machine_id"),
    "relations": ("kind", "name", "relation", "phone", "occupation", "influence"),
    "objections": ("text", "answer", "need_id"),
    "commitments": ("text", "due_on"),
    "questions": ("text", "due_on"),
    "unclear": ("text",),
    "market": (
        "name",
        "place",
        "city",
        "district",
        "starts_on",
        "duration_months",
        "work_volume",
        "publisher",
        "expected_demand",
    ),
    "contacts": ("kind", "name", "phone", "reputation", "city", "district", "address", "note", "details"),
    "competitors.dealers": ("id", *intel.DEALER_FIELDS),
    "competitors.machines": ("id", *intel.MACHINE_FIELDS),
    "competitors.salespeople": ("id", *intel.SALESPERSON_FIELDS),
}
# Fields a form row carries with a default value: a row whose other fields are all blank is an
# unused row and is left out (the page shows one blank row per section).
ROW_DEFAULTS: dict[str, tuple[str, ...]] = {
    "relations": ("kind", "influence"),
    "machines": ("count",),
    "contacts": ("kind",),
    "needs": (),  # never blank: every row names a need
}
MAX_ENTRIES = 50
TEXT_MAX = 300  # objections, follow-ups
SUMMARY_MAX = 5000
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DUE_PAST_DAYS = 30  # an offline draft may be sent days after it was written
DUE_FUTURE_DAYS = 366
WRITTEN_AT_MAX_AGE = dt.timedelta(days=30)

SECTION_LABELS = {
    "summary": gettext_lazy("Summary"),
    "basics": gettext_lazy("Basics (基础信息)"),
    "needs": gettext_lazy("Needs (需求点)"),
    "grade": gettext_lazy("Intent grade (意向等级)"),
    "projects": gettext_lazy("Customer's projects (项目)"),
    "machines": gettext_lazy("Machines owned (现有设备)"),
    "relations": gettext_lazy("Family and friends (家庭成员·朋友圈)"),
    "objections": gettext_lazy("Objections heard (客户异议)"),
    "commitments": gettext_lazy("Commitments we made (承诺事项)"),
    "questions": gettext_lazy("Questions we could not answer (未答复事项)"),
    "unclear": gettext_lazy("Not fully understood (未完全了解事项)"),
    "market": gettext_lazy("Market projects (市场形势)"),
    "contacts": gettext_lazy("Industry contacts (0类客户)"),
    "competitors": gettext_lazy("Competitors (竞争对手)"),
    "competitors.dealers": gettext_lazy("Competitor dealers"),
    "competitors.machines": gettext_lazy("Competitor machines"),
    "competitors.salespeople": gettext_lazy("Competitor salespeople"),
    "result": gettext_lazy("Result"),
}


class _Errors:
    """Field errors named by their path in the payload (``relations[1].phone``)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(str(message))

    def absorb(self, prefix: str, exc: ValidationError, rename: Mapping[str, str] | None = None) -> None:
        """A service validator's errors, each put under ``prefix``."""
        for name, messages in exc.message_dict.items():
            name = (rename or {}).get(name, name)
            path = prefix if name == "__all__" else f"{prefix}.{name}"
            for m in messages:
                self.add(path, m)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError
    return customer_rules.clean_text(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _int(value: Any) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", value):
        return int(value)
    raise ValueError


def _date(value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip())
    raise ValueError


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, str)):
        return str(value).strip().lower() in ("1", "true", "on", "yes", "y")
    raise ValueError


# ------------------------------------------------------------------------------------ cleaned note


@dataclass
class Cleaned:
    """The validated note: every entry ready to write."""

    summary: str = ""
    written_at: dt.datetime | None = None
    basics: dict = field(default_factory=dict)  # only the fields that change
    needs: list[tuple[CustomerNeed, dict]] = field(default_factory=list)
    grade: tuple[int, str] | None = None  # (new grade, reason) when it changes
    projects: list[tuple[MarketProject | None, dict]] = field(default_factory=list)
    machines: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    objections: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)  # kind, text, due_on
    market: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    competitors: list[tuple[str, Any, dict]] = field(default_factory=list)  # (list, instance or None, fields)
    result: str = ""

    def says_something(self) -> bool:
        return bool(
            self.summary
            or self.basics
            or self.grade
            or self.result
            or any(self._need_changes())
            or any(
                (
                    self.projects,
                    self.machines,
                    self.relations,
                    self.objections,
                    self.followups,
                    self.market,
                    self.contacts,
                    self.competitors,
                )
            )
        )

    def _need_changes(self):
        for need, data in self.needs:
            yield data["verified"] or (data["expected"], data["deliverable"]) != (need.expected, need.deliverable)


def _entries(container: dict, key: str, errors: _Errors, *, prefix: str = "") -> list[tuple[int, dict]]:
    """The entries of one list section as (index, dict); wrong shapes are errors.

    ``prefix`` is the path of the container ("competitors." for the competitor lists)."""
    name = prefix + key
    raw = container.get(key)
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors.add(name, _("Send a list of entries."))
        return []
    if len(raw) > MAX_ENTRIES:
        errors.add(name, _("At most %(n)d entries.") % {"n": MAX_ENTRIES})
        return []
    out = []
    allowed = set(ENTRY_FIELDS[name])
    for i, entry in enumerate(raw):
        path = f"{name}[{i}]"
        if not isinstance(entry, dict):
            errors.add(path, _("Send each entry as an object of fields."))
            continue
        for field_name in sorted(set(entry) - allowed):
            errors.add(f"{path}.{field_name}", _("Unknown field."))
        out.append((i, entry))
    return out


class _Validator:
    """Validates a payload against the customer as it is now; collects every error."""

    def __init__(self, *, actor: User, customer: Customer, payload: dict, today: dt.date):
        self.actor, self.customer, self.payload, self.today = actor, customer, payload, today
        self.errors = _Errors()
        self.out = Cleaned()

    def run(self) -> Cleaned:
        if not isinstance(self.payload, dict):
            raise ValidationError({"__all__": [_("Send the note as an object of sections.")]})
        for name in sorted(set(self.payload) - set(TOP_KEYS) - {"visit", "customer"}):
            self.errors.add(name, _("Unknown section."))
        self.summary()
        self.written_at()
        self.basics()
        self.needs()
        self.grade()
        self.projects()
        self.machines()
        self.relations()
        self.objections()
        self.followups()
        self.market()
        self.contacts()
        self.competitors()
        self.result()
        self.errors.raise_if_any()
        if not self.out.says_something():
            raise ValidationError({"summary": [_("The note is empty: write a summary or fill in a section.")]})
        return self.out

    # --- one method per section -------------------------------------------------------------
    def summary(self) -> None:
        try:
            text = _text(self.payload.get("summary"))
        except ValueError:
            self.errors.add("summary", _("Enter text."))
            return
        if len(text) > SUMMARY_MAX:
            self.errors.add("summary", _("At most %(n)d characters.") % {"n": SUMMARY_MAX})
        self.out.summary = text

    def written_at(self) -> None:
        raw = self.payload.get("written_at")
        if _blank(raw):
            return
        value = raw if isinstance(raw, dt.datetime) else parse_datetime(str(raw)) if isinstance(raw, str) else None
        if value is None:
            self.errors.add("written_at", _("Enter a date and time like 2026-05-01T10:20:00+08:00."))
            return
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        now = timezone.now()
        # a phone's clock may be off: a time ahead of ours is now; a very old draft counts as written now
        self.out.written_at = value if now - WRITTEN_AT_MAX_AGE <= value <= now else now

    def basics(self) -> None:
        raw = self.payload.get("basics")
        if raw in (None, ""):
            return
        if not isinstance(raw, dict):
            self.errors.add("basics", _("Send the basics as an object of fields."))
            return
        for name in sorted(set(raw) - set(BASICS)):
            self.errors.add(f"basics.{name}", _("Unknown field."))
        given = {k: raw[k] for k in BASICS if k in raw and not _blank(raw[k])}  # empty: unchanged
        if not given:
            return
        for k, v in given.items():
            if v is not None and not isinstance(v, (str, int, dt.date)):
                self.errors.add(f"basics.{k}", _("Enter text."))
                return
        if len(str(given.get("address") or "")) > 200:
            self.errors.add("basics.address", _("At most %(n)d characters.") % {"n": 200})
            return
        try:
            clean = customer_services.customer_validate(actor=self.actor, fields=given, instance=self.customer)
        except ValidationError as exc:
            self.errors.absorb("basics", exc)
            return
        self.out.basics = {k: v for k, v in clean.items() if v != getattr(self.customer, k)}

    def _customer_needs(self) -> dict[int, CustomerNeed]:
        if not hasattr(self, "_needs"):
            self._needs = {n.pk: n for n in self.customer.needs.select_related("need_point")}
        return self._needs

    def _need_of(self, path: str, value) -> CustomerNeed | None:
        try:
            pk = _int(value)
        except ValueError:
            pk = None
        need = self._customer_needs().get(pk) if pk is not None else None
        if need is None:
            self.errors.add(path, _("Choose one of this customer's needs."))
        return need

    def needs(self) -> None:
        seen = set()
        for i, entry in _entries(self.payload, "needs", self.errors):
            path = f"needs[{i}]"
            need = self._need_of(f"{path}.need_id", entry.get("need_id"))
            if need is None:
                continue
            if need.pk in seen:
                self.errors.add(f"{path}.need_id", _("This need is in the note twice."))
                continue
            seen.add(need.pk)
            data = {"source": entry.get("source") or CustomerNeed.Source.CONVERSATION}
            for name in ("expected", "deliverable"):
                try:
                    value = _int(entry.get(name))
                except ValueError:
                    value = -1
                if value is not None and not 0 <= value <= 100:
                    self.errors.add(f"{path}.{name}", _("Enter a whole number from 0 to 100."))
                try:
                    shown = _int(entry.get(f"{name}_was"))
                except ValueError:
                    shown = None
                if value is not None and value == shown:
                    value = None  # left as the form showed it: the need keeps its current value
                data[name] = getattr(need, name) if value is None else value
            if data["source"] not in (CustomerNeed.Source.CONVERSATION, CustomerNeed.Source.COMPETITOR):
                self.errors.add(f"{path}.source", _("Choose conversation or competitor data."))
            try:
                data["verified"] = _bool(entry.get("verified"))
            except ValueError:
                self.errors.add(f"{path}.verified", _("Send true or false."))
                data["verified"] = False
            try:
                data["note"] = _text(entry.get("note"))[:300]
            except ValueError:
                self.errors.add(f"{path}.note", _("Enter text."))
            self.out.needs.append((need, data))

    def grade(self) -> None:
        raw = self.payload.get("grade")
        if raw in (None, ""):
            return
        if not isinstance(raw, dict):
            raw = {"grade": raw}
        for name in sorted(set(raw) - {"grade", "reason"}):
            self.errors.add(f"grade.{name}", _("Unknown field."))
        try:
            grade = _int(raw.get("grade"))
        except ValueError:
            grade = -1
        if grade is None or grade == self.customer.grade:
            return  # left empty or as it was: unchanged
        if grade not in customer_rules.INTENT_GRADES:
            self.errors.add("grade.grade", _("The intent grade must be one of 9, 6, 3, 1, 0."))
            return
        try:
            reason = _text(raw.get("reason"))
        except ValueError:
            reason = ""
        if not reason:
            self.errors.add("grade.reason", _("Say why the grade changes."))
        elif len(reason) > TEXT_MAX:
            self.errors.add("grade.reason", _("At most %(n)d characters.") % {"n": TEXT_MAX})
        else:
            self.out.grade = (grade, reason)

    def _project_fields(self, entry: dict) -> dict:
        data = {k: v for k, v in entry.items() if k != "project_id" and not _blank(v)}
        data.setdefault("name", "")  # required for a new project
        data.setdefault("region_id", self.customer.region_id)
        return data

    def projects(self) -> None:
        for i, entry in _entries(self.payload, "projects", self.errors):
            path = f"projects[{i}]"
            if not _blank(entry.get("project_id")):
                try:
                    pk = _int(entry.get("project_id"))
                except ValueError:
                    pk = None
                project = visible(self.actor, MarketProject, Action.CHANGE).filter(pk=pk).first() if pk else None
                if project is None:
                    self.errors.add(f"{path}.project_id", _("Choose a project of your regions."))
                else:
                    self.out.projects.append((project, {}))
                continue
            try:
                data = intel.project_validate(actor=self.actor, fields=self._project_fields(entry))
            except ValidationError as exc:
                self.errors.absorb(path, exc)
                continue
            self.out.projects.append((None, data))

    def market(self) -> None:
        for i, entry in _entries(self.payload, "market", self.errors):
            try:
                data = intel.project_validate(actor=self.actor, fields=self._project_fields(entry))
            except ValidationError as exc:
                self.errors.absorb(f"market[{i}]", exc)
                continue
            self.out.market.append(data)

    def machines(self) -> None:
        for i, entry in _entries(self.payload, "machines", self.errors):
            path = f"machines[{i}]"
            before = len(self.errors.fields)
            data: dict = {}
            rival = None
            if not _blank(entry.get("competitor_machine_id")):
                try:
                    pk = _int(entry.get("competitor_machine_id"))
                except ValueError:
                    pk = None
                rival = visible(self.actor, CompetitorMachine).filter(pk=pk).first() if pk else None
                if rival is None:
                    self.errors.add(f"{path}.competitor_machine_id", _("Choose a competitor machine of your company."))
            data["competitor_machine"] = rival
            for name, limit in (("brand", 60), ("model", 60), ("opinion", 300)):
                try:
                    data[name] = _text(entry.get(name))
                except ValueError:
                    self.errors.add(f"{path}.{name}", _("Enter text."))
                    continue
                if len(data[name]) > limit:
                    self.errors.add(f"{path}.{name}", _("At most %(n)d characters.") % {"n": limit})
            if not data.get("brand") and rival is None and f"{path}.competitor_machine_id" not in self.errors.fields:
                self.errors.add(f"{path}.brand", _("This field is required."))
            for name, lo, hi, default in (("count", 1, 500, 1), ("years_used", 0, 60, None)):
                try:
                    value = _int(entry.get(name))
                except ValueError:
                    value = -1
                if value is not None and not lo <= value <= hi:
                    self.errors.add(f"{path}.{name}", _("Between %(lo)d and %(hi)d.") % {"lo": lo, "hi": hi})
                data[name] = default if value is None else value
            if len(self.errors.fields) == before:
                self.out.machines.append(data)

    def relations(self) -> None:
        for i, entry in _entries(self.payload, "relations", self.errors):
            path = f"relations[{i}]"
            before = len(self.errors.fields)
            data: dict = {"kind": entry.get("kind") or ""}
            if data["kind"] not in Relation.Kind.values:
                self.errors.add(f"{path}.kind", _("Choose family or friend."))
            for name, limit, required in (("name", 60, True), ("relation", 40, True), ("occupation", 60, False)):
                try:
                    data[name] = _text(entry.get(name))
                except ValueError:
                    self.errors.add(f"{path}.{name}", _("Enter text."))
                    continue
                if required and not data[name]:
                    self.errors.add(f"{path}.{name}", _("This field is required."))
                elif len(data[name]) > limit:
                    self.errors.add(f"{path}.{name}", _("At most %(n)d characters.") % {"n": limit})
            try:
                data["phone"] = customer_services.mobile_or_error(_text(entry.get("phone")))
            except ValidationError as exc:
                self.errors.add(f"{path}.phone", exc.message_dict["phone"][0])
            except ValueError:
                self.errors.add(f"{path}.phone", _("Enter text."))
            try:
                influence = _int(entry.get("influence"))
            except ValueError:
                influence = 0
            influence = 3 if influence is None else influence
            if influence not in (1, 2, 3, 4, 5):
                self.errors.add(f"{path}.influence", _("Choose a level from 1 to 5."))
            data["influence"] = influence
            if len(self.errors.fields) == before:
                self.out.relations.append(data)

    def _short_text(self, path: str, value, *, required: bool) -> str | None:
        try:
            text = _text(value)
        except ValueError:
            self.errors.add(path, _("Enter text."))
            return None
        if required and not text:
            self.errors.add(path, _("This field is required."))
            return None
        if len(text) > TEXT_MAX:
            self.errors.add(path, _("At most %(n)d characters.") % {"n": TEXT_MAX})
            return None
        return text

    def objections(self) -> None:
        for i, entry in _entries(self.payload, "objections", self.errors):
            path = f"objections[{i}]"
            text = self._short_text(f"{path}.text", entry.get("text"), required=True)
            answer = self._short_text(f"{path}.answer", entry.get("answer"), required=False)
            need = None
            if not _blank(entry.get("need_id")):
                need = self._need_of(f"{path}.need_id", entry.get("need_id"))
                if need is None:
                    continue
            if text is not None and answer is not None:
                self.out.objections.append({"text": text, "answer": answer, "need": need})

    def _due(self, path: str, value, *, required: bool) -> tuple[bool, dt.date | None]:
        try:
            due = _date(value)
        except (ValueError, TypeError):
            self.errors.add(path, _("Enter a date like 2026-05-31."))
            return False, None
        if due is None:
            if required:
                self.errors.add(path, _("Say by when."))
                return False, None
            return True, None
        lo, hi = self.today - dt.timedelta(days=DUE_PAST_DAYS), self.today + dt.timedelta(days=DUE_FUTURE_DAYS)
        if not lo <= due <= hi:
            self.errors.add(path, _("Choose a date between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi})
            return False, None
        return True, due

    def followups(self) -> None:
        for key, kind in (
            ("commitments", FollowUp.Kind.COMMITMENT),
            ("questions", FollowUp.Kind.QUESTION),
            ("unclear", FollowUp.Kind.UNCLEAR),
        ):
            for i, entry in _entries(self.payload, key, self.errors):
                path = f"{key}[{i}]"
                text = self._short_text(f"{path}.text", entry.get("text"), required=True)
                ok, due = True, None
                if kind != FollowUp.Kind.UNCLEAR:
                    ok, due = self._due(
                        f"{path}.due_on", entry.get("due_on"), required=kind == FollowUp.Kind.COMMITMENT
                    )
                if text is not None and ok:
                    self.out.followups.append({"kind": kind, "text": text, "due_on": due})

    def contacts(self) -> None:
        for i, entry in _entries(self.payload, "contacts", self.errors):
            path = f"contacts[{i}]"
            data = {k: v for k, v in entry.items() if not _blank(v)}
            data.setdefault("region_id", self.customer.region_id)
            data.setdefault("kind", "")
            data.setdefault("name", "")
            try:
                clean = intel.contact_validate(actor=self.actor, fields=data)
            except ValidationError as exc:
                self.errors.absorb(path, exc)
                continue
            clean.setdefault("details", {})
            self.out.contacts.append(clean)

    def competitors(self) -> None:
        raw = self.payload.get("competitors")
        if raw in (None, ""):
            return
        if not isinstance(raw, dict):
            self.errors.add("competitors", _("Send dealers, machines and salespeople as lists."))
            return
        for name in sorted(set(raw) - set(COMPETITOR_LISTS)):
            self.errors.add(f"competitors.{name}", _("Unknown section."))
        specs = {
            "dealers": (CompetitorDealer, intel.dealer_validate, ("name",)),
            "machines": (CompetitorMachine, intel.machine_validate, ("brand", "model")),
            "salespeople": (CompetitorSalesperson, intel.salesperson_validate, ("dealer_id", "name")),
        }
        for key in COMPETITOR_LISTS:
            model, validate, required = specs[key]
            for i, entry in _entries(raw, key, self.errors, prefix="competitors."):
                path = f"competitors.{key}[{i}]"
                fields = {k: v for k, v in entry.items() if k != "id"}
                instance = None
                if not _blank(entry.get("id")):
                    try:
                        pk = _int(entry.get("id"))
                    except ValueError:
                        pk = None
                    instance = visible(self.actor, model, Action.CHANGE).filter(pk=pk).first() if pk else None
                    if instance is None:
                        self.errors.add(f"{path}.id", _("Not found among the competitors you can change."))
                        continue
                    fields = {k: v for k, v in fields.items() if not _blank(v)}  # an update changes what is given
                else:
                    for name in required:
                        fields.setdefault(name, "")
                try:
                    data = validate(actor=self.actor, fields=fields, instance=instance)
                except ValidationError as exc:
                    self.errors.absorb(path, exc, {"dealer": "dealer_id"})
                    continue
                self.out.competitors.append((key, instance, data))

    def result(self) -> None:
        value = self.payload.get("result") or ""
        if value not in ("", Visit.Result.WON, Visit.Result.LOST):
            self.errors.add("result", _("Choose deal closed, lost or nothing yet."))
            return
        self.out.result = value


def note_validate(*, actor: User, customer: Customer, payload: dict, today: dt.date | None = None) -> Cleaned:
    """Check a whole note against the customer without writing; a ValidationError names every
    wrong entry and field (``relations[1].phone``)."""
    return _Validator(actor=actor, customer=customer, payload=payload, today=today or timezone.localdate()).run()


# ------------------------------------------------------------------------------------ recording


def _existing(company_id: int, client_key: str) -> VisitNote | None:
    if not client_key:
        return None
    return VisitNote.objects.filter(company_id=company_id, client_key=client_key).select_related("customer").first()


def _already_recorded(actor: User, note: VisitNote) -> VisitNote:
    if not visible(actor, VisitNote).filter(pk=note.pk).exists():
        raise ValidationError({"client_key": [_("This draft key was already used for another note.")]})
    return note


def note_record(
    *,
    actor: User,
    visit: Visit | None = None,
    customer: Customer | None = None,
    client_key: str = "",
    data: dict,
) -> tuple[VisitNote, bool]:
    """Record a visit note: validate everything, then apply every entry to the living profile in
    one transaction. Returns (note, created). A note whose ``client_key`` was recorded already is
    returned as it is with created=False and nothing is written — also when two copies of the same
    draft race (the unique constraint decides)."""
    client_key = (client_key or data.get("client_key") or "").strip() if isinstance(data, dict) else client_key
    if client_key and not KEY_RE.match(client_key):
        raise ValidationError({"client_key": [_("The draft key must be 8 to 64 letters, digits, - or _.")]})
    existing = _existing(actor.company_id, client_key)
    if existing is not None:
        return _already_recorded(actor, existing), False
    try:
        with transaction.atomic():
            note = _record(actor=actor, visit=visit, customer=customer, client_key=client_key, data=data)
    except IntegrityError:
        existing = _existing(actor.company_id, client_key)
        if existing is None:
            raise
        return _already_recorded(actor, existing), False
    return note, True


def _target(actor: User, visit: Visit | None, customer: Customer | None) -> tuple[Visit | None, Customer]:
    if visit is None and customer is None:
        raise ValidationError({"customer": [_("Say which customer or visit the note is about.")]})
    if visit is not None:
        if not can(actor, visit, Action.CHANGE):
            raise PermissionError
        if customer is not None and customer.pk != visit.customer_id:
            raise ValidationError({"customer": [_("This visit is of another customer.")]})
        if visit.status == Visit.Status.CANCELLED:
            raise ValidationError({"visit": [_("This visit was cancelled; write the note without a visit.")]})
        customer = visit.customer
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    if customer.merged_into_id:
        raise ValidationError({"customer": [_("This customer was merged into another one; visit that one.")]})
    return visit, customer


def _record(*, actor: User, visit: Visit | None, customer: Customer | None, client_key: str, data: dict) -> VisitNote:
    visit, customer = _target(actor, visit, customer)
    clean = note_validate(actor=actor, customer=customer, payload=data)
    at = clean.written_at or timezone.now()
    if visit is None:
        visit = visit_open(actor=actor, customer=customer, day=timezone.localdate(at))
    visit.customer = customer
    # the note first: its unique draft key makes a second copy of the draft stop here
    note = VisitNote.objects.create(
        company_id=customer.company_id,
        visit=visit,
        customer=customer,
        author=actor,
        client_key=client_key,
        summary=clean.summary,
        recorded_at=at,
    )
    writer = _Writer(actor=actor, visit=visit, customer=customer, note=note, at=at)
    writer.apply(clean)
    note.changes = writer.changes
    note.save(update_fields=["changes"])
    visit_done(actor=actor, visit=visit, at=at)
    return note


class _Writer:
    """Applies a cleaned note through the customers' services and says what each entry changed."""

    def __init__(self, *, actor: User, visit: Visit, customer: Customer, note: VisitNote, at: dt.datetime):
        self.actor, self.visit, self.customer, self.note, self.at = actor, visit, customer, note, at
        self.changes: list[dict] = []

    def said(self, section: str, text: str) -> None:
        self.changes.append({"section": section, "text": text})

    def apply(self, clean: Cleaned) -> None:
        try:
            self._apply(clean)
        except ValidationError as exc:  # a race the validation could not see (e.g. a mobile taken meanwhile)
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            ) from exc

    def _apply(self, clean: Cleaned) -> None:
        c = self.customer
        if clean.basics:
            before = {k: getattr(c, k) for k in clean.basics}
            try:
                customer_services.customer_update(actor=self.actor, customer=c, **clean.basics)
            except ValidationError as exc:
                errors = _Errors()
                errors.absorb("basics", exc)
                errors.raise_if_any()
            for name, old in before.items():
                label = Customer._meta.get_field(name).verbose_name
                self.said("basics", f"{label}: {_show(old)} → {_show(getattr(c, name))}")
        if clean.grade:
            grade, reason = clean.grade
            old = c.grade
            customer_services.grade_set(actor=self.actor, customer=c, grade=grade, reason=reason)
            self.said(
                "grade",
                _("Intent grade %(old)s → %(new)s: %(reason)s") % {"old": _show(old), "new": grade, "reason": reason},
            )
        for need, data in clean.needs:
            self._need(need, data)
        for project, data in clean.projects:
            if project is not None:
                intel.project_link_customer(actor=self.actor, project=project, customer=c)
                self.said("projects", _("Linked to the project %(name)s") % {"name": project.name})
            else:
                data = dict(data)
                project = intel.project_create(
                    actor=self.actor, name=data.pop("name"), region_id=data.pop("region_id"), **data
                )
                intel.project_link_customer(actor=self.actor, project=project, customer=c)
                self.said("projects", _("Project recorded: %(name)s") % {"name": _project_words(project)})
        for data in clean.machines:
            m = customer_services.machine_add(actor=self.actor, customer=c, **data)
            self.said("machines", _("Machine owned: %(machine)s") % {"machine": _machine_words(m)})
        for data in clean.relations:
            r = customer_services.relation_add(actor=self.actor, customer=c, **data)
            self.said(
                "relations",
                _("%(kind)s: %(name)s (%(relation)s, influence %(influence)d/5)")
                % {"kind": r.get_kind_display(), "name": r.name, "relation": r.relation, "influence": r.influence},
            )
        for data in clean.objections:
            need = data["need"]
            Objection.objects.create(
                company_id=c.company_id,
                customer=c,
                visit=self.visit,
                note=self.note,
                need_point_id=need.need_point_id if need else None,
                text=data["text"],
                answer=data["answer"],
                by=self.actor,
                at=self.at,
            )
            text = _("Objection: %(text)s") % {"text": data["text"]}
            if need is not None:
                text += f" ({need.need_point.name})"
            self.said("objections", text)
        for data in clean.followups:
            self._followup(**data)
        for data in clean.market:
            data = dict(data)
            project = intel.project_create(
                actor=self.actor, name=data.pop("name"), region_id=data.pop("region_id"), **data
            )
            self.said("market", _("Market project: %(name)s") % {"name": _project_words(project)})
        for data in clean.contacts:
            data = dict(data)
            contact = intel.contact_create(
                actor=self.actor, kind=data.pop("kind"), name=data.pop("name"), region_id=data.pop("region_id"), **data
            )
            self.said(
                "contacts",
                _("Industry contact (%(kind)s): %(name)s") % {"kind": contact.get_kind_display(), "name": contact.name},
            )
        for key, instance, data in clean.competitors:
            self._competitor(key, instance, data)
        if clean.result:
            self.visit.result = clean.result
            self.visit.save(update_fields=["result", "updated_at"])
            self.said("result", str(Visit.Result(clean.result).label))

    def _need(self, need: CustomerNeed, data: dict) -> None:
        old_state, old_exp, old_dlv = need.state, need.expected, need.deliverable
        customer_services.need_record(
            actor=self.actor,
            need=need,
            expected=data["expected"],
            deliverable=data["deliverable"],
            confirmed_with_customer=data["verified"],
            source=data["source"],
            note=data.get("note", ""),
        )
        if (need.state, need.expected, need.deliverable) == (old_state, old_exp, old_dlv) and not data["verified"]:
            return
        values = {
            "need": need.need_point.name,
            "expected": _arrow(old_exp, need.expected),
            "deliverable": _arrow(old_dlv, need.deliverable),
        }
        if need.state == CustomerNeed.State.VERIFIED:
            text = _("%(need)s verified: expected %(expected)s, deliverable %(deliverable)s") % values
        else:
            text = _("%(need)s revised: expected %(expected)s, deliverable %(deliverable)s") % values
        if data["source"] == CustomerNeed.Source.COMPETITOR:
            text += " · " + str(CustomerNeed.Source.COMPETITOR.label)
        self.said("needs", text)

    def _followup(self, *, kind: str, text: str, due_on: dt.date | None) -> None:
        # the customer's salesperson follows up (also when a manager wrote the note after a joint visit)
        owner = self.customer.owner or self.visit.salesperson
        if kind == FollowUp.Kind.QUESTION and due_on is None:
            due_on = self._next_visit_due()
        fu = FollowUp.objects.create(
            company_id=self.customer.company_id,
            customer=self.customer,
            visit=self.visit,
            note=self.note,
            kind=kind,
            text=text,
            due_on=due_on,
            owner=owner,
        )
        section = {
            FollowUp.Kind.COMMITMENT: "commitments",
            FollowUp.Kind.QUESTION: "questions",
            FollowUp.Kind.UNCLEAR: "unclear",
        }[kind]
        if kind != FollowUp.Kind.UNCLEAR:
            _post_todo(fu, self.customer)
            self.said(section, _("%(text)s · due %(due)s") % {"text": text, "due": due_on.isoformat()})
        else:
            self.said(section, text)

    def _next_visit_due(self) -> dt.date:
        """A question without a date is an entry point for the next visit: due when that visit is."""
        cadence = method.settings_for(self.customer.company_id).cadence()
        return timezone.localdate(self.at) + dt.timedelta(days=rules.cadence_days(self.customer.grade, cadence))

    def _competitor(self, key: str, instance, data: dict) -> None:
        create = {
            "dealers": intel.dealer_create,
            "machines": intel.machine_create,
            "salespeople": intel.salesperson_create,
        }[key]
        update = {
            "dealers": lambda obj, **f: intel.dealer_update(actor=self.actor, dealer=obj, **f),
            "machines": lambda obj, **f: intel.machine_update(actor=self.actor, machine=obj, **f),
            "salespeople": lambda obj, **f: intel.salesperson_update(actor=self.actor, salesperson=obj, **f),
        }[key]
        if instance is None:
            obj = create(actor=self.actor, **data)
            sentence = _("%(what)s recorded: %(obj)s")
        else:
            obj = update(instance, **data)
            sentence = _("%(what)s updated: %(obj)s")
        label = {
            "dealers": _("Competitor dealer"),
            "machines": _("Competitor machine"),
            "salespeople": _("Competitor salesperson"),
        }[key]
        self.said("competitors", sentence % {"what": label, "obj": obj})


def _show(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _arrow(old, new) -> str:
    return str(new) if old == new else f"{old} → {new}"


def _project_words(p: MarketProject) -> str:
    bits = [p.name]
    if p.place:
        bits.append(p.place)
    if p.duration_months:
        bits.append(_("%(n)d months") % {"n": p.duration_months})
    return " · ".join(bits)


def _machine_words(m) -> str:
    words = f"{m.brand} {m.model}".strip() + f" × {m.count}"
    if m.years_used is not None:
        words += " · " + _("%(n)d years") % {"n": m.years_used}
    if m.opinion:
        words += " · " + m.opinion
    return words


def followup_todo_key(followup: FollowUp) -> str:
    return f"visits.followup.{followup.pk}"


def _post_todo(fu: FollowUp, customer: Customer) -> Todo:
    title = {
        FollowUp.Kind.COMMITMENT: _("Commitment to %(customer)s: %(text)s"),
        FollowUp.Kind.QUESTION: _("Answer %(customer)s: %(text)s"),
    }[fu.kind] % {"customer": customer.name, "text": fu.text}
    return core_services.todo_post(
        user=fu.owner,
        title=title,
        due=fu.due_on,
        kind=f"visit_{fu.kind}",
        url=reverse("visits:brief", args=[customer.pk]),
        key=followup_todo_key(fu),
        about=fu,
    )


@transaction.atomic
def followup_done(*, actor: User, followup: FollowUp) -> FollowUp:
    """A commitment kept, a question answered, a point made clear: closes it and its to-do."""
    if not can(actor, followup, Action.CHANGE):
        raise PermissionError
    if followup.status != FollowUp.Status.DONE:
        followup.status = FollowUp.Status.DONE
        followup.done_at = timezone.now()
        followup.save(update_fields=["status", "done_at"])
    for todo in Todo.objects.filter(
        user_id=followup.owner_id, key=followup_todo_key(followup), status=Todo.Status.OPEN
    ):
        core_services.todo_done(todo=todo)
    return followup


# ------------------------------------------------------------------------------------ the form


_HEAD = r"competitors\.[a-z_]+|[a-z_]+"
_PATH_RE = re.compile(rf"^(?P<head>{_HEAD})(?:\[(?P<index>\d{{1,3}})\])?(?:\.(?P<field>[a-z_]+))?$")


def payload_from_form(post) -> tuple[dict, dict[str, list[int]]]:
    """The note's payload from the page's form fields, named as the payload's paths
    (``summary``, ``basics.phone``, ``relations[0].name``, ``competitors.machines[1].brand``).

    Rows left blank (only fields with a default, like a relation's kind) are dropped and the rest
    renumbered; the second value maps each list to the form rows its entries came from, so that
    errors can be shown next to the right inputs. ``static/visits/notes.js`` builds the same payload.
    """
    payload: dict[str, Any] = {}
    rows: dict[str, dict[int, dict]] = {}
    for name in post:
        if name in ("csrfmiddlewaretoken",):
            continue
        values = post.getlist(name) if hasattr(post, "getlist") else [post[name]]
        value = values[-1] if values else ""
        m = _PATH_RE.match(name)
        if not m:
            continue
        head, index, fld = m.group("head"), m.group("index"), m.group("field")
        if index is not None and fld:
            rows.setdefault(head, {}).setdefault(int(index), {})[fld] = value
        elif index is None and fld and head in ("basics", "grade"):
            payload.setdefault(head, {})[fld] = value
        elif index is None and fld is None and head in ("summary", "result", "client_key", "written_at"):
            payload[head] = value
    origin: dict[str, list[int]] = {}
    for head, by_index in rows.items():
        keep = []
        defaults = set(ROW_DEFAULTS.get(head, ()))
        for i in sorted(by_index):
            row = by_index[i]
            if head != "needs" and all(_blank(v) for k, v in row.items() if k not in defaults):
                continue
            keep.append((i, row))
        if not keep:
            continue
        origin[head] = [i for i, _row in keep]
        entries = [row for _i, row in keep]
        if head.startswith("competitors."):
            payload.setdefault("competitors", {})[head.split(".", 1)[1]] = entries
        else:
            payload[head] = entries
    return payload, origin


def form_error_names(errors: dict[str, list[str]], origin: dict[str, list[int]]) -> dict[str, list[str]]:
    """Payload paths of errors → the form's input names (rows renumbered back)."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        m = re.match(rf"^({_HEAD})\[(\d+)\](.*)$", path)
        if m and m.group(1) in origin and int(m.group(2)) < len(origin[m.group(1)]):
            path = f"{m.group(1)}[{origin[m.group(1)][int(m.group(2))]}]{m.group(3)}"
        out.setdefault(path, []).extend(messages)
    return out


def error_label(path: str) -> str:
    """An error's place for people: "Family and friends 2 · phone"."""
    m = re.match(rf"^({_HEAD})(?:\[(\d+)\])?(?:\.([a-z_]+))?$", path)
    if not m or m.group(1) not in SECTION_LABELS:
        return ""
    words = str(SECTION_LABELS[m.group(1)])
    if m.group(2) is not None:
        words += f" {int(m.group(2)) + 1}"
    if m.group(3):
        words += f" · {FIELD_LABELS.get(m.group(3), m.group(3))}"
    return words


FIELD_LABELS = {
    "occupation": gettext_lazy("Occupation"),
    "age": gettext_lazy("Age"),
    "birthday": gettext_lazy("Birthday"),
    "hobbies": gettext_lazy("Hobbies"),
    "phone": gettext_lazy("Mobile"),
    "address": gettext_lazy("Address"),
    "expected_purchase_on": gettext_lazy("Expected purchase date"),
    "need_id": gettext_lazy("Need"),
    "expected": gettext_lazy("Expected"),
    "deliverable": gettext_lazy("Deliverable"),
    "verified": gettext_lazy("Verified"),
    "source": gettext_lazy("Source"),
    "grade": gettext_lazy("Grade"),
    "reason": gettext_lazy("Why"),
    "project_id": gettext_lazy("Project"),
    "name": gettext_lazy("Name"),
    "place": gettext_lazy("Place"),
    "duration_months": gettext_lazy("Duration (months)"),
    "work_volume": gettext_lazy("Work volume"),
    "publisher": gettext_lazy("Published by"),
    "expected_demand": gettext_lazy("Excavators needed"),
    "starts_on": gettext_lazy("Starts"),
    "brand": gettext_lazy("Brand"),
    "model": gettext_lazy("Model"),
    "count": gettext_lazy("Count"),
    "years_used": gettext_lazy("Years used"),
    "opinion": gettext_lazy("Opinion"),
    "competitor_machine_id": gettext_lazy("Competitor model"),
    "kind": gettext_lazy("Kind"),
    "relation": gettext_lazy("Relation"),
    "influence": gettext_lazy("Influence"),
    "text": gettext_lazy("What"),
    "answer": gettext_lazy("Our answer"),
    "due_on": gettext_lazy("Due"),
    "reputation": gettext_lazy("Reputation"),
    "note": gettext_lazy("Note"),
    "dealer_id": gettext_lazy("Dealer"),
    "movements": gettext_lazy("Movements"),
    "territory": gettext_lazy("Territory"),
    "selling_points": gettext_lazy("Selling points"),
    "customer_opinion": gettext_lazy("Customers' opinion"),
    "policy": gettext_lazy("Commercial policy"),
    "brands": gettext_lazy("Brands"),
    "strategy": gettext_lazy("Strategy"),
}


def close_followup_of_todo(todo: Todo) -> None:
    """Hook of core.services.todo_done: a follow-up's to-do done on the Today page closes it."""
    pk = todo.key.removeprefix("visits.followup.")
    followup = FollowUp.objects.filter(pk=int(pk) if pk.isdigit() else 0, owner_id=todo.user_id).first()
    if followup is not None and followup.status != FollowUp.Status.DONE and can(todo.user, followup, Action.CHANGE):
        followup_done(actor=todo.user, followup=followup)
