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


def test_matmul_limits_in_each_precision():
    from incident_roles.evaluation.speed import matmul_flops

    for dtype, product in (("float32", "torch.float32"), ("bfloat16", "torch.bfloat16"), ("int8", "int32")):
        m = matmul_flops(n=128, reps=2, dtype=dtype, threads=1)
        assert m["flops_per_s"] == pytest.approx(2 * 128 ** 3 / m["best_seconds"]) and m["product_dtype"] == product
    assert "MatMulInteger" in matmul_flops(n=64, reps=1, dtype="int8")["kernel"]


def test_time_batches_takes_the_median_and_profiles_the_timed_passes():
    from incident_roles.evaluation.speed import time_batches

    calls, clock = [], {"model": 0.0}

    def run(texts, bs):
        calls.append((len(texts), bs))
        clock["model"] += 1.0
        return len(calls)

    t = time_batches(run, ["a"] * 20, 4, repeats=3, profile=lambda: dict(clock))
    assert calls == [(8, 4)] + [(20, 4)] * 3  # one warm-up on the first texts, then full passes
    assert t["seconds"] == sorted(t["all_seconds"])[1] and t["output"] == 4
    assert t["stages"] == {"model": 1.0}  # per timed pass, the warm-up left out


def test_speed_script_times_every_path_side_by_side(eager_model, fixture_jsonl, tmp_path):
    import importlib.util

    from conftest import ROOT
    from incident_roles.evaluation.publish import results_section

    spec = importlib.util.spec_from_file_location("speed_script", ROOT / "eval" / "speed.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "res"
    paths = ["pytorch-fp32-pipeline", "onnx-int8-pipeline", "lean-torch-fp32", "lean-onnx-int8"]
    script.main(["--model", str(eager_model), "--data", str(fixture_jsonl / "test.jsonl"), "--batch-sizes", "1,4",
                 "--latency-runs", "3", "--repeats", "2", "--paths", ",".join(paths), "--threads", "1",
                 "--onnx-dir", str(tmp_path / "onnx"), "--out", str(out), "--no-publish"])
    result = json.loads((out / "speed.json").read_text())
    assert list(result["paths"]) == paths and (tmp_path / "onnx" / "model.int8.onnx").exists()
    peer = result["spacy_peer"]
    assert peer["available"], peer.get("reason")  # spaCy and its small model are test dependencies
    assert peer["pipes"] == ["ner"] and set(peer["spacy_batches"]) == {"1", "4", "8", "32", "256"}
    assert peer["best_words_per_s"] == max(x["words_per_s"] for x in peer["spacy_batches"].values())
    base = result["paths"]["pytorch-fp32-pipeline"]
    for name, p in result["paths"].items():
        assert set(p["batches"]) == {"1", "4"} and 0 < p["latency"]["p50_seconds"] <= p["latency"]["p95_seconds"]
        limit = result["limits"][p["precision"]]["flops_per_s"]
        for bs, b in p["batches"].items():
            assert len(b["all_seconds"]) == 2 and b["words_per_s"] == pytest.approx(result["words"] / b["seconds"])
            assert b["share_of_limit"] == pytest.approx(b["achieved_flops_per_s"] / limit)
            assert b["ratio_to_spacy"] == pytest.approx(b["words_per_s"] / peer["best_words_per_s"])
            assert b["ratio_to_pytorch"] == pytest.approx(b["words_per_s"] / base["batches"][bs]["words_per_s"])
            assert b["stages_seconds"]["model"] > 0 and sum(b["stages_seconds"].values()) <= b["seconds"] * 1.5
    # the lean loop gives the pipeline's entities, so the same F1 on the gold spans
    assert result["paths"]["lean-torch-fp32"]["f1"] == base["f1"] and 0 < base["f1"]["partial"] <= 100
    c = result["comparison"]
    assert c["fastest_path"] in paths and c["fastest_vs_spacy"] == pytest.approx(
        c["fastest_words_per_s"] / peer["best_words_per_s"])
    assert set(c["int8_vs_pytorch"]) == {"onnx-int8-pipeline", "lean-onnx-int8"}
    assert set(c["largest_batch_not_slower"]) == set(paths)
    md = (out / "speed.md").read_text()
    assert md.startswith("`python eval/speed.py --model") and "median of 2 timed passes" in md
    assert all(f"| {p} |" in md for p in paths) and "## Targets" in md and "x spaCy NER" in md
    assert "words per second" in results_section(out)  # the README's benchmarks section still reads it


def test_fastest_path_must_keep_accuracy():
    from incident_roles.evaluation.speed import compare

    def path(precision, wps, f1):
        return {"precision": precision, "load_seconds": 1, "latency": {}, "best_words_per_s": wps,
                "best_batch_size": 1, "f1": {"strict": f1},
                "batches": {"1": {"words_per_s": wps, "share_of_fp32_matmul": 0.1},
                            "8": {"words_per_s": wps, "share_of_fp32_matmul": 0.1}}}

    result = {"batch_sizes": [1, 8], "spacy_peer": {"available": True, "best_words_per_s": 100.0},
              "paths": {"pytorch-fp32-pipeline": path("fp32", 50, 60.0), "lean-onnx-int8": path("int8", 120, 59.5),
                        "lean-torch-bf16": path("bf16", 300, 58.9)}}
    c = compare(result)
    assert c["fastest_path"] == "lean-onnx-int8"  # bf16 is faster but lost more than a point
    assert c["fastest_vs_spacy"] == 1.2 and not c["meets_spacy_target"]
    assert c["int8_vs_pytorch"] == {"lean-onnx-int8": 2.4} and c["meets_int8_target"]["lean-onnx-int8"]
