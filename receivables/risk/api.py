"""API of this part (django-ninja), mounted beside receivables.api."""

from ninja import Router

router = Router(tags=["receivables"])
