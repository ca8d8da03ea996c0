"""Classification dimensions of a customer (客户分类体现维度)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WorkType(StrEnum):
    MINING = "mining"  # 矿山类: large, own machines, machine = production tool
    ENGINEERING = "engineering"  # 工程类: machine = investment earning rent


class EngineeringKind(StrEnum):
    ROADS_BRIDGES = "roads_bridges"  # 路桥
    WATER = "water"  # 水利
    MUNICIPAL = "municipal"  # 市政
    LANDSCAPING = "landscaping"  # 园林
    BUILDING = "building"  # 建筑


class Use(StrEnum):
    OWN_USE = "own_use"  # 自用类
    RENTAL = "rental"  # 租赁类


class Scale(StrEnum):
    """规模实力, smallest first."""

    INDIVIDUAL = "individual"  # 个体户: 1–2 people, 1–2 machines, one decides fast
    TEAM = "team"  # 工程队: 5–10 partners, 5–15 machines, decide together
    SELF_OPERATED = "self_operated"  # 自营工程公司: e.g. mine owner, own projects only
    CONTRACTOR = "contractor"  # 工程承建公司: tenders, technical + purchasing approval


SCALE_ORDER = {s: i for i, s in enumerate(Scale, start=1)}  # individual 1 … contractor 4

LEVELS = (1, 2, 3, 4, 5)  # the ordinal scale of the further dimensions: 1 very weak … 5 very strong
MID_LEVEL = 3

# The further dimensions (分类体现维度), each on LEVELS.
DIMENSIONS = (
    "capital",  # 资金实力
    "experience",  # 行业经验
    "winning",  # 揽活能力
    "decision",  # 决策能力
    "influence",  # 影响力
    "susceptibility",  # 被影响力
)


@dataclass(frozen=True)
class Profile:
    """What the sensitivity presets read of a customer. Unknown dimensions count as the middle."""

    scale: Scale | None = None
    capital: int | None = None
    experience: int | None = None
    winning: int | None = None
    decision: int | None = None
    influence: int | None = None
    susceptibility: int | None = None
    work_type: WorkType | None = None
    use: Use | None = None

    def level(self, dimension: str) -> float:
        """The dimension as a number centred on 0 (−2 … +2); scale maps onto the same range."""
        if dimension == "scale":
            if self.scale is None:
                return 0.0
            # individual −2, team −0.67, self-operated +0.67, contractor +2
            return (SCALE_ORDER[self.scale] - 2.5) * 4 / 3
        value = getattr(self, dimension)
        if value is None:
            return 0.0
        if value not in LEVELS:
            raise ValueError(f"{dimension} must be one of {LEVELS}, not {value!r}")
        return float(value - MID_LEVEL)


def segment_key(work_type: str | None, engineering_kind: str | None, scale: str | None) -> str:
    """The segment of target positioning (客户定位): 'engineering/municipal/individual', 'mining//team'."""
    kind = engineering_kind if work_type == WorkType.ENGINEERING else ""
    return f"{work_type or ''}/{kind or ''}/{scale or ''}"
