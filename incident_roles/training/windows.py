"""Reports -> tokenized training windows with sub-token labels."""
from __future__ import annotations

from incident_roles.training.alignment import spans_to_word_tags, word_index_of_tokens, word_tags_to_token_labels, words_of


def encode_records(records, tokenizer, max_length: int = 256, stride: int = 64) -> dict[str, list]:
    """Split each report into overlapping windows of at most ``max_length`` sub-tokens, labelled
    on the first sub-token of each word. Returns columns for ``datasets.Dataset.from_dict``."""
    columns = {"input_ids": [], "attention_mask": [], "labels": [], "report": []}
    for index, rec in enumerate(records):
        text = rec["text"]
        words = words_of(text)
        tags = spans_to_word_tags(words, rec.get("spans", []))
        enc = tokenizer(text, truncation=True, max_length=max_length, stride=stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True,
                        return_special_tokens_mask=True)
        for w in range(len(enc["input_ids"])):
            token_words = word_index_of_tokens(enc["offset_mapping"][w], words, enc["special_tokens_mask"][w])
            columns["input_ids"].append(enc["input_ids"][w])
            columns["attention_mask"].append(enc["attention_mask"][w])
            columns["labels"].append(word_tags_to_token_labels(token_words, tags))
            columns["report"].append(index)
    return columns
