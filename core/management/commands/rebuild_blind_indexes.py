"""Recompute the keyed hashes of encrypted values (after changing BLIND_INDEX_KEY)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core import sensitive


class Command(BaseCommand):
    help = "Recompute every blind index (e.g. Customer.id_number_index) with the current BLIND_INDEX_KEY."

    def handle(self, *args, **options):
        for model in apps.get_models():
            for field, index_field in sensitive.blind_indexed_fields(model):
                rows = 0
                qs = model._default_manager.exclude(**{field: ""}).only("pk", field)
                with transaction.atomic():
                    for obj in qs.iterator(chunk_size=1000):
                        value = getattr(obj, field)
                        model._default_manager.filter(pk=obj.pk).update(
                            **{index_field: sensitive.blind_index(value) if value else ""}
                        )
                        rows += 1
                self.stdout.write(f"{model._meta.label}.{index_field}: {rows} rows")
