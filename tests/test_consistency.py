import pytest
from incident_roles.corpus.consistency import check_corpus, is_number_expression
from incident_roles.corpus.reports import parse_report

HEADER = "id: {id}\nincident: {inc}\ntype: raid\nregion: Asia\nyear: 2020\nstyle: wire\n---\n"


def report(body, id="r1", inc="2020-x"):
    return parse_report(HEADER.format(id=id, inc=inc) + body, f"{id}.txt")


def test_number_expressions():
    for s in ("two", "at least 11", "around a dozen", "dozens", "several", "more than 200", "1,500",
              "twenty-one", "scores"):
        assert is_number_expression(s), s
    for s in ("children", "two children", "the dead", "many"):
        assert not is_number_expression(s), s


def test_warns_on_non_number_counts_and_label_clashes():
    a = report("Gunmen killed [two children](VICTIM_COUNT).")
    b = report("[Iran](ATTACKER) hit [Iran](TARGET).", "r2", "2020-y")
    w = check_corpus([a, b])
    assert any("not a number expression" in x for x in w)
    assert any("both ATTACKER and TARGET in one sentence" in x for x in w)


def test_attacker_in_one_incident_and_target_in_another_is_fine():
    a = report("[Iran](ATTACKER) struck bases.")
    b = report("Missiles hit [Iran](TARGET).", "r2", "2020-y")
    assert check_corpus([a, b]) == []


def test_response_phrase_left_unlabelled_elsewhere():
    a = report("Baghdad [recalled its ambassador](DIPLOMATIC_RESPONSE).")
    b = report("Ankara recalled its ambassador after [Syrian](ATTACKER) shelling.", "r2", "2020-y")
    neg = report("The ministry recalled its ambassador at the end of her term.", "n1", "neg-x")
    w = check_corpus([a, b, neg])
    assert len([x for x in w if "unlabelled here" in x]) == 1 and "r2.txt" in w[0]


def test_label_conflict_between_count_and_other_label():
    a = report("Gunmen killed [two](VICTIM_COUNT).")
    b = report("[two](TARGET) posts were hit.", "r2", "2020-y")
    assert any("different labels" in x for x in check_corpus([a, b]))


def test_negative_with_spans_is_flagged():
    n = report("The union's [strikers](ATTACKER) walked out.", "n1", "neg-x")
    assert any("negative report carries" in x for x in check_corpus([n]))


def test_a_measure_over_an_accident_is_not_flagged_in_a_negative():
    n = report("After the stray missile, Oslo [summoned the ambassador](DIPLOMATIC_RESPONSE).", "n2", "neg-y")
    assert not any("negative report carries" in x for x in check_corpus([n]))


def test_all_is_not_an_approximator():
    assert is_number_expression("at least 12")
    assert not is_number_expression("all 12")


def test_boundary_habits_and_missed_counts_are_flagged():
    r = report("[Iranian drones](ATTACKER) hit [Swedish embassy in Baghdad](TARGET), killing 11 guards. "
               "Iraq [decided to expel the envoy](DIPLOMATIC_RESPONSE) and "
               "[recalled its envoy in protest](DIPLOMATIC_RESPONSE).")
    w = "\n".join(check_corpus([r]))
    assert "weapon or platform" in w
    assert "locative" in w
    assert "control verb" in w
    assert "reason or purpose" in w
    assert "'killing 11' has a casualty number" in w


def test_labelled_count_and_distances_are_not_flagged():
    r = report("Shells killed [11](VICTIM_COUNT) guards and wounded 40 km away nothing.")
    assert not [x for x in check_corpus([r]) if "casualty number" in x]


def test_passive_measure_verb_group_is_not_flagged_but_aux_plus_control_verb_is():
    r = report("After [Iranian](ATTACKER) strikes, trade [will be suspended](DIPLOMATIC_RESPONSE) and the "
               "envoy [was expelled](DIPLOMATIC_RESPONSE); Pakistan [has decided to recall its envoy]"
               "(DIPLOMATIC_RESPONSE).")
    w = [x for x in check_corpus([r]) if "control verb" in x]
    assert len(w) == 1 and "has decided to recall" in w[0]


def test_settled_warnings_file_is_read_and_bad_lines_are_named(tmp_path):
    from incident_roles.corpus.consistency import load_settled

    f = tmp_path / "settled_warnings.tsv"
    f.write_text("# comment\nx.txt: some warning\tcase A\n", encoding="utf-8")
    assert load_settled(f) == {"x.txt: some warning": "case A"}
    f.write_text("no tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="settled_warnings.tsv:1"):
        load_settled(f)
