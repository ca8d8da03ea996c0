from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def field_encryption_keys(app_configs, **kwargs):
    if not settings.FIELD_ENCRYPTION_KEYS:
        return [
            Warning(
                "FIELD_ENCRYPTION_KEYS is not set: sensitive fields use a key derived from SECRET_KEY.",
                hint="Generate one with `python manage.py generate_field_key` (see docs/deploy.md).",
                id="digdeal.W001",
            )
        ]
    return []
