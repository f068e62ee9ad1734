"""Grouped k-fold cross-validation: folds keep incidents whole, the summary and verdict are right,
and the benchmark script runs end to end (k=2 on the fixture reports with the tiny BERT)."""
import json

import pytest

from conftest import tiny_config


def test_folds_keep_each_incident_on_one_side(fixture_records):
    from incident_roles.evaluation.crossval import incident_folds

    folds = incident_folds(fixture_records, k=3)
    held_out = sorted(i for _, test in folds for i in test)
    assert held_out == list(range(len(fixture_records)))  # every report held out exactly once
    for train, test in folds:
        train_inc = {fixture_records[i]["incident"] for i in train}
        test_inc = {fixture_records[i]["incident"] for i in test}
        assert not train_inc & test_inc


def test_too_few_incidents_is_a_clear_error(fixture_records):
    from incident_roles.evaluation.crossval import incident_folds

    with pytest.raises(ValueError, match="10 folds need at least 10 incidents; the data has 5"):
        incident_folds(fixture_records, k=10)


def _scores(f1s):
    from incident_roles.evaluation.crossval import ROWS

    return {mode: {row: {"f1": f1s[row]} for row in ROWS} for mode in ("strict", "partial")}


def test_summary_is_mean_and_sample_sd_and_verdict_names_labels():
    from incident_roles.evaluation.crossval import compare, format_markdown, summarize

    rows = ("ATTACKER", "TARGET", "VICTIM_COUNT", "DIPLOMATIC_RESPONSE", "micro")
    ours = [_scores(dict.fromkeys(rows, v)) for v in (0.6, 0.8)]
    summary = summarize(ours)
    assert summary["TARGET"]["strict"]["mean"] == pytest.approx(0.7)
    assert summary["TARGET"]["strict"]["sd"] == pytest.approx(0.1414, abs=1e-4)  # sample sd, ddof=1
    rules = summarize([_scores({**dict.fromkeys(rows, 0.1), "VICTIM_COUNT": 0.9})] * 2)
    linear = summarize([_scores(dict.fromkeys(rows, 0.3))] * 2)
    result = {"summary": {"transformer": summary, "rules": rules, "linear": linear}}
    result["transformer_beats_baselines"] = verdict = compare(result["summary"])
    assert verdict["VICTIM_COUNT"] is False and verdict["ATTACKER"] is True
    table = format_markdown(result)
    assert "| transformer | 0.700 ± 0.141" in table
    assert "does NOT beat both baselines on every label" in table and "VICTIM_COUNT" in table.splitlines()[-1]


def test_benchmark_script_k2_on_fixture(tiny_base, tiny_model, fixture_jsonl, tmp_path):
    import importlib.util

    from conftest import ROOT
    from incident_roles.training.config import to_yaml

    config = tiny_config(tiny_base, fixture_jsonl, tiny_model, **{"data.dev": "", "training.logging_steps": 1})
    path = tmp_path / "cv.yaml"
    path.write_text(to_yaml(config))
    spec = importlib.util.spec_from_file_location("benchmark", ROOT / "eval" / "benchmark.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    out = tmp_path / "results"
    benchmark.main(["--config", str(path), "--folds", "2", "--curve", "0.5", "--out", str(out), "--no-publish"])

    result = json.loads((out / "benchmark.json").read_text())
    assert result["k"] == 2 and result["reports"] == 6
    assert sum(f["test_reports"] for f in result["folds"]) == 6
    assert set(result["summary"]) == {"transformer", "rules", "linear"}
    gold = sum(f["scores"]["rules"]["strict"]["micro"]["support"] for f in result["folds"])
    assert gold == sum(f["scores"]["transformer"]["strict"]["micro"]["support"] for f in result["folds"]) > 0
    sizes = {p["train_reports"] for p in result["learning_curve"] if p["system"] == "transformer"}
    assert len(sizes) == 2 and max(sizes) == result["folds"][0]["train_reports"]
    md = (out / "benchmark.md").read_text()
    assert md.startswith("`python eval/benchmark.py --config") and "| linear |" in md
    for name in ("learning_curve.png", "confusion.png", "loss.png", "errors.md"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "errors.md").read_text().startswith("`python eval/benchmark.py")
    confusion = result["test_split_analysis"]["confusion"]
    assert len(confusion) == 5 and sum(map(sum, confusion)) > 0


def test_publish_fills_model_card_and_marked_readme_only(tmp_path):
    from incident_roles.evaluation.publish import SECTION_END, SECTION_START, publish

    rows = ("ATTACKER", "TARGET", "VICTIM_COUNT", "DIPLOMATIC_RESPONSE", "micro")
    from incident_roles.evaluation.crossval import compare, summarize

    summary = {s: summarize([_scores(dict.fromkeys(rows, v))] * 2) for s, v in
               (("transformer", 0.9), ("rules", 0.2), ("linear", 0.4))}
    out = tmp_path / "results"
    out.mkdir()
    (out / "benchmark.json").write_text(json.dumps({
        "command": "python eval/benchmark.py --config c.yaml", "date": "2026-01-01 00:00 UTC", "k": 5,
        "reports": 9, "summary": summary, "transformer_beats_baselines": compare(summary)}))
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "README.md").write_text("# card\n")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{SECTION_START}\nold figures\n{SECTION_END}\nrest\n")
    other = tmp_path / "other" / "README.md"
    other.parent.mkdir()
    other.write_text("no markers\n")
    assert publish(out, [model / "README.md", readme, other, tmp_path / "missing.md"]) == [model / "README.md", readme]
    card, text = (model / "README.md").read_text(), readme.read_text()
    assert "## Benchmarks" in card and "| transformer | 0.900 ± 0.000" in card
    assert "old figures" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "`python eval/benchmark.py --config c.yaml`, 2026-01-01 00:00 UTC" in text
    assert other.read_text() == "no markers\n"
    publish(out, [model / "README.md"])  # again: replaced in place, not appended twice
    assert (model / "README.md").read_text().count(SECTION_START) == 1


def test_margins_are_chosen_on_held_out_incidents_and_scored_both_ways(tiny_base, fixture_jsonl, tmp_path):
    """With eval.calibrate, each fold model's margins come from a dev carve-out of its training
    incidents, and the fold is scored with and without them (the ablation's margins lever)."""
    from conftest import tiny_config
    from incident_roles.evaluation.crossval import run_crossval

    config = tiny_config(tiny_base, fixture_jsonl, tmp_path / "m", **{"training.num_train_epochs": 1,
                                                                     "eval.calibrate": True})
    result = run_crossval(config, k=2, work_dir=tmp_path / "work", curve_fractions=(), keep_models=True)
    for fold in result["folds"]:
        assert set(fold["margins"]) == {"ATTACKER", "TARGET", "VICTIM_COUNT", "DIPLOMATIC_RESPONSE"}
        assert "micro" in fold["scores_without_margins"]["strict"]
    assert "summary_without_margins" in result
