"""Distillation: the teacher's word distributions as a build artefact, mapped through the student's own
words and tag scheme, the loss, and a student trained from them end to end (tiny BERT)."""
import json

import pytest
import torch

from incident_roles.labels import tags_of
from incident_roles.training.distill import (continuation, distillation_loss, read_targets, teacher_targets,
                                             text_hash, word_distributions, write_targets)

BIO, IO = tags_of("BIO"), tags_of("IO")


def target(text, words, probs, tags=BIO):
    return {"id": "r", "sha1": text_hash(text), "tags": list(tags), "words": words, "probs": probs}


def one_hot(tag, tags=BIO):
    return [1.0 if t == tag else 0.0 for t in tags]


def test_teacher_mass_goes_to_the_students_tags_and_unknown_words_get_none():
    text = "Iran seized it"
    t = target(text, [[0, 4], [5, 11]], [one_hot("B-ATTACKER"), one_hot("O")])
    assert word_distributions(t, text, [(0, 4), (5, 11), (12, 14)], BIO) == \
        [one_hot("B-ATTACKER"), one_hot("O"), None]
    # an IO student has no B- tag: the B- mass becomes I-
    assert word_distributions(t, text, [(0, 4)], IO) == [one_hot("I-ATTACKER", IO)]


def test_a_changed_report_trains_on_gold_alone():
    t = target("Iran seized it", [[0, 4]], [one_hot("B-ATTACKER")])
    assert word_distributions(t, "Iraq seized it", [(0, 4)], BIO) == [None]
    assert word_distributions(None, "Iran seized it", [(0, 4)], BIO) == [None]


def test_continuation_sub_tokens_take_the_inside_tag():
    d = [0.1] + [0.0] * 8
    d[BIO.index("B-TARGET")], d[BIO.index("I-TARGET")] = 0.6, 0.3
    q = continuation(d, BIO)
    assert q[BIO.index("B-TARGET")] == 0 and q[BIO.index("I-TARGET")] == pytest.approx(0.9)
    assert sum(q) == pytest.approx(1.0)


def test_the_loss_mixes_gold_and_teacher_and_skips_tokens_without_a_teacher():
    torch.manual_seed(0)
    logits = torch.randn(1, 3, 9)
    labels = torch.tensor([[1, 0, -100]])
    gold_ce = torch.nn.functional.cross_entropy(logits[0, :2], labels[0, :2])
    no_teacher = torch.full((1, 3, 9), -1.0)
    assert distillation_loss(logits, labels, no_teacher, 0.5, 2.0) == pytest.approx(gold_ce.item())
    # a teacher that agrees with gold, at T=1, gives the gold loss whatever the weight
    agree = torch.tensor([[one_hot(BIO[1]), one_hot("O"), [-1.0] * 9]])
    assert distillation_loss(logits, labels, agree, 0.7, 1.0).item() == pytest.approx(gold_ce.item(), rel=1e-4)
    # against a student that follows gold, a disagreeing teacher costs more the more it weighs
    logits[0, 0, 1] = logits[0, 1, 0] = 6.0
    disagree = torch.tensor([[one_hot("O"), one_hot(BIO[1]), [-1.0] * 9]])
    assert distillation_loss(logits, labels, disagree, 0.5, 1.0) > distillation_loss(logits, labels, disagree, 0.1, 1.0)


def test_targets_file_round_trips_and_a_bad_line_names_it(tmp_path):
    t = target("Iran seized it", [[0, 4]], [one_hot("B-ATTACKER")])
    write_targets([t], tmp_path / "t.jsonl.gz")
    assert read_targets(tmp_path / "t.jsonl.gz") == {"r": t}
    import gzip

    with gzip.open(tmp_path / "bad.jsonl.gz", "wt") as f:
        f.write(json.dumps(t) + "\n{oops\n")
    with pytest.raises(ValueError, match="bad.jsonl.gz: line 2"):
        read_targets(tmp_path / "bad.jsonl.gz")
    with pytest.raises(FileNotFoundError, match="missing.jsonl.gz"):
        read_targets(tmp_path / "missing.jsonl.gz")


def test_a_student_trains_on_a_teachers_targets(tiny_model, tiny_base, fixture_jsonl, fixture_records, tmp_path,
                                                  tokenizer):
    from conftest import tiny_config
    from incident_roles.training.trainer import train, window_rows

    targets = teacher_targets(tiny_model, fixture_records, device="cpu")
    first = next(t for t in targets if t["words"])
    assert len(first["words"]) == len(first["probs"]) and sum(first["probs"][0]) == pytest.approx(1.0, abs=1e-3)
    write_targets(targets, tmp_path / "teacher.jsonl.gz")

    config = tiny_config(tiny_base, fixture_jsonl, tmp_path / "student", **{
        "distill.teacher": str(tmp_path / "teacher.jsonl.gz"), "model.num_hidden_layers": 1,
        "model.label_subtokens": "all", "eval.calibrate": False})
    rows = window_rows(json_records(fixture_jsonl), tokenizer, config, read_targets(config.distill.teacher))
    # every labelled sub-token has the teacher's distribution, every ignored one has none
    for row in rows:
        for label, soft in zip(row["labels"], row["soft"]):
            assert (label == -100) == (soft[0] < 0)
    out = train(config)
    saved = json.loads((out / "config.json").read_text())
    assert saved["num_hidden_layers"] == 1
    assert json.loads((out / "metrics.json").read_text())["test"]["documents"] > 0


def json_records(data_dir):
    from incident_roles.corpus.jsonl import read_jsonl

    return read_jsonl(data_dir / "train.jsonl")


def test_each_cross_validation_fold_reads_its_own_teacher(tmp_path):
    from incident_roles.evaluation.crossval import fold_config
    from incident_roles.training.config import load_config

    config = load_config(None, {"distill.teacher": "teachers/fold{fold}.jsonl.gz"})
    assert fold_config(config, tmp_path, tmp_path / "t.jsonl", fold=3).distill.teacher == "teachers/fold3.jsonl.gz"
    assert config.distill.teacher == "teachers/fold{fold}.jsonl.gz"
