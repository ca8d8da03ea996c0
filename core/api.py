"""The REST API's shared conventions (django-ninja): auth, errors, pagination, filters.

- Auth: ``Authorization: Bearer <token>`` (integrations, phones) or the browser session (+CSRF).
- Errors, always: {"error": {"code": str, "message": str, "fields": {name: [messages]}}}
- Lists: ``?limit=25&offset=0`` -> {"count": int, "items": [...]}; unknown query parameters are
  rejected with code "unknown_filter" naming them.
- Every endpoint reads and writes through core.visibility, like the pages.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from . import audit, services
from .models import ApiToken, Channel


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=services.api_token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        audit.set_context(row.user, Channel.API)
        return row.user


class SessionAuth(NinjaSessionAuth):
    """The pages' session cookie; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            audit.set_context(user, Channel.API)
        return user


class ErrorOut(Schema):
    error: dict


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class Utf8Renderer(JSONRenderer):
    """Chinese text readable in the raw JSON."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8Renderer(),
    title="DigDeal API",
    version="1",
    description="Sales and collections for machinery dealers. Same visibility rules as the pages.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_decorator=login_required,  # the API's description is for logged-in staff only
)


def _loc_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _validation(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        name = _loc_name(err.get("loc", ()))
        kind = err.get("type", "")
        if kind == "missing":
            msg = _("This field is required.")
        elif kind == "json_invalid":
            name, msg = "body", _("The request body is not valid JSON.")
        elif kind.startswith(("int_", "float_", "decimal_")):
            msg = _("Enter a number.")
        elif kind.startswith("date"):
            msg = _("Enter a date as YYYY-MM-DD.")
        else:
            msg = err.get("msg", _("Invalid value."))
        fields.setdefault(name, []).append(msg)
    names = "、".join(fields)
    return api.create_response(
        request, error_body("invalid", _("Invalid input: %(fields)s") % {"fields": names}, fields), status=422
    )


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    names = "、".join(fields)
    return api.create_response(
        request, error_body("invalid", _("Invalid input: %(fields)s") % {"fields": names}, fields), status=422
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, error_body("forbidden", _("Your role may not do this.")), status=403)


@api.exception_handler(PermissionError)
def _forbidden2(request, exc):
    """A service's refusal says its rule (e.g. who may verify a dossier); else the generic message."""
    return api.create_response(
        request, error_body("forbidden", str(exc) or _("Your role may not do this.")), status=403
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return api.create_response(request, error_body("unauthorized", _("Log in or send a valid API token.")), status=401)


class FilterError(Exception):
    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields


@api.exception_handler(FilterError)
def _filter_error(request, exc: FilterError):
    names = "、".join(exc.fields)
    return api.create_response(
        request, error_body("unknown_filter", _("Unknown filter: %(names)s") % {"names": names}, exc.fields), status=400
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 403 and "CSRF" in str(exc):
        body = error_body("csrf", _("The security token is missing or wrong: reload the page and try again."))
    elif exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja could not parse the body (not JSON): an input error like any other, naming "body"
        fields = {"body": [_("The request body is not valid JSON.")]}
        message = _("Invalid input: %(fields)s") % {"fields": "body"}
        return api.create_response(request, error_body("invalid", message, fields), status=422)
    else:
        body = error_body("error", str(exc))
    return api.create_response(request, body, status=exc.status_code)


def check_query(request, allowed: set[str]) -> None:
    """Reject query parameters that are not filters of this endpoint (typos must not pass silently)."""
    unknown = sorted(set(request.GET) - allowed - {"limit", "offset"})
    if unknown:
        raise FilterError({name: [_("Not a filter of this list.")] for name in unknown})


def paginate(request, queryset, serialize) -> dict:
    """The one pagination convention: limit/offset in, {count, items} out."""
    try:
        limit = int(request.GET.get("limit", settings.PAGE_SIZE))
        offset = int(request.GET.get("offset", 0))
    except ValueError:
        raise FilterError({"limit": [_("Enter a whole number.")]}) from None
    if not 1 <= limit <= settings.API_MAX_PAGE_SIZE:
        raise FilterError({"limit": [_("Between 1 and %(max)d.") % {"max": settings.API_MAX_PAGE_SIZE}]})
    if offset < 0:
        raise FilterError({"offset": [_("Zero or more.")]})
    return {"count": queryset.count(), "items": [serialize(obj) for obj in queryset[offset : offset + limit]]}
