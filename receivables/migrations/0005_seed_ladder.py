from django.conf import settings
from django.db import migrations
from django.utils import translation


def seed_ladder(apps, schema_editor):
    """The companies that exist already get the default escalation ladder (new ones get it when
    created: receivables.risk.receivers), named in the site's default language."""
    from receivables.risk.defaults import DEFAULT_STAGES

    Company = apps.get_model("core", "Company")
    Stage = apps.get_model("receivables", "EscalationStage")
    with translation.override(settings.LANGUAGE_CODE):
        for company in Company.objects.all():
            have = set(Stage.objects.filter(company=company).values_list("code", flat=True))
            Stage.objects.bulk_create(
                [
                    Stage(company=company, **{**row, "name": str(row["name"])})
                    for row in DEFAULT_STAGES
                    if row["code"] not in have
                ]
            )


class Migration(migrations.Migration):
    dependencies = [("receivables", "0004_seed_techniques")]

    operations = [migrations.RunPython(seed_ladder, migrations.RunPython.noop)]
