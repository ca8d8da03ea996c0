"""Pages of the ops part (thin): the import of running contracts (finance and administrators) with
its template, and the days-past-due history is on the account page (panels.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers.import_base import XLSX_TYPE

from . import imports, services


def _forbidden(request):
    return render(
        request, "403.html", {"message": _("Only finance and administrators import receivables.")}, status=403
    )


def _fields() -> list[tuple[str, str, bool]]:
    return [(heading, imports.LABELS[f], f in imports.REQUIRED) for f, (heading, _a) in imports.COLUMNS_SPEC.items()]


@require_http_methods(["GET", "POST"])
def import_contracts(request):
    """Upload the sheet: every row checked first; "check only" writes nothing; otherwise all rows are
    written or — any row bad — none, with the report row by row (HTTP 422)."""
    if not imports.may_import(request.user):
        return _forbidden(request)
    context: dict = {"fields": _fields(), "dry_run": request.POST.get("dry_run") == "1"}
    if request.method == "GET":
        return render(request, "receivables/ops/import.html", context)
    upload = request.FILES.get("file")
    if upload is None:
        context["file_error"] = _("Choose the Excel file (.xlsx) to import.")
        return render(request, "receivables/ops/import.html", context, status=422)
    try:
        analysis = services.contracts_import(
            actor=request.user, filename=upload.name or "", data=upload.read(), dry_run=context["dry_run"]
        )
    except ValidationError as exc:
        context["file_error"] = " ".join(m for ms in exc.message_dict.values() for m in ms)
        return render(request, "receivables/ops/import.html", context, status=422)
    context.update(analysis=analysis, counts=analysis.counts(), written=analysis.ok and not context["dry_run"])
    return render(request, "receivables/ops/import.html", context, status=200 if analysis.ok else 422)


@require_GET
def import_template(request):
    if not imports.may_import(request.user):
        return _forbidden(request)
    response = HttpResponse(imports.template_xlsx(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="receivables-import.xlsx"'
    return response
