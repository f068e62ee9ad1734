"""Simple systems the transformer must beat, scored the same way (character spans from raw text).

- ``rules``: keyword and pattern rules written from the guideline, no training.
- ``linear``: a scikit-learn linear classifier over per-word features, with BIO repair.
"""
from incident_roles.evaluation.baselines.linear import LinearTagger
from incident_roles.evaluation.baselines.rules import RuleTagger

__all__ = ["LinearTagger", "RuleTagger"]
