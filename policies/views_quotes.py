"""Pages of the numbered quotes (报价单): issue from the benefit account page, the quote with every
version, a new version prefilled from the latest, and a version's PDF. Thin: parse, call
policies.quotes, render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.files import file_response
from core.visibility import Action, can, get_or_404
from customers.models import Customer

from . import quotes, selectors

# the service's field names → the form's
FORM_FIELDS = {"discount_fen": "discount", "hours_per_month": "hours", "hourly_rate": "rate"}


def _errors(exc: ValidationError) -> dict[str, str]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": " ".join(exc.messages)}
    return {FORM_FIELDS.get(k, k): " ".join(v) for k, v in exc.message_dict.items()}


def _form_input(data) -> dict:
    """The quote form's values (the benefit page's fields plus the quote's own)."""
    errors: dict[str, str] = {}
    codes = data.getlist("policy")
    offer_codes = {k.split("_", 1)[1] for k in data if k.startswith(("down_", "months_"))}
    offers = selectors.parse_offers(data, offer_codes | set(codes), errors)
    product = data.get("product") or None
    if product is not None and not str(product).isdigit():
        errors["product"] = _("Choose a machine from the list.")
        product = None
    return {
        "codes": codes,
        "offers": offers,
        "product": product,
        "hours": data.get("hours") or None,
        "rate": data.get("rate") or None,
        "discount": (data.get("discount") or "").strip(),
        "valid_until": (data.get("valid_until") or "").strip(),
        "errors": errors,
    }


def _issue(request, customer, form, quote=None):
    """Call the service with the form's input; returns the version or raises ValidationError."""
    if form["errors"]:
        raise ValidationError(form["errors"])
    from pitch.models import Product

    product = get_or_404(request.user, Product, form["product"]) if form["product"] else None
    if product is None:
        raise ValidationError({"product": _("Choose a machine from the list.")})
    return quotes.quote_issue(
        actor=request.user,
        customer=customer,
        product=product,
        policy_codes=form["codes"],
        offers=form["offers"],
        hours_per_month=form["hours"],
        hourly_rate=form["rate"],
        discount_fen=quotes.yuan_to_fen(form["discount"], "discount_fen"),
        valid_until=form["valid_until"] or None,
        quote=quote,
    )


def _done(request, version):
    url = reverse("policies:quote_detail", args=[version.quote_id])
    if request.headers.get("HX-Request"):
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_page(request, *, customer, form, errors, quote=None, status=200):
    """The full quote form (new quote without htmx, or a new version), with the policies one may quote."""
    view = selectors.benefit_view(
        request.user,
        customer_id=customer.pk,
        product_id=form["product"] or (quote.product_id if quote else None),
        hours_per_month=form["hours"],
        hourly_rate=form["rate"],
        offers=form["offers"],
        action=Action.CHANGE,
    )
    panel = quotes.panel_context(request.user, view)
    panel["errors"] = errors
    panel["values"] = form
    if form["codes"]:
        panel["selected"] = form["codes"]
    action = (
        reverse("policies:quote_version", args=[quote.pk])
        if quote
        else reverse("policies:quote_issue", args=[customer.pk])
    )
    return render(
        request,
        "policies/quotes/form.html",
        {"view": view, "customer": customer, "panel": panel, "quote": quote, "action": action},
        status=status,
    )


@require_POST
def quote_issue(request, customer_id: int):
    """POST from the benefit page's quote panel: issue, then go to the quote. Errors re-render the
    panel (htmx) or the quote form, naming the field."""
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    form = _form_input(request.POST)
    try:
        version = _issue(request, customer, form)
    except PermissionError:
        raise PermissionDenied from None
    except ValidationError as exc:
        errors = _errors(exc)
        if request.headers.get("HX-Request"):
            view = selectors.benefit_view(
                request.user,
                customer_id=customer.pk,
                product_id=form["product"],
                hours_per_month=form["hours"],
                hourly_rate=form["rate"],
                offers=form["offers"],
            )
            panel = quotes.panel_context(request.user, view)
            panel["errors"] = errors
            panel["values"] = form
            if form["codes"]:
                panel["selected"] = form["codes"]
            return render(
                request,
                "policies/quotes/_panel.html",
                {"view": view, "customer": customer, "panel": panel},
                status=422,
            )
        return _form_page(request, customer=customer, form=form, errors=errors, status=422)
    return _done(request, version)


@require_GET
def quote_detail(request, pk: int):
    quote = quotes.quote_detail(request.user, pk)
    versions = list(quotes.quote_versions(request.user, quote))
    return render(
        request,
        "policies/quotes/detail.html",
        {
            "quote": quote,
            "customer": quote.customer,
            "versions": versions,
            "latest": versions[0] if versions else None,
            "can_change": can(request.user, quote.customer, Action.CHANGE),
        },
    )


def _prefill(latest) -> dict:
    """The form's values from the latest version: machine, usage, offers, policies, discount."""
    c = latest.content if latest else {}
    usage = c.get("usage", {})
    from decimal import Decimal

    offers = {}
    for code, o in (c.get("offers") or {}).items():
        down = o.get("down_ratio")
        offers[code] = (Decimal(down) if down not in (None, "") else None, o.get("months"))
    discount = Decimal(latest.discount_fen) / 100 if latest else Decimal(0)
    return {
        "codes": [p["code"] for p in c.get("policies", [])],
        "offers": offers,
        "product": latest.quote.product_id if latest else None,
        "hours": usage.get("hours_per_month"),
        "rate": usage.get("hourly_rate"),
        "discount": f"{discount:f}" if discount else "",
        "valid_until": "",
        "errors": {},
    }


@require_http_methods(["GET", "POST"])
def quote_version(request, pk: int):
    """A new version of the quote, prefilled from the latest one."""
    quote = quotes.quote_detail(request.user, pk)
    customer = quote.customer
    if not can(request.user, customer, Action.CHANGE):
        raise PermissionDenied
    if request.method == "POST":
        form = _form_input(request.POST)
        form["product"] = str(quote.product_id)
        try:
            version = _issue(request, customer, form, quote=quote)
        except PermissionError:
            raise PermissionDenied from None
        except ValidationError as exc:
            return _form_page(request, customer=customer, form=form, errors=_errors(exc), quote=quote, status=422)
        return _done(request, version)
    latest = quotes.quote_versions(request.user, quote).first()
    return _form_page(request, customer=customer, form=_prefill(latest), errors={}, quote=quote)


@require_GET
def quote_pdf(request, pk: int, version: int):
    """A version's PDF, to whoever may see the quote (never from a public media URL)."""
    quote = quotes.quote_detail(request.user, pk)
    row = quotes.version_of(request.user, quote, version)
    return pdf_response(quote, row)


def pdf_response(quote, row):
    return file_response(row.pdf, quotes.pdf_filename(quote, row), content_type="application/pdf")
