"""The record benchmark: the fields compared, their scores on a hand-made case, the script, the gold file,
and the builder's fallback from a target's place to its state (issue "How often is a record right?")."""
import importlib.util
import json
import math
from pathlib import Path

import pytest

from conftest import ROOT
from incident_roles.corpus.markup import parse_markup
from incident_roles.records.benchmark import (blame, compare, group_key, interval, load_gold, record_fields,
                                              score, text_sha1)
from incident_roles.records.builder import build_record, validate


def _spans(markup):
    text, spans = parse_markup(markup)
    return text, [{"start": s.start, "end": s.end, "label": s.label, "score": 0.9} for s in spans]


def _record(markup):
    text, spans = _spans(markup)
    return text, build_record(text, spans)


def _script():
    spec = importlib.util.spec_from_file_location("records_benchmark_script", ROOT / "eval" / "records_benchmark.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


# ---------------------------------------------------------------- the builder: a target's state from its place

def test_a_target_takes_the_state_its_place_lies_in():
    # the guideline's worked example: the positions were hit in northern Iraq, so Iraq was hit
    text, rec = _record("[Turkish](ATTACKER) warplanes struck suspected [Kurdish militant positions](TARGET) in "
                        "northern Iraq overnight, killing [four](VICTIM_COUNT) people.")
    assert validate(rec) == []
    (target,) = rec["targets"]
    assert target["name"] == "Kurdish militant positions"  # the name stays the mention's
    assert target["state"] == "Iraq"
    assert [p["text"] for p in target["places"]] == ["northern Iraq"]
    _, rec = _record("An air strike destroyed a [camp](TARGET) near Sulaymaniyah in the north of Iraq.")
    assert rec["targets"][0]["state"] is None  # the first place names no state and is the only one read
    _, rec = _record("[Israeli](ATTACKER) jets bombed the [headquarters of the group](TARGET) in Beirut's southern "
                     "suburbs on Friday.")
    assert rec["targets"][0]["state"] == "Lebanon"


@pytest.mark.parametrize("markup", [
    # near a border, the site may lie on either side
    "[Gunmen](ATTACKER) attacked a [village](TARGET) near the Iraqi border.",
    # a state named in the mention decides: the embassy is Iran's, wherever it stands
    "[Gunmen](ATTACKER) stormed the [Iranian embassy](TARGET) in Kabul.",
    # "in" opening a clause, not a place
    "[Gunmen](ATTACKER) hijacked the [airliner](TARGET), in which two Palestinian passengers sat.",
    # a demonym modifying an attack, not a place
    "The [commander](TARGET) died in an Israeli air strike on Tuesday.",
    # a place past another state's name locates another clause
    "[Artillery](ATTACKER) shelled [Kinmen](TARGET) in August, and the United States and China met for talks "
    "in Warsaw.",
    # an exclusive economic zone is no territory
    "[Commandos](ATTACKER) boarded the [ship](TARGET) inside Russia's exclusive economic zone.",
])
def test_no_state_from_a_place_that_does_not_say_where_the_target_lies(markup):
    _, rec = _record(markup)
    target = rec["targets"][0]
    assert target["state"] is None, target


# ---------------------------------------------------------------- the fields of a record

REPORT = (
    "[Turkish](ATTACKER) warplanes struck [Kurdish militant positions](TARGET) in northern Iraq overnight, killing "
    "[four](VICTIM_COUNT) people. The toll later rose to [six](VICTIM_COUNT). Baghdad [summoned the Turkish "
    "ambassador](DIPLOMATIC_RESPONSE). The [PKK](ATTACKER) had claimed an attack on a [Turkish border "
    "outpost](TARGET) last week in which [two](VICTIM_COUNT) soldiers died."
)
NEGATIVE = "The champion landed a crushing right hand in the eighth round and the referee did not bother to count."
SEIZURE = (
    "[Iranian](ATTACKER) gunboats seized a [British tanker](TARGET) in the Gulf and detained its [23](VICTIM_COUNT) "
    "crew members. London [summoned Iran's ambassador](DIPLOMATIC_RESPONSE) and [imposed "
    "sanctions](DIPLOMATIC_RESPONSE)."
)


def test_record_fields_of_a_hand_made_report():
    _, rec = _record(REPORT)
    f = record_fields(rec)
    assert f["attacker_states"] == ["Turkey"]
    assert f["attacker_groups"] == ["PKK"]
    assert f["target_states"] == ["Iraq", "Turkey"]  # Iraq from the place, Turkey named in the outpost
    assert f["response_types"] == ["summon_envoy"]
    # the first killed count in reading order stands for the headline toll
    assert f["killed"] == {"text": "four", "value": 4, "min": 4, "max": 4, "precision": "exact"}
    assert f["killed_range"] == {"min": 4, "max": 4}
    assert f["injured"] is None and f["detained"] is None and f["detained_range"] is None
    _, rec = _record(SEIZURE)
    f = record_fields(rec)
    assert (f["attacker_states"], f["target_states"]) == (["Iran"], ["United Kingdom"])
    assert f["detained"]["value"] == 23 and f["response_types"] == ["sanctions", "summon_envoy"]
    assert record_fields(build_record(NEGATIVE, [])) == {
        "attacker_states": [], "attacker_groups": [], "target_states": [], "response_types": [],
        "killed": None, "killed_range": None, "injured": None, "injured_range": None,
        "detained": None, "detained_range": None}


@pytest.mark.parametrize("name, key", [
    ("Jaish al-Adl militants", "jaish al adl"), ("the PKK's fighters", "pkk"), ("Houthis", "houthi"),
    ("Hamas", "hamas"), ("Force 17", "force 17"), ("Kurdish militants", "kurdish"),
    ("Gunmen", None), ("About 50 armed commandos", None), ("unidentified assailants", None),
    ("North Korean army officers", None), ("Government forces", None), ("South", None),
])
def test_group_keys_compare_names_and_leave_out_unnamed_attackers(name, key):
    assert group_key(name) == key


def test_intervals_of_counts():
    assert interval({"value": 4, "min": 4, "max": 4, "precision": "exact"}) == (4, 4)
    assert interval({"value": None, "min": 11, "max": None, "precision": "at_least"}) == (11, math.inf)
    assert interval({"value": None, "min": 24, "max": 99, "precision": "range"}) == (24, 99)
    assert interval(None) is None


# ---------------------------------------------------------------- scores on a hand-made case

def _gold_line(doc_id, markup, **fields):
    """A gold line: the builder's fields from the spans, with the given fields corrected by hand."""
    text, spans = _spans(markup)
    f = record_fields(build_record(text, spans))
    f.update(fields)
    return {"id": doc_id, "text_sha1": text_sha1(text), "fields": f, "group_aliases": {}, "checked": "by hand"}


def _gold():
    six = {"text": "six", "value": 6, "min": 6, "max": 6, "precision": "exact"}
    return [
        # the toll rose from four to six: the headline figure is six, the report states four to six
        _gold_line("r1", REPORT, killed=six, killed_range={"min": 4, "max": 6}),
        _gold_line("r2", NEGATIVE),
        _gold_line("r3", SEIZURE),
    ]


def _data():
    out = []
    for doc_id, markup in (("r1", REPORT), ("r2", NEGATIVE), ("r3", SEIZURE)):
        text, spans = parse_markup(markup)
        out.append({"id": doc_id, "text": text, "spans": [s.as_dict() for s in spans]})
    return out


class StubTagger:
    """Stands in for the token-classification pipeline: per text, fixed (substring, label) entities."""

    def __init__(self, by_text):
        self.by_text = by_text

    def __call__(self, texts, batch_size=8, **kwargs):
        out = []
        for text in texts:
            ents, pos = [], 0
            for sub, label in next((v for k, v in self.by_text.items() if text.startswith(k)), []):
                a = text.index(sub, pos)
                ents.append({"entity_group": label, "score": 0.9, "word": sub.lower(), "start": a, "end": a + len(sub)})
                pos = a + 1
            out.append(ents)
        return out


STUB = StubTagger({
    # misses the PKK, the outpost and the background count
    "Turkish": [("Turkish", "ATTACKER"), ("Kurdish militant positions", "TARGET"), ("four", "VICTIM_COUNT"),
                ("six", "VICTIM_COUNT"), ("summoned the Turkish ambassador", "DIPLOMATIC_RESPONSE")],
    # takes London, which only summoned, for an attacker, and misses the sanctions
    "Iranian": [("Iranian", "ATTACKER"), ("British tanker", "TARGET"), ("23", "VICTIM_COUNT"),
                ("London", "ATTACKER"), ("summoned Iran's ambassador", "DIPLOMATIC_RESPONSE")],
})


def test_scores_of_a_hand_made_case_are_exact():
    result = _script().run(_data(), _gold(), model=STUB)
    model, builder = result["systems"]["model"], result["systems"]["builder on gold spans"]
    f = model["fields"]
    assert (f["attacker_states"]["precision"], f["attacker_states"]["recall"], f["attacker_states"]["f1"]) == (
        0.6667, 1.0, 0.8)  # London taken for the United Kingdom
    assert (f["attacker_groups"]["precision"], f["attacker_groups"]["recall"]) == (0.0, 0.0)  # the PKK missed
    t = f["target_states"]
    assert (t["precision"], t["recall"], t["f1"]) == (1.0, 0.6667, 0.8)
    assert (f["response_types"]["tp"], f["response_types"]["fn"], f["response_types"]["f1"]) == (2, 1, 0.8)
    # four is not the headline figure (six), but lies in the range the report states (four to six)
    assert (f["killed"]["exact"], f["killed"]["in_range"]) == (0.6667, 1.0)
    assert (f["killed"]["exact_with_gold"], f["killed"]["in_range_with_gold"]) == (0.0, 1.0)
    assert f["detained"]["exact"] == 1.0 and f["injured"]["exact"] == 1.0 and f["injured"]["exact_with_gold"] is None
    assert model["all_right"] == 0.3333  # only the negative
    # the builder on the gold spans: only the toll
    assert all(builder["fields"][k]["f1"] == 1.0 for k in ("attacker_states", "attacker_groups", "target_states",
                                                          "response_types"))
    assert builder["fields"]["killed"]["exact"] == 0.6667 and builder["all_right"] == 0.6667
    assert builder["targets"] == {"attacker_states f1 >= 0.9": True, "target_states f1 >= 0.8": True,
                                  "attacker_groups precision >= 0.8": True, "killed exact >= 0.85": False,
                                  "response_types f1 >= 0.85": True}
    # every model error is the tagger's except the toll, which the builder gets wrong from gold spans too
    b = result["blame"]
    assert {k: (v["tagger"], v["builder"]) for k, v in b.items()} == {
        "attacker_states": (1, 0), "attacker_groups": (1, 0), "target_states": (1, 0), "response_types": (1, 0),
        "killed": (0, 1), "injured": (0, 0), "detained": (0, 0)}


def test_group_aliases_map_another_name_of_a_gold_group():
    gold = _gold_line("r", "[Force 17](ATTACKER), a [PLO unit](ATTACKER), was blamed for the [yacht](TARGET) attack.")
    assert gold["fields"]["attacker_groups"] == ["Force 17", "PLO unit"]  # two groups in the record
    gold["fields"]["attacker_groups"] = ["Force 17"]
    assert compare(gold, record_fields(_record(
        "[Force 17](ATTACKER), a [PLO unit](ATTACKER), was blamed for the [yacht](TARGET) attack.")[1]))[
        "attacker_groups"]["spurious"] == ["plo"]
    gold["group_aliases"] = {"Force 17": ["PLO unit"]}
    s = score([gold], {"r": record_fields(_record(
        "[Force 17](ATTACKER), a [PLO unit](ATTACKER), was blamed for the [yacht](TARGET) attack.")[1])})
    assert s["fields"]["attacker_groups"]["precision"] == 1.0 and s["all_right"] == 1.0


def test_a_changed_report_text_or_a_missing_report_is_refused():
    script = _script()
    data, gold = _data(), _gold()
    data[0]["text"] += " More later."
    with pytest.raises(ValueError, match="r1 changed since its gold record was checked"):
        script.run(data, gold)
    with pytest.raises(ValueError, match="1 gold report"):
        script.run(_data()[1:], gold)
    with pytest.raises(ValueError, match="no predicted record"):
        score(gold, {})


# ---------------------------------------------------------------- the script

def _write(tmp_path):
    data, gold = tmp_path / "test.jsonl", tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _data()), encoding="utf-8")
    gold.write_text("".join(json.dumps(g) + "\n" for g in _gold()), encoding="utf-8")
    return data, gold


def test_script_writes_results_with_its_command_first_and_fills_the_readme(tiny_model, tmp_path):
    data, gold = _write(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- records:start -->\nold\n<!-- records:end -->\ntail\n", encoding="utf-8")
    out = tmp_path / "results"
    argv = ["--model", str(tiny_model), "--data", str(data), "--gold", str(gold), "--out", str(out),
            "--readme", str(readme)]
    result = _script().main(argv)
    md = (out / "records.md").read_text(encoding="utf-8")
    assert md.startswith(f"`python eval/records_benchmark.py --model {tiny_model} --data {data}")
    saved = json.loads((out / "records.json").read_text(encoding="utf-8"))
    assert saved["reports"] == 3 and set(saved["systems"]) == {"model", "builder on gold spans"}
    builder = "builder on gold spans"
    assert saved["systems"][builder] == json.loads(json.dumps(result["systems"][builder]))
    assert "tagger" in md and "| killed | exact (all reports) |" in md
    text = readme.read_text(encoding="utf-8")
    assert "\nold\n" not in text and "attacker state F1" in text and text.endswith("<!-- records:end -->\ntail\n")


def test_script_builder_only_and_drafts(tmp_path, capsys):
    data, gold = _write(tmp_path)
    result = _script().main(["--data", str(data), "--gold", str(gold), "--builder-only", "--out", str(tmp_path / "b"),
                             "--no-readme"])
    assert list(result["systems"]) == ["builder on gold spans"]
    lines = gold.read_text().splitlines()
    gold.write_text("\n".join(lines[:1]) + "\n")
    _script().main(["--data", str(data), "--gold", str(gold), "--draft", str(tmp_path / "drafts.jsonl")])
    drafts = [json.loads(x) for x in (tmp_path / "drafts.jsonl").read_text().splitlines()]
    assert [d["id"] for d in drafts] == ["r2", "r3"] and drafts[0]["checked"].startswith("DRAFT")
    with pytest.raises(SystemExit):
        _script().main(["--data", str(data), "--gold", str(gold)])  # no model, no --builder-only


# ---------------------------------------------------------------- the gold file

def test_the_gold_file_holds_one_checked_record_per_test_report():
    from incident_roles.corpus.reports import read_reports
    from incident_roles.corpus.split import split_of

    reports, errors = read_reports(sorted((ROOT / "data" / "reports").glob("*.txt")))
    assert not errors
    test = {r.id: r for r in reports if split_of(r.incident) == "test"}
    gold = load_gold(ROOT / "data" / "records_gold.jsonl")
    assert sorted(g["id"] for g in gold) == sorted(test), "one gold record per test-split report"
    for g in gold:
        assert g["text_sha1"] == text_sha1(test[g["id"]].text), f"{g['id']}: text changed since it was checked"
        assert g["checked"] and not g["checked"].startswith("DRAFT"), g["id"]
        f = g["fields"]
        for k in ("killed", "injured", "detained"):
            assert (f[k] is None) == (f[k + "_range"] is None), (g["id"], k)
            if f[k]:
                lo, hi = interval(f[k])
                rng = f[k + "_range"]
                assert rng["min"] <= lo and (rng["max"] is None or hi <= rng["max"]), (g["id"], k)
        if test[g["id"]].meta.get("type") == "negative":
            assert not any(f[k] for k in f), g["id"]
