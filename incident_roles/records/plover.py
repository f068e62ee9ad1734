"""PLOVER events from an incident record: one ASSAULT per report, one event per diplomatic response.

    python -m incident_roles extract report.txt --model models/minilm --format plover   # JSONL, one event a line

Field names follow the PLOVER manual (github.com/openeventdata/PLOVER, PLOVER_MANUAL.tex, draft 0.8):
``event_type``, ``mode`` and ``context`` (lists), ``actor`` and ``recipient`` (lists of actor objects with
``code``, the ISO 3166 alpha-3 code of the state, and ``actor_text``), ``size`` (``dead``, ``injured``,
``arrested``), ``event_text``, ``text_info`` (``sequence``, ``start``, ``end``), ``link``, ``coder``.
Every event also carries ``evidence``: the spans it was built from, with offsets and scores. The schema
ships as plover_schema.json; docs/records.md documents the rules and their limits.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

# the clause bounds of response typing, so that a measure's type and its recipient read the same words
from incident_roles.records.builder import _CLAUSE_BREAK, validate
from incident_roles.records.states import canonical_state
from incident_roles.text import ends_with_abbreviation, sentence_bounds, sentence_index

SCHEMA_PATH = Path(__file__).with_name("plover_schema.json")

# ISO 3166-1 alpha-3 for every state of the gazetteer (records/states.py); historical states take their
# ISO 3166-3 codes (SUN, CSK, DDR, YUG), West Germany the DEU it held. South Vietnam has none: null.
_ISO3 = """
AFG Afghanistan|ALB Albania|DZA Algeria|AND Andorra|AGO Angola|ARG Argentina|ARM Armenia|AUS Australia
AUT Austria|AZE Azerbaijan|BHS Bahamas|BHR Bahrain|BGD Bangladesh|BRB Barbados|BLR Belarus|BEL Belgium
BLZ Belize|BEN Benin|BTN Bhutan|BOL Bolivia|BIH Bosnia and Herzegovina|BWA Botswana|BRA Brazil|BRN Brunei
BGR Bulgaria|BFA Burkina Faso|BDI Burundi|KHM Cambodia|CMR Cameroon|CAN Canada|CPV Cape Verde
CAF Central African Republic|TCD Chad|CHL Chile|CHN China|COL Colombia|COM Comoros|CRI Costa Rica
HRV Croatia|CUB Cuba|CYP Cyprus|CZE Czech Republic|CSK Czechoslovakia|COD Democratic Republic of the Congo
COG Republic of the Congo|DNK Denmark|DJI Djibouti|DOM Dominican Republic|TLS East Timor|ECU Ecuador
EGY Egypt|SLV El Salvador|GNQ Equatorial Guinea|ERI Eritrea|EST Estonia|SWZ Eswatini|ETH Ethiopia|FJI Fiji
FIN Finland|FRA France|GAB Gabon|GMB Gambia|GEO Georgia|DEU Germany|DDR East Germany|DEU West Germany
GHA Ghana|GRC Greece|GTM Guatemala|GIN Guinea|GNB Guinea-Bissau|GUY Guyana|HTI Haiti|HND Honduras
HUN Hungary|ISL Iceland|IND India|IDN Indonesia|IRN Iran|IRQ Iraq|IRL Ireland|ISR Israel|ITA Italy
CIV Ivory Coast|JAM Jamaica|JPN Japan|JOR Jordan|KAZ Kazakhstan|KEN Kenya|XKX Kosovo|KWT Kuwait
KGZ Kyrgyzstan|LAO Laos|LVA Latvia|LBN Lebanon|LSO Lesotho|LBR Liberia|LBY Libya|LIE Liechtenstein
LTU Lithuania|LUX Luxembourg|MDG Madagascar|MWI Malawi|MYS Malaysia|MDV Maldives|MLI Mali|MLT Malta
MRT Mauritania|MUS Mauritius|MEX Mexico|MDA Moldova|MCO Monaco|MNG Mongolia|MNE Montenegro|MAR Morocco
MOZ Mozambique|MMR Myanmar|NAM Namibia|NPL Nepal|NLD Netherlands|NZL New Zealand|NIC Nicaragua|NER Niger
NGA Nigeria|PRK North Korea|MKD North Macedonia|NOR Norway|OMN Oman|PAK Pakistan|PSE Palestine|PAN Panama
PNG Papua New Guinea|PRY Paraguay|PER Peru|PHL Philippines|POL Poland|PRT Portugal|QAT Qatar|ROU Romania
RUS Russia|SUN Soviet Union|RWA Rwanda|SAU Saudi Arabia|SEN Senegal|SRB Serbia|YUG Yugoslavia
SLE Sierra Leone|SGP Singapore|SVK Slovakia|SVN Slovenia|SOM Somalia|ZAF South Africa|KOR South Korea
SSD South Sudan|ESP Spain|LKA Sri Lanka|SDN Sudan|SUR Suriname|SWE Sweden|CHE Switzerland|SYR Syria
TWN Taiwan|TJK Tajikistan|TZA Tanzania|THA Thailand|TGO Togo|TTO Trinidad and Tobago|TUN Tunisia
TUR Turkey|TKM Turkmenistan|UGA Uganda|UKR Ukraine|ARE United Arab Emirates|GBR United Kingdom
USA United States|URY Uruguay|UZB Uzbekistan|VAT Vatican City|VEN Venezuela|VNM Vietnam|YEM Yemen
ZMB Zambia|ZWE Zimbabwe
"""
ISO3: dict[str, str | None] = {e[4:]: e[:3] for e in _ISO3.replace("\n", "|").split("|") if e}
ISO3["South Vietnam"] = None

# Response type -> PLOVER mode (the manual's SANCTION modes: expel, withdraw, discontinue; ACCUSE:
# disapprove, allege). Barring an envoy's return ends the envoy's presence like an expulsion; closing
# one's mission withdraws one's diplomats. Sanctions (CAMEO 163, PLOVER COERCE) fit no COERCE mode.
MODES = {"recall_envoy": "withdraw", "expel_diplomats": "expel", "bar_envoy_return": "expel",
         "summon_envoy": "disapprove", "formal_protest": "disapprove", "un_complaint": "disapprove",
         "suspend_visits_talks": "discontinue", "suspend_relations": "discontinue",
         "close_mission_or_border": "withdraw"}
CAMEO_MODES = {"115": "allege", "191": "restrict"}  # a court case; a border closure (COERCE)
_SIZE_KEYS = {"killed": "dead", "injured": "injured", "detained": "arrested"}
# A measure whose span opens with an auxiliary has the measure's object as subject ("the envoy [will not
# be allowed to return] to Islamabad", "its diplomats [would leave Ecuador]"): the state named before it
# is then the recipient and the one after it the actor, the other way round from an active clause.
# A recall keeps the active order: the envoy "[was called home]" by its own state.
_PASSIVE = re.compile(r"(?:will|would|may|might|must|shall|can|could|is|are|was|were|be|been|(?:has|have|had) been)\b",
                      re.I)
_TOKEN = re.compile(r"\S+")


def _coder() -> str:
    from incident_roles import __version__

    return f"incident-roles {__version__}"


def _group_state(group: dict) -> str | None:
    """The group's state, or the one state named inside it ("Iranian embassy" -> Iran)."""
    mentioned = group.get("states_mentioned") or []
    return group["state"] or (mentioned[0] if len(mentioned) == 1 else None)


def _actor_of_group(group: dict) -> dict:
    m, state = group["mentions"][0], _group_state(group)
    return {"actor_text": m["text"], "identifier_text": group["name"], "code": ISO3.get(state) if state else None,
            "start": m["start"], "end": m["end"], "score": group["score"]}


def _actor_of_mention(text: str, a: int, b: int, state: str) -> dict:
    while a < b and not text[a].isalnum():
        a += 1
    while b > a and not text[b - 1].isalnum() and not ends_with_abbreviation(text[a:b]):
        b -= 1
    return {"actor_text": text[a:b], "identifier_text": state, "code": ISO3.get(state), "start": a, "end": b,
            "score": None}


def _state_before(text: str, lo: int, hi: int, exclude: str | None) -> dict | None:
    """The state named nearest before ``hi`` (not ``exclude``), scanning word by word towards ``lo``:
    the first suffix that names a state has it at its first word."""
    toks = list(_TOKEN.finditer(text, lo, hi))
    for i in range(len(toks) - 1, -1, -1):
        state = canonical_state(text[toks[i].start():hi])
        if state and state != exclude:
            j = next(j for j in range(i, len(toks)) if canonical_state(text[toks[i].start():toks[j].end()]))
            return _actor_of_mention(text, toks[i].start(), toks[j].end(), state)
        if state:  # the excluded state: look further left only
            hi = toks[i].start()
    return None


def _state_after(text: str, lo: int, hi: int, exclude: str | None) -> dict | None:
    """The first state named after ``lo`` (not ``exclude``): the shortest prefix that names one, checked
    with one more word so that "Persian" of "Persian Gulf" names no state."""
    toks = list(_TOKEN.finditer(text, lo, hi))
    first = 0
    for j in range(len(toks)):
        state = canonical_state(text[toks[first].start():toks[j].end()])
        ahead = canonical_state(text[toks[first].start():toks[min(j + 1, len(toks) - 1)].end()])
        if not state or ahead is None:
            continue
        i = next(i for i in range(j, first - 1, -1) if canonical_state(text[toks[i].start():toks[j].end()]))
        if state != exclude:
            return _actor_of_mention(text, toks[i].start(), toks[j].end(), state)
        first = j + 1
        if first >= len(toks):
            break
    return None


def _size(victims: list[dict]) -> dict:
    """dead / injured / arrested: per kind the first count in reading order (a report gives its headline
    incident's toll first; later counts may repeat it or belong to a background incident, and stay in
    ``evidence``), an int when exact, else the count's words ("dozens", "at least 11")."""
    out: dict = {"dead": None, "injured": None, "arrested": None}
    for v in victims:
        key, c = _SIZE_KEYS.get(v["kind"]), v["count"]
        if key and out[key] is None and c["precision"] != "unknown":
            out[key] = c["value"] if c["precision"] == "exact" else v["text"]
    return out


def _evidence(label: str, m: dict) -> dict:
    return {"label": label, "text": m["text"], "start": m["start"], "end": m["end"], "score": m["score"]}


def _event(record: dict, n: int, text: str, at: int, **fields) -> dict:
    a, b = sentence_bounds(text, at, at)
    return {"id": f"{record.get('id') or 'report'}-{n}", "date": None, **fields,
            "event_text": text[a:b], "text_info": {"sequence": sentence_index(text, at), "start": a, "end": b},
            "link": record.get("id"), "coder": _coder()}


def plover_events(record: dict, text: str) -> list[dict]:
    """The PLOVER events of one report's record (builder.build_record) and its text."""
    events = []
    attackers, targets = record["attackers"], record["targets"]
    evidence = sorted([_evidence("ATTACKER", m) for g in attackers for m in g["mentions"]]
                      + [_evidence("TARGET", m) for g in targets for m in g["mentions"]]
                      + [_evidence("VICTIM_COUNT", v) for v in record["victims"]], key=lambda e: e["start"])
    if evidence:
        # the event's sentence: the first attack clause (an attacker's), else the first target or count
        first = next((e for label in ("ATTACKER", "TARGET", "VICTIM_COUNT") for e in evidence
                      if e["label"] == label))
        events.append(_event(record, 1, text, first["start"], event_type="ASSAULT", mode=[], context=[],
                             actor=[_actor_of_group(g) for g in attackers],
                             recipient=[_actor_of_group(g) for g in targets],
                             size=_size(record["victims"]), evidence=evidence))
    tgt = [(_group_state(g), _actor_of_group(g)) for g in targets]
    att = [(_group_state(g), _actor_of_group(g)) for g in attackers]
    for r in record["responses"]:
        left, right = sentence_bounds(text, r["start"], r["end"])
        stop = _CLAUSE_BREAK.search(text, r["end"], right)  # the other state is named in the measure's clause
        right = stop.start() if stop else right
        passive = bool(_PASSIVE.match(r["text"])) and r["type"] != "recall_envoy"
        if passive:
            actor = _state_after(text, r["start"], right, None)
            recipient = _state_before(text, left, r["start"], actor and actor["identifier_text"])
        else:
            recipient = _state_after(text, r["start"], right, None)
            actor = _state_before(text, left, r["start"], recipient and recipient["identifier_text"])
        if actor is None and passive:  # the subject of an earlier clause ("Pakistan would [recall ...]")
            actor = _state_before(text, left, r["start"], recipient and recipient["identifier_text"])
        # not named in the sentence: the incident's states, the attacked side responding first
        if actor is None:
            skip = recipient and recipient["identifier_text"]
            actor = next((a for s, a in tgt + att if s and s != skip), None)
        if recipient is None and actor is not None:
            order = tgt + att if actor["identifier_text"] in {s for s, _ in att} else att + tgt
            recipient = next((a for s, a in order if s and s != actor["identifier_text"]), None)
        mode = CAMEO_MODES.get(r["cameo"], MODES.get(r["type"]))
        events.append(_event(record, len(events) + 1, text, r["start"], event_type=r["plover"],
                             mode=[mode] if mode else [],
                             context=["diplomatic"] + (["legal"] if r["cameo"] == "115" else []),
                             actor=[actor] if actor else [], recipient=[recipient] if recipient else [],
                             evidence=[_evidence("DIPLOMATIC_RESPONSE", r)],
                             cameo=r["cameo"], response_type=r["type"]))
    return events


def events_jsonl(records: list[dict], texts: list[str]) -> str:
    """JSONL of the events of several reports, each event checked against the schema (PLOVER suggests
    newline-delimited JSON, one event a line)."""
    lines = []
    for record, text in zip(records, texts):
        for event in plover_events(record, text):
            errors = validate_event(event)
            if errors:
                raise ValueError(f"PLOVER event {event['id']} does not match plover_schema.json: {errors[0]}")
            lines.append(json.dumps(event, ensure_ascii=False) + "\n")
    return "".join(lines)


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_event(event) -> list[str]:
    """Problems of an event against plover_schema.json ("$.mode[0]: 'expel' is not one of ..."); []."""
    return validate(event, schema=load_schema())


__all__ = ["plover_events", "events_jsonl", "validate_event", "load_schema", "ISO3", "MODES"]
