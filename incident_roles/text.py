"""Text helpers shared by every stage: words, abbreviations, sentences, number words, span overlap.

One home each, so that the corpus checker, the training windows, the error analysis and the record
builder agree on what a word, a sentence and a number word are.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# Runs of letters/digits, or one other symbol: how BERT-style pre-tokenizers split words.
_WORD_RE = re.compile(r"[^\W_]+|\S")

# Words whose period does not end a sentence and may end a span (rule 4): titles, months, "No.", "vs.".
ABBREVIATIONS = frozenset(
    "jr sr co corp inc ltd st no gen col lt capt sgt maj adm cdr mr mrs ms dr gov sen rep vs "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split())

# Number words with their values; plural scales ("dozens") are vague and handled by records.victims.
UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES = {"dozen": 12, "score": 20, "hundred": 100, "thousand": 1000, "million": 1_000_000}
VAGUE_NUMBERS = ("dozens", "scores", "hundreds", "thousands", "millions", "tens", "several", "few", "couple")
NUMBER_WORDS = frozenset(UNITS) | frozenset(SCALES) | frozenset(VAGUE_NUMBERS) | {"half"}

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]”’]*\s+(?=[\"'(\[“‘]?[A-Z0-9])|\n+")


def words_of(text: str) -> list[tuple[int, int]]:
    """Character (start, end) of every word of ``text``: runs of letters/digits, or one other symbol."""
    return [m.span() for m in _WORD_RE.finditer(text)]


def ends_with_abbreviation(s: str) -> bool:
    """True for a final period that belongs to an abbreviation (U.S., U.N., Jr., Jan.)."""
    if not s.endswith("."):
        return False
    if re.search(r"(?:^|[^\w])(?:[A-Za-z]\.){2,}$", s):
        return True
    return re.split(r"[^\w.]", s)[-1].rstrip(".").lower() in ABBREVIATIONS


@lru_cache(maxsize=64)  # the record builder, checker and PLOVER export ask again for each span of one text
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence: a period, ! or ? before a capital or digit, or a line break;
    not after an abbreviation ("Jan. 29", "U.S. officials")."""
    out, a = [], 0
    for m in _SENTENCE_END.finditer(text):
        if "\n" not in m.group() and ends_with_abbreviation(text[max(0, m.start() - 12):m.start()].rstrip("\"')]”’")):
            continue
        out.append((a, m.start()))
        a = m.end()
    out.append((a, len(text)))
    return tuple(out)


def sentence_index(text: str, index: int) -> int:
    """Number of the sentence holding character ``index``."""
    bounds = sentences(text)
    return next((i for i, (_, b) in enumerate(bounds) if index <= b), len(bounds) - 1)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end of the sentence (or sentences) holding characters start..end."""
    spans = sentences(text)
    a = max([s for s, e in spans if s <= start] or [0])
    b = min([e for s, e in spans if e >= end] or [len(text)])
    return a, b


def spans_overlap(a: dict, b: dict) -> bool:
    """True when two character spans (dicts with start and end, end exclusive) share a character."""
    return a["start"] < b["end"] and b["start"] < a["end"]


def fill_section(path: str | Path, start: str, end: str, body: str) -> None:
    """Replace what lies between the marker lines ``start`` and ``end`` of a Markdown file with ``body``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{path}: no '{start}' ... '{end}' section to fill in")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{body}{end}{tail}", encoding="utf-8")
