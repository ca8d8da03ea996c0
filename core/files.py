"""Serving a stored file (a PDF, a photo, an uploaded document) to a user the caller has checked:
the view decides who may see it (core.visibility), this module only answers.

    return file_response(row.pdf, "BJ2026-00001.pdf")

Never cached by shared caches (``private``, ``Vary: Cookie, Authorization``), never sniffed into
another type; a missing file is a 404. Encrypted files (core.sensitive) are read plain through their
storage.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404


def file_response(
    field,
    filename: str = "",
    *,
    content_type: str | None = None,
    attachment: bool = False,
    cache: str = "private, max-age=3600",
    headers: dict[str, str] | None = None,
) -> FileResponse:
    """The stored file of a ``FileField`` value (``field``), inline unless ``attachment``."""
    if not field:
        raise Http404
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    kind = content_type or mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=kind)
    if filename:
        response["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    response["Vary"] = "Cookie, Authorization"
    for name, value in (headers or {}).items():
        response[name] = value
    return response
