"""API of the visit checkin (see core/api.py for the conventions)."""

from ninja import Router

router = Router(tags=["visits"])
