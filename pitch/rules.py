"""Plain rules of the product pitch (no Django): which direction of each specification is better,
the side-by-side comparison of two machines, price validity ranges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

HIGHER, LOWER, NEUTRAL = 1, -1, 0


@dataclass(frozen=True)
class Spec:
    field: str
    unit: str
    direction: int  # HIGHER: more is better; LOWER: less is better; NEUTRAL: a matter of use


# the compared specifications, in the order a salesperson reads them; labels come from the model fields
SPECS: tuple[Spec, ...] = (
    Spec("operating_weight_kg", "kg", NEUTRAL),  # heavier is steadier but costs transport: neither
    Spec("bucket_m3", "m³", HIGHER),
    Spec("engine_power_kw", "kW", HIGHER),
    Spec("engine_model", "", NEUTRAL),
    Spec("digging_force_kn", "kN", HIGHER),
    Spec("digging_depth_mm", "mm", HIGHER),
    Spec("digging_reach_mm", "mm", HIGHER),
    Spec("tail_swing", "", NEUTRAL),
)

BETTER, WORSE, SAME, DIFFERENT, UNKNOWN = "better", "worse", "same", "different", "unknown"


@dataclass(frozen=True)
class Row:
    field: str
    unit: str
    ours: object
    theirs: object
    difference: Decimal | int | None  # ours − theirs for numbers
    verdict: str  # BETTER / WORSE / SAME / DIFFERENT (neutral spec) / UNKNOWN (a value missing)


def verdict(direction: int, ours, theirs) -> str:
    """Ours against theirs for one specification."""
    if ours in (None, "") or theirs in (None, ""):
        return UNKNOWN
    if ours == theirs:
        return SAME
    if direction == NEUTRAL or not isinstance(ours, (int, Decimal, float)):
        return DIFFERENT
    return BETTER if (ours > theirs) == (direction == HIGHER) else WORSE


def compare(ours: dict, theirs: dict, specs: tuple[Spec, ...] = SPECS) -> list[Row]:
    """The rows of the side-by-side comparison of two machines' spec values ({field: value})."""
    rows = []
    for spec in specs:
        a, b = ours.get(spec.field), theirs.get(spec.field)
        numeric = isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal))
        rows.append(Row(spec.field, spec.unit, a, b, (a - b) if numeric else None, verdict(spec.direction, a, b)))
    return rows


def overlaps(a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None) -> bool:
    """Do two validity ranges share a day? ``None`` as the end means open-ended; ends are inclusive."""
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def is_valid_on(day: dt.date, valid_from: dt.date, valid_to: dt.date | None) -> bool:
    return valid_from <= day and (valid_to is None or day <= valid_to)
