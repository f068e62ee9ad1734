"""Per-label decision margins chosen on dev and baked into the classification head.

The tagger is over-confident at the margin: it tags states and fragments that an analyst leaves `O`.
Lowering the bias of a label's B-/I- logits by a margin m makes argmax keep `O` unless the label
wins by more than m, which is a per-label decision threshold that stock ``pipeline()`` (and the ONNX
export, ``extract``, ``batch``) applies with no project code, because it lives in the saved weights.
Margins are chosen on the dev split, one label at a time (coordinate ascent over a fixed grid,
maximising strict micro F1), never on test.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from incident_roles.labels import LABELS

log = logging.getLogger("incident_roles")
GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


def head_of(model):
    """The final linear layer (num_labels outputs) of a token-classification model."""
    head = getattr(model, "classifier", None)
    if head is None or getattr(head, "out_features", None) != model.config.num_labels:
        raise ValueError(f"{type(model).__name__}: no linear `classifier` head with {model.config.num_labels} outputs")
    return head


def label_ids(model, label: str) -> list[int]:
    return [i for i, tag in model.config.id2label.items() if tag.endswith("-" + label)]


def apply_margins(model, margins: dict[str, float], base_bias=None) -> None:
    """Set the head's bias to ``base_bias`` minus each label's margin on its B- and I- outputs."""
    import torch

    head = head_of(model)
    with torch.no_grad():
        if base_bias is not None:
            head.bias.copy_(base_bias)
        for label, m in margins.items():
            for i in label_ids(model, label):
                head.bias[int(i)] -= float(m)


def tune_margins(pipe, records, grid=GRID, batch_size: int = 8) -> dict:
    """Choose a margin per label on ``records`` (dev) through ``pipe`` (a token-classification
    pipeline whose model is changed in place). Returns {"margins", "curves", "f1_before", "f1_after"};
    ``curves[label]`` lists (margin, strict precision, strict recall) of that label."""
    from incident_roles.evaluation.metrics import score_documents
    from incident_roles.serving.predict import predict_spans

    model = pipe.model
    base = head_of(model).bias.detach().clone()
    gold = [r["spans"] for r in records]
    texts = [r["text"] for r in records]
    margins = {label: 0.0 for label in LABELS}

    def score(trial):
        apply_margins(model, trial, base)
        return score_documents(gold, predict_spans(pipe, texts, batch_size=batch_size))["strict"]

    before = score(margins)
    best_f1, curves = before["micro"]["f1"], {label: [] for label in LABELS}
    for label in LABELS:
        for m in grid:
            s = score({**margins, label: m})
            curves[label].append((m, s[label]["precision"], s[label]["recall"]))
            if s["micro"]["f1"] > best_f1 + 1e-9:
                best_f1, margins = s["micro"]["f1"], {**margins, label: m}
        log.info("margin for %s: %.1f (dev strict micro F1 %.3f)", label, margins[label], best_f1)
    apply_margins(model, margins, base)
    return {"margins": margins, "curves": curves, "f1_before": before["micro"]["f1"], "f1_after": best_f1,
            "grid": list(grid)}


def calibrate_saved_model(model_dir, dev_records, aggregation_strategy="first", stride=128, batch_size=8) -> dict:
    """Tune margins on dev for the model saved in ``model_dir``, save the changed head back into it
    and write margins.json beside the weights."""
    from incident_roles.serving.predict import load_pipeline

    pipe = load_pipeline(str(model_dir), aggregation_strategy=aggregation_strategy, stride=stride)
    result = tune_margins(pipe, dev_records, batch_size=batch_size)
    pipe.model.save_pretrained(str(model_dir))
    Path(model_dir, "margins.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
