"""Numbered quotes (报价单), SPEC §4: the machine, the price, the chosen policies' benefit accounts
(利益帐) and the FABE highlights for the customer's key needs, valid until a date, as a PDF. Every
issue is a new version (QuoteVersion) of the quote; versions are never changed.

Service and selectors of this part live together here (as pitch/fabe.py does):

- ``quote_issue``: validate, number, freeze the figures, render the PDF (core/pdf.py) — one
  transaction, audited through the models' signals.
- ``customer_quotes`` / ``quote_detail`` / ``quote_versions``: reads from ``core.visibility``.
- ``panel_context``: the "Issue a quote" panel of the benefit account page.

Rules decided here:

- 1–3 policies per quote (SPEC §4: recommend 1–3, never all of them).
- The discount (优惠) is 0 ≤ discount < list price. Above the salesperson's limit (the dealer's
  ``discount_limit_percent`` of the list price, and at most ``discount_limit_fen`` when set) it needs
  a manager's approved discount request (让价审批) for this customer and machine covering the amount.
- The benefit accounts are worked out on the quoted price (list price − discount), so the down
  payment and instalments printed are the ones the customer will pay.
- Valid until: by default today + ``quote_valid_days``, cut back to the last day of a time-limited
  policy (限时政策) offered — the quote cannot promise a promotion beyond its end. A date typed by the
  user is refused when in the past or after such an end (the message names the policy and its last
  day): silently changing what the user typed would print a date they did not choose.
- Numbers: ``BJ{year}{seq:05d}``, one series per company and year (QuoteCounter, row-locked).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.pdf import render_pdf
from core.visibility import Action, can, get_or_404, visible

from . import finance, messages, negotiation, rules, selectors
from .models import Compensation, NegotiationSettings, Quote, QuoteCounter, QuoteVersion

MAX_POLICIES = 3
PDF_TEMPLATE = "policies/pdf/quote.html"


# ------------------------------------------------------------------------------------------ rules


def default_valid_until(settings: NegotiationSettings, today: dt.date, policy_ends: list[dt.date]) -> dt.date:
    """today + the dealer's validity, cut back to the end of the first time-limited policy offered."""
    until = today + dt.timedelta(days=settings.quote_valid_days)
    return min([until, *policy_ends])


def number_for(year: int, seq: int) -> str:
    return f"BJ{year}{seq:05d}"


def next_number(company_id: int, year: int) -> str:
    """The next quote number of the company's series for ``year``. Call inside a transaction: the
    counter row stays locked until it ends, so two salespeople never get the same number."""
    QuoteCounter.objects.get_or_create(company_id=company_id, year=year)  # savepoint on a race
    counter = QuoteCounter.objects.select_for_update().get(company_id=company_id, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return number_for(year, counter.last)


# ------------------------------------------------------------------------------------------ input


def parse_date_input(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")})
    return parsed


def yuan_to_fen(value, field: str) -> int:
    """An amount typed in yuan ("1,500.5") → fen; ValidationError naming ``field`` otherwise."""
    if value in (None, ""):
        return 0
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        raise ValidationError({field: _("Enter an amount in yuan.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount in yuan.")})
    if amount < 0:
        raise ValidationError({field: _("The discount cannot be negative.")})
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _codes(policy_codes) -> list[str]:
    out = []
    for code in policy_codes or []:
        code = str(code).strip()
        if code and code not in out:
            out.append(code)
    return out


# ------------------------------------------------------------------------------------------ content


def _s(value) -> str | None:
    return None if value is None else str(value)


def _product_content(product) -> dict:
    specs = []
    for field in product._meta.concrete_fields:
        if field.name not in (
            "operating_weight_kg",
            "bucket_m3",
            "engine_power_kw",
            "engine_model",
            "digging_force_kn",
            "digging_depth_mm",
            "digging_reach_mm",
            "tail_swing",
        ):
            continue
        value = getattr(product, field.name)
        if value in (None, ""):
            continue
        if field.choices:
            value = getattr(product, f"get_{field.name}_display")()
        specs.append([str(field.verbose_name), str(value)])
    for key, value in (product.other_specs or {}).items():
        if value not in (None, ""):
            specs.append([str(key), str(value)])
    return {
        "id": product.pk,
        "brand": product.brand,
        "code": product.code,
        "name": product.name,
        "tonnage": _s(product.tonnage),
        "specs": specs,
    }


def _highlights(actor, customer, product, policy_ids) -> list[dict]:
    """The FABE cards answering the customer's key needs (pitch.fabe), best first, at most three."""
    try:
        from pitch.fabe import highlights
    except ImportError:
        return []
    out = []
    for card in highlights(actor, customer, product, limit=3, policy_ids=policy_ids):
        out.append(
            {
                "feature": card.feature,
                "advantage": card.advantage,
                "benefit": card.benefit,
                "evidence": card.evidence_text,
            }
        )
    return out


def _compensations(actor, customer, product) -> list[dict]:
    rows = visible(actor, Compensation).filter(customer=customer, product=product).order_by("at", "pk")
    # the value to the dealer stays internal: the customer's quote lists what they get
    return [
        {"id": c.pk, "kind": c.kind, "kind_label": str(c.get_kind_display()), "description": c.description}
        for c in rows
    ]


def _person(user) -> dict:
    return {"id": user.pk, "name": str(user), "mobile": user.mobile}


def _requote_on_price(rows, price_fen: int, usage: rules.Usage, today: dt.date) -> None:
    """Work each account out again on the quoted price (after the discount)."""
    for row in rows:
        try:
            row.account = rules.benefit_account(
                row.terms,
                list_price=Decimal(price_fen) / 100,
                down_ratio=row.down_ratio,
                months=row.months,
                usage=usage,
                on=today,
            )
        except (rules.PolicyError, finance.FinanceError) as exc:
            raise ValidationError({"discount_fen": f"{row.policy.name}: {messages.error_text(exc)}"}) from None


# ------------------------------------------------------------------------------------------ service


@transaction.atomic
def quote_issue(
    *,
    actor,
    customer,
    product,
    policy_codes,
    offers,
    hours_per_month,
    hourly_rate,
    discount_fen: int = 0,
    valid_until=None,
    quote: Quote | None = None,
) -> QuoteVersion:
    """Issue a new quote, or a new version of ``quote``: validated whole, numbered, frozen, rendered
    to PDF. Raises PermissionError when the actor may not change the customer, ValidationError
    ({field: message}, fields named as these parameters) for bad input; nothing is written then.

    ``policy_codes``: 1–3 policy codes; ``offers``: {code: (down payment %, months)} (None: the
    policy's default); ``hours_per_month`` and ``hourly_rate`` (yuan, rental customers) as on the
    benefit page (None: the dealer's defaults); ``discount_fen``: off the list price;
    ``valid_until``: a date or "YYYY-MM-DD" (None: the default, see the module's docstring)."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError("quote_issue")
    now = timezone.now()
    today = timezone.localdate(now)
    if product is None or product.company_id != customer.company_id:
        raise ValidationError({"product": _("Choose a machine from the catalogue.")})
    if quote is not None:
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.customer_id != customer.pk:
            raise ValidationError({"quote": _("This quote belongs to another customer.")})
        if quote.product_id != product.pk:
            raise ValidationError(
                {"product": _("A new version keeps the quote's machine: issue a new quote for another machine.")}
            )

    codes = _codes(policy_codes)
    if not codes:
        raise ValidationError({"policies": _("Choose at least one policy for the quote.")})
    if len(codes) > MAX_POLICIES:
        raise ValidationError({"policies": _("A quote offers at most three policies.")})

    settings = selectors.negotiation_settings(customer.company_id)
    errors: dict[str, str] = {}
    usage = selectors.parse_usage(customer, settings, hours=hours_per_month, rate=hourly_rate, errors=errors)
    if errors:
        names = {"hours": "hours_per_month", "rate": "hourly_rate"}
        raise ValidationError({names.get(k, k): v for k, v in errors.items()})
    rows = selectors.accounts_for_quote(
        actor, customer=customer, product=product, codes=codes, offers=offers or {}, usage=usage, on=today
    )
    list_price_fen = int((rows[0].account.list_price * 100).to_integral_value())

    # the discount (优惠) and its approval (让价审批)
    try:
        discount = int(discount_fen or 0)
    except (TypeError, ValueError):
        raise ValidationError({"discount_fen": _("Enter the discount as a whole number of fen.")}) from None
    if discount < 0:
        raise ValidationError({"discount_fen": _("The discount cannot be negative.")})
    if discount >= list_price_fen:
        raise ValidationError({"discount_fen": _("The discount must be below the list price.")})
    limit = negotiation.discount_limit_fen(settings, list_price_fen)
    approved = 0
    if discount > limit:
        approved = negotiation.approved_discount_fen(customer, product)
        if approved < discount:
            raise ValidationError(
                {
                    "discount_fen": _(
                        "A discount of %(amount)s is above your limit of %(limit)s: it needs a manager's approval "
                        "(discount request) first."
                    )
                    % {"amount": messages.yuan(Decimal(discount) / 100), "limit": messages.yuan(Decimal(limit) / 100)}
                }
            )
    price_fen = list_price_fen - discount
    if discount:
        _requote_on_price(rows, price_fen, usage, today)

    # valid until (有效期至)
    ends = [(row.policy.valid_to, row.policy) for row in rows if row.policy.valid_to]
    chosen = parse_date_input(valid_until, "valid_until")
    if chosen is None:
        chosen = default_valid_until(settings, today, [end for end, _p in ends])
    else:
        if chosen < today:
            raise ValidationError({"valid_until": _("The quote cannot be valid until a day in the past.")})
        for end, policy in ends:
            if chosen > end:
                raise ValidationError(
                    {
                        "valid_until": _(
                            "%(policy)s is a time-limited offer ending on %(end)s: the quote cannot be valid "
                            "after that day."
                        )
                        % {"policy": policy.name, "end": end.isoformat()}
                    }
                )

    # the figures, frozen as issued
    content = {
        "dealer": customer.company.name,
        "customer": {"id": customer.pk, "name": customer.name},
        "salesperson": _person(quote.salesperson if quote else (customer.owner or actor)),
        "issued_by": _person(actor),
        "product": _product_content(product),
        "usage": {
            "rental": usage.rental,
            "hours_per_month": _s(usage.hours_per_month),
            "hourly_rate": _s(usage.hourly_rate),
        },
        "offers": {row.code: {"down_ratio": _s(row.down_ratio), "months": row.months} for row in rows},
        "policies": [selectors.account_snapshot(row) for row in rows],
        "highlights": _highlights(actor, customer, product, [row.policy.pk for row in rows]),
        "compensations": _compensations(actor, customer, product),
        "discount_limit_fen": limit,
        "discount_approved_fen": approved or None,
    }

    if quote is None:
        quote = Quote.objects.create(
            company_id=customer.company_id,
            number=next_number(customer.company_id, today.year),
            customer=customer,
            product=product,
            salesperson=customer.owner or actor,
            created_at=now,
        )
    version = QuoteVersion.objects.create(
        quote=quote,
        version=quote.latest_version + 1,
        list_price_fen=list_price_fen,
        discount_fen=discount,
        price_fen=price_fen,
        valid_until=chosen,
        content=content,
        by=actor,
        at=now,
    )
    version.policies.set([row.policy for row in rows])
    data = render_pdf(PDF_TEMPLATE, pdf_context(quote, version))
    # stored under a name of our own (two dealers have the same numbers); served as pdf_filename
    version.pdf.save(f"c{quote.company_id}-{pdf_filename(quote, version)}", ContentFile(data), save=True)
    quote.latest_version = version.version
    quote.save(update_fields=["latest_version"])
    return version


def pdf_filename(quote: Quote, version: QuoteVersion) -> str:
    return f"{quote.number}-v{version.version}.pdf"


def _d(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def pdf_context(quote: Quote, version: QuoteVersion) -> dict:
    """What templates/policies/pdf/quote.html shows: everything from the frozen content."""
    c = version.content
    columns = []
    for p in c.get("policies", []):
        columns.append(
            {
                **p,
                "down_payment": _d(p.get("down_payment")),
                "monthly_payment": _d(p.get("monthly_payment")),
                "net_monthly_payment": _d(p.get("net_monthly_payment")),
                "total_cost": _d(p.get("total_cost")),
                "extra_cost": _d(p.get("extra_cost")),
                "apr": _d(p.get("apr")),
                "subsidy_total": _d(p.get("subsidy_total")),
                "rental_income": _d(p.get("rental_income")),
                "cash_left": _d(p.get("cash_left")),
                "cost_per_hour": _d(p.get("cost_per_hour")),
                "upfront_fees": _d(p.get("upfront_fees")),
                "deposit": _d(p.get("deposit")),
                "price": _d(p.get("price")),
            }
        )
    specs = c.get("product", {}).get("specs", [])
    return {
        "quote": quote,
        "version": version,
        "c": c,
        "spec_rows": [specs[i : i + 2] for i in range(0, len(specs), 2)],
        "columns": columns,
        "rental": bool(c.get("usage", {}).get("rental")),
        "any_fees": any(p["upfront_fees"] or p["deposit"] for p in columns),
        "any_subsidy": any(p["subsidy_total"] for p in columns),
        "issued_on": timezone.localdate(version.at),
        "list_price": Decimal(version.list_price_fen) / 100,
        "discount": Decimal(version.discount_fen) / 100,
        "price": Decimal(version.price_fen) / 100,
    }


# ------------------------------------------------------------------------------------------ reads


def customer_quotes(user, customer):
    """The customer's quotes with their latest version's figures (price, valid until), newest first;
    one query."""
    latest = QuoteVersion.objects.filter(quote=OuterRef("pk"), version=OuterRef("latest_version"))
    return (
        visible(user, Quote)
        .filter(customer=customer)
        .select_related("product", "salesperson")
        .annotate(
            price_fen=Subquery(latest.values("price_fen")[:1]),
            valid_until=Subquery(latest.values("valid_until")[:1]),
        )
        .order_by("-created_at", "-pk")
    )


def quote_detail(user, pk, action: Action = Action.VIEW) -> Quote:
    return get_or_404(
        user,
        Quote,
        pk,
        action,
        queryset=Quote.objects.select_related("customer", "product", "salesperson"),
    )


def quote_versions(user, quote: Quote):
    return visible(user, QuoteVersion).filter(quote=quote).select_related("by").order_by("-version")


def version_of(user, quote: Quote, number: int) -> QuoteVersion:
    row = quote_versions(user, quote).filter(version=number).first()
    if row is None:
        from django.http import Http404

        raise Http404
    return row


def panel_context(user, view) -> dict:
    """The "Issue a quote" panel of the benefit page: the policies one may quote (the recommended
    ones ticked), the defaults, and this customer's quotes."""
    customer = view.customer
    today = view.on
    choices = [row for row in view.rows if row.account is not None and not row.error and row not in view.excluded]
    ends = [row.policy.valid_to for row in view.recommended if row.policy.valid_to]
    return {
        "quotes": list(customer_quotes(user, customer)[:20]),
        "can_issue": can(user, customer, Action.CHANGE) and view.product is not None and bool(view.list_price_fen),
        "choices": choices,
        "selected": [row.code for row in view.recommended],
        "valid_until": default_valid_until(view.settings, today, ends),
        "discount_limit_fen": (
            negotiation.discount_limit_fen(view.settings, view.list_price_fen) if view.list_price_fen else None
        ),
        "errors": {},
        "values": {},
        "max_policies": MAX_POLICIES,
    }
