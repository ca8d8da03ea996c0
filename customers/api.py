"""Customer endpoints: same selectors, services and visibility as the pages."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core import sensitive
from core.api import FilterError, check_query, paginate
from core.visibility import Action, get_or_404

from . import selectors, services
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
        "in_pool": c.in_pool,
        "region": c.region_id,
        "owner": c.owner_id,
        "updated_at": c.updated_at.isoformat(),
    }


@router.get("/customers")
def customer_list(request, q: str = "", grade: str = "", pool: str = ""):
    """Visible customers. Filters: q (name, mobile, pinyin initials), grade (9/6/3/1/0), pool (0/1)."""
    check_query(request, {"q", "grade", "pool"})
    if grade and grade not in {"9", "6", "3", "1", "0"}:
        raise FilterError({"grade": [_("The intent grade must be one of 9, 6, 3, 1, 0.")]})
    if pool and pool not in {"0", "1"}:
        raise FilterError({"pool": [_("Use 1 for the public pool, 0 for owned customers.")]})
    return paginate(request, selectors.customer_search(request.user, q=q, grade=grade, pool=pool), customer_out)


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
