"""Receivables at scale for ``manage.py bench`` (core/management/commands/bench.py), and the
hand-written SQL the bench times beside the pages.

- ``seed_instalment_volume``: accounts of 36 monthly instalments spread over the bench's customers
  (``instalments`` in all, default 2,000,000), started over the last three years, bulk inserted in
  chunks; most customers pay on time, some are one to three months behind, some far behind, a few
  stopped paying; one payment and its allocation per instalment paid, a part payment now and then.
- ``ageing_sql``: ageing (账龄) by region as of a day, one query — the same numbers as
  ``receivables.selectors.ageing(user, as_of=today, group_by="region")`` (a test keeps them equal to
  the fen on SQLite and PostgreSQL). As of today the paid amount of an instalment is its stored
  ``paid_fen``, as the selector uses.
- ``worklist_sql``: the collector's worklist, one query, from its definition: open accounts the
  user may see with an unpaid instalment overdue or due within 7 days, most days past due first, then
  the oldest unpaid due date; days past due, overdue amount, outstanding; the first page (50 rows).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from .. import rules as ledger_rules

TERM = 36
CHUNK = 5000
SOON_DAYS = 7
PAGE = 50


def _days(vendor: str, later: str, earlier: str) -> str:
    """SQL for whole days from ``earlier`` to ``later`` (both date expressions)."""
    if vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _date_param(vendor: str) -> str:
    return "CAST(%s AS date)" if vendor == "postgresql" else "%s"


def _visibility(user, alias_customer: str = "c") -> tuple[str, list]:
    """The receivable account's visibility for the hand-written SQL: the whole company for an
    administrator, else the customers of the user's regions (managers, finance) or owned (salespeople)."""
    from core.models import Role

    if user.has_role(Role.ADMIN):
        return "", []
    parts, params = [], []
    regions = sorted(user.region_ids)
    if user.has_role(Role.MANAGER, Role.FINANCE) and regions:
        parts.append(f"{alias_customer}.region_id IN ({', '.join(['%s'] * len(regions))})")
        params += regions
    if user.has_role(Role.SALESPERSON):
        parts.append(f"{alias_customer}.owner_id = %s")
        params.append(user.pk)
    if not parts:
        return " AND 1 = 0", []
    return " AND (" + " OR ".join(parts) + ")", params


def _bucket_case(column: str) -> tuple[str, list]:
    labels = ledger_rules.bucket_labels(ledger_rules.BUCKETS)
    pairs = zip(ledger_rules.BUCKETS, labels, strict=False)  # the last label (90+) is the ELSE
    whens = [f"WHEN {column} <= {int(high)} THEN '{label}'" for high, label in pairs]
    return f"CASE {' '.join(whens)} ELSE '{labels[-1]}' END", labels


def ageing_sql(vendor: str, user, as_of: dt.date) -> tuple[str, list]:
    """Rows ``(region_id, region_name, bucket, accounts, outstanding_fen, overdue_fen)``."""
    d = _date_param(vendor)
    where, vis = _visibility(user)
    bucket, _labels = _bucket_case("dpd")
    # only constants and placeholders are formatted into the text; the values go as parameters
    sql = f"""
        WITH acc AS (
            SELECT a.id, a.region_id,
                   MIN(CASE WHEN i.paid_fen < i.amount_fen AND i.due_on <= {d} THEN i.due_on END) AS oldest_due,
                   SUM(i.amount_fen - i.paid_fen) AS outstanding,
                   SUM(CASE WHEN i.due_on < {d} THEN i.amount_fen - i.paid_fen ELSE 0 END) AS overdue
            FROM receivables_receivableaccount a
            JOIN customers_customer c ON c.id = a.customer_id
            JOIN receivables_instalment i ON i.account_id = a.id
            WHERE a.company_id = %s AND a.status <> 'written_off' AND a.start_on <= {d}{where}
            GROUP BY a.id, a.region_id
        ), aged AS (
            SELECT region_id, outstanding, overdue,
                   COALESCE({_days(vendor, d, "oldest_due")}, 0) AS dpd
            FROM acc WHERE outstanding > 0
        )
        SELECT g.region_id, r.name, g.bucket, g.n, g.fen, g.overdue_fen FROM (
            SELECT region_id, {bucket} AS bucket, COUNT(*) AS n, SUM(outstanding) AS fen, SUM(overdue) AS overdue_fen
            FROM aged GROUP BY region_id, {bucket}
        ) g JOIN core_region r ON r.id = g.region_id
        ORDER BY r.name, g.region_id, g.bucket
    """  # noqa: S608
    params = [as_of, as_of, user.company_id, as_of, *vis, as_of]
    return sql, params


def worklist_sql(vendor: str, user, today: dt.date) -> tuple[str, list]:
    """Rows ``(account_id, contract_number, customer, days_past_due, overdue_fen, outstanding_fen,
    first_unpaid_due)`` of the first page of the worklist."""
    d = _date_param(vendor)
    where, vis = _visibility(user)
    oldest_due = f"MIN(CASE WHEN i.paid_fen < i.amount_fen AND i.due_on <= {d} THEN i.due_on END)"
    sql = f"""
        SELECT a.id, a.contract_number, c.name,
               COALESCE({_days(vendor, d, oldest_due)}, 0) AS dpd,
               SUM(CASE WHEN i.due_on < {d} THEN i.amount_fen - i.paid_fen ELSE 0 END) AS overdue,
               SUM(i.amount_fen - i.paid_fen) AS outstanding,
               MIN(CASE WHEN i.paid_fen < i.amount_fen THEN i.due_on END) AS first_unpaid
        FROM receivables_receivableaccount a
        JOIN customers_customer c ON c.id = a.customer_id
        JOIN receivables_instalment i ON i.account_id = a.id
        WHERE a.company_id = %s AND a.status = 'open'{where}
        GROUP BY a.id, a.contract_number, c.name
        HAVING MIN(CASE WHEN i.paid_fen < i.amount_fen THEN i.due_on END) <= {d}
        ORDER BY dpd DESC, first_unpaid, c.name, a.id
        LIMIT {PAGE}
    """  # noqa: S608
    params = [today, today, today, user.company_id, *vis, today + dt.timedelta(days=SOON_DAYS)]
    return sql, params


def run_sql(sql: str, params: list) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


# --------------------------------------------------------------------------------- seeding at scale
PRINCIPALS = (18_000_000, 26_000_000, 36_800_000, 52_000_000, 88_000_000)  # fen
PRODUCTS = ("HY65-9", "HY75-9", "HY135-9", "HY215-9")
POLICIES = ("厂家贴息分期", "银行按揭", "融资租赁")


def _add_months(day: dt.date, months: int) -> dt.date:
    from policies.finance import add_months

    return add_months(day, months)


def _paid_count(rng: random.Random, due: int) -> int:
    """How many of the ``due`` instalments already due the customer has paid."""
    p = rng.random()
    if p < 0.70:
        return due
    if p < 0.85:
        return max(0, due - rng.randint(1, 3))
    if p < 0.95:
        return max(0, due - rng.randint(4, 12))
    return rng.randint(0, due)  # stopped paying


class _Inserter:
    """Multi-row INSERTs of plain dicts (explicit ids), each model's other columns at their defaults:
    many times faster than bulk_create at millions of rows."""

    def __init__(self, model, connection):
        self.fields = list(model._meta.concrete_fields)
        self.defaults = [f.get_default() for f in self.fields]  # "" for a text field without one
        q = connection.ops.quote_name
        cols = ", ".join(q(f.column) for f in self.fields)
        self.marks = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.head = f"INSERT INTO {q(model._meta.db_table)} ({cols}) VALUES "  # noqa: S608 - names only
        self.per_statement = max(1, min(1000, 30_000 // len(self.fields)))  # under both databases' limits
        self.prep = [self._converter(f, connection) for f in self.fields]
        self.table = model._meta.db_table
        self.rows: list[list] = []

    @staticmethod
    def _converter(f, connection):
        from django.db import models

        if isinstance(f, models.DateTimeField):
            return lambda v: None if v is None else connection.ops.adapt_datetimefield_value(v)
        if isinstance(f, models.DateField):
            if connection.vendor == "sqlite":
                return lambda v: None if v is None else v.isoformat()
            return lambda v: v
        if isinstance(f, (models.IntegerField, models.CharField, models.BooleanField, models.ForeignKey)):
            return lambda v: v
        return lambda v: f.get_db_prep_save(v, connection)

    def add(self, values: dict) -> None:
        self.rows.append(
            [p(values.get(f.attname, d)) for f, d, p in zip(self.fields, self.defaults, self.prep, strict=True)]
        )

    def flush(self, cursor) -> None:
        """Multi-row INSERTs of up to ``per_statement`` rows (one round trip each)."""
        step = self.per_statement
        for i in range(0, len(self.rows), step):
            batch = self.rows[i : i + step]
            cursor.execute(self.head + ", ".join([self.marks] * len(batch)), [v for row in batch for v in row])
        self.rows = []


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - a table name of ours
    return cursor.fetchone()[0]


def seed_instalment_volume(company, *, instalments: int, rng: random.Random, today: dt.date | None = None) -> dict:
    """``instalments`` instalments (36 per account) over the company's owned customers, with one
    payment and its allocation per instalment paid (the stored ``paid_fen`` and status agree, so
    ``reconcile_receivables`` stays clean)."""
    from django.db import connection

    from core.models import Role, User
    from customers.models import Customer

    from ..models import Allocation, Instalment, Payment, ReceivableAccount

    today = today or timezone.localdate()
    customers = list(
        Customer.objects.filter(company=company, owner__isnull=False, in_pool=False)
        .order_by("pk")
        .values_list("pk", "region_id", "owner_id")
    )
    actor = User.objects.filter(company=company, user_roles__role=Role.ADMIN).order_by("pk").first()
    if not customers or actor is None or instalments <= 0:
        return {"accounts": 0, "instalments": 0, "payments": 0}
    n_accounts = -(-instalments // TERM)
    now = timezone.now()
    counts = {"accounts": 0, "instalments": 0, "payments": 0}
    tables = {m: _Inserter(m, connection) for m in (ReceivableAccount, Instalment, Payment, Allocation)}
    with connection.cursor() as cur:
        ids = {m: _next_id(cur, ins.table) for m, ins in tables.items()}
    left = instalments
    per_chunk = max(1, CHUNK * 4 // TERM)
    for first in range(0, n_accounts, per_chunk):
        with transaction.atomic(), connection.cursor() as cur:
            for k in range(first, min(n_accounts, first + per_chunk)):
                cust, region, owner = customers[k % len(customers)]
                start = today - dt.timedelta(days=rng.randint(0, 3 * 365))
                terms = min(TERM, left)
                left -= terms
                principal = rng.choice(PRINCIPALS) * 7 // 10
                per = principal // terms
                amounts = [per] * (terms - 1) + [principal - per * (terms - 1)]
                dues = [_add_months(start, n) for n in range(1, terms + 1)]
                paid = _paid_count(rng, sum(1 for d in dues if d <= today))
                partial = paid < terms and rng.random() < 0.3
                account_id = ids[ReceivableAccount]
                ids[ReceivableAccount] += 1
                number = f"BX{k + 1:08d}"
                tables[ReceivableAccount].add(
                    {
                        "id": account_id,
                        "company_id": company.pk,
                        "customer_id": cust,
                        "contract_number": number,
                        "product": rng.choice(PRODUCTS),
                        "salesperson_id": owner,
                        "region_id": region,
                        "policy_name": rng.choice(POLICIES),
                        "principal_fen": principal,
                        "start_on": start,
                        "status": "settled" if paid == terms else "open",
                        "source": "import",
                        "created_at": now,
                    }
                )
                counts["accounts"] += 1
                for n, (fen, due) in enumerate(zip(amounts, dues, strict=True), start=1):
                    got = fen if n <= paid else (fen // 2 if partial and n == paid + 1 else 0)
                    inst_id = ids[Instalment]
                    ids[Instalment] += 1
                    tables[Instalment].add(
                        {
                            "id": inst_id,
                            "company_id": company.pk,
                            "account_id": account_id,
                            "n": n,
                            "due_on": due,
                            "principal_fen": fen,
                            "amount_fen": fen,
                            "paid_fen": got,
                        }
                    )
                    counts["instalments"] += 1
                    if not got:
                        continue
                    pay_id = ids[Payment]
                    ids[Payment] += 1
                    tables[Payment].add(
                        {
                            "id": pay_id,
                            "company_id": company.pk,
                            "account_id": account_id,
                            "kind": "payment",
                            "amount_fen": got,
                            "received_on": min(today, max(start, due + dt.timedelta(days=rng.randint(-3, 5)))),
                            "method": "transfer",
                            "idempotency_key": f"bx-{number}-{n}",
                            "by_id": actor.pk,
                            "at": now,
                        }
                    )
                    tables[Allocation].add(
                        {
                            "id": ids[Allocation],
                            "company_id": company.pk,
                            "payment_id": pay_id,
                            "instalment_id": inst_id,
                            "amount_fen": got,
                        }
                    )
                    ids[Allocation] += 1
                    counts["payments"] += 1
            for model in (ReceivableAccount, Instalment, Payment, Allocation):
                tables[model].flush(cur)
    if connection.vendor == "postgresql":  # explicit ids: move the identity sequences past them
        with connection.cursor() as cur:
            for ins in tables.values():
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{ins.table}', 'id'), (SELECT MAX(id) FROM {ins.table}))"  # noqa: S608
                )
    return counts
