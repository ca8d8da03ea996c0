from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Commercial policies (商务政策)")

    def ready(self):
        from . import today  # noqa: F401  (the Today page's panel of offers about to end)
