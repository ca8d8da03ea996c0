"""The public pool (公海), plain Python: when an owned customer goes back, and who may take one out.

**Returning.** Each intent grade has a rule (configurable per dealer): a customer not followed up
for ``days`` days returns to the pool, and its owner is warned ``warn_days`` days before. The
clock starts at the latest of: the last follow-up, the moment the current owner got the customer
(claim or assignment), the creation of the customer — so a customer claimed today is never sent
back for a follow-up gap that belonged to its previous owner. Dates are counted in local calendar
days (the job runs once a night): followed up on 3 March with ``days=7`` → due on 10 March.

A warning always comes first: a customer is returned only when its owner was warned in the current
cycle (after the clock started) at least ``max(warn_days, 1)`` days earlier. If the job missed the
warning date (it did not run, the rule changed), the owner is warned late and still gets the full
notice. A follow-up after the warning restarts the clock and withdraws the warning. A protected
customer, or a grade without a rule (or with ``days == 0``), never returns.

**Claiming.** A salesperson may claim a pool customer when: it is in the pool and not reserved
(protected: only a manager assigns it); it is in one of the salesperson's regions; the salesperson
holds fewer customers than the holding cap; they claimed fewer than the daily quota today (local
day); and, if they were its previous owner, the cool-down since it entered the pool is over.

All datetimes must be timezone-aware; "today" is the local date of ``now`` in ``now``'s zone (pass
``now`` in the dealer's zone, Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


def _aware(t: dt.datetime, name: str) -> dt.datetime:
    if t.tzinfo is None or t.tzinfo.utcoffset(t) is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return t


def local_date(t: dt.datetime, now: dt.datetime) -> dt.date:
    """The calendar date of ``t`` in the zone of ``now``."""
    return _aware(t, "t").astimezone(now.tzinfo).date()


def day_start(now: dt.datetime) -> dt.datetime:
    """Midnight starting the local day of ``now`` (aware, in ``now``'s zone)."""
    _aware(now, "now")
    return dt.datetime.combine(now.date(), dt.time(0), tzinfo=now.tzinfo)


# --- returning to the pool ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A grade's pool rule (公海回收规则)."""

    days: int
    warn_days: int = 3

    @property
    def enabled(self) -> bool:
        return self.days > 0

    @property
    def notice_days(self) -> int:
        """Days between the warning and the return: the configured ones, at least one."""
        return max(self.warn_days, 1)


def rule_for(grade: int | None, rules: Mapping[int | None, Rule]) -> Rule | None:
    """The rule of a grade; None when the grade has no (enabled) rule: it never returns."""
    rule = rules.get(grade)
    return rule if rule is not None and rule.enabled else None


@dataclass(frozen=True)
class Holding:
    """An owned customer as the pool sees it."""

    grade: int | None
    created_at: dt.datetime
    last_followup_at: dt.datetime | None = None
    owned_since: dt.datetime | None = None  # when the current owner claimed it or was assigned it
    warned_at: dt.datetime | None = None
    protected: bool = False
    in_pool: bool = False


def clock_start(h: Holding) -> dt.datetime:
    """From when "not followed up" is counted: the latest follow-up, ownership or creation."""
    times = [_aware(h.created_at, "created_at")]
    for name in ("last_followup_at", "owned_since"):
        value = getattr(h, name)
        if value is not None:
            times.append(_aware(value, name))
    return max(times)


def due_date(h: Holding, rule: Rule, now: dt.datetime) -> dt.date:
    """The day the customer is due back in the pool when nobody follows it up."""
    return local_date(clock_start(h), now) + dt.timedelta(days=rule.days)


def warn_date(h: Holding, rule: Rule, now: dt.datetime) -> dt.date:
    """The first day the owner is warned."""
    return due_date(h, rule, now) - dt.timedelta(days=rule.notice_days)


def warning_current(h: Holding, now: dt.datetime | None = None) -> bool:
    """Was the owner warned in this cycle (after the clock last started)?

    A clock start later than ``now`` (a record dated in the future: clock skew, imported data)
    counts as starting now, so a warning given now is current and is not repeated."""
    if h.warned_at is None:
        return False
    start = clock_start(h)
    if now is not None:
        start = min(start, _aware(now, "now"))
    return _aware(h.warned_at, "warned_at") >= start


def latest_clock_day(rule: Rule, today: dt.date) -> dt.date:
    """Customers whose clock started on or before this day need the sweep's attention today.

    (today >= warn_date  ⇔  clock day <= today − days + notice.) Lets the database pre-select.
    """
    return today - dt.timedelta(days=rule.days - rule.notice_days)


class Step(StrEnum):
    NONE = "none"
    WARN = "warn"  # warn the owner now
    RETURN = "return"  # move it back to the pool now
    WITHDRAW = "withdraw"  # a warning no longer applies (followed up since, protected, rule gone)


@dataclass(frozen=True)
class Decision:
    step: Step
    returns_on: dt.date | None = None  # when it will return if nobody follows it up


def next_step(h: Holding, rules: Mapping[int | None, Rule], now: dt.datetime) -> Decision:
    """What the nightly sweep does with one owned customer at ``now``."""
    _aware(now, "now")
    if h.in_pool:
        return Decision(Step.NONE)
    rule = rule_for(h.grade, rules)
    current = warning_current(h, now)
    stale = h.warned_at is not None and not current
    if h.protected or rule is None:
        return Decision(Step.WITHDRAW if h.warned_at is not None else Step.NONE)
    today = now.date()
    due = due_date(h, rule, now)
    if today < warn_date(h, rule, now):
        return Decision(Step.WITHDRAW if stale else Step.NONE, due)
    notice = dt.timedelta(days=rule.notice_days)
    if not current:
        return Decision(Step.WARN, max(due, today + notice))
    returns_on = max(due, local_date(h.warned_at, now) + notice)
    if today >= returns_on:
        return Decision(Step.RETURN, returns_on)
    return Decision(Step.NONE, returns_on)


# --- claiming from the pool -----------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """A dealer's pool limits (CustomerSettings)."""

    holding_cap: int = 300
    daily_quota: int = 10
    cooldown_days: int = 30


@dataclass(frozen=True)
class PoolCustomer:
    """A customer a salesperson wants to claim, seen from that salesperson."""

    in_pool: bool
    protected: bool = False
    in_my_regions: bool = True
    i_was_previous_owner: bool = False
    entered_pool_at: dt.datetime | None = None


@dataclass(frozen=True)
class Claimant:
    held: int  # customers the salesperson owns now
    claimed_today: int  # claims from the pool since local midnight


class Refusal(StrEnum):
    NOT_IN_POOL = "in_pool"
    PROTECTED = "protected"
    OUTSIDE_REGIONS = "region"
    HOLDING_CAP = "holding_cap"
    DAILY_QUOTA = "daily_claim_quota"
    COOLDOWN = "cooldown_days"


def cooldown_ends(entered_pool_at: dt.datetime | None, cooldown_days: int, now: dt.datetime) -> dt.date | None:
    """First day the previous owner may claim again (None: no cool-down applies)."""
    if entered_pool_at is None or cooldown_days <= 0:
        return None
    return local_date(entered_pool_at, now) + dt.timedelta(days=cooldown_days)


def claim_refusals(c: PoolCustomer, who: Claimant, limits: Limits, now: dt.datetime) -> list[Refusal]:
    """Every reason the claim is refused, most fundamental first; empty: the claim is allowed."""
    _aware(now, "now")
    out: list[Refusal] = []
    if not c.in_pool:
        return [Refusal.NOT_IN_POOL]
    if c.protected:
        out.append(Refusal.PROTECTED)
    if not c.in_my_regions:
        out.append(Refusal.OUTSIDE_REGIONS)
    if c.i_was_previous_owner:
        ends = cooldown_ends(c.entered_pool_at, limits.cooldown_days, now)
        if ends is not None and now.date() < ends:
            out.append(Refusal.COOLDOWN)
    if who.held >= limits.holding_cap:
        out.append(Refusal.HOLDING_CAP)
    if who.claimed_today >= limits.daily_quota:
        out.append(Refusal.DAILY_QUOTA)
    return out


def over_cap(held: int, adding: int, limits: Limits) -> bool:
    """Would receiving ``adding`` more customers put a salesperson above the holding cap?"""
    return held + adding > limits.holding_cap
