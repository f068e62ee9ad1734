"""Incident records: built from spans without a model, valid against the shipped JSON schema, and the
same through extract() with a (tiny) model."""
import json

import pytest

from incident_roles.corpus.markup import parse_markup
from incident_roles.records.builder import (build_record, extract, get_pipeline, load_schema, locative_after,
                                    mention_key, validate)

# The facts of the two seed reports (../shared/seeds), retold in the project's own words and marked the
# way the guideline marks them.
SEED_A = (
    "Islamabad said on Wednesday that it was [recalling its ambassador to Iran](DIPLOMATIC_RESPONSE), "
    "[suspending all bilateral engagements with Tehran](DIPLOMATIC_RESPONSE), after a night-time cross-border "
    "strike by [Iranian security forces](ATTACKER).\n"
    "Iran said missiles and drones of the [paramilitary Islamic Revolutionary Guard Corps](ATTACKER) had wiped "
    "out [bases of an anti-Iran militant group](TARGET) in the hills: [Jaish al-Adl](TARGET), also known as "
    "the [Army of Justice](TARGET), in the Pakistani province of Baluchistan.\n"
    "According to the spokeswoman, [two](VICTIM_COUNT) children died and [several](VICTIM_COUNT) other "
    "civilians were hurt.\n"
    "Pakistan would [recall its ambassador from Iran](DIPLOMATIC_RESPONSE), and Iran's envoy, away in Tehran "
    "at the time, [may not return for the time being](DIPLOMATIC_RESPONSE). Islamabad also "
    "[suspended all high-level visits](DIPLOMATIC_RESPONSE) between the two capitals.\n"
    "In December [Jaish al-Adl](ATTACKER) had said it carried out a raid that killed "
    "[around a dozen](VICTIM_COUNT) Iranian policemen close to the border."
)
SEED_B = (
    "On Wednesday Pakistan [recalled its ambassador from Tehran](DIPLOMATIC_RESPONSE) and "
    "[expelled Iran's ambassador](DIPLOMATIC_RESPONSE) over [Iranian](ATTACKER) air strikes on [Pakistani soil](TARGET).\n"
    "The [Iranian](ATTACKER) strikes of Tuesday left [two](VICTIM_COUNT) children dead and "
    "[three](VICTIM_COUNT) girls injured.\n"
    "The Iranian envoy, now in Iran, [will not be allowed to return](DIPLOMATIC_RESPONSE) to Islamabad, and "
    "the cabinet chose to [suspend all high-level visits](DIPLOMATIC_RESPONSE).\n"
    "Iranian state media said the strike hit the [Pakistani headquarters of the jihadist group](TARGET) "
    "of [Jaish al-Adl](TARGET) in Balochistan province.\n"
    "[Jaish al-Adl](ATTACKER) had claimed the December raid on a police station in Rasq, where "
    "[at least 11](VICTIM_COUNT) officers died."
)

def _record(markup, **kw):
    text, spans = parse_markup(markup)
    spans = [{"start": s.start, "end": s.end, "label": s.label, "score": 0.9} for s in spans]
    return text, build_record(text, spans, **kw)


@pytest.mark.parametrize("markup, injured", [(SEED_A, "several"), (SEED_B, 3)])
def test_seed_records_meet_the_issue(markup, injured):
    text, rec = _record(markup, doc_id="seed")
    assert validate(rec) == []
    attackers = {g["name"]: g for g in rec["attackers"]}
    assert "Iran" in attackers and attackers["Iran"]["state"] == "Iran"
    assert "Jaish al-Adl" in attackers  # the background raid
    target_names = [g["name"] for g in rec["targets"]]
    assert "Jaish al-Adl" in target_names
    places = [p["text"] for g in rec["targets"] for p in g["places"]]
    assert any("Balu" in p or "Balo" in p for p in places), places
    assert rec["victim_summary"]["killed"][0] == 2
    assert rec["victim_summary"]["injured"] == [injured]
    types = [r["type"] for r in rec["responses"]]
    assert "recall_envoy" in types and "suspend_visits_talks" in types
    assert "bar_envoy_return" in types
    for r in rec["responses"]:
        assert r["cameo"] and r["plover"]


def test_revolutionary_guards_group_under_iran_with_their_evidence():
    text, rec = _record(SEED_A)
    iran = next(g for g in rec["attackers"] if g["name"] == "Iran")
    assert [m["text"] for m in iran["mentions"]] == ["Iranian security forces",
                                                    "paramilitary Islamic Revolutionary Guard Corps"]
    for m in iran["mentions"]:
        assert text[m["start"]:m["end"]] == m["text"] and m["score"] == 0.9


def test_every_field_has_offsets_into_the_text():
    text, rec = _record(SEED_B)
    evidence = [m for f in ("attackers", "targets") for g in rec[f] for m in g["mentions"]]
    evidence += rec["victims"] + rec["responses"]
    assert evidence
    for e in evidence:
        assert text[e["start"]:e["end"]] == e["text"]


def test_duplicates_are_dropped_and_bad_spans_named():
    text = "Iranian forces struck."
    spans = [{"start": 0, "end": 14, "label": "ATTACKER"}] * 2
    rec = build_record(text, spans)
    assert len(rec["attackers"]) == 1 and len(rec["attackers"][0]["mentions"]) == 1
    with pytest.raises(ValueError, match="unknown label"):
        build_record(text, [{"start": 0, "end": 3, "label": "WEAPON"}])
    with pytest.raises(ValueError, match="outside the text"):
        build_record(text, [{"start": 0, "end": 99, "label": "TARGET"}])
    with pytest.raises(ValueError, match="needs start, end and label"):
        build_record(text, [{"start": 0}])


def test_empty_text_gives_an_empty_valid_record():
    rec = build_record("", [])
    assert rec["attackers"] == [] and rec["victims"] == [] and validate(rec) == []


def test_validator_catches_schema_violations():
    text, rec = _record(SEED_B)
    bad = json.loads(json.dumps(rec))
    bad["victims"][0]["count"]["precision"] = "roughly"
    del bad["responses"][0]["cameo"]
    bad["extra"] = 1
    errors = validate(bad)
    assert any("roughly" in e for e in errors)
    assert any("missing required key 'cameo'" in e for e in errors)
    assert any("unexpected key 'extra'" in e for e in errors)


def test_a_built_record_passes_the_schema_and_a_broken_one_does_not():
    import copy

    import jsonschema  # a dev dependency: validate() is built on it

    _, rec = _record(SEED_A)
    assert rec["victims"], "the seed text has counts to break"
    jsonschema.validate(rec, load_schema())
    assert validate(rec) == []
    broken = copy.deepcopy(rec)
    broken["victims"][0]["count"]["precision"] = "roughly"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, load_schema())
    assert any(e.startswith("$.victims[0].count.precision") for e in validate(broken))


def test_helpers():
    assert mention_key("the Jaish al-Adl's") == "jaish al-adl"
    text = "Strikes destroyed bases in the Pakistani border province of Baluchistan. Later, more."
    place = locative_after(text, text.index(" in the"))
    assert place["text"].endswith("Baluchistan")
    assert locative_after("They hit bases. In Iran, nothing.", 14) is None


def test_extract_with_a_model_gives_a_valid_record_and_caches_the_pipeline(tiny_model):
    text, _ = parse_markup(SEED_B)
    rec = extract(text, model=str(tiny_model))
    assert validate(rec) == [] and rec["text_length"] == len(text)
    # whatever a tiny model tags, every piece of evidence is a slice of the text
    evidence = [m for f in ("attackers", "targets") for g in rec[f] for m in g["mentions"]]
    for e in evidence + rec["victims"] + rec["responses"]:
        assert text[e["start"]:e["end"]] == e["text"] and 0 <= e["score"] <= 1
    assert get_pipeline(str(tiny_model)) is get_pipeline(str(tiny_model))
    with pytest.raises(TypeError, match="must be a string"):
        extract(None, model=str(tiny_model))


def test_package_level_extract(tiny_model):
    import incident_roles

    rec = incident_roles.extract("Iranian forces struck Pakistani soil.", model=str(tiny_model))
    assert rec["schema_version"] == "1.0"
    json.dumps(rec)  # JSON-serialisable


def test_cli_json_one_record_per_file(tiny_model, tmp_path, capsys):
    from incident_roles.serving.cli import main

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Iranian forces struck Pakistani soil, killing two.", encoding="utf-8")
    assert main(["extract", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--model", str(tiny_model)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in records] == ["a", "b"] and all(validate(r) == [] for r in records)
    assert main(["extract", str(tmp_path / "missing.txt"), "--model", str(tiny_model)]) == 2


def test_truncated_response_spans_are_typed_by_their_own_clause():
    from incident_roles.records.builder import build_responses

    text = ("Ruritania is suspending all bilateral engagements with its neighbour, a minister said. Next came "
            "a note ordering out the neighbour's consul and then the recall of the Ruritanian ambassador.")
    spans = [{"start": text.index(t), "end": text.index(t) + len(t), "label": "DIPLOMATIC_RESPONSE"}
             for t in ("suspending all bilateral", "Ruritanian ambassador")]
    assert [r["type"] for r in build_responses(text, spans)] == ["suspend_visits_talks", "recall_envoy"]


def _spans(text, *marked):
    """Spans for (substring, label) pairs, each the first occurrence after the previous one."""
    out, pos = [], 0
    for sub, label in marked:
        a = text.index(sub, pos)
        out.append({"start": a, "end": a + len(sub), "label": label, "score": 0.8})
        pos = a + 1
    return out


def test_an_approximator_alone_is_not_a_count():
    text = ("In December around a dozen police were killed in Rasq. On Tuesday Iranian strikes killed two "
            "children. About 30 were hurt, up to five more abducted.")
    # the tagger cut the hedge off its number ("around" | "a dozen" unmarked), and split "About 30"
    spans = _spans(text, ("around", "VICTIM_COUNT"), ("two", "VICTIM_COUNT"), ("About", "VICTIM_COUNT"),
                   ("30", "VICTIM_COUNT"), ("up to", "VICTIM_COUNT"))
    rec = build_record(text, spans)
    assert rec["victim_summary"]["killed"] == ["around a dozen", 2]
    assert rec["victim_summary"]["injured"] == ["About 30"]
    assert [v["text"] for v in rec["victims"]] == ["around a dozen", "two", "About 30", "up to five"]
    assert rec["victims"][0]["count"] == {"value": 12, "min": None, "max": None, "precision": "about"}
    for v in rec["victims"]:
        assert text[v["start"]:v["end"]] == v["text"]
    assert validate(rec) == []


def test_summary_lists_no_word_that_is_not_a_count():
    text = "Around the border town two soldiers were killed and others were killed later."
    rec = build_record(text, _spans(text, ("Around", "VICTIM_COUNT"), ("two", "VICTIM_COUNT"),
                                    ("and", "VICTIM_COUNT")))
    # "Around" has no number after it and "and" is no count: evidence in victims, not in the summary
    assert rec["victim_summary"] == {"killed": [2]}
    assert "Around" not in [v["text"] for v in rec["victims"]]


def test_validate_uses_the_full_json_schema_and_names_the_field_path():
    _, rec = _record(SEED_B)
    bad = json.loads(json.dumps(rec))
    bad["victims"][0]["count"]["precision"] = "roughly"
    bad["attackers"][0]["mentions"][1]["start"] = -1
    errors = validate(bad)
    assert any(e.startswith("$.victims[0].count.precision:") and "roughly" in e for e in errors), errors
    assert any(e.startswith("$.attackers[0].mentions[1].start:") for e in errors), errors
    # keywords beyond the subset the hand-written checker knew (maxLength, pattern, minItems, const)
    schema = {"type": "object", "properties": {"code": {"type": "string", "maxLength": 3, "pattern": "^[0-9]+$"},
                                               "items": {"type": "array", "minItems": 1},
                                               "v": {"const": "1.0"}}}
    errors = validate({"code": "16x1", "items": [], "v": "2.0"}, schema)
    assert {e.split(":")[0] for e in errors} == {"$.code", "$.items", "$.v"}, errors
    assert validate({"code": "161", "items": [1], "v": "1.0"}, schema) == []


class FakeTokenClassifier:
    """Stands in for transformers' token-classification pipeline (aggregation_strategy="first"): called
    on a list of texts it returns, per text, dicts with entity_group, score, word, start and end.
    Entities are fixed: each (substring, label, score) at its first occurrence after the previous one."""

    def __init__(self, entities):
        self.entities = entities

    def __call__(self, texts, batch_size=8, **kwargs):
        single = isinstance(texts, str)
        out = []
        for text in [texts] if single else texts:
            ents, pos = [], 0
            for sub, label, score in self.entities:
                a = text.find(sub, pos)
                if a < 0:
                    continue
                ents.append({"entity_group": label, "score": score, "word": sub.lower().strip(),
                             "start": a, "end": a + len(sub)})
                pos = a + 1
            out.append(ents)
        return out[0] if single else out


def test_extract_with_a_fixed_pipeline_builds_the_record_of_the_text():
    text, _ = parse_markup(SEED_B)
    pipe = FakeTokenClassifier([
        ("recalled its ambassador from Tehran", "DIPLOMATIC_RESPONSE", 0.91),
        ("expelled Iran's ambassador", "DIPLOMATIC_RESPONSE", 0.88),
        (" Iranian", "ATTACKER", 0.97),           # pipelines may keep the space before a word
        ("Pakistani soil", "TARGET", 0.93),
        ("Iranian", "ATTACKER", 0.95),
        ("two", "VICTIM_COUNT", 0.99), ("three", "VICTIM_COUNT", 0.98),
        ("will not be allowed to return", "DIPLOMATIC_RESPONSE", 0.7),
        ("Jaish al", "TARGET", 0.8), ("-Adl", "TARGET", 0.6),  # one word split in two groups
        ("Jaish al-Adl", "ATTACKER", 0.85), ("at least 11", "VICTIM_COUNT", 0.9),
    ])
    rec = extract(text, model=pipe, doc_id="b")
    assert validate(rec) == [] and rec["id"] == "b" and rec["text_length"] == len(text)
    assert [(g["name"], g["state"], len(g["mentions"])) for g in rec["attackers"]] == [
        ("Iran", "Iran", 2), ("Jaish al-Adl", None, 1)]
    assert rec["attackers"][0]["score"] == 0.97
    assert [(g["name"], g["state"]) for g in rec["targets"]] == [("Pakistan", "Pakistan"), ("Jaish al-Adl", None)]
    assert rec["targets"][1]["mentions"][0]["score"] == 0.6  # a merged word keeps its weakest score
    assert [p["text"] for p in rec["targets"][1]["places"]] == ["Balochistan province"]
    assert [(v["text"], v["kind"]) for v in rec["victims"]] == [("two", "killed"), ("three", "injured"),
                                                               ("at least 11", "killed")]
    assert rec["victim_summary"] == {"killed": [2, "at least 11"], "injured": [3]}
    assert [(r["type"], r["cameo"]) for r in rec["responses"]] == [
        ("recall_envoy", "161"), ("expel_diplomats", "166"), ("bar_envoy_return", "166")]
    evidence = [m for f in ("attackers", "targets") for g in rec[f] for m in g["mentions"]]
    evidence += [p for g in rec["targets"] for p in g["places"]] + rec["victims"] + rec["responses"]
    for e in evidence:
        assert text[e["start"]:e["end"]] == e["text"]
    assert extract("   ", model=pipe)["attackers"] == []  # blank text never reaches the pipeline
