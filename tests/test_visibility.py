"""Who may list, see, change and delete what (core/visibility.py), through the ORM, pages, API, admin.

The expectations are written from the policy's documented intent, not read back from the table:
salesperson — own customers and the public pool, changes only own; manager — everything in their
regions; finance — reads customers of their regions; service — no customers yet; administrator —
the whole company; to-dos and notifications are personal; the audit trail and the sensitive-data
access log are read by administrators only and changed by nobody; no one sees another company.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core import sensitive
from core.models import ApiToken, AuditEntry, Channel, Notification, Role, SensitiveAccess, UserRole
from core.services import api_token_issue
from core.visibility import POLICIES, UNGOVERNED, Action, can, get_or_404, visible
from customers.models import Customer

from .factories import make_todo, make_user

L, V, C, D = Action.LIST, Action.VIEW, Action.CHANGE, Action.DELETE
LETTER = {L: "l", V: "v", C: "c", D: "d"}

# model label -> viewer -> {row name: actions allowed ("lvcd" letters); rows not named: nothing}.
# Every viewer is also checked against every row of the model that it is not granted.
MATRIX: dict[str, dict[str, dict[str, str]]] = {
    "customers.Customer": {
        "admin": {"cust_a1": "lvcd", "cust_a2": "lvcd", "cust_b1": "lvcd", "cust_pool": "lvcd"},
        "manager_a": {"cust_a1": "lvcd", "cust_a2": "lvcd", "cust_pool": "lvcd"},
        "manager_b": {"cust_b1": "lvcd"},
        "finance": {"cust_a1": "lv", "cust_a2": "lv", "cust_pool": "lv"},
        "service": {},
        "sales_a1": {"cust_a1": "lvc", "cust_pool": "lv"},
        "sales_a2": {"cust_a2": "lvc", "cust_pool": "lv"},
        "sales_b1": {"cust_b1": "lvc", "cust_pool": "lv"},  # the pool is the company's, not a region's
        "other_admin": {"other_customer": "lvcd", "other_pool": "lvcd"},
        "other_sales": {"other_customer": "lvc", "other_pool": "lv"},
    },
    "core.Region": {
        "admin": {"region_a": "lvc", "region_b": "lvc"},
        "manager_a": {"region_a": "lv", "region_b": "lv"},
        "finance": {"region_a": "lv", "region_b": "lv"},
        "service": {"region_a": "lv", "region_b": "lv"},
        "sales_b1": {"region_a": "lv", "region_b": "lv"},
        "other_admin": {"other_region": "lvc"},
        "other_sales": {"other_region": "lv"},
    },
    "core.Branch": {
        "admin": {"branch_a": "lvc", "branch_b": "lvc"},
        "manager_b": {"branch_a": "lv", "branch_b": "lv"},
        "finance": {"branch_a": "lv", "branch_b": "lv"},
        "sales_a1": {"branch_a": "lv", "branch_b": "lv"},
        "other_sales": {"other_branch": "lv"},
    },
    "core.User": {
        # administrators manage users but never delete them (history points at them)
        "admin": {
            u: "lvc"
            for u in (
                "u_admin",
                "u_manager_a",
                "u_manager_b",
                "u_finance",
                "u_service",
                "u_sales_a1",
                "u_sales_a2",
                "u_sales_b1",
            )
        },
        # a manager sees the staff covering their regions (admin and finance cover region A too)
        "manager_a": {"u_manager_a": "lv", "u_sales_a1": "lv", "u_sales_a2": "lv", "u_finance": "lv", "u_admin": "lv"},
        "finance": {"u_finance": "lv"},
        "service": {"u_service": "lv"},
        "sales_a1": {"u_sales_a1": "lv"},
        "other_admin": {"u_other_sales": "lvc"},
    },
    "core.UserRole": {
        "admin": {"role_sales_a1": "lvcd", "role_sales_a2": "lvcd", "role_manager_a": "lvcd"},
        "manager_a": {"role_manager_a": "lv"},
        "sales_a1": {"role_sales_a1": "lv"},
        "other_admin": {"role_other_sales": "lvcd"},
    },
    "core.Todo": {
        "sales_a1": {"todo_sales_a1": "lvcd"},
        "manager_a": {"todo_manager_a": "lvcd"},
        "admin": {"todo_admin": "lvcd"},  # even an administrator does not see other people's to-dos
        "finance": {},
        "other_sales": {"todo_other_sales": "lvcd"},
    },
    "core.Notification": {
        "sales_a1": {"note_sales_a1": "lvcd"},
        "manager_a": {"note_manager_a": "lvcd"},
        "admin": {"note_admin": "lvcd"},
        "other_admin": {},
    },
    "core.Company": {
        "sales_a1": {"company_ours": "lv"},
        "service": {"company_ours": "lv"},
        "admin": {"company_ours": "lvc"},  # a company is never deleted from the app
        "other_admin": {"company_other": "lvc"},
    },
    "core.ApiToken": {
        "sales_a1": {"token_sales_a1": "lvcd"},
        "admin": {"token_admin": "lvcd"},  # an administrator does not see other people's tokens
        "manager_a": {},
        "other_sales": {"token_other_sales": "lvcd"},
    },
    "core.AuditEntry": {
        "admin": {"audit_ours": "lv"},
        "manager_a": {},
        "finance": {},
        "sales_a1": {},  # not even the entry about the salesperson's own customer
        "other_admin": {"audit_other": "lv"},
    },
    "core.SensitiveAccess": {
        "admin": {"access_ours": "lv"},
        "finance": {},  # not even the log of their own reveal
        "manager_a": {},
        "other_admin": {"access_other": "lv"},
    },
}

# --- customer cognition: rows hanging off a customer, intelligence, configuration -----------------
CHILDREN = ("CustomerContact", "CustomerNeed", "Relation", "CustomerMachine")
HISTORIES = ("StatusChange", "PoolEvent")
COMPETITION = ("CompetitorDealer", "CompetitorMachine", "CompetitorSalesperson")
CONFIG = (
    "customers.CustomerSettings",
    "customers.NeedPoint",
    "customers.PresetRule",
    "customers.PresetEffect",
    "customers.PresetTemplate",
    "customers.GradeCriterion",
    "customers.SegmentFit",
    "customers.PoolRule",
    "pitch.Product",
    "pitch.SellingPoint",
    "pitch.Price",
    "visits.VisitSettings",
    "visits.ChecklistItem",
)


def _short(label: str) -> str:
    return label.split(".")[-1].lower()


def _follows_customer(name: str, write: str) -> dict[str, dict[str, str]]:
    """A row of cust_a1 / cust_b1 / cust_pool / other_customer: the customer's own rule."""
    r = {k: f"{name}_{k}" for k in ("a1", "b1", "pool", "other")}
    return {
        "admin": {r["a1"]: "lv" + write, r["b1"]: "lv" + write, r["pool"]: "lv" + write},
        "manager_a": {r["a1"]: "lv" + write, r["pool"]: "lv" + write},
        "manager_b": {r["b1"]: "lv" + write},
        "finance": {r["a1"]: "lv", r["pool"]: "lv"},
        "service": {},
        "sales_a1": {r["a1"]: "lv" + write, r["pool"]: "lv"},  # the pool customer's rows: read only
        "sales_b1": {r["b1"]: "lv" + write, r["pool"]: "lv"},
        "other_admin": {r["other"]: "lv" + write},
    }


for _name in CHILDREN:
    MATRIX[f"customers.{_name}"] = _follows_customer(_name.lower(), "cd")
for _name in HISTORIES:
    MATRIX[f"customers.{_name}"] = _follows_customer(_name.lower(), "")  # written by services only
MATRIX["customers.IndustryContact"] = {
    "sales_a1": {"ic_a1": "lvcd", "ic_a2": "lv"},  # the region's contacts; changes what it recorded
    "sales_b1": {"ic_b1": "lvcd"},
    "manager_a": {"ic_a1": "lvcd", "ic_a2": "lvcd"},
    "service": {"ic_b1": "lv"},  # repair and parts shops of the engineer's region
    "finance": {},
    "admin": {"ic_a1": "lvcd", "ic_a2": "lvcd", "ic_b1": "lvcd"},
    "other_admin": {"ic_other": "lvcd"},
}
MATRIX["customers.MarketProject"] = {
    "sales_a1": {"mp_a": "lvc"},
    "sales_b1": {"mp_b": "lvc"},
    "manager_a": {"mp_a": "lvcd"},
    "finance": {},
    "service": {},
    "admin": {"mp_a": "lvcd", "mp_b": "lvcd"},
    "other_admin": {"mp_other": "lvcd"},
}
for _name in COMPETITION:
    _n = _name.lower()
    MATRIX[f"customers.{_name}"] = {
        "sales_a1": {f"{_n}_ours": "lvc"},
        "manager_a": {f"{_n}_ours": "lvcd"},
        "admin": {f"{_n}_ours": "lvcd"},
        "finance": {},
        "service": {},
        "other_sales": {f"{_n}_other": "lvc"},
    }


def _configuration(label: str) -> dict[str, dict[str, str]]:
    """The method's configuration: every role of the company reads it, administrators change it."""
    n = _short(label)
    return {
        "sales_a1": {f"{n}_ours": "lv"},
        "finance": {f"{n}_ours": "lv"},
        "service": {f"{n}_ours": "lv"},
        "manager_a": {f"{n}_ours": "lv"},
        "admin": {f"{n}_ours": "lvcd"},
        "other_admin": {f"{n}_other": "lvcd"},
    }


for _label in CONFIG:
    MATRIX[_label] = _configuration(_label)

# --- visits: the one who made the row, the customer's owner, the customer's region --------------
# v_a1: cust_a1 visited by its owner sales_a1; v_a1x: cust_a1 visited earlier by sales_a2 (the
# customer changed hands: the new owner reads it, the one who made it still corrects it).
VISIT_ROWS = ("Visit", "VisitPhoto", "VisitNote", "FollowUp", "Objection")


def _visit_rule(n: str) -> dict[str, dict[str, str]]:
    """A row made on a visit: who made it, the customer's owner, the customer's region."""
    return {
        "admin": {f"{n}_a1": "lvcd", f"{n}_a1x": "lvcd", f"{n}_b1": "lvcd"},
        "manager_a": {f"{n}_a1": "lvcd", f"{n}_a1x": "lvcd"},
        "manager_b": {f"{n}_b1": "lvcd"},
        "finance": {f"{n}_a1": "lv", f"{n}_a1x": "lv"},
        "service": {},
        "sales_a1": {f"{n}_a1": "lvcd", f"{n}_a1x": "lv"},
        "sales_a2": {f"{n}_a1x": "lvcd"},
        "sales_b1": {f"{n}_b1": "lvcd"},
        "other_admin": {f"{n}_other": "lvcd"},
    }


for _name in VISIT_ROWS:
    MATRIX[f"visits.{_name}"] = _visit_rule(_name.lower())
# the objection handlings (异议处理记录) follow the visits' rule: who recorded it, the customer
MATRIX["pitch.ObjectionHandling"] = _visit_rule("objectionhandling")
# pitch material (FABE cards, evidence, objection playbook, competitor scripts): every role reads
# it, managers and administrators write it
PLAYBOOK = (
    "pitch.FabeCard",
    "pitch.FabeEvidence",
    "pitch.ObjectionType",
    "pitch.ObjectionAnswer",
    "pitch.CompetitorScript",
)
for _label in PLAYBOOK:
    _n = _short(_label)
    MATRIX[_label] = {
        "sales_a1": {f"{_n}_ours": "lv"},
        "finance": {f"{_n}_ours": "lv"},
        "service": {f"{_n}_ours": "lv"},
        "manager_a": {f"{_n}_ours": "lvcd"},
        "manager_b": {f"{_n}_ours": "lvcd"},
        "admin": {f"{_n}_ours": "lvcd"},
        "other_sales": {f"{_n}_other": "lv"},
        "other_admin": {f"{_n}_other": "lvcd"},
    }
MATRIX["visits.DailyReport"] = {
    "sales_a1": {"dailyreport_a1": "lvc"},
    "sales_a2": {},
    "sales_b1": {"dailyreport_b1": "lvc"},
    "manager_a": {"dailyreport_a1": "lv"},  # reads the reports of the staff of their regions
    "manager_b": {"dailyreport_b1": "lv"},
    "finance": {},
    "admin": {"dailyreport_a1": "lv", "dailyreport_b1": "lv"},
    "other_admin": {"dailyreport_other": "lv"},
}
MATRIX["visits.ReportComment"] = {
    "sales_a1": {"reportcomment_a1": "lv"},  # comments on their own report
    "sales_b1": {"reportcomment_b1": "lv"},
    "manager_a": {"reportcomment_a1": "lvcd"},
    "manager_b": {"reportcomment_b1": "lvcd"},
    "finance": {},
    "admin": {"reportcomment_a1": "lv", "reportcomment_b1": "lv"},
    "other_admin": {"reportcomment_other": "lv"},
}

# --- commercial policies: the customer's rows follow the customer; policies are configuration -----
POLICY_ROWS = ("Qualification", "Quote", "QuoteVersion", "DiscountRequest", "Compensation")
POLICY_CONFIG = ("policies.Policy", "policies.NegotiationSettings")
for _name in POLICY_ROWS:
    MATRIX[f"policies.{_name}"] = _follows_customer(_name.lower(), "cd")
for _label in POLICY_CONFIG:
    MATRIX[_label] = _configuration(_label)

# --- order to delivery: the customer's rule; finance records and checks; service ticks delivery ----
ORDER_ROWS = (
    "Deal",
    "DealStageStay",
    "Order",
    "Deposit",
    "Contract",
    "DownPayment",
    "DossierItem",
    "PreparationItem",
    "Transport",
    "TransportEvent",
    "Delivery",
)
ORDER_CONFIG = ("orders.DealStage", "orders.ContractTemplate")
for _name in ("Deal", "Order"):
    MATRIX[f"orders.{_name}"] = _follows_customer(_name.lower(), "cd")
MATRIX["orders.Order"]["service"] = {"order_b1": "lv"}  # the region's engineers deliver its orders
for _name in ("DealStageStay", "Deposit", "DownPayment"):  # histories and payments: never changed
    MATRIX[f"orders.{_name}"] = _follows_customer(_name.lower(), "")
for _name in ("Contract", "DossierItem", "PreparationItem", "Transport", "TransportEvent", "Delivery"):
    _m = _follows_customer(_name.lower(), "cd")
    _n = _name.lower()
    _m["finance"] = {f"{_n}_a1": "lvc", f"{_n}_pool": "lvc"}  # finance covers region A
    if _name in ("PreparationItem", "Transport", "TransportEvent", "Delivery"):
        _m["service"] = {f"{_n}_b1": "lvc"}  # the service engineer covers region B
    MATRIX[f"orders.{_name}"] = _m
MATRIX["orders.Machine"] = {
    "sales_a1": {"machine_ours": "lv"},
    "manager_a": {"machine_ours": "lvcd"},
    "finance": {"machine_ours": "lv"},
    "service": {"machine_ours": "lvc"},
    "admin": {"machine_ours": "lvcd"},
    "other_admin": {"machine_other": "lvcd"},
}
for _label in ORDER_CONFIG:
    MATRIX[_label] = _configuration(_label)

# --- receivables: an account follows the customer (read: owner, region's managers; finance reads and
# changes in its regions — it records payments; admin all); instalments, payments and allocations are
# read-only rows for everybody (written by the services only)
RECEIVABLE_ROWS = ("ReceivableAccount", "Instalment", "Payment", "Allocation", "PaymentPromise")
for _name in RECEIVABLE_ROWS:
    _n = _name.lower()
    _w = "c" if _name == "ReceivableAccount" else ""
    MATRIX[f"receivables.{_name}"] = {
        "admin": {f"{_n}_a1": "lv" + _w, f"{_n}_b1": "lv" + _w, f"{_n}_pool": "lv" + _w},
        "manager_a": {f"{_n}_a1": "lv", f"{_n}_pool": "lv"},
        "manager_b": {f"{_n}_b1": "lv"},
        "finance": {f"{_n}_a1": "lv" + _w, f"{_n}_pool": "lv" + _w},  # finance covers region A
        "service": {},
        "sales_a1": {f"{_n}_a1": "lv"},  # own customers only: not the pool customer's debts
        "sales_a2": {},
        "sales_b1": {f"{_n}_b1": "lv"},
        "other_admin": {f"{_n}_other": "lv" + _w},
    }

# ops part of receivables: the daily days-past-due snapshot follows its account, read-only for everybody
# (the job writes it); the collection settings are configuration
MATRIX["receivables.DpdSnapshot"] = {
    viewer: {k.replace("receivableaccount_", "dpdsnapshot_"): "lv" for k in granted}
    for viewer, granted in MATRIX["receivables.ReceivableAccount"].items()
}
MATRIX["receivables.CollectionSettings"] = _configuration("receivables.CollectionSettings")
# --- receivables risk: signals, assessments, arrears causes, escalation steps and settlement requests
# follow the account, read-only (the services write them); the risk method's configuration is read by
# everybody and changed by administrators
RISK_ROWS = ("RiskSignal", "RiskAssessment", "ArrearsRecord", "EscalationStep", "SettlementRequest")
RISK_CONFIG = ("receivables.RiskSettings", "receivables.ArrearsPlaybook", "receivables.EscalationStage")
for _name in RISK_ROWS:
    _n = _name.lower()
    MATRIX[f"receivables.{_name}"] = {
        "admin": {f"{_n}_a1": "lv", f"{_n}_b1": "lv", f"{_n}_pool": "lv"},
        "manager_a": {f"{_n}_a1": "lv", f"{_n}_pool": "lv"},
        "manager_b": {f"{_n}_b1": "lv"},
        "finance": {f"{_n}_a1": "lv", f"{_n}_pool": "lv"},
        "service": {},
        "sales_a1": {f"{_n}_a1": "lv"},
        "sales_a2": {},
        "sales_b1": {f"{_n}_b1": "lv"},
        "other_admin": {f"{_n}_other": "lv"},
    }
for _label in RISK_CONFIG:
    MATRIX[_label] = _configuration(_label)
# --- collection (回款): the plan table, its rounds and the actions are read and recorded by whoever
# works on the account — the customer's salesperson (not the pool's), the region's managers,
# finance of the region, administrators; never deleted. The techniques are configuration.
COLLECTION_ROWS = ("CollectionPlan", "CollectionPlanStep", "CollectionAction")
for _name in COLLECTION_ROWS:
    _n = _name.lower()
    MATRIX[f"receivables.{_name}"] = {
        "admin": {f"{_n}_a1": "lvc", f"{_n}_b1": "lvc", f"{_n}_pool": "lvc"},
        "manager_a": {f"{_n}_a1": "lvc", f"{_n}_pool": "lvc"},
        "manager_b": {f"{_n}_b1": "lvc"},
        "finance": {f"{_n}_a1": "lvc", f"{_n}_pool": "lvc"},
        "service": {},
        "sales_a1": {f"{_n}_a1": "lvc"},
        "sales_a2": {},
        "sales_b1": {f"{_n}_b1": "lvc"},
        "other_admin": {f"{_n}_other": "lvc"},
    }
MATRIX["receivables.CollectionTechnique"] = _configuration("receivables.CollectionTechnique")
# --- receivables · credit checks (资信调查) follow the customer: the owner reads and records them (not the
# pool customer's), managers and finance of the region read and record, admin all; nobody deletes one
MATRIX["receivables.CreditCheck"] = {
    "admin": {"creditcheck_a1": "lvc", "creditcheck_b1": "lvc", "creditcheck_pool": "lvc"},
    "manager_a": {"creditcheck_a1": "lvc", "creditcheck_pool": "lvc"},
    "manager_b": {"creditcheck_b1": "lvc"},
    "finance": {"creditcheck_a1": "lvc", "creditcheck_pool": "lvc"},
    "service": {},
    "sales_a1": {"creditcheck_a1": "lvc"},
    "sales_a2": {},
    "sales_b1": {"creditcheck_b1": "lvc"},
    "other_admin": {"creditcheck_other": "lvc"},
}

ROWS: dict[str, tuple[str, ...]] = {
    "customers.Customer": ("cust_a1", "cust_a2", "cust_b1", "cust_pool", "other_customer", "other_pool"),
    "core.Region": ("region_a", "region_b", "other_region"),
    "core.Branch": ("branch_a", "branch_b", "other_branch"),
    "core.User": (
        "u_admin",
        "u_manager_a",
        "u_manager_b",
        "u_finance",
        "u_service",
        "u_sales_a1",
        "u_sales_a2",
        "u_sales_b1",
        "u_other_sales",
    ),
    "core.UserRole": ("role_sales_a1", "role_sales_a2", "role_manager_a", "role_other_sales"),
    "core.Todo": ("todo_sales_a1", "todo_sales_a2", "todo_manager_a", "todo_admin", "todo_other_sales"),
    "core.Notification": ("note_sales_a1", "note_sales_b1", "note_manager_a", "note_admin", "note_other_sales"),
    "core.Company": ("company_ours", "company_other"),
    "core.ApiToken": ("token_sales_a1", "token_admin", "token_other_sales"),
    "core.AuditEntry": ("audit_ours", "audit_other"),
    "core.SensitiveAccess": ("access_ours", "access_other"),
}


for _name in (*CHILDREN, *HISTORIES):
    ROWS[f"customers.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "pool", "other"))
ROWS["customers.IndustryContact"] = ("ic_a1", "ic_a2", "ic_b1", "ic_other")
ROWS["customers.MarketProject"] = ("mp_a", "mp_b", "mp_other")
for _name in VISIT_ROWS:
    ROWS[f"visits.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "a1x", "b1", "other"))
for _name in ("DailyReport", "ReportComment"):
    ROWS[f"visits.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "other"))
for _name in ORDER_ROWS:
    ROWS[f"orders.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "pool", "other"))
ROWS["orders.Machine"] = ("machine_ours", "machine_other")
for _name in RECEIVABLE_ROWS:
    ROWS[f"receivables.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "pool", "other"))
ROWS["receivables.DpdSnapshot"] = tuple(f"dpdsnapshot_{k}" for k in ("a1", "b1", "pool", "other"))
ROWS["receivables.CollectionSettings"] = ("collectionsettings_ours", "collectionsettings_other")
for _name in RISK_ROWS:
    ROWS[f"receivables.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "pool", "other"))
for _label in RISK_CONFIG:
    ROWS[_label] = (f"{_short(_label)}_ours", f"{_short(_label)}_other")
for _name in COLLECTION_ROWS:
    ROWS[f"receivables.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "pool", "other"))
ROWS["receivables.CollectionTechnique"] = ("collectiontechnique_ours", "collectiontechnique_other")
ROWS["receivables.CreditCheck"] = tuple(f"creditcheck_{k}" for k in ("a1", "b1", "pool", "other"))
for _name in POLICY_ROWS:
    ROWS[f"policies.{_name}"] = tuple(f"{_name.lower()}_{k}" for k in ("a1", "b1", "pool", "other"))
ROWS["pitch.ObjectionHandling"] = tuple(f"objectionhandling_{k}" for k in ("a1", "a1x", "b1", "other"))
for _label in (*(f"customers.{n}" for n in COMPETITION), *CONFIG, *POLICY_CONFIG, *PLAYBOOK, *ORDER_CONFIG):
    ROWS[_label] = (f"{_short(_label)}_ours", f"{_short(_label)}_other")


def _cases():
    for label, viewers in MATRIX.items():
        for viewer, granted in viewers.items():
            assert set(granted) <= set(ROWS[label]), (label, viewer)
            for row in ROWS[label]:
                for action in Action:
                    allowed = LETTER[action] in granted.get(row, "")
                    yield pytest.param(
                        label,
                        viewer,
                        row,
                        action,
                        allowed,
                        id=f"{label}-{viewer}-{row}-{action}-{'allowed' if allowed else 'forbidden'}",
                    )


CASES = list(_cases())


@pytest.fixture(scope="module")
def world(shared_world, django_db_blocker):
    """Named rows of every governed model, in two companies."""
    org, other = shared_world
    with django_db_blocker.unblock():
        w: dict = dict(org.users) | dict(org.customers)
        w |= {"other_admin": other.admin, "other_sales": other.sales}
        w |= {"other_customer": other.customer, "other_pool": other.pool_customer}
        w |= {"region_a": org.region_a, "region_b": org.region_b, "other_region": other.region}
        w |= {"branch_a": org.branch_a, "branch_b": org.branch_b, "other_branch": other.branch}
        for name, user in [*org.users.items(), ("other_sales", other.sales)]:
            w[f"u_{name}"] = user
        for name in ("sales_a1", "sales_a2", "manager_a", "other_sales"):
            w[f"role_{name}"] = UserRole.objects.get(user=w[name])
        for name in ("sales_a1", "sales_a2", "manager_a", "admin", "other_sales"):
            w[f"todo_{name}"] = make_todo(w[name], title=f"to-do of {name}")
        for name in ("sales_a1", "sales_b1", "manager_a", "admin", "other_sales"):
            w[f"note_{name}"] = Notification.objects.create(
                company_id=w[name].company_id, user=w[name], title=f"note for {name}"
            )
        w["company_ours"], w["company_other"] = org.company, other.company
        for name in ("sales_a1", "admin", "other_sales"):
            api_token_issue(user=w[name], name=f"token of {name}")
            w[f"token_{name}"] = ApiToken.objects.get(user=w[name])
        w["audit_ours"] = AuditEntry.objects.filter(company=org.company).first()
        w["audit_other"] = AuditEntry.objects.filter(company=other.company).first()
        assert w["audit_ours"] and w["audit_other"]
        sensitive.log_reveal(user=org.finance, instance=org.cust_a1, field="id_number", channel=Channel.PAGE)
        sensitive.log_reveal(user=other.admin, instance=other.customer, field="id_number", channel=Channel.PAGE)
        w["access_ours"] = SensitiveAccess.objects.get(company=org.company)
        w["access_other"] = SensitiveAccess.objects.get(company=other.company)
        w |= cognition_rows(org, other)
        w |= visit_rows(org, other)
        w |= pitch_rows(w)
        w |= policy_rows(org, other, w)
        w |= order_rows(org, other, w)
        w |= receivable_rows(org, other)
        w |= risk_rows(org, other, w)
        w |= collection_rows(org, other, w)
        w["_org"], w["_other"] = org, other
    return w


def cognition_rows(org, other) -> dict:
    """One row of every customer-cognition model per case of the matrix, in both companies."""
    from django.utils import timezone

    from customers import models as cm
    from pitch.models import Price, Product, SellingPoint
    from visits.models import ChecklistItem, VisitSettings

    now = timezone.now()
    w: dict = {}
    config: dict[str, dict] = {"ours": {}, "other": {}}
    for side, company in (("ours", org.company), ("other", other.company)):
        c = config[side]
        c["customersettings"] = cm.CustomerSettings.objects.create(company=company)
        c["needpoint"] = cm.NeedPoint.objects.create(company=company, code="price", name="价格")
        c["presetrule"] = cm.PresetRule.objects.create(company=company, code="r", title="规则")
        c["preseteffect"] = cm.PresetEffect.objects.create(
            rule=c["presetrule"], dimension="scale", need_point=c["needpoint"], slope=-6
        )
        c["presettemplate"] = cm.PresetTemplate.objects.create(company=company, code="t", title="模板")
        c["gradecriterion"] = cm.GradeCriterion.objects.create(company=company, grade=9, text="即将购买")
        c["product"] = Product.objects.create(company=company, code="HY65-9", name="小挖")
        c["sellingpoint"] = SellingPoint.objects.create(
            company=company, product=c["product"], dimension="core", title="省油"
        )
        c["price"] = Price.objects.create(
            company=company, product=c["product"], list_price_fen=36_800_000, valid_from=now.date()
        )
        c["segmentfit"] = cm.SegmentFit.objects.create(
            company=company,
            product=c["product"],
            work_type="engineering",
            engineering_kind="municipal",
            scale="individual",
            score=90,
        )
        c["poolrule"] = cm.PoolRule.objects.create(company=company, grade=3, days=14)
        c["competitordealer"] = cm.CompetitorDealer.objects.create(company=company, name="某品牌代理")
        c["competitormachine"] = cm.CompetitorMachine.objects.create(company=company, brand="某牌", model="60")
        c["competitorsalesperson"] = cm.CompetitorSalesperson.objects.create(
            company=company, dealer=c["competitordealer"], name="对手业务员"
        )
        c["visitsettings"] = VisitSettings.objects.create(company=company)
        c["checklistitem"] = ChecklistItem.objects.create(company=company, name="名片")
        for name, obj in c.items():
            w[f"{name}_{side}"] = obj
    for key, customer in (("a1", org.cust_a1), ("b1", org.cust_b1), ("pool", org.cust_pool), ("other", other.customer)):
        company_id = customer.company_id
        np = config["ours" if key != "other" else "other"]["needpoint"]
        w[f"customercontact_{key}"] = cm.CustomerContact.objects.create(customer=customer, name="联系人")
        w[f"customerneed_{key}"] = cm.CustomerNeed.objects.create(
            company_id=company_id,
            customer=customer,
            need_point=np,
            expected=70,
            deliverable=60,
            stage="key",
            state_at=now,
        )
        w[f"relation_{key}"] = cm.Relation.objects.create(
            company_id=company_id, customer=customer, kind="family", name="家人", relation="妻子"
        )
        w[f"customermachine_{key}"] = cm.CustomerMachine.objects.create(
            company_id=company_id, customer=customer, brand="某牌"
        )
        w[f"statuschange_{key}"] = cm.StatusChange.objects.create(
            company_id=company_id, customer=customer, kind="grade", old="3", new="6", at=now
        )
        w[f"poolevent_{key}"] = cm.PoolEvent.objects.create(
            company_id=company_id, customer=customer, action="claimed", at=now
        )
    for key, region, owner in (
        ("a1", org.region_a, org.sales_a1),
        ("a2", org.region_a, org.sales_a2),
        ("b1", org.region_b, org.sales_b1),
        ("other", other.region, other.sales),
    ):
        w[f"ic_{key}"] = cm.IndustryContact.objects.create(
            company=region.company, region=region, owner=owner, kind="operator", name=f"挖机手{key}"
        )
    for key, region in (("a", org.region_a), ("b", org.region_b), ("other", other.region)):
        w[f"mp_{key}"] = cm.MarketProject.objects.create(company=region.company, region=region, name=f"项目{key}")
    return w


def visit_rows(org, other) -> dict:
    """One row of every visits model per case of the matrix, in both companies."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from visits import models as vm

    now = timezone.now()
    w: dict = {}
    for key, customer, by in (
        ("a1", org.cust_a1, org.sales_a1),
        ("a1x", org.cust_a1, org.sales_a2),
        ("b1", org.cust_b1, org.sales_b1),
        ("other", other.customer, other.sales),
    ):
        common = {"company_id": customer.company_id, "customer": customer}
        visit = vm.Visit.objects.create(**common, salesperson=by, planned_on=now.date())
        w[f"visit_{key}"] = visit
        photo = vm.VisitPhoto(company_id=customer.company_id, visit=visit, taken_at=now, by=by)
        photo.image.save("p.gif", ContentFile(_GIF), save=False)
        photo.save()
        w[f"visitphoto_{key}"] = photo
        note = vm.VisitNote.objects.create(**common, visit=visit, author=by, recorded_at=now, summary="笔记")
        w[f"visitnote_{key}"] = note
        w[f"followup_{key}"] = vm.FollowUp.objects.create(
            **common, visit=visit, note=note, kind="commitment", text="送资料", owner=by
        )
        w[f"objection_{key}"] = vm.Objection.objects.create(
            **common, visit=visit, note=note, text="太贵", at=now, by=by
        )
    for key, sales, manager in (
        ("a1", org.sales_a1, org.manager_a),
        ("b1", org.sales_b1, org.manager_b),
        ("other", other.sales, other.admin),
    ):
        report = vm.DailyReport.objects.create(company_id=sales.company_id, salesperson=sales, day=now.date())
        w[f"dailyreport_{key}"] = report
        w[f"reportcomment_{key}"] = vm.ReportComment.objects.create(
            company_id=sales.company_id, report=report, author=manager, text="好"
        )
    return w


def policy_rows(org, other, w) -> dict:
    """One row of every commercial-policy model per case of the matrix, in both companies."""
    from django.utils import timezone

    from policies import models as pm

    now = timezone.now()
    out: dict = {}
    for side, company in (("ours", org.company), ("other", other.company)):
        out[f"policy_{side}"] = pm.Policy.objects.create(company=company, code="bank", name="按揭", source="bank_loan")
        out[f"negotiationsettings_{side}"] = pm.NegotiationSettings.objects.create(company=company)
    for key, customer, by in (
        ("a1", org.cust_a1, org.sales_a1),
        ("b1", org.cust_b1, org.sales_b1),
        ("pool", org.cust_pool, org.manager_a),
        ("other", other.customer, other.sales),
    ):
        product = w["product_other" if key == "other" else "product_ours"]
        common = {"company_id": customer.company_id, "customer": customer}
        out[f"qualification_{key}"] = pm.Qualification.objects.create(**common, has_guarantor=True)
        quote = pm.Quote.objects.create(
            **common, number=f"BJ-{key}", product=product, salesperson=by, created_at=now, latest_version=1
        )
        out[f"quote_{key}"] = quote
        out[f"quoteversion_{key}"] = pm.QuoteVersion.objects.create(
            quote=quote, version=1, list_price_fen=1, price_fen=1, valid_until=now.date(), by=by, at=now
        )
        out[f"discountrequest_{key}"] = pm.DiscountRequest.objects.create(
            **common,
            product=product,
            list_price_fen=100,
            discount_fen=10,
            reason="竞品便宜",
            requested_by=by,
            requested_at=now,
        )
        out[f"compensation_{key}"] = pm.Compensation.objects.create(
            **common, product=product, kind="free_maintenance", description="免费保养两次", by=by, at=now
        )
    return out


def pitch_rows(w: dict) -> dict:
    """One row of every pitch-material model per company and one objection handling per visit."""
    from pitch import models as pm

    out: dict = {}
    for side in ("ours", "other"):
        company_id = w[f"product_{side}"].company_id
        card = pm.FabeCard.objects.create(
            company_id=company_id, selling_point=w[f"sellingpoint_{side}"], feature="f", advantage="a", benefit="b"
        )
        kind = pm.ObjectionType.objects.create(company_id=company_id, title="价格太贵")
        out |= {
            f"fabecard_{side}": card,
            f"fabeevidence_{side}": pm.FabeEvidence.objects.create(
                company_id=company_id, card=card, kind="text", title="t", quote="q"
            ),
            f"objectiontype_{side}": kind,
            f"objectionanswer_{side}": pm.ObjectionAnswer.objects.create(
                company_id=company_id, objection_type=kind, text="算总账"
            ),
            f"competitorscript_{side}": pm.CompetitorScript.objects.create(
                company_id=company_id,
                competitor_machine=w[f"competitormachine_{side}"],
                strengths="1",
                why_favoured="2",
                new_decision_point="3",
                explanation="4",
                questions_answers="5",
            ),
        }
    for key in ("a1", "a1x", "b1", "other"):
        visit = w[f"visit_{key}"]
        side = "other" if key == "other" else "ours"
        out[f"objectionhandling_{key}"] = pm.ObjectionHandling.objects.create(
            company_id=visit.company_id,
            visit=visit,
            customer=visit.customer,
            objection_type=out[f"objectiontype_{side}"],
            by=visit.salesperson,
            at=visit.created_at,
            outcome="resolved",
        )
    return out


def order_rows(org, other, w) -> dict:
    """One row of every order-to-delivery model per case of the matrix, in both companies."""
    import datetime as dt

    from django.utils import timezone

    from orders import models as om

    now = timezone.now()
    today = now.date()
    out: dict = {}
    stages = {}
    for side, company in (("ours", org.company), ("other", other.company)):
        stages[side] = om.DealStage.objects.create(company=company, code="lead", name="意向")
        out[f"dealstage_{side}"] = stages[side]
        out[f"contracttemplate_{side}"] = om.ContractTemplate.objects.create(
            company=company, name="标准合同", body="合同"
        )
        product = w[f"product_{side}"]
        out[f"machine_{side}"] = om.Machine.objects.create(company=company, product=product, serial_number=f"SN-{side}")
    for key, customer, by in (
        ("a1", org.cust_a1, org.sales_a1),
        ("b1", org.cust_b1, org.sales_b1),
        ("pool", org.cust_pool, org.manager_a),
        ("other", other.customer, other.sales),
    ):
        side = "other" if key == "other" else "ours"
        product = w[f"product_{side}"]
        company_id = customer.company_id
        deal = om.Deal.objects.create(
            company_id=company_id,
            customer=customer,
            product=product,
            salesperson=by,
            stage=stages[side],
            stage_since=now,
            created_at=now,
        )
        out[f"deal_{key}"] = deal
        out[f"dealstagestay_{key}"] = om.DealStageStay.objects.create(
            deal=deal, stage=stages[side], entered_at=now, by=by
        )
        order = om.Order.objects.create(
            company_id=company_id,
            deal=deal,
            customer=customer,
            product=product,
            number=f"DD-{key}",
            price_fen=36_800_000,
            delivery_on=today + dt.timedelta(days=10),
            delivery_place="工地",
            created_by=by,
            created_at=now,
        )
        out[f"order_{key}"] = order
        common = {"company_id": company_id, "order": order}
        out[f"deposit_{key}"] = om.Deposit.objects.create(
            **common,
            amount_fen=2_000_000,
            received_on=today,
            receipt_number=f"SJ-{key}",
            refund_terms="不退",
            by=by,
            at=now,
        )
        out[f"contract_{key}"] = om.Contract.objects.create(
            **common,
            template=out[f"contracttemplate_{side}"],
            number=f"HT-{key}",
            amount_fen=36_800_000,
            signer_name=customer.name,
            created_by=by,
            created_at=now,
        )
        out[f"downpayment_{key}"] = om.DownPayment.objects.create(
            **common, amount_fen=1_000_000, received_on=today, by=by, at=now
        )
        out[f"dossieritem_{key}"] = om.DossierItem.objects.create(**common, kind="buyer_id")
        out[f"preparationitem_{key}"] = om.PreparationItem.objects.create(**common, kind="inspection")
        transport = om.Transport.objects.create(**common)
        out[f"transport_{key}"] = transport
        out[f"transportevent_{key}"] = om.TransportEvent.objects.create(
            transport=transport, kind="position", at=now, place="高速", by=by
        )
        out[f"delivery_{key}"] = om.Delivery.objects.create(**common)
    return out


def receivable_rows(org, other) -> dict:
    """One account per customer of the matrix with an instalment, a payment and its allocation."""
    import datetime as dt

    from django.utils import timezone

    from receivables import models as rm

    now = timezone.now()
    today = now.date()
    out: dict = {}
    for key, customer, finance in (
        ("a1", org.cust_a1, org.finance),
        ("b1", org.cust_b1, org.admin),
        ("pool", org.cust_pool, org.finance),
        ("other", other.customer, other.admin),
    ):
        common = {"company_id": customer.company_id}
        account = rm.ReceivableAccount.objects.create(
            **common,
            customer=customer,
            contract_number=f"DR-{key}",
            salesperson=customer.owner,
            region=customer.region,
            principal_fen=100_000,
            start_on=today,
            source="import",
            created_at=now,
        )
        instalment = rm.Instalment.objects.create(
            **common, account=account, n=1, due_on=today + dt.timedelta(days=30), amount_fen=100_000
        )
        payment = rm.Payment.objects.create(
            **common,
            account=account,
            amount_fen=1_000,
            received_on=today,
            method="cash",
            idempotency_key=f"k-{key}",
            by=finance,
            at=now,
        )
        out[f"receivableaccount_{key}"] = account
        out[f"instalment_{key}"] = instalment
        out[f"payment_{key}"] = payment
        out[f"allocation_{key}"] = rm.Allocation.objects.create(
            **common, payment=payment, instalment=instalment, amount_fen=1_000
        )
        out[f"paymentpromise_{key}"] = rm.PaymentPromise.objects.create(
            **common, account=account, promised_at=now, amount_fen=1_000, by=finance, at=now
        )
        out[f"dpdsnapshot_{key}"] = rm.DpdSnapshot.objects.create(
            **common, account=account, on=today, days_past_due=0, overdue_fen=0, outstanding_fen=100_000
        )
        out[f"creditcheck_{key}"] = rm.CreditCheck.objects.create(
            **common, customer=customer, account=account, stage="during_term", checked_on=today,
            sources=["bank_report"], result="good", by=finance, at=now,
        )  # fmt: skip
    out["collectionsettings_ours"] = rm.CollectionSettings.objects.create(company=org.company)
    out["collectionsettings_other"] = rm.CollectionSettings.objects.create(company=other.company)
    return out


def risk_rows(org, other, w) -> dict:
    """A row of each risk model per account of the matrix, and the risk configuration of both companies."""
    from django.utils import timezone

    from receivables import models as rm

    now = timezone.now()
    out: dict = {}
    for side, company in (("ours", org.company), ("other", other.company)):
        out[f"risksettings_{side}"] = rm.RiskSettings.objects.create(company=company)
        out[f"arrearsplaybook_{side}"] = rm.ArrearsPlaybook.objects.create(
            company=company, arrears_type="deliberate", counter_measures="对策"
        )
        # every company has the default ladder from its creation
        out[f"escalationstage_{side}"] = rm.EscalationStage.objects.get(company=company, code="reminder")
    for key in ("a1", "b1", "pool", "other"):
        account = w[f"receivableaccount_{key}"]
        by = w["other_admin"] if key == "other" else org.admin
        common = {"company_id": account.company_id, "account": account}
        stage = out["escalationstage_other" if key == "other" else "escalationstage_ours"]
        out[f"risksignal_{key}"] = rm.RiskSignal.objects.create(
            **common, kind="wages_late", observed_on=now.date(), evidence="证据", by=by, at=now
        )
        out[f"riskassessment_{key}"] = rm.RiskAssessment.objects.create(**common, computed_at=now)
        out[f"arrearsrecord_{key}"] = rm.ArrearsRecord.objects.create(
            **common, arrears_type="deliberate", cause_note="原因", by=by, at=now
        )
        out[f"escalationstep_{key}"] = rm.EscalationStep.objects.create(**common, stage=stage, requested_by=by, at=now)
        out[f"settlementrequest_{key}"] = rm.SettlementRequest.objects.create(
            **common, kind="waiver", amount_fen=100, evidence="字据", requested_by=by, at=now
        )
    return out


def collection_rows(org, other, w) -> dict:
    """A plan, a round and an action on each account of receivable_rows; a technique per company."""
    from django.utils import timezone

    from receivables.collection import models as cm

    now = timezone.now()
    out: dict = {}
    for side, company in (("ours", org.company), ("other", other.company)):
        out[f"collectiontechnique_{side}"] = cm.CollectionTechnique.objects.create(
            company=company, code="matrix", name="矩阵技巧"
        )
    for key in ("a1", "b1", "pool", "other"):
        account = w[f"receivableaccount_{key}"]
        by = org.admin if key != "other" else other.admin
        common = {"company_id": account.company_id, "account": account}
        out[f"collectionplan_{key}"] = cm.CollectionPlan.objects.create(**common, updated_by=by, updated_at=now)
        out[f"collectionplanstep_{key}"] = cm.CollectionPlanStep.objects.create(
            **common, n=1, what="收款", who="张", planned_at=now, place="工地", how="上门", amount_fen=9, by=by, at=now
        )
        out[f"collectionaction_{key}"] = cm.CollectionAction.objects.create(
            **common, kind="call", at=now, on=now.date(), by=by, outcome="no_contact", recorded_at=now
        )
    return out


# the smallest valid GIF (1×1)
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def test_every_model_of_ours_has_a_policy_or_is_declared_bookkeeping():
    ours = {
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in {"core", "customers", "orders", "pitch", "policies", "receivables", "visits"}
    }
    assert ours - UNGOVERNED == set(POLICIES), "a new model needs an entry in core.visibility.POLICIES"


def test_the_matrix_covers_every_governed_model():
    assert set(MATRIX) == set(POLICIES) == set(ROWS)
    for label, viewers in MATRIX.items():
        outcomes = {allowed for (lab, *_rest, allowed) in (c.values for c in CASES) if lab == label}
        assert outcomes == {True, False}, f"{label} needs allowed and forbidden cases"


@pytest.mark.parametrize(("label", "viewer", "row", "action", "allowed"), CASES)
def test_policy(world, db, label, viewer, row, action, allowed):
    user, obj = world[viewer], world[row]
    model = apps.get_model(label)
    if action == Action.LIST:
        result = visible(user, model).filter(pk=obj.pk).exists()
    else:
        result = can(user, obj, action)
    assert result is allowed


def test_nobody_sees_the_other_companys_rows(world, db):
    org, other = world["_org"], world["_other"]
    ours = list(org.users.values())
    theirs = [other.admin, other.sales]
    for label, policy in POLICIES.items():
        model = apps.get_model(label)
        by_company = {policy.company_path: other.company.pk}
        assert model._default_manager.filter(**by_company).exists(), f"no {label} row in the other company"
        for user in ours:
            for action in Action:
                assert not visible(user, model, action).filter(**by_company).exists(), (label, user, action)
        mine = {policy.company_path: org.company.pk}
        for user in theirs:
            for action in Action:
                assert not visible(user, model, action).filter(**mine).exists(), (label, user, action)


def test_an_inactive_or_companyless_user_sees_nothing(world, db):
    from core.models import User

    gone = User.objects.get(pk=world["admin"].pk)
    gone.is_active = False
    assert not visible(gone, Customer).exists()
    drifter = make_user(None, "drifter", [Role.ADMIN])
    assert not visible(drifter, Customer).exists()
    assert not visible(drifter, Notification).exists()


def test_several_roles_give_the_union_of_their_scopes(world, db):
    org = world["_org"]
    both = make_user(org.company, "sales_and_finance", [Role.SALESPERSON, Role.FINANCE], regions=[org.region_a])
    own = Customer.objects.create(company=org.company, region=org.region_b, owner=both, name="自有客户")
    assert set(visible(both, Customer).values_list("pk", flat=True)) == {
        own.pk,
        org.cust_a1.pk,
        org.cust_a2.pk,
        org.cust_pool.pk,
    }
    # reading a customer as finance does not give the salesperson's right to change it
    assert set(visible(both, Customer, Action.CHANGE).values_list("pk", flat=True)) == {own.pk}


def test_get_or_404_hides_invisible_rows_and_refuses_visible_ones(world, db):
    sales_a1 = world["sales_a1"]
    with pytest.raises(Http404):
        get_or_404(sales_a1, Customer, world["cust_b1"].pk, Action.VIEW)
    with pytest.raises(Http404):
        get_or_404(sales_a1, Customer, world["cust_b1"].pk, Action.CHANGE)
    with pytest.raises(PermissionDenied):
        get_or_404(sales_a1, Customer, world["cust_pool"].pk, Action.CHANGE)
    with pytest.raises(Http404):
        get_or_404(sales_a1, Customer, "not-a-number", Action.VIEW)
    assert get_or_404(sales_a1, Customer, world["cust_a1"].pk, Action.CHANGE) == world["cust_a1"]


# --- the same rules through the pages, the API and the admin site ------------------------------

INVISIBLE = [
    ("sales_a1", "cust_b1"),
    ("sales_a1", "cust_a2"),
    ("service", "cust_a1"),
    ("finance", "cust_b1"),
    ("admin", "other_customer"),
    ("other_sales", "cust_pool"),
]


@pytest.mark.parametrize(("viewer", "row"), INVISIBLE)
def test_an_invisible_customer_is_not_found_on_its_page(world, client_as, viewer, row):
    customer = world[row]
    response = client_as(world[viewer]).get(f"/customers/{customer.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert customer.name not in body and customer.phone not in body


@pytest.mark.parametrize(("viewer", "row"), INVISIBLE)
def test_an_invisible_customer_is_not_found_in_the_api(world, api_as, viewer, row):
    customer = world[row]
    api = api_as(world[viewer])
    for response in (
        api.get(f"/api/customers/{customer.pk}"),
        api.patch(f"/api/customers/{customer.pk}", {"name": "改名"}),
        api.delete(f"/api/customers/{customer.pk}"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert customer.name not in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).name == customer.name


@pytest.mark.parametrize(
    ("viewer", "row"), [("sales_a1", "cust_pool"), ("finance", "cust_a1"), ("sales_b1", "cust_pool")]
)
def test_a_visible_but_unchangeable_customer_refuses_the_edit_page_without_data(world, client_as, viewer, row):
    customer = world[row]
    client = client_as(world[viewer])
    assert client.get(f"/customers/{customer.pk}/").status_code == 200  # may see it...
    for response in (
        client.get(f"/customers/{customer.pk}/edit/"),
        client.post(
            f"/customers/{customer.pk}/edit/", {"name": "改名", "kind": "person", "region": customer.region_id}
        ),
    ):
        assert response.status_code == 403  # ...but not edit it
        body = response.content.decode()
        assert customer.name not in body and customer.phone not in body
    assert Customer.objects.get(pk=customer.pk).name == customer.name


@pytest.mark.parametrize(("viewer", "row"), [("sales_a1", "cust_pool"), ("finance", "cust_a1")])
def test_a_visible_but_unchangeable_customer_refuses_patch_with_no_data(world, api_as, viewer, row):
    customer = world[row]
    response = api_as(world[viewer]).patch(f"/api/customers/{customer.pk}", {"name": "改名"})
    assert response.status_code == 403
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == "forbidden"
    assert customer.name not in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_a_salesperson_may_not_delete_even_their_own_customer(world, api_as):
    customer = world["cust_a1"]
    response = api_as(world["sales_a1"]).delete(f"/api/customers/{customer.pk}")
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


LIST_EXPECTED = {
    "sales_a1": {"cust_a1", "cust_pool"},
    "sales_b1": {"cust_b1", "cust_pool"},
    "manager_a": {"cust_a1", "cust_a2", "cust_pool"},
    "manager_b": {"cust_b1"},
    "finance": {"cust_a1", "cust_a2", "cust_pool"},
    "service": set(),
    "admin": {"cust_a1", "cust_a2", "cust_b1", "cust_pool"},
    "other_sales": {"other_customer", "other_pool"},
}


@pytest.mark.parametrize(("viewer", "expected"), LIST_EXPECTED.items())
def test_api_list_returns_only_visible_customers(world, api_as, viewer, expected):
    data = api_as(world[viewer]).get("/api/customers?limit=200").json()
    assert {item["id"] for item in data["items"]} == {world[r].pk for r in expected}
    assert data["count"] == len(expected)


@pytest.mark.parametrize(("viewer", "expected"), LIST_EXPECTED.items())
def test_customer_list_page_shows_only_visible_customers(world, client_as, viewer, expected):
    response = client_as(world[viewer]).get("/customers/")
    assert response.status_code == 200
    body = response.content.decode()
    for row in ROWS["customers.Customer"]:
        assert (world[row].name in body) is (row in expected), row


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [("admin", {"cust_a1", "cust_a2", "cust_b1", "cust_pool"}), ("other_admin", {"other_customer", "other_pool"})],
)
def test_admin_site_customer_changelist_is_filtered_by_visibility(world, client_as, viewer, expected):
    response = client_as(world[viewer]).get("/admin/customers/customer/")
    assert response.status_code == 200
    shown = {c.pk for c in response.context["cl"].result_list}
    assert shown == {world[r].pk for r in expected}
    body = response.content.decode()
    for row in ROWS["customers.Customer"]:
        assert (world[row].name in body) is (row in expected), row


def test_admin_site_does_not_open_another_companys_customer(world, client_as):
    theirs = world["other_customer"]
    response = client_as(world["admin"]).get(f"/admin/customers/customer/{theirs.pk}/change/", follow=True)
    assert theirs.name not in response.content.decode()
    assert theirs.phone not in response.content.decode()


def test_admin_site_lists_audit_entries_read_only(world, client_as):
    client = client_as(world["admin"])
    assert client.get("/admin/core/auditentry/").status_code == 200
    entry = world["audit_ours"]
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
