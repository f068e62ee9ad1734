"""The state gazetteer: mentions, demonyms, capitals and organs map to one canonical state."""
import pytest

from incident_roles.records.states import COUNTRIES, canonical_state, is_state_word


@pytest.mark.parametrize("mention, state", [
    ("Iranian", "Iran"), ("Tehran", "Iran"), ("Iranian forces", "Iran"), ("Iranian security forces", "Iran"),
    ("Revolutionary Guards", "Iran"), ("the paramilitary Islamic Revolutionary Guard Corps", "Iran"),
    ("IRGC", "Iran"), ("Iran\u2019s", "Iran"), ("Pakistani soil", "Pakistan"), ("Islamabad", "Pakistan"),
    ("US", "United States"), ("U.S.", "United States"), ("United States", "United States"),
    ("Washington", "United States"), ("American drones", "United States"), ("Britain", "United Kingdom"),
    ("UK", "United Kingdom"), ("London", "United Kingdom"), ("British", "United Kingdom"),
    ("USSR", "Soviet Union"), ("Soviet MiG-15s", "Soviet Union"), ("Moscow", "Russia"),
    ("Kremlin", "Russia"), ("China Coast Guard", "China"), ("Mossad agents", "Israel"),
    ("Turkish warplanes", "Turkey"), ("Kyiv", "Ukraine"), ("Kiev", "Ukraine"),
])
def test_canonical_state(mention, state):
    assert canonical_state(mention) == state


@pytest.mark.parametrize("mention", ["Jaish al-Adl", "Army of Justice", "bases of an anti-Iran militant group",
                                     "us", "turkey sandwiches", "", "   ", "Houthi"])
def test_no_state(mention):
    assert canonical_state(mention) is None


def test_longest_match_wins_and_earliest_on_ties():
    # "United States" (two words) beats "States"; in a phrase naming two states the first one wins
    assert canonical_state("the United States Navy") == "United States"
    assert canonical_state("Pakistan-Iran relations") == "Pakistan"


def test_table_size_and_shape():
    assert len(COUNTRIES) >= 150
    for name, info in COUNTRIES.items():
        assert set(info) == {"capitals", "demonyms", "aliases"}, name
        assert canonical_state(name) is not None, name


def test_is_state_word():
    assert is_state_word("Iranian") and is_state_word("Tehran") and is_state_word("US")
    assert is_state_word("Turkey") and not is_state_word("turkey")
    assert not is_state_word("forces") and not is_state_word("") and not is_state_word("us")


@pytest.mark.parametrize("mention", ["Persian Gulf", "the Indian Ocean", "Washington Post", "The Washington Post's",
                                     "South China Sea", "Jerusalem Post", "Tehran Times", "Turkish Airlines",
                                     "Sea of Japan", "Times of India", "Gulf of Oman", "tanker in the Persian Gulf"])
def test_state_word_inside_the_proper_name_of_a_sea_or_paper_gives_no_state(mention):
    assert canonical_state(mention) is None


@pytest.mark.parametrize("mention, state", [
    ("Iranian Navy", "Iran"), ("Indian Army", "India"), ("Pakistani Foreign Ministry", "Pakistan"),
    ("Pakistani Air Force", "Pakistan"), ("Iranian tanker in the Persian Gulf", "Iran"),
    ("US warships in the Indian Ocean", "United States"), ("Washington", "United States"),
    ("Chinese Coast Guard", "China"), ("Indian", "India"),
])
def test_state_organs_still_map_next_to_those_names(mention, state):
    assert canonical_state(mention) == state


@pytest.mark.parametrize("mention", ["Latin America", "South America", "Latin American envoys", "British Columbia"])
def test_regions_named_after_a_state_word_give_no_state(mention):
    assert canonical_state(mention) is None


def test_the_state_words_alone_still_map():
    assert canonical_state("American troops") == "United States"
    assert canonical_state("British forces") == "United Kingdom"
