"""API of check-in, check-out and site photos (see core/api.py for the conventions).

    POST   /api/visits/{id}/checkin     {"lat", "lng", "accuracy_m"} or {"manual_reason"} (no position)
    POST   /api/visits/{id}/checkout    {"lat", "lng"} (optional)
    POST   /api/visits/{id}/photos      multipart: photo
    GET    /api/visits/{id}/photos
    DELETE /api/visits/photos/{id}
    GET    /api/visits/flagged?day=YYYY-MM-DD     managers: the flagged check-ins of their regions

Same services and visibility as the pages: an invisible visit is 404, a visible one the caller may
not check in on is 403; bad input is 422 naming the field (``photo`` for a refused picture).
Photo addresses point at the ``visits:photo`` view (visibility checked, private caching).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from core.api import FilterError, check_query, paginate
from core.models import Role
from core.visibility import Action, get_or_404

from . import checkin as services
from .models import Visit, VisitPhoto

router = Router(tags=["visits"])


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _num(value) -> float | None:
    return float(value) if value is not None else None


def checkin_out(v: Visit) -> dict:
    return {
        "id": v.pk,
        "customer": v.customer_id,
        "customer_name": v.customer.name,
        "salesperson": v.salesperson_id,
        "status": v.status,
        "checkin": {
            "at": _iso(v.checkin_at),
            "lat": _num(v.checkin_lat),
            "lng": _num(v.checkin_lng),
            "accuracy_m": v.checkin_accuracy_m,
            "distance_m": v.checkin_distance_m,
            "manual": v.checkin_manual,
            "manual_reason": v.checkin_reason,
        },
        "flagged": v.flagged,
        "flag_reason": v.flag_reason,
        "checkout": {"at": _iso(v.checkout_at), "lat": _num(v.checkout_lat), "lng": _num(v.checkout_lng)},
        "minutes_on_site": services.minutes_on_site(v) if v.checkin_at else None,
        "done_at": _iso(v.done_at),
        "customer_location": {"lat": _num(v.customer.latitude), "lng": _num(v.customer.longitude)},
    }


def photo_out(p: VisitPhoto) -> dict:
    return {
        "id": p.pk,
        "visit": p.visit_id,
        "taken_at": p.taken_at.isoformat(),
        "by": p.by_id,
        "width": p.width,
        "height": p.height,
        "url": reverse("visits:photo", args=[p.pk, "full"]),
        "thumbnail_url": reverse("visits:photo", args=[p.pk, "thumb"]),
    }


def _visit(request, visit_id: int, action: Action) -> Visit:
    return get_or_404(request.user, Visit, visit_id, action, queryset=Visit.objects.select_related("customer"))


class CheckinIn(Schema):
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    manual_reason: str = ""


@router.post("/visits/{int:visit_id}/checkin")
def checkin(request, visit_id: int, payload: CheckinIn):
    """Check in with the phone's position and its accuracy; without a position, a manual check-in
    with ``manual_reason``. Outside the radius, imprecise or manual: flagged, never refused."""
    visit = services.checkin(
        actor=request.user,
        visit=_visit(request, visit_id, Action.CHANGE),
        lat=payload.lat,
        lng=payload.lng,
        accuracy_m=payload.accuracy_m,
        manual_reason=payload.manual_reason,
    )
    return checkin_out(visit)


class CheckoutIn(Schema):
    lat: float | None = None
    lng: float | None = None


@router.post("/visits/{int:visit_id}/checkout")
def checkout(request, visit_id: int, payload: CheckoutIn | None = None):
    """Check out: time on site is recorded and the visit is done (the customer's last follow-up moves)."""
    payload = payload or CheckoutIn()
    visit = services.checkout(
        actor=request.user, visit=_visit(request, visit_id, Action.CHANGE), lat=payload.lat, lng=payload.lng
    )
    return checkin_out(visit)


@router.get("/visits/{int:visit_id}/checkin")
def checkin_get(request, visit_id: int):
    """The visit's check-in state (whoever may see the visit)."""
    return checkin_out(_visit(request, visit_id, Action.VIEW))


@router.post("/visits/{int:visit_id}/photos", response={201: dict})
def photo_add(request, visit_id: int, photo: File[UploadedFile]):
    """A site photo (multipart field ``photo``): JPEG, PNG, WebP (HEIC when the server can read it),
    at most VisitSettings.photo_max_mb; checked by opening it, not by its name or content type."""
    visit = _visit(request, visit_id, Action.CHANGE)
    return Status(201, photo_out(services.photo_add(actor=request.user, visit=visit, upload=photo)))


@router.get("/visits/{int:visit_id}/photos")
def photo_list(request, visit_id: int):
    check_query(request, set())
    visit = _visit(request, visit_id, Action.VIEW)
    return paginate(request, VisitPhoto.objects.filter(visit=visit).order_by("taken_at", "id"), photo_out)


@router.delete("/visits/photos/{int:photo_id}", response={204: None})
def photo_delete(request, photo_id: int):
    """Only whoever took the photo, only before check-out."""
    photo = get_or_404(
        request.user, VisitPhoto, photo_id, Action.DELETE, queryset=VisitPhoto.objects.select_related("visit")
    )
    services.photo_delete(actor=request.user, photo=photo)
    return Status(204, None)


def flagged_out(v: Visit) -> dict:
    return {
        "id": v.pk,
        "checkin_at": _iso(v.checkin_at),
        "customer": v.customer_id,
        "customer_name": v.customer.name,
        "salesperson": v.salesperson_id,
        "salesperson_name": str(v.salesperson),
        "flag_reason": v.flag_reason,
        "manual": v.checkin_manual,
        "manual_reason": v.checkin_reason,
        "distance_m": v.checkin_distance_m,
        "accuracy_m": v.checkin_accuracy_m,
    }


@router.get("/visits/flagged")
def flagged(request, day: str = ""):
    """Managers: the flagged check-ins of their regions on ``day`` (default today), latest first."""
    check_query(request, {"day"})
    if not request.user.has_role(Role.MANAGER, Role.ADMIN):
        raise PermissionError
    try:
        when = dt.date.fromisoformat(day) if day else timezone.localdate()
    except ValueError:
        raise FilterError({"day": [_("Enter a date as YYYY-MM-DD.")]}) from None
    return paginate(request, services.flagged_checkins(request.user, when), flagged_out)
