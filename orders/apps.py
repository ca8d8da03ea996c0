from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order to delivery (下单交车)")

    def ready(self):
        from django.db.models.signals import post_save

        from policies.models import QuoteVersion

        from . import tasks_documents  # noqa: F401  (registers the down payment reminder job)

        post_save.connect(_quote_issued, sender=QuoteVersion, dispatch_uid="orders.deals.sync_after_quote")


def _quote_issued(sender, instance, created, raw=False, **kwargs):
    """A new quote version moves the customer's open deals for that machine into 报价."""
    if created and not raw:
        from .deals import sync_after_quote

        sync_after_quote(instance)
