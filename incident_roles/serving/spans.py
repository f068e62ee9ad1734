"""pipeline() entities -> character spans: the inverse of the training alignment."""
from __future__ import annotations

from typing import Iterable

from incident_roles.text import ends_with_abbreviation


def entities_to_spans(entities: Iterable[dict], text: str) -> list[dict]:
    """pipeline() output (any aggregation strategy but none) -> non-overlapping character spans.

    Strips whitespace and edge punctuation the guideline forbids at span edges, and drops empties.
    """
    spans = []
    for e in sorted(entities, key=lambda e: (e["start"], -e["end"])):
        label = e.get("entity_group") or e.get("entity", "").split("-", 1)[-1]
        a, b = int(e["start"]), int(e["end"])
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not (text[b - 1].isalnum() or ends_with_abbreviation(text[a:b])):
            b -= 1
        if a >= b:
            continue
        if spans and a < spans[-1]["end"]:
            continue
        spans.append({"start": a, "end": b, "label": label, "score": float(e.get("score", 0.0))})
    return spans


def merge_adjacent(spans: list[dict], text: str) -> list[dict]:
    """Join same-label spans separated only by a hyphen or nothing (sub-word splits of one word)."""
    out: list[dict] = []
    for s in spans:
        if out and out[-1]["label"] == s["label"] and text[out[-1]["end"]:s["start"]] in ("", "-", "'"):
            out[-1] = {**out[-1], "end": s["end"], "score": min(out[-1]["score"], s["score"])}
        else:
            out.append(dict(s))
    return out
