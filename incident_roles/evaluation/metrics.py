"""Entity-level precision, recall and F1: strict (same span and label) and partial (same label,
overlapping characters), per label and micro-averaged."""
from __future__ import annotations

from collections import Counter

from incident_roles.labels import LABELS


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold, "predicted": n_pred}


def _overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def score_documents(gold_docs, pred_docs, labels=LABELS) -> dict:
    """``gold_docs`` and ``pred_docs``: lists (one item per document) of span lists
    (dicts with start, end, label). Returns {"strict": {...}, "partial": {...}}, each with one
    entry per label and "micro"."""
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(pred_docs)} predicted")
    counts = {mode: Counter() for mode in ("strict", "partial")}
    for gold, pred in zip(gold_docs, pred_docs):
        gold_set = {(s["start"], s["end"], s["label"]) for s in gold}
        for label in labels:
            g = [s for s in gold if s["label"] == label]
            p = [s for s in pred if s["label"] == label]
            exact = sum((s["start"], s["end"], label) in gold_set for s in p)
            c = counts["strict"]
            c[label, "n_pred"] += len(p)
            c[label, "n_gold"] += len(g)
            c[label, "tp_pred"] += exact
            c[label, "tp_gold"] += exact
            c = counts["partial"]
            c[label, "n_pred"] += len(p)
            c[label, "n_gold"] += len(g)
            c[label, "tp_pred"] += sum(any(_overlap(s, t) for t in g) for s in p)
            c[label, "tp_gold"] += sum(any(_overlap(s, t) for t in p) for s in g)
    result = {}
    for mode, c in counts.items():
        table = {}
        for label in labels:
            table[label] = _prf(c[label, "tp_pred"], c[label, "n_pred"], c[label, "tp_gold"], c[label, "n_gold"])
        table["micro"] = _prf(*(sum(c[l, k] for l in labels) for k in ("tp_pred", "n_pred", "tp_gold", "n_gold")))
        result[mode] = table
    return result


def format_table(scores: dict, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'label':<21} {'strict P':>8} {'R':>6} {'F1':>6}   {'partial P':>9} {'R':>6} {'F1':>6} {'gold':>6}")
    for label in list(scores["strict"]):
        s, p = scores["strict"][label], scores["partial"][label]
        lines.append(f"{label:<21} {s['precision']:>8.3f} {s['recall']:>6.3f} {s['f1']:>6.3f}   "
                     f"{p['precision']:>9.3f} {p['recall']:>6.3f} {p['f1']:>6.3f} {s['support']:>6}")
    return "\n".join(lines)
