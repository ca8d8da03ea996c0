"""``manage.py snapshot_receivables [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--company ID]``: the
days-past-due snapshot (逾期快照) of every account with something outstanding, for one day (today by
default) or every day from ``--from`` to ``--date`` (a backfill). Idempotent: a day snapshotted again
is brought up to date. The first-late-payment alerts go out only for today's snapshot."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import audit
from core.models import Channel, Company
from receivables.ops import services


def _day(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name}: write the date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = "Take the days-past-due snapshot of every open receivable account (one day or a backfill)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day (default today)")
        parser.add_argument("--from", dest="start", help="backfill every day from this date to --date")
        parser.add_argument("--company", type=int, help="one company only")

    def handle(self, *args, date=None, start=None, company=None, **options):
        today = timezone.localdate()
        end = _day(date, "date") if date else today
        first = _day(start, "from") if start else end
        if first > end:
            raise CommandError("--from must not be after --date")
        if end > today:
            raise CommandError("--date cannot be in the future")
        companies = Company.objects.order_by("pk")
        if company:
            companies = companies.filter(pk=company)
            if not companies.exists():
                raise CommandError(f"no company {company}")
        totals = {"snapshots": 0, "updated": 0, "first_late": 0}
        with audit.acting(None, Channel.SYSTEM):
            for c in companies:
                day = first
                while day <= end:
                    for k, v in services.snapshot_take(c, day, alert=day == today).items():
                        totals[k] += v
                    day += dt.timedelta(days=1)
        self.stdout.write(
            f"{totals['snapshots']} snapshots written, {totals['updated']} brought up to date, "
            f"{totals['first_late']} accounts late for the first time ({first} to {end})."
        )
