"""Background tasks of visits, and their schedule (imported at start-up by apps.py)."""

from __future__ import annotations
