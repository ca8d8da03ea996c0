"""Pages of the public pool (公海): the pool list with claim buttons, release, protect, a manager's
assign and reassign-all, and the pool record. Thin: parse, call customers.pool, render."""

from __future__ import annotations

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
from django.views.decorators.http import require_POST

from core.models import Role
from core.visibility import Action, get_or_404, visible

from . import pool
from .models import Customer, PoolEvent

PAGE = 25


def _forbidden(request, message: str = ""):
    return render(request, "403.html", {"message": message}, status=403)


def _is_manager(user) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def _messages_of(exc: ValidationError) -> list[str]:
    return [m for msgs in exc.message_dict.values() for m in msgs] if hasattr(exc, "error_dict") else exc.messages


def _querystring(f: dict, default_region: str) -> str:
    """The filters as a query string for pagination links ("…&" or "")."""
    data = {k: v for k, v in f.items() if v and not (k == "region" and v == default_region)}
    if f.get("region") == "" and default_region:
        data["region"] = "all"
    return urlencode(data) + ("&" if data else "")


def _pool_filters(request) -> tuple[dict, str]:
    user = request.user
    default_region = "mine" if user.region_ids else ""
    region = request.GET.get("region", default_region)
    if region == "all":
        region = ""
    if region not in ("", "mine") and not region.isdigit():
        region = default_region
    grade = request.GET.get("grade", "")
    return {
        "q": request.GET.get("q", "")[:100],
        "region": region,
        "grade": grade if grade in pool.GRADES else "",
    }, default_region


def _claim_context(user) -> dict:
    """What the rows need to show claim buttons: the limits and the user's counts (three queries)."""
    if not user.has_role(Role.SALESPERSON):
        return {"is_sales": False}
    now = timezone.localtime()
    limits = pool.limits_of(pool.pool_settings(user.company_id))
    return {"is_sales": True, "now": now, "limits": limits, "claimant": pool.claimant_of(user, now)}


def _rows(user, customers, claim: dict) -> list[dict]:
    rows = []
    for c in customers:
        label = ""
        if claim["is_sales"]:
            refusals = pool.claim_refusals(
                user, c, claimant=claim["claimant"], limits=claim["limits"], now=claim["now"]
            )
            if refusals:
                label = pool.refusal_label(refusals[0], customer=c, limits=claim["limits"], now=claim["now"])
        rows.append({"c": c, "can_claim": claim["is_sales"] and not label, "blocked": label})
    return rows


def pool_list(request):
    user = request.user
    f, default_region = _pool_filters(request)
    page = Paginator(pool.pool_search(user, **f), PAGE).get_page(request.GET.get("page"))
    claim = _claim_context(user)
    ctx = {
        "page_obj": page,
        "rows": _rows(user, page.object_list, claim),
        "f": f,
        "grades": Customer.Grade.choices,
        "regions": list(pool.region_choices(user)),
        "has_regions": bool(user.region_ids),
        "querystring_base": _querystring(f, default_region),
        "claim": claim,
        "is_manager": _is_manager(user),
    }
    template = "customers/pool/list.html#results" if request.headers.get("HX-Request") else "customers/pool/list.html"
    return render(request, template, ctx)


def _safe_next(request, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=False):
        return nxt
    return fallback


@require_POST
def pool_claim(request, pk: int):
    user = request.user
    customer = get_or_404(
        user, Customer, pk, Action.VIEW, queryset=Customer.objects.select_related("region", "previous_owner")
    )
    htmx = bool(request.headers.get("HX-Request"))
    try:
        customer = pool.pool_claim(actor=user, customer=customer)
    except PermissionError as exc:
        message = str(exc) or _("Your role may not do this.")
        if htmx:
            return render(request, "customers/pool/list.html#row", {"row": {"c": customer}, "error": message}, 403)
        return _forbidden(request, message)
    except ValidationError as exc:
        text = " ".join(_messages_of(exc))
        if htmx:
            return render(request, "customers/pool/list.html#row", {"row": {"c": customer}, "error": text}, status=422)
        messages.error(request, text)
        return redirect(_safe_next(request, "customers:pool"))
    if htmx:
        ctx = {"row": {"c": customer}, "claimed": True, "claim": _claim_context(user), "oob": True}
        return render(request, "customers/pool/list.html#claimed", ctx)
    messages.success(request, _("%(name)s is now yours.") % {"name": customer.name})
    return redirect("customers:detail", pk=customer.pk)


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Why it goes back to the pool, kept in the pool record: e.g. “no machine need this year”, “moved away”."
        ),
    )


def pool_release(request, pk: int):
    customer = get_or_404(
        request.user, Customer, pk, Action.CHANGE, queryset=Customer.objects.select_related("owner", "region")
    )
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pool.pool_release(actor=request.user, customer=customer, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("%(name)s went back to the public pool.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request, "customers/pool/release.html", {"form": form, "c": customer}, status=422 if form.errors else 200
    )


@require_POST
def pool_protect(request, pk: int):
    customer = get_or_404(request.user, Customer, pk, Action.CHANGE)
    protected = request.POST.get("protected") == "1"
    try:
        pool.pool_protect(actor=request.user, customer=customer, protected=protected)
    except PermissionError as exc:
        return _forbidden(request, str(exc))
    if protected:
        messages.success(request, _("%(name)s is protected from the public pool.") % {"name": customer.name})
    else:
        messages.success(request, _("%(name)s is no longer protected from the pool.") % {"name": customer.name})
    return redirect(_safe_next(request, reverse("customers:detail", args=[customer.pk])))


# --- managers -----------------------------------------------------------------------------------------


class SalespersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        if not obj.is_active:
            return _("%(name)s (deactivated)") % {"name": obj}
        return str(obj)


class AssignForm(forms.Form):
    to_user = SalespersonChoice(label=gettext_lazy("Assign to"), queryset=None, empty_label="—")
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = pool.salespeople_for(actor)


def _assign_filters(request, actor) -> dict:
    source = request.GET.get("source", "pool")
    if source != "pool" and not (
        source.isdigit() and pool.salespeople_for(actor, active_only=False).filter(pk=source).exists()
    ):
        source = "pool"
    grade = request.GET.get("grade", "")
    region = request.GET.get("region", "")
    return {
        "source": source,
        "q": request.GET.get("q", "")[:100],
        "grade": grade if grade in pool.GRADES else "",
        "region": region if region.isdigit() else "",
    }


def pool_assign(request):
    """Choose customers (from the pool or from one salesperson) and the salesperson to receive them."""
    user = request.user
    if not _is_manager(user):
        return _forbidden(request, _("Only managers assign customers."))
    f = _assign_filters(request, user)
    form = AssignForm(request.POST or None, actor=user)
    chosen: list[int] = []
    if request.method == "POST":
        chosen = [int(v) for v in request.POST.getlist("customers") if v.isdigit()]
        if form.is_valid():
            try:
                moved = pool.pool_assign(
                    actor=user, customers=chosen, to_user=form.cleaned_data["to_user"], note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(
                    request,
                    _("%(n)d customers assigned to %(name)s.")
                    % {"n": len(moved), "name": form.cleaned_data["to_user"]},
                )
                return redirect(request.get_full_path())
    qs = visible(user, Customer, Action.CHANGE).select_related("owner", "region")
    qs = qs.filter(in_pool=True) if f["source"] == "pool" else qs.filter(owner_id=int(f["source"]), in_pool=False)
    if f["grade"]:
        qs = qs.filter(grade=int(f["grade"]))
    if f["region"]:
        qs = qs.filter(region_id=int(f["region"]))
    if f["q"]:
        qs = qs.filter(name__icontains=f["q"])
    page = Paginator(qs.order_by("name", "pk"), 50).get_page(request.GET.get("page"))
    data = {k: v for k, v in f.items() if v and not (k == "source" and v == "pool")}
    ctx = {
        "form": form,
        "f": f,
        "page_obj": page,
        "chosen": set(chosen),
        "sources": pool.salespeople_for(user, active_only=False),
        "regions": pool.region_choices(user),
        "grades": Customer.Grade.choices,
        "querystring_base": urlencode(data) + ("&" if data else ""),
    }
    return render(request, "customers/pool/assign.html", ctx, status=422 if form.errors else 200)


class ReassignForm(forms.Form):
    from_user = SalespersonChoice(label=gettext_lazy("Departing salesperson"), queryset=None, empty_label="—")
    to_user = forms.ChoiceField(label=gettext_lazy("Give their customers to"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = pool.salespeople_for(actor, active_only=False)
        self.targets = {str(u.pk): u for u in pool.salespeople_for(actor)}
        self.fields["to_user"].choices = [
            ("", "—"),
            ("pool", _("The public pool (公海)")),
            *[(pk, str(u)) for pk, u in self.targets.items()],
        ]

    def clean(self):
        cleaned = super().clean()
        from_user, to = cleaned.get("from_user"), cleaned.get("to_user")
        if from_user is not None and to == str(from_user.pk):
            self.add_error("to_user", _("Choose someone other than the departing salesperson."))
        return cleaned

    @property
    def target(self):
        to = self.cleaned_data["to_user"]
        return None if to == "pool" else self.targets[to]


def pool_reassign_all(request):
    """A salesperson leaves: all their customers to another salesperson (or the pool) in one action."""
    user = request.user
    if not _is_manager(user):
        return _forbidden(request, _("Only managers assign customers."))
    form = ReassignForm(request.POST or None, actor=user)
    preview = None
    if request.method == "POST" and form.is_valid():
        from_user, target = form.cleaned_data["from_user"], form.target
        if form.cleaned_data["confirm"]:
            try:
                done = pool.pool_reassign_all(
                    actor=user, from_user=from_user, to_user=target, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                if done.to_pool:
                    text = _("%(n)d customers of %(from)s went back to the public pool.")
                else:
                    text = _("%(n)d customers of %(from)s now belong to %(to)s.")
                messages.success(request, text % {"n": done.moved, "from": from_user, "to": target})
                return redirect("customers:pool_reassign_all")
        else:
            count = visible(user, Customer, Action.CHANGE).filter(owner=from_user, in_pool=False).count()
            if not count:
                form.add_error(
                    "from_user", _("%(name)s holds no customers in the regions you manage.") % {"name": from_user}
                )
            else:
                preview = {"from": from_user, "to": target, "count": count}
    return render(
        request,
        "customers/pool/reassign.html",
        {"form": form, "preview": preview},
        status=422 if form.errors else 200,
    )


def pool_event_list(request):
    """The pool record (公海记录): every warning and move the user may see."""
    action = request.GET.get("action", "")
    action = action if action in PoolEvent.Action.values else ""
    page = Paginator(pool.pool_events(request.user, action=action), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/pool/events.html",
        {
            "page_obj": page,
            "action": action,
            "actions": PoolEvent.Action.choices,
            "querystring_base": (urlencode({"action": action}) + "&") if action else "",
        },
    )
