"""The plain rules of collection (receivables/collection/rules.py): the six questions' completeness,
promises settled by payments, the partial-payment threshold, the promised moment's sense."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from receivables.collection import rules

D0 = dt.date(2026, 6, 1)
days = st.integers(min_value=0, max_value=60).map(lambda n: D0 + dt.timedelta(days=n))
fen = st.integers(min_value=1, max_value=1_000_000)
promises = st.lists(st.tuples(days, st.integers(min_value=0, max_value=20), fen), min_size=0, max_size=5).map(
    lambda rows: [
        rules.PromiseIn(key=i, made_on=made, due_on=made + dt.timedelta(days=wait), amount_fen=amount)
        for i, (made, wait, amount) in enumerate(rows)
    ]
)
payments = st.lists(st.tuples(days, fen), max_size=8)


def test_the_six_questions_name_what_is_missing():
    done = rules.plan_completeness(
        {
            "item_name": "HY65-9",
            "quantity": 1,
            "amount_fen": 100,
            "sold_on": D0,
            "payer": "老板",
            "payment_method": "按揭",
            "payment_dates": [D0],
        }
    )
    assert done.score == 2 and done.total == 6
    assert done.answered == ("payment", "payer")
    assert dict(done.missing)["sold"] == ("item_spec",)
    assert [code for code, _ in done.missing] == ["sold", "acceptor", "standard", "acceptance_method"]
    # a quantity of 0 or blank text is no answer; with everything answered: 6/6
    full = {p: "x" for _c, parts in rules.QUESTIONS for p in parts} | {"quantity": 0, "payment_dates": [D0]}
    assert dict(rules.plan_completeness(full).missing) == {"sold": ("quantity",)}
    assert rules.plan_completeness(full | {"quantity": 2}).score == 6
    assert rules.plan_completeness(full | {"quantity": 2, "payer": "  "}).score == 5


@given(promises, payments, days)
def test_settled_promises_never_count_more_than_was_paid(ps, pays, today):
    out = rules.settle_promises(ps, pays, today)
    assert [o.key for o in out] == [p.key for p in ps]
    assert sum(o.paid_fen for o in out) <= sum(f for _d, f in pays)
    for p, o in zip(ps, out, strict=True):
        assert 0 <= o.paid_fen <= p.amount_fen
        counted = sum(f for d, f in pays if p.made_on <= d <= p.due_on)
        assert o.paid_fen <= counted  # only payments between the promise and its day count
        if o.status == rules.KEPT:
            assert o.paid_fen == p.amount_fen
        elif today <= p.due_on:
            assert o.status == rules.OPEN
        else:
            assert o.status == (rules.PARTLY if o.paid_fen else rules.BROKEN)


@given(promises, payments, days, st.tuples(days, fen))
def test_one_more_payment_never_breaks_a_promise(ps, pays, today, extra):
    before = {o.key: o for o in rules.settle_promises(ps, pays, today)}
    after = {o.key: o for o in rules.settle_promises(ps, [*pays, extra], today)}
    assert sum(o.paid_fen for o in after.values()) >= sum(o.paid_fen for o in before.values())
    kept_before = {k for k, o in before.items() if o.status == rules.KEPT}
    kept_after = {k for k, o in after.items() if o.status == rules.KEPT}
    assert len(kept_after) >= len(kept_before)


def test_promise_examples_by_hand():
    p = [rules.PromiseIn("a", D0, D0 + dt.timedelta(days=5), 10_000)]
    day = D0 + dt.timedelta(days=5)
    assert rules.settle_promises(p, [(day, 10_000)], day)[0] == rules.PromiseOut("a", 10_000, rules.KEPT)
    assert rules.settle_promises(p, [(day, 4_000)], day)[0].status == rules.OPEN  # its day is not over
    later = day + dt.timedelta(days=1)
    assert rules.settle_promises(p, [(day, 4_000)], later)[0] == rules.PromiseOut("a", 4_000, rules.PARTLY)
    assert rules.settle_promises(p, [(later, 10_000)], later)[0].status == rules.BROKEN  # paid too late
    assert rules.settle_promises(p, [(D0 - dt.timedelta(days=1), 10_000)], later)[0].status == rules.BROKEN
    # two promises: the earlier day is served first, a fen counts once
    two = [*p, rules.PromiseIn("b", D0, D0 + dt.timedelta(days=9), 5_000)]
    out = rules.settle_promises(two, [(D0 + dt.timedelta(days=2), 12_000)], D0 + dt.timedelta(days=10))
    assert [(o.paid_fen, o.status) for o in out] == [(10_000, rules.KEPT), (2_000, rules.PARTLY)]


@given(st.lists(st.tuples(days, st.integers(min_value=0, max_value=10**6)), max_size=10), days)
def test_due_by_is_what_fell_due_up_to_the_day(rows, day):
    due = rules.due_by(rows, day)
    assert due == sum(out for d, out in rows if d <= day)
    assert rules.due_by(rows, day + dt.timedelta(days=1)) >= due
    assert not rules.is_shortfall(due, due) and not rules.is_shortfall(due + 1, due)
    if due > 1:
        assert rules.is_shortfall(due - 1, due)


def test_a_promised_moment_must_make_sense():
    now = dt.datetime(2026, 6, 1, 15, 0)
    assert rules.promise_problem(dt.datetime(2026, 6, 1, 14, 59), now) == rules.PROMISE_IN_PAST
    assert rules.promise_problem(now, now) == rules.PROMISE_IN_PAST
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 7, 59), now) == rules.PROMISE_OUT_OF_HOURS
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 21, 1), now) == rules.PROMISE_OUT_OF_HOURS
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 8, 0), now) is None
    assert rules.promise_problem(dt.datetime(2026, 6, 1, 21, 0), now) is None
    assert rules.promise_problem(dt.datetime(2026, 8, 30, 10, 0), now) is None  # 90 days
    assert rules.promise_problem(dt.datetime(2026, 8, 31, 10, 0), now) == rules.PROMISE_TOO_FAR
    # the company's own contact hours, whole hours, the end inclusive; 24 means until midnight
    office = {"contact_hours": (9, 18)}
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 8, 30), now, **office) == rules.PROMISE_OUT_OF_HOURS
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 18, 1), now, **office) == rules.PROMISE_OUT_OF_HOURS
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 18, 0), now, **office) is None
    assert rules.promise_problem(dt.datetime(2026, 6, 2, 23, 59), now, contact_hours=(6, 24)) is None


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_share_is_the_rounded_percentage(part, whole):
    s = rules.share(part, whole)
    assert abs(s - 100 * part / whole) <= 0.5
    assert rules.share(part, 0) is None
