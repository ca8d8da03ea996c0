"""Generate deterministic demo data: ``manage.py seed [--customers 300] [--if-empty] [--flush]``."""

import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import demo
from core.models import Company
from customers.demo import seed_cognition, seed_customers
from orders.demo import seed_orders
from pitch.demo import seed_catalogue, seed_pitch
from policies.demo import seed_demo_policies
from receivables.demo import seed_receivables
from visits.demo import seed_visit_volume, seed_visits


class Command(BaseCommand):
    help = "Seed demo data: 1 company, regions, one login per role, customers, to-dos."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument("--salespeople", type=int, default=6)
        parser.add_argument("--regions", type=int, default=2)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when a company exists.")
        parser.add_argument("--flush", action="store_true", help="Delete all data first.")
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument(
            "--visits",
            type=int,
            default=0,
            help="Bench volume: this many more visits over two years (sales1 then holds --visit-customers).",
        )
        parser.add_argument("--visit-customers", type=int, default=2000)

    def handle(self, *args, customers, salespeople, regions, seed, if_empty, flush, quiet, visits, **options):
        if customers < 0 or salespeople < 1 or regions < 1 or visits < 0 or options["visit_customers"] < 0:
            raise CommandError("--customers, --visits must be >= 0, --salespeople and --regions >= 1")
        if flush:
            call_command("flush", interactive=False, verbosity=0)
        if Company.objects.exists():
            if if_empty:
                if not quiet:
                    self.stdout.write("Database already holds data; demo data not loaded again.")
                return
            raise CommandError("The database already holds data: use --flush to start over, or --if-empty.")
        started = time.monotonic()
        ctx = demo.make_context(seed)
        with transaction.atomic():
            demo.seed_org(ctx, regions=regions, salespeople=salespeople)
            n = seed_customers(ctx, count=customers)
            seed_cognition(ctx)
            seed_catalogue(ctx.company)
            seed_demo_policies(ctx.company)
            demo.seed_todos(ctx)
            # visits draw from their own generator: the data above stays the same with or without them
            seed_visits(ctx.company, rng=random.Random(seed * 7 + 4))
            # FABE cards, objection playbook, competitor scripts, handlings on the visits above
            seed_pitch(ctx.company, rng=random.Random(seed * 7 + 6))
            seed_orders(ctx.company, rng=random.Random(seed * 7 + 8))
            seed_receivables(ctx.company, rng=random.Random(seed * 7 + 9))
            if visits:
                seed_visit_volume(
                    ctx.company,
                    ctx.salespeople[0],
                    customers=options["visit_customers"],
                    visits=visits,
                    rng=random.Random(seed * 7 + 5),
                )
        if not quiet:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {n} customers, {len(ctx.users)} users in {time.monotonic() - started:.1f}s."
                )
            )
