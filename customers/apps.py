from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customer cognition (客户认知)")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the periodic pool sweep)
