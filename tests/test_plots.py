"""Benchmark figures: the word-level confusion counts and the loss series are right; PNGs are written."""
import pytest


def test_token_confusion_counts_words_with_bio_collapsed():
    from incident_roles.evaluation.plots import CLASSES, token_confusion

    text = "Iranian forces struck two bases"  # 5 words
    gold = [{"start": 0, "end": 14, "label": "ATTACKER"}, {"start": 22, "end": 25, "label": "VICTIM_COUNT"}]
    pred = [{"start": 0, "end": 7, "label": "ATTACKER"}, {"start": 22, "end": 31, "label": "TARGET"}]
    m = token_confusion([text], [gold], [pred])
    at = lambda g, p: m[CLASSES.index(g)][CLASSES.index(p)]  # noqa: E731
    assert at("ATTACKER", "ATTACKER") == 1 and at("ATTACKER", "O") == 1
    assert at("VICTIM_COUNT", "TARGET") == 1 and at("O", "TARGET") == 1 and at("O", "O") == 1
    assert sum(map(sum, m)) == 5


def test_loss_series_splits_training_and_validation():
    from incident_roles.evaluation.plots import loss_series

    history = [{"loss": 2.0, "step": 10}, {"eval_loss": 1.5, "eval_f1": 0.1, "step": 14},
               {"loss": 1.0, "step": 20}, {"train_runtime": 9.0, "train_loss": 1.4, "step": 20}]
    assert loss_series(history) == {"train": [(10, 2.0), (20, 1.0)], "eval": [(14, 1.5)]}


def test_plots_write_png_files(tmp_path):
    from incident_roles.evaluation.plots import CLASSES, plot_confusion, plot_learning_curve, plot_loss

    png = b"\x89PNG"
    m = [[i + j for j in range(len(CLASSES))] for i in range(len(CLASSES))]
    assert plot_confusion(m, tmp_path / "c.png").read_bytes()[:4] == png
    points = [{"system": s, "train_reports": n, "strict_micro_f1": n / 100, "partial_micro_f1": n / 90}
              for s in ("transformer", "linear") for n in (10, 20, 40)]
    assert plot_learning_curve(points, tmp_path / "lc.png").read_bytes()[:4] == png
    assert plot_loss([{"loss": 1.0, "step": 1}, {"eval_loss": 0.9, "step": 2}], tmp_path / "l.png").exists()
    with pytest.raises(ValueError, match="no 'loss'"):
        plot_loss([{"train_runtime": 1.0}], tmp_path / "none.png")
