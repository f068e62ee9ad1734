"""The processed corpus format: one report a line, {"id", "text", "spans": [{"start", "end", "label"}], ...}."""
from __future__ import annotations

import json
from pathlib import Path

from incident_roles.corpus.markup import MarkupError


def write_jsonl(records, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def json_lines(path: str | Path):
    """(line number, parsed object) for each non-blank line of a JSON Lines file; invalid JSON raises
    MarkupError naming the file, line and column."""
    path = Path(path)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            raise MarkupError(f"invalid JSON: {e.msg}", str(path), n, e.colno) from None


def read_jsonl(path: str | Path) -> list[dict]:
    """Read a processed JSONL file, checking each line's fields; errors name the file and line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file (run `make data` to build the processed corpus)")
    records = []
    for n, rec in json_lines(path):
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise MarkupError("each line needs a string field 'text'", str(path), n)
        for s in rec.get("spans", []):
            if not (isinstance(s, dict) and {"start", "end", "label"} <= s.keys()):
                raise MarkupError("each span needs 'start', 'end' and 'label'", str(path), n)
            if not 0 <= s["start"] < s["end"] <= len(rec["text"]):
                raise MarkupError(f"span {s} lies outside the text", str(path), n)
        rec.setdefault("id", f"{path.stem}:{n}")
        rec.setdefault("spans", [])
        records.append(rec)
    return records
