"""The saved folder honours the pipeline() contract with no project code."""
import json

from transformers import pipeline

from incident_roles.labels import LABELS


def test_saved_folder_has_run_files(tiny_model):
    for name in ("config.json", "tokenizer.json", "training_config.yaml", "versions.json", "metrics.json",
                 "README.md", "log_history.json"):
        assert (tiny_model / name).exists(), name
    config = json.loads((tiny_model / "config.json").read_text())
    assert config["id2label"]["0"] == "O"
    assert config["id2label"]["1"] == "B-ATTACKER"
    assert config["label2id"]["I-DIPLOMATIC_RESPONSE"] == 8
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert set(metrics["test"]["strict"]) == set(LABELS) | {"micro"}


def test_pipeline_returns_role_names_and_exact_offsets(tiny_model):
    tagger = pipeline("token-classification", model=str(tiny_model), aggregation_strategy="simple")
    text = "Ruritanian Commandos raided a Border Post, and Borduria Recalled its ambassador."
    entities = tagger(text)
    assert entities, "a tiny model trained on the fixture should still predict something"
    for e in entities:
        assert e["entity_group"] in LABELS
        assert not e["entity_group"].startswith("LABEL_")
        # offsets slice the original, cased text (the tokenizer lowercases `word`)
        assert text[e["start"]:e["end"]].lower().replace(" ", "") == e["word"].replace(" ", "").replace("##", "")


def test_long_text_is_read_to_the_end_with_stride(tiny_model):
    tagger = pipeline("token-classification", model=str(tiny_model), aggregation_strategy="first", stride=64)
    sentence = "Ruritanian commandos raided a border post and killed three guards. "
    text = sentence * 80  # about 1,100 sub-tokens, over the encoder's 512
    assert len(tagger.tokenizer(text)["input_ids"]) > 512
    entities = tagger(text)
    assert max(e["end"] for e in entities) > len(text) * 0.9, "entities near the end of the text are found"
    for e in entities:
        assert 0 <= e["start"] < e["end"] <= len(text)


def test_empty_text_gives_no_entities(tiny_model):
    from incident_roles.serving.predict import load_pipeline, predict_spans

    tagger = load_pipeline(str(tiny_model))
    assert predict_spans(tagger, ["", "   "]) == [[], []]
    assert tagger("") == []
