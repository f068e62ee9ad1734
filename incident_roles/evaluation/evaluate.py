"""Score a saved model on a processed JSONL file, from what pipeline() returns on the raw text."""
from __future__ import annotations

import json
from pathlib import Path

from incident_roles.corpus.jsonl import read_jsonl
from incident_roles.evaluation.metrics import format_table, score_documents
from incident_roles.serving.predict import load_pipeline, predict_spans
from incident_roles.serving.predict import DEFAULT_STRIDE


def evaluate(model, data, aggregation_strategy: str = "first", stride: int = DEFAULT_STRIDE, batch_size: int = 8,
             return_predictions: bool = False):
    """``data``: a JSONL path or a list of records. Returns the strict and partial scores."""
    records = read_jsonl(data) if isinstance(data, (str, Path)) else list(data)
    pipe = load_pipeline(model, aggregation_strategy=aggregation_strategy, stride=stride)
    preds = predict_spans(pipe, [r["text"] for r in records], batch_size=batch_size)
    scores = score_documents([r["spans"] for r in records], preds)
    scores["documents"] = len(records)
    if return_predictions:
        return scores, preds
    return scores


def inside_word(text: str, i: int) -> bool:
    """Whether character offset ``i`` falls between two letters or digits of one word."""
    return 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum()


def word_cuts(model, texts, aggregation_strategy: str = "first", stride: int = DEFAULT_STRIDE,
              batch_size: int = 8) -> dict:
    """How many entities of the raw pipeline() output start or end inside a word (no project
    post-processing), and how many entities in all: what a user of that aggregation gets."""
    pipe = load_pipeline(model, aggregation_strategy=aggregation_strategy, stride=stride)
    texts = [t for t in texts if t.strip()]
    cut = total = 0
    for text, entities in zip(texts, pipe(texts, batch_size=batch_size)):
        total += len(entities)
        cut += sum(inside_word(text, e["start"]) or inside_word(text, e["end"]) for e in entities)
    return {"aggregation_strategy": aggregation_strategy, "entities": total, "cutting_a_word": cut}


def write_scores(scores: dict, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")


__all__ = ["evaluate", "word_cuts", "write_scores", "format_table"]
