"""Pages of the FABE cards (FABE 话术卡): a product's cards, the pitch sheet (推介单) of a customer,
the evidence files (served with visibility, never from a public media URL), and the editing of a
card and its evidence by managers and administrators. Thin: parse, call pitch.fabe, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.files import file_response
from core.visibility import Action, get_or_404, may, visible
from customers.models import NeedPoint
from customers.selectors import customer_search

from . import fabe
from .models import FabeCard, FabeEvidence, Product, SellingPoint

PICK_LIMIT = 20


def _int_or_none(value: str | None):
    return int(value) if value and value.isdigit() else None


@require_GET
def product_cards(request, pk: int):
    """The FABE cards of a product's selling points, and a search to open a customer's pitch sheet."""
    product = get_or_404(request.user, Product, pk)
    return render(
        request,
        "pitch/fabe/cards.html",
        {
            "product": product,
            "cards": [fabe.SheetCard(c) for c in fabe.product_cards(request.user, product)],
            "can_change": may(request.user, FabeCard, Action.CHANGE),
        },
    )


@require_GET
def sheet_pick(request):
    """Find the customer whose pitch sheet to open (name, mobile or pinyin initials)."""
    q = request.GET.get("q", "").strip()[:60]
    product_id = _int_or_none(request.GET.get("product"))
    found = list(customer_search(request.user, q=q).order_by("name", "pk")[: PICK_LIMIT + 1]) if q else []
    if len(found) == 1:
        url = reverse("pitch:sheet", args=[found[0].pk])
        return redirect(url + (f"?product={product_id}" if product_id else ""))
    return render(
        request,
        "pitch/fabe/pick.html",
        {"q": q, "customers": found[:PICK_LIMIT], "more": len(found) > PICK_LIMIT, "product_id": product_id},
    )


@require_GET
def sheet(request, customer_id: int):
    """The pitch sheet of a customer for one product (?product=<id>, else the first on sale)."""
    raw = request.GET.get("product", "")
    product_id = _int_or_none(raw)
    if raw and product_id is None:
        raise Http404
    data = fabe.sheet(request.user, customer_id, product_id)
    return render(request, "pitch/fabe/sheet.html", data)


@require_GET
def evidence(request, pk: int):
    """An evidence file (photo, report, video) to whoever may see its card; private cache."""
    row = get_or_404(request.user, FabeEvidence, pk)
    ext = row.file.name.rsplit(".", 1)[-1].lower() if row.file else ""
    return file_response(row.file, f"evidence-{row.pk}.{ext}", attachment=ext not in ("jpg", "pdf", "mp4"))


# ------------------------------------------------------------------------------------------ editing
# Managers and administrators write the cards here (administrators also in the admin site).


def _card_form_context(request, product, card=None, *, values=None, errors=None, evidence_errors=None) -> dict:
    points = visible(request.user, NeedPoint).filter(active=True).order_by("order", "pk")
    chosen = (
        {str(v) for v in values.getlist("need_points")}
        if values is not None
        else ({str(p.pk) for p in card.need_points.all()} if card else set())
    )
    return {
        "product": product,
        "card": card,
        "selling_points": visible(request.user, SellingPoint).filter(product=product),
        "need_points": [(p, str(p.pk) in chosen) for p in points],
        "values": values if values is not None else {},
        "errors": errors or {},
        "evidence_errors": evidence_errors or {},
        "evidence": list(card.evidence.all()) if card else [],
        "kinds": FabeEvidence.Kind.choices,
    }


def _card_save(request, product, card=None):
    data = request.POST
    sp_id = _int_or_none(data.get("selling_point"))
    selling_point = visible(request.user, SellingPoint).filter(product=product, pk=sp_id).first() if sp_id else None
    try:
        card = fabe.card_save(
            actor=request.user,
            card=card,
            selling_point=selling_point,
            feature=data.get("feature", ""),
            advantage=data.get("advantage", ""),
            benefit=data.get("benefit", ""),
            evidence_text=data.get("evidence_text", ""),
            need_points=[v for v in data.getlist("need_points") if v.isdigit()],
            order=data.get("order") or 0,
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    except ValidationError as exc:
        ctx = _card_form_context(request, product, card, values=data, errors=exc.message_dict)
        return render(request, "pitch/fabe/edit.html", ctx, status=422)
    messages.success(request, _("FABE card saved."))
    return redirect("pitch:card_edit", pk=card.pk)


def card_add(request, pk: int):
    """A new card for one of the product's selling points (?selling_point=<id> preselects it)."""
    product = get_or_404(request.user, Product, pk)
    if not may(request.user, FabeCard, Action.CHANGE):
        raise PermissionDenied
    if request.method == "POST":
        return _card_save(request, product)
    values = {"selling_point": request.GET.get("selling_point", "")}
    ctx = _card_form_context(request, product) | {"values": values}
    return render(request, "pitch/fabe/edit.html", ctx)


def card_edit(request, pk: int):
    """Change a selling point's card and its evidence."""
    card = get_or_404(
        request.user,
        FabeCard,
        pk,
        Action.CHANGE,
        queryset=FabeCard.objects.select_related("selling_point__product", "policy").prefetch_related("need_points"),
    )
    if card.selling_point_id is None:  # a policy's card: edited in the admin site with the policies
        raise Http404
    product = card.selling_point.product
    if request.method == "POST":
        return _card_save(request, product, card)
    values = {
        "selling_point": str(card.selling_point_id),
        "feature": card.feature,
        "advantage": card.advantage,
        "benefit": card.benefit,
        "evidence_text": card.evidence_text,
        "order": card.order,
    }
    return render(request, "pitch/fabe/edit.html", _card_form_context(request, product, card) | {"values": values})


@require_POST
def evidence_add(request, pk: int):
    card = get_or_404(
        request.user, FabeCard, pk, Action.CHANGE, queryset=FabeCard.objects.select_related("selling_point__product")
    )
    data = request.POST
    try:
        fabe.evidence_add(
            actor=request.user,
            card=card,
            kind=data.get("kind", ""),
            title=data.get("title", ""),
            upload=request.FILES.get("file"),
            customer_name=data.get("customer_name", ""),
            quote=data.get("quote", ""),
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    except ValidationError as exc:
        product = card.selling_point.product if card.selling_point_id else None
        if product is None:
            raise Http404 from None
        values = {
            "selling_point": str(card.selling_point_id),
            "feature": card.feature,
            "advantage": card.advantage,
            "benefit": card.benefit,
            "evidence_text": card.evidence_text,
            "order": card.order,
        }
        ctx = _card_form_context(request, product, card, evidence_errors=exc.message_dict) | {
            "values": values,
            "evidence_values": data,
        }
        return render(request, "pitch/fabe/edit.html", ctx, status=422)
    messages.success(request, _("Evidence added."))
    return redirect("pitch:card_edit", pk=card.pk)


@require_POST
def evidence_delete(request, pk: int):
    row = get_or_404(request.user, FabeEvidence, pk, Action.DELETE)
    try:
        fabe.evidence_delete(actor=request.user, evidence=row)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, _("Evidence deleted."))
    return redirect("pitch:card_edit", pk=row.card_id)
