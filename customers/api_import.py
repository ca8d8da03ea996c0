"""API of the imports: upload → preview id and report; columns; confirm (same services as the pages).

Customers and their contact people (``imports``):

POST /api/customers/import                 multipart: file, region (optional default region id)
GET  /api/customers/import/{id}            the preview again
GET  /api/customers/import/{id}/issues     the report, paginated (?level=error|warning|skipped)
POST /api/customers/import/{id}/columns    {"columns": {"B": "phone", "E": ""}, "region": 3}
POST /api/customers/import/{id}/confirm    ?skip_flagged=false → {"created", "contacts", "left_out"}

Grade-0 industry contacts (``imports_contacts``), the same with the kind of contact:

POST /api/contacts/import                  multipart: file, kind (optional: one kind for the sheet), region
GET  /api/contacts/import/{id}             the preview again (with "kind" and "inferred_kind")
GET  /api/contacts/import/{id}/issues      the report, paginated (?level=error|warning|skipped)
POST /api/contacts/import/{id}/columns     {"columns": {"C": "details.age"}, "kind": "operator", "region": 3}
POST /api/contacts/import/{id}/confirm     ?skip_flagged=false → {"created", "left_out"}

Errors have the API's shape: 422 ``invalid`` naming the fields (``file``, ``region``, ``kind``, a
column letter), 403 ``forbidden`` for a role that may not import, 404 ``not_found`` for a batch that
is not the user's own (or has expired).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from core.api import FilterError, check_query, paginate

from . import imports, imports_contacts
from .domain import importing as imp

router = Router(tags=["customers"])

PREVIEW_ISSUES = 100  # the first issues come with the preview; the rest from /issues


def _load(request, batch_id: str, service=imports) -> dict:
    """The user's waiting batch of ``service`` (imports or imports_contacts); 404 when gone."""
    if not service.may_import(request.user):
        raise PermissionError
    try:
        return service.load_batch(actor=request.user, batch_id=batch_id)
    except service.BatchNotFound:
        raise Http404 from None


def preview_out(batch: dict, service=imports) -> dict:
    issues = service.issue_rows(batch)
    return {
        "id": batch["id"],
        "filename": batch["filename"],
        "sheet": batch["sheet"],
        "header_row": batch["header_row"],
        "columns": [
            {"column": imp.column_letter(i), "heading": h, "field": batch["mapping"][i]}
            for i, h in enumerate(batch["headings"])
        ],
        "default_region": batch["default_region_id"],
        "mapping_problems": service.mapping_messages(batch),
        "summary": batch["summary"],
        "issues": {"count": len(issues), "items": issues[:PREVIEW_ISSUES]},
    }


@router.post("/customers/import", response={201: dict})
def import_upload(request, file: File[UploadedFile], region: Form[int | None] = None):
    """Read an .xlsx or .csv (UTF-8 or GBK) and check it; nothing is written. Returns the preview."""
    if not imports.may_import(request.user):
        raise PermissionError
    batch = imports.import_upload(
        actor=request.user, filename=file.name or "", data=file.read(), default_region_id=region
    )
    return Status(201, preview_out(batch))


@router.get("/customers/import/{batch_id}")
def import_get(request, batch_id: str):
    return preview_out(_load(request, batch_id))


@router.get("/customers/import/{batch_id}/issues")
def import_issues(request, batch_id: str, level: str = ""):
    return _issue_page(request, level, lambda: imports.issue_rows(_load(request, batch_id), level))


def _issue_page(request, level: str, rows):
    """One page of an import's row-by-row report, ``level`` checked first."""
    check_query(request, {"level"})
    if level and level not in ("error", "warning", "skipped"):
        raise FilterError({"level": [_("Use error, warning or skipped.")]})
    return paginate(request, _Rows(rows()), lambda r: r)


class _Rows(list):
    """A list that paginate() can count like a queryset."""

    def count(self, *args) -> int:
        return len(self)


class ColumnsIn(Schema):
    columns: dict[str, str] = {}
    region: int | None = None  # the default region; left out: unchanged


@router.post("/customers/import/{batch_id}/columns")
def import_columns(request, batch_id: str, payload: ColumnsIn):
    """Say what a column holds ({"B": "phone"}; "" to leave a column out) and check again."""
    batch = _load(request, batch_id)
    mapping = {}
    errors = {}
    for letters, target in payload.columns.items():
        try:
            index = imp.column_index(letters)
        except ValueError:
            index = -1
        if not 0 <= index < len(batch["headings"]):
            errors[letters] = [_("No such column.")]
        elif target and target not in imp.FIELDS:
            errors[letters] = [_("Unknown field.")]
        else:
            mapping[index] = target
    if errors:
        raise ValidationError(errors)
    region = payload.region if "region" in payload.model_fields_set else batch["default_region_id"]
    batch = imports.import_remap(actor=request.user, batch_id=batch_id, mapping=mapping, default_region_id=region)
    return preview_out(batch)


@router.post("/customers/import/{batch_id}/confirm")
def import_confirm(request, batch_id: str, skip_flagged: bool = False):
    """Write every valid row in one transaction (``?skip_flagged=true`` leaves out the possible
    duplicates). 422 when the data changed since the preview: the preview then shows the change."""
    check_query(request, {"skip_flagged"})
    if not imports.may_import(request.user):
        raise PermissionError
    try:
        result = imports.import_confirm(actor=request.user, batch_id=batch_id, skip_flagged=skip_flagged)
    except imports.BatchNotFound:
        raise Http404 from None
    return {"created": result.created, "contacts": result.contacts, "left_out": result.left_out}


# --- grade-0 industry contacts (0类客户) ---------------------------------------------------------------


def contacts_preview_out(batch: dict) -> dict:
    """The customer import's preview, with the sheet's kind (chosen, or read from the columns)."""
    return preview_out(batch, imports_contacts) | {
        "kind": batch["contact_kind"] or None,
        "inferred_kind": batch.get("inferred_kind") or None,
    }


@router.post("/contacts/import", response={201: dict})
def contacts_import_upload(request, file: File[UploadedFile], kind: Form[str] = "", region: Form[int | None] = None):
    """Read an .xlsx or .csv (UTF-8 or GBK) of industry contacts and check it; nothing is written.

    ``kind``: one kind for the whole sheet (``GET /api/contact-kinds``); left out, each row's kind
    column (类别) says it, or the detail columns reveal it. Returns the preview."""
    if not imports_contacts.may_import(request.user):
        raise PermissionError
    batch = imports_contacts.import_upload(
        actor=request.user, filename=file.name or "", data=file.read(), kind=kind, default_region_id=region
    )
    return Status(201, contacts_preview_out(batch))


@router.get("/contacts/import/{batch_id}")
def contacts_import_get(request, batch_id: str):
    return contacts_preview_out(_load(request, batch_id, imports_contacts))


@router.get("/contacts/import/{batch_id}/issues")
def contacts_import_issues(request, batch_id: str, level: str = ""):
    return _issue_page(
        request, level, lambda: imports_contacts.issue_rows(_load(request, batch_id, imports_contacts), level)
    )


class ContactColumnsIn(Schema):
    columns: dict[str, str] = {}
    kind: str | None = None  # one kind for the sheet ("" for the kind column); left out: unchanged
    region: int | None = None  # the default region; left out: unchanged


@router.post("/contacts/import/{batch_id}/columns")
def contacts_import_columns(request, batch_id: str, payload: ContactColumnsIn):
    """Say what a column holds ({"C": "details.age"}; "" to leave a column out), the kind and the
    default region, and check again."""
    batch = _load(request, batch_id, imports_contacts)
    fields = imports_contacts.columns_for(batch["contact_kind"]).fields
    mapping = {}
    errors = {}
    for letters, target in payload.columns.items():
        try:
            index = imp.column_index(letters)
        except ValueError:
            index = -1
        if not 0 <= index < len(batch["headings"]):
            errors[letters] = [_("No such column.")]
        elif target and target not in fields:
            errors[letters] = [_("Unknown field.")]
        else:
            mapping[index] = target
    if errors:
        raise ValidationError(errors)
    region = payload.region if "region" in payload.model_fields_set else batch["default_region_id"]
    kind = (payload.kind or "") if "kind" in payload.model_fields_set else None
    batch = imports_contacts.import_remap(
        actor=request.user, batch_id=batch_id, mapping=mapping, kind=kind, default_region_id=region
    )
    return contacts_preview_out(batch)


@router.post("/contacts/import/{batch_id}/confirm")
def contacts_import_confirm(request, batch_id: str, skip_flagged: bool = False):
    """Write every valid row in one transaction (``?skip_flagged=true`` leaves out the possible
    duplicates). 422 when the data changed since the preview: the preview then shows the change."""
    check_query(request, {"skip_flagged"})
    if not imports_contacts.may_import(request.user):
        raise PermissionError
    try:
        result = imports_contacts.import_confirm(actor=request.user, batch_id=batch_id, skip_flagged=skip_flagged)
    except imports_contacts.BatchNotFound:
        raise Http404 from None
    return {"created": result.created, "left_out": result.left_out}
