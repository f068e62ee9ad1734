"""Error analysis: each strict error gets the right type, sentence and place in the Markdown report."""


def S(a, b, label):
    return {"start": a, "end": b, "label": label}


def test_error_types():
    from incident_roles.evaluation.errors import classify_errors

    gold = [S(0, 14, "ATTACKER"), S(22, 25, "VICTIM_COUNT"), S(40, 45, "TARGET"), S(60, 70, "TARGET")]
    pred = [S(0, 7, "ATTACKER"), S(22, 25, "TARGET"), S(40, 45, "TARGET"), S(80, 90, "ATTACKER")]
    errors = classify_errors(gold, pred)
    got = [(e["type"], e["label"], e["gold"] and e["gold"]["start"], e["pred"] and e["pred"]["start"]) for e in errors]
    assert got == [("wrong boundary", "ATTACKER", 0, 0), ("wrong label", "VICTIM_COUNT", 22, 22),
                   ("missed", "TARGET", 60, None), ("spurious", "ATTACKER", None, 80)]
    assert classify_errors(gold, gold) == []


def test_sentence_bounds_and_marks():
    from incident_roles.evaluation.errors import mark, sentence_bounds

    text = "First one here. Iranian forces struck two bases. Last one."
    a, b = sentence_bounds(text, 16, 30)
    assert text[a:b] == "Iranian forces struck two bases."
    dateline = "TUNIS, Jan. 29 - The U.S. embassy was stormed.\nNext line."
    assert dateline[slice(*sentence_bounds(dateline, 30, 36))] == "TUNIS, Jan. 29 - The U.S. embassy was stormed."
    marked = mark(text, a, b, [(S(16, 30, "ATTACKER"), "gold"), (S(16, 23, "ATTACKER"), "pred")])
    assert marked == "⟦⟦Iranian⟧pred forces⟧gold struck two bases."


def test_report_counts_and_groups(fixture_records):
    from incident_roles.evaluation.errors import error_report

    records = [r for r in fixture_records if r["spans"]][:2]
    preds = [r["spans"][1:] for r in records]  # drop each report's first span: one miss per report
    md, counts = error_report(records, preds, header="`cmd`, today")
    assert md.startswith("`cmd`, today")
    assert counts["false_negatives"] == 2
    missed = sum(c["missed"] for c in counts["by_label"].values())
    assert missed == 2 and "### missed" in md
    for r in records:
        first = r["spans"][0]
        assert f"`{r['text'][first['start']:first['end']]}` {first['label']}" in md
