"""API of the ops part (django-ninja), mounted beside receivables.api.

POST /api/receivables/import      multipart: file (.xlsx), dry_run (optional, "true": check only)
     201 {"written": true|false, "counts": {...}}  every row valid (written unless dry_run)
     422 {"error": {"code": "invalid", "message", "fields": {"row 3 B": ["…"]}}, "rows": [...], "counts"}
         a row is bad — nothing written; or the file cannot be read ({"fields": {"file": [...]}})
     403 a role other than finance or administrator
GET  /api/receivables/accounts/{id}/dpd   the account's days past due over the last 180 days
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from core.api import error_body

from .. import selectors as ledger_selectors
from . import imports, selectors, services

router = Router(tags=["receivables"])


@router.post("/receivables/import", response={201: dict, 422: dict})
def import_contracts(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    analysis = services.contracts_import(
        actor=request.user, filename=file.name or "", data=file.read(), dry_run=dry_run
    )
    counts = analysis.counts()
    if not analysis.ok:
        fields = {k: [v] for k, v in imports.errors_dict(analysis).items()}
        body = error_body(
            "invalid", _("Nothing was imported: %(n)s problems in the file.") % {"n": counts["errors"]}, fields
        )
        return Status(422, body | {"rows": [i.as_dict() for i in analysis.issues], "counts": counts})
    return Status(201, {"written": not dry_run, "counts": counts})


@router.get("/receivables/accounts/{int:account_id}/dpd", response=dict)
def dpd_history(request, account_id: int):
    account = ledger_selectors.account_detail(request.user, account_id)
    history = selectors.dpd_history(request.user, account)
    return {
        "account": account.pk,
        "first_late_on": account.first_late_on.isoformat() if account.first_late_on else None,
        "days": history["days"],
        "days_past_due": history["dpd"],
        "overdue_fen": history["overdue"],
    }
