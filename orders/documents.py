"""The order's documents (SPEC §5, issue 6 items 2–5): the order confirmation (订单确认), the deposit
(定金) with its numbered receipt (收据), the contract (合同) from a configurable template and the down
payment (首付) with its reminders. Services and selectors of this part live together here.

    order_create(actor=…, deal=…, quote_version=…, policy_code=…, extras=…, delivery_on=…, …)
    order_confirm(actor=…, order=…, method="signature"|"stamp", signature_png=…, confirmed_by_name=…)
    deposit_record(actor=…, order=…, amount_fen=…, received_on=…, method=…, refund_terms=…, penalty_terms=…)
    contract_create(actor=…, order=…, signer_name=…, signer_is_customer=…, authorisation=…, amount_fen=…)
    contract_sign(actor=…, contract=…, signed_on=…, signed_copy=…)
    down_payment_record(actor=…, order=…, amount_fen=…, received_on=…, method=…, late_reason="")
    down_payment_received_fen(order) -> int                 (contract with the deals part)
    down_payment_reminders(today=None) -> int               (the daily job)

Decisions:

- The steps are gated in this order: order → confirmation → deposit → contract → signed contract →
  down payment. A step asked for too early is refused with the rule ("the order must be confirmed
  first"), nothing written.
- Numbers: DD (orders), SJ (deposit receipts), HT (contracts) + year + 5 digits, one series per
  company, kind and year (DocumentCounter, row-locked inside the transaction).
- The price and the benefit account come from the quote version's frozen content (the chosen
  policy's snapshot; its price already carries the discount and the policy's reduction); without a
  quote from today's list price of the deal's machine.
- Uploaded files (signature, authorisation 委托书, signed contract) are judged by their content, not
  by their name: PDF by its header, JPEG/PNG opened by Pillow; size limits below. They are stored
  through Django's storage and only served by visibility-checked views.
- After each write the deal moves forward (orders.deals.deal_sync, imported lazily).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.models import Role, Todo, User
from core.pdf import render_pdf
from core.services import notify, todo_done, todo_post
from core.visibility import Action, can, get_or_404, visible

from .domain import documents as rules
from .models import Contract, ContractTemplate, Deal, Deposit, DocumentCounter, DownPayment, Order

SIGNATURE_MAX_BYTES = 1024 * 1024  # a drawn signature as PNG
UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # an authorisation or a signed contract (scan or photo)
MAX_PIXELS = 60_000_000

PDF_ORDER = "orders/pdf/order.html"
PDF_RECEIPT = "orders/pdf/receipt.html"
PDF_CONTRACT = "orders/pdf/contract.html"

TODO_LATE = "orders_down_payment_late"
TODO_REMIND = "orders_down_payment"


# ------------------------------------------------------------------------------------------ input


def parse_day(value, field: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")})
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


def parse_fen(value, field: str, *, required: bool = True) -> int:
    """An amount in fen (int) — or a yuan string typed in a form ("1,500.50"); ValidationError otherwise."""
    if value in (None, ""):
        if required:
            raise ValidationError({field: _("Enter an amount.")})
        return 0
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter an amount.")})
    if isinstance(value, int):
        fen = value
    else:
        try:
            amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
        except InvalidOperation:
            raise ValidationError({field: _("Enter an amount in yuan.")}) from None
        if not amount.is_finite():
            raise ValidationError({field: _("Enter an amount in yuan.")})
        fen = int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if fen < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})
    if fen > rules.MAX_FEN:
        raise ValidationError({field: _("The amount is too large.")})
    return fen


def yuan_input(fen: int | None) -> str:
    """Fen → the yuan figure a form shows ("368000.00")."""
    return "" if fen is None else f"{Decimal(fen) / 100:.2f}"


def _read(upload) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read() if hasattr(upload, "read") else bytes(upload)
    return data


def check_document(upload, field: str, *, max_bytes: int = UPLOAD_MAX_BYTES) -> tuple[bytes, str]:
    """A scan or photo of a signed document: PDF, JPEG or PNG judged by the content, at most
    ``max_bytes``. Returns (bytes, extension)."""
    if upload is None or upload == b"":
        raise ValidationError({field: _("Upload the file (PDF, JPG or PNG).")})
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError({field: _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}})
    data = _read(upload)
    if len(data) > max_bytes:
        raise ValidationError({field: _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}})
    if not data:
        raise ValidationError({field: _("The file is empty.")})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError({field: _("The PDF is damaged or incomplete.")})
        return data, "pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({field: _("The image is too large.")})
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({field: _("Only PDF, JPG or PNG files are accepted.")}) from None
    if fmt not in ("JPEG", "MPO", "PNG"):
        raise ValidationError({field: _("Only PDF, JPG or PNG files are accepted.")})
    # stored like the dossier's scans: upright, re-encoded, without metadata (GPS, camera serial)
    from .domain.dossier import JPEG, PNG
    from .dossier import clean_image

    kind = PNG if fmt == "PNG" else JPEG
    return clean_image(data, kind, getattr(upload, "name", "")), "png" if kind == PNG else "jpg"


def check_signature(value, field: str = "signature_png") -> bytes:
    """The drawn signature: a PNG data URL (``data:image/png;base64,…``) or PNG bytes, under 1 MB,
    that Pillow opens as a PNG and that is not blank."""
    if value in (None, "", b""):
        raise ValidationError({field: _("Draw the signature first.")})
    if isinstance(value, str):
        head, _sep, payload = value.partition(",")
        if not _sep or not head.startswith("data:image/png;base64"):
            raise ValidationError({field: _("The signature must be a PNG image.")})
        if len(payload) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
            raise ValidationError({field: _("The signature image is larger than 1 MB.")})
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({field: _("The signature must be a PNG image.")}) from None
    else:
        data = _read(value)
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationError({field: _("The signature image is larger than 1 MB.")})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
                raise ValidationError({field: _("The signature must be a PNG image.")})
            image.load()
            extrema = image.convert("LA").getextrema()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({field: _("The signature must be a PNG image.")}) from None
    (lmin, lmax), (amin, amax) = extrema
    if amax == 0 or (lmin == lmax and amin == amax):
        raise ValidationError({field: _("The signature is empty: draw it with your finger.")})
    return data


# ------------------------------------------------------------------------------------------ numbers


def next_number(company_id: int, prefix: str, year: int) -> str:
    """The next number of a series; call inside a transaction (the counter row stays locked)."""
    DocumentCounter.objects.get_or_create(company_id=company_id, kind=prefix, year=year)
    counter = DocumentCounter.objects.select_for_update().get(company_id=company_id, kind=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return rules.document_number(prefix, year, counter.last)


# ------------------------------------------------------------------------------------------ helpers


def _sync(deal: Deal, actor) -> None:
    try:
        from .deals import deal_sync
    except ImportError:  # the deals part is integrated by the lead
        return
    deal_sync(deal=deal, actor=actor)


def _require_change(actor, obj, what: str) -> None:
    if not can(actor, obj, Action.CHANGE):
        raise PermissionError(what)


def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _list_price_today(product, day: dt.date) -> int | None:
    from django.db.models import Q

    from pitch.models import Price

    price = (
        Price.objects.filter(product=product, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")
        .first()
    )
    return price.list_price_fen if price else None


def _policy_words(exc) -> str:
    from policies import messages

    try:
        return str(messages.error_text(exc))
    except Exception:  # noqa: BLE001 - a finance error without a message of its own
        return str(exc)


def _account_for(policy, price_fen: int, today: dt.date) -> dict:
    """The benefit account of ``policy`` at ``price_fen`` (its minimum down payment, first term)."""
    from policies import finance
    from policies import rules as prules
    from policies.method import terms_of

    terms = terms_of(policy)
    months = terms.terms[0] if terms.financed and terms.terms else None
    try:
        a = prules.benefit_account(
            terms,
            list_price=Decimal(price_fen) / 100,
            down_ratio=terms.down_ratio_min if terms.financed else Decimal(100),
            months=months,
            usage=prules.Usage(rental=False, hours_per_month=Decimal(0)),
            on=today,
        )
    except (prules.PolicyError, finance.FinanceError) as exc:
        raise ValidationError(
            {"policy_code": _("This policy cannot be offered on this price: %(e)s") % {"e": _policy_words(exc)}}
        ) from None
    return {
        "code": policy.code,
        "name": policy.name,
        "method": policy.get_method_display(),
        "list_price": str(a.list_price),
        "price": str(a.price),
        "down_ratio": str(a.down_ratio),
        "down_payment": str(a.down_payment),
        "financed_amount": str(a.financed_amount),
        "months": a.months,
        "monthly_payment": str(a.monthly_payment),
        "total_cost": str(a.total_cost),
        "apr": str(a.apr),
    }


def extras_from_content(content: dict) -> list[str]:
    out = []
    for c in content.get("compensations", []) or []:
        text = " · ".join(x for x in (c.get("kind_label", ""), c.get("description", "")) if x)
        if text:
            out.append(text)
    return out


def _clean_extras(extras) -> list[str]:
    if extras is None:
        return []
    if isinstance(extras, str):
        extras = extras.splitlines()
    out = []
    for item in extras:
        text = str(item).strip()
        if text:
            if len(text) > 200:
                raise ValidationError({"extras": _("An extra is at most 200 characters.")})
            out.append(text)
    return out


RULE_WORDS = {
    ("price_fen", "price_missing"): lambda: _("The machine has no list price today: set the price first."),
    ("deposit_fen", "negative"): lambda: _("The amount cannot be negative."),
    ("deposit_fen", "above_price"): lambda: _("The deposit cannot be more than the price."),
    ("down_payment_fen", "negative"): lambda: _("The amount cannot be negative."),
    ("down_payment_fen", "above_price"): lambda: _("The down payment cannot be more than the price."),
    ("delivery_on", "past"): lambda: _("The delivery date cannot be in the past."),
    ("down_payment_due", "before_deposit"): lambda: _("The down payment cannot be due before the deposit."),
    ("down_payment_due", "after_delivery"): lambda: _("The down payment must be due by the delivery date."),
    ("deposit_due", "after_delivery"): lambda: _("The deposit must be due by the delivery date."),
}


# ------------------------------------------------------------------------------------------ order


@transaction.atomic
def order_create(
    *,
    actor,
    deal: Deal,
    quote_version=None,
    policy_code: str = "",
    extras=None,
    delivery_on,
    delivery_place: str,
    deposit_fen,
    deposit_due=None,
    down_payment_fen,
    down_payment_due=None,
    commitments: str = "",
) -> Order:
    """The order confirmation drafted from a deal (and its quote): everything agreed, numbered
    DD{year}{seq}. Refused: a closed deal or one with an order, a policy not in the quote, a delivery
    date in the past, a deposit or down payment above the price, dates inverted."""
    _require_change(actor, deal, "order_create")
    deal = Deal.objects.select_for_update(of=("self",)).select_related("customer", "product", "quote").get(pk=deal.pk)
    if deal.status != Deal.Status.OPEN:
        raise ValidationError({"deal": _("This deal is closed: an order needs an open deal.")})
    if Order.objects.filter(deal=deal).exists():
        raise ValidationError({"deal": _("This deal already has an order.")})
    now = timezone.now()
    today = timezone.localdate(now)
    from policies.models import Policy, QuoteVersion

    code = (policy_code or "").strip()
    policy = None
    account: dict = {}
    product = deal.product
    if quote_version is not None:
        if not isinstance(quote_version, QuoteVersion):
            quote_version = QuoteVersion.objects.filter(pk=quote_version).select_related("quote").first()
        if quote_version is None or quote_version.quote.customer_id != deal.customer_id:
            raise ValidationError({"quote_version": _("Choose a quote of this customer.")})
        if quote_version.valid_until < timezone.localdate():
            raise ValidationError(
                {
                    "quote_version": _("This quote expired on %(day)s: issue a new version of it first.")
                    % {"day": quote_version.valid_until.isoformat()}
                }
            )
        product = quote_version.quote.product
        snapshots = {p.get("code"): p for p in quote_version.content.get("policies", [])}
        if not code and len(snapshots) == 1:
            code = next(iter(snapshots))
        if code not in snapshots:
            raise ValidationError(
                {
                    "policy_code": _("Choose one of the policies of the quote: %(codes)s")
                    % {"codes": ", ".join(snapshots)}
                }
            )
        account = dict(snapshots[code])
        policy = Policy.objects.filter(company_id=deal.company_id, code=code).first()
        price_fen = parse_fen(account.get("price"), "price_fen", required=False) or quote_version.price_fen
        if extras is None:
            extras = extras_from_content(quote_version.content)
    else:
        if product is None:
            raise ValidationError({"deal": _("The deal has no machine: choose the machine or a quote first.")})
        price_fen = _list_price_today(product, today) or 0
        if not price_fen:
            raise ValidationError({"price_fen": str(RULE_WORDS[("price_fen", "price_missing")]())})
        if code:
            policy = Policy.objects.filter(company_id=deal.company_id, code=code).first()
            if policy is None:
                raise ValidationError({"policy_code": _("No policy has this code.")})
            account = _account_for(policy, price_fen, today)
            price_fen = parse_fen(account["price"], "price_fen")

    delivery = parse_day(delivery_on, "delivery_on")
    place = (delivery_place or "").strip()
    if not place:
        raise ValidationError({"delivery_place": _("Enter the delivery place.")})
    if len(place) > 200:
        raise ValidationError({"delivery_place": _("At most 200 characters.")})
    deposit = parse_fen(deposit_fen, "deposit_fen", required=False)
    down = parse_fen(down_payment_fen, "down_payment_fen", required=False)
    # The deposit turns into part of the down payment: with instalments, deposit + down payment is
    # the policy's down payment (首付) and the rest is financed; paid in full, the down payment is
    # the balance before delivery (price − deposit) unless typed otherwise.
    policy_down = parse_fen(account["down_payment"], "down_payment_fen") if account.get("months") else None
    if down_payment_fen in (None, ""):
        down = max(0, (policy_down if policy_down is not None else price_fen) - deposit)
    if policy_down is not None and deposit + down != policy_down:
        raise ValidationError(
            {
                "down_payment_fen": _(
                    "With %(policy)s the down payment is %(down)s: the deposit (%(deposit)s) and the rest of the "
                    "down payment must add up to it — enter %(rest)s."
                )
                % {
                    "policy": account.get("name") or code,
                    "down": yuan(policy_down),
                    "deposit": yuan(deposit),
                    "rest": yuan(max(0, policy_down - deposit)),
                }
            }
        )
    dep_due = parse_day(deposit_due, "deposit_due", required=False)
    down_due = parse_day(down_payment_due, "down_payment_due", required=False)
    problems = rules.check_amounts(
        price_fen=price_fen,
        deposit_fen=deposit,
        down_payment_fen=down,
        deposit_due=dep_due,
        down_payment_due=down_due,
        delivery_on=delivery,
        today=today,
    )
    if dep_due and dep_due < today:
        problems.setdefault("deposit_due", "past")
    if problems:
        words = {**RULE_WORDS, ("deposit_due", "past"): lambda: _("The deposit cannot be due in the past.")}
        raise ValidationError({field: str(words[(field, code_)]()) for field, code_ in problems.items()})
    if deposit + down > price_fen:
        raise ValidationError({"down_payment_fen": _("The deposit and the down payment together exceed the price.")})

    order = Order.objects.create(
        company_id=deal.company_id,
        deal=deal,
        customer=deal.customer,
        product=product,
        quote_version=quote_version,
        policy=policy,
        number=next_number(deal.company_id, rules.ORDER, today.year),
        price_fen=price_fen,
        extras=_clean_extras(extras),
        account=account,
        delivery_on=delivery,
        delivery_place=place,
        deposit_fen=deposit,
        deposit_due=dep_due,
        down_payment_fen=down,
        down_payment_due=down_due,
        commitments=(commitments or "").strip(),
        created_by=actor,
        created_at=now,
    )
    # the instalment dossier's checklist follows the agreed policy from the start
    from .dossier import dossier_install

    dossier_install(order=order, actor=actor)
    _sync(deal, actor)
    return order


@transaction.atomic
def order_confirm(*, actor, order: Order, method: str, signature_png=None, confirmed_by_name: str) -> Order:
    """The customer's confirmation: a signature drawn on the phone, or a confirmation with a time
    stamp; the PDF is rendered and stored."""
    _require_change(actor, order, "order_confirm")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.confirmed_at is not None:
        raise ValidationError({"method": _("This order is already confirmed.")})
    if method not in Order.Confirmation.values:
        raise ValidationError({"method": _("Choose a signature or a confirmation with time stamp.")})
    name = (confirmed_by_name or "").strip()
    if not name:
        raise ValidationError({"confirmed_by_name": _("Enter the name of the person who confirms.")})
    if len(name) > 60:
        raise ValidationError({"confirmed_by_name": _("At most 60 characters.")})
    png = check_signature(signature_png) if method == Order.Confirmation.SIGNATURE else None
    order.confirmation = method
    order.confirmed_by_name = name
    order.confirmed_at = timezone.now()
    if png is not None:
        order.signature.save(f"c{order.company_id}-{order.number}-signature.png", ContentFile(png), save=False)
    order.save()
    _render_order_pdf(order, png)
    _sync(order.deal, actor)
    return order


def _render_order_pdf(order: Order, png: bytes | None = None) -> None:
    if png is None and order.signature:
        with order.signature.open("rb") as handle:
            png = handle.read()
    context = order_pdf_context(order, png)
    data = render_pdf(PDF_ORDER, context)
    if order.pdf:
        order.pdf.delete(save=False)
    order.pdf.save(f"c{order.company_id}-{order.number}.pdf", ContentFile(data), save=False)
    order.save(update_fields=["pdf"])


def _signature_url(png: bytes | None) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else ""


def order_pdf_context(order: Order, png: bytes | None = None) -> dict:
    return {
        "order": order,
        "company": order.company,
        "customer": order.customer,
        "product": order.product,
        "price": yuan(order.price_fen),
        "price_words": rules.rmb_capitals(order.price_fen),
        "deposit": yuan(order.deposit_fen),
        "deposit_words": rules.rmb_capitals(order.deposit_fen),
        "down_payment": yuan(order.down_payment_fen),
        "down_payment_words": rules.rmb_capitals(order.down_payment_fen),
        "account": order.account,
        "signature_url": _signature_url(png),
        "salesperson": order.deal.salesperson,
    }


def yuan(fen: int) -> str:
    return rules.yuan_text(fen)


# ------------------------------------------------------------------------------------------ deposit


def deposits_fen(order: Order) -> int:
    return Deposit.objects.filter(order=order).aggregate(s=Sum("amount_fen"))["s"] or 0


@transaction.atomic
def deposit_record(
    *, actor, order: Order, amount_fen, received_on, method: str = "", refund_terms: str, penalty_terms: str = ""
) -> Deposit:
    """A deposit received, with its receipt SJ{year}{seq} as a PDF (amount in figures and 人民币大写).
    Refused before the customer's confirmation, without refund terms, for nothing or for more than
    the price in total."""
    if not can(actor, order, Action.CHANGE) and not _finance_may(actor, order):
        raise PermissionError("deposit_record")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.confirmed_at is None:
        raise ValidationError({"order": _("The order must be confirmed by the customer before a deposit.")})
    amount = parse_fen(amount_fen, "amount_fen")
    if amount <= 0:
        raise ValidationError({"amount_fen": _("The deposit must be more than zero.")})
    received = parse_day(received_on, "received_on")
    now = timezone.now()
    if received > timezone.localdate(now):
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    refund = (refund_terms or "").strip()
    if not refund:
        raise ValidationError({"refund_terms": _("Write the refund terms agreed (退还条款).")})
    if deposits_fen(order) + amount > order.price_fen:
        raise ValidationError({"amount_fen": _("The deposits together cannot be more than the order's price.")})
    deposit = Deposit.objects.create(
        company_id=order.company_id,
        order=order,
        amount_fen=amount,
        received_on=received,
        method=(method or "").strip()[:20],
        receipt_number=next_number(order.company_id, rules.RECEIPT, received.year),
        refund_terms=refund,
        penalty_terms=(penalty_terms or "").strip(),
        by=actor,
        at=now,
    )
    data = render_pdf(PDF_RECEIPT, receipt_pdf_context(deposit))
    deposit.pdf.save(f"c{order.company_id}-{deposit.receipt_number}.pdf", ContentFile(data), save=True)
    _sync(order.deal, actor)
    return deposit


def _finance_may(actor, order: Order) -> bool:
    """Finance (财务) records the money received in its regions (core.visibility: finance changes
    deposits and down payments of the region's orders)."""
    return actor.has_role(Role.FINANCE) and order.customer.region_id in actor.region_ids


def receipt_pdf_context(deposit: Deposit) -> dict:
    return {
        "deposit": deposit,
        "order": deposit.order,
        "company": deposit.order.company,
        "customer": deposit.order.customer,
        "amount": yuan(deposit.amount_fen),
        "amount_words": rules.rmb_capitals(deposit.amount_fen),
    }


# ------------------------------------------------------------------------------------------ contract

DEFAULT_TEMPLATE_NAME = "挖掘机买卖合同（标准版）"

# The standard contract body (a Django template string, copied into the company's ContractTemplate
# so the dealer can change it in the admin).
DEFAULT_TEMPLATE_FILE = "orders/pdf/default_contract_body.html"


def default_template_body() -> str:
    from django.template.loader import get_template

    return get_template(DEFAULT_TEMPLATE_FILE).template.source


def install_default_template(company) -> ContractTemplate:
    """The company's active contract template; installs the standard one when there is none."""
    template = ContractTemplate.objects.filter(company=company, active=True).order_by("pk").first()
    if template is None:
        template = ContractTemplate.objects.create(
            company=company, name=DEFAULT_TEMPLATE_NAME, body=default_template_body()
        )
    return template


def _agreed_on(terms, day: dt.date) -> dt.date:
    """The day the offer is worked out on: the order's day, kept inside a time-limited policy's
    dates — the offer was checked when it was quoted and agreed; the contract keeps what was agreed."""
    if terms.valid_from and day < terms.valid_from:
        return terms.valid_from
    if terms.valid_to and day > terms.valid_to:
        return terms.valid_to
    return day


def contract_schedule(order: Order) -> list[dict]:
    """The instalment schedule of the agreed policy at the order's price: the down ratio and term of
    ``order.account``, first due one month after delivery. [] for full payment or no policy."""
    if order.policy is None:
        return []
    from policies import finance
    from policies import rules as prules
    from policies.method import terms_of

    terms = terms_of(order.policy)
    account = order.account or {}
    months = account.get("months") or (terms.terms[0] if terms.terms else None)
    if not terms.financed or not months:
        return []
    list_price = _dec(account.get("list_price")) or Decimal(order.price_fen) / 100
    down_ratio = _dec(account.get("down_ratio"))
    if down_ratio is None:  # an order without the account's figures: deposit + down payment's share
        paid = order.deposit_fen + order.down_payment_fen
        share = (Decimal(paid) * 100 / order.price_fen).quantize(Decimal("0.01"))
        down_ratio = min(max(share, terms.down_ratio_min), terms.down_ratio_max)
    try:
        a = prules.benefit_account(
            terms,
            list_price=list_price,
            down_ratio=down_ratio,
            months=int(months),
            usage=prules.Usage(rental=False, hours_per_month=Decimal(0)),
            on=_agreed_on(terms, timezone.localdate(order.created_at)),
            first_due=finance.add_months(order.delivery_on, 1),
        )
    except (prules.PolicyError, finance.FinanceError) as exc:
        raise ValidationError(
            {"order": _("The instalment schedule cannot be worked out: %(e)s") % {"e": _policy_words(exc)}}
        ) from None
    if a.schedule is None:
        return []
    return [
        {
            "n": line.n,
            "due": line.due_date.isoformat() if line.due_date else "",
            "principal": str(line.principal),
            "interest": str(line.interest),
            "fee": str(line.fee),
            "payment": str(line.payment),
            "balance": str(line.balance),
        }
        for line in a.schedule.lines
    ]


@transaction.atomic
def contract_create(
    *,
    actor,
    order: Order,
    template: ContractTemplate | None = None,
    signer_name: str,
    signer_is_customer: bool,
    authorisation=None,
    amount_fen,
) -> Contract:
    """The contract HT{year}{seq} from the template, with the schedule. Refused: the order not
    confirmed or no deposit (the gate), an amount different from the order (合同金额与订单不一致), a
    representative without an uploaded authorisation (委托书)."""
    _require_change(actor, order, "contract_create")
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer", "company", "product", "policy")
        .get(pk=order.pk)
    )
    if Contract.objects.filter(order=order).exists():
        raise ValidationError({"order": _("This order already has a contract.")})
    if order.confirmed_at is None:
        raise ValidationError({"order": _("The order must be confirmed by the customer before the contract.")})
    if not Deposit.objects.filter(order=order).exists():
        raise ValidationError({"order": _("The deposit must be received before the contract.")})
    amount = parse_fen(amount_fen, "amount_fen")
    if amount != order.price_fen:
        raise ValidationError(
            {
                "amount_fen": _(
                    "The contract amount differs from the order (合同金额与订单不一致): the order says %(price)s."
                )
                % {"price": yuan(order.price_fen)}
            }
        )
    name = (signer_name or "").strip()
    if not name:
        raise ValidationError({"signer_name": _("Enter the signer's name.")})
    if len(name) > 60:
        raise ValidationError({"signer_name": _("At most 60 characters.")})
    auth = None
    if not signer_is_customer:
        if authorisation in (None, "", b""):
            raise ValidationError(
                {
                    "authorisation": _(
                        "The signer is not the customer: upload the customer's authorisation (委托书) — only the "
                        "legally liable party or a representative with a recorded authorisation may sign."
                    )
                }
            )
        auth = check_document(authorisation, "authorisation")
    if template is None:
        template = install_default_template(order.company)
    elif template.company_id != order.company_id or not template.active:
        raise ValidationError({"template": _("Choose an active contract template.")})
    schedule = contract_schedule(order)
    now = timezone.now()
    contract = Contract(
        company_id=order.company_id,
        order=order,
        template=template,
        number=next_number(order.company_id, rules.CONTRACT, timezone.localdate(now).year),
        amount_fen=amount,
        signer_name=name,
        signer_is_customer=bool(signer_is_customer),
        schedule=schedule,
        created_by=actor,
        created_at=now,
    )
    if auth is not None:
        data, ext = auth
        contract.authorisation.save(
            f"c{order.company_id}-{contract.number}-authorisation.{ext}", ContentFile(data), save=False
        )
    contract.save()
    data = render_pdf(PDF_CONTRACT, contract_pdf_context(contract))
    contract.pdf.save(f"c{order.company_id}-{contract.number}.pdf", ContentFile(data), save=True)
    _sync(order.deal, actor)
    return contract


def contract_body(contract: Contract) -> str:
    """The template's text rendered with the order's data (autoescaped: typed text stays text)."""
    order = contract.order
    from .models import Machine

    machine = Machine.objects.filter(order=order).first()
    schedule = contract.schedule or []
    context = {
        "contract": contract,
        "order": order,
        "company": order.company,
        "customer": order.customer,
        "product": order.product,
        "machine": machine,
        "account": order.account or {},
        "amount": yuan(contract.amount_fen),
        "amount_words": rules.rmb_capitals(contract.amount_fen),
        "deposit": yuan(order.deposit_fen),
        "deposit_words": rules.rmb_capitals(order.deposit_fen),
        "down_payment": yuan(order.down_payment_fen),
        "down_payment_words": rules.rmb_capitals(order.down_payment_fen),
        "first_payment": yuan(order.deposit_fen + order.down_payment_fen),
        "first_payment_words": rules.rmb_capitals(order.deposit_fen + order.down_payment_fen),
        "balance": yuan(max(0, contract.amount_fen - order.deposit_fen - order.down_payment_fen)),
        "balance_words": rules.rmb_capitals(max(0, contract.amount_fen - order.deposit_fen - order.down_payment_fen)),
        "schedule": schedule,
        "first_due": parse_date(schedule[0]["due"]) if schedule and schedule[0]["due"] else None,
    }
    try:
        return Template(contract.template.body).render(Context(context, autoescape=True))
    except TemplateSyntaxError as exc:
        raise ValidationError({"template": _("The contract template is broken: %(e)s") % {"e": exc}}) from None


def contract_pdf_context(contract: Contract) -> dict:
    return {"contract": contract, "body": mark_safe(contract_body(contract))}  # noqa: S308 - rendered, escaped


@transaction.atomic
def contract_sign(*, actor, contract: Contract, signed_on, signed_copy) -> Contract:
    """The signed copy uploaded (PDF/JPG/PNG, by content, size limit); the date not in the future
    nor before the contract was drawn up."""
    _require_change(actor, contract, "contract_sign")
    contract = Contract.objects.select_for_update(of=("self",)).select_related("order").get(pk=contract.pk)
    if contract.signed_on is not None:
        raise ValidationError({"signed_on": _("This contract is already signed.")})
    day = parse_day(signed_on, "signed_on")
    if day > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    if day < timezone.localdate(contract.created_at):
        raise ValidationError({"signed_on": _("The contract cannot be signed before it was drawn up.")})
    data, ext = check_document(signed_copy, "signed_copy")
    contract.signed_copy.save(f"c{contract.company_id}-{contract.number}-signed.{ext}", ContentFile(data), save=False)
    contract.signed_on = day
    contract.save()
    _sync(contract.order.deal, actor)
    return contract


# ------------------------------------------------------------------------------------------ down payment


def down_payment_received_fen(order: Order) -> int:
    """What was received of the down payment so far (fen)."""
    return DownPayment.objects.filter(order=order).aggregate(s=Sum("amount_fen"))["s"] or 0


def managers_of(order: Order) -> list[User]:
    from policies.negotiation import deciders_for

    return deciders_for(order.customer)


def _late_people(order: Order) -> list[User]:
    people = [order.deal.salesperson]
    for m in managers_of(order):
        if m.pk not in {p.pk for p in people}:
            people.append(m)
    return [p for p in people if p.is_active]


def _order_url(order: Order) -> str:
    from django.urls import reverse

    return reverse("orders:order_detail", args=[order.pk])


@transaction.atomic
def down_payment_record(
    *, actor, order: Order, amount_fen, received_on, method: str = "", late_reason: str = ""
) -> DownPayment:
    """A part of the down payment received. Refused: the contract not signed, nothing, more than
    what is still due; after the due date a reason is required and the salesperson and the region's
    managers get a to-do."""
    if not can(actor, order, Action.CHANGE) and not _finance_may(actor, order):
        raise PermissionError("down_payment_record")
    order = Order.objects.select_for_update(of=("self",)).select_related("deal", "customer").get(pk=order.pk)
    contract = Contract.objects.filter(order=order).first()
    if contract is None or contract.signed_on is None:
        raise ValidationError({"order": _("The contract must be signed before the down payment.")})
    amount = parse_fen(amount_fen, "amount_fen")
    if amount <= 0:
        raise ValidationError({"amount_fen": _("The amount must be more than zero.")})
    received = parse_day(received_on, "received_on")
    now = timezone.now()
    today = timezone.localdate(now)
    if received > today:
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    already = down_payment_received_fen(order)
    if already + amount > order.down_payment_fen:
        raise ValidationError(
            {
                "amount_fen": _("Only %(left)s of the down payment is still due: the total cannot exceed %(total)s.")
                % {"left": yuan(order.down_payment_fen - already), "total": yuan(order.down_payment_fen)}
            }
        )
    late = rules.is_late(received, order.down_payment_due)
    reason = (late_reason or "").strip()
    if late and not reason:
        raise ValidationError(
            {
                "late_reason": _("The down payment was due on %(due)s: say why it is late.")
                % {"due": order.down_payment_due.isoformat()}
            }
        )
    row = DownPayment.objects.create(
        company_id=order.company_id,
        order=order,
        amount_fen=amount,
        received_on=received,
        method=(method or "").strip()[:20],
        late_reason=reason if late else "",
        by=actor,
        at=now,
    )
    url = _order_url(order)
    if late:
        title = _("Late down payment %(order)s (%(customer)s): %(reason)s") % {
            "order": order.number,
            "customer": order.customer.name,
            "reason": reason,
        }
        for person in _late_people(order):
            todo_post(
                user=person,
                title=title,
                due=today,
                kind=TODO_LATE,
                url=url,
                note=reason,
                key=f"orders.down_payment.{order.pk}.late.{row.pk}",
                about=order,
            )
    if already + amount >= order.down_payment_fen:
        for todo in Todo.objects.filter(
            key__startswith=f"orders.down_payment.{order.pk}.", status=Todo.Status.OPEN
        ).exclude(kind=TODO_LATE):
            todo_done(todo=todo)
    _sync(order.deal, actor)
    return row


def down_payment_reminders(*, today: dt.date | None = None) -> int:
    """Daily: to-dos to the salesperson 3 days before and on the due date (and after it) for
    orders whose down payment is not received in full. Key orders.down_payment.<order>.<kind>."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=rules.REMIND_DAYS_BEFORE)
    orders = (
        Order.objects.filter(down_payment_fen__gt=0, down_payment_due__isnull=False, down_payment_due__lte=horizon)
        .exclude(deal__status=Deal.Status.LOST)
        .annotate(received=Sum("down_payments__amount_fen"))
        .select_related("deal__salesperson", "customer")
    )
    posted = 0
    for order in orders:
        outstanding = order.down_payment_fen - (order.received or 0)
        kind = rules.reminder_kind(today, order.down_payment_due, outstanding)
        if kind is None:
            continue
        words = {
            "soon": _("Down payment of %(order)s (%(customer)s) due on %(due)s: %(left)s still to receive"),
            "due": _("Down payment of %(order)s (%(customer)s) due today: %(left)s still to receive"),
            "late": _("Down payment of %(order)s (%(customer)s) overdue since %(due)s: %(left)s still to receive"),
        }
        title = words[kind] % {
            "order": order.number,
            "customer": order.customer.name,
            "due": order.down_payment_due.isoformat(),
            "left": yuan(outstanding),
        }
        todo_post(
            user=order.deal.salesperson,
            title=title,
            due=min(order.down_payment_due, today) if kind != "soon" else order.down_payment_due,
            kind=TODO_REMIND,
            url=_order_url(order),
            key=f"orders.down_payment.{order.pk}.{kind}",
            about=order,
        )
        if kind == "due":
            notify(user=order.deal.salesperson, title=title, url=_order_url(order))
        posted += 1
    return posted


# ------------------------------------------------------------------------------------------ reads


def order_detail(user, pk, action: Action = Action.VIEW) -> Order:
    return get_or_404(
        user,
        Order,
        pk,
        action,
        queryset=Order.objects.select_related(
            "customer", "product", "policy", "deal__salesperson", "created_by"
        ).prefetch_related(
            Prefetch("deposits", queryset=Deposit.objects.select_related("by").order_by("received_on", "pk")),
            Prefetch("down_payments", queryset=DownPayment.objects.select_related("by").order_by("received_on", "pk")),
        ),
    )


def order_contract(order: Order) -> Contract | None:
    return Contract.objects.filter(order=order).select_related("template").first()


def order_for_deal(user, deal: Deal) -> Order | None:
    return visible(user, Order).filter(deal=deal).first()


def steps(order: Order, contract: Contract | None, deposits_total: int, down_total: int) -> list[dict]:
    """The order's documents in their gated order, for the page and the API."""
    return [
        {"code": "confirmed", "label": _("Confirmed by the customer"), "done": order.confirmed_at is not None},
        {"code": "deposit", "label": _("Deposit received"), "done": deposits_total > 0},
        {"code": "contract", "label": _("Contract drawn up"), "done": contract is not None},
        {"code": "signed", "label": _("Contract signed"), "done": bool(contract and contract.signed_on)},
        {
            "code": "down_payment",
            "label": _("Down payment received in full"),
            "done": order.down_payment_fen > 0 and down_total >= order.down_payment_fen,
        },
    ]
