"""Pages of the order documents (订单确认 · 定金 · 合同 · 首付): thin, phone-first; every write goes
through orders.documents; files and PDFs are served only here, after the visibility check."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.files import file_response
from core.visibility import Action, can, get_or_404

from . import documents as docs
from .models import Contract, Deal, Deposit, Order

# the forms type amounts in yuan; the services take fen (ints) or a yuan string (parse_fen)
FORM_FIELDS = {"amount_fen": "amount", "deposit_fen": "deposit", "down_payment_fen": "down_payment"}


def _errors(exc: ValidationError) -> dict[str, str]:
    if not hasattr(exc, "error_dict"):
        return {"__all__": " ".join(exc.messages)}
    return {FORM_FIELDS.get(k, k): " ".join(v) for k, v in exc.message_dict.items()}


def _refused(exc: PermissionError) -> PermissionDenied:
    return PermissionDenied(_("You may not change this order."))


def _money_changer(user, order: Order) -> bool:
    return can(user, order, Action.CHANGE) or docs._finance_may(user, order)


# ------------------------------------------------------------------------------------------ order


@require_http_methods(["GET", "POST"])
def order_new(request, deal_id: int):
    deal = get_or_404(
        request.user, Deal, deal_id, Action.CHANGE, queryset=Deal.objects.select_related("customer", "product", "quote")
    )
    existing = Order.objects.filter(deal=deal).first()
    if existing is not None:
        return redirect("orders:order_detail", existing.pk)
    from policies.models import QuoteVersion

    versions = list(
        QuoteVersion.objects.filter(quote__customer=deal.customer, quote__company=deal.company_id)
        .select_related("quote", "quote__product")
        .order_by("-at")[:10]
    )
    preferred = next(
        (v for v in versions if deal.quote_id and v.quote_id == deal.quote_id), versions[0] if versions else None
    )
    today = timezone.localdate()
    values = {
        "quote_version": str(preferred.pk) if preferred else "",
        "policy_code": "",
        "delivery_on": (today + dt.timedelta(days=14)).isoformat(),
        "delivery_place": "",
        "deposit": "",
        "deposit_due": today.isoformat(),
        "down_payment": "",
        "down_payment_due": (today + dt.timedelta(days=7)).isoformat(),
        "extras": "",
        "commitments": "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = request.POST
        values.update({k: data.get(k, "").strip() for k in values})
        version = next((v for v in versions if str(v.pk) == values["quote_version"]), None)
        if values["quote_version"] and version is None:
            errors["quote_version"] = _("Choose a quote of this customer.")
        else:
            try:
                order = docs.order_create(
                    actor=request.user,
                    deal=deal,
                    quote_version=version,
                    policy_code=values["policy_code"],
                    extras=values["extras"].splitlines() if values["extras"] else None,
                    delivery_on=values["delivery_on"],
                    delivery_place=values["delivery_place"],
                    deposit_fen=values["deposit"],
                    deposit_due=values["deposit_due"],
                    down_payment_fen=values["down_payment"] or None,
                    down_payment_due=values["down_payment_due"],
                    commitments=values["commitments"],
                )
            except ValidationError as exc:
                errors = _errors(exc)
            except PermissionError as exc:
                raise _refused(exc) from None
            else:
                return redirect("orders:order_detail", order.pk)
    return render(
        request,
        "orders/documents/order_new.html",
        {"deal": deal, "versions": versions, "values": values, "errors": errors},
        status=400 if errors else 200,
    )


def _order_context(request, order: Order, **extra) -> dict:
    contract = docs.order_contract(order)
    deposits = list(order.deposits.all())
    downs = list(order.down_payments.all())
    deposits_total = sum(d.amount_fen for d in deposits)
    down_total = sum(d.amount_fen for d in downs)
    may_change = can(request.user, order, Action.CHANGE)
    return {
        "order": order,
        "contract": contract,
        "deposits": deposits,
        "down_payments": downs,
        "deposits_total": deposits_total,
        "down_total": down_total,
        "down_left": max(0, order.down_payment_fen - down_total),
        "steps": docs.steps(order, contract, deposits_total, down_total),
        "may_change": may_change,
        "may_money": may_change or docs._finance_may(request.user, order),
        "price_words": docs.rules.rmb_capitals(order.price_fen),
        "errors": {},
        "values": {},
        **extra,
    }


@require_GET
def order_detail(request, pk: int):
    order = docs.order_detail(request.user, pk)
    return render(request, "orders/documents/order_detail.html", _order_context(request, order))


@require_POST
def order_confirm(request, pk: int):
    order = docs.order_detail(request.user, pk, Action.CHANGE)
    values = {
        "method": request.POST.get("method", ""),
        "confirmed_by_name": request.POST.get("confirmed_by_name", "").strip(),
    }
    try:
        docs.order_confirm(
            actor=request.user,
            order=order,
            method=values["method"],
            signature_png=request.POST.get("signature_png") or None,
            confirmed_by_name=values["confirmed_by_name"],
        )
    except ValidationError as exc:
        order = docs.order_detail(request.user, pk)
        context = _order_context(request, order, errors=_errors(exc), values=values)
        template = "orders/documents/order_detail.html"
        if request.headers.get("HX-Request"):
            template += "#confirm"
        return render(request, template, context, status=400)
    except PermissionError as exc:
        raise _refused(exc) from None
    if request.headers.get("HX-Request"):
        response = render(request, "orders/documents/order_detail.html#confirm", _order_context(request, order))
        response["HX-Redirect"] = reverse("orders:order_detail", args=[order.pk])
        return response
    return redirect("orders:order_detail", order.pk)


# ------------------------------------------------------------------------------------------ deposit


@require_http_methods(["GET", "POST"])
def deposit_new(request, order_id: int):
    order = docs.order_detail(request.user, order_id)
    if not _money_changer(request.user, order):
        raise PermissionDenied
    left = max(0, order.deposit_fen - docs.deposits_fen(order))
    values = {
        "amount": docs.yuan_input(left) if left else "",
        "received_on": timezone.localdate().isoformat(),
        "method": "",
        "refund_terms": _("Refunded in full if the dealer cannot deliver the machine as agreed."),
        "penalty_terms": _("Not refunded if the buyer withdraws from the purchase without cause."),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        try:
            deposit = docs.deposit_record(
                actor=request.user,
                order=order,
                amount_fen=values["amount"],
                received_on=values["received_on"],
                method=values["method"],
                refund_terms=values["refund_terms"],
                penalty_terms=values["penalty_terms"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionError as exc:
            raise _refused(exc) from None
        else:
            return redirect(reverse("orders:order_detail", args=[order.pk]) + f"#deposit-{deposit.pk}")
    return render(
        request,
        "orders/documents/deposit_new.html",
        {"order": order, "values": values, "errors": errors},
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------------------------------ contract


@require_http_methods(["GET", "POST"])
def contract_new(request, order_id: int):
    order = docs.order_detail(request.user, order_id, Action.CHANGE)
    existing = docs.order_contract(order)
    if existing is not None:
        return redirect("orders:contract_detail", existing.pk)
    values = {
        "amount": docs.yuan_input(order.price_fen),
        "signer_name": order.customer.name,
        "signer_is_customer": "1",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "amount": request.POST.get("amount", "").strip(),
            "signer_name": request.POST.get("signer_name", "").strip(),
            "signer_is_customer": request.POST.get("signer_is_customer", ""),
        }
        try:
            contract = docs.contract_create(
                actor=request.user,
                order=order,
                signer_name=values["signer_name"],
                signer_is_customer=values["signer_is_customer"] == "1",
                authorisation=request.FILES.get("authorisation"),
                amount_fen=values["amount"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionError as exc:
            raise _refused(exc) from None
        else:
            return redirect("orders:contract_detail", contract.pk)
    return render(
        request,
        "orders/documents/contract_new.html",
        {"order": order, "values": values, "errors": errors, "max_mb": docs.UPLOAD_MAX_BYTES // (1024 * 1024)},
        status=400 if errors else 200,
    )


def _contract(request, pk: int, action: Action = Action.VIEW) -> Contract:
    return get_or_404(
        request.user, Contract, pk, action, queryset=Contract.objects.select_related("order__customer", "template")
    )


@require_http_methods(["GET", "POST"])
def contract_detail(request, pk: int):
    contract = _contract(request, pk)
    errors: dict[str, str] = {}
    values = {"signed_on": timezone.localdate().isoformat()}
    if request.method == "POST":
        contract = _contract(request, pk, Action.CHANGE)
        values["signed_on"] = request.POST.get("signed_on", "").strip()
        try:
            docs.contract_sign(
                actor=request.user,
                contract=contract,
                signed_on=values["signed_on"],
                signed_copy=request.FILES.get("signed_copy"),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionError as exc:
            raise _refused(exc) from None
        else:
            return redirect("orders:contract_detail", contract.pk)
    return render(
        request,
        "orders/documents/contract_detail.html",
        {
            "contract": contract,
            "order": contract.order,
            "may_change": can(request.user, contract, Action.CHANGE),
            "amount_words": docs.rules.rmb_capitals(contract.amount_fen),
            "values": values,
            "errors": errors,
            "max_mb": docs.UPLOAD_MAX_BYTES // (1024 * 1024),
        },
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------------------------------ down payment


@require_http_methods(["GET", "POST"])
def down_payment_new(request, order_id: int):
    order = docs.order_detail(request.user, order_id)
    if not _money_changer(request.user, order):
        raise PermissionDenied
    received = docs.down_payment_received_fen(order)
    left = max(0, order.down_payment_fen - received)
    values = {"amount": docs.yuan_input(left) if left else "", "received_on": timezone.localdate().isoformat()}
    values |= {"method": "", "late_reason": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        try:
            docs.down_payment_record(
                actor=request.user,
                order=order,
                amount_fen=values["amount"],
                received_on=values["received_on"],
                method=values["method"],
                late_reason=values["late_reason"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        except PermissionError as exc:
            raise _refused(exc) from None
        else:
            return redirect(reverse("orders:order_detail", args=[order.pk]) + "#down-payments")
    return render(
        request,
        "orders/documents/down_payment_new.html",
        {"order": order, "values": values, "errors": errors, "received": received, "left": left},
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------------------------------ files


def _file_response(field, filename: str, *, attachment: bool = False):
    return file_response(field, filename, attachment=attachment, cache="private, max-age=600")


@require_GET
def order_pdf(request, pk: int):
    order = docs.order_detail(request.user, pk)
    return _file_response(order.pdf, f"{order.number}.pdf")


@require_GET
def deposit_pdf(request, pk: int):
    deposit = get_or_404(request.user, Deposit, pk)
    return _file_response(deposit.pdf, f"{deposit.receipt_number}.pdf")


@require_GET
def contract_pdf(request, pk: int):
    contract = _contract(request, pk)
    return _file_response(contract.pdf, f"{contract.number}.pdf")


@require_GET
def contract_file(request, pk: int, kind: str):
    """The signed copy or the authorisation (委托书) — scans, to whoever may see the contract."""
    contract = _contract(request, pk)
    field = {"signed": contract.signed_copy, "authorisation": contract.authorisation}.get(kind)
    if field is None or not field:
        raise Http404
    ext = field.name.rsplit(".", 1)[-1]
    return _file_response(field, f"{contract.number}-{kind}.{ext}")
