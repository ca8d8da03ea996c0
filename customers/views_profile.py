"""The living profile (客户档案) and the actions on its sections. Thin: parse, call a service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import sensitive
from core.audit import history_rows
from core.visibility import Action, get_or_404, visible

from . import selectors, services
from .forms import ClassificationForm, ContactForm, GradeForm, NeedForm, RelationForm, TierForm, machine_form
from .models import Customer, CustomerContact, CustomerMachine, CustomerNeed, Relation


def profile(request, pk: int):
    merged_into = (
        Customer.objects.filter(pk=pk, merged_into__isnull=False).values_list("merged_into", flat=True).first()
    )
    if merged_into:  # a merged duplicate: its record lives on in the customer it was merged into
        get_or_404(request.user, Customer, pk, Action.VIEW)
        return redirect("customers:detail", pk=merged_into)
    p = selectors.customer_profile(request.user, pk)
    c = p.customer
    ctx = {
        "p": p,
        "c": c,
        "history": history_rows(c),
        "may_reveal": sensitive.may_reveal(request.user),
        "id_masked": sensitive.mask(c.id_number),
        "grade_form": GradeForm(initial={"grade": c.grade}),
        "tier_form": TierForm(initial={"tier": c.tier}),
        # own id prefixes: three forms on one page must not share element ids (labels point at ids)
        "relation_form": RelationForm(auto_id="rel_%s"),
        "machine_form": machine_form(request.user, auto_id="machine_%s"),
        "contact_form": ContactForm(auto_id="contact_%s"),
        "can_change": p.can_change,
        "stages": CustomerNeed.Stage.choices,
        "is_salesperson": request.user.has_role("salesperson"),
        "is_manager": request.user.has_role("manager", "admin"),
        "merge_candidates": _merge_candidates(request.user, c) if p.can_change else [],
    }
    return render(request, "customers/profile.html", ctx)


def _merge_candidates(user, customer) -> list:
    """Possible duplicates of this customer that the user may merge into it."""
    candidates = services.duplicates_for(
        company_id=customer.company_id,
        name=customer.name,
        phone=customer.phone,
        city=customer.city,
        district=customer.district,
        exclude_pk=customer.pk,
    )
    allowed = set(
        visible(user, Customer, Action.CHANGE)
        .filter(pk__in=[c.pk for c, _w in candidates])
        .values_list("pk", flat=True)
    )
    return [(c, why) for c, why in candidates if c.pk in allowed]


@require_POST
def merge(request, pk: int):
    keep = get_or_404(request.user, Customer, pk, Action.CHANGE)
    drop = get_or_404(request.user, Customer, request.POST.get("duplicate") or 0, Action.CHANGE)
    try:
        services.customer_merge(actor=request.user, keep=keep, drop=drop)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("%(name)s merged into this customer.") % {"name": drop.name})
    return _back(pk, "history")


def _back(pk: int, anchor: str):
    return redirect(reverse("customers:detail", args=[pk]) + f"#{anchor}")


def _errors(request, exc: ValidationError, form=None) -> None:
    """Each error as 'Field: message', in the user's language."""
    labels = {name: str(f.label) for name, f in (form.fields.items() if form else [])}
    for field, errs in exc.message_dict.items():
        label = labels.get(field, "" if field == "__all__" else field)
        for e in errs:
            messages.error(request, f"{label}：{e}" if label else e)


def _form_errors(request, form) -> None:
    _errors(
        request, ValidationError({k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}), form
    )


def classify(request, pk: int):
    customer = get_or_404(request.user, Customer, pk, Action.CHANGE)
    initial = {name: getattr(customer, name) for name in services.CLASSIFICATION}
    form = ClassificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_classify(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Classification saved; the needs not yet verified follow the new preset."))
            return _back(pk, "needs")
    return render(
        request,
        "customers/classify.html",
        {"form": form, "c": customer},
        status=422 if form.errors else 200,
    )


@require_POST
def need_update(request, pk: int, need_pk: int):
    need = get_or_404(
        request.user, CustomerNeed, need_pk, Action.CHANGE, queryset=CustomerNeed.objects.filter(customer_id=pk)
    )
    if request.POST.get("verify_only"):
        data = {"confirmed_with_customer": True, "source": CustomerNeed.Source.CONVERSATION}
    else:
        form = NeedForm(request.POST)
        if not form.is_valid():
            _form_errors(request, form)
            return _back(pk, f"need-{need.pk}")
        data = form.cleaned_data
    try:
        services.need_record(actor=request.user, need=need, **data)
    except ValidationError as exc:
        _errors(request, exc, NeedForm())
    return _back(pk, f"need-{need.pk}")


@require_POST
def preset_again(request, pk: int):
    customer = get_or_404(request.user, Customer, pk, Action.CHANGE)
    services.needs_preset(actor=request.user, customer=customer)
    messages.success(request, _("Needs preset from the classification."))
    return _back(pk, "needs")


@require_POST
def grade(request, pk: int):
    return _act(request, pk, GradeForm, services.grade_set, "grade", _("Intent grade saved."))


@require_POST
def tier(request, pk: int):
    return _act(request, pk, TierForm, services.tier_set, "grade", _("Maintenance tier saved."))


def _act(request, pk: int, form_class, service, anchor: str, done: str = ""):
    """One section action: validate the small form, call the service, say what happened, go back."""
    customer = get_or_404(request.user, Customer, pk, Action.CHANGE)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(pk, anchor)
    try:
        service(actor=request.user, customer=customer, **form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc, form)
    else:
        messages.success(request, done or _("Saved."))
    return _back(pk, anchor)


@require_POST
def relation_add(request, pk: int):
    return _act(request, pk, RelationForm, services.relation_add, "relations")


@require_POST
def machine_add(request, pk: int):
    return _act(request, pk, lambda data: machine_form(request.user, data), services.machine_add, "machines")


@require_POST
def contact_add(request, pk: int):
    return _act(request, pk, ContactForm, services.contact_add, "contacts")


@require_POST
def relation_delete(request, pk: int, item_pk: int):
    item = get_or_404(request.user, Relation, item_pk, Action.DELETE, queryset=Relation.objects.filter(customer_id=pk))
    services.relation_delete(actor=request.user, relation=item)
    return _back(pk, "relations")


@require_POST
def machine_delete(request, pk: int, item_pk: int):
    item = get_or_404(
        request.user, CustomerMachine, item_pk, Action.DELETE, queryset=CustomerMachine.objects.filter(customer_id=pk)
    )
    services.machine_delete(actor=request.user, machine=item)
    return _back(pk, "machines")


@require_POST
def contact_delete(request, pk: int, item_pk: int):
    item = get_or_404(
        request.user, CustomerContact, item_pk, Action.DELETE, queryset=CustomerContact.objects.filter(customer_id=pk)
    )
    services.contact_delete(actor=request.user, contact=item)
    return _back(pk, "contacts")
