"""Who may list, see, change or delete which rows — the one place that decides it (可见性).

Every list, page, API endpoint, export, search and background job asks this module:

    visible(user, Customer)                      -> queryset of the rows the user may list
    visible(user, Customer, Action.CHANGE)       -> rows the user may change
    get_or_404(user, Customer, pk, Action.CHANGE) -> the row, 404 if not visible, 403 if only visible
    can(user, obj, Action.DELETE)                -> bool

A user never sees another company's rows. Within the company each role grants scopes per action;
a user holding several roles gets the union. The table POLICIES below is the whole policy: a new
module adds one entry per business model it creates (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from .models import Role


class Action(StrEnum):
    LIST = "list"
    VIEW = "view"
    CHANGE = "change"
    DELETE = "delete"


# A scope turns a user into a Q over the model (None = no rows).
Scope = Callable[[object], Q | None]


def everything() -> Scope:
    return lambda user: Q()


def own(path: str) -> Scope:
    """Rows whose ``path`` points at the user (e.g. the customer's owning salesperson)."""
    return lambda user: Q(**{path: user.pk})


def in_regions(path: str) -> Scope:
    """Rows in one of the regions the user covers."""

    def scope(user):
        ids = user.region_ids
        return Q(**{f"{path}__in": list(ids)}) if ids else None

    return scope


def where(**lookups) -> Scope:
    """Rows matching fixed lookups, e.g. the public pool: where(in_pool=True)."""
    return lambda user: Q(**lookups)


def members_of_my_regions(path: str) -> Scope:
    """Rows whose user (at ``path``) covers one of the requesting user's regions."""

    def scope(user):
        from .models import User

        ids = user.region_ids
        if not ids:
            return None
        return Q(**{f"{path}__in": User.objects.filter(regions__in=list(ids)).values("pk")})

    return scope


@dataclass(frozen=True)
class Grant:
    """Scopes granted to one role on one model: ``read`` covers LIST and VIEW."""

    read: tuple[Scope, ...] = ()
    change: tuple[Scope, ...] = ()
    delete: tuple[Scope, ...] = ()

    def scopes(self, action: Action) -> tuple[Scope, ...]:
        if action in (Action.LIST, Action.VIEW):
            # whoever may change or delete a row may also see it
            return self.read + self.change + self.delete
        return self.change if action == Action.CHANGE else self.delete


ALL = (everything(),)
NONE: tuple[Scope, ...] = ()


def full(*scopes: Scope) -> Grant:
    return Grant(read=scopes, change=scopes, delete=scopes)


@dataclass(frozen=True)
class Policy:
    company_path: str
    grants: dict[str, Grant] = field(default_factory=dict)


def _customer_grants(prefix: str, *, read_only: bool = False) -> dict[str, Grant]:
    """The customer's rule, for the customer itself (prefix "") or a row hanging off it ("customer__")."""
    own_c, pool, region = own(f"{prefix}owner"), where(**{f"{prefix}in_pool": True}), in_regions(f"{prefix}region")
    if read_only:
        return {
            Role.SALESPERSON: Grant(read=(own_c, pool)),
            Role.MANAGER: Grant(read=(region,)),
            Role.FINANCE: Grant(read=(region,)),
            Role.ADMIN: Grant(read=ALL),
        }
    return {
        Role.SALESPERSON: Grant(read=(own_c, pool), change=(own_c,), delete=(own_c,) if prefix else ()),
        Role.MANAGER: full(region),
        Role.FINANCE: Grant(read=(region,)),
        Role.ADMIN: full(everything()),
    }


def _config_grants() -> dict[str, Grant]:
    return {r: Grant(read=ALL) for r in Role.values} | {Role.ADMIN: full(everything())}


def _playbook_grants() -> dict[str, Grant]:
    """Sales material (FABE cards, objection playbook, competitor scripts): every role reads it,
    managers and administrators write it."""
    writers = {Role.MANAGER: full(everything()), Role.ADMIN: full(everything())}
    return {r: Grant(read=ALL) for r in Role.values} | writers


def _order_grants(prefix: str, *, service: bool = False) -> dict[str, Grant]:
    """A row of an order: the customer's rule; finance also changes it (receipts, dossier checks);
    with ``service``, the region's service engineers read and tick it (preparation, transport, delivery)."""
    grants = _customer_grants(prefix)
    region = in_regions(f"{prefix}region")
    grants[Role.FINANCE] = Grant(read=(region,), change=(region,))
    if service:
        grants[Role.SERVICE] = Grant(read=(region,), change=(region,))
    return grants


def _receivable_grants(prefix: str, *, read_only: bool) -> dict[str, Grant]:
    """A receivable account follows its customer: the owning salesperson reads it, the region's
    managers read it, finance reads and changes it in its regions (it records the payments),
    administrators all. ``read_only``: payments and allocations, written by the services only."""
    own_c, region = own(f"{prefix}customer__owner"), in_regions(f"{prefix}customer__region")
    return {
        Role.SALESPERSON: Grant(read=(own_c,)),
        Role.MANAGER: Grant(read=(region,)),
        Role.FINANCE: Grant(read=(region,)) if read_only else Grant(read=(region,), change=(region,)),
        Role.ADMIN: Grant(read=ALL) if read_only else Grant(read=ALL, change=ALL),
    }


def _collection_grants(prefix: str) -> dict[str, Grant]:
    """Collection work on an account (plan, rounds, actions): read and recorded by the customer's
    salesperson, the region's managers and finance, administrators all; never deleted."""
    own_c, region = own(f"{prefix}customer__owner"), in_regions(f"{prefix}customer__region")
    return {
        Role.SALESPERSON: Grant(read=(own_c,), change=(own_c,)),
        Role.MANAGER: Grant(read=(region,), change=(region,)),
        Role.FINANCE: Grant(read=(region,), change=(region,)),
        Role.ADMIN: Grant(read=ALL, change=ALL),
    }


def _machine_grants() -> dict[str, Grant]:
    """Machines in stock are the company's (everybody on the sales side reads them; managers and
    administrators change them); a machine's order follows the customer's region."""
    return {
        Role.SALESPERSON: Grant(read=ALL),
        Role.MANAGER: full(everything()),
        Role.FINANCE: Grant(read=ALL),
        Role.SERVICE: Grant(read=ALL, change=ALL),
        Role.ADMIN: full(everything()),
    }


def _visit_grants(mine: str, customer: str) -> dict[str, Grant]:
    """A visit's rule: ``mine`` points at the salesperson who made the row, ``customer`` at the customer."""
    made, owned, region = own(mine), own(f"{customer}__owner"), in_regions(f"{customer}__region")
    return {
        Role.SALESPERSON: Grant(read=(made, owned), change=(made,), delete=(made,)),
        Role.MANAGER: full(region),
        Role.FINANCE: Grant(read=(region,)),
        Role.ADMIN: full(everything()),
    }


# ----------------------------------------------------------------------------------------------
# THE POLICY. Roles: salesperson, manager, finance, service, admin.
# ----------------------------------------------------------------------------------------------
POLICIES: dict[str, Policy] = {
    # Customers (客户): salesperson — own customers and the public pool (公海); manager — all in
    # their regions; finance — read in their regions (the debtor's contact data for collection);
    # service — none until service cases exist (they will grant the customers attached to them);
    # administrator — the whole company.
    "customers.Customer": Policy(company_path="company", grants=_customer_grants("")),
    # What belongs to one customer follows the customer. Histories are written by services only.
    "customers.CustomerContact": Policy(company_path="customer__company", grants=_customer_grants("customer__")),
    "customers.CustomerNeed": Policy(company_path="company", grants=_customer_grants("customer__")),
    "customers.Relation": Policy(company_path="company", grants=_customer_grants("customer__")),
    "customers.CustomerMachine": Policy(company_path="company", grants=_customer_grants("customer__")),
    "customers.StatusChange": Policy(company_path="company", grants=_customer_grants("customer__", read_only=True)),
    "customers.PoolEvent": Policy(company_path="company", grants=_customer_grants("customer__", read_only=True)),
    # Grade-0 industry contacts and market projects are the region's shared intelligence: the
    # region's salespeople read them all and change what they recorded (contacts) or all (projects).
    "customers.IndustryContact": Policy(
        company_path="company",
        grants={
            Role.SALESPERSON: Grant(read=(in_regions("region"),), change=(own("owner"),), delete=(own("owner"),)),
            Role.MANAGER: full(in_regions("region")),
            Role.SERVICE: Grant(read=(in_regions("region"),)),  # repair and parts shops
            Role.ADMIN: full(everything()),
        },
    ),
    "customers.MarketProject": Policy(
        company_path="company",
        grants={
            Role.SALESPERSON: Grant(read=(in_regions("region"),), change=(in_regions("region"),)),
            Role.MANAGER: full(in_regions("region")),
            Role.ADMIN: full(everything()),
        },
    ),
    # Competitor intelligence is company-wide for the sales side.
    **{
        label: Policy(
            company_path="company",
            grants={
                Role.SALESPERSON: Grant(read=ALL, change=ALL),
                Role.MANAGER: full(everything()),
                Role.ADMIN: full(everything()),
            },
        )
        for label in ("customers.CompetitorDealer", "customers.CompetitorMachine", "customers.CompetitorSalesperson")
    },
    # Visits (客户拜访): a salesperson plans, checks in and notes their own visits and reads every
    # visit of the customers they own now (the history of a customer handed over stays readable);
    # managers see and correct the visits in their regions (check-in map, evening review); finance
    # reads them in their regions (the collector's view of the relationship).
    **{
        label: Policy(company_path="company", grants=_visit_grants(mine, customer))
        for label, mine, customer in (
            ("visits.Visit", "salesperson", "customer"),
            ("visits.VisitPhoto", "visit__salesperson", "visit__customer"),
            ("visits.VisitNote", "author", "customer"),
            ("visits.FollowUp", "owner", "customer"),
            ("visits.Objection", "by", "customer"),
            ("pitch.ObjectionHandling", "by", "customer"),
        )
    },
    # The pitch material (产品推介): FABE cards and their evidence, the objection playbook, the
    # competitor scripts — everybody reads them, managers and administrators write them.
    **{
        f"pitch.{name}": Policy(company_path="company", grants=_playbook_grants())
        for name in ("FabeCard", "FabeEvidence", "ObjectionType", "ObjectionAnswer", "CompetitorScript")
    },
    # Commercial policies (商务政策): what the customer qualifies with, quotes, discount requests and
    # value-added compensation follow the customer (the owning salesperson, the region's managers;
    # finance reads them in their regions, as it reads contracts).
    "policies.Qualification": Policy(company_path="company", grants=_customer_grants("customer__")),
    "policies.Quote": Policy(company_path="company", grants=_customer_grants("customer__")),
    "policies.QuoteVersion": Policy(company_path="quote__company", grants=_customer_grants("quote__customer__")),
    "policies.DiscountRequest": Policy(company_path="company", grants=_customer_grants("customer__")),
    "policies.Compensation": Policy(company_path="company", grants=_customer_grants("customer__")),
    # Order to delivery (下单交车): a deal and everything hanging off its order follow the customer
    # (the owning salesperson, the region's managers; finance reads them — and verifies the dossier —
    # in its regions; the service engineers of the region read the machine, preparation, transport
    # and delivery they take part in).
    "orders.Deal": Policy(company_path="company", grants=_customer_grants("customer__")),
    "orders.DealStageStay": Policy(
        company_path="deal__company", grants=_customer_grants("deal__customer__", read_only=True)
    ),
    "orders.Order": Policy(
        company_path="company",
        grants=_customer_grants("customer__") | {Role.SERVICE: Grant(read=(in_regions("customer__region"),))},
    ),
    # payments are never edited or deleted (a mistake is reversed by a new entry): read-only rows,
    # recorded by the services on an order the user may change
    "orders.Deposit": Policy(company_path="company", grants=_customer_grants("order__customer__", read_only=True)),
    "orders.Contract": Policy(company_path="company", grants=_order_grants("order__customer__")),
    "orders.DownPayment": Policy(company_path="company", grants=_customer_grants("order__customer__", read_only=True)),
    "orders.DossierItem": Policy(company_path="company", grants=_order_grants("order__customer__")),
    "orders.Machine": Policy(company_path="company", grants=_machine_grants()),
    "orders.PreparationItem": Policy(company_path="company", grants=_order_grants("order__customer__", service=True)),
    "orders.Transport": Policy(company_path="company", grants=_order_grants("order__customer__", service=True)),
    "orders.TransportEvent": Policy(
        company_path="transport__company", grants=_order_grants("transport__order__customer__", service=True)
    ),
    "orders.Delivery": Policy(company_path="company", grants=_order_grants("order__customer__", service=True)),
    # Receivables (债权管理): an account follows the customer (see _receivable_grants); its
    # instalments, payments (回款) and allocations are read-only rows for everybody — only the
    # services write them (a payment is never edited or deleted: a reversal undoes it).
    "receivables.ReceivableAccount": Policy(company_path="company", grants=_receivable_grants("", read_only=False)),
    "receivables.Instalment": Policy(company_path="company", grants=_receivable_grants("account__", read_only=True)),
    "receivables.Payment": Policy(company_path="company", grants=_receivable_grants("account__", read_only=True)),
    "receivables.PaymentPromise": Policy(
        company_path="company", grants=_receivable_grants("account__", read_only=True)
    ),
    "receivables.Allocation": Policy(
        company_path="company", grants=_receivable_grants("payment__account__", read_only=True)
    ),
    # the daily days-past-due snapshot follows its account (written by the job only); the collection
    # settings (pre-warning days, escalation, contact hours) are configuration
    "receivables.DpdSnapshot": Policy(company_path="company", grants=_receivable_grants("account__", read_only=True)),
    "receivables.CollectionSettings": Policy(company_path="company", grants=_config_grants()),
    # Risk (风险预警), arrears causes, the escalation ladder's steps and the three traps' requests
    # follow the account; written only by the services (receivables/risk/services.py), which check
    # who records (staff on the account) and who decides (the region's managers, finance).
    **{
        f"receivables.{_name}": Policy(company_path="company", grants=_receivable_grants("account__", read_only=True))
        for _name in ("RiskSignal", "RiskAssessment", "ArrearsRecord", "EscalationStep", "SettlementRequest")
    },
    # The risk method's configuration: everybody reads it, administrators change it.
    **{
        f"receivables.{_name}": Policy(company_path="company", grants=_config_grants())
        for _name in ("RiskSettings", "ArrearsPlaybook", "EscalationStage")
    },
    # Collection (回款): the plan table, its 5W2H rounds and the collection actions are written by
    # whoever works on the account — the customer's salesperson, the region's managers, finance of
    # the region, administrators (the same people who see the account); the techniques are the
    # method's configuration (everybody reads, administrators change).
    **{
        f"receivables.{name}": Policy(company_path="company", grants=_collection_grants("account__"))
        for name in ("CollectionPlan", "CollectionPlanStep", "CollectionAction")
    },
    "receivables.CollectionTechnique": Policy(company_path="company", grants=_config_grants()),
    # Credit checks (资信调查) follow the customer: the owning salesperson reads and records them (before
    # a new sale), the region's managers and finance read and record them, administrators all; a
    # check is a record, never deleted (a later check supersedes it).
    "receivables.CreditCheck": Policy(
        company_path="company",
        grants={
            Role.SALESPERSON: Grant(read=(own("customer__owner"),), change=(own("customer__owner"),)),
            Role.MANAGER: Grant(read=(in_regions("customer__region"),), change=(in_regions("customer__region"),)),
            Role.FINANCE: Grant(read=(in_regions("customer__region"),), change=(in_regions("customer__region"),)),
            Role.ADMIN: Grant(read=ALL, change=ALL),
        },
    ),
    # Daily reports (日报): the salesperson's own; the managers of the salesperson's regions read
    # them (and comment, see ReportComment); administrators read all.
    "visits.DailyReport": Policy(
        company_path="company",
        grants={
            Role.SALESPERSON: Grant(read=(own("salesperson"),), change=(own("salesperson"),)),
            Role.MANAGER: Grant(read=(own("salesperson"), members_of_my_regions("salesperson"))),
            Role.ADMIN: Grant(read=ALL),
        },
    ),
    "visits.ReportComment": Policy(
        company_path="company",
        grants={
            Role.SALESPERSON: Grant(read=(own("report__salesperson"),)),
            Role.MANAGER: Grant(
                read=(own("report__salesperson"), members_of_my_regions("report__salesperson")),
                change=(own("author"),),
                delete=(own("author"),),
            ),
            Role.ADMIN: Grant(read=ALL),
        },
    ),
    # Configuration of the method: everybody reads it (pages explain presets and grades with it),
    # administrators change it.
    **{
        label: Policy(company_path=path, grants=_config_grants())
        for label, path in (
            ("customers.CustomerSettings", "company"),
            ("customers.NeedPoint", "company"),
            ("customers.PresetRule", "company"),
            ("customers.PresetEffect", "rule__company"),
            ("customers.PresetTemplate", "company"),
            ("customers.GradeCriterion", "company"),
            ("customers.SegmentFit", "company"),
            ("customers.PoolRule", "company"),
            ("pitch.Product", "company"),
            ("pitch.SellingPoint", "company"),
            ("pitch.Price", "company"),
            ("policies.Policy", "company"),
            ("policies.NegotiationSettings", "company"),
            ("orders.DealStage", "company"),
            ("orders.ContractTemplate", "company"),
            ("visits.VisitSettings", "company"),
            ("visits.ChecklistItem", "company"),
        )
    },
    # Organisation: everybody reads their own company, its regions and branches; administrators
    # change them. (Companies are created by the deployment's operator in the admin site.)
    "core.Company": Policy(
        company_path="pk",
        grants={r: Grant(read=ALL) for r in Role.values} | {Role.ADMIN: Grant(read=ALL, change=ALL)},
    ),
    "core.Region": Policy(
        company_path="company",
        grants={r: Grant(read=ALL) for r in Role.values} | {Role.ADMIN: Grant(read=ALL, change=ALL)},
    ),
    "core.Branch": Policy(
        company_path="company",
        grants={r: Grant(read=ALL) for r in Role.values} | {Role.ADMIN: Grant(read=ALL, change=ALL)},
    ),
    # Users: everybody sees themselves; managers see the staff of their regions; administrators
    # manage all users (deactivate, never delete: history points at them).
    "core.User": Policy(
        company_path="company",
        grants={
            Role.SALESPERSON: Grant(read=(own("pk"),)),
            Role.FINANCE: Grant(read=(own("pk"),)),
            Role.SERVICE: Grant(read=(own("pk"),)),
            Role.MANAGER: Grant(read=(own("pk"), members_of_my_regions("pk"))),
            Role.ADMIN: Grant(read=ALL, change=ALL),
        },
    ),
    "core.UserRole": Policy(
        company_path="user__company",
        grants={r: Grant(read=(own("user"),)) for r in Role.values} | {Role.ADMIN: full(everything())},
    ),
    # To-dos and notifications are personal.
    "core.Todo": Policy(company_path="company", grants={r: full(own("user")) for r in Role.values}),
    "core.Notification": Policy(company_path="company", grants={r: full(own("user")) for r in Role.values}),
    # Personal API tokens: each user sees and revokes only their own.
    "core.ApiToken": Policy(company_path="user__company", grants={r: full(own("user")) for r in Role.values}),
    # The audit trail and the sensitive-data access log: administrators read them; nobody changes them.
    # (A record's own history is shown to whoever may see the record.)
    "core.AuditEntry": Policy(company_path="company", grants={Role.ADMIN: Grant(read=ALL)}),
    "core.SensitiveAccess": Policy(company_path="company", grants={Role.ADMIN: Grant(read=ALL)}),
}


# Bookkeeping tables that no page, API or export ever lists: they need no policy.
UNGOVERNED = frozenset({"core.PeriodicRun", "core.LoginFailure", "policies.QuoteCounter", "orders.DocumentCounter"})


def policy_for(model: type[models.Model]) -> Policy:
    try:
        return POLICIES[model._meta.label]
    except KeyError:
        raise LookupError(f"No visibility policy for {model._meta.label}: add one to core/visibility.py") from None


def governed_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in POLICIES]


def _q_for(user, model: type[models.Model], action: Action) -> Q | None:
    policy = policy_for(model)
    parts: list[Q] = []
    for role in sorted(user.role_set):
        grant = policy.grants.get(role)
        if grant is None:
            continue
        for scope in grant.scopes(action):
            q = scope(user)
            if q is None:
                continue
            if not q:  # Q() = every row of the company
                return Q()
            if q not in parts:  # the same scope granted twice must not repeat in SQL
                parts.append(q)
    if not parts:
        return None
    combined = parts[0]
    for q in parts[1:]:
        combined |= q
    return combined


def visible(user, model: type[models.Model], action: Action = Action.LIST, queryset=None):
    """The rows of ``model`` on which ``user`` may perform ``action``."""
    qs = queryset if queryset is not None else model._default_manager.all()
    if not getattr(user, "is_authenticated", False) or not user.company_id or not user.is_active:
        return qs.none()
    policy = policy_for(model)
    q = _q_for(user, model, action)
    if q is None:
        return qs.none()
    qs = qs.filter(**{policy.company_path: user.company_id})
    return qs.filter(q) if q else qs


def can(user, obj: models.Model, action: Action) -> bool:
    return visible(user, type(obj), action).filter(pk=obj.pk).exists()


def allowed_actions(user, obj: models.Model) -> set[Action]:
    return {a for a in Action if a != Action.LIST and can(user, obj, a)}


def get_or_404(user, model: type[models.Model], pk, action: Action = Action.VIEW, queryset=None):
    """The row for ``action``: 404 when the user may not even see it, 403 when only seeing is allowed."""
    try:
        return visible(user, model, action, queryset).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        pass
    try:
        only_visible = action != Action.VIEW and visible(user, model, Action.VIEW).filter(pk=pk).exists()
    except (ValueError, TypeError):  # not an id at all
        only_visible = False
    if only_visible:
        raise PermissionDenied
    raise Http404


def may(user, model: type[models.Model], action: Action) -> bool:
    """Does any role of the user grant ``action`` on some rows of ``model`` (e.g. to show a button)?"""
    if not getattr(user, "is_authenticated", False) or not user.company_id:
        return False
    return _q_for(user, model, action) is not None


def roles_with(model: type[models.Model], action: Action) -> Iterable[str]:
    return [r for r, g in policy_for(model).grants.items() if g.scopes(action)]
