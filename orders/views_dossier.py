"""Pages of the instalment dossier (分期资料): the checklist of one order with an upload form per
document (camera on the phone), finance's verify / refuse buttons, the masked identity numbers
(finance and administrators reveal them, logged), and finance's work list of dossiers waiting.

Thin: parse, call orders.dossier, render. Every POST works as a plain form post (redirect back,
errors next to the field with HTTP 422) and as an htmx request (the document's card or the whole
checklist swapped in place). Files are streamed by ``dossier_file`` after a visibility check.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import sensitive
from core.files import file_response
from core.models import Channel
from core.visibility import Action, get_or_404, visible

from . import dossier as services
from .domain import dossier as rules
from .models import DossierItem, Order

PAGE = "orders/dossier/page.html"
QUEUE_PAGE = 50


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _orders():
    return Order.objects.select_related("customer", "policy", "deal__salesperson")


def _rows(request, order: Order) -> list[dict]:
    """The checklist's rows with their status, in the checklist's order (3 queries)."""
    user = request.user
    items = list(DossierItem.objects.filter(order=order).select_related("uploaded_by", "verified_by"))
    changeable = set(visible(user, DossierItem, Action.CHANGE).filter(order=order).values_list("pk", flat=True))
    finance = user.has_role(*services.FINANCE_ROLES)
    position = {kind: n for n, kind in enumerate(rules.ORDER)}
    items.sort(key=lambda i: (not i.required, position.get(i.kind, 99), i.pk))
    rows = []
    for item in items:
        state = services.item_status(item)
        rows.append(
            {
                "item": item,
                "status": state,
                "is_id": item.kind in rules.ID_DOCUMENTS,
                "id_masked": sensitive.mask(item.id_number),
                "can_upload": item.pk in changeable,
                "can_verify": finance and item.pk in changeable and state == rules.UPLOADED,
                "can_reject": finance and item.pk in changeable and state in (rules.UPLOADED, rules.VERIFIED),
                "is_pdf": item.file.name.endswith(".pdf") if item.file else False,
            }
        )
    return rows


def _context(request, order: Order, *, errors=None, values=None, notice: str = "", open_item=None) -> dict:
    rows = _rows(request, order)
    for r in rows:
        r["errors"] = (errors or {}) if r["item"].pk == open_item else {}
    instalment = services.is_instalment(order)
    required = [r for r in rows if r["item"].required]
    states = [(r["item"].required, r["status"]) for r in rows]
    married_rows = [rules.Row(r["item"].kind, r["item"].required, r["item"].condition) for r in rows]
    return {
        "order": order,
        "customer": order.customer,
        "rows": rows,
        "instalment": instalment,
        "complete": services.dossier_complete(order),
        "needs_install": instalment and services.needs_install(order),
        "counts": {
            "required": len(required),
            "verified": sum(1 for r in required if r["status"] == rules.VERIFIED),
            "uploaded": sum(1 for r in required if r["status"] in (rules.UPLOADED, rules.VERIFIED)),
        },
        "all_uploaded": bool(required) and rules.all_uploaded(states),
        "married": rules.married_from_rows(married_rows),
        "can_change": any(r["can_upload"] for r in rows),
        "may_reveal": sensitive.may_reveal(request.user),
        "max_mb": rules.MAX_BYTES // (1024 * 1024),
        "formats": services.FORMAT_NAMES,
        "errors": errors or {},
        "values": values or {},
        "notice": notice,
        "open_item": open_item,
    }


def _panel(request, order: Order, *, status: int = 200, **kwargs):
    template = PAGE + "#panel" if _htmx(request) else PAGE
    return render(request, template, _context(request, order, **kwargs), status=status)


def _done(request, order: Order, notice: str):
    order = _orders().get(pk=order.pk)
    if _htmx(request):
        return _panel(request, order, notice=notice)
    messages.success(request, notice)
    return redirect("orders:dossier", order_id=order.pk)


def _refused(request, order: Order, exc: Exception):
    message = str(exc) or _("Your role may not do this.")
    if _htmx(request):
        return _panel(request, order, status=403, errors={"general": [message]})
    return render(request, "403.html", {"message": message}, status=403)


def _invalid(request, order: Order, exc: ValidationError, *, item=None, values=None):
    errors = {k: v for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {"general": exc.messages}
    return _panel(request, order, status=422, errors=errors, values=values, open_item=item.pk if item else None)


def _item(request, item_id: int, action: Action) -> DossierItem:
    return get_or_404(request.user, DossierItem, item_id, action, queryset=DossierItem.objects.select_related("order"))


# ------------------------------------------------------------------------------------------ pages
@require_GET
def dossier(request, order_id: int):
    """The checklist of one order (whoever may see the order)."""
    order = get_or_404(request.user, Order, order_id, Action.VIEW, queryset=_orders())
    return _panel(request, order)


@require_POST
def dossier_setup(request, order_id: int):
    """Set up (or bring up to date after a change of policy) the checklist's rows."""
    order = get_or_404(request.user, Order, order_id, Action.VIEW, queryset=_orders())
    try:
        services.dossier_install(order=order, actor=request.user)
    except PermissionError as exc:
        return _refused(request, order, exc)
    return _done(request, order, _("The checklist is up to date."))


@require_POST
def dossier_marital(request, order_id: int):
    order = get_or_404(request.user, Order, order_id, Action.VIEW, queryset=_orders())
    raw = request.POST.get("married", "")
    married = {"yes": True, "no": False}.get(raw)
    try:
        services.dossier_marital(actor=request.user, order=order, married=married)
    except PermissionError as exc:
        return _refused(request, order, exc)
    except ValidationError as exc:
        return _invalid(request, order, exc)
    notice = _("Recorded: the buyer is married.") if married else _("Recorded: the buyer is not married.")
    return _done(request, order, notice)


@require_POST
def dossier_upload(request, item_id: int):
    item = _item(request, item_id, Action.CHANGE)
    order = _orders().get(pk=item.order_id)
    values = {"person_name": request.POST.get("person_name", "")}
    try:
        services.dossier_upload(
            actor=request.user,
            item=item,
            file=request.FILES.get("file"),
            person_name=request.POST.get("person_name", ""),
            id_number=request.POST.get("id_number") or None,
        )
    except PermissionError as exc:
        return _refused(request, order, exc)
    except ValidationError as exc:
        return _invalid(request, order, exc, item=item, values=values)
    return _done(request, order, _("Uploaded: %(document)s.") % {"document": item.get_kind_display()})


@require_POST
def dossier_verify(request, item_id: int):
    item = _item(request, item_id, Action.VIEW)
    order = _orders().get(pk=item.order_id)
    try:
        services.dossier_verify(actor=request.user, item=item)
    except PermissionError as exc:
        return _refused(request, order, exc)
    except ValidationError as exc:
        return _invalid(request, order, exc, item=item)
    return _done(request, order, _("Verified: %(document)s.") % {"document": item.get_kind_display()})


@require_POST
def dossier_reject(request, item_id: int):
    item = _item(request, item_id, Action.VIEW)
    order = _orders().get(pk=item.order_id)
    try:
        services.dossier_reject(actor=request.user, item=item, reason=request.POST.get("reason", ""))
    except PermissionError as exc:
        return _refused(request, order, exc)
    except ValidationError as exc:
        return _invalid(request, order, exc, item=item, values={"reason": request.POST.get("reason", "")})
    return _done(request, order, _("Refused: %(document)s.") % {"document": item.get_kind_display()})


@require_POST
def dossier_reveal(request, item_id: int):
    """The plain identity-card number to finance and administrators; every reveal is logged."""
    item = _item(request, item_id, Action.VIEW)
    try:
        value = sensitive.reveal(user=request.user, instance=item, field="id_number", channel=Channel.PAGE)
    except PermissionError:
        return HttpResponse(escape(_("Your role may not see this number.")), status=403)
    return HttpResponse(f'<span data-testid="id-plain">{escape(value)}</span>')


@require_GET
def dossier_file(request, item_id: int):
    """The uploaded document to whoever may see it; never cached by shared caches."""
    item = _item(request, item_id, Action.VIEW)
    ext = item.file.name.rsplit(".", 1)[-1] if item.file else ""
    return file_response(
        item.file,
        f"dossier-{item.order_id}-{item.kind}.{ext}",
        cache="private, no-store",
        headers={"Content-Security-Policy": "sandbox"},
    )


@require_GET
def dossier_queue(request):
    """Finance: the dossiers of its regions waiting for verification, oldest upload first."""
    if not request.user.has_role(*services.FINANCE_ROLES):
        return render(request, "403.html", {"message": _("Only finance verifies dossiers.")}, status=403)
    page = Paginator(services.waiting_orders(request.user), QUEUE_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/dossier/queue.html", {"page_obj": page, "rows": page.object_list})
