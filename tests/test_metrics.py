import pytest

from incident_roles.evaluation.metrics import score_documents


def S(a, b, label):
    return {"start": a, "end": b, "label": label}


def test_strict_and_partial_scores():
    gold = [[S(0, 4, "ATTACKER"), S(10, 20, "TARGET"), S(30, 33, "VICTIM_COUNT")]]
    pred = [[S(0, 4, "ATTACKER"), S(12, 20, "TARGET"), S(30, 33, "ATTACKER")]]
    r = score_documents(gold, pred)
    assert r["strict"]["ATTACKER"]["precision"] == 0.5 and r["strict"]["ATTACKER"]["recall"] == 1.0
    assert r["strict"]["TARGET"]["f1"] == 0.0 and r["partial"]["TARGET"]["f1"] == 1.0
    assert r["strict"]["VICTIM_COUNT"]["recall"] == 0.0
    assert r["strict"]["micro"]["precision"] == pytest.approx(1 / 3)
    assert r["strict"]["micro"]["recall"] == pytest.approx(1 / 3)
    assert r["partial"]["micro"]["precision"] == pytest.approx(2 / 3)


def test_perfect_and_empty():
    gold = [[S(0, 4, "ATTACKER")], []]
    assert score_documents(gold, gold)["strict"]["micro"]["f1"] == 1.0
    r = score_documents(gold, [[], []])
    assert r["strict"]["micro"]["f1"] == 0.0 and r["strict"]["micro"]["support"] == 1
    with pytest.raises(ValueError):
        score_documents(gold, [[]])
