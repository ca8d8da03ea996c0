"""The per-kind fields of grade-0 industry contacts (customers/domain/contacts.py), as plain Python.

What SPEC §2's visit notes record of each kind must be a field of that kind; validation cleans
sloppy but valid input (full-width digits, "1.2万", "¥3,500"), rejects out-of-range values naming
the field, never raises on arbitrary JSON, and is idempotent on what it returns.
"""

from __future__ import annotations

import ast
import pathlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.domain import contacts as schema
from customers.domain.contacts import FieldType, Kind
from customers.rules import halfwidth

SOURCE = pathlib.Path(schema.__file__)


def names(kind: Kind) -> set[str]:
    return {f.name for f in schema.SCHEMA[kind]}


def spec(kind: Kind, name: str) -> schema.DetailField:
    return next(f for f in schema.SCHEMA[kind] if f.name == name)


ALL_SPECS = [(kind, f) for kind, fields in schema.SCHEMA.items() for f in fields]


# --- the schema ------------------------------------------------------------------------------------


def test_the_domain_module_imports_no_django():
    tree = ast.parse(SOURCE.read_text())
    imported = [
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [node])
    ]
    assert not [m for m in imported if m and m.startswith("django")]


def test_every_kind_of_the_model_has_a_schema_and_no_other():
    from customers.models import IndustryContact

    assert set(IndustryContact.Kind.values) == {k.value for k in Kind} == set(schema.SCHEMA)


def test_the_visit_notes_fields_of_spec_are_there():
    # contractors: company, size, cases (reputation is a column of every contact)
    assert {"company", "staff", "machines", "cases"} <= names(Kind.CONTRACTOR)
    # operators: age, home, years, best machine types, wage (name, phone, reputation: columns)
    assert {"age", "home", "years", "machine_types", "wage"} <= names(Kind.OPERATOR)
    # used-machinery traders: stock and prices, wanted models and buy prices
    assert {"stock", "wanted"} <= names(Kind.USED_TRADER)
    assert spec(Kind.OPERATOR, "wage").type == FieldType.MONEY
    assert spec(Kind.OPERATOR, "age").type == FieldType.INT
    assert spec(Kind.OPERATOR, "machine_types").type == FieldType.LIST
    for kind in Kind:
        assert schema.SCHEMA[kind], kind


def test_field_names_are_unique_per_kind_and_never_a_column_of_the_model():
    columns = {"name", "phone", "kind", "region", "province", "city", "district", "address", "reputation", "note"}
    for kind, fields in schema.SCHEMA.items():
        field_names = [f.name for f in fields]
        assert len(field_names) == len(set(field_names)), kind
        assert not set(field_names) & columns, kind


@pytest.mark.parametrize(("kind", "field"), ALL_SPECS, ids=lambda v: getattr(v, "name", str(v)))
def test_every_field_is_well_formed(kind, field):
    assert field.name.isidentifier() and field.name.islower()
    assert field.label and field.label == field.label.strip() and field.label[0].isupper()
    if field.type in (FieldType.INT, FieldType.MONEY):
        assert field.min is not None and field.max is not None and field.min < field.max
    described = field.as_dict()
    assert described["name"] == field.name and described["type"] == field.type.value


def test_the_labels_are_marked_for_translation_in_the_source():
    text = SOURCE.read_text()
    for _kind, field in ALL_SPECS:
        assert f'gettext_noop("{field.label}")' in text, field.label


# --- validation, by example -------------------------------------------------------------------------


def test_an_operator_in_sloppy_but_valid_input():
    cleaned, errors = schema.validate(
        "operator",
        {
            "age": "３５",
            "home": "  河南　周口 ",
            "years": 12,
            "machine_types": "60级\n\n 200级 \n",
            "wage": "1.2万",
            "employer": "",
        },
    )
    assert errors == []
    assert cleaned == {
        "age": 35,
        "home": "河南 周口",
        "years": 12,
        "machine_types": ["60级", "200级"],
        "wage": "12000.00",
    }
    assert list(cleaned) == [f.name for f in schema.SCHEMA[Kind.OPERATOR] if f.name in cleaned]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("12000", "12000.00"),
        ("12,000", "12000.00"),
        ("¥3,500.50", "3500.50"),
        ("￥3500", "3500.00"),
        ("１２０００元", "12000.00"),
        ("28万", "280000.00"),
        ("1.25万", "12500.00"),
        (8800, "8800.00"),
        (8800.5, "8800.50"),
        (Decimal("0"), "0.00"),
    ],
)
def test_money_is_read_like_people_write_it(raw, stored):
    cleaned, errors = schema.validate("operator", {"wage": raw})
    assert errors == [] and cleaned == {"wage": stored}


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        ({"age": 15}, "age", schema.M_INT_RANGE),
        ({"age": "81"}, "age", schema.M_INT_RANGE),
        ({"age": "thirty"}, "age", schema.M_INT),
        ({"age": 30.5}, "age", schema.M_INT),
        ({"age": True}, "age", schema.M_INT),
        ({"years": -1}, "years", schema.M_INT_RANGE),
        ({"wage": "-100"}, "wage", schema.M_MONEY_RANGE),
        ({"wage": "101万"}, "wage", schema.M_MONEY_RANGE),
        ({"wage": "12.345"}, "wage", schema.M_MONEY_FEN),
        ({"wage": "a lot"}, "wage", schema.M_MONEY),
        ({"wage": "NaN"}, "wage", schema.M_MONEY),
        ({"wage": float("inf")}, "wage", schema.M_MONEY),
        ({"home": 42}, "home", schema.M_TEXT),
        ({"home": "长" * 201}, "home", schema.M_TOO_LONG),
        ({"machine_types": 5}, "machine_types", schema.M_LIST),
        ({"machine_types": ["ok", 5]}, "machine_types", schema.M_LIST),
        ({"machine_types": ["x" * 101]}, "machine_types", schema.M_ITEM_TOO_LONG),
        ({"machine_types": [f"m{i}" for i in range(31)]}, "machine_types", schema.M_LIST_ITEMS),
        ({"shoe_size": 42}, "shoe_size", schema.M_UNKNOWN_FIELD),
    ],
)
def test_bad_values_are_named_with_their_field(details, field, message):
    cleaned, errors = schema.validate("operator", details)
    assert [(e.field, e.message) for e in errors] == [(field, message)]
    assert field not in cleaned


def test_a_range_error_says_the_range():
    _cleaned, errors = schema.validate("operator", {"age": 120})
    assert errors[0].text() == "Enter a whole number from 16 to 80."
    _cleaned, errors = schema.validate("operator", {"wage": -1})
    assert errors[0].text() == "Enter an amount from 0 to 1,000,000 yuan."
    _cleaned, errors = schema.validate("used_trader", {"stock": ["ok", "x" * 201]})
    assert errors[0].text() == "Line 2 is longer than 200 characters."


def test_every_error_is_reported_at_once():
    _cleaned, errors = schema.validate("operator", {"age": 5, "years": 99, "wage": "?", "nope": 1})
    assert {e.field for e in errors} == {"age", "years", "wage", "nope"}


def test_an_unknown_kind_or_a_non_object_is_an_error_not_a_crash():
    assert schema.validate("astronaut", {"age": 30}) == ({}, [schema.FieldError("kind", schema.M_UNKNOWN_KIND)])
    assert schema.validate("operator", ["age", 30])[1] == [schema.FieldError("details", schema.M_NOT_OBJECT)]
    assert schema.validate("operator", None) == ({}, [])
    assert schema.fields_of("astronaut") == ()


def test_empty_values_remove_a_field_and_merge_applies_changes():
    current = {"age": 30, "home": "周口", "wage": "9000.00"}
    merged = schema.merge(current, {"age": 31, "home": "", "wage": None, "years": 5})
    assert merged == {"age": 31, "years": 5}
    assert schema.validate("operator", {"home": "  ", "machine_types": ["", " "]}) == ({}, [])


def test_a_kind_change_keeps_only_the_new_kinds_fields():
    assert schema.keep_known("contractor", {"age": 30, "company": "鑫达", "staff": 12}) == {
        "company": "鑫达",
        "staff": 12,
    }


def test_display_and_input_forms():
    wage = spec(Kind.OPERATOR, "wage")
    assert schema.display_value(wage, "12000.00") == "¥12,000"
    assert schema.display_value(wage, "3500.50") == "¥3,500.50"
    assert schema.input_value(wage, "12000.00") == "12000"
    assert schema.input_value(wage, "3500.50") == "3500.50"
    types = spec(Kind.OPERATOR, "machine_types")
    assert schema.display_value(types, ["60级", "200级"]) == "60级；200级"
    assert schema.input_value(types, ["60级", "200级"]) == "60级\n200级"
    assert schema.input_value(types, None) == ""


# --- properties ---------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)
kinds = st.sampled_from([k.value for k in Kind])


@st.composite
def details_of(draw, kind_strategy=kinds):
    kind = draw(kind_strategy)
    keys = [f.name for f in schema.fields_of(kind)]
    keys_strategy = st.sampled_from(keys) | st.text(min_size=1, max_size=10)
    return kind, draw(st.dictionaries(keys_strategy, json_values, max_size=6))


def _right_type(field: schema.DetailField, value) -> bool:
    if field.type == FieldType.TEXT:
        return isinstance(value, str) and 0 < len(value) <= field.max_length
    if field.type == FieldType.INT:
        return isinstance(value, int) and field.min <= value <= field.max
    if field.type == FieldType.MONEY:
        return (
            isinstance(value, str)
            and field.min <= Decimal(value) <= field.max
            and value == schema.money_str(Decimal(value))
        )
    return isinstance(value, list) and 0 < len(value) <= field.max_items and all(isinstance(v, str) for v in value)


@given(details_of())
def test_validation_never_raises_and_returns_only_clean_known_fields(case):
    kind, details = case
    cleaned, errors = schema.validate(kind, details)
    by_name = {f.name: f for f in schema.fields_of(kind)}
    assert set(cleaned) <= set(by_name)
    for name, value in cleaned.items():
        assert _right_type(by_name[name], value), (name, value)
    # a field is either cleaned, reported or dropped as empty — never two of these
    reported = {e.field for e in errors}
    assert not reported & set(cleaned)
    assert reported <= set(details)
    for e in errors:
        assert isinstance(e.text(), str) and e.text()


@given(details_of())
def test_validation_is_idempotent_on_what_it_returns(case):
    kind, details = case
    cleaned, _errors = schema.validate(kind, details)
    assert schema.validate(kind, cleaned) == (cleaned, [])


@given(details_of())
def test_what_a_form_shows_validates_back_to_the_same_details(case):
    kind, details = case
    cleaned, _errors = schema.validate(kind, details)
    shown = {f.name: schema.input_value(f, cleaned[f.name]) for f in schema.fields_of(kind) if f.name in cleaned}
    again, errors = schema.validate(kind, shown)
    assert errors == [] and again == cleaned


int_fields = [(k, f) for k, f in ALL_SPECS if f.type == FieldType.INT]
money_fields = [(k, f) for k, f in ALL_SPECS if f.type == FieldType.MONEY]


@given(st.sampled_from(int_fields), st.integers(min_value=-(10**7), max_value=10**7), st.booleans())
def test_a_whole_number_is_accepted_exactly_within_its_range(case, number, as_text):
    kind, field = case
    cleaned, errors = schema.validate(kind, {field.name: str(number) if as_text else number})
    if field.min <= number <= field.max:
        assert cleaned == {field.name: number} and errors == []
    else:
        assert cleaned == {} and [(e.field, e.message) for e in errors] == [(field.name, schema.M_INT_RANGE)]
        assert errors[0].params == {"min": field.min, "max": field.max}


@given(st.sampled_from(money_fields), st.integers(min_value=-(10**10), max_value=10**10))
def test_an_amount_in_fen_is_accepted_exactly_within_its_range(case, fen):
    kind, field = case
    amount = Decimal(fen) / 100
    cleaned, errors = schema.validate(kind, {field.name: str(amount)})
    if field.min <= amount <= field.max:
        assert errors == [] and Decimal(cleaned[field.name]) == amount
        assert schema.parse_money(schema.money_input(cleaned[field.name])) == amount
    else:
        assert [e.message for e in errors] == [schema.M_MONEY_RANGE]


@given(st.sampled_from(money_fields), st.integers(min_value=0, max_value=10_000), st.integers(1, 9))
def test_an_amount_finer_than_a_fen_is_refused(case, fen, extra):
    kind, field = case
    raw = f"{Decimal(fen) / 100 + Decimal(extra) / 1000:.3f}"
    _cleaned, errors = schema.validate(kind, {field.name: raw})
    assert [e.message for e in errors] in ([schema.M_MONEY_FEN], [schema.M_MONEY_RANGE])


@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=9999))
def test_wan_means_ten_thousand(wan, fraction):
    amount = schema.parse_money(f"{wan}.{fraction:04d}万")
    assert amount == wan * 10_000 + fraction


@given(st.lists(st.text(alphabet=list("三一挖机 SY75-2019，万\t　"), max_size=20), max_size=40))
def test_list_items_are_trimmed_empty_lines_dropped_and_counted(lines):
    field = spec(Kind.USED_TRADER, "stock")
    cleaned, errors = schema.validate("used_trader", {"stock": "\n".join(lines)})
    # full-width digits/letters to half-width (Chinese punctuation kept), white space runs as one space
    expected = [" ".join(halfwidth(x).split()) for x in lines]
    expected = [x for x in expected if x]
    if len(expected) > field.max_items:
        assert [e.message for e in errors] == [schema.M_LIST_ITEMS]
    else:
        assert errors == [] and cleaned.get("stock", []) == expected


def test_list_items_and_texts_are_always_one_line():
    cleaned, errors = schema.validate(
        "parts_shop", {"contact_person": "刘\n国庆", "brands": ["小松\n卡特", "三一\x1e徐工", "  "]}
    )
    assert errors == []
    assert cleaned == {"contact_person": "刘 国庆", "brands": ["小松", "卡特", "三一", "徐工"]}
