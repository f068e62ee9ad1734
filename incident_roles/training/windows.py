"""Reports -> tokenized training windows with sub-token labels (and, when distilling, the teacher's
distribution on every labelled sub-token)."""
from __future__ import annotations

from incident_roles.training.alignment import IGNORE, AlignmentError, spans_to_word_tags, word_tags_to_token_labels


def word_bounds(enc) -> list[tuple[int, int]]:
    """(start, end) of every word of an encoding with overflowing windows, by word id, gathered over all
    windows (a window may hold only a word's tail)."""
    bounds: dict[int, list[int]] = {}
    for w in range(len(enc["input_ids"])):
        offsets = enc["offset_mapping"][w]
        for k, (a, b) in zip(enc.word_ids(w), offsets.tolist() if hasattr(offsets, "tolist") else offsets):
            if k is not None:
                lo, hi = bounds.setdefault(k, [a, b])
                bounds[k] = [min(lo, a), max(hi, b)]
    return [tuple(bounds.get(k, (0, 0))) for k in range(max(bounds, default=-1) + 1)]


def encode_records(records, tokenizer, max_length: int = 256, stride: int = 64, scheme: str = "BIO",
                   subtokens: str = "first", teacher: dict | None = None) -> dict[str, list]:
    """Split each report into overlapping windows of at most ``max_length`` sub-tokens, labelled through
    the tokenizer's own ``word_ids()``. Returns columns (input_ids, attention_mask, labels, and soft when
    ``teacher`` maps report ids to targets of ``distill.teacher_targets``)."""
    from incident_roles.labels import tags_of
    from incident_roles.training.distill import continuation, word_distributions

    tags_list = tags_of(scheme)
    label2id = {t: i for i, t in enumerate(tags_list)}
    columns = {"input_ids": [], "attention_mask": [], "labels": []}
    if teacher is not None:
        columns["soft"] = []
    for index, rec in enumerate(records):
        enc = tokenizer(rec["text"], truncation=True, max_length=max_length, stride=stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True)
        windows = range(len(enc["input_ids"]))
        words = word_bounds(enc)
        try:
            tags = spans_to_word_tags(words, rec.get("spans", []), scheme)
        except AlignmentError as e:
            raise AlignmentError(f"report {rec.get('id', index)}: {e}", e.span) from None
        dists = word_distributions(teacher.get(rec.get("id")), rec["text"], words, tags_list) \
            if teacher is not None else None
        tails = [d and continuation(d, tags_list) for d in dists] if dists is not None else None
        for w in windows:
            word_ids = enc.word_ids(w)
            starts = [k is not None and a == words[k][0] for k, (a, _) in zip(word_ids, enc["offset_mapping"][w])]
            labels = word_tags_to_token_labels(word_ids, tags, starts, subtokens, label2id)
            columns["input_ids"].append(enc["input_ids"][w])
            columns["attention_mask"].append(enc["attention_mask"][w])
            columns["labels"].append(labels)
            if dists is not None:
                none = [-1.0] * len(tags_list)
                soft = []
                for t, (k, label) in enumerate(zip(word_ids, labels)):
                    d = dists[k] if k is not None and label != IGNORE else None
                    soft.append(none if d is None else d if starts[t] else tails[k])
                columns["soft"].append(soft)
    return columns
