"""Excel / CSV import of customers and their contact people (导入客户).

    batch = import_upload(actor=…, filename=…, data=…, default_region_id=…)   # read, check, store
    batch = import_remap(actor=…, batch_id=…, mapping=…, default_region_id=…) # the user's columns
    result = import_confirm(actor=…, batch_id=…)                              # write, one transaction

Nothing is written to the database before ``import_confirm``. Between the upload and the
confirmation the parsed sheet waits in a **server-side file** ``VAR_DIR/imports/<uuid>.batch``
tied to the user and the company:

- not the session: a dealer's list of 50,000 customers is several megabytes, far beyond what a
  session row (or a signed cookie) should carry;
- not a model: an import batch is a scratch pad with no business meaning, and a table would need a
  migration and a cleanup job of its own;
- the file holds ID-card numbers, so it is encrypted with the field keys (core.sensitive), and it
  expires after ``BATCH_TTL``; a confirmed or cancelled batch is deleted at once.

The checks reuse the customer rules: ``services.customer_validate`` for name, ID-card number,
intent grade, kind and the area fields (and, once per region, the region the user may write),
``services._check_choices`` for the classification (once per distinct combination),
``rules.normalize_mobile`` for mobile numbers, ``domain.importing.near_identical`` for names;
duplicates against the database are found with one query per 900 values, never one per row.
The report stores codes and parameters, turned into sentences in the reader's language when shown
(``message``); the sentences of the customer rules come translated into the uploader's language.

Confirming checks again what the database decides — the regions the user may write, the
salespeople, mobile numbers taken meanwhile — and writes the rows shown, or nothing: when one of
them no longer passes, the preview is refreshed and the user confirms again (``PreviewChanged``).
The possible duplicates stay flagged as the preview showed them.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit, sensitive
from core.models import AuditEntry, Channel, Region, Role, User
from core.visibility import Action, may, visible

from . import rules, services
from .domain import importing as imp
from .models import Customer, CustomerContact, StatusChange

IMPORT_ROLES = (Role.MANAGER, Role.ADMIN)
MAX_BYTES = 30 * 1024 * 1024
MAX_ROWS = 100_000
BATCH_TTL = dt.timedelta(hours=24)
QUERY_CHUNK = 900  # values per IN (…): below SQLite's old 999-variable limit

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FIELD_LABELS = {
    imp.NAME: gettext_lazy("Name"),
    imp.KIND: gettext_lazy("Kind"),
    imp.PHONE: gettext_lazy("Mobile"),
    imp.ID_NUMBER: gettext_lazy("ID-card number (身份证号)"),
    imp.REGION: gettext_lazy("Region"),
    imp.PROVINCE: gettext_lazy("Province"),
    imp.CITY: gettext_lazy("City"),
    imp.DISTRICT: gettext_lazy("District"),
    imp.ADDRESS: gettext_lazy("Address"),
    imp.GRADE: gettext_lazy("Intent grade"),
    imp.WORK_TYPE: gettext_lazy("work type (工程类别)"),
    imp.ENGINEERING_KIND: gettext_lazy("engineering kind (工程细分)"),
    imp.USE: gettext_lazy("use (用途)"),
    imp.SCALE: gettext_lazy("scale (规模实力)"),
    imp.MACHINE_COUNT: gettext_lazy("machines owned"),
    imp.OWNER: gettext_lazy("owning salesperson (负责业务员)"),
    imp.CONTACT_NAME: gettext_lazy("Contact person"),
    imp.CONTACT_PHONE: gettext_lazy("Contact person's mobile"),
    imp.CONTACT_TITLE: gettext_lazy("Contact person's role"),
}

# The report's sentences, by issue code. Parameters come from the analysis.
MESSAGES = {
    imp.Skip.BLANK: gettext_lazy("Blank row: skipped."),
    imp.Skip.MERGED: gettext_lazy("Merged row (a heading across the columns): skipped."),
    imp.Skip.HEADING: gettext_lazy("The headings repeated: skipped."),
    "rule": "%(message)s",
    "phone_invalid": gettext_lazy("“%(value)s” is not a valid mainland mobile number."),
    "phone_extra": gettext_lazy("Only the first number is imported; “%(value)s” is left out."),
    "phone_dup_file": gettext_lazy("The same mobile number as row %(other)s."),
    "phone_dup_db": gettext_lazy("Customer “%(name)s” already has this mobile number."),
    "phone_dup_db_hidden": gettext_lazy("Another customer of your company already has this mobile number."),
    "id_dup_file": gettext_lazy("The same ID-card number as row %(other)s."),
    "id_dup_db": gettext_lazy("A customer with this ID-card number already exists."),
    "similar_file": gettext_lazy(
        "Possible duplicate: near-identical name in the same area as row %(other)s (%(name)s)."
    ),
    "similar_db": gettext_lazy(
        "Possible duplicate: customer(s) with a near-identical name in the same area: %(names)s."
    ),
    "similar_db_hidden": gettext_lazy(
        "Possible duplicate: a customer with a near-identical name in the same area exists in a region you do not see."
    ),
    "region_missing": gettext_lazy("No region: fill in the region column or choose a default region."),
    "region_unknown": gettext_lazy("“%(value)s” is not a region of your company."),
    "region_not_covered": gettext_lazy("You do not cover the region “%(value)s”."),
    "owner_unknown": gettext_lazy("No salesperson of your company is named “%(value)s”."),
    "owner_ambiguous": gettext_lazy("Several salespeople are named “%(value)s”: write the username instead."),
    "owner_other_region": gettext_lazy("The salesperson %(value)s does not cover the region %(region)s."),
    "bad_choice": gettext_lazy("“%(value)s” is not one of: %(allowed)s."),
    "count_invalid": gettext_lazy("“%(value)s” is not a whole number."),
    "too_long": gettext_lazy("Longer than %(max)s characters."),
    "contact_without_name": gettext_lazy("A contact person's mobile or role is given without the name."),
}


def message(issue: imp.Issue) -> str:
    text = str(MESSAGES.get(issue.code, issue.code))
    return text % issue.params if issue.params else text.replace("%%", "%")


# --- who may import ------------------------------------------------------------------------------------


def may_import(user) -> bool:
    """Managers (into the regions they cover) and administrators; never finance or service."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_role(*IMPORT_ROLES) and may(user, Customer, Action.CHANGE)
    )


def writable_regions(user):
    """The regions an import by ``user`` may write into."""
    regions = visible(user, Region)
    return regions if user.has_role(Role.ADMIN) else regions.filter(pk__in=user.region_ids)


def _check_importer(user) -> None:
    if not may_import(user):
        raise PermissionError


# --- reading the file ----------------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls), or a password-protected workbook
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)\"")


def _file_error(msg: str) -> ValidationError:
    return ValidationError({"file": msg})


@dataclass
class Sheet:
    kind: str  # "xlsx" or "csv"
    name: str  # the worksheet, or the encoding of a CSV
    rows: list[list]
    merges: list[str] = field(default_factory=list)


def _merges(archive: zipfile.ZipFile, path: str) -> list[str]:
    """The merged ranges of a worksheet ("A1:D1"), read from its XML (read-only mode omits them)."""
    out, tail = [], b""
    with archive.open(path) as src:
        while chunk := src.read(1 << 20):
            buf = tail + chunk
            last = 0
            for m in _MERGE.finditer(buf):
                out.append(m[1].decode())
                last = m.end()
            tail = buf[max(last, len(buf) - 200) :]
    return out


def _read_rows(ws, limit: int | None) -> list[list]:
    rows = []
    for values in ws.iter_rows(values_only=True):
        rows.append(list(values))
        if limit is not None and len(rows) >= limit:
            break
    return rows


def read_xlsx(data: bytes) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, InvalidFileException, OSError, ValueError, TypeError) as exc:
        raise _file_error(
            _("The file cannot be read as an Excel workbook (.xlsx): open it in Excel or WPS and save it again.")
        ) from exc
    try:
        sheets = [ws for ws in wb.worksheets if hasattr(ws, "iter_rows")][:20]
        if not sheets:
            raise _file_error(_("The workbook has no worksheet."))
        for ws in sheets:
            ws.reset_dimensions()  # some writers record wrong dimensions; read what is there
        # The sheet whose first rows name the most fields (a workbook often has a notes sheet first).
        scores = []
        for ws in sheets:
            head = [[imp.cell_text(v) for v in r] for r in _read_rows(ws, 15)]
            scores.append(max((imp.header_score(r) for r in head), default=0))
        ws = sheets[scores.index(max(scores))]
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 20:
                raise _file_error(_("The file has more than %(max)s rows: split it.") % {"max": f"{MAX_ROWS:,}"})
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            merges = _merges(archive, ws._worksheet_path)
        return Sheet("xlsx", ws.title, rows, merges)
    finally:
        wb.close()


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV and its encoding: UTF-8 (with or without BOM), UTF-16, or GBK/GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise _file_error(
            _("The CSV file is neither UTF-8 nor GBK text: save it again as “CSV UTF-8” or as .xlsx.")
        ) from None


def read_csv(data: bytes) -> Sheet:
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError:
        raise _file_error(
            _("The CSV file is neither UTF-8 nor GBK text: save it again as “CSV UTF-8” or as .xlsx.")
        ) from None
    if "\x00" in text:
        raise _file_error(_("Upload an Excel workbook (.xlsx) or a CSV file."))
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        rows.append(row)
        if len(rows) > MAX_ROWS + 20:
            raise _file_error(_("The file has more than %(max)s rows: split it.") % {"max": f"{MAX_ROWS:,}"})
    return Sheet("csv", encoding, rows)


def read_file(filename: str, data: bytes) -> Sheet:
    """The rows of an uploaded .xlsx or .csv; a clear ValidationError on the "file" field otherwise."""
    name = (filename or "").lower()
    if not data:
        raise _file_error(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _file_error(_("The file is larger than %(mb)s MB: split it.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if data.startswith(_OLE) or name.endswith(".xls"):
        raise _file_error(
            _(
                "This is an Excel 97–2003 (.xls) file or a password-protected workbook: open it in Excel or WPS, "
                "remove the password and save it as .xlsx."
            )
        )
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if name.endswith((".csv", ".txt")) or "." not in name:
        return read_csv(data)
    raise _file_error(_("Upload an Excel workbook (.xlsx) or a CSV file."))


# --- the stored batch ----------------------------------------------------------------------------------


def _batch_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _batch_path(batch_id: str, suffix: str = ".batch") -> Path:
    return _batch_dir() / f"{uuid.UUID(str(batch_id)).hex}{suffix}"


class BatchNotFound(LookupError):
    pass


def _purge_expired() -> None:
    limit = time.time() - BATCH_TTL.total_seconds()
    for path in _batch_dir().iterdir():  # batches, claimed ones, and half-written ones of a crash
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - removed meanwhile
            pass


def _save(batch: dict, path: Path | None = None) -> None:
    raw = zlib.compress(json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode(), 3)
    token = sensitive.encrypt(base64.b64encode(raw).decode("ascii"))
    path = path or _batch_path(batch["id"])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(token, encoding="ascii")
    tmp.replace(path)


def _load_path(path: Path) -> dict:
    try:
        token = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise BatchNotFound from None
    return json.loads(zlib.decompress(base64.b64decode(sensitive.decrypt(token))))


def load_batch(*, actor, batch_id) -> dict:
    """The user's own batch; BatchNotFound for another user's, an expired or unknown one."""
    try:
        path = _batch_path(batch_id)
    except ValueError:
        raise BatchNotFound from None
    batch = _load_path(path)
    if batch["user_id"] != actor.pk or batch["company_id"] != actor.company_id:
        raise BatchNotFound
    created = dt.datetime.fromisoformat(batch["created_at"])
    if timezone.now() - created > BATCH_TTL:
        path.unlink(missing_ok=True)
        raise BatchNotFound
    return batch


def import_cancel(*, actor, batch_id) -> None:
    load_batch(actor=actor, batch_id=batch_id)
    _batch_path(batch_id).unlink(missing_ok=True)


def table_of(batch: dict) -> imp.Table:
    return imp.Table(
        header_row=batch["header_row"],
        headings=batch["headings"],
        rows=[(n, cells) for n, cells in batch["rows"]],
        merged_rows=frozenset(batch["merged_rows"]),
    )


# --- the analysis --------------------------------------------------------------------------------------


@dataclass
class Planned:
    """A row that passed every check, as it will be written."""

    row: int
    customer: dict
    owner_id: int | None
    contact: dict | None
    flagged: bool = False  # a possible duplicate (warning)


@dataclass
class Analysis:
    mapping_problems: list[imp.MappingProblem]
    issues: list[imp.Issue]
    planned: list[Planned]
    records: int  # data rows read (skipped rows not counted)

    def summary(self) -> dict:
        rows_with = {lvl: {i.row for i in self.issues if i.level == lvl} for lvl in ("error", "warning", "skipped")}
        return {
            "rows": self.records,
            "valid": len(self.planned),
            "errors": len(rows_with["error"]),
            "warnings": len(rows_with["warning"] - rows_with["error"]),
            "flagged": sum(1 for p in self.planned if p.flagged),
            "skipped": len(rows_with["skipped"]),
        }


_LENGTHS = {f: Customer._meta.get_field(f).max_length for f in ("name", "province", "city", "district", "address")} | {
    "contact_name": 60,
    "contact_title": 60,
}


class _Directory:
    """Regions and salespeople of the company, loaded once per analysis."""

    def __init__(self, actor: User):
        self.actor = actor
        self.regions = {r.pk: r for r in Region.objects.filter(company_id=actor.company_id)}
        self.region_by_name: dict[str, int] = {}
        for r in self.regions.values():
            for key in {imp.normalize_heading(r.name), imp.normalize_heading(r.name.removesuffix("区域"))}:
                self.region_by_name.setdefault(key, r.pk)
        self._writable: dict[int, bool] = {}
        self._classifications: dict[tuple, dict | list] = {}
        sales = (
            User.objects.filter(company_id=actor.company_id, is_active=True, user_roles__role=Role.SALESPERSON)
            .distinct()
            .prefetch_related("regions")
        )
        self.sales = {u.pk: u for u in sales}
        self.sales_regions = {u.pk: {r.pk for r in u.regions.all()} for u in self.sales.values()}
        self.by_username = {u.username.lower(): u.pk for u in self.sales.values()}
        self.by_display: dict[str, list[int]] = {}
        for u in self.sales.values():
            for label in {rules.clean_text(u.display_name), rules.clean_text(u.get_full_name())} - {""}:
                self.by_display.setdefault(imp.clean_name(label), []).append(u.pk)

    def writable(self, region_id: int) -> bool:
        """The customer rules' verdict on the region (asked once per region, not once per row)."""
        if region_id not in self._writable:
            try:
                services.customer_validate(actor=self.actor, fields={"region_id": region_id})
            except ValidationError:
                self._writable[region_id] = False
            else:
                self._writable[region_id] = True
        return self._writable[region_id]

    def classification(self, fields: dict) -> dict | list[tuple[str, list[str]]]:
        """The customer rules' verdict on a classification: the clean values, or the errors.

        Asked once per distinct combination (a list has few): the rules are a pure function of it."""
        key = tuple(sorted(fields.items()))
        if key not in self._classifications:
            try:
                self._classifications[key] = services._check_choices(dict(fields))
            except ValidationError as exc:
                self._classifications[key] = list(exc.message_dict.items())
        return self._classifications[key]

    def owner(self, text: str) -> tuple[int | None, str]:
        """(user id, problem code)."""
        if text.lower() in self.by_username:
            return self.by_username[text.lower()], ""
        ids = self.by_display.get(imp.clean_name(text), [])
        if len(ids) == 1:
            return ids[0], ""
        return None, "owner_ambiguous" if ids else "owner_unknown"


def _chunks(values: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _area_variants(value: str) -> set[str]:
    value = rules.clean_text(value)
    base = value[:-1] if len(value) > 1 and value[-1] in "区县市旗" else value
    return {value, base, base + "区", base + "县", base + "市"} - {""}


class _RowCheck:
    """Collects the issues of one record."""

    def __init__(self, rec: imp.Record, issues: list[imp.Issue]):
        self.rec, self.issues, self.failed, self.flagged = rec, issues, False, False

    def add(self, field_name: str, code: str, level: str = imp.Issue.ERROR, **params) -> None:
        column = self.rec.columns.get(field_name)
        self.issues.append(imp.Issue(self.rec.row, code, level, column, field_name, params))
        if level == imp.Issue.ERROR:
            self.failed = True
        elif code in FLAGGING:
            self.flagged = True


# Warnings that make a row a possible duplicate (the user may leave those rows out).
FLAGGING = frozenset({"id_dup_db", "id_dup_file", "similar_db", "similar_db_hidden", "similar_file"})


@dataclass
class _Candidate:
    check: _RowCheck
    data: dict
    owner_id: int | None
    contact: dict | None
    id_index: str = ""


def analyse(*, actor: User, table: imp.Table, mapping: list[str], default_region_id: int | None) -> Analysis:
    """Check every row against the customer rules and for duplicates; writes nothing."""
    problems = imp.check_mapping(mapping)
    if problems:
        return Analysis(problems, [], [], 0)
    records, issues = imp.records(table, mapping)
    directory = _Directory(actor)
    candidates = []
    for rec in records:
        check = _RowCheck(rec, issues)
        candidates.append(_Candidate(check, *_check_record(check, directory, default_region_id)))
    _check_duplicates(actor, candidates)
    planned = [
        Planned(c.check.rec.row, c.data, c.owner_id, c.contact, flagged=c.check.flagged)
        for c in candidates
        if not c.check.failed
    ]
    issues.sort(key=lambda i: (i.row, -1 if i.column is None else i.column, i.level != imp.Issue.ERROR))
    return Analysis([], issues, planned, len(records))


def _check_record(check: _RowCheck, d: _Directory, default_region_id: int | None):
    rec = check.rec
    data: dict = {}
    # the customer rules: name, kind, ID-card number, grade, area fields
    name = imp.clean_name(rec.get(imp.NAME))
    try:
        kind = imp.parse_kind(rec.get(imp.KIND), name)
    except imp.BadValue as exc:
        check.add(imp.KIND, "bad_choice", value=rec.get(imp.KIND), allowed=exc.allowed)
        kind = None
    fields = {
        "name": name,
        "id_number": imp.clean_id_number(rec.get(imp.ID_NUMBER)),
        "grade": imp.parse_grade(rec.get(imp.GRADE)),
        **{f: rec.get(f) for f in (imp.PROVINCE, imp.CITY, imp.DISTRICT, imp.ADDRESS)},
    }
    if kind:
        fields["kind"] = kind
    for f in ("province", "city", "district", "address"):
        if len(fields[f]) > _LENGTHS[f]:
            check.add(f, "too_long", max=_LENGTHS[f])
    try:
        data.update(services.customer_validate(actor=d.actor, fields=fields))
    except ValidationError as exc:
        for f, messages in exc.message_dict.items():
            check.add(f if f in imp.FIELDS else imp.NAME, "rule", message=" ".join(messages))
    # mobile number(s)
    phones = imp.split_phones(rec.get(imp.PHONE))
    data["phone"] = ""
    if phones:
        try:
            data["phone"] = rules.normalize_mobile(phones[0])
        except rules.InvalidPhone:
            check.add(imp.PHONE, "phone_invalid", value=phones[0])
        for extra in phones[1:]:
            check.add(imp.PHONE, "phone_extra", imp.Issue.WARNING, value=extra)
    # classification
    classification: dict = {}
    for f, parse in (
        (imp.WORK_TYPE, imp.parse_work_type),
        (imp.ENGINEERING_KIND, imp.parse_engineering_kind),
        (imp.USE, imp.parse_use),
        (imp.SCALE, imp.parse_scale),
    ):
        text = rec.get(f)
        if not text:
            continue
        try:
            value = parse(text)
        except imp.BadValue as exc:
            check.add(f, "bad_choice", value=text, allowed=exc.allowed)
            continue
        if f == imp.WORK_TYPE:
            value, implied_kind = value
            if implied_kind and not rec.get(imp.ENGINEERING_KIND):
                classification["engineering_kind"] = implied_kind
        classification[f] = value
    try:
        count = imp.parse_count(rec.get(imp.MACHINE_COUNT))
    except imp.BadValue:
        check.add(imp.MACHINE_COUNT, "count_invalid", value=rec.get(imp.MACHINE_COUNT))
    else:
        if count is not None:
            classification["machine_count"] = count
    if classification:
        checked = d.classification(classification)
        if isinstance(checked, dict):
            data.update(checked)
        else:
            for f, messages in checked:
                check.add(f, "rule", message=" ".join(messages))
    # region: the row's, else the default; the user must cover it
    region_text = rec.get(imp.REGION)
    region_id = None
    if region_text:
        region_id = d.region_by_name.get(imp.normalize_heading(region_text)) or d.region_by_name.get(
            imp.normalize_heading(region_text.removesuffix("区域"))
        )
        if region_id is None:
            check.add(imp.REGION, "region_unknown", value=region_text)
    elif default_region_id in d.regions:
        region_id = default_region_id
    else:
        check.add(imp.REGION, "region_missing")
    if region_id is not None:
        if d.writable(region_id):
            data["region_id"] = region_id
        else:
            check.add(imp.REGION, "region_not_covered", value=d.regions[region_id].name)
            region_id = None
    # owner: a salesperson by username or display name; blank → the public pool
    owner_id = None
    owner_text = rec.get(imp.OWNER)
    if owner_text:
        owner_id, problem = d.owner(owner_text)
        if problem:
            check.add(imp.OWNER, problem, value=owner_text)
        elif region_id is not None and region_id not in d.sales_regions[owner_id]:
            check.add(
                imp.OWNER,
                "owner_other_region",
                imp.Issue.WARNING,
                value=str(d.sales[owner_id]),
                region=d.regions[region_id].name,
            )
    # contact person
    contact = None
    c_name = imp.clean_name(rec.get(imp.CONTACT_NAME))
    c_phone, c_title = rec.get(imp.CONTACT_PHONE), rec.get(imp.CONTACT_TITLE)
    if c_name or c_phone or c_title:
        contact = {"name": c_name, "phone": "", "title": c_title}
        if not c_name:
            where = imp.CONTACT_NAME if imp.CONTACT_NAME in rec.columns else imp.CONTACT_PHONE
            check.add(where, "contact_without_name")
        for f, value in (("contact_name", c_name), ("contact_title", c_title)):
            if len(value) > _LENGTHS[f]:
                check.add(f, "too_long", max=_LENGTHS[f])
        if c_phone:
            first = imp.split_phones(c_phone)[0]
            try:
                contact["phone"] = rules.normalize_mobile(first)
            except rules.InvalidPhone:
                check.add(imp.CONTACT_PHONE, "phone_invalid", value=first)
    return data, owner_id, contact


def _check_duplicates(actor: User, candidates: list[_Candidate]) -> None:
    """Mobile numbers unique in the company and in the file; ID numbers and near-identical names flagged."""
    company_id = actor.company_id
    customers = Customer.objects.filter(company_id=company_id)
    # the database, in one query per chunk of values (never one per row)
    phones = sorted({c.data["phone"] for c in candidates if c.data.get("phone")})
    existing: dict[str, int] = {}
    for chunk in _chunks(phones):
        existing.update(customers.filter(phone__in=chunk).values_list("phone", "pk"))
    for c in candidates:
        if c.data.get("id_number"):
            c.id_index = sensitive.blind_index(c.data["id_number"])
    existing_ids: set[str] = set()
    for chunk in _chunks(sorted({c.id_index for c in candidates if c.id_index})):
        existing_ids.update(customers.filter(id_number_index__in=chunk).values_list("id_number_index", flat=True))
    unmerged = customers.filter(merged_into__isnull=True)  # a merged duplicate lives on in its customer
    db_names = _names_in_areas(unmerged, [c.data for c in candidates if not c.check.failed])
    similar = {
        c.check.rec.row: found
        for c in candidates
        if not c.check.failed
        and (found := db_names.find(imp.area_key(c.data.get("city", ""), c.data.get("district", "")), c.data["name"]))
    }
    # which of those customers the user may see, to name them in the report
    hits = set(existing.values()).union(*similar.values())
    shown: dict[int, str] = {}
    for chunk in _chunks(sorted(hits)):
        shown.update(visible(actor, Customer).filter(pk__in=chunk).values_list("pk", "name"))

    first_phone: dict[str, int] = {}
    first_id: dict[str, int] = {}
    file_names = imp.NameIndex()
    for c in candidates:
        check, data, row = c.check, c.data, c.check.rec.row
        phone = data.get("phone")
        if phone in existing:
            if existing[phone] in shown:
                check.add(imp.PHONE, "phone_dup_db", name=shown[existing[phone]])
            else:
                check.add(imp.PHONE, "phone_dup_db_hidden")
        if check.failed:
            continue
        if phone:
            if phone in first_phone:
                check.add(imp.PHONE, "phone_dup_file", other=first_phone[phone])
                continue
            first_phone[phone] = row
        if c.id_index:
            if c.id_index in existing_ids:
                check.add(imp.ID_NUMBER, "id_dup_db", imp.Issue.WARNING)
            if c.id_index in first_id:
                check.add(imp.ID_NUMBER, "id_dup_file", imp.Issue.WARNING, other=first_id[c.id_index])
            else:
                first_id[c.id_index] = row
        if row in similar:
            names = [shown[pk] for pk in similar[row] if pk in shown]
            if names:
                check.add(imp.NAME, "similar_db", imp.Issue.WARNING, names="、".join(names[:3]))
            else:
                check.add(imp.NAME, "similar_db_hidden", imp.Issue.WARNING)
        area = imp.area_key(data.get("city", ""), data.get("district", ""))
        if area:
            earlier = file_names.find(area, data["name"])
            if earlier:
                other_row, other_name = earlier[0]
                check.add(imp.NAME, "similar_file", imp.Issue.WARNING, other=other_row, name=other_name)
            file_names.add(area, data["name"], (row, data["name"]))


def _names_in_areas(customers, rows: list[dict]) -> imp.NameIndex:
    """The company's customers in the districts (or, without a district, the cities) of the rows."""
    districts, cities = set(), set()
    for data in rows:
        if data.get("district"):
            districts |= _area_variants(data["district"])
        elif data.get("city"):
            cities |= _area_variants(data["city"])
    index = imp.NameIndex()
    for values, lookup in ((sorted(districts), {}), (sorted(cities), {"district": ""})):
        key = "district__in" if not lookup else "city__in"
        for chunk in _chunks(values):
            for pk, name, city, district in customers.filter(**{key: chunk}, **lookup).values_list(
                "pk", "name", "city", "district"
            ):
                index.add(imp.area_key(city, district), name, pk)
    return index


# --- the services --------------------------------------------------------------------------------------


def _store_analysis(batch: dict, actor: User) -> Analysis:
    result = analyse(
        actor=actor, table=table_of(batch), mapping=batch["mapping"], default_region_id=batch["default_region_id"]
    )
    batch["mapping_problems"] = [
        {"code": p.code, "field": p.field, "columns": list(p.columns)} for p in result.mapping_problems
    ]
    batch["issues"] = [i.as_dict() for i in result.issues]
    batch["summary"] = result.summary()
    batch["valid_rows"] = [p.row for p in result.planned]
    # the rows as they will be written, so that confirming needs only the database checks again
    batch["planned"] = [[p.row, p.owner_id, p.contact, p.flagged, p.customer] for p in result.planned]
    batch["analysed_at"] = timezone.now().isoformat()
    return result


def _recheck(actor: User, batch: dict) -> list[Planned] | None:
    """The rows shown as ready, against the database as it is now; None when one no longer passes.

    What depends only on the file was checked for the preview, and the possible duplicates stay
    flagged as the preview showed them; what the database decides is asked again: the regions the
    user may write, the salespeople, and the mobile numbers (a customer may have been added meanwhile).
    """
    directory = _Directory(actor)
    rows = [
        Planned(row, data, owner_id, contact, flagged) for row, owner_id, contact, flagged, data in batch["planned"]
    ]
    for p in rows:
        region_id = p.customer.get("region_id")
        if region_id not in directory.regions or not directory.writable(region_id):
            return None
        if p.owner_id is not None and p.owner_id not in directory.sales:
            return None
    phones = sorted({p.customer["phone"] for p in rows if p.customer.get("phone")})
    customers = Customer.objects.filter(company_id=actor.company_id)
    for chunk in _chunks(phones):
        if customers.filter(phone__in=chunk).exists():
            return None
    return rows


def import_upload(*, actor: User, filename: str, data: bytes, default_region_id: int | None = None) -> dict:
    """Read the file, recognise its columns, check every row; store the batch for the preview."""
    _check_importer(actor)
    _check_default_region(actor, default_region_id)
    sheet = read_file(filename, data)
    try:
        table = imp.make_table(sheet.rows, sheet.merges)
    except imp.NoHeading:
        raise _file_error(_("The file has no rows.")) from None
    if len(table.rows) > MAX_ROWS:
        raise _file_error(_("The file has more than %(max)s rows: split it.") % {"max": f"{MAX_ROWS:,}"})
    _purge_expired()
    batch = {
        "version": 1,
        "id": str(uuid.uuid4()),
        "user_id": actor.pk,
        "company_id": actor.company_id,
        "created_at": timezone.now().isoformat(),
        "filename": (filename or "")[-120:],
        "kind": sheet.kind,
        "sheet": sheet.name,
        "header_row": table.header_row,
        "headings": table.headings,
        "rows": table.rows,
        "merged_rows": sorted(table.merged_rows),
        "mapping": imp.guess_mapping(table.headings),
        "guessed": imp.guess_mapping(table.headings),
        "default_region_id": default_region_id,
    }
    _store_analysis(batch, actor)
    _save(batch)
    return batch


def _check_default_region(actor: User, region_id: int | None) -> None:
    if region_id is not None and not writable_regions(actor).filter(pk=region_id).exists():
        raise ValidationError({"region": _("Choose one of the regions you cover.")})


def import_remap(*, actor: User, batch_id, mapping: dict[int, str], default_region_id: int | None) -> dict:
    """Apply the user's choice of columns (0-based column → field or "") and check again."""
    _check_importer(actor)
    batch = load_batch(actor=actor, batch_id=batch_id)
    _check_default_region(actor, default_region_id)
    try:
        batch["mapping"] = imp.apply_override(batch["mapping"], mapping)
    except ValueError:
        raise ValidationError({"mapping": _("Unknown field.")}) from None
    batch["default_region_id"] = default_region_id
    _store_analysis(batch, actor)
    _save(batch)
    return batch


class PreviewChanged(ValidationError):
    """The database changed since the preview: the rows that would be imported are not the ones shown."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    contacts: int
    left_out: int  # rows with errors, and flagged rows when the user chose to leave them out


def import_confirm(*, actor: User, batch_id, skip_flagged: bool = False) -> ImportResult:
    """Write every valid row in one transaction (all or nothing), audited as an import."""
    _check_importer(actor)
    batch = load_batch(actor=actor, batch_id=batch_id)
    path = _batch_path(batch_id)
    claimed = path.with_suffix(".confirming")
    try:
        path.replace(claimed)  # a second click (or a second tab) finds no batch
    except FileNotFoundError:
        raise BatchNotFound from None
    try:
        if batch["mapping_problems"]:
            raise ValidationError({"mapping": _("Choose the columns first.")})
        planned = _recheck(actor, batch)  # the database may have changed since the preview
        if planned is None:
            _store_analysis(batch, actor)  # the new preview shows what changed
            raise PreviewChanged(_("The data changed since the preview: check the new preview and confirm again."))
        rows = [p for p in planned if not (skip_flagged and p.flagged)]
        try:
            with audit.acting(actor, Channel.IMPORT), transaction.atomic():
                created, contacts = _write(actor, rows)
        except IntegrityError:  # a customer with one of the numbers was saved in the last instant
            _store_analysis(batch, actor)
            raise PreviewChanged(
                _("Another customer with one of these mobile numbers was added meanwhile: check again.")
            ) from None
    except BaseException:
        _save(batch, claimed)
        claimed.replace(path)
        raise
    claimed.unlink(missing_ok=True)
    return ImportResult(created=created, contacts=contacts, left_out=batch["summary"]["rows"] - len(rows))


def _write(actor: User, rows: list[Planned]) -> tuple[int, int]:
    now = timezone.now()
    customers = []
    initials: dict[str, str] = {}  # names repeat (王伟, 张伟 …), and pinyin is the slow part
    for p in rows:
        c = Customer(company_id=actor.company_id, owner_id=p.owner_id, in_pool=p.owner_id is None, **p.customer)
        # what Customer.save() derives, since a bulk insert does not call it
        if c.name not in initials:
            initials[c.name] = rules.pinyin_initials(c.name)[:40]
        c.initials = initials[c.name]
        c.id_number_index = sensitive.blind_index(c.id_number) if c.id_number else ""
        if c.in_pool:
            c.pool_entered_at = now
        customers.append(c)
    bulk_insert(Customer, customers)
    audit.log_bulk(Customer, customers, AuditEntry.Action.CREATE)
    reason = _("imported")
    history = [
        StatusChange(
            company_id=c.company_id,
            customer=c,
            kind=StatusChange.Kind.GRADE,
            old="",
            new=str(c.grade),
            reason=reason,
            at=now,
            by=actor,
        )
        for c in customers
        if c.grade is not None
    ]
    bulk_insert(StatusChange, history)  # histories are not audited (they are the history)
    contacts = [
        CustomerContact(customer=c, name=p.contact["name"], phone=p.contact["phone"], title=p.contact["title"])
        for c, p in zip(customers, rows, strict=True)
        if p.contact
    ]
    bulk_insert(CustomerContact, contacts)
    audit.log_bulk(CustomerContact, contacts, AuditEntry.Action.CREATE)
    return len(customers), len(contacts)


_PLAIN_FIELDS = (models.CharField, models.IntegerField, models.BooleanField, models.ForeignKey)


def bulk_insert(model: type[models.Model], objects: list[models.Model], max_params: int = 30000) -> None:
    """``bulk_create`` for plain new rows, without the query compiler's work on every value.

    Same effect as ``model.objects.bulk_create(objects)`` — multi-row INSERTs that return the new
    primary keys (SQLite ≥ 3.35 and PostgreSQL), no signals, no save() — but 50,000 customers of
    35 columns are 1.75 million values, and the compiler's per-value checks (expressions, pre_save,
    get_db_prep_save) took most of an import's time. Here plain columns (text, numbers, booleans,
    foreign keys) are passed as they are; the others (dates, encrypted text) go through the field's
    own ``pre_save`` and ``get_db_prep_save`` as bulk_create does.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = [isinstance(f, _PLAIN_FIELDS) and not isinstance(f, sensitive.EncryptedTextField) for f in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608 - our own table and columns, quoted; values are parameters
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(model._meta.pk.column)}"
    size = max(1, max_params // len(fields))
    with connection.cursor() as cursor:
        for i in range(0, len(objects), size):
            chunk = objects[i : i + size]
            params = []
            for obj in chunk:
                for f, is_plain in zip(fields, plain, strict=True):
                    if is_plain:
                        params.append(getattr(obj, f.attname))
                    else:
                        params.append(f.get_db_prep_save(f.pre_save(obj, add=True), connection))
            cursor.execute(head + ", ".join([one] * len(chunk)) + returning, params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias


# --- workbooks to download ----------------------------------------------------------------------------


def _workbook_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


LEVEL_LABELS = {
    imp.Issue.ERROR: gettext_lazy("error"),
    imp.Issue.WARNING: gettext_lazy("warning"),
    imp.Issue.SKIPPED: gettext_lazy("skipped"),
}


def issue_rows(batch: dict, level: str = "") -> list[dict]:
    """The report as people read it: row, column letter and heading, level, reason."""
    headings = batch["headings"]
    out = []
    for d in batch["issues"]:
        if level and d["level"] != level:
            continue
        issue = imp.Issue.from_dict(d)
        out.append(
            {
                "row": issue.row,
                "column": issue.column_letter,
                "heading": headings[issue.column] if issue.column is not None else "",
                "field": issue.field,
                "level": issue.level,
                "level_label": str(LEVEL_LABELS[issue.level]),
                "code": issue.code,
                "message": message(issue),
            }
        )
    return out


def mapping_messages(batch: dict) -> list[dict]:
    """What is wrong with the choice of columns, in the reader's language."""
    out = []
    for p in batch["mapping_problems"]:
        label = FIELD_LABELS[p["field"]]
        if p["code"] == "missing":
            text = _("No column holds “%(field)s”: choose it below.") % {"field": label}
        else:
            letters = "、".join(imp.column_letter(c) for c in p["columns"])
            text = _("Columns %(columns)s are all set to “%(field)s”: keep one.") % {"columns": letters, "field": label}
        out.append({"code": p["code"], "field": p["field"], "message": text})
    return out


def report_xlsx(*, actor: User, batch: dict) -> bytes:
    """The report with each row's own cells beside it, to fix the sheet and upload it again.

    ID-card numbers are masked for roles that may not see them.
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Import report"))
    headings = batch["headings"]
    ws.append([_("Row"), _("Column"), _("Heading"), _("Level"), _("Reason"), *headings])
    cells_of = {n: cells for n, cells in batch["rows"]}
    masked = (
        {i for i, f in enumerate(batch["mapping"]) if f == imp.ID_NUMBER} if not sensitive.may_reveal(actor) else set()
    )
    for r in issue_rows(batch):
        cells = list(cells_of.get(r["row"], []))
        for i in masked:
            if i < len(cells):
                cells[i] = sensitive.mask(cells[i])
        ws.append([r["row"], r["column"], r["heading"], r["level_label"], r["message"], *cells])
    return _workbook_bytes(wb)


TEMPLATE_EXAMPLE = {
    imp.NAME: "济南鑫达土石方工程有限公司",
    imp.KIND: "公司",
    imp.PHONE: "13812345678",
    imp.REGION: "",
    imp.PROVINCE: "山东省",
    imp.CITY: "济南市",
    imp.DISTRICT: "历城区",
    imp.ADDRESS: "工业北路 88 号",
    imp.GRADE: "6",
    imp.WORK_TYPE: "工程类",
    imp.ENGINEERING_KIND: "路桥",
    imp.USE: "租赁",
    imp.SCALE: "工程队",
    imp.MACHINE_COUNT: "3",
    imp.OWNER: "",
    imp.CONTACT_NAME: "王经理",
    imp.CONTACT_PHONE: "13912345678",
    imp.CONTACT_TITLE: "采购",
}


def accepted_values() -> dict[str, str]:
    """What each field accepts, for the template's notes and the upload page."""
    return {
        imp.NAME: _("Required. Up to 100 characters."),
        imp.KIND: _("个人 or 公司; blank: a name with 公司 is a company."),
        imp.PHONE: _("A mainland mobile number; spaces, dashes, +86 and full-width digits are fine."),
        imp.ID_NUMBER: _("18 characters with a valid check digit. Format the column as text."),
        imp.REGION: _("A region of your company; blank: the default region chosen on upload."),
        imp.GRADE: _("9, 6, 3, 1 or 0."),
        imp.WORK_TYPE: "矿山类、工程类",
        imp.ENGINEERING_KIND: "路桥、水利、市政、园林、建筑",
        imp.USE: "自用、租赁",
        imp.SCALE: "个体户、工程队、自营工程公司、工程承建公司",
        imp.MACHINE_COUNT: _("A whole number."),
        imp.OWNER: _("A salesperson's name or username; blank: the customer goes to the public pool."),
        imp.CONTACT_NAME: _("Optional: a contact person of the customer."),
    }


def template_xlsx(*, actor: User) -> bytes:
    """An empty list with the expected headings, and a sheet of notes with an example of each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Customers")
    ws.append([imp.TEMPLATE_HEADINGS[f] for f in imp.FIELDS])
    for i, f in enumerate(imp.FIELDS):
        ws.cell(row=1, column=i + 1).font = Font(bold=True)
        dim = ws.column_dimensions[imp.column_letter(i)]
        dim.width = max(10, len(imp.TEMPLATE_HEADINGS[f]) * 2 + 4)
        if f in (imp.PHONE, imp.ID_NUMBER, imp.CONTACT_PHONE):
            dim.number_format = "@"  # text: Excel would round an 18-digit ID number
    ws.freeze_panes = "A2"
    notes = wb.create_sheet(_("Notes"))
    notes.append([_("Heading"), _("Field"), _("Accepted values"), _("Example")])
    example = dict(TEMPLATE_EXAMPLE)
    region = writable_regions(actor).first()
    example[imp.REGION] = region.name if region else ""
    accepted = accepted_values()
    for f in imp.FIELDS:
        notes.append([imp.TEMPLATE_HEADINGS[f], str(FIELD_LABELS[f]), str(accepted.get(f, "")), example.get(f, "")])
    return _workbook_bytes(wb)


# --- a large workbook for the bench (manage.py bench: "import 50,000 rows") ----------------------------

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "建国志明海军强伟华平东林磊洋勇杰涛超峰刚辉鹏飞斌宇浩凯健俊帆"


def sample_workbook(*, company_id: int, region_id: int, rows: int, seed: int = 2026) -> bytes:
    """A dealer's list of ``rows`` new customers in one region (valid mobiles 166…, the region's real
    cities and districts, its salespeople, ID numbers, classification, contact people)."""
    import random

    from openpyxl import Workbook

    rng = random.Random(seed)
    region = Region.objects.get(pk=region_id, company_id=company_id)
    areas = list(
        Customer.objects.filter(company_id=company_id, region_id=region_id)
        .exclude(district="")
        .values_list("province", "city", "district")
        .distinct()[:200]
    ) or [(region.province, "", "")]
    owners = [
        *User.objects.filter(company_id=company_id, regions=region_id, user_roles__role=Role.SALESPERSON)
        .distinct()
        .values_list("username", flat=True),
        "",
    ]
    headings = [imp.TEMPLATE_HEADINGS[f] for f in imp.FIELDS]
    wb = Workbook()  # not write_only: like Excel and WPS, it records the sheet's dimension up front
    ws = wb.active
    ws.title = "客户"
    ws.append(headings)
    choices = {
        imp.GRADE: ["9", "6", "3", "1", "0", ""],
        imp.WORK_TYPE: ["工程类", "矿山类", ""],
        imp.ENGINEERING_KIND: ["路桥", "水利", "市政", ""],
        imp.USE: ["自用", "租赁", ""],
        imp.SCALE: ["个体户", "工程队", "自营工程公司", "工程承建公司", ""],
    }
    for i in range(rows):
        province, city, district = rng.choice(areas)
        company = rng.random() < 0.25
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        if company:
            name = (
                f"{(district or city)[:2]}{name}{rng.choice(('土石方工程队', '建设工程有限公司', '机械租赁有限公司'))}"
            )
        id_number = ""
        if not company and rng.random() < 0.3:
            first17 = (
                f"370102{1960 + rng.randrange(40)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{i % 1000:03d}"
            )
            id_number = first17 + rules.id_check_digit(first17)
        contact = company and rng.random() < 0.5
        values = {
            imp.NAME: name,
            imp.KIND: "公司" if company else "个人",
            imp.PHONE: f"166{i:08d}",
            imp.ID_NUMBER: id_number,
            imp.REGION: region.name,
            imp.PROVINCE: province,
            imp.CITY: city,
            imp.DISTRICT: district,
            imp.ADDRESS: f"{district}{rng.randrange(1, 300)}号",
            imp.MACHINE_COUNT: str(rng.randrange(0, 12)),
            imp.OWNER: rng.choice(owners),
            imp.CONTACT_NAME: rng.choice(_SURNAMES) + "经理" if contact else "",
            imp.CONTACT_PHONE: f"199{i:08d}" if contact else "",
            imp.CONTACT_TITLE: "采购" if contact else "",
            **{f: rng.choice(v) for f, v in choices.items()},
        }
        ws.append([values.get(f, "") for f in imp.FIELDS])
    return _workbook_bytes(wb)
