from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits (客户拜访)")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the periodic jobs)
