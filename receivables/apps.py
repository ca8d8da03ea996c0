from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = _("Receivables (债权管理)")

    def ready(self):
        from orders.signals import schedule_ready

        schedule_ready.connect(_schedule_ready, dispatch_uid="receivables.account_from_contract")
        from importlib import import_module

        from .parts import PARTS

        for part in PARTS:
            import_module(f"receivables.{part}.receivers")


def _schedule_ready(sender, contract, **kwargs):
    """A delivered machine's contract becomes a receivable account (in delivery_done's transaction)."""
    from .services import account_from_contract

    account_from_contract(contract=contract)
