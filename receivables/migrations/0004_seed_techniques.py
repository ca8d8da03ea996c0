from django.db import migrations


def seed_techniques(apps, schema_editor):
    """The companies that exist already get the deck's 22 techniques and 8 tips (new ones get them
    when created: receivables.collection.receivers)."""
    from receivables.collection.techniques import default_rows

    Company = apps.get_model("core", "Company")
    Technique = apps.get_model("receivables", "CollectionTechnique")
    for company in Company.objects.all():
        have = set(Technique.objects.filter(company=company).values_list("code", flat=True))
        Technique.objects.bulk_create(
            [Technique(company=company, **row) for row in default_rows() if row["code"] not in have]
        )


class Migration(migrations.Migration):
    dependencies = [("receivables", "0003_collection_parts")]

    operations = [migrations.RunPython(seed_techniques, migrations.RunPython.noop)]
