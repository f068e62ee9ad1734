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


def test_a_duplicated_prediction_is_one_hit_and_one_false_positive():
    gold = [[S(0, 4, "ATTACKER")]]
    r = score_documents(gold, [[S(0, 4, "ATTACKER"), S(0, 4, "ATTACKER")]])
    for mode in ("strict", "partial"):
        assert r[mode]["ATTACKER"]["recall"] == 1.0
        assert r[mode]["ATTACKER"]["precision"] == 0.5


def test_partial_matching_is_one_to_one():
    # one long prediction over two gold spans matches one of them, not both
    gold = [[S(0, 4, "TARGET"), S(5, 9, "TARGET")]]
    r = score_documents(gold, [[S(0, 9, "TARGET")]])
    assert r["partial"]["TARGET"]["recall"] == 0.5
    assert r["partial"]["TARGET"]["precision"] == 1.0
    assert r["strict"]["TARGET"]["f1"] == 0.0
    # two fragments of one gold span: one matches, the other is a false positive
    r = score_documents([[S(0, 9, "TARGET")]], [[S(0, 4, "TARGET"), S(5, 9, "TARGET")]])
    assert r["partial"]["TARGET"]["recall"] == 1.0 and r["partial"]["TARGET"]["precision"] == 0.5


def test_partial_needs_the_same_label():
    r = score_documents([[S(0, 9, "TARGET")]], [[S(0, 4, "ATTACKER")]])
    assert r["partial"]["micro"]["f1"] == 0.0


@pytest.mark.parametrize("side", ["gold", "pred"])
def test_unknown_labels_raise(side):
    good, bad = [[S(0, 4, "ATTACKER")]], [[S(0, 4, "VICTIM")]]
    gold, pred = (bad, good) if side == "gold" else (good, bad)
    with pytest.raises(ValueError, match="VICTIM"):
        score_documents(gold, pred)
