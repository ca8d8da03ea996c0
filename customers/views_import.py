"""Import pages: upload and columns, preview with the row-by-row report, confirm (thin: see imports.py).

Two imports share the pages: customers (``imports``) and grade-0 industry contacts
(``imports_contacts``), each described by a ``Flow`` (its service module and URL names).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.models import Region

from . import imports, imports_contacts
from .domain import contact_import as ci
from .domain import contacts as schema
from .domain import importing as imp
from .models import IndustryContact

LEVELS = ("error", "warning", "skipped")


@dataclass(frozen=True)
class Flow:
    name: str  # the URL names' stem: "import" or "contacts_import"
    service: ModuleType
    done: str  # where a confirmed import leads

    def url(self, what: str = "") -> str:
        return f"customers:{self.name}" + (f"_{what}" if what else "")


CUSTOMERS = Flow("import", imports, "customers:list")
CONTACTS = Flow("contacts_import", imports_contacts, "customers:contacts")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("Excel workbook (.xlsx) or CSV (UTF-8 or GBK)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )
    region = forms.ModelChoiceField(
        label=gettext_lazy("Default region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=gettext_lazy("For the rows whose region column is blank (or when there is no such column)."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = imports.writable_regions(user)
        self.fields["region"].queryset = regions
        if len(regions) == 1:
            self.fields["region"].initial = regions[0].pk


def _kind_choices():
    return [("", _("From the kind column (类别) of each row")), *IndustryContact.Kind.choices]


class ContactUploadForm(UploadForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of contact"),
        choices=_kind_choices,
        required=False,
        help_text=gettext_lazy("One kind for the whole sheet; or leave it to the sheet's kind column (类别)."),
    )
    field_order = ("file", "kind", "region")


def _forbidden(request):
    return render(request, "403.html", status=403)


def _batch_or_404(request, flow: Flow, batch) -> dict:
    try:
        return flow.service.load_batch(actor=request.user, batch_id=batch)
    except flow.service.BatchNotFound:
        raise Http404 from None


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=imports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- upload --------------------------------------------------------------------------------------------


def import_start(request):
    if not imports.may_import(request.user):
        return _forbidden(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        region = form.cleaned_data["region"]
        try:
            batch = imports.import_upload(
                actor=request.user,
                filename=upload.name,
                data=upload.read(),
                default_region_id=region.pk if region else None,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return redirect("customers:import_preview", batch=batch["id"])
    ctx = {
        "form": form,
        "fields": [
            (imp.TEMPLATE_HEADINGS[f], imports.FIELD_LABELS[f], imports.accepted_values().get(f, ""))
            for f in imp.FIELDS
        ],
        "can_import_contacts": imports_contacts.may_import(request.user),
    }
    return render(request, "customers/import/start.html", ctx, status=422 if form.errors else 200)


def contacts_import_start(request):
    service = imports_contacts
    if not service.may_import(request.user):
        return _forbidden(request)
    initial = {"kind": request.GET.get("kind", "")} if request.GET.get("kind") in service.KINDS else {}
    form = ContactUploadForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        region = form.cleaned_data["region"]
        try:
            batch = service.import_upload(
                actor=request.user,
                filename=upload.name,
                data=upload.read(),
                kind=form.cleaned_data["kind"],
                default_region_id=region.pk if region else None,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return redirect("customers:contacts_import_preview", batch=batch["id"])
    accepted = service.accepted_values()
    labels = service.field_labels()
    kinds = []
    for value, label in IndustryContact.Kind.choices:
        specs = schema.fields_of(value)
        kinds.append(
            {
                "kind": value,
                "label": label,
                "name": ci.KIND_NAMES[schema.Kind(value)][0],
                "fields": [(ci.template_heading(value, s.name), _(s.label), service.accepted(s)) for s in specs],
            }
        )
    ctx = {
        "form": form,
        "fields": [(ci.TEMPLATE_HEADINGS[f], labels[f], accepted.get(f, "")) for f in ci.COMMON],
        "kinds": kinds,
        "can_import_customers": imports.may_import(request.user),
    }
    return render(request, "customers/import/contacts_start.html", ctx, status=422 if form.errors else 200)


# --- preview, columns, confirm, cancel, report -------------------------------------------------------


def _preview(request, flow: Flow, batch):
    service = flow.service
    if not service.may_import(request.user):
        return _forbidden(request)
    data = _batch_or_404(request, flow, batch)
    level = request.GET.get("level", "")
    level = level if level in LEVELS else ""
    page = Paginator(service.issue_rows(data, level), 100).get_page(request.GET.get("page"))
    ctx = {
        "urls": {what: flow.url(what) for what in ("confirm", "cancel", "report", "mapping")},
        "contacts": flow is CONTACTS,
        "batch": data,
        "summary": data["summary"],
        "problems": [p["message"] for p in service.mapping_messages(data)],
        "regions": imports.writable_regions(request.user),
        "page_obj": page,
        "level": level,
        "levels": [("", _("All")), ("error", _("Errors")), ("warning", _("Warnings")), ("skipped", _("Skipped"))],
        "querystring_base": f"level={level}&" if level else "",
    }
    if flow is CONTACTS:
        kind = data.get("contact_kind") or ""
        labels = service.field_labels(kind or data.get("inferred_kind") or "")
        fields = service.columns_for(kind).fields
        ctx |= {
            "kind_choices": _kind_choices(),
            "contact_kind": kind,
            "inferred_kind": service.kind_label(data["inferred_kind"]) if data.get("inferred_kind") else "",
            "confirm_label": ngettext(
                "Import %(n)s industry contact", "Import %(n)s industry contacts", data["summary"]["valid"]
            )
            % {"n": data["summary"]["valid"]},
        }
    else:
        labels = {f: str(imports.FIELD_LABELS[f]) for f in imp.FIELDS}
        fields = imp.FIELDS
        ctx["confirm_label"] = None  # the template's own plural sentence
    ctx["field_choices"] = [("", _("— not imported —"))] + [(f, labels[f]) for f in fields]
    ctx["columns"] = [
        {"index": i, "letter": imp.column_letter(i), "heading": h, "field": data["mapping"][i]}
        for i, h in enumerate(data["headings"])
    ]
    template = (
        "customers/import/preview.html#report" if request.headers.get("HX-Request") else "customers/import/preview.html"
    )
    return render(request, template, ctx)


def _mapping(request, flow: Flow, batch):
    service = flow.service
    if not service.may_import(request.user):
        return _forbidden(request)
    data = _batch_or_404(request, flow, batch)
    mapping = {}
    for i in range(len(data["headings"])):
        value = request.POST.get(f"col-{i}")
        if value is not None:
            mapping[i] = value
    region = request.POST.get("region") or None
    try:
        region_id = int(region) if region else None
    except ValueError:
        region_id = -1
    options = {"kind": request.POST.get("kind", "")} if flow is CONTACTS and "kind" in request.POST else {}
    try:
        service.import_remap(
            actor=request.user, batch_id=batch, mapping=mapping, default_region_id=region_id, **options
        )
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for e in errors:
                messages.error(request, e)
    else:
        messages.success(request, _("Checked again with the columns you chose."))
    return redirect(flow.url("preview"), batch=batch)


def _confirm(request, flow: Flow, batch):
    service = flow.service
    if not service.may_import(request.user):
        return _forbidden(request)
    try:
        result = service.import_confirm(
            actor=request.user, batch_id=batch, skip_flagged=request.POST.get("skip_flagged") == "1"
        )
    except service.BatchNotFound:
        raise Http404 from None
    except ValidationError as exc:
        for e in exc.messages:
            messages.error(request, e)
        return redirect(flow.url("preview"), batch=batch)
    if flow is CONTACTS:
        text = _("Imported %(created)s industry contacts; %(left)s rows left out.") % {
            "created": result.created,
            "left": result.left_out,
        }
    else:
        text = _("Imported %(created)s customers and %(contacts)s contact people; %(left)s rows left out.") % {
            "created": result.created,
            "contacts": result.contacts,
            "left": result.left_out,
        }
        if getattr(result, "preset_later", 0):
            text += " " + _("The needs of %(n)s classified customers are being preset in the background.") % {
                "n": result.preset_later
            }
    messages.success(request, text)
    return redirect(flow.done)


def _cancel(request, flow: Flow, batch):
    service = flow.service
    if not service.may_import(request.user):
        return _forbidden(request)
    try:
        service.import_cancel(actor=request.user, batch_id=batch)
    except service.BatchNotFound:
        raise Http404 from None
    messages.success(request, _("Import cancelled: nothing was written."))
    return redirect(flow.url())


def _report(request, flow: Flow, batch):
    service = flow.service
    if not service.may_import(request.user):
        return _forbidden(request)
    data = _batch_or_404(request, flow, batch)
    return _xlsx(
        service.report_xlsx(actor=request.user, batch=data), f"import-report-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    )


def import_preview(request, batch):
    return _preview(request, CUSTOMERS, batch)


@require_POST
def import_mapping(request, batch):
    return _mapping(request, CUSTOMERS, batch)


@require_POST
def import_confirm(request, batch):
    return _confirm(request, CUSTOMERS, batch)


@require_POST
def import_cancel(request, batch):
    return _cancel(request, CUSTOMERS, batch)


def import_report(request, batch):
    return _report(request, CUSTOMERS, batch)


def contacts_import_preview(request, batch):
    return _preview(request, CONTACTS, batch)


@require_POST
def contacts_import_mapping(request, batch):
    return _mapping(request, CONTACTS, batch)


@require_POST
def contacts_import_confirm(request, batch):
    return _confirm(request, CONTACTS, batch)


@require_POST
def contacts_import_cancel(request, batch):
    return _cancel(request, CONTACTS, batch)


def contacts_import_report(request, batch):
    return _report(request, CONTACTS, batch)


# --- templates and the export --------------------------------------------------------------------------


def import_template(request):
    if not imports.may_import(request.user):
        return _forbidden(request)
    return _xlsx(imports.template_xlsx(actor=request.user), "customers-template.xlsx")


def contacts_import_template(request):
    """An empty list of one kind of industry contact (``?kind=operator``), or of any kind."""
    service = imports_contacts
    if not service.may_import(request.user):
        return _forbidden(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in service.KINDS else ""
    return _xlsx(service.template_xlsx(actor=request.user, kind=kind), f"industry-contacts-{kind or 'all'}.xlsx")


def industry_contacts_export(request):
    """Grade-0 industry contacts as Excel (``?kind=repair_shop`` for one kind): visible rows only."""
    from core.visibility import Action, may, visible

    from .exports import export_filename, industry_contacts_xlsx

    if not may(request.user, IndustryContact, Action.LIST):
        return _forbidden(request)
    qs = visible(request.user, IndustryContact)
    kind = request.GET.get("kind", "")
    if kind in IndustryContact.Kind.values:
        qs = qs.filter(kind=kind)
    return _xlsx(industry_contacts_xlsx(user=request.user, queryset=qs), export_filename("industry-contacts"))
