"""Pages of the negotiation guardrails: the panel of the benefit page (list price, hamburger reminder,
discount request, compensation, closing prompts), the approvals list (让价审批) and the decision page.
Thin: parse, call ``policies.negotiation``, render.

Every POST works as a plain form post (redirect, or the page again with the errors and HTTP 422) and
as an htmx request (the panel or the approvals row swapped in place).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.visibility import Action, get_or_404
from customers.models import Customer

from . import negotiation as svc
from .models import Compensation, DiscountRequest, Quote

APPROVALS_PAGE = 50
PANEL_TEMPLATE = "policies/negotiation/_panel.html"
PAGE_TEMPLATE = "policies/negotiation/page.html"
APPROVALS_TEMPLATE = "policies/negotiation/approvals.html"
APPROVAL_TEMPLATE = "policies/negotiation/approval.html"


# --- forms ---------------------------------------------------------------------------------------------


class _PanelForm(forms.Form):
    """The panel sits inside the benefit page: its own ids, so they never clash with the page's."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "neg_%s")
        super().__init__(*args, **kwargs)


class DiscountForm(_PanelForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Discount asked (¥)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=svc.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What the customer still doubts, and why added value is not enough."),
    )


class CompensationForm(_PanelForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Compensation.Kind.choices)
    description = forms.CharField(
        label=gettext_lazy("What the customer gets"),
        max_length=svc.DESCRIPTION_MAX,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. two free services in the first year")}),
    )
    value = forms.DecimalField(
        label=gettext_lazy("Value to us (¥)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=svc.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required to reject: say why."),
    )


def _fen(value) -> int:
    return int((Decimal(value or 0) * 100).to_integral_value())


FIELD_OF = {"discount_fen": "amount", "value_fen": "value", "decision_note": "note"}


def _apply_errors(exc: ValidationError, form: forms.Form) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            name = FIELD_OF.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _forbidden(request, message: str = ""):
    return render(request, "403.html", {"message": message}, status=403)


# --- the panel -----------------------------------------------------------------------------------------


def _product(user, raw):
    from pitch.models import Product

    if raw in (None, ""):
        return None
    return get_or_404(user, Product, raw)


def _panel(request, customer, product, *, status=200, **kwargs):
    price = svc.list_price_of(request.user, product) if product is not None else None
    panel = svc.panel_for(request.user, customer, product, list_price_fen=price, **kwargs)
    template = PANEL_TEMPLATE if _htmx(request) else PAGE_TEMPLATE
    return render(request, template, _page_context(request, customer, product, panel), status=status)


def _page_context(request, customer, product, panel) -> dict:
    from pitch.selectors import catalogue

    products = list(catalogue(request.user)) if not _htmx(request) else []
    return {"customer": customer, "product": product, "products": products, "negotiation_panel": panel}


def _back(request, customer, product):
    """After a plain POST: where the form was (``next``), else the benefit page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    url = reverse("policies:benefit", args=[customer.pk])
    if product is not None:
        url += "?" + urlencode({"product": product.pk})
    return redirect(url)


def _done(request, customer, product, notice: str):
    if _htmx(request):
        return _panel(request, customer, product, notice=notice)
    messages.success(request, notice)
    return _back(request, customer, product)


@require_GET
def negotiation(request, customer_id: int):
    """The negotiation panel on its own page (the benefit page includes the same panel)."""
    customer = get_or_404(request.user, Customer, customer_id)
    product = _product(request.user, request.GET.get("product"))
    return _panel(request, customer, product)


def _quote(user, raw):
    if raw in (None, ""):
        return None
    return get_or_404(user, Quote, raw)


@require_POST
def discount_request(request):
    user = request.user
    customer = get_or_404(user, Customer, request.POST.get("customer"), Action.CHANGE)
    product = _product(user, request.POST.get("product"))
    form = DiscountForm(request.POST)
    if form.is_valid():
        try:
            req = svc.discount_request(
                actor=user,
                customer=customer,
                product=product,
                discount_fen=_fen(form.cleaned_data["amount"]),
                reason=form.cleaned_data["reason"],
                quote=_quote(user, request.POST.get("quote")),
            )
        except PermissionError as exc:
            return _forbidden(request, str(exc))
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            notice = _("Discount of %(amount)s sent to your manager for approval.") % {
                "amount": svc.yuan(req.discount_fen)
            }
            return _done(request, customer, product, notice)
    return _panel(request, customer, product, status=422, discount_form=form)


@require_POST
def compensation_record(request):
    user = request.user
    customer = get_or_404(user, Customer, request.POST.get("customer"), Action.CHANGE)
    product = _product(user, request.POST.get("product"))
    form = CompensationForm(request.POST)
    if form.is_valid():
        try:
            svc.compensation_record(
                actor=user,
                customer=customer,
                product=product,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                value_fen=_fen(form.cleaned_data["value"]),
                quote=_quote(user, request.POST.get("quote")),
            )
        except PermissionError as exc:
            return _forbidden(request, str(exc))
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            return _done(request, customer, product, _("Compensation recorded."))
    return _panel(request, customer, product, status=422, compensation_form=form)


# --- approvals -----------------------------------------------------------------------------------------


def _row(user, r: DiscountRequest) -> dict:
    return {
        "r": r,
        "amount": svc.yuan(r.discount_fen),
        "list_price": svc.yuan(r.list_price_fen),
        "percent": svc.percent_of(r.discount_fen, r.list_price_fen),
        "may_decide": r.status == DiscountRequest.Status.PENDING and svc.may_decide(user, r),
        "may_withdraw": r.status == DiscountRequest.Status.PENDING and r.requested_by_id == user.pk,
    }


STATUS_TABS = [
    ("pending", gettext_lazy("Waiting")),
    ("approved", gettext_lazy("Approved")),
    ("rejected", gettext_lazy("Rejected")),
    ("all", gettext_lazy("All")),
]


@require_GET
def approvals(request):
    """Managers and administrators: the requests of their regions (waiting ones first by default);
    anybody else: their own requests."""
    user = request.user
    approver = svc.is_approver(user)
    status = request.GET.get("status") or ("pending" if approver else "all")
    if status not in {k for k, _label in STATUS_TABS}:
        status = "all"
    qs = svc.approvals(user, status=None if status == "all" else status)
    page = Paginator(qs, APPROVALS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        APPROVALS_TEMPLATE,
        {
            "approver": approver,
            "status": status,
            "tabs": STATUS_TABS,
            "page": page,
            "rows": [_row(user, r) for r in page.object_list],
            "now": timezone.now(),
            "form": DecisionForm(),
            "querystring_base": urlencode({"status": status}) + "&",
        },
    )


def _request(user, pk, action=Action.VIEW) -> DiscountRequest:
    return get_or_404(user, DiscountRequest, pk, action, queryset=svc._requests())


@require_GET
def approval(request, pk: int):
    """One request and, for a manager who may decide, the decision form."""
    r = _request(request.user, pk)
    return _approval_page(request, r)


def _approval_page(request, r, *, form=None, status=200):
    return render(
        request,
        APPROVAL_TEMPLATE,
        {"row": _row(request.user, r), "r": r, "form": form or DecisionForm(), "now": timezone.now()},
        status=status,
    )


def _row_response(request, r, *, form=None, status=200, notice=""):
    return render(
        request,
        APPROVALS_TEMPLATE + "#row",
        {"row": _row(request.user, r), "form": form or DecisionForm(), "now": timezone.now(), "notice": notice},
        status=status,
    )


@require_POST
def discount_decide(request, pk: int):
    user = request.user
    r = _request(user, pk)
    form = DecisionForm(request.POST)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        form.add_error(None, _("Choose approve or reject."))
    if form.is_valid():
        try:
            r = svc.discount_decide(
                actor=user, request=r, approve=decision == "approve", note=form.cleaned_data["note"]
            )
        except PermissionError as exc:
            if _htmx(request):
                form.add_error(None, str(exc))
                return _row_response(request, r, form=form, status=422)
            return _forbidden(request, str(exc))
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            notice = _("Approved.") if r.status == DiscountRequest.Status.APPROVED else _("Rejected.")
            if _htmx(request):
                return _row_response(request, r, notice=notice)
            messages.success(request, notice)
            return redirect("policies:approval", pk=r.pk)
    if _htmx(request):
        return _row_response(request, r, form=form, status=422)
    return _approval_page(request, r, form=form, status=422)


@require_POST
def discount_withdraw(request, pk: int):
    user = request.user
    r = _request(user, pk)
    try:
        r = svc.discount_withdraw(actor=user, request=r)
    except PermissionError as exc:
        return _forbidden(request, str(exc))
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if request.POST.get("in") == "panel":
            return _panel(request, r.customer, r.product, status=422, notice=message)
        if _htmx(request):
            form = DecisionForm()
            form.add_error(None, message)
            return _row_response(request, r, form=form, status=422)
        messages.error(request, message)
        return redirect("policies:approval", pk=r.pk)
    notice = _("Request withdrawn.")
    if request.POST.get("in") == "panel":
        return _done(request, r.customer, r.product, notice)
    if _htmx(request):
        return _row_response(request, r, notice=notice)
    messages.success(request, notice)
    return redirect("policies:approvals")
