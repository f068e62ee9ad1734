"""Diplomatic responses: a canonical type for a DIPLOMATIC_RESPONSE span, with its CAMEO and PLOVER codes.

Rules over the span text and a little context (the envoy's own state decides recall vs expulsion, which
the span alone does not always show), so they are pure and unit-tested without a model.

CAMEO codes follow the CAMEO 1.1b3 verb codebook; PLOVER categories follow the Open Event Data
Alliance's CAMEO2PLOVER-2021 mapping (github.com/openeventdata/PLOVER). The table and the choices
made where the two leave room are documented in docs/records.md.
"""
from __future__ import annotations

import re

# CAMEO code -> (CAMEO name, PLOVER category)
CAMEO = {
    "114": ("Complain officially", "ACCUSE"),
    "115": ("Bring lawsuit against", "ACCUSE"),
    "160": ("Reduce relations, not specified", "SANCTION"),
    "161": ("Reduce or break diplomatic relations", "SANCTION"),
    "163": ("Impose embargo, boycott, or sanctions", "COERCE"),
    "164": ("Halt negotiations", "SANCTION"),
    "166": ("Expel or withdraw", "SANCTION"),
    # A border closure is a restriction of movement, not a diplomatic downgrade.
    "191": ("Impose blockade, restrict movement", "COERCE"),
}


def _codes(cameo: str) -> dict:
    name, plover = CAMEO[cameo]
    return {"cameo": cameo, "cameo_name": name, "plover": plover}


# type -> {label, cameo, cameo_name, plover}
RESPONSE_TYPES: dict[str, dict] = {kind: {"label": label, **_codes(cameo)} for kind, label, cameo in [
    ("recall_envoy", "recall envoy", "161"),
    ("expel_diplomats", "expel diplomats", "166"),
    ("bar_envoy_return", "bar envoy's return", "166"),
    ("summon_envoy", "summon envoy", "114"),
    ("formal_protest", "formal protest", "114"),
    ("suspend_visits_talks", "suspend visits or talks", "164"),
    ("suspend_relations", "suspend or sever relations", "161"),
    ("close_mission_or_border", "close mission or border", "161"),
    ("sanctions", "sanctions", "163"),
    ("un_complaint", "UN complaint", "114"),
    ("other", "other measure", "160"),
]}
BORDER_CODE = _codes("191")
# A case at the ICJ or a tribunal is a lawsuit, not a complaint.
LAWSUIT_CODE = _codes("115")

_ENVOY = r"(?:ambassadors?|envoys?|diplomats?|charg[eé]s? d'affaires|charg[eé]|high commissioners?|" \
         r"consuls?(?: general)?|emissar(?:y|ies)|attach[eé]s?|embassy staff|mission staff|" \
         r"representatives?|heads? of mission|legation staff)"
_OWN = r"(?:its|their|our|his|her|own)"

# Ordered: the first rule that matches wins, so specific wordings come before general ones.
_RULES: list[tuple[str, str]] = [
    ("un_complaint", r"\b(security council|united nations|\bun\b|u\.n\.|general assembly|"
                     r"international court|icj|tribunal|arbitration|article 4|nato)\b"),
    ("bar_envoy_return", r"(not|never|barred|bar|refus\w*|den(?:y|ied|ies)|prevent\w*|forbid\w*)\b.{0,40}"
                         r"\b(return|come back|re-?enter)|\bban\w* .{0,30}\breturn"),
    ("sanctions", r"\b(sanction\w*|embargo\w*|boycott\w*|trade curbs?|tariffs?|freez\w* .{0,20}assets|"
                  r"asset freeze|landing rights|flights?|ban\w* (on )?(imports?|exports?|apps?)|"
                  r"import ban|export ban|visa ban|travel ban)\b"),
    ("close_mission_or_border", r"\b(clos\w*|shut\w*|seal\w*|evacuat\w*)\b.{0,40}\b(embass\w*|consulat\w*|"
                                r"mission|border|crossings?|airspace|legation|office)\b|"
                                r"\bevacuat\w* .{0,30}staff"),
    ("summon_envoy", r"\bsummon\w*|\bcall(ed|s|ing)? in\b.{0,40}" + _ENVOY + r"|\bdemarche|\bdémarche"),
    ("expel_diplomats", r"\b(expel\w*|expuls\w*|persona non grata|declar\w* .{0,30}non grata|"
                        r"order\w* .{0,40}\b(leave|out)\b|gave .{0,30}hours to leave|deport\w*)"),
    ("recall_envoy", r"\b(recall\w*|withdr[ae]w\w* .{0,30}" + _ENVOY + r"|pull\w* out .{0,30}" + _ENVOY +
                     r"|bring(ing)? home .{0,30}" + _ENVOY + r"|call(ed|s|ing)? back .{0,30}" + _ENVOY + r")"),
    ("suspend_relations", r"\b(sever\w*|break\w*|broke|cut\w*|suspend\w*|downgrad\w*|freez\w*|rupture\w*|"
                          r"reduc\w*|lower\w*)\b.{0,40}\b(relations|ties|diplomatic)\b|"
                          r"\bdowngrad\w*|\bsevered\b"),
    ("suspend_visits_talks", r"\b(suspend\w*|cancel\w*|call\w* off|postpon\w*|halt\w*|freez\w*|"
                             r"scrap\w*|pull\w* out of|withdr[ae]w\w* from|walk\w* out of|break\w* off|"
                             r"broke off|stop\w*|pause\w*|end\w*)\b.{0,50}\b(visits?|talks|negotiations|"
                             r"engagements?|meetings?|dialogue|trips?|summit|agreements?|accords?|"
                             r"cooperation|exchanges?|contacts)\b"),
    ("formal_protest", r"\b(protest\w*|complain\w*|complaint|note verbale|diplomatic note|letter)\b"),
]
_COMPILED = [(t, re.compile(p, re.I)) for t, p in _RULES]
_DIPLOMAT = re.compile(_ENVOY, re.I)
_OWN_ENVOY = re.compile(r"\b" + _OWN + r"\b(?:\s+\w+){0,2}\s+" + _ENVOY, re.I)


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text)


def classify_response(span_text: str, context: str = "") -> str:
    """The canonical type of a measure (a key of RESPONSE_TYPES), from its span text; ``context`` (the
    span's clause, see records.response_context) is used only when the span alone names no measure.

    "recalling its ambassador to Iran" -> recall_envoy; "expulsion of the Iranian ambassador" ->
    expel_diplomats; "will not be allowed to return" -> bar_envoy_return; "suspend all high-level
    visits" -> suspend_visits_talks; "summoned Pakistan's chargé d'affaires" -> summon_envoy."""
    text = _norm(span_text)
    for kind, rx in _COMPILED:
        if rx.search(text):
            # "withdrew its ambassador" is a recall even though "withdrew ... relations" rules exist;
            # "recalled" of another state's envoy does not happen, so no further check is needed.
            if kind == "expel_diplomats" and _OWN_ENVOY.search(text) and not re.search(r"expel|expuls|non grata",
                                                                                      text, re.I):
                return "recall_envoy"
            return kind
    if context and _norm(context) != text:
        return classify_response(context)
    return "other"


def response_codes(kind: str, span_text: str = "") -> dict:
    """{"type", "label", "cameo", "cameo_name", "plover"} for a type; a border closure or a court
    case takes its own, more specific code."""
    if kind not in RESPONSE_TYPES:
        raise KeyError(f"unknown response type {kind!r}; known: {sorted(RESPONSE_TYPES)}")
    info = {"type": kind, **RESPONSE_TYPES[kind]}
    text = _norm(span_text).lower()
    if kind == "close_mission_or_border" and re.search(r"\b(border|crossings?|airspace)\b", text) \
            and not re.search(r"embass|consulat|mission", text):
        info.update(BORDER_CODE)
    if kind == "un_complaint" and re.search(r"\b(court|icj|tribunal|arbitration)\b", text):
        info.update(LAWSUIT_CODE)
    return info


def describe_response(span_text: str, context: str = "") -> dict:
    """classify_response + response_codes in one call."""
    return response_codes(classify_response(span_text, context), span_text)


__all__ = ["RESPONSE_TYPES", "classify_response", "response_codes", "describe_response"]
