"""Every strict false positive and false negative of a model on a split, by label and by error type.

Types, for a span that does not match exactly (same start, end and label):
- ``wrong boundary``: a prediction overlaps a gold span of the same label;
- ``wrong label``: a prediction overlaps a gold span only of another label;
- ``spurious``: a prediction overlaps no gold span;
- ``missed``: a gold span that no prediction overlaps.
A prediction of the first two kinds is one false positive and its gold span one false negative.
"""
from __future__ import annotations

import re
from collections import Counter

from incident_roles.labels import LABELS
from incident_roles.text import sentence_bounds, spans_overlap as _overlap

TYPES = ("wrong boundary", "wrong label", "missed", "spurious")


def _key(s):
    return (s["start"], s["end"], s["label"])


def classify_errors(gold: list[dict], pred: list[dict]) -> list[dict]:
    """Errors of one document: dicts with type, label (gold's, or the prediction's when spurious),
    gold (span or None) and pred (span or None), in text order."""
    gold_keys = {_key(s) for s in gold}
    pred_keys = {_key(s) for s in pred}
    wrong_preds = [p for p in pred if _key(p) not in gold_keys]
    open_gold = [g for g in gold if _key(g) not in pred_keys]
    touched = set()
    errors = []
    for p in sorted(wrong_preds, key=lambda s: s["start"]):
        over = [g for g in gold if _overlap(p, g)]
        same = [g for g in over if g["label"] == p["label"]]
        # prefer a gold span no other prediction has claimed, so each miss is explained once
        pick = lambda spans: sorted(spans, key=lambda g: (_key(g) in touched, g["start"]))[0]  # noqa: E731
        if same:
            g = pick(same)
            errors.append({"type": "wrong boundary", "label": g["label"], "gold": g, "pred": p})
        elif over:
            g = pick(over)
            errors.append({"type": "wrong label", "label": g["label"], "gold": g, "pred": p})
        else:
            errors.append({"type": "spurious", "label": p["label"], "gold": None, "pred": p})
            continue
        touched.add(_key(g))
    for g in open_gold:
        if _key(g) not in touched and not any(_overlap(g, p) for p in wrong_preds):
            errors.append({"type": "missed", "label": g["label"], "gold": g, "pred": None})
    return sorted(errors, key=lambda e: (e["gold"] or e["pred"])["start"])




def mark(text: str, a: int, b: int, spans: list[tuple[dict, str]]) -> str:
    """The sentence text[a:b] with each (span, tag) wrapped as ⟦span⟧tag; spans may overlap only
    pairwise (gold vs predicted), so nested marks are written outer first."""
    inserts = []
    for s, tag in spans:
        inserts.append((s["start"], 0, -s["end"], "⟦"))
        inserts.append((s["end"], 1, -s["start"], f"⟧{tag}"))
    out, pos = [], a
    for at, _, _, piece in sorted(inserts):
        out.append(text[pos:at])
        out.append(piece)
        pos = at
    out.append(text[pos:b])
    return " ".join("".join(out).split())


def count_errors(errors: list[dict]) -> dict:
    c = Counter((e["label"], e["type"]) for e in errors)
    return {label: {t: c[label, t] for t in TYPES} for label in LABELS}


def _describe(text: str, e: dict) -> str:
    g, p = e["gold"], e["pred"]
    show = lambda s: f"`{text[s['start']:s['end']]}` {s['label']}" if s else "none"  # noqa: E731
    spans = [x for x in ((g, "gold"), (p, "pred")) if x[0]]
    a, b = sentence_bounds(text, min(s["start"] for s, _ in spans), max(s["end"] for s, _ in spans))
    return (f"- predicted: {show(p)}; gold: {show(g)}\n"
            f"  > {mark(text, a, b, spans)}")


def error_report(records: list[dict], preds: list[list[dict]], header: str = "") -> tuple[str, dict]:
    """Markdown listing every error grouped by label then type, with the counts first; and the counts."""
    if len(records) != len(preds):
        raise ValueError(f"{len(records)} reports but {len(preds)} predictions")
    per_doc = [(r, classify_errors(r["spans"], p)) for r, p in zip(records, preds)]
    everything = [e for _, errs in per_doc for e in errs]
    counts = count_errors(everything)
    n_fp = sum(len([s for s in p if _key(s) not in {_key(g) for g in r["spans"]}]) for r, p in zip(records, preds))
    n_fn = sum(len([g for g in r["spans"] if _key(g) not in {_key(s) for s in p}]) for r, p in zip(records, preds))
    lines = [header] if header else []
    lines += [f"{len(records)} reports: {n_fp} false positives (predicted spans with no exact gold match) and "
              f"{n_fn} false negatives (gold spans with no exact prediction), in {len(everything)} errors.",
              "", "| label | " + " | ".join(TYPES) + " | total |", "|---|" + "---|" * (len(TYPES) + 1)]
    for label in LABELS:
        row = counts[label]
        lines.append(f"| {label} | " + " | ".join(str(row[t]) for t in TYPES) + f" | {sum(row.values())} |")
    totals = {t: sum(counts[l][t] for l in LABELS) for t in TYPES}
    lines.append("| all | " + " | ".join(str(totals[t]) for t in TYPES) + f" | {sum(totals.values())} |")
    lines += ["", "Types: *wrong boundary* overlaps a gold span of the same label; *wrong label* overlaps only a "
              "gold span of another label; *missed* is a gold span no prediction touches; *spurious* touches no "
              "gold span. In the sentences, ⟦...⟧gold and ⟦...⟧pred mark the two spans."]
    for label in LABELS:
        lines += ["", f"## {label}"]
        for t in TYPES:
            items = [(r, e) for r, errs in per_doc for e in errs if e["label"] == label and e["type"] == t]
            if not items:
                continue
            lines += ["", f"### {t} ({len(items)})", ""]
            for r, e in items:
                lines.append(f"{_describe(r['text'], e)}\n  (report {r['id']})")
    return "\n".join(lines) + "\n", {"false_positives": n_fp, "false_negatives": n_fn, "by_label": counts}
