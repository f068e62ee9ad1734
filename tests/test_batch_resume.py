"""Resume keyed on the input row: a corrupt line in the middle of the output, a real kill -9 in a
subprocess, and merging shards (a missing or unfinished shard is an error, not a partial merge)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from incident_roles.serving.batch import merge_outputs, run_batch
from incident_roles.serving.cli import main

from test_batch import GOOD, _lines  # noqa: E402  (the same five reports and JSONL reader)


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    rows = [{"id": f"r{k}", "text": t} for k, t in enumerate(GOOD)] + [{"id": "r1", "text": GOOD[0]}]
    return _write_jsonl(tmp_path / "corpus.jsonl", rows)  # "r1" twice: rows 1 and 5


def test_corrupt_middle_line_keeps_the_good_lines_after_it(tiny_model, corpus, tmp_path, caplog):
    out = tmp_path / "out.jsonl"
    run_batch(str(tiny_model), corpus, out, batch_size=2, progress=False)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][:25] + "\n"  # a torn write with good lines after it
    out.write_text("".join(lines), encoding="utf-8")
    again = run_batch(str(tiny_model), corpus, out, batch_size=2, progress=False)
    assert again["skipped_done"] == 5 and again["written"] == 1
    assert sorted(l["row"] for l in _lines(out)) == list(range(6))  # every line parses, each row once
    assert f"{out}: line 2" in caplog.text


# `python -m incident_roles batch ...` with a model slowed to 50 ms a call, so that a kill lands midway
SLOW_BATCH = ("import sys, time; import incident_roles.serving.predict as p; f = p.predict_spans; "
              "p.predict_spans = lambda *a, **k: (time.sleep(0.05), f(*a, **k))[1]; "
              "from incident_roles.serving.cli import main; sys.exit(main(sys.argv[1:]))")


def test_kill_9_midway_then_rerun_gives_every_row_exactly_once(tiny_model, tmp_path, capsys):
    n = 30
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", [{"id": "same", "text": GOOD[k % 5]} for k in range(n)])
    out = tmp_path / "out.jsonl"
    args = ["batch", "--model", str(tiny_model), "--input", str(corpus), "--output", str(out),
            "--batch-size", "1", "--no-progress"]
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BATCH, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out.exists() and out.read_bytes().count(b"\n") >= 3):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert 3 <= out.read_bytes().count(b"\n") < n  # killed midway
    assert main(args) == 0  # the same command again, in process to save a second start-up
    assert json.loads(capsys.readouterr().out)["skipped_done"] >= 3
    assert sorted(l["row"] for l in _lines(out)) == list(range(n))
    assert {l["id"] for l in _lines(out)} == {"same"}


def _shards(model, corpus, tmp_path, **kw):
    outs = [tmp_path / f"out.{k}.jsonl" for k in range(2)]
    for k, out in enumerate(outs):
        run_batch(str(model), corpus, out, batch_size=2, progress=False, shard=f"{k}/2", **kw)
    return outs


def test_merge_keeps_duplicate_ids_and_ignores_error_files(tiny_model, tmp_path):
    corpus = _write_jsonl(tmp_path / "corpus.jsonl",
                          [{"id": "a", "text": GOOD[0]}, {"id": "a", "text": GOOD[1]}, {"id": "b", "text": ""},
                           {"text": GOOD[2]}, {"id": "3", "text": GOOD[3]}])
    _shards(tiny_model, corpus, tmp_path)
    merged = tmp_path / "merged.jsonl"
    paths = sorted(tmp_path.glob("out.*.jsonl"))  # as `merge out.*.jsonl` in a shell: errors files match too
    assert any(p.name.endswith(".errors.jsonl") for p in paths)
    assert merge_outputs(paths, merged)["records"] == 4
    assert [(l["row"], l["id"]) for l in _lines(merged)] == [(0, "a"), (1, "a"), (3, "3"), (4, "3")]


def test_merge_fails_on_a_missing_or_unfinished_shard(tiny_model, corpus, tmp_path):
    outs = _shards(tiny_model, corpus, tmp_path)
    merged = tmp_path / "merged.jsonl"
    with pytest.raises(ValueError, match=r"missing shard 1/2"):
        merge_outputs([outs[0]], merged)
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope.jsonl")):
        merge_outputs([outs[0], tmp_path / "nope.jsonl"], merged)
    assert not merged.exists()
    outs[1].unlink()
    run_batch(str(tiny_model), corpus, outs[1], batch_size=1, progress=False, shard="1/2", stop_after=1)
    with pytest.raises(ValueError, match=rf"{outs[1].name}: unfinished"):
        merge_outputs(outs, merged)
    assert not merged.exists()
