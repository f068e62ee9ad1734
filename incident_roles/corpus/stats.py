"""Counts of the built corpus: per split, label, incident type, region and decade."""
from __future__ import annotations

from collections import Counter

from incident_roles.labels import LABELS


def _table(title: str, rows: dict[str, Counter], columns) -> list[str]:
    cols = list(columns)
    out = [f"\n{title}\n", "| | " + " | ".join(cols) + " | total |", "|---" * (len(cols) + 2) + "|"]
    for name, counter in rows.items():
        out.append(f"| {name} | " + " | ".join(str(counter.get(c, 0)) for c in cols)
                   + f" | {sum(counter.get(c, 0) for c in cols)} |")
    return out


def corpus_stats(by_split: dict) -> dict:
    """Plain-dict counts (JSON-serialisable) for each split and overall."""
    stats = {}
    everything = [r for items in by_split.values() for r in items]
    for name, items in list(by_split.items()) + [("all", everything)]:
        stats[name] = {
            "reports": len(items),
            "incidents": len({r.incident for r in items if not r.incident.startswith("neg-")}),
            "negatives": sum(r.incident.startswith("neg-") for r in items),
            "words": sum(len(r.text.split()) for r in items),
            "labels": dict(Counter(s.label for r in items for s in r.spans)),
            "type": dict(Counter(r.meta.get("type", "?") for r in items)),
            "region": dict(Counter(r.meta.get("region", "?") for r in items)),
            "decade": dict(Counter(f"{r.meta['year'] // 10 * 10}s" if "year" in r.meta else "?"
                                   for r in items)),
        }
    return stats


def stats_markdown(stats: dict) -> str:
    splits = [s for s, v in stats.items() if s != "all" and isinstance(v, dict)] + ["all"]
    lines = ["| split | reports | incidents | negatives | words | " + " | ".join(LABELS) + " |",
             "|---" * (5 + len(LABELS)) + "|"]
    for s in splits:
        st = stats[s]
        lines.append(f"| {s} | {st['reports']} | {st['incidents']} | {st['negatives']} | {st['words']} | "
                     + " | ".join(str(st["labels"].get(l, 0)) for l in LABELS) + " |")
    for key in ("type", "region", "decade"):
        values = sorted(stats["all"][key])
        rows = {s: Counter(stats[s][key]) for s in splits}
        lines += _table(f"Reports per {key}:", rows, values)
    if "consistency_warnings" in stats:
        lines += ["", f"Consistency checker: {stats['consistency_warnings']} open warning(s), "
                      f"{stats.get('consistency_warnings_settled', 0)} settled by a case of `GUIDELINE.md` "
                      "(listed in `settled_warnings.tsv`)."]
    return "\n".join(lines)


def print_stats(by_split: dict) -> dict:
    stats = corpus_stats(by_split)
    print(stats_markdown(stats))
    return stats
