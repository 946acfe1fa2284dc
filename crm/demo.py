"""Fictional demo data for `make run`: each feature loads its own (``Feature.demo``), in the order of the
feature list, the first time only (while the base has no organisation)."""

from __future__ import annotations

from crm.extensions import installed
from crm.partners.demo import has_data


def load_demo_data() -> bool:
    """Returns False when the base already has organisations (the demo is loaded once)."""
    if has_data():
        return False
    for feature in installed():
        if feature.demo is not None:
            feature.demo()
    return True
