"""The instalment dossier (分期资料) as plain Python (no Django): which documents an order needs,
how its rows change when the policy or the buyer's marital status changes, what an uploaded file
is, and when the dossier is complete.

    checklist(source="bank_loan", preconditions=[{"code": "guarantor"}], married=None, is_company=False)
      -> [Requirement("buyer_id"), Requirement("household"), Requirement("spouse_id", "if_married"), …]

Rules (SPEC §5, issue 6 item 6):

- A full-payment order (no policy, or a policy whose source is ``full_payment``) needs nothing.
- Any instalment: the buyer's identity card and household register.
- Married → the spouse's identity card and the marriage certificate. Not known → both required
  with the condition "if married" (the salesperson states the status; the household register
  shows it). Stated as not married → neither.
- The policy's preconditions add documents: ``property_certificate`` → property certificate;
  ``guarantor`` → guarantor's identity card and household register; ``business_licence`` →
  business licence. A company buyer always shows its business licence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FULL_PAYMENT = "full_payment"

# the document kinds (the values of orders.models.DossierItem.Kind)
BUYER_ID = "buyer_id"
SPOUSE_ID = "spouse_id"
HOUSEHOLD = "household"
MARRIAGE = "marriage"
PROPERTY = "property"
GUARANTOR_ID = "guarantor_id"
GUARANTOR_HOUSEHOLD = "guarantor_household"
BUSINESS_LICENCE = "business_licence"
OTHER = "other"

# the order of the checklist on the page
ORDER = (BUYER_ID, HOUSEHOLD, SPOUSE_ID, MARRIAGE, PROPERTY, GUARANTOR_ID, GUARANTOR_HOUSEHOLD, BUSINESS_LICENCE, OTHER)
ID_DOCUMENTS = frozenset({BUYER_ID, SPOUSE_ID, GUARANTOR_ID})  # these carry an identity-card number
MARITAL_DOCUMENTS = frozenset({SPOUSE_ID, MARRIAGE})

# conditions (orders.models.DossierItem.Condition)
ALWAYS = ""
IF_MARRIED = "if_married"
NOT_MARRIED = "not_married"

# words of a family relation naming the spouse (customers.Relation.relation is free text)
SPOUSE_WORDS = ("配偶", "妻", "老婆", "丈夫", "老公", "爱人", "媳妇", "wife", "husband", "spouse")

# what an upload may be, judged by its first bytes (never by its name or declared type)
PDF, JPEG, PNG = "pdf", "jpeg", "png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Requirement:
    kind: str
    condition: str = ALWAYS


def is_instalment(source: str | None) -> bool:
    """An order with a policy other than full payment is paid in instalments."""
    return bool(source) and source != FULL_PAYMENT


def precondition_codes(preconditions: Iterable | None) -> frozenset[str]:
    """The codes of a policy's preconditions ([{"code": "guarantor"}, …] or plain strings);
    anything malformed is ignored."""
    codes = set()
    for entry in preconditions or ():
        if isinstance(entry, Mapping):
            code = entry.get("code")
        else:
            code = entry
        if isinstance(code, str) and code:
            codes.add(code)
    return frozenset(codes)


def checklist(
    *, source: str | None, preconditions: Iterable | None = (), married: bool | None, is_company: bool
) -> list[Requirement]:
    """The documents an order needs, in the page's order."""
    if not is_instalment(source):
        return []
    codes = precondition_codes(preconditions)
    wanted = [Requirement(BUYER_ID), Requirement(HOUSEHOLD)]
    if married is not False:
        condition = ALWAYS if married else IF_MARRIED
        wanted += [Requirement(SPOUSE_ID, condition), Requirement(MARRIAGE, condition)]
    if "property_certificate" in codes:
        wanted.append(Requirement(PROPERTY))
    if "guarantor" in codes:
        wanted += [Requirement(GUARANTOR_ID), Requirement(GUARANTOR_HOUSEHOLD)]
    if is_company or "business_licence" in codes:
        wanted.append(Requirement(BUSINESS_LICENCE))
    return wanted


def married_from_relations(relations: Iterable[str]) -> bool | None:
    """True when a family relation names the spouse (妻子, 老公, …); otherwise not known (None) —
    a missing spouse in the relations never proves the buyer single."""
    for text in relations:
        low = (text or "").lower()
        if any(word in low for word in SPOUSE_WORDS):
            return True
    return None


@dataclass(frozen=True)
class Row:
    """What the plan needs to know of an existing dossier row."""

    kind: str
    required: bool
    condition: str = ALWAYS
    has_file: bool = False


def married_from_rows(rows: Iterable[Row]) -> bool | None:
    """The marital status the rows already record: a spouse document stated "not married" →
    False; a spouse document required without condition → True; otherwise not known."""
    status = None
    for row in rows:
        if row.kind not in MARITAL_DOCUMENTS:
            continue
        if row.condition == NOT_MARRIED:
            return False
        if row.required and row.condition == ALWAYS:
            status = True
    return status


@dataclass
class Plan:
    """How to bring the rows in line with the checklist. Uploaded rows are never deleted."""

    create: list[Requirement] = field(default_factory=list)
    update: dict[str, tuple[bool, str]] = field(default_factory=dict)  # kind -> (required, condition)
    delete: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


def plan(rows: Iterable[Row], wanted: Iterable[Requirement], *, married: bool | None) -> Plan:
    """Rows to add, change or remove so that exactly the wanted documents are required.

    A row no longer wanted stays when a file was uploaded (not required any more) and goes when
    it is empty. A spouse document no longer wanted because the buyer is not married keeps the
    condition "not married", so that the statement survives a later re-install."""
    existing = {r.kind: r for r in rows if r.kind != OTHER}
    want = {w.kind: w for w in wanted}
    out = Plan()
    for kind in ORDER:
        row, req = existing.get(kind), want.get(kind)
        if req is not None:
            if row is None:
                out.create.append(req)
            elif not row.required or row.condition != req.condition:
                out.update[kind] = (True, req.condition)
        elif row is not None:
            if kind in MARITAL_DOCUMENTS and married is False:
                if row.required or row.condition != NOT_MARRIED:
                    out.update[kind] = (False, NOT_MARRIED)
            elif not row.has_file:
                out.delete.append(kind)
            elif row.required:
                out.update[kind] = (False, row.condition)
    if married is False and want:  # the statement is recorded even when no spouse row exists yet
        for kind in sorted(MARITAL_DOCUMENTS - existing.keys()):
            out.create.append(Requirement(kind, NOT_MARRIED))
    return out


# ------------------------------------------------------------------------------------------ status
MISSING, UPLOADED, VERIFIED, REFUSED = "missing", "uploaded", "verified", "refused"


def status(*, has_file: bool, verified: bool, refused: bool) -> str:
    """missing → uploaded (waiting for finance) → verified; or refused (upload again)."""
    if refused:
        return REFUSED
    if verified and has_file:
        return VERIFIED
    return UPLOADED if has_file else MISSING


def all_uploaded(states: Iterable[tuple[bool, str]]) -> bool:
    """(required, status) pairs: every required document uploaded or verified (none missing or refused)."""
    return all(st in (UPLOADED, VERIFIED) for required, st in states if required)


def complete(states: Iterable[tuple[bool, str]]) -> bool:
    """(required, status) pairs: every required document verified."""
    return all(st == VERIFIED for required, st in states if required)


# ------------------------------------------------------------------------------------------ files
def sniff(head: bytes) -> str | None:
    """What a file is by its first bytes: "pdf", "jpeg", "png" or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def normalise_id(value: str | None) -> str:
    """An identity-card number as typed (spaces, a lower-case x) → the stored form."""
    return "".join((value or "").split()).upper()
