"""The deal pipeline (商机, issue 6 item 1): stages with entry conditions, moves, time in stage, lost
deals with their reason, the board and the sales funnel. Services and selectors of this part live
together here (as policies/quotes.py does); the plain decisions are in ``orders.domain.deals``.

Contracts with the other parts of the chapter (names fixed, see the issue-6 brief):

- ``deal_sync(*, deal, actor)``: called by every step's service after its write; moves the deal
  forward to the last stage whose gate (and every earlier gate) is met. It never moves backwards and
  checks no permission on the deal: the caller's own write was authorised (finance records a
  deposit without the right to change the deal).
- ``gate_facts(deal)``: {gate: met} read from the order's documents (and the other parts' functions
  ``orders.documents.down_payment_received_fen``, ``orders.dossier.dossier_complete``,
  ``orders.delivery.preparation_complete`` when they exist; a fallback on the models otherwise).

Rules decided here:

- A deal starts at the first stage and moves forward only through the gates: entering a stage
  needs the gates of every stage up to it (``domain.deals.allowed``); a refusal names the unmet gate
  and the stage, e.g. "定金未收，不能进入合同阶段". Passing several stages at once gives each a stay
  (of zero length for the ones passed through), so the funnel counts every stage reached.
- Back to an earlier stage: managers and administrators only.
- Lost: a reason is required; the current stay ends; the region's managers are notified.
- Entering the won stage (已交车) wins the deal; the salesperson's next-step to-do is closed.
- The salesperson of a deal is the customer's owner (the actor when the customer has none).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Region, Role, Todo, User
from core.services import notify, todo_done, todo_post
from core.visibility import Action, can, get_or_404, visible

from .domain import deals as rules
from .models import Contract, Deal, DealStage, DealStageStay, Delivery, Deposit, DownPayment, Gate, Order

TODO_KIND = "deal_next_step"
BOARD_PER_STAGE = 30  # cards per column; the column's count says how many there are
WON_SHOWN_DAYS = 30  # won deals stay on the board this long
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366

# What is missing when a gate is not met ("定金未收") and what to do next ("收取定金").
UNMET = {
    Gate.QUOTE: gettext_lazy("No quote has been issued"),
    Gate.ORDER_CONFIRMED: gettext_lazy("The order has not been confirmed by the customer"),
    Gate.DEPOSIT: gettext_lazy("The deposit has not been received"),
    Gate.CONTRACT_SIGNED: gettext_lazy("The contract has not been signed"),
    Gate.DOWN_PAYMENT: gettext_lazy("The down payment has not been received in full"),
    Gate.DOSSIER: gettext_lazy("The instalment dossier is not complete and verified"),
    Gate.MACHINE_READY: gettext_lazy("The machine is not prepared"),
    Gate.DELIVERED: gettext_lazy("The machine has not been delivered"),
}
NEXT_STEP = {
    Gate.QUOTE: gettext_lazy("issue a quote"),
    Gate.ORDER_CONFIRMED: gettext_lazy("have the customer confirm the order"),
    Gate.DEPOSIT: gettext_lazy("collect the deposit"),
    Gate.CONTRACT_SIGNED: gettext_lazy("have the contract signed"),
    Gate.DOWN_PAYMENT: gettext_lazy("collect the down payment"),
    Gate.DOSSIER: gettext_lazy("complete the instalment dossier"),
    Gate.MACHINE_READY: gettext_lazy("prepare and ship the machine"),
    Gate.DELIVERED: gettext_lazy("deliver the machine"),
}


# ------------------------------------------------------------------------------------------ stages


def install_defaults(company_id: int) -> None:
    """The method's nine stages (orders.domain.deals.DEFAULT_STAGES), when the company has none."""
    with transaction.atomic():
        for i, spec in enumerate(rules.DEFAULT_STAGES):
            DealStage.objects.get_or_create(
                company_id=company_id,
                code=spec.code,
                defaults={"name": spec.name, "order": (i + 1) * 10, "gate": spec.gate, "won": spec.won},
            )


def stages_for(company_id: int) -> list[DealStage]:
    """The company's active stages in order; the defaults are installed on first use."""
    stages = list(DealStage.objects.filter(company_id=company_id, active=True).order_by("order", "id"))
    if not stages and not DealStage.objects.filter(company_id=company_id).exists():
        install_defaults(company_id)
        stages = list(DealStage.objects.filter(company_id=company_id, active=True).order_by("order", "id"))
    return stages


def _index(stages: list[DealStage], stage: DealStage) -> int:
    """The position of ``stage`` among the active stages (a stage deactivated since counts as the
    last active one before it)."""
    for i, s in enumerate(stages):
        if s.pk == stage.pk:
            return i
    before = [i for i, s in enumerate(stages) if (s.order, s.pk) < (stage.order, stage.pk)]
    return before[-1] if before else 0


def gates_of(stages: list[DealStage]) -> list[str]:
    return [s.gate for s in stages]


# ------------------------------------------------------------------------------------------ facts


def _contract(module: str, name: str):
    """Another part's function named in the brief, or None while that part is not built."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


def _down_payment_received(order: Order) -> int:
    fn = _contract("orders.documents", "down_payment_received_fen")
    if fn is not None:
        return int(fn(order))
    return DownPayment.objects.filter(order=order).aggregate(s=Coalesce(Sum("amount_fen"), 0))["s"]


def _dossier_complete(order: Order) -> bool:
    fn = _contract("orders.dossier", "dossier_complete")
    if fn is not None:
        return bool(fn(order))
    items = list(order.dossier.filter(required=True).values_list("verified_at", "file"))
    return bool(items) and all(verified and file for verified, file in items)


def _preparation_complete(order: Order) -> bool:
    fn = _contract("orders.delivery", "preparation_complete")
    if fn is not None:
        return bool(fn(order))
    from .models import Machine, PreparationItem

    if not Machine.objects.filter(order=order).exists():
        return False
    done = set(order.preparation.filter(done_at__isnull=False).values_list("kind", flat=True))
    return done >= set(PreparationItem.Kind.values)


def gate_facts(deal: Deal) -> dict[str, bool]:
    """Which entry conditions the deal meets now, from its quote and its order's documents."""
    from policies.models import Quote

    quotes = Quote.objects.filter(customer_id=deal.customer_id)
    if deal.product_id:
        quotes = quotes.filter(product_id=deal.product_id)
    facts = {gate: False for gate in rules.GATES}
    order = Order.objects.filter(deal=deal).select_related("policy").first()
    # an order states the agreed price: it stands for the quote when the deal was priced without one
    facts[Gate.QUOTE] = deal.quote_id is not None or order is not None or quotes.exists()
    if order is None:
        return facts
    facts[Gate.ORDER_CONFIRMED] = order.confirmed_at is not None
    deposits = Deposit.objects.filter(order=order).aggregate(s=Coalesce(Sum("amount_fen"), 0), n=Count("pk"))
    facts[Gate.DEPOSIT] = (deposits["n"] > 0 or order.deposit_fen == 0) and deposits["s"] >= order.deposit_fen
    facts[Gate.CONTRACT_SIGNED] = Contract.objects.filter(order=order, signed_on__isnull=False).exists()
    facts[Gate.DOWN_PAYMENT] = rules.down_payment_met(_down_payment_received(order), order.down_payment_fen)
    source = order.policy.source if order.policy_id else None
    facts[Gate.DOSSIER] = not rules.dossier_needed(source) or _dossier_complete(order)
    facts[Gate.MACHINE_READY] = _preparation_complete(order)
    facts[Gate.DELIVERED] = Delivery.objects.filter(order=order, delivered_at__isnull=False).exists()
    return facts


def refusal(gate: str, stage: DealStage) -> str:
    """ "定金未收，不能进入合同阶段": the unmet gate and the stage refused."""
    return _("%(why)s: the deal cannot enter the stage “%(stage)s”.") % {"why": UNMET[gate], "stage": stage.name}


# ------------------------------------------------------------------------------------------ services


def is_manager(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def _lock(deal: Deal) -> Deal:
    return Deal.objects.select_for_update().select_related("customer", "stage").get(pk=deal.pk)


def _todo_key(deal: Deal) -> str:
    return f"orders.deal.{deal.pk}"


def _post_next_step(deal: Deal, stages: list[DealStage]) -> None:
    """The salesperson's to-do for the deal's next step (one per deal, updated as it moves); closed
    when the deal is won or lost."""
    key = _todo_key(deal)
    if deal.status != Deal.Status.OPEN:
        for todo in Todo.objects.filter(user_id=deal.salesperson_id, key=key, status=Todo.Status.OPEN):
            todo_done(todo=todo)
        return
    i = _index(stages, deal.stage)
    if i + 1 >= len(stages):
        return
    gate = stages[i + 1].gate
    step = NEXT_STEP.get(gate) if gate else stages[i + 1].name
    todo_post(
        user=deal.salesperson,
        title=_("%(customer)s: %(step)s") % {"customer": deal.customer.name, "step": step},
        due=timezone.localdate() + dt.timedelta(days=3),
        kind=TODO_KIND,
        url=reverse("orders:deal_detail", args=[deal.pk]),
        key=key,
        about=deal,
    )


def _enter(deal: Deal, stages: list[DealStage], indexes: list[int], actor: User, now: dt.datetime) -> None:
    """Close the open stay and open one per stage entered (all but the last end at once)."""
    DealStageStay.objects.filter(deal=deal, left_at__isnull=True).update(left_at=now)
    for n, i in enumerate(indexes):
        last = n == len(indexes) - 1
        DealStageStay.objects.create(
            deal=deal, stage=stages[i], entered_at=now, left_at=None if last else now, by=actor
        )
    target = stages[indexes[-1]]
    deal.stage = target
    deal.stage_since = now
    if target.won:
        deal.status, deal.closed_at = Deal.Status.WON, now
    elif deal.status == Deal.Status.WON:
        deal.status, deal.closed_at = Deal.Status.OPEN, None
    deal.save(update_fields=["stage", "stage_since", "status", "closed_at"])


def _price_today(product) -> int:
    from pitch.models import Price

    today = timezone.localdate()
    row = (
        Price.objects.filter(product=product, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .order_by("-valid_from")
        .values_list("list_price_fen", flat=True)
        .first()
    )
    return row or 0


@transaction.atomic
def deal_create(
    *, actor: User, customer, product=None, quote=None, amount_fen: int | None = None, expected_on=None
) -> Deal:
    """A new deal for the customer, from scratch or from a quote (its machine and the latest
    version's price). Starts at the first stage and moves on at once as far as the facts allow
    (a deal from a quote enters 报价)."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError("deal_create")
    version = None
    if quote is not None:
        if quote.customer_id != customer.pk:
            raise ValidationError({"quote": _("This quote belongs to another customer.")})
        if Deal.objects.filter(quote=quote).exclude(status=Deal.Status.LOST).exists():
            raise ValidationError({"quote": _("A deal already follows this quote.")})
        if product is not None and product.pk != quote.product_id:
            raise ValidationError({"product": _("A deal from a quote keeps the quote's machine.")})
        product = quote.product
        version = quote.versions.order_by("-version").first()
    if product is not None and product.company_id != customer.company_id:
        raise ValidationError({"product": _("Choose a machine from the catalogue.")})
    if amount_fen is None:
        amount_fen = version.price_fen if version else (_price_today(product) if product else 0)
    if amount_fen < 0:
        raise ValidationError({"amount_fen": _("The amount cannot be negative.")})
    if expected_on is not None and expected_on < timezone.localdate():
        raise ValidationError({"expected_on": _("The expected closing date is in the past.")})
    stages = stages_for(customer.company_id)
    if not stages:
        raise ValidationError({"stage": _("No stage of the pipeline is active: ask an administrator.")})
    now = timezone.now()
    deal = Deal.objects.create(
        company_id=customer.company_id,
        customer=customer,
        product=product,
        quote=quote,
        salesperson=customer.owner if customer.owner_id else actor,
        stage=stages[0],
        stage_since=now,
        amount_fen=amount_fen,
        expected_on=expected_on,
        created_at=now,
    )
    DealStageStay.objects.create(deal=deal, stage=stages[0], entered_at=now, by=actor)
    return _sync(deal, actor, now)


@transaction.atomic
def deal_move(*, actor: User, deal: Deal, stage: DealStage) -> Deal:
    """Move the deal to ``stage``: forward through the gates, backwards for managers only."""
    if not can(actor, deal, Action.CHANGE):
        raise PermissionError("deal_move")
    deal = _lock(deal)
    if deal.status == Deal.Status.LOST:
        raise ValidationError({"stage": _("This deal is lost: it no longer moves.")})
    stages = stages_for(deal.company_id)
    if stage is None or stage.company_id != deal.company_id or stage.pk not in {s.pk for s in stages}:
        raise ValidationError({"stage": _("Choose a stage of the pipeline.")})
    current, target = _index(stages, deal.stage), _index(stages, stage)
    if target == current and deal.stage_id == stage.pk:
        return deal
    verdict = rules.allowed(gates_of(stages), gate_facts(deal), target, current=current)
    if verdict.backwards:
        if not is_manager(actor):
            raise ValidationError({"stage": _("Only a manager can move a deal back to an earlier stage.")})
        _enter(deal, stages, [target], actor, timezone.now())
    elif not verdict.ok:
        raise ValidationError({"stage": refusal(verdict.gate, stage)})
    else:
        _enter(deal, stages, rules.path(current, target) or [target], actor, timezone.now())
    _post_next_step(deal, stages)
    return deal


@transaction.atomic
def deal_sync(*, deal: Deal, actor: User) -> Deal:
    """Move an open deal forward to the last stage whose gate is met (after a step's write)."""
    deal = _lock(deal)
    if actor.company_id != deal.company_id:
        raise PermissionError("deal_sync")
    return _sync(deal, actor, timezone.now())


def _sync(deal: Deal, actor: User, now: dt.datetime) -> Deal:
    stages = stages_for(deal.company_id)
    if deal.status == Deal.Status.OPEN and stages:
        current = _index(stages, deal.stage)
        target = rules.sync_target(gates_of(stages), gate_facts(deal), current)
        if target > current:
            _enter(deal, stages, rules.path(current, target), actor, now)
    _post_next_step(deal, stages)
    return deal


@transaction.atomic
def sync_after_quote(version) -> list[Deal]:
    """A quote (version) was issued: the customer's open deals for that machine, or with no machine
    chosen yet, follow the quote and enter 报价. For a post_save hook on policies.QuoteVersion."""
    quote = version.quote
    moved = []
    rows = Deal.objects.filter(customer_id=quote.customer_id, status=Deal.Status.OPEN).filter(
        Q(product_id=quote.product_id) | Q(product__isnull=True)
    )
    for deal in rows.order_by("pk"):
        if deal.quote_id is None:
            deal.quote, deal.product_id = quote, quote.product_id
            deal.save(update_fields=["quote", "product"])
        moved.append(deal_sync(deal=deal, actor=version.by))
    return moved


def _managers_of(deal: Deal) -> QuerySet[User]:
    return (
        User.objects.filter(
            company_id=deal.company_id,
            is_active=True,
            regions=deal.customer.region_id,
            user_roles__role=Role.MANAGER,
        )
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def deal_lose(*, actor: User, deal: Deal, reason: str) -> Deal:
    """The deal is lost (reason required): the stay ends, the managers of the region are told."""
    if not can(actor, deal, Action.CHANGE):
        raise PermissionError("deal_lose")
    deal = _lock(deal)
    reason = (reason or "").strip()
    if deal.status != Deal.Status.OPEN:
        raise ValidationError({"reason": _("Only an open deal can be lost.")})
    if not reason:
        raise ValidationError({"reason": _("Say why the deal was lost.")})
    if len(reason) > 1000:
        raise ValidationError({"reason": _("At most 1,000 characters.")})
    now = timezone.now()
    DealStageStay.objects.filter(deal=deal, left_at__isnull=True).update(left_at=now)
    deal.status, deal.closed_at, deal.lost_reason = Deal.Status.LOST, now, reason
    deal.save(update_fields=["status", "closed_at", "lost_reason"])
    _post_next_step(deal, [])
    url = reverse("orders:deal_detail", args=[deal.pk])
    for manager in _managers_of(deal):
        if manager.pk != actor.pk:
            notify(
                user=manager,
                title=_("Deal lost: %(customer)s") % {"customer": deal.customer.name},
                body=reason,
                url=url,
            )
    return deal


# ------------------------------------------------------------------------------------------ reads


def deal_get(user: User, pk: int, action: Action = Action.VIEW) -> Deal:
    return get_or_404(
        user,
        Deal,
        pk,
        action,
        queryset=Deal.objects.select_related(
            "customer", "customer__region", "product", "quote", "salesperson", "stage"
        ),
    )


def region_choices(user: User) -> QuerySet[Region]:
    qs = visible(user, Region)
    if not user.has_role(Role.ADMIN):
        qs = qs.filter(pk__in=list(user.region_ids))
    return qs.order_by("name")


def salesperson_choices(user: User) -> QuerySet[User]:
    """A manager's team, an administrator's salespeople, anybody else only themselves."""
    if is_manager(user):
        return (
            visible(user, User)
            .filter(user_roles__role=Role.SALESPERSON, is_active=True)
            .distinct()
            .order_by("display_name", "username")
        )
    return User.objects.filter(pk=user.pk)


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class DealFilters(forms.Form):
    """Filters of the board and the API's list (only the salespeople and regions one may see)."""

    salesperson = PersonChoice(label=gettext_lazy("Salesperson"), queryset=User.objects.none(), required=False)
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none(), required=False)

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["salesperson"].queryset = salesperson_choices(user)
        self.fields["region"].queryset = region_choices(user)
        self.fields["salesperson"].empty_label = _("Everybody")
        self.fields["region"].empty_label = _("All regions")

    def apply(self, qs: QuerySet[Deal]) -> QuerySet[Deal]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("salesperson"):
            qs = qs.filter(salesperson=data["salesperson"])
        if data.get("region"):
            qs = qs.filter(customer__region=data["region"])
        return qs


def customer_deals(user: User, customer) -> list[Deal]:
    """The customer's deals the user may see, newest first (one query), for the customer's page."""
    return list(
        visible(user, Deal)
        .filter(customer=customer)
        .select_related("product", "stage", "salesperson")
        .order_by("-created_at", "-pk")[:20]
    )


def deals_of(user: User) -> QuerySet[Deal]:
    return visible(user, Deal).select_related("customer", "product", "salesperson", "stage", "quote")


@dataclass
class Column:
    stage: DealStage
    deals: list = field(default_factory=list)
    count: int = 0
    amount_fen: int = 0


def board(user: User, filters: DealFilters) -> list[Column]:
    """The board's columns: per active stage its open deals (won ones for WON_SHOWN_DAYS), the
    longest waiting first, at most BOARD_PER_STAGE cards, with the full count and amount. Three
    queries whatever the number of deals."""
    now = timezone.now()
    stages = stages_for(user.company_id)
    base = filters.apply(visible(user, Deal)).filter(
        Q(status=Deal.Status.OPEN) | Q(status=Deal.Status.WON, closed_at__gte=now - dt.timedelta(days=WON_SHOWN_DAYS))
    )
    totals = {
        r["stage"]: r
        for r in base.order_by().values("stage").annotate(n=Count("pk"), amount=Coalesce(Sum("amount_fen"), 0))
    }
    ranked = (
        base.annotate(
            rank=Window(RowNumber(), partition_by=[F("stage")], order_by=[F("stage_since").asc(), F("pk").asc()])
        )
        .filter(rank__lte=BOARD_PER_STAGE)
        .select_related("customer", "product", "salesperson", "stage")
        .order_by("stage__order", "stage_since", "pk")
    )
    columns = {s.pk: Column(stage=s) for s in stages}
    for deal in ranked:
        column = columns.get(deal.stage_id)
        if column is None:  # a stage deactivated since
            continue
        deal.days_in_stage = int(rules.days_between(deal.stage_since, now))
        column.deals.append(deal)
    for pk, column in columns.items():
        column.count = totals.get(pk, {}).get("n", 0)
        column.amount_fen = totals.get(pk, {}).get("amount", 0)
    return list(columns.values())


@dataclass
class Step:
    stage: DealStage
    met: bool
    state: str  # "done", "current", "next", "later"


def deal_view(user: User, deal: Deal) -> dict:
    """The deal page: the stages with their gates met or not, the stays with their durations, the
    order (for the next steps' links) and whether the user may move or lose the deal."""
    now = timezone.now()
    stages = stages_for(deal.company_id)
    facts = gate_facts(deal)
    current = _index(stages, deal.stage)
    unmet = None
    steps = []
    for i, s in enumerate(stages):
        ok = rules.met(s.gate, facts)
        if i < current:
            state = "done"
        elif i == current:
            state = "current"
        elif unmet is None and i == current + 1:
            state = "next"
        else:
            state = "later"
        if i > current and unmet is None and not ok:
            unmet = s
        steps.append(Step(stage=s, met=ok, state=state))
    stays = list(DealStageStay.objects.filter(deal=deal).select_related("stage", "by").order_by("entered_at", "pk"))
    for stay in stays:
        stay.days = round(rules.days_between(stay.entered_at, stay.left_at or now), 1)
    order = Order.objects.filter(deal=deal).first()
    contract = Contract.objects.filter(order=order).first() if order else None
    change = can(user, deal, Action.CHANGE)
    return {
        "deal": deal,
        "stages": stages,
        "steps": steps,
        "facts": facts,
        "gates": [{"gate": g, "label": Gate(g).label, "met": facts[g]} for g in rules.GATES],
        "next_stage": stages[current + 1] if current + 1 < len(stages) else None,
        "blocked_by": unmet,
        "blocked_why": UNMET[unmet.gate] if unmet is not None and unmet.gate else "",
        "stays": stays,
        "days_in_stage": round(rules.days_between(deal.stage_since, now), 1),
        "order": order,
        "contract": contract,
        "can_change": change and deal.status != Deal.Status.LOST,
        "can_back": change and is_manager(user),
    }


# ------------------------------------------------------------------------------------------ funnel


class FunnelFilters(forms.Form):
    """The funnel's filters: the period (deals created in it, or stages entered in it), salesperson
    and region — only those the user may see."""

    BASIS = (
        ("created", gettext_lazy("deals created in the period")),
        ("entered", gettext_lazy("stages entered in the period")),
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput({"type": "date"}, "%Y-%m-%d")
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput({"type": "date"}, "%Y-%m-%d")
    )
    basis = forms.ChoiceField(label=gettext_lazy("Count the deals"), choices=BASIS, required=False)
    salesperson = PersonChoice(label=gettext_lazy("Salesperson"), queryset=User.objects.none(), required=False)
    region = forms.ModelChoiceField(label=gettext_lazy("Region"), queryset=Region.objects.none(), required=False)

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["salesperson"].queryset = salesperson_choices(user)
        self.fields["region"].queryset = region_choices(user)
        self.fields["salesperson"].empty_label = _("Everybody")
        self.fields["region"].empty_label = _("All regions")

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        end = cleaned.get("end") or today
        start = cleaned.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if "start" not in self.errors and "end" not in self.errors:
            if start > end:
                self.add_error("start", _("The start is after the end."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("start", _("At most three years at a time."))
        cleaned["start"], cleaned["end"] = start, end
        cleaned["basis"] = cleaned.get("basis") or "created"
        return cleaned


@dataclass(frozen=True)
class FunnelScope:
    start: dt.date
    end: dt.date
    basis: str = "created"
    salesperson: User | None = None
    region: Region | None = None

    @classmethod
    def default(cls) -> FunnelScope:
        end = timezone.localdate()
        return cls(start=end - dt.timedelta(days=DEFAULT_DAYS - 1), end=end)

    @classmethod
    def of(cls, form: FunnelFilters) -> FunnelScope:
        d = form.cleaned_data
        return cls(d["start"], d["end"], d["basis"], d.get("salesperson"), d.get("region"))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def funnel(user: User, scope: FunnelScope) -> dict:
    """The sales funnel over the deals the user may see: per stage the deals that reached it, their
    amount, the conversion to the next stage, the deals lost there and the average days in it; and
    the same counts per salesperson and per region. Five queries whatever the volume, all
    aggregated in SQL."""
    now = timezone.now()
    start, end = scope.bounds()
    stages = stages_for(user.company_id)
    deals = visible(user, Deal)
    if scope.salesperson is not None:
        deals = deals.filter(salesperson=scope.salesperson)
    if scope.region is not None:
        deals = deals.filter(customer__region=scope.region)
    stay_in_period = Q()
    if scope.basis == "entered":
        stay_in_period = Q(entered_at__gte=start, entered_at__lt=end)
    else:
        deals = deals.filter(created_at__gte=start, created_at__lt=end)

    def reached(stage: DealStage) -> Exists:
        return Exists(DealStageStay.objects.filter(stay_in_period, deal=OuterRef("pk"), stage=stage))

    per_stage = {}
    for s in stages:
        per_stage[f"n_{s.pk}"] = Count("pk", filter=Q(reached(s)))
        per_stage[f"a_{s.pk}"] = Coalesce(Sum("amount_fen", filter=Q(reached(s))), 0)
    totals = deals.order_by().aggregate(
        **per_stage,
        won=Count("pk", filter=Q(status=Deal.Status.WON)),
        lost=Count("pk", filter=Q(status=Deal.Status.LOST)),
    )
    lost = deals.filter(status=Deal.Status.LOST).order_by().values("stage").annotate(n=Count("pk"))
    lost_at = dict(lost.values_list("stage", "n"))
    duration = ExpressionWrapper(
        Coalesce(F("left_at"), Value(now, output_field=DateTimeField())) - F("entered_at"),
        output_field=DurationField(),
    )
    avg = dict(
        DealStageStay.objects.filter(stay_in_period, deal__in=deals.values("pk"))
        .order_by()
        .values("stage")
        .annotate(avg=Avg(duration))
        .values_list("stage", "avg")
    )
    counts = [totals[f"n_{s.pk}"] for s in stages]
    conversion = rules.conversion(counts)
    rows = []
    for i, s in enumerate(stages):
        d = avg.get(s.pk)
        rows.append(
            {
                "stage": s,
                "count": counts[i],
                "amount_fen": totals[f"a_{s.pk}"],
                "conversion": conversion[i],
                "lost": lost_at.get(s.pk, 0),
                "avg_days": round(d.total_seconds() / 86400, 1) if d is not None else None,
            }
        )
    per_counts = {f"n_{s.pk}": Count("pk", filter=Q(reached(s))) for s in stages}
    won_lost = {
        "won": Count("pk", filter=Q(status=Deal.Status.WON)),
        "lost": Count("pk", filter=Q(status=Deal.Status.LOST)),
    }
    people = []
    for r in (
        deals.order_by()
        .values("salesperson", "salesperson__display_name", "salesperson__username")
        .annotate(**per_counts, **won_lost)
        .order_by("salesperson__display_name", "salesperson__username")
    ):
        people.append(
            {
                "id": r["salesperson"],
                "name": r["salesperson__display_name"] or r["salesperson__username"],
                "cells": [(s.name, r[f"n_{s.pk}"]) for s in stages],
                "counts": [r[f"n_{s.pk}"] for s in stages],
                "won": r["won"],
                "lost": r["lost"],
                "win_rate": _pct(r["won"], r["won"] + r["lost"]),
            }
        )
    regions = []
    for r in (
        deals.order_by()
        .values("customer__region", "customer__region__name")
        .annotate(**per_counts, **won_lost)
        .order_by("customer__region__name")
    ):
        regions.append(
            {
                "id": r["customer__region"],
                "name": r["customer__region__name"],
                "cells": [(s.name, r[f"n_{s.pk}"]) for s in stages],
                "counts": [r[f"n_{s.pk}"] for s in stages],
                "won": r["won"],
                "lost": r["lost"],
                "win_rate": _pct(r["won"], r["won"] + r["lost"]),
            }
        )
    return {
        "scope": scope,
        "stages": stages,
        "rows": rows,
        "won": totals["won"],
        "lost": totals["lost"],
        "total": counts[0] if counts else 0,
        "win_rate": _pct(totals["won"], totals["won"] + totals["lost"]),
        "people": people,
        "regions": regions,
    }
