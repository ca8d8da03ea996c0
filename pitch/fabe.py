"""FABE cards (FABE 话术卡) and the pitch sheet (推介单) of a customer, SPEC §3.

A card tells one selling point (卖点) — or one commercial policy (商务政策) — as feature (特征),
advantage (优点), benefit (利益) and evidence (证据: text, photos, files, customer testimonials).
Each card names the customer needs it answers; the pitch sheet of a customer lists the cards of a
product's selling points and of the active policies ordered by the best rank, in the customer's
sensitivity model (customers.domain.sensitivity.rank), of a need the card answers — cards answering
none of the customer's needs last.

Services (writes: keyword-only, atomic, validated, permission-checked) and selectors (reads from
``visibility.visible``) of this part live together here.

Evidence files: a photo must be a picture Pillow opens (re-encoded without metadata, as the visit
photos are: visits.checkin); other files must be PDF, Word (.docx), Excel (.xlsx) or MP4 video,
checked by their content, not only their name, within a size limit. They are served by the
``pitch:evidence`` view, which checks visibility, never from a public media URL.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import clean_image, read_upload
from core.models import User
from core.visibility import Action, can, get_or_404, may, visible
from customers.domain import sensitivity as sens
from customers.method import settings_for
from customers.models import Customer, CustomerNeed, NeedPoint, SegmentFit
from customers.services import sensitivity_of

from .models import Dimension, FabeCard, FabeEvidence, Product, SellingPoint

PHOTO_MAX_MB = 10
# extension: (what the user reads, largest size in MB)
FILE_TYPES = {
    "pdf": ("PDF", 20),
    "docx": ("Word", 20),
    "xlsx": ("Excel", 20),
    "mp4": ("MP4", 100),
}
FILE_NAMES = "PDF / Word (.docx) / Excel (.xlsx) / MP4"
TEXT_MAX = 4000


# ------------------------------------------------------------------------------------------ input


def _text(value, limit: int = TEXT_MAX) -> str:
    return str(value or "").strip()[:limit]


def _sniff(ext: str, data: bytes) -> bool:
    """Is ``data`` really a file of type ``ext`` (by its content)?"""
    if ext == "pdf":
        return data.startswith(b"%PDF-")
    if ext == "mp4":
        return len(data) > 12 and data[4:8] == b"ftyp"
    if ext in ("docx", "xlsx"):
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        folder = "word/" if ext == "docx" else "xl/"
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    return False


def clean_upload(kind: str, upload) -> tuple[bytes, str]:
    """(the bytes to store, the file extension) of an evidence file, or a refusal naming "file"."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    name = str(getattr(upload, "name", "") or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind == FabeEvidence.Kind.PHOTO:
        limit_mb = PHOTO_MAX_MB
    elif ext in FILE_TYPES:
        limit_mb = FILE_TYPES[ext][1]
    else:
        raise ValidationError(
            {"file": _("“%(name)s” is not accepted: send a %(types)s file.") % {"name": name[:80], "types": FILE_NAMES}}
        )
    data = read_upload(upload, field="file", max_mb=limit_mb, photo=False)
    if kind == FabeEvidence.Kind.PHOTO:
        full, _thumb, _w, _h = clean_image(data, name[:80], field="file")
        return full, "jpg"
    if not _sniff(ext, data):
        raise ValidationError(
            {"file": _("“%(name)s” is not a real %(type)s file.") % {"name": name[:80], "type": FILE_TYPES[ext][0]}}
        )
    return data, ext


def _need_points(company_id: int, need_points) -> list[NeedPoint]:
    ids = {int(getattr(n, "pk", n)) for n in need_points or ()}
    found = list(NeedPoint.objects.filter(company_id=company_id, pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({"need_points": _("Choose need points of your company.")})
    return found


def _require_change(actor: User, obj=None) -> None:
    allowed = can(actor, obj, Action.CHANGE) if obj is not None and obj.pk else may(actor, FabeCard, Action.CHANGE)
    if not allowed:
        raise PermissionError(_("Only managers and administrators change the FABE cards."))


# ------------------------------------------------------------------------------------------ writes


@transaction.atomic
def card_save(
    *,
    actor: User,
    feature: str,
    advantage: str,
    benefit: str,
    selling_point: SellingPoint | None = None,
    policy=None,
    evidence_text: str = "",
    need_points=(),
    order: int = 0,
    card: FabeCard | None = None,
) -> FabeCard:
    """Create (``card`` None) or change a FABE card of exactly one selling point or policy."""
    _require_change(actor, card)
    errors: dict[str, str] = {}
    if (selling_point is None) == (policy is None):
        errors["selling_point"] = _("Choose either a selling point or a commercial policy.")
    subject = selling_point or policy
    if subject is not None and subject.company_id != actor.company_id:
        errors["selling_point" if selling_point is not None else "policy"] = _("Choose one of your company's.")
    values = {"feature": _text(feature), "advantage": _text(advantage), "benefit": _text(benefit)}
    labels = {"feature": _("feature (特征)"), "advantage": _("advantage (优点)"), "benefit": _("benefit (利益)")}
    for name, value in values.items():
        if not value:
            errors[name] = _("Enter the %(part)s.") % {"part": labels[name]}
    try:
        points = _need_points(actor.company_id, need_points)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        order = int(order or 0)
        if not 0 <= order <= 32767:
            raise ValueError
    except (TypeError, ValueError):
        errors["order"] = _("Enter a whole number from 0 to 32767.")
    if errors:
        raise ValidationError(errors)
    card = card or FabeCard(company_id=actor.company_id)
    card.selling_point, card.policy = selling_point, policy
    card.evidence_text = _text(evidence_text)
    card.order = order
    for name, value in values.items():
        setattr(card, name, value)
    card.save()
    card.need_points.set(points)
    return card


def evidence_add(
    *,
    actor: User,
    card: FabeCard,
    kind: str,
    title: str,
    upload=None,
    customer_name: str = "",
    quote: str = "",
    order: int = 0,
) -> FabeEvidence:
    """Add evidence to a card: a photo or file (``upload``), a testimonial (customer and quote) or a
    text. The file is checked and stored first; the row is written in one transaction, and the file
    is removed again if it cannot be."""
    _require_change(actor, card)
    errors: dict[str, str] = {}
    if kind not in FabeEvidence.Kind.values:
        errors["kind"] = _("Choose photo, file, testimonial or text.")
    if not _text(title, 120):
        errors["title"] = _("Enter a title.")
    if kind == FabeEvidence.Kind.TESTIMONIAL:
        if not _text(customer_name, 120):
            errors["customer_name"] = _("Enter the customer who said it.")
        if not _text(quote):
            errors["quote"] = _("Enter what the customer said.")
    if kind == FabeEvidence.Kind.TEXT and not _text(quote):
        errors["quote"] = _("Enter the text.")
    if errors:
        raise ValidationError(errors)
    evidence = FabeEvidence(
        company_id=card.company_id,
        card=card,
        kind=kind,
        title=_text(title, 120),
        customer_name=_text(customer_name, 120),
        quote=_text(quote),
        order=order if isinstance(order, int) and 0 <= order <= 32767 else 0,
    )
    stored = None
    if kind in (FabeEvidence.Kind.PHOTO, FabeEvidence.Kind.FILE):
        data, ext = clean_upload(kind, upload)
        evidence.file.save(f"{secrets.token_hex(8)}.{ext}", ContentFile(data), save=False)
        evidence.size = len(data)
        stored = evidence.file.name
    try:
        with transaction.atomic():
            evidence.save()
    except BaseException:
        if stored:
            evidence.file.storage.delete(stored)
        raise
    return evidence


@transaction.atomic
def evidence_delete(*, actor: User, evidence: FabeEvidence) -> None:
    if not can(actor, evidence, Action.DELETE):
        raise PermissionError(_("Only managers and administrators change the FABE cards."))
    name = evidence.file.name if evidence.file else ""
    storage = evidence.file.storage if evidence.file else None
    evidence.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# ------------------------------------------------------------------------------------------ reads


def _cards(user):
    return (
        visible(user, FabeCard)
        .select_related("selling_point", "policy")
        .prefetch_related(
            Prefetch("need_points", queryset=NeedPoint.objects.order_by("order", "pk")),
            Prefetch("evidence", queryset=visible(user, FabeEvidence).order_by("order", "pk")),
        )
    )


def product_cards(user, product: Product) -> list[FabeCard]:
    """The cards of a product's selling points, in the order of the selling points (3 queries)."""
    dimension = Case(
        *(When(selling_point__dimension=d, then=Value(i)) for i, d in enumerate(Dimension.values)),
        default=Value(len(Dimension.values)),
    )
    return list(
        _cards(user).filter(selling_point__product=product).order_by(dimension, "selling_point__order", "order", "pk")
    )


def policy_cards(user, day: dt.date | None = None, product: Product | None = None) -> list[FabeCard]:
    """The cards of the commercial policies active and valid on ``day`` (today by default); with
    ``product``, only the policies for that product or for every product."""
    day = day or timezone.localdate()
    qs = _cards(user)
    if product is not None:
        qs = qs.filter(Q(policy__products__isnull=True) | Q(policy__products=product)).distinct()
    return list(
        qs.filter(policy__active=True)
        .filter(Q(policy__valid_from__isnull=True) | Q(policy__valid_from__lte=day))
        .filter(Q(policy__valid_to__isnull=True) | Q(policy__valid_to__gte=day))
        .order_by("policy__name", "order", "pk")
    )


@dataclass(frozen=True)
class _SettingsOnly:
    settings: object

    @property
    def sensitivity(self):
        return self.settings.sensitivity()


def ranked_needs(user, customer: Customer) -> list[tuple[CustomerNeed, sens.Ranked]]:
    """The customer's needs ranked by the sensitivity model (key first, larger pressure first), as
    the profile shows them (customers.services.sensitivity_of). Two queries."""
    needs = list(visible(user, CustomerNeed).filter(customer=customer).select_related("need_point"))
    return sensitivity_of(customer, needs, config=_SettingsOnly(settings_for(customer.company_id)))["ranked"]


@dataclass
class SheetCard:
    card: FabeCard
    answers: list[tuple[CustomerNeed, sens.Ranked]] = field(default_factory=list)  # best rank first

    @property
    def best(self):
        return self.answers[0] if self.answers else None

    @property
    def key(self) -> bool:
        return bool(self.answers) and self.answers[0][1].need.stage == sens.Stage.KEY

    @property
    def title(self) -> str:
        subject = self.card.subject
        return getattr(subject, "title", None) or getattr(subject, "name", None) or str(subject)

    @property
    def is_policy(self) -> bool:
        return self.card.selling_point_id is None


def order_cards(cards, ranked) -> list[SheetCard]:
    """The cards in the order of the best-ranked need each answers; cards answering none of the
    customer's needs last, in their own order (selling points before policies)."""
    by_point = {need.need_point_id: (need, r) for need, r in ranked}
    out = []
    for i, card in enumerate(cards):
        answers = sorted(
            (by_point[p.pk] for p in card.need_points.all() if p.pk in by_point), key=lambda nr: nr[1].rank
        )
        out.append((answers[0][1].rank if answers else 10**6, i, SheetCard(card, answers)))
    return [sc for _rank, _i, sc in sorted(out, key=lambda t: (t[0], t[1]))]


def best_fit(user, customer: Customer, products: list[Product]) -> Product:
    """The product on sale that fits the customer's segment best (客户定位), else the first one."""
    if customer.work_type and customer.scale:
        fit = (
            visible(user, SegmentFit)
            .filter(work_type=customer.work_type, scale=customer.scale, product__in=[p.pk for p in products])
            # a fit for the whole work type (no engineering kind) or for the customer's kind
            .filter(Q(engineering_kind="") | Q(engineering_kind=customer.engineering_kind))
            .order_by("-score", "product__code")
            .values_list("product_id", flat=True)
            .first()
        )
        for p in products:
            if p.pk == fit:
                return p
    return products[0]


def sheet(user, customer_id, product_id=None, day: dt.date | None = None) -> dict:
    """The pitch sheet (推介单) of a customer for one product (by default the best fit of the
    customer's segment): the customer's ranked needs and the
    FABE cards of the product's selling points and of the active policies, ordered by the needs.
    A fixed number of queries, whatever the number of cards or needs."""
    customer = get_or_404(user, Customer, customer_id, Action.VIEW)
    products = list(visible(user, Product).filter(active=True).order_by("code"))
    product = None
    if product_id not in (None, ""):
        product = get_or_404(user, Product, product_id, Action.VIEW)
    elif products:
        product = best_fit(user, customer, products)
    ranked = ranked_needs(user, customer)
    cards = product_cards(user, product) if product else []
    cards += policy_cards(user, day, product)
    ordered = order_cards(cards, ranked)
    answered = {need.pk for sc in ordered for need, _r in sc.answers}
    return {
        "customer": customer,
        "products": products,
        "product": product,
        "needs": ranked,
        "key_count": sum(1 for _n, r in ranked if r.need.stage == sens.Stage.KEY),
        "additional": [(n, r) for n, r in ranked if r.need.stage != sens.Stage.KEY],
        "cards": ordered,
        "uncovered": [(n, r) for n, r in ranked if r.need.stage == sens.Stage.KEY and n.pk not in answered],
    }


def highlights(user, customer: Customer, product: Product, limit: int = 3, policy_ids=None) -> list[FabeCard]:
    """The cards answering the customer's key needs, best first, at most ``limit`` (the quote shows
    them). With ``policy_ids``, only the cards of those policies among the policies' cards (a quote
    speaks of the policies it offers, not of the others)."""
    ranked = ranked_needs(user, customer)
    policy_side = policy_cards(user, product=product)
    if policy_ids is not None:
        wanted = set(policy_ids)
        policy_side = [c for c in policy_side if c.policy_id in wanted]
    cards = product_cards(user, product) + policy_side
    return [sc.card for sc in order_cards(cards, ranked) if sc.key][:limit]
