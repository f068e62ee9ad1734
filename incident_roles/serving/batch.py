"""Batch inference over a JSONL, CSV or Parquet corpus: one record per row, written as it goes.

    python -m incident_roles batch --model models/minilm --input corpus.jsonl --output out.jsonl
    python -m incident_roles batch --model models/minilm --input corpus.csv --output out.0.jsonl --shard 0/2

- The input is streamed, never loaded whole: JSONL and CSV line by line (the csv module, so ids stay
  the strings they are in the file), Parquet one row group at a time (pyarrow).
- A row is a data line of a JSONL file (blank lines are not rows), a CSV record or a Parquet row,
  numbered from 0; ids are kept as given (duplicates included) and default to the row number.
- Each output line is {"id", "row", "record"}, appended and flushed per batch. Resume and merge key on
  ``row``: a rerun keeps every good output line, removes corrupt ones (a line torn by a kill) and tags
  only the rows without a good line. A finished run leaves <output>.done.json, which merge requires.
- Bad rows (not UTF-8, invalid JSON, missing, null, non-string or empty text, an unreadable Parquet row
  group) go to <output>.errors.jsonl as {"id", "row", "line", "input", "field", "reason"}, with the
  physical line number (1-based, the first line of a CSV record; null for Parquet), and the run goes on.
- ``--shard i/n`` gives this process the rows with row % n == i; merge the shard outputs with
  ``python -m incident_roles merge out.*.jsonl --output out.jsonl`` (docs/scaling.md).
"""
from __future__ import annotations

import codecs
import csv
import itertools
import json
import logging
import os
import re
from contextlib import ExitStack
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
    line: int | None = None  # physical, 1-based; None for Parquet


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


def _utf8_lines(path, bad: dict) -> Iterator[str]:
    """The physical lines of ``path``, decoded one by one so that a stray byte costs one row, not the file.
    A line that is not UTF-8 is still passed on (bad bytes escaped) to keep CSV quoting in step; what is
    wrong with it goes to ``bad[line number]``."""
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if n == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad[n] = f"byte 0x{raw[e.start]:02x} at offset {e.start}"
                yield raw.decode("utf-8", "surrogateescape")


def _json_object(line: str, n: int):
    """(the object on line n, None) or (None, why it is not one)."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:  # its own "line 1" would be the line within this one-line document
        return None, f"invalid JSON on line {n}: {e.msg} at column {e.colno}"
    if not isinstance(rec, dict):
        return None, f"not a JSON object ({type(rec).__name__}) on line {n}"
    return rec, None


def _jsonl_rows(path, text_column, id_column) -> Iterator[Row]:
    bad: dict[int, str] = {}
    row = 0
    for n, line in enumerate(_utf8_lines(path, bad), 1):
        if not line.strip():
            continue
        rec, error = (None, f"not UTF-8 text on line {n} ({bad[n]})") if n in bad else _json_object(line, n)
        if error:
            yield Row(row, str(row), error=error, line=n)
        else:
            yield Row(row, _row_id(rec.get(id_column), row), rec.get(text_column), line=n)
        row += 1


def _csv_records(path) -> Iterator[tuple[int, list | None, str | None]]:
    """(first line, fields, error) of each non-blank CSV record; a quoted field may span lines."""
    bad: dict[int, str] = {}
    reader = csv.reader(_utf8_lines(path, bad))
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # the reader restarts on the next line, so only this record is lost
            yield start, None, f"invalid CSV on line {start}: {e}"
            continue
        broken = [n for n in range(start, reader.line_num + 1) if n in bad]
        if broken:
            yield start, None, f"not UTF-8 text on line {broken[0]} ({bad[broken[0]]})"
        elif fields:
            yield start, fields, None


def _csv_rows(path, text_column, id_column) -> Iterator[Row]:
    records = _csv_records(path)
    line, header, error = next(records, (1, [], None))
    if error:
        raise ValueError(f"{path}: {error}")
    if text_column not in header:
        raise KeyError(f"{path}: no column {text_column!r} in the header on line {line} "
                       f"(columns: {', '.join(header) or 'none'}); choose one with --text-column")
    for row, (line, fields, error) in enumerate(records):
        if error:
            yield Row(row, str(row), error=error, line=line)
        else:
            rec = dict(zip(header, fields))  # a short record leaves its last columns out, hence missing
            yield Row(row, _row_id(rec.get(id_column), row), rec.get(text_column), line=line)


def _parquet_rows(path, text_column, id_column) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises ArrowInvalid or OSError depending on the damage
        raise ValueError(f"{path}: not a readable Parquet file ({e})") from None
    with pf:
        names = pf.schema_arrow.names
        if text_column not in names:
            raise KeyError(f"{path}: no column {text_column!r} (columns: {', '.join(names)}); "
                           "choose one with --text-column")
        columns = [c for c in (id_column, text_column) if c in names]
        row = 0
        for g in range(pf.num_row_groups):
            end = row + pf.metadata.row_group(g).num_rows
            try:
                for batch in pf.iter_batches(batch_size=256, row_groups=[g], columns=columns):
                    for rec in batch.to_pylist():
                        yield Row(row, _row_id(rec.get(id_column), row), rec[text_column])
                        row += 1
            except Exception as e:  # a damaged row group costs its own rows, not the rest of the file
                error = f"unreadable Parquet row group {g} (rows {row}-{end - 1}): {' '.join(str(e).split())}"
                for row in range(row, end):
                    yield Row(row, str(row), error=error)
                row = end


_READERS = {"json": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}


def iter_rows(path, text_column: str = "text", id_column: str = "id") -> Iterator[Row]:
    """Every row of the corpus as a Row (row number, id, text, error, line), streamed; ids default to the
    row number. A missing text column raises KeyError once iteration starts."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such corpus file")
    return _READERS[corpus_format(path)](path, text_column, id_column)


def _good_line(line: bytes) -> dict | None:
    """The JSON object on an output line, or None when the line is torn or corrupt."""
    if not line.endswith(b"\n"):
        return None
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) and type(rec.get("row")) is int else None


def repair_and_read_done(output) -> set[int]:
    """Rows already written to ``output`` (a JSONL file). Corrupt lines, such as one torn by a kill, are
    reported and removed so that appending stays safe; every good line is kept, wherever they are."""
    output = Path(output)
    done: set[int] = set()
    if not output.exists():
        return done
    bad = set()
    with output.open("rb") as f:
        for n, line in enumerate(f, 1):
            rec = _good_line(line)
            if rec is None:
                bad.add(n)
            else:
                done.add(rec["row"])
    if bad:
        shown = ", ".join(map(str, sorted(bad)[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        log.warning("%s: line %s: not a complete record (cut off by an interrupted run?); removed, so "
                    "its row is done again", output, shown)
        tmp = output.with_name(output.name + ".repair")
        with output.open("rb") as src, tmp.open("wb") as dst:
            dst.writelines(line for n, line in enumerate(src, 1) if n not in bad)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, output)  # atomic: a kill during the repair leaves the old file, not half of it
    return done


def _done_marker(output) -> Path:
    return Path(output).with_name(Path(output).name + ".done.json")


def _write_lines(f, items) -> None:
    f.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items))
    f.flush()
    os.fsync(f.fileno())


def run_batch(model, input_path, output_path, text_column: str = "text", id_column: str = "id",
              batch_size: int = 16, shard: str | tuple[int, int] | None = None, progress: bool = True,
              stop_after: int | None = None) -> dict:
    """Tag every row of ``input_path`` into ``output_path`` (JSONL), resuming where a previous run
    stopped. ``model``: a model folder, a pipeline, an OnnxTagger or a LeanTagger. ``stop_after``: stop after that many
    batches (used by tests to simulate an interruption). Returns counts of what happened."""
    from tqdm.auto import tqdm

    from incident_roles.serving.lean import predict_spans_bucketed as predict_spans  # length buckets
    from incident_roles.records.builder import build_record, get_pipeline

    i, n = parse_shard(shard) if not isinstance(shard, tuple) else shard
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    errors_path = output_path.with_name(output_path.name + ".errors.jsonl")
    rows = iter_rows(input_path, text_column, id_column)
    first = next(rows, None)  # reads a CSV header or Parquet schema, so a bad input fails before the model loads
    rows = itertools.chain([] if first is None else [first], rows)
    _done_marker(output_path).unlink(missing_ok=True)  # until this run finishes, merge must refuse the output
    done = repair_and_read_done(output_path)
    errors_done = repair_and_read_done(errors_path)
    if done:
        log.info("resuming: %d rows already in %s", len(done), output_path)
    summary = BatchSummary()
    pipe = get_pipeline(model)
    batches, finished = 0, False
    with output_path.open("a", encoding="utf-8") as out, errors_path.open("a", encoding="utf-8") as err, \
            tqdm(desc=f"tagging shard {i}/{n}", unit="report", disable=not progress) as bar:
        buffer: list[Row] = []

        def report_error(r: Row, reason: str):
            summary.errors += 1
            kind = re.split(r" on line|[:(]", reason)[0].strip()
            summary.reasons[kind] = summary.reasons.get(kind, 0) + 1
            if r.row not in errors_done:
                _write_lines(err, [{"id": r.id, "row": r.row, "line": r.line, "input": str(input_path),
                                    "field": None if r.error else text_column, "reason": reason}])
                errors_done.add(r.row)

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

        for r in rows:
            summary.rows += 1
            if r.row % n != i:
                summary.other_shards += 1
                continue
            if r.row in done:
                summary.skipped_done += 1
                continue
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
            finished = True
    if finished:
        _done_marker(output_path).write_text(json.dumps({"input": str(input_path), "shard": [i, n],
                                                         "rows": summary.rows}) + "\n", encoding="utf-8")
    (log.warning if summary.errors else log.info)(
        "%s: %d written, %d skipped (already done), %d bad rows (see %s)", output_path, summary.written,
        summary.skipped_done, summary.errors, errors_path)
    return summary.as_dict()


def _shard_of(output: Path) -> tuple[int, int]:
    marker = _done_marker(output)
    if not marker.is_file():
        raise ValueError(f"{output}: unfinished shard output (no {marker.name}); rerun its batch command "
                         "to finish it, then merge")
    try:
        i, n = json.loads(marker.read_text(encoding="utf-8"))["shard"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{marker}: not a batch completion marker") from None
    return i, n


def merge_outputs(paths, output) -> dict:
    """Merge the outputs of all shards of a batch run into one JSONL in input row order, one line per
    row. Writes nothing when a shard is missing or unfinished. ``<output>.errors.jsonl`` files among
    ``paths`` are skipped, since a shell glob like out.*.jsonl matches them too."""
    paths = [Path(p) for p in paths if not str(p).endswith(".errors.jsonl")]
    if not paths:
        raise ValueError("merge: no shard outputs given")
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such shard output")
    shards = {p: _shard_of(p) for p in paths}
    counts = {n for _, n in shards.values()}
    if len(counts) > 1:
        found = ", ".join(f"{p} ({i}/{n})" for p, (i, n) in shards.items())
        raise ValueError(f"outputs of different shardings: {found}")
    n = counts.pop()
    missing = sorted(set(range(n)) - {i for i, _ in shards.values()})
    if missing:
        raise ValueError(f"missing shard {', '.join(f'{i}/{n}' for i in missing)}: merge needs every "
                         f"shard's output (got {', '.join(map(str, paths))})")
    index: dict[int, tuple[int, int]] = {}  # row -> (path number, byte offset): records stay on disk
    for k, p in enumerate(paths):
        with p.open("rb") as f:
            offset = 0
            for line_no, line in enumerate(f, 1):
                rec = _good_line(line)
                if rec is None or "record" not in rec:
                    log.warning("%s: line %d: not a complete record; skipped", p, line_no)
                else:
                    index.setdefault(rec["row"], (k, offset))
                offset += len(line)
    tmp = Path(output).with_name(Path(output).name + ".tmp")
    with ExitStack() as stack, tmp.open("wb") as out:
        files = [stack.enter_context(p.open("rb")) for p in paths]
        for row in sorted(index):
            k, offset = index[row]
            files[k].seek(offset)
            out.write(files[k].readline())
    os.replace(tmp, output)
    return {"records": len(index), "inputs": len(paths)}


__all__ = ["run_batch", "iter_rows", "merge_outputs", "parse_shard", "check_text", "repair_and_read_done"]
