"""Signal receivers and periodic jobs of this part; imported when the receivables app is ready.

- ``receivables.dpd_snapshot`` (daily 00:30): the days-past-due snapshot and the first-late flag;
- ``receivables.prewarnings`` (daily 07:00): pre-warnings, "arrive early" and escalations;
- the visits daily report's collections figure (``visits.reports.register_collections``).
"""

import datetime as dt

from core.jobs import periodic
from visits.reports import register_collections

from .selectors import collections_of_day

periodic("receivables.dpd_snapshot", "receivables.ops.tasks.snapshot_task", daily_at=dt.time(0, 30))
periodic("receivables.prewarnings", "receivables.ops.tasks.prewarnings_task", daily_at=dt.time(7, 0))
register_collections(collections_of_day)
