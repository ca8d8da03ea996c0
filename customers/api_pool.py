"""API endpoints of the public pool (公海), mounted in digdeal/api.py.

Same selectors, services and visibility as the pages; errors in the API's one shape
(ValidationError → 422 naming the rule or field, PermissionError → 403, invisible rows → 404).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from core.api import FilterError, check_query, paginate
from core.models import Role, User
from core.visibility import Action, get_or_404

from . import pool
from .api import customer_out
from .models import Customer

router = Router(tags=["customers"])


def pool_customer_out(c: Customer, refusals: list | None = None, messages: dict | None = None) -> dict:
    out = customer_out(c)
    out |= {
        "protected": c.protected,
        "pool_entered_at": c.pool_entered_at.isoformat() if c.pool_entered_at else None,
        "previous_owner": c.previous_owner_id,
    }
    if refusals is not None:
        out["can_claim"] = not refusals
        out["claim_refusals"] = messages or {}
    return out


@router.get("/pool")
def pool_list(request, q: str = "", region: str = "", grade: str = ""):
    """Customers in the public pool the caller may see. Filters: q, region (an id or "mine"), grade.

    For salespeople each row says whether they may claim it now, and if not, why (by rule).
    """
    check_query(request, {"q", "region", "grade"})
    user = request.user
    if grade and grade not in pool.GRADES:
        raise FilterError({"grade": [_("The intent grade must be one of 9, 6, 3, 1, 0.")]})
    if region and region != "mine" and not region.isdigit():
        raise FilterError({"region": [_("Use a region id or “mine”.")]})
    qs = pool.pool_search(user, q=q, region=region, grade=grade)
    if not user.has_role(Role.SALESPERSON):
        return paginate(request, qs, pool_customer_out)
    now = timezone.localtime()
    limits = pool.limits_of(pool.pool_settings(user.company_id))
    claimant = pool.claimant_of(user, now)

    def out(c: Customer) -> dict:
        refusals = pool.claim_refusals(user, c, claimant=claimant, limits=limits, now=now)
        texts = {
            str(r): pool.refusal_message(r, user=user, customer=c, claimant=claimant, limits=limits, now=now)
            for r in refusals
        }
        return pool_customer_out(c, refusals, texts)

    return paginate(request, qs, out)


@router.post("/pool/{customer_id}/claim")
def pool_claim(request, customer_id: int):
    customer = get_or_404(request.user, Customer, customer_id, Action.VIEW)
    return pool_customer_out(pool.pool_claim(actor=request.user, customer=customer))


class ReleaseIn(Schema):
    reason: str


@router.post("/customers/{customer_id}/release")
def pool_release(request, customer_id: int, payload: ReleaseIn):
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    return pool_customer_out(pool.pool_release(actor=request.user, customer=customer, reason=payload.reason))


class ProtectIn(Schema):
    protected: bool


@router.post("/customers/{customer_id}/protect")
def pool_protect(request, customer_id: int, payload: ProtectIn):
    """Managers: protect a customer from the pool (it never returns) or lift the protection."""
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    return pool_customer_out(pool.pool_protect(actor=request.user, customer=customer, protected=payload.protected))


def _salesperson(actor, user_id: int | None, field: str) -> User:
    """A salesperson the manager may hand customers to (or take them from); a field error otherwise."""
    row = pool.salespeople_for(actor, active_only=False).filter(pk=user_id).first() if user_id else None
    if row is None:
        raise ValidationError({field: _("Choose a salesperson of your regions.")})
    return row


def _require_manager(user) -> None:
    if not user.has_role(Role.MANAGER, Role.ADMIN):
        raise PermissionError


class AssignIn(Schema):
    customers: list[int]
    to_user: int
    note: str = ""


@router.post("/pool/assign")
def pool_assign(request, payload: AssignIn):
    """Managers: give customers (from the pool or owned by others) to a salesperson."""
    _require_manager(request.user)
    to_user = _salesperson(request.user, payload.to_user, "to_user")
    moved = pool.pool_assign(actor=request.user, customers=payload.customers, to_user=to_user, note=payload.note)
    return {"moved": len(moved), "customers": [c.pk for c in moved], "to_user": to_user.pk}


class ReassignIn(Schema):
    from_user: int
    to_user: int | None = None  # null: back to the public pool
    note: str = ""


@router.post("/pool/reassign-all")
def pool_reassign_all(request, payload: ReassignIn):
    """Managers: every customer of a departing salesperson (in your regions) to another one, or the pool."""
    _require_manager(request.user)
    from_user = _salesperson(request.user, payload.from_user, "from_user")
    to_user = None if payload.to_user is None else _salesperson(request.user, payload.to_user, "to_user")
    done = pool.pool_reassign_all(actor=request.user, from_user=from_user, to_user=to_user, note=payload.note)
    return {"moved": done.moved, "to_pool": done.to_pool, "from_user": from_user.pk, "to_user": payload.to_user}
