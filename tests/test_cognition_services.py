"""Classification, the need-sensitivity model, grades and tiers through the services (SPEC §1)."""

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import CustomerNeed, StatusChange


def needs_by_code(customer):
    return {n.need_point.code: n for n in CustomerNeed.objects.filter(customer=customer).select_related("need_point")}


def classify_short_of_money(org):
    return services.customer_classify(
        actor=org.sales_a1,
        customer=org.cust_a1,
        work_type="engineering",
        engineering_kind="municipal",
        use="rental",
        scale="individual",
        capital="1",
        experience="2",
        winning="1",
        decision="2",
    )


def test_classifying_presets_the_needs_with_their_reasons(org):
    classify_short_of_money(org)
    needs = needs_by_code(org.cust_a1)
    assert {c for c, n in needs.items() if n.stage == "key"} == {"price", "reputation"}
    assert all(n.state == "preset" for n in needs.values())
    assert any("个体户" in r for r in needs["price"].reasons)  # the deck's worked example
    assert any("规模实力" in r for r in needs["price"].reasons)  # the scale/capital rule
    model = services.sensitivity_of(org.cust_a1)
    assert model["ready"] is False and model["unmet_key"] == 2 and model["accuracy"] == 0
    assert [row.need_point.code for row, _r in model["ranked"][:2]] in (
        ["price", "reputation"],
        ["reputation", "price"],
    )


def test_verifying_and_revising_and_a_new_classification_keeps_the_salespersons_work(org):
    classify_short_of_money(org)
    needs = needs_by_code(org.cust_a1)
    services.need_record(actor=org.sales_a1, need=needs["price"], confirmed_with_customer=True)
    services.need_record(actor=org.sales_a1, need=needs["reputation"], deliverable=80, confirmed_with_customer=True)
    services.need_record(actor=org.sales_a1, need=needs["brand"], expected=70, source="competitor", note="认可三一")
    needs = needs_by_code(org.cust_a1)
    assert (needs["price"].state, needs["reputation"].state, needs["brand"].state) == (
        "verified",
        "verified",
        "revised",
    )
    assert needs["reputation"].pressure == needs["reputation"].expected - 80
    model = services.sensitivity_of(org.cust_a1)
    assert model["accuracy"] == 1.0
    # a richer profile re-presets only the needs still preset
    services.customer_classify(actor=org.sales_a1, customer=org.cust_a1, scale="contractor", capital="5")
    after = needs_by_code(org.cust_a1)
    assert after["brand"].expected == 70 and after["brand"].state == "revised"
    assert after["price"].state == "verified" and after["price"].expected == needs["price"].expected
    assert after["residual"].state == "preset"


def test_meeting_every_key_need_makes_the_customer_ready_to_close(org):
    classify_short_of_money(org)
    needs = needs_by_code(org.cust_a1)
    for code in ("price", "reputation"):
        services.need_record(
            actor=org.sales_a1, need=needs[code], deliverable=needs[code].expected, confirmed_with_customer=True
        )
    assert services.sensitivity_of(org.cust_a1)["ready"] is True


@pytest.mark.parametrize(("field", "value"), [("expected", 101), ("deliverable", -1), ("expected", "七十")])
def test_scores_outside_0_100_are_refused_and_nothing_changes(org, field, value):
    classify_short_of_money(org)
    need = needs_by_code(org.cust_a1)["price"]
    before = (need.expected, need.deliverable, need.state)
    with pytest.raises(ValidationError) as exc:
        services.need_record(actor=org.sales_a1, need=need, **{field: value})
    assert field in exc.value.message_dict
    need.refresh_from_db()
    assert (need.expected, need.deliverable, need.state) == before


def test_a_salesperson_may_not_classify_or_verify_another_ones_customer(org):
    with pytest.raises(PermissionError):
        services.customer_classify(actor=org.sales_a2, customer=org.cust_a1, scale="team")
    classify_short_of_money(org)
    with pytest.raises(PermissionError):
        services.need_record(actor=org.sales_a2, need=needs_by_code(org.cust_a1)["price"], confirmed_with_customer=True)


def test_bad_classification_values_name_the_field(org):
    with pytest.raises(ValidationError) as exc:
        services.customer_classify(actor=org.sales_a1, customer=org.cust_a1, scale="giant", capital="9")
    assert set(exc.value.message_dict) == {"scale", "capital"}


def test_grade_history_keeps_who_when_and_why(org):
    services.grade_set(actor=org.sales_a1, customer=org.cust_a1, grade="9", reason="本周交定金")
    change = StatusChange.objects.filter(customer=org.cust_a1, kind="grade").first()
    assert (change.old, change.new, change.reason, change.by) == ("6", "9", "本周交定金", org.sales_a1)
    with pytest.raises(ValidationError) as exc:
        services.grade_set(actor=org.sales_a1, customer=org.cust_a1, grade="5")
    assert "grade" in exc.value.message_dict
    org.cust_a1.refresh_from_db()
    assert org.cust_a1.grade == 9


def test_tier_history(org):
    services.tier_set(actor=org.manager_a, customer=org.cust_a1, tier="gold", reason="当地有影响力的老客户")
    services.tier_set(actor=org.manager_a, customer=org.cust_a1, tier="bronze", reason="配件到货慢有小抱怨")
    changes = list(StatusChange.objects.filter(customer=org.cust_a1, kind="tier").values_list("old", "new"))
    assert changes == [("gold", "bronze"), ("", "gold")]
    with pytest.raises(ValidationError):
        services.tier_set(actor=org.manager_a, customer=org.cust_a1, tier="platinum")
