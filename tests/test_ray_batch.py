"""Corpus inference on Ray Data (local, 2 CPUs): the same lines as the single-process path, bad rows in
the errors file, and an actor killed mid-run restarted without a record lost or written twice."""
import json
import os
import signal
import sys
import time

import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'incident-roles[ray]'")
pytest.importorskip("ray.data")

from incident_roles.serving.batch import merge_outputs, run_batch  # noqa: E402
from incident_roles.serving.ray_batch import RayTagger, run_ray_batch  # noqa: E402

TEXTS = ["Iranian forces struck bases in Baluchistan, killing two children.",
         "Pakistan recalled its ambassador from Tehran.",
         "Gunmen attacked a border patrol, wounding three.",
         "Britain expelled Libyan diplomats after the shooting.",
         "Turkish warplanes struck Kurdish positions, killing four."]


@pytest.fixture(scope="module")
def ray_local():
    # the test classes below live in this module, which Ray workers cannot import: ship them by value
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, object_store_memory=150 * 2**20, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def corpus(tmp_path):
    rows = [{"id": f"r{i}", "text": t} for i, t in enumerate(TEXTS)]
    rows.insert(1, {"id": "blank", "text": "  "})
    rows.insert(3, {"id": "number", "text": 7})
    rows.append({"id": "none"})
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n\n" + json.dumps({"text": TEXTS[0]}) + "\n",
                    encoding="utf-8")
    return path


def test_ray_output_equals_single_process_output(ray_local, eager_model, corpus, tmp_path):
    single, dist = tmp_path / "single.jsonl", tmp_path / "ray.jsonl"
    run_batch(str(eager_model), corpus, single, batch_size=2, progress=False)
    summary = run_ray_batch(str(eager_model), corpus, dist, batch_size=2, actors=2, threads_per_actor=0.5,
                            progress=False)
    expected = _lines(single)
    assert any(line["record"]["attackers"] or line["record"]["responses"] for line in expected)  # not all empty
    assert _lines(dist) == expected  # record for record, in input order, ids kept
    assert _lines(str(dist) + ".errors.jsonl") == _lines(str(single) + ".errors.jsonl")
    assert [e["reason"].split(" on line")[0] for e in _lines(str(dist) + ".errors.jsonl")] == [
        "empty text", "text is not a string (int)", "missing text", "invalid JSON"]
    assert summary["written"] == 6 and summary["errors"] == 4 and summary["rows"] == 10
    assert merge_outputs([dist], tmp_path / "merged.jsonl")["records"] == 6  # done marker written


class StubPipeline:
    """Tags each "struck" as an ATTACKER span: enough to tell records apart, with no model to load."""

    def __call__(self, texts, batch_size=8, **kwargs):
        return [[{"entity_group": "ATTACKER", "score": 0.9, "word": "x", "start": t.find("struck"),
                  "end": t.find("struck") + 6}] if "struck" in t else [] for t in texts]


class KillOnceTagger(RayTagger):
    """Notes each start of an actor in ``marks``, and on its second batch kills its own process (SIGKILL,
    as the kernel's OOM killer would) if it is the first to claim the token file."""

    def __init__(self, model, marks, **kwargs):
        self.pipe, self.marks, self.calls = StubPipeline(), marks, 0
        self.input_path, self.text_column, self.batch_size = kwargs["input_path"], kwargs["text_column"], 4
        open(os.path.join(marks, f"start.{os.getpid()}"), "w").close()

    def __call__(self, batch):
        self.calls += 1
        if self.calls == 2:
            try:
                os.rename(os.path.join(self.marks, "token"), os.path.join(self.marks, f"killed.{os.getpid()}"))
            except FileNotFoundError:
                pass  # someone else was killed already
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return super().__call__(batch)


def test_actor_killed_mid_run_is_restarted_without_loss_or_duplicates(ray_local, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    (marks / "token").touch()
    path = tmp_path / "corpus.csv"
    path.write_text("id,text\n" + "".join(f"d{i},\"Unit {i} struck a post, {i} wounded\"\n" for i in range(40)),
                    encoding="utf-8")
    out = tmp_path / "out.parquet"
    # 10 batches of 4 rows: the kill, on the second, lands mid-run
    summary = run_ray_batch("unused", path, out, batch_size=4, actors=1, block_rows=4, progress=False,
                            tagger_cls=_bind(KillOnceTagger, str(marks)))
    assert not (marks / "token").exists() and len(list(marks.glob("killed.*"))) == 1  # it died once
    assert len(list(marks.glob("start.*"))) >= 2  # and was started again
    import pyarrow.parquet as pq

    table = pq.read_table(out).to_pylist()
    assert [r["row"] for r in table] == list(range(40)) and [r["id"] for r in table] == [f"d{i}" for i in range(40)]
    assert all(json.loads(r["record"])["attackers"][0]["mentions"][0]["text"] == "struck" for r in table)
    assert summary["written"] == 40 and summary["errors"] == 0


def _bind(cls, marks):
    """A subclass of ``cls`` with ``marks`` fixed, since map_batches builds the class from kwargs alone."""
    return type(cls.__name__, (cls,), {"__init__": lambda self, **kw: cls.__init__(self, marks=marks, **kw)})


def test_ray_batch_resumes_a_jsonl_output_without_retagging(ray_local, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"id": f"x{i}", "text": f"Ships struck port {i}."}) + "\n" for i in range(6)),
                    encoding="utf-8")
    out = tmp_path / "o.jsonl"
    out.write_text(json.dumps({"id": "x0", "row": 0, "record": {"kept": True}}) + "\n" + '{"id": "x1", "ro',
                   encoding="utf-8")  # one row done, one line torn by a kill
    summary = run_ray_batch("unused", path, out, actors=1, progress=False,
                            tagger_cls=_bind(KillOnceTagger, str(tmp_path)))
    lines = _lines(out)
    assert lines[0]["record"] == {"kept": True} and sorted(x["row"] for x in lines) == list(range(6))
    assert summary["skipped_done"] == 1 and summary["written"] == 5


def test_cli_batch_engine_ray(ray_local, tiny_model, tmp_path, capsys):
    from incident_roles.serving.cli import main

    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS[:3])),
                    encoding="utf-8")
    out = tmp_path / "o.jsonl"
    # the default 2 actors of 1 CPU take both CPUs: the reader must still run (it claims none)
    assert main(["batch", "--engine", "ray", "--model", str(tiny_model), "--input", str(path),
                 "--output", str(out), "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["written"] == 3
    assert [line["id"] for line in _lines(out)] == ["c0", "c1", "c2"]
    assert main(["batch", "--engine", "ray", "--shard", "0/2", "--model", str(tiny_model), "--input", str(path),
                 "--output", str(out)]) == 2
    assert "--shard: Ray spreads the corpus" in capsys.readouterr().err
    assert main(["batch", "--engine", "ray", "--actors", "3", "--model", str(tiny_model), "--input", str(path),
                 "--output", str(out)]) == 2
    assert "needs 3 CPUs; the Ray cluster has 2" in capsys.readouterr().err


class SlowFirstTagger(KillOnceTagger):
    """Takes 2 s over the batch holding row 0, so that the next batches, on the other actor, finish first."""

    def __call__(self, batch):
        if 0 in batch.column("row").to_pylist():
            time.sleep(2)
        return RayTagger.__call__(self, batch)


def test_rows_come_out_in_input_order_when_a_later_batch_finishes_first(ray_local, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": [f"o{i}" for i in range(8)], "text": [f"Boats struck {i}." for i in range(8)]}),
                   path, row_group_size=3)
    out = tmp_path / "o.jsonl"
    run_ray_batch("unused", path, out, batch_size=2, block_rows=2, actors=2, threads_per_actor=0.5,
                  progress=False, tagger_cls=_bind(SlowFirstTagger, str(tmp_path)))
    assert [(line["row"], line["id"]) for line in _lines(out)] == [(i, f"o{i}") for i in range(8)]
