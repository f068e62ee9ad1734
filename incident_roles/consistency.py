"""Annotation consistency checks over the whole corpus (warnings, not errors).

1. the same string labelled differently (ATTACKER against TARGET only within one sentence, since a
   state can attack in one incident and be hit in another);
2. a DIPLOMATIC_RESPONSE phrase labelled in one report and left unlabelled in another incident report;
3. rule-3 starts (determiner or hedge) and rule-4 edges, re-checked on the built spans;
4. VICTIM_COUNT spans that are not number expressions.
"""
from __future__ import annotations

import re
from collections import defaultdict

from .markup import span_problems

NUMBER_WORDS = set(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    hundreds thousand thousands million millions dozen dozens score scores several few couple
    half""".split()
)
APPROXIMATORS = set(
    """at least most more than less fewer no some about around approximately roughly nearly almost
    over up to as many an estimated estimated all of some a another other further between and or
    to the toll close just under upwards""".split()
)
_WORD = re.compile(r"[\w'-]+|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?]\s|\n")


def is_number_expression(s: str) -> bool:
    words = [w.lower() for w in _WORD.findall(s)]
    has_number = any(w.replace(",", "").isdigit() or w in NUMBER_WORDS
                     or all(p in NUMBER_WORDS for p in w.split("-")) for w in words)
    allowed = all(w.replace(",", "").replace(".", "").isdigit() or w in NUMBER_WORDS or w in APPROXIMATORS
                  or all(p in NUMBER_WORDS for p in w.split("-")) or w in {",", "-", "–"} for w in words)
    return has_number and allowed


def _sentence_id(text: str, index: int) -> int:
    return len(_SENTENCE_END.findall(text, 0, index))


def check_corpus(reports) -> list[str]:
    warnings: list[str] = []
    # 1. same string, different labels
    by_string: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in reports:
        sentence_labels: dict[tuple[int, str], set] = defaultdict(set)
        for s in r.spans:
            key = r.text[s.start:s.end].lower()
            by_string[key][s.label].append(r.id)
            sentence_labels[(_sentence_id(r.text, s.start), key)].add(s.label)
        for (sent, key), labels in sentence_labels.items():
            if {"ATTACKER", "TARGET"} <= labels:
                warnings.append(f"{r.source}: '{key}' is both ATTACKER and TARGET in one sentence")
    for key, labels in sorted(by_string.items()):
        other = set(labels) - {"ATTACKER", "TARGET"}
        if len(labels) > 1 and other:
            where = "; ".join(f"{lab} in {', '.join(sorted(set(ids))[:3])}" for lab, ids in sorted(labels.items()))
            warnings.append(f"'{key}' has different labels: {where}")
    # 2. response phrases labelled in one report, unlabelled in another incident report
    phrases = {key: ids["DIPLOMATIC_RESPONSE"] for key, ids in by_string.items()
               if "DIPLOMATIC_RESPONSE" in ids and len(key.split()) >= 2}
    for r in reports:
        if r.incident.startswith("neg-"):
            continue  # near-misses use the same words without an incident (GUIDELINE: near-misses)
        lower = r.text.lower()
        covered = [(s.start, s.end) for s in r.spans]
        for key, ids in phrases.items():
            for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", lower):
                if not any(a <= m.start() and m.end() <= b for a, b in covered):
                    warnings.append(f"{r.source}: '{key}' is unlabelled here but DIPLOMATIC_RESPONSE in "
                                    f"{', '.join(sorted(set(ids))[:3])}")
    # 3 and 4. boundaries and counts
    for r in reports:
        for s in r.spans:
            for p in span_problems(r.text, s):
                warnings.append(f"{r.source}: {p}")
            if s.label == "VICTIM_COUNT" and not is_number_expression(r.text[s.start:s.end]):
                warnings.append(f"{r.source}: VICTIM_COUNT '{r.text[s.start:s.end]}' is not a number expression")
        if r.incident.startswith("neg-") and r.spans:
            warnings.append(f"{r.source}: a negative report carries {len(r.spans)} span(s)")
    return warnings
