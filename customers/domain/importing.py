"""Reading a dealer's own customer spreadsheet, as plain Python (no Django).

The headings, the cells, the table and the report's issues serve every import; what one import
reads is a ``Columns`` (its fields and the headings naming them): the customers' is ``CUSTOMERS``
(and the module-level ``match_heading``, ``guess_mapping`` … use it), the industry contacts' is
built in ``domain.contact_import``.

What a spreadsheet kept by hand looks like, and what this module makes of it:

- a title row or two above the headings ("2024年客户名单", merged across the columns): the heading row
  is the one among the first rows whose cells name the most fields (``detect_header``);
- headings in the dealer's words, Chinese or English, with notes and stars ("手机号（必填）*"):
  ``match_heading`` maps them to fields; the user may override the mapping (``apply_override``);
- cells with full-width digits, stray or non-breaking spaces, numbers stored as floats
  (``cell_text``), names typed with a space between the characters (``clean_name``);
- vertically merged cells (one region or salesperson for a group of rows): the value applies to
  every row of the range; horizontally merged rows (a section heading "鲁中区域") are skipped;
- blank rows and repeated heading rows (a printed list repeats them on each page) are skipped;
  every skipped row is reported;
- labels instead of codes for the classification ("矿山类", "个体户", "9类").

Every problem becomes an ``Issue``: the row number as Excel shows it, the column (letter and
heading), a code and its parameters. The code is turned into a sentence in the user's language by
the service layer (customers/imports.py), so the report can be shown in Chinese or English.

Near-identical names (``name_key``, ``near_identical``, ``NameIndex``): names equal once spaces,
punctuation and company suffixes (有限公司, 公司 …) are removed, or — for names of at least four
characters — one edit apart, within the same area (district, else city).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from .. import rules
from . import classification as cls

# --- fields -------------------------------------------------------------------------------------------

NAME = "name"
KIND = "kind"
PHONE = "phone"
ID_NUMBER = "id_number"
REGION = "region"
PROVINCE = "province"
CITY = "city"
DISTRICT = "district"
ADDRESS = "address"
GRADE = "grade"
WORK_TYPE = "work_type"
ENGINEERING_KIND = "engineering_kind"
USE = "use"
SCALE = "scale"
MACHINE_COUNT = "machine_count"
OWNER = "owner"
CONTACT_NAME = "contact_name"
CONTACT_PHONE = "contact_phone"
CONTACT_TITLE = "contact_title"
IGNORE = ""  # a column that is not imported

# In the order of the template and of the mapping form.
FIELDS = (
    NAME,
    KIND,
    PHONE,
    ID_NUMBER,
    REGION,
    PROVINCE,
    CITY,
    DISTRICT,
    ADDRESS,
    GRADE,
    WORK_TYPE,
    ENGINEERING_KIND,
    USE,
    SCALE,
    MACHINE_COUNT,
    OWNER,
    CONTACT_NAME,
    CONTACT_PHONE,
    CONTACT_TITLE,
)
REQUIRED = (NAME,)

# The heading the template uses for each field (the first alias is what a dealer would write).
TEMPLATE_HEADINGS = {
    NAME: "客户名称",
    KIND: "客户类型",
    PHONE: "手机号",
    ID_NUMBER: "身份证号",
    REGION: "区域",
    PROVINCE: "省",
    CITY: "市",
    DISTRICT: "区县",
    ADDRESS: "地址",
    GRADE: "意向等级",
    WORK_TYPE: "工程类别",
    ENGINEERING_KIND: "工程细分",
    USE: "用途",
    SCALE: "规模",
    MACHINE_COUNT: "设备台数",
    OWNER: "负责业务员",
    CONTACT_NAME: "联系人",
    CONTACT_PHONE: "联系人手机",
    CONTACT_TITLE: "联系人职务",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    NAME: (
        "客户名称",
        "客户名",
        "客户姓名",
        "客户全称",
        "客户",
        "姓名",
        "名称",
        "名字",
        "单位名称",
        "公司名称",
        "企业名称",
        "户名",
        "name",
        "customer",
        "customername",
    ),
    KIND: ("客户类型", "类型", "客户性质", "性质", "个人公司", "个人或公司", "kind", "type", "customertype"),
    PHONE: (
        "手机",
        "手机号",
        "手机号码",
        "移动电话",
        "电话",
        "电话号码",
        "联系电话",
        "联系方式",
        "联系手机",
        "客户电话",
        "客户手机",
        "mobile",
        "mobilephone",
        "phone",
        "tel",
        "telephone",
        "cellphone",
    ),
    ID_NUMBER: (
        "身份证号",
        "身份证",
        "身份证号码",
        "证件号",
        "证件号码",
        "身份证件号码",
        "idnumber",
        "idcard",
        "idcardnumber",
        "id",
    ),
    REGION: ("区域", "销售区域", "所属区域", "大区", "片区", "region", "salesregion"),
    PROVINCE: ("省", "省份", "所在省", "所在省份", "省自治区", "province"),
    CITY: ("市", "城市", "地市", "所在市", "所在城市", "地级市", "city"),
    DISTRICT: ("区县", "县区", "区", "县", "县市区", "所在区县", "区县市", "district", "county"),
    ADDRESS: ("地址", "详细地址", "住址", "联系地址", "通讯地址", "所在地", "address"),
    GRADE: ("意向等级", "等级", "意向", "客户等级", "意向级别", "日报分类", "grade", "intentgrade", "intent"),
    WORK_TYPE: ("工程类别", "类别", "工况", "作业类型", "工作类型", "施工类别", "worktype"),
    ENGINEERING_KIND: ("工程细分", "工程类型", "细分", "工程种类", "engineeringkind"),
    USE: ("用途", "购机用途", "使用性质", "use"),
    SCALE: ("规模", "规模实力", "客户规模", "scale"),
    MACHINE_COUNT: (
        "设备台数",
        "台数",
        "现有设备",
        "现有设备数",
        "现有台数",
        "设备数量",
        "设备数",
        "保有量",
        "挖机台数",
        "machines",
        "machinecount",
        "machinesowned",
    ),
    OWNER: (
        "负责业务员",
        "业务员",
        "负责人",
        "销售员",
        "销售",
        "客户经理",
        "跟进人",
        "所属业务员",
        "owner",
        "salesperson",
        "sales",
    ),
    CONTACT_NAME: ("联系人", "联系人姓名", "contact", "contactname", "contactperson"),
    CONTACT_PHONE: ("联系人电话", "联系人手机", "联系人手机号", "联系人电话号码", "contactphone", "contactmobile"),
    CONTACT_TITLE: ("联系人职务", "职务", "职位", "contacttitle", "contactrole"),
    # Headings that look like a field but are not one (a landline is not a mobile number).
    IGNORE: ("座机", "固定电话", "固话", "办公电话", "传真", "公海", "publicpool", "序号", "编号", "备注"),
}

# Aliases that may also be found inside a longer heading ("客户手机1", "业务员姓名"); the generic
# ones (客户, 类型, 等级 …) only match a whole heading.
_CONTAINED = ("手机", "电话", "身份证", "地址", "业务员", "台数", "联系人", "姓名", "区县", "省份", "城市", "座机")


def _norm(text: str) -> str:
    """Lower case, full-width folded, without spaces, punctuation or underscores."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


_BRACKETED = re.compile(r"[(\[<【《]([^)\]>】》]*)[)\]>】》]")


def normalize_heading(text: str) -> str:
    return _norm(text or "")


def variants(text: str) -> list[str]:
    """A label as written, without its bracketed notes, and each note:
    "Contractor (工程承包商)" → ["Contractor (工程承包商)", "Contractor  ", "工程承包商"]."""
    text = unicodedata.normalize("NFKC", text or "")
    return [text, _BRACKETED.sub(" ", text), *_BRACKETED.findall(text)]


@dataclass(frozen=True)
class MappingProblem:
    code: str  # "missing": a required field has no column; "twice": a field has several columns
    field: str
    columns: tuple[int, ...] = ()


class Columns:
    """What one kind of import reads: its fields, the required ones, and the headings naming them.

    ``aliases`` maps a field (``IGNORE`` for known non-fields) to the headings that name it;
    ``contained`` are aliases also found inside a longer heading ("客户手机1" → phone). The customer
    import's columns are ``CUSTOMERS``; the industry contacts' are built in ``domain.contact_import``.
    """

    def __init__(
        self,
        fields: Sequence[str],
        required: Sequence[str],
        aliases: dict[str, Sequence[str]],
        contained: Sequence[str] = (),
    ):
        self.fields = tuple(fields)
        self.required = tuple(required)
        self.aliases: dict[str, str] = {}
        for target, names in aliases.items():
            for name in names:
                key = _norm(name)
                if key:
                    self.aliases.setdefault(key, target)  # the first field naming a heading keeps it
        self.contained = sorted(((_norm(a), self.aliases[_norm(a)]) for a in contained), key=lambda p: -len(p[0]))

    def match(self, text: str) -> str | None:
        """The field a heading names, ``IGNORE`` for a known non-field, ``None`` when unknown.

        Tried in turn: the whole heading, the heading without its bracketed notes, each note
        ("ID-card number (身份证号)"), then the longest known word inside it ("客户手机1" → phone).
        """
        text = unicodedata.normalize("NFKC", text or "")
        outside = _BRACKETED.sub(" ", text)
        candidates = [_norm(text), _norm(outside), *(_norm(m) for m in _BRACKETED.findall(text))]
        for c in candidates:
            if c and c in self.aliases:
                return self.aliases[c]
        base = _norm(outside)
        for alias, target in self.contained:
            if alias in base:
                return target
        return None

    def guess(self, headings: Sequence[str]) -> list[str]:
        """The field of each column (``IGNORE`` when none); a field goes to the first column naming it."""
        taken: set[str] = set()
        out = []
        for heading in headings:
            target = self.match(heading) or IGNORE
            if target in taken:
                target = IGNORE
            if target:
                taken.add(target)
            out.append(target)
        return out

    def override(self, mapping: Sequence[str], override: dict[int, str]) -> list[str]:
        """The user's choice wins for the columns they set (0-based index → field or ``IGNORE``)."""
        out = list(mapping)
        for index, target in override.items():
            if 0 <= index < len(out):
                if target not in self.fields and target != IGNORE:
                    raise ValueError(f"unknown field {target!r}")
                out[index] = target
        return out

    def check(self, mapping: Sequence[str]) -> list[MappingProblem]:
        problems = [MappingProblem("missing", f) for f in self.required if f not in mapping]
        for f in self.fields:
            cols = tuple(i for i, m in enumerate(mapping) if m == f)
            if len(cols) > 1:
                problems.append(MappingProblem("twice", f, cols))
        return problems

    def score(self, cells: Sequence[str]) -> int:
        """How many distinct fields a row's cells name."""
        return len({f for c in cells if c and (f := self.match(c))})

    def detect_header(self, rows: Sequence[Sequence[str]], scan: int = 15) -> int | None:
        """Index of the heading row among the first ``scan`` rows: the one naming the most fields.

        ``None`` when no row names any field (not a list of ours, or headings we do not know).
        """
        best, best_score = None, 0
        for i, cells in enumerate(rows[:scan]):
            score = self.score(cells)
            if score > best_score:
                best, best_score = i, score
        return best


CUSTOMERS = Columns(FIELDS, REQUIRED, _ALIASES, _CONTAINED)
ALIASES: dict[str, str] = CUSTOMERS.aliases


# The customer import's columns, as functions (the contacts' import calls its own ``Columns``).
def match_heading(text: str) -> str | None:
    return CUSTOMERS.match(text)


def guess_mapping(headings: Sequence[str]) -> list[str]:
    return CUSTOMERS.guess(headings)


def apply_override(mapping: Sequence[str], override: dict[int, str]) -> list[str]:
    return CUSTOMERS.override(mapping, override)


def check_mapping(mapping: Sequence[str]) -> list[MappingProblem]:
    return CUSTOMERS.check(mapping)


def header_score(cells: Sequence[str]) -> int:
    return CUSTOMERS.score(cells)


def detect_header(rows: Sequence[Sequence[str]], scan: int = 15) -> int | None:
    return CUSTOMERS.detect_header(rows, scan)


# --- cells --------------------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def cell_text(value) -> str:
    """A cell as clean text: full-width digits and letters folded (``rules.clean_text``; Chinese
    punctuation kept), invisible characters dropped, runs of spaces
    (non-breaking and ideographic ones included) made one, no space at either end; 13812345678.0
    read as 13812345678, a date as 2024-05-01."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    if not text.isascii():  # the customer rules' clean text: full-width digits and letters folded
        text = rules.clean_text(text).translate(_INVISIBLE)
    return " ".join(text.split())  # str.split() knows every Unicode space


def cell_lines(value) -> str:
    """``cell_text`` keeping the line breaks inside a cell (a note of several lines, a list typed one
    item per line): each line cleaned, blank lines dropped."""
    if not isinstance(value, str) or ("\n" not in value and "\r" not in value):
        return cell_text(value)
    return "\n".join(t for line in value.splitlines() if (t := cell_text(line)))


def clean_name(text: str) -> str:
    """A name as typed in a hurry, tidied: '张  三' → '张三', 'Li  Ming' → 'Li Ming'."""
    return _CJK_SPACE.sub("", cell_text(text))


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as Excel names columns)."""
    if index < 0:
        raise ValueError(index)
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_index(letters: str) -> int:
    """Inverse of ``column_letter``: A → 0, AA → 26."""
    if not letters or not letters.isascii() or not letters.isalpha():
        raise ValueError(letters)
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


_CELL_REF = re.compile(r"^([A-Za-z]{1,3})(\d+)$")


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'B3:C5' → (first row, first column, last row, last column), rows 1-based, columns 0-based."""
    a, _, b = ref.partition(":")
    b = b or a
    ma, mb = _CELL_REF.match(a.strip()), _CELL_REF.match(b.strip())
    if not ma or not mb:
        raise ValueError(ref)
    r1, c1, r2, c2 = int(ma[2]), column_index(ma[1]), int(mb[2]), column_index(mb[1])
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# --- the table ----------------------------------------------------------------------------------------


class Skip:
    """Why a row is not data (a code of the report)."""

    BLANK = "blank_row"
    MERGED = "merged_row"
    HEADING = "repeated_heading"


@dataclass(frozen=True)
class Table:
    """The sheet below its heading row: row numbers as Excel shows them, cells as clean text."""

    header_row: int  # 1-based
    headings: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells); trailing blank rows removed
    merged_rows: frozenset[int] = frozenset()  # rows that are one merged cell across the table


class NoHeading(ValueError):
    """The sheet has no row with anything in it."""


def make_table(
    raw_rows: Iterable[Sequence],
    merges: Iterable[str] = (),
    *,
    scan: int = 15,
    columns: Columns | None = None,
    keep_lines: bool = False,
) -> Table:
    """Clean every cell, find the heading row, spread merged cells, drop trailing blank rows.

    ``raw_rows`` are the sheet's rows from row 1 (cell values as the reader gives them);
    ``merges`` are the merged ranges in Excel notation ("A1:D1"); ``columns`` the import's fields
    (the customers' by default), whose headings tell the heading row. With ``keep_lines`` the
    cells keep their line breaks (``cell_lines``) for the fields that want them (see ``records``).
    """
    raw_rows = list(raw_rows)
    clean = cell_lines if keep_lines else cell_text
    rows = [[clean(v) for v in r] for r in raw_rows]
    index = (columns or CUSTOMERS).detect_header(rows, scan)
    if index is None:  # headings we do not know: the first non-blank row, for the user to map
        index = next((i for i, r in enumerate(rows) if any(r)), None)
        if index is None:
            raise NoHeading
    header_row = index + 1
    width = max((len(r) for r in rows), default=0)
    # the headings as the user wrote them (only spaces tidied), for the report
    headings = [" ".join(v.split()) if isinstance(v, str) else cell_text(v) for v in raw_rows[index]]
    headings += [""] * (width - len(headings))
    while headings and not headings[-1]:
        headings.pop()
    width = len(headings)
    data = [(n, (r + [""] * width)[:width]) for n, r in enumerate(rows[index + 1 :], start=header_row + 1)]
    by_number = {n: cells for n, cells in data}
    used = sum(1 for h in headings if h)
    merged_rows: set[int] = set()
    for ref in merges:
        try:
            r1, c1, r2, c2 = parse_range(ref)
        except ValueError:
            continue
        if r2 <= header_row:
            continue  # the title and the headings
        top = by_number.get(r1)
        value = top[c1] if top is not None and c1 < width else ""
        span = min(c2, width - 1) - c1 + 1
        if span >= 2 and span >= max(2, (used + 1) // 2):
            merged_rows.update(range(max(r1, header_row + 1), r2 + 1))
            continue
        for r in range(max(r1, header_row + 1), r2 + 1):
            cells = by_number.get(r)
            if cells is None:
                continue
            for c in range(c1, min(c2, width - 1) + 1):
                if not cells[c]:
                    cells[c] = value
    while data and not any(data[-1][1]) and data[-1][0] not in merged_rows:
        data.pop()
    return Table(header_row=header_row, headings=headings, rows=data, merged_rows=frozenset(merged_rows))


@dataclass
class Issue:
    """One line of the report. ``level``: error (row not imported), warning, skipped (not a data row)."""

    row: int
    code: str
    level: str = "error"
    column: int | None = None  # 0-based; None for the whole row
    field: str = ""
    params: dict = dataclasses.field(default_factory=dict)

    ERROR = "error"
    WARNING = "warning"
    SKIPPED = "skipped"

    @property
    def column_letter(self) -> str:
        return "" if self.column is None else column_letter(self.column)

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "code": self.code,
            "level": self.level,
            "column": self.column,
            "field": self.field,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Issue:
        return cls(d["row"], d["code"], d["level"], d["column"], d["field"], dict(d["params"]))


@dataclass
class Record:
    """A data row: the text of each mapped field and the column it came from."""

    row: int
    values: dict[str, str]
    columns: dict[str, int]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def records(table: Table, mapping: Sequence[str], keep_lines: Container[str] = ()) -> tuple[list[Record], list[Issue]]:
    """The data rows as records, and the rows skipped (blank, merged, repeated headings).

    A cell's line breaks (a table made with ``keep_lines``) stay for the fields in ``keep_lines``
    and become spaces elsewhere."""
    cols = {f: i for i, f in enumerate(mapping) if f and i < len(table.headings)}
    heading_key = [normalize_heading(h) for h in table.headings]
    probe = next((i for i, k in enumerate(heading_key) if k), 0)  # one cell tells a heading row apart
    out, skipped = [], []
    for number, cells in table.rows:
        if number in table.merged_rows:
            skipped.append(Issue(number, Skip.MERGED, Issue.SKIPPED))
            continue
        if not any(cells):
            skipped.append(Issue(number, Skip.BLANK, Issue.SKIPPED))
            continue
        if (
            heading_key
            and normalize_heading(cells[probe]) == heading_key[probe]
            and [normalize_heading(c) for c in cells] == heading_key
        ):
            skipped.append(Issue(number, Skip.HEADING, Issue.SKIPPED))
            continue
        values = {
            f: cells[i] if f in keep_lines or "\n" not in cells[i] else cells[i].replace("\n", " ")
            for f, i in cols.items()
        }
        if not any(values.values()):
            skipped.append(Issue(number, Skip.BLANK, Issue.SKIPPED))  # data only in ignored columns
            continue
        out.append(Record(number, values, cols))
    return out, skipped


# --- values -------------------------------------------------------------------------------------------


class BadValue(ValueError):
    """A cell that is not one of the values the field accepts; ``allowed`` lists them for the report."""

    def __init__(self, allowed: str = ""):
        super().__init__(allowed)
        self.allowed = allowed


def _label_table(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(label): code for code, labels in pairs.items() for label in (code, *labels)}


_KINDS = _label_table(
    {
        "person": ("个人", "自然人", "私人", "person", "individual"),
        "company": ("公司", "企业", "单位", "法人", "company", "corporate"),
    }
)
_WORK_TYPES = _label_table(
    {
        cls.WorkType.MINING: ("矿山", "矿山类", "矿业", "采矿", "矿"),
        cls.WorkType.ENGINEERING: ("工程", "工程类", "基建", "施工"),
    }
)
_ENGINEERING_KINDS = _label_table(
    {
        cls.EngineeringKind.ROADS_BRIDGES: ("路桥", "道路", "桥梁", "公路", "roads", "roadsbridges"),
        cls.EngineeringKind.WATER: ("水利", "水利工程", "河道"),
        cls.EngineeringKind.MUNICIPAL: ("市政", "市政工程"),
        cls.EngineeringKind.LANDSCAPING: ("园林", "绿化", "园林绿化"),
        cls.EngineeringKind.BUILDING: ("建筑", "房建", "建筑工程"),
    }
)
_USES = _label_table({cls.Use.OWN_USE: ("自用", "自用类", "ownuse"), cls.Use.RENTAL: ("租赁", "租赁类", "出租")})
_SCALES = _label_table(
    {
        cls.Scale.INDIVIDUAL: ("个体户", "个体", "个人"),
        cls.Scale.TEAM: ("工程队", "施工队", "团队", "合伙"),
        cls.Scale.SELF_OPERATED: ("自营工程公司", "自营", "自营公司", "selfoperated"),
        cls.Scale.CONTRACTOR: ("工程承建公司", "承建", "承建公司", "承包商", "工程承包"),
    }
)
_COMPANY_WORDS = ("公司", "有限", "集团")


def _lookup(table: dict[str, str], text: str, allowed: str) -> str:
    """A label (or the model's own label "Mining (矿山类)") to its code; "" for a blank cell."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    for candidate in (text, _BRACKETED.sub(" ", text), *_BRACKETED.findall(text)):
        key = _norm(candidate)
        if key in table:
            return table[key]
    raise BadValue(allowed)


def parse_kind(text: str, name: str = "") -> str:
    """Person or company; a blank cell guesses from the name (…有限公司 is a company)."""
    if not text:
        return "company" if any(w in name for w in _COMPANY_WORDS) else "person"
    return _lookup(_KINDS, text, "个人、公司")


def parse_work_type(text: str) -> tuple[str, str]:
    """(work type, engineering kind): "路桥" in the work-type column means engineering, roads."""
    try:
        return _lookup(_WORK_TYPES, text, ""), ""
    except BadValue:
        pass
    try:
        return cls.WorkType.ENGINEERING.value, _lookup(_ENGINEERING_KINDS, text, "")
    except BadValue:
        raise BadValue("矿山类、工程类") from None


def parse_engineering_kind(text: str) -> str:
    return _lookup(_ENGINEERING_KINDS, text, "路桥、水利、市政、园林、建筑")


def parse_use(text: str) -> str:
    return _lookup(_USES, text, "自用、租赁")


def parse_scale(text: str) -> str:
    return _lookup(_SCALES, text, "个体户、工程队、自营工程公司、工程承建公司")


_GRADE = re.compile(r"^(\d+)(?:\.0+)?\s*(?:类客户|类|级|分)?$")


def parse_grade(text: str) -> str:
    """'9', '9.0', '9类', '9级' → '9' (whether 9 is a grade is the customer rules' call); "" if blank."""
    if not text:
        return ""
    m = _GRADE.match(text.strip())
    return m[1] if m else text


_COUNT = re.compile(r"^(\d+)(?:\.0+)?\s*(?:台|辆|部)?$")


def parse_count(text: str) -> int | None:
    """'3', '3台', '3.0' → 3; None if blank; BadValue otherwise."""
    if not text:
        return None
    m = _COUNT.match(text.strip())
    if not m:
        raise BadValue("0, 1, 2 …")
    return int(m[1])


_PHONE_SPLIT = re.compile(r"[/,;、|\n]+")


def split_phones(text: str) -> list[str]:
    """'138…/139…' or '138…，139…' → both numbers (a cell holding two); '138 1234 5678' stays one."""
    parts = [p.strip() for p in _PHONE_SPLIT.split(text or "")]
    return [p for p in parts if p]


def clean_id_number(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


# --- near-identical names -----------------------------------------------------------------------------

COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "责任公司", "分公司", "公司")
MIN_FUZZY_LENGTH = 4  # shorter names (most personal names) must be equal to count as near-identical


def name_key(name: str) -> str:
    """What two spellings of one name share: no spaces, punctuation, case or company suffix."""
    key = _norm(name or "")
    for suffix in COMPANY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def area_key(city: str = "", district: str = "") -> str:
    """The area names are compared in: the district ('历城区' and '历城' alike), else the city."""
    for value in (district, city):
        key = _norm(value or "")
        if len(key) > 1 and key[-1] in "区县市旗":
            key = key[:-1]
        if key:
            return key
    return ""


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; with ``limit``, any answer above it is returned as limit + 1."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    cap = None if limit is None else limit + 1
    if cap is not None and len(a) - len(b) >= cap:
        return cap
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if cap is not None and min(current) >= cap:
            return cap
        previous = current
    d = previous[-1]
    return d if cap is None else min(d, cap)


def keys_near(ka: str, kb: str) -> bool:
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    if min(len(ka), len(kb)) < MIN_FUZZY_LENGTH:
        return False
    return edit_distance(ka, kb, 1) <= 1


def near_identical(a: str, b: str) -> bool:
    """Two names that are probably one customer (compare only within one area)."""
    return keys_near(name_key(a), name_key(b))


def _deletions(key: str) -> set[str]:
    if len(key) < MIN_FUZZY_LENGTH:
        return set()
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


class NameIndex:
    """Finds near-identical names per area without comparing every pair.

    Two keys one edit apart share a key-with-one-character-deleted (or one is the other with a
    character deleted), so candidates come from a dictionary of deletions; each is then checked with
    ``keys_near``. ``find`` returns the references added under near-identical names, in order added.
    """

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], list] = {}
        self._deleted: dict[tuple[str, str], set[str]] = {}

    def add(self, area: str, name: str, ref) -> None:
        key = name_key(name)
        if not key:
            return
        self._exact.setdefault((area, key), []).append(ref)
        if len(key) >= MIN_FUZZY_LENGTH:
            for d in _deletions(key) | {key}:
                self._deleted.setdefault((area, d), set()).add(key)

    def find(self, area: str, name: str) -> list:
        key = name_key(name)
        if not key:
            return []
        keys = {key}
        if len(key) >= MIN_FUZZY_LENGTH:
            for probe in _deletions(key) | {key}:
                keys |= self._deleted.get((area, probe), set())
        out = []
        for k in sorted(keys):
            if keys_near(key, k):
                out.extend(self._exact.get((area, k), ()))
        return out
