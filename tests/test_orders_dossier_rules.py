"""The instalment dossier's plain rules (orders/domain/dossier.py): which documents, how the rows
follow a change of policy or marital status, status and completeness, file sniffing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orders.domain import dossier as d

SOURCES = st.sampled_from(
    [None, "", "full_payment", "bank_loan", "manufacturer_finance", "manufacturer_instalment", "dealer"]
)
CODES = st.lists(
    st.sampled_from(["guarantor", "property_certificate", "business_licence", "local_household", "good_credit"]),
    unique=True,
)
MARRIED = st.sampled_from([True, False, None])


def kinds(reqs):
    return [r.kind for r in reqs]


def test_full_payment_needs_nothing():
    assert d.checklist(source=None, married=True, is_company=True) == []
    assert (
        d.checklist(source="full_payment", preconditions=[{"code": "guarantor"}], married=None, is_company=False) == []
    )


def test_instalment_person_unknown_marital_status():
    reqs = d.checklist(source="manufacturer_instalment", preconditions=[], married=None, is_company=False)
    assert reqs == [
        d.Requirement(d.BUYER_ID),
        d.Requirement(d.HOUSEHOLD),
        d.Requirement(d.SPOUSE_ID, d.IF_MARRIED),
        d.Requirement(d.MARRIAGE, d.IF_MARRIED),
    ]


def test_bank_loan_with_guarantor_and_property_for_a_married_company_buyer():
    reqs = d.checklist(
        source="bank_loan",
        preconditions=[{"code": "property_certificate"}, {"code": "guarantor"}, {"code": "machines_owned", "value": 1}],
        married=True,
        is_company=True,
    )
    assert kinds(reqs) == [
        d.BUYER_ID,
        d.HOUSEHOLD,
        d.SPOUSE_ID,
        d.MARRIAGE,
        d.PROPERTY,
        d.GUARANTOR_ID,
        d.GUARANTOR_HOUSEHOLD,
        d.BUSINESS_LICENCE,
    ]
    assert all(r.condition == d.ALWAYS for r in reqs)


def test_not_married_drops_the_spouse_documents():
    reqs = d.checklist(source="dealer", preconditions=["guarantor"], married=False, is_company=False)
    assert kinds(reqs) == [d.BUYER_ID, d.HOUSEHOLD, d.GUARANTOR_ID, d.GUARANTOR_HOUSEHOLD]


def test_malformed_preconditions_are_ignored():
    assert d.precondition_codes([{"code": "guarantor"}, {"value": 1}, 3, None, "", "property_certificate"]) == {
        "guarantor",
        "property_certificate",
    }
    assert d.precondition_codes(None) == frozenset()


@given(source=SOURCES, codes=CODES, married=MARRIED, company=st.booleans())
def test_checklist_properties(source, codes, married, company):
    reqs = d.checklist(source=source, preconditions=[{"code": c} for c in codes], married=married, is_company=company)
    got = kinds(reqs)
    assert len(got) == len(set(got))  # no document twice
    assert got == sorted(got, key=d.ORDER.index)  # the page's order
    if not d.is_instalment(source):
        assert got == []
        return
    assert got[:2] == [d.BUYER_ID, d.HOUSEHOLD]
    assert (d.SPOUSE_ID in got) == (d.MARRIAGE in got) == (married is not False)
    spouse = [r for r in reqs if r.kind in d.MARITAL_DOCUMENTS]
    assert all(r.condition == (d.IF_MARRIED if married is None else d.ALWAYS) for r in spouse)
    assert (d.PROPERTY in got) == ("property_certificate" in codes)
    assert (d.GUARANTOR_ID in got) == (d.GUARANTOR_HOUSEHOLD in got) == ("guarantor" in codes)
    assert (d.BUSINESS_LICENCE in got) == (company or "business_licence" in codes)


def test_married_from_relations():
    assert d.married_from_relations(["哥哥", "妻子"]) is True
    assert d.married_from_relations(["老公"]) is True
    assert d.married_from_relations(["Wife"]) is True
    assert d.married_from_relations(["父亲", "老同学"]) is None  # never proves the buyer single
    assert d.married_from_relations([]) is None


def test_married_from_rows():
    assert d.married_from_rows([d.Row(d.SPOUSE_ID, False, d.NOT_MARRIED)]) is False
    assert d.married_from_rows([d.Row(d.SPOUSE_ID, True, d.IF_MARRIED)]) is None
    assert d.married_from_rows([d.Row(d.MARRIAGE, True, d.ALWAYS), d.Row(d.BUYER_ID, True)]) is True
    assert d.married_from_rows([d.Row(d.BUYER_ID, True)]) is None


def apply(rows: list[d.Row], step: d.Plan) -> list[d.Row]:
    """The plan carried out on plain rows (as orders.dossier does on the table)."""
    by_kind = {r.kind: r for r in rows}
    for kind in step.delete:
        del by_kind[kind]
    for kind, (required, condition) in step.update.items():
        r = by_kind[kind]
        by_kind[kind] = d.Row(kind, required, condition, r.has_file)
    for req in step.create:
        assert req.kind not in by_kind
        by_kind[req.kind] = d.Row(req.kind, req.condition != d.NOT_MARRIED, req.condition, False)
    return list(by_kind.values())


ROWS = st.lists(
    st.builds(
        d.Row,
        kind=st.sampled_from(d.ORDER[:-1]),
        required=st.booleans(),
        condition=st.sampled_from([d.ALWAYS, d.IF_MARRIED, d.NOT_MARRIED]),
        has_file=st.booleans(),
    ),
    unique_by=lambda r: r.kind,
)


@given(rows=ROWS, source=SOURCES, codes=CODES, married=MARRIED, company=st.booleans())
def test_plan_brings_the_rows_in_line_and_never_loses_an_upload(rows, source, codes, married, company):
    want = d.checklist(source=source, preconditions=codes, married=married, is_company=company)
    after = apply(rows, d.plan(rows, want, married=married))
    required = {r.kind: r.condition for r in after if r.required}
    assert required == {w.kind: w.condition for w in want}
    uploaded_before = {r.kind for r in rows if r.has_file}
    assert uploaded_before <= {r.kind for r in after}  # uploaded rows are never deleted
    assert all(r.has_file or r.required or r.condition == d.NOT_MARRIED for r in after)
    # idempotent: planning again changes nothing
    assert d.plan(after, want, married=married).empty
    if married is False and want:
        # the statement is kept in the rows, so a re-install without it finds it again
        assert d.married_from_rows(after) is False


def test_status_and_completeness():
    assert d.status(has_file=False, verified=False, refused=False) == d.MISSING
    assert d.status(has_file=True, verified=False, refused=False) == d.UPLOADED
    assert d.status(has_file=True, verified=True, refused=False) == d.VERIFIED
    assert d.status(has_file=True, verified=False, refused=True) == d.REFUSED
    states = [(True, d.VERIFIED), (True, d.UPLOADED), (False, d.MISSING)]
    assert d.all_uploaded(states) and not d.complete(states)
    assert d.complete([(True, d.VERIFIED), (False, d.MISSING)])
    assert not d.all_uploaded([(True, d.REFUSED)])
    assert d.complete([])  # nothing required


@given(st.binary(max_size=32))
def test_sniff_only_by_content(head):
    kind = d.sniff(head)
    if kind == d.PDF:
        assert head.startswith(b"%PDF-")
    elif kind == d.JPEG:
        assert head[:3] == b"\xff\xd8\xff"
    elif kind == d.PNG:
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert not head.startswith((b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))


def test_normalise_id():
    assert d.normalise_id(" 11010119900307 123x ") == "11010119900307123X"
    assert d.normalise_id(None) == ""
