"""Customer rules (customers/rules.py) as properties: mobile numbers, ID-card numbers, pinyin initials."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from customers import rules

# Long-established mainland mobile prefixes (China Mobile 134-139/150-152/157-159/182-188,
# China Unicom 130-132/155-156/185-186, China Telecom 133/153/180/181/189).
MOBILE_PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
MOBILE_PREFIXES += [f"18{d}" for d in range(10)]

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}  # ０１２…９

national = st.builds(
    lambda p, rest: p + rest, st.sampled_from(MOBILE_PREFIXES), st.text("0123456789", min_size=8, max_size=8)
)


@st.composite
def sloppy(draw, number: str) -> str:
    """The same number as people type it: +86/0086, spaces, dashes, full-width digits."""
    chars = [FULL_WIDTH[c] if draw(st.booleans()) else c for c in number]
    out = ""
    for ch in chars:
        out += ch
        out += draw(st.sampled_from(["", "", "", " ", "-", "\u3000", "－"]))  # ideographic space, full-width dash
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086 ", "+86-", "＋８６ "]))
    return (
        draw(st.sampled_from(["", " "]))
        + prefix
        + out.rstrip(" -\u3000－")
        + draw(st.sampled_from(["", " ", "\u00a0"]))
    )


@given(data=st.data(), number=national)
def test_normalize_mobile_returns_the_eleven_national_digits(data, number):
    typed = data.draw(sloppy(number))
    assert rules.normalize_mobile(typed) == number


@given(number=national)
def test_normalize_mobile_is_idempotent(number):
    once = rules.normalize_mobile(number)
    assert rules.normalize_mobile(once) == once and len(once) == 11 and once.isdigit()


@given(number=national, cut=st.integers(min_value=1, max_value=4))
def test_too_short_or_too_long_is_rejected(number, cut):
    with pytest.raises(rules.InvalidPhone):
        rules.normalize_mobile(number[:-cut])
    with pytest.raises(rules.InvalidPhone):
        rules.normalize_mobile(number + "0" * cut)


@given(second=st.sampled_from("012"), rest=st.text("0123456789", min_size=9, max_size=9))
def test_eleven_digits_that_no_mobile_network_uses_are_rejected(second, rest):
    with pytest.raises(rules.InvalidPhone):
        rules.normalize_mobile("1" + second + rest)


@given(
    area=st.sampled_from(["010", "021", "0531", "0532", "0539", "020"]),
    rest=st.text("0123456789", min_size=7, max_size=8),
)
def test_landline_numbers_are_rejected(area, rest):
    with pytest.raises(rules.InvalidPhone):
        rules.normalize_mobile(f"{area}-{rest}")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "手机号",
        "138abcd5678",
        "+1 650 253 0000",
        "+44 7911 123456",
        "+852 5123 4567",
        "00852 51234567",
        "13812345678 ext 2",
        "12345",
    ],
)
def test_non_mobile_input_is_rejected(typed):
    with pytest.raises(rules.InvalidPhone):
        rules.normalize_mobile(typed)


def test_mask_mobile():
    assert rules.mask_mobile("13812345678") == "138****5678"


# --- ID-card numbers (GB 11643, ISO 7064 MOD 11-2) ----------------------------------------------------


def iso7064_check(first17: str) -> str:
    """Independent statement of the check character: weight of position i (from the right, the check
    character being position 1) is 2**(i-1) mod 11; the check value makes the weighted sum 1 mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


birthdays = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31))
first17s = st.builds(
    lambda area, born, seq: f"{area}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(["110101", "370102", "370203", "371302", "440305", "510104"]),
    birthdays,
    st.integers(min_value=0, max_value=999),
)


@given(first17=first17s)
def test_id_check_digit_follows_iso_7064(first17):
    assert rules.id_check_digit(first17) == iso7064_check(first17)
    number = first17 + rules.id_check_digit(first17)
    assert rules.valid_id_number(number)
    assert rules.valid_id_number(" " + number.lower() + " ")  # a lower-case x is the same number


@given(first17=first17s, position=st.integers(min_value=0, max_value=17), data=st.data())
def test_any_single_character_change_is_detected(first17, position, data):
    number = first17 + rules.id_check_digit(first17)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet))
    assume(replacement != number[position])
    changed = number[:position] + replacement + number[position + 1 :]
    assert not rules.valid_id_number(changed)


def test_known_id_numbers():
    assert rules.valid_id_number("11010519491231002X")  # the example of GB 11643
    assert not rules.valid_id_number("110105194912310021")
    assert not rules.valid_id_number("11010519491231002")  # 17 characters
    assert not rules.valid_id_number("1101051949123100XX")
    assert not rules.valid_id_number("")


# --- pinyin initials ----------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鑫达顺通丰宏远大锤土石方工程机械有限公司挖掘"
)
names = st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES), st.text(GIVEN, min_size=1, max_size=3))


@given(name=names)
def test_pinyin_initials_are_one_lowercase_ascii_letter_per_character(name):
    initials = rules.pinyin_initials(name)
    assert initials.isascii() and initials.isalpha() and initials == initials.lower()
    assert len(initials) == len(name)


@given(name=names, noise=st.text(" 　·()（）-0123456789の", max_size=4))
def test_pinyin_initials_ignore_everything_but_letters(name, noise):
    assert rules.pinyin_initials(name + noise) == rules.pinyin_initials(name)


@pytest.mark.parametrize(
    ("name", "initials"),
    [("张建国", "zjg"), ("济南鑫达", "jnxd"), ("Ｌｉｕ 德华", "liudh"), ("三一SANY", "sysany"), ("重庆", "cq")],
)
def test_pinyin_initials_examples(name, initials):
    assert rules.pinyin_initials(name) == initials


@given(number=national, position=st.integers(min_value=0, max_value=10), letter=st.sampled_from("abcdlOoxXＡ"))
def test_a_letter_in_place_of_a_digit_is_rejected_not_guessed(number, position, letter):
    with pytest.raises(rules.InvalidPhone):
        rules.normalize_mobile(number[:position] + letter + number[position + 1 :])


def test_free_text_keeps_chinese_punctuation_but_not_full_width_digits():
    from customers.rules import clean_text

    assert clean_text("\u3000在矿上干活，对挖掘力要求高（急）：１３８号 ") == "在矿上干活，对挖掘力要求高（急）：138号"
