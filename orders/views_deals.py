"""Pages of the deal pipeline (商机): the board (columns per stage on a desktop, a list grouped by
stage on a phone), the deal page linking every step of the order, new deal from a customer or a
quote, move and lose, the sales funnel. Thin: parse, call ``orders.deals``, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import history_rows
from core.visibility import Action, get_or_404, may, visible
from customers.models import Customer

from . import deals
from .models import Deal, DealStage


def _forbidden(request, message: str = ""):
    return render(request, "403.html", {"message": message}, status=403)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    """{field: message}; errors of no field under "form" (templates cannot read "__all__")."""
    if not hasattr(exc, "error_dict"):
        return {"form": " ".join(exc.messages)}
    return {("form" if k == "__all__" else k): " ".join(v) for k, v in exc.message_dict.items()}


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


# --- the board ------------------------------------------------------------------------------------


def _board_context(request, data, *, error: str = "", error_deal: int | None = None, notice: str = "") -> dict:
    user = request.user
    form = deals.DealFilters(data or None, user=user)
    if data and not form.is_valid():
        error = error or _("A filter is not valid; every deal is shown.")
    columns = deals.board(user, form)
    return {
        "form": form,
        "columns": columns,
        "stages": [c.stage for c in columns],
        "error": error,
        "error_deal": error_deal,
        "notice": notice,
        "may_create": may(user, Customer, Action.CHANGE),
    }


def board(request):
    if not may(request.user, Deal, Action.LIST):
        return _forbidden(request)
    ctx = _board_context(request, request.GET)
    template = "orders/deals/board.html#board" if _htmx(request) else "orders/deals/board.html"
    return render(request, template, ctx)


# --- one deal ---------------------------------------------------------------------------------------


def _detail(request, deal: Deal, *, errors: dict | None = None, values: dict | None = None, status: int = 200):
    ctx = deals.deal_view(request.user, deal)
    ctx.update({"errors": errors or {}, "values": values or {}, "history": history_rows(deal)})
    if deal.status == Deal.Status.OPEN:  # prevention (SPEC §7): a credit check before a new sale
        from receivables.kpis.selectors import credit_check_status

        ctx["credit_ok"], ctx["credit_message"] = credit_check_status(deal.customer)
    return render(request, "orders/deals/detail.html", ctx, status=status)


def deal_detail(request, pk: int):
    return _detail(request, deals.deal_get(request.user, pk))


def _stage_of(request, deal: Deal) -> DealStage | None:
    raw = request.POST.get("stage", "")
    if not raw.isdigit():
        return None
    return DealStage.objects.filter(company_id=deal.company_id, pk=int(raw)).first()


@require_POST
def deal_move(request, pk: int):
    """POST stage=<id>: from the board (htmx, the board comes back) or from the deal page."""
    deal = deals.deal_get(request.user, pk, Action.CHANGE)
    from_board = request.POST.get("from") == "board"
    try:
        moved = deals.deal_move(actor=request.user, deal=deal, stage=_stage_of(request, deal))
    except PermissionError:
        raise PermissionDenied from None
    except ValidationError as exc:
        message = _field_errors(exc).get("stage") or " ".join(exc.messages)
        if from_board:
            ctx = _board_context(request, request.POST, error=message, error_deal=deal.pk)
            return render(request, "orders/deals/board.html#board", ctx, status=422)
        return _detail(request, deal, errors={"stage": message}, status=422)
    notice = _("%(customer)s is now in “%(stage)s”.") % {"customer": moved.customer.name, "stage": moved.stage.name}
    if from_board:
        ctx = _board_context(request, request.POST, notice=notice)
        return render(request, "orders/deals/board.html#board", ctx)
    messages.success(request, notice)
    return redirect("orders:deal_detail", pk=deal.pk)


@require_POST
def deal_lose(request, pk: int):
    deal = deals.deal_get(request.user, pk, Action.CHANGE)
    reason = request.POST.get("reason", "")
    try:
        deals.deal_lose(actor=request.user, deal=deal, reason=reason)
    except PermissionError:
        raise PermissionDenied from None
    except ValidationError as exc:
        return _detail(request, deal, errors=_field_errors(exc), values={"reason": reason}, status=422)
    messages.success(request, _("The deal is marked as lost."))
    return redirect("orders:deal_detail", pk=deal.pk)


# --- new deal -------------------------------------------------------------------------------------


def _products(request):
    from pitch.models import Product

    return visible(request.user, Product).filter(active=True).order_by("code")


@require_http_methods(["GET", "POST"])
def deal_new(request):
    """New deal: ?customer=<id> (choose the machine and amount) or ?quote=<id> (machine and price
    from the quote's latest version)."""
    from policies.models import Quote

    data = request.POST if request.method == "POST" else request.GET
    quote = None
    raw_quote, raw_customer = data.get("quote", ""), data.get("customer", "")
    if raw_quote:
        quote = get_or_404(request.user, Quote, raw_quote)
        customer = get_or_404(request.user, Customer, quote.customer_id, Action.CHANGE)
    elif raw_customer:
        customer = get_or_404(request.user, Customer, raw_customer, Action.CHANGE)
    else:
        raise Http404
    latest = quote.versions.order_by("-version").first() if quote else None
    values = {
        "product": data.get("product", ""),
        "amount": data.get("amount", ""),
        "expected_on": data.get("expected_on", ""),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        from pitch.models import Product
        from policies.quotes import parse_date_input, yuan_to_fen

        try:
            product = None
            if quote is None and values["product"]:
                if not values["product"].isdigit():
                    raise ValidationError({"product": _("Choose a machine from the list.")})
                product = get_or_404(request.user, Product, values["product"])
            amount = yuan_to_fen(values["amount"], "amount_fen") if values["amount"].strip() else None
            expected = parse_date_input(values["expected_on"], "expected_on")
            deal = deals.deal_create(
                actor=request.user,
                customer=customer,
                product=product,
                quote=quote,
                amount_fen=amount,
                expected_on=expected,
            )
        except PermissionError:
            raise PermissionDenied from None
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, _("Deal created."))
            return redirect("orders:deal_detail", pk=deal.pk)
    ctx = {
        "customer": customer,
        "quote": quote,
        "latest": latest,
        "products": _products(request) if quote is None else [],
        "values": values,
        "errors": errors,
        "action": reverse("orders:deal_new"),
    }
    return render(request, "orders/deals/new.html", ctx, status=422 if errors else 200)


# --- the funnel -------------------------------------------------------------------------------------


def funnel_page(request):
    user = request.user
    if not may(user, Deal, Action.LIST):
        return _forbidden(request)
    form = deals.FunnelFilters(request.GET or None, user=user)
    status = 200
    if request.GET and not form.is_valid():
        status, scope = 422, deals.FunnelScope.default()
    else:
        scope = deals.FunnelScope.of(form) if request.GET else deals.FunnelScope.default()
    if not request.GET:
        form = deals.FunnelFilters(initial={"start": scope.start, "end": scope.end, "basis": "created"}, user=user)
    data = deals.funnel(user, scope)
    chart = {
        "stages": [r["stage"].name for r in data["rows"]],
        "counts": [r["count"] for r in data["rows"]],
        "labels": {"deals": _("Deals"), "conversion": _("Conversion to the next stage")},
        "conversion": [r["conversion"] for r in data["rows"]],
    }
    return render(request, "orders/deals/funnel.html", {"form": form, "f": data, "chart": chart}, status=status)
