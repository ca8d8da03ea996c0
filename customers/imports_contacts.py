"""Excel / CSV import of grade-0 industry contacts (导入行业联系人 · 0类客户).

    batch = import_upload(actor=…, filename=…, data=…, kind=…, default_region_id=…)   # read, check, store
    batch = import_remap(actor=…, batch_id=…, mapping=…, kind=…, default_region_id=…)  # the user's columns
    result = import_confirm(actor=…, batch_id=…, skip_flagged=False)                   # write, one transaction

The same flow as the customer import (``customers/import_base.py``: the file read the same way, GBK
CSV included; the batch stored encrypted server-side; nothing written before the confirmation; the
row-by-row report in the reader's language; all valid rows written in one transaction with
``audit.log_bulk``), with the contacts' own columns (``domain.contact_import``):

- the kind: a kind column (类别) holding the kinds' names, or one kind for the whole sheet chosen on
  upload (it fills the blank cells of a kind column), or — when neither — the kind the detail
  columns reveal (a sheet with 年龄, 工龄, 月工资 lists operators);
- the common fields, checked by the service's own rules (``intel.contact_validate``), the mobile
  by ``rules.normalize_mobile``; the kind's detail fields by ``domain.contacts.clean_value``
  (ranges, money), from their own columns or from the export's details column;
- the region: the row's region column, else the region chosen on upload; it must be one the user
  may write (``import_base.writable_regions``: administrators any region of the company, others
  the regions they cover — the rule of ``intel.contact_validate``);
- duplicates: a mobile number an industry contact of the company already has, or one repeated in
  the file, flags the row as a possible duplicate (a warning: contacts may share a number, as the
  form allows; the user may leave the flagged rows out). Contacts the user may not see are not named;
- the importing user is the owner (记录人) of every contact.

Who may import: managers and administrators, as for customers, and **salespeople** too. A
salesperson records grade-0 contacts in the field and may keep them in a sheet; the visibility
policy already lets a salesperson create contacts (changing the ones they recorded), and the import
restricts them exactly as the form does: only into the regions they cover, and they own what they
import. Finance and service engineers may not import.

An exported list (``exports.industry_contacts_xlsx``, either language) imports as the same contacts:
its headings are recognised, its kind labels parsed and its details column read back.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit
from core.models import AuditEntry, Channel, Role, User
from core.visibility import Action, may, visible

from . import import_base as base
from . import intel, rules
from .domain import contact_import as ci
from .domain import contacts as schema
from .domain import importing as imp
from .import_base import BatchNotFound, PreviewChanged, bulk_insert, table_of, writable_regions  # noqa: F401
from .models import IndustryContact

TARGET = "contacts"
IMPORT_ROLES = (Role.MANAGER, Role.ADMIN, Role.SALESPERSON)
KINDS = tuple(IndustryContact.Kind.values)

MESSAGES = {
    **base.MESSAGES,
    "kind_unknown": gettext_lazy("“%(value)s” is not a kind of industry contact: use one of %(allowed)s."),
    "kind_missing": gettext_lazy("No kind: fill in the kind column (类别) or choose the kind on upload."),
    "detail_invalid": gettext_lazy("“%(value)s”: %(reason)s"),
    "detail_not_for_kind": gettext_lazy("“%(field)s” is not recorded for the kind %(kind)s: “%(value)s” is left out."),
    "details_unknown": gettext_lazy("“%(value)s” is not a detail of the kind %(kind)s: left out."),
    "contact_dup_db": gettext_lazy("Industry contact “%(name)s” already has this mobile number."),
    "contact_dup_db_hidden": gettext_lazy("Another industry contact of your company already has this mobile number."),
}
# Warnings that make a row a possible duplicate (the user may leave those rows out).
FLAGGING = frozenset({"phone_dup_file", "contact_dup_db", "contact_dup_db_hidden"})

COMMON_LABELS = {
    ci.KIND: gettext_lazy("Kind"),
    ci.NAME: gettext_lazy("Name"),
    ci.PHONE: gettext_lazy("Mobile"),
    ci.REGION: gettext_lazy("Region"),
    ci.PROVINCE: gettext_lazy("Province"),
    ci.CITY: gettext_lazy("City"),
    ci.DISTRICT: gettext_lazy("District"),
    ci.ADDRESS: gettext_lazy("Address"),
    ci.REPUTATION: gettext_lazy("Reputation (口碑)"),
    ci.NOTE: gettext_lazy("Note"),
    ci.DETAILS: gettext_lazy("Details"),
}


def kind_label(kind: str) -> str:
    return str(dict(IndustryContact.Kind.choices).get(kind, kind))


def field_labels(kind: str = "") -> dict[str, str]:
    """Each field in the reader's language; a detail field by its label in ``kind`` when it has it,
    else by its labels in the kinds that have it ("Brands of parts / Brands repaired")."""
    out = {f: str(label) for f, label in COMMON_LABELS.items()}
    own = {s.name: s for s in schema.fields_of(kind)}
    for name in ci.detail_names():
        if name in own:
            out[ci.detail_target(name)] = _(own[name].label)
            continue
        labels = []
        for specs in schema.SCHEMA.values():
            for spec in specs:
                if spec.name == name and _(spec.label) not in labels:
                    labels.append(_(spec.label))
        out[ci.detail_target(name)] = " / ".join(labels)
    return out


def message(issue: imp.Issue) -> str:
    params = dict(issue.params)
    if issue.code == "detail_invalid":  # the schema's reason, translated for the reader
        args = params.pop("args", None) or {}
        reason = _(params.pop("msgid"))
        params["reason"] = reason % args if args else reason
    if "kind" in params:
        params["kind"] = kind_label(params["kind"])
    return base.message(imp.Issue(issue.row, issue.code, issue.level, issue.column, issue.field, params), MESSAGES)


@functools.cache
def columns_for(first: str = "") -> ci.ContactColumns:
    """The contacts' columns, knowing the labels of the pages and the export in every language."""
    labels: dict[tuple[str, str], list[str]] = {}
    kind_labels: dict[str, list[str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for kind, specs in schema.SCHEMA.items():
                for spec in specs:
                    labels.setdefault((kind.value, spec.name), []).append(translation.gettext(spec.label))
            for kind, label in IndustryContact.Kind.choices:
                kind_labels.setdefault(kind, []).append(str(label))
    return ci.ContactColumns(labels, kind_labels, first or None)


# --- who may import ------------------------------------------------------------------------------------


def may_import(user) -> bool:
    """Managers and administrators, and salespeople (into the regions they cover); see the module's notes."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_role(*IMPORT_ROLES) and may(user, IndustryContact, Action.CHANGE)
    )


def _check_importer(user) -> None:
    if not may_import(user):
        raise PermissionError


def _check_kind(kind: str) -> str:
    kind = kind or ""
    if kind and kind not in KINDS:
        raise ValidationError({"kind": _("Choose one of the kinds of industry contact.")})
    return kind


# --- the stored batch ----------------------------------------------------------------------------------


def load_batch(*, actor, batch_id) -> dict:
    """The user's own batch of industry contacts; BatchNotFound otherwise (expired, unknown, another's)."""
    return base.load_batch(actor=actor, batch_id=batch_id, target=TARGET)


def import_cancel(*, actor, batch_id) -> None:
    base.cancel_batch(load_batch(actor=actor, batch_id=batch_id))


# --- the analysis --------------------------------------------------------------------------------------


@dataclass
class Planned:
    """A row that passed every check, as it will be written."""

    row: int
    contact: dict
    flagged: bool = False  # a possible duplicate (warning)


@dataclass
class _Candidate:
    check: base.RowCheck
    data: dict


# The fields whose cells keep their line breaks: the note, and the details (a list one item per line).
KEEP_LINES = frozenset({ci.NOTE, ci.DETAILS, *(ci.detail_target(n) for n in ci.detail_names())})
_UNIT = re.compile(r"^([+-]?\d+)(?:\.0+)?\s*(?:岁|年|台|辆|部|人|名|个|吨|t|T)$")
_COMMON_TEXT = (ci.PROVINCE, ci.CITY, ci.DISTRICT, ci.ADDRESS, ci.REPUTATION, ci.NOTE)


class _Directory:
    """The company's regions, those the user may write, and the contacts' columns, once per analysis."""

    def __init__(self, actor: User, batch: dict):
        self.actor = actor
        self.region_names = base.RegionNames(actor.company_id)
        self.writable = set(writable_regions(actor).values_list("pk", flat=True))
        self.cc = columns_for(batch.get("contact_kind") or "")


def analyse(*, actor: User, batch: dict) -> base.Analysis:
    """Check every row against the contacts' rules and for duplicates; writes nothing."""
    directory = _Directory(actor, batch)
    mapping = batch["mapping"]
    problems = directory.cc.columns.check(mapping)
    batch["inferred_kind"] = directory.cc.infer_kind(batch["headings"], mapping)
    if problems:
        return base.Analysis(problems, [], [], 0)
    records, issues = imp.records(table_of(batch), mapping, KEEP_LINES)
    default_kind = batch.get("contact_kind") or batch["inferred_kind"]
    candidates = []
    for rec in records:
        check = base.RowCheck(rec, issues, FLAGGING)
        candidates.append(
            _Candidate(check, _check_record(check, directory, batch, default_kind, batch["default_region_id"]))
        )
    _check_duplicates(actor, candidates)
    planned = [Planned(c.check.rec.row, c.data, c.check.flagged) for c in candidates if not c.check.failed]
    base.sort_issues(issues)
    return base.Analysis([], issues, planned, len(records))


def _check_record(check: base.RowCheck, d: _Directory, batch: dict, default_kind: str, default_region_id) -> dict:
    rec = check.rec
    # the kind: the row's, else the one chosen on upload or revealed by the headings
    kind = ""
    text = rec.get(ci.KIND)
    if text:
        try:
            kind = d.cc.parse_kind(text)
        except imp.BadValue as exc:
            check.add(ci.KIND, "kind_unknown", value=text, allowed=exc.allowed)
    elif default_kind:
        kind = default_kind
    else:
        check.add(ci.KIND, "kind_missing")
    # mobile number(s)
    phone = ""
    phones = imp.split_phones(rec.get(ci.PHONE))
    if phones:
        try:
            phone = rules.normalize_mobile(phones[0])
        except rules.InvalidPhone:
            check.add(ci.PHONE, "phone_invalid", value=phones[0])
        for extra in phones[1:]:
            check.add(ci.PHONE, "phone_extra", imp.Issue.WARNING, value=extra)
    # the common fields, by the service's rules (the region is checked below, once per region)
    fields = {"name": imp.clean_name(rec.get(ci.NAME)), "phone": phone, **{f: rec.get(f) for f in _COMMON_TEXT}}
    if kind:
        fields["kind"] = kind
    data: dict = {}
    try:
        data = intel.contact_validate(actor=d.actor, fields=fields)
    except ValidationError as exc:
        for f, messages in exc.message_dict.items():
            check.add(f if f in ci.COMMON else ci.NAME, "rule", message=" ".join(messages))
    data.pop("details", None)
    # region: the row's, else the one chosen on upload; the user must be allowed to write it
    region_text = rec.get(ci.REGION)
    region_id = None
    if region_text:
        region_id = d.region_names.find(region_text)
        if region_id is None:
            check.add(ci.REGION, "region_unknown", value=region_text)
    elif default_region_id in d.region_names.regions:
        region_id = default_region_id
    else:
        check.add(ci.REGION, "region_missing")
    if region_id is not None:
        if region_id in d.writable:
            data["region_id"] = region_id
        else:
            check.add(ci.REGION, "region_not_covered", value=d.region_names.regions[region_id].name)
    if kind:
        data["kind"] = kind
        data["details"] = _check_details(check, d, batch, kind)
    return data


def _check_details(check: base.RowCheck, d: _Directory, batch: dict, kind: str) -> dict:
    """The kind's detail fields, from the details column and from their own columns (which win)."""
    rec = check.rec
    specs = {s.name: s for s in schema.fields_of(kind)}
    given: dict[str, tuple[object, int | None, str]] = {}  # name → (value, column, text shown)
    text = rec.get(ci.DETAILS)
    if text:
        column = rec.columns.get(ci.DETAILS)
        found, unknown = ci.split_details(text, d.cc.details_labels(kind), kind)
        for part in unknown:
            check.add(ci.DETAILS, "details_unknown", imp.Issue.WARNING, value=part, kind=kind)
        for name, parts in found:
            given[name] = (ci.joined_value(specs[name], parts), column, "；".join(parts))
    for target, column in rec.columns.items():
        if not ci.is_detail(target) or not rec.values.get(target):
            continue
        cell = rec.values[target]
        heading = batch["headings"][column]
        spec = d.cc.detail_field(kind, target, heading)
        if spec is None:
            check.add(target, "detail_not_for_kind", imp.Issue.WARNING, value=cell, field=heading, kind=kind)
            continue
        value = ci.list_items(cell) if spec.type == schema.FieldType.LIST else cell
        given[spec.name] = (value, column, cell)
    details = {}
    for spec in schema.fields_of(kind):  # in the kind's order
        if spec.name not in given:
            continue
        value, column, shown = given[spec.name]
        if spec.type == schema.FieldType.INT and isinstance(value, str) and (m := _UNIT.match(value.strip())):
            value = m[1]  # "35岁", "8年", "3台"
        try:
            cleaned = schema.clean_value(spec, value)
        except schema.InvalidValue as exc:
            check.add(
                ci.detail_target(spec.name),
                "detail_invalid",
                column=column,
                value=shown,
                msgid=exc.message,
                args=exc.params,
            )
            continue
        if cleaned not in ("", []):
            details[spec.name] = cleaned
    return details


def _check_duplicates(actor: User, candidates: list[_Candidate]) -> None:
    """A mobile number an industry contact of the company has, or repeated in the file: flagged."""
    contacts = IndustryContact.objects.filter(company_id=actor.company_id)
    phones = sorted({c.data["phone"] for c in candidates if c.data.get("phone")})
    existing: dict[str, int] = {}
    for chunk in base.chunks(phones):
        for phone, pk in contacts.filter(phone__in=chunk).order_by("pk").values_list("phone", "pk"):
            existing.setdefault(phone, pk)
    shown: dict[int, str] = {}
    for chunk in base.chunks(sorted(set(existing.values()))):
        shown.update(visible(actor, IndustryContact).filter(pk__in=chunk).values_list("pk", "name"))
    first_phone: dict[str, int] = {}
    for c in candidates:
        check, phone = c.check, c.data.get("phone")
        if not phone:
            continue
        if phone in existing:
            if existing[phone] in shown:
                check.add(ci.PHONE, "contact_dup_db", imp.Issue.WARNING, name=shown[existing[phone]])
            else:
                check.add(ci.PHONE, "contact_dup_db_hidden", imp.Issue.WARNING)
        if check.failed:
            continue
        if phone in first_phone:
            check.add(ci.PHONE, "phone_dup_file", imp.Issue.WARNING, other=first_phone[phone])
        else:
            first_phone[phone] = check.rec.row


# --- the services --------------------------------------------------------------------------------------


def _store_analysis(batch: dict, actor: User) -> base.Analysis:
    result = analyse(actor=actor, batch=batch)
    base.store_analysis(batch, result)
    batch["planned"] = [[p.row, p.flagged, p.contact] for p in result.planned]
    return result


def _recheck(actor: User, batch: dict) -> list[Planned] | None:
    """The rows shown as ready, against the database as it is now; None when one no longer passes:
    a region the user may no longer write, or a mobile number taken meanwhile by a contact (the
    row would now be flagged)."""
    writable = set(writable_regions(actor).values_list("pk", flat=True))
    rows = [Planned(row, contact, flagged) for row, flagged, contact in batch["planned"]]
    if any(p.contact["region_id"] not in writable for p in rows):
        return None
    phones = sorted({p.contact["phone"] for p in rows if p.contact.get("phone") and not p.flagged})
    contacts = IndustryContact.objects.filter(company_id=actor.company_id)
    for chunk in base.chunks(phones):
        if contacts.filter(phone__in=chunk).exists():
            return None
    return rows


def import_upload(
    *, actor: User, filename: str, data: bytes, kind: str = "", default_region_id: int | None = None
) -> dict:
    """Read the file, recognise its columns, check every row; store the batch for the preview.

    ``kind``: one kind for the whole sheet (it fills a kind column's blank cells); "" to take the
    kind from the kind column, or from the detail columns."""
    _check_importer(actor)
    kind = _check_kind(kind)
    base.check_region_choice(actor, default_region_id)
    batch = base.new_batch(
        actor=actor,
        target=TARGET,
        filename=filename,
        data=data,
        columns=columns_for(kind).columns,
        keep_lines=True,
        contact_kind=kind,
        default_region_id=default_region_id,
    )
    _store_analysis(batch, actor)
    base.save_batch(batch)
    return batch


def import_remap(
    *, actor: User, batch_id, mapping: dict[int, str], kind: str | None = None, default_region_id: int | None
) -> dict:
    """Apply the user's choice of columns (0-based column → field or ""), kind and region; check again.
    ``kind=None`` keeps the kind chosen before."""
    _check_importer(actor)
    batch = load_batch(actor=actor, batch_id=batch_id)
    if kind is not None:
        batch["contact_kind"] = _check_kind(kind)
    base.check_region_choice(actor, default_region_id)
    try:
        batch["mapping"] = columns_for(batch["contact_kind"]).columns.override(batch["mapping"], mapping)
    except ValueError:
        raise ValidationError({"mapping": _("Unknown field.")}) from None
    batch["default_region_id"] = default_region_id
    _store_analysis(batch, actor)
    base.save_batch(batch)
    return batch


@dataclass(frozen=True)
class ImportResult:
    created: int
    left_out: int  # rows with errors, and flagged rows when the user chose to leave them out


def import_confirm(*, actor: User, batch_id, skip_flagged: bool = False) -> ImportResult:
    """Write every valid row in one transaction (all or nothing), audited as an import."""
    _check_importer(actor)
    batch = load_batch(actor=actor, batch_id=batch_id)
    with base.claimed(batch):
        if batch["mapping_problems"]:
            raise ValidationError({"mapping": _("Choose the columns first.")})
        planned = _recheck(actor, batch)
        if planned is None:
            _store_analysis(batch, actor)  # the new preview shows what changed
            raise PreviewChanged(_("The data changed since the preview: check the new preview and confirm again."))
        rows = [p for p in planned if not (skip_flagged and p.flagged)]
        with audit.acting(actor, Channel.IMPORT), transaction.atomic():
            created = _write(actor, rows)
    return ImportResult(created=created, left_out=batch["summary"]["rows"] - len(rows))


def _write(actor: User, rows: list[Planned]) -> int:
    contacts = [IndustryContact(company_id=actor.company_id, owner_id=actor.pk, **p.contact) for p in rows]
    bulk_insert(IndustryContact, contacts)
    audit.log_bulk(IndustryContact, contacts, AuditEntry.Action.CREATE)
    return len(contacts)


# --- the report and the template -----------------------------------------------------------------------


def issue_rows(batch: dict, level: str = "") -> list[dict]:
    """The report as people read it: row, column letter and heading, level, reason."""
    return base.issue_rows(batch, level, message)


def mapping_messages(batch: dict) -> list[dict]:
    return base.mapping_messages(batch, field_labels(batch.get("contact_kind") or batch.get("inferred_kind") or ""))


def report_xlsx(*, actor: User, batch: dict) -> bytes:
    """The report with each row's own cells beside it, to fix the sheet and upload it again."""
    return base.report_xlsx(batch=batch, rows=issue_rows(batch))


def accepted(spec: schema.DetailField) -> str:
    """What a detail field accepts, for the template's notes and the upload page."""
    if spec.type == schema.FieldType.INT:
        return _("A whole number from %(min)s to %(max)s.") % {"min": spec.min, "max": spec.max}
    if spec.type == schema.FieldType.MONEY:
        return _("An amount in yuan, e.g. 12000, ¥12,000 or 1.2万.")
    if spec.type == schema.FieldType.LIST:
        return _("Several, separated by 、 or ；.")
    return _("Up to %(max)s characters.") % {"max": spec.max_length}


def accepted_values() -> dict[str, str]:
    """What each common field accepts."""
    return {
        ci.KIND: "、".join(ci.KIND_NAMES[k][0] for k in schema.Kind) + " — " + _("blank: the kind chosen on upload."),
        ci.NAME: _("Required. Up to 100 characters."),
        ci.PHONE: _("A mainland mobile number; spaces, dashes, +86 and full-width digits are fine."),
        ci.REGION: _("A region of your company; blank: the default region chosen on upload."),
        ci.REPUTATION: _("What people in the trade say. Up to 200 characters."),
        ci.DETAILS: _("The export's details, “label：value” separated by ；."),
    }


TEMPLATE_EXAMPLE = {
    ci.NAME: "临沂老王",
    ci.PHONE: "13812345678",
    ci.PROVINCE: "山东省",
    ci.CITY: "临沂市",
    ci.DISTRICT: "兰山区",
    ci.ADDRESS: "工业大道 18 号",
    ci.REPUTATION: "手艺好，为人实在",
}
DETAIL_EXAMPLES = {"text": "…", "int": "8", "money": "12000", "list": "三一、卡特"}


def template_fields(kind: str) -> list[str]:
    """The template's columns: the kind, the common fields, the kind's details (all kinds: the
    details column), the note."""
    details = [ci.detail_target(s.name) for s in schema.fields_of(kind)] or [ci.DETAILS]
    common = [ci.KIND, ci.NAME, ci.PHONE, ci.REGION, ci.PROVINCE, ci.CITY, ci.DISTRICT, ci.ADDRESS, ci.REPUTATION]
    return [*common, *details, ci.NOTE]


def template_heading(kind: str, target: str) -> str:
    if ci.is_detail(target):
        return ci.template_heading(kind, ci.detail_name(target))
    return ci.TEMPLATE_HEADINGS[target]


def template_xlsx(*, actor: User, kind: str = "") -> bytes:
    """An empty list of one kind (or of any kind, with the details column) with the expected headings,
    and a sheet of notes with what each column accepts."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    kind = _check_kind(kind)
    fields = template_fields(kind)
    headings = [template_heading(kind, f) for f in fields]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Industry contacts (0类客户)")[:31]
    ws.append(headings)
    for i, heading in enumerate(headings):
        ws.cell(row=1, column=i + 1).font = Font(bold=True)
        dim = ws.column_dimensions[imp.column_letter(i)]
        dim.width = max(10, len(heading) * 2 + 4)
        if fields[i] == ci.PHONE:
            dim.number_format = "@"  # text: Excel would show a long number in scientific notation
    ws.freeze_panes = "A2"
    notes = wb.create_sheet(_("Notes"))
    notes.append([_("Heading"), _("Field"), _("Accepted values"), _("Example")])
    labels = field_labels(kind)
    values = accepted_values()
    specs = {s.name: s for s in schema.fields_of(kind)}
    region = writable_regions(actor).first()
    example = dict(TEMPLATE_EXAMPLE, **{ci.KIND: ci.KIND_NAMES[schema.Kind(kind)][0] if kind else "挖机手"})
    example[ci.REGION] = region.name if region else ""
    for f, heading in zip(fields, headings, strict=True):
        if ci.is_detail(f):
            spec = specs[ci.detail_name(f)]
            text = accepted(spec) + (f" {_(spec.help)}" if spec.help else "")
            notes.append([heading, labels[f], text, DETAIL_EXAMPLES[spec.type.value]])
        else:
            notes.append([heading, labels[f], str(values.get(f, "")), example.get(f, "")])
    return base.workbook_bytes(wb)
