"""API of collection (回款), mounted beside receivables.api; see core/api.py for the conventions.

    GET  /api/receivables/accounts/{id}/actions      the account's collection actions (paginated)
    POST /api/receivables/accounts/{id}/actions      {"kind", "outcome", "at", "techniques": [codes],
                                                      "tactic", "note", "promised_at", "promise_amount_fen"}
    GET  /api/receivables/promises                   ?account=&status=open|kept|partly|broken
    GET  /api/receivables/accounts/{id}/plan         the six questions, completeness and the 5W2H rounds
    PUT  /api/receivables/accounts/{id}/plan         the answers (item_name, item_spec, quantity,
                                                      amount_fen, sold_on, acceptor, acceptance_standard,
                                                      payment_method, acceptance_method, payer)
    POST /api/receivables/accounts/{id}/plan/rounds  a 5W2H round {"what", "who", "planned_at", "place",
                                                      "how", "amount_fen"}
    GET  /api/receivables/techniques                 the company's techniques and tips
    GET  /api/receivables/worklist                   ?salesperson=&region=&level=
    GET  /api/receivables/collection/expected        ?period=week|month&from=&to=&salesperson=&region=
    GET  /api/receivables/collection/effectiveness   ?days=7&from=&to= (the actions' dates)

Refused input answers 422 naming the field; an account the user may not see 404; a user who may
see it but not record collection work 403.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.api import FilterError, check_query, paginate
from core.visibility import visible

from .. import selectors as ledger
from ..models import PaymentPromise
from . import selectors, services
from .models import CollectionAction, CollectionTechnique

router = Router(tags=["receivables"])


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


class ActionIn(Schema):
    kind: str
    outcome: str
    at: str | None = None
    techniques: list[str] = []
    tactic: str = ""
    note: str = ""
    promised_at: str | None = None
    promise_amount_fen: int | None = None


class PlanIn(Schema):
    item_name: str = ""
    item_spec: str = ""
    quantity: int | None = None
    amount_fen: int | None = None
    sold_on: dt.date | None = None
    acceptor: str = ""
    acceptance_standard: str = ""
    payment_method: str = ""
    acceptance_method: str = ""
    payer: str = ""


class RoundIn(Schema):
    what: str = ""
    who: str = ""
    planned_at: str = ""
    place: str = ""
    how: str = ""
    amount_fen: int | None = None


def promise_out(p: PaymentPromise | None) -> dict | None:
    if p is None:
        return None
    return {
        "id": p.pk,
        "account": p.account_id,
        "promised_at": _iso(p.promised_at),
        "amount_fen": p.amount_fen,
        "status": p.status,
        "paid_fen": p.paid_fen,
        "resolved_at": _iso(p.resolved_at),
        "by": p.by_id,
        "at": _iso(p.at),
    }


def action_out(a: CollectionAction) -> dict:
    return {
        "id": a.pk,
        "account": a.account_id,
        "kind": a.kind,
        "at": _iso(a.at),
        "by": a.by_id,
        "techniques": [t.code for t in a.techniques.all()],
        "tactic": a.tactic,
        "outcome": a.outcome,
        "note": a.note,
        "promise": promise_out(a.promise),
    }


def _raise(errors: dict) -> None:
    if errors:
        raise FilterError({k: [v] for k, v in errors.items()})


@router.get("/receivables/accounts/{int:account_id}/actions", response=dict)
def action_list(request, account_id: int):
    check_query(request, set())
    account = ledger.account_detail(request.user, account_id)
    qs = (
        visible(request.user, CollectionAction)
        .filter(account=account)
        .select_related("promise")
        .prefetch_related("techniques")
        .order_by("-at", "-id")
    )
    return paginate(request, qs, action_out)


@router.post("/receivables/accounts/{int:account_id}/actions", response={201: dict})
def action_create(request, account_id: int, payload: ActionIn):
    account = ledger.account_detail(request.user, account_id)
    action = services.action_record(
        actor=request.user,
        account=account,
        kind=payload.kind,
        outcome=payload.outcome,
        at=payload.at,
        techniques=payload.techniques,
        tactic=payload.tactic,
        note=payload.note,
        promised_at=payload.promised_at,
        promise_amount_fen=payload.promise_amount_fen,
    )
    return Status(201, action_out(action))


@router.get("/receivables/promises", response=dict)
def promise_list(request):
    check_query(request, {"account", "status"})
    qs = visible(request.user, PaymentPromise).order_by("-promised_at", "-id")
    status = (request.GET.get("status") or "").strip()
    if status:
        if status not in PaymentPromise.Status.values:
            raise FilterError({"status": [_("Choose from the list.")]})
        qs = qs.filter(status=status)
    raw = (request.GET.get("account") or "").strip()
    if raw:
        try:
            qs = qs.filter(account_id=int(raw))
        except ValueError:
            raise FilterError({"account": [_("Enter a whole number.")]}) from None
    return paginate(request, qs, promise_out)


def _plan_out(request, account) -> dict:
    section = selectors.account_section(request.user, account)
    answers = dict(section["answers"])
    return {
        "account": account.pk,
        "saved": section["plan"] is not None,
        "answers": {k: _iso(v) if isinstance(v, dt.date) else v for k, v in answers.items() if k != "payment_dates"},
        "payment_dates": [d.isoformat() for d in answers["payment_dates"]],
        "completeness": {
            "answered": section["completeness"].score,
            "of": section["completeness"].total,
            "missing": {code: list(parts) for code, parts in section["completeness"].missing},
        },
        "rounds": [
            {
                "id": s.pk,
                "n": s.n,
                "what": s.what,
                "who": s.who,
                "planned_at": _iso(s.planned_at),
                "place": s.place,
                "how": s.how,
                "amount_fen": s.amount_fen,
                "done": s.done,
            }
            for s in section["steps"]
        ],
    }


@router.get("/receivables/accounts/{int:account_id}/plan", response=dict)
def plan_get(request, account_id: int):
    return _plan_out(request, ledger.account_detail(request.user, account_id))


@router.put("/receivables/accounts/{int:account_id}/plan", response=dict)
def plan_put(request, account_id: int, payload: PlanIn):
    account = ledger.account_detail(request.user, account_id)
    services.plan_save(actor=request.user, account=account, answers=payload.dict())
    return _plan_out(request, account)


@router.post("/receivables/accounts/{int:account_id}/plan/rounds", response={201: dict})
def round_create(request, account_id: int, payload: RoundIn):
    account = ledger.account_detail(request.user, account_id)
    step = services.step_add(actor=request.user, account=account, **payload.dict())
    return Status(201, {"id": step.pk, "n": step.n, "planned_at": _iso(step.planned_at), "amount_fen": step.amount_fen})


@router.get("/receivables/techniques", response=list)
def technique_list(request):
    check_query(request, set())
    return [
        {
            "code": t.code,
            "name": t.name,
            "kind": t.kind,
            "description": t.description,
            "active": t.active,
            "order": t.order,
        }
        for t in visible(request.user, CollectionTechnique).order_by("kind", "order", "id")
    ]


def worklist_out(a) -> dict:
    return {
        "account": a.pk,
        "contract_number": a.contract_number,
        "customer": {"id": a.customer_id, "name": a.customer.name},
        "salesperson": a.salesperson_id,
        "region": a.region_id,
        "days_past_due": a.days_past_due,
        "overdue_fen": a.overdue,
        "outstanding_fen": a.outstanding,
        "next_due_on": _iso(a.next_due),
        "risk_level": a.risk_level,
        "open_promise": {"promised_at": _iso(a.promise_at), "amount_fen": a.promise_fen} if a.promise_at else None,
        "last_action": {"at": _iso(a.last_action_at), "outcome": a.last_outcome} if a.last_action_at else None,
    }


@router.get("/receivables/worklist", response=dict)
def worklist(request):
    check_query(request, {"salesperson", "region", "level"})
    filters, errors = selectors.parse_worklist(request.GET)
    _raise(errors)
    return paginate(request, selectors.worklist(request.user, filters), worklist_out)


@router.get("/receivables/collection/expected", response=dict)
def expected(request):
    check_query(request, {"period", "from", "to", "salesperson", "region"})
    f, errors = selectors.parse_period(request.GET)
    _raise(errors)
    report = selectors.expected_vs_collected(request.user, f)
    return {
        "period": f.period,
        "from": _iso(f.start),
        "to": _iso(f.end),
        "rows": [
            {
                "start": _iso(r["start"]),
                "expected_fen": r["expected_fen"],
                "collected_fen": r["collected_fen"],
                "rate": r["rate"],
            }
            for r in report["rows"]
        ],
        "expected_fen": report["expected_fen"],
        "collected_fen": report["collected_fen"],
        "rate": report["rate"],
    }


@router.get("/receivables/collection/effectiveness", response=dict)
def effectiveness(request):
    check_query(request, {"days", "from", "to"})
    from .views import parse_effectiveness

    f, errors = parse_effectiveness(request.GET)
    _raise(errors)
    report = selectors.technique_effectiveness(request.user, **f)
    return {
        "days": f["days"],
        "from": _iso(f["start"]),
        "to": _iso(f["end"]),
        "rows": [
            {
                "code": r["technique"].code,
                "name": r["technique"].name,
                "kind": r["technique"].kind,
                "actions": r["actions"],
                "followed": r["followed"],
                "share": r["share"],
            }
            for r in report["rows"]
        ],
    }
