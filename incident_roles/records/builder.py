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
from pathlib import Path

from incident_roles.records.victims import normalise_count, victim_kind
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


def mention_key(mention: str) -> str:
    """The grouping key of a mention that names no state: lower case, without a leading determiner or
    hedge, a trailing possessive, quotes or a plural -s ("the Jaish al-Adl's" -> "jaish al-adl")."""
    words = re.sub(r"[\"“”‘’']s?\b(?=\s|$)", "", mention.replace("\u2019", "'")).lower().split()
    while words and (words[0] in DETERMINERS or words[0] in HEDGES):
        words = words[1:]
    key = " ".join(words).strip(" \"“”'.,")
    return re.sub(r"(?<=[a-z]{3})s$", "", key)


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


def group_mentions(text: str, spans: list[dict], with_place: bool = False) -> list[dict]:
    """Attacker or target mentions grouped by the state they name or stand for, else by their key.

    Each group: name (the state, else the most frequent mention), state (or null), score (the best
    mention's), mentions (each with text, start, end, score), and for targets the places found."""
    groups: dict[str, dict] = {}
    for s in sorted(spans, key=lambda s: s["start"]):
        ev = _evidence(text, s)
        state = canonical_state(ev["text"])
        # a state word names the group only when the mention is the state (or its forces), not when it
        # modifies something else hit ("Pakistani soil" is Pakistan; "Iranian embassy" is the embassy)
        key = ("state:" + state) if state and _is_state_mention(ev["text"], state) else "text:" + mention_key(ev["text"])
        g = groups.setdefault(key, {"name": None, "state": state if key.startswith("state:") else None,
                                    "states_mentioned": [], "score": 0.0, "mentions": []})
        g["mentions"].append(ev)
        g["score"] = max(g["score"], ev["score"])
        if state and state not in g["states_mentioned"]:
            g["states_mentioned"].append(state)
        if with_place:
            place = locative_after(text, s["end"])
            if place:
                g.setdefault("places", [])
                if place["text"] not in [p["text"] for p in g["places"]]:
                    g["places"].append(place)
    out = []
    for g in groups.values():
        if g["state"]:
            g["name"] = g["state"]
        else:
            counts = Counter(m["text"] for m in g["mentions"])
            g["name"] = max(counts, key=lambda t: (counts[t], len(t)))
        if with_place:
            g.setdefault("places", [])
        out.append(g)
    out.sort(key=lambda g: (-len(g["mentions"]), g["mentions"][0]["start"]))
    return out


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


def build_victims(text: str, spans: list[dict]) -> list[dict]:
    """Each VICTIM_COUNT span with its normalised count and what happened to the people counted."""
    spans = sorted(spans, key=lambda s: s["start"])
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
    built pipeline (or an OnnxTagger) is returned as is."""
    if not isinstance(model, (str, Path)):
        return model
    key = str(Path(model).resolve()) + repr(sorted(kwargs.items()))
    if key not in _PIPELINES:
        from incident_roles.serving.predict import load_pipeline

        _PIPELINES[key] = load_pipeline(model, **kwargs)
    return _PIPELINES[key]


def extract_many(texts, model="models/minilm", batch_size: int = 8, ids=None, **kwargs) -> list[dict]:
    """Records for several texts, tagged in batches."""
    from incident_roles.serving.predict import predict_spans

    texts = list(texts)
    ids = list(ids) if ids is not None else [None] * len(texts)
    pipe = get_pipeline(model, **kwargs)
    spans = predict_spans(pipe, texts, batch_size=batch_size)
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


def validate(instance, schema: dict | None = None, path: str = "$", root: dict | None = None) -> list[str]:
    """Errors of ``instance`` against the JSON schema subset schema.json uses (type, enum,
    properties, required, additionalProperties, items, minimum, $ref to #/$defs, anyOf); [] when valid.
    Hand-written so the package needs no jsonschema dependency."""
    schema = load_schema() if schema is None else schema
    root = schema if root is None else root
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref!r}")
        return validate(instance, root["$defs"][ref.split("/")[-1]], path, root)
    errors: list[str] = []
    if "anyOf" in schema:
        if all(validate(instance, s, path, root) for s in schema["anyOf"]):
            errors.append(f"{path}: matches none of anyOf")
        return errors
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        checks = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
                  "string": lambda v: isinstance(v, str), "null": lambda v: v is None,
                  "boolean": lambda v: isinstance(v, bool),
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not any(checks[t](instance) for t in types):
            return [f"{path}: expected {'/'.join(types)}, got {type(instance).__name__}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} not in {schema['enum']}")
    if "minimum" in schema and isinstance(instance, (int, float)) and instance < schema["minimum"]:
        errors.append(f"{path}: {instance} < minimum {schema['minimum']}")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing required key {key!r}")
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], f"{path}.{key}", root)
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected key {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += validate(value, schema["additionalProperties"], f"{path}.{key}", root)
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            errors += validate(item, schema["items"], f"{path}[{i}]", root)
    return errors


__all__ = ["build_record", "extract", "extract_many", "get_pipeline", "validate", "load_schema",
           "group_mentions", "build_victims", "build_responses", "locative_after", "mention_key",
           "SCHEMA_VERSION"]
