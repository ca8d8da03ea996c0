"""Seed a fresh database at scale and time the key pages: ``manage.py bench --customers 100000``.

    python manage.py bench --customers 100000 [--visits 1000000] [--instalments 2000000] [--repeat 30]
                           [--seed 2026] [--only ageing,worklist] [--keep]

The user's own database is never touched. The command prepares a fresh database, then runs itself
again in a subprocess pointed at it (settings read DATABASE_URL at import time):

- SQLite (default): the file var/bench/digdeal.sqlite3, deleted and recreated on each run;
- PostgreSQL (when DATABASE_URL points at PostgreSQL): the database ``<name>_bench`` on the same
  server, dropped and recreated on each run.

Both are removed after the run unless ``--keep`` is given (to EXPLAIN a slow query afterwards).

The inner run migrates, seeds with ``manage.py seed`` (the same demo data as ``bin/start``), adds
``--instalments`` receivable instalments (36 per account, receivables.kpis.bench), then requests
every entry of OPERATIONS through django.test.Client as a real demo user: one warm-up request (its
SQL queries are captured and counted), then ``--repeat`` timed requests. An operation with ``sql``
also times, beside the page, the same aggregation as one hand-written SQL query run with
connection.cursor() on the same database (column "hand SQL"). An operation whose address does not
resolve (a page not built yet) is skipped with a note. It prints a table and writes the same data
to bench-results/bench-<db>-<customers>-<timestamp>.json.

A new module adds its key pages to OPERATIONS below (see docs/architecture.md).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


@dataclass(frozen=True)
class Operation:
    """One request to time. ``url`` may be a callable (run once after seeding) returning the URL."""

    name: str
    user: str  # a demo username (core.demo.seed_org): admin, manager1, finance1, service1, sales1…
    url: str | Callable[[], str]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    # A write (an import) runs once, not --repeat times: ``prepare()`` makes its input (untimed),
    # ``run(client, url, prepared)`` makes the requests and returns the last response.
    prepare: Callable[[], object] | None = None
    run: Callable | None = None
    # The same aggregation as one hand-written query: ``sql(vendor, user) -> (sql, params)``, timed
    # --repeat times with connection.cursor() beside the page.
    sql: Callable | None = None


def _newest_of_sales1(field_name: str):
    from customers.models import Customer

    newest = Customer.objects.filter(owner__username="sales1").order_by("-updated_at", "-id")
    return newest.values_list(field_name, flat=True)[0]


def _customer_detail() -> str:
    return f"/customers/{_newest_of_sales1('pk')}/"


def _search_by_initials() -> str:
    """The first two pinyin initials of sales1's newest customer (typing "zj" for 张建国)."""
    return f"/customers/?q={_newest_of_sales1('initials')[:2]}"


def _prospect_with_needs() -> int:
    from customers.models import Customer

    return (
        Customer.objects.filter(owner__username="sales1", needs__isnull=False)
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)[0]
    )


def _fits_filter() -> str:
    from pitch.models import Product

    return f"/customers/?scale=individual&fits={Product.objects.order_by('pk').values_list('pk', flat=True)[0]}"


IMPORT_ROWS = 50_000


def _import_workbook() -> bytes:
    """50,000 new customers of manager1's region, as a dealer's .xlsx (made before the timing)."""
    from core.models import User
    from customers.imports import sample_workbook

    manager = User.objects.get(username="manager1")
    return sample_workbook(company_id=manager.company_id, region_id=min(manager.region_ids), rows=IMPORT_ROWS)


def _import_run(client, url: str, data: bytes):
    """Upload (read and check every row), then confirm (check again, write in one transaction)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(url, {"file": SimpleUploadedFile("bench.xlsx", data)}, secure=True)
    if response.status_code != 302:
        return response
    return client.post(response["Location"] + "confirm/", secure=True)


def _sales1_customer_with_visits() -> str:
    """The pre-visit brief of sales1's customer with the most recent visit."""
    from visits.models import Visit

    visit = Visit.objects.filter(salesperson__username="sales1", status="done").order_by("-done_at").first()
    return f"/visits/brief/{visit.customer_id}/"


def _sales1_visit() -> str:
    from visits.models import Visit

    newest = Visit.objects.filter(salesperson__username="sales1").order_by("-id")
    return f"/visits/{newest.values_list('pk', flat=True)[0]}/"


def _plan_of_sales1_for_manager() -> str:
    from core.models import User

    return f"/visits/?user={User.objects.get(username='sales1').pk}"


def _compare_hy65() -> str:
    from customers.models import CompetitorMachine
    from pitch.models import Product

    ours = Product.objects.filter(code="HY65-9").values_list("pk", flat=True).first()
    theirs = CompetitorMachine.objects.order_by("pk").values_list("pk", flat=True).first()
    return f"/pitch/compare/?product={ours}&competitor={theirs}"


def _sales1_rental_customer() -> int:
    """A rental customer of sales1 whose needs are modelled (the benefit account's customer)."""
    from customers.models import Customer

    qs = Customer.objects.filter(owner__username="sales1", needs__isnull=False).order_by("pk")
    return (qs.filter(use="rental").values_list("pk", flat=True).first()) or qs.values_list("pk", flat=True).first()


def _quote_input() -> dict:
    """The form of the benefit page's quote panel: the three recommended policies (made untimed)."""
    from core.models import User
    from policies.selectors import benefit_view

    customer = _sales1_rental_customer()
    view = benefit_view(User.objects.get(username="sales1"), customer_id=customer, hours_per_month=180)
    return {
        "customer": customer,
        "data": {"product": view.product.pk, "hours": "180", "policy": [r.code for r in view.recommended]},
    }


def _quote_run(client, url: str, prepared: dict):
    """Issue the quote: the accounts of three policies, the FABE highlights, the numbered PDF."""
    return client.post(f"/policies/quotes/issue/{prepared['customer']}/", prepared["data"], secure=True)


def _ageing_sql(vendor: str, user):
    from django.utils import timezone

    from receivables.kpis.bench import ageing_sql

    return ageing_sql(vendor, user, timezone.localdate())


def _worklist_sql(vendor: str, user):
    from django.utils import timezone

    from receivables.kpis.bench import worklist_sql

    return worklist_sql(vendor, user, timezone.localdate())


def _delivered_deal() -> str:
    """The deal page of a delivered demo deal (every step's documents present)."""
    from orders.models import Deal

    pk = Deal.objects.filter(status="won").order_by("pk").values_list("pk", flat=True).first()
    return f"/orders/deals/{pk}/"


# The registry. Keep names short: they are the table's first column and the JSON keys.
OPERATIONS: list[Operation] = [
    Operation("today", "sales1", "/"),
    Operation("today", "manager1", "/"),
    Operation("customer list", "sales1", "/customers/"),
    Operation("customer list", "manager1", "/customers/"),
    Operation("customer search (initials)", "sales1", _search_by_initials),
    Operation("customer search (name part)", "manager1", "/customers/?q=%E7%8E%8B"),  # 王
    Operation("customer search (htmx)", "sales1", _search_by_initials, headers={"HX-Request": "true"}),
    Operation("customer detail", "sales1", _customer_detail),
    Operation("customer profile (needs)", "sales1", lambda: f"/customers/{_prospect_with_needs()}/"),
    Operation("customer filter (fits)", "manager1", _fits_filter),
    Operation("public pool", "sales1", "/customers/pool/"),
    Operation("api profile", "sales1", lambda: f"/api/customers/{_prospect_with_needs()}/profile"),
    Operation("api customers", "sales1", "/api/customers?limit=25"),
    Operation("api customers", "manager1", "/api/customers?limit=25"),
    # visits (客户拜访): sales1 holds --visit-customers customers among --visits visits
    Operation("visit plan (day)", "sales1", "/visits/"),
    Operation("visit plan (week)", "sales1", "/visits/?week=1"),
    Operation("visit plan (near me)", "sales1", "/visits/?lat=36.68&lng=117.06"),
    Operation("visit plan (manager)", "manager1", _plan_of_sales1_for_manager),
    Operation("visit page", "sales1", _sales1_visit),
    Operation("pre-visit brief", "sales1", _sales1_customer_with_visits),
    Operation("daily report", "sales1", "/visits/report/"),
    Operation("team reports", "manager1", "/visits/team/"),
    Operation("evening review", "manager1", "/visits/review/"),
    Operation("check-in map", "manager1", "/visits/map/"),
    Operation("visit analytics", "manager1", "/visits/analytics/"),
    Operation("api visit plan", "sales1", "/api/visits/plan"),
    Operation("api daily report", "sales1", "/api/visits/reports/today"),
    Operation(
        "api brief", "sales1", lambda: "/api/customers/" + _sales1_customer_with_visits().split("/")[-2] + "/brief"
    ),
    # product pitch (产品推介)
    Operation("catalogue", "sales1", "/pitch/"),
    Operation("compare with a competitor", "sales1", _compare_hy65),
    Operation("api catalogue", "sales1", "/api/pitch/products"),
    # commercial policies (商务政策): the benefit account of the recommended policies (≤ 3 of 6)
    Operation("benefit account", "sales1", lambda: f"/policies/benefit/{_sales1_rental_customer()}/?hours=180"),
    Operation("api benefit account", "sales1", lambda: f"/api/policies/benefit/{_sales1_rental_customer()}"),
    Operation("pitch sheet", "sales1", lambda: f"/pitch/sheet/{_sales1_rental_customer()}/"),
    Operation("objection answers report", "manager1", "/pitch/objections/report/"),
    Operation(
        "quote PDF (3 policies)", "sales1", "/policies/quotes/", status=302, prepare=_quote_input, run=_quote_run
    ),
    # order to delivery (下单交车)
    Operation("deal board", "manager1", "/orders/deals/"),
    Operation("deal board", "sales1", "/orders/deals/"),
    Operation("deal page (delivered)", "admin", _delivered_deal),
    Operation("sales funnel", "manager1", "/orders/funnel/"),
    Operation("api deals", "manager1", "/api/orders/deals"),
    # receivables (债权管理)
    Operation("receivable accounts", "finance1", "/receivables/"),
    Operation("ageing", "finance1", "/receivables/ageing/"),
    Operation("api receivable accounts", "finance1", "/api/receivables/accounts"),
    # over --instalments instalments (2,000,000 by default), beside the same aggregation by hand in SQL
    Operation("ageing by region (all)", "admin", "/receivables/ageing/?group_by=region", sql=_ageing_sql),
    Operation("collector's worklist", "finance1", "/receivables/worklist/", sql=_worklist_sql),
    Operation("collection KPIs", "manager1", "/receivables/kpis/?period=this_year"),
    Operation(
        "import 50,000 rows", "manager1", "/customers/import/", status=302, prepare=_import_workbook, run=_import_run
    ),
]

BENCH_SUFFIX = "_bench"


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(0, math.ceil(p / 100 * len(sorted_values)) - 1)
    return sorted_values[k]


class Command(BaseCommand):
    help = "Seed a fresh database at scale and time the key pages and API calls."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=30, help="Timed requests per operation (default 30).")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--salespeople", type=int, default=6)
        parser.add_argument("--regions", type=int, default=2)
        parser.add_argument(
            "--visits",
            type=int,
            default=1_000_000,
            help="Visits in the database (default 1,000,000); sales1 then holds --visit-customers customers.",
        )
        parser.add_argument("--visit-customers", type=int, default=2000)
        parser.add_argument(
            "--instalments",
            type=int,
            default=2_000_000,
            help="Receivable instalments added after the demo seed, 36 per account (default 2,000,000).",
        )
        parser.add_argument(
            "--only", default="", help="Run only the operations whose name contains this text (or one of a,b,c)."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards.")
        parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)

    # --- outer process: prepare the fresh database, run the inner process against it ----------------

    def handle(self, *args, inner: bool, **options):
        if options["customers"] < 0 or options["repeat"] < 1 or options["instalments"] < 0:
            raise CommandError("--customers and --instalments must be >= 0 and --repeat >= 1")
        if inner:
            return self.run_inner(**options)
        var_dir = Path(settings.BASE_DIR) / "var" / "bench"
        (var_dir / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns when STATIC_ROOT is missing
        db = settings.DATABASES["default"]
        env = dict(os.environ, DIGDEAL_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="digdeal.settings")
        if db["ENGINE"] == "django.db.backends.sqlite3":
            path = var_dir / "digdeal.sqlite3"
            self._remove_sqlite(path)
            env["DATABASE_URL"] = f"sqlite:///{path}"
            cleanup = lambda: self._remove_sqlite(path)  # noqa: E731
            where = str(path)
        elif db["ENGINE"] == "django.db.backends.postgresql":
            name = f"{db['NAME']}{BENCH_SUFFIX}"
            self._pg_recreate(db, name)
            parts = urlsplit(os.environ["DATABASE_URL"])
            env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))
            cleanup = lambda: self._pg_drop(db, name)  # noqa: E731
            where = f"PostgreSQL database {name}"
        else:
            raise CommandError(f"bench supports SQLite and PostgreSQL, not {db['ENGINE']}.")
        self.stdout.write(f"Bench database: {where} (fresh)")
        argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", "--inner"]
        opts = ("customers", "repeat", "seed", "salespeople", "regions", "only", "visits", "visit_customers")
        opts += ("instalments",)
        for opt in opts:
            argv += [f"--{opt.replace('_', '-')}", str(options[opt])]
        try:
            rc = subprocess.call(argv, env=env, cwd=settings.BASE_DIR)  # noqa: S603 - our own manage.py
        finally:
            if not options["keep"]:
                cleanup()
            else:
                self.stdout.write(f"Kept {where}.")
        if rc:
            raise CommandError(f"The bench run failed (exit status {rc}).")

    @staticmethod
    def _remove_sqlite(path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    @staticmethod
    def _pg_admin(db: dict):
        import psycopg

        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "autocommit": True,
        }
        try:
            return psycopg.connect(dbname="postgres", **params)
        except psycopg.OperationalError:
            return psycopg.connect(dbname=db["NAME"], **params)

    def _pg_drop(self, db: dict, name: str) -> None:
        from psycopg import sql

        with self._pg_admin(db) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _pg_recreate(self, db: dict, name: str) -> None:
        from psycopg import sql

        self._pg_drop(db, name)
        with self._pg_admin(db) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    # --- inner process: migrate, seed, time --------------------------------------------------------

    def run_inner(
        self, *, customers, repeat, seed, salespeople, regions, only, visits, visit_customers, instalments, **options
    ):
        from django.db import connection

        name = str(connection.settings_dict["NAME"])
        bench_dir = str(Path(settings.BASE_DIR) / "var" / "bench")
        if not (name.endswith(BENCH_SUFFIX) or name.startswith(bench_dir)):
            raise CommandError(f"Refusing to seed {name}: --inner runs only on a bench database.")
        vendor = connection.vendor
        w = self.stdout.write

        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        migrate_s = time.perf_counter() - started

        started = time.perf_counter()
        call_command(
            "seed",
            customers=customers,
            seed=seed,
            salespeople=salespeople,
            regions=regions,
            visits=visits,
            visit_customers=visit_customers,
            quiet=True,
        )
        seed_s = time.perf_counter() - started

        # receivables at scale: accounts of 36 instalments over the customers just seeded
        started = time.perf_counter()
        volume = self._seed_receivables(instalments, seed)
        receivables_s = time.perf_counter() - started

        # PostgreSQL's autovacuum vacuums and analyses a table soon after a bulk load; do it now so
        # the plans (and index-only COUNTs) are the ones production gets. Nothing runs ANALYZE on
        # SQLite in production, so the bench does not either.
        if vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")

        from core.models import Todo, User
        from customers.models import Customer
        from receivables.models import Instalment, Payment
        from visits.models import Visit

        rows = {
            "customers": Customer.objects.count(),
            "users": User.objects.count(),
            "todos": Todo.objects.count(),
            "visits": Visit.objects.count(),
            "customers of sales1": Customer.objects.filter(owner__username="sales1").count(),
            "instalments": Instalment.objects.count(),
            "payments": Payment.objects.count(),
        }
        header = {
            "db": vendor,
            "db_version": self._db_version(connection),
            "customers": customers,
            "seed": seed,
            "repeat": repeat,
            "debug": settings.DEBUG,
            "python": platform.python_version(),
            "django": django.get_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            "migrate_seconds": round(migrate_s, 2),
            "seed_seconds": round(seed_s, 2),
            "receivables_seed_seconds": round(receivables_s, 2),
            "receivables_seeded": volume,
            "db_size_mb": round(self._db_size(connection) / 1e6, 1),
            "rows": rows,
            "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        w(
            f"DigDeal bench · {vendor} {header['db_version']} · {customers:,} customers · seed {seed} · "
            f"repeat {repeat} · DEBUG {'on' if settings.DEBUG else 'off'} · Python {header['python']} · "
            f"Django {header['django']}"
        )
        w(
            f"migrate {migrate_s:.1f} s · seed {seed_s:.1f} s · receivables {receivables_s:.1f} s · "
            f"database {header['db_size_mb']} MB · rows {rows}"
        )

        wanted = [part.strip() for part in only.split(",")] if only else [""]
        ops = [op for op in OPERATIONS if any(part in op.name for part in wanted)]
        results = self._run_operations(ops, repeat)
        self._print_table(results)

        out_dir = Path(settings.BASE_DIR) / "bench-results"
        out_dir.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = out_dir / f"bench-{vendor}-{customers}-{stamp}.json"
        path.write_text(json.dumps(header | {"operations": results}, ensure_ascii=False, indent=2) + "\n")
        w(f"Written {path.relative_to(settings.BASE_DIR)}")

    @staticmethod
    def _seed_receivables(instalments: int, seed: int) -> dict:
        import random

        from core.models import Company
        from receivables.kpis.bench import seed_instalment_volume

        company = Company.objects.order_by("pk").first()
        if company is None or not instalments:
            return {}
        # (PostgreSQL's VACUUM ANALYZE below covers these tables too)
        return seed_instalment_volume(company, instalments=instalments, rng=random.Random(seed * 7 + 11))

    def _time_sql(self, op: Operation, user, repeat: int) -> dict:
        """The hand-written query of ``op`` run with connection.cursor(): a warm-up, then --repeat times."""
        from django.db import connection

        sql, params = op.sql(connection.vendor, user)

        def once() -> tuple[float, int]:
            t = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(sql, params)
                n = len(cur.fetchall())
            return (time.perf_counter() - t) * 1000, n

        _cold, n = once()
        times = sorted(once()[0] for _ in range(repeat))
        return {
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
            "rows": n,
            "sql": " ".join(sql.split()),
        }

    def _run_operations(self, ops: list[Operation], repeat: int) -> list[dict]:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, override_settings
        from django.urls import Resolver404, resolve

        from core.models import User

        clients: dict[str, Client] = {}
        results = []
        # The test client's host is "testserver"; plain static storage needs no collectstatic run;
        # secure=True passes SECURE_SSL_REDIRECT when DEBUG is off.
        with override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            STORAGES=settings.STORAGES
            | {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
        ):
            for op in ops:
                if op.user not in clients:
                    clients[op.user] = Client()
                    clients[op.user].force_login(User.objects.get(username=op.user))
                client = clients[op.user]
                url = op.url() if callable(op.url) else op.url
                try:
                    resolve(urlsplit(url).path)
                except Resolver404:
                    self.stdout.write(f"Skipped {op.name} ({op.user}): {url} is not a page of this build.")
                    if op.sql is not None:  # the hand-written query alone, for the record
                        hand = self._time_sql(op, User.objects.get(username=op.user), repeat)
                        results.append(
                            {"name": op.name, "user": op.user, "url": url, "skipped": True, "hand_sql": hand}
                        )
                    continue
                headers = op.headers
                prepared = op.prepare() if op.prepare else None

                def hit(client=client, url=url, headers=headers, op=op, prepared=prepared):
                    t = time.perf_counter()
                    if op.run is not None:
                        response = op.run(client, url, prepared)
                    else:
                        response = client.get(url, headers=headers, secure=True)
                    elapsed = (time.perf_counter() - t) * 1000
                    if response.status_code != op.status:
                        status = f"HTTP {response.status_code}, expected {op.status}"
                        raise CommandError(f"{op.name} ({op.user}) {url}: {status}")
                    return elapsed, response

                timed: list[tuple[float, str]] = []

                def timer(execute, sql, params, many, context, timed=timed):
                    t = time.perf_counter()
                    try:
                        return execute(sql, params, many, context)
                    finally:
                        timed.append(((time.perf_counter() - t) * 1000, sql))

                # A write is timed without the debug cursor, which would spell out the millions of
                # parameters of its inserts (production never does): the execute wrapper counts it.
                capture = CaptureQueriesContext(connection) if op.run is None else contextlib.nullcontext()
                with capture as captured, connection.execute_wrapper(timer):
                    cold_ms, _response = hit()
                # Count and SQL text from CaptureQueriesContext; its times have 1 ms resolution,
                # so each query's time comes from the execute wrapper (same queries, same order).
                sqls = [q["sql"] for q in captured.captured_queries] if captured else [sql for _, sql in timed]
                if len(timed) == len(sqls):
                    queries = [(t, sql) for (t, _), sql in zip(timed, sqls, strict=True)]
                else:
                    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
                times = [cold_ms] if op.run is not None else sorted(hit()[0] for _ in range(repeat))
                slowest = sorted(queries, reverse=True)[:3]
                results.append(
                    {
                        "name": op.name,
                        "user": op.user,
                        "url": url,
                        "p50_ms": round(percentile(times, 50), 2),
                        "p95_ms": round(percentile(times, 95), 2),
                        "min_ms": round(times[0], 2),
                        "max_ms": round(times[-1], 2),
                        "cold_ms": round(cold_ms, 2),
                        "queries": len(queries),
                        "sql_ms": round(sum(t for t, _ in queries), 2),
                        "slowest_queries": [{"ms": round(t, 2), "sql": sql} for t, sql in slowest],
                    }
                )
                if op.sql is not None:
                    results[-1]["hand_sql"] = self._time_sql(op, User.objects.get(username=op.user), repeat)
        return results

    def _print_table(self, results: list[dict]) -> None:
        w = self.stdout.write
        name_w = max([len("operation"), *(len(r["name"]) for r in results)])
        user_w = max([len("user"), *(len(r["user"]) for r in results)])
        w("")
        cols = f"{'p50 ms':>8}  {'p95 ms':>8}  {'queries':>7}  {'SQL ms':>7}  {'hand SQL':>8}"
        w(f"{'operation':<{name_w}}  {'user':<{user_w}}  {cols}  url")
        w("-" * (name_w + user_w + 56))
        for r in results:
            hand = f"{r['hand_sql']['p50_ms']:>8.1f}" if "hand_sql" in r else f"{'':>8}"
            if r.get("skipped"):
                dashes = f"{'—':>8}  {'—':>8}  {'—':>7}  {'—':>7}"
                w(f"{r['name']:<{name_w}}  {r['user']:<{user_w}}  {dashes}  {hand}  {r['url']}")
                continue
            w(
                f"{r['name']:<{name_w}}  {r['user']:<{user_w}}  {r['p50_ms']:>8.1f}  {r['p95_ms']:>8.1f}  "
                f"{r['queries']:>7}  {r['sql_ms']:>7.1f}  {hand}  {r['url']}"
            )
        if any("hand_sql" in r for r in results):
            w("")
            w("hand SQL: p50 ms of the same aggregation as one hand-written query (connection.cursor()).")
        w("")
        w("Slowest SQL query of each operation (warm-up request):")
        for r in results:
            if r.get("slowest_queries"):
                q = r["slowest_queries"][0]
                sql = re.sub(r"^SELECT .+? FROM ", "SELECT … FROM ", " ".join(q["sql"].split()))
                w(f"  {r['name']} · {r['user']}: {q['ms']:.1f} ms  {sql[:200]}{'…' if len(sql) > 200 else ''}")
        w("")

    @staticmethod
    def _db_version(connection) -> str:
        if connection.vendor == "sqlite":
            import sqlite3

            return sqlite3.sqlite_version
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            return cur.fetchone()[0].split()[0]

    @staticmethod
    def _db_size(connection) -> int:
        if connection.vendor == "sqlite":
            name = str(connection.settings_dict["NAME"])
            return sum(os.path.getsize(p) for p in (name, f"{name}-wal") if os.path.exists(p))
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            return cur.fetchone()[0]
