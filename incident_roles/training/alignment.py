"""Character spans -> word BIO tags -> sub-token labels, and token predictions -> character spans.

Each step is a pure function so it can be tested on its own.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from incident_roles.labels import LABEL2ID
from incident_roles.corpus.markup import ends_with_abbreviation

IGNORE = -100
# Whitespace- and punctuation-split words, as BERT-style pre-tokenizers split them.
_WORD_RE = re.compile(r"[^\W_]+|\S")


def words_of(text: str) -> list[tuple[int, int]]:
    """Character (start, end) of every word of ``text``: runs of letters/digits, or one other symbol."""
    return [m.span() for m in _WORD_RE.finditer(text)]


def spans_to_word_tags(words: Sequence[tuple[int, int]], spans: Iterable[dict]) -> list[str]:
    """BIO tag per word. A word belongs to a span when it lies inside it; the first such word is B-."""
    tags = ["O"] * len(words)
    for span in sorted(spans, key=lambda s: s["start"]):
        inside = [i for i, (a, b) in enumerate(words) if a >= span["start"] and b <= span["end"]]
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + span["label"]
    return tags


def word_index_of_tokens(offsets: Sequence[tuple[int, int]], words: Sequence[tuple[int, int]],
                         special: Sequence[bool] | None = None) -> list[int | None]:
    """For each token (by its character offsets), the index of the word it starts in; None for
    special and padding tokens. Independent of how a tokenizer splits words, so any encoder works."""
    starts = [a for a, _ in words]
    result: list[int | None] = []
    j = 0
    for t, (a, b) in enumerate(offsets):
        if (special is not None and special[t]) or a == b:
            result.append(None)
            continue
        # offsets are non-decreasing within a window, but windows restart: search from scratch if needed
        if j >= len(starts) or starts[j] > a:
            j = 0
        while j + 1 < len(starts) and starts[j + 1] <= a:
            j += 1
        result.append(j if words and words[j][0] <= a < words[j][1] else None)
    return result


def word_tags_to_token_labels(token_words: Sequence[int | None], word_tags: Sequence[str],
                              label2id: dict[str, int] = LABEL2ID) -> list[int]:
    """Label id on the first sub-token of each word; IGNORE (-100) on the rest and on special tokens."""
    labels, previous = [], None
    for w in token_words:
        labels.append(IGNORE if w is None or w == previous else label2id[word_tags[w]])
        if w is not None:
            previous = w
    return labels


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
