"""Character spans -> word tags -> sub-token labels, each step a pure function.

What a word is comes from the tokenizer itself (``word_ids()``), the same grouping that
``pipeline(aggregation_strategy="first")`` uses at inference, so training and inference agree on
``F-111s``, ``Kim Jong-nam`` and ``Iran's``.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from incident_roles.labels import LABEL2ID

IGNORE = -100


class AlignmentError(ValueError):
    """A span that cannot be expressed in word tags; ``span`` is the offending span."""

    def __init__(self, message: str, span: dict):
        super().__init__(message)
        self.span = span


def spans_to_word_tags(words: Sequence[tuple[int, int]], spans: Iterable[dict], scheme: str = "BIO",
                       strict: bool = True) -> list[str]:
    """A tag per word (``words``: character start/end of each word). ``scheme`` "BIO" tags the first
    word of a span B-, "IO" tags every word I-. With ``strict`` (gold spans), a span that covers only
    part of a word (``Iran`` inside ``Iranians``), covers no word, or overlaps another span raises
    AlignmentError; without it (predictions scored per word), a word touched by a span takes its tag
    and a span overlapping an earlier one is skipped."""
    tags = ["O"] * len(words)
    previous = None
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        a, b = span["start"], span["end"]
        overlap = previous is not None and a < previous["end"]
        cut = [(wa, wb) for wa, wb in words if wa < a < wb or wa < b < wb]
        inside = [i for i, (wa, wb) in enumerate(words) if (wa >= a and wb <= b) or (not strict and wa < b and a < wb)]
        if strict and overlap:
            raise AlignmentError(f"spans {previous['start']}-{previous['end']} and {a}-{b} overlap", span)
        if strict and cut:
            raise AlignmentError(f"span {a}-{b} covers only part of the word at {cut[0][0]}-{cut[0][1]}", span)
        if strict and not inside:
            raise AlignmentError(f"span {a}-{b} covers no word", span)
        if overlap:
            continue
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 and scheme == "BIO" else "I-") + span["label"]
        previous = span
    return tags


def word_tags_to_token_labels(word_ids: Sequence[int | None], word_tags: Sequence[str],
                              starts_word: Sequence[bool] | None = None, subtokens: str = "first",
                              label2id: dict[str, int] = LABEL2ID) -> list[int]:
    """Sub-token label ids from the tokenizer's ``word_ids()`` of one window.

    ``subtokens="first"``: the word's tag on its first sub-token, IGNORE on the rest. ``"all"``: every
    sub-token is labelled, continuations with the I- form of the word's tag (so ``simple`` aggregation
    cannot return fragments of a word). ``starts_word[t]`` says whether token t starts its word; a window
    that begins in the middle of a word has a continuation first, which is never given the word's tag.
    Special and padding tokens (word id None) get IGNORE."""
    labels, previous = [], None
    for t, w in enumerate(word_ids):
        first = w is not None and w != previous and (starts_word is None or starts_word[t])
        if w is None:
            labels.append(IGNORE)
        elif first:
            labels.append(label2id[word_tags[w]])
        elif subtokens == "all":
            tag = word_tags[w]
            labels.append(label2id["I-" + tag[2:]] if tag != "O" else label2id["O"])
        else:
            labels.append(IGNORE)
        if w is not None:
            previous = w
    return labels
