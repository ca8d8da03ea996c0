"""What every spreadsheet import shares: reading the file, the stored batch, the report, bulk writes.

Two imports use it: customers and their contact people (``customers/imports.py``) and grade-0
industry contacts (``customers/imports_contacts.py``). Each brings its own columns
(``domain.importing.Columns``), its checks and its writes; the flow is the same:

    upload → read the file (``read_file``), find the headings (``make_table``), guess the columns,
             check every row, store the batch (``save_batch``)            — nothing written
    remap  → the user's choice of columns, checked again
    confirm→ claim the batch (``claimed``: a second click finds none), check again what the
             database decides, write every valid row in one transaction (``core.bulk.bulk_insert``
             + ``audit.log_bulk``) or nothing

The batch is a server-side file ``VAR_DIR/imports/<uuid>.batch`` tied to the user, the company
and the import (``target``), encrypted with the field keys, expiring after ``BATCH_TTL``:

- not the session: a dealer's list of 50,000 rows is several megabytes, far beyond what a session
  row (or a signed cookie) should carry;
- not a model: an import batch is a scratch pad with no business meaning, and a table would need a
  migration and a cleanup job of its own;
- the file may hold ID-card numbers, hence the encryption; a confirmed or cancelled batch is
  deleted at once.

The report stores codes and parameters, turned into sentences in the reader's language when shown
(``message``).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import io
import json
import re
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import sensitive
from core.bulk import bulk_insert  # noqa: F401 - the imports write with it
from core.models import Region, Role, User
from core.visibility import visible

from .domain import importing as imp

MAX_BYTES = 30 * 1024 * 1024
MAX_ROWS = 100_000
BATCH_TTL = dt.timedelta(hours=24)
QUERY_CHUNK = 900  # values per IN (…): below SQLite's old 999-variable limit

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The report's sentences every import uses, by issue code. Parameters come from the analysis.
MESSAGES = {
    imp.Skip.BLANK: gettext_lazy("Blank row: skipped."),
    imp.Skip.MERGED: gettext_lazy("Merged row (a heading across the columns): skipped."),
    imp.Skip.HEADING: gettext_lazy("The headings repeated: skipped."),
    "rule": "%(message)s",
    "phone_invalid": gettext_lazy("“%(value)s” is not a valid mainland mobile number."),
    "phone_extra": gettext_lazy("Only the first number is imported; “%(value)s” is left out."),
    "phone_dup_file": gettext_lazy("The same mobile number as row %(other)s."),
    "region_missing": gettext_lazy("No region: fill in the region column or choose a default region."),
    "region_unknown": gettext_lazy("“%(value)s” is not a region of your company."),
    "region_not_covered": gettext_lazy("You do not cover the region “%(value)s”."),
    "bad_choice": gettext_lazy("“%(value)s” is not one of: %(allowed)s."),
    "too_long": gettext_lazy("Longer than %(max)s characters."),
}

LEVEL_LABELS = {
    imp.Issue.ERROR: gettext_lazy("error"),
    imp.Issue.WARNING: gettext_lazy("warning"),
    imp.Issue.SKIPPED: gettext_lazy("skipped"),
}


def message(issue: imp.Issue, messages: Mapping = MESSAGES) -> str:
    text = str(messages.get(issue.code, issue.code))
    return text % issue.params if issue.params else text.replace("%%", "%")


# --- regions -------------------------------------------------------------------------------------------


def writable_regions(user):
    """The regions an import by ``user`` may write into: all of the company for administrators, the
    regions the user covers otherwise (the rule of the services, ``customers.services`` and ``intel``)."""
    regions = visible(user, Region)
    return regions if user.has_role(Role.ADMIN) else regions.filter(pk__in=user.region_ids)


def check_region_choice(actor: User, region_id: int | None) -> None:
    """The default region chosen on upload must be one the user may write."""
    if region_id is not None and not writable_regions(actor).filter(pk=region_id).exists():
        raise ValidationError({"region": _("Choose one of the regions you cover.")})


class RegionNames:
    """The company's regions by name ("鲁中区域" and "鲁中" alike), loaded once per analysis."""

    def __init__(self, company_id: int):
        self.regions = {r.pk: r for r in Region.objects.filter(company_id=company_id)}
        self._by_name: dict[str, int] = {}
        for r in self.regions.values():
            for key in {imp.normalize_heading(r.name), imp.normalize_heading(r.name.removesuffix("区域"))}:
                self._by_name.setdefault(key, r.pk)

    def find(self, text: str) -> int | None:
        return self._by_name.get(imp.normalize_heading(text)) or self._by_name.get(
            imp.normalize_heading(text.removesuffix("区域"))
        )


# --- reading the file ----------------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls), or a password-protected workbook
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)\"")


def file_error(msg: str) -> ValidationError:
    return ValidationError({"file": msg})


def too_many_rows() -> ValidationError:
    return file_error(_("The file has more than %(max)s rows: split it.") % {"max": f"{MAX_ROWS:,}"})


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


def read_xlsx(data: bytes, columns: imp.Columns | None = None) -> Sheet:
    """The worksheet whose first rows name the most of ``columns``' fields (a workbook often has a
    notes sheet first)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    columns = columns or imp.CUSTOMERS
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, InvalidFileException, OSError, ValueError, TypeError) as exc:
        raise file_error(
            _("The file cannot be read as an Excel workbook (.xlsx): open it in Excel or WPS and save it again.")
        ) from exc
    try:
        sheets = [ws for ws in wb.worksheets if hasattr(ws, "iter_rows")][:20]
        if not sheets:
            raise file_error(_("The workbook has no worksheet."))
        for ws in sheets:
            ws.reset_dimensions()  # some writers record wrong dimensions; read what is there
        scores = []
        for ws in sheets:
            head = [[imp.cell_text(v) for v in r] for r in _read_rows(ws, 15)]
            scores.append(max((columns.score(r) for r in head), default=0))
        ws = sheets[scores.index(max(scores))]
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 20:
                raise too_many_rows()
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
        raise file_error(
            _("The CSV file is neither UTF-8 nor GBK text: save it again as “CSV UTF-8” or as .xlsx.")
        ) from None


def read_csv(data: bytes) -> Sheet:
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError:
        raise file_error(
            _("The CSV file is neither UTF-8 nor GBK text: save it again as “CSV UTF-8” or as .xlsx.")
        ) from None
    if "\x00" in text:
        raise file_error(_("Upload an Excel workbook (.xlsx) or a CSV file."))
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        rows.append(row)
        if len(rows) > MAX_ROWS + 20:
            raise too_many_rows()
    return Sheet("csv", encoding, rows)


def read_file(filename: str, data: bytes, columns: imp.Columns | None = None) -> Sheet:
    """The rows of an uploaded .xlsx or .csv; a clear ValidationError on the "file" field otherwise."""
    name = (filename or "").lower()
    if not data:
        raise file_error(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise file_error(_("The file is larger than %(mb)s MB: split it.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if data.startswith(_OLE) or name.endswith(".xls"):
        raise file_error(
            _(
                "This is an Excel 97–2003 (.xls) file or a password-protected workbook: open it in Excel or WPS, "
                "remove the password and save it as .xlsx."
            )
        )
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data, columns)
    if name.endswith((".csv", ".txt")) or "." not in name:
        return read_csv(data)
    raise file_error(_("Upload an Excel workbook (.xlsx) or a CSV file."))


# --- the stored batch ----------------------------------------------------------------------------------


def batch_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def batch_path(batch_id: str, suffix: str = ".batch") -> Path:
    return batch_dir() / f"{uuid.UUID(str(batch_id)).hex}{suffix}"


class BatchNotFound(LookupError):
    pass


def purge_expired() -> None:
    limit = time.time() - BATCH_TTL.total_seconds()
    for path in batch_dir().iterdir():  # batches, claimed ones, and half-written ones of a crash
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - removed meanwhile
            pass


def save_batch(batch: dict, path: Path | None = None) -> None:
    raw = zlib.compress(json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode(), 3)
    token = sensitive.encrypt(base64.b64encode(raw).decode("ascii"))
    path = path or batch_path(batch["id"])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(token, encoding="ascii")
    tmp.replace(path)


def _load_path(path: Path) -> dict:
    try:
        token = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise BatchNotFound from None
    return json.loads(zlib.decompress(base64.b64decode(sensitive.decrypt(token))))


def load_batch(*, actor, batch_id, target: str, ttl: dt.timedelta | None = None) -> dict:
    """The user's own batch of this import; BatchNotFound for another user's or another import's
    batch, an expired or an unknown one. (Batches written before there were two imports are the
    customers'.)"""
    try:
        path = batch_path(batch_id)
    except ValueError:
        raise BatchNotFound from None
    batch = _load_path(path)
    if batch["user_id"] != actor.pk or batch["company_id"] != actor.company_id:
        raise BatchNotFound
    if batch.get("target", "customers") != target:
        raise BatchNotFound
    created = dt.datetime.fromisoformat(batch["created_at"])
    if timezone.now() - created > (BATCH_TTL if ttl is None else ttl):
        path.unlink(missing_ok=True)
        raise BatchNotFound
    return batch


def new_batch(
    *, actor: User, target: str, filename: str, data: bytes, columns: imp.Columns, keep_lines: bool = False, **options
) -> dict:
    """Read the upload into a new batch: its sheet, heading row, rows and the guessed columns
    (``keep_lines``: the cells keep their line breaks, see ``domain.importing.records``)."""
    sheet = read_file(filename, data, columns)
    try:
        table = imp.make_table(sheet.rows, sheet.merges, columns=columns, keep_lines=keep_lines)
    except imp.NoHeading:
        raise file_error(_("The file has no rows.")) from None
    if len(table.rows) > MAX_ROWS:
        raise too_many_rows()
    purge_expired()
    guessed = columns.guess(table.headings)
    return {
        "version": 1,
        "target": target,
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
        "mapping": list(guessed),
        "guessed": guessed,
        **options,
    }


@contextlib.contextmanager
def claimed(batch: dict) -> Iterator[None]:
    """Hold the batch while it is confirmed: a second click (or a second tab) finds no batch.

    When the block fails, the batch (as the block left it, e.g. with a refreshed preview) is put
    back for the user to look at and confirm again; when it succeeds, the batch is gone.
    """
    path = batch_path(batch["id"])
    held = path.with_suffix(".confirming")
    try:
        path.replace(held)
    except FileNotFoundError:
        raise BatchNotFound from None
    try:
        yield
    except BaseException:
        save_batch(batch, held)
        held.replace(path)
        raise
    held.unlink(missing_ok=True)


def cancel_batch(batch: dict) -> None:
    batch_path(batch["id"]).unlink(missing_ok=True)


def table_of(batch: dict) -> imp.Table:
    return imp.Table(
        header_row=batch["header_row"],
        headings=batch["headings"],
        rows=[(n, cells) for n, cells in batch["rows"]],
        merged_rows=frozenset(batch["merged_rows"]),
    )


def mapping_json(problems: Iterable[imp.MappingProblem]) -> list[dict]:
    return [{"code": p.code, "field": p.field, "columns": list(p.columns)} for p in problems]


class PreviewChanged(ValidationError):
    """The database changed since the preview: the rows that would be imported are not the ones shown."""


# --- the analysis --------------------------------------------------------------------------------------


@dataclass
class Analysis:
    """The result of checking every row: ``planned`` are the rows that will be written (each with
    ``row`` and ``flagged``, a possible duplicate)."""

    mapping_problems: list[imp.MappingProblem]
    issues: list[imp.Issue]
    planned: list
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


def sort_issues(issues: list[imp.Issue]) -> None:
    issues.sort(key=lambda i: (i.row, -1 if i.column is None else i.column, i.level != imp.Issue.ERROR))


class RowCheck:
    """Collects the issues of one record. A warning whose code is in ``flagging`` makes the row a
    possible duplicate (the user may leave those rows out)."""

    def __init__(self, rec: imp.Record, issues: list[imp.Issue], flagging: frozenset[str] = frozenset()):
        self.rec, self.issues, self.flagging = rec, issues, flagging
        self.failed = self.flagged = False

    def add(self, field_name: str, code: str, level: str = imp.Issue.ERROR, *, column: int | None = None, **params):
        if column is None:
            column = self.rec.columns.get(field_name)
        self.issues.append(imp.Issue(self.rec.row, code, level, column, field_name, params))
        if level == imp.Issue.ERROR:
            self.failed = True
        elif code in self.flagging:
            self.flagged = True


def chunks(values: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def store_analysis(batch: dict, result: Analysis) -> None:
    """What every preview shows: the problems with the columns, the report, the counts."""
    batch["mapping_problems"] = mapping_json(result.mapping_problems)
    batch["issues"] = [i.as_dict() for i in result.issues]
    batch["summary"] = result.summary()
    batch["valid_rows"] = [p.row for p in result.planned]
    batch["analysed_at"] = timezone.now().isoformat()


# --- writing -------------------------------------------------------------------------------------------

# --- the report ----------------------------------------------------------------------------------------


def workbook_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def issue_rows(batch: dict, level: str = "", describe: Callable[[imp.Issue], str] = message) -> list[dict]:
    """The report as people read it: row, column letter and heading, level, reason (``describe``
    turns an issue into its sentence)."""
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
                "message": describe(issue),
            }
        )
    return out


def mapping_messages(batch: dict, labels: Mapping[str, str]) -> list[dict]:
    """What is wrong with the choice of columns, in the reader's language."""
    out = []
    for p in batch["mapping_problems"]:
        label = labels.get(p["field"], p["field"])
        if p["code"] == "missing":
            text = _("No column holds “%(field)s”: choose it below.") % {"field": label}
        else:
            letters = "、".join(imp.column_letter(c) for c in p["columns"])
            text = _("Columns %(columns)s are all set to “%(field)s”: keep one.") % {"columns": letters, "field": label}
        out.append({"code": p["code"], "field": p["field"], "message": text})
    return out


def report_xlsx(*, batch: dict, rows: list[dict], masked_columns: Iterable[int] = ()) -> bytes:
    """The report with each row's own cells beside it, to fix the sheet and upload it again
    (``masked_columns``: cells shown masked, e.g. ID-card numbers to roles that may not see them)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Import report"))
    ws.append([_("Row"), _("Column"), _("Heading"), _("Level"), _("Reason"), *batch["headings"]])
    cells_of = {n: cells for n, cells in batch["rows"]}
    masked = set(masked_columns)
    for r in rows:
        cells = list(cells_of.get(r["row"], []))
        for i in masked:
            if i < len(cells):
                cells[i] = sensitive.mask(cells[i])
        ws.append([r["row"], r["column"], r["heading"], r["level_label"], r["message"], *cells])
    return workbook_bytes(wb)
