"""The parts of collection (回款), each a package of receivables with the same layout:
``models.py``, ``rules.py`` (plain Python), ``services.py``, ``selectors.py``, ``views.py``, ``urls.py``
(included under /receivables/), ``api.py`` (``router``), ``navigation.py`` (``NAV``), ``receivers.py``
(signal receivers and periodic jobs, imported when the app is ready), ``panels.py``
(``account_panel(request, account) -> dict``: the context of the part's section on the account page,
``templates/receivables/<part>/_account.html``) and ``demo.py`` (``seed(company, *, rng, today)``).

- ``ops``: import of running contracts from Excel, the daily days-past-due snapshot, pre-warnings,
  the timing of a visit (next good time to go).
- ``collection``: the collection plan table (six questions, 5W2H, expected vs collected), collection
  actions with techniques and tactics, promises to pay, the technique-effectiveness report, the
  collector's worklist.
- ``risk``: risk signals and score, watch list, arrears types, escalation ladder with approvals and
  machine lock, the three traps.
- ``kpis``: credit checks, collection rate, the four attitudes, the bench of receivables.
"""

PARTS = ("ops", "collection", "risk", "kpis")
