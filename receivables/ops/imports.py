"""Excel import of running instalment contracts (存量分期合同导入): a dealer adopting DigDeal already
has contracts being paid; they come in as receivable accounts (source ``import``) with their
instalments and, for what was already paid, one opening payment each (posted through
``receivables.services.payment_record`` with a deterministic idempotency key).

One sheet, one row per instalment; the contract's own columns (customer, machine, policy, principal,
start date, salesperson, lock allowed, pay day) repeat on each of its rows (the first row of a
contract gives them; a later row saying otherwise is an error). Reading the file, finding the
headings and cleaning cells reuse the customer import's helpers (``customers.import_base``,
``customers.domain.importing``). ``analyse`` checks every row and reports row by row (row number,
column, message in the reader's language); ``services.contracts_import`` writes all or nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import User
from core.visibility import visible
from customers import import_base
from customers.domain import importing as imp
from customers.models import Customer

from ..models import ReceivableAccount

IGNORE = imp.IGNORE

# field → (heading of the template, other headings recognised)
COLUMNS_SPEC: dict[str, tuple[str, tuple[str, ...]]] = {
    "contract_number": (
        "合同编号 (contract number)",
        ("合同号", "合同编号", "contractnumber", "contractno", "contract"),
    ),
    "customer": ("客户 (customer: name or mobile)", ("客户", "客户名称", "客户姓名", "客户手机", "customer")),
    "product": ("机型 (machine)", ("机型", "设备", "产品", "machine", "model", "product")),
    "policy": ("商务政策 (policy)", ("商务政策", "政策", "分期方案", "policy")),
    "principal": ("合同本金 (principal)", ("合同本金", "本金总额", "融资金额", "principal")),
    "start_on": ("起始日期 (start date)", ("起始日期", "起租日", "开始日期", "startdate", "start")),
    "salesperson": ("业务员账号 (salesperson username)", ("业务员", "业务员账号", "salesperson", "username")),
    "n": ("期数 (instalment no.)", ("期数", "期次", "第几期", "instalmentno", "instalment", "n")),
    "due_on": ("到期日 (due date)", ("到期日", "应还日期", "还款日期", "duedate", "due")),
    "principal_part": ("本期本金 (principal part)", ("本期本金", "principalpart")),
    "interest": ("利息 (interest)", ("利息", "interest")),
    "fee": ("手续费 (fee)", ("手续费", "费用", "fee")),
    "amount": ("应还金额 (amount)", ("应还金额", "本期应还", "月供", "amount")),
    "paid": ("已还金额 (already paid)", ("已还金额", "已还", "alreadypaid", "paid")),
    "lock_allowed": ("允许锁机 (lock allowed: 是/否)", ("允许锁机", "可锁机", "lockallowed", "lock")),
    "pay_day": ("客户回款日 (customer's pay day 1–31)", ("客户回款日", "回款日", "payday")),
}
FIELDS = tuple(COLUMNS_SPEC)
REQUIRED = ("contract_number", "customer", "principal", "start_on", "n", "due_on", "amount")
ROW_REQUIRED = ("contract_number", "n", "due_on", "amount")  # on every row
CONTRACT_REQUIRED = ("customer", "principal", "start_on")  # on a contract's first row
CONTRACT_FIELDS = ("customer", "product", "policy", "principal", "start_on", "salesperson", "lock_allowed", "pay_day")
COLUMNS = imp.Columns(
    FIELDS,
    REQUIRED,
    {f: (heading, *aliases) for f, (heading, aliases) in COLUMNS_SPEC.items()} | {IGNORE: ("序号", "备注", "note")},
)

LABELS = {
    "contract_number": gettext_lazy("contract number"),
    "customer": gettext_lazy("customer"),
    "product": gettext_lazy("machine"),
    "policy": gettext_lazy("commercial policy"),
    "principal": gettext_lazy("principal"),
    "start_on": gettext_lazy("start date"),
    "salesperson": gettext_lazy("salesperson"),
    "n": gettext_lazy("instalment number"),
    "due_on": gettext_lazy("due date"),
    "principal_part": gettext_lazy("principal part"),
    "interest": gettext_lazy("interest"),
    "fee": gettext_lazy("fee"),
    "amount": gettext_lazy("amount due"),
    "paid": gettext_lazy("already paid"),
    "lock_allowed": gettext_lazy("lock allowed"),
    "pay_day": gettext_lazy("customer's pay day"),
}

YES = {"是", "y", "yes", "true", "1", "允许", "可以", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "不允许", "不可以", "×", ""}
MAX_FEN = 10**13  # 1,000 billion yuan: beyond any machine's contract
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MOBILE = re.compile(r"^1\d{10}$")


def may_import(user) -> bool:
    from core.models import Role

    return user.is_authenticated and user.has_role(Role.FINANCE, Role.ADMIN)


# --- the template ----------------------------------------------------------------------------------------


def template_xlsx() -> bytes:
    """The template: the headings (Chinese, English in brackets), two example contracts, and a notes
    sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "合同分期 (contracts)"
    ws.append([heading for heading, _aliases in COLUMNS_SPEC.values()])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for i in range(1, len(FIELDS) + 1):
        ws.column_dimensions[imp.column_letter(i - 1)].width = 18
    example = [
        ("HT2025-0101", "13800000000", "HY65-9", "厂家贴息分期", "240000.00", "2025-06-01", "", 1, "2025-07-01",
         "20000.00", "800.00", "0", "20800.00", "20800.00", "是", 28),
        ("HT2025-0101", "13800000000", "HY65-9", "厂家贴息分期", "240000.00", "2025-06-01", "", 2, "2025-08-01",
         "20000.00", "700.00", "0", "20700.00", "", "是", 28),
    ]  # fmt: skip
    for row in example:
        ws.append(list(row))
    notes = wb.create_sheet("说明 (notes)")
    notes.append(["列 (column)", "必填 (required)", "说明 (notes)"])
    for cell in notes[1]:
        cell.font = bold
    explain = {
        "contract_number": "同一合同的每一期一行，合同编号相同 (one row per instalment; the same number on each)",
        "customer": "客户名称或手机号，须为本公司已有客户 (an existing customer: name or mobile)",
        "principal": "元，可带两位小数 (yuan, up to 2 decimals)",
        "start_on": "YYYY-MM-DD",
        "salesperson": "可空：默认为客户的负责业务员 (optional: the customer's owner by default)",
        "due_on": "YYYY-MM-DD",
        "amount": "= 本期本金 + 利息 + 手续费 (= principal part + interest + fee)",
        "paid": "可空：已还部分记为一笔期初回款 (optional: posted as one opening payment)",
        "lock_allowed": "是/否 (yes/no)",
        "pay_day": "1–31，可空：客户项目回款的日子 (optional: the day the customer's project pays them)",
    }
    for f, (heading, _aliases) in COLUMNS_SPEC.items():
        notes.append([heading, "是" if f in REQUIRED else "否", explain.get(f, "")])
    notes.column_dimensions["A"].width = 34
    notes.column_dimensions["C"].width = 70
    return import_base.workbook_bytes(wb)


# --- parsing cells ---------------------------------------------------------------------------------------


class CellError(ValueError):
    pass


def parse_date(text: str) -> dt.date:
    text = text.strip()
    m = _DATE.match(text) or _COMPACT.match(text)
    if m is None:
        raise CellError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text})
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CellError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text}) from None


def parse_amount(text: str) -> int:
    """Yuan as typed ("20,800.00", "¥20800", "20800元") → fen, exactly; CellError otherwise."""
    raw = text.strip()
    cleaned = raw.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").removesuffix("元").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not an amount in yuan.") % {"value": raw}) from None
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not an amount in yuan.") % {"value": raw})
    if value < 0:
        raise CellError(_("The amount cannot be negative."))
    fen = value * 100
    if fen != fen.to_integral_value():
        raise CellError(_("“%(value)s” has more than 2 decimals: amounts are in yuan and fen.") % {"value": raw})
    if fen > MAX_FEN:
        raise CellError(_("The amount is too large."))
    return int(fen)


def parse_int(text: str, low: int, high: int) -> int:
    raw = text.strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.to_integral_value() or not low <= value <= high:
        raise CellError(
            _("“%(value)s” is not a whole number from %(low)s to %(high)s.") % {"value": raw, "low": low, "high": high}
        )
    return int(value)


def parse_yes_no(text: str) -> bool:
    key = text.strip().lower()
    if key in YES:
        return True
    if key in NO:
        return False
    raise CellError(_("“%(value)s” is not 是 or 否 (yes or no).") % {"value": text})


# --- the analysis ----------------------------------------------------------------------------------------


@dataclass
class RowIssue:
    row: int
    column: str  # letter, "" for the whole row
    heading: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "heading": self.heading,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class ContractRows:
    number: str
    first_row: int
    customer: Customer | None = None
    product: str = ""
    policy: str = ""
    principal_fen: int = 0
    start_on: dt.date | None = None
    salesperson: User | None = None
    lock_allowed: bool = False
    pay_day: int | None = None
    instalments: list[dict] = field(default_factory=list)

    @property
    def paid_fen(self) -> int:
        return sum(i["paid_fen"] for i in self.instalments)


@dataclass
class Analysis:
    filename: str
    sheet: str
    header_row: int
    headings: list[str]
    contracts: list[ContractRows]
    issues: list[RowIssue]
    rows: int

    @property
    def ok(self) -> bool:
        return not self.issues

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "contracts": len(self.contracts),
            "instalments": sum(len(c.instalments) for c in self.contracts),
            "opening_payments": sum(1 for c in self.contracts if c.paid_fen),
            "paid_fen": sum(c.paid_fen for c in self.contracts),
            "amount_fen": sum(i["amount_fen"] for c in self.contracts for i in c.instalments),
            "errors": len(self.issues),
        }


class _Customers:
    """The customers the user may see, found by mobile or exact name; loaded in bulk (2 queries)."""

    def __init__(self, actor, keys: set[str]):
        phones = {k for k in keys if _MOBILE.match(k)}
        names = keys - phones
        qs = visible(actor, Customer).filter(Q(phone__in=phones) | Q(name__in=names)).select_related("owner")
        self.by_phone: dict[str, Customer] = {}
        self.by_name: dict[str, list[Customer]] = {}
        for c in qs:
            if c.phone:
                self.by_phone[c.phone] = c
            self.by_name.setdefault(c.name, []).append(c)

    def find(self, key: str) -> Customer:
        if key in self.by_phone:
            return self.by_phone[key]
        found = self.by_name.get(key, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(
                _("Several customers are named “%(value)s”: give the customer's mobile number.") % {"value": key}
            )
        raise CellError(_("“%(value)s” is not a customer of yours (name or mobile number).") % {"value": key})


def analyse(*, actor, filename: str, data: bytes) -> Analysis:
    """Read and check the whole file; nothing is written. ValidationError({"file": …}) when the file
    cannot be read or lacks a required column."""
    sheet = import_base.read_file(filename, data, COLUMNS)
    try:
        table = imp.make_table(sheet.rows, sheet.merges, columns=COLUMNS)
    except imp.NoHeading:
        raise import_base.file_error(_("The file is empty.")) from None
    mapping = COLUMNS.guess(table.headings)
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        names = "、".join(COLUMNS_SPEC[f][0] for f in missing)
        raise import_base.file_error(
            _("Required columns are missing: %(columns)s. Download the template to see the headings.")
            % {"columns": names}
        )
    records, _skipped = imp.records(table, mapping)
    issues: list[RowIssue] = []

    def add(rec: imp.Record | None, row: int, fname: str, message: str) -> None:
        col = rec.columns.get(fname) if rec is not None and fname else None
        issues.append(
            RowIssue(
                row=row,
                column=imp.column_letter(col) if col is not None else "",
                heading=table.headings[col] if col is not None else "",
                field=fname,
                message=message,
            )
        )

    customers = _Customers(actor, {r.get("customer") for r in records if r.get("customer")})
    usernames = {r.get("salesperson") for r in records if r.get("salesperson")}
    staff = {
        u.username: u for u in User.objects.filter(company_id=actor.company_id, username__in=usernames, is_active=True)
    }
    numbers = {r.get("contract_number") for r in records if r.get("contract_number")}
    taken = set(
        ReceivableAccount.objects.filter(company_id=actor.company_id, contract_number__in=numbers).values_list(
            "contract_number", flat=True
        )
    )
    records_by_row = {r.row: r for r in records}
    contracts: dict[str, ContractRows] = {}
    first_values: dict[str, dict[str, str]] = {}
    for rec in records:
        row = rec.row
        number = rec.get("contract_number")
        first = bool(number) and number not in contracts
        bad = False
        for fname in ROW_REQUIRED + (CONTRACT_REQUIRED if first else ()):
            if not rec.get(fname):
                add(rec, row, fname, _("Required: fill in the %(field)s.") % {"field": LABELS[fname]})
                bad = True
        if not number:
            continue
        if len(number) > 30:
            add(rec, row, "contract_number", _("At most %(n)d characters.") % {"n": 30})
            continue
        contract = contracts.get(number)
        if contract is None:
            contract = contracts[number] = ContractRows(number=number, first_row=row)
            first_values[number] = {f: rec.get(f) for f in CONTRACT_FIELDS}
            if number in taken:
                add(
                    rec,
                    row,
                    "contract_number",
                    _("Contract %(number)s is already in receivables.") % {"number": number},
                )
            _contract_fields(contract, rec, row, add, customers, staff)
        else:
            for fname in CONTRACT_FIELDS:
                if rec.get(fname) and rec.get(fname) != first_values[number][fname]:
                    add(
                        rec,
                        row,
                        fname,
                        _("“%(value)s” differs from row %(other)s of the same contract.")
                        % {"value": rec.get(fname), "other": contract.first_row},
                    )
        line = _instalment(rec, row, add, contract)
        if line is not None and not bad:
            contract.instalments.append(line)
    for contract in contracts.values():
        if contract.customer is not None and contract.salesperson is None:
            contract.salesperson = contract.customer.owner
        _paid_in_order(contract, add, records_by_row)
    issues.sort(key=lambda i: (i.row, i.column))
    return Analysis(
        filename=filename,
        sheet=sheet.name,
        header_row=table.header_row,
        headings=table.headings,
        contracts=list(contracts.values()),
        issues=issues,
        rows=len(records),
    )


def _contract_fields(contract: ContractRows, rec, row, add, customers: _Customers, staff: dict) -> None:
    if key := rec.get("customer"):
        try:
            contract.customer = customers.find(key)
        except CellError as exc:
            add(rec, row, "customer", str(exc))
    contract.product = rec.get("product")[:120]
    contract.policy = rec.get("policy")[:100]
    for fname, parse in (
        ("principal", parse_amount),
        ("start_on", parse_date),
        ("lock_allowed", parse_yes_no),
        ("pay_day", lambda t: parse_int(t, 1, 31)),
    ):
        text = rec.get(fname)
        if not text and fname != "lock_allowed":
            continue
        try:
            value = parse(text)
        except CellError as exc:
            add(rec, row, fname, str(exc))
            continue
        if fname == "principal":
            if value <= 0:
                add(rec, row, fname, _("The principal must be more than zero."))
            contract.principal_fen = value
        elif fname == "start_on":
            contract.start_on = value
        elif fname == "lock_allowed":
            contract.lock_allowed = value
        else:
            contract.pay_day = value
    if username := rec.get("salesperson"):
        user = staff.get(username)
        if user is None:
            add(rec, row, "salesperson", _("“%(value)s” is not a user of your company.") % {"value": username})
        contract.salesperson = user


def _instalment(rec, row, add, contract: ContractRows) -> dict | None:
    out: dict = {"row": row}
    ok = True
    text = rec.get("n")
    if text:
        try:
            out["n"] = parse_int(text, 1, 999)
        except CellError as exc:
            add(rec, row, "n", str(exc))
            ok = False
    text = rec.get("due_on")
    if text:
        try:
            out["due_on"] = parse_date(text)
        except CellError as exc:
            add(rec, row, "due_on", str(exc))
            ok = False
    for fname in ("principal_part", "interest", "fee", "amount", "paid"):
        text = rec.get(fname)
        if not text:
            out[fname] = None
            continue
        try:
            out[fname] = parse_amount(text)
        except CellError as exc:
            add(rec, row, fname, str(exc))
            ok = False
    if not ok or "n" not in out or "due_on" not in out or out["amount"] is None:
        return None
    amount = out["amount"]
    if amount <= 0:
        add(rec, row, "amount", _("The amount due must be more than zero."))
        return None
    parts = (out["principal_part"], out["interest"], out["fee"])
    if all(p is None for p in parts):
        principal, interest, fee = amount, 0, 0
    else:
        principal, interest, fee = (p or 0 for p in parts)
        if principal + interest + fee != amount:
            add(
                rec,
                row,
                "amount",
                _("The amount due %(amount)s is not principal + interest + fee (%(sum)s).")
                % {"amount": _yuan(amount), "sum": _yuan(principal + interest + fee)},
            )
            return None
    paid = out["paid"] or 0
    if paid > amount:
        add(
            rec,
            row,
            "paid",
            _("Already paid (%(paid)s) is more than the amount due (%(amount)s).")
            % {"paid": _yuan(paid), "amount": _yuan(amount)},
        )
        return None
    for other in contract.instalments:
        if other["n"] == out["n"]:
            add(
                rec,
                row,
                "n",
                _("Instalment %(n)s of this contract is also on row %(other)s.")
                % {"n": out["n"], "other": other["row"]},
            )
            return None
    if contract.start_on and out["due_on"] < contract.start_on:
        add(rec, row, "due_on", _("The due date is before the contract's start date."))
        return None
    return {
        "row": row,
        "n": out["n"],
        "due_on": out["due_on"],
        "principal_fen": principal,
        "interest_fen": interest,
        "fee_fen": fee,
        "amount_fen": amount,
        "paid_fen": paid,
    }


def _paid_in_order(contract: ContractRows, add, records_by_row: dict) -> None:
    """What was already paid is posted as opening payments, allocated oldest first: an instalment
    can show a payment only when every earlier one is paid in full."""
    lines = sorted(contract.instalments, key=lambda i: (i["due_on"], i["n"]))
    for k, line in enumerate(lines):
        if line["paid_fen"] and any(e["paid_fen"] < e["amount_fen"] for e in lines[:k]):
            add(
                records_by_row.get(line["row"]),
                line["row"],
                "paid",
                _(
                    "Payments go to the oldest instalment first: an earlier instalment of this contract is not "
                    "paid in full."
                ),
            )


def _yuan(fen: int) -> str:
    from pitch.templatetags.pitch_tags import yuan

    return yuan(fen)


def errors_dict(analysis: Analysis) -> dict[str, str]:
    """The report for the API's ``{"errors": {field: message}}``: one key per row and column."""
    out: dict[str, str] = {}
    for i in analysis.issues:
        key = f"row {i.row}" + (f" {i.column}" if i.column else "")
        out[key] = f"{out[key]} {i.message}" if key in out else i.message
    return out


def file_errors(exc: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.message_dict.items()}
