"""Check-in, check-out and site photos (visits/checkin.py, views_checkin.py, api_checkin.py).

Positions are real: the customer's yard in Jinan's Licheng district and points measured from it
with the haversine distance (visits.rules.distance_m).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image

from core.audit import history_for
from customers.models import Customer
from visits import checkin as svc
from visits import rules
from visits.method import settings_for
from visits.models import Visit, VisitPhoto, VisitSettings
from visits.services import visit_open


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' messages are matched by their English source text here (a page shows them in
    the user's language: zh-Hans by default, see the browser tests)."""
    with translation.override("en"):
        yield


# 济南市历城区 — a customer's yard, and points north of it (1e-3 degree of latitude ≈ 111 m)
YARD = (Decimal("36.680100"), Decimal("117.063400"))
NEAR = ("36.680900", "117.063400")  # ≈ 89 m
FAR = ("36.691000", "117.063400")  # ≈ 1.2 km


def _metres(a, b) -> int:
    return round(rules.distance_m(float(a[0]), float(a[1]), float(b[0]), float(b[1])))


def _locate(customer: Customer, where=YARD) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(latitude=where[0], longitude=where[1])
    customer.refresh_from_db()
    return customer


@pytest.fixture
def visit(org) -> Visit:
    _locate(org.cust_a1)
    return visit_open(actor=org.sales_a1, customer=org.cust_a1)


def _checked_in(org, visit, at=NEAR, accuracy=12) -> Visit:
    return svc.checkin(actor=org.sales_a1, visit=visit, lat=at[0], lng=at[1], accuracy_m=accuracy)


def jpeg_bytes(size=(800, 600), *, gps=True, orientation=6, fmt="JPEG") -> bytes:
    """A real photo-like JPEG with the EXIF a phone writes: rotation and where it was taken."""
    image = Image.new("RGB", size, (180, 120, 40))
    for x in range(0, size[0], 40):  # some structure, so it is not a flat colour
        image.paste((30, 30, 30), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (36.0, 40.0, 48.36), 3: "E", 4: (117.0, 3.0, 48.24)}
    exif[ExifTags.Base.Make] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def upload(data: bytes, name="IMG_0001.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# ------------------------------------------------------------------------------------------ check-in
def test_inside_the_radius_is_a_clean_check_in(org, visit):
    v = _checked_in(org, visit)
    assert v.checkin_at is not None and not v.checkin_manual
    assert v.checkin_distance_m == _metres(NEAR, YARD) and 80 <= v.checkin_distance_m <= 100
    assert v.checkin_accuracy_m == 12
    assert (v.checkin_lat, v.checkin_lng) == (Decimal(NEAR[0]), Decimal(NEAR[1]))
    assert not v.flagged and v.flag_reason == ""


def test_outside_the_radius_is_flagged_not_refused_and_says_why(org, visit):
    v = _checked_in(org, visit, at=FAR)
    assert v.checkin_at is not None  # recorded
    assert v.flagged
    assert 1100 <= v.checkin_distance_m <= 1300
    assert f"{v.checkin_distance_m} m" in v.flag_reason and "500 m" in v.flag_reason
    assert Visit.objects.get(pk=visit.pk).flagged


def test_the_radius_is_the_dealers_setting(org, visit):
    VisitSettings.objects.update_or_create(company=org.company, defaults={"checkin_radius_m": 2000})
    assert not _checked_in(org, visit, at=FAR).flagged


def test_an_inaccurate_fix_is_flagged_and_does_not_set_the_customers_location(org):
    visit = visit_open(actor=org.sales_a1, customer=org.cust_a1)  # the customer has no location
    v = svc.checkin(actor=org.sales_a1, visit=visit, lat=NEAR[0], lng=NEAR[1], accuracy_m=1500.4)
    assert v.flagged and v.checkin_accuracy_m == 1500
    assert "±1500 m" in v.flag_reason
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.latitude is None


def test_the_first_good_check_in_stores_the_customers_location_audited(org):
    assert org.cust_a1.latitude is None
    visit = visit_open(actor=org.sales_a1, customer=org.cust_a1)
    v = svc.checkin(actor=org.sales_a1, visit=visit, lat=YARD[0], lng=YARD[1], accuracy_m=8)
    assert not v.flagged and v.checkin_distance_m == 0
    org.cust_a1.refresh_from_db()
    assert (org.cust_a1.latitude, org.cust_a1.longitude) == YARD
    entry = history_for(org.cust_a1).first()
    assert "latitude" in entry.changes and entry.changes["latitude"][0] is None

    # the next visit is measured against it
    later = visit_open(actor=org.sales_a1, customer=org.cust_a1, day=timezone.localdate() + dt.timedelta(days=3))
    Visit.objects.filter(pk=later.pk).update(planned_on=timezone.localdate())
    later.refresh_from_db()
    assert svc.checkin(actor=org.sales_a1, visit=later, lat=FAR[0], lng=FAR[1], accuracy_m=10).flagged


def test_a_manual_check_in_needs_a_reason_and_is_flagged_with_it(org, visit):
    with pytest.raises(ValidationError) as exc:
        svc.checkin(actor=org.sales_a1, visit=visit, lat=None, lng=None, accuracy_m=None, manual_reason="  ")
    assert list(exc.value.message_dict) == ["manual_reason"]
    assert Visit.objects.get(pk=visit.pk).checkin_at is None  # nothing written

    v = svc.checkin(actor=org.sales_a1, visit=visit, lat=None, lng=None, accuracy_m=None, manual_reason="山里没有信号")
    assert v.checkin_manual and v.flagged and v.checkin_reason == "山里没有信号"
    assert "山里没有信号" in v.flag_reason and v.checkin_distance_m is None and v.checkin_lat is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lat": "36.68", "lng": None, "accuracy_m": 10}, "lng"),
        ({"lat": "95", "lng": "117", "accuracy_m": 10}, "lat"),
        ({"lat": "36.68", "lng": "abc", "accuracy_m": 10}, "lng"),
        ({"lat": "36.68", "lng": "117.06", "accuracy_m": None}, "accuracy_m"),
        ({"lat": "36.68", "lng": "117.06", "accuracy_m": -3}, "accuracy_m"),
    ],
)
def test_bad_positions_are_refused_naming_the_field(org, visit, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        svc.checkin(actor=org.sales_a1, visit=visit, **kwargs)
    assert field in exc.value.message_dict


def test_a_second_check_in_is_refused_unless_it_corrects_a_flagged_one(org, visit):
    first = _checked_in(org, visit)
    with pytest.raises(ValidationError, match="already"):
        _checked_in(org, first)

    other = visit_open(actor=org.sales_a2, customer=_locate(org.cust_a2))
    flagged = svc.checkin(actor=org.sales_a2, visit=other, lat=FAR[0], lng=FAR[1], accuracy_m=10)
    Visit.objects.filter(pk=other.pk).update(checkin_at=timezone.now() - dt.timedelta(minutes=30))
    corrected = svc.checkin(actor=org.sales_a2, visit=flagged, lat=NEAR[0], lng=NEAR[1], accuracy_m=10)
    assert not corrected.flagged and corrected.flag_reason == ""
    assert timezone.now() - corrected.checkin_at < dt.timedelta(minutes=1)  # the clock restarted

    svc.checkout(actor=org.sales_a1, visit=first)
    with pytest.raises(ValidationError, match="checked out"):
        _checked_in(org, first)


def test_only_the_salesperson_of_the_visit_checks_in(org, visit):
    with pytest.raises(PermissionError):
        svc.checkin(actor=org.manager_a, visit=visit, lat=NEAR[0], lng=NEAR[1], accuracy_m=5)
    with pytest.raises(PermissionError):
        svc.checkout(actor=org.finance, visit=visit)


def test_checkout_counts_the_minutes_and_moves_the_last_follow_up(org, visit):
    with pytest.raises(ValidationError, match="Check in first"):
        svc.checkout(actor=org.sales_a1, visit=visit)
    v = _checked_in(org, visit)
    arrived = timezone.now() - dt.timedelta(minutes=42, seconds=10)
    Visit.objects.filter(pk=v.pk).update(checkin_at=arrived)
    v.refresh_from_db()
    done = svc.checkout(actor=org.sales_a1, visit=v, lat=NEAR[0], lng=NEAR[1])
    assert done.status == Visit.Status.DONE and done.checkout_at is not None
    assert done.minutes_on_site == 42 == rules.minutes_between(done.checkin_at, done.checkout_at)
    assert done.checkout_lat == Decimal(NEAR[0])
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.last_followup_at == arrived
    with pytest.raises(ValidationError, match="Already checked out"):
        svc.checkout(actor=org.sales_a1, visit=done)


@given(
    north_m=st.floats(min_value=0, max_value=5000),
    accuracy=st.floats(min_value=1, max_value=3000),
    radius=st.integers(min_value=50, max_value=3000),
)
def test_a_flag_always_says_why_and_a_clean_check_in_says_nothing(north_m, accuracy, radius):
    lat = float(YARD[0]) + north_m / 111_195
    verdict = rules.judge_checkin(
        lat=lat, lng=float(YARD[1]), accuracy_m=accuracy, customer_lat=float(YARD[0]),
        customer_lng=float(YARD[1]), radius_m=radius,
    )  # fmt: skip
    words = svc.flag_words(verdict, radius_m=radius, accuracy_m=round(accuracy))
    assert bool(words) == verdict.flagged and len(words) <= 200
    assert len(words.split("; ")) == len(verdict.reasons) or not words  # one sentence per reason
    if "outside" in verdict.reasons:
        assert str(verdict.distance_m) in words and str(radius) in words


# ------------------------------------------------------------------------------------------ photos
def test_a_real_jpeg_is_stored_upright_without_gps_with_a_320px_thumbnail(org, visit):
    v = _checked_in(org, visit)
    photo = svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes()))
    assert photo.by == org.sales_a1 and photo.visit == v
    assert (photo.width, photo.height) == (600, 800)  # EXIF orientation 6 applied
    assert photo.image.name.startswith(f"visits/{org.company.pk}/{v.pk}/") and "IMG_0001" not in photo.image.name
    with default_storage.open(photo.image.name) as fh:
        stored = Image.open(fh)
        stored.load()
    assert stored.format == "JPEG" and stored.size == (600, 800)
    exif = stored.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and ExifTags.Base.Make not in exif
    with default_storage.open(photo.thumbnail.name) as fh:
        thumb = Image.open(fh)
        thumb.load()
    assert thumb.format == "JPEG" and thumb.size == (240, 320)


def test_png_and_webp_are_accepted_small_pictures_not_enlarged(org, visit):
    v = _checked_in(org, visit)
    png = io.BytesIO()
    Image.new("RGBA", (200, 100), (0, 128, 0, 128)).save(png, "PNG")
    p1 = svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(png.getvalue(), "a.png", "image/png"))
    p2 = svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes(fmt="WEBP"), "b.webp", "image/webp"))
    with default_storage.open(p1.thumbnail.name) as fh:
        assert Image.open(fh).size == (200, 100)
    assert (p2.width, p2.height) == (600, 800)


def test_a_text_file_named_jpg_is_refused_naming_the_field(org, visit):
    v = _checked_in(org, visit)
    fake = upload("这不是照片，是一段文字。".encode() * 20, "现场.jpg", "image/jpeg")
    with pytest.raises(ValidationError) as exc:
        svc.photo_add(actor=org.sales_a1, visit=v, upload=fake)
    assert list(exc.value.message_dict) == ["photo"]
    assert "现场.jpg" in exc.value.message_dict["photo"][0]
    assert not VisitPhoto.objects.exists()


def test_a_gif_is_refused_by_its_real_format(org, visit):
    v = _checked_in(org, visit)
    gif = io.BytesIO()
    Image.new("RGB", (50, 50)).save(gif, "GIF")
    with pytest.raises(ValidationError, match="GIF"):
        svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(gif.getvalue(), "x.jpg"))


def test_a_truncated_photo_and_a_decompression_bomb_are_refused(org, visit):
    v = _checked_in(org, visit)
    whole = jpeg_bytes((1600, 1200))
    with pytest.raises(ValidationError) as exc:
        svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(whole[: len(whole) // 2], "cut.jpg"))
    assert list(exc.value.message_dict) == ["photo"]
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")  # 100 million pixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(ValidationError, match="too large"):
        svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(bomb.getvalue(), "bomb.png", "image/png"))
    assert not VisitPhoto.objects.exists()


def test_an_oversize_photo_is_refused_with_the_limit(org, visit):
    VisitSettings.objects.update_or_create(company=org.company, defaults={"photo_max_mb": 1})
    v = _checked_in(org, visit)
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    big = io.BytesIO()
    noise.save(big, "PNG")
    assert len(big.getvalue()) > 1024 * 1024
    with pytest.raises(ValidationError) as exc:
        svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(big.getvalue(), "big.png", "image/png"))
    assert list(exc.value.message_dict) == ["photo"] and "1 MB" in exc.value.message_dict["photo"][0]


def test_photos_need_a_check_in_and_only_the_taker_deletes_before_checkout(org, visit):
    with pytest.raises(ValidationError, match="Check in first"):
        svc.photo_add(actor=org.sales_a1, visit=visit, upload=upload(jpeg_bytes()))
    v = _checked_in(org, visit)
    photo = svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes()))
    keep = svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes()))
    with pytest.raises(PermissionError):
        svc.photo_delete(actor=org.manager_a, photo=photo)
    svc.photo_delete(actor=org.sales_a1, photo=photo)
    assert not VisitPhoto.objects.filter(pk=photo.pk).exists()
    svc.checkout(actor=org.sales_a1, visit=v)
    keep.visit.refresh_from_db()
    with pytest.raises(ValidationError, match="stay"):
        svc.photo_delete(actor=org.sales_a1, photo=keep)
    # photos may still be added the same day (a poor signal may delay the upload)
    assert svc.photo_add(actor=org.sales_a1, visit=keep.visit, upload=upload(jpeg_bytes())).pk


def test_a_deleted_photos_files_leave_the_storage_after_commit(org, visit, django_capture_on_commit_callbacks):
    v = _checked_in(org, visit)
    photo = svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes()))
    names = [photo.image.name, photo.thumbnail.name]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        svc.photo_delete(actor=org.sales_a1, photo=photo)
    assert not any(default_storage.exists(n) for n in names)


# ------------------------------------------------------------------------------------------ pages
def test_the_check_in_screen_for_the_salesperson(org, visit, client_as):
    page = client_as(org.sales_a1).get(f"/visits/{visit.pk}/checkin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="checkin-gps"' in html and 'name="manual_reason"' in html
    assert 'id="checkin-text"' in html and "visits/checkin.js" in html


def test_plain_form_posts_check_in_photo_and_check_out(org, visit, client_as):
    c = client_as(org.sales_a1)
    url = f"/visits/{visit.pk}/checkin/"
    r = c.post(url, {"lat": NEAR[0], "lng": NEAR[1], "accuracy_m": "12.7"})
    assert r.status_code == 302 and r.url == url
    page = c.get(url).content.decode()
    assert f"{_metres(NEAR, YARD)} m" in page and "±13 m" in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page

    r = c.post(f"/visits/{visit.pk}/photos/", {"photo": upload(jpeg_bytes())})
    assert r.status_code == 302
    photo = VisitPhoto.objects.get(visit=visit)
    assert f"/visits/photos/{photo.pk}/thumb/" in c.get(url).content.decode()

    r = c.post(f"/visits/{visit.pk}/checkout/")
    assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DONE and visit.checkout_at


def test_a_manual_check_in_without_reason_shows_the_error_next_to_the_field(org, visit, client_as):
    c = client_as(org.sales_a1)
    r = c.post(f"/visits/{visit.pk}/checkin/", {"lat": "", "lng": "", "accuracy_m": "", "manual_reason": ""})
    assert r.status_code == 422
    html = r.content.decode()
    assert 'data-testid="reason-error"' in html and "manual-open" in html
    r = c.post(f"/visits/{visit.pk}/checkin/", {"manual_reason": "定位权限被拒绝"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert 'data-testid="flag"' in r.content.decode() and "定位权限被拒绝" in r.content.decode()


def test_a_refused_photo_names_the_field_on_the_page(org, visit, client_as):
    _checked_in(org, visit)
    c = client_as(org.sales_a1)
    r = c.post(
        f"/visits/{visit.pk}/photos/",
        {"photo": upload(b"not a picture at all" * 10, "x.jpg")},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert 'data-testid="photo-error"' in r.content.decode()


def test_the_flagged_check_in_is_clear_to_the_manager(org, visit, client_as):
    _checked_in(org, visit, at=FAR)
    html = client_as(org.manager_a).get(f"/visits/{visit.pk}/checkin/").content.decode()
    assert 'data-testid="flag-reason"' in html and "500 m" in html
    assert 'data-testid="checkin-gps"' not in html and 'data-testid="checkout"' not in html
    assert str(org.sales_a1) in html


def test_another_salespersons_visit_is_404_and_finance_may_look_but_not_check_in(org, visit, client_as):
    url = f"/visits/{visit.pk}/checkin/"
    for outsider in (org.sales_a2, org.sales_b1, org.manager_b):
        c = client_as(outsider)
        assert c.get(url).status_code == 404
        assert c.post(url, {"lat": NEAR[0], "lng": NEAR[1], "accuracy_m": 5}).status_code == 404
        assert c.post(f"/visits/{visit.pk}/checkout/").status_code == 404
        assert c.post(f"/visits/{visit.pk}/photos/", {"photo": upload(jpeg_bytes())}).status_code == 404
    finance = client_as(org.finance)
    page = finance.get(url)
    assert page.status_code == 200 and 'data-testid="not-checked-in"' in page.content.decode()
    assert finance.post(url, {"lat": NEAR[0], "lng": NEAR[1], "accuracy_m": 5}).status_code == 403
    assert client_as(org.manager_a).post(url, {"lat": NEAR[0], "lng": NEAR[1], "accuracy_m": 5}).status_code == 403
    assert Visit.objects.get(pk=visit.pk).checkin_at is None


def test_a_photo_is_served_only_to_those_who_may_see_the_visit(org, other, visit, client_as, settings):
    photo = svc.photo_add(actor=org.sales_a1, visit=_checked_in(org, visit), upload=upload(jpeg_bytes()))
    for who in (org.sales_a1, org.manager_a, org.finance, org.admin):
        for size, dims in (("full", (600, 800)), ("thumb", (240, 320))):
            r = client_as(who).get(f"/visits/photos/{photo.pk}/{size}/")
            assert r.status_code == 200, (who, size)
            assert r["Content-Type"] == "image/jpeg"
            assert r["Cache-Control"].startswith("private")
            assert Image.open(io.BytesIO(b"".join(r.streaming_content))).size == dims
    c = client_as(org.sales_a1)
    etag = c.get(f"/visits/photos/{photo.pk}/thumb/")["ETag"]
    assert c.get(f"/visits/photos/{photo.pk}/thumb/", headers={"If-None-Match": etag}).status_code == 304
    assert c.get(f"/visits/photos/{photo.pk}/huge/").status_code == 404
    for who in (org.sales_a2, org.sales_b1, org.manager_b, org.service, other.admin):
        assert client_as(who).get(f"/visits/photos/{photo.pk}/full/").status_code == 404, who
    from django.test import Client

    anonymous = Client().get(f"/visits/photos/{photo.pk}/full/")
    assert anonymous.status_code == 302 and "/login/" in anonymous.url
    # never from a public address
    assert client_as(org.sales_a1).get(f"/{settings.MEDIA_URL}{photo.image.name}").status_code == 404
    assert settings.MEDIA_URL not in client_as(org.sales_a1).get(f"/visits/{visit.pk}/checkin/").content.decode()


def test_deleting_a_photo_on_the_page(org, visit, client_as):
    photo = svc.photo_add(actor=org.sales_a1, visit=_checked_in(org, visit), upload=upload(jpeg_bytes()))
    assert client_as(org.manager_a).post(f"/visits/photos/{photo.pk}/delete/").status_code == 403
    assert client_as(org.sales_a2).post(f"/visits/photos/{photo.pk}/delete/").status_code == 404
    r = client_as(org.sales_a1).post(f"/visits/photos/{photo.pk}/delete/", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-testid="photo"' not in r.content.decode()
    assert not VisitPhoto.objects.exists()


# ------------------------------------------------------------------------------------------ flagged list
def _flagged_visits(org, n: int, *, salesperson=None, customer=None):
    """n flagged check-ins today (manual ones: no position needed), each on its own visit."""
    salesperson = salesperson or org.sales_a1
    customer = customer or org.cust_a1
    out = []
    for i in range(n):
        v = Visit.objects.create(
            company=org.company, customer=customer, salesperson=salesperson, planned_on=timezone.localdate()
        )
        out.append(
            svc.checkin(actor=salesperson, visit=v, lat=None, lng=None, accuracy_m=None, manual_reason=f"原因{i}")
        )
    return out


def test_the_flagged_list_shows_the_managers_regions_of_the_day(org, client_as):
    _flagged_visits(org, 2)
    _flagged_visits(org, 1, salesperson=org.sales_b1, customer=org.cust_b1)
    clean = visit_open(actor=org.sales_a2, customer=_locate(org.cust_a2))
    svc.checkin(actor=org.sales_a2, visit=clean, lat=NEAR[0], lng=NEAR[1], accuracy_m=5)

    page = client_as(org.manager_a).get("/visits/flagged/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="flagged-row"') == 2
    assert "原因0" in html and org.cust_a1.name in html and str(org.sales_a1) in html
    assert org.cust_b1.name not in html and org.cust_a2.name not in html
    assert client_as(org.manager_b).get("/visits/flagged/").content.decode().count('data-testid="flagged-row"') == 1

    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    other_day = client_as(org.manager_a).get(f"/visits/flagged/?day={yesterday}").content.decode()
    assert 'data-testid="flagged-row"' not in other_day
    assert client_as(org.manager_a).get("/visits/flagged/?day=31/12").status_code == 200
    assert client_as(org.sales_a1).get("/visits/flagged/").status_code == 403
    assert client_as(org.finance).get("/visits/flagged/").status_code == 403


# ------------------------------------------------------------------------------------------ query counts
def test_the_check_in_page_costs_a_fixed_number_of_queries(org, visit, client_as, django_assert_num_queries):
    v = _checked_in(org, visit)
    c = client_as(org.sales_a1)
    url = f"/visits/{v.pk}/checkin/"
    svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes((200, 100), gps=False)))
    settings_for(org.company.pk)  # installed once
    # session, user, roles, the visit, its settings, may-change, photos
    with django_assert_num_queries(7):
        assert c.get(url).status_code == 200
    for _ in range(4):
        svc.photo_add(actor=org.sales_a1, visit=v, upload=upload(jpeg_bytes((200, 100), gps=False)))
    with django_assert_num_queries(7):
        many = c.get(url)
    assert many.content.decode().count('data-testid="photo"') == 5


def test_the_flagged_list_costs_a_fixed_number_of_queries(org, client_as, django_assert_num_queries):
    c = client_as(org.manager_a)
    _flagged_visits(org, 2)
    # session, user, roles, regions, count, page
    with django_assert_num_queries(6):
        assert c.get("/visits/flagged/").status_code == 200
    _flagged_visits(org, 4, salesperson=org.sales_a2, customer=org.cust_a2)
    with django_assert_num_queries(6):
        many = c.get("/visits/flagged/")
    assert many.content.decode().count('data-testid="flagged-row"') == 6


# ------------------------------------------------------------------------------------------ API
def test_api_check_in_photos_and_check_out(org, visit, api_as):
    api = api_as(org.sales_a1)
    r = api.post(f"/api/visits/{visit.pk}/checkin", {"lat": float(FAR[0]), "lng": float(FAR[1]), "accuracy_m": 9})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["flagged"] and body["checkin"]["distance_m"] == _metres(FAR, YARD)
    assert body["checkin"]["accuracy_m"] == 9 and "500 m" in body["flag_reason"]
    assert api.get(f"/api/visits/{visit.pk}/checkin").json()["flagged"]

    r = api.client.post(f"/api/visits/{visit.pk}/photos", {"photo": upload(jpeg_bytes())}, headers=api.headers)
    assert r.status_code == 201, r.content
    photo = r.json()
    assert photo["width"] == 600 and photo["thumbnail_url"] == f"/visits/photos/{photo['id']}/thumb/"
    bad = api.client.post(f"/api/visits/{visit.pk}/photos", {"photo": upload(b"hello" * 50)}, headers=api.headers)
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["photo"]
    listed = api.get(f"/api/visits/{visit.pk}/photos").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == photo["id"]

    r = api.post(f"/api/visits/{visit.pk}/checkout", {"lat": float(NEAR[0]), "lng": float(NEAR[1])})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["minutes_on_site"] == 0
    assert api.delete(f"/api/visits/photos/{photo['id']}").status_code == 422  # checked out: the photo stays


def test_api_manual_check_in_errors_and_permissions(org, visit, api_as):
    api = api_as(org.sales_a1)
    r = api.post(f"/api/visits/{visit.pk}/checkin", {})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["manual_reason"]
    assert api_as(org.sales_a2).post(f"/api/visits/{visit.pk}/checkin", {"manual_reason": "x"}).status_code == 404
    forbidden = api_as(org.finance).post(f"/api/visits/{visit.pk}/checkin", {"manual_reason": "x"})
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert api_as(org.finance).get(f"/api/visits/{visit.pk}/photos").status_code == 200
    assert api_as(org.sales_b1).get(f"/api/visits/{visit.pk}/photos").status_code == 404
    r = api.post(f"/api/visits/{visit.pk}/checkin", {"manual_reason": "手机没电，借同事手机登录"})
    assert r.status_code == 200 and r.json()["checkin"]["manual"] and r.json()["flagged"]
    assert api.post(f"/api/visits/{visit.pk}/checkout", raw="").status_code == 200  # no body: no position


def test_api_flagged_list(org, api_as):
    _flagged_visits(org, 2)
    r = api_as(org.manager_a).get("/api/visits/flagged")
    assert r.status_code == 200, r.content
    assert r.json()["count"] == 2 and r.json()["items"][0]["manual"]
    assert api_as(org.manager_b).get("/api/visits/flagged").json()["count"] == 0
    assert api_as(org.manager_a).get("/api/visits/flagged?day=2026-13-01").status_code == 400
    assert api_as(org.manager_a).get("/api/visits/flagged?dya=2026-01-01").status_code == 400
    assert api_as(org.sales_a1).get("/api/visits/flagged").status_code == 403


def test_a_check_in_never_checked_out_is_closed_and_flagged_at_night(org):
    from visits.tasks import close_forgotten_checkins_task

    now = timezone.now()
    yesterday = now - dt.timedelta(days=1)
    forgotten = visit_open(actor=org.sales_a1, customer=org.cust_a1)
    Visit.objects.filter(pk=forgotten.pk).update(checkin_at=yesterday)
    today = visit_open(actor=org.sales_a2, customer=org.cust_a2)
    Visit.objects.filter(pk=today.pk).update(checkin_at=now)
    done = visit_open(actor=org.sales_b1, customer=org.cust_b1)
    Visit.objects.filter(pk=done.pk).update(checkin_at=yesterday, checkout_at=yesterday + dt.timedelta(minutes=40))

    assert svc.close_forgotten_checkins(now=now) == 1
    forgotten.refresh_from_db()
    assert forgotten.status == Visit.Status.DONE and forgotten.checkout_missing and forgotten.flagged
    assert "Not checked out" in forgotten.flag_reason or "未签退" in forgotten.flag_reason
    assert forgotten.checkout_at is None and forgotten.minutes_on_site is None  # unknown, not zero
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.last_followup_at == yesterday  # the visit counts from its check-in
    today.refresh_from_db()
    assert today.status == Visit.Status.PLANNED and not today.checkout_missing  # still on site
    # the next night leaves it alone; the task runs the same service
    assert close_forgotten_checkins_task.call() == 0
