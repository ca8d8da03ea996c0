"""Negotiation guardrails (谈判底线), SPEC §4: the list price, a discount above the limit approved by a
manager (让价审批), value-added compensation recorded instead of a price cut (增值补偿, the hamburger
principle) and the closing prompts (催单).

    discount_limit_fen(settings, list_price_fen) / discount_check(...)   plain arithmetic
    discount_request(actor=…, customer=…, product=…, discount_fen=…, reason=…)   → the managers' to-dos
    discount_decide(actor=…, request=…, approve=…, note=…)              → the requester is notified
    discount_withdraw(actor=…, request=…)
    approved_discount_fen(customer, product)                           the quote allows up to this
    compensation_record(actor=…, customer=…, product=…, kind=…, description=…, value_fen=…)
    closing_prompts(user, customer, on=…)                              [{kind, text, url?}]
    approvals(user, status=…) / discount_requests_of(user, customer) / compensations_of(user, customer)
    panel_context(user, view)                                          the benefit page's panel

A discount is asked for, and approved, against the product's list price of the day. The person who
asked never decides: a manager of the customer's region or an administrator does (self-approval is
refused even to a manager asking for a customer of their own region).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from core.models import Role, Todo, User
from core.services import notify, todo_done, todo_post
from core.visibility import Action, can, visible

from .models import Compensation, DiscountRequest, NegotiationSettings, Policy, Quote, QuoteVersion

REASON_MAX = 1000
NOTE_MAX = 1000
DESCRIPTION_MAX = 200
VALUE_MAX_FEN = 100_000_000_00  # ¥100 million: anything above is a typing error
TODO_KIND = "discount_approval"
PANEL_ROWS = 20  # the panel shows the customer's latest requests and compensations

# The need points a salesperson talks about before the price (hamburger principle): service,
# reputation and brand — what the dealer delivers besides the machine.
VALUE_NEEDS = (
    "service_timeliness",
    "service_cost",
    "service_commitment",
    "reputation",
    "brand",
    "company",
    "salesperson",
)


# --- the limit (plain arithmetic) ---------------------------------------------------------------------


def limit_fen(*, list_price_fen: int, limit_percent: Decimal, limit_amount_fen: int = 0) -> int:
    """The largest discount given without approval: ``limit_percent`` % of the list price (rounded
    down to the fen) and, when ``limit_amount_fen`` > 0, at most that amount."""
    by_percent = int((Decimal(list_price_fen) * Decimal(limit_percent) / 100).to_integral_value(ROUND_FLOOR))
    by_percent = max(by_percent, 0)
    return min(by_percent, limit_amount_fen) if limit_amount_fen > 0 else by_percent


def needs_approval(
    *, list_price_fen: int, discount_fen: int, limit_percent: Decimal, limit_amount_fen: int = 0
) -> bool:
    """A discount above the limit needs a manager; exactly at the limit does not."""
    return discount_fen > limit_fen(
        list_price_fen=list_price_fen, limit_percent=limit_percent, limit_amount_fen=limit_amount_fen
    )


def discount_limit_fen(settings: NegotiationSettings, list_price_fen: int) -> int:
    return limit_fen(
        list_price_fen=list_price_fen,
        limit_percent=settings.discount_limit_percent,
        limit_amount_fen=settings.discount_limit_fen,
    )


def discount_check(*, settings: NegotiationSettings, list_price_fen: int, discount_fen: int) -> bool:
    """``needs_approval``: True when the discount is above the dealer's limit."""
    return needs_approval(
        list_price_fen=list_price_fen,
        discount_fen=discount_fen,
        limit_percent=settings.discount_limit_percent,
        limit_amount_fen=settings.discount_limit_fen,
    )


def percent_of(part_fen: int, whole_fen: int | None) -> Decimal | None:
    if not whole_fen:
        return None
    return (Decimal(part_fen) * 100 / Decimal(whole_fen)).quantize(Decimal("0.01"))


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return f"¥{Decimal(fen) / 100:,.2f}"


# --- reads --------------------------------------------------------------------------------------------


def settings_of(company_id: int) -> NegotiationSettings:
    """The dealer's guardrails, read only (a GET writes nothing; the defaults until configured)."""
    return NegotiationSettings.objects.filter(company_id=company_id).first() or NegotiationSettings(
        company_id=company_id
    )


def list_price_of(user, product, day: dt.date | None = None) -> int | None:
    """Today's list price (指导价) of the product in fen, None when it has none."""
    from pitch.selectors import current_prices

    return (
        current_prices(user, day)
        .filter(product=product)
        .order_by("-valid_from")
        .values_list("list_price_fen", flat=True)
        .first()
    )


def _requests() -> QuerySet[DiscountRequest]:
    return DiscountRequest.objects.select_related(
        "customer", "customer__region", "product", "requested_by", "decided_by", "quote"
    )


def is_approver(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def approvals(user: User, *, status: str | None = None, customer_id: int | None = None) -> QuerySet[DiscountRequest]:
    """The discount requests of the approvals page: a manager's regions and an administrator's company
    (what visibility grants them); anybody else their own requests. ``status`` filters."""
    qs = visible(user, DiscountRequest, queryset=_requests())
    if not is_approver(user):
        qs = qs.filter(requested_by=user)
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-requested_at", "-id")


def pending_count(user: User) -> int:
    """Requests waiting for this user's decision (not their own)."""
    if not is_approver(user):
        return 0
    return (
        visible(user, DiscountRequest).filter(status=DiscountRequest.Status.PENDING).exclude(requested_by=user).count()
    )


def discount_requests_of(user: User, customer, product=None) -> QuerySet[DiscountRequest]:
    qs = visible(user, DiscountRequest, queryset=_requests()).filter(customer=customer)
    if product is not None:
        qs = qs.filter(product=product)
    return qs.order_by("-requested_at", "-id")


def compensations_of(user: User, customer, product=None) -> QuerySet[Compensation]:
    qs = visible(user, Compensation).select_related("product", "by").filter(customer=customer)
    if product is not None:
        qs = qs.filter(product=product)
    return qs.order_by("-at", "-id")


def approved_discount_fen(customer, product) -> int:
    """The largest approved (and not withdrawn) discount for this customer and machine; 0 if none.
    The quote may go above the salesperson's limit up to this amount."""
    value = DiscountRequest.objects.filter(
        customer=customer, product=product, status=DiscountRequest.Status.APPROVED
    ).aggregate(m=Max("discount_fen"))["m"]
    return int(value or 0)


def may_decide(user: User, request: DiscountRequest) -> bool:
    """A manager of the customer's region or an administrator of the company — never the requester."""
    if not getattr(user, "pk", None) or user.company_id != request.company_id:
        return False
    if request.requested_by_id == user.pk:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.MANAGER) and request.customer.region_id in user.region_ids


def deciders_for(customer, *, exclude: User | None = None) -> list[User]:
    """Who gets the request: the active managers covering the customer's region; if none, the
    company's administrators. The requester is never one of them."""
    from core.selectors import region_people

    return region_people(customer.company_id, customer.region_id, Role.MANAGER, exclude=exclude)


# --- discount requests (让价申请) ----------------------------------------------------------------------


def _todo_key(request: DiscountRequest) -> str:
    return f"policies.discount.{request.pk}"


def _close_todos(request: DiscountRequest) -> None:
    for todo in Todo.objects.filter(key=_todo_key(request), status=Todo.Status.OPEN):
        todo_done(todo=todo)


def _clean_text(value, field: str, max_length: int, *, required_message: str | None) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required_message and not text:
        raise ValidationError({field: required_message})
    if len(text) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return text


def _whole_fen(value, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter an amount.")})
    try:
        number = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unparsable value is the user's typing
        raise ValidationError({field: _("Enter an amount.")}) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationError({field: _("Enter an amount.")})
    return int(number)


def _check_product_and_quote(actor: User, customer, product, quote: Quote | None) -> None:
    from pitch.models import Product

    if product is None or not visible(actor, Product).filter(pk=product.pk).exists():
        raise ValidationError({"product": _("Choose a machine of the catalogue.")})
    if quote is not None and (quote.customer_id != customer.pk or quote.product_id != product.pk):
        raise ValidationError({"quote": _("This quote is for another customer or machine.")})


@transaction.atomic
def discount_request(
    *, actor: User, customer, product, discount_fen, reason: str, quote: Quote | None = None
) -> DiscountRequest:
    """Ask a manager for a discount above the limit. Refused: no list price today, a discount of
    nothing or of the whole price, no reason, a discount within the limit (apply it, no approval
    needed). Asking again for the same amount returns the pending request; a new amount replaces the
    requester's pending request for the customer and machine. The managers of the customer's region
    (else the administrators) get a to-do and a notification."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError(_("Only the customer's salesperson or a manager of the region asks for a discount."))
    _check_product_and_quote(actor, customer, product, quote)
    discount = _whole_fen(discount_fen, "discount_fen")
    reason = _clean_text(reason, "reason", REASON_MAX, required_message=_("Say why the customer needs this discount."))
    price = list_price_of(actor, product)
    if not price:
        raise ValidationError(
            {"product": _("This machine has no list price today: ask for a discount once it has one.")}
        )
    if discount <= 0:
        raise ValidationError({"discount_fen": _("Enter a discount above zero.")})
    if discount >= price:
        raise ValidationError(
            {"discount_fen": _("The discount must be less than the list price (%(price)s).") % {"price": yuan(price)}}
        )
    conf = settings_of(customer.company_id)
    if not discount_check(settings=conf, list_price_fen=price, discount_fen=discount):
        raise ValidationError(
            {
                "discount_fen": _("Within your limit (%(limit)s): no approval needed — apply it in the quote.")
                % {"limit": yuan(discount_limit_fen(conf, price))}
            }
        )
    approved = approved_discount_fen(customer, product)
    if approved and discount <= approved:
        raise ValidationError(
            {
                "discount_fen": _("A discount of up to %(amount)s is already approved: apply it in the quote.")
                % {"amount": yuan(approved)}
            }
        )
    mine = (
        DiscountRequest.objects.select_for_update()
        .filter(customer=customer, product=product, requested_by=actor, status=DiscountRequest.Status.PENDING)
        .order_by("pk")
    )
    earlier = list(mine)
    same = next((r for r in earlier if r.discount_fen == discount and r.list_price_fen == price), None)
    if same is not None:
        return same  # asked twice (a double tap, a retry): the same request
    deciders = deciders_for(customer, exclude=actor)
    if not deciders:
        raise ValidationError(
            {
                "discount_fen": _(
                    "Nobody can approve this discount: the region has no manager "
                    "and the company no other administrator."
                )
            }
        )
    now = timezone.now()
    for old in earlier:  # the new amount replaces the earlier pending request
        old.status = DiscountRequest.Status.WITHDRAWN
        old.decided_at = now
        old.decision_note = _("Replaced by a new request.")
        old.save()
        _close_todos(old)
    request = DiscountRequest.objects.create(
        company_id=customer.company_id,
        customer=customer,
        product=product,
        quote=quote,
        list_price_fen=price,
        discount_fen=discount,
        reason=reason,
        requested_by=actor,
        requested_at=now,
    )
    url = reverse("policies:approval", args=[request.pk])
    pct = percent_of(discount, price)
    with override(django_settings.LANGUAGE_CODE):
        title = _("Discount to approve: %(customer)s, %(product)s −%(amount)s (%(pct)s %%), asked by %(name)s") % {
            "customer": customer.name,
            "product": product.code,
            "amount": yuan(discount),
            "pct": pct,
            "name": actor,
        }
    for person in deciders:
        todo_post(
            user=person,
            title=title,
            due=timezone.localdate(),
            kind=TODO_KIND,
            url=url,
            note=reason[:300],
            key=_todo_key(request),
            about=request,
        )
        notify(user=person, title=title, body=reason[:300], url=url)
    return request


def _locked(request: DiscountRequest) -> DiscountRequest:
    return _requests().select_for_update(of=("self",)).get(pk=request.pk)


@transaction.atomic
def discount_decide(*, actor: User, request: DiscountRequest, approve: bool, note: str = "") -> DiscountRequest:
    """A manager of the customer's region (or an administrator), never the requester, approves or
    rejects (a rejection says why). Once only. The managers' to-dos close; the requester is told."""
    request = _locked(request)
    if not may_decide(actor, request):
        if request.requested_by_id == getattr(actor, "pk", None):
            raise PermissionError(_("You asked for this discount: another manager or an administrator decides."))
        raise PermissionError(
            _("Only a manager of the customer's region or an administrator decides on this discount.")
        )
    if request.status != DiscountRequest.Status.PENDING:
        raise ValidationError(
            {"status": _("This request was already settled (%(status)s).") % {"status": request.get_status_display()}}
        )
    note = _clean_text(
        note,
        "decision_note",
        NOTE_MAX,
        required_message=None if approve else _("Say why the discount is rejected."),
    )
    request.status = DiscountRequest.Status.APPROVED if approve else DiscountRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save()
    _close_todos(request)
    with override(django_settings.LANGUAGE_CODE):
        values = {
            "customer": request.customer.name,
            "product": request.product.code,
            "amount": yuan(request.discount_fen),
            "name": actor,
        }
        if approve:
            title = _("Discount approved: %(customer)s, %(product)s −%(amount)s (by %(name)s)") % values
        else:
            title = _("Discount rejected: %(customer)s, %(product)s −%(amount)s (by %(name)s)") % values
    notify(user=request.requested_by, title=title, body=note[:300], url=reverse("policies:approval", args=[request.pk]))
    return request


@transaction.atomic
def discount_withdraw(*, actor: User, request: DiscountRequest) -> DiscountRequest:
    """The requester takes a pending request back (the managers' to-dos close)."""
    request = _locked(request)
    if request.requested_by_id != getattr(actor, "pk", None):
        raise PermissionError(_("Only the person who asked withdraws this request."))
    if request.status != DiscountRequest.Status.PENDING:
        raise ValidationError(
            {"status": _("This request was already settled (%(status)s).") % {"status": request.get_status_display()}}
        )
    request.status = DiscountRequest.Status.WITHDRAWN
    request.decided_at = timezone.now()
    request.save()
    _close_todos(request)
    return request


# --- value-added compensation (增值补偿) ----------------------------------------------------------------


@transaction.atomic
def compensation_record(
    *, actor: User, customer, product, kind: str, description: str, value_fen=0, quote: Quote | None = None
) -> Compensation:
    """Record what the customer gets instead of a price cut (free maintenance, an attachment, an
    extended warranty…), with what it costs us."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError(_("Only the customer's salesperson or a manager of the region records compensation."))
    _check_product_and_quote(actor, customer, product, quote)
    if kind not in Compensation.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of compensation.")})
    description = _clean_text(
        description, "description", DESCRIPTION_MAX, required_message=_("Say what the customer gets.")
    )
    value = _whole_fen(value_fen if value_fen not in (None, "") else 0, "value_fen")
    if value < 0:
        raise ValidationError({"value_fen": _("Enter zero or a positive amount.")})
    if value > VALUE_MAX_FEN:
        raise ValidationError({"value_fen": _("At most %(amount)s.") % {"amount": yuan(VALUE_MAX_FEN)}})
    return Compensation.objects.create(
        company_id=customer.company_id,
        customer=customer,
        product=product,
        quote=quote,
        kind=kind,
        description=description,
        value_fen=value,
        by=actor,
        at=timezone.now(),
    )


# --- closing prompts (催单) -----------------------------------------------------------------------------


def expiring_offers(customer, *, on: dt.date, warning_days: int) -> list[Policy]:
    """Time-limited policies offered to the customer in a quote that end within ``warning_days`` of
    ``on`` and have not ended (one query)."""
    through = QuoteVersion.policies.through
    ids = through.objects.filter(
        quoteversion__quote__customer=customer,
        policy__valid_to__gte=on,
        policy__valid_to__lte=on + dt.timedelta(days=warning_days),
        policy__active=True,
    ).values("policy_id")
    return list(Policy.objects.filter(pk__in=ids).order_by("valid_to", "order", "id"))


def _expiry_text(policy: Policy, on: dt.date) -> str:
    days = (policy.valid_to - on).days
    day = policy.valid_to.isoformat()
    if days == 0:
        return _("Offer «%(name)s» ends today (%(day)s): ask for the order now.") % {"name": policy.name, "day": day}
    return ngettext(
        "Offer «%(name)s» ends on %(day)s (in %(n)d day).",
        "Offer «%(name)s» ends on %(day)s (in %(n)d days).",
        days,
    ) % {"name": policy.name, "day": day, "n": days}


def _prompts(customer, *, ready: bool, on: dt.date, warning_days: int) -> list[dict]:
    out = []
    if ready:
        out.append(
            {
                "kind": "ready",
                "text": _("The customer's key needs are met — ask for the order (催单)."),
                "url": reverse("policies:benefit", args=[customer.pk]),
            }
        )
    for policy in expiring_offers(customer, on=on, warning_days=warning_days):
        out.append(
            {
                "kind": "expiring",
                "text": _expiry_text(policy, on),
                "policy": policy.code,
                "until": policy.valid_to,
                "days": (policy.valid_to - on).days,
            }
        )
    return out


def closing_prompts(user, customer, *, on: dt.date | None = None) -> list[dict]:
    """When to ask for the order: every key need met; a time-limited policy offered to the customer
    ending soon. Each prompt: {kind, text, url?}."""
    from customers.services import sensitivity_of

    if not can(user, customer, Action.VIEW):
        raise PermissionError
    on = on or timezone.localdate()
    conf = settings_of(customer.company_id)
    ready = sensitivity_of(customer)["ready"]
    return _prompts(customer, ready=ready, on=on, warning_days=conf.expiry_warning_days)


# --- the benefit page's panel ----------------------------------------------------------------------------


def value_needs(model: dict) -> list[dict]:
    """The customer's service / reputation / brand needs from the sensitivity model — the key ones and
    those we meet, key ones first: what to talk about before the price."""
    out = []
    for row, ranked in model["ranked"]:
        if row.need_point.code in VALUE_NEEDS and (ranked.need.stage == "key" or ranked.met):
            out.append(
                {
                    "code": row.need_point.code,
                    "name": row.need_point.name,
                    "key": ranked.need.stage == "key",
                    "met": ranked.met,
                }
            )
    return out


def panel_for(
    user,
    customer,
    product,
    *,
    list_price_fen: int | None,
    settings: NegotiationSettings | None = None,
    on: dt.date | None = None,
    discount_form=None,
    compensation_form=None,
    notice: str = "",
    needs_model: dict | None = None,
) -> dict:
    """What the negotiation panel shows (a fixed number of queries). ``needs_model``: the customer's
    sensitivity model when the caller has read it already (the benefit page)."""
    from customers.services import sensitivity_of

    from .views_negotiation import CompensationForm, DiscountForm  # the panel's forms

    on = on or timezone.localdate()
    conf = settings or settings_of(customer.company_id)
    model = needs_model or sensitivity_of(customer)
    limit = discount_limit_fen(conf, list_price_fen) if list_price_fen else None
    may_change = can(user, customer, Action.CHANGE)
    requests = list(discount_requests_of(user, customer)[:PANEL_ROWS])
    approved = approved_discount_fen(customer, product) if product is not None else 0
    return {
        "customer": customer,
        "product": product,
        "list_price_fen": list_price_fen,
        "list_price": yuan(list_price_fen) if list_price_fen else None,
        "limit_fen": limit,
        "limit": yuan(limit) if limit is not None else None,
        "limit_percent": conf.discount_limit_percent,
        "limit_amount": yuan(conf.discount_limit_fen) if conf.discount_limit_fen else None,
        "value_needs": value_needs(model),
        "ready": model["ready"],
        "prompts": _prompts(customer, ready=model["ready"], on=on, warning_days=conf.expiry_warning_days),
        "requests": [_request_row(user, r) for r in requests],
        "approved": yuan(approved) if approved else None,
        "compensations": [
            {"c": c, "value": yuan(c.value_fen) if c.value_fen else None}
            for c in compensations_of(user, customer)[:PANEL_ROWS]
        ],
        "may_change": may_change,
        "can_ask": may_change and product is not None and bool(list_price_fen),
        "discount_form": discount_form or DiscountForm(),
        "compensation_form": compensation_form or CompensationForm(),
        "notice": notice,
    }


def _request_row(user, r: DiscountRequest) -> dict:
    return {
        "request": r,
        "amount": yuan(r.discount_fen),
        "percent": percent_of(r.discount_fen, r.list_price_fen),
        "own": r.requested_by_id == user.pk,
    }


def panel_context(user, view) -> dict:
    """The negotiation panel of the benefit page (``negotiation_panel`` in its context)."""
    return panel_for(
        user,
        view.customer,
        view.product,
        list_price_fen=view.list_price_fen,
        settings=view.settings,
        on=view.on,
        needs_model=view.needs_model or None,
    )
