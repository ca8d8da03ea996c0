"""Import pages: upload and columns, preview with the row-by-row report, confirm (thin: see imports.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.models import Region

from . import imports
from .domain import importing as imp

LEVELS = ("error", "warning", "skipped")


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


def _forbidden(request):
    return render(request, "403.html", status=403)


def _batch_or_404(request, batch) -> dict:
    try:
        return imports.load_batch(actor=request.user, batch_id=batch)
    except imports.BatchNotFound:
        raise Http404 from None


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=imports.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
    }
    return render(request, "customers/import/start.html", ctx, status=422 if form.errors else 200)


def import_preview(request, batch):
    if not imports.may_import(request.user):
        return _forbidden(request)
    data = _batch_or_404(request, batch)
    level = request.GET.get("level", "")
    level = level if level in LEVELS else ""
    page = Paginator(imports.issue_rows(data, level), 100).get_page(request.GET.get("page"))
    fields = [("", _("— not imported —"))] + [(f, str(imports.FIELD_LABELS[f])) for f in imp.FIELDS]
    columns = [
        {"index": i, "letter": imp.column_letter(i), "heading": h, "field": data["mapping"][i]}
        for i, h in enumerate(data["headings"])
    ]
    ctx = {
        "batch": data,
        "summary": data["summary"],
        "columns": columns,
        "field_choices": fields,
        "problems": [p["message"] for p in imports.mapping_messages(data)],
        "regions": imports.writable_regions(request.user),
        "page_obj": page,
        "level": level,
        "levels": [("", _("All")), ("error", _("Errors")), ("warning", _("Warnings")), ("skipped", _("Skipped"))],
        "querystring_base": f"level={level}&" if level else "",
    }
    template = (
        "customers/import/preview.html#report" if request.headers.get("HX-Request") else "customers/import/preview.html"
    )
    return render(request, template, ctx)


@require_POST
def import_mapping(request, batch):
    if not imports.may_import(request.user):
        return _forbidden(request)
    data = _batch_or_404(request, batch)
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
    try:
        imports.import_remap(actor=request.user, batch_id=batch, mapping=mapping, default_region_id=region_id)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for e in errors:
                messages.error(request, e)
    else:
        messages.success(request, _("Checked again with the columns you chose."))
    return redirect("customers:import_preview", batch=batch)


@require_POST
def import_confirm(request, batch):
    if not imports.may_import(request.user):
        return _forbidden(request)
    try:
        result = imports.import_confirm(
            actor=request.user, batch_id=batch, skip_flagged=request.POST.get("skip_flagged") == "1"
        )
    except imports.BatchNotFound:
        raise Http404 from None
    except ValidationError as exc:
        for e in exc.messages:
            messages.error(request, e)
        return redirect("customers:import_preview", batch=batch)
    messages.success(
        request,
        _("Imported %(created)s customers and %(contacts)s contact people; %(left)s rows left out.")
        % {"created": result.created, "contacts": result.contacts, "left": result.left_out},
    )
    return redirect("customers:list")


@require_POST
def import_cancel(request, batch):
    if not imports.may_import(request.user):
        return _forbidden(request)
    try:
        imports.import_cancel(actor=request.user, batch_id=batch)
    except imports.BatchNotFound:
        raise Http404 from None
    messages.success(request, _("Import cancelled: nothing was written."))
    return redirect("customers:import")


def import_report(request, batch):
    if not imports.may_import(request.user):
        return _forbidden(request)
    data = _batch_or_404(request, batch)
    return _xlsx(
        imports.report_xlsx(actor=request.user, batch=data), f"import-report-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    )


def import_template(request):
    if not imports.may_import(request.user):
        return _forbidden(request)
    return _xlsx(imports.template_xlsx(actor=request.user), "customers-template.xlsx")


def industry_contacts_export(request):
    """Grade-0 industry contacts as Excel (``?kind=repair_shop`` for one kind): visible rows only."""
    from core.visibility import Action, may, visible

    from .exports import export_filename, industry_contacts_xlsx
    from .models import IndustryContact

    if not may(request.user, IndustryContact, Action.LIST):
        return _forbidden(request)
    qs = visible(request.user, IndustryContact)
    kind = request.GET.get("kind", "")
    if kind in IndustryContact.Kind.values:
        qs = qs.filter(kind=kind)
    return _xlsx(industry_contacts_xlsx(user=request.user, queryset=qs), export_filename("industry-contacts"))
