"""The corpus to and from annotation tools: Label Studio, doccano and Prodigy (spaCy) tasks.

    incident-roles corpus export --format label-studio --out tasks.json [--input data/reports]
                                 [--config-out labels.xml] [--predictions-from models/minilm]
    incident-roles corpus import --format label-studio tasks.json --out-dir data/reports [--strict] [--force]

Export carries each report's header (id, incident, type, region, year, style) in the task (Label Studio:
``data``; doccano and Prodigy: ``meta``) so that import can write the report file back. Import checks
every task with the corpus validator (``reports.parse_report``) and writes nothing while any task has an
error; each message names the task (1-based position in the file, and id) and the span.
Export then import gives back the report files byte for byte (tests/test_exchange.py).
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from incident_roles.corpus.markup import MarkupError, Span, span_problems, to_markup
from incident_roles.corpus.reports import HEADER_KEYS, parse_report, read_reports
from incident_roles.labels import LABELS

FORMATS = ("label-studio", "doccano", "prodigy")
_ID_RE = re.compile(r"[A-Za-z0-9][\w.-]*")  # becomes a file name: no path separators, no leading dot


@dataclass
class Item:
    """One report, tool-neutral: text, spans, header (raw values) and the file's layout where it differs
    from the canonical rendering ("head": header lines up to '---', "tail": what follows the body)."""
    text: str
    spans: list[Span]
    header: dict[str, str]
    layout: dict = field(default_factory=dict)


def _canonical_head(header: dict) -> str:
    return "".join(f"{k}: {header[k]}\n" for k in HEADER_KEYS if k in header) + "---\n"


def render(item: Item) -> str:
    """The report file's content. A carried head is used only while it still says what the header says
    (an annotator may have edited the header in the tool), a tail only while it is whitespace."""
    head = item.layout.get("head")
    if not (isinstance(head, str) and _header_of(head) == item.header):
        head = _canonical_head(item.header)
    tail = item.layout.get("tail")
    if not (isinstance(tail, str) and tail.strip() == "" and tail):
        tail = "\n"
    return head + to_markup(item.text, item.spans) + tail


def _header_of(head: str) -> dict | None:
    lines = head.split("\n")
    if "---" not in [l.strip() for l in lines]:
        return None
    out = {}
    for line in lines[: [l.strip() for l in lines].index("---")]:
        key, _, value = line.partition(":")
        if line.strip():
            out[key.strip()] = value.strip()
    return out


# ---------------------------------------------------------------- corpus -> items

def load_corpus(source: str | Path = "data/reports") -> list[Item]:
    """The reports of a folder (validated; any invalid file raises, naming it) or a processed JSONL file."""
    source = Path(source)
    if source.is_dir():
        reports, errors = read_reports(sorted(source.glob("*.txt")))
        if errors:
            raise ValueError("; ".join(map(str, errors)))
        return [_item_of_file(Path(r.source).read_text(encoding="utf-8"), r) for r in reports]
    from incident_roles.corpus.jsonl import read_jsonl

    items = []
    for rec in read_jsonl(source):
        header = {"id": str(rec["id"]), **({"incident": rec["incident"]} if rec.get("incident") else {}),
                  **{k: str(v) for k, v in (rec.get("meta") or {}).items() if k in HEADER_KEYS}}
        items.append(Item(rec["text"], [Span(s["start"], s["end"], s["label"]) for s in rec["spans"]],
                          {k: header[k] for k in HEADER_KEYS if k in header}))
    return items


def _item_of_file(raw: str, report) -> Item:
    header = {"id": report.id, "incident": report.incident, **{k: str(v) for k, v in report.meta.items()}}
    header = {k: header[k] for k in HEADER_KEYS if k in header}
    body = to_markup(report.text, report.spans)
    trimmed = raw.rstrip()
    assert trimmed.endswith(body), report.source  # parse_report strips only whitespace around the body
    item = Item(report.text, list(report.spans), header)
    head, tail = raw[: len(trimmed) - len(body)], raw[len(trimmed):]
    if head != _canonical_head(header):
        item.layout["head"] = head
    if tail != "\n":
        item.layout["tail"] = tail
    return item


# ---------------------------------------------------------------- items -> tasks

def _region(text: str, s: Span, rid: str, score: float | None = None) -> dict:
    # Label Studio wants an id on every result item, distinct within the task
    r = {"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": s.start, "end": s.end, "text": text[s.start:s.end], "labels": [s.label]}}
    if score is not None:
        r["score"] = round(score, 4)
    return r


def to_task(item: Item, fmt: str) -> dict:
    meta = {**item.header, **({"layout": item.layout} if item.layout else {})}
    if fmt == "label-studio":
        return {"data": {"text": item.text, **meta},
                "annotations": [{"result": [_region(item.text, s, f"a{j}") for j, s in enumerate(item.spans)]}]}
    if fmt == "doccano":
        return {"text": item.text, "label": [[s.start, s.end, s.label] for s in item.spans], "meta": meta}
    if fmt == "prodigy":
        return {"text": item.text, "spans": [s.as_dict() for s in item.spans], "meta": meta}
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def add_predictions(tasks: list[dict], model, batch_size: int = 8) -> None:
    """Label Studio ``predictions`` from a model (a saved folder or a loaded pipeline): the annotator
    corrects the model's spans instead of starting from nothing; the task score (mean span score, 0 when
    the model found nothing) lets Label Studio put the least certain tasks first."""
    from incident_roles.serving.predict import load_pipeline, predict_spans

    pipe = load_pipeline(model)
    version = Path(model).resolve().name if isinstance(model, (str, Path)) else \
        str(getattr(getattr(pipe, "model", None), "name_or_path", "model"))
    texts = [t["data"]["text"] for t in tasks]
    for task, text, spans in zip(tasks, texts, predict_spans(pipe, texts, batch_size=batch_size)):
        scores = [s["score"] for s in spans]
        task["predictions"] = [{
            "model_version": version, "score": round(sum(scores) / len(scores), 4) if scores else 0.0,
            "result": [_region(text, Span(s["start"], s["end"], s["label"]), f"p{j}", s["score"])
                       for j, s in enumerate(spans)]}]


def label_studio_config() -> str:
    """The labelling interface: the four roles, selections snapped to whole words."""
    from incident_roles.records.html_view import COLOURS

    labels = "\n".join(f'    <Label value="{l}" background="{COLOURS[l]}"/>' for l in LABELS)
    return (f'<View>\n  <Labels name="label" toName="text">\n{labels}\n  </Labels>\n'
            f'  <Text name="text" value="$text" granularity="word"/>\n</View>\n')


def export(fmt: str, out: str | Path, source: str | Path = "data/reports", config_out=None,
           predictions_from=None, batch_size: int = 8) -> int:
    """Write the corpus as ``fmt`` tasks to ``out``; returns the number of tasks."""
    if predictions_from is not None and fmt != "label-studio":
        raise ValueError("--predictions-from writes Label Studio predictions: use --format label-studio")
    tasks = [to_task(item, fmt) for item in load_corpus(source)]
    if predictions_from is not None:
        add_predictions(tasks, predictions_from, batch_size)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "label-studio":  # Label Studio imports a JSON list; doccano and Prodigy read JSONL
        out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    else:
        out.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks), encoding="utf-8")
    if config_out:
        Path(config_out).write_text(label_studio_config(), encoding="utf-8")
    return len(tasks)


# ---------------------------------------------------------------- tasks -> report files

@dataclass
class ImportResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_tasks(path: str | Path) -> list:
    """A JSON list (Label Studio's export) or JSONL (doccano, Prodigy), whichever the file holds."""
    raw = Path(path).read_text(encoding="utf-8")
    if raw.lstrip().startswith("["):
        return json.loads(raw)
    tasks = []
    for n, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            try:
                tasks.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: invalid JSON: {e.msg}") from None
    return tasks


def _header_from(obj: dict, meta) -> dict:
    """Header values from a meta dict, else from the task's own keys; doccano's integer "id" is its own."""
    src = meta if isinstance(meta, dict) else obj
    return {k: str(src[k]) for k in HEADER_KEYS if k in src and src[k] is not None
            and not (k == "id" and not isinstance(src[k], str))}


def _task_id(fmt: str, task) -> str:
    if not isinstance(task, dict):
        return "?"
    src = task.get("data") if fmt == "label-studio" else task.get("meta")
    return _header_from(task, src if isinstance(src, dict) else None).get("id", "?")


def _parse_task(fmt: str, task) -> tuple[str, dict, dict, list[tuple], str | None]:
    """(text, header, layout, raw spans as (start, end, label), reason to skip or None)."""
    if not isinstance(task, dict):
        raise ValueError("not a JSON object")
    if fmt == "label-studio":
        data = task.get("data") or {}
        text, header = data.get("text"), _header_from(data, None)
        layout = data.get("layout") or {}
        done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not done:
            return text, header, layout, [], "no annotation (only predictions or none)"
        spans = []
        for r in done[-1].get("result") or []:  # the last annotation is the latest correction
            v = r.get("value") or {}
            if r.get("type") != "labels":
                raise ValueError(f"result of type {r.get('type')!r}; only 'labels' regions are roles")
            if len(v.get("labels") or []) != 1:
                raise ValueError(f"region {v.get('start')}-{v.get('end')} has labels {v.get('labels')}; "
                                 "a span has exactly one")
            spans.append((v.get("start"), v.get("end"), v["labels"][0]))
        return text, header, layout, spans, None
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    text, header, layout = task.get("text"), _header_from(task, meta or None), meta.get("layout") or {}
    if fmt == "doccano":
        if "entities" in task:  # doccano's export when relations are enabled
            spans = [(e.get("start_offset"), e.get("end_offset"), e.get("label")) for e in task["entities"]]
        else:
            spans = [tuple(x) if isinstance(x, list) and len(x) == 3 else (None, None, x)
                     for x in task.get("label", task.get("labels", []))]
        return text, header, layout, spans, None
    if fmt == "prodigy":
        if task.get("answer") in ("reject", "ignore"):
            return text, header, layout, [], f"answer is {task['answer']!r}"
        spans = [(s.get("start"), s.get("end"), s.get("label")) for s in task.get("spans") or []]
        return text, header, layout, spans, None
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without edge whitespace, widened to whole words (a selection that missed a letter)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while 0 < end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


def task_to_item(fmt: str, task, name: str, strict: bool, result: ImportResult) -> Item | None:
    """One task as an Item, or None (problems added to ``result`` as messages starting with ``name``)."""
    try:
        text, header, layout, raw_spans, skip = _parse_task(fmt, task)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        result.errors.append(f"{name}: {e}")
        return None
    if skip:
        result.skipped.append(name)
        result.warnings.append(f"{name}: skipped: {skip}")
        return None
    if not isinstance(text, str) or not text.strip():
        result.errors.append(f"{name}: no text")
        return None
    errors = []
    if "[" in text or "]" in text:
        errors.append("the text holds '[' or ']', which the report markup reserves for spans")
    spans = []
    for start, end, label in raw_spans:
        where = f"span {start}-{end} {label}"
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            errors.append(f"{where}: offsets outside the text (length {len(text)})")
            continue
        where += f" {text[start:end]!r}"
        if label not in LABELS:
            errors.append(f"{where}: unknown label (expected one of {', '.join(LABELS)})")
            continue
        a, b = snap(text, start, end)
        if (a, b) != (start, end):
            if strict or a >= b:
                errors.append(f"{where}: not on word boundaries (whole words: {a}-{b} {text[a:b]!r})")
                continue
            result.warnings.append(f"{name}: {where}: snapped to word boundaries: {a}-{b} {text[a:b]!r}")
        span = Span(a, b, label)
        errors += [f"span {a}-{b} {label} {text[a:b]!r}: {p}" for p in span_problems(text, span)]
        spans.append(span)
    spans.sort(key=lambda s: (s.start, s.end))
    for x, y in zip(spans, spans[1:]):
        if y.start < x.end:
            errors.append(f"span {y.start}-{y.end} {y.label} {text[y.start:y.end]!r} overlaps span "
                          f"{x.start}-{x.end} {x.label} {text[x.start:x.end]!r}")
    if not _ID_RE.fullmatch(header.get("id", "")):
        errors.append(f"id {header.get('id')!r} is missing or not usable as a file name")
    if errors:
        result.errors += [f"{name}: {e}" for e in errors]
        return None
    item = Item(text, spans, header, layout if isinstance(layout, dict) else {})
    try:  # the corpus build's own checks: header values, body, whole words for training
        report = parse_report(render(item), source=name)
    except MarkupError as e:
        result.errors.append(str(e))
        return None
    if [(report.text[s.start:s.end], s.label) for s in report.spans] != [(text[s.start:s.end], s.label)
                                                                        for s in spans]:
        result.errors.append(f"{name}: the report file would not give back these spans")
        return None
    return item


def import_tasks(fmt: str, path: str | Path, out_dir: str | Path = "data/reports", strict: bool = False,
                 force: bool = False) -> ImportResult:
    """Write one report file per task into ``out_dir``; nothing is written while any task has an error.
    An existing file with other content is an error unless ``force``."""
    result, out_dir = ImportResult(), Path(out_dir)
    pending: dict[str, tuple[str, str]] = {}  # id -> (content, task name)
    for n, task in enumerate(read_tasks(path), 1):
        name = f"task {n} (id {_task_id(fmt, task)})"
        item = task_to_item(fmt, task, name, strict, result)
        if item is None:
            continue
        rid, content = item.header["id"], render(item)
        target = out_dir / f"{rid}.txt"
        if rid in pending:
            result.errors.append(f"{name}: id {rid!r} is also used by {pending[rid][1]}")
        elif target.exists() and not force and target.read_bytes() != content.encode("utf-8"):
            result.errors.append(f"{name}: {target} exists with other content (--force overwrites it)")
        pending[rid] = (content, name)
    if result.errors:
        return result
    out_dir.mkdir(parents=True, exist_ok=True)
    for rid, (content, _) in pending.items():
        target = out_dir / f"{rid}.txt"
        if target.exists() and target.read_bytes() == content.encode("utf-8"):
            result.unchanged.append(str(target))
            continue
        target.write_bytes(content.encode("utf-8"))  # bytes: no newline translation on any platform
        result.written.append(str(target))
    return result


# ---------------------------------------------------------------- command line

def add_corpus_parser(sub) -> None:
    """`corpus export` and `corpus import` under the package's command line (serving/cli.py)."""
    p = sub.add_parser("corpus", help="export the corpus to annotation tools, import their tasks")
    cs = p.add_subparsers(dest="corpus_command", required=True)
    e = cs.add_parser("export", help="write the corpus as Label Studio, doccano or Prodigy tasks")
    e.add_argument("--format", choices=FORMATS, required=True)
    e.add_argument("--out", required=True, help="tasks file (JSON list for Label Studio, else JSONL)")
    e.add_argument("--input", default="data/reports", help="report folder or processed JSONL")
    e.add_argument("--config-out", help="also write the Label Studio labelling config (XML)")
    e.add_argument("--predictions-from", metavar="MODEL", help="add the model's spans as predictions")
    e.add_argument("--batch-size", type=int, default=8)
    e.set_defaults(func=_cmd_export)
    i = cs.add_parser("import", help="write annotated tasks back as report files, validated")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--format", choices=FORMATS, required=True)
    i.add_argument("--out-dir", default="data/reports")
    i.add_argument("--strict", action="store_true", help="reject spans off word boundaries instead of snapping")
    i.add_argument("--force", action="store_true", help="overwrite existing report files")
    i.set_defaults(func=_cmd_import)


def _cmd_export(args) -> int:
    n = export(args.format, args.out, args.input, args.config_out, args.predictions_from, args.batch_size)
    print(f"wrote {n} {args.format} task(s) to {args.out}" + (f" and {args.config_out}" if args.config_out else ""))
    return 0


def _cmd_import(args) -> int:
    r = import_tasks(args.format, args.file, args.out_dir, strict=args.strict, force=args.force)
    for w in r.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for e in r.errors:
        print(f"error: {e}", file=sys.stderr)
    if r.errors:
        print(f"{len(r.errors)} error(s); nothing was written", file=sys.stderr)
        return 1
    print(f"wrote {len(r.written)} report file(s) to {args.out_dir}, {len(r.unchanged)} unchanged, "
          f"{len(r.skipped)} task(s) skipped")
    return 0

