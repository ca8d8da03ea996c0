"""Excel exports: a filtered customer list with its contact people, industry contacts — visible rows
only; ID-card numbers in clear only for the roles that may see them, and logged."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core import sensitive
from core.models import Channel
from core.visibility import visible

from .models import Customer, CustomerContact, IndustryContact


def customers_xlsx(*, user, queryset, channel: str = Channel.PAGE) -> bytes:
    """The customers, and a second sheet with their contact people (联系人).

    ID-card numbers in clear only for roles that may reveal them (the export is logged). The
    headings are the ones the import recognises, so an exported list can be edited and imported.
    """
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
        _("work type (工程类别)"),
        _("engineering kind (工程细分)"),
        _("use (用途)"),
        _("scale (规模实力)"),
        _("machines owned"),
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
                c.get_work_type_display(),
                c.get_engineering_kind_display(),
                c.get_use_display(),
                c.get_scale_display(),
                c.machine_count if c.machine_count is not None else "",
            ]
        )
        rows += 1
    if with_id and rows:
        sensitive.log_export(user=user, model=Customer, field="id_number", row_count=rows, channel=channel)
    people = wb.create_sheet(_("Contacts (联系人)"))
    people.append(
        [
            _("Customer"),
            _("Customer's mobile"),
            _("Contact person"),
            _("Contact person's mobile"),
            _("Contact person's role"),
            _("Note"),
        ]
    )
    contacts = (
        visible(user, CustomerContact)
        .filter(customer__in=queryset.values("pk"))
        .select_related("customer")
        .order_by("customer__name", "customer_id", "id")
    )
    for p in contacts.iterator(chunk_size=2000):
        people.append([p.customer.name, p.customer.phone, p.name, p.phone, p.title, p.note])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def industry_contacts_xlsx(*, user, queryset) -> bytes:
    """Grade-0 industry contacts (0类客户) as Excel: visible rows only, the kind's own details as text."""
    from .domain import contacts as schema

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Industry contacts (0类客户)"))
    ws.append(
        [
            _("Kind"),
            _("Name"),
            _("Mobile"),
            _("Province"),
            _("City"),
            _("District"),
            _("Address"),
            _("Region"),
            _("reputation (口碑)"),
            _("Details"),
            _("Note"),
        ]
    )
    for c in (
        visible(user, IndustryContact)
        .filter(pk__in=queryset.values("pk"))
        .select_related("region")
        .order_by("kind", "name", "id")
        .iterator(chunk_size=2000)
    ):
        details = []
        for spec in schema.fields_of(c.kind):
            value = c.details.get(spec.name)
            if value not in (None, "", []):
                details.append(f"{_(spec.label)}：{schema.display_value(spec, value)}")
        ws.append(
            [
                c.get_kind_display(),
                c.name,
                c.phone,
                c.province,
                c.city,
                c.district,
                c.address,
                str(c.region),
                c.reputation,
                "；".join(details),
                c.note,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_filename(prefix: str = "customers") -> str:
    return f"{prefix}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
