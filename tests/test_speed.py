"""The speed benchmark's parts on the tiny model: counts, FLOPs formula, report shape. No timing asserts."""
import json

import pytest


def test_report_of_words_has_exactly_n_words(fixture_records):
    from incident_roles.text import words_of
    from incident_roles.evaluation.speed import report_of_words

    texts = [r["text"] for r in fixture_records]
    assert len(words_of(report_of_words(texts, 120))) == 120
    assert report_of_words(texts, 120).startswith(texts[0][:50])
    assert report_of_words(["two words."], 7) == "two words.\n\ntwo words.\n\ntwo"  # repeated when short
    with pytest.raises(ValueError, match="no words"):
        report_of_words([" "], 3)


def test_flops_per_token_follows_the_documented_formula(tiny_model):
    from transformers import AutoModelForTokenClassification

    from incident_roles.evaluation.speed import model_flops_per_token

    model = AutoModelForTokenClassification.from_pretrained(str(tiny_model))
    c = model.config
    embedding = sum(m.weight.numel() for m in (model.bert.embeddings.word_embeddings,
                                               model.bert.embeddings.position_embeddings,
                                               model.bert.embeddings.token_type_embeddings))
    f = model_flops_per_token(model, n_ctx=100)
    assert f["non_embedding_parameters"] == sum(p.numel() for p in model.parameters()) - embedding
    assert f["flops_per_token"] == 2 * f["non_embedding_parameters"] + 4 * c.num_hidden_layers * 100 * c.hidden_size


def test_training_time_per_epoch_comes_from_the_run(tiny_model):
    from incident_roles.evaluation.speed import training_time_per_epoch

    t = training_time_per_epoch(tiny_model)
    final = [e for e in json.loads((tiny_model / "log_history.json").read_text()) if "train_runtime" in e][-1]
    assert t["epochs"] == final["epoch"] == 3
    assert t["seconds_per_epoch"] == pytest.approx(final["train_runtime"] / 3)


def test_missing_spacy_model_is_reported_not_raised():
    from incident_roles.evaluation.speed import spacy_peer

    peer = spacy_peer(["A text."], (1,), package="no_such_spacy_model_package")
    assert peer["available"] is False and "no_such_spacy_model_package" in peer["reason"]


def test_speed_script_writes_json_and_markdown(tiny_model, fixture_jsonl, tmp_path):
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("speed_script", ROOT / "eval" / "speed.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "res"
    script.main(["--model", str(tiny_model), "--data", str(fixture_jsonl / "train.jsonl"), "--batch-sizes", "1,4",
                 "--latency-runs", "3", "--out", str(out), "--no-publish"])
    result = json.loads((out / "speed.json").read_text())
    assert set(result["batches"]) == {"1", "4"}
    for b in result["batches"].values():
        assert b["words_per_s"] > 0 and b["subtokens_per_s"] > 0 and 0 < b["share_of_matmul"]
        assert b["achieved_flops_per_s"] == pytest.approx(result["flops"]["flops_per_token"] * b["subtokens_per_s"])
    lat = result["latency"]
    assert result["words"] > 100 and lat["runs"] == 3 and lat["words"] == 300 and 0 < lat["p50_seconds"] < 60
    assert result["matmul"]["flops_per_s"] > 0 and result["peak_rss_mib"] > 0
    peer = result["spacy_peer"]
    assert peer["available"], peer.get("reason")  # spaCy and its small model are test dependencies
    if peer["available"]:
        assert set(peer["batches"]) == {"1", "4"}
        assert peer["batches"]["4"]["our_words_per_s_ratio"] == pytest.approx(
            result["batches"]["4"]["words_per_s"] / peer["batches"]["4"]["words_per_s"])
    md = (out / "speed.md").read_text()
    assert md.startswith("`python eval/speed.py --model") and "share of matmul" in md
