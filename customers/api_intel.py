"""API endpoints of the intel part of customer cognition (mounted in digdeal/api.py)."""

from ninja import Router

router = Router(tags=["customers"])
