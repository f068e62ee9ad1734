"""The entry scripts as a user runs them."""
import json
import subprocess
import sys

from conftest import ROOT


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_train_script_rejects_unknown_key_naming_it():
    r = run("train/train.py", "--config", "configs/minilm.yaml", "--learnin_rate", "0.1")
    assert r.returncode != 0
    assert "unknown config key 'learnin_rate'" in r.stderr


def test_evaluate_script_scores_any_jsonl(tiny_model, fixture_jsonl, tmp_path):
    out = tmp_path / "scores.json"
    r = run("eval/evaluate.py", "--model", str(tiny_model), "--data", str(fixture_jsonl / "test.jsonl"),
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    scores = json.loads(out.read_text())
    assert scores["documents"] == 4
    assert scores["strict"]["micro"]["support"] == 18
    assert "micro" in r.stdout


def test_evaluate_script_names_a_missing_model(tmp_path, fixture_jsonl):
    r = run("eval/evaluate.py", "--model", str(tmp_path / "nope"), "--data", str(fixture_jsonl / "test.jsonl"))
    assert r.returncode != 0 and "not a saved model folder" in r.stderr
