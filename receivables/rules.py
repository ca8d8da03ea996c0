"""The plain rules of receivables (债权管理), SPEC §7 — no Django here.

- ``allocate``: how a payment (回款) is spread over the instalments (期次) still outstanding; what is
  left over is the customer's credit (未分配余额).
- ``bucket_of`` / ``days_past_due``: ageing (账龄) — how long the oldest unpaid instalment is overdue.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence

OLDEST_FIRST = "oldest_first"
NEWEST_FIRST = "newest_first"
DUE_SOONEST = "due_soonest"
ORDERS = (OLDEST_FIRST, NEWEST_FIRST, DUE_SOONEST)

BUCKETS = (0, 30, 60, 90)
CURRENT = "current"


def _sequence(instalments: Sequence[tuple], order: str, as_of: dt.date | None) -> list[tuple]:
    if order == OLDEST_FIRST:
        return sorted(instalments, key=lambda i: (i[1], i[0]))
    if order == NEWEST_FIRST:
        return sorted(instalments, key=lambda i: (i[1], i[0]), reverse=True)
    if order == DUE_SOONEST:
        # the instalment whose due date is nearest to the payment's date first (the one the
        # customer is paying for), an earlier one before a later one at the same distance
        if as_of is None:
            return sorted(instalments, key=lambda i: (i[1], i[0]))
        return sorted(instalments, key=lambda i: (abs((i[1] - as_of).days), i[1], i[0]))
    raise ValueError(f"unknown allocation order: {order!r}")


def allocate(
    payment_fen: int,
    instalments: Iterable[tuple[object, dt.date, int]],
    order: str = OLDEST_FIRST,
    *,
    as_of: dt.date | None = None,
) -> tuple[list[tuple[object, int]], int]:
    """Spread ``payment_fen`` over ``instalments`` — ``(id, due_on, outstanding_fen)`` — in ``order``.

    Returns ``(allocations, credit_left)``: ``allocations`` is ``[(id, fen), ...]`` in the order
    filled (only instalments that get something), ``credit_left`` what no instalment takes. Each
    instalment is filled completely before the next one gets anything; none gets more than its
    outstanding amount. ``as_of`` (the payment's date) is used by ``due_soonest`` only.
    """
    if payment_fen < 0:
        raise ValueError("a payment is never negative")
    rows = list(instalments)
    if any(out < 0 for _i, _d, out in rows):
        raise ValueError("an outstanding amount is never negative")
    left = payment_fen
    out: list[tuple[object, int]] = []
    for ident, _due, outstanding in _sequence(rows, order, as_of):
        if left == 0:
            break
        take = min(left, outstanding)
        if take > 0:
            out.append((ident, take))
            left -= take
    return out, left


def bucket_labels(buckets: Sequence[int] = BUCKETS) -> list[str]:
    """The bucket names for ``buckets`` (0, 30, 60, 90) → current, 1-30, 31-60, 61-90, 90+."""
    labels = [CURRENT]
    for low, high in itertools.pairwise(buckets):
        labels.append(f"{low + 1}-{high}")
    labels.append(f"{buckets[-1]}+")
    return labels


def bucket_of(days_past_due: int, buckets: Sequence[int] = BUCKETS) -> str:
    """The ageing bucket of an account ``days_past_due`` days overdue (0 or less: current)."""
    if list(buckets) != sorted(set(buckets)) or not buckets:
        raise ValueError("buckets must be increasing")
    labels = bucket_labels(buckets)
    if days_past_due <= buckets[0]:
        return labels[0]
    for i, high in enumerate(buckets[1:], start=1):
        if days_past_due <= high:
            return labels[i]
    return labels[-1]


def days_past_due(instalments: Iterable[tuple[dt.date, int]], as_of: dt.date) -> int:
    """Days since the oldest instalment still unpaid — ``(due_on, outstanding_fen)`` — fell due, as
    of ``as_of`` (0 when nothing due by then is unpaid; an instalment due on ``as_of`` is 0 days late)."""
    unpaid = [due for due, outstanding in instalments if outstanding > 0 and due <= as_of]
    return (as_of - min(unpaid)).days if unpaid else 0


def fen_of_yuan(text) -> int:
    """A schedule amount in yuan ("1234.56") as fen, exactly; ValueError when it is not whole fen."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"not a whole number of fen: {text!r}")
    return int(fen)
