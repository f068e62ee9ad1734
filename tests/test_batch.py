"""Batch inference: JSONL/CSV/Parquet through datasets, bad rows reported and skipped, resume without
loss or duplicates, and sharding across two processes."""
import json
import subprocess
import sys

import pytest

from incident_roles.serving.batch import (check_text, iter_rows, merge_outputs, parse_shard, repair_and_read_done,
                                  run_batch)
from incident_roles.records.builder import validate

GOOD = ["Iranian forces struck bases in Baluchistan, killing two children.",
        "Pakistan recalled its ambassador from Tehran.",
        "Gunmen attacked a border patrol, wounding three.",
        "Britain expelled Libyan diplomats after the shooting.",
        "Turkish warplanes struck Kurdish positions, killing four."]


def _lines(path):
    return [json.loads(l) for l in open(path, encoding="utf-8")]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.jsonl"
    rows = [{"id": f"r{i}", "text": t} for i, t in enumerate(GOOD)]
    rows.insert(2, {"id": "empty", "text": "   "})
    rows.insert(4, {"id": "nontext", "text": 42})
    rows.append({"id": "missing"})
    lines = [json.dumps(r) for r in rows] + ["{not json"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_rows_are_reported_and_skipped(tiny_model, corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = run_batch(str(tiny_model), corpus, out, batch_size=2, progress=False)
    lines = _lines(out)
    assert [l["id"] for l in lines] == [f"r{i}" for i in range(5)]
    assert all(validate(l["record"]) == [] for l in lines)
    errors = {e["id"]: e for e in _lines(str(out) + ".errors.jsonl")}
    assert errors["empty"]["reason"] == "empty text"
    assert errors["nontext"]["reason"] == "text is not a string (int)"
    assert errors["missing"]["reason"] == "missing text"
    assert any(e["reason"].startswith("invalid JSON on line 9") for e in errors.values())
    assert summary["written"] == 5 and summary["errors"] == 4


def test_resume_after_interruption_and_truncated_line(tiny_model, corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    first = run_batch(str(tiny_model), corpus, out, batch_size=2, progress=False, stop_after=1)
    assert first["written"] == 2
    with open(out, "a", encoding="utf-8") as f:  # a write cut off by a kill
        f.write('{"id": "r2", "row": 3, "rec')
    assert repair_and_read_done(out) == {0, 1}  # rows, not ids: ids may repeat
    second = run_batch(str(tiny_model), corpus, out, batch_size=2, progress=False)
    assert second["skipped_done"] == 2
    ids = [l["id"] for l in _lines(out)]
    assert sorted(ids) == [f"r{i}" for i in range(5)] and len(ids) == len(set(ids))
    third = run_batch(str(tiny_model), corpus, out, batch_size=2, progress=False)
    assert third["written"] == 0 and len(_lines(out)) == 5
    assert len(_lines(str(out) + ".errors.jsonl")) == 4  # errors are not repeated either


def test_csv_and_parquet_through_datasets(tiny_model, tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"doc": ["a", "b", "c"], "body": [GOOD[0], "", GOOD[1]]})
    frame.to_csv(tmp_path / "c.csv", index=False)
    frame.to_parquet(tmp_path / "c.parquet")
    for name in ("c.csv", "c.parquet"):
        out = tmp_path / (name + ".out.jsonl")
        summary = run_batch(str(tiny_model), tmp_path / name, out, text_column="body", id_column="doc",
                            progress=False)
        assert [l["id"] for l in _lines(out)] == ["a", "c"], name
        assert summary["errors"] == 1
    with pytest.raises(KeyError, match="no column 'text'"):
        list(iter_rows(tmp_path / "c.parquet"))


def test_sharding_two_processes_then_merge(tiny_model, corpus, tmp_path):
    procs = [subprocess.Popen([sys.executable, "-m", "incident_roles", "batch", "--model", str(tiny_model),
                               "--input", str(corpus), "--output", str(tmp_path / f"out.{i}.jsonl"),
                               "--shard", f"{i}/2", "--batch-size", "2", "--no-progress"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    shard_ids = [{l["id"] for l in _lines(tmp_path / f"out.{i}.jsonl")} for i in range(2)]
    assert shard_ids[0] and shard_ids[1] and not shard_ids[0] & shard_ids[1]
    merged = tmp_path / "merged.jsonl"
    merge_outputs([tmp_path / f"out.{i}.jsonl" for i in range(2)], merged)
    assert [l["id"] for l in _lines(merged)] == [f"r{i}" for i in range(5)]


def test_helpers():
    assert parse_shard("1/4") == (1, 4) and parse_shard(None) == (0, 1)
    for bad in ("4/4", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    assert check_text("ok") is None and check_text(float("nan")) == "missing text"
    with pytest.raises(ValueError, match="unknown corpus format"):
        list(iter_rows(__file__))


def test_clean_jsonl_is_read_through_datasets(tmp_path, caplog):
    path = tmp_path / "clean.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in GOOD[:3]) + "\n", encoding="utf-8")
    rows = list(iter_rows(path))
    assert [r.id for r in rows] == ["0", "1", "2"] and rows[1].text == GOOD[1]
    assert "line by line" not in caplog.text
