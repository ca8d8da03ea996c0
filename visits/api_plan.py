"""API of the visit plan (see core/api.py for the conventions)."""

from ninja import Router

router = Router(tags=["visits"])
