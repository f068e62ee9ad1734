"""Batch inference over a JSONL, CSV or Parquet corpus: one record per row, written as it goes.

    python -m incident_roles batch --model models/minilm --input corpus.jsonl --output out.jsonl
    python -m incident_roles batch --model models/minilm --input corpus.csv --output out.0.jsonl --shard 0/2

- Rows are read through `datasets` (falling back to a tolerant line reader for JSONL and CSV files that
  Arrow cannot type, such as a text column holding numbers on some lines) and tagged in batches.
- Each output line is {"id", "row", "record"}, appended and flushed per batch, so an interrupted run loses
  at most the batch in flight; a rerun skips the ids already written (a truncated last line is cut off).
- Bad rows (invalid JSON, missing, null, non-string or empty text) go to <output>.errors.jsonl with their
  row number (0-based, in the input's order) and reason, and the run goes on.
- ``--shard i/n`` gives this process the rows with row % n == i; merge the shard outputs with
  ``python -m incident_roles merge out.*.jsonl --output out.jsonl`` (docs/scaling.md).
"""
from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Row:
    row: int
    id: str
    text: object = None
    error: str | None = None


@dataclass
class BatchSummary:
    rows: int = 0
    written: int = 0
    skipped_done: int = 0
    errors: int = 0
    other_shards: int = 0
    reasons: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def parse_shard(value: str | None) -> tuple[int, int]:
    """"i/n" -> (i, n); None -> (0, 1). Raises ValueError on a bad value."""
    if not value:
        return 0, 1
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise ValueError(f"--shard {value!r}: expected i/n, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard {value!r}: need 0 <= i < n")
    return i, n


def corpus_format(path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: unknown corpus format {suffix!r}; use .jsonl, .csv or .parquet")
    return FORMATS[suffix]


def check_text(value) -> str | None:
    """Why a text value cannot be tagged, or None when it can."""
    if value is None:
        return "missing text"
    if isinstance(value, float) and value != value:  # NaN from a CSV empty cell
        return "missing text"
    if not isinstance(value, str):
        return f"text is not a string ({type(value).__name__})"
    if not value.strip():
        return "empty text"
    return None


def _row_id(raw, row: int) -> str:
    if raw is None or (isinstance(raw, float) and raw != raw) or raw == "":
        return str(row)
    return str(raw)


def _rows_from_dataset(path, fmt, text_column, id_column) -> Iterator[Row]:
    from datasets import load_dataset

    ds = load_dataset(fmt, data_files=str(path), split="train")
    if text_column not in ds.column_names:
        raise KeyError(f"{path}: no column {text_column!r} (columns: {', '.join(ds.column_names)}); "
                       "choose one with --text-column")
    has_id = id_column in ds.column_names
    for i, rec in enumerate(ds):
        yield Row(i, _row_id(rec.get(id_column) if has_id else None, i), rec.get(text_column))


def _rows_tolerant(path, fmt, text_column, id_column) -> Iterator[Row]:
    """Line by line, for files Arrow cannot type: a broken line becomes an error row, not a crash."""
    if fmt == "json":
        with open(path, encoding="utf-8", errors="replace") as f:
            i = 0
            for line in f:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    if not isinstance(rec, dict):
                        raise ValueError("not a JSON object")
                except ValueError as e:
                    yield Row(i, str(i), None, f"invalid JSON on line {i + 1}: {e}")
                else:
                    yield Row(i, _row_id(rec.get(id_column), i), rec.get(text_column, None))
                i += 1
    elif fmt == "csv":
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.DictReader(f)
            if text_column not in (reader.fieldnames or []):
                raise KeyError(f"{path}: no column {text_column!r} (columns: {', '.join(reader.fieldnames or [])})")
            for i, rec in enumerate(reader):
                yield Row(i, _row_id(rec.get(id_column), i), rec.get(text_column))
    else:
        raise ValueError(f"{path}: no line-by-line reader for {fmt}")


def iter_rows(path, text_column: str = "text", id_column: str = "id") -> Iterator[Row]:
    """Every row of the corpus as a Row (row number, id, text, error); ids default to the row number."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such corpus file")
    fmt = corpus_format(path)
    try:
        rows = list(_rows_from_dataset(path, fmt, text_column, id_column))
    except KeyError:
        raise
    except Exception as e:  # Arrow type or parse errors: retry line by line
        if fmt == "parquet":
            raise
        log.warning("%s: datasets could not read it as one table (%s); reading it line by line",
                    path, str(e).splitlines()[0][:200])
        rows = _rows_tolerant(path, fmt, text_column, id_column)
    yield from rows


def repair_and_read_done(output) -> set[str]:
    """Ids already written to ``output`` (a JSONL file); a last line cut off by an interrupted run is
    removed so the file stays valid."""
    output = Path(output)
    done: set[str] = set()
    if not output.exists():
        return done
    data = output.read_bytes()
    good_end = 0
    pos = 0
    for line in data.splitlines(keepends=True):
        end = pos + len(line)
        try:
            rec = json.loads(line)
            complete = line.endswith(b"\n")
        except ValueError:
            rec, complete = None, False
        if rec is None or not complete:
            break
        done.add(str(rec["id"]))
        good_end = end
        pos = end
    if good_end < len(data):
        log.warning("%s: removing a truncated last line (%d bytes) left by an interrupted run",
                    output, len(data) - good_end)
        with output.open("r+b") as f:
            f.truncate(good_end)
    return done


def _write_lines(f, items) -> None:
    f.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items))
    f.flush()
    os.fsync(f.fileno())


def run_batch(model, input_path, output_path, text_column: str = "text", id_column: str = "id",
              batch_size: int = 16, shard: str | tuple[int, int] | None = None, progress: bool = True,
              stop_after: int | None = None) -> dict:
    """Tag every row of ``input_path`` into ``output_path`` (JSONL), resuming where a previous run
    stopped. ``model``: a model folder, a pipeline or an OnnxTagger. ``stop_after``: stop after that many
    batches (used by tests to simulate an interruption). Returns counts of what happened."""
    from tqdm.auto import tqdm

    from incident_roles.serving.predict import predict_spans
    from incident_roles.records.builder import build_record, get_pipeline

    i, n = parse_shard(shard) if not isinstance(shard, tuple) else shard
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    errors_path = output_path.with_name(output_path.name + ".errors.jsonl")
    done = repair_and_read_done(output_path)
    errors_done = repair_and_read_done(errors_path)
    rows = [r for r in iter_rows(input_path, text_column, id_column)]
    summary = BatchSummary(rows=len(rows))
    mine = []
    for r in rows:
        if r.row % n != i:
            summary.other_shards += 1
        elif r.id in done:
            summary.skipped_done += 1
        else:
            mine.append(r)
    if summary.skipped_done:
        log.info("resuming: %d rows already in %s", summary.skipped_done, output_path)
    pipe = get_pipeline(model)
    batches = 0
    with output_path.open("a", encoding="utf-8") as out, errors_path.open("a", encoding="utf-8") as err, \
            tqdm(total=len(mine), desc=f"tagging shard {i}/{n}", unit="report", disable=not progress) as bar:
        buffer: list[Row] = []

        def report_error(r: Row, reason: str):
            summary.errors += 1
            key = reason.split(":")[0].split(" (")[0].split(" on line")[0]
            summary.reasons[key] = summary.reasons.get(key, 0) + 1
            if r.id not in errors_done:
                _write_lines(err, [{"id": r.id, "row": r.row, "input": str(input_path), "reason": reason}])
                errors_done.add(r.id)

        def flush(buf: list[Row]):
            texts = [r.text for r in buf]
            try:
                spans = predict_spans(pipe, texts, batch_size=batch_size)
            except Exception:  # one bad text must not sink its batch: retry one by one
                spans = []
                for r in buf:
                    try:
                        spans.append(predict_spans(pipe, [r.text], batch_size=1)[0])
                    except Exception as e:
                        spans.append(e)
            lines = []
            for r, s in zip(buf, spans):
                if isinstance(s, Exception):
                    report_error(r, f"model failed: {type(s).__name__}: {s}")
                    continue
                lines.append({"id": r.id, "row": r.row, "record": build_record(r.text, s, doc_id=r.id)})
            _write_lines(out, lines)
            summary.written += len(lines)
            bar.update(len(buf))

        for r in mine:
            reason = r.error or check_text(r.text)
            if reason:
                report_error(r, reason)
                bar.update(1)
                continue
            buffer.append(r)
            if len(buffer) >= batch_size:
                flush(buffer)
                buffer = []
                batches += 1
                if stop_after is not None and batches >= stop_after:
                    break
        else:
            if buffer:
                flush(buffer)
    log.info("%s: %d written, %d skipped (already done), %d bad rows (see %s)", output_path,
             summary.written, summary.skipped_done, summary.errors, errors_path)
    return summary.as_dict()


def merge_outputs(paths, output) -> dict:
    """Merge shard outputs into one JSONL in input row order, one line per id (later duplicates
    dropped); truncated last lines are ignored."""
    paths = list(paths)
    seen, lines = set(), []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if str(rec["id"]) in seen:
                    continue
                seen.add(str(rec["id"]))
                lines.append(rec)
    lines.sort(key=lambda r: r.get("row", 0))
    with open(output, "w", encoding="utf-8") as f:
        for rec in lines:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return {"records": len(lines), "inputs": len(paths)}


__all__ = ["run_batch", "iter_rows", "merge_outputs", "parse_shard", "check_text", "repair_and_read_done"]
