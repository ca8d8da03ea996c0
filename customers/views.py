"""Thin views: parse input, call a selector or a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import sensitive
from core.models import Channel
from core.visibility import Action, get_or_404, may, visible

from . import rules, selectors, services
from .filters import CustomerFilterForm
from .forms import CustomerForm
from .models import Customer


class FirstRowsPaginator(Paginator):
    """A paginator that reads a page from ``narrow(top)`` (see selectors.first_rows) when given."""

    def __init__(self, object_list, per_page, *, narrow=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.narrow = narrow

    def page(self, number):
        if self.narrow is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.narrow(top)[bottom:top], number, self)


def _filter_form(request) -> CustomerFilterForm:
    form = CustomerFilterForm(request.GET, user=request.user)
    form.is_valid()  # invalid filters are shown as errors and left out
    return form


def customer_list(request):
    form = _filter_form(request)
    filters = form.filters()
    qs = selectors.customer_search(request.user, **filters)
    page = FirstRowsPaginator(
        qs, 25, narrow=selectors.first_rows(request.user, qs, sort=filters.get("sort", ""))
    ).get_page(request.GET.get("page"))
    items = form.querystring_items()
    advanced = {"tier", "owner", "region", "city", "district", "fits", *CustomerFilterForm.base_fields} - {
        "q",
        "grade",
        "pool",
        "mine",
        "sort",
    }
    ctx = {
        "page_obj": page,
        "form": form,
        "f": {k: v for k, v in items},
        "advanced_fields": [form[name] for name in CustomerFilterForm.base_fields if name in advanced],
        "advanced_open": any(k in advanced for k, _v in items) or bool(form.errors),
        "grades": Customer.Grade.choices,
        "querystring_base": urlencode(items) + ("&" if items else ""),
        "can_create": may(request.user, Customer, Action.CHANGE),
    }
    template = "customers/list.html#results" if request.headers.get("HX-Request") else "customers/list.html"
    return render(request, template, ctx)


def customer_export(request):
    """The current filtered list as Excel (visible rows only)."""
    from .exports import customers_xlsx, export_filename

    qs = selectors.customer_search(request.user, **_filter_form(request).filters())
    response = HttpResponse(
        customers_xlsx(user=request.user, queryset=qs),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    return response


@require_POST
def customer_reveal_id(request, pk: int):
    customer = get_or_404(request.user, Customer, pk, Action.VIEW)
    try:
        value = sensitive.reveal(user=request.user, instance=customer, field="id_number", channel=Channel.PAGE)
    except PermissionError:
        return HttpResponse(escape(_("Your role may not see this number.")), status=403)
    return HttpResponse(f'<span data-testid="id-plain">{escape(value)}</span>')


def _duplicate_rows(user, candidates) -> list[dict]:
    """What the form shows of a possible duplicate: a link only when the user may see it."""
    seen = set(visible(user, Customer).filter(pk__in=[c.pk for c, _why in candidates]).values_list("pk", flat=True))
    return [{"c": c, "why": why, "visible": c.pk in seen} for c, why in candidates]


def customer_create(request):
    if not may(request.user, Customer, Action.CHANGE):
        return render(request, "403.html", status=403)
    form = CustomerForm(request.POST or None, user=request.user)
    duplicates = []
    if request.method == "POST":
        valid = form.is_valid()
        data = form.cleaned_data
        phone = ""
        try:  # the raw input: a duplicate mobile is also a field error, so it is not in cleaned_data
            phone = rules.normalize_mobile(request.POST.get("phone", "")) if request.POST.get("phone") else ""
        except rules.InvalidPhone:
            pass
        candidates = services.duplicates_for(
            company_id=request.user.company_id,
            name=data.get("name", ""),
            phone=phone,
            city=data.get("city", ""),
            district=data.get("district", ""),
        )
        duplicates = _duplicate_rows(request.user, candidates)
        by_name_only = candidates and all(why == "name" for _c, why in candidates)
        if valid and by_name_only and not request.POST.get("not_duplicate"):
            form.add_error(
                None,
                _(
                    "A customer with a near-identical name exists in this area: open it, or confirm "
                    "that this is a different customer."
                ),
            )
        elif valid:
            try:
                customer = services.customer_create(actor=request.user, **form.service_kwargs())
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
                return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/form.html",
        {"form": form, "title": _("New customer"), "duplicates": duplicates},
        status=422 if form.errors else 200,
    )


def customer_edit(request, pk: int):
    customer = get_or_404(request.user, Customer, pk, Action.CHANGE)
    initial = {
        f: getattr(customer, f)
        for f in (
            "name",
            "kind",
            "phone",
            "grade",
            "province",
            "city",
            "district",
            "address",
            "occupation",
            "age",
            "birthday",
            "hobbies",
            "expected_purchase_on",
        )
    } | {"region": customer.region_id}
    form = CustomerForm(request.POST or None, user=request.user, initial=initial, editing=True, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(actor=request.user, customer=customer, **form.service_kwargs())
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/form.html",
        {"form": form, "title": customer.name, "customer": customer},
        status=422 if form.errors else 200,
    )
