"""Grade-0 industry contacts (0类客户), SPEC §2 visit notes: what is recorded of each kind.

Plain Python, no Django import. What every contact has — name, mobile, area, address, reputation
(口碑), note — are columns of ``IndustryContact``; what only one kind has lives in its ``details``
JSON object and is described here: for each kind the list of its detail fields, each with a type

- ``text``  — one line of text (white space, line breaks included, collapsed to single spaces);
- ``int``   — a whole number within a range (age, years, people, machines…);
- ``money`` — an amount in yuan, stored as a Decimal string with two decimals ("12000.00"); input
  may be written "12,000", "¥12000", "1.2万" or "12000元";
- ``list``  — a list of one-line texts (one per line in a form), e.g. machines in stock with prices;

and its label (an English msgid, marked with ``gettext_noop`` so that makemessages extracts it; the
pages translate it when they show it).

``validate(kind, details)`` cleans a details dict and returns it with the field errors, each naming
the field with a msgid and its parameters. Empty values (None, "", []) remove the field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a msgid for extraction; the caller translates it where it is shown."""
    return message


class Kind(StrEnum):
    CONTRACTOR = "contractor"  # 工程承包商
    OPERATOR = "operator"  # 挖机手
    PARTS_SHOP = "parts_shop"  # 配件店
    REPAIR_SHOP = "repair_shop"  # 维修厂
    FLATBED = "flatbed"  # 平板车物流
    USED_TRADER = "used_trader"  # 二手市场
    OTHER_MACHINERY = "other_machinery"  # 非挖机设备老板


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"
    LIST = "list"


TEXT_MAX = 200
ITEM_MAX = 100
ITEMS_MAX = 30
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DetailField:
    name: str
    type: FieldType
    label: str  # msgid
    help: str = ""  # msgid
    min: int | None = None  # int and money
    max: int | None = None
    max_length: int = TEXT_MAX  # text: the whole value; list: each item
    max_items: int = ITEMS_MAX  # list

    def as_dict(self) -> dict:
        """The field as the API describes it (labels untranslated here)."""
        out: dict[str, Any] = {"name": self.name, "type": str(self.type), "label": self.label, "help": self.help}
        if self.type in (FieldType.INT, FieldType.MONEY):
            out |= {"min": self.min, "max": self.max}
        if self.type == FieldType.TEXT:
            out["max_length"] = self.max_length
        if self.type == FieldType.LIST:
            out |= {"max_length": self.max_length, "max_items": self.max_items}
        return out


def _text(name, label, help="", max_length=TEXT_MAX):
    return DetailField(name, FieldType.TEXT, label, help, max_length=max_length)


def _int(name, label, lo, hi, help=""):
    return DetailField(name, FieldType.INT, label, help, min=lo, max=hi)


def _money(name, label, hi, help=""):
    return DetailField(name, FieldType.MONEY, label, help, min=0, max=hi)


def _list(name, label, help="", max_length=ITEM_MAX, max_items=ITEMS_MAX):
    return DetailField(name, FieldType.LIST, label, help, max_length=max_length, max_items=max_items)


ONE_PER_LINE = gettext_noop("One per line.")
_CONTACT_PERSON = _text("contact_person", gettext_noop("Contact person"))

# What the visit notes record of each kind (SPEC §2); reputation (口碑) is a column of every contact.
SCHEMA: dict[Kind, tuple[DetailField, ...]] = {
    # contractors: company, size, cases, reputation
    Kind.CONTRACTOR: (
        _text("company", gettext_noop("Company")),
        _int("staff", gettext_noop("Staff (people)"), 0, 100_000),
        _int("machines", gettext_noop("Machines owned"), 0, 10_000),
        _text("main_work", gettext_noop("Main kind of work"), gettext_noop("e.g. roads, municipal, landscaping")),
        _list("cases", gettext_noop("Projects done (cases)"), ONE_PER_LINE),
    ),
    # excavator operators: name, phone, age, home, years, best machine types, wage, reputation
    Kind.OPERATOR: (
        _int("age", gettext_noop("Age"), 16, 80),
        _text("home", gettext_noop("Home town (老家)")),
        _int("years", gettext_noop("Years operating"), 0, 60),
        _list("machine_types", gettext_noop("Machine types operated best"), gettext_noop("e.g. 60-class, 200-class")),
        _money("wage", gettext_noop("Monthly wage (yuan)"), 1_000_000, gettext_noop("e.g. 12000 or 1.2万")),
        _text("employer", gettext_noop("Works for")),
    ),
    Kind.PARTS_SHOP: (
        _CONTACT_PERSON,
        _list("brands", gettext_noop("Brands of parts"), ONE_PER_LINE),
        _list("main_parts", gettext_noop("Main parts sold"), ONE_PER_LINE),
        _int("staff", gettext_noop("Staff (people)"), 0, 10_000),
    ),
    Kind.REPAIR_SHOP: (
        _CONTACT_PERSON,
        _int("mechanics", gettext_noop("Mechanics"), 0, 10_000),
        _list("brands", gettext_noop("Brands repaired"), ONE_PER_LINE),
        _list("services", gettext_noop("Services offered"), gettext_noop("e.g. engine, hydraulics, welding")),
    ),
    Kind.FLATBED: (
        _CONTACT_PERSON,
        _int("trucks", gettext_noop("Flatbed trucks"), 0, 10_000),
        _int("max_load", gettext_noop("Largest load (t)"), 1, 500),
        _list("routes", gettext_noop("Routes or area served"), ONE_PER_LINE),
        _money("trip_price", gettext_noop("Usual price of a local trip (yuan)"), 1_000_000),
    ),
    # used-machinery traders: stock and prices, wanted models and buy prices
    Kind.USED_TRADER: (
        _CONTACT_PERSON,
        _int("stock_count", gettext_noop("Machines in stock"), 0, 100_000),
        _list(
            "stock",
            gettext_noop("Stock and asking prices"),
            gettext_noop("One machine per line, e.g. SANY SY75 2019 5000 h 28万"),
            max_length=200,
            max_items=100,
        ),
        _list(
            "wanted",
            gettext_noop("Wanted models and buy prices"),
            gettext_noop("One model per line, e.g. HY65 2020 up to 20万"),
            max_length=200,
            max_items=100,
        ),
    ),
    Kind.OTHER_MACHINERY: (
        _list("machine_types", gettext_noop("Machines owned"), gettext_noop("e.g. loader, crane, roller")),
        _int("machine_count", gettext_noop("Number of machines"), 0, 10_000),
        _text("business", gettext_noop("Line of business")),
    ),
}


def fields_of(kind: str) -> tuple[DetailField, ...]:
    """The detail fields of a kind; an unknown kind has none."""
    try:
        return SCHEMA[Kind(kind)]
    except ValueError:
        return ()


# --- validation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    field: str  # the detail field's name ("kind" for an unknown kind)
    message: str  # msgid, with %(name)s parameters
    params: dict = field(default_factory=dict)

    def text(self, translate=lambda s: s) -> str:
        msg = translate(self.message)
        return msg % self.params if self.params else msg


class InvalidValue(ValueError):
    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message, self.params = message, params


M_UNKNOWN_KIND = gettext_noop("Choose one of the kinds of industry contact.")
M_UNKNOWN_FIELD = gettext_noop("Unknown field.")
M_NOT_OBJECT = gettext_noop("Send the details as an object of fields.")
M_TEXT = gettext_noop("Enter text.")
M_TOO_LONG = gettext_noop("At most %(max)d characters.")
M_INT = gettext_noop("Enter a whole number.")
M_INT_RANGE = gettext_noop("Enter a whole number from %(min)d to %(max)d.")
M_MONEY = gettext_noop("Enter an amount in yuan, e.g. 3500, 3,500.50 or 1.2万.")
M_MONEY_RANGE = gettext_noop("Enter an amount from %(min)s to %(max)s yuan.")
M_MONEY_FEN = gettext_noop("At most two decimals (fen).")
M_LIST = gettext_noop("Enter a list of texts, one per line.")
M_LIST_ITEMS = gettext_noop("At most %(max)d lines.")
M_ITEM_TOO_LONG = gettext_noop("Line %(line)d is longer than %(max)d characters.")


def _normal(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip()


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not _normal(value)
    if isinstance(value, (list, tuple)):
        return all(_is_empty(v) if isinstance(v, str) else v is None for v in value)
    return False


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidValue(M_INT)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise InvalidValue(M_INT)
    if isinstance(value, str):
        text = _normal(value).replace(",", "").replace(" ", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.isascii() and digits.isdigit() and len(text) - len(digits) <= 1 and len(digits) <= 12:
            return sign * int(digits)
    raise InvalidValue(M_INT)


_MONEY_STRIP = ("¥", "元", "RMB", "rmb", ",", " ")


def parse_money(value: Any) -> Decimal:
    """An amount in yuan. Accepts numbers and texts like '12,000', '¥12000', '1.2万', '12000元'."""
    if isinstance(value, bool):
        raise InvalidValue(M_MONEY)
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = _normal(value)  # NFKC: full-width digits, ￥ -> ¥
        for token in _MONEY_STRIP:
            text = text.replace(token, "")
        factor = 1
        if text.endswith("万"):
            text, factor = text[:-1], 10_000
        if not text or not all(ch.isascii() and (ch.isdigit() or ch in ".-+") for ch in text) or len(text) > 20:
            raise InvalidValue(M_MONEY)
        try:
            amount = Decimal(text) * factor
        except InvalidOperation:
            raise InvalidValue(M_MONEY) from None
    else:
        raise InvalidValue(M_MONEY)
    if not amount.is_finite():
        raise InvalidValue(M_MONEY)
    return amount


def money_str(amount: Decimal) -> str:
    """The stored form: two decimals, no exponent ("12000.00")."""
    return format(amount.quantize(CENT), "f")


def money_display(stored: str) -> str:
    """'12000.00' -> '¥12,000'; '3500.50' -> '¥3,500.50'."""
    try:
        amount = Decimal(stored)
    except (InvalidOperation, TypeError):
        return str(stored)
    if amount == amount.to_integral_value():
        return f"¥{int(amount):,}"
    return f"¥{amount.quantize(CENT):,}"


def money_input(stored: str) -> str:
    """What a form shows to edit: '12000.00' -> '12000', '3500.50' -> '3500.50'."""
    try:
        amount = Decimal(stored)
    except (InvalidOperation, TypeError):
        return str(stored)
    return str(int(amount)) if amount == amount.to_integral_value() else money_str(amount)


def _one_line(text: str) -> str:
    """Full-width digits and letters half-width (Chinese punctuation kept), and every run of white
    space (line breaks, tabs, full-width spaces) as one space."""
    from customers.rules import halfwidth

    return " ".join(halfwidth(text).split())


def parse_list(value: Any, spec: DetailField) -> list[str]:
    """One item per line; a list's items are split at line breaks too, so an item is always one line."""
    if isinstance(value, str):
        items = value.splitlines()
    elif isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) or v is None for v in value):
            raise InvalidValue(M_LIST)
        items = [line for v in value for line in (v or "").splitlines()]
    else:
        raise InvalidValue(M_LIST)
    out = []
    for item in items:
        text = _one_line(item)
        if not text:
            continue
        if len(text) > spec.max_length:
            raise InvalidValue(M_ITEM_TOO_LONG, line=len(out) + 1, max=spec.max_length)
        out.append(text)
    if len(out) > spec.max_items:
        raise InvalidValue(M_LIST_ITEMS, max=spec.max_items)
    return out


def clean_value(spec: DetailField, value: Any):
    """The stored form of one non-empty value; raises InvalidValue with the message for the field."""
    if spec.type == FieldType.TEXT:
        if not isinstance(value, str):
            raise InvalidValue(M_TEXT)
        text = _one_line(value)
        if len(text) > spec.max_length:
            raise InvalidValue(M_TOO_LONG, max=spec.max_length)
        return text
    if spec.type == FieldType.INT:
        number = parse_int(value)
        if not spec.min <= number <= spec.max:
            raise InvalidValue(M_INT_RANGE, min=spec.min, max=spec.max)
        return number
    if spec.type == FieldType.MONEY:
        amount = parse_money(value)
        if not spec.min <= amount <= spec.max:
            raise InvalidValue(M_MONEY_RANGE, min=f"{spec.min:,}", max=f"{spec.max:,}")
        if amount != amount.quantize(CENT):
            raise InvalidValue(M_MONEY_FEN)
        return money_str(amount)
    return parse_list(value, spec)


def validate(kind: str, details: Any) -> tuple[dict, list[FieldError]]:
    """Clean a kind's details: (cleaned dict in schema order, errors). Never raises."""
    try:
        specs = SCHEMA[Kind(kind)]
    except ValueError:
        return {}, [FieldError("kind", M_UNKNOWN_KIND)]
    if details is None:
        return {}, []
    if not isinstance(details, Mapping):
        return {}, [FieldError("details", M_NOT_OBJECT)]
    by_name = {s.name: s for s in specs}
    errors = [FieldError(str(name), M_UNKNOWN_FIELD) for name in details if name not in by_name]
    cleaned: dict = {}
    for spec in specs:
        if spec.name not in details or _is_empty(details[spec.name]):
            continue
        try:
            value = clean_value(spec, details[spec.name])
        except InvalidValue as exc:
            errors.append(FieldError(spec.name, exc.message, exc.params))
            continue
        if value not in ("", []):
            cleaned[spec.name] = value
    return cleaned, errors


def merge(current: Mapping, changes: Mapping) -> dict:
    """``current`` with ``changes`` applied: a given value replaces, an empty one removes the field."""
    out = dict(current)
    for name, value in changes.items():
        if _is_empty(value):
            out.pop(name, None)
        else:
            out[name] = value
    return out


def keep_known(kind: str, details: Mapping) -> dict:
    """The details that the kind has (when a contact changes kind, the other kind's fields go)."""
    names = {s.name for s in fields_of(kind)}
    return {k: v for k, v in details.items() if k in names}


def display_value(spec: DetailField, value: Any) -> str:
    if spec.type == FieldType.MONEY:
        return money_display(value)
    if spec.type == FieldType.LIST:
        return "；".join(value) if isinstance(value, list) else str(value)
    return str(value)


def input_value(spec: DetailField, value: Any) -> str:
    """The value as a form field shows it for editing."""
    if value is None:
        return ""
    if spec.type == FieldType.MONEY:
        return money_input(value)
    if spec.type == FieldType.LIST:
        return "\n".join(value) if isinstance(value, list) else str(value)
    return str(value)
