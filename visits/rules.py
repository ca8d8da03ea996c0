"""The visit method's rules as plain Python (SPEC §2) — no Django here.

- cadence: how often a customer of each intent grade is visited; when the next visit is due; a
  grade-9 customer is visited every day in the last days before the expected purchase;
- the day's plan: which customers are due, overdue, and how they are ordered;
- check-in: distance on the earth's surface, whether a check-in is flagged for the manager;
- the deck's close-rate question: how many visits came before a deal (1–2 versus 3–5).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
GRADES = (9, 6, 3, 1, 0)
# SPEC §2 defaults: 9 every 1–2 days, 6 weekly, 3 fortnightly, 1 monthly, 0 quarterly
DEFAULT_CADENCE: dict[int | None, int] = {9: 2, 6: 7, 3: 14, 1: 30, 0: 90, None: 30}
DEFAULT_PURCHASE_WINDOW = 2
DEFAULT_CHECKLIST = ("公文包", "名片", "产品画册", "笔", "笔记本", "礼品", "客户要求的资料")


# ------------------------------------------------------------------------------------------ cadence
def cadence_days(grade: int | None, cadence: Mapping[int | None, int] = DEFAULT_CADENCE) -> int:
    """Days between two visits for a grade (at least 1)."""
    return max(1, int(cadence.get(grade, cadence.get(None, DEFAULT_CADENCE[None]))))


def in_purchase_window(
    grade: int | None, expected_purchase: dt.date | None, day: dt.date, window: int = DEFAULT_PURCHASE_WINDOW
) -> bool:
    """A grade-9 customer in the last ``window`` days before (and on) the expected purchase day."""
    if grade != 9 or expected_purchase is None or window <= 0:
        return False
    return 0 <= (expected_purchase - day).days <= window


def next_due(
    grade: int | None,
    last_visit: dt.date | None,
    today: dt.date,
    *,
    expected_purchase: dt.date | None = None,
    cadence: Mapping[int | None, int] = DEFAULT_CADENCE,
    window: int = DEFAULT_PURCHASE_WINDOW,
) -> dt.date:
    """The day the next visit is due. Never visited: due today. In the purchase window: every day."""
    if last_visit is None:
        return today
    due = last_visit + dt.timedelta(days=cadence_days(grade, cadence))
    if grade == 9 and expected_purchase is not None and window > 0:
        # in the last ``window`` days before the purchase (and on the day) a visit is due every day
        daily = max(last_visit + dt.timedelta(days=1), expected_purchase - dt.timedelta(days=window))
        if daily <= expected_purchase:
            due = min(due, daily)
    return due


def overdue_days(due: dt.date, today: dt.date) -> int:
    """Days past the due day (0 when due today or later)."""
    return max(0, (today - due).days)


def cutoff_for(grade: int | None, day: dt.date, cadence: Mapping[int | None, int] = DEFAULT_CADENCE) -> dt.date:
    """A customer of ``grade`` last visited before this day is due on ``day`` (for SQL filters)."""
    return day - dt.timedelta(days=cadence_days(grade, cadence) - 1)


def window_due_until(day: dt.date, window: int = DEFAULT_PURCHASE_WINDOW) -> dt.date | None:
    """A grade-9 customer whose expected purchase is on or before this day may be due on ``day`` by
    the purchase window (None: no window configured). See ``is_due`` for the whole condition."""
    return day + dt.timedelta(days=window) if window > 0 else None


def is_due(
    grade: int | None,
    last_visit: dt.date | None,
    day: dt.date,
    *,
    expected_purchase: dt.date | None = None,
    cadence: Mapping[int | None, int] = DEFAULT_CADENCE,
    window: int = DEFAULT_PURCHASE_WINDOW,
) -> bool:
    """``next_due(...) <= day`` written as the comparisons a SQL filter can make (visits.plan):

    never visited, or last visited before ``cutoff_for(grade, day)``, or — grade 9 only — the
    expected purchase is on or before ``window_due_until(day)`` and the last visit was before both
    ``day`` and the purchase day (a day of the window lies between the last visit and ``day``)."""
    if last_visit is None or last_visit < cutoff_for(grade, day, cadence):
        return True
    until = window_due_until(day, window)
    return (
        grade == 9
        and until is not None
        and expected_purchase is not None
        and expected_purchase <= until
        and last_visit < expected_purchase
        and last_visit < day
    )


@dataclass(frozen=True)
class PlanCandidate:
    customer_id: int
    grade: int | None
    last_visit: dt.date | None
    expected_purchase: dt.date | None = None
    distance_m: float | None = None


@dataclass(frozen=True)
class PlanLine:
    customer_id: int
    grade: int | None
    due: dt.date
    overdue_days: int
    first_visit: bool
    purchase_window: bool
    distance_m: float | None

    def sort_key(self) -> tuple:
        """Purchase window first, then grade (9/6/3 first), then days overdue, then the nearest."""
        return (
            not self.purchase_window,
            _GRADE_PRIORITY.get(self.grade, 5),
            -self.overdue_days,
            self.distance_m if self.distance_m is not None else math.inf,
            self.customer_id,
        )


_GRADE_PRIORITY = {9: 0, 6: 1, 3: 2, 1: 3, 0: 4, None: 5}


def plan_for(
    candidates: Iterable[PlanCandidate],
    day: dt.date,
    *,
    cadence: Mapping[int | None, int] = DEFAULT_CADENCE,
    window: int = DEFAULT_PURCHASE_WINDOW,
) -> list[PlanLine]:
    """The customers due on ``day`` (due on or before it), most urgent first."""
    lines = []
    for c in candidates:
        due = next_due(
            c.grade, c.last_visit, day, expected_purchase=c.expected_purchase, cadence=cadence, window=window
        )
        if due > day:
            continue
        lines.append(
            PlanLine(
                customer_id=c.customer_id,
                grade=c.grade,
                due=due,
                overdue_days=overdue_days(due, day),
                first_visit=c.last_visit is None,
                purchase_window=in_purchase_window(c.grade, c.expected_purchase, day, window),
                distance_m=c.distance_m,
            )
        )
    return sorted(lines, key=PlanLine.sort_key)


# ------------------------------------------------------------------------------------------ check-in
def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) containing every point within ``radius_m`` (for SQL).

    The widest longitude of a circle is asin(sin(d) / cos(lat)), a little more than d / cos(lat).
    When the circle reaches a pole or crosses the ±180° meridian the box spans every longitude
    (a plain BETWEEN cannot wrap around)."""
    d = max(0.0, radius_m) / EARTH_RADIUS_M
    dlat = math.degrees(d)
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    phi = math.radians(lat)
    if d >= math.pi / 2 - abs(phi) or min_lat <= -90.0 or max_lat >= 90.0:
        return min_lat, max_lat, -180.0, 180.0
    dlng = math.degrees(math.asin(min(1.0, math.sin(d) / math.cos(phi))))
    dlng = dlng * (1 + 1e-9) + 1e-9  # never cut a point on the circle through rounding
    min_lng, max_lng = lng - dlng, lng + dlng
    if min_lng < -180.0 or max_lng > 180.0:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, min_lng, max_lng


def within(lat: float, lng: float, box: tuple[float, float, float, float]) -> bool:
    min_lat, max_lat, min_lng, max_lng = box
    return min_lat <= lat <= max_lat and min_lng <= lng <= max_lng


def valid_position(lat, lng) -> bool:
    """Both numbers on the globe (None, text, NaN and infinities are not)."""
    try:
        return -90 <= float(lat) <= 90 and -180 <= float(lng) <= 180
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class CheckinVerdict:
    distance_m: int | None
    flagged: bool
    reasons: tuple[str, ...]  # codes: "manual", "outside", "inaccurate"
    store_location: bool  # the customer has no stored location: this check-in sets it


def judge_checkin(
    *,
    lat: float | None,
    lng: float | None,
    accuracy_m: float | None,
    customer_lat: float | None,
    customer_lng: float | None,
    radius_m: int,
) -> CheckinVerdict:
    """Outside the allowed radius the visit is flagged, not refused. A check-in without a position
    (no permission, no signal) is manual and flagged. A fix so imprecise that its circle is larger
    than the radius cannot prove presence either: flagged as inaccurate."""
    if not valid_position(lat, lng):  # no fix, or numbers that are no position (NaN, 200°)
        return CheckinVerdict(None, True, ("manual",), False)
    reasons = []
    if accuracy_m is not None and not accuracy_m >= 0:  # negative or NaN: the accuracy is unknown
        accuracy_m = None
    if accuracy_m is not None and accuracy_m > radius_m:
        reasons.append("inaccurate")
    if not valid_position(customer_lat, customer_lng):
        return CheckinVerdict(None, bool(reasons), tuple(reasons), not reasons)
    d = distance_m(float(lat), float(lng), float(customer_lat), float(customer_lng))
    if d > radius_m:
        reasons.append("outside")
    return CheckinVerdict(round(d), bool(reasons), tuple(reasons), False)


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds() // 60)


# ------------------------------------------------------------------------------------------ analytics
VISIT_BUCKETS = ((1, 2), (3, 5), (6, None))


def visit_bucket(n: int) -> str:
    """The deck's buckets of visits before a deal: "1–2", "3–5", "6+"."""
    for lo, hi in VISIT_BUCKETS:
        if n >= lo and (hi is None or n <= hi):
            return f"{lo}–{hi}" if hi is not None else f"{lo}+"
    return "0"


def close_rate(won: int, lost: int) -> float | None:
    """Share of closed opportunities that were won (None when none closed)."""
    total = won + lost
    return None if total == 0 else won / total


def compliance(kept: int, due: int) -> float | None:
    """Share of due visits made on time (None when nothing was due)."""
    return None if due == 0 else min(1.0, kept / due)
