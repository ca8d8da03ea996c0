"""Machine release, the delivery ceremony's auspicious days and what follows delivery — plain Python.

No Django here: ``orders/delivery.py`` reads the database and the almanac library (cnlunar) and
asks these functions for the decisions.

- ``release_blockers``: the machine may leave the yard only when it is assigned, the contract is
  signed, the down payment is received in full, the instalment dossier is complete and the
  preparation checklist is done; every unmet condition is named, in a fixed order.
- ``auspicious_days``: from the almanac's 宜 (good for) and 忌 (avoid) lists per day, the days good
  for trading or signing (``WANTED_ACTIVITIES``) and not to be avoided for any of them, in date
  order, with the lucky double-hours (吉时) of the daytime.
- ``first_maintenance``: the first maintenance is due at ``FIRST_MAINTENANCE_HOURS`` working hours
  or ``FIRST_MAINTENANCE_DAYS`` days after delivery, whichever comes first (with an expected daily
  use, the hours give a date too); the reminder goes ``REMIND_DAYS_BEFORE`` days before.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# --- configurable constants ---------------------------------------------------------------------

# Activities (as the almanac names them) that make a day good for handing over a machine: a sale is
# a trade (交易), a deed signed (立券), money received (纳财), a business opened (开市). The almanac
# also writes compounds ("立券交易", "开市立券"): an entry counts when it contains one of these.
WANTED_ACTIVITIES: tuple[str, ...] = ("交易", "立券", "纳财", "开市")
SUGGESTION_DAYS = 30  # the ceremony page looks this many days ahead
FOLLOW_UP_DAYS = 3  # the follow-up visit happens within this many days of delivery
FIRST_MAINTENANCE_HOURS = Decimal(50)  # working hours after delivery …
FIRST_MAINTENANCE_DAYS = 30  # … or days after delivery, whichever comes first
REMIND_DAYS_BEFORE = 7  # the first-maintenance to-do is due this many days before
# The delivery list (随机附件) checked item by item during preparation; editable per order.
DEFAULT_ACCESSORIES: tuple[str, ...] = ("随机工具箱", "黄油枪", "操作保养手册", "产品合格证", "备用钥匙", "灭火器")
MAX_ACCESSORIES = 40

# The twelve double-hours (时辰) with their clock hours; 子 spans midnight. cnlunar lists 13 entries
# per day (子 at the start of the day … 亥, then the late 子 of 23:00).
BRANCHES: tuple[tuple[str, int, int], ...] = (
    ("子", 23, 1),
    ("丑", 1, 3),
    ("寅", 3, 5),
    ("卯", 5, 7),
    ("辰", 7, 9),
    ("巳", 9, 11),
    ("午", 11, 13),
    ("未", 13, 15),
    ("申", 15, 17),
    ("酉", 17, 19),
    ("戌", 19, 21),
    ("亥", 21, 23),
)
# A ceremony happens in the daytime: 辰 (07–09) to 申 (15–17).
DAYTIME_BRANCHES: frozenset[str] = frozenset({"辰", "巳", "午", "未", "申"})


# --- release gate ----------------------------------------------------------------------------------


class Blocker(StrEnum):
    """An unmet condition for the machine to leave (in the order they are reported)."""

    NO_MACHINE = "no_machine"
    CONTRACT = "contract"
    DOWN_PAYMENT = "down_payment"
    DOSSIER = "dossier"
    PREPARATION = "preparation"


def release_blockers(
    *,
    machine_assigned: bool,
    contract_signed: bool,
    down_payment_fen: int,
    down_payment_received_fen: int,
    dossier_complete: bool,
    preparation_complete: bool,
) -> tuple[Blocker, ...]:
    """Every unmet condition of the release gate; empty when the machine may depart."""
    out = []
    if not machine_assigned:
        out.append(Blocker.NO_MACHINE)
    if not contract_signed:
        out.append(Blocker.CONTRACT)
    if down_payment_received_fen < down_payment_fen:
        out.append(Blocker.DOWN_PAYMENT)
    if not dossier_complete:
        out.append(Blocker.DOSSIER)
    if not preparation_complete:
        out.append(Blocker.PREPARATION)
    return tuple(out)


# --- auspicious days -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlmanacDay:
    """What the almanac says about one day: 宜, 忌 and whether each double-hour is lucky (吉)."""

    day: dt.date
    good: tuple[str, ...]  # 宜
    bad: tuple[str, ...]  # 忌
    lucky: tuple[bool, ...] = ()  # per BRANCHES (子 … 亥); empty when the library gives none


@dataclass(frozen=True)
class LuckyHour:
    branch: str  # 巳
    start: int  # 9
    end: int  # 11

    @property
    def label(self) -> str:
        return f"{self.branch}时 {self.start:02d}:00–{self.end:02d}:00"


@dataclass(frozen=True)
class Suggestion:
    day: dt.date
    matched: tuple[str, ...]  # the wanted 宜 entries of the day
    lucky_hours: tuple[LuckyHour, ...]  # daytime lucky double-hours


def matches(entry: str, wanted: Sequence[str]) -> bool:
    """Does an almanac entry ("立券交易") name one of the wanted activities?"""
    return any(w and w in entry for w in wanted)


def lucky_hours(lucky: Sequence[bool], *, daytime: frozenset[str] = DAYTIME_BRANCHES) -> tuple[LuckyHour, ...]:
    return tuple(
        LuckyHour(name, start, end)
        for (name, start, end), good in zip(BRANCHES, lucky, strict=False)
        if good and name in daytime
    )


def is_auspicious(day: AlmanacDay, wanted: Sequence[str] = WANTED_ACTIVITIES) -> bool:
    """Good for at least one wanted activity, to be avoided for none of them."""
    return any(matches(e, wanted) for e in day.good) and not any(matches(e, wanted) for e in day.bad)


def auspicious_days(
    days: Iterable[AlmanacDay],
    *,
    wanted: Sequence[str] = WANTED_ACTIVITIES,
    daytime: frozenset[str] = DAYTIME_BRANCHES,
) -> list[Suggestion]:
    """The auspicious days among ``days``, each once (the first entry of a day decides), in date order."""
    seen: set[dt.date] = set()
    out: list[Suggestion] = []
    for d in days:
        if d.day in seen:
            continue
        seen.add(d.day)
        if is_auspicious(d, wanted):
            out.append(
                Suggestion(
                    day=d.day,
                    matched=tuple(e for e in d.good if matches(e, wanted)),
                    lucky_hours=lucky_hours(d.lucky, daytime=daytime),
                )
            )
    return sorted(out, key=lambda s: s.day)


# --- after delivery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaintenanceDue:
    due_on: dt.date  # the date it is due (by days, or by hours at the expected use)
    due_hours: Decimal  # the hour-meter reading at which it is due
    remind_on: dt.date  # when the salesperson and the engineer are reminded


def first_maintenance(
    delivered_on: dt.date,
    hour_meter: Decimal,
    *,
    daily_hours: Decimal | None = None,
    hours: Decimal = FIRST_MAINTENANCE_HOURS,
    days: int = FIRST_MAINTENANCE_DAYS,
    remind_before: int = REMIND_DAYS_BEFORE,
) -> MaintenanceDue:
    """The first maintenance: at ``hours`` more on the hour meter or ``days`` after delivery,
    whichever first; with an expected daily use the hours become a date. Reminder ``remind_before``
    days ahead, never before the delivery day."""
    due_on = delivered_on + dt.timedelta(days=days)
    if daily_hours is not None and daily_hours > 0:
        by_hours = delivered_on + dt.timedelta(days=math.ceil(hours / Decimal(daily_hours)))
        due_on = min(due_on, by_hours)
    remind_on = max(delivered_on, due_on - dt.timedelta(days=remind_before))
    return MaintenanceDue(due_on=due_on, due_hours=Decimal(hour_meter) + hours, remind_on=remind_on)


def follow_up_due(delivered_on: dt.date, *, days: int = FOLLOW_UP_DAYS) -> dt.date:
    return delivered_on + dt.timedelta(days=days)
