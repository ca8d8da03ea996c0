"""The plain rules of risk (风险预警), arrears and escalation (升级催收), SPEC §7 — no Django here.

- The risk score: the sum of the weights of the inputs present — the nine signals staff record with
  evidence (three of them the telematics module will feed later) and the payment behaviour read from
  the ledger (days past due, graded; broken promises; partial payments; the first late payment).
  Each present input is one reason ``(code, weight, evidence)``; the reasons always sum to the score.
- The level: none / low / watch / high by thresholds.
- The escalation ladder: step by step; a stage whose previous stage is not done needs a manager's note.
- The three traps: what a settlement request needs before it may be decided.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# --- the nine signals of SPEC §7, recorded by staff with evidence --------------------------------
WAGES_LATE = "wages_late"  # wages withheld or late
LOW_UTILISATION = "low_utilisation"  # low machine utilisation (telematics later)
SERVICE_DISPUTE = "service_dispute"  # a service dispute with us
PROJECT_PAYMENTS_STUCK = "project_stuck"  # the customer's project payments stuck
PARTNERS_CONFLICT = "partners_conflict"  # partners in conflict
BUSINESS_FAILING = "business_failing"
FAMILY_CRISIS = "family_crisis"
MACHINE_MOVED = "machine_moved"  # machine moved without a project (telematics later)
TRACKER_REMOVED = "tracker_removed"  # GPS tracker removed (telematics later: tracker offline)
TRACKER_OFFLINE = "tracker_offline"  # the telematics module will feed it; staff record it meanwhile

SIGNALS = (
    WAGES_LATE,
    LOW_UTILISATION,
    SERVICE_DISPUTE,
    PROJECT_PAYMENTS_STUCK,
    PARTNERS_CONFLICT,
    BUSINESS_FAILING,
    FAMILY_CRISIS,
    MACHINE_MOVED,
    TRACKER_REMOVED,
    TRACKER_OFFLINE,
)
# the signals the telematics module will feed once it exists (recorded by staff until then)
MACHINE_SIGNALS = (LOW_UTILISATION, MACHINE_MOVED, TRACKER_OFFLINE, TRACKER_REMOVED)
# the machine stands idle or away: a lock will have little effect
IDLE_SIGNALS = (LOW_UTILISATION, MACHINE_MOVED)

# --- payment behaviour, computed from the ledger -------------------------------------------------
DPD_GRADES = ((1, "dpd_1_30"), (31, "dpd_31_60"), (61, "dpd_61_90"), (91, "dpd_over_90"))
DPD_CODES = tuple(code for _low, code in DPD_GRADES)
BROKEN_PROMISE = "broken_promise"  # weight per broken promise, counted up to BROKEN_PROMISE_CAP
BROKEN_PROMISE_CAP = 3
PARTIAL_PAYMENT = "partial_payment"
FIRST_LATE = "first_late"
BEHAVIOUR = (*DPD_CODES, BROKEN_PROMISE, PARTIAL_PAYMENT, FIRST_LATE)

CODES = (*SIGNALS, *BEHAVIOUR)

DEFAULT_WEIGHTS: dict[str, int] = {
    WAGES_LATE: 15,
    LOW_UTILISATION: 15,
    SERVICE_DISPUTE: 10,
    PROJECT_PAYMENTS_STUCK: 15,
    PARTNERS_CONFLICT: 10,
    BUSINESS_FAILING: 25,
    FAMILY_CRISIS: 15,
    MACHINE_MOVED: 25,
    TRACKER_REMOVED: 30,
    TRACKER_OFFLINE: 15,
    "dpd_1_30": 10,
    "dpd_31_60": 20,
    "dpd_61_90": 30,
    "dpd_over_90": 40,
    BROKEN_PROMISE: 15,
    PARTIAL_PAYMENT: 10,
    FIRST_LATE: 5,
}

NONE, LOW, WATCH, HIGH = "none", "low", "watch", "high"
LEVELS = (NONE, LOW, WATCH, HIGH)
DEFAULT_THRESHOLDS = (1, 30, 60)  # low from 1, watch from 30, high from 60
WEIGHT_MAX = 100


@dataclass(frozen=True)
class Reason:
    code: str
    weight: int
    evidence: str = ""


@dataclass(frozen=True)
class Inputs:
    """What the score reads: ``signals`` kind → evidence (one reason per kind however often it was
    recorded), and the ledger's behaviour."""

    signals: Mapping[str, str] = field(default_factory=dict)
    days_past_due: int = 0
    broken_promises: int = 0
    partial_payments: int = 0
    first_late_on: str = ""  # ISO date or ""


def dpd_grade(days: int) -> str | None:
    """The days-past-due grade code (None when not late)."""
    grade = None
    for low, code in DPD_GRADES:
        if days >= low:
            grade = code
    return grade


def reasons(inputs: Inputs, weights: Mapping[str, int]) -> list[Reason]:
    """The reasons of the score, heaviest first; an input of weight 0 is no reason."""
    out: list[Reason] = []
    for kind in SIGNALS:
        if kind in inputs.signals:
            out.append(Reason(kind, weights.get(kind, 0), inputs.signals[kind]))
    grade = dpd_grade(inputs.days_past_due)
    if grade:
        out.append(Reason(grade, weights.get(grade, 0), str(inputs.days_past_due)))
    if inputs.broken_promises > 0:
        n = min(inputs.broken_promises, BROKEN_PROMISE_CAP)
        out.append(Reason(BROKEN_PROMISE, weights.get(BROKEN_PROMISE, 0) * n, str(inputs.broken_promises)))
    if inputs.partial_payments > 0:
        out.append(Reason(PARTIAL_PAYMENT, weights.get(PARTIAL_PAYMENT, 0), str(inputs.partial_payments)))
    if inputs.first_late_on:
        out.append(Reason(FIRST_LATE, weights.get(FIRST_LATE, 0), inputs.first_late_on))
    out = [r for r in out if r.weight > 0]
    out.sort(key=lambda r: (-r.weight, CODES.index(r.code)))
    return out


def score(inputs: Inputs, weights: Mapping[str, int]) -> tuple[int, list[Reason]]:
    """The score and its reasons: the score is the sum of the reasons' weights."""
    rs = reasons(inputs, weights)
    return sum(r.weight for r in rs), rs


def level_of(value: int, thresholds: Sequence[int] = DEFAULT_THRESHOLDS) -> str:
    """none below the first threshold, then low, watch, high."""
    low, watch, high = thresholds
    if value >= high:
        return HIGH
    if value >= watch:
        return WATCH
    if value >= low:
        return LOW
    return NONE


def rises_to_alert(before: str, after: str) -> bool:
    """The level rose and is now watch or high: the managers are told."""
    return LEVELS.index(after) > LEVELS.index(before) and after in (WATCH, HIGH)


def weights_problems(weights: Mapping[str, object]) -> dict[str, str]:
    """code → problem ("unknown", "range", "order"): each weight an integer 0–100, every code known,
    the days-past-due grades never lighter for a later grade."""
    problems: dict[str, str] = {}
    for code, value in weights.items():
        if code not in CODES:
            problems[code] = "unknown"
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= WEIGHT_MAX:
            problems[code] = "range"
    merged = {**DEFAULT_WEIGHTS, **{k: v for k, v in weights.items() if k in CODES and k not in problems}}
    for earlier, later in itertools.pairwise(DPD_CODES):
        if merged[later] < merged[earlier] and later not in problems:
            problems[later] = "order"
    return problems


def thresholds_problem(thresholds: Sequence[object]) -> str | None:
    """ "range" / "order" or None: three integers 1–1000, strictly increasing."""
    if len(thresholds) != 3 or any(isinstance(t, bool) or not isinstance(t, int) for t in thresholds):
        return "range"
    if any(not 1 <= t <= 1000 for t in thresholds):  # type: ignore[operator]
        return "range"
    low, watch, high = thresholds
    if not low < watch < high:  # type: ignore[operator]
        return "order"
    return None


# --- arrears and escalation -----------------------------------------------------------------------
def lock_little_effect(signal_kinds: Iterable[str], arrears_type: str) -> bool:
    """A lock will have little effect: the machine stands idle or away (a recorded low-utilisation or
    moved-away signal) or the business is poor (the machine earns nothing anyway)."""
    return bool(set(signal_kinds) & set(IDLE_SIGNALS)) or arrears_type == "poor_business"


@dataclass(frozen=True)
class StageRef:
    code: str
    order: int


def skipped_stage(ladder: Sequence[StageRef], target: str, done: Iterable[str]) -> StageRef | None:
    """The stage below ``target`` on the active ``ladder`` that has not been done (the nearest one),
    or None when the step is gradual (the deck: 采取渐进的收款程序)."""
    ordered = sorted(ladder, key=lambda s: (s.order, s.code))
    codes = [s.code for s in ordered]
    if target not in codes:
        raise ValueError(f"unknown stage: {target!r}")
    index = codes.index(target)
    if index == 0:
        return None
    previous = ordered[index - 1]
    return None if previous.code in set(done) else previous


# --- the three traps ------------------------------------------------------------------------------
WAIVER, DISCOUNT, SETTLEMENT_DOCUMENT = "waiver", "discount", "settlement_document"
THIRD_PARTY, OFFSET, GOODS = "third_party", "offset", "goods"
SETTLEMENT_KINDS = (WAIVER, DISCOUNT, SETTLEMENT_DOCUMENT, THIRD_PARTY, OFFSET, GOODS)
POSTS_PAYMENT = (THIRD_PARTY, OFFSET, GOODS)  # approved: the amount goes through the ledger
FLAGS_ACCOUNT = (WAIVER, DISCOUNT, SETTLEMENT_DOCUMENT)  # approved: a document the customer holds


def settlement_problems(
    kind: str, amount_fen: int, *, counterparty: str, valuation_fen: int | None, valued_by: str, evidence: str
) -> dict[str, str]:
    """field → problem code for a settlement request (the three traps)."""
    problems: dict[str, str] = {}
    if kind not in SETTLEMENT_KINDS:
        return {"kind": "unknown"}
    if amount_fen <= 0:
        problems["amount_fen"] = "positive"
    if kind in (THIRD_PARTY, OFFSET) and not counterparty:
        problems["counterparty"] = "required"
    if not evidence:
        problems["evidence"] = "required"
    if kind == GOODS:
        if valuation_fen is None or valuation_fen <= 0:
            problems["valuation_fen"] = "required"
        elif amount_fen > valuation_fen:
            problems["amount_fen"] = "above_valuation"
        if not valued_by:
            problems["valued_by"] = "required"
    return problems
