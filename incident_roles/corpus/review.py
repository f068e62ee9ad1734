"""Annotation consistency between the first pass and the reviewed pass of the corpus.

    python -m incident_roles.corpus.review snapshot   # before the review: data/review/first_pass.jsonl
    python -m incident_roles.corpus.review agreement  # after it: span F1 per label, first pass vs reviewed

The reviewed annotation is taken as the reference; a first pass that the reviewer left unchanged
scores 1.0. Reviews change markup only; where a reviewer also mended the wording of a report, its
spans are compared by label and surface string instead of character offsets.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from incident_roles.corpus.jsonl import read_jsonl, write_jsonl
from incident_roles.corpus.reports import read_reports
from incident_roles.labels import LABELS
from incident_roles.evaluation.metrics import score_documents

FIRST_PASS = Path("data/review/first_pass.jsonl")


def snapshot(reports_dir="data/reports", out=FIRST_PASS, pattern="*.txt") -> int:
    """Record the first pass of every report matching ``pattern`` not recorded yet; reports already in
    ``out`` keep their first pass, so batches can be snapshotted one by one as their writers finish."""
    out = Path(out)
    kept = {r["id"]: r for r in read_jsonl(out)} if out.exists() else {}
    reports, errors = read_reports(sorted(Path(reports_dir).glob(pattern)))
    if errors:
        raise SystemExit("\n".join(map(str, errors)))
    added = [r for r in reports if r.id not in kept]
    for r in added:
        kept[r.id] = {"id": r.id, "text": r.text, "spans": [s.as_dict() for s in r.spans]}
    write_jsonl([kept[k] for k in sorted(kept)], out)
    return len(added)


def _surface_spans(rec: dict) -> list[dict]:
    """Spans re-expressed by (label, surface, occurrence) so that edited texts can still be compared."""
    seen: Counter = Counter()
    out = []
    for s in rec["spans"]:
        key = (s["label"], rec["text"][s["start"]:s["end"]])
        seen[key] += 1
        out.append({"start": hash((key, seen[key])), "end": hash((key, seen[key])) + 1, "label": s["label"]})
    return out


def agreement(first_pass=FIRST_PASS, reports_dir="data/reports") -> dict:
    first = {r["id"]: r for r in read_jsonl(first_pass)}
    reports, errors = read_reports(sorted(Path(reports_dir).glob("*.txt")))
    if errors:
        raise SystemExit("\n".join(map(str, errors)))
    gold, pred, changed_text = [], [], 0
    reviewed = [r for r in reports if r.id in first]
    for r in reviewed:
        old = first[r.id]
        new = {"text": r.text, "spans": [s.as_dict() for s in r.spans]}
        if old["text"] == r.text:
            gold.append(new["spans"])
            pred.append(old["spans"])
        else:
            changed_text += 1
            gold.append(_surface_spans(new))
            pred.append(_surface_spans(old))
    scores = score_documents(gold, pred)["strict"]
    changed = sum(g != p for g, p in zip(gold, pred))
    return {"reports": len(reviewed), "reports_changed": changed, "texts_edited": changed_text,
            "f1": {k: round(v["f1"], 4) for k, v in scores.items()},
            "spans_first_pass": {k: v["predicted"] for k, v in scores.items()},
            "spans_reviewed": {k: v["support"] for k, v in scores.items()}}


def format_agreement(result: dict) -> str:
    lines = [f"{result['reports']} reports reviewed, {result['reports_changed']} changed "
             f"({result['texts_edited']} with edited wording)",
             "", "| label | spans, first pass | spans, reviewed | span F1 first vs reviewed |", "|---|---|---|---|"]
    for label in list(LABELS) + ["micro"]:
        lines.append(f"| {label} | {result['spans_first_pass'][label]} | {result['spans_reviewed'][label]} | "
                     f"{result['f1'][label]:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m incident_roles.corpus.review", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["snapshot", "agreement"])
    parser.add_argument("--reports", default="data/reports")
    parser.add_argument("--first-pass", default=str(FIRST_PASS))
    parser.add_argument("--pattern", default="*.txt", help="snapshot only these report files, e.g. 'a*.txt'")
    parser.add_argument("--card", help="agreement: also write the table into this data card (data/README.md)")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        n = snapshot(args.reports, args.first_pass, args.pattern)
        print(f"saved the first pass of {n} more reports to {args.first_pass}")
    else:
        result = agreement(args.first_pass, args.reports)
        print(format_agreement(result))
        print(json.dumps(result))
        if args.card:
            write_card_section(args.card, format_agreement(result),
                               "python -m incident_roles.corpus.review agreement --card " + args.card)
            print(f"updated the annotation consistency section of {args.card}")
    return 0


REVIEW_START, REVIEW_END = "<!-- review:start -->", "<!-- review:end -->"


def write_card_section(card, table: str, command: str) -> None:
    from incident_roles.text import fill_section

    fill_section(card, REVIEW_START, REVIEW_END, f"Printed by `{command}`:\n\n{table}\n")


if __name__ == "__main__":
    sys.exit(main())
