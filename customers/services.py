"""Writes on customers. Keyword-only, validated, one transaction, audited through the model."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Region, User
from core.visibility import Action, can

from . import method, rules
from .domain import sensitivity as sens
from .models import (
    Customer,
    CustomerContact,
    CustomerMachine,
    CustomerNeed,
    IndustryContact,
    Relation,
    StatusChange,
    Tier,
)

EDITABLE = (
    "name",
    "kind",
    "phone",
    "id_number",
    "province",
    "city",
    "district",
    "address",
    "grade",
    "region_id",
    # basics recorded on visits (拜访笔记·基础信息)
    "occupation",
    "age",
    "birthday",
    "hobbies",
    "expected_purchase_on",
)


def _clean(data: dict, *, company_id: int, actor: User | None = None, instance: Customer | None = None) -> dict:
    errors: dict[str, str] = {}
    out = dict(data)
    if "name" in out:
        out["name"] = rules.clean_text(out["name"] or "")
        if not out["name"]:
            errors["name"] = _("Enter the customer's name.")
        elif len(out["name"]) > 100:
            errors["name"] = _("The name is longer than 100 characters.")
    if "phone" in out:
        try:
            out["phone"] = mobile_or_error(out["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.message_dict["phone"][0]
        else:
            dup = Customer.objects.filter(company_id=company_id, phone=out["phone"]) if out["phone"] else None
            if dup is not None and instance is not None:
                dup = dup.exclude(pk=instance.pk)
            if dup is not None and dup.exists():
                errors["phone"] = _("Another customer already has the mobile number %(phone)s.") % {
                    "phone": rules.mask_mobile(out["phone"])
                }
    if "id_number" in out:
        value = rules.clean_text(out["id_number"] or "").upper()
        if value and not rules.valid_id_number(value):
            errors["id_number"] = _("The ID-card number is not valid (18 characters, check digit).")
        out["id_number"] = value
    if "grade" in out and out["grade"] not in (None, ""):
        try:
            grade = int(out["grade"])
        except (TypeError, ValueError):
            grade = -1
        if grade not in rules.INTENT_GRADES:
            errors["grade"] = _("The intent grade must be one of 9, 6, 3, 1, 0.")
        out["grade"] = grade
    elif "grade" in out:
        out["grade"] = None
    if "kind" in out and out["kind"] not in Customer.Kind.values:
        errors["kind"] = _("Choose person or company.")
    if "region_id" in out:
        if not Region.objects.filter(pk=out["region_id"] or 0, company_id=company_id).exists():
            errors["region"] = _("Choose a region of your company.")
        elif actor is not None and not actor.has_role("admin") and out["region_id"] not in actor.region_ids:
            errors["region"] = _("Choose one of the regions you cover.")
    for field in ("province", "city", "district", "address", "occupation", "hobbies"):
        if field in out:
            out[field] = rules.clean_text(out[field] or "")
    if len(out.get("occupation", "")) > 60:
        errors["occupation"] = _("At most %(n)s characters.") % {"n": 60}
    if len(out.get("hobbies", "")) > 200:
        errors["hobbies"] = _("At most %(n)s characters.") % {"n": 200}
    if "age" in out and out["age"] in ("", None):
        out["age"] = None
    elif "age" in out:
        try:
            out["age"] = int(out["age"])
        except (TypeError, ValueError):
            out["age"] = -1
        if not 16 <= out["age"] <= 100:
            errors["age"] = _("The age must be between 16 and 100.")
    for field in ("birthday", "expected_purchase_on"):
        if field not in out:
            continue
        value = out[field]
        if value in ("", None):
            out[field] = None
            continue
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                errors[field] = _("Enter a date like 2026-05-31.")
                continue
        out[field] = value
    if out.get("birthday") and out["birthday"] > timezone.localdate():
        errors["birthday"] = _("The birthday cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    return out


def customer_validate(*, actor: User, fields: dict, instance: Customer | None = None) -> dict:
    """Check (and normalise) the given fields without writing; raises ValidationError naming them.

    Forms call it so that every field's error shows at once; the services call it again.
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    company_id = instance.company_id if instance is not None else actor.company_id
    return _clean(fields, company_id=company_id, actor=actor, instance=instance)


def _save_unique(customer: Customer) -> None:
    """Save; a concurrent insert of the same mobile number becomes a field error, not a crash."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ValidationError(
            {"phone": _("Another customer already has the mobile number %(phone)s.") % {"phone": customer.phone_masked}}
        ) from None


@transaction.atomic
def customer_create(*, actor: User, name: str, region_id: int, owner: User | None = None, **fields) -> Customer:
    """Create a customer owned by ``owner`` (default: the actor when a salesperson)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    data = _clean({"name": name, "region_id": region_id, **fields}, company_id=actor.company_id, actor=actor)
    if owner is None and actor.has_role("salesperson"):
        owner = actor
    customer = Customer(company_id=actor.company_id, owner=owner, in_pool=owner is None, **data)
    if customer.in_pool:
        customer.pool_entered_at = timezone.now()
    _save_unique(customer)
    if customer.grade is not None:
        _grade_history(actor=actor, customer=customer, old=None, new=customer.grade, reason=_("new customer"))
    return customer


@transaction.atomic
def customer_update(*, actor: User, customer: Customer, grade_reason: str = "", **fields) -> Customer:
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in unknown})
    data = _clean(fields, company_id=customer.company_id, actor=actor, instance=customer)
    if "grade" in data and data["grade"] != customer.grade:
        _grade_history(actor=actor, customer=customer, old=customer.grade, new=data["grade"], reason=grade_reason)
    for key, value in data.items():
        setattr(customer, key, value)
    _save_unique(customer)
    return customer


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    if not can(actor, customer, Action.DELETE):
        raise PermissionError
    customer.delete()


# --- classification and the sensitivity model ---------------------------------------------------------

CLASSIFICATION = (
    "work_type",
    "engineering_kind",
    "use",
    "scale",
    "capital",
    "experience",
    "winning",
    "decision",
    "influence",
    "susceptibility",
    "machine_count",
)


def _check_choices(fields: dict) -> dict:
    errors, out = {}, {}
    for name, value in fields.items():
        if name not in CLASSIFICATION:
            errors[name] = _("Unknown field.")
            continue
        field = Customer._meta.get_field(name)
        if value in (None, ""):
            out[name] = None if field.null else ""
            continue
        if field.choices:
            allowed = {str(v) for v, _label in field.flatchoices}
            if str(value) not in allowed:
                errors[name] = _("“%(value)s” is not one of the choices.") % {"value": value}
                continue
            value = int(value) if isinstance(field, models.PositiveSmallIntegerField) else str(value)
        elif name == "machine_count":
            try:
                value = int(value)
            except (TypeError, ValueError):
                errors[name] = _("Enter a whole number.")
                continue
            if not 0 <= value <= 10000:
                errors[name] = _("Between 0 and 10000.")
                continue
        out[name] = value
    if out.get("work_type", fields.get("work_type")) == "mining":
        out["engineering_kind"] = ""
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def customer_classify(*, actor: User, customer: Customer, **fields) -> Customer:
    """Set the classification dimensions; the needs still in state "preset" follow the new preset."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    data = _check_choices(fields)
    for key, value in data.items():
        setattr(customer, key, value)
    customer.save()
    needs_preset(actor=actor, customer=customer)
    return customer


@transaction.atomic
def needs_preset(*, actor: User | None, customer: Customer) -> list[CustomerNeed]:
    """Step 1 of the method: (re)compute the preset of every need not yet verified or revised."""
    config = method.config_for(customer.company_id)
    points = {p.code: p for p in config.points}
    presets = sens.preset(
        method.profile_of(customer),
        list(points),
        rules=config.rules,
        templates=config.templates,
        deliverable={code: p.default_deliverable for code, p in points.items()},
        settings=config.sensitivity,
    )
    existing = {n.need_point_id: n for n in CustomerNeed.objects.filter(customer=customer)}
    now = timezone.now()
    out = []
    for p in presets:
        point = points[p.need]
        row = existing.get(point.pk)
        if row is None:
            row = CustomerNeed(company_id=customer.company_id, customer=customer, need_point=point, state_at=now)
        elif row.state != CustomerNeed.State.PRESET:
            out.append(row)
            continue
        changed = (row.expected, row.deliverable, row.stage, row.reasons) != (
            p.expected,
            p.deliverable,
            p.stage,
            list(p.reasons),
        )
        if row.pk is None or changed:
            row.expected, row.deliverable, row.stage, row.reasons = p.expected, p.deliverable, p.stage, list(p.reasons)
            row.state, row.source, row.state_by = CustomerNeed.State.PRESET, CustomerNeed.Source.PRESET, actor
            row.save()
        out.append(row)
    return out


def _score(name: str, value) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: _("Enter a whole number from 0 to 100.")}) from None
    if not 0 <= v <= 100:
        raise ValidationError({name: _("Enter a whole number from 0 to 100.")})
    return v


@transaction.atomic
def need_record(
    *,
    actor: User,
    need: CustomerNeed,
    expected=None,
    deliverable=None,
    stage: str | None = None,
    confirmed_with_customer: bool = False,
    source: str = CustomerNeed.Source.CONVERSATION,
    note: str = "",
) -> CustomerNeed:
    """Steps 2 and 3: verify a need with the customer, or revise it with new information."""
    if not can(actor, need, Action.CHANGE):
        raise PermissionError
    errors = {}
    new_expected = need.expected if expected in (None, "") else None
    new_deliverable = need.deliverable if deliverable in (None, "") else None
    try:
        if new_expected is None:
            new_expected = _score("expected", expected)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        if new_deliverable is None:
            new_deliverable = _score("deliverable", deliverable)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if stage not in (None, "") and stage not in CustomerNeed.Stage.values:
        errors["stage"] = [_("Choose key or additional.")]
    if source not in (CustomerNeed.Source.CONVERSATION, CustomerNeed.Source.COMPETITOR):
        errors["source"] = [_("Choose conversation or competitor data.")]
    if errors:
        raise ValidationError(errors)
    new_stage = stage or need.stage
    changed = (new_expected, new_deliverable, new_stage) != (need.expected, need.deliverable, need.stage)
    state = sens.next_state(
        sens.State(need.state), values_changed=changed, confirmed_with_customer=confirmed_with_customer
    )
    if not changed and state == need.state and not note:
        return need
    need.expected, need.deliverable, need.stage = new_expected, new_deliverable, new_stage
    need.state, need.source, need.state_at, need.state_by = state, source, timezone.now(), actor
    if note:
        need.note = rules.clean_text(note)[:300]
    need.save()
    return need


def sensitivity_of(customer: Customer, needs: list[CustomerNeed] | None = None, config=None) -> dict:
    """The model as the page shows it: ranked needs, accuracy, readiness (no query when given needs)."""
    config = config or method.config_for(customer.company_id)
    needs = needs if needs is not None else list(customer.needs.select_related("need_point"))
    by_domain = {
        n.pk: sens.Need(
            n.need_point.code, n.expected, n.deliverable, sens.Stage(n.stage), sens.State(n.state), n.need_point.order
        )
        for n in needs
    }
    rows = {n.pk: n for n in needs}
    ranked = sens.rank(by_domain.values(), config.sensitivity)
    back = {id(v): k for k, v in by_domain.items()}
    return {
        "ranked": [(rows[back[id(r.need)]], r) for r in ranked],
        "accuracy": sens.accuracy(by_domain.values()),
        "ready": sens.closing_ready(by_domain.values(), config.sensitivity),
        "unmet_key": len(sens.unmet_key_needs(by_domain.values(), config.sensitivity)),
    }


# --- intent grade and maintenance tier, with their history ---------------------------------------------


def _grade_history(*, actor: User | None, customer: Customer, old: int | None, new: int | None, reason: str) -> None:
    StatusChange.objects.create(
        company_id=customer.company_id,
        customer=customer,
        kind=StatusChange.Kind.GRADE,
        old="" if old is None else str(old),
        new="" if new is None else str(new),
        reason=rules.clean_text(str(reason))[:300],
        at=timezone.now(),
        by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def grade_set(*, actor: User, customer: Customer, grade, reason: str = "") -> Customer:
    """Change the intent grade (日报分类 9/6/3/1/0); the history keeps who, when and why."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    new = None if grade in (None, "") else grade
    if new is not None:
        try:
            new = int(new)
        except (TypeError, ValueError):
            new = -1
        if new not in rules.INTENT_GRADES:
            raise ValidationError({"grade": _("The intent grade must be one of 9, 6, 3, 1, 0.")})
    if new == customer.grade:
        return customer
    _grade_history(actor=actor, customer=customer, old=customer.grade, new=new, reason=reason)
    customer.grade = new
    customer.save()
    return customer


@transaction.atomic
def tier_set(*, actor: User, customer: Customer, tier: str, reason: str = "") -> Customer:
    """Maintenance tier (客户维护) gold / silver / bronze / complaint, with its history."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    tier = tier or ""
    if tier and tier not in Tier.values:
        raise ValidationError({"tier": _("Choose gold, silver, bronze or complaint.")})
    if tier == customer.tier:
        return customer
    StatusChange.objects.create(
        company_id=customer.company_id,
        customer=customer,
        kind=StatusChange.Kind.TIER,
        old=customer.tier,
        new=tier,
        reason=rules.clean_text(reason)[:300],
        at=timezone.now(),
        by=actor,
    )
    customer.tier = tier
    customer.save()
    return customer


# --- what hangs off a customer: relationships, machines, contact people ------------------------------


def mobile_or_error(raw: str, field: str = "phone") -> str:
    """The normalised mobile, "" when blank; a ValidationError naming ``field`` when invalid."""
    raw = rules.clean_text(raw or "")
    if not raw:
        return ""
    try:
        return rules.normalize_mobile(raw)
    except rules.InvalidPhone:
        raise ValidationError(
            {field: _("“%(value)s” is not a valid mainland mobile number.") % {"value": raw}}
        ) from None


def _required(data: dict, *names: str) -> None:
    missing = {n: _("This field is required.") for n in names if not rules.clean_text(str(data.get(n) or ""))}
    if missing:
        raise ValidationError(missing)


@transaction.atomic
def relation_add(
    *,
    actor: User,
    customer: Customer,
    kind: str,
    name: str,
    relation: str,
    phone: str = "",
    occupation: str = "",
    influence=3,
    linked_customer: Customer | None = None,
) -> Relation:
    """A family member or friend and their influence; linked to our customer with that mobile if any."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    _required({"name": name, "relation": relation}, "name", "relation")
    if kind not in Relation.Kind.values:
        raise ValidationError({"kind": _("Choose family or friend.")})
    try:
        influence = int(influence)
    except (TypeError, ValueError):
        influence = 0
    if influence not in (1, 2, 3, 4, 5):
        raise ValidationError({"influence": _("Choose a level from 1 to 5.")})
    phone = mobile_or_error(phone)
    linked_contact = None
    if linked_customer is None and phone:
        linked_customer = (
            Customer.objects.filter(company_id=customer.company_id, phone=phone).exclude(pk=customer.pk).first()
        )
    if linked_customer is None and phone:  # an operator, a parts-shop owner… we already know
        linked_contact = IndustryContact.objects.filter(company_id=customer.company_id, phone=phone).first()
    if linked_customer is not None and linked_customer.company_id != customer.company_id:
        raise ValidationError({"linked_customer": _("Not a customer of your company.")})
    return Relation.objects.create(
        company_id=customer.company_id,
        customer=customer,
        kind=kind,
        name=rules.clean_text(name)[:60],
        relation=rules.clean_text(relation)[:40],
        phone=phone,
        occupation=rules.clean_text(occupation)[:60],
        influence=influence,
        linked_customer=linked_customer,
        linked_contact=linked_contact,
    )


@transaction.atomic
def relation_delete(*, actor: User, relation: Relation) -> None:
    if not can(actor, relation, Action.DELETE):
        raise PermissionError
    relation.delete()


@transaction.atomic
def machine_add(
    *,
    actor: User,
    customer: Customer,
    brand: str,
    model: str = "",
    count=1,
    years_used=None,
    opinion: str = "",
    competitor_machine=None,
) -> CustomerMachine:
    """A machine the customer owns today (brand, model, years used, opinion)."""
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    if competitor_machine is not None and not brand:  # the known model names the brand and model
        brand, model = competitor_machine.brand, model or competitor_machine.model
    _required({"brand": brand}, "brand")
    errors = {}
    try:
        count = int(count)
        if not 1 <= count <= 500:
            raise ValueError
    except (TypeError, ValueError):
        errors["count"] = _("Between 1 and 500.")
    if years_used not in (None, ""):
        try:
            years_used = int(years_used)
            if not 0 <= years_used <= 60:
                raise ValueError
        except (TypeError, ValueError):
            errors["years_used"] = _("Between 0 and 60.")
    else:
        years_used = None
    if competitor_machine is not None and competitor_machine.company_id != customer.company_id:
        errors["competitor_machine"] = _("Not a competitor machine of your company.")
    if errors:
        raise ValidationError(errors)
    return CustomerMachine.objects.create(
        company_id=customer.company_id,
        customer=customer,
        brand=rules.clean_text(brand)[:60],
        model=rules.clean_text(model)[:60],
        count=count,
        years_used=years_used,
        opinion=rules.clean_text(opinion)[:300],
        competitor_machine=competitor_machine,
    )


@transaction.atomic
def machine_delete(*, actor: User, machine: CustomerMachine) -> None:
    if not can(actor, machine, Action.DELETE):
        raise PermissionError
    machine.delete()


@transaction.atomic
def contact_add(
    *, actor: User, customer: Customer, name: str, phone: str = "", title: str = "", note: str = ""
) -> CustomerContact:
    if not can(actor, customer, Action.CHANGE):
        raise PermissionError
    _required({"name": name}, "name")
    return CustomerContact.objects.create(
        customer=customer,
        name=rules.clean_text(name)[:60],
        phone=mobile_or_error(phone),
        title=rules.clean_text(title)[:60],
        note=rules.clean_text(note)[:200],
    )


@transaction.atomic
def contact_delete(*, actor: User, contact: CustomerContact) -> None:
    if not can(actor, contact, Action.DELETE):
        raise PermissionError
    contact.delete()


# --- de-duplication and merge ------------------------------------------------------------------------------


def duplicates_for(
    *, company_id: int, name: str = "", phone: str = "", city: str = "", district: str = "", exclude_pk=None
) -> list[tuple[Customer, str]]:
    """Customers that may be the same: the same mobile, or a near-identical name in the same area."""
    from .domain.importing import near_identical

    found: dict[int, tuple[Customer, str]] = {}
    base = Customer.objects.filter(company_id=company_id, merged_into__isnull=True)
    if exclude_pk is not None:
        base = base.exclude(pk=exclude_pk)
    if phone:
        for c in base.filter(phone=phone).select_related("owner")[:5]:
            found[c.pk] = (c, "phone")
    name = rules.clean_text(name)
    if name and (district or city):
        area = base.filter(district=district) if district else base.filter(city=city)
        for pk, other in area.values_list("pk", "name").iterator():
            if pk not in found and near_identical(name, other):
                found[pk] = (None, "name")
        missing = [pk for pk, (c, _why) in found.items() if c is None]
        for c in base.filter(pk__in=missing).select_related("owner"):
            found[c.pk] = (c, "name")
    return list(found.values())


MERGE_FILL = (
    "phone",
    "id_number",
    "province",
    "city",
    "district",
    "address",
    "grade",
    *CLASSIFICATION,
    "tier",
)


@transaction.atomic
def customer_merge(*, actor: User, keep: Customer, drop: Customer) -> Customer:
    """Merge a duplicate into ``keep``: every need, relation, machine, contact, project, grade and
    pool history moves over; blank fields of ``keep`` are filled from ``drop``; ``drop`` stays as a
    merged record so that its audit history remains readable from ``keep``."""
    from .models import CustomerContact as Contact
    from .models import CustomerMachine as Machine
    from .models import PoolEvent

    if keep.pk == drop.pk or keep.company_id != drop.company_id or drop.merged_into_id:
        raise ValidationError({"duplicate": _("Choose another customer of your company that is not merged yet.")})
    if not (can(actor, keep, Action.CHANGE) and can(actor, drop, Action.CHANGE)):
        raise PermissionError
    fill = {
        f: getattr(drop, f) for f in MERGE_FILL if getattr(keep, f) in (None, "") and getattr(drop, f) not in (None, "")
    }
    if "phone" in fill:
        drop.phone = ""  # the mobile is unique in the company: free it first
    drop.merged_into = keep
    drop.in_pool = False
    drop.save()
    for key, value in fill.items():
        setattr(keep, key, value)
    keep.save()
    # row by row through save(), so that every move leaves its audit entry (merges are small)
    have = set(keep.needs.values_list("need_point_id", flat=True))
    for need in drop.needs.all():
        if need.need_point_id in have:
            need.delete()  # keep's own assessment of that need wins
        else:
            need.customer = keep
            need.save()
    for model in (Relation, Machine, Contact):
        for row in model.objects.filter(customer=drop):
            row.customer = keep
            row.save()
    for row in Relation.objects.filter(linked_customer=drop):
        row.linked_customer = keep
        row.save()
    # histories are append-only records of what happened to "this customer": they follow it
    StatusChange.objects.filter(customer=drop).update(customer=keep)
    PoolEvent.objects.filter(customer=drop).update(customer=keep)
    for project in drop.projects.all():
        project.customers.add(keep)
        project.customers.remove(drop)
    StatusChange.objects.create(
        company_id=keep.company_id,
        customer=keep,
        kind=StatusChange.Kind.GRADE,
        old="" if keep.grade is None else str(keep.grade),
        new="" if keep.grade is None else str(keep.grade),
        reason=_("merged duplicate %(name)s (#%(pk)s)") % {"name": drop.name, "pk": drop.pk},
        at=timezone.now(),
        by=actor,
    )
    return keep
