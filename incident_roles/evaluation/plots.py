"""Benchmark figures as PNG files (matplotlib, no display needed): token-level confusion matrix,
learning curve, training and validation loss. The numbers come from pure functions tested on their own."""
from __future__ import annotations

from pathlib import Path

from incident_roles.text import words_of
from incident_roles.training.alignment import spans_to_word_tags
from incident_roles.labels import LABELS

CLASSES = tuple(LABELS) + ("O",)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    import matplotlib.pyplot as plt

    return plt


def word_labels(text: str, spans) -> list[str]:
    """The label of each word of ``text`` (BIO collapsed: B-X and I-X are X; outside is O)."""
    return [t[2:] if t != "O" else "O" for t in spans_to_word_tags(words_of(text), spans, strict=False)]


def token_confusion(texts, gold_docs, pred_docs, classes=CLASSES) -> list[list[int]]:
    """matrix[gold class][predicted class] counts over every word of every text."""
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = [], []
    for text, gold, pred in zip(texts, gold_docs, pred_docs, strict=True):
        y_true += word_labels(text, gold)
        y_pred += word_labels(text, pred)
    return confusion_matrix(y_true, y_pred, labels=list(classes)).tolist()


def plot_confusion(matrix, path, classes=CLASSES, title="Word-level confusion (rows: gold, columns: predicted)"):
    """Colours show each gold row normalised to 1, so small labels stay visible next to O; cells print counts."""
    import numpy as np

    plt = _pyplot()
    m = np.array(matrix, dtype=float)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center",
                    color="white" if share[i, j] > 0.5 else "black", fontsize=9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, label="share of the gold row")
    return _save(fig, path)


def plot_learning_curve(points: list[dict], path, title="Learning curve (fold 1 held out)"):
    """``points``: dicts with system, train_reports, strict_micro_f1, partial_micro_f1."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for system in dict.fromkeys(p["system"] for p in points):
        pts = sorted((p for p in points if p["system"] == system), key=lambda p: p["train_reports"])
        xs = [p["train_reports"] for p in pts]
        line, = ax.plot(xs, [p["strict_micro_f1"] for p in pts], marker="o", label=f"{system} strict")
        ax.plot(xs, [p["partial_micro_f1"] for p in pts], marker="o", linestyle="--", color=line.get_color(),
                alpha=0.6, label=f"{system} partial")
    ax.set_xlabel("training reports")
    ax.set_ylabel("micro F1 on the held-out fold")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def loss_series(log_history: list[dict]) -> dict:
    """Training loss and validation loss against the step, from Trainer's ``log_history``."""
    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    dev = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e and "step" in e]
    return {"train": train, "eval": dev}


def plot_loss(log_history: list[dict], path, title="Training and validation loss"):
    series = loss_series(log_history)
    if not series["train"] and not series["eval"]:
        raise ValueError("log_history has no 'loss' or 'eval_loss' entries to plot")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    if series["train"]:
        ax.plot(*zip(*series["train"]), label="training loss")
    if series["eval"]:
        ax.plot(*zip(*series["eval"]), marker="o", label="validation loss (dev split)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy per labelled sub-token")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_margin_curves(margins: dict, path, title="Dev precision and recall per label as its margin grows"):
    """One precision-recall curve per label from margins.json (``tune_margins``), each point a margin,
    the chosen margin circled."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for label, points in margins["curves"].items():
        m, prec, rec = zip(*points)
        line, = ax.plot(rec, prec, marker=".", label=f"{label} (margin {margins['margins'][label]:g})")
        chosen = m.index(margins["margins"][label]) if margins["margins"][label] in m else 0
        ax.plot(rec[chosen], prec[chosen], "o", markersize=10, fillstyle="none", color=line.get_color())
    ax.set_xlabel("strict recall (dev)")
    ax.set_ylabel("strict precision (dev)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def _save(fig, path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
