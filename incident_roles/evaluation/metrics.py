"""Entity-level precision, recall and F1 over character spans, per label and micro-averaged.

Matching is one-to-one and done by nervaluate (the well-kept implementation of the SemEval-2013
scheme), on character offsets so that any tokenizer is scored alike:

- ``strict``: same label and exactly the same start and end.
- ``partial``: same label and at least one shared character; each gold span is matched by at most one
  prediction and each prediction matches at most one gold span (nervaluate's ``ent_type`` mode). A
  prediction that covers two gold spans matches one of them; two fragments of one gold span give one
  match and one false positive.

Precision = matches / predicted spans, recall = matches / gold spans.
"""
from __future__ import annotations

from nervaluate import Evaluator

from incident_roles.labels import LABELS

MODES = {"strict": "strict", "partial": "ent_type"}


def _prf(correct: int, n_pred: int, n_gold: int) -> dict:
    p = correct / n_pred if n_pred else 0.0
    r = correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold, "predicted": n_pred}


def _checked(docs, labels, side: str) -> list[list[dict]]:
    out = []
    for d, spans in enumerate(docs):
        for s in spans:
            if s["label"] not in labels:
                raise ValueError(f"{side} document {d}: unknown label {s['label']!r} (known: {', '.join(labels)})")
        out.append([{"label": s["label"], "start": int(s["start"]), "end": int(s["end"]) - 1} for s in spans])
    return out


def score_documents(gold_docs, pred_docs, labels=LABELS) -> dict:
    """``gold_docs`` and ``pred_docs``: lists (one item per document) of span lists (dicts with start,
    end, label; end exclusive). Returns {"strict": {...}, "partial": {...}}, each with one entry per
    label and "micro". A label outside ``labels`` raises ValueError."""
    gold_docs, pred_docs = list(gold_docs), list(pred_docs)
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(pred_docs)} predicted")
    labels = list(labels)
    # nervaluate takes inclusive ends
    gold, pred = _checked(gold_docs, labels, "gold"), _checked(pred_docs, labels, "predicted")
    n_gold = {l: sum(s["label"] == l for d in gold for s in d) for l in labels}
    n_pred = {l: sum(s["label"] == l for d in pred for s in d) for l in labels}
    per_label = Evaluator(gold, pred, tags=labels, loader="dict").evaluate()["entities"]
    result = {}
    for mode, nerv_mode in MODES.items():
        correct = {l: per_label[l][nerv_mode].correct if l in per_label else 0 for l in labels}
        table = {l: _prf(correct[l], n_pred[l], n_gold[l]) for l in labels}
        table["micro"] = _prf(sum(correct.values()), sum(n_pred.values()), sum(n_gold.values()))
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
