"""Training on the tiny random BERT: reproducible head, clear errors, accelerate-ready arguments."""
import json

import pytest
import torch

from conftest import tiny_config


def test_seed_makes_the_new_head_reproducible(tiny_base):
    from transformers import set_seed

    from incident_roles.training.encoders import build_model

    heads = []
    for _ in range(2):
        set_seed(7)
        heads.append(build_model(tiny_base).classifier.weight.detach().clone())
    assert torch.equal(heads[0], heads[1])


def test_missing_base_model_is_a_clear_error(tmp_path):
    from incident_roles.training.encoders import BaseModelError, resolve_base_model

    with pytest.raises(BaseModelError, match="neither a folder nor an installed package"):
        resolve_base_model("no-such-encoder-package")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BaseModelError, match="no config.json"):
        resolve_base_model(str(tmp_path / "empty"))


def test_training_learns_the_fixture(tiny_base, fixture_jsonl, tmp_path):
    """Enough steps on six short reports: the training loss must fall well below its start."""
    from incident_roles.training.trainer import train

    out = train(tiny_config(tiny_base, fixture_jsonl, tmp_path / "m", **{"training.num_train_epochs": 20,
                                                                  "training.learning_rate": 5e-3,
                                                                  "training.per_device_train_batch_size": 2}))
    history = json.loads((out / "log_history.json").read_text())
    losses = [h["loss"] for h in history if "loss" in h]
    assert losses[-1] < 0.5 * losses[0]
    card = (out / "README.md").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    m, pm = metrics["test"]["strict"]["micro"], metrics["test"]["partial"]["micro"]
    # the card's micro row is this run's own figures, all five of them in order
    row = (f"| micro | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {pm['f1']:.3f} | "
           f"{m['support']} |")
    assert row in card, row


def test_same_seed_same_weights(tiny_base, fixture_jsonl, tmp_path):
    from safetensors.torch import load_file

    from incident_roles.training.trainer import train

    outs = [train(tiny_config(tiny_base, fixture_jsonl, tmp_path / f"m{i}", **{"training.num_train_epochs": 1}))
            for i in range(2)]
    a, b = (load_file(str(o / "model.safetensors")) for o in outs)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_io_tagging_trains_a_five_tag_head_that_pipeline_reads(tiny_base, fixture_jsonl, tmp_path):
    from transformers import pipeline

    from incident_roles.labels import LABELS
    from incident_roles.training.trainer import train

    out = train(tiny_config(tiny_base, fixture_jsonl, tmp_path / "io", **{"model.tagging": "IO",
                                                                        "training.num_train_epochs": 1}))
    config = json.loads((out / "config.json").read_text())
    assert sorted(config["id2label"].values()) == sorted(["O"] + [f"I-{label}" for label in LABELS])
    tagger = pipeline("token-classification", model=str(out), aggregation_strategy="first")
    from incident_roles.training.margins import apply_margins

    apply_margins(tagger.model, {label: -50.0 for label in LABELS})  # make every word an entity
    entities = tagger("Ruritanian commandos raided a border post.")
    assert entities and all(e["entity_group"] in LABELS for e in entities)
