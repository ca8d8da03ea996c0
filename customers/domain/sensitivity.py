"""The need-sensitivity model (敏感性评估模型), SPEC §1.

For each need point (需求点) of a customer: the expected target (预期目标, 0–100) and what we can
actually deliver (实际能满足, 0–100). Pressure difference (压差) = expected − deliverable; the
larger it is, the more sensitive the customer is on that need. Needs are split into key needs
(关键需求点: unmet, the deal cannot close) and additional needs (附加需求点: small effect on the
outcome, meeting them speeds the deal), and ranked by pressure within each stage.

Method: (1) preset the model from the classification, (2) verify each part with the customer,
(3) revise with new information, (4) repeat until accurate. Presets come from configurable
dimension rules (the deck's three "dimension → need" rules) and segment templates (the deck's
worked example); the reasons of every preset are kept so the page can say which rule produced it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .classification import Profile, Scale

SCORE_MIN, SCORE_MAX = 0, 100
BASE_EXPECTED = 50  # a need nobody has said anything about
DEFAULT_DELIVERABLE = 60  # what the dealer's main product and service deliver, until told otherwise


class Stage(StrEnum):
    KEY = "key"  # 关键需求点
    ADDITIONAL = "additional"  # 附加需求点


class State(StrEnum):
    PRESET = "preset"  # 预设: from the classification
    VERIFIED = "verified"  # 已求证: confirmed with the customer
    REVISED = "revised"  # 已修正: changed with new information, to verify again


class Source(StrEnum):
    PRESET = "preset"
    CONVERSATION = "conversation"  # 客户沟通
    COMPETITOR = "competitor"  # 客户认可的竞品数据


# The deck's need points (需求点), in its order. Configurable per dealer (NeedPoint rows).
DEFAULT_NEED_POINTS: tuple[tuple[str, str], ...] = (
    ("price", "价格"),
    ("policy", "商务政策"),
    ("residual", "残值"),
    ("performance", "性能"),
    ("digging", "挖掘力/效率"),
    ("comfort", "舒适性"),
    ("durability", "牢固性"),
    ("adaptability", "场地适应性"),
    ("cost_performance", "性价比"),
    ("service_timeliness", "服务·及时性"),
    ("service_cost", "服务·费用"),
    ("service_commitment", "服务·承诺"),
    ("reputation", "口碑"),
    ("brand", "品牌"),
    ("salesperson", "业务员"),
    ("company", "公司"),
    ("product", "产品"),
)


def clamp(value: float) -> int:
    return int(max(SCORE_MIN, min(SCORE_MAX, round(value))))


def pressure(expected: int, deliverable: int) -> int:
    """压差: how far what we deliver falls short of what the customer expects (negative: exceeded)."""
    for name, v in (("expected", expected), ("deliverable", deliverable)):
        if not SCORE_MIN <= v <= SCORE_MAX:
            raise ValueError(f"{name} must be between {SCORE_MIN} and {SCORE_MAX}, not {v}")
    return expected - deliverable


# --- presets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    dimension: str  # "scale", "capital", "experience", "winning", "decision", "influence", "susceptibility"
    need: str
    slope: float  # points of expected target per level above the middle (negative: less sensitive)


@dataclass(frozen=True)
class DimensionRule:
    code: str
    title: str
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class Condition:
    """A range on one dimension (levels), or a set of scales."""

    dimension: str
    min_level: int | None = None
    max_level: int | None = None
    scales: frozenset[Scale] = frozenset()

    def holds(self, profile: Profile) -> bool:
        if self.dimension == "scale":
            return profile.scale is not None and profile.scale in self.scales
        value = getattr(profile, self.dimension)
        if value is None:
            return False
        return (self.min_level is None or value >= self.min_level) and (
            self.max_level is None or value <= self.max_level
        )


@dataclass(frozen=True)
class Template:
    """A segment preset (预设模型): when every condition holds, these needs are key / additional."""

    code: str
    title: str
    conditions: tuple[Condition, ...]
    key: tuple[str, ...]
    additional: tuple[str, ...]

    def matches(self, profile: Profile) -> bool:
        return all(c.holds(profile) for c in self.conditions)


# The deck's three rules (客户分类体现维度与需求点对应关系), as default dimension rules.
DEFAULT_RULES: tuple[DimensionRule, ...] = (
    DimensionRule(
        "scale_capital",
        "规模实力越大、资金越雄厚：对价格敏感性降低，对品牌敏感性上升；反之相反",
        (
            Effect("scale", "price", -6),
            Effect("capital", "price", -6),
            Effect("scale", "brand", 5),
            Effect("capital", "brand", 5),
        ),
    ),
    DimensionRule(
        "experience_winning",
        "行业经验越丰富、揽活能力越强：对性能（性价比）、服务及时性和承诺越敏感；反之降低，但对服务费用敏感上升",
        (
            Effect("experience", "performance", 5),
            Effect("winning", "performance", 5),
            Effect("experience", "cost_performance", 4),
            Effect("winning", "cost_performance", 4),
            Effect("experience", "service_timeliness", 5),
            Effect("winning", "service_timeliness", 5),
            Effect("experience", "service_commitment", 4),
            Effect("winning", "service_commitment", 4),
            Effect("experience", "service_cost", -6),
        ),
    ),
    DimensionRule(
        "influenced_reputation",
        "行业经验差、决策能力差则易被影响：对口碑敏感；反之相反",
        (
            Effect("experience", "reputation", -5),
            Effect("decision", "reputation", -5),
            Effect("susceptibility", "reputation", 5),
        ),
    ),
)

# The deck's worked example (预设模型举例).
DEFAULT_TEMPLATES: tuple[Template, ...] = (
    Template(
        "individual_short_of_money",
        "个体户—行业经验少、资金缺乏、揽活能力差",
        (
            Condition("scale", scales=frozenset({Scale.INDIVIDUAL})),
            Condition("experience", max_level=2),
            Condition("capital", max_level=2),
            Condition("winning", max_level=2),
        ),
        key=("price", "reputation"),
        additional=("service_cost", "performance", "cost_performance", "brand"),
    ),
)


@dataclass(frozen=True)
class Preset:
    need: str
    expected: int
    deliverable: int
    stage: Stage
    reasons: tuple[str, ...]  # rule / template titles that produced this preset


@dataclass(frozen=True)
class Settings:
    key_threshold: int = 15  # without a template: pressure at or above this makes a key need
    ready_threshold: int = 0  # a key need is met when its pressure is at or below this


def preset(
    profile: Profile,
    needs: Sequence[str],
    *,
    rules: Iterable[DimensionRule] = DEFAULT_RULES,
    templates: Iterable[Template] = DEFAULT_TEMPLATES,
    deliverable: dict[str, int] | None = None,
    settings: Settings = Settings(),
) -> list[Preset]:
    """Step 1 of the method: the model preset from the classification, with its reasons."""
    deliverable = deliverable or {}
    expected: dict[str, float] = {n: BASE_EXPECTED for n in needs}
    reasons: dict[str, list[str]] = {n: [] for n in needs}
    for rule in rules:
        for effect in rule.effects:
            if effect.need not in expected:
                continue
            delta = effect.slope * profile.level(effect.dimension)
            if delta:
                expected[effect.need] += delta
                if rule.title not in reasons[effect.need]:
                    reasons[effect.need].append(rule.title)
    template = next((t for t in templates if t.matches(profile)), None)
    out = []
    for n in needs:
        exp = clamp(expected[n])
        dlv = clamp(deliverable.get(n, DEFAULT_DELIVERABLE))
        why = list(reasons[n])
        if template is not None and n in template.key:
            stage = Stage.KEY
            # a template's key need is at least as pressing as the key threshold says
            exp = max(exp, clamp(dlv + settings.key_threshold))
            why.append(template.title)
        elif template is not None and n in template.additional:
            stage = Stage.ADDITIONAL
            why.append(template.title)
        elif template is None and pressure(exp, dlv) >= settings.key_threshold:
            stage = Stage.KEY
        else:
            stage = Stage.ADDITIONAL
        out.append(Preset(need=n, expected=exp, deliverable=dlv, stage=stage, reasons=tuple(why)))
    return out


# --- the model of one customer ---------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    need: str
    expected: int
    deliverable: int
    stage: Stage
    state: State = State.PRESET
    order: int = 0  # the need point's position in the configured list, for ties

    @property
    def pressure(self) -> int:
        return pressure(self.expected, self.deliverable)


@dataclass(frozen=True)
class Ranked:
    need: Need
    rank: int  # 1 = most sensitive, over all needs
    stage_rank: int  # 1 = most sensitive within its stage
    met: bool


def rank(needs: Iterable[Need], settings: Settings = Settings()) -> list[Ranked]:
    """Key needs first, then additional ones; within each, the larger pressure first."""
    ordered = sorted(needs, key=lambda n: (n.stage != Stage.KEY, -n.pressure, n.order, n.need))
    out, per_stage = [], {Stage.KEY: 0, Stage.ADDITIONAL: 0}
    for i, n in enumerate(ordered, start=1):
        per_stage[n.stage] += 1
        out.append(Ranked(need=n, rank=i, stage_rank=per_stage[n.stage], met=n.pressure <= settings.ready_threshold))
    return out


def accuracy(needs: Iterable[Need]) -> float | None:
    """Model accuracy: the share of key needs verified with the customer (None without key needs)."""
    key = [n for n in needs if n.stage == Stage.KEY]
    if not key:
        return None
    return sum(1 for n in key if n.state == State.VERIFIED) / len(key)


def closing_ready(needs: Iterable[Need], settings: Settings = Settings()) -> bool:
    """催单时机: every key need met (pressure at or below the threshold), and there is at least one."""
    key = [n for n in needs if n.stage == Stage.KEY]
    return bool(key) and all(n.pressure <= settings.ready_threshold for n in key)


def unmet_key_needs(needs: Iterable[Need], settings: Settings = Settings()) -> list[Need]:
    return [n for n in needs if n.stage == Stage.KEY and n.pressure > settings.ready_threshold]


@dataclass
class Change:
    """What a salesperson records for one need, and the state it leads to."""

    expected: int | None = None
    deliverable: int | None = None
    confirmed_with_customer: bool = False
    notes: list[str] = field(default_factory=list)


def next_state(current: State, *, values_changed: bool, confirmed_with_customer: bool) -> State:
    """Verify / revise: confirmed as it stands → verified; changed → revised (verify it again),
    unless the change itself was confirmed with the customer."""
    if values_changed:
        return State.VERIFIED if confirmed_with_customer else State.REVISED
    if confirmed_with_customer:
        return State.VERIFIED
    return current
