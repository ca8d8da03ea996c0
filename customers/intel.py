"""Market and industry intelligence (SPEC §2 visit notes): services and selectors.

- grade-0 industry contacts (0类客户), each kind with its own detail fields (``domain.contacts``);
- market projects (市场形势) linked to a region and to customers, and the excavator demand they add
  up to per city and district;
- competitors (竞争对手): dealer companies, their machines, their salespeople.

Services are keyword-only, validate everything before writing (a ``ValidationError`` naming every
wrong field; nothing is written), check permission through ``core.visibility`` (``PermissionError``)
and run in one transaction; the models are audited by signal. Selectors start from ``visible()``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q, Sum, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from core import audit
from core.models import Region, User
from core.visibility import Action, can, may, visible

from . import rules
from .domain import contacts as schema
from .models import (
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    Customer,
    CustomerMachine,
    IndustryContact,
    MarketProject,
)

TEXT_CAP = 5000  # TextFields: notes, strategy, policy…
DATE_MIN, DATE_MAX = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


# --- input cleaning shared by every service ----------------------------------------------------


class _Cleaner:
    """Cleans the fields present in ``data`` (a partial update cleans only what it changes)."""

    def __init__(self, model: type[models.Model], data: dict):
        self.model, self.data = model, data
        self.out: dict = {}
        self.errors: dict[str, list[str]] = {}

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = False, multiline: bool = False) -> None:
        if name not in self.data:
            return
        raw = self.data[name]
        if raw is not None and not isinstance(raw, str):
            self.error(name, _("Enter text."))
            return
        value = rules.clean_text(raw or "")
        if not multiline:
            value = " ".join(value.split())
        limit = self.model._meta.get_field(name).max_length or TEXT_CAP
        if required and not value:
            self.error(name, _("This field is required."))
        elif len(value) > limit:
            self.error(name, _("At most %(max)d characters.") % {"max": limit})
        else:
            self.out[name] = value

    def integer(self, name: str, lo: int, hi: int) -> None:
        if name not in self.data:
            return
        raw = self.data[name]
        if raw is None or (isinstance(raw, str) and not rules.clean_text(raw)):
            self.out[name] = None
            return
        try:
            value = schema.parse_int(raw)
        except schema.InvalidValue:
            self.error(name, _("Enter a whole number from %(min)d to %(max)d.") % {"min": lo, "max": hi})
            return
        if not lo <= value <= hi:
            self.error(name, _("Enter a whole number from %(min)d to %(max)d.") % {"min": lo, "max": hi})
            return
        self.out[name] = value

    def date(self, name: str) -> None:
        if name not in self.data:
            return
        raw = self.data[name]
        if raw in (None, ""):
            self.out[name] = None
            return
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if not isinstance(raw, dt.date):
            try:
                raw = dt.date.fromisoformat(rules.clean_text(str(raw)))
            except ValueError:
                self.error(name, _("Enter a date as YYYY-MM-DD."))
                return
        if not DATE_MIN <= raw <= DATE_MAX:
            self.error(name, _("Enter a date between %(min)s and %(max)s.") % {"min": DATE_MIN, "max": DATE_MAX})
            return
        self.out[name] = raw

    def mobile(self, name: str = "phone") -> None:
        if name not in self.data:
            return
        from .services import mobile_or_error

        raw = self.data[name] if isinstance(self.data[name], str) else str(self.data[name] or "")
        try:
            self.out[name] = mobile_or_error(raw, name)
        except ValidationError as exc:
            self.error(name, exc.message_dict[name][0])

    def region(self, actor: User, company_id: int, name: str = "region_id", error_name: str = "region") -> None:
        if name not in self.data:
            return
        try:
            region_id = int(self.data[name] or 0)
        except (TypeError, ValueError):
            region_id = 0
        if not Region.objects.filter(pk=region_id, company_id=company_id).exists():
            self.error(error_name, _("Choose a region of your company."))
        elif not actor.has_role("admin") and region_id not in actor.region_ids:
            self.error(error_name, _("Choose one of the regions you cover."))
        else:
            self.out[name] = region_id

    def unknown(self, allowed: Iterable[str]) -> None:
        for name in sorted(set(self.data) - set(allowed)):
            self.error(name, _("Unknown field."))

    def done(self) -> dict:
        if self.errors:
            raise ValidationError(self.errors)
        return self.out


def _company_of(actor: User, instance: models.Model | None) -> int:
    return instance.company_id if instance is not None else actor.company_id


# --- grade-0 industry contacts (0类客户) ----------------------------------------------------------

CONTACT_FIELDS = (
    "kind",
    "name",
    "phone",
    "region_id",
    "province",
    "city",
    "district",
    "address",
    "reputation",
    "note",
    "details",
)


def detail_error_key(name: str) -> str:
    """How a detail field is named in errors: ``details.age`` (the API's path to it)."""
    return f"details.{name}"


def contact_validate(*, actor: User, fields: dict, instance: IndustryContact | None = None) -> dict:
    """Check and normalise a contact's fields without writing; raises ValidationError naming them all.

    ``details`` is merged into the stored details (a given value replaces, an empty one removes);
    when the kind changes, fields the new kind does not have are dropped.
    """
    c = _Cleaner(IndustryContact, fields)
    c.unknown(CONTACT_FIELDS)
    if "kind" in fields:
        if fields["kind"] in IndustryContact.Kind.values:
            c.out["kind"] = fields["kind"]
        else:
            c.error("kind", _("Choose one of the kinds of industry contact."))
    c.text("name", required=True)
    c.mobile()
    c.region(actor, _company_of(actor, instance))
    for name in ("province", "city", "district", "address", "reputation"):
        c.text(name)
    c.text("note", multiline=True)
    kind = fields.get("kind", instance.kind if instance is not None else None)
    if kind in IndustryContact.Kind.values and ("details" in fields or "kind" in fields):
        current = schema.keep_known(kind, instance.details if instance is not None else {})
        given = fields.get("details")
        if given is not None and not isinstance(given, dict):
            c.error("details", _("Send the details as an object of fields."))
        else:
            cleaned, errors = schema.validate(kind, schema.merge(current, given or {}))
            for err in errors:
                c.error(detail_error_key(err.field), err.text(_))
            c.out["details"] = cleaned
    return c.done()


@transaction.atomic
def contact_create(*, actor: User, kind: str, name: str, region_id: int, **fields) -> IndustryContact:
    """Record a grade-0 contact, recorded by (owned by) the actor."""
    if not may(actor, IndustryContact, Action.CHANGE):
        raise PermissionError
    data = contact_validate(actor=actor, fields={"kind": kind, "name": name, "region_id": region_id, **fields})
    data.setdefault("details", {})
    contact = IndustryContact(company_id=actor.company_id, owner=actor, **data)
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, actor: User, contact: IndustryContact, **fields) -> IndustryContact:
    if not can(actor, contact, Action.CHANGE):
        raise PermissionError
    data = contact_validate(actor=actor, fields=fields, instance=contact)
    for key, value in data.items():
        setattr(contact, key, value)
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, actor: User, contact: IndustryContact) -> None:
    if not can(actor, contact, Action.DELETE):
        raise PermissionError
    contact.delete()


def contact_search(user, *, q: str = "", kind: str = "", region: int | str | None = None, action=Action.LIST):
    """Visible contacts, newest first. ``q`` matches name, mobile, area, reputation and the details."""
    qs = visible(user, IndustryContact, action).select_related("region", "owner")
    q = rules.clean_text(q)
    if q:
        cond = (
            Q(name__icontains=q)
            | Q(reputation__icontains=q)
            | Q(city__icontains=q)
            | Q(district__icontains=q)
            | Q(address__icontains=q)
        )
        digits = q.replace(" ", "")
        if digits.isdigit():
            cond |= Q(phone__contains=digits)
        # The details as JSON text: PostgreSQL shows Chinese as is, SQLite stores it \u-escaped.
        escaped = json.dumps(q)[1:-1]
        cond |= Q(details_text__icontains=q) | Q(details_text__icontains=escaped)
        qs = qs.annotate(details_text=Cast("details", TextField())).filter(cond)
    if kind:
        qs = qs.filter(kind=kind)
    if region not in (None, ""):
        qs = qs.filter(region_id=int(region))
    return qs.order_by("-updated_at", "-id")


@dataclass(frozen=True)
class DetailRow:
    name: str
    label: str
    value: str


def contact_details(contact: IndustryContact) -> list[DetailRow]:
    """The contact's detail fields for people to read, in the kind's order (translated labels)."""
    rows = []
    for spec in schema.fields_of(contact.kind):
        value = (contact.details or {}).get(spec.name)
        if value in (None, "", []):
            continue
        rows.append(DetailRow(spec.name, _(spec.label), schema.display_value(spec, value)))
    return rows


def contact_kinds() -> list[dict]:
    """Every kind with its detail fields (labels translated): the API's description of the forms."""
    out = []
    for value, label in IndustryContact.Kind.choices:
        fields = []
        for spec in schema.fields_of(value):
            d = spec.as_dict()
            d["label"] = _(spec.label)
            d["help"] = _(spec.help) if spec.help else ""
            fields.append(d)
        out.append({"kind": value, "label": str(label), "fields": fields})
    return out


# --- market projects (市场形势) --------------------------------------------------------------------

PROJECT_FIELDS = (
    "name",
    "region_id",
    "place",
    "province",
    "city",
    "district",
    "starts_on",
    "duration_months",
    "work_volume",
    "publisher",
    "expected_demand",
    "customers",
)
DURATION_MAX = 240  # months
DEMAND_MAX = 10_000  # excavators


def _customer_ids(c: _Cleaner, actor: User) -> list[int] | None:
    """The customers to link: only customers the actor may see (others are 'not found')."""
    if "customers" not in c.data or c.data["customers"] is None:
        return None
    raw = c.data["customers"]
    if isinstance(raw, (str, int)) or not isinstance(raw, Iterable):
        c.error("customers", _("Send a list of customer ids."))
        return None
    ids: list[int] = []
    for item in raw:
        try:
            value = int(item.pk if isinstance(item, Customer) else item)
        except (TypeError, ValueError):
            c.error("customers", _("Send a list of customer ids."))
            return None
        if value not in ids:
            ids.append(value)
    found = set(visible(actor, Customer).filter(pk__in=ids).values_list("pk", flat=True))
    for value in ids:
        if value not in found:
            c.error("customers", _("No customer #%(id)s among the customers you can see.") % {"id": value})
    return ids


def project_validate(*, actor: User, fields: dict, instance: MarketProject | None = None) -> dict:
    """Check and normalise a project's fields without writing; raises ValidationError naming them all."""
    c = _Cleaner(MarketProject, fields)
    c.unknown(PROJECT_FIELDS)
    c.text("name", required=True)
    c.region(actor, _company_of(actor, instance))
    for name in ("place", "province", "city", "district", "work_volume", "publisher"):
        c.text(name)
    c.date("starts_on")
    c.integer("duration_months", 1, DURATION_MAX)
    c.integer("expected_demand", 0, DEMAND_MAX)
    ids = _customer_ids(c, actor)
    out = c.done()
    if ids is not None:
        out["customers"] = ids
    return out


def _names(customers: Iterable[Customer]) -> str:
    return "、".join(sorted(c.name for c in customers))


def _set_customers(actor: User, project: MarketProject, ids: list[int], *, created: bool) -> None:
    """Link exactly ``ids`` among the customers the actor sees; links to others are kept."""
    current = list(project.customers.all())
    seen = set(visible(actor, Customer).filter(pk__in=[c.pk for c in current]).values_list("pk", flat=True))
    keep_hidden = [c.pk for c in current if c.pk not in seen]
    wanted = set(ids) | set(keep_hidden)
    if wanted == {c.pk for c in current}:
        return
    project.customers.set(wanted)
    new = list(Customer.objects.filter(pk__in=wanted))
    # Many-to-many links do not pass through save(): record them in the project's history.
    audit.log_update(project, {"customers": ["" if created else _names(current), _names(new)]})


@transaction.atomic
def project_create(*, actor: User, name: str, region_id: int, **fields) -> MarketProject:
    if not may(actor, MarketProject, Action.CHANGE):
        raise PermissionError
    data = project_validate(actor=actor, fields={"name": name, "region_id": region_id, **fields})
    ids = data.pop("customers", None)
    project = MarketProject(company_id=actor.company_id, **data)
    project.save()
    if ids:
        _set_customers(actor, project, ids, created=True)
    return project


@transaction.atomic
def project_update(*, actor: User, project: MarketProject, **fields) -> MarketProject:
    """Change a project; ``customers`` (ids) is the new set among the customers the actor sees."""
    if not can(actor, project, Action.CHANGE):
        raise PermissionError
    data = project_validate(actor=actor, fields=fields, instance=project)
    ids = data.pop("customers", None)
    for key, value in data.items():
        setattr(project, key, value)
    project.save()
    if ids is not None:
        _set_customers(actor, project, ids, created=False)
    return project


@transaction.atomic
def project_link_customer(*, actor: User, project: MarketProject, customer: Customer) -> None:
    """Link one customer (e.g. from the customer's profile): the actor must see the customer."""
    if not can(actor, project, Action.CHANGE) or not can(actor, customer, Action.VIEW):
        raise PermissionError
    ids = [c.pk for c in project.customers.all()]
    if customer.pk not in ids:
        _set_customers(actor, project, [*ids, customer.pk], created=False)


@transaction.atomic
def project_unlink_customer(*, actor: User, project: MarketProject, customer: Customer) -> None:
    if not can(actor, project, Action.CHANGE) or not can(actor, customer, Action.VIEW):
        raise PermissionError
    ids = [c.pk for c in project.customers.all() if c.pk != customer.pk]
    _set_customers(actor, project, ids, created=False)


def project_search(user, *, q: str = "", region: int | str | None = None, city: str = "", action=Action.LIST):
    """Visible projects, newest first. ``q`` matches name, place, area, work volume and publisher."""
    qs = visible(user, MarketProject, action).select_related("region")
    q = rules.clean_text(q)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(place__icontains=q)
            | Q(city__icontains=q)
            | Q(district__icontains=q)
            | Q(work_volume__icontains=q)
            | Q(publisher__icontains=q)
        )
    if region not in (None, ""):
        qs = qs.filter(region_id=int(region))
    city = rules.clean_text(city)
    if city:
        qs = qs.filter(city=city)
    return qs.order_by("-updated_at", "-id")


def projects_of(user, customer: Customer):
    """The visible market projects a customer is linked to (for the customer's profile)."""
    return visible(user, MarketProject).filter(customers=customer).select_related("region").order_by("-updated_at")


def project_customers(user, project: MarketProject):
    """The project's customers that the user may see."""
    return visible(user, Customer).filter(projects=project).select_related("owner").order_by("name")


def demand_by_area(user, *, q: str = "", region: int | str | None = None, city: str = "") -> list[dict]:
    """Expected excavator demand of the visible projects per city and district, in SQL.

    Takes the filters of ``project_search``. Rows: {city, district, projects, demand, unestimated}
    sorted by demand, largest first; ``unestimated`` counts the projects without an expected demand
    (they add nothing to ``demand``). The province is left out of the grouping: it is often not
    typed, and a project with it must not make a second row for the same city.
    """
    return list(
        project_search(user, q=q, region=region, city=city)
        .values("city", "district")
        .annotate(
            projects=Count("pk"),
            demand=Coalesce(Sum("expected_demand"), 0),
            unestimated=Count("pk", filter=Q(expected_demand__isnull=True)),
        )
        .order_by("-demand", "city", "district")
    )


# --- competitors (竞争对手) -------------------------------------------------------------------------

DEALER_FIELDS = ("name", "size", "organisation", "brands", "strategy", "policy")
MACHINE_FIELDS = ("dealer_id", "brand", "model", "specs", "selling_points", "customer_opinion", "policy")
SALESPERSON_FIELDS = ("dealer_id", "name", "phone", "age", "role", "years", "territory", "results", "movements")
AGE_RANGE = (16, 80)
YEARS_RANGE = (0, 60)


def _dealer(c: _Cleaner, actor: User, *, required: bool) -> None:
    if "dealer_id" not in c.data:
        return
    raw = c.data["dealer_id"]
    if raw in (None, ""):
        if required:
            c.error("dealer", _("This field is required."))
        else:
            c.out["dealer_id"] = None
        return
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        pk = 0
    if not visible(actor, CompetitorDealer).filter(pk=pk).exists():
        c.error("dealer", _("Choose a competitor dealer of your company."))
    else:
        c.out["dealer_id"] = pk


def dealer_validate(*, actor: User, fields: dict, instance: CompetitorDealer | None = None) -> dict:
    c = _Cleaner(CompetitorDealer, fields)
    c.unknown(DEALER_FIELDS)
    c.text("name", required=True)
    for name in ("size", "organisation", "brands"):
        c.text(name)
    for name in ("strategy", "policy"):
        c.text(name, multiline=True)
    return c.done()


def machine_validate(*, actor: User, fields: dict, instance: CompetitorMachine | None = None) -> dict:
    c = _Cleaner(CompetitorMachine, fields)
    c.unknown(MACHINE_FIELDS)
    _dealer(c, actor, required=False)
    c.text("brand", required=True)
    c.text("model", required=True)
    for name in ("specs", "selling_points", "customer_opinion", "policy"):
        c.text(name, multiline=True)
    return c.done()


def salesperson_validate(*, actor: User, fields: dict, instance: CompetitorSalesperson | None = None) -> dict:
    c = _Cleaner(CompetitorSalesperson, fields)
    c.unknown(SALESPERSON_FIELDS)
    _dealer(c, actor, required=True)
    c.text("name", required=True)
    c.mobile()
    c.integer("age", *AGE_RANGE)
    c.integer("years", *YEARS_RANGE)
    for name in ("role", "territory", "results"):
        c.text(name)
    c.text("movements", multiline=True)
    return c.done()


def _create(model, validate, *, actor: User, fields: dict):
    if not may(actor, model, Action.CHANGE):
        raise PermissionError
    obj = model(company_id=actor.company_id, **validate(actor=actor, fields=fields))
    obj.save()
    return obj


def _update(validate, *, actor: User, obj, fields: dict):
    if not can(actor, obj, Action.CHANGE):
        raise PermissionError
    for key, value in validate(actor=actor, fields=fields, instance=obj).items():
        setattr(obj, key, value)
    obj.save()
    return obj


@transaction.atomic
def dealer_create(*, actor: User, name: str, **fields) -> CompetitorDealer:
    return _create(CompetitorDealer, dealer_validate, actor=actor, fields={"name": name, **fields})


@transaction.atomic
def dealer_update(*, actor: User, dealer: CompetitorDealer, **fields) -> CompetitorDealer:
    return _update(dealer_validate, actor=actor, obj=dealer, fields=fields)


@transaction.atomic
def machine_create(*, actor: User, brand: str, model: str, **fields) -> CompetitorMachine:
    return _create(CompetitorMachine, machine_validate, actor=actor, fields={"brand": brand, "model": model, **fields})


@transaction.atomic
def machine_update(*, actor: User, machine: CompetitorMachine, **fields) -> CompetitorMachine:
    return _update(machine_validate, actor=actor, obj=machine, fields=fields)


@transaction.atomic
def salesperson_create(*, actor: User, dealer_id: int, name: str, **fields) -> CompetitorSalesperson:
    return _create(
        CompetitorSalesperson,
        salesperson_validate,
        actor=actor,
        fields={"dealer_id": dealer_id, "name": name, **fields},
    )


@transaction.atomic
def salesperson_update(*, actor: User, salesperson: CompetitorSalesperson, **fields) -> CompetitorSalesperson:
    return _update(salesperson_validate, actor=actor, obj=salesperson, fields=fields)


def dealer_search(user, *, q: str = ""):
    qs = visible(user, CompetitorDealer).annotate(
        salespeople_count=Count("salespeople", distinct=True), machines_count=Count("machines", distinct=True)
    )
    q = rules.clean_text(q)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(brands__icontains=q))
    return qs.order_by("name", "id")


def machine_search(user, *, q: str = "", dealer: int | str | None = None):
    qs = visible(user, CompetitorMachine).select_related("dealer")
    q = rules.clean_text(q)
    if q:
        qs = qs.filter(Q(brand__icontains=q) | Q(model__icontains=q) | Q(dealer__name__icontains=q))
    if dealer not in (None, ""):
        qs = qs.filter(dealer_id=int(dealer))
    return qs.order_by("brand", "model", "id")


def salesperson_search(user, *, q: str = "", dealer: int | str | None = None):
    qs = visible(user, CompetitorSalesperson).select_related("dealer")
    q = rules.clean_text(q)
    if q:
        cond = Q(name__icontains=q) | Q(territory__icontains=q) | Q(dealer__name__icontains=q)
        digits = q.replace(" ", "")
        if digits.isdigit():
            cond |= Q(phone__contains=digits)
        qs = qs.filter(cond)
    if dealer not in (None, ""):
        qs = qs.filter(dealer_id=int(dealer))
    return qs.order_by("dealer__name", "name", "id")


def machines_owned(user, machine_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """Per competitor machine: how many visible customers own it and how many units (one query)."""
    qs = visible(user, CustomerMachine).filter(competitor_machine__isnull=False)
    if machine_ids is not None:
        qs = qs.filter(competitor_machine_id__in=list(machine_ids))
    rows = qs.values("competitor_machine_id").annotate(customers=Count("customer", distinct=True), units=Sum("count"))
    return {r["competitor_machine_id"]: {"customers": r["customers"], "units": r["units"] or 0} for r in rows}


def owners_of(user, machine: CompetitorMachine):
    """The visible customers' machines of this competitor model: years used and opinion."""
    return (
        visible(user, CustomerMachine)
        .filter(competitor_machine=machine)
        .select_related("customer")
        .order_by("-years_used", "customer__name", "id")
    )


def competitor_machine_choices(user):
    """Competitor models to pick from for a customer's machine (the profile's machine form)."""
    return visible(user, CompetitorMachine).select_related("dealer").order_by("brand", "model", "id")
