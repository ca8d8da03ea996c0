from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PitchConfig(AppConfig):
    name = "pitch"
    verbose_name = _("Product pitch (产品推介)")
