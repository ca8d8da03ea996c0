"""The salesperson's visits on the Today page: planned, made, and due by cadence (3 queries)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from core.models import Role
from core.today import today_panel

from .models import Visit, VisitSettings
from .plan import due_customers


@today_panel
def visits_today(user, day: dt.date) -> dict | None:
    if Role.SALESPERSON not in user.role_set:
        return None
    counts = (
        Visit.objects.filter(salesperson=user, planned_on=day)
        .exclude(status=Visit.Status.CANCELLED)
        .aggregate(planned=Count("pk"), done=Count("pk", filter=Q(status=Visit.Status.DONE)))
    )
    # read, never install, the settings here: a GET of the Today page writes nothing
    st = VisitSettings.objects.filter(company_id=user.company_id).first() or VisitSettings(company_id=user.company_id)
    due = due_customers(user, user, day, st).count()
    return {"template": "visits/_today_panel.html", "planned": counts["planned"], "done": counts["done"], "due": due}
