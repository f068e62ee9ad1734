from incident_roles.corpus.review import agreement, snapshot

HEADER = "id: {id}\nincident: 2020-x\ntype: raid\nregion: Asia\nyear: 2020\nstyle: wire\n---\n"


def write(folder, id, body):
    (folder / f"{id}.txt").write_text(HEADER.format(id=id) + body, encoding="utf-8")


def test_agreement_measures_what_the_review_changed(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    write(reports, "r1", "[Iranian](ATTACKER) drones hit [bases](TARGET), killing [two](VICTIM_COUNT).")
    write(reports, "r2", "Pakistan [recalled its envoy](DIPLOMATIC_RESPONSE).")
    snapshot(reports, tmp_path / "first.jsonl")
    unchanged = agreement(tmp_path / "first.jsonl", reports)
    assert unchanged["f1"]["micro"] == 1.0 and unchanged["reports_changed"] == 0
    # the reviewer adds a missed target and fixes a response boundary
    write(reports, "r1", "[Iranian](ATTACKER) drones hit [bases](TARGET) and a [camp](TARGET), killing [two](VICTIM_COUNT).")
    write(reports, "r2", "Pakistan [recalled its envoy](DIPLOMATIC_RESPONSE).")
    result = agreement(tmp_path / "first.jsonl", reports)
    assert result["reports_changed"] == 1 and result["texts_edited"] == 1
    assert result["f1"]["ATTACKER"] == 1.0
    assert result["f1"]["TARGET"] < 1.0
    assert result["spans_reviewed"]["TARGET"] == 2 and result["spans_first_pass"]["TARGET"] == 1


def test_snapshot_keeps_earlier_first_passes(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    write(reports, "a1", "[Iran](ATTACKER) struck.")
    assert snapshot(reports, tmp_path / "first.jsonl", "a*.txt") == 1
    write(reports, "a1", "[Iran](ATTACKER) struck [bases](TARGET).")  # reviewed
    write(reports, "b1", "[Iraq](ATTACKER) struck.")
    assert snapshot(reports, tmp_path / "first.jsonl") == 1  # only b1 is new
    result = agreement(tmp_path / "first.jsonl", reports)
    assert result["reports"] == 2 and result["reports_changed"] == 1
