"""Per-label decision margins: chosen on dev, saved in the weights, honoured by stock pipeline()."""
import json

import pytest

from incident_roles.labels import LABELS


@pytest.fixture()
def margin_model(tmp_path, tiny_model):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(tiny_model, folder)
    return folder


def _n_entities(folder, text):
    from transformers import pipeline

    return len(pipeline("token-classification", model=str(folder), aggregation_strategy="first")(text))


def test_the_trained_model_carries_its_margins(tiny_model):
    m = json.loads((tiny_model / "margins.json").read_text())
    assert set(m["margins"]) == set(LABELS)
    assert m["f1_after"] >= m["f1_before"]
    assert all(len(m["curves"][label]) == len(m["grid"]) for label in LABELS)
    png = tiny_model / "margins.png"  # the precision-recall curves, drawn by the training run
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_a_large_margin_saved_in_the_weights_silences_stock_pipeline(margin_model, fixture_records):
    from transformers import AutoModelForTokenClassification

    from incident_roles.training.margins import apply_margins

    text = next(r["text"] for r in fixture_records if r["spans"])
    model = AutoModelForTokenClassification.from_pretrained(margin_model)
    before = _n_entities(margin_model, text)
    apply_margins(model, {label: -50.0 for label in LABELS})  # a negative margin: every word an entity
    model.save_pretrained(margin_model)
    assert _n_entities(margin_model, text) > before
    apply_margins(model, {label: 100.0 for label in LABELS})
    model.save_pretrained(margin_model)
    assert _n_entities(margin_model, text) == 0


def test_tuning_never_lowers_dev_f1_and_picks_from_the_grid(margin_model, fixture_records):
    from incident_roles.serving.predict import load_pipeline
    from incident_roles.training.margins import head_of, label_ids, tune_margins

    pipe = load_pipeline(str(margin_model))
    base = head_of(pipe.model).bias.detach().clone()
    dev = [r for r in fixture_records if r["spans"]][:4]
    result = tune_margins(pipe, dev, grid=(0.0, 2.0, 50.0))
    assert result["f1_after"] >= result["f1_before"]
    assert all(m in (0.0, 2.0, 50.0) for m in result["margins"].values())
    # the pipeline's own model now carries the chosen margins, and only on each label's own outputs
    bias = head_of(pipe.model).bias.detach()
    for label, m in result["margins"].items():
        for i in label_ids(pipe.model, label):
            assert float(base[i] - bias[i]) == pytest.approx(m)
    assert float(bias[0]) == pytest.approx(float(base[0]))  # O untouched
