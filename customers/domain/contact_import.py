"""Reading a dealer's list of grade-0 industry contacts (0类客户), as plain Python (no Django).

A list holds one kind of contact (a sheet of excavator operators) or several, told apart by a kind
column (类别) holding the kinds' Chinese names ("挖机手", "配件店" …, or the export's labels). The
columns are the contact's common fields — name, mobile, region, area, address, reputation (口碑),
note — and the detail fields of the kind (``domain.contacts.SCHEMA``), under the headings a dealer
writes ("年龄", "工龄", "月工资") or those of the template and of the export. The export puts a
contact's details in one column (详细信息) as "label：value；label：value"; ``split_details`` reads
it back, so an exported list imports as the same contacts.

A detail column is mapped to ``details.<field>``. Some headings name different fields in different
kinds ("现有设备" is a contractor's machine count and a machinery owner's list of machines): a
row's cells are read with the fields of the row's own kind (``ContactColumns.detail_field``).

The cells themselves are cleaned by ``domain.importing`` (full-width digits, stray spaces, merged
and blank rows); the values are checked by ``domain.contacts.clean_value`` (ranges, money).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from . import contacts as schema
from . import importing as imp

KIND = "kind"
NAME = "name"
PHONE = "phone"
REGION = "region"
PROVINCE = "province"
CITY = "city"
DISTRICT = "district"
ADDRESS = "address"
REPUTATION = "reputation"
NOTE = "note"
DETAILS = "details"  # the export's column of all details ("年龄：35；老家：临沂")
DETAIL_PREFIX = "details."

COMMON = (KIND, NAME, PHONE, REGION, PROVINCE, CITY, DISTRICT, ADDRESS, REPUTATION, NOTE, DETAILS)
REQUIRED = (NAME,)

TEMPLATE_HEADINGS = {
    KIND: "类别",
    NAME: "名称",
    PHONE: "手机号",
    REGION: "区域",
    PROVINCE: "省",
    CITY: "市",
    DISTRICT: "区县",
    ADDRESS: "地址",
    REPUTATION: "口碑",
    NOTE: "备注",
    DETAILS: "详细信息",
}

_COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    KIND: (
        "类别",
        "类型",
        "种类",
        "分类",
        "联系人类别",
        "联系人类型",
        "行业类别",
        "行业类型",
        "人脉类别",
        "kind",
        "type",
        "category",
    ),
    NAME: (
        "名称",
        "姓名",
        "名字",
        "单位名称",
        "公司名称",
        "企业名称",
        "店名",
        "店铺名称",
        "商户名称",
        "客户名称",
        "客户姓名",
        "联系人名称",
        "name",
    ),
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
        "mobile",
        "mobilephone",
        "phone",
        "tel",
        "telephone",
        "cellphone",
    ),
    REGION: ("区域", "销售区域", "所属区域", "大区", "片区", "region", "salesregion"),
    PROVINCE: ("省", "省份", "所在省", "所在省份", "province"),
    CITY: ("市", "城市", "地市", "所在市", "所在城市", "地级市", "city"),
    DISTRICT: ("区县", "县区", "区", "县", "县市区", "所在区县", "district", "county"),
    ADDRESS: ("地址", "详细地址", "住址", "联系地址", "通讯地址", "所在地", "address"),
    REPUTATION: ("口碑", "评价", "口碑评价", "行业口碑", "信誉", "reputation"),
    NOTE: ("备注", "说明", "备注说明", "note", "notes", "remark", "remarks"),
    DETAILS: ("详细信息", "详情", "明细", "其他信息", "details"),
    imp.IGNORE: ("座机", "固定电话", "固话", "办公电话", "传真", "序号", "编号", "记录人", "recordedby"),
}
_CONTAINED = ("手机", "电话", "地址", "区县", "省份", "城市", "座机")

# The kinds as a dealer names them (the models' labels, in every language, are added by the caller).
KIND_NAMES: dict[str, tuple[str, ...]] = {
    schema.Kind.CONTRACTOR: ("工程承包商", "承包商", "工程商", "包工头", "工程老板", "contractor"),
    schema.Kind.OPERATOR: ("挖机手", "机手", "挖掘机手", "挖机司机", "操作手", "operator"),
    schema.Kind.PARTS_SHOP: ("配件店", "配件商", "配件", "配件门店", "partsshop", "parts"),
    schema.Kind.REPAIR_SHOP: ("维修厂", "修理厂", "维修店", "维修点", "维修", "repairshop", "repair"),
    schema.Kind.FLATBED: ("平板车物流", "平板车", "平板物流", "拖车", "物流", "flatbed"),
    schema.Kind.USED_TRADER: ("二手市场", "二手车商", "二手设备商", "二手商", "二手", "usedtrader"),
    schema.Kind.OTHER_MACHINERY: (
        "非挖机设备老板",
        "非挖设备老板",
        "其他设备老板",
        "设备老板",
        "othermachinery",
    ),
}

_CONTACT_PERSON = ("联系人", "联系人姓名", "对接人", "负责人")
# The headings a dealer writes for each kind's detail fields (the schema's labels, in every
# language, are added by the caller). The first is the template's heading.
DETAIL_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    schema.Kind.CONTRACTOR: {
        "company": ("公司", "所属公司", "单位", "承包公司"),
        "staff": ("员工人数", "人数", "员工数", "公司人数"),
        "machines": ("现有设备", "设备台数", "挖机台数", "设备数", "机器台数"),
        "main_work": ("主要工程类型", "主营工程", "工程类型", "主要工程", "主要业务"),
        "cases": ("已做项目", "案例", "工程案例", "项目案例", "做过的项目"),
    },
    schema.Kind.OPERATOR: {
        "age": ("年龄", "岁数"),
        "home": ("老家", "籍贯", "家乡", "家庭住址"),
        "years": ("操作年限", "工龄", "年限", "从业年限", "开机年限", "驾龄"),
        "machine_types": ("擅长机型", "最擅长的机型", "会开机型", "机型"),
        "wage": ("月工资", "工资", "月薪", "薪资", "工资要求"),
        "employer": ("雇主", "老板", "所在单位", "现雇主"),
    },
    schema.Kind.PARTS_SHOP: {
        "contact_person": _CONTACT_PERSON,
        "brands": ("配件品牌", "品牌", "经营品牌"),
        "main_parts": ("主营配件", "主营产品", "配件", "主营"),
        "staff": ("员工人数", "人数", "员工数"),
    },
    schema.Kind.REPAIR_SHOP: {
        "contact_person": _CONTACT_PERSON,
        "mechanics": ("维修工人数", "维修工", "技工人数", "师傅人数", "修理工人数"),
        "brands": ("维修品牌", "品牌", "擅长品牌"),
        "services": ("服务项目", "维修项目", "服务", "业务范围"),
    },
    schema.Kind.FLATBED: {
        "contact_person": _CONTACT_PERSON,
        "trucks": ("平板车数量", "车辆数", "车辆数量", "平板车", "车数"),
        "max_load": ("最大载重", "载重", "吨位", "最大吨位"),
        "routes": ("运输线路", "线路", "服务区域", "运输范围"),
        "trip_price": ("单趟运费", "运费", "常规运费", "本地运费"),
    },
    schema.Kind.USED_TRADER: {
        "contact_person": _CONTACT_PERSON,
        "stock_count": ("库存设备数", "库存台数", "库存数量", "库存数"),
        "stock": ("库存及报价", "库存", "在售设备", "库存设备"),
        "wanted": ("求购机型及收购价", "求购", "求购机型", "收购"),
    },
    schema.Kind.OTHER_MACHINERY: {
        "machine_types": ("现有设备", "设备类型", "设备种类", "设备"),
        "machine_count": ("设备数量", "设备台数", "台数"),
        "business": ("主营业务", "业务", "行业"),
    },
}


def detail_target(name: str) -> str:
    return DETAIL_PREFIX + name


def detail_name(target: str) -> str:
    return target.removeprefix(DETAIL_PREFIX)


def is_detail(target: str) -> bool:
    return target.startswith(DETAIL_PREFIX)


def detail_names() -> list[str]:
    """Every detail field of every kind, once each, in the schema's order."""
    out: list[str] = []
    for specs in schema.SCHEMA.values():
        for spec in specs:
            if spec.name not in out:
                out.append(spec.name)
    return out


def template_heading(kind: str, name: str) -> str:
    return DETAIL_ALIASES[schema.Kind(kind)][name][0]


class ContactColumns:
    """The columns of a list of industry contacts and the kinds' names.

    ``labels`` adds, per (kind, detail field), the headings the pages and the export use in each
    language; ``kind_labels`` adds, per kind, its label in each language; ``first`` is the kind
    chosen for the whole sheet, whose headings win where kinds disagree.
    """

    def __init__(
        self,
        labels: Mapping[tuple[str, str], Iterable[str]] | None = None,
        kind_labels: Mapping[str, Iterable[str]] | None = None,
        first: str | None = None,
    ):
        labels = labels or {}
        kind_labels = kind_labels or {}
        kinds = list(schema.Kind)
        if first in kinds:
            kinds.remove(schema.Kind(first))
            kinds.insert(0, schema.Kind(first))
        self.by_kind: dict[str, imp.Columns] = {}
        for kind in schema.Kind:
            aliases: dict[str, list[str]] = {}
            for spec in schema.SCHEMA[kind]:
                names = [*DETAIL_ALIASES[kind].get(spec.name, ()), spec.label, *labels.get((kind, spec.name), ())]
                aliases[detail_target(spec.name)] = names
            self.by_kind[kind] = imp.Columns(list(aliases), (), aliases)
        shared: dict[str, str] = {}  # normalised heading → detail field; the first kind keeps a shared one
        for kind in kinds:
            for key, target in self.by_kind[kind].aliases.items():
                shared.setdefault(key, target)
        all_aliases: dict[str, list[str]] = {f: list(a) for f, a in _COMMON_ALIASES.items()}
        for key, target in shared.items():
            all_aliases.setdefault(target, []).append(key)
        fields = [*COMMON, *(detail_target(n) for n in detail_names())]
        self.columns = imp.Columns(fields, REQUIRED, all_aliases, _CONTAINED)
        self.kinds: dict[str, str] = {}
        for kind in schema.Kind:
            for name in (kind.value, *KIND_NAMES[kind], *kind_labels.get(kind, ())):
                self.kinds.setdefault(imp.normalize_heading(name), kind.value)
                # "Contractor (工程承包商)": the text outside the brackets and the note name it too
                for part in imp.variants(name):
                    self.kinds.setdefault(imp.normalize_heading(part), kind.value)
        self.kinds.pop("", None)

    @property
    def fields(self) -> tuple[str, ...]:
        return self.columns.fields

    def parse_kind(self, text: str) -> str:
        """A kind's code from its name ("挖机手", "Excavator operator (挖机手)", "operator");
        "" for a blank cell; BadValue otherwise, naming the kinds."""
        if not text:
            return ""
        for candidate in imp.variants(text):
            key = imp.normalize_heading(candidate)
            if key in self.kinds:
                return self.kinds[key]
        raise imp.BadValue("、".join(KIND_NAMES[k][0] for k in schema.Kind))

    def detail_field(self, kind: str, target: str, heading: str) -> schema.DetailField | None:
        """The detail field of ``kind`` that a column holds: the mapped one when the kind has it,
        else the one the column's heading names among the kind's fields; None when neither."""
        specs = {s.name: s for s in schema.fields_of(kind)}
        name = detail_name(target)
        if name in specs:
            return specs[name]
        other = self.by_kind[kind].match(heading) if kind in self.by_kind else None
        return specs.get(detail_name(other)) if other else None

    def infer_kind(self, headings: Sequence[str], mapping: Sequence[str]) -> str:
        """The kind the detail columns reveal: the only kind whose fields every detail column names
        (a sheet of operators has 年龄, 工龄, 月工资); "" when there is none or several."""
        details = [h for h, m in zip(headings, mapping, strict=False) if is_detail(m)]
        if not details:
            return ""
        fitting = [k for k, cols in self.by_kind.items() if all(cols.match(h) for h in details)]
        return fitting[0] if len(fitting) == 1 else ""

    def details_labels(self, kind: str) -> imp.Columns:
        """The headings of a kind's detail fields, to read the export's details column."""
        return self.by_kind[kind]


_FIELD_SEP = re.compile(r"[；;]")
_LABEL_SEP = re.compile(r"[：:]")
_LIST_SEP = re.compile(r"[；;、\n]+")


def split_details(text: str, labels: imp.Columns, kind: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The export's details cell ("年龄：35；擅长机型：60级；200级") as (field, parts) in the order
    written, and the parts that name no field of the kind.

    A part "label：value" whose label names a field of ``kind`` starts that field; another part
    continues the field before it when that is a list (its next item) or a text (which held a
    "；"); anything else — before the first field, or after a number — is unknown.
    """
    types = {s.name: s.type for s in schema.fields_of(kind)}
    fields: list[tuple[str, list[str]]] = []
    unknown: list[str] = []
    for part in _FIELD_SEP.split(text or ""):
        part = part.strip()
        if not part:
            continue
        m = _LABEL_SEP.search(part)
        target = labels.match(part[: m.start()]) if m and m.start() > 0 else None
        if target and detail_name(target) in types:
            fields.append((detail_name(target), [part[m.end() :].strip()]))
        elif fields and types[fields[-1][0]] in (schema.FieldType.LIST, schema.FieldType.TEXT):
            fields[-1][1].append(part)
        else:
            unknown.append(part)
    return fields, unknown


def list_items(text: str) -> list[str]:
    """A list cell: items separated by ；、 or line breaks ("60级、200级")."""
    return [p.strip() for p in _LIST_SEP.split(text or "") if p.strip()]


def joined_value(spec: schema.DetailField, parts: list[str]):
    """The value of a field read from the details column: a list's items, or the text rejoined."""
    if spec.type == schema.FieldType.LIST:
        return [p for p in parts if p]
    return "；".join(parts)
