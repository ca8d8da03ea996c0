"""Signals of order to delivery that other modules consume.

``schedule_ready`` — sent by ``orders.delivery.delivery_done`` (inside its transaction) when the
machine is delivered: the contract's instalment schedule is handed to receivables (债权管理).

    from orders.signals import schedule_ready

    def take_schedule(sender, contract, **kwargs):  # sender is orders.models.Contract
        ...  # contract.schedule: [{n, due, principal, interest, fee, payment, balance}, ...]

    schedule_ready.connect(take_schedule)

Until the receivables module exists nobody listens: the schedule stays on the contract
(``Contract.schedule``) and ``Contract.handed_to_receivables_at`` records the hand-off, so the
receivables module can pick up every contract handed over before it was installed.
"""

from django.dispatch import Signal

schedule_ready = Signal()  # kwargs: contract
