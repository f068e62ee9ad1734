"""How often a record is right: the fields an analyst checks, derived the same way from any record (a
model's, or the builder's on gold spans), and their scores against hand-checked gold records.

    python eval/records_benchmark.py --model models/minilm --data data/processed/test.jsonl

``record_fields(record)`` reduces a record (incident_roles/records/builder.py) to the compared fields;
``score(gold, predicted)`` compares them per field. The gold file, data/records_gold.jsonl, holds one
line per test report: ``{"id", "incident", "text_sha1", "fields", "group_aliases", "checked"}``, where
``fields`` were drafted by ``record_fields`` of the builder's record from the gold spans and then checked
by hand against the report. The definitions are in docs/records.md ("Record benchmark").
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from pathlib import Path

from incident_roles.corpus.jsonl import json_lines
from incident_roles.records.builder import _bare
from incident_roles.records.states import is_state_word
from incident_roles.records.victims import parse_number

SET_FIELDS = ("attacker_states", "attacker_groups", "target_states", "response_types")
COUNT_FIELDS = ("killed", "injured", "detained")
FIELDS = SET_FIELDS + COUNT_FIELDS

# Targets of the issue ("How often is a record right?"), on the test split.
TARGETS = {
    ("attacker_states", "f1"): 0.90,
    ("target_states", "f1"): 0.80,
    ("attacker_groups", "precision"): 0.80,
    ("killed", "exact"): 0.85,
    ("response_types", "f1"): 0.85,
}

# Words that describe an attacker by its role or manner, not by a name: a group named only by them
# ("gunmen", "unidentified assailants", "a suicide bomber") has no canonical name and is not counted.
_GENERIC = set("""
unidentified unknown masked armed suspected alleged presumed heavily several some two three four five six
seven eight nine ten dozen dozens hundreds scores many few other others
gunman gunmen man men attacker attackers assailant assailants militant militants rebel rebels terrorist
terrorists bomber bombers suicide hijacker hijackers kidnapper kidnappers raider raiders pirate pirates
commando commandos guerrilla guerrillas fighter fighters force forces group groups member members
insurgent insurgents militia militias militiaman militiamen operative operatives squad squads cell cells
unit units wing faction factions movement organisation organization organisations organizations
brigade brigades soldier soldiers troop troops agent agents killer killers assassin assassins
separatist separatists extremist extremists jihadist jihadists loyalist loyalists supporter supporters
activist activists infiltrator infiltrators intruder intruders sniper snipers crew crews
about around nearly almost approximately roughly more than over least up
crowd crowds protester protesters demonstrator demonstrators rioter rioters mob mobs student students
supporter supporters youth youths people resident residents villager villagers thousands
officer officers official officials personnel government governments authorities regime
north south east west northern southern eastern western
president prime minister colonel general lieutenant captain major sergeant commander chief leader king
prince sheikh ayatollah dr mr mrs former late
""".split())
_WORD_BEFORE_NUMBER = {"about", "around", "nearly", "almost", "some", "over", "than", "least", "up", "approximately",
                       "roughly", "all", "the", "and"}
_CONNECT = {"al", "el", "ul", "ad", "ar", "as", "an", "ash", "at", "az", "bin", "ibn", "of", "the", "for",
            "and", "de", "del", "la", "le", "wa", "e", "i"}


def _singular(word: str) -> str:
    return re.sub(r"(?<=[a-z]{3})(?<![asu])s$", "", word)  # "houthis" -> "houthi"; "hamas", "abbas" stay


def group_key(name: str) -> str | None:
    """The comparison key of a non-state group's name, or None when the group has no name.

    The key is the group's capitalised words (with connectors such as ``al`` or ``of`` between them, and
    a number after a name: "Force 17"), lower-cased, the last one singular, without role words and state
    words: "Jaish al-Adl militants" -> "jaish al adl", "the PKK's fighters" -> "pkk", "Kurdish
    militants" -> "kurdish", "Houthis" -> "houthi". A name with no capitalised word other than role
    words and state words is no group name: None ("Gunmen", "unidentified assailants", "Thousands of
    protesters", "North Korean army officers": the last is a state's organ the builder did not see)."""
    words = re.findall(r"[^\W_]+", _bare(name).replace("\u2019", "'"))
    state_words = set()  # state names of several words too: "North Korean", "United States"
    for i in range(len(words)):
        for n in range(min(4, len(words) - i), 0, -1):
            if is_state_word(" ".join(words[i:i + n])):
                state_words.update(range(i, i + n))
                break
    keep: list[str] = []
    pending: list[str] = []  # connectors kept only between two kept words
    for i, w in enumerate(words):
        low = w.lower()
        if w[:1].isdigit() and i and words[i - 1][:1].isupper() and i - 1 not in state_words \
                and words[i - 1].lower() not in _WORD_BEFORE_NUMBER:  # "Force 17", "Unit 29155", not "About 50"
            if not keep or keep[-1] != words[i - 1].lower():
                keep.append(words[i - 1].lower())
            keep.append(low)
            pending = []
        elif low in _GENERIC or parse_number(low) is not None or i in state_words:
            pending = []
        elif w[:1].isupper():
            keep += pending + [low]
            pending = []
        elif low in _CONNECT and keep:
            pending.append(low)
        else:
            pending = []
    if not keep:
        return None
    return " ".join(keep[:-1] + [_singular(keep[-1])])


def target_state(group: dict) -> str | None:
    """The state a target group stands for: its state, else the one state named inside its mentions
    (whose embassy, ship, aircraft or nationals: "Iranian embassy" -> Iran). The builder's ``state``
    already falls back to the state of the place the target lies in ("a camp in northern Iraq")."""
    if group.get("state"):
        return group["state"]
    mentioned = group.get("states_mentioned") or []
    return mentioned[0] if len(mentioned) == 1 else None


def _count(victim: dict | None) -> dict | None:
    if victim is None:
        return None
    c = victim["count"]
    return {"text": victim["text"], "value": c["value"], "min": c["min"], "max": c["max"],
            "precision": c["precision"]}


def interval(count: dict | None) -> tuple[float, float] | None:
    """The numbers a count allows: exact and about n -> [n, n]; at least n -> [n, inf]; at most n ->
    [0, n]; a range -> [min, max]; several -> [2, inf]; no number -> None."""
    if not count:
        return None
    p = count["precision"]
    if p in ("exact", "about"):
        return (count["value"], count["value"]) if count["value"] is not None else None
    lo = count.get("min")
    hi = count.get("max")
    if lo is None and hi is None:
        return None
    return (lo if lo is not None else 0, hi if hi is not None else math.inf)


def record_fields(record: dict) -> dict:
    """The compared fields of a record (docs/records.md, "Record benchmark"):

    - ``attacker_states``: the states of the attacker groups that are a state or its organs;
    - ``attacker_groups``: the names of the other attacker groups that have a name (``group_key`` is not
      None), each the group's name as the builder gives it, or where that is generic ("rebels") its most
      frequent named mention ("Simba rebels");
    - ``target_states``: ``target_state`` of every target group;
    - ``killed``, ``injured``, ``detained``: the first count of that kind in reading order (the
      headline incident's toll, as the PLOVER ``size`` takes it), with ``<kind>_range``, the numbers it
      allows, {"min", "max"} (max null when open);
    - ``response_types``: the canonical ``type`` of every response.
    Sets are sorted lists."""
    groups = {}
    for g in record.get("attackers", []):
        if g.get("state"):
            continue
        # the group's name, or where that is generic ("rebels") the most frequent named mention ("Simba rebels")
        keys = Counter(k for m in g["mentions"] if (k := group_key(m["text"])))
        if group_key(g["name"]):
            groups.setdefault(group_key(g["name"]), g["name"])
        elif keys:
            key = max(keys, key=lambda k: (keys[k], len(k)))
            groups.setdefault(key, next(_bare(m["text"]) for m in g["mentions"] if group_key(m["text"]) == key))
    fields = {
        "attacker_states": sorted({g["state"] for g in record.get("attackers", []) if g.get("state")}),
        "attacker_groups": sorted(groups.values()),
        "target_states": sorted({s for g in record.get("targets", []) if (s := target_state(g))}),
        "response_types": sorted({r["type"] for r in record.get("responses", [])}),
    }
    for kind in COUNT_FIELDS:
        first = next((v for v in record.get("victims", [])
                      if v["kind"] == kind and v["count"]["precision"] != "unknown"), None)
        fields[kind] = _count(first)
        span = interval(fields[kind])
        fields[kind + "_range"] = None if span is None else {
            "min": span[0], "max": None if span[1] == math.inf else span[1]}
    return fields


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load_gold(path: str | Path) -> list[dict]:
    """The gold lines, each checked for its keys; errors name the file and line."""
    path = Path(path)
    out = []
    for n, g in json_lines(path):  # invalid JSON: MarkupError (a ValueError) naming file and line
        missing = [k for k in ("id", "fields") if k not in g] + [
            f"fields.{f}" for f in FIELDS if f not in g.get("fields", {})]
        if missing:
            raise ValueError(f"{path}:{n}: missing {', '.join(missing)}")
        out.append(g)
    return out


# ---------------------------------------------------------------- scoring

def _alias_map(gold: dict) -> dict[str, str]:
    """group_key -> canonical gold name, for the gold names and their aliases of one report."""
    out = {}
    for name in gold["fields"]["attacker_groups"]:
        for alias in [name, *gold.get("group_aliases", {}).get(name, [])]:
            key = group_key(alias)
            if key:
                out.setdefault(key, name)
    return out


def _as_set(fields: dict, field: str, aliases: dict[str, str]) -> set:
    if field != "attacker_groups":
        return set(fields[field])
    return {aliases.get(group_key(n), group_key(n)) for n in fields[field] if group_key(n)}


def _same_count(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return all(a[k] == b[k] for k in ("value", "min", "max", "precision"))


def _in_range(pred: dict | None, gold_range: dict | None) -> bool:
    """Whether the numbers ``pred`` allows lie within the range the report states (gold ``<kind>_range``)."""
    if pred is None or gold_range is None:
        return pred is None and gold_range is None
    span = interval(pred)
    if span is None:
        return False
    hi = math.inf if gold_range["max"] is None else gold_range["max"]
    return gold_range["min"] <= span[0] and span[1] <= hi


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0 if not fn else 0.0
    r = tp / (tp + fn) if tp + fn else 1.0 if not fp else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def compare(gold: dict, pred_fields: dict) -> dict:
    """Per field, how one predicted record differs from its gold record: for sets the missed and
    spurious items, for counts whether exact and whether within the stated range."""
    aliases = _alias_map(gold)
    g_fields = gold["fields"]
    out = {}
    for f in SET_FIELDS:
        g, p = _as_set(g_fields, f, aliases), _as_set(pred_fields, f, aliases)
        out[f] = {"missed": sorted(g - p), "spurious": sorted(p - g), "tp": len(g & p)}
    for f in COUNT_FIELDS:
        out[f] = {"exact": _same_count(pred_fields[f], g_fields[f]),
                  "in_range": _in_range(pred_fields[f], g_fields.get(f + "_range")),
                  "gold": g_fields[f] and g_fields[f]["text"], "predicted": pred_fields[f] and pred_fields[f]["text"]}
    out["all_right"] = all(not (out[f]["missed"] or out[f]["spurious"]) for f in SET_FIELDS) and all(
        out[f]["exact"] for f in COUNT_FIELDS)
    return out


def score(gold: list[dict], predicted: dict[str, dict]) -> dict:
    """Scores of predicted fields (report id -> ``record_fields``) against the gold lines: per set
    field micro precision, recall and F1 over all reports (a report's items are its set after
    canonical names); per count field the share of reports exactly right and within the stated range,
    over all reports and over those with a gold figure; the share of records entirely right."""
    missing = [g["id"] for g in gold if g["id"] not in predicted]
    if missing:
        raise ValueError(f"no predicted record for {len(missing)} gold report(s): {', '.join(missing[:10])}")
    per_doc = {g["id"]: compare(g, predicted[g["id"]]) for g in gold}
    result: dict = {"reports": len(gold), "fields": {}}
    for f in SET_FIELDS:
        tp = sum(d[f]["tp"] for d in per_doc.values())
        fp = sum(len(d[f]["spurious"]) for d in per_doc.values())
        fn = sum(len(d[f]["missed"]) for d in per_doc.values())
        result["fields"][f] = _prf(tp, fp, fn)
    n = len(gold) or 1
    for f in COUNT_FIELDS:
        with_gold = [g["id"] for g in gold if g["fields"][f] is not None]
        result["fields"][f] = {
            "exact": round(sum(per_doc[i][f]["exact"] for i in per_doc) / n, 4),
            "in_range": round(sum(per_doc[i][f]["in_range"] for i in per_doc) / n, 4),
            "reports_with_gold": len(with_gold),
            "exact_with_gold": round(sum(per_doc[i][f]["exact"] for i in with_gold) / len(with_gold), 4)
            if with_gold else None,
            "in_range_with_gold": round(sum(per_doc[i][f]["in_range"] for i in with_gold) / len(with_gold), 4)
            if with_gold else None,
        }
    result["all_right"] = round(sum(d["all_right"] for d in per_doc.values()) / n, 4)
    result["targets"] = {f"{f} {m} >= {t}": result["fields"][f][m] >= t for (f, m), t in TARGETS.items()}
    result["per_report"] = per_doc
    return result


def blame(gold: list[dict], model_fields: dict[str, dict], builder_fields: dict[str, dict]) -> dict:
    """Each error of the model's records put on the tagger or the builder: an item the model's record
    misses (or adds, or a count it gets wrong) that the builder's record from the gold spans gets right
    is the tagger's error; one the builder's record from gold spans gets wrong the same way is the
    builder's (perfect tags would not have saved it)."""
    out: dict[str, dict] = {}
    for g in gold:
        m, b = compare(g, model_fields[g["id"]]), compare(g, builder_fields[g["id"]])
        for f in SET_FIELDS:
            row = out.setdefault(f, {"tagger": 0, "builder": 0, "examples": []})
            for kind in ("missed", "spurious"):
                for item in m[f][kind]:
                    who = "builder" if item in b[f][kind] else "tagger"
                    row[who] += 1
                    if len(row["examples"]) < 40:
                        row["examples"].append({"id": g["id"], kind: item, "blame": who})
        for f in COUNT_FIELDS:
            row = out.setdefault(f, {"tagger": 0, "builder": 0, "examples": []})
            if m[f]["exact"]:
                continue
            same = _same_count(model_fields[g["id"]][f], builder_fields[g["id"]][f])
            who = "builder" if not b[f]["exact"] and same else "tagger"
            row[who] += 1
            if len(row["examples"]) < 40:
                row["examples"].append({"id": g["id"], "gold": m[f]["gold"], "predicted": m[f]["predicted"],
                                        "blame": who})
    return out


def format_markdown(result: dict) -> str:
    """The per-field table of one or more systems (``result["systems"]``: name -> ``score`` output)."""
    systems = result["systems"]
    lines = ["| field | metric | " + " | ".join(systems) + " |", "|---|---|" + "---:|" * len(systems)]
    for f in SET_FIELDS:
        for m in ("precision", "recall", "f1"):
            cells = " | ".join(f"{s['fields'][f][m]:.3f}" for s in systems.values())
            lines.append(f"| {f} | set {m} | {cells} |")
    for f in COUNT_FIELDS:
        for m in ("exact", "in_range"):
            lines.append(f"| {f} | {m.replace('_', ' ')} (all reports) | "
                         + " | ".join(f"{s['fields'][f][m]:.3f}" for s in systems.values()) + " |")
            lines.append(f"| {f} | {m.replace('_', ' ')} (reports with a gold figure) | " + " | ".join(
                "n/a" if s["fields"][f][m + "_with_gold"] is None else f"{s['fields'][f][m + '_with_gold']:.3f}"
                for s in systems.values()) + " |")
    lines.append("| record | entirely right | " + " | ".join(f"{s['all_right']:.3f}" for s in systems.values()) + " |")
    return "\n".join(lines)


__all__ = ["record_fields", "group_key", "target_state", "interval", "load_gold", "compare", "score", "blame",
           "format_markdown", "text_sha1", "FIELDS", "SET_FIELDS", "COUNT_FIELDS", "TARGETS"]
