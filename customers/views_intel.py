"""Pages of market and industry intelligence: industry contacts, market projects, competitors.

Thin views: parse input, call ``customers.intel`` (selectors and services), render. Forms are input
shape only; the services validate, and the pages show every field's error at once.
"""

from __future__ import annotations

import ast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.audit import history_rows
from core.models import Region
from core.visibility import Action, can, get_or_404, may, visible

from . import imports_contacts, intel, rules
from .domain import contacts as schema
from .models import (
    CompetitorDealer,
    CompetitorMachine,
    CompetitorSalesperson,
    Customer,
    IndustryContact,
    MarketProject,
)

PAGE = 25
SECTION_LIMIT = 50  # rows per section of the competitors page
TEL = {"type": "tel", "inputmode": "tel", "autocomplete": "off"}
NUMBER = {"inputmode": "numeric", "pattern": "[0-9]*"}


def _forbidden(request):
    return render(request, "403.html", status=403)


def _filter_regions(user) -> list:
    """Regions for a list's filter: the ones the user covers (all of the company for admins)."""
    regions = visible(user, Region).order_by("name")
    if not user.has_role("admin"):
        regions = regions.filter(pk__in=user.region_ids)
    return list(regions)


def _int_param(value: str) -> str:
    return value if value.isdigit() else ""


def _querystring(f: dict) -> str:
    return urlencode({k: v for k, v in f.items() if v}) + ("&" if any(f.values()) else "")


def _region_field(user) -> forms.ModelChoiceField:
    regions = visible(user, Region)
    if not user.has_role("admin"):
        regions = regions.filter(pk__in=user.region_ids)
    field = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=regions)
    if len(user.region_ids) == 1 and not user.has_role("admin"):
        field.initial = next(iter(user.region_ids))
    return field


def _apply_errors(exc: ValidationError, form: forms.Form, rename=None) -> None:
    """Put the service's field errors on the form's fields (unknown names on the form as a whole)."""
    for name, errors in exc.message_dict.items():
        target = rename(name) if rename else name
        if target == "region_id":
            target = "region"
        form.add_error(target if target in form.fields else None, errors)


def _text_field(label, *, required=False, max_length=None, multiline=False, **attrs):
    widget = forms.Textarea(attrs={"rows": 3, **attrs}) if multiline else forms.TextInput(attrs=attrs or None)
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


def _number_field(label, lo: int, hi: int):
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs={**NUMBER, "min": lo, "max": hi}))


# --- grade-0 industry contacts (0类客户) ----------------------------------------------------------


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=IndustryContact.Kind.choices)
    name = _text_field(gettext_lazy("Name"), required=True, max_length=100)
    phone = _text_field(gettext_lazy("Mobile"), max_length=30, **TEL)
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none())
    reputation = _text_field(
        gettext_lazy("Reputation (口碑)"), max_length=200, placeholder=gettext_lazy("What people in the trade say")
    )
    province = _text_field(gettext_lazy("Province"), max_length=40)
    city = _text_field(gettext_lazy("City"), max_length=40)
    district = _text_field(gettext_lazy("District"), max_length=40)
    address = _text_field(gettext_lazy("Address"), max_length=200)
    note = _text_field(gettext_lazy("Note"), multiline=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user)

    def reload_details_from(self, url: str) -> None:
        """Choosing another kind swaps in that kind's detail fields (htmx; a full reload without it)."""
        self.fields["kind"].widget.attrs.update(
            {"hx-get": url, "hx-target": "#contact-details", "hx-select": "#contact-details", "hx-swap": "outerHTML"}
        )

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in self.fields}
        if "region" in data:
            data["region_id"] = data.pop("region").pk
        return data


class DetailsForm(forms.Form):
    """The kind's own fields, generated from ``domain.contacts.SCHEMA`` (names prefixed "d-")."""

    def __init__(self, *args, kind: str, **kwargs):
        kwargs.setdefault("prefix", "d")
        super().__init__(*args, **kwargs)
        self.kind = kind
        for spec in schema.fields_of(kind):
            label = gettext_lazy(spec.label)
            help_text = gettext_lazy(spec.help) if spec.help else ""
            if spec.type == schema.FieldType.LIST:
                field = _text_field(label, multiline=True)
                if spec.help.startswith("e.g."):  # an example only: say how to list
                    help_text = format_lazy("{} {}", gettext_lazy(schema.ONE_PER_LINE), help_text)
            elif spec.type == schema.FieldType.INT:
                field = _number_field(label, spec.min, spec.max)
            elif spec.type == schema.FieldType.MONEY:
                field = _text_field(label, inputmode="decimal", placeholder="¥")
            else:
                field = _text_field(label, max_length=spec.max_length)
            field.help_text = help_text
            self.fields[spec.name] = field

    @staticmethod
    def initial_for(kind: str, details: dict) -> dict:
        return {
            spec.name: schema.input_value(spec, details[spec.name])
            for spec in schema.fields_of(kind)
            if spec.name in details
        }


def _rename_contact_error(name: str) -> str:
    return name.removeprefix("details.")


def _contact_form_page(request, *, contact: IndustryContact | None):
    user = request.user
    instance_kind = contact.kind if contact is not None else ""
    kind = request.POST.get("kind") or request.GET.get("kind") or instance_kind
    if kind not in IndustryContact.Kind.values:
        if contact is None and request.method != "POST":
            return render(request, "customers/intel/contact_kinds.html", {"kinds": IndustryContact.Kind.choices})
        kind = instance_kind or IndustryContact.Kind.CONTRACTOR
    if contact is not None:
        initial = {
            f: getattr(contact, f)
            for f in ("name", "phone", "reputation", "province", "city", "district", "address", "note")
        } | {"region": contact.region_id, "kind": kind}
        details_initial = DetailsForm.initial_for(kind, schema.keep_known(kind, contact.details or {}))
    else:
        initial, details_initial = {"kind": kind}, {}
    data = request.POST if request.method == "POST" else None
    form = ContactForm(data, user=user, initial=initial)
    form.reload_details_from(request.path)
    details = DetailsForm(data, kind=kind, initial=details_initial)
    if data is not None:
        base_ok, details_ok = form.is_valid(), details.is_valid()
        fields = form.service_fields() if base_ok else {k: v for k, v in form.cleaned_data.items() if k != "region"}
        fields["kind"] = kind
        if details_ok:
            fields["details"] = dict(details.cleaned_data)
        try:
            intel.contact_validate(actor=user, fields=fields, instance=contact)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                if name.startswith("details."):
                    target = _rename_contact_error(name)
                    details.add_error(target if target in details.fields else None, errors)
                else:
                    _apply_errors(ValidationError({name: errors}), form)
        if not form.errors and not details.errors:
            try:
                if contact is None:
                    fields = form.service_fields() | {"details": fields["details"]}
                    contact = intel.contact_create(
                        actor=user,
                        kind=fields.pop("kind"),
                        name=fields.pop("name"),
                        region_id=fields.pop("region_id"),
                        **fields,
                    )
                    messages.success(request, _("Contact %(name)s recorded.") % {"name": contact.name})
                else:
                    intel.contact_update(
                        actor=user, contact=contact, **form.service_fields(), details=fields["details"]
                    )
                    messages.success(request, _("Saved."))
            except ValidationError as exc:  # a concurrent change: show it like any other error
                _apply_errors(exc, form, _rename_contact_error)
            else:
                return redirect("customers:contact_detail", pk=contact.pk)
    title = contact.name if contact is not None else _("New industry contact")
    ctx = {
        "form": form,
        "details": details,
        "kind": kind,
        "kind_label": IndustryContact.Kind(kind).label,
        "title": title,
        "contact": contact,
    }
    status = 422 if (form.errors or details.errors) else 200
    return render(request, "customers/intel/contact_form.html", ctx, status=status)


def contacts(request):
    user = request.user
    if not may(user, IndustryContact, Action.LIST):
        return _forbidden(request)
    kind = request.GET.get("kind", "")
    f = {
        "q": request.GET.get("q", "")[:100],
        "kind": kind if kind in IndustryContact.Kind.values else "",
        "region": _int_param(request.GET.get("region", "")),
    }
    qs = intel.contact_search(user, **f)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    kinds = dict(IndustryContact.Kind.choices)
    rows = [
        (c, kinds.get(c.kind, c.kind), rules.mask_mobile(c.phone), intel.contact_details(c)[:3])
        for c in page.object_list
    ]
    ctx = {
        "page_obj": page,
        "rows": rows,
        "f": f,
        "kinds": IndustryContact.Kind.choices,
        "regions": _filter_regions(user),
        "querystring_base": _querystring(f),
        "can_create": may(user, IndustryContact, Action.CHANGE),
        "can_import": imports_contacts.may_import(user),
    }
    template = "customers/intel/contacts.html"
    if request.headers.get("HX-Request"):
        template += "#results"
    return render(request, template, ctx)


def contact_create(request):
    if not may(request.user, IndustryContact, Action.CHANGE):
        return _forbidden(request)
    return _contact_form_page(request, contact=None)


def contact_edit(request, pk: int):
    contact = get_or_404(request.user, IndustryContact, pk, Action.CHANGE)
    return _contact_form_page(request, contact=contact)


def _readable_details_history(rows, kind: str) -> None:
    """History of the details JSON in people's words: only the fields that changed, with labels."""
    label = str(IndustryContact._meta.get_field("details").verbose_name)
    specs = {s.name: s for s in schema.fields_of(kind)}

    def parse(text):
        if text in ("—", ""):
            return {}
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, dict) else None

    def show(name, value):
        if value is None:
            return "—"
        spec = specs.get(name)
        return schema.display_value(spec, value) if spec else str(value)

    for row in rows:
        for i, (field_label, old, new) in enumerate(list(row.changes)):
            if field_label != label:
                continue
            before, after = parse(old), parse(new)
            if before is None or after is None:
                continue
            parts = [
                (_(specs[k].label) if k in specs else k, show(k, before.get(k)), show(k, after.get(k)))
                for k in dict.fromkeys([*before, *after])
                if before.get(k) != after.get(k)
            ]
            row.changes[i : i + 1] = parts


def contact_detail(request, pk: int):
    contact = get_or_404(
        request.user,
        IndustryContact,
        pk,
        Action.VIEW,
        queryset=IndustryContact.objects.select_related("region", "owner"),
    )
    history = history_rows(contact)
    _readable_details_history(history, contact.kind)
    ctx = {
        "c": contact,
        "details": intel.contact_details(contact),
        "history": history,
        "can_change": can(request.user, contact, Action.CHANGE),
        "can_delete": can(request.user, contact, Action.DELETE),
    }
    return render(request, "customers/intel/contact_detail.html", ctx)


@require_POST
def contact_delete(request, pk: int):
    contact = get_or_404(request.user, IndustryContact, pk, Action.DELETE)
    name = contact.name
    intel.contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("Contact %(name)s deleted.") % {"name": name})
    return redirect("customers:contacts")


# --- market projects (市场形势) --------------------------------------------------------------------


class ProjectForm(forms.Form):
    name = _text_field(gettext_lazy("Project name"), required=True, max_length=120)
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none())
    place = _text_field(gettext_lazy("Place"), max_length=120, placeholder=gettext_lazy("e.g. east of the ring road"))
    province = _text_field(gettext_lazy("Province"), max_length=40)
    city = _text_field(gettext_lazy("City"), max_length=40)
    district = _text_field(gettext_lazy("District"), max_length=40)
    starts_on = forms.CharField(
        label=gettext_lazy("Starts"), required=False, widget=forms.TextInput(attrs={"type": "date"})
    )
    duration_months = _number_field(gettext_lazy("Duration (months)"), 1, intel.DURATION_MAX)
    work_volume = _text_field(
        gettext_lazy("Work volume (工程量)"), max_length=120, placeholder=gettext_lazy("e.g. 300,000 m³ of earthwork")
    )
    publisher = _text_field(gettext_lazy("Information published by"), max_length=120)
    expected_demand = _number_field(gettext_lazy("Expected excavators needed"), 0, intel.DEMAND_MAX)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user)

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in self.fields}
        if data.get("region") is not None:
            data["region_id"] = data.pop("region").pk
        else:
            data.pop("region", None)
        return data


PROJECT_FIELDS = (
    "name",
    "place",
    "province",
    "city",
    "district",
    "starts_on",
    "duration_months",
    "work_volume",
    "publisher",
    "expected_demand",
)


def _project_form_page(request, *, project: MarketProject | None):
    user = request.user
    if project is not None:
        initial = {f: getattr(project, f) for f in PROJECT_FIELDS} | {"region": project.region_id}
        if project.starts_on:
            initial["starts_on"] = project.starts_on.isoformat()
        linked = list(intel.project_customers(user, project))
    else:
        initial, linked = {}, []
    data = request.POST if request.method == "POST" else None
    form = ProjectForm(data, user=user, initial=initial)
    customer_errors: list[str] = []
    if data is not None:
        raw_ids = data.getlist("customers")
        ok = form.is_valid()
        fields = form.service_fields() if ok else {k: v for k, v in form.cleaned_data.items() if k != "region"}
        fields["customers"] = raw_ids
        try:
            intel.project_validate(actor=user, fields=fields, instance=project)
        except ValidationError as exc:
            errors = exc.message_dict
            customer_errors = errors.pop("customers", [])
            if errors:
                _apply_errors(ValidationError(errors), form)
        # what the page shows again: the customers ticked (those the user may see)
        linked = list(visible(user, Customer).filter(pk__in=[i for i in raw_ids if i.isdigit()]).order_by("name"))
        if not form.errors and not customer_errors:
            try:
                if project is None:
                    fields = form.service_fields()
                    project = intel.project_create(
                        actor=user,
                        name=fields.pop("name"),
                        region_id=fields.pop("region_id"),
                        customers=raw_ids,
                        **fields,
                    )
                    messages.success(request, _("Project %(name)s recorded.") % {"name": project.name})
                else:
                    intel.project_update(actor=user, project=project, customers=raw_ids, **form.service_fields())
                    messages.success(request, _("Saved."))
            except ValidationError as exc:
                errors = exc.message_dict
                customer_errors = errors.pop("customers", [])
                if errors:
                    _apply_errors(ValidationError(errors), form)
            else:
                return redirect("customers:project_detail", pk=project.pk)
    ctx = {
        "form": form,
        "linked": linked,
        "customer_errors": customer_errors,
        "project": project,
        "title": project.name if project is not None else _("New market project"),
    }
    status = 422 if (form.errors or customer_errors) else 200
    return render(request, "customers/intel/project_form.html", ctx, status=status)


def projects(request):
    user = request.user
    if not may(user, MarketProject, Action.LIST):
        return _forbidden(request)
    f = {
        "q": request.GET.get("q", "")[:100],
        "region": _int_param(request.GET.get("region", "")),
        "city": request.GET.get("city", "")[:40],
    }
    qs = intel.project_search(user, **f)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    demand = intel.demand_by_area(user, **f)
    ctx = {
        "page_obj": page,
        "f": f,
        "demand": demand[:12],
        "demand_more": max(len(demand) - 12, 0),
        "demand_total": sum(r["demand"] for r in demand),
        "demand_projects": sum(r["projects"] for r in demand),
        "regions": _filter_regions(user),
        "querystring_base": _querystring(f),
        "can_create": may(user, MarketProject, Action.CHANGE),
    }
    template = "customers/intel/projects.html"
    if request.headers.get("HX-Request"):
        template += "#results"
    return render(request, template, ctx)


def project_create(request):
    if not may(request.user, MarketProject, Action.CHANGE):
        return _forbidden(request)
    return _project_form_page(request, project=None)


def project_edit(request, pk: int):
    project = get_or_404(request.user, MarketProject, pk, Action.CHANGE)
    return _project_form_page(request, project=project)


def project_detail(request, pk: int):
    project = get_or_404(
        request.user, MarketProject, pk, Action.VIEW, queryset=MarketProject.objects.select_related("region")
    )
    ctx = {
        "p": project,
        "linked": list(intel.project_customers(request.user, project)),
        "history": history_rows(project),
        "can_change": can(request.user, project, Action.CHANGE),
    }
    return render(request, "customers/intel/project_detail.html", ctx)


def project_customer_options(request):
    """Customers to tick on the project form: an htmx search among the visible customers."""
    from .selectors import customer_search

    if not may(request.user, MarketProject, Action.CHANGE):
        return _forbidden(request)
    q = request.GET.get("cq", "")[:100]
    exclude = [i for i in request.GET.getlist("customers") if i.isdigit()]
    options = list(customer_search(request.user, q=q).exclude(pk__in=exclude)[:10]) if q.strip() else []
    return render(request, "customers/intel/project_form.html#options", {"options": options, "cq": q})


# --- competitors (竞争对手) -------------------------------------------------------------------------


class DealerForm(forms.Form):
    name = _text_field(gettext_lazy("Name"), required=True, max_length=120)
    brands = _text_field(gettext_lazy("Brands"), max_length=200, placeholder=gettext_lazy("e.g. SANY, XCMG"))
    size = _text_field(gettext_lazy("Size"), max_length=120, placeholder=gettext_lazy("e.g. 40 staff, 3 outlets"))
    organisation = _text_field(gettext_lazy("Organisation"), max_length=200)
    strategy = _text_field(gettext_lazy("Strategy"), multiline=True)
    policy = _text_field(gettext_lazy("Commercial policy"), multiline=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class _DealerChoice(forms.ModelChoiceField):
    def __init__(self, user, *, required: bool, label):
        super().__init__(queryset=visible(user, CompetitorDealer).order_by("name"), required=required, label=label)


class MachineForm(forms.Form):
    brand = _text_field(gettext_lazy("Brand"), required=True, max_length=60)
    model = _text_field(gettext_lazy("Model"), required=True, max_length=60)
    dealer = forms.ModelChoiceField(label=gettext_lazy("Sold by"), queryset=CompetitorDealer.objects.none())
    specs = _text_field(gettext_lazy("Specifications"), multiline=True)
    selling_points = _text_field(gettext_lazy("Selling points"), multiline=True)
    customer_opinion = _text_field(gettext_lazy("Customers' opinion"), multiline=True)
    policy = _text_field(gettext_lazy("Commercial policy"), multiline=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"] = _DealerChoice(user, required=False, label=gettext_lazy("Sold by"))

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if "dealer" in data:
            dealer = data.pop("dealer")
            data["dealer_id"] = dealer.pk if dealer is not None else None
        return data


class SalespersonForm(forms.Form):
    name = _text_field(gettext_lazy("Name"), required=True, max_length=60)
    dealer = forms.ModelChoiceField(label=gettext_lazy("Dealer"), queryset=CompetitorDealer.objects.none())
    phone = _text_field(gettext_lazy("Mobile"), max_length=30, **TEL)
    age = _number_field(gettext_lazy("Age"), *intel.AGE_RANGE)
    role = _text_field(gettext_lazy("Role"), max_length=60)
    years = _number_field(gettext_lazy("Years in the trade"), *intel.YEARS_RANGE)
    territory = _text_field(gettext_lazy("Territory"), max_length=120)
    results = _text_field(gettext_lazy("Results"), max_length=200, placeholder=gettext_lazy("e.g. 30 machines in 2025"))
    movements = _text_field(gettext_lazy("Movements (动向)"), multiline=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"] = _DealerChoice(user, required=True, label=gettext_lazy("Dealer"))

    service_fields = MachineForm.service_fields


COMPETITOR_KINDS = {
    "dealer": {
        "model": CompetitorDealer,
        "form": DealerForm,
        "create": lambda actor, f: intel.dealer_create(actor=actor, **f),
        "update": lambda actor, obj, f: intel.dealer_update(actor=actor, dealer=obj, **f),
        "validate": intel.dealer_validate,
        "fields": intel.DEALER_FIELDS,
        "new_title": gettext_lazy("New competitor dealer"),
    },
    "machine": {
        "model": CompetitorMachine,
        "form": MachineForm,
        "create": lambda actor, f: intel.machine_create(actor=actor, **f),
        "update": lambda actor, obj, f: intel.machine_update(actor=actor, machine=obj, **f),
        "validate": intel.machine_validate,
        "fields": intel.MACHINE_FIELDS,
        "new_title": gettext_lazy("New competitor machine"),
    },
    "salesperson": {
        "model": CompetitorSalesperson,
        "form": SalespersonForm,
        "create": lambda actor, f: intel.salesperson_create(actor=actor, **f),
        "update": lambda actor, obj, f: intel.salesperson_update(actor=actor, salesperson=obj, **f),
        "validate": intel.salesperson_validate,
        "fields": intel.SALESPERSON_FIELDS,
        "new_title": gettext_lazy("New competitor salesperson"),
    },
}


def _competitor_form_page(request, what: str, obj=None):
    spec = COMPETITOR_KINDS[what]
    user = request.user
    if obj is not None:
        initial = {f.removesuffix("_id"): getattr(obj, f) for f in spec["fields"]}
    else:
        initial = {}
        dealer = _int_param(request.GET.get("dealer", ""))
        if dealer and "dealer_id" in spec["fields"]:
            initial["dealer"] = int(dealer)
    data = request.POST if request.method == "POST" else None
    form = spec["form"](data, user=user, initial=initial)
    if data is not None:
        ok = form.is_valid()
        fields = form.service_fields() if ok else {k: v for k, v in form.cleaned_data.items() if k != "dealer"}
        try:
            spec["validate"](actor=user, fields=fields, instance=obj)
        except ValidationError as exc:
            _apply_errors(exc, form, lambda n: n.removesuffix("_id"))
        if not form.errors:
            try:
                if obj is None:
                    obj = spec["create"](user, form.service_fields())
                    messages.success(request, _("%(name)s recorded.") % {"name": obj})
                else:
                    spec["update"](user, obj, form.service_fields())
                    messages.success(request, _("Saved."))
            except ValidationError as exc:
                _apply_errors(exc, form, lambda n: n.removesuffix("_id"))
            else:
                return redirect(f"customers:{what}_detail", pk=obj.pk)
    ctx = {
        "form": form,
        "title": str(obj) if obj is not None else spec["new_title"],
        "cancel_url": reverse(f"customers:{what}_detail", args=[obj.pk]) if obj else reverse("customers:competitors"),
    }
    return render(request, "customers/intel/form.html", ctx, status=422 if form.errors else 200)


def competitors(request):
    user = request.user
    if not may(user, CompetitorDealer, Action.LIST):
        return _forbidden(request)
    q = request.GET.get("q", "")[:100]
    dealers = intel.dealer_search(user, q=q)
    machines = intel.machine_search(user, q=q)
    salespeople = intel.salesperson_search(user, q=q)
    dealer_rows = list(dealers[:SECTION_LIMIT])
    machine_rows = list(machines[:SECTION_LIMIT])
    owned = intel.machines_owned(user, [m.pk for m in machine_rows])
    ctx = {
        "q": q,
        "dealers": dealer_rows,
        "dealers_count": dealers.count() if len(dealer_rows) == SECTION_LIMIT else len(dealer_rows),
        "machines": [(m, owned.get(m.pk)) for m in machine_rows],
        "machines_count": machines.count() if len(machine_rows) == SECTION_LIMIT else len(machine_rows),
        "salespeople": list(salespeople[:SECTION_LIMIT]),
        "limit": SECTION_LIMIT,
        "can_create_dealer": may(user, CompetitorDealer, Action.CHANGE),
        "can_create_machine": may(user, CompetitorMachine, Action.CHANGE),
        "can_create_salesperson": may(user, CompetitorSalesperson, Action.CHANGE),
    }
    ctx["salespeople_count"] = (
        salespeople.count() if len(ctx["salespeople"]) == SECTION_LIMIT else len(ctx["salespeople"])
    )
    template = "customers/intel/competitors.html"
    if request.headers.get("HX-Request"):
        template += "#results"
    return render(request, template, ctx)


def _competitor_create(request, what: str):
    if not may(request.user, COMPETITOR_KINDS[what]["model"], Action.CHANGE):
        return _forbidden(request)
    return _competitor_form_page(request, what)


def _competitor_edit(request, what: str, pk: int):
    obj = get_or_404(request.user, COMPETITOR_KINDS[what]["model"], pk, Action.CHANGE)
    return _competitor_form_page(request, what, obj)


def dealer_create(request):
    return _competitor_create(request, "dealer")


def dealer_edit(request, pk: int):
    return _competitor_edit(request, "dealer", pk)


def machine_create(request):
    return _competitor_create(request, "machine")


def machine_edit(request, pk: int):
    return _competitor_edit(request, "machine", pk)


def salesperson_create(request):
    return _competitor_create(request, "salesperson")


def salesperson_edit(request, pk: int):
    return _competitor_edit(request, "salesperson", pk)


def dealer_detail(request, pk: int):
    user = request.user
    dealer = get_or_404(user, CompetitorDealer, pk, Action.VIEW)
    machines = list(intel.machine_search(user, dealer=dealer.pk))
    owned = intel.machines_owned(user, [m.pk for m in machines])
    ctx = {
        "d": dealer,
        "machines": [(m, owned.get(m.pk)) for m in machines],
        "salespeople": list(intel.salesperson_search(user, dealer=dealer.pk)),
        "history": history_rows(dealer),
        "can_change": can(user, dealer, Action.CHANGE),
        "can_add_machine": may(user, CompetitorMachine, Action.CHANGE),
        "can_add_salesperson": may(user, CompetitorSalesperson, Action.CHANGE),
    }
    return render(request, "customers/intel/dealer_detail.html", ctx)


def machine_detail(request, pk: int):
    user = request.user
    machine = get_or_404(
        user, CompetitorMachine, pk, Action.VIEW, queryset=CompetitorMachine.objects.select_related("dealer")
    )
    ctx = {
        "m": machine,
        "owners": list(intel.owners_of(user, machine)[:100]),
        "history": history_rows(machine),
        "can_change": can(user, machine, Action.CHANGE),
    }
    return render(request, "customers/intel/machine_detail.html", ctx)


def salesperson_detail(request, pk: int):
    user = request.user
    person = get_or_404(
        user, CompetitorSalesperson, pk, Action.VIEW, queryset=CompetitorSalesperson.objects.select_related("dealer")
    )
    ctx = {
        "s": person,
        "history": history_rows(person),
        "can_change": can(user, person, Action.CHANGE),
    }
    return render(request, "customers/intel/salesperson_detail.html", ctx)
