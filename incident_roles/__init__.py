"""incident-roles: tag attackers, targets, victim counts and diplomatic responses in news reports."""
from incident_roles.labels import BIO_TAGS, ID2LABEL, LABEL2ID, LABELS

__version__ = "0.1.0"
__all__ = ["LABELS", "BIO_TAGS", "ID2LABEL", "LABEL2ID", "__version__", "extract"]


def extract(text, model="models/minilm", **kwargs):
    """One incident record for ``text`` (see incident_roles.records.builder)."""
    from incident_roles.records.builder import extract as _extract
    return _extract(text, model=model, **kwargs)
