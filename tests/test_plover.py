"""PLOVER events: an ASSAULT per report and one event per diplomatic response, with the manual's field
names, checked against the shipped schema; built from hand-marked spans (no model) and through the CLI."""
import json
import re
from pathlib import Path

from incident_roles.corpus.markup import parse_markup
from incident_roles.corpus.reports import read_reports
from incident_roles.records.builder import build_record
from incident_roles.records.plover import ISO3, events_jsonl, plover_events, validate_event
from incident_roles.records.states import COUNTRIES
from incident_roles.serving.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
MARKUP = (
    "On Wednesday Pakistan [recalled its ambassador from Tehran](DIPLOMATIC_RESPONSE) and "
    "[expelled Iran's ambassador](DIPLOMATIC_RESPONSE) over [Iranian](ATTACKER) air strikes on "
    "[Pakistani soil](TARGET).\n"
    "The [Iranian](ATTACKER) strikes of Tuesday left [two](VICTIM_COUNT) children dead and "
    "[three](VICTIM_COUNT) girls injured.\n"
    "Iran [summoned Pakistan's chargé d'affaires](DIPLOMATIC_RESPONSE) in Tehran, and Islamabad "
    "[lodged a formal protest](DIPLOMATIC_RESPONSE).\n"
    "The Iranian envoy [will not be allowed to return](DIPLOMATIC_RESPONSE) to Islamabad.\n"
    "In December a raid by [Jaish al-Adl](ATTACKER) had killed [at least 11](VICTIM_COUNT) officers."
)


def _events(markup, doc_id="r1"):
    text, spans = parse_markup(markup)
    record = build_record(text, [{**s.as_dict(), "score": 0.9} for s in spans], doc_id=doc_id)
    return text, plover_events(record, text)


def _dyad(event):
    return [(a["actor_text"], a["code"]) for a in event["actor"]], \
        [(a["actor_text"], a["code"]) for a in event["recipient"]]


def test_assault_with_actor_recipient_size_and_evidence():
    text, events = _events(MARKUP)
    assault = events[0]
    assert (assault["id"], assault["event_type"], assault["link"]) == ("r1-1", "ASSAULT", "r1")
    assert _dyad(assault) == ([("Iranian", "IRN"), ("Jaish al-Adl", None)], [("Pakistani soil", "PAK")])
    assert assault["size"] == {"dead": 2, "injured": 3, "arrested": None}  # the headline toll, not the 11
    info = assault["text_info"]
    assert text[info["start"]:info["end"]] == assault["event_text"] and assault["event_text"].startswith("On Wed")
    assert [e["label"] for e in assault["evidence"]] == ["ATTACKER", "TARGET", "ATTACKER", "VICTIM_COUNT",
                                                         "VICTIM_COUNT", "ATTACKER", "VICTIM_COUNT"]
    for item in assault["evidence"] + assault["actor"] + assault["recipient"]:
        assert text[item["start"]:item["end"]] == item.get("text", item.get("actor_text"))


def test_each_response_is_coded_by_the_cameo_to_plover_mapping_with_its_dyad():
    _, events = _events(MARKUP)
    got = [(e["event_type"], e["mode"], e["cameo"], *_dyad(e)) for e in events[1:]]
    assert got == [
        ("SANCTION", ["withdraw"], "161", [("Pakistan", "PAK")], [("Tehran", "IRN")]),
        ("SANCTION", ["expel"], "166", [("Pakistan", "PAK")], [("Iran's", "IRN")]),
        ("ACCUSE", ["disapprove"], "114", [("Iran", "IRN")], [("Pakistan's", "PAK")]),
        # no state in the protest's clause: the incident's other side
        ("ACCUSE", ["disapprove"], "114", [("Islamabad", "PAK")], [("Iranian", "IRN")]),
        # the envoy as subject: the state before the measure is the recipient, the one after the actor
        ("SANCTION", ["expel"], "166", [("Islamabad", "PAK")], [("Iranian", "IRN")]),
    ]
    assert all(e["context"] == ["diplomatic"] and validate_event(e) == [] for e in events[1:])


def test_a_report_with_only_a_measure_has_no_assault_and_a_court_case_alleges():
    _, events = _events("Cameroon [filed a case against Nigeria at the International Court of Justice]"
                        "(DIPLOMATIC_RESPONSE).", doc_id=None)
    assert [(e["id"], e["event_type"], e["mode"], e["context"]) for e in events] == \
        [("report-1", "ACCUSE", ["allege"], ["diplomatic", "legal"])]
    assert _dyad(events[0]) == ([("Cameroon", "CMR")], [("Nigeria", "NGA")])


def test_the_schema_rejects_what_plover_does_not_allow():
    _, events = _events(MARKUP)
    assault, recall = events[0], events[1]
    assert validate_event({**recall, "mode": ["disapprove"]})[0].startswith("$.mode[0]: 'disapprove' is not one of")
    assert validate_event({k: v for k, v in recall.items() if k != "actor"}) == ["$: missing required key 'actor'"]
    assert validate_event({k: v for k, v in assault.items() if k != "size"}) == ["$: missing required key 'size'"]
    bad_actor = {**recall, "recipient": [{**recall["recipient"][0], "code": "Iran"}]}
    assert validate_event(bad_actor)[0].startswith("$.recipient[0].code: 'Iran' does not match")
    assert validate_event({**assault, "size": {"dead": -1, "injured": None, "arrested": None}})


def test_every_gazetteer_state_has_its_iso_code():
    assert set(ISO3) == set(COUNTRIES)
    codes = [c for c in ISO3.values() if c]
    assert all(re.fullmatch("[A-Z]{3}", c) for c in codes)
    assert len(codes) == len(set(codes)) + 1  # only Germany and West Germany share one (DEU)
    assert (ISO3["Iran"], ISO3["Soviet Union"], ISO3["South Vietnam"]) == ("IRN", "SUN", None)


def test_the_gold_corpus_gives_valid_events_whose_offsets_hold():
    reports, _ = read_reports(sorted((ROOT / "data" / "reports").glob("*.txt")))
    assert len(reports) > 100
    for r in reports:
        record = build_record(r.text, [{**s.as_dict(), "score": 1.0} for s in r.spans], doc_id=r.id)
        for e in plover_events(record, r.text):
            assert validate_event(e) == [], (r.id, e)
            for item in e["actor"] + e["recipient"]:
                assert r.text[item["start"]:item["end"]] == item["actor_text"], (r.id, item)


def test_docs_example_is_what_the_code_writes():
    docs = (ROOT / "docs" / "records.md").read_text(encoding="utf-8")
    section = docs[docs.index("## PLOVER events"):]
    markup = re.search(r"```\n(On .+?)\n```", section, re.S).group(1)
    shown = json.loads(re.search(r"```json\n(.+?)\n```", section, re.S).group(1))
    text, spans = parse_markup(markup)
    record = build_record(text, [{**s.as_dict(), "score": 0.9} for s in spans], doc_id="seed-002-retold")
    written = [json.loads(line) for line in events_jsonl([record], [text]).splitlines()]
    assert shown == written[:2] and len(written) == 3


def test_cli_extract_writes_plover_jsonl(eager_model, tmp_path):
    report = tmp_path / "r7.txt"
    report.write_text(parse_markup(MARKUP)[0], encoding="utf-8")
    out = tmp_path / "events.jsonl"
    assert cli(["extract", str(report), "--model", str(eager_model), "--format", "plover", "--out", str(out)]) == 0
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert events and all(validate_event(e) == [] and e["link"] == "r7" for e in events)
    assert [e["id"] for e in events] == [f"r7-{i}" for i in range(1, len(events) + 1)]
