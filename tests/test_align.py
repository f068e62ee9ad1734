from incident_roles.training.alignment import (IGNORE, entities_to_spans, merge_adjacent, spans_to_word_tags,
                                  word_index_of_tokens, word_tags_to_token_labels, words_of)
from incident_roles.training.windows import encode_records
from incident_roles.labels import LABEL2ID
from incident_roles.corpus.markup import parse_markup


def test_words_split_on_space_and_punctuation():
    text = "Jaish al-Adl's bases, hit."
    assert [text[a:b] for a, b in words_of(text)] == ["Jaish", "al", "-", "Adl", "'", "s", "bases", ",", "hit", "."]


def test_spans_to_word_tags():
    text, spans = parse_markup("The [Revolutionary Guards](ATTACKER) hit [Jaish al-Adl](TARGET) bases.")
    words = words_of(text)
    tags = spans_to_word_tags(words, [s.as_dict() for s in spans])
    assert list(zip([text[a:b] for a, b in words], tags)) == [
        ("The", "O"), ("Revolutionary", "B-ATTACKER"), ("Guards", "I-ATTACKER"), ("hit", "O"),
        ("Jaish", "B-TARGET"), ("al", "I-TARGET"), ("-", "I-TARGET"), ("Adl", "I-TARGET"),
        ("bases", "O"), (".", "O")]


def test_first_subtoken_gets_the_label_rest_ignored(tokenizer):
    text, spans = parse_markup("[Amirabdollahian](ATTACKER) visited Davos.")
    words = words_of(text)
    tags = spans_to_word_tags(words, [s.as_dict() for s in spans])
    enc = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
    token_words = word_index_of_tokens(enc["offset_mapping"], words, enc["special_tokens_mask"])
    labels = word_tags_to_token_labels(token_words, tags)
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert len([t for t in tokens if t.startswith("##")]) >= 1  # the name is split into sub-tokens
    assert labels[0] == IGNORE and labels[-1] == IGNORE  # [CLS], [SEP]
    assert labels[1] == LABEL2ID["B-ATTACKER"]
    n_sub = next(i for i, t in enumerate(tokens[2:], start=2) if not t.startswith("##"))
    assert all(l == IGNORE for l in labels[2:n_sub])
    assert labels[n_sub] == LABEL2ID["O"]  # "visited"


def test_long_report_is_split_into_overlapping_windows(tokenizer):
    text, spans = parse_markup("[Ruritanian](ATTACKER) guns shelled a [village](TARGET). " * 60)
    cols = encode_records([{"text": text, "spans": [s.as_dict() for s in spans]}], tokenizer,
                          max_length=64, stride=16)
    assert len(cols["input_ids"]) > 5
    assert all(len(ids) <= 64 for ids in cols["input_ids"])
    b_att = LABEL2ID["B-ATTACKER"]
    assert all(b_att in labels for labels in cols["labels"])  # every window keeps its labels


def test_entities_to_spans_trims_punctuation_and_merges_pieces():
    text = "“Iran” struck al-Adl, killing two."
    ents = [{"entity_group": "ATTACKER", "start": 0, "end": 6, "score": 0.9},
            {"entity_group": "TARGET", "start": 14, "end": 16, "score": 0.8},
            {"entity_group": "TARGET", "start": 16, "end": 21, "score": 0.7},
            {"entity_group": "VICTIM_COUNT", "start": 30, "end": 33, "score": 0.95}]
    spans = merge_adjacent(entities_to_spans(ents, text), text)
    assert [(text[s["start"]:s["end"]], s["label"]) for s in spans] == [
        ("Iran", "ATTACKER"), ("al-Adl", "TARGET"), ("two", "VICTIM_COUNT")]
    assert spans[1]["score"] == 0.7


def test_entities_to_spans_keeps_abbreviation_period():
    text = "The U.S. struck."
    spans = entities_to_spans([{"entity_group": "ATTACKER", "start": 4, "end": 8, "score": 1}], text)
    assert text[spans[0]["start"]:spans[0]["end"]] == "U.S."
