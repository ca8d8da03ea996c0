"""Customer rules as plain Python (no Django): phone normalisation, intent grades, search keys."""

from __future__ import annotations

import unicodedata

import phonenumbers
from pypinyin import Style, lazy_pinyin

# Intent grade (日报分类): 9 about to buy, 6 and 3 prospects to push, 1 need without timing,
# 0 not a buyer but an industry contact worth recording.
INTENT_GRADES = (9, 6, 3, 1, 0)
PROSPECT_GRADES = (9, 6, 3)


class InvalidPhone(ValueError):
    pass


_SPACES = {"\u3000": " ", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200b": "", "\ufeff": ""}


def halfwidth(raw: str) -> str:
    """Full-width digits and Latin letters to ASCII, odd spaces to plain ones — and nothing else.

    Chinese punctuation (，。：（）) stays as typed: NFKC would turn "，" into ",".
    """
    out = []
    for ch in raw or "":
        o = ord(ch)
        if 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A:
            out.append(chr(o - 0xFEE0))
        else:
            out.append(_SPACES.get(ch, ch))
    return "".join(out)


def clean_text(raw: str) -> str:
    """Free text as a person typed it: full-width digits and letters made half-width, stray and
    non-breaking spaces removed at both ends; Chinese punctuation kept."""
    return halfwidth(raw).strip()


def normalize_mobile(raw: str, region: str = "CN") -> str:
    """A Chinese mobile number as its 11 national digits, e.g. '+86 138-1234-5678' -> '13812345678'.

    Accepts full-width digits, spaces, dashes and a +86/0086 prefix. Raises InvalidPhone for
    anything that is not a valid mobile number of the region.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()  # codes: every full-width form to ASCII
    text = text.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if not text:
        raise InvalidPhone("empty")
    if any(ch.isalpha() for ch in text):
        # phonenumbers would read letters as a keypad word (138abcd5678) or an extension ("ext 2")
        raise InvalidPhone("letters")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("invalid")
    if phonenumbers.region_code_for_number(number) != region:
        raise InvalidPhone("not a number of the region")  # e.g. +1 650 253 0000, +852 5123 4567
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhone("not a mobile number")
    return str(number.national_number)


def mask_mobile(mobile: str) -> str:
    """138****5678."""
    if len(mobile) != 11:
        return mobile
    return mobile[:3] + "****" + mobile[-4:]


def pinyin_initials(name: str) -> str:
    """'张建国' -> 'zjg'; latin letters kept, other characters dropped."""
    letters = lazy_pinyin(clean_text(name), style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for ch in "".join(letters).lower() if ch.isascii() and ch.isalpha())


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """Check character of a mainland resident ID number (GB 11643), from its first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def valid_id_number(value: str) -> bool:
    value = value.strip().upper()
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return id_check_digit(value[:17]) == value[17]
