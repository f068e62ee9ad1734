"""Tag raw text with a saved model through transformers.pipeline(), the same path a user takes."""
from __future__ import annotations

from pathlib import Path

from incident_roles.serving.spans import entities_to_spans, merge_adjacent

DEFAULT_STRIDE = 128


def load_pipeline(model, aggregation_strategy: str = "first", stride: int = DEFAULT_STRIDE, device=None):
    """``model``: a saved model folder, or an already built token-classification pipeline."""
    if not isinstance(model, (str, Path)):
        return model
    from transformers import pipeline

    if not (Path(model) / "config.json").exists():
        raise FileNotFoundError(f"{model}: not a saved model folder (no config.json); train one with "
                                "`python train/train.py --config configs/minilm.yaml`")
    if device is None:  # a visible GPU tags much faster; pipeline() alone would stay on the CPU
        import torch

        device = 0 if torch.cuda.is_available() else -1
    return pipeline("token-classification", model=str(model), aggregation_strategy=aggregation_strategy,
                    stride=stride, device=device)


def predict_spans(pipe, texts, batch_size: int = 8) -> list[list[dict]]:
    """Character spans (start, end, label, score) for each text; empty or blank text gives []."""
    texts = list(texts)
    out: list[list[dict]] = [[] for _ in texts]
    todo = [i for i, t in enumerate(texts) if t.strip()]
    if todo:
        results = pipe([texts[i] for i in todo], batch_size=batch_size)
        for i, entities in zip(todo, results):
            out[i] = merge_adjacent(entities_to_spans(entities, texts[i]), texts[i])
    return out
