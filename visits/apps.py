from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits (客户拜访)")

    def ready(self) -> None:
        from core.services import on_todo_done

        from . import (
            tasks,  # noqa: F401  (registers the periodic jobs)
            today,  # noqa: F401  (the Today page's visits panel)
        )
        from .notes import close_followup_of_todo

        on_todo_done("visits.followup.", close_followup_of_todo)
