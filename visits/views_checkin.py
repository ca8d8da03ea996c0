"""Pages of check-in, check-out and site photos (签到·签退·现场照片), and the manager's list of
flagged check-ins. Thin: parse, call visits.checkin, render.

Every POST works as a plain form post (redirect back to the check-in screen, errors shown next to
the field with HTTP 422) and as an htmx request (the screen's panel is swapped in place).
Photos are streamed by ``photo`` after a visibility check — never from a public /media/ URL.
"""

from __future__ import annotations

import datetime as dt
import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.images import FORMAT_NAMES
from core.models import Role
from core.visibility import Action, can, get_or_404

from . import checkin as services
from .method import settings_for
from .models import Visit, VisitPhoto

PAGE_TEMPLATE = "visits/checkin/page.html"
FLAGGED_PAGE = 50
CACHE_SECONDS = 7 * 24 * 3600  # a stored photo never changes; a deleted one answers 404


def _visits():
    return Visit.objects.select_related("customer", "salesperson")


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """Errors by the field shown on the screen; those of hidden fields (the position) go on top."""
    shown = {"manual_reason", "photo"}
    out: dict[str, list[str]] = {}
    if not hasattr(exc, "error_dict"):
        return {"general": exc.messages}
    labels = {"lat": _("Latitude"), "lng": _("Longitude"), "accuracy_m": _("Location accuracy")}
    for field, errs in exc.message_dict.items():
        if field in shown:
            out.setdefault(field, []).extend(errs)
        else:
            label = labels.get(field, "")
            out.setdefault("general", []).extend(f"{label}：{e}" if label else e for e in errs)
    return out


def _js_text() -> dict[str, str]:
    """The screen's messages for checkin.js, in the user's language."""
    return {
        "locating": _("Finding your location…"),
        "located": _("Location found (±{m} m). Checking in…"),
        "denied": _("Location permission was denied: check in manually and say why."),
        "unavailable": _("No location signal here: check in manually and say why."),
        "timeout": _("Finding the location took too long: check in manually, or try again in the open."),
        "unsupported": _("This browser cannot share its location: check in manually."),
        "reason_needed": _("Say why there is no location."),
        "preparing": _("Preparing the photo…"),
        "uploading": _("Uploading the photo… {p}%"),
        "upload_failed": _("The photo did not get through (poor signal?). Try again."),
        "send_failed": _("Nothing was sent (no connection?). Try again."),
        "checking_out": _("Checking out…"),
    }


def _state(visit: Visit) -> str:
    if visit.status == Visit.Status.CANCELLED:
        return "cancelled"
    if visit.checkout_at:
        return "out"
    return "in" if visit.checkin_at else "new"


def _context(request, visit: Visit, *, errors=None, values=None, notice: str = "") -> dict:
    """What the check-in screen shows: a fixed number of queries (settings, permission, photos)."""
    user = request.user
    conf = settings_for(visit.company_id)
    state = _state(visit)
    can_act = user.pk == visit.salesperson_id and state != "cancelled" and can(user, visit, Action.CHANGE)
    photos = list(visit.photos.all())
    today = timezone.localdate()
    add_open = state == "in" or (state == "out" and timezone.localdate(visit.checkout_at) == today)
    return {
        "visit": visit,
        "customer": visit.customer,
        "state": state,
        "can_act": can_act,
        "own": user.pk == visit.salesperson_id,
        "radius_m": conf.checkin_radius_m,
        "photo_max_mb": conf.photo_max_mb,
        "photo_formats": FORMAT_NAMES,
        "photos": photos,
        "can_add_photo": can_act and add_open and len(photos) < services.MAX_PHOTOS,
        "can_delete_photos": can_act and state == "in",
        "minutes": services.minutes_on_site(visit),
        "checkin_today": visit.checkin_at is not None and timezone.localdate(visit.checkin_at) == today,
        "errors": errors or {},
        "values": values or {},
        "notice": notice,
        "manual_open": bool(errors and "manual_reason" in errors),
        "reasons": [
            _("Location permission denied"),
            _("No GPS signal on site"),
            _("Phone location is switched off"),
            _("Met the customer somewhere else"),
        ],
        "js_text": _js_text(),
    }


def _panel(request, visit: Visit, *, status: int = 200, **kwargs):
    template = PAGE_TEMPLATE + "#panel" if _htmx(request) else PAGE_TEMPLATE
    return render(request, template, _context(request, visit, **kwargs), status=status)


def _done(request, visit: Visit, notice: str):
    """After a successful POST: the panel in place (htmx) or back to the screen (plain post)."""
    visit = _visits().get(pk=visit.pk)
    if _htmx(request):
        return _panel(request, visit, notice=notice)
    messages.success(request, notice)
    return redirect("visits:checkin", pk=visit.pk)


def _refused(request, visit: Visit, exc: Exception):
    if _htmx(request):
        return _panel(request, visit, status=422, errors={"general": [str(exc) or _("Your role may not do this.")]})
    return render(request, "403.html", {"message": str(exc)}, status=403)


def _invalid(request, visit: Visit, exc: ValidationError, values=None):
    return _panel(request, visit, status=422, errors=_errors_of(exc), values=values)


def _checkin_notice(visit: Visit, stored: bool) -> str:
    if visit.flagged:
        return _("Checked in — flagged for your manager: %(why)s") % {"why": visit.flag_reason}
    if stored:
        return _("Checked in. The customer had no stored location: this check-in stored it.")
    if visit.checkin_distance_m is None:
        return _("Checked in.")
    return _("Checked in %(d)d m from the customer.") % {"d": visit.checkin_distance_m}


# ------------------------------------------------------------------------------------------ pages
def checkin(request, pk: int):
    """GET: the check-in screen (anyone who may see the visit). POST: check in (its salesperson)."""
    if request.method == "POST":
        return _checkin_post(request, pk)
    visit = get_or_404(request.user, Visit, pk, Action.VIEW, queryset=_visits())
    return _panel(request, visit)


def _checkin_post(request, pk: int):
    visit = get_or_404(request.user, Visit, pk, Action.CHANGE, queryset=_visits())
    had_location = visit.customer.latitude is not None
    reason = request.POST.get("manual_reason", "")
    try:
        done = services.checkin(
            actor=request.user,
            visit=visit,
            lat=request.POST.get("lat") or None,
            lng=request.POST.get("lng") or None,
            accuracy_m=request.POST.get("accuracy_m") or None,
            manual_reason=reason,
        )
    except PermissionError as exc:
        return _refused(request, visit, exc)
    except ValidationError as exc:
        return _invalid(request, visit, exc, values={"manual_reason": reason})
    stored = not had_location and done.customer.latitude is not None
    return _done(request, done, _checkin_notice(done, stored))


@require_POST
def checkout(request, pk: int):
    visit = get_or_404(request.user, Visit, pk, Action.CHANGE, queryset=_visits())
    try:
        done = services.checkout(
            actor=request.user, visit=visit, lat=request.POST.get("lat") or None, lng=request.POST.get("lng") or None
        )
    except PermissionError as exc:
        return _refused(request, visit, exc)
    except ValidationError as exc:
        return _invalid(request, visit, exc)
    minutes = services.minutes_on_site(done) or 0
    return _done(request, done, _("Checked out: %(n)d min on site.") % {"n": minutes})


@require_POST
def photo_add(request, pk: int):
    visit = get_or_404(request.user, Visit, pk, Action.CHANGE, queryset=_visits())
    try:
        services.photo_add(actor=request.user, visit=visit, upload=request.FILES.get("photo"))
    except PermissionError as exc:
        return _refused(request, visit, exc)
    except ValidationError as exc:
        return _invalid(request, visit, exc)
    return _done(request, visit, _("Photo added."))


@require_POST
def photo_delete(request, pk: int):
    photo = get_or_404(request.user, VisitPhoto, pk, Action.DELETE, queryset=VisitPhoto.objects.select_related("visit"))
    visit = photo.visit
    try:
        services.photo_delete(actor=request.user, photo=photo)
    except PermissionError as exc:
        return _refused(request, _visits().get(pk=visit.pk), exc)
    except ValidationError as exc:
        return _invalid(request, _visits().get(pk=visit.pk), exc)
    return _done(request, visit, _("Photo deleted."))


@require_GET
def photo(request, pk: int, size: str):
    """A site photo ("full") or its thumbnail ("thumb") to whoever may see the visit; private cache."""
    if size not in ("full", "thumb"):
        raise Http404
    row = get_or_404(request.user, VisitPhoto, pk, Action.VIEW)
    field = row.thumbnail if size == "thumb" and row.thumbnail else row.image
    if not field:
        raise Http404
    etag = f'"p{row.pk}-{size}-{int(row.taken_at.timestamp())}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        try:
            handle = field.storage.open(field.name, "rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
        response = FileResponse(handle, content_type=content_type)
        suffix = "-thumb" if size == "thumb" else ""
        response["Content-Disposition"] = f'inline; filename="visit-{row.visit_id}-photo-{row.pk}{suffix}.jpg"'
        response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response["Vary"] = "Cookie, Authorization"
    return response


def _day_of(request) -> tuple[dt.date, bool]:
    raw = request.GET.get("day", "")
    if not raw:
        return timezone.localdate(), True
    try:
        return dt.date.fromisoformat(raw), True
    except ValueError:
        return timezone.localdate(), False


@require_GET
def flagged(request):
    """Managers: the flagged check-ins of their regions on a day (today by default)."""
    user = request.user
    if not user.has_role(Role.MANAGER, Role.ADMIN):
        return render(request, "403.html", {"message": _("Only managers review flagged check-ins.")}, status=403)
    day, ok = _day_of(request)
    page = Paginator(services.flagged_checkins(user, day), FLAGGED_PAGE).get_page(request.GET.get("page"))
    ctx = {
        "page_obj": page,
        "rows": page.object_list,
        "day": day,
        "bad_day": not ok,
        "today": timezone.localdate(),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "querystring_base": urlencode({"day": day.isoformat()}) + "&",
    }
    return render(request, "visits/checkin/flagged.html", ctx)
