"""A keyword and pattern tagger written from the guideline, with no training: the floor a learned
model has to clear. Each role is a few regular expressions over the raw text; overlaps are settled
by a fixed role priority so the output obeys rule 1 (no overlap, no nesting)."""
from __future__ import annotations

import re

from incident_roles.labels import DETERMINERS, HEDGES

from incident_roles.text import NUMBER_WORDS, UNITS

# longest first, so that "seventeen" is not read as "seven"
_ALL = "|".join(sorted(NUMBER_WORDS - {"half", "couple", "few"}, key=len, reverse=True))
_UNIT = "|".join(sorted(set(UNITS) | {"hundred"}, key=len, reverse=True))
_NUM = r"(?:\d[\d,]*|" + _ALL + r")(?:[- ](?:" + _UNIT + r"))?"
_APPROX = r"(?:(?:at least|more than|over|about|around|nearly|almost|some|up to|as many as|all)\s+)?"
_COUNT = _APPROX + _NUM
_HARM = (r"(?:killed|dead|died|deaths|wounded|injured|hurt|abducted|kidnapped|detained|taken hostage|"
         r"held hostage|missing|lost their lives|were killed|casualties)")

VICTIM_PATTERNS = [
    # "[at least 11] policemen were killed", "[two] children died"
    re.compile(r"\b(" + _COUNT + r")\b(?=(?:[\s-]+[\w'-]+){0,4}?[\s-]+" + _HARM + r"\b)", re.I),
    # "killing [around a dozen]", "the death toll rose to [nine]"
    re.compile(r"\b(?:killing|killed|wounding|wounded|injuring|injured|kidnapping|abducting|"
               r"toll (?:rose|climbed|stood|reached) (?:to|at)|toll of)\s+(" + _COUNT + r")\b", re.I),
]

_ATTACK_NOUN = (r"(?:air ?strikes?|strikes?|missile strikes?|drone strikes?|attacks?|raids?|bombings?|"
                r"shelling|assault|incursion|ambush|offensive|fire)")
_ATTACK_VERB = (r"(?:struck|strikes|strike|attacked|attacks|bombed|shelled|raided|stormed|ambushed|"
                r"fired (?:on|at|into)|shot down|seized|hit|targeted|launched|invaded|killed|"
                r"claimed (?:responsibility|an? attack|the attack|the bombing|an? bombing))")
_PLATFORM = (r"(?:warplanes?|jets?|fighters?|drones?|missiles?|rockets?|gunboats?|warships?|artillery|"
             r"aircraft|helicopters?|air ?strikes?|strikes?|attacks?|raids?|shelling|bombing|incursion|"
             r"missile strikes?|drone strikes?)")
_PARTY = r"(?:forces|troops|soldiers|navy|army|military|commandos|agents|militants|gunmen|guards|police)"
_CAP = r"[A-Z][\w'.-]*"
_CAP_NP = _CAP + r"(?:\s+(?:of\s+|al-)?" + _CAP + r"){0,5}"

ATTACKER_PATTERNS = [
    # "[Iranian] missiles", "a [Houthi] drone attack": the demonym only (project rule on platforms)
    re.compile(r"\b(" + _CAP + r"(?:\s+" + _CAP + r")?)(?=\s+(?:drone |missile |air )?" + _PLATFORM + r"\b)"),
    # "[Turkish forces] struck", the whole party noun phrase
    re.compile(r"\b(" + _CAP + r"(?:\s+" + _CAP + r")?\s+" + _PARTY + r")\b"),
    # "[Jaish al-Adl] claimed responsibility", "[Tehran] struck"
    re.compile(r"(?<![\w'])(" + _CAP_NP + r")(?=\s+(?:had\s+|has\s+|have\s+)?" + _ATTACK_VERB + r"\b)"),
    # "strikes by the [Revolutionary Guards]"
    re.compile(_ATTACK_NOUN + r"\s+(?:\w+\s+){0,2}?by\s+(?:the\s+)?(" + _CAP_NP + r")", re.I),
]

_NP_STOP = (r"in|near|at|on|along|across|inside|outside|with|after|before|during|since|killing|"
            r"wounding|which|that|who|from|for|to|as|while|when|where|overnight|yesterday|today|on|by|"
            r"was|were|is|are|had|has|last|earlier|later|this|and(?=\s+[a-z])")
_NP = r"((?:(?!(?:" + _NP_STOP + r")\b)[\w'-]+)(?:\s+(?!(?:" + _NP_STOP + r")\b)[\w'.-]*\w){0,5})"
_DET = r"(?:(?:the|a|an|its|their|his|her|two|three|several)\s+)?"

TARGET_PATTERNS = [
    # "a drone strike on a [compound next to a mosque]"
    re.compile(_ATTACK_NOUN + r"\s+(?:on|against|at)\s+" + _DET + _NP, re.I),
    # "struck [militant bases]", "stormed the [police station]"
    re.compile(r"\b(?:struck|hit|attacked|shelled|bombed|raided|stormed|ambushed|targeted|seized|"
               r"shot down|fired (?:on|at|into)|invaded|violated)\s+" + _DET + _NP, re.I),
]

_OBJECT = (r"(?:ambassador|envoy|diplomats?|charg[ée]|attach[ée]|embassy|consulate|relations|ties|"
           r"visits?|talks|agreements?|flights|sanctions|embargo|border crossing|mission|staff|protest)")
RESPONSE_PATTERNS = [
    # "[recalled its ambassador from Iran]", "[summoned Pakistan's chargé d'affaires]"
    re.compile(r"\b((?:recall(?:s|ed|ing)?|summon(?:s|ed|ing)?|expel(?:s|led|ling)?|expulsion of|"
               r"sever(?:s|ed|ing)?|broke off|broken off|break off|cut(?:s|ting)? (?:off )?|"
               r"suspend(?:s|ed|ing)?|froze|frozen|freez(?:es|ing)|clos(?:e|es|ed|ing)|"
               r"downgrad(?:e|es|ed|ing)|impos(?:e|es|ed|ing)|lodg(?:e|es|ed|ing)|withdr(?:ew|awn|aw|awing)|"
               r"evacuat(?:e|es|ed|ing)|halt(?:s|ed|ing)?|cancel(?:s|led|ling)?)"
               r"(?:\s+(?!(?:after|over|to protest|in protest|in response|following|because|amid|as|"
               r"which|who|that|and(?=\s+\w+ed\b)|and said|on Monday|on Tuesday|on Wednesday|on Thursday|on Friday|"
               r"on Saturday|on Sunday)\b)[\w'.-]*[\w']){1,7})", re.I),
    # "[requested an emergency meeting of the Security Council]"
    re.compile(r"\b((?:request(?:s|ed|ing)?|call(?:s|ed|ing)? for|ask(?:s|ed|ing)? for|call(?:ed)?|"
               r"took|take[sn]?|bring|brought)\s+(?:\S+\s+){0,5}?(?:the\s+)?(?:UN\s+|U\.N\.\s+|United Nations\s+)?"
               r"Security Council)", re.I),
]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """Drop leading determiners and hedges (rule 3) and edge punctuation (rule 4)."""
    while True:
        m = re.match(r"\s*([\w'-]+)\s+", text[a:b])
        if m and m.group(1).lower() in DETERMINERS | HEDGES:
            a += m.end()
            continue
        break
    while a < b and not text[a].isalnum():
        a += 1
    while b > a and not (text[b - 1].isalnum() or text[b - 1] == "."):
        b -= 1
    if b > a and text[b - 1] == "." and not re.search(r"\b[A-Z]\.[A-Z]\.$", text[a:b]):
        b -= 1
    return a, b


def _response_ok(phrase: str) -> bool:
    """A measure needs an object that names a diplomatic thing, else 'closed the road' would count."""
    return re.search(r"\b" + _OBJECT + r"\b", phrase, re.I) is not None


def _cut_response(text: str, a: int, b: int) -> int:
    """End the measure at the object noun phrase: before a purpose clause or a date."""
    m = re.search(r"\s+(?:to (?:protest|demand|express|explain|lodge)|in |on |over |after |,)", text[a:b])
    return a + m.start() if m else b


class RuleTagger:
    """``predict(text)`` -> character spans; ``fit`` exists so every system is driven the same way."""

    name = "rules"

    def fit(self, records=None):
        return self

    def predict_one(self, text: str) -> list[dict]:
        candidates = []
        for pattern in RESPONSE_PATTERNS:
            for m in pattern.finditer(text):
                a, b = m.span(1)
                b = _cut_response(text, a, b) if pattern is RESPONSE_PATTERNS[0] else b
                if _response_ok(text[a:b]):
                    candidates.append((0, a, b, "DIPLOMATIC_RESPONSE"))
        for pattern in VICTIM_PATTERNS:
            for m in pattern.finditer(text):
                candidates.append((1, *m.span(1), "VICTIM_COUNT"))
        for pattern in ATTACKER_PATTERNS:
            for m in pattern.finditer(text):
                a, b = m.span(1)
                if text[a:b].split()[0] in ("The", "A", "An", "In", "On", "At", "After", "It", "They"):
                    a += len(text[a:b].split()[0]) + 1
                candidates.append((2, a, b, "ATTACKER"))
        for pattern in TARGET_PATTERNS:
            for m in pattern.finditer(text):
                candidates.append((3, *m.span(1), "TARGET"))
        spans: list[dict] = []
        for _, a, b, label in sorted(candidates):
            a, b = _trim(text, a, b)
            if a >= b or any(a < s["end"] and s["start"] < b for s in spans):
                continue
            spans.append({"start": a, "end": b, "label": label, "score": 1.0})
        return sorted(spans, key=lambda s: s["start"])

    def predict(self, texts) -> list[list[dict]]:
        return [self.predict_one(t) for t in texts]


__all__ = ["RuleTagger"]
