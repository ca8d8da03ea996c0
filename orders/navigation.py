"""Menu entries of order to delivery (下单交车); see core/navigation.py. Each part appends its own."""

from django.utils.translation import gettext_lazy as _  # noqa: F401

from core.models import Role  # noqa: F401
from core.navigation import NavItem  # noqa: F401

NAV_DEALS: list = []
NAV_DELIVERY: list = []

NAV = [*NAV_DEALS, *NAV_DELIVERY]
