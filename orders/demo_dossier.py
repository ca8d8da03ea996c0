"""Demo instalment dossiers (分期资料) for the demo orders paid in instalments: the checklist of each
order's policy; the further the deal, the more documents are in — a deal at the contract has the
buyer's identity card and household register, a deal at the down payment has everything uploaded
with most of it verified, one document refused and the rest waiting on finance's work list (and
finance's to-do). No demo dossier is complete but that of the one financed machine already delivered
(every document verified), so ``deal_sync`` leaves the demo deals where they are.

Files are small generated pictures of a document (no real person's data); identity numbers are
generated with a valid check digit (or the customer's recorded number for the buyer)."""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from core.models import Role, User
from customers.models import Customer
from customers.rules import id_check_digit

from . import dossier as services
from .domain import dossier as rules
from .models import DossierItem, Order

NAMES = ("王芳", "李秀英", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇")
AREAS = ("370102", "370112", "370181", "371302", "370902")
REFUSALS = ("照片反光，身份证号码看不清，请重新拍摄。", "户口本缺少户主页，请补拍。")


def _id_number(rng: random.Random) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 35))
    first17 = f"{AREAS[rng.randrange(len(AREAS))]}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + id_check_digit(first17)


def _picture(rng: random.Random) -> bytes:
    """A pale card-like picture with a few lines (stands for the photo of a document)."""
    image = Image.new("RGB", (640, 400), (232, 236 + rng.randint(0, 12), 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 620, 380), outline=(120, 130, 150), width=3)
    for n in range(6):
        y = 70 + n * 45
        draw.rectangle((60, y, 60 + rng.randint(220, 500), y + 14), fill=(150, 155, 170))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _upload(item: DossierItem, *, rng, by: User, at: dt.datetime, buyer_number: str) -> None:
    item.file.save(f"{secrets.token_hex(12)}.jpg", ContentFile(_picture(rng)), save=False)
    customer = item.order.customer
    if item.kind in (rules.BUYER_ID, rules.HOUSEHOLD, rules.BUSINESS_LICENCE, rules.PROPERTY):
        item.person_name = customer.name[:60]
    else:
        item.person_name = NAMES[rng.randrange(len(NAMES))]
    if item.kind == rules.BUYER_ID:
        item.id_number = buyer_number
    elif item.kind in rules.ID_DOCUMENTS:
        item.id_number = _id_number(rng)
    item.uploaded_by, item.uploaded_at = by, at


def _finance(company, customer: Customer) -> User | None:
    people = User.objects.filter(company=company, is_active=True, user_roles__role=Role.FINANCE)
    return people.filter(regions=customer.region_id).order_by("pk").first() or people.order_by("pk").first()


@transaction.atomic
def seed_dossier(company, *, rng: random.Random, now: dt.datetime | None = None) -> dict[str, int]:
    """Dossiers of the demo's instalment orders (see the module's docstring); returns counts."""
    from . import deals

    now = now or timezone.now()
    stages = deals.stages_for(company.pk)
    index = {s.pk: i for i, s in enumerate(stages)}
    orders = (
        Order.objects.filter(company=company, policy__isnull=False)
        .exclude(policy__source=rules.FULL_PAYMENT)
        .select_related("customer", "policy", "deal__stage", "deal__salesperson")
        .order_by("pk")
    )
    counts = {"dossiers": 0, "uploaded": 0, "verified": 0, "refused": 0}
    refusals = 0
    for order in orders:
        stage = index.get(order.deal.stage_id, 0)
        seller = order.deal.salesperson
        with transaction.atomic():
            services._apply_plan(order, rng.choice([True, False, None]))
        counts["dossiers"] += 1
        if stage < 4:  # before the contract: nothing collected yet
            continue
        items = list(DossierItem.objects.filter(order=order, required=True).select_related("order__customer"))
        buyer_number = order.customer.id_number if order.customer.kind == Customer.Kind.PERSON else ""
        buyer_number = buyer_number or _id_number(rng)
        at = now - dt.timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
        finance = _finance(company, order.customer)
        first_kinds = (rules.BUYER_ID, rules.HOUSEHOLD)
        for n, item in enumerate(items):
            if stage == 4 and item.kind not in first_kinds:
                continue  # at the contract: the buyer's own documents only
            _upload(item, rng=rng, by=seller, at=at + dt.timedelta(minutes=7 * n), buyer_number=buyer_number)
            counts["uploaded"] += 1
            if stage >= 8 and finance is not None:  # a delivered machine: the dossier was complete
                item.verified_by, item.verified_at = finance, at + dt.timedelta(days=1, minutes=n)
                counts["verified"] += 1
            elif stage >= 5 and finance is not None and n < len(items) - 2:
                item.verified_by, item.verified_at = finance, at + dt.timedelta(days=1, minutes=n)
                counts["verified"] += 1
            elif stage >= 5 and finance is not None and n == len(items) - 2 and refusals < len(REFUSALS):
                item.verified_by, item.rejected_reason = finance, REFUSALS[refusals]
                refusals += 1
                counts["refused"] += 1
            item.save()
        if stage >= 5:
            with transaction.atomic():
                services._after_change(order, seller)  # finance's to-do when everything is in
    return counts
