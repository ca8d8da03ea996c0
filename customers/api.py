"""Customer endpoints: same selectors, services and visibility as the pages."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from core import sensitive
from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404

from . import selectors, services
from .filters import CustomerFilterForm
from .models import Customer

router = Router(tags=["customers"])


def customer_out(c: Customer) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "phone": c.phone,
        "id_number_masked": sensitive.mask(c.id_number),
        "province": c.province,
        "city": c.city,
        "district": c.district,
        "address": c.address,
        "grade": c.grade,
        "occupation": c.occupation,
        "age": c.age,
        "birthday": c.birthday,
        "hobbies": c.hobbies,
        "expected_purchase_on": c.expected_purchase_on,
        "latitude": c.latitude,
        "longitude": c.longitude,
        "in_pool": c.in_pool,
        "region": c.region_id,
        "owner": c.owner_id,
        "updated_at": c.updated_at.isoformat(),
    }


@router.get("/customers")
def customer_list(request):
    """Visible customers. Filters: q (name, mobile, pinyin initials), grade, pool (0/1), mine, tier,
    owner, region, city, district, the classification dimensions, fits (product id, 客户定位)."""
    check_query(request, set(CustomerFilterForm.base_fields))
    form = CustomerFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        raise FilterError({name: [str(e) for e in errs] for name, errs in form.errors.items()})
    return paginate(request, selectors.customer_search(request.user, **form.filters()), customer_out)


@router.get("/customers/{customer_id}")
def customer_get(request, customer_id: int):
    return customer_out(get_or_404(request.user, Customer, customer_id, Action.VIEW))


class CustomerIn(Schema):
    name: str
    region: int
    kind: str = Customer.Kind.PERSON
    phone: str = ""
    id_number: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    grade: int | None = None
    occupation: str = ""
    age: int | None = None
    birthday: dt.date | None = None
    hobbies: str = ""
    expected_purchase_on: dt.date | None = None


class CustomerPatch(Schema):
    name: str | None = None
    region: int | None = None
    kind: str | None = None
    phone: str | None = None
    id_number: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    grade: int | None = None
    occupation: str | None = None
    age: int | None = None
    birthday: dt.date | None = None
    hobbies: str | None = None
    expected_purchase_on: dt.date | None = None


def _fields(data: dict) -> dict:
    if "region" in data:
        data["region_id"] = data.pop("region")
    return data


@router.post("/customers", response={201: dict})
def customer_create(request, payload: CustomerIn):
    from core.visibility import may

    if not may(request.user, Customer, Action.CHANGE):
        raise PermissionError
    data = _fields(payload.dict())
    c = services.customer_create(actor=request.user, name=data.pop("name"), region_id=data.pop("region_id"), **data)
    return Status(201, customer_out(c))


@router.patch("/customers/{customer_id}")
def customer_update(request, customer_id: int, payload: CustomerPatch):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    data = _fields(payload.dict(exclude_unset=True))
    return customer_out(services.customer_update(actor=request.user, customer=customer, **data))


@router.delete("/customers/{customer_id}", response={204: None})
def customer_delete(request, customer_id: int):
    customer = get_or_404(request.user, Customer, customer_id, Action.DELETE)
    services.customer_delete(actor=request.user, customer=customer)
    return Status(204, None)


# --- the living profile through the API --------------------------------------------------------------


def need_out(row, ranked) -> dict:
    return {
        "id": row.pk,
        "need": row.need_point.code,
        "name": row.need_point.name,
        "expected": row.expected,
        "deliverable": row.deliverable,
        "pressure": row.pressure,
        "stage": row.stage,
        "state": row.state,
        "state_at": row.state_at.isoformat(),
        "source": row.source,
        "reasons": row.reasons,
        "rank": ranked.rank,
        "met": ranked.met,
    }


@router.get("/customers/{customer_id}/profile")
def customer_profile(request, customer_id: int):
    """The living profile: classification, needs ranked by pressure, grade, tier, people, machines."""
    p = selectors.customer_profile(request.user, customer_id)
    c = p.customer
    return {
        "customer": customer_out(c),
        "classification": {name: getattr(c, name) for name in services.CLASSIFICATION},
        "tier": c.tier,
        "needs": [need_out(row, r) for row, r in p.model["ranked"]],
        "accuracy": p.model["accuracy"],
        "ready_to_close": p.model["ready"],
        "grade_history": [
            {"from": ch.old, "to": ch.new, "reason": ch.reason, "at": ch.at.isoformat(), "by": ch.by_id}
            for ch in p.grade_changes
        ],
        "tier_history": [
            {"from": ch.old, "to": ch.new, "reason": ch.reason, "at": ch.at.isoformat(), "by": ch.by_id}
            for ch in p.tier_changes
        ],
        "relations": [
            {
                "id": r.pk,
                "kind": r.kind,
                "name": r.name,
                "relation": r.relation,
                "phone": r.phone,
                "influence": r.influence,
                "linked_customer": r.linked_customer_id,
            }
            for r in p.relations
        ],
        "influences": [
            {"customer": r.customer_id, "name": str(r.customer), "relation": r.relation, "influence": r.influence}
            for r in p.influences
        ],
        "machines": [
            {
                "id": m.pk,
                "brand": m.brand,
                "model": m.model,
                "count": m.count,
                "years_used": m.years_used,
                "opinion": m.opinion,
            }
            for m in p.machines
        ],
        "contacts": [{"id": x.pk, "name": x.name, "phone": x.phone, "title": x.title} for x in p.contacts],
        "projects": [{"id": pr.pk, "name": pr.name} for pr in p.projects],
    }


class ClassificationIn(Schema):
    work_type: str | None = None
    engineering_kind: str | None = None
    use: str | None = None
    scale: str | None = None
    capital: int | None = None
    experience: int | None = None
    winning: int | None = None
    decision: int | None = None
    influence: int | None = None
    susceptibility: int | None = None
    machine_count: int | None = None


@router.put("/customers/{customer_id}/classification")
def customer_classify(request, customer_id: int, payload: ClassificationIn):
    """Set the classification; needs not yet verified follow the new preset."""
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    services.customer_classify(actor=request.user, customer=customer, **payload.dict(exclude_unset=True))
    return customer_profile(request, customer_id)


class NeedIn(Schema):
    expected: int | None = None
    deliverable: int | None = None
    stage: str | None = None
    confirmed_with_customer: bool = False
    source: str = "conversation"
    note: str = ""


@router.post("/customers/{customer_id}/needs/{need_id}")
def need_record(request, customer_id: int, need_id: int, payload: NeedIn):
    """Verify a need with the customer (confirmed_with_customer) or revise it with new values."""
    from .models import CustomerNeed

    need = get_or_404(
        request.user,
        CustomerNeed,
        need_id,
        Action.CHANGE,
        queryset=CustomerNeed.objects.filter(customer_id=customer_id),
    )
    services.need_record(actor=request.user, need=need, **payload.dict())
    return customer_profile(request, customer_id)


class GradeIn(Schema):
    grade: int | None
    reason: str = ""


@router.post("/customers/{customer_id}/grade")
def grade_set(request, customer_id: int, payload: GradeIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    return customer_out(services.grade_set(actor=request.user, customer=customer, **payload.dict()))


class TierIn(Schema):
    tier: str
    reason: str = ""


@router.post("/customers/{customer_id}/tier")
def tier_set(request, customer_id: int, payload: TierIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    services.tier_set(actor=request.user, customer=customer, **payload.dict())
    return {"id": customer.pk, "tier": customer.tier}


class RelationIn(Schema):
    kind: str
    name: str
    relation: str
    phone: str = ""
    occupation: str = ""
    influence: int = 3


@router.post("/customers/{customer_id}/relations", response={201: dict})
def relation_add(request, customer_id: int, payload: RelationIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    r = services.relation_add(actor=request.user, customer=customer, **payload.dict())
    return Status(201, {"id": r.pk, "linked_customer": r.linked_customer_id})


class MachineIn(Schema):
    brand: str
    model: str = ""
    count: int = 1
    years_used: int | None = None
    opinion: str = ""


@router.post("/customers/{customer_id}/machines", response={201: dict})
def machine_add(request, customer_id: int, payload: MachineIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    m = services.machine_add(actor=request.user, customer=customer, **payload.dict())
    return Status(201, {"id": m.pk})


class ContactIn(Schema):
    name: str
    phone: str = ""
    title: str = ""


@router.post("/customers/{customer_id}/contacts", response={201: dict})
def contact_add(request, customer_id: int, payload: ContactIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    x = services.contact_add(actor=request.user, customer=customer, **payload.dict())
    return Status(201, {"id": x.pk})
