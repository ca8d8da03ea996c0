"""The objection playbook (异议处理) and the competitor comparison script (竞品对比五步法), SPEC §3.

Objection handling, six steps: 1 acknowledge the worry; 2 find its cause with open and closed
questions; 3 confirm the key cause; 4 answer each key point or offer a solution; 5 confirm the
customer is satisfied; 6 repeat for the next doubt. A salesperson records each handling on a visit
(``handling_record``) with its outcome, so the team sees which answers work: ``answer_rates`` is the
success rate per answer, one SQL aggregate over the handlings the user may see (a salesperson's own,
a manager's regions).

Competitor comparison, five steps: acknowledge the competitor's strengths; learn why the customer
favours it; offer a new decision point where we differ; explain our product against it; win
acceptance through questions and answers — one ``CompetitorScript`` per competitor machine (and
optionally per model of ours).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.visibility import Action, can, get_or_404, visible
from customers.models import CompetitorMachine, Customer
from visits.models import Visit

from .models import CompetitorScript, ObjectionAnswer, ObjectionHandling, ObjectionType, Product

TEXT_MAX = 2000


def _text(value, limit: int = TEXT_MAX) -> str:
    return str(value or "").strip()[:limit]


def _id(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationError({name: _("Enter a whole number.")})
    pk = getattr(value, "pk", value)
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise ValidationError({name: _("Enter a whole number.")}) from None


# ------------------------------------------------------------------------------------------ writes


@transaction.atomic
def handling_record(
    *,
    actor: User,
    customer: Customer,
    objection_type,
    outcome: str,
    visit=None,
    acknowledged: bool = False,
    cause_questions=(),
    cause_found: str = "",
    key_cause_confirmed: str = "",
    answer=None,
    answer_note: str = "",
    satisfied: str = "",
    next_doubt: str = "",
    at: dt.datetime | None = None,
) -> ObjectionHandling:
    """Record one objection handled with the six steps and its outcome.

    ``objection_type`` and ``answer`` are rows or ids; the type must be active and visible, the
    answer one of that type's; the visit (optional) must be one the actor may change, of this
    customer; the outcome resolved, partly or unresolved. All errors at once, naming the field."""
    if not can(actor, customer, Action.VIEW):
        raise PermissionError(_("You may not record objections of this customer."))
    if visit is not None:
        if not can(actor, visit, Action.CHANGE):
            raise PermissionError(_("Only the salesperson of this visit records its objections."))
    errors: dict[str, str] = {}
    if visit is not None and visit.customer_id != customer.pk:
        errors["visit"] = _("This visit is not with this customer.")
    elif visit is not None and visit.status == Visit.Status.CANCELLED:
        errors["visit"] = _("This visit was cancelled.")
    kind = None
    try:
        type_id = _id(objection_type, "objection_type")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        type_id = None
    if type_id is None:
        errors.setdefault("objection_type", _("Choose the objection."))
    else:
        kind = visible(actor, ObjectionType).filter(pk=type_id, active=True).first()
        if kind is None:
            errors["objection_type"] = _("This objection is not in the playbook.")
    answer_row = None
    try:
        answer_id = _id(answer, "answer")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        answer_id = None
    if answer_id is not None:
        answer_row = visible(actor, ObjectionAnswer).filter(pk=answer_id).first()
        if answer_row is None or (kind is not None and answer_row.objection_type_id != kind.pk):
            errors["answer"] = _("Choose one of the answers of this objection.")
    if outcome not in ObjectionHandling.Outcome.values:
        errors["outcome"] = _("Choose resolved, partly resolved or unresolved.")
    if satisfied not in ("", *ObjectionHandling.Satisfied.values):
        errors["satisfied"] = _("Choose yes, partly or no.")
    questions = cause_questions if isinstance(cause_questions, (list, tuple)) else None
    if questions is None or not all(isinstance(q, str) for q in questions):
        errors["cause_questions"] = _("Send the questions asked as a list of texts.")
        questions = []
    if errors:
        raise ValidationError(errors)
    questions = [_text(q, 300) for q in questions if _text(q, 300)][:30]
    return ObjectionHandling.objects.create(
        company_id=customer.company_id,
        visit=visit,
        customer=customer,
        objection_type=kind,
        by=actor,
        at=at or timezone.now(),
        acknowledged=bool(acknowledged),
        cause_questions=questions,
        cause_found=_text(cause_found),
        key_cause_confirmed=_text(key_cause_confirmed),
        answer=answer_row,
        answer_note=_text(answer_note),
        satisfied=satisfied,
        next_doubt=_text(next_doubt, 300),
        outcome=outcome,
    )


# ------------------------------------------------------------------------------------------ reads


def playbook(user, *, active_only: bool = True):
    """The objection types with their answers (2 queries)."""
    answers = visible(user, ObjectionAnswer).order_by("order", "pk")
    types = visible(user, ObjectionType).select_related("need_point")
    if active_only:
        types = types.filter(active=True)
        answers = answers.filter(active=True)
    return types.prefetch_related(Prefetch("answers", queryset=answers)).order_by("order", "pk")


def objection_type(user, pk) -> ObjectionType:
    return get_or_404(
        user,
        ObjectionType,
        pk,
        queryset=ObjectionType.objects.filter(active=True).prefetch_related(
            Prefetch("answers", queryset=visible(user, ObjectionAnswer).filter(active=True).order_by("order", "pk"))
        ),
    )


@dataclass(frozen=True)
class AnswerRate:
    answer_id: int
    text: str
    objection_type_id: int
    objection: str
    used: int
    resolved: int
    partly: int

    @property
    def rate(self) -> float | None:
        """Share of the uses that resolved the objection."""
        return self.resolved / self.used if self.used else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


def handlings(user, *, since: dt.date | None = None, until: dt.date | None = None):
    qs = visible(user, ObjectionHandling)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs


def answer_rates(user, *, since: dt.date | None = None, until: dt.date | None = None) -> list[AnswerRate]:
    """Per answer used in the handlings the user may see: times used, resolved, partly, success
    rate. One query (an SQL aggregate), whatever the number of handlings; best rate first."""
    rows = (
        handlings(user, since=since, until=until)
        .filter(answer__isnull=False)
        .values("answer_id", "answer__text", "objection_type_id", "objection_type__title")
        .annotate(
            used=Count("pk"),
            resolved=Count("pk", filter=Q(outcome=ObjectionHandling.Outcome.RESOLVED)),
            partly=Count("pk", filter=Q(outcome=ObjectionHandling.Outcome.PARTLY)),
        )
        .order_by("objection_type_id", "answer_id")
    )
    out = [
        AnswerRate(
            answer_id=r["answer_id"],
            text=r["answer__text"],
            objection_type_id=r["objection_type_id"],
            objection=r["objection_type__title"],
            used=r["used"],
            resolved=r["resolved"],
            partly=r["partly"],
        )
        for r in rows
    ]
    return sorted(out, key=lambda a: (a.objection, -(a.rate or 0), -a.used, a.answer_id))


def outcome_totals(user, *, since=None, until=None) -> dict:
    """How many handlings the user may see, resolved, and handled without a playbook answer (1 query)."""
    return handlings(user, since=since, until=until).aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=Q(outcome=ObjectionHandling.Outcome.RESOLVED)),
        without_answer=Count("pk", filter=Q(answer__isnull=True)),
    )


def competitor_script(user, competitor_id, product_id=None) -> CompetitorScript | None:
    """The five-step script for a competitor machine: the one written for our model ``product_id``
    if there is one, else the general one (no product), else one written for another of our models
    (the competitor's side of the steps still holds). Without a product, the general one first."""
    machine = get_or_404(user, CompetitorMachine, competitor_id, Action.VIEW)
    qs = visible(user, CompetitorScript).filter(competitor_machine=machine).select_related("product")
    if product_id not in (None, ""):
        product = get_or_404(user, Product, product_id, Action.VIEW)
        preference = Case(
            When(product=product, then=Value(0)), When(product__isnull=True, then=Value(1)), default=Value(2)
        )
        qs = qs.order_by(preference, "pk")
    else:
        qs = qs.order_by(F("product").asc(nulls_first=True), "pk")
    return qs.first()
