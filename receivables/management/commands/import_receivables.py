"""``manage.py import_receivables FILE.xlsx --company ID --user USERNAME [--check]``: the Excel import
of running contracts from the command line, with the page's checks (``receivables.ops.imports``):
every row checked first, all written or nothing; the report row by row; exit code 1 on any problem."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from core.models import User
from receivables.ops import services


class Command(BaseCommand):
    help = "Import running instalment contracts from an Excel file (one row per instalment)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--company", type=int, required=True)
        parser.add_argument("--user", required=True, help="the finance user or administrator importing")
        parser.add_argument("--check", action="store_true", help="check only, write nothing")

    def handle(self, *args, file, company, user, check=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        actor = User.objects.filter(company_id=company, username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {user!r} in company {company}")
        with translation.override(None):  # the messages as in the source (English), like the other commands
            try:
                analysis = services.contracts_import(
                    actor=actor, filename=path.name, data=path.read_bytes(), dry_run=check
                )
            except PermissionError as exc:
                raise CommandError(str(exc)) from None
            except ValidationError as exc:
                raise CommandError(" ".join(m for ms in exc.message_dict.values() for m in ms)) from None
        counts = analysis.counts()
        for i in analysis.issues:
            where = f"row {i.row}" + (f", column {i.column} ({i.heading})" if i.column else "")
            self.stderr.write(f"{where}: {i.message}")
        if not analysis.ok:
            raise CommandError(f"nothing imported: {counts['errors']} problems")
        verb = "checked" if check else "imported"
        self.stdout.write(
            f"{counts['contracts']} contracts with {counts['instalments']} instalments {verb}; "
            f"{counts['opening_payments']} with an opening payment."
        )
