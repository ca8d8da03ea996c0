"""Plain rules of the order documents: amounts in Chinese capitals (人民币大写), numbering, the
down payment's late decision and reminders — known answers and properties (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.domain.documents import (
    MAX_FEN,
    check_amounts,
    document_number,
    is_late,
    reminder_kind,
    rmb_capitals,
    yuan_text,
)

KNOWN = [
    (0, "零元整"),
    (1, "壹分"),
    (10, "壹角"),
    (15, "壹角伍分"),
    (100, "壹元整"),
    (1_000, "拾元整"),
    (1_005, "拾元零伍分"),
    (1_500, "拾伍元整"),
    (10_000, "壹佰元整"),
    (10_010, "壹佰元零壹角"),
    (100_105, "壹仟零壹元零伍分"),
    (1_000_000, "壹万元整"),
    (1_010_000, "壹万零壹佰元整"),
    (10_000_000, "拾万元整"),
    (10_001_000, "拾万零壹拾元整"),
    (36_800_000, "叁拾陆万捌仟元整"),
    (36_800_050, "叁拾陆万捌仟元零伍角"),
    (100_000_000, "壹佰万元整"),
    (2_000_000_010, "贰仟万元零壹角"),
    (10_000_000_000, "壹亿元整"),
    (10_001_000_000, "壹亿零壹万元整"),
    (11_000_000_000, "壹亿壹仟万元整"),
    (12_345_678_912, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
]


@pytest.mark.parametrize(("fen", "words"), KNOWN)
def test_known_answers(fen, words):
    assert rmb_capitals(fen) == words


DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(text: str) -> int:
    """An independent reader of the capitals back into fen (for the round-trip property)."""
    if text == "零元整":
        return 0
    yuan_part, fen = text, 0
    if "元" in text:
        yuan_part, rest = text.split("元")
    else:
        yuan_part, rest = "", text
    rest = rest.removeprefix("零").removesuffix("整")
    if "角" in rest:
        jiao, rest = rest.split("角")
        fen += DIGITS[jiao] * 10
    if "分" in rest:
        fen += DIGITS[rest.removesuffix("分")]
    total, section, number = 0, 0, 0
    for ch in yuan_part:
        if ch in DIGITS:
            number = DIGITS[ch]
        elif ch in UNITS:
            section += (number or 1) * UNITS[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif ch == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
    total += section + number
    return total * 100 + fen


amounts = st.integers(min_value=0, max_value=MAX_FEN)


@given(amounts)
def test_round_trip(fen):
    assert parse_capitals(rmb_capitals(fen)) == fen


@given(amounts)
def test_shape(fen):
    words = rmb_capitals(fen)
    assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert "零零" not in words
    assert words.endswith("整") == (fen % 100 == 0)
    assert ("元" in words) == (fen >= 100 or fen == 0)
    assert not words.startswith("零") or words == "零元整"
    assert not words.startswith("壹拾")
    assert "零元" not in words or words == "零元整"
    assert "零万" not in words and "零亿" not in words


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_whole_yuan_are_the_same_words_plus_the_cents(fen):
    whole = fen - fen % 100
    if whole and fen % 100:
        assert rmb_capitals(fen).startswith(rmb_capitals(whole).removesuffix("整"))


def test_refuses_bad_amounts():
    with pytest.raises(ValueError):
        rmb_capitals(-1)
    with pytest.raises(ValueError):
        rmb_capitals(MAX_FEN + 1)
    with pytest.raises(TypeError):
        rmb_capitals(1.5)


def test_yuan_text():
    assert yuan_text(36_800_000) == "¥368,000.00"
    assert yuan_text(100_105) == "¥1,001.05"


@given(st.sampled_from(["DD", "SJ", "HT"]), st.integers(2000, 2099), st.integers(1, 99999))
def test_numbers_sort_with_their_sequence(prefix, year, seq):
    number = document_number(prefix, year, seq)
    assert number.startswith(f"{prefix}{year}") and len(number) == len(prefix) + 9
    assert int(number[-5:]) == seq
    if seq < 99999:
        assert document_number(prefix, year, seq + 1) > number


def test_number_out_of_range():
    with pytest.raises(ValueError):
        document_number("HT", 2026, 100000)


def test_late_is_after_the_due_date():
    due = dt.date(2026, 5, 10)
    assert not is_late(due, due)
    assert is_late(due + dt.timedelta(days=1), due)
    assert not is_late(due + dt.timedelta(days=100), None)


@given(st.dates(), st.integers(-30, 30), st.integers(0, 10**8))
def test_reminder_kinds(due, offset, outstanding):
    today = due - dt.timedelta(days=offset)
    kind = reminder_kind(today, due, outstanding)
    if outstanding == 0:
        assert kind is None
    elif offset == 0:
        assert kind == "due"
    elif 1 <= offset <= 3:
        assert kind == "soon"
    elif offset < 0:
        assert kind == "late"
    else:
        assert kind is None


def test_check_amounts_codes():
    today = dt.date(2026, 5, 1)
    ok = dict(
        price_fen=100,
        deposit_fen=10,
        down_payment_fen=30,
        deposit_due=today,
        down_payment_due=today,
        delivery_on=today,
        today=today,
    )
    assert check_amounts(**ok) == {}
    assert check_amounts(**(ok | {"deposit_fen": 101}))["deposit_fen"] == "above_price"
    assert check_amounts(**(ok | {"down_payment_fen": 101}))["down_payment_fen"] == "above_price"
    assert check_amounts(**(ok | {"delivery_on": today - dt.timedelta(days=1)}))["delivery_on"] == "past"
    inverted = ok | {
        "deposit_due": today + dt.timedelta(days=2),
        "down_payment_due": today + dt.timedelta(days=1),
        "delivery_on": today + dt.timedelta(days=5),
    }
    assert check_amounts(**inverted)["down_payment_due"] == "before_deposit"
    late = ok | {"down_payment_due": today + dt.timedelta(days=9), "delivery_on": today + dt.timedelta(days=5)}
    assert check_amounts(**late)["down_payment_due"] == "after_delivery"
    assert check_amounts(**(ok | {"price_fen": 0}))["price_fen"] == "price_missing"
