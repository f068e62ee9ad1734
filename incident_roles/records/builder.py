"""One incident record per report, built from tagged spans: who attacked whom, how many victims, which
diplomatic measures followed, each field with its character offsets and model score as evidence.

``build_record(text, spans)`` is pure (spans: dicts with start, end, label and optionally score), so it
is tested without a model; ``extract(text, model=...)`` = pipeline() + build_record. The record format
is documented in docs/records.md and shipped as incident_roles/records/schema.json.

    python -m incident_roles extract report.txt --model models/minilm
"""
from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

from incident_roles.records.victims import count_end, is_hedge, normalise_count, victim_kind
from incident_roles.records.states import canonical_state
from incident_roles.labels import DETERMINERS, HEDGES
from incident_roles.records.responses import describe_response
from incident_roles.text import sentence_bounds

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).with_name("schema.json")
_PLACE = re.compile(r"\b(?:in|inside|near|at|across)\s+(?:the\s+|a\s+|an\s+)?(?P<place>[^,.;:()\[\]\"“”\n]{2,90})")
_PLACE_STOP = re.compile(r"\s+\b(?:in|on|at|near|after|before|when|which|who|that|as|and|killing|to|by|from|"
                         r"with|during|while|since|where|for|across|inside)\b.*$", re.S)
_PLACE_NOUNS = {"province", "region", "district", "city", "state", "county", "governorate", "border",
                "area", "town", "village", "territory", "strait", "sea", "gulf", "valley", "mountains"}


def _evidence(text: str, span: dict) -> dict:
    return {"text": text[span["start"]:span["end"]], "start": int(span["start"]), "end": int(span["end"]),
            "score": round(float(span.get("score", 1.0)), 4)}


def _strip_front(words: list[str]) -> list[str]:
    while words and (words[0].lower() in DETERMINERS or words[0].lower() in HEDGES):
        words = words[1:]
    return words


def _bare(mention: str) -> str:
    """The mention as a name: without a leading determiner or hedge, a final possessive or quotes."""
    text = " ".join(_strip_front(mention.replace("\u2019", "'").strip(" \"“”'.,").split()))
    return re.sub(r"'s?$", "", text).strip(" \"“”'.,")


def mention_key(mention: str) -> str:
    """The grouping key of a mention that names no state: lower case, without a leading determiner or
    hedge, a trailing possessive, quotes or a plural -s ("the Jaish al-Adl's" -> "jaish al-adl")."""
    words = _strip_front(re.sub(r"[\"“”‘’']s?\b(?=\s|$)", "", mention.replace("\u2019", "'")).lower().split())
    key = " ".join(words).strip(" \"“”'.,")
    return re.sub(r"(?<=[a-z]{3})s$", "", key)


def _tokens(key: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[^\W_]+", key))  # "al-adl", "al adl" and "(al-adl)" compare equal


_ARTICLES = {"al", "el", "ul", "ad", "ar", "as", "an", "ash", "at", "az"}  # may begin a name: al-Qaeda
_CONNECTORS = _ARTICLES | {"bin", "ibn", "bint", "of", "the", "for", "and", "de", "del", "la", "le", "wa", "e"}


# Words that make "<name> fighters" the named group itself rather than something of it.
_MEMBERS = re.compile(r"(fighter|militant|rebel|gunm[ae]n|force|member|operative|commando|soldier|troop|"
                      r"guerrilla|insurgent|militia|militiam[ae]n|loyalist|unit|cell|wing|faction|group|"
                      r"movement|organi[sz]ation|squad|brigade|men|\d+)s?", re.I)


def _core(mention: str) -> tuple[str, ...] | None:
    """The name inside a mention: its last run of capitalised words, with connectors between them
    ("the Sunni militant group Jaish al-Adl's fighters" -> jaish al adl). None when the run is a state
    word ("Pakistani headquarters of ..." is not grouped with every other Pakistani thing), or a single
    word beside anything but members ("Houthi fighters" is the Houthis, "Houthi-held ports" is not)."""
    words = re.findall(r"[^\W_][\w'.]*", _bare(mention))
    kinds = "".join("C" if w[:1].isupper() else "a" if w in _ARTICLES else "c" if w in _CONNECTORS else "x"
                    for w in words)
    runs = list(re.finditer(r"a*C(?:[ac]*C)*", kinds))
    if not runs:
        return None
    a, b = runs[-1].span()
    core = " ".join(words[a:b])
    if canonical_state(core) or (b - a == 1 and not all(_MEMBERS.fullmatch(w) for w in words[:a] + words[b:])):
        return None
    return _tokens(mention_key(core))


def _contains(big: tuple, small: tuple) -> bool:
    return any(big[i:i + len(small)] == small for i in range(len(big) - len(small) + 1))


def locative_after(text: str, end: int, limit: int = 160) -> dict | None:
    """The place a target is said to be in ("... in the Pakistani border province of Baluchistan"),
    from the first in/near/inside phrase with a proper name after the span in its sentence: locatives
    are outside TARGET spans by the guideline, yet an analyst wants them in the record."""
    _, right = sentence_bounds(text, end, end)
    pos, stop = end, min(right, end + limit)
    while True:
        m = _PLACE.search(text, pos, stop)
        if not m:
            return None
        pos = m.start() + 1  # matches may overlap: "in a raid near the border" tries "near" next
        a = m.start("place")
        phrase = _PLACE_STOP.sub("", m.group("place")).rstrip()
        words = phrase.split()
        while words and not (words[-1][:1].isupper() or words[-1].lower() in _PLACE_NOUNS):
            words.pop()
        if not any(w[:1].isupper() for w in words):
            continue
        b = a + len(" ".join(words))
        if text[a:b] != " ".join(words):  # irregular spacing: keep the raw slice up to the last word
            b = a + phrase.find(words[-1]) + len(words[-1])
        return {"text": text[a:b], "start": a, "end": b}


# Words a place may open with and still name where the site lies ("in northern Iraq", "near central
# Beirut"); any other lower-case opening is a clause, not a place ("in which two Palestinian ...").
_PLACE_OPENERS = {"northern", "southern", "eastern", "western", "central", "north", "south", "east", "west",
                  "north-west", "north-east", "south-west", "south-east", "northwest", "northeast",
                  "southwest", "southeast", "northwestern", "northeastern", "southwestern", "southeastern",
                  "upper", "lower", "neighbouring", "neighboring", "occupied", "downtown"}
_MONTHS_DAYS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
                "saturday", "sunday"}
# After a bare demonym or possessive ("at the Saudi consulate", "in the Iranian capital", "in Beirut's
# suburbs") the place goes on with one of these; any other word makes it a modifier of something else
# ("in an Israeli air strike", "inside Russia's exclusive economic zone", which is no territory).
_PLACE_HEADS = re.compile(r"(?:(?:northern|southern|eastern|western|central|north|south|east|west|old)\s+)?"
                          r"(?:suburbs?|outskirts|centre|center|quarter|capital|city|cities|territory|territories|"
                          r"airspace|waters|soil|coast|coastline|mainland|consulate|embassy|mission|port|airport|"
                          r"base|province|region|district|state|town|village|side|part|island|islands|enclave)\b", re.I)
# "at" after a verb of aiming or firing introduces what was aimed at, not where.
_AIMED_AT = re.compile(r"\b(?:aim\w*|fir(?:e|ed|es|ing)|shoot\w*|shot|direct\w*|launch\w*|hurl\w*|throw\w*|threw|"
                       r"lob\w*|point\w*|strik\w*|struck)\s+at\s+(?:the\s+|a\s+|an\s+)?$", re.I)
# Places named after a state that lie elsewhere (the gazetteer reads "America" and "British" as states).
_NOT_IN_STATE = re.compile(r"\b(?:Latin|South|Central|North) America\b|\bBritish Columbia\b|\bNew Mexico\b")


def place_state(text: str, place: dict, after: int) -> str | None:
    """The state the place ``place`` (from ``locative_after(text, after)``) says a target lies in
    ("northern Iraq" -> Iraq, "Vienna's Schwechat airport" -> Austria), or None where it cannot say:
    a border or frontier (a site near "the Iraqi border" may lie on either side); a phrase opening on a
    month or weekday ("in September American warships"), or on a lower-case word that is no direction
    (a clause: "in which two Palestinian", "in clashes between Iranian"); a bare demonym or possessive
    not followed by a place noun ("in an Israeli air strike", "inside Russia's exclusive economic
    zone"); "at" after a verb of aiming ("aiming at President Chun"); a place reached past a semicolon,
    a quotation or another state's name (it locates another clause: "Kinmen ..., the United States and
    China resumed talks in Warsaw"); a place named after a state that lies elsewhere ("Latin America")."""
    words = place["text"].split()
    if not words or re.search(r"\b(?:border|borders|frontier|frontiers|boundary|line)$", place["text"], re.I):
        return None
    while len(words) > 1 and words[0].lower() in ("the", "a", "an", "his", "her", "its", "their"):
        words = words[1:]
    first = words[0].lower()
    if first in _MONTHS_DAYS or (not words[0][:1].isupper() and first not in _PLACE_OPENERS):
        return None
    gap = text[after:place["start"]]
    if re.search(r"[;\"“”]", gap) or canonical_state(gap) or _NOT_IN_STATE.search(place["text"]):
        return None
    if _AIMED_AT.search(text, max(0, place["start"] - 40), place["start"]):  # "aiming at President Chun"
        return None
    state = canonical_state(place["text"])
    if state:
        from incident_roles.records.states import COUNTRIES

        last = re.sub(r"['’]s?$", "", words[-1])
        bare = last in COUNTRIES[state]["demonyms"] or last != words[-1]  # "Israeli", "Russia's"
        if bare and not _PLACE_HEADS.match(text[place["end"]:].lstrip()):
            return None
    return state


def group_mentions(text: str, spans: list[dict], with_place: bool = False) -> list[dict]:
    """Attacker or target mentions grouped by the state they name or stand for, else by their key.

    Each group: name (the state, else the most frequent mention without determiner or possessive),
    state (or null), score (the best mention's), mentions (each with text, start, end, score), and for
    targets the places found. Variants of one name are joined (``_join_variants``). A target group that
    is no state and names none takes the state of its first place that names one (``place_state``)."""
    groups: dict[str, dict] = {}
    for s in sorted(spans, key=lambda s: s["start"]):
        ev = _evidence(text, s)
        state = canonical_state(ev["text"])
        # a state word names the group only when the mention is the state (or its forces), not when it
        # modifies something else hit ("Pakistani soil" is Pakistan; "Iranian embassy" is the embassy)
        key = ("state:" + state) if state and _is_state_mention(ev["text"], state) else "text:" + mention_key(ev["text"])
        g = groups.setdefault(key, {"name": None, "state": state if key.startswith("state:") else None,
                                    "states_mentioned": [], "score": 0.0, "mentions": [],
                                    **({"places": []} if with_place else {})})
        g["mentions"].append(ev)
        g["score"] = max(g["score"], ev["score"])
        if state and state not in g["states_mentioned"]:
            g["states_mentioned"].append(state)
        if with_place:
            place = locative_after(text, s["end"])
            if place:
                if place["text"] not in [p["text"] for p in g["places"]]:
                    g["places"].append(place)
    out = []
    for g in _join_variants(groups):
        if g["state"]:
            g["name"] = g["state"]
        else:  # the most frequent bare form: "the Army of Justice's" counts for "Army of Justice"
            counts = Counter(_bare(m["text"]) or m["text"] for m in g["mentions"])
            g["name"] = max(counts, key=lambda t: (counts[t], t != t.upper() and t != t.lower(), len(t)))
            if with_place and not g["states_mentioned"]:
                # a site hit is counted against the state it lies in ("a camp in northern Iraq" hits Iraq);
                # a state named in the mention itself ("Iranian embassy in Kabul") is left to decide
                places = ((m["end"], locative_after(text, m["end"])) for m in g["mentions"])
                g["state"] = next((s for end, p in places if p and (s := place_state(text, p, end))), None)
        out.append(g)
    out.sort(key=lambda g: (-len(g["mentions"]), g["mentions"][0]["start"]))
    return out


def _join_variants(groups: dict[str, dict]) -> list[dict]:
    """Groups of one name written several ways joined: text groups sharing a name core (``_core``:
    "Jaish al-Adl militants", "Jaish al-Adl's fighters"), then each text group whose words all sit in
    the mentions of exactly one other group ("al-Adl", "Army of", "security forces" beside "Iranian
    security forces"): inside two different names ("Islamic" in "Islamic State" and "Islamic Front")
    a fragment cannot be placed, so it stays apart; two states are never joined."""
    keys = list(groups)
    parent = {k: k for k in keys}

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k

    def join(a, b):
        a, b = root(a), root(b)
        if groups[a]["state"]:  # a state's group stays the root, so the joined group keeps its name
            a, b = b, a
        if a != b and not groups[a]["state"]:
            parent[a] = b

    text_keys = [k for k in keys if k.startswith("text:")]
    by_core: dict[tuple, str] = {}
    for k in text_keys:
        for m in groups[k]["mentions"]:
            core = _core(m["text"])
            if core:
                join(k, by_core.setdefault(core, k))
    tokens = {k: {_tokens(mention_key(m["text"])) for m in groups[k]["mentions"]} for k in keys}
    for k in sorted(text_keys, key=lambda k: -len(_tokens(k[5:]))):
        small = _tokens(k[5:])
        roots = {root(o) for o in keys if any(_contains(t, small) for t in tokens[o])} - {root(k)}
        if small and len(roots) == 1:
            join(k, roots.pop())
    out: dict[str, dict] = {}
    for k in keys:
        g, r = groups[k], root(k)
        j = out.setdefault(r, {**groups[r], "mentions": [], "states_mentioned": [], "score": 0.0,
                               **({"places": []} if "places" in g else {})})
        j["mentions"] += g["mentions"]
        j["score"] = max(j["score"], g["score"])
        j["states_mentioned"] += [s for s in g["states_mentioned"] if s not in j["states_mentioned"]]
        if "places" in j:
            j["places"] += [p for p in g.get("places", []) if p["text"] not in [q["text"] for q in j["places"]]]
    for j in out.values():
        j["mentions"].sort(key=lambda m: m["start"])
    return list(out.values())


# Heads that make a mention the state acting (forces, organs) rather than a thing belonging to it.
_STATE_HEADS = re.compile(
    r"\b(forces?|military|army|armed forces|navy|navies|air force|troops|soldiers|guards?|corps|"
    r"government|regime|authorities|state|jets?|warplanes?|aircraft|drones?|missiles?|fighters?|"
    r"units?|militia|intelligence|agents?|commandos?|coast guard|soil|territory|airspace|"
    r"side|officials|leadership|security forces|navy ships?|warships?|gunboats?|artillery|"
    r"strikes?|airstrikes?|attacks?)$", re.I)


def _is_state_mention(mention: str, state: str) -> bool:
    words = re.findall(r"[\w.'’-]+", mention)
    if len(words) <= 1:
        return True
    from incident_roles.records.states import COUNTRIES  # local: only needed for multiword mentions
    info = COUNTRIES[state]
    forms = {f.lower() for f in [state, *info["capitals"], *info["demonyms"], *info["aliases"]]}
    if mention.lower().strip() in forms or re.sub(r"^(the|its|their)\s+", "", mention.lower()) in forms:
        return True
    m = re.match(r"^(?:the\s+)?(\w+(?:\s+\w+)?)\s+of\s+(?:the\s+)?\S", mention.strip(), re.I)
    if m and _STATE_HEADS.search(m.group(1)):  # "soil of Pakistan", "forces of the Soviet Union"
        return canonical_state(mention[m.end() - 1:]) == state
    return bool(_STATE_HEADS.search(mention.strip()))


def complete_hedges(text: str, spans: list[dict]) -> list[dict]:
    """VICTIM_COUNT spans with each bare hedge ("around", "up to": the tagger cut it off its number)
    extended over the number words after it, absorbing any span it then overlaps ("About" + "30"), or
    dropped when no number follows: alone it counts nothing and would reach the summary as a word."""
    out: list[dict] = []
    extended = None  # the last hedge extended, which absorbs the spans it now overlaps
    for s in sorted(spans, key=lambda s: s["start"]):
        if extended is not None and s["start"] < extended["end"]:
            extended["score"] = min(extended.get("score", 1.0), s.get("score", 1.0))
            continue
        s, extended = dict(s), None
        if is_hedge(text[s["start"]:s["end"]]):
            end = count_end(text, s["start"], s["end"])
            if end is None:
                continue
            s["end"], extended = end, s
        out.append(s)
    return out


def build_victims(text: str, spans: list[dict]) -> list[dict]:
    """Each VICTIM_COUNT span with its normalised count and what happened to the people counted."""
    spans = complete_hedges(text, spans)
    bounds = [(s["start"], s["end"]) for s in spans]
    out = []
    for s in spans:
        ev = _evidence(text, s)
        others = [b for b in bounds if b != (s["start"], s["end"])]
        out.append({**ev, "count": normalise_count(ev["text"]),
                    "kind": victim_kind(text, s["start"], s["end"], others)})
    return out


_CLAUSE_BREAK = re.compile(r"[.;:!?\n]|,\s|\s(?:and|but|while|whereas)\s")


def response_context(text: str, start: int, end: int, before: int = 40, after: int = 100) -> str:
    """The span with the rest of its clause on both sides (a truncated span such as "suspending all
    bilateral" is typed by the words that follow it, "the recall of the [Pakistani ambassador]" by the
    words before), never reaching into a neighbouring clause, whose measure is a different one."""
    left = max(0, start - before)
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, left, start)]
    left = breaks[-1] if breaks else left
    m = _CLAUSE_BREAK.search(text, end, min(len(text), end + after))
    right = m.start() if m else min(len(text), end + after)
    return text[left:right]


def build_responses(text: str, spans: list[dict]) -> list[dict]:
    """Each DIPLOMATIC_RESPONSE span with its canonical type, CAMEO code and PLOVER category."""
    out = []
    for s in sorted(spans, key=lambda s: s["start"]):
        ev = _evidence(text, s)
        out.append({**ev, **describe_response(ev["text"], response_context(text, s["start"], s["end"]))})
    return out


def summarise_victims(victims: list[dict]) -> dict:
    """Per kind, the counts in reading order ("killed": [2], "injured": ["several"]) as plain
    summaries an analyst scans first; the full evidence stays in ``victims``."""
    summary: dict[str, list] = {}
    for v in victims:
        c = v["count"]
        if c["precision"] == "unknown":  # no count in the words ("and", "the number"): evidence only
            continue
        shown = c["value"] if c["precision"] == "exact" else v["text"]
        summary.setdefault(v["kind"], []).append(shown)
    return summary


def build_record(text: str, spans: list[dict], doc_id: str | None = None) -> dict:
    """The incident record of ``text`` from its spans (start, end, label, score). Pure: no model.

    Spans with an unknown label or offsets outside the text raise ValueError naming the span."""
    by_label: dict[str, list[dict]] = {"ATTACKER": [], "TARGET": [], "VICTIM_COUNT": [], "DIPLOMATIC_RESPONSE": []}
    seen = set()
    for i, s in enumerate(spans):
        try:
            a, b, label = int(s["start"]), int(s["end"]), s["label"]
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"span {i} {s!r}: needs start, end and label ({e})") from None
        if label not in by_label:
            raise ValueError(f"span {i} {s!r}: unknown label {label!r}; expected one of {sorted(by_label)}")
        if not 0 <= a < b <= len(text):
            raise ValueError(f"span {i} {s!r}: offsets outside the text (length {len(text)})")
        if (a, b, label) in seen:
            continue
        seen.add((a, b, label))
        by_label[label].append({**s, "start": a, "end": b})
    victims = build_victims(text, by_label["VICTIM_COUNT"])
    record = {
        "schema_version": SCHEMA_VERSION,
        "id": doc_id,
        "text_length": len(text),
        "attackers": group_mentions(text, by_label["ATTACKER"]),
        "targets": group_mentions(text, by_label["TARGET"], with_place=True),
        "victims": victims,
        "victim_summary": summarise_victims(victims),
        "responses": build_responses(text, by_label["DIPLOMATIC_RESPONSE"]),
    }
    return record


# ---------------------------------------------------------------- with a model

_PIPELINES: dict[str, object] = {}


def get_pipeline(model="models/minilm", **kwargs):
    """A token-classification pipeline for a saved model folder, loaded once per path; an already
    built pipeline (or an OnnxTagger, a LeanTagger) is returned as is; ``backend=`` picks another tagger
    (incident_roles.serving.lean.load_tagger: torch-lean, bf16-lean, onnx, onnx-lean, auto)."""
    if not isinstance(model, (str, Path)):
        return model
    key = str(Path(model).resolve()) + repr(sorted(kwargs.items()))
    if key not in _PIPELINES:
        from incident_roles.serving.lean import load_tagger
        from incident_roles.serving.predict import load_pipeline

        backend = kwargs.pop("backend", None)
        _PIPELINES[key] = load_tagger(model, backend) if backend else load_pipeline(model, **kwargs)
    return _PIPELINES[key]


def extract_many(texts, model="models/minilm", batch_size: int = 8, ids=None, **kwargs) -> list[dict]:
    """Records for several texts, tagged in batches."""
    from incident_roles.serving.lean import predict_spans_bucketed

    texts = list(texts)
    ids = list(ids) if ids is not None else [None] * len(texts)
    pipe = get_pipeline(model, **kwargs)
    spans = predict_spans_bucketed(pipe, texts, batch_size=batch_size)  # length buckets: less padding
    return [build_record(t, s, doc_id=i) for t, s, i in zip(texts, spans, ids)]


def extract(text: str, model="models/minilm", doc_id: str | None = None, **kwargs) -> dict:
    """The incident record of one report: ``model`` is a saved model folder (its pipeline is cached) or
    a loaded pipeline."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    return extract_many([text], model=model, ids=[doc_id], **kwargs)[0]


# ---------------------------------------------------------------- schema check

def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _record_validator():
    return Draft202012Validator(load_schema())


def validate(instance, schema: dict | None = None, path: str = "$", root: dict | None = None) -> list[str]:
    """Errors of ``instance`` against ``schema`` (default: schema.json) with jsonschema, each as
    "<field path>: <problem>" ("$.victims[0].count.precision: 'roughly' is not one of [...]"); [] when
    valid. ``root`` supplies the $defs a sub-schema refers to; ``path`` prefixes every path."""
    if schema is None:
        validator = _record_validator()
    else:
        if root is not None and root is not schema:
            schema = {**schema, "$defs": root.get("$defs", {})}
        validator = Draft202012Validator(schema)
    errors = []
    for e in validator.iter_errors(instance):
        where = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        # the two messages callers match on keep the key's name up front
        if e.validator == "required":
            errors += [f"{where}: missing required key {k!r}" for k in e.validator_value if k not in e.instance]
        elif e.validator == "additionalProperties" and e.validator_value is False:
            allowed = set(e.schema.get("properties", {}))
            errors += [f"{where}: unexpected key {k!r}" for k in e.instance if k not in allowed]
        else:
            errors.append(f"{where}: {e.message}")
    return errors


__all__ = ["build_record", "extract", "extract_many", "get_pipeline", "validate", "load_schema",
           "group_mentions", "build_victims", "complete_hedges", "build_responses", "locative_after", "place_state",
           "mention_key",
           "SCHEMA_VERSION"]
