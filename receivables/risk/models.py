"""Models of this part of receivables; imported by receivables/models.py (``__all__`` lists them)."""

__all__: list[str] = []
