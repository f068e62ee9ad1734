"""The four roles of the annotation guideline and their BIO tags, in the guideline's order."""

LABELS = ("ATTACKER", "TARGET", "VICTIM_COUNT", "DIPLOMATIC_RESPONSE")

# O first, then B-/I- per label in guideline order: ids are stable across runs and models.
BIO_TAGS = ("O",) + tuple(f"{p}-{label}" for label in LABELS for p in ("B", "I"))
ID2LABEL = dict(enumerate(BIO_TAGS))
LABEL2ID = {tag: i for i, tag in ID2LABEL.items()}


def tags_of(scheme: str = "BIO") -> tuple[str, ...]:
    """The tag set of a tagging scheme: "BIO" (9 tags) or "IO" (5 tags: O and I- per label, so the
    pipeline's aggregation can never cut one span into B- fragments)."""
    if scheme == "BIO":
        return BIO_TAGS
    if scheme == "IO":
        return ("O",) + tuple(f"I-{label}" for label in LABELS)
    raise ValueError(f"unknown tagging scheme {scheme!r} (BIO or IO)")

# Words a span may not start with (guideline rule 3).
DETERMINERS = frozenset(
    "the a an its their this these those that his her our my your".split()
)
HEDGES = frozenset("alleged allegedly suspected so-called purported reported presumed".split())
