"""The instalment dossier (分期资料), SPEC §5 and issue 6 item 6: the documents an instalment order
needs, their upload, the verification by finance and the completeness gate before the machine
is released.

    dossier_install(order=…, actor=…)                         # the checklist's rows (idempotent)
    dossier_marital(actor=…, order=…, married=True | False)   # the buyer's marital status, stated
    dossier_upload(actor=…, item=…, file=…, person_name=…, id_number=…)
    dossier_verify(actor=…, item=…) / dossier_reject(actor=…, item=…, reason=…)
    dossier_complete(order) -> bool                           # the gate (orders.deals, delivery)

Decisions:

- Which documents: orders.domain.dossier.checklist (policy source and preconditions, the buyer's
  marital status, company or person). Installing again after a change of policy adds what is
  missing, drops empty rows no longer needed and keeps every uploaded row (not required any more).
- The marital status: stated on the dossier page (``dossier_marital``), otherwise taken from the
  customer's family relations (a wife or husband recorded → married), otherwise not known: the
  spouse's identity card and the marriage certificate are then required "if married".
- Uploads: JPEG, PNG or PDF judged by content (images opened and checked with Pillow, then
  re-encoded without EXIF — no GPS or camera serial stored; a PDF must start with "%PDF-"), at most
  10 MB. Identity cards need the number: the check digit is validated (GB 11643), the value is
  stored encrypted and shown masked; the buyer's number must match the customer's recorded one.
  A new upload clears an earlier verification or refusal. Files are only served by the
  ``orders:dossier_file`` view after a visibility check.
- Verification: finance (or an administrator) of the customer's region; who and when recorded.
  A refusal needs a reason and posts a to-do to the deal's salesperson. When the last required
  document is in, finance of the region get a to-do "verify the dossier of …"; it closes when the
  dossier is complete.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.models import Role, Todo, User
from core.selectors import region_people
from core.services import todo_done, todo_post
from core.visibility import Action, can, visible
from customers.models import Customer, Relation
from customers.rules import valid_id_number

from .domain import dossier as rules
from .models import DossierItem, Order

MAX_PIXELS = 60_000_000  # larger than any phone camera; refuses decompression bombs
FORMAT_NAMES = "JPG / PNG / PDF"
VERIFY_KEY = "orders.dossier.verify.{order}"
REFUSED_KEY = "orders.dossier.refused.{item}"
FINANCE_ROLES = (Role.FINANCE, Role.ADMIN)


def _not_yours() -> str:
    return _("Only the customer's salesperson, the region's managers and finance change this dossier.")


# ------------------------------------------------------------------------------------------ reading
def order_source(order: Order) -> str | None:
    return order.policy.source if order.policy_id else None


def is_instalment(order: Order) -> bool:
    return rules.is_instalment(order_source(order))


def _rows(order: Order) -> list[rules.Row]:
    return [
        rules.Row(kind=i.kind, required=i.required, condition=i.condition, has_file=bool(i.file))
        for i in DossierItem.objects.filter(order=order)
    ]


def _married(order: Order, rows: list[rules.Row]) -> bool | None:
    stated = rules.married_from_rows(rows)
    if stated is not None:
        return stated
    relations = Relation.objects.filter(customer_id=order.customer_id, kind=Relation.Kind.FAMILY)
    return rules.married_from_relations(relations.values_list("relation", flat=True))


def _checklist(order: Order, married: bool | None) -> list[rules.Requirement]:
    return rules.checklist(
        source=order_source(order),
        preconditions=order.policy.preconditions if order.policy_id else (),
        married=married,
        is_company=order.customer.kind == Customer.Kind.COMPANY,
    )


def wanted(order: Order, rows: list[rules.Row] | None = None) -> list[rules.Requirement]:
    """The documents the order needs now (no writes)."""
    if not is_instalment(order):
        return []
    rows = _rows(order) if rows is None else rows
    return _checklist(order, _married(order, rows))


def item_status(item: DossierItem) -> str:
    return rules.status(
        has_file=bool(item.file), verified=item.verified_at is not None, refused=bool(item.rejected_reason)
    )


def dossier_complete(order: Order) -> bool:
    """The gate before the machine is released: every required document uploaded and verified
    by finance, and nothing the current policy needs missing. Full-payment orders are complete."""
    if not is_instalment(order):
        return True
    items = list(DossierItem.objects.filter(order=order))
    rows = [rules.Row(i.kind, i.required, i.condition, bool(i.file)) for i in items]
    have = {i.kind: item_status(i) for i in items}
    if any(have.get(req.kind) != rules.VERIFIED for req in wanted(order, rows)):
        return False
    return rules.complete((i.required, item_status(i)) for i in items)


def needs_install(order: Order) -> bool:
    """Would dossier_install change anything (a policy changed, never set up)? No writes."""
    rows = _rows(order)
    return not rules.plan(rows, wanted(order, rows), married=_married(order, rows)).empty


# ------------------------------------------------------------------------------------------ helpers
def _may_see(actor: User, order: Order) -> None:
    if not can(actor, order, Action.VIEW):
        raise PermissionError(_("You may not see this order."))


def _may_change(actor: User, item: DossierItem) -> None:
    if not can(actor, item, Action.CHANGE):
        raise PermissionError(_not_yours())


def _may_verify(actor: User, item: DossierItem) -> None:
    if not actor.has_role(*FINANCE_ROLES) or not can(actor, item, Action.CHANGE):
        raise PermissionError(_("Only finance of the customer's region verifies the dossier."))


def _dossier_url(order: Order) -> str:
    return reverse("orders:dossier", args=[order.pk])


def _finance_of(order: Order) -> list[User]:
    return region_people(order.company_id, order.customer.region_id, Role.FINANCE)


def _salesperson_of(order: Order) -> User | None:
    deal = getattr(order, "deal", None)
    if deal is not None and deal.salesperson_id:
        return deal.salesperson
    return order.customer.owner


def _sync_deal(order: Order, actor: User) -> None:
    """Move the deal forward when the dossier was its gate (orders.deals, another part)."""
    try:
        from .deals import deal_sync
    except ImportError:  # pragma: no cover - the deals part not installed yet
        return
    deal_sync(deal=order.deal, actor=actor)


def _close_todos(key: str) -> None:
    for todo in Todo.objects.filter(key=key, status=Todo.Status.OPEN):
        todo_done(todo=todo)


def _for_update(pk: int) -> DossierItem:
    return (
        DossierItem.objects.select_for_update(of=("self",))
        .select_related("order__customer", "order__policy")
        .get(pk=pk)
    )


def _locked_items(order: Order) -> list[DossierItem]:
    return list(DossierItem.objects.select_for_update().filter(order=order).order_by("pk"))


def _customer_name(order: Order) -> str:
    return order.customer.name


# ------------------------------------------------------------------------------------------ install
def _apply_plan(order: Order, married: bool | None) -> list[DossierItem]:
    items = _locked_items(order)
    rows = [rules.Row(i.kind, i.required, i.condition, bool(i.file)) for i in items]
    if married is None:
        married = _married(order, rows)
    want = _checklist(order, married)
    step = rules.plan(rows, want, married=married)
    by_kind = {i.kind: i for i in items if i.kind != rules.OTHER}
    for kind in step.delete:
        by_kind.pop(kind).delete()
    for kind, (required, condition) in step.update.items():
        item = by_kind[kind]
        item.required, item.condition = required, condition
        item.save(update_fields=["required", "condition"])
    for req in step.create:
        by_kind[req.kind] = DossierItem.objects.create(
            company_id=order.company_id,
            order=order,
            kind=req.kind,
            required=req.condition != rules.NOT_MARRIED,
            condition=req.condition,
        )
    return list(DossierItem.objects.filter(order=order))


@transaction.atomic
def dossier_install(*, order: Order, actor: User) -> list[DossierItem]:
    """Create the checklist's rows for the order's policy (idempotent). After a change of policy
    the missing rows are added and the empty ones no longer needed removed; uploaded rows stay."""
    _may_see(actor, order)
    order = Order.objects.select_for_update(of=("self",)).select_related("policy", "customer").get(pk=order.pk)
    items = _apply_plan(order, None)
    _after_change(order, actor)
    return items


@transaction.atomic
def dossier_marital(*, actor: User, order: Order, married: bool) -> list[DossierItem]:
    """The buyer's marital status as stated by the salesperson (the household register shows it):
    married → the spouse's identity card and the marriage certificate are required; not married →
    they are not (uploaded ones stay)."""
    if married not in (True, False):
        raise ValidationError({"married": _("Say whether the buyer is married.")})
    order = Order.objects.select_for_update(of=("self",)).select_related("policy", "customer").get(pk=order.pk)
    if not is_instalment(order):
        raise ValidationError({"married": _("A full-payment order needs no instalment dossier.")})
    allowed = visible(actor, DossierItem, Action.CHANGE).filter(order=order).exists()
    if not allowed:
        _may_see(actor, order)
        raise PermissionError(_not_yours())
    items = _apply_plan(order, married)
    _after_change(order, actor)
    return items


def _after_change(order: Order, actor: User) -> None:
    """To-dos after any change of the dossier: finance asked to verify once everything required is
    in; their to-do closed and the deal moved on once the dossier is complete."""
    if not is_instalment(order):
        return
    items = list(DossierItem.objects.filter(order=order))
    if not items:
        return
    states = [(i.required, item_status(i)) for i in items]
    key = VERIFY_KEY.format(order=order.pk)
    if dossier_complete(order):
        _close_todos(key)
        _sync_deal(order, actor)
        return
    waiting = any(st == rules.UPLOADED for required, st in states if required)
    if rules.all_uploaded(states) and waiting:
        for person in _finance_of(order):
            todo_post(
                user=person,
                title=_("Verify the dossier of %(customer)s (%(order)s)")
                % {"customer": _customer_name(order), "order": order.number},
                due=timezone.localdate(),
                kind="orders_dossier_verify",
                url=_dossier_url(order),
                key=key,
                about=order,
            )


# ------------------------------------------------------------------------------------------ upload
def _read(upload) -> tuple[bytes, str]:
    if upload is None:
        raise ValidationError({"file": _("Choose a file: a photo or a PDF of the document.")})
    size = getattr(upload, "size", None)
    limit = rules.MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size).1f MB; the largest allowed is %(max)d MB.")
                % {"size": size / 1024 / 1024, "max": limit // (1024 * 1024)}
            }
        )
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(max)d MB, the largest allowed.") % {"max": limit // (1024 * 1024)}}
        )
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    return data, str(getattr(upload, "name", "") or "")[:80]


def clean_image(data: bytes, kind: str, name: str) -> bytes:
    """The picture checked by Pillow and re-encoded in its own format without any metadata (no GPS,
    no camera serial): every scan or photo the order documents store goes through it."""
    bad = _("“%(name)s” is not a readable picture.") % {"name": name or _("The file")}
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ("JPEG", "MPO", "PNG"):
            raise ValidationError({"file": bad})
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(
                {"file": _("The picture is too large (%(w)d × %(h)d).") % {"w": image.width, "h": image.height}}
            )
        image.load()
        image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError({"file": _("The picture is too large.")}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError):
        raise ValidationError({"file": bad}) from None
    image.info = {}
    out = io.BytesIO()
    if kind == rules.PNG:
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, optimize=True)
    return out.getvalue()


def _clean_file(upload) -> tuple[bytes, str]:
    """(bytes to store, extension) or a refusal naming the field "file"."""
    data, name = _read(upload)
    kind = rules.sniff(data[:16])
    if kind is None:
        raise ValidationError(
            {
                "file": _("“%(name)s” is neither a photo nor a PDF: send a %(formats)s file.")
                % {"name": name or _("The file"), "formats": FORMAT_NAMES}
            }
        )
    if kind == rules.PDF:
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError({"file": _("“%(name)s” is not a complete PDF.") % {"name": name or _("The file")}})
        return data, rules.EXTENSIONS[kind]
    return clean_image(data, kind, name), rules.EXTENSIONS[kind]


def _clean_id_number(item: DossierItem, value: str | None, errors: dict) -> str:
    if item.kind not in rules.ID_DOCUMENTS:
        return ""
    number = rules.normalise_id(value)
    if not number:
        errors["id_number"] = _("Enter the identity-card number shown on the card.")
        return ""
    if not valid_id_number(number):
        errors["id_number"] = _(
            "This identity-card number is not valid: 18 characters whose check digit (the last one) must match."
        )
        return ""
    customer = item.order.customer
    if item.kind == rules.BUYER_ID and customer.kind == Customer.Kind.PERSON and customer.id_number:
        if rules.normalise_id(customer.id_number) != number:
            errors["id_number"] = _("The buyer's identity-card number differs from the one recorded for the customer.")
            return ""
    if item.kind != rules.BUYER_ID:
        buyer = DossierItem.objects.filter(order_id=item.order_id, kind=rules.BUYER_ID).exclude(pk=item.pk).first()
        if buyer is not None and buyer.id_number and rules.normalise_id(buyer.id_number) == number:
            errors["id_number"] = _("This is the buyer's own identity-card number.")
            return ""
    return number


def dossier_upload(
    *, actor: User, item: DossierItem, file, person_name: str, id_number: str | None = None
) -> DossierItem:
    """Upload (or replace) a document. Checked whole before anything is written; a new upload
    clears an earlier verification or refusal.

    The file work (Pillow) comes before the transaction, so decoding a 10 MB photo never holds the
    database's write lock; the row is then written in one transaction and the new file removed
    again if that fails."""
    _may_change(actor, item)
    item = DossierItem.objects.select_related("order__customer", "order__policy").get(pk=item.pk)
    errors: dict[str, str] = {}
    person_name = (person_name or "").strip()
    if not person_name:
        errors["person_name"] = _("Enter the name on the document.")
    elif len(person_name) > 60:
        errors["person_name"] = _("At most 60 characters.")
    number = _clean_id_number(item, id_number, errors)
    try:
        data, ext = _clean_file(file)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    token = secrets.token_hex(12)
    stored = ""
    try:
        with transaction.atomic():
            locked = _for_update(item.pk)
            locked.file.save(f"{token}.{ext}", ContentFile(data), save=False)
            stored = locked.file.name
            locked.person_name = person_name
            locked.id_number = number
            locked.uploaded_by = actor
            locked.uploaded_at = timezone.now()
            locked.verified_by = None
            locked.verified_at = None
            locked.rejected_reason = ""
            locked.save()
            _close_todos(REFUSED_KEY.format(item=locked.pk))
            _after_change(locked.order, actor)
    except BaseException:
        if stored:
            item.file.storage.delete(stored)
        raise
    return locked


# ------------------------------------------------------------------------------------------ verify
@transaction.atomic
def dossier_verify(*, actor: User, item: DossierItem) -> DossierItem:
    """Finance checked the document against the original: who and when are recorded."""
    _may_verify(actor, item)
    item = _for_update(item.pk)
    if not item.file:
        raise ValidationError({"file": _("Nothing to verify: the document has not been uploaded.")})
    if item.rejected_reason:
        raise ValidationError({"file": _("This document was refused: it must be uploaded again first.")})
    if item.verified_at is None:
        item.verified_by = actor
        item.verified_at = timezone.now()
        item.save(update_fields=["verified_by", "verified_at"])
    _after_change(item.order, actor)
    return item


@transaction.atomic
def dossier_reject(*, actor: User, item: DossierItem, reason: str) -> DossierItem:
    """Finance refuses a document (unreadable, wrong person, expired…): the reason is required and
    the salesperson gets a to-do to upload it again."""
    _may_verify(actor, item)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the document is refused.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("At most 200 characters.")})
    item = _for_update(item.pk)
    if not item.file:
        raise ValidationError({"file": _("Nothing to refuse: the document has not been uploaded.")})
    item.rejected_reason = reason
    item.verified_by = actor  # who checked it, and when
    item.verified_at = None
    item.save(update_fields=["rejected_reason", "verified_by", "verified_at"])
    order = item.order
    seller = _salesperson_of(order)
    if seller is not None and seller.is_active:
        todo_post(
            user=seller,
            title=_("Dossier document refused: %(document)s of %(customer)s")
            % {"document": item.get_kind_display(), "customer": _customer_name(order)},
            due=timezone.localdate() + dt.timedelta(days=1),
            kind="orders_dossier_refused",
            url=_dossier_url(order),
            note=reason,
            key=REFUSED_KEY.format(item=item.pk),
            about=order,
        )
    return item


# ------------------------------------------------------------------------------------------ lists
def waiting_orders(user: User):
    """Finance's work list: the orders of its regions with documents waiting for verification,
    oldest upload first, with their counts (one query)."""
    from django.db.models import Count, Min, Q

    waiting = Q(dossier__required=True, dossier__verified_at__isnull=True, dossier__rejected_reason="") & ~Q(
        dossier__file=""
    )
    items = (
        visible(user, DossierItem, Action.CHANGE)
        .filter(required=True, verified_at__isnull=True, rejected_reason="")
        .exclude(file="")
    )
    return (
        Order.objects.filter(pk__in=items.values("order_id"))
        .select_related("customer", "customer__region")
        .annotate(
            n_required=Count("dossier", filter=Q(dossier__required=True)),
            n_waiting=Count("dossier", filter=waiting),
            n_verified=Count("dossier", filter=Q(dossier__required=True, dossier__verified_at__isnull=False)),
            n_refused=Count("dossier", filter=Q(dossier__required=True) & ~Q(dossier__rejected_reason="")),
            n_missing=Count("dossier", filter=Q(dossier__required=True, dossier__file="")),
            first_upload=Min("dossier__uploaded_at", filter=waiting),
        )
        .order_by("first_upload", "pk")
    )
