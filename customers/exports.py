"""Excel export of a filtered customer list — visible rows only; personal data logged."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core import sensitive
from core.models import Channel

from .models import Customer


def customers_xlsx(*, user, queryset, channel: str = Channel.PAGE) -> bytes:
    """One sheet; ID-card numbers in clear only for roles that may reveal them (the export is logged)."""
    with_id = sensitive.may_reveal(user)
    headers = [
        _("Name"),
        _("Kind"),
        _("Mobile"),
        _("Province"),
        _("City"),
        _("District"),
        _("Address"),
        _("Intent grade"),
        _("Owner"),
        _("Region"),
        _("Public pool (公海)"),
        _("ID-card number (身份证号)"),
    ]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Customers"))
    ws.append(headers)
    rows = 0
    for c in queryset.select_related("owner", "region").iterator(chunk_size=2000):
        ws.append(
            [
                c.name,
                c.get_kind_display(),
                c.phone,
                c.province,
                c.city,
                c.district,
                c.address,
                c.grade if c.grade is not None else "",
                str(c.owner) if c.owner else "",
                str(c.region),
                _("yes") if c.in_pool else _("no"),
                c.id_number if with_id else sensitive.mask(c.id_number),
            ]
        )
        rows += 1
    if with_id and rows:
        sensitive.log_export(user=user, model=Customer, field="id_number", row_count=rows, channel=channel)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_filename() -> str:
    return f"customers-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
