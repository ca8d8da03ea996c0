"""Excel / CSV import of customers and their contact people (导入客户).

    batch = import_upload(actor=…, filename=…, data=…, default_region_id=…)   # read, check, store
    batch = import_remap(actor=…, batch_id=…, mapping=…, default_region_id=…) # the user's columns
    result = import_confirm(actor=…, batch_id=…)                              # write, one transaction

Nothing is written to the database before ``import_confirm``. Between the upload and the
confirmation the parsed sheet waits in a server-side file, encrypted, tied to the user, the
company and this import; reading the file, the batch, the report and the bulk writes are shared
with the import of industry contacts (``customers/import_base.py``, which says why a file and not
the session or a model).

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

A customer imported with a complete classification (``PRESET_WHEN``: work type, use and scale) gets
its needs preset in the same transaction, as classifying it on its profile does
(``services.needs_preset``), in bulk: ``_preset_needs``.
"""

from __future__ import annotations

import datetime as dt  # noqa: F401 - tests patch imports.BATCH_TTL with imports.dt.timedelta
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit, bulk, sensitive
from core.models import AuditEntry, Channel, Region, Role, User
from core.visibility import Action, may, visible

from . import import_base as base
from . import method, rules, services
from .domain import classification as cls
from .domain import importing as imp
from .domain import sensitivity as sens
from .import_base import (  # noqa: F401 - the import's API, used by the pages, the API and the tests
    BATCH_TTL,
    LEVEL_LABELS,
    MAX_BYTES,
    MAX_ROWS,
    QUERY_CHUNK,
    XLSX_TYPE,
    Analysis,
    BatchNotFound,
    PreviewChanged,
    Sheet,
    bulk_insert,
    decode_text,
    read_csv,
    read_file,
    read_xlsx,
    table_of,
    writable_regions,
)
from .models import Customer, CustomerContact, CustomerNeed, StatusChange

TARGET = "customers"
IMPORT_ROLES = (Role.MANAGER, Role.ADMIN)

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

# The report's sentences, by issue code (the shared ones in import_base). Parameters come from the analysis.
MESSAGES = {
    **base.MESSAGES,
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
    "owner_unknown": gettext_lazy("No salesperson of your company is named “%(value)s”."),
    "owner_ambiguous": gettext_lazy("Several salespeople are named “%(value)s”: write the username instead."),
    "owner_other_region": gettext_lazy("The salesperson %(value)s does not cover the region %(region)s."),
    "count_invalid": gettext_lazy("“%(value)s” is not a whole number."),
    "contact_without_name": gettext_lazy("A contact person's mobile or role is given without the name."),
}


def message(issue: imp.Issue) -> str:
    return base.message(issue, MESSAGES)


# --- who may import ------------------------------------------------------------------------------------


def may_import(user) -> bool:
    """Managers (into the regions they cover) and administrators; never finance or service."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.has_role(*IMPORT_ROLES) and may(user, Customer, Action.CHANGE)
    )


def _check_importer(user) -> None:
    if not may_import(user):
        raise PermissionError


# --- the stored batch ----------------------------------------------------------------------------------


def load_batch(*, actor, batch_id) -> dict:
    """The user's own batch of customers; BatchNotFound for another user's, an expired or unknown one."""
    return base.load_batch(actor=actor, batch_id=batch_id, target=TARGET, ttl=BATCH_TTL)


def import_cancel(*, actor, batch_id) -> None:
    base.cancel_batch(load_batch(actor=actor, batch_id=batch_id))


# --- the analysis --------------------------------------------------------------------------------------


@dataclass
class Planned:
    """A row that passed every check, as it will be written."""

    row: int
    customer: dict
    owner_id: int | None
    contact: dict | None
    flagged: bool = False  # a possible duplicate (warning)


_LENGTHS = {f: Customer._meta.get_field(f).max_length for f in ("name", "province", "city", "district", "address")} | {
    "contact_name": 60,
    "contact_title": 60,
}


class _Directory:
    """Regions and salespeople of the company, loaded once per analysis."""

    def __init__(self, actor: User):
        self.actor = actor
        self.region_names = base.RegionNames(actor.company_id)
        self.regions = self.region_names.regions
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


_chunks = base.chunks


def _area_variants(value: str) -> set[str]:
    value = rules.clean_text(value)
    base = value[:-1] if len(value) > 1 and value[-1] in "区县市旗" else value
    return {value, base, base + "区", base + "县", base + "市"} - {""}


# Warnings that make a row a possible duplicate (the user may leave those rows out).
FLAGGING = frozenset({"id_dup_db", "id_dup_file", "similar_db", "similar_db_hidden", "similar_file"})


@dataclass
class _Candidate:
    check: base.RowCheck
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
        check = base.RowCheck(rec, issues, FLAGGING)
        candidates.append(_Candidate(check, *_check_record(check, directory, default_region_id)))
    _check_duplicates(actor, candidates)
    planned = [
        Planned(c.check.rec.row, c.data, c.owner_id, c.contact, flagged=c.check.flagged)
        for c in candidates
        if not c.check.failed
    ]
    base.sort_issues(issues)
    return Analysis([], issues, planned, len(records))


def _check_record(check: base.RowCheck, d: _Directory, default_region_id: int | None):
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
        region_id = d.region_names.find(region_text)
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
    base.store_analysis(batch, result)
    # the rows as they will be written, so that confirming needs only the database checks again
    batch["planned"] = [[p.row, p.owner_id, p.contact, p.flagged, p.customer] for p in result.planned]
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
    base.check_region_choice(actor, default_region_id)
    batch = base.new_batch(
        actor=actor,
        target=TARGET,
        filename=filename,
        data=data,
        columns=imp.CUSTOMERS,
        default_region_id=default_region_id,
    )
    _store_analysis(batch, actor)
    base.save_batch(batch)
    return batch


def import_remap(*, actor: User, batch_id, mapping: dict[int, str], default_region_id: int | None) -> dict:
    """Apply the user's choice of columns (0-based column → field or "") and check again."""
    _check_importer(actor)
    batch = load_batch(actor=actor, batch_id=batch_id)
    base.check_region_choice(actor, default_region_id)
    try:
        batch["mapping"] = imp.apply_override(batch["mapping"], mapping)
    except ValueError:
        raise ValidationError({"mapping": _("Unknown field.")}) from None
    batch["default_region_id"] = default_region_id
    _store_analysis(batch, actor)
    base.save_batch(batch)
    return batch


@dataclass(frozen=True)
class ImportResult:
    created: int
    contacts: int
    left_out: int  # rows with errors, and flagged rows when the user chose to leave them out
    preset_later: int = 0  # classified customers whose needs the worker presets after the import


def import_confirm(*, actor: User, batch_id, skip_flagged: bool = False) -> ImportResult:
    """Write every valid row in one transaction (all or nothing), audited as an import."""
    _check_importer(actor)
    batch = load_batch(actor=actor, batch_id=batch_id)
    with base.claimed(batch):
        if batch["mapping_problems"]:
            raise ValidationError({"mapping": _("Choose the columns first.")})
        planned = _recheck(actor, batch)  # the database may have changed since the preview
        if planned is None:
            _store_analysis(batch, actor)  # the new preview shows what changed
            raise PreviewChanged(_("The data changed since the preview: check the new preview and confirm again."))
        rows = [p for p in planned if not (skip_flagged and p.flagged)]
        try:
            with audit.acting(actor, Channel.IMPORT), transaction.atomic():
                created, contacts, later = _write(actor, rows)
        except IntegrityError:  # a customer with one of the numbers was saved in the last instant
            _store_analysis(batch, actor)
            raise PreviewChanged(
                _("Another customer with one of these mobile numbers was added meanwhile: check again.")
            ) from None
    return ImportResult(
        created=created, contacts=contacts, left_out=batch["summary"]["rows"] - len(rows), preset_later=later
    )


def _write(actor: User, rows: list[Planned]) -> tuple[int, int, int]:
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
    classified = [c for c in customers if all(getattr(c, f) for f in PRESET_WHEN)]
    if len(classified) <= PRESET_NOW_MAX:
        _preset_needs(actor, classified, now)
        return len(customers), len(contacts), 0
    # a dealer's whole list: the worker presets the needs right after the import is written
    from .tasks import preset_imported_needs

    ids = [c.pk for c in classified]
    transaction.on_commit(lambda: preset_imported_needs.enqueue(actor.pk, ids))
    return len(customers), len(contacts), len(ids)


# What an imported customer's classification must name for its needs to be preset at once (step 1 of
# the method, as ``services.customer_classify`` does): the three classification dimensions of
# SPEC §1. The further dimensions (capital, experience …) are not in a dealer's list; unknown, they
# count as the middle, as they do on the profile.
PRESET_WHEN = ("work_type", "use", "scale")
# Up to this many classified customers, their needs are preset in the import's own transaction; a
# larger list is handed to the background worker (``tasks.preset_imported_needs``) so that the
# import itself stays within its time budget (50,000 rows under 60 s on SQLite).
PRESET_NOW_MAX = 2000
PRESET_CHUNK = 2000


def preset_imported(*, actor: User, customer_ids: list[int]) -> int:
    """Preset the needs of imported customers that have none yet, a chunk per transaction
    (the worker's side of a large import). Safe to run twice."""
    from django.db.models import Exists, OuterRef

    done = 0
    for start in range(0, len(customer_ids), PRESET_CHUNK):
        chunk = customer_ids[start : start + PRESET_CHUNK]
        has_needs = CustomerNeed.objects.filter(customer=OuterRef("pk"))
        with transaction.atomic(), audit.acting(actor, Channel.IMPORT):
            customers = list(
                Customer.objects.filter(pk__in=chunk, company_id=actor.company_id, merged_into__isnull=True)
                .exclude(Exists(has_needs))
                .order_by("pk")
            )
            done += _preset_needs(actor, customers, timezone.now())
    return done


def _preset_needs(actor: User, customers: list[Customer], now) -> int:
    """Preset every configured need of the classified customers, in bulk.

    The same rows, reasons included, that ``services.needs_preset`` saves one by one, and the same
    audit entries; but the method's configuration is read once (``method.config_for``), the preset
    computed once per distinct classification (``domain.sensitivity.preset``, pure), and each
    need's row and audit entry made once per classification and copied for each customer (only the
    customer differs), then written with multi-row INSERTs: 50,000 imported customers may have
    300,000 needs, too many to build as model instances.
    """
    classified = [c for c in customers if all(getattr(c, f) for f in PRESET_WHEN)]
    if not classified:
        return 0
    config = method.config_for(actor.company_id)
    points = {p.code: p for p in config.points}
    deliverable = {code: p.default_deliverable for code, p in points.items()}
    customer_at = [f.attname for f in bulk.columns_of(CustomerNeed)].index("customer_id")
    marker, marker_pk = "\x00", -987_654_321  # the customer in a template, replaced in each copy
    placeholder = Customer(pk=marker_pk, company_id=actor.company_id, name=marker)
    # per classification: each need's row (values in the database's form), record text and audited changes
    templates: dict[cls.Profile, list[tuple[list, str, str, str]]] = {}
    rows, entries = [], []
    for c in classified:
        profile = method.profile_of(c)
        if profile not in templates:
            templates[profile] = []
            for p in sens.preset(
                profile,
                list(points),
                rules=config.rules,
                templates=config.templates,
                deliverable=deliverable,
                settings=config.sensitivity,
            ):
                need = CustomerNeed(
                    company_id=actor.company_id,
                    customer=placeholder,
                    need_point=points[p.need],
                    expected=p.expected,
                    deliverable=p.deliverable,
                    stage=p.stage,
                    reasons=list(p.reasons),
                    state=CustomerNeed.State.PRESET,
                    source=CustomerNeed.Source.PRESET,
                    state_at=now,
                    state_by=actor,
                )
                before, after = json.dumps(audit.created_changes(need)).split(str(marker_pk), 1)
                templates[profile].append((bulk.db_values(need), str(need), before, after))
        pk, name = c.pk, str(c)
        for values, text, before, after in templates[profile]:
            row = values.copy()
            row[customer_at] = pk
            rows.append(row)
            entries.append((text.replace(marker, name), f"{before}{pk}{after}"))
    pks = bulk.insert_rows(CustomerNeed, rows)
    audit.log_bulk_rows(
        CustomerNeed,
        [(actor.company_id, pk, text, changes) for pk, (text, changes) in zip(pks, entries, strict=True)],
        AuditEntry.Action.CREATE,
    )
    return len(rows)


# --- workbooks to download ----------------------------------------------------------------------------


def issue_rows(batch: dict, level: str = "") -> list[dict]:
    """The report as people read it: row, column letter and heading, level, reason."""
    return base.issue_rows(batch, level, message)


def mapping_messages(batch: dict) -> list[dict]:
    """What is wrong with the choice of columns, in the reader's language."""
    return base.mapping_messages(batch, FIELD_LABELS)


def report_xlsx(*, actor: User, batch: dict) -> bytes:
    """The report with each row's own cells beside it, to fix the sheet and upload it again.

    ID-card numbers are masked for roles that may not see them.
    """
    masked = (
        [i for i, f in enumerate(batch["mapping"]) if f == imp.ID_NUMBER] if not sensitive.may_reveal(actor) else []
    )
    return base.report_xlsx(batch=batch, rows=issue_rows(batch), masked_columns=masked)


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
    return base.workbook_bytes(wb)


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
    return base.workbook_bytes(wb)
