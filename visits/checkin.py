"""Check-in, check-out and site photos (签到·签退·现场照片), SPEC §2.

    checkin(actor=…, visit=…, lat=…, lng=…, accuracy_m=…)            # with the phone's position
    checkin(actor=…, visit=…, lat=None, lng=None, accuracy_m=None, manual_reason="没有信号")
    checkout(actor=…, visit=…, lat=…, lng=…)                          # time on site; the visit is done
    photo_add(actor=…, visit=…, upload=…)                              # verified, re-encoded, thumbnail
    photo_delete(actor=…, photo=…)

Decisions (the page and the API say the same):

- Only the salesperson of the visit checks in, out and takes photos: the check-in is the evidence
  that *they* were on site. Managers and finance read it (core.visibility).
- Outside the allowed radius (VisitSettings.checkin_radius_m), with a fix less precise than the
  radius, or without a position at all (a manual check-in, reason required) the visit is *flagged*
  for the manager — never refused (visits.rules.judge_checkin). ``flag_reason`` says why in words.
- The first check-in with a good fix stores the customer's location when none is stored (an
  audited ``customer.save(update_fields=…)``); later check-ins are measured against it.
- A second check-in on the same visit is refused — except as a *correction* of a flagged check-in
  before check-out (a better fix, or permission granted after a manual check-in). The correction
  replaces the position and the verdict and restarts the clock: time on site counts from the
  corrected check-in, so a correction can never lengthen a visit. The audit trail keeps the first.
- A check-in on a visit planned for a later day moves it to today (the customer was met earlier).
- Check-out needs a check-in; it marks the visit done (visits.services.visit_done, which moves the
  customer's last follow-up — the public pool's clock) with the check-in time as "visited at".
- Photos: only after check-in; on a poor signal an upload may only get through later, so adding
  stays open until the end of the day of check-out; deleting only before check-out, only by the
  taker. The file must be an image Pillow can open (not judged by name or content type), at most
  VisitSettings.photo_max_mb. The stored copy is re-encoded as JPEG with the EXIF orientation
  applied and no metadata at all (no GPS, no camera serial), at most 2560 px on the long side, plus
  a 320 px thumbnail; both go through Django's storage and are only served by the
  ``visits:photo`` view, which checks visibility.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import clean_image, read_upload
from core.models import User
from core.visibility import Action, can, visible

from . import rules
from .method import settings_for
from .models import Visit, VisitPhoto
from .services import visit_done

MAX_PHOTOS = 20  # per visit
_COORD = Decimal("0.000001")


# ------------------------------------------------------------------------------------------ input
def _coordinate(value, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError({field: _("Between -%(limit)d and %(limit)d.") % {"limit": limit}})
    return number.quantize(_COORD, rounding=ROUND_HALF_UP)


def _position(lat, lng) -> tuple[Decimal | None, Decimal | None]:
    """A position is both coordinates or neither."""
    lat_d, lng_d = _coordinate(lat, "lat", 90), _coordinate(lng, "lng", 180)
    if (lat_d is None) != (lng_d is None):
        missing = "lng" if lng_d is None else "lat"
        raise ValidationError({missing: _("Send both latitude and longitude, or neither.")})
    return lat_d, lng_d


def _accuracy(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({"accuracy_m": _("Enter a number.")}) from None
    if not number >= 0 or number > 10_000_000:  # also refuses NaN
        raise ValidationError({"accuracy_m": _("The accuracy is a distance in metres, zero or more.")})
    return max(1, round(number))


def _only_the_salesperson(actor: User, visit: Visit, message: str) -> None:
    if actor.pk != visit.salesperson_id or not can(actor, visit, Action.CHANGE):
        raise PermissionError(message)
    if visit.status == Visit.Status.CANCELLED:
        raise ValidationError({"__all__": _("This visit was cancelled.")})


def _time(at) -> str:
    return timezone.localtime(at).strftime("%H:%M")


# ------------------------------------------------------------------------------------------ check-in
def flag_words(verdict: rules.CheckinVerdict, *, radius_m: int, accuracy_m: int | None, reason: str = "") -> str:
    """Why a check-in is flagged, in words a manager understands."""
    parts = []
    for code in verdict.reasons:
        if code == "manual":
            parts.append(_("Checked in without a location: %(reason)s") % {"reason": reason})
        elif code == "outside":
            parts.append(
                _("%(distance)d m from the customer (allowed %(radius)d m)")
                % {"distance": verdict.distance_m, "radius": radius_m}
            )
        elif code == "inaccurate":
            parts.append(
                _("Location accurate only to ±%(accuracy)d m (allowed %(radius)d m)")
                % {"accuracy": accuracy_m or 0, "radius": radius_m}
            )
    text = "; ".join(parts)
    return text if len(text) <= 200 else text[:199] + "…"


@transaction.atomic
def checkin(
    *,
    actor: User,
    visit: Visit,
    lat: float | Decimal | str | None,
    lng: float | Decimal | str | None,
    accuracy_m: float | str | None,
    manual_reason: str = "",
) -> Visit:
    """Check in on site. Without a position it is a manual check-in (reason required); either way a
    doubtful check-in is flagged for the manager, never refused. See the module's decisions."""
    _only_the_salesperson(actor, visit, _("Only the salesperson of this visit checks in."))
    visit = Visit.objects.select_for_update().select_related("customer").get(pk=visit.pk)
    if visit.checkout_at:
        raise ValidationError(
            {
                "__all__": _("This visit was checked out at %(time)s; start a new visit to check in again.")
                % {"time": _time(visit.checkout_at)}
            }
        )
    if visit.checkin_at and not visit.flagged:
        raise ValidationError(
            {
                "__all__": _("You checked in at %(time)s already. Check out when you leave.")
                % {"time": _time(visit.checkin_at)}
            }
        )
    lat_d, lng_d = _position(lat, lng)
    accuracy = _accuracy(accuracy_m)
    reason = " ".join((manual_reason or "").split())
    if lat_d is None:
        if not reason:
            raise ValidationError(
                {"manual_reason": _("No location was sent: say why, e.g. “location permission denied”, “no signal”.")}
            )
        if len(reason) > 200:
            raise ValidationError({"manual_reason": _("At most 200 characters.")})
    elif accuracy is None:
        raise ValidationError({"accuracy_m": _("Send the accuracy of the position (metres).")})

    customer = visit.customer
    radius = settings_for(visit.company_id).checkin_radius_m
    verdict = rules.judge_checkin(
        lat=float(lat_d) if lat_d is not None else None,
        lng=float(lng_d) if lng_d is not None else None,
        accuracy_m=accuracy,
        customer_lat=float(customer.latitude) if customer.latitude is not None else None,
        customer_lng=float(customer.longitude) if customer.longitude is not None else None,
        radius_m=radius,
    )
    manual = lat_d is None
    store = verdict.store_location and can(actor, customer, Action.CHANGE)
    now = timezone.now()
    visit.checkin_at = now
    visit.checkin_lat, visit.checkin_lng = lat_d, lng_d
    visit.checkin_accuracy_m = None if manual else accuracy
    visit.checkin_distance_m = 0 if store else verdict.distance_m
    visit.checkin_manual = manual
    visit.checkin_reason = reason if manual else ""
    visit.flagged = verdict.flagged
    visit.flag_reason = flag_words(verdict, radius_m=radius, accuracy_m=accuracy, reason=reason)
    if visit.planned_on is None or visit.planned_on > timezone.localdate(now):
        visit.planned_on = timezone.localdate(now)  # met earlier than planned: it happens today
    visit.save()
    if store:  # the first good fix at this customer: from now on check-ins are measured against it
        customer.latitude, customer.longitude = lat_d, lng_d
        customer.save(update_fields=["latitude", "longitude"])
    return visit


@transaction.atomic
def checkout(
    *, actor: User, visit: Visit, lat: float | Decimal | str | None = None, lng: float | Decimal | str | None = None
) -> Visit:
    """Leave the site: time on site is counted, the visit is done (the customer's last follow-up moves)."""
    _only_the_salesperson(actor, visit, _("Only the salesperson of this visit checks out."))
    visit = Visit.objects.select_for_update().select_related("customer").get(pk=visit.pk)
    if visit.checkin_at is None:
        raise ValidationError({"__all__": _("Check in first: a visit is checked out when you leave the site.")})
    if visit.checkout_at:
        raise ValidationError({"__all__": _("Already checked out at %(time)s.") % {"time": _time(visit.checkout_at)}})
    lat_d, lng_d = _position(lat, lng)
    visit.checkout_at = max(timezone.now(), visit.checkin_at)
    visit.checkout_lat, visit.checkout_lng = lat_d, lng_d
    visit.save()
    visit = visit_done(actor=actor, visit=visit, at=visit.checkin_at)
    return visit


def minutes_on_site(visit: Visit, now=None) -> int | None:
    """Minutes from check-in to check-out (or to ``now`` while still on site)."""
    if visit.checkin_at is None:
        return None
    return rules.minutes_between(visit.checkin_at, visit.checkout_at or now or timezone.now())


# ------------------------------------------------------------------------------------------ photos
def _refuse(message: str) -> ValidationError:
    return ValidationError({"photo": message})


def photo_add(*, actor: User, visit: Visit, upload) -> VisitPhoto:
    """Add a site photo (``upload``: an uploaded file). Verified with Pillow, re-encoded without
    metadata, thumbnail made; stored through Django's storage.

    Not one big transaction on purpose: decoding a 10 MB photo must not hold the database's write
    lock. The checks and the image work come first, then the files, then the row in one
    transaction; if the row cannot be written the files are removed again.
    """
    _only_the_salesperson(actor, visit, _("Only the salesperson of this visit adds photos."))
    visit = Visit.objects.get(pk=visit.pk)  # the current check-in state, whatever the caller holds
    if visit.checkin_at is None:
        raise _refuse(_("Check in first: photos are taken on site."))
    today = timezone.localdate()
    if visit.checkout_at and timezone.localdate(visit.checkout_at) != today:
        raise _refuse(
            _("This visit was checked out on %(day)s; photos are added on the day of the visit.")
            % {"day": timezone.localdate(visit.checkout_at).isoformat()}
        )
    if VisitPhoto.objects.filter(visit=visit).count() >= MAX_PHOTOS:
        raise _refuse(_("A visit keeps at most %(n)d photos; delete one first.") % {"n": MAX_PHOTOS})
    if upload is None:
        raise _refuse(_("Choose a photo."))
    name = str(getattr(upload, "name", "") or "")[:80]
    data = read_upload(upload, field="photo", max_mb=settings_for(visit.company_id).photo_max_mb)
    full, thumb, width, height = clean_image(data, name, field="photo")

    token = secrets.token_hex(8)
    photo = VisitPhoto(
        company_id=visit.company_id,
        visit=visit,
        taken_at=timezone.now(),
        by=actor,
        width=width,
        height=height,
    )
    stored: list = []
    try:
        photo.image.save(f"{token}.jpg", ContentFile(full), save=False)
        stored.append(photo.image.name)
        photo.thumbnail.save(f"{token}_thumb.jpg", ContentFile(thumb), save=False)
        stored.append(photo.thumbnail.name)
        photo.width, photo.height = width, height
        with transaction.atomic():
            photo.save()
    except BaseException:
        for name_ in stored:
            photo.image.storage.delete(name_)
        raise
    return photo


@transaction.atomic
def photo_delete(*, actor: User, photo: VisitPhoto) -> None:
    """Only the taker deletes a photo, and only before check-out (after it, the photo is evidence)."""
    visit = photo.visit
    if actor.pk != photo.by_id or not can(actor, photo, Action.DELETE):
        raise PermissionError(_("Only whoever took the photo deletes it."))
    if visit.checkout_at:
        raise ValidationError({"photo": _("The visit is checked out: its photos stay.")})
    names = [n for n in (photo.image.name, photo.thumbnail.name) if n]
    storage = photo.image.storage
    photo.delete()
    transaction.on_commit(lambda: [storage.delete(n) for n in names])


# ------------------------------------------------------------------------------------------ reads
def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day as an aware [start, end) range (Asia/Shanghai by default)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def flagged_checkins(user: User, day: dt.date):
    """The flagged check-ins of ``day`` the user may see (a manager: those of their regions), latest first."""
    start, end = day_bounds(day)
    return (
        visible(user, Visit)
        .filter(flagged=True, checkin_at__gte=start, checkin_at__lt=end)
        .select_related("customer", "salesperson")
        .order_by("-checkin_at", "-id")
    )


# ------------------------------------------------------------------------------------------ nightly
def close_forgotten_checkins(now=None) -> int:
    """Nightly: a check-in of an earlier day never checked out still counts as a visit made (the
    customer's follow-up moves to the check-in), but its time on site is unknown and it is flagged
    for the manager. Returns how many visits were closed."""
    from core import audit
    from core.models import Channel

    from .services import record_done

    now = now or timezone.now()
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    forgotten = (
        Visit.objects.filter(checkin_at__lt=start_of_today, checkout_at__isnull=True, checkout_missing=False)
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("customer")
        .order_by("pk")
    )
    closed = 0
    with audit.acting(None, Channel.JOB):
        for visit in forgotten.iterator(chunk_size=500):
            with transaction.atomic():
                reason = _("Not checked out: time on site unknown.")
                visit.flagged = True
                visit.flag_reason = (f"{visit.flag_reason}；{reason}" if visit.flag_reason else reason)[:200]
                visit.checkout_missing = True
                visit.save(update_fields=["flagged", "flag_reason", "checkout_missing", "updated_at"])
                record_done(visit=visit, at=visit.checkin_at)
            closed += 1
    return closed
