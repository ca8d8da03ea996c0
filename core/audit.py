"""The audit trail: who changed which business record, when, through which channel, from what to what.

Every model registered with ``@audited`` (or ``audit.register(Model)``) gets an AuditEntry on each
create, update and delete made through the ORM's ``save()``/``delete()`` — from a page, the API,
an import, a job or the admin site. Who and which channel come from a context that the request
middleware, the API authentication, imports and jobs set with ``audit.acting(user, channel)``.

Bulk operations (``bulk_create``/``update``) bypass signals: services that use them must call
``audit.log_bulk`` themselves (the seed command is the only exception: demo data is not audited);
rows written without model instances (``core.bulk.insert_rows``) are audited with ``log_bulk_rows``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone

from .bulk import columns_of, db_values, insert_rows
from .models import AuditEntry, Channel

_registry: dict[type[models.Model], tuple[str, ...]] = {}


@dataclass(frozen=True)
class _Context:
    actor: Any
    channel: str


_current: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("audit_context", default=None)


@contextmanager
def acting(actor, channel: str) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor`` through ``channel``."""
    token = _current.set(_Context(actor=actor, channel=str(channel)))
    try:
        yield
    finally:
        _current.reset(token)


def set_context(actor, channel: str):
    return _current.set(_Context(actor=actor, channel=str(channel)))


def reset_context(token) -> None:
    _current.reset(token)


def current() -> _Context:
    return _current.get() or _Context(actor=None, channel=Channel.SYSTEM)


def _sensitive_fields(model: type[models.Model]) -> set[str]:
    from .sensitive import EncryptedTextField

    return {f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)}


def register(model: type[models.Model], exclude: tuple[str, ...] = ("updated_at", "created_at")) -> type[models.Model]:
    fields = tuple(
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in exclude and not f.primary_key and f.editable  # derived columns are not history
    )
    _registry[model] = fields
    post_init.connect(_snapshot, sender=model, dispatch_uid=f"audit-init-{model._meta.label}")
    post_save.connect(_saved, sender=model, dispatch_uid=f"audit-save-{model._meta.label}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit-delete-{model._meta.label}")
    return model


def audited(model: type[models.Model]) -> type[models.Model]:
    """Class decorator form of ``register``."""
    return register(model)


def is_audited(model: type[models.Model]) -> bool:
    return model in _registry


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _snapshot(sender, instance, **kwargs) -> None:
    fields = _registry[sender]
    d = instance.__dict__
    instance._audit_snapshot = {f: d.get(f) for f in fields} if instance.pk is not None else None


def _company_id(instance) -> int | None:
    return getattr(instance, "company_id", None)


def _write(instance, action: str, changes: dict) -> None:
    ctx = current()
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    AuditEntry.objects.create(
        company_id=_company_id(instance),
        actor=actor,
        channel=ctx.channel,
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
    )


_field_names: dict[type[models.Model], frozenset[str]] = {}


def _names_of(model: type[models.Model]) -> frozenset[str]:
    if model not in _field_names:
        _field_names[model] = frozenset(x.name for x in model._meta.fields)
    return _field_names[model]


def _diff(sender, before: dict | None, instance) -> dict:
    masked = _sensitive_fields(sender)
    names = _names_of(sender)
    out: dict[str, list] = {}
    for f in _registry[sender]:
        old = None if before is None else before.get(f)
        new = instance.__dict__.get(f)
        if before is not None and old == new:
            continue
        if before is None and new in (None, "", False):
            continue
        name = f[:-3] if f.endswith("_id") and f[:-3] in names else f
        if f in masked:
            out[name] = ["***" if old else "", "***" if new else ""]
        else:
            out[name] = [_plain(old), _plain(new)]
    return out


def _saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:  # fixtures
        return
    before = None if created else getattr(instance, "_audit_snapshot", None)
    changes = _diff(sender, before, instance)
    if not created and not changes:
        return
    _write(instance, AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE, changes)
    _snapshot(sender, instance)


def _deleted(sender, instance, **kwargs) -> None:
    _write(instance, AuditEntry.Action.DELETE, {})


def log_bulk(model: type[models.Model], objects, action: str) -> None:
    """Audit rows written with bulk_create / queryset.update (one entry each, in one INSERT)."""
    ctx = current()
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    ct = ContentType.objects.get_for_model(model)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                company_id=_company_id(obj),
                actor=actor,
                channel=ctx.channel,
                action=action,
                content_type=ct,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes={} if action != AuditEntry.Action.CREATE else _diff(model, None, obj),
            )
            for obj in objects
        ],
        batch_size=1000,
    )


def created_changes(instance) -> dict:
    """What the audit entry of a new record holds ({field: [None, value]}), as ``log_bulk`` writes it."""
    return _diff(type(instance), None, instance)


def log_bulk_rows(
    model: type[models.Model], rows: Iterable[tuple[int | None, Any, str, dict | str]], action: str
) -> None:
    """``log_bulk`` for rows written without model instances (``core.bulk.insert_rows``): one entry
    per (company id, primary key, record as text, changes), written with multi-row INSERTs.

    The changes are what ``created_changes`` gives for a new record: a dict, or its JSON text
    (``json.dumps(changes)``) when many rows share all of it but a value or two."""
    ctx = current()
    template = AuditEntry(
        company_id=None,
        at=timezone.now(),
        actor_id=ctx.actor.pk if getattr(ctx.actor, "pk", None) else None,
        channel=ctx.channel,
        action=action,
        content_type_id=ContentType.objects.get_for_model(model).pk,
        object_id="",
        object_repr="",
    )
    values = db_values(template)
    names = [f.attname for f in columns_of(AuditEntry)]
    at_company, at_id, at_repr, at_changes = (
        names.index(n) for n in ("company_id", "object_id", "object_repr", "changes")
    )
    changes_field = AuditEntry._meta.get_field("changes")
    connection = connections[router.db_for_write(AuditEntry)]
    out = []
    for company_id, pk, text, changes in rows:
        row = values.copy()
        row[at_company], row[at_id], row[at_repr] = company_id, str(pk), text[:200]
        row[at_changes] = changes if isinstance(changes, str) else changes_field.get_db_prep_save(changes, connection)
        out.append(row)
    insert_rows(AuditEntry, out)


def log_update(instance, changes: dict) -> None:
    """Audit a change that save() does not see, e.g. many-to-many links: {field: [old, new]}."""
    _write(instance, AuditEntry.Action.UPDATE, changes)


def history_for(instance):
    """Audit entries of one record, newest first (the record's page shows them).

    A record may name the records merged into it (``audit_also()`` returning their pks): their
    history is shown with its own."""
    ids = [str(instance.pk), *(str(pk) for pk in getattr(instance, "audit_also", lambda: [])())]
    return (
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(type(instance)), object_id__in=ids)
        .select_related("actor")
        .order_by("-at", "-id")
    )


HIDDEN_IN_HISTORY = {"company"}


@dataclass(frozen=True)
class HistoryRow:
    entry: AuditEntry
    changes: list[tuple[str, str, str]]  # (field label, old, new) for people to read


def _display(field, value, related: dict) -> str:
    from django.utils.translation import gettext as _

    if value is None or value == "":
        return "—"
    if field is None:
        return str(value)
    if field.is_relation and field.many_to_one:
        return related.get((field.related_model, value), f"#{value}")
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and field.get_internal_type() == "DateTimeField":
        try:
            from django.utils import timezone

            return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


def history_rows(instance, limit: int = 50) -> list[HistoryRow]:
    """A record's history for people: field labels, choice labels and names instead of ids.

    Two queries plus one per kind of related record mentioned (owner, region…), whatever the length.
    """
    model = type(instance)
    entries = list(history_for(instance)[:limit])
    fields = {f.name: f for f in (*model._meta.concrete_fields, *model._meta.many_to_many)}
    masked = {f for f in _sensitive_fields(model)}
    wanted: dict[type[models.Model], set] = {}
    for e in entries:
        for name, pair in e.changes.items():
            f = fields.get(name)
            if f is not None and f.is_relation and f.many_to_one and name not in HIDDEN_IN_HISTORY:
                wanted.setdefault(f.related_model, set()).update(v for v in pair if v not in (None, ""))
    related = {
        (rel, obj.pk): str(obj) for rel, ids in wanted.items() for obj in rel._default_manager.filter(pk__in=ids)
    }
    rows = []
    for e in entries:
        changes = []
        for name, (old, new) in e.changes.items():
            if name in HIDDEN_IN_HISTORY:
                continue
            f = fields.get(name)
            label = str(f.verbose_name) if f is not None else name
            if f is not None and f.attname in masked:
                changes.append((label, "***" if old else "—", "***" if new else "—"))
            else:
                changes.append((label, _display(f, old, related), _display(f, new, related)))
        rows.append(HistoryRow(entry=e, changes=changes))
    return rows
