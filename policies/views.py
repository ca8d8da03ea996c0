"""Pages of the commercial policies (商务政策): the policies offered, a policy's parameters and
preconditions, the customer's qualification, and the benefit account (利益帐) with the recommended
policies. Thin: parse input, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.visibility import Action, get_or_404, may
from customers.models import Customer

from . import selectors, services
from .messages import precondition_label
from .method import preconditions_of
from .models import Policy, Qualification


def policy_list(request):
    rows = list(selectors.policies(request.user))
    for p in rows:
        p.precondition_labels = [precondition_label(c, v) for c, v in preconditions_of(p.preconditions)]
    return render(
        request,
        "policies/list.html",
        {"policies": rows, "can_change": may(request.user, Policy, Action.CHANGE)},
    )


def policy_detail(request, pk: int):
    policy = get_or_404(request.user, Policy, pk, queryset=Policy.objects.prefetch_related("products"))
    policy.precondition_labels = [precondition_label(c, v) for c, v in preconditions_of(policy.preconditions)]
    cards = []
    try:
        from pitch.models import FabeCard

        cards = list(FabeCard.objects.filter(policy=policy).order_by("order", "pk"))
    except (ImportError, AttributeError):  # the FABE cards arrive with the pitch module's migration
        cards = []
    return render(
        request,
        "policies/detail.html",
        {"policy": policy, "cards": cards, "can_change": may(request.user, Policy, Action.CHANGE)},
    )


def _panels(user, view) -> dict:
    """The quote and negotiation panels of the benefit page (each part builds its own context)."""
    out = {}
    for name, module in (("quotes_panel", "quotes"), ("negotiation_panel", "negotiation")):
        try:
            mod = __import__(f"policies.{module}", fromlist=["panel_context"])
        except ImportError:
            continue
        if hasattr(mod, "panel_context"):
            out[name] = mod.panel_context(user, view)
    return out


def benefit(request, customer_id: int):
    """The customer's benefit account: ≤ 3 recommended policies side by side, with their reasons."""
    data = request.GET
    codes = [k.removeprefix("down_") for k in data if k.startswith("down_")] + [
        k.removeprefix("months_") for k in data if k.startswith("months_")
    ]
    errors: dict[str, str] = {}
    offers = selectors.parse_offers(data, set(codes), errors)
    product = data.get("product") or None
    if product is not None and not str(product).isdigit():
        errors["product"] = _("Choose a machine from the list.")
        product = None
    view = selectors.benefit_view(
        request.user,
        customer_id=customer_id,
        product_id=product,
        hours_per_month=data.get("hours"),
        hourly_rate=data.get("rate"),
        offers=offers,
    )
    view.errors.update(errors)
    context = {"view": view, "customer": view.customer, **_panels(request.user, view)}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "accounts":
        return render(request, "policies/benefit.html#accounts", context)
    return render(request, "policies/benefit.html", context)


def _tri(value: str | None):
    return {"yes": True, "no": False}.get(value or "")


@require_http_methods(["GET", "POST"])
def qualification(request, customer_id: int):
    """What the customer can show for the policies' preconditions (客户资质)."""
    customer = get_or_404(request.user, Customer, customer_id, Action.CHANGE)
    row = Qualification.objects.filter(customer=customer).first()
    errors = {}
    if request.method == "POST":
        p = request.POST
        credit_on = p.get("credit_checked_on") or None
        try:
            services.qualification_update(
                actor=request.user,
                customer=customer,
                has_guarantor=_tri(p.get("has_guarantor")),
                guarantor=p.get("guarantor", ""),
                property_certificate=_tri(p.get("property_certificate")),
                business_licence=_tri(p.get("business_licence")),
                local_household=_tri(p.get("local_household")),
                credit=p.get("credit", ""),
                credit_checked_on=credit_on,
            )
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            flash.success(request, _("Qualification saved."))
            back = p.get("next") or ""
            if back.startswith("/") and not back.startswith("//"):
                return redirect(back)
            return redirect("policies:benefit", customer_id=customer.pk)
    return render(
        request,
        "policies/qualification.html",
        {
            "customer": customer,
            "q": row,
            "errors": errors,
            "credit_choices": Qualification.Credit.choices,
            "next": request.GET.get("next", request.POST.get("next", "")),
            "tri_fields": [
                ("has_guarantor", _("Has a guarantor (有担保人)"), row.has_guarantor if row else None),
                ("property_certificate", _("Property certificate (房产证)"), row.property_certificate if row else None),
                ("business_licence", _("Business licence (营业执照)"), row.business_licence if row else None),
                ("local_household", _("Local household registration (本地户口)"), row.local_household if row else None),
            ],
        },
    )
