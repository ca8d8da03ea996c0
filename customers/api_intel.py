"""API of market and industry intelligence: industry contacts, market projects, competitors.

Same selectors, services and visibility as the pages (``customers.intel``). Lists take
``limit``/``offset`` and validated filters; unknown or malformed filters are refused with 400.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404, visible

from . import intel
from .models import (
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    Customer,
    IndustryContact,
    MarketProject,
)

router = Router(tags=["intelligence"])


def _id_filter(name: str, value: str) -> str:
    if value and not value.isdigit():
        raise FilterError({name: [_("Enter a whole number.")]})
    return value


def _rename(data: dict, **names) -> dict:
    """API names -> service names (region -> region_id, dealer -> dealer_id)."""
    for api_name, service_name in names.items():
        if api_name in data:
            data[service_name] = data.pop(api_name)
    return data


# --- grade-0 industry contacts (0类客户) ----------------------------------------------------------


def contact_out(c: IndustryContact) -> dict:
    return {
        "id": c.pk,
        "kind": c.kind,
        "name": c.name,
        "phone": c.phone,
        "region": c.region_id,
        "owner": c.owner_id,
        "province": c.province,
        "city": c.city,
        "district": c.district,
        "address": c.address,
        "reputation": c.reputation,
        "note": c.note,
        "details": c.details or {},
        "updated_at": c.updated_at.isoformat(),
    }


@router.get("/contact-kinds")
def contact_kinds(request):
    """The kinds of industry contact and each kind's detail fields (type, label, range): the forms."""
    return {"items": intel.contact_kinds()}


@router.get("/contacts")
def contact_list(request, q: str = "", kind: str = "", region: str = ""):
    """Visible industry contacts. Filters: q (name, mobile, place, details), kind, region (id)."""
    check_query(request, {"q", "kind", "region"})
    if kind and kind not in IndustryContact.Kind.values:
        raise FilterError({"kind": [_("Choose one of the kinds of industry contact.")]})
    qs = intel.contact_search(request.user, q=q, kind=kind, region=_id_filter("region", region))
    return paginate(request, qs, contact_out)


@router.get("/contacts/{contact_id}")
def contact_get(request, contact_id: int):
    return contact_out(get_or_404(request.user, IndustryContact, contact_id, Action.VIEW))


class ContactIn(Schema):
    kind: str
    name: str
    region: int
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    reputation: str = ""
    note: str = ""
    details: dict[str, Any] = {}


class ContactPatch(Schema):
    kind: str | None = None
    name: str | None = None
    region: int | None = None
    phone: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    reputation: str | None = None
    note: str | None = None
    details: dict[str, Any] | None = None


@router.post("/contacts", response={201: dict})
def contact_create(request, payload: ContactIn):
    """Record a contact; ``details`` holds the kind's own fields (see /contact-kinds)."""
    data = _rename(payload.dict(), region="region_id")
    c = intel.contact_create(
        actor=request.user, kind=data.pop("kind"), name=data.pop("name"), region_id=data.pop("region_id"), **data
    )
    return Status(201, contact_out(c))


@router.patch("/contacts/{contact_id}")
def contact_update(request, contact_id: int, payload: ContactPatch):
    """Change a contact. ``details`` is merged: a given field replaces, null or "" removes it."""
    contact = get_or_404(request.user, IndustryContact, contact_id, Action.CHANGE)
    data = _rename(payload.dict(exclude_unset=True), region="region_id")
    return contact_out(intel.contact_update(actor=request.user, contact=contact, **data))


@router.delete("/contacts/{contact_id}", response={204: None})
def contact_delete(request, contact_id: int):
    contact = get_or_404(request.user, IndustryContact, contact_id, Action.DELETE)
    intel.contact_delete(actor=request.user, contact=contact)
    return Status(204, None)


# --- market projects (市场形势) --------------------------------------------------------------------


def project_out(p: MarketProject, customer_ids: list[int]) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "region": p.region_id,
        "place": p.place,
        "province": p.province,
        "city": p.city,
        "district": p.district,
        "starts_on": p.starts_on.isoformat() if p.starts_on else None,
        "duration_months": p.duration_months,
        "work_volume": p.work_volume,
        "publisher": p.publisher,
        "expected_demand": p.expected_demand,
        "customers": customer_ids,  # the linked customers the caller may see
        "updated_at": p.updated_at.isoformat(),
    }


def _with_visible_customers(user, qs):
    return qs.prefetch_related(
        Prefetch("customers", queryset=visible(user, Customer).only("pk").order_by("pk"), to_attr="visible_customers")
    )


def _project(user, p: MarketProject) -> dict:
    ids = getattr(p, "visible_customers", None)
    if ids is None:
        ids = list(intel.project_customers(user, p).order_by("pk"))
    return project_out(p, [c.pk for c in ids])


def _project_filters(request, q: str, region: str, city: str) -> dict:
    check_query(request, {"q", "region", "city"})
    return {"q": q, "region": _id_filter("region", region), "city": city}


@router.get("/projects")
def project_list(request, q: str = "", region: str = "", city: str = ""):
    """Visible market projects. Filters: q (name, place, work volume, publisher), region (id), city."""
    f = _project_filters(request, q, region, city)
    qs = _with_visible_customers(request.user, intel.project_search(request.user, **f))
    return paginate(request, qs, lambda p: _project(request.user, p))


@router.get("/market-demand")
def market_demand(request, q: str = "", region: str = "", city: str = ""):
    """Expected excavator demand of the visible projects per city and district."""
    f = _project_filters(request, q, region, city)
    rows = intel.demand_by_area(request.user, **f)
    return {"total": sum(r["demand"] for r in rows), "items": rows}


@router.get("/projects/{project_id}")
def project_get(request, project_id: int):
    return _project(request.user, get_or_404(request.user, MarketProject, project_id, Action.VIEW))


class ProjectIn(Schema):
    name: str
    region: int
    place: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    starts_on: dt.date | None = None
    duration_months: int | None = None
    work_volume: str = ""
    publisher: str = ""
    expected_demand: int | None = None
    customers: list[int] = []


class ProjectPatch(Schema):
    name: str | None = None
    region: int | None = None
    place: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    starts_on: dt.date | None = None
    duration_months: int | None = None
    work_volume: str | None = None
    publisher: str | None = None
    expected_demand: int | None = None
    customers: list[int] | None = None


@router.post("/projects", response={201: dict})
def project_create(request, payload: ProjectIn):
    """Record a project; ``customers`` are ids of customers the caller may see."""
    data = _rename(payload.dict(), region="region_id")
    p = intel.project_create(actor=request.user, name=data.pop("name"), region_id=data.pop("region_id"), **data)
    return Status(201, _project(request.user, p))


@router.patch("/projects/{project_id}")
def project_update(request, project_id: int, payload: ProjectPatch):
    """Change a project. ``customers`` replaces the links among the customers the caller may see."""
    project = get_or_404(request.user, MarketProject, project_id, Action.CHANGE)
    data = _rename(payload.dict(exclude_unset=True), region="region_id")
    return _project(request.user, intel.project_update(actor=request.user, project=project, **data))


# --- competitors (竞争对手) -------------------------------------------------------------------------


def dealer_out(d: CompetitorDealer) -> dict:
    return {
        "id": d.pk,
        "name": d.name,
        "size": d.size,
        "organisation": d.organisation,
        "brands": d.brands,
        "strategy": d.strategy,
        "policy": d.policy,
    }


def machine_out(m: CompetitorMachine, owned: dict | None = None) -> dict:
    return {
        "id": m.pk,
        "dealer": m.dealer_id,
        "brand": m.brand,
        "model": m.model,
        "specs": m.specs,
        "selling_points": m.selling_points,
        "customer_opinion": m.customer_opinion,
        "policy": m.policy,
        "owned_by_customers": (owned or {}).get("customers", 0),  # visible customers owning it today
        "units_owned": (owned or {}).get("units", 0),
    }


def salesperson_out(s: CompetitorSalesperson) -> dict:
    return {
        "id": s.pk,
        "dealer": s.dealer_id,
        "name": s.name,
        "phone": s.phone,
        "age": s.age,
        "role": s.role,
        "years": s.years,
        "territory": s.territory,
        "results": s.results,
        "movements": s.movements,
    }


@router.get("/competitor-dealers")
def dealer_list(request, q: str = ""):
    """Competitor dealer companies. Filter: q (name, brands)."""
    check_query(request, {"q"})
    return paginate(request, intel.dealer_search(request.user, q=q), dealer_out)


@router.get("/competitor-dealers/{dealer_id}")
def dealer_get(request, dealer_id: int):
    return dealer_out(get_or_404(request.user, CompetitorDealer, dealer_id, Action.VIEW))


class DealerIn(Schema):
    name: str
    size: str = ""
    organisation: str = ""
    brands: str = ""
    strategy: str = ""
    policy: str = ""


class DealerPatch(Schema):
    name: str | None = None
    size: str | None = None
    organisation: str | None = None
    brands: str | None = None
    strategy: str | None = None
    policy: str | None = None


@router.post("/competitor-dealers", response={201: dict})
def dealer_create(request, payload: DealerIn):
    data = payload.dict()
    return Status(201, dealer_out(intel.dealer_create(actor=request.user, name=data.pop("name"), **data)))


@router.patch("/competitor-dealers/{dealer_id}")
def dealer_update(request, dealer_id: int, payload: DealerPatch):
    dealer = get_or_404(request.user, CompetitorDealer, dealer_id, Action.CHANGE)
    return dealer_out(intel.dealer_update(actor=request.user, dealer=dealer, **payload.dict(exclude_unset=True)))


@router.get("/competitor-machines")
def machine_list(request, q: str = "", dealer: str = ""):
    """Competitor machines with how many visible customers own each. Filters: q, dealer (id)."""
    check_query(request, {"q", "dealer"})
    qs = intel.machine_search(request.user, q=q, dealer=_id_filter("dealer", dealer))
    page = paginate(request, qs, lambda m: m)
    owned = intel.machines_owned(request.user, [m.pk for m in page["items"]])
    page["items"] = [machine_out(m, owned.get(m.pk)) for m in page["items"]]
    return page


@router.get("/competitor-machines/{machine_id}")
def machine_get(request, machine_id: int):
    machine = get_or_404(request.user, CompetitorMachine, machine_id, Action.VIEW)
    return machine_out(machine, intel.machines_owned(request.user, [machine.pk]).get(machine.pk))


class MachineIn(Schema):
    brand: str
    model: str
    dealer: int | None = None
    specs: str = ""
    selling_points: str = ""
    customer_opinion: str = ""
    policy: str = ""


class MachinePatch(Schema):
    brand: str | None = None
    model: str | None = None
    dealer: int | None = None
    specs: str | None = None
    selling_points: str | None = None
    customer_opinion: str | None = None
    policy: str | None = None


@router.post("/competitor-machines", response={201: dict})
def machine_create(request, payload: MachineIn):
    data = _rename(payload.dict(), dealer="dealer_id")
    m = intel.machine_create(actor=request.user, brand=data.pop("brand"), model=data.pop("model"), **data)
    return Status(201, machine_out(m))


@router.patch("/competitor-machines/{machine_id}")
def machine_update(request, machine_id: int, payload: MachinePatch):
    machine = get_or_404(request.user, CompetitorMachine, machine_id, Action.CHANGE)
    data = _rename(payload.dict(exclude_unset=True), dealer="dealer_id")
    machine = intel.machine_update(actor=request.user, machine=machine, **data)
    return machine_out(machine, intel.machines_owned(request.user, [machine.pk]).get(machine.pk))


@router.get("/competitor-salespeople")
def salesperson_list(request, q: str = "", dealer: str = ""):
    """Competitors' salespeople. Filters: q (name, mobile, territory, dealer), dealer (id)."""
    check_query(request, {"q", "dealer"})
    qs = intel.salesperson_search(request.user, q=q, dealer=_id_filter("dealer", dealer))
    return paginate(request, qs, salesperson_out)


@router.get("/competitor-salespeople/{salesperson_id}")
def salesperson_get(request, salesperson_id: int):
    return salesperson_out(get_or_404(request.user, CompetitorSalesperson, salesperson_id, Action.VIEW))


class SalespersonIn(Schema):
    dealer: int
    name: str
    phone: str = ""
    age: int | None = None
    role: str = ""
    years: int | None = None
    territory: str = ""
    results: str = ""
    movements: str = ""


class SalespersonPatch(Schema):
    dealer: int | None = None
    name: str | None = None
    phone: str | None = None
    age: int | None = None
    role: str | None = None
    years: int | None = None
    territory: str | None = None
    results: str | None = None
    movements: str | None = None


@router.post("/competitor-salespeople", response={201: dict})
def salesperson_create(request, payload: SalespersonIn):
    data = _rename(payload.dict(), dealer="dealer_id")
    s = intel.salesperson_create(actor=request.user, dealer_id=data.pop("dealer_id"), name=data.pop("name"), **data)
    return Status(201, salesperson_out(s))


@router.patch("/competitor-salespeople/{salesperson_id}")
def salesperson_update(request, salesperson_id: int, payload: SalespersonPatch):
    person = get_or_404(request.user, CompetitorSalesperson, salesperson_id, Action.CHANGE)
    data = _rename(payload.dict(exclude_unset=True), dealer="dealer_id")
    return salesperson_out(intel.salesperson_update(actor=request.user, salesperson=person, **data))
