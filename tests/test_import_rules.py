"""The import's plain rules (customers/domain/importing.py): headings, cells, the table, values, near names."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from customers.domain import importing as imp

FULL_WIDTH = str.maketrans("0123456789ABCabc ", "０１２３４５６７８９ＡＢＣａｂｃ\u3000")
SPACES = st.sampled_from(["", " ", "  ", "\u00a0", "\u3000", "\t"])


# --- headings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("客户名称", imp.NAME),
        ("姓名", imp.NAME),
        ("名称", imp.NAME),
        ("Name", imp.NAME),
        ("手机", imp.PHONE),
        ("手机号（必填）*", imp.PHONE),
        ("联系电话", imp.PHONE),
        ("电话", imp.PHONE),
        ("客户手机1", imp.PHONE),
        ("Mobile", imp.PHONE),
        ("身份证号", imp.ID_NUMBER),
        ("ID-card number (身份证号)", imp.ID_NUMBER),
        ("省", imp.PROVINCE),
        ("市", imp.CITY),
        ("区/县", imp.DISTRICT),
        ("区县", imp.DISTRICT),
        ("地址", imp.ADDRESS),
        ("详细地址", imp.ADDRESS),
        ("意向等级", imp.GRADE),
        ("等级", imp.GRADE),
        ("Intent grade", imp.GRADE),
        ("工程类别", imp.WORK_TYPE),
        ("用途", imp.USE),
        ("规模", imp.SCALE),
        ("设备台数", imp.MACHINE_COUNT),
        ("负责业务员", imp.OWNER),
        ("业务员姓名", imp.OWNER),
        ("Owner", imp.OWNER),
        ("销售区域", imp.REGION),
        ("联系人", imp.CONTACT_NAME),
        ("联系人电话", imp.CONTACT_PHONE),
        ("联系人职务", imp.CONTACT_TITLE),
        ("固定电话", imp.IGNORE),
        ("座机号码", imp.IGNORE),
        ("Public pool (公海)", imp.IGNORE),
        ("客户来源", None),
        ("订单金额", None),
        ("", None),
    ],
)
def test_headings_of_a_dealers_sheet(heading, field):
    assert imp.match_heading(heading) == field


decorated_alias = st.tuples(st.sampled_from(sorted(imp.ALIASES)), SPACES, SPACES, st.sampled_from(["", "*", "：", ":"]))


@given(decorated_alias, st.booleans())
def test_every_alias_is_recognised_with_spaces_stars_full_width_and_case(parts, wide):
    alias, before, after, mark = parts
    heading = before + alias.upper() + mark + after
    if wide:
        heading = heading.translate(FULL_WIDTH)
    assert imp.match_heading(heading) == imp.ALIASES[alias]


@given(st.sampled_from(sorted(imp.ALIASES)), st.text(alphabet="必填选填可空说明", min_size=1, max_size=4))
def test_a_note_in_brackets_does_not_hide_the_heading(alias, note):
    assert imp.match_heading(f"{alias}（{note}）") == imp.ALIASES[alias]
    assert imp.match_heading(f"{alias}({note})") == imp.ALIASES[alias]


def test_the_first_column_naming_a_field_gets_it():
    headings = ["序号", "客户名称", "手机", "电话", "区域", "备注", "whatever"]
    assert imp.guess_mapping(headings) == ["", "name", "phone", "", "region", "", ""]


def test_the_users_choice_overrides_the_guess():
    mapping = imp.guess_mapping(["客户名称", "手机", "电话"])
    assert imp.apply_override(mapping, {1: "", 2: "phone"}) == ["name", "", "phone"]
    with pytest.raises(ValueError):
        imp.apply_override(mapping, {0: "salary"})


def test_mapping_problems_name_the_field_and_the_columns():
    assert imp.check_mapping(["phone", "region"]) == [imp.MappingProblem("missing", "name")]
    assert imp.check_mapping(["name", "phone", "phone"]) == [imp.MappingProblem("twice", "phone", (1, 2))]
    assert imp.check_mapping(["name", "", "phone"]) == []


def test_the_heading_row_is_found_below_a_title():
    rows = [["2024年客户名单", "", ""], ["", "", ""], ["姓名", "手机号", "区县"], ["张三", "13812345678", "历城区"]]
    assert imp.detect_header(rows) == 2
    assert imp.detect_header([["订单号", "金额"], ["1", "2"]]) is None


# --- cells --------------------------------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=1, max_size=12), SPACES, SPACES)
def test_full_width_digits_and_stray_spaces_are_cleaned(digits, before, after):
    assert imp.cell_text(before + digits.translate(FULL_WIDTH) + after) == digits


@given(st.text(max_size=30))
def test_cell_text_is_idempotent_and_trimmed(text):
    once = imp.cell_text(text)
    assert imp.cell_text(once) == once
    assert once == once.strip()
    assert "\u00a0" not in once and "\u3000" not in once and "  " not in once


@given(st.integers(min_value=0, max_value=10**15))
def test_numbers_stored_as_floats_lose_their_point_zero(n):
    assert imp.cell_text(float(n)) == str(n)
    assert imp.cell_text(n) == str(n)


def test_cells_of_other_types():
    assert imp.cell_text(None) == ""
    assert imp.cell_text(dt.datetime(2024, 5, 1)) == "2024-05-01"
    assert imp.cell_text(dt.date(2024, 5, 1)) == "2024-05-01"
    assert imp.cell_text(2.5) == "2.5"
    assert imp.cell_text("\ufeff张三\u200b") == "张三"


@given(st.lists(st.sampled_from("张王李赵建国明强"), min_size=2, max_size=5), st.data())
def test_spaces_inside_a_chinese_name_are_removed(chars, data):
    typed = "".join(c + data.draw(SPACES) for c in chars)
    assert imp.clean_name(typed) == "".join(chars)


def test_spaces_between_latin_words_are_kept_single():
    assert imp.clean_name("  Li\u00a0 Ming ") == "Li Ming"
    assert imp.clean_name("张三 Li") == "张三 Li"


@given(st.integers(min_value=0, max_value=20000))
def test_column_letters_round_trip(i):
    letters = imp.column_letter(i)
    assert letters.isalpha() and letters.isupper()
    assert imp.column_index(letters) == i


def test_column_letters_as_excel_names_them():
    assert [imp.column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    assert imp.parse_range("B3:C5") == (3, 1, 5, 2)
    assert imp.parse_range("C5:B3") == (3, 1, 5, 2)
    assert imp.parse_range("D7") == (7, 3, 7, 3)


# --- the table ----------------------------------------------------------------------------------------

SHEET = [
    ["2024年客户名单", None, None, None],  # 1 title, merged A1:D1
    [None, None, None, None],  # 2
    ["客户名称", "手机号", "区域", "负责业务员"],  # 3 headings
    ["张三", "13812345678", "鲁中区域", "张建国"],  # 4 region and owner merged over 4–6
    ["李四", "13812345679", None, None],  # 5
    ["王五", "13812345680", None, None],  # 6
    [None, None, None, None],  # 7 blank
    ["鲁南区域", None, None, None],  # 8 merged A8:D8: a section heading
    ["客户名称", "手机号", "区域", "负责业务员"],  # 9 the headings again
    ["赵六", "１３８１２３４５６８１", "鲁南区域", None],  # 10
    [None, None, None, None],  # 11 trailing blank rows
    [None, None, None, None],  # 12
]
MERGES = ["A1:D1", "C4:C6", "D4:D6", "A8:D8"]


def test_the_table_keeps_excel_row_numbers_and_spreads_merged_cells():
    table = imp.make_table(SHEET, MERGES)
    assert table.header_row == 3
    assert table.headings == ["客户名称", "手机号", "区域", "负责业务员"]
    assert [n for n, _ in table.rows] == [4, 5, 6, 7, 8, 9, 10]
    cells = dict(table.rows)
    assert cells[5] == ["李四", "13812345679", "鲁中区域", "张建国"]
    assert cells[6][2:] == ["鲁中区域", "张建国"]
    assert cells[10] == ["赵六", "13812345681", "鲁南区域", ""]
    assert table.merged_rows == {8}


def test_records_and_the_rows_skipped():
    table = imp.make_table(SHEET, MERGES)
    records, skipped = imp.records(table, imp.guess_mapping(table.headings))
    assert [r.row for r in records] == [4, 5, 6, 10]
    assert [(i.row, i.code, i.level) for i in skipped] == [
        (7, imp.Skip.BLANK, "skipped"),
        (8, imp.Skip.MERGED, "skipped"),
        (9, imp.Skip.HEADING, "skipped"),
    ]
    assert records[0].values == {"name": "张三", "phone": "13812345678", "region": "鲁中区域", "owner": "张建国"}
    assert records[0].columns == {"name": 0, "phone": 1, "region": 2, "owner": 3}


def test_a_sheet_with_unknown_headings_takes_its_first_row_for_the_user_to_map():
    table = imp.make_table([[None], ["订单号", "金额"], ["1", "2"]])
    assert table.header_row == 2 and table.headings == ["订单号", "金额"]
    with pytest.raises(imp.NoHeading):
        imp.make_table([[None, None], []])


def test_a_row_with_data_only_in_ignored_columns_is_blank():
    table = imp.make_table([["姓名", "备注"], ["", "见下"], ["张三", ""]])
    records, skipped = imp.records(table, imp.guess_mapping(table.headings))
    assert [r.row for r in records] == [3]
    assert [(i.row, i.code) for i in skipped] == [(2, imp.Skip.BLANK)]


# --- values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "grade"), [("9", "9"), ("9.0", "9"), ("6类", "6"), ("3级", "3"), ("", ""), ("A", "A")]
)
def test_grades_as_people_write_them(text, grade):
    assert imp.parse_grade(text) == grade


def test_counts_kinds_and_the_classification():
    assert imp.parse_count("3台") == 3 and imp.parse_count("") is None and imp.parse_count("12.0") == 12
    with pytest.raises(imp.BadValue):
        imp.parse_count("三台")
    assert imp.parse_kind("", "临沂丰达路桥工程有限公司") == "company"
    assert imp.parse_kind("", "张三") == "person"
    assert imp.parse_kind("Company (公司)") == "company"
    with pytest.raises(imp.BadValue) as exc:
        imp.parse_kind("合伙")
    assert exc.value.allowed == "个人、公司"
    assert imp.parse_work_type("矿山类") == ("mining", "")
    assert imp.parse_work_type("路桥") == ("engineering", "roads_bridges")
    assert imp.parse_scale("个体户") == "individual" and imp.parse_scale("工程承建公司") == "contractor"
    assert imp.parse_use("出租") == "rental" and imp.parse_engineering_kind("园林绿化") == "landscaping"
    with pytest.raises(imp.BadValue):
        imp.parse_scale("大公司")


def test_a_cell_holding_two_numbers():
    assert imp.split_phones("13812345678/13912345678") == ["13812345678", "13912345678"]
    assert imp.split_phones("138 1234 5678") == ["138 1234 5678"]
    assert imp.split_phones("13812345678、 13912345678") == ["13812345678", "13912345678"]
    assert imp.split_phones("") == []


# --- near-identical names -----------------------------------------------------------------------------

CJK = st.text(alphabet="济南鑫达土石方工程队历城顺通市政张王李建国明强丰路桥", min_size=1, max_size=12)


@given(CJK, st.data())
def test_spaces_punctuation_and_company_suffixes_do_not_make_another_name(name, data):
    assume(imp.name_key(name))
    typed = "".join(c + data.draw(st.sampled_from(["", " ", "\u3000", "·"])) for c in name)
    suffix = data.draw(st.sampled_from(["", "有限公司", "有限责任公司", "公司", "股份有限公司"]))
    assert imp.near_identical(name, typed + suffix)


@given(CJK, CJK)
def test_near_identical_is_symmetric(a, b):
    assert imp.near_identical(a, b) == imp.near_identical(b, a)


@given(st.text(alphabet="abcd", max_size=8), st.text(alphabet="abcd", max_size=8), st.text(alphabet="abcd", max_size=8))
def test_edit_distance_is_a_metric_and_the_limit_caps_it(a, b, c):
    d = imp.edit_distance
    assert d(a, b) == d(b, a)
    assert (d(a, b) == 0) == (a == b)
    assert d(a, c) <= d(a, b) + d(b, c)
    assert d(a, b) <= max(len(a), len(b))
    for limit in (0, 1, 2):
        assert d(a, b, limit) == min(d(a, b), limit + 1)


def test_near_identical_examples():
    assert imp.near_identical("济南鑫达土石方工程队", "济南鑫达土石方工程")  # one character dropped
    assert imp.near_identical("历城顺通市政工程有限公司", "历城顺通市政工程公司")
    assert imp.near_identical("历城顺通市政工程有限公司", "历城順通市政工程有限公司")  # one character differs
    assert imp.near_identical("张建国", "张建国")
    assert not imp.near_identical("王建国", "王建军")  # short personal names must be equal
    assert not imp.near_identical("济南鑫达土石方", "临沂丰达路桥工程")
    assert not imp.near_identical("公司", "")
    assert imp.area_key("济南市", "历城区") == imp.area_key("", "历城") == "历城"
    assert imp.area_key("济南市", "") == "济南"


@given(st.lists(st.tuples(st.sampled_from(["历城", "章丘"]), CJK), max_size=25), CJK, st.sampled_from(["历城", "章丘"]))
def test_the_name_index_finds_exactly_what_comparing_every_pair_finds(entries, probe, area):
    index = imp.NameIndex()
    for i, (a, name) in enumerate(entries):
        index.add(a, name, i)
    expected = [i for i, (a, name) in enumerate(entries) if a == area and imp.near_identical(name, probe)]
    assert sorted(index.find(area, probe)) == expected
