"""One photo check for the whole project: site photos of a visit, the signed delivery list, FABE
evidence, the evidence of a risk signal.

    data = read_upload(upload, field="photo", max_mb=10)           # size checked before reading it all
    full, thumb, width, height = clean_image(data, name, field="photo")
    full = checked_photo(upload, field="checklist_photo", max_mb=10, missing=_("Take a photo…"))

The file must be an image Pillow can open (not judged by its name or content type). The stored copy
is re-encoded as JPEG with the EXIF orientation applied and no metadata at all (no GPS, no camera
serial), at most ``FULL_PX`` on the long side, plus a ``THUMB_PX`` thumbnail. Every refusal is a
ValidationError naming the caller's field, in the user's language.
"""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC photos (iPhone) when the optional pillow-heif plugin is installed
    from pillow_heif import register_heif_opener  # type: ignore[import-not-found]

    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF = False

# Pillow's format names. Phones' JPEGs are sometimes multi-picture JPEGs ("MPO").
ALLOWED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"} | ({"HEIF"} if HEIF else set()))
FORMAT_NAMES = "JPEG / PNG / WebP" + (" / HEIC" if HEIF else "")
FULL_PX = 2560  # long side of the stored copy
THUMB_PX = 320  # long side of the thumbnail
MAX_PIXELS = 60_000_000  # larger than any phone camera (a 50 MP sensor); refuses decompression bombs


def read_upload(upload, *, field: str, max_mb: int, photo: bool = True) -> bytes:
    """The bytes of an uploaded file of at most ``max_mb`` MB (never more is read), or a refusal
    naming ``field`` ("the photo is …" or, with ``photo=False``, "the file is …")."""
    limit = max_mb * 1024 * 1024
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        message = (
            _("The photo is %(size).1f MB; the largest allowed is %(max)d MB.")
            if photo
            else _("The file is %(size).1f MB; the largest allowed is %(max)d MB.")
        )
        raise ValidationError({field: message % {"size": size / 1024 / 1024, "max": max_mb}})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        message = (
            _("The photo is larger than %(max)d MB, the largest allowed.")
            if photo
            else _("The file is larger than %(max)d MB, the largest allowed.")
        )
        raise ValidationError({field: message % {"max": max_mb}})
    if not data:
        raise ValidationError({field: _("The file is empty.")})
    return data


def clean_image(data: bytes, name: str, *, field: str = "photo") -> tuple[bytes, bytes, int, int]:
    """(stored JPEG, thumbnail JPEG, width, height) — or a refusal naming ``field``."""

    def refuse(message: str) -> ValidationError:
        return ValidationError({field: message})

    not_a_photo = _("“%(name)s” is not a photo: send a %(formats)s picture.") % {
        "name": name or _("The file"),
        "formats": FORMAT_NAMES,
    }
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()  # structure and checksums, without decoding the pixels
        if fmt not in ALLOWED_FORMATS:
            raise refuse(
                _("%(format)s pictures are not accepted: send a %(formats)s photo.")
                % {"format": fmt, "formats": FORMAT_NAMES}
            )
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:  # checked before decoding: no decompression bombs
            raise refuse(_("The picture is too large (%(w)d × %(h)d).") % {"w": image.width, "h": image.height})
        image.load()  # decodes: a truncated or corrupt file fails here
        image = ImageOps.exif_transpose(image)
        icc = image.info.get("icc_profile")
        if image.mode not in ("RGB", "L"):  # transparency onto white; CMYK, 16 bit, palettes to RGB
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise refuse(_("The picture is too large.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError):
        raise refuse(not_a_photo) from None
    image.info = {}  # no EXIF (GPS, serial numbers), no XMP, no comments in what we store

    def encode(im: Image.Image, px: int, quality: int) -> tuple[bytes, int, int]:
        im = im.copy()
        im.thumbnail((px, px), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        extra = {"icc_profile": icc} if icc else {}
        im.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **extra)
        return out.getvalue(), im.width, im.height

    full, width, height = encode(image, FULL_PX, 85)
    thumb, _w, _h = encode(image, THUMB_PX, 78)
    return full, thumb, width, height


def checked_photo(upload, *, field: str, max_mb: int, missing: str) -> bytes:
    """The stored JPEG of an uploaded photo (``missing`` when there is none), or a refusal naming ``field``."""
    if upload is None:
        raise ValidationError({field: missing})
    data = read_upload(upload, field=field, max_mb=max_mb)
    full, _thumb, _w, _h = clean_image(data, str(getattr(upload, "name", "") or "")[:80], field=field)
    return full
