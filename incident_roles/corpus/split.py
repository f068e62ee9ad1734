"""Which split an incident belongs to.

Hand-written on purpose (not scikit-learn's splitters): the split is a stable hash of the incident's
name, so adding reports never moves another incident between train, dev and test, and every report of
one incident lands in the same split.
"""
from __future__ import annotations

import hashlib

# The seed incident of the project brief always trains the model; every other incident is split by hash.
PINNED_TRAIN = frozenset({"2024-iran-strikes-pakistan"})


def split_of(incident: str, dev: float = 0.15, test: float = 0.15, salt: str = "incident-roles") -> str:
    """Assign an incident to a split by a stable hash: adding reports never moves other incidents."""
    if incident in PINNED_TRAIN:
        return "train"
    h = int(hashlib.sha1(f"{salt}:{incident}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test else "dev" if h < test + dev else "train"
