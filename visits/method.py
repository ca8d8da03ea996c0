"""The visit method's configuration, read from the database into ``visits.rules`` terms."""

from __future__ import annotations

from django.db import transaction

from . import rules
from .models import ChecklistItem, VisitSettings


@transaction.atomic
def install_defaults(company_id: int) -> VisitSettings:
    """SPEC §2 defaults: the cadence per grade and the deck's material checklist."""
    row, _ = VisitSettings.objects.get_or_create(company_id=company_id)
    if not ChecklistItem.objects.filter(company_id=company_id).exists():
        ChecklistItem.objects.bulk_create(
            [ChecklistItem(company_id=company_id, name=n, order=i) for i, n in enumerate(rules.DEFAULT_CHECKLIST, 1)]
        )
    return row


def settings_for(company_id: int) -> VisitSettings:
    """The dealer's visit settings (one query; the defaults are installed the first time)."""
    row = VisitSettings.objects.filter(company_id=company_id).first()
    return row if row is not None else install_defaults(company_id)


def checklist_for(company_id: int) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(company_id=company_id, active=True))
