"""Demo data of order to delivery: deals at every stage with their documents (demo_deals), then the
dossiers of the instalment orders (demo_dossier) and the delivery side (demo_delivery), each part
completing what the deals left at its stage."""

from __future__ import annotations

import random


def seed_orders(company, *, rng: random.Random) -> None:
    from .demo_deals import seed_deals

    seed_deals(company, rng=rng)
    for module, name in (
        ("demo_documents", "seed_documents"),
        ("demo_dossier", "seed_dossier"),
        ("demo_delivery", "seed_delivery"),
    ):
        try:
            mod = __import__(f"orders.{module}", fromlist=[name])
        except ImportError:
            continue
        if hasattr(mod, name):
            getattr(mod, name)(company, rng=rng)
