"""Signals between the parts of receivables.

``risk_inputs_changed(sender, account)``: something the risk score reads changed on ``account``
(a payment or its reversal, a promise kept or broken, a risk signal recorded, a day passed). Sent
inside the writer's transaction; the risk part recomputes the account's score on it.
"""

from django.dispatch import Signal

risk_inputs_changed = Signal()

# ``payment_posted(sender, payment, account)``: a payment or a reversal was just recorded (not sent
# again for a repeated idempotency key), inside the writer's transaction.
payment_posted = Signal()
