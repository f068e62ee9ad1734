"""Annotation consistency checks over the whole corpus (warnings, not errors).

1. the same string labelled differently (ATTACKER against TARGET only within one sentence, since a
   state can attack in one incident and be hit in another);
2. a DIPLOMATIC_RESPONSE phrase labelled in one report and left unlabelled in another incident report;
3. rule-3 starts (determiner or hedge) and rule-4 edges, re-checked on the built spans;
4. VICTIM_COUNT spans that are not number expressions, and casualty numbers left unlabelled;
5. boundary habits the guideline settles: a locative inside a TARGET (rule 7), a weapon or platform
   noun inside an ATTACKER (worked example), a control verb or purpose clause inside a response.
"""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from incident_roles.corpus.markup import span_problems
from incident_roles.text import NUMBER_WORDS, sentence_index

APPROXIMATORS = set(
    """at least most more than less fewer no some about around approximately roughly nearly almost
    over up to as many an estimated estimated of some a another other further between and or
    to the toll close just under upwards""".split()
)
_NUM = (r"(?:\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|"
        r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds|dozens|scores|several)")
_CASUALTY = re.compile(
    r"\b(?:killed|killing|wounded|wounding|injured|injuring|abducted|kidnapped)\s+"
    r"(?:at least |more than |nearly |about |around |some |up to |over |almost )?(" + _NUM + r")\b"
    r"(?!\s*(?:percent|per cent|km|kilometres|miles|years|days|hours|minutes|%))", re.I)
_LOCATIVE_IN_TARGET = re.compile(r"\s(?:in|near|outside|inside|at|off|along)\s+(?:the\s+)?[A-Z]")
# "fighters" is left out: it names people as often as aircraft.
_PLATFORMS = ("warplanes", "warplane", "jets", "jet", "fighter jets", "drones", "drone", "missiles",
              "missile", "rockets", "rocket", "gunboats", "gunboat", "warship", "warships", "tanks", "aircraft",
              "helicopters", "artillery", "bombers", "submarine", "torpedo boats", "mig-21s", "migs")
# Control verbs (with or without an auxiliary) stay outside a measure; a bare verb group with the envoy
# or the measure as subject (`[will be suspended]`, `[was expelled]`) is the span (GUIDELINE: passive measures).
_RESPONSE_CONTROL = re.compile(r"^(?:(?:has|had|have|would|will|was|were|is)\s+(?:\w+\s+)?)?"
                               r"(?:(?:decided|agreed|moved|voted|chose|resolved|decides|agrees) to|announced|announces|said|says)\b"
                               r"|^to\s")
_RESPONSE_CLAUSES = (" to protest", " in protest", " in response", " in retaliation", " because of",
                     " over the attack", " after the")
_WORD = re.compile(r"[\w'-]+|[^\w\s]")


def is_number_expression(s: str) -> bool:
    words = [w.lower() for w in _WORD.findall(s)]
    has_number = any(w.replace(",", "").isdigit() or w in NUMBER_WORDS
                     or all(p in NUMBER_WORDS for p in w.split("-")) for w in words)
    allowed = all(w.replace(",", "").replace(".", "").isdigit() or w in NUMBER_WORDS or w in APPROXIMATORS
                  or all(p in NUMBER_WORDS for p in w.split("-")) or w in {",", "-", "–"} for w in words)
    return has_number and allowed




def check_corpus(reports) -> list[str]:
    warnings: list[str] = []
    # 1. same string, different labels
    by_string: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in reports:
        sentence_labels: dict[tuple[int, str], set] = defaultdict(set)
        for s in r.spans:
            key = r.text[s.start:s.end].lower()
            by_string[key][s.label].append(r.id)
            sentence_labels[(sentence_index(r.text, s.start), key)].add(s.label)
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
        if r.incident.startswith("neg-"):
            # a measure over an incident with no hostile act is still annotated (contract, settled cases)
            roles = [s for s in r.spans if s.label != "DIPLOMATIC_RESPONSE"]
            if roles:
                warnings.append(f"{r.source}: a negative report carries {len(roles)} attack span(s)")
            continue
        for s in r.spans:
            surface = r.text[s.start:s.end]
            low = surface.lower()
            if s.label == "TARGET" and _LOCATIVE_IN_TARGET.search(surface):
                warnings.append(f"{r.source}: TARGET '{surface}' seems to hold a locative phrase (rule 7)")
            if (s.label == "ATTACKER" and any(low.endswith(" " + p) for p in _PLATFORMS)
                    and not low.endswith("suicide bombers")):
                warnings.append(f"{r.source}: ATTACKER '{surface}' ends with a weapon or platform noun "
                                "(only its modifier is the party)")
            if s.label == "DIPLOMATIC_RESPONSE":
                if _RESPONSE_CONTROL.search(low):
                    warnings.append(f"{r.source}: response '{surface}' starts with a control verb")
                if any(c in low for c in _RESPONSE_CLAUSES):
                    warnings.append(f"{r.source}: response '{surface}' seems to hold a reason or purpose clause")
        counts = [(s.start, s.end) for s in r.spans if s.label == "VICTIM_COUNT"]
        for m in _CASUALTY.finditer(r.text):
            a, b = m.span(1)
            if not any(x <= a and b <= y for x, y in counts):
                warnings.append(f"{r.source}: '{m.group(0)}' has a casualty number not labelled VICTIM_COUNT")
    return warnings


def load_settled(path) -> dict[str, str]:
    """Warnings a reviewer checked and found right by a named case of the guideline: one per line,
    `warning<TAB>reason`. A settled warning is not printed again; a stale line is harmless."""
    path = Path(path)
    if not path.exists():
        return {}
    settled = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if "\t" not in line:
            raise ValueError(f"{path}:{n}: expected `warning<TAB>reason`")
        warning, reason = line.split("\t", 1)
        settled[warning.strip()] = reason.strip()
    return settled
