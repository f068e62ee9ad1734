import pytest

from incident_roles.corpus.markup import MarkupError, Span, parse_markup, span_problems, to_markup


def test_markup_to_plain_text_and_spans():
    text, spans = parse_markup("[Iranian](ATTACKER) drones hit [two bases](TARGET), killing [two](VICTIM_COUNT).")
    assert text == "Iranian drones hit two bases, killing two."
    assert [(text[s.start:s.end], s.label) for s in spans] == [
        ("Iranian", "ATTACKER"), ("two bases", "TARGET"), ("two", "VICTIM_COUNT")]


def test_round_trip_through_to_markup():
    markup = "Baghdad [summoned the Turkish ambassador](DIPLOMATIC_RESPONSE) on Monday."
    text, spans = parse_markup(markup)
    assert to_markup(text, spans) == markup


@pytest.mark.parametrize("markup, message, line", [
    ("ok line\n[Iran](ATTACKER struck", "must be followed by '(LABEL)'", 2),
    ("first\nsecond [Iran struck", "never closed", 2),
    ("a] stray", "without a matching '['", 1),
    ("[Iran](ATTACKERS) struck", "unknown label 'ATTACKERS'", 1),
    ("[ ](TARGET) x", "empty span", 1),
    ("[outer [inner](TARGET)](ATTACKER)", "never nest", 1),
])
def test_malformed_markup_names_source_and_line(markup, message, line):
    with pytest.raises(MarkupError) as err:
        parse_markup(markup, source="data/reports/x.txt", first_line=1)
    assert message in str(err.value)
    assert err.value.line == line
    assert str(err.value).startswith(f"data/reports/x.txt:{line}:")


def test_first_line_offsets_line_numbers():
    with pytest.raises(MarkupError) as err:
        parse_markup("x\n[y](NOPE)", source="f.txt", first_line=8)
    assert err.value.line == 9


@pytest.mark.parametrize("markup, problem", [
    ("[the embassy](TARGET) burned", "determiner 'the'"),
    ("[its ambassador](TARGET) left", "determiner 'its'"),
    ("[suspected militants](ATTACKER) fired", "hedge 'suspected'"),
    ("[Iran,](ATTACKER) fired", "punctuation"),
    ("[“Iran](ATTACKER) fired", "punctuation"),
])
def test_boundary_rules(markup, problem):
    text, spans = parse_markup(markup)
    assert any(problem in p for p in span_problems(text, spans[0]))


def test_abbreviation_period_is_tolerated_and_inside_determiners_are_fine():
    for markup in ("[U.S.](ATTACKER) jets struck", "[recalling its ambassador](DIPLOMATIC_RESPONSE) now"):
        text, spans = parse_markup(markup)
        assert span_problems(text, spans[0]) == []


def test_span_inside_a_word_is_flagged():
    text = "Iranians struck"
    assert any("inside a word" in p for p in span_problems(text, Span(0, 7, "ATTACKER")))
