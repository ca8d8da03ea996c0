"""Demo data of the order documents: the deals part (orders/demo_deals.py) writes the orders,
deposits, contracts and down payments each stage needs; this seeder completes them as the services
would have — the default contract template, the instalment schedule of each financed contract, the
PDFs (order confirmation, deposit receipt, contract) so every document of the demo prints in
Chinese — and leaves one down payment falling due in two days with its reminder to-do."""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.pdf import render_pdf

from . import documents as docs
from .models import Contract, Deposit, Order


@transaction.atomic
def seed_documents(company, *, rng: random.Random, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    docs.install_default_template(company)
    counts = {"orders": 0, "receipts": 0, "contracts": 0, "schedules": 0}
    orders = Order.objects.filter(company=company).select_related("customer", "product", "policy", "deal__salesperson")
    for order in orders:
        if order.confirmed_at and not order.pdf:
            data = render_pdf(docs.PDF_ORDER, docs.order_pdf_context(order))
            order.pdf.save(f"c{company.pk}-{order.number}.pdf", ContentFile(data), save=False)
            order.save(update_fields=["pdf"])
            counts["orders"] += 1
    for deposit in Deposit.objects.filter(company=company, pdf="").select_related("order__customer", "order__product"):
        if not deposit.penalty_terms:
            deposit.penalty_terms = "买方无故不履约的，定金不予退还。"
        data = render_pdf(docs.PDF_RECEIPT, docs.receipt_pdf_context(deposit))
        deposit.pdf.save(f"c{company.pk}-{deposit.receipt_number}.pdf", ContentFile(data), save=False)
        deposit.save(update_fields=["pdf", "penalty_terms"])
        counts["receipts"] += 1
    contracts = Contract.objects.filter(company=company, pdf="").select_related("order__customer", "template")
    for contract in contracts:
        if not contract.schedule:
            try:
                contract.schedule = docs.contract_schedule(contract.order)
            except Exception:  # noqa: BLE001 - a demo policy that cannot be worked out keeps no schedule
                contract.schedule = []
            counts["schedules"] += bool(contract.schedule)
        if contract.template.body.strip() == "{{ order.number }}":  # the deals part's stand-in template
            contract.template = docs.install_default_template(company)
        data = render_pdf(docs.PDF_CONTRACT, docs.contract_pdf_context(contract))
        contract.pdf.save(f"c{company.pk}-{contract.number}.pdf", ContentFile(data), save=False)
        contract.save(update_fields=["pdf", "schedule", "template"])
        counts["contracts"] += 1
    # one signed contract whose down payment is still due in two days: the reminder shows on Today
    waiting = (
        Order.objects.filter(company=company, contract__signed_on__isnull=False, down_payments__isnull=True)
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        Order.objects.filter(pk=waiting.pk).update(down_payment_due=today + dt.timedelta(days=2))
        docs.down_payment_reminders(today=today)
    return counts
