from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django's own zh-Hans catalogue lacks this one (the empty choice of admin selects): ours has it.
gettext_noop("- Select an option -")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Organisation and system")

    def ready(self) -> None:
        from . import audit, checks, jobs  # noqa: F401  (signal handlers, system checks, periodic jobs)
