"""Plain rules of the order documents (订单确认, 定金收据, 合同, 首付) — no Django import.

- ``rmb_capitals(fen)``: an amount in Chinese capitals (人民币大写) as written on receipts and
  contracts: 368000.00 → 叁拾陆万捌仟元整, 1001.05 → 壹仟零壹元零伍分, 20000000.10 → 贰仟万元零壹角.
  Conventions: one 零 for any run of zeros inside the number (and across an empty 万 group);
  a leading 壹拾 is written 拾 (10 → 拾元整); 整 only when there are no 角 and 分; a 零 after 元 when
  the yuan end in 0 and 角 follow, or when 分 follow with no 角.
- ``document_number(prefix, year, seq)``: DD/SJ/HT{year}{seq:05d}.
- ``is_late`` / ``reminder_kind``: the down payment's late decision and its reminders.
"""

from __future__ import annotations

import datetime as dt

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿")
MAX_FEN = 10**14 - 1  # below one trillion yuan (万亿): more than any invoice of this trade

# Number series: one per company, kind and year.
ORDER, RECEIPT, CONTRACT = "DD", "SJ", "HT"
REMIND_DAYS_BEFORE = 3


def _integer_words(n: int) -> str:
    digits = [int(c) for c in str(n)]
    out: list[str] = []
    zero = False
    length = len(digits)
    for idx, d in enumerate(digits):
        pos = length - 1 - idx
        unit, group = pos % 4, pos // 4
        if d == 0:
            zero = True
        else:
            if zero and out:
                out.append("零")
            zero = False
            out.append(DIGITS[d] + UNITS[unit])
        if unit == 0 and group > 0:
            start = max(0, idx - 3)
            if any(digits[start : idx + 1]):
                out.append(GROUPS[group])
    text = "".join(out)
    if text.startswith("壹拾"):
        text = text[1:]
    return text


def rmb_capitals(fen: int) -> str:
    """An amount in fen (integer, ≥ 0) in Chinese capitals (人民币大写)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amount in fen must be an int")
    if fen < 0:
        raise ValueError("amount must not be negative")
    if fen > MAX_FEN:
        raise ValueError("amount too large")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    parts = []
    if yuan:
        parts.append(_integer_words(yuan) + "元")
    if cents == 0:
        parts.append("整")
    elif jiao:
        if yuan and yuan % 10 == 0:
            parts.append("零")
        parts.append(DIGITS[jiao] + "角")
        if fen_digit:
            parts.append(DIGITS[fen_digit] + "分")
    else:
        if yuan:
            parts.append("零")
        parts.append(DIGITS[fen_digit] + "分")
    return "".join(parts)


def yuan_text(fen: int) -> str:
    """¥368,000.00 — the figure printed next to the capitals."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def document_number(prefix: str, year: int, seq: int) -> str:
    if seq < 1 or seq > 99999:
        raise ValueError("sequence out of range")
    return f"{prefix}{year}{seq:05d}"


def is_late(received_on: dt.date, due: dt.date | None) -> bool:
    """A payment received after its due date (on the day is in time)."""
    return due is not None and received_on > due


def reminder_kind(today: dt.date, due: dt.date | None, outstanding_fen: int) -> str | None:
    """Which reminder of the down payment is due today: "soon" in the three days before the due
    date, "due" on the day, "late" after it; None when paid in full or far from the date."""
    if due is None or outstanding_fen <= 0:
        return None
    days = (due - today).days
    if days == 0:
        return "due"
    if 0 < days <= REMIND_DAYS_BEFORE:
        return "soon"
    if days < 0:
        return "late"
    return None


def check_amounts(
    *, price_fen: int, deposit_fen: int, down_payment_fen: int, deposit_due, down_payment_due, delivery_on, today
) -> dict[str, str]:
    """The order's figures checked together; returns {field: rule code} (empty when right)."""
    errors: dict[str, str] = {}
    if price_fen <= 0:
        errors["price_fen"] = "price_missing"
    if deposit_fen < 0:
        errors["deposit_fen"] = "negative"
    elif price_fen > 0 and deposit_fen > price_fen:
        errors["deposit_fen"] = "above_price"
    if down_payment_fen < 0:
        errors["down_payment_fen"] = "negative"
    elif price_fen > 0 and down_payment_fen > price_fen:
        errors["down_payment_fen"] = "above_price"
    if delivery_on is not None and delivery_on < today:
        errors["delivery_on"] = "past"
    if deposit_due and down_payment_due and down_payment_due < deposit_due:
        errors["down_payment_due"] = "before_deposit"
    if delivery_on and down_payment_due and down_payment_due > delivery_on:
        errors.setdefault("down_payment_due", "after_delivery")
    if delivery_on and deposit_due and deposit_due > delivery_on:
        errors["deposit_due"] = "after_delivery"
    return errors
