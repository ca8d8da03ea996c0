"""Re-encrypt every sensitive field and file with the newest key of FIELD_ENCRYPTION_KEYS.

Put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), run this command,
then drop the old keys. Each table is rewritten in batches, one transaction per batch.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core import sensitive


class Command(BaseCommand):
    help = "Re-encrypt all sensitive fields with the newest FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch: int, **options):
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, sensitive.EncryptedTextField)]
            if not fields:
                continue
            columns = [f.column for f in fields]
            table = model._meta.db_table
            last_pk = 0
            while True:
                rows = list(
                    model._default_manager.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .values_list("pk", *[f.attname for f in fields])[:batch]
                )
                if not rows:
                    break
                # values_list decrypts; write back raw tokens encrypted with the newest key
                with transaction.atomic():
                    from django.db import connection

                    with connection.cursor() as cur:
                        for pk, *values in rows:
                            tokens = [sensitive.encrypt(v) if v else v for v in values]
                            q = connection.ops.quote_name
                            sets = ", ".join(f"{q(c)} = %s" for c in columns)
                            sql = f"UPDATE {q(table)} SET {sets} WHERE {q(model._meta.pk.column)} = %s"  # noqa: S608
                            cur.execute(sql, [*tokens, pk])
                total += len(rows)
                last_pk = rows[-1][0]
            self.stdout.write(f"{model._meta.label}: re-encrypted {', '.join(columns)}")
        files = 0
        for model in apps.get_models():  # sensitive files (ID cards…): core.sensitive.encrypted_storage
            for field in model._meta.concrete_fields:
                storage = getattr(field, "storage", None)
                if not isinstance(storage, sensitive.EncryptedFileSystemStorage):
                    continue
                names = model._default_manager.exclude(**{field.attname: ""}).values_list(field.attname, flat=True)
                for name in names.iterator():
                    if storage.exists(name):
                        storage.reencrypt(name)
                        files += 1
                self.stdout.write(f"{model._meta.label}.{field.name}: files re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows, {files} files."))
