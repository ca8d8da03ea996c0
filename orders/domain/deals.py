"""The deal pipeline (商机) as plain Python (no Django): the default stages, the entry conditions
(gates) a deal must meet to enter a stage, how far the facts let a deal go, time in stage and the
funnel's conversion. ``orders.deals`` reads the database into these shapes.

A pipeline is a list of stage gates in stage order, e.g. ``["", "quote", "order_confirmed", …]``.
A deal may enter stage *i* only when the gates of every stage up to and including *i* are met:
skipping a gated step is refused naming the first unmet gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# gate codes (orders.models.Gate)
NONE = ""
QUOTE = "quote"
ORDER_CONFIRMED = "order_confirmed"
DEPOSIT = "deposit"
CONTRACT_SIGNED = "contract_signed"
DOWN_PAYMENT = "down_payment"
DOSSIER = "dossier"
MACHINE_READY = "machine_ready"
DELIVERED = "delivered"

GATES = (QUOTE, ORDER_CONFIRMED, DEPOSIT, CONTRACT_SIGNED, DOWN_PAYMENT, DOSSIER, MACHINE_READY, DELIVERED)


@dataclass(frozen=True)
class StageSpec:
    code: str
    name: str
    gate: str
    won: bool = False


# The method's pipeline (SPEC §5), installed per company on first use; configurable in the admin.
DEFAULT_STAGES: tuple[StageSpec, ...] = (
    StageSpec("intent", "意向", NONE),
    StageSpec("quote", "报价", QUOTE),
    StageSpec("order", "订单确认", ORDER_CONFIRMED),
    StageSpec("deposit", "定金", DEPOSIT),
    StageSpec("contract", "合同", CONTRACT_SIGNED),
    StageSpec("down_payment", "首付", DOWN_PAYMENT),
    StageSpec("dossier", "分期资料", DOSSIER),
    StageSpec("delivery_prep", "整备运输", MACHINE_READY),
    StageSpec("delivered", "已交车", DELIVERED, won=True),
)


def met(gate: str, facts: Mapping[str, bool]) -> bool:
    """A gate is met when it is empty or the fact of that name is true (an unknown fact is unmet)."""
    return not gate or bool(facts.get(gate, False))


def first_unmet(gates: Sequence[str], facts: Mapping[str, bool], target: int) -> str | None:
    """The first gate of stages 0…target that is not met, or None when the deal may enter ``target``."""
    if not 0 <= target < len(gates):
        raise IndexError(target)
    for gate in gates[: target + 1]:
        if not met(gate, facts):
            return gate
    return None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    gate: str | None = None  # the first unmet gate when refused
    backwards: bool = False


def allowed(gates: Sequence[str], facts: Mapping[str, bool], target: int, *, current: int | None = None) -> Verdict:
    """May a deal at stage ``current`` enter stage ``target``? Forward (or staying put): every gate up
    to the target must be met. Backwards is not decided here (the caller's permission), only flagged."""
    if current is not None and target < current:
        return Verdict(ok=False, backwards=True)
    gate = first_unmet(gates, facts, target)
    return Verdict(ok=gate is None, gate=gate)


def furthest(gates: Sequence[str], facts: Mapping[str, bool]) -> int:
    """The last stage index whose gate and every earlier gate are met (0 at least: the first stage
    is where every deal starts)."""
    reached = 0
    for i, gate in enumerate(gates):
        if not met(gate, facts):
            break
        reached = i
    return reached


def sync_target(gates: Sequence[str], facts: Mapping[str, bool], current: int) -> int:
    """Where ``deal_sync`` moves a deal at ``current``: forward to the furthest stage the facts allow,
    never backwards."""
    return max(current, furthest(gates, facts))


def path(current: int, target: int) -> list[int]:
    """The stages a forward move passes through, the target included (each gets a stay)."""
    return list(range(current + 1, target + 1))


def dossier_needed(policy_source: str | None) -> bool:
    """The instalment dossier is skipped for a full-payment order (or one without a policy)."""
    return bool(policy_source) and policy_source != "full_payment"


def down_payment_met(received_fen: int, due_fen: int) -> bool:
    """The down payment is received in full (part payments add up); nothing due counts as met."""
    return received_fen >= due_fen


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    """Days (fractional, never negative) from ``start`` to ``end``."""
    return max(0.0, (end - start).total_seconds() / 86400)


def conversion(reached: Sequence[int]) -> list[float | None]:
    """Per stage, the share (%) of the deals that reached it which reached the next one; None for
    the last stage or when nobody reached the stage."""
    out: list[float | None] = []
    for i, n in enumerate(reached):
        if i + 1 >= len(reached) or not n:
            out.append(None)
        else:
            out.append(round(100 * reached[i + 1] / n, 1))
    return out
