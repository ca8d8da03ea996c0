"""The salesperson's customers offered a time-limited policy that ends soon, on the Today page (催单:
a reason to ask for the order now). Two queries: the dealer's settings, then one query over the
quotes' offered policies."""

from __future__ import annotations

import datetime as dt

from core.models import Role
from core.today import today_panel

from .models import QuoteVersion
from .negotiation import settings_of

MAX_ROWS = 10


@today_panel
def expiring_offers(user, day: dt.date) -> dict | None:
    if Role.SALESPERSON not in user.role_set or not user.company_id:
        return None
    warn = settings_of(user.company_id).expiry_warning_days
    rows = (
        QuoteVersion.policies.through.objects.filter(
            quoteversion__quote__company_id=user.company_id,
            quoteversion__quote__customer__owner=user,
            policy__active=True,
            policy__valid_to__gte=day,
            policy__valid_to__lte=day + dt.timedelta(days=warn),
        )
        .values(
            "quoteversion__quote__customer_id",
            "quoteversion__quote__customer__name",
            "policy_id",
            "policy__name",
            "policy__valid_to",
        )
        .distinct()
        .order_by("policy__valid_to", "quoteversion__quote__customer__name", "policy_id")[: MAX_ROWS * 3]
    )
    customers: dict[int, dict] = {}
    for r in rows:
        c = customers.setdefault(
            r["quoteversion__quote__customer_id"],
            {
                "id": r["quoteversion__quote__customer_id"],
                "name": r["quoteversion__quote__customer__name"],
                "offers": [],
            },
        )
        until = r["policy__valid_to"]
        c["offers"].append({"name": r["policy__name"], "until": until, "days": (until - day).days})
    if not customers:
        return None
    return {"template": "policies/negotiation/_today_panel.html", "customers": list(customers.values())[:MAX_ROWS]}
