"""The plain rules of collection (回款) — no Django here, hypothesis-tested.

- ``plan_completeness``: which of the six questions before collecting (回款前的六个自问) are answered.
- ``settle_promises``: how the payments received count towards the promises to pay (承诺还款) and
  whether each is open, kept, partly kept or broken.
- ``due_by``: what was due up to a day (overdue + due that day) — a payment below it is partial and
  must say why (a finance problem or a deliberate deduction, and for what).
- ``promise_problem``: whether a promised moment makes sense (in the future, within contact hours,
  not too far away).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..ops.rules import CONTACT_HOURS

# the six questions, in the deck's order, each with the answers it needs
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sold", ("item_name", "item_spec", "quantity", "amount_fen", "sold_on")),
    ("acceptor", ("acceptor",)),
    ("standard", ("acceptance_standard",)),
    ("payment", ("payment_method", "payment_dates")),
    ("acceptance_method", ("acceptance_method",)),
    ("payer", ("payer",)),
)

OPEN, KEPT, PARTLY, BROKEN = "open", "kept", "partly", "broken"

PROMISE_MAX_DAYS = 90  # a promise further away than this is no exact date: fix a nearer one


def _answered(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value > 0
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    return True


@dataclass(frozen=True)
class Completeness:
    answered: tuple[str, ...]  # question codes
    missing: tuple[tuple[str, tuple[str, ...]], ...]  # (question code, the answers it still lacks)

    @property
    def score(self) -> int:
        return len(self.answered)

    @property
    def total(self) -> int:
        return len(QUESTIONS)


def plan_completeness(answers: dict) -> Completeness:
    """A question is answered when every part of it is (e.g. "what was sold" needs name, spec,
    quantity, amount and date); the missing ones are named with the parts they lack."""
    answered, missing = [], []
    for code, parts in QUESTIONS:
        lacking = tuple(p for p in parts if not _answered(answers.get(p)))
        if lacking:
            missing.append((code, lacking))
        else:
            answered.append(code)
    return Completeness(tuple(answered), tuple(missing))


@dataclass(frozen=True)
class PromiseIn:
    key: object
    made_on: dt.date  # the day the promise was made: payments from then on count
    due_on: dt.date  # the promised day (a payment is booked by date: the whole day counts)
    amount_fen: int


@dataclass(frozen=True)
class PromiseOut:
    key: object
    paid_fen: int
    status: str


def settle_promises(
    promises: Sequence[PromiseIn], payments: Iterable[tuple[dt.date, int]], today: dt.date
) -> list[PromiseOut]:
    """Spread the payments — ``(received_on, fen)`` — over the promises, earliest promised day first:
    a payment counts for a promise when it was received from the day the promise was made up to the
    promised day; each fen counts once. A promise is kept when its amount is reached, else — once
    its day has passed — partly kept if something came, broken if nothing; otherwise still open."""
    if any(p.amount_fen <= 0 for p in promises):
        raise ValueError("a promise is for more than zero")
    left = sorted(([day, fen] for day, fen in payments if fen > 0), key=lambda x: x[0])
    out: dict = {}
    for p in sorted(promises, key=lambda p: (p.due_on, p.made_on, str(p.key))):
        paid = 0
        for pay in left:
            if paid >= p.amount_fen:
                break
            day, fen = pay
            if fen == 0 or day < p.made_on or day > p.due_on:
                continue
            take = min(fen, p.amount_fen - paid)
            pay[1] -= take
            paid += take
        if paid >= p.amount_fen:
            status = KEPT
        elif today > p.due_on:
            status = PARTLY if paid else BROKEN
        else:
            status = OPEN
        out[p.key] = PromiseOut(p.key, paid, status)
    return [out[p.key] for p in promises]


def due_by(instalments: Iterable[tuple[dt.date, int]], day: dt.date) -> int:
    """What is still to pay on ``day``: the outstanding of every instalment — ``(due_on,
    outstanding_fen)`` — due on or before it (the overdue and what falls due that day)."""
    return sum(out for due, out in instalments if due <= day and out > 0)


def is_shortfall(amount_fen: int, due_fen: int) -> bool:
    """A payment below what was due up to its date is a partial payment (部分回款)."""
    return 0 < amount_fen < due_fen


PROMISE_IN_PAST = "past"
PROMISE_OUT_OF_HOURS = "hours"
PROMISE_TOO_FAR = "far"


def promise_problem(
    promised_at: dt.datetime,
    now: dt.datetime,
    *,
    contact_hours: tuple[int, int] = CONTACT_HOURS,
    max_days: int = PROMISE_MAX_DAYS,
) -> str | None:
    """Why a promised moment (both local, naive or aware alike) is refused, or None: it must be in
    the future, within the contact hours (whole hours, start to end inclusive: the collector goes or
    calls then), and at most ``max_days``
    away (further is no exact date)."""
    if promised_at <= now:
        return PROMISE_IN_PAST
    start, end = contact_hours
    latest = dt.time(end, 0) if end < 24 else dt.time.max
    if not dt.time(start, 0) <= promised_at.time() <= latest:
        return PROMISE_OUT_OF_HOURS
    if (promised_at.date() - now.date()).days > max_days:
        return PROMISE_TOO_FAR
    return None


def share(part: int, whole: int) -> int | None:
    """A whole percentage, rounded half up; None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return (200 * part + whole) // (2 * whole)
