"""API of the visit notes (see core/api.py for the conventions)."""

from ninja import Router

router = Router(tags=["visits"])
