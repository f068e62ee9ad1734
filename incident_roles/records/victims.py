"""Victim counts: normalise a number expression and read killed / injured / detained from its context.

Pure functions over the span text and the report text, so they are unit-tested without a model.

    normalise_count("at least 11")    -> {"value": None, "min": 11, "max": None, "precision": "at_least"}
    normalise_count("around a dozen") -> {"value": 12, "min": None, "max": None, "precision": "about"}
    victim_kind(text, start, end)     -> "killed" | "injured" | "detained" | "unknown"
"""
from __future__ import annotations

import re

from incident_roles.text import SCALES, UNITS

_COUNT_NOUNS = {"single": 1, "couple": 2, "pair": 2}  # take an article: "a couple", "a single"
_UNITS = {**UNITS, "a": 1, "an": 1, **_COUNT_NOUNS}
_SCALES = SCALES
# Plural vague quantities: the range an analyst would code ("dozens" means at least two dozen and
# fewer than a hundred).
_VAGUE_RANGES = {
    "dozens": (24, 99), "scores": (40, 99), "hundreds": (200, 999), "thousands": (2000, 999_999),
    "tens": (20, 99), "tens of thousands": (20_000, 99_999), "hundreds of thousands": (200_000, 999_999),
}
_PLURAL_UNKNOWN = {"several", "a few", "few", "many", "some", "numerous", "a number of", "multiple",
                   "a handful of", "a handful", "others", "more"}

_AT_LEAST = ("at least", "no fewer than", "no less than", "not less than", "a minimum of", "more than",
             "over", "upwards of", "in excess of", "at minimum")
_AT_MOST = ("up to", "at most", "fewer than", "less than", "under", "no more than", "as many as", "a maximum of")
_ABOUT = ("around", "about", "approximately", "roughly", "some", "nearly", "almost", "close to",
          "an estimated", "estimated", "perhaps", "maybe", "circa", "approx.", "~")
_EXCLUSIVE = ("more than", "over", "upwards of", "in excess of", "fewer than", "less than", "under")


_WORD_AFTER = re.compile(r"[ \t\u00a0]*(?:\d{1,3}(?:,\d{3})+|[^\W_]+(?:-[^\W_]+)*)")


def _clean(text: str) -> str:
    text = text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text.strip().strip(".,;:!?\"'\u201c\u201d"))


def parse_number(text: str) -> int | None:
    """An exact number in digits or words: "11", "1,200", "twenty-three", "a dozen", "two hundred",
    "half a dozen". None when the text is not one number."""
    t = _clean(text)
    if not t:
        return None
    if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", t):
        return int(t.replace(",", ""))
    m = re.fullmatch(r"(\d+(?:\.\d+)?) (dozen|hundred|thousand|million)", t)
    if m:
        return int(float(m.group(1)) * _SCALES[m.group(2)])
    if t == "half a dozen":
        return 6
    words = [w for w in re.split(r"[ -]+", t) if w and w != "and"]
    if not words:
        return None
    total, current, seen = 0, 0, False
    for i, w in enumerate(words):
        if w in _UNITS:
            if w in ("a", "an") and current:
                return None
            if i and words[i - 1] in ("a", "an"):
                # the article is one only before a scale ("a dozen"); "a couple" is 2, not 1 + 2
                if w not in _COUNT_NOUNS:
                    return None
                current -= 1
            current += _UNITS[w]
            seen = True
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0
            seen = True
        else:
            return None
    if not seen or words in (["a"], ["an"]):
        return None
    return total + current


def _result(value=None, lo=None, hi=None, precision="unknown") -> dict:
    return {"value": value, "min": lo, "max": hi, "precision": precision}


def normalise_count(text: str) -> dict:
    """A victim-count expression as {"value", "min", "max", "precision"}; precision is one of exact,
    at_least, at_most, about, range, unknown_plural, unknown.

    "two" -> value 2 (exact); "at least 11" -> min 11; "more than 200" -> min 201; "around a dozen"
    -> value 12 (about); "dozens" -> min 24, max 99 (range); "10 to 15" -> range; "several" ->
    min 2, value unknown (unknown_plural); "all 269" -> 269 exact."""
    t = _clean(text)
    if not t:
        return _result()
    t = re.sub(r"^(all|all of the|the)\s+", "", t)
    n = parse_number(t)
    if n is not None:
        return _result(n, n, n, "exact")
    m = re.fullmatch(r"(?:between )?(.+?)\s*(?:-| to | and | or )\s*(.+)", t)
    if m:
        lo, hi = parse_number(m.group(1)), parse_number(m.group(2))
        if lo is not None and hi is not None and lo <= hi:
            return _result(None, lo, hi, "range")
    for prefixes, kind in ((_AT_LEAST, "at_least"), (_AT_MOST, "at_most"), (_ABOUT, "about")):
        for p in sorted(prefixes, key=len, reverse=True):
            if t.startswith(p + " ") or (p == "~" and t.startswith(p)):
                rest = t[len(p):].strip()
                inner = normalise_count(rest)
                if inner["precision"] == "exact":
                    v = inner["value"]
                    if kind == "at_least":
                        return _result(None, v + 1 if p in _EXCLUSIVE else v, None, kind)
                    if kind == "at_most":
                        return _result(None, None, v - 1 if p in _EXCLUSIVE else v, kind)
                    return _result(v, None, None, kind)
                if inner["precision"] in ("range", "unknown_plural"):
                    return inner
    for phrase in sorted(_VAGUE_RANGES, key=len, reverse=True):
        if t == phrase or t == phrase + " of":
            lo, hi = _VAGUE_RANGES[phrase]
            return _result(None, lo, hi, "range")
    if t in _PLURAL_UNKNOWN or t.removesuffix(" other") in _PLURAL_UNKNOWN:
        return _result(None, 2, None, "unknown_plural")
    return _result()


def is_hedge(text: str) -> bool:
    """True for a bare approximator with no number ("around", "at least", "up to")."""
    t = _clean(text)
    return bool(t) and normalise_count(t)["precision"] == "unknown" and any(
        t == _clean(p) for p in (*_AT_LEAST, *_AT_MOST, *_ABOUT, "between"))


def count_end(text: str, start: int, end: int, max_words: int = 4) -> int | None:
    """Where the count that text[start:end] begins ends: the longest run of up to ``max_words`` words
    after ``end`` that makes it a count ("around" + "a dozen"); None when no words do."""
    best, pos = None, end
    for _ in range(max_words):
        m = _WORD_AFTER.match(text, pos)
        if not m:
            break
        pos = m.end()
        if normalise_count(text[start:pos])["precision"] != "unknown":
            best = pos
    return best


# Cue words for what happened to the people counted; the nearest cue within the clause wins.
_KIND_CUES = {
    "killed": r"killed|killing|kills|kill|dead|died|die|dies|deaths?|death toll|toll|slain|lives|"
              r"fatalities|fatally|perished|executed|massacred|murdered|lost their lives|bodies",
    "injured": r"injured|injuring|injuries|injures|wounded|wounding|wounds|hurt|casualties|maimed|"
               r"hospitali[sz]ed",
    "detained": r"detained|detaining|abducted|abducting|kidnapped|kidnapping|seized|captured|held|"
                r"hostages?|taken captive|arrested|imprisoned|crew",
}
_CUE_RE = re.compile(r"\b(?:" + "|".join(f"(?P<{k}>{v})" for k, v in _KIND_CUES.items()) + r")\b", re.I)
_CLAUSE_END = re.compile(r"[.;!?\n]")
_COORDINATION = re.compile(r"\band\b|\bbut\b|\bwhile\b|,")


def victim_kind(text: str, start: int, end: int, others: list[tuple[int, int]] = ()) -> str:
    """What happened to the people a count at text[start:end] counts: the cue word nearest to the
    span within its sentence, not crossing another count in ``others`` (so in "killed two children
    and injured three girls" each count takes its own verb). "unknown" when no cue is found."""
    left = max([m.end() for m in _CLAUSE_END.finditer(text, 0, start)] or [0])
    right_m = _CLAUSE_END.search(text, end)
    right = right_m.start() if right_m else len(text)
    for a, b in others:
        if b <= start:
            left = max(left, b)
        elif a >= end:
            right = min(right, a)
    best: tuple[int, str] | None = None
    for m in _CUE_RE.finditer(text, left, right):
        if start <= m.start() < end:
            continue
        dist = start - m.end() if m.end() <= start else m.start() - end
        # a cue after the span ("11 policemen were killed") reads slightly better than one before
        # at the same distance, as in "the strike that killed ... left three wounded"
        key = dist + (1 if m.end() <= start else 0)
        # a cue across a coordination belongs to the other conjunct: in "two died and several were hurt"
        # `died` is nearer to `several` than `hurt` is, but `and` separates them
        gap = text[m.end():start] if m.end() <= start else text[end:m.start()]
        if _COORDINATION.search(gap):
            key += 1000
        kind = next(k for k, v in m.groupdict().items() if v)
        if best is None or key < best[0]:
            best = (key, kind)
    return best[1] if best else "unknown"


__all__ = ["parse_number", "normalise_count", "victim_kind", "is_hedge", "count_end"]
