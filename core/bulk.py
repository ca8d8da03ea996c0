"""Multi-row INSERTs for large writes: imports, and the audit entries of rows written in bulk.

``bulk_insert(Model, objects)`` does what ``Model.objects.bulk_create(objects)`` does (multi-row
INSERTs returning the new primary keys — SQLite ≥ 3.35 and PostgreSQL —, no signals, no save())
without the query compiler's per-value work; ``insert_rows(Model, rows)`` writes rows given as
lists of values already in the database's form (``db_values``), for many rows that differ in a
column or two (computed once, copied per row). Neither sends a signal: the caller audits
(``audit.log_bulk`` / ``audit.log_bulk_rows``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router

from . import sensitive

_PLAIN_FIELDS = (models.CharField, models.IntegerField, models.BooleanField, models.ForeignKey)


def columns_of(model: type[models.Model]) -> list[models.Field]:
    """The columns an INSERT of ``model`` writes, in the order of ``db_values`` and ``insert_rows``."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _connection(model: type[models.Model]):
    return connections[router.db_for_write(model)]


def _plain(field: models.Field) -> bool:
    """Text, numbers, booleans and foreign keys go to the database as they are."""
    return isinstance(field, _PLAIN_FIELDS) and not isinstance(field, sensitive.EncryptedTextField)


def db_values(obj: models.Model) -> list:
    """The row of a new object as ``insert_rows`` takes it: plain columns as they are, the others
    (dates, JSON, encrypted text) through the field's own ``pre_save`` and ``get_db_prep_save``."""
    connection = _connection(type(obj))
    return [
        getattr(obj, f.attname) if _plain(f) else f.get_db_prep_save(f.pre_save(obj, add=True), connection)
        for f in columns_of(type(obj))
    ]


def insert_rows(model: type[models.Model], rows: Sequence[Sequence], max_params: int = 30000) -> list:
    """INSERT rows of values in the database's form (``columns_of`` order); the new primary keys."""
    if not rows:
        return []
    connection = _connection(model)
    fields = columns_of(model)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608 - our own table and columns, quoted; values are parameters
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(model._meta.pk.column)}"
    size = max(1, max_params // len(fields))
    pks: list = []
    with connection.cursor() as cursor:
        for i in range(0, len(rows), size):
            chunk = rows[i : i + size]
            cursor.execute(head + ", ".join([one] * len(chunk)) + returning, [v for row in chunk for v in row])
            pks.extend(pk for (pk,) in cursor.fetchall())
    return pks


def bulk_insert(model: type[models.Model], objects: list[models.Model], max_params: int = 30000) -> None:
    """``bulk_create`` for plain new rows, without the query compiler's work on every value.

    Same effect as ``model.objects.bulk_create(objects)``, but 50,000 customers of 35 columns are
    1.75 million values, and the compiler's per-value checks (expressions, pre_save,
    get_db_prep_save) took most of an import's time. Here plain columns (text, numbers, booleans,
    foreign keys) are passed as they are; the others go through the field's own ``pre_save`` and
    ``get_db_prep_save`` as bulk_create does.
    """
    if not objects:
        return
    connection = _connection(model)
    fields = columns_of(model)
    plain = [_plain(f) for f in fields]
    rows = [
        [
            getattr(obj, f.attname) if is_plain else f.get_db_prep_save(f.pre_save(obj, add=True), connection)
            for f, is_plain in zip(fields, plain, strict=True)
        ]
        for obj in objects
    ]
    for obj, pk in zip(objects, insert_rows(model, rows, max_params), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
