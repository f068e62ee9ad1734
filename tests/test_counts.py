"""Victim counts: normalisation of number expressions and killed/injured detection from context."""
import pytest

from incident_roles.records.victims import normalise_count, parse_number, victim_kind


@pytest.mark.parametrize("text, value, lo, hi, precision", [
    ("two", 2, 2, 2, "exact"),
    ("11", 11, 11, 11, "exact"),
    ("1,200", 1200, 1200, 1200, "exact"),
    ("twenty-three", 23, 23, 23, "exact"),
    ("a dozen", 12, 12, 12, "exact"),
    ("all 269", 269, 269, 269, "exact"),
    ("at least 11", None, 11, None, "at_least"),
    ("more than 200", None, 201, None, "at_least"),
    ("around a dozen", 12, None, None, "about"),
    ("about 45", 45, None, None, "about"),
    ("up to 50", None, None, 50, "at_most"),
    ("dozens", None, 24, 99, "range"),
    ("hundreds", None, 200, 999, "range"),
    ("10 to 15", None, 10, 15, "range"),
    ("several", None, 2, None, "unknown_plural"),
    ("a few", None, 2, None, "unknown_plural"),
    ("the number", None, None, None, "unknown"),
])
def test_normalise_count(text, value, lo, hi, precision):
    assert normalise_count(text) == {"value": value, "min": lo, "max": hi, "precision": precision}


def test_parse_number_rejects_non_numbers():
    assert parse_number("a") is None and parse_number("soldiers") is None and parse_number("") is None
    assert parse_number("two hundred and five") == 205 and parse_number("3 dozen") == 36


def _kind(text, word, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    others = []
    return victim_kind(text, start, start + len(word), others)


def test_each_count_takes_its_own_verb():
    text = "The overnight raid killed two children and injured three girls."
    two, three = text.index("two"), text.index("three")
    spans = [(two, two + 3), (three, three + 5)]
    assert victim_kind(text, two, two + 3, [spans[1]]) == "killed"
    assert victim_kind(text, three, three + 5, [spans[0]]) == "injured"


@pytest.mark.parametrize("text, word, kind", [
    ("The shelling killed two farmers and injured several other villagers.", "several", "injured"),
    ("Two children died and several other civilians were hurt.", "several", "injured"),
    ("The strike left two children dead and three girls injured.", "three", "injured"),
    ("The group claimed the ambush where at least 11 policemen were killed.", "11", "killed"),
    ("The death toll rose to nine on Friday.", "nine", "killed"),
    ("Dozens of civilians were wounded in the shelling.", "Dozens", "injured"),
    ("Gunmen abducted 12 border guards.", "12", "detained"),
    ("There were five of them.", "five", "unknown"),
])
def test_victim_kind(text, word, kind):
    assert _kind(text, word) == kind


def test_kind_does_not_cross_sentences():
    text = "Three people were there. Later, two were killed."
    assert victim_kind(text, 0, 5) == "unknown"


@pytest.mark.parametrize("text, n", [("a couple", 2), ("a single", 1), ("a pair", 2), ("couple", 2),
                                     ("a dozen", 12), ("a hundred", 100), ("an eleven", None)])
def test_article_before_a_count_word_is_not_a_number_of_its_own(text, n):
    # "a" counts as one only before a scale ("a dozen"); "a couple" is two, not 1 + 2
    assert parse_number(text) == n
    if n is not None:
        assert normalise_count(text) == {"value": n, "min": n, "max": n, "precision": "exact"}
