"""Annotated report files: read, validate, split by incident, write the processed JSONL.

    python -m incident_roles.corpus check data/reports/*.txt
    python -m incident_roles.corpus build            # data/reports -> data/processed/{train,dev,test}.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from incident_roles.text import words_of

from incident_roles.corpus.jsonl import write_jsonl
from incident_roles.corpus.markup import MarkupError, Span, parse_markup, span_problems
from incident_roles.corpus.split import split_of
from incident_roles.text import fill_section

TYPES = (
    "air-strike missile-strike drone-strike raid shelling border-clash ambush shoot-down "
    "vessel-seizure mission-attack assassination poisoning bombing hostage-taking incursion "
    "abduction negative"
).split()
REGIONS = ("Africa", "Americas", "Asia", "Europe", "Middle East", "Oceania")
STYLES = ("wire", "bulletin", "analysis", "background", "quotes", "timeline", "headline-led")
HEADER_KEYS = ("id", "incident", "type", "region", "year", "style")
SPLITS = ("train", "dev", "test")


@dataclass
class Report:
    id: str
    incident: str
    text: str
    spans: list[Span]
    meta: dict = field(default_factory=dict)
    source: str = ""

    def as_record(self) -> dict:
        return {
            "id": self.id,
            "incident": self.incident,
            "text": self.text,
            "spans": [s.as_dict() for s in self.spans],
            "meta": self.meta,
        }


def parse_report(raw: str, source: str = "<report>") -> Report:
    """Parse one report file's content. Raises MarkupError naming ``source`` and the line."""
    lines = raw.split("\n")
    try:
        sep = next(i for i, line in enumerate(lines) if line.strip() == "---")
    except StopIteration:
        raise MarkupError("no '---' line between the header and the body", source, 1) from None
    header: dict[str, str] = {}
    for n, line in enumerate(lines[:sep], start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or key not in HEADER_KEYS:
            raise MarkupError(
                f"header line must be 'key: value' with key one of {', '.join(HEADER_KEYS)}; got {line!r}",
                source, n)
        if key in header:
            raise MarkupError(f"header key '{key}' given twice", source, n)
        header[key] = value.strip()
    for key in ("id", "incident"):
        if not header.get(key):
            raise MarkupError(f"header lacks '{key}:'", source, 1)
    checks = (("type", TYPES), ("region", REGIONS), ("style", STYLES))
    for key, allowed in checks:
        if key in header and header[key] not in allowed:
            n = next(i for i, l in enumerate(lines[:sep], 1) if l.strip().startswith(key))
            raise MarkupError(f"{key} '{header[key]}' is not one of: {', '.join(allowed)}", source, n)
    if "year" in header and not (header["year"].isdigit() and 1900 < int(header["year"]) < 2100):
        n = next(i for i, l in enumerate(lines[:sep], 1) if l.strip().startswith("year"))
        raise MarkupError(f"year '{header['year']}' is not a four-digit year", source, n)

    body_lines = lines[sep + 1 :]
    first = 0
    while first < len(body_lines) and not body_lines[first].strip():
        first += 1
    body = "\n".join(body_lines[first:]).rstrip()
    if not body:
        raise MarkupError("the report body is empty", source, sep + 2)
    body_first_line = sep + 2 + first
    text, spans = parse_markup(body, source, body_first_line)
    for span in spans:
        problems = span_problems(text, span)
        if problems:
            line = text.count("\n", 0, span.start) + body_first_line
            raise MarkupError("; ".join(problems), source, line)
    # the words training will tag: a span must cover whole words and no two spans may overlap
    from incident_roles.training.alignment import AlignmentError, spans_to_word_tags

    try:
        spans_to_word_tags(words_of(text), [s.as_dict() for s in spans])
    except AlignmentError as e:
        raise MarkupError(str(e), source, text.count("\n", 0, e.span["start"]) + body_first_line) from None
    meta = {k: header[k] for k in ("type", "region", "style") if k in header}
    if "year" in header:
        meta["year"] = int(header["year"])
    return Report(header["id"], header["incident"], text, spans, meta, source)


def read_report(path: str | Path) -> Report:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise MarkupError(f"not UTF-8 ({e.reason})", str(path), 1) from None
    report = parse_report(raw, str(path))
    if report.id != path.stem:
        raise MarkupError(f"header id '{report.id}' differs from the file name '{path.stem}'", str(path), 1)
    return report


def read_reports(paths, strict: bool = True) -> tuple[list[Report], list[MarkupError]]:
    """Read every file; collect all errors instead of stopping at the first, so nothing is lost."""
    reports, errors = [], []
    for p in sorted(map(Path, paths)):
        try:
            reports.append(read_report(p))
        except MarkupError as e:
            errors.append(e)
    seen: dict[str, str] = {}
    for r in reports:
        if r.id in seen:
            errors.append(MarkupError(f"id '{r.id}' is also used by {seen[r.id]}", r.source, 1))
        seen[r.id] = r.source
    return reports, errors


def label_counts(records) -> Counter:
    return Counter(s["label"] if isinstance(s, dict) else s.label
                   for r in records for s in (r["spans"] if isinstance(r, dict) else r.spans))


def build(reports_dir="data/reports", out_dir="data/processed", check_consistency=True) -> dict:
    """Validate every report and write the three splits. Returns the counts it printed."""
    paths = sorted(Path(reports_dir).glob("*.txt"))
    if not paths:
        raise SystemExit(f"{reports_dir}: no report files (*.txt) found")
    reports, errors = read_reports(paths)
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        raise SystemExit(f"{len(errors)} report file(s) failed validation; nothing was written")
    by_split = {s: [] for s in SPLITS}
    for r in reports:
        by_split[split_of(r.incident)].append(r)
    for name, items in by_split.items():
        write_jsonl([r.as_record() for r in items], Path(out_dir) / f"{name}.jsonl")
    from incident_roles.corpus.stats import print_stats
    stats = print_stats(by_split)
    if check_consistency:
        from incident_roles.corpus.consistency import check_corpus, load_settled
        warnings = check_corpus(reports)
        settled = load_settled(Path(reports_dir).parent / "settled_warnings.tsv")
        open_ = [w for w in warnings if w not in settled]
        print(f"\nconsistency checker: {len(warnings)} warning(s), {len(warnings) - len(open_)} of them "
              "settled by a case of data/GUIDELINE.md (data/settled_warnings.tsv)")
        for w in open_:
            print(f"  warning: {w}")
        stats["consistency_warnings"] = len(open_)
        stats["consistency_warnings_settled"] = len(warnings) - len(open_)
    (Path(out_dir) / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {', '.join(f'{Path(out_dir) / s}.jsonl' for s in SPLITS)} and stats.json")
    return stats


CARD_START, CARD_END = "<!-- counts:start -->", "<!-- counts:end -->"


def update_card(card: str | Path, stats: dict, command: str) -> None:
    """Replace the counts section of the data card with the figures this build printed."""
    from incident_roles.corpus.stats import stats_markdown

    fill_section(card, CARD_START, CARD_END, f"Printed by `{command}`:\n\n" + stats_markdown(stats) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m incident_roles.corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate report files and print every error")
    check.add_argument("files", nargs="*", help="report files (default: data/reports/*.txt)")
    b = sub.add_parser("build", help="validate data/reports and write data/processed/*.jsonl")
    b.add_argument("--reports", default="data/reports")
    b.add_argument("--out", default="data/processed")
    b.add_argument("--card", help="also write the counts into this data card (e.g. data/README.md)")
    args = parser.parse_args(argv)
    if args.command == "check":
        files = args.files or sorted(Path("data/reports").glob("*.txt"))
        reports, errors = read_reports(files)
        for e in errors:
            print(f"error: {e}")
        print(f"{len(reports)} file(s) valid, {len(errors)} with errors; labels: "
              + ", ".join(f"{k} {v}" for k, v in sorted(label_counts(reports).items())))
        if not errors:
            from incident_roles.corpus.consistency import check_corpus
            warnings = check_corpus(reports)
            for w in warnings:
                print(f"warning: {w}")
            print(f"consistency checker: {len(warnings)} warning(s) among these files")
        return 1 if errors else 0
    stats = build(args.reports, args.out)
    if args.card:
        update_card(args.card, stats, "python -m incident_roles.corpus build --card " + args.card)
        print(f"updated the counts in {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
