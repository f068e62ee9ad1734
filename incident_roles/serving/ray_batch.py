"""Corpus inference on Ray Data: the `batch` job spread over a pool of actors, on one machine or a cluster.

    python -m incident_roles batch --engine ray --model models/minilm --input corpus.jsonl --output out.jsonl
    python -m incident_roles batch --engine ray --ray-address auto --actors 16 --onnx ...   # on a cluster

    from incident_roles.serving.ray_batch import run_ray_batch
    run_ray_batch("models/minilm", "corpus.parquet", "out.jsonl", actors=4)

- Reading: a Ray Data source built on batch.iter_rows, so rows, ids, line numbers and bad-row reasons are
  those of the single-process path by construction. ray.data.read_json/read_csv type a column across the
  whole file (one line that is not JSON, or one number in the text column, fails the read) and do not
  number rows. One task streams the input (parsing costs microseconds a row, tagging milliseconds, so
  one reader feeds hundreds of actors) in blocks of ``block_rows`` rows.
- Tagging: map_batches over RayTagger, a class, so each actor loads the tagger (PyTorch or ONNX) once.
  An actor that dies is restarted and its unfinished batch retried (max_restarts, max_task_retries).
- Writing: the driver takes the tagged rows in input order and writes the same lines as the
  single-process path: ``{"id", "row", "record"}`` to the output (JSONL, or Parquet with the record as a
  JSON string), bad rows to ``<output>.errors.jsonl``, and ``<output>.done.json`` (shard 0/1) at the end.
  A JSONL output resumes like the single-process one: rows with a good line are not read again.

Needs the optional extra `ray` (ray[data]).
"""
from __future__ import annotations

import json
import logging
import os
import re
import warnings
from pathlib import Path

from incident_roles.serving.batch import _done_marker, check_text, iter_rows, repair_and_read_done

log = logging.getLogger(__name__)


def require_ray():
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError("--engine ray needs Ray Data: pip install 'incident-roles[ray]' "
                          "(or pip install 'ray[data]')") from None
    return ray


def _rows_table(rows):
    import pyarrow as pa

    # bad rows travel with their reason and no text: a text column holding an int on one row would not
    # be a string column
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("row", pa.int64()), ("id", pa.string()), ("line", pa.int64()), ("text", pa.string()),
        ("error", pa.string()), ("field", pa.string())]))


def _read_blocks(path, text_column, id_column, done, block_rows):
    """The corpus rows not in ``done``, in blocks of ``block_rows``."""
    buf = []
    for r in iter_rows(path, text_column, id_column):
        if r.row in done:
            continue
        reason = r.error or check_text(r.text)
        buf.append({"row": r.row, "id": r.id, "line": r.line, "text": None if reason else r.text,
                    "error": reason, "field": None if r.error else text_column})
        if len(buf) >= block_rows:
            yield _rows_table(buf)
            buf = []
    if buf:
        yield _rows_table(buf)


def _corpus_source(path, text_column, id_column, done, block_rows):
    """A ray.data Datasource over the corpus rows (see the module docstring)."""
    from ray.data import Datasource, ReadTask
    from ray.data.block import BlockMetadata

    class CorpusRows(Datasource):
        # read on the driver's node, where the input is; only the model has to be on every node
        supports_distributed_reads = False

        def estimate_inmemory_data_size(self):
            return os.path.getsize(path)

        def get_read_tasks(self, parallelism, per_task_row_limit=None, data_context=None):
            # one streaming task whatever the parallelism asked for: row numbers need the rows before
            meta = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=[str(path)])
            return [ReadTask(lambda: _read_blocks(path, text_column, id_column, done, block_rows), meta)]

    return CorpusRows()


class RayTagger:
    """The map_batches callable: loads the tagger once per actor, then turns each block of rows into
    output rows (row, id, kind "record" or "error", the JSON line to write)."""

    def __init__(self, model, onnx: bool = False, threads: int = 1, input_path: str = "",
                 text_column: str = "text", batch_size: int = 16):
        from incident_roles.records.builder import get_pipeline

        if onnx:
            from incident_roles.serving.onnx_tagger import OnnxTagger

            self.pipe = OnnxTagger(model, threads=threads)
        else:
            import torch

            torch.set_num_threads(threads)  # an actor owns `threads` of the node's cores, not all of them
            self.pipe = get_pipeline(model)
        self.input_path, self.text_column, self.batch_size = input_path, text_column, batch_size

    def _spans(self, texts):
        from incident_roles.serving.predict import predict_spans

        try:
            return predict_spans(self.pipe, texts, batch_size=self.batch_size)
        except Exception:  # as in batch.py: one text the model fails on must not sink its batch
            out = []
            for t in texts:
                try:
                    out.append(predict_spans(self.pipe, [t], batch_size=1)[0])
                except Exception as e:
                    out.append(e)
            return out

    def __call__(self, batch):
        import pyarrow as pa

        from incident_roles.records.builder import build_record

        rows = batch.to_pylist()
        good = [r for r in rows if not r["error"]]
        spans = dict(zip((r["row"] for r in good), self._spans([r["text"] for r in good])))
        out = []
        for r in rows:
            s = spans.get(r["row"])
            if isinstance(s, Exception):
                r["error"] = f"model failed: {type(s).__name__}: {s}"
            if r["error"]:
                line = {"id": r["id"], "row": r["row"], "line": r["line"], "input": self.input_path,
                        "field": r["field"], "reason": r["error"]}
                out.append((r["row"], "error", line))
            else:
                line = {"id": r["id"], "row": r["row"], "record": build_record(r["text"], s, doc_id=r["id"])}
                out.append((r["row"], "record", line))
        return pa.table({"row": [o[0] for o in out], "kind": [o[1] for o in out],
                         "line": [json.dumps(o[2], ensure_ascii=False) for o in out]})


def run_ray_batch(model, input_path, output_path, text_column: str = "text", id_column: str = "id",
                  batch_size: int = 16, onnx: bool = False, actors: int = 2, threads_per_actor: int = 1,
                  address: str | None = None, max_restarts: int = 3, max_task_retries: int = 3,
                  block_rows: int = 64, progress: bool = True, tagger_cls=RayTagger) -> dict:
    """Tag every row of ``input_path`` (JSONL, CSV, Parquet) into ``output_path`` (JSONL or Parquet) with
    ``actors`` Ray actors of ``threads_per_actor`` CPUs each. ``model``: a saved model folder present on
    every node. ``block_rows``: rows per block read, the unit an actor's death costs. Ray is started
    (``ray.init(address=address)``) unless it already is. Returns counts as run_batch does."""
    ray = require_ray()
    import ray.data

    from incident_roles.serving.batch import corpus_format

    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.exists():
        raise FileNotFoundError(f"{input_path}: no such corpus file")
    corpus_format(input_path)
    next(iter_rows(input_path, text_column, id_column), None)  # a bad header fails here, before any actor
    parquet_out = output_path.suffix.lower() in (".parquet", ".pq")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    errors_path = output_path.with_name(output_path.name + ".errors.jsonl")
    _done_marker(output_path).unlink(missing_ok=True)
    if parquet_out:  # Parquet cannot be appended to, so a rerun starts afresh
        done, errors_done = set(), set()
        errors_path.unlink(missing_ok=True)
    else:
        done, errors_done = repair_and_read_done(output_path), repair_and_read_done(errors_path)
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True  # output in input row order, as the single-process path
    ctx.enable_progress_bars = progress
    cpus = ray.cluster_resources().get("CPU", 0)
    if actors * threads_per_actor > cpus:  # Ray would wait for the missing CPUs forever
        raise ValueError(f"--actors {actors} x --threads {threads_per_actor} needs {actors * threads_per_actor:g} "
                         f"CPUs; the Ray cluster has {cpus:g}")
    # the reader parses, it does not tag: it claims no CPU, so that it is never left waiting behind the
    # actors that hold them all (a deadlock: the actors wait for rows, the reader for a CPU)
    source = _corpus_source(input_path, text_column, id_column, done, block_rows)
    ds = ray.data.read_datasource(source, num_cpus=0)
    kwargs = {"model": str(model) if isinstance(model, Path) else model, "onnx": onnx,
              "threads": max(1, int(threads_per_actor)), "input_path": str(input_path),
              "text_column": text_column, "batch_size": batch_size}
    with warnings.catch_warnings():
        # Ray 2.5x deprecates passing max_restarts/max_task_retries here without a named replacement;
        # its own defaults are -1 (restart and retry forever), which would loop on a text that kills
        # every actor, so bounded values are still passed
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = ds.map_batches(tagger_cls, batch_format="pyarrow", batch_size=batch_size,
                            compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=threads_per_actor,
                            fn_constructor_kwargs=kwargs, max_restarts=max_restarts,
                            max_task_retries=max_task_retries)
    summary = {"rows": 0, "written": 0, "skipped_done": len(done), "errors": 0, "other_shards": 0,
               "reasons": {}}
    writer = _ParquetLines(output_path) if parquet_out else output_path.open("a", encoding="utf-8")
    with writer as out, errors_path.open("a", encoding="utf-8") as err:
        for block in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            records, errors = [], []
            for row, kind, line in zip(*(block.column(c).to_pylist() for c in ("row", "kind", "line"))):
                summary["rows"] += 1
                if kind == "record":
                    records.append(line)
                    continue
                summary["errors"] += 1
                reason = json.loads(line)["reason"]
                key = re.split(r" on line|[:(]", reason)[0].strip()
                summary["reasons"][key] = summary["reasons"].get(key, 0) + 1
                if row not in errors_done:
                    errors.append(line)
                    errors_done.add(row)
            for f, lines in ((out, records), (err, errors)):
                f.write("".join(line + "\n" for line in lines))
                f.flush()
                if hasattr(f, "fileno"):
                    os.fsync(f.fileno())  # as batch.py: a line on disk is a row done, even after a crash
            summary["written"] += len(records)
    summary["rows"] += len(done)
    _done_marker(output_path).write_text(json.dumps({"input": str(input_path), "shard": [0, 1], "engine": "ray",
                                                     "rows": summary["rows"]}) + "\n", encoding="utf-8")
    log.info("%s: %d written, %d skipped (already done), %d bad rows (see %s)", output_path,
             summary["written"], summary["skipped_done"], summary["errors"], errors_path)
    return summary


class _ParquetLines:
    """Output lines into a Parquet file (id, row, record as a JSON string), one row group per block;
    written under a temporary name, so a Parquet output that exists is a complete one."""

    def __init__(self, path: Path):
        self.path, self.tmp, self.writer = path, path.with_name(path.name + ".tmp"), None

    def __enter__(self):
        return self

    def write(self, text: str):
        import pyarrow as pa
        import pyarrow.parquet as pq

        lines = [json.loads(line) for line in text.splitlines()]
        if not lines:
            return
        table = pa.table({"id": [x["id"] for x in lines], "row": pa.array([x["row"] for x in lines], pa.int64()),
                          "record": [json.dumps(x["record"], ensure_ascii=False) for x in lines]})
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, table.schema)
        self.writer.write_table(table)

    def flush(self):
        pass

    def __exit__(self, exc_type, *_):
        if self.writer is None and exc_type is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({"id": pa.array([], pa.string()), "row": pa.array([], pa.int64()),
                                     "record": pa.array([], pa.string())}), self.tmp)
        elif self.writer is not None:
            self.writer.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)


__all__ = ["run_ray_batch", "RayTagger", "require_ray"]
