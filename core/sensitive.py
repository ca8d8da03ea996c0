"""Sensitive personal data (敏感个人信息): encrypted at rest, masked on screen, every reveal logged.

Keys: ``FIELD_ENCRYPTION_KEYS`` holds Fernet keys, newest first. Values are encrypted with the
first and decrypted with any, so a key is rotated by putting a new one in front and running
``manage.py rotate_field_keys`` (which re-encrypts every value with the newest key), then dropping
the old one. Without keys (development only) a key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import models

from .models import SensitiveAccess


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:  # development only: `check --deploy` warns (digdeal.W001)
        digest = hashlib.sha256(("field-key:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def reset_keys_cache() -> None:
    _fernet.cache_clear()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # pragma: no cover - a wrong key is an operator error
        raise ImproperlyConfigured("A sensitive value cannot be decrypted: wrong FIELD_ENCRYPTION_KEYS?") from exc


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


def blind_index(value: str) -> str:
    """Keyed hash of a normalised value, to find duplicates without decrypting (e.g. ID numbers)."""
    norm = value.strip().upper()
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), norm.encode(), hashlib.sha256).hexdigest()[:32]


class EncryptedTextField(models.TextField):
    """Stores a Fernet token; Python code sees the plain text. Never filter on it (use blind_index)."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)


FERNET_PREFIX = b"gAAAAA"  # every Fernet token starts with its version byte 0x80, base64-encoded


class EncryptedFileSystemStorage(FileSystemStorage):
    """Files of sensitive personal data (ID cards, household registers, authorisations): on disk the
    bytes are a Fernet token under the same keys as the fields; reading through the storage (the
    views that check who may see the file) gives the plain file. A file stored before encryption was
    switched on is read as it is."""

    def _save(self, name, content):
        content.seek(0)
        return super()._save(name, ContentFile(_fernet().encrypt(content.read())))

    def _open(self, name, mode="rb"):
        with super()._open(name, "rb") as handle:
            data = handle.read()
        if data.startswith(FERNET_PREFIX):
            try:
                data = _fernet().decrypt(data)
            except InvalidToken as exc:  # pragma: no cover - a wrong key is an operator error
                raise ImproperlyConfigured(
                    "A sensitive file cannot be decrypted: wrong FIELD_ENCRYPTION_KEYS?"
                ) from exc
        return ContentFile(data, name=name)

    def size(self, name):
        return self._open(name).size

    def reencrypt(self, name) -> None:
        """Rewrite the file with the newest key (a file stored plain before is encrypted now)."""
        path = self.path(name)
        with open(path, "rb") as handle:
            data = handle.read()
        token = _fernet().rotate(data) if data.startswith(FERNET_PREFIX) else _fernet().encrypt(data)
        with open(path, "wb") as handle:
            handle.write(token)


_encrypted_storage = EncryptedFileSystemStorage()


def encrypted_storage() -> EncryptedFileSystemStorage:
    """The storage of sensitive files (a callable, so migrations name it instead of serialising it)."""
    return _encrypted_storage


def mask(value: str | None, head: int = 4, tail: int = 4) -> str:
    """1101**********1234 — keeps the first and last characters, stars in between."""
    if not value:
        return ""
    if len(value) <= head + tail:
        return value[:1] + "*" * (len(value) - 1)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def may_reveal(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*settings.SENSITIVE_REVEAL_ROLES)


def log_reveal(*, user, instance, field: str, channel: str) -> None:
    SensitiveAccess.objects.create(
        company_id=getattr(instance, "company_id", None),
        user=user,
        kind=SensitiveAccess.Kind.REVEAL,
        channel=channel,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        field=field,
    )


def reveal(*, user, instance, field: str, channel: str) -> str:
    """The plain value for a user who may see it; logged. Raises PermissionError otherwise."""
    if not may_reveal(user):
        raise PermissionError("This role may not reveal sensitive data.")
    log_reveal(user=user, instance=instance, field=field, channel=channel)
    return getattr(instance, field) or ""


def log_export(*, user, model: type[models.Model], field: str, row_count: int, channel: str) -> None:
    SensitiveAccess.objects.create(
        company_id=getattr(user, "company_id", None),
        user=user,
        kind=SensitiveAccess.Kind.EXPORT,
        channel=channel,
        content_type=ContentType.objects.get_for_model(model),
        field=field,
        row_count=row_count,
    )


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def blind_indexed_fields(model: type[models.Model]) -> list[tuple[str, str]]:
    """(encrypted field, its blind-index field) pairs: the index field is named "<field>_index"."""
    names = {f.name for f in model._meta.concrete_fields}
    return [(f, f"{f}_index") for f in encrypted_fields(model) if f"{f}_index" in names]
