"""Writes of the ops part: the import of running contracts (存量合同导入), the daily days-past-due
snapshot (逾期快照) with the first-late-payment flag (首次逾期), the pre-warnings and escalations
(到期预警·逾期升级) as to-dos. Keyword-only, atomic, permission-checked, audited."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit
from core.models import AuditEntry, Channel, Role, Todo, User, UserRole
from core.services import notify, todo_post
from pitch.templatetags.pitch_tags import yuan

from .. import services as ledger
from ..models import Instalment, ReceivableAccount
from ..selectors import with_ageing
from ..signals import risk_inputs_changed
from . import imports, rules
from .models import CollectionSettings, DpdSnapshot

OPENING_KEY = "import:"  # an opening payment's key: f"import:{contract number}:{instalment n}"


def settings_for(company_id: int) -> CollectionSettings:
    """The company's collection settings (the defaults are installed the first time)."""
    row = CollectionSettings.objects.filter(company_id=company_id).first()
    if row is None:
        row, _created = CollectionSettings.objects.get_or_create(company_id=company_id)
    return row


# --- import ------------------------------------------------------------------------------------------------


def contracts_import(*, actor: User, filename: str, data: bytes, dry_run: bool = False) -> imports.Analysis:
    """Check the whole file; when every row is valid (and not ``dry_run``) write, in one transaction,
    one account (source import) per contract with its instalments and, for what was already paid,
    one opening payment per instalment (key ``import:<contract>:<n>``, dated its due date or today).
    Any bad row: nothing is written, the analysis carries the report. PermissionError for a role
    other than finance or administrator; ValidationError({"file": …}) for an unreadable file."""
    if not imports.may_import(actor):
        raise PermissionError(_("Only finance and administrators import receivables."))
    analysis = imports.analyse(actor=actor, filename=filename, data=data)
    if analysis.ok and not dry_run and analysis.contracts:
        with audit.acting(actor, Channel.IMPORT):
            _write(actor, analysis)
    return analysis


@transaction.atomic
def _write(actor: User, analysis: imports.Analysis) -> None:
    today = timezone.localdate()
    now = timezone.now()
    for c in analysis.contracts:
        if ReceivableAccount.objects.filter(company_id=actor.company_id, contract_number=c.number).exists():
            raise ValidationError({"file": _("Contract %(number)s is already in receivables.") % {"number": c.number}})
        account = ReceivableAccount.objects.create(
            company_id=actor.company_id,
            customer=c.customer,
            contract_number=c.number,
            product=c.product,
            salesperson=c.salesperson,
            region_id=c.customer.region_id,
            policy_name=c.policy,
            principal_fen=c.principal_fen,
            start_on=c.start_on,
            source=ReceivableAccount.Source.IMPORT,
            lock_allowed=c.lock_allowed,
            pay_day=c.pay_day,
            created_at=now,
        )
        rows = Instalment.objects.bulk_create(
            [
                Instalment(
                    company_id=actor.company_id,
                    account=account,
                    n=i["n"],
                    due_on=i["due_on"],
                    principal_fen=i["principal_fen"],
                    interest_fen=i["interest_fen"],
                    fee_fen=i["fee_fen"],
                    amount_fen=i["amount_fen"],
                )
                for i in sorted(c.instalments, key=lambda i: i["n"])
            ]
        )
        audit.log_bulk(Instalment, rows, AuditEntry.Action.CREATE)
        for i in sorted(c.instalments, key=lambda i: (i["due_on"], i["n"])):
            if i["paid_fen"]:
                ledger.payment_record(
                    actor=actor,
                    account=account,
                    amount_fen=i["paid_fen"],
                    received_on=min(i["due_on"], today),
                    method="transfer",
                    idempotency_key=f"{OPENING_KEY}{c.number}:{i['n']}",
                )


# --- the daily snapshot -----------------------------------------------------------------------------------


def _account_url(account_id: int) -> str:
    return reverse("receivables:detail", args=[account_id])


@transaction.atomic
def snapshot_take(company, day: dt.date, *, alert: bool = True) -> dict[str, int]:
    """Each account with something outstanding on ``day``: its days past due, overdue and
    outstanding amounts (computed in SQL by ``with_ageing``) as a DpdSnapshot, created or brought up
    to date (idempotent per day). An account late for the first time gets ``first_late_on`` (the
    day after its oldest unpaid due date); with ``alert`` its salesperson gets a to-do and the
    region's managers a notification ("never allow the first late payment")."""
    rows = list(
        with_ageing(
            ReceivableAccount.objects.filter(company=company, start_on__lte=day)
            .exclude(status=ReceivableAccount.Status.WRITTEN_OFF)
            .order_by(),
            day,
        )
        .filter(outstanding__gt=0)
        .values_list("pk", "days_past_due", "overdue", "outstanding", "oldest_due", "first_late_on")
    )
    existing = {s.account_id: s for s in DpdSnapshot.objects.filter(company=company, on=day)}
    new, changed = [], []
    for pk, dpd, overdue, outstanding, _oldest, _first in rows:
        dpd = max(dpd or 0, 0)
        snap = existing.get(pk)
        if snap is None:
            new.append(DpdSnapshot(company=company, account_id=pk, on=day, days_past_due=dpd,
                                   overdue_fen=overdue, outstanding_fen=outstanding))  # fmt: skip
        elif (snap.days_past_due, snap.overdue_fen, snap.outstanding_fen) != (dpd, overdue, outstanding):
            snap.days_past_due, snap.overdue_fen, snap.outstanding_fen = dpd, overdue, outstanding
            changed.append(snap)
    if new:
        DpdSnapshot.objects.bulk_create(new, batch_size=1000)
        audit.log_bulk(DpdSnapshot, new, AuditEntry.Action.CREATE)
    if changed:
        DpdSnapshot.objects.bulk_update(changed, ["days_past_due", "overdue_fen", "outstanding_fen"], batch_size=1000)
        audit.log_bulk(DpdSnapshot, changed, AuditEntry.Action.UPDATE)
    first_late = [(pk, oldest) for pk, dpd, _o, _out, oldest, first in rows if dpd and dpd > 0 and first is None]
    for pk, oldest in first_late:
        account = ReceivableAccount.objects.select_related("customer", "salesperson").get(pk=pk)
        account.first_late_on = oldest + dt.timedelta(days=1)
        account.save(update_fields=["first_late_on"])
        risk_inputs_changed.send(sender=ReceivableAccount, account=account)  # first late payment: rescored
        if alert:
            _first_late_alert(account, day)
    return {"snapshots": len(new), "updated": len(changed), "first_late": len(first_late)}


def _first_late_alert(account: ReceivableAccount, day: dt.date) -> None:
    url = _account_url(account.pk)
    params = {"customer": account.customer.name, "contract": account.contract_number}
    title = _("First late payment (首次逾期): %(customer)s, contract %(contract)s") % params
    note = _(
        "Never allow the first late payment: go to the customer today, find out why and fix an exact date "
        "and time for the payment."
    )
    from ..risk.services import approvers_for  # the region's managers, else the administrators

    managers = approvers_for(account)
    for user in [account.salesperson] if account.salesperson else managers[:1]:
        todo_post(user=user, title=title, due=day, kind="receivable_first_late", url=url, note=note,
                  key=f"rc-first-late:{account.pk}", about=account)  # fmt: skip
    for user in managers:
        notify(user=user, title=title, body=note, url=url)


# --- pre-warnings and escalations ---------------------------------------------------------------------------


def customer_message(*, account: ReceivableAccount, instalment: Instalment, company_name: str) -> str:
    """The ready-to-send reminder to the customer, in the company's language (Chinese): polite and firm."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Hello %(customer)s, this is %(salesperson)s of %(company)s. A reminder: instalment %(n)s of your "
            "contract %(contract)s, %(amount)s, falls due on %(due)s. As agreed in the contract, please have the "
            "money ready and pay on time; I will come by on the due date. Thank you for your support!"
        ) % {
            "customer": account.customer.name,
            "salesperson": account.salesperson.display_name if account.salesperson else company_name,
            "company": company_name,
            "n": instalment.n,
            "contract": account.contract_number,
            "amount": yuan(instalment.amount_fen - instalment.paid_fen),
            "due": f"{instalment.due_on:%Y-%m-%d}",
        }


def good_times_note(account: ReceivableAccount, cfg: CollectionSettings, now: dt.datetime | None = None) -> str:
    """The next good times to go (rules.next_good_times) and who may be contacted, as to-do lines."""
    from .selectors import REASONS, contacts_allowed

    moment = timezone.localtime(now or timezone.now())
    lines = [_("Next good times to go:")]
    for g in rules.next_good_times(moment, pay_day=account.pay_day, contact_hours=cfg.contact_hours):
        why = "、".join(str(REASONS[r]) for r in g.reasons)
        lines.append(f"· {g.at:%Y-%m-%d %H:%M} ({why})")
    people = contacts_allowed(account)
    lines.append(
        _("Contact only the customer and the guarantors, never other third parties: %(people)s")
        % {"people": "; ".join(people) or "—"}
    )
    return "\n".join(lines)


def _staff(company_id: int) -> dict:
    """The company's active managers and finance by region, and its administrators (3 queries)."""
    users = {u.pk: u for u in User.objects.filter(company_id=company_id, is_active=True)}
    by_role: dict[str, set[int]] = {}
    for uid, role in UserRole.objects.filter(user_id__in=users).values_list("user_id", "role"):
        by_role.setdefault(role, set()).add(uid)
    regions: dict[int, set[int]] = {}
    for uid, rid in User.regions.through.objects.filter(user_id__in=users).values_list("user_id", "region_id"):
        regions.setdefault(rid, set()).add(uid)

    def of(role: str, region_id: int | None = None) -> list[User]:
        ids = by_role.get(role, set())
        if region_id is not None:
            ids = ids & regions.get(region_id, set())
        return [users[i] for i in sorted(ids)]

    return {"of": of}


@transaction.atomic
def prewarnings_post(company, today: dt.date | None = None, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The day's collection to-dos (idempotent: to-do keys, a re-run posts nothing new):

    - each unpaid instalment due within ``prewarning_days`` (7): the salesperson gets the message to
      send the customer, the next good times to go and whom to contact (``rc-pre:<instalment>``);
    - on the due date: "arrive early (上午到)" (``rc-due:<instalment>``);
    - an account late (its oldest unpaid instalment) by the escalation thresholds: day 1 the
      salesperson fixes a new exact date and time at once; day 7 + the region's managers; day 30 +
      finance of the region; day 60 + the administrators (``rc-late:<account>:<oldest due>:<days>``).
    """
    today = today or timezone.localdate()
    cfg = settings_for(company.pk)
    thresholds = cfg.thresholds
    staff = _staff(company.pk)["of"]
    counts = {"prewarning": 0, "due": 0, "late": 0}
    company_name = company.short_name or company.name
    upcoming = (
        Instalment.objects.filter(
            company=company,
            account__status=ReceivableAccount.Status.OPEN,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=cfg.prewarning_days),
        )
        .filter(paid_fen__lt=F("amount_fen"))
        .select_related("account__customer", "account__salesperson")
        .order_by("due_on", "pk")
    )
    for inst in upcoming:
        account = inst.account
        stage = rules.prewarning_stage(inst.due_on, today, prewarning_days=cfg.prewarning_days, thresholds=thresholds)
        if stage is None:
            continue
        params = {
            "customer": account.customer.name,
            "contract": account.contract_number,
            "amount": yuan(inst.amount_fen - inst.paid_fen),
            "due": f"{inst.due_on:%Y-%m-%d}",
            "n": inst.n,
        }
        people = [account.salesperson] if account.salesperson else staff(Role.MANAGER, account.region_id)
        if stage[0] == rules.PRE:
            title = _("Pre-warning (到期预警): %(customer)s pays %(amount)s on %(due)s, contract %(contract)s") % params
            message = customer_message(account=account, instalment=inst, company_name=company_name)
            note = (
                _("Send the customer this message today (copy it):")
                + "\n"
                + message
                + "\n\n"
                + good_times_note(account, cfg, now)
            )
            key, kind, counts_key = f"rc-pre:{inst.pk}", "receivable_prewarning", "prewarning"
        else:
            title = _("Due today: arrive early (上午到) at %(customer)s for %(amount)s, contract %(contract)s") % params
            note = _(
                "Go in the morning, before the customer is out on site: a collector who comes late is told "
                "that the money was waiting and nobody came."
            )
            key, kind, counts_key = f"rc-due:{inst.pk}", "receivable_due", "due"
        for user in people:
            if not _exists(user, key):
                counts[counts_key] += 1
            todo_post(user=user, title=title, due=today if stage[0] == rules.PRE else inst.due_on, kind=kind,
                      url=_account_url(account.pk), note=note, key=key, about=account)  # fmt: skip
    late = (
        with_ageing(ReceivableAccount.objects.filter(company=company, status=ReceivableAccount.Status.OPEN), today)
        .filter(days_past_due__gte=thresholds[0])
        .select_related("customer", "salesperson")
        .order_by("pk")
    )
    for account in late:
        level = rules.escalation_level(account.days_past_due, thresholds)
        threshold = thresholds[level - 1]
        params = {
            "customer": account.customer.name,
            "contract": account.contract_number,
            "days": account.days_past_due,
            "amount": yuan(account.overdue),
        }
        people: list[User] = [account.salesperson] if account.salesperson else []
        if level >= 2 or not people:
            people += staff(Role.MANAGER, account.region_id)
        if level >= 3:
            people += staff(Role.FINANCE, account.region_id)
        if level >= 4 or not people:
            people += staff(Role.ADMIN)
        if level == 1:
            title = (
                _("%(customer)s has not paid: fix a new exact date and time at once, contract %(contract)s") % params
            )
        else:
            title = _("%(customer)s is %(days)s days late, %(amount)s overdue, contract %(contract)s") % params
        note = (
            _(
                "Find out the cause before acting, fix an exact date, time and amount with the customer and record "
                "it as a promise to pay; escalate step by step."
            )
            + "\n\n"
            + good_times_note(account, cfg, now)
        )
        key = f"rc-late:{account.pk}:{account.oldest_due:%Y%m%d}:{threshold}"
        seen: set[int] = set()
        for user in people:
            if user.pk in seen:
                continue
            seen.add(user.pk)
            if not _exists(user, key):
                counts["late"] += 1
            todo_post(user=user, title=title, due=today, kind="receivable_late", url=_account_url(account.pk),
                      note=note, key=key, about=account)  # fmt: skip
    return counts


def _exists(user: User, key: str) -> bool:
    return Todo.objects.filter(user=user, key=key).exists()
