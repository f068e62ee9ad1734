import pytest

from incident_roles.serving.spans import entities_to_spans, merge_adjacent
from incident_roles.text import words_of
from incident_roles.training.alignment import (IGNORE, AlignmentError, spans_to_word_tags,
                                               word_tags_to_token_labels)
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


def test_a_span_over_part_of_a_word_or_overlapping_spans_is_rejected():
    text = "Iranians fired."
    words = words_of(text)
    with pytest.raises(AlignmentError, match="part of the word"):
        spans_to_word_tags(words, [{"start": 0, "end": 4, "label": "ATTACKER"}])
    with pytest.raises(AlignmentError, match="overlap"):
        spans_to_word_tags(words, [{"start": 0, "end": 8, "label": "ATTACKER"},
                                   {"start": 0, "end": 14, "label": "TARGET"}])
    # predictions scored per word are lenient: the touched word takes the tag
    assert spans_to_word_tags(words, [{"start": 0, "end": 4, "label": "ATTACKER"}], strict=False)[0] == "B-ATTACKER"


def test_io_scheme_tags_every_word_inside():
    text, spans = parse_markup("[Kim Jong-nam](TARGET) died.")
    tags = spans_to_word_tags(words_of(text), [s.as_dict() for s in spans], scheme="IO")
    assert tags[:4] == ["I-TARGET"] * 4 and tags[4] == "O"


def _windows(tokenizer, markup, **kw):
    text, spans = parse_markup(markup)
    rec = {"text": text, "spans": [s.as_dict() for s in spans]}
    return text, encode_records([rec], tokenizer, **kw)


def _decode_first(tokenizer, text, ids, labels):
    """Word-level spans the way pipeline(aggregation_strategy="first") groups sub-tokens: a token whose
    WordPiece starts with ## continues the previous word."""
    from incident_roles.labels import ID2LABEL

    enc = tokenizer(text, return_offsets_mapping=True)
    assert enc["input_ids"] == ids
    tokens = tokenizer.convert_ids_to_tokens(ids)
    words = []  # (start, end, tag of first sub-token)
    for tok, (a, b), lab in zip(tokens, enc["offset_mapping"], labels):
        if a == b:
            continue
        if tok.startswith("##"):
            words[-1][1] = b
        else:
            words.append([a, b, ID2LABEL[lab] if lab != IGNORE else None])
    return words


@pytest.mark.parametrize("markup", [
    "[Australian](ATTACKER) [F-111s](TARGET) flew over [Iran's](TARGET) border.",
    "Agents poisoned [Kim Jong-nam](TARGET) at the airport.",
    "[Iran's](ATTACKER) [Revolutionary Guards](ATTACKER) seized [two](VICTIM_COUNT) sailors.",
])
def test_training_labels_follow_the_words_pipeline_groups(tokenizer, markup):
    """Every word the pipeline sees (a first sub-token and its ## continuations) carries exactly the
    gold tag on its first sub-token, and continuations are ignored."""
    text, cols = _windows(tokenizer, markup)
    ids, labels = cols["input_ids"][0], cols["labels"][0]
    gold = spans_to_word_tags(words_of(text), parse_markup(markup)[1] and [s.as_dict() for s in parse_markup(markup)[1]])
    gold_by_start = {a: t for (a, _), t in zip(words_of(text), gold)}
    pipeline_words = _decode_first(tokenizer, text, ids, labels)
    assert len(pipeline_words) >= len(words_of(text)) - 1
    for a, b, tag in pipeline_words:
        assert tag is not None, f"word {text[a:b]!r} has no label on its first sub-token"
        assert tag == gold_by_start[a], text[a:b]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert all(l == IGNORE for t, l in zip(tokens, labels) if t.startswith("##"))


def test_a_window_starting_inside_a_word_does_not_label_the_continuation(tokenizer):
    # one long word split into many sub-tokens, repeated so that windows start inside it
    text, cols = _windows(tokenizer, "[Amirabdollahianovich](ATTACKER) spoke. " * 20, max_length=12, stride=5)
    assert len(cols["input_ids"]) > 3
    mid_word_starts = 0
    for ids, labels in zip(cols["input_ids"], cols["labels"]):
        first = tokenizer.convert_ids_to_tokens(ids[1:2])[0]
        if first.startswith("##"):
            mid_word_starts += 1
            assert labels[1] == IGNORE
    assert mid_word_starts > 0  # the test did reach the case it is about


def test_all_subtokens_labels_continuations_with_i_tags(tokenizer):
    from incident_roles.labels import LABEL2ID

    text, cols = _windows(tokenizer, "[Amirabdollahian](ATTACKER) visited Davos.", subtokens="all")
    tokens = tokenizer.convert_ids_to_tokens(cols["input_ids"][0])
    labels = cols["labels"][0]
    assert labels[1] == LABEL2ID["B-ATTACKER"]
    cont = [l for t, l in zip(tokens, labels) if t.startswith("##")]
    assert cont and all(l in (LABEL2ID["I-ATTACKER"], LABEL2ID["O"]) for l in cont)
    assert LABEL2ID["I-ATTACKER"] in cont
    assert labels[0] == IGNORE and labels[-1] == IGNORE


def test_word_tags_to_token_labels_marks_first_subtoken_only():
    from incident_roles.labels import LABEL2ID

    labels = word_tags_to_token_labels([None, 0, 0, 1, None], ["B-TARGET", "O"], [False, True, False, True, False])
    assert labels == [IGNORE, LABEL2ID["B-TARGET"], IGNORE, LABEL2ID["O"], IGNORE]
    # a window whose first token continues word 0
    labels = word_tags_to_token_labels([None, 0, 1, None], ["B-TARGET", "O"], [False, False, True, False])
    assert labels[1] == IGNORE


@pytest.mark.parametrize("max_length,stride", [(64, 16), (256, 64)])
def test_the_windows_reach_the_last_word_of_a_long_report(tokenizer, max_length, stride):
    # tokenizers 0.23.2 cut the last overflowing window short, so the end of a report was never trained on
    body = " ".join(f"Talks in city number {i} went on." for i in range(60))
    text = body + " Then Iran expelled two diplomats"
    start = text.index("Iran")
    rec = {"id": "long", "text": text, "spans": [{"start": start, "end": start + 4, "label": "ATTACKER"}]}
    cols = encode_records([rec], tokenizer, max_length=max_length, stride=stride)
    assert len(cols["input_ids"]) > 1
    assert any(LABEL2ID["B-ATTACKER"] in labels for labels in cols["labels"])
    last_window = tokenizer.convert_ids_to_tokens(cols["input_ids"][-1])
    assert last_window[-3:] == ["two", "diplomats", "[SEP]"]
