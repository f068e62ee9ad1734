"""The rule and linear baselines: guideline-shaped spans, valid BIO, spans inside the text."""
import pytest

WORKED = ("Turkish warplanes struck suspected Kurdish militant positions in northern Iraq overnight, killing "
          "four people, Iraqi officials said. Baghdad summoned the Turkish ambassador and lodged a formal protest, "
          "calling the raid a breach of Iraqi sovereignty. The PKK had claimed an attack on a Turkish border "
          "outpost last week in which two soldiers died. Turkey's foreign ministry said the operation would "
          "continue.")
WORKED_GOLD = {("ATTACKER", "Turkish"), ("TARGET", "Kurdish militant positions"), ("VICTIM_COUNT", "four"),
               ("DIPLOMATIC_RESPONSE", "summoned the Turkish ambassador"),
               ("DIPLOMATIC_RESPONSE", "lodged a formal protest"), ("ATTACKER", "PKK"),
               ("TARGET", "Turkish border outpost"), ("VICTIM_COUNT", "two")}


def _check_spans(text, spans):
    for s in spans:
        assert 0 <= s["start"] < s["end"] <= len(text)
        assert text[s["start"]].isalnum() and text[s["end"] - 1].isalnum()  # rule 4: no edge punctuation
    ordered = sorted(spans, key=lambda s: s["start"])
    assert all(a["end"] <= b["start"] for a, b in zip(ordered, ordered[1:]))  # rule 1: no overlap


def test_rules_tag_the_guideline_worked_example():
    from incident_roles.evaluation.baselines import RuleTagger

    spans = RuleTagger().predict_one(WORKED)
    _check_spans(WORKED, spans)
    assert {(s["label"], WORKED[s["start"]:s["end"]]) for s in spans} == WORKED_GOLD


def test_rules_skip_determiners_hedges_and_non_measures():
    from incident_roles.evaluation.baselines import RuleTagger

    text = "The ministry closed the road after gunmen attacked the alleged arms depot, killing at least 11 guards."
    got = {(s["label"], text[s["start"]:s["end"]]) for s in RuleTagger().predict_one(text)}
    assert ("TARGET", "arms depot") in got and ("VICTIM_COUNT", "at least 11") in got
    assert not any(label == "DIPLOMATIC_RESPONSE" for label, _ in got)  # a road is no diplomatic object


def test_repair_bio_and_tags_to_spans():
    from incident_roles.evaluation.baselines.linear import repair_bio, tags_to_spans

    assert repair_bio(["I-TARGET", "I-TARGET", "O", "B-ATTACKER", "I-TARGET"]) == \
        ["B-TARGET", "I-TARGET", "O", "B-ATTACKER", "B-TARGET"]
    words = [(0, 7), (8, 13), (14, 18), (19, 22)]
    assert tags_to_spans(words, ["B-TARGET", "I-TARGET", "O", "B-VICTIM_COUNT"]) == [
        {"start": 0, "end": 13, "label": "TARGET", "score": 1.0},
        {"start": 19, "end": 22, "label": "VICTIM_COUNT", "score": 1.0}]


def test_viterbi_never_starts_a_span_with_inside():
    import numpy as np

    from incident_roles.evaluation.baselines.linear import viterbi

    classes = ["B-TARGET", "I-TARGET", "O"]
    scores = np.array([[0.0, 5.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 1.0]])  # word scores alone prefer I- first
    path = viterbi(scores, np.zeros((3, 3)), np.zeros(3), classes)
    assert path[0] != "I-TARGET" and path == ["B-TARGET", "I-TARGET", "O"]


def test_linear_learns_the_fixture_and_uses_the_gazetteer(fixture_records):
    from incident_roles.evaluation.baselines import LinearTagger
    from incident_roles.evaluation.baselines.linear import word_features
    from incident_roles.evaluation.metrics import score_documents

    tagger = LinearTagger().fit(fixture_records)
    preds = tagger.predict([r["text"] for r in fixture_records])
    for r, p in zip(fixture_records, preds):
        _check_spans(r["text"], p)
    scores = score_documents([r["spans"] for r in fixture_records], preds)
    assert scores["strict"]["micro"]["f1"] > 0.8  # a linear model can fit its own training reports
    feats = word_features("Iranian drones hit Pakistan")
    assert feats[0].get("state") == 1.0 and feats[1].get("-1:state") == 1.0 and "state" not in feats[1]
    assert tagger.predict([""]) == [[]]


def test_linear_fit_without_words_is_a_clear_error():
    from incident_roles.evaluation.baselines import LinearTagger

    with pytest.raises(ValueError, match="no training words"):
        LinearTagger().fit([{"text": "", "spans": []}])
