"""Knowledge distillation: a teacher's per-word tag distributions, kept as a build artefact, and the loss
that trains a student on them beside the gold labels.

Hand-written because no library does token-level distillation between two tokenizers: the teacher's
targets are stored per *word* (its character start and end), so a student with another tokenizer or tag
scheme (BIO or IO) reads them through its own ``word_ids()``, exactly as its gold labels are aligned.

    python -m incident_roles.training.distill --model models/mpnet --data data/processed/train.jsonl \\
        data/processed/dev.jsonl --out data/teacher/mpnet.jsonl.gz

A report whose text changed since the targets were written (its sha1 differs) trains on gold alone.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
from pathlib import Path

from incident_roles.training.windows import word_bounds

log = logging.getLogger("incident_roles")


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def teacher_targets(model_dir, records, max_length: int = 512, stride: int = 128, batch_size: int = 16,
                    device=None) -> list[dict]:
    """Per report: each word's (start, end) and the teacher's softmax over its tags on the word's first
    sub-token, averaged over the windows that hold that sub-token."""
    import numpy as np
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForTokenClassification.from_pretrained(str(model_dir)).to(device).eval()
    tags = [model.config.id2label[i] for i in range(model.config.num_labels)]
    out = []
    for rec in records:
        enc = tokenizer(rec["text"], truncation=True, max_length=max_length, stride=stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True, padding=True,
                        return_tensors="pt")
        with torch.no_grad():
            probs = []
            for i in range(0, len(enc["input_ids"]), batch_size):
                logits = model(input_ids=enc["input_ids"][i:i + batch_size].to(device),
                               attention_mask=enc["attention_mask"][i:i + batch_size].to(device)).logits
                probs.append(torch.softmax(logits.float(), -1).cpu().numpy())
            probs = np.concatenate(probs)
        words = word_bounds(enc)
        summed, seen = np.zeros((len(words), len(tags))), np.zeros(len(words))
        for w in range(len(enc["input_ids"])):
            previous = None
            for t, (k, (a, _)) in enumerate(zip(enc.word_ids(w), enc["offset_mapping"][w].tolist())):
                if k is not None and k != previous and a == words[k][0]:  # not a window's mid-word start
                    summed[k] += probs[w, t]
                    seen[k] += 1
                previous = k if k is not None else previous
        rows = [(s, e, (summed[k] / seen[k]).round(4).tolist()) for k, (s, e) in enumerate(words) if seen[k]]
        out.append({"id": rec["id"], "sha1": text_hash(rec["text"]), "tags": tags,
                    "words": [[s, e] for s, e, _ in rows], "probs": [p for _, _, p in rows]})
    return out


def write_targets(targets: list[dict], path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for t in targets:
            f.write(json.dumps(t, separators=(",", ":")) + "\n")


def read_targets(path) -> dict[str, dict]:
    """{report id: targets}; a missing or unreadable file fails naming it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"distill.teacher: {path} does not exist (write it with "
                                "`python -m incident_roles.training.distill --model ... --out {path}`)")
    out = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                t = json.loads(line)
                out[t["id"]] = t
            except (json.JSONDecodeError, KeyError) as e:
                raise ValueError(f"{path}: line {n}: not a teacher-target record ({e})") from None
    return out


def word_distributions(target: dict | None, text: str, words: list[tuple[int, int]], student_tags) -> list:
    """The teacher's distribution for each student word, in the student's tag space, or None for a word
    the teacher did not see (another word split, or a changed report)."""
    if target is None or target["sha1"] != text_hash(text):
        return [None] * len(words)
    index = {tuple(w): p for w, p in zip(target["words"], target["probs"])}
    position = {tag: i for i, tag in enumerate(student_tags)}
    # a teacher tag the student lacks (B- under IO) gives its mass to the student's I- form
    route = [position.get(tag, position.get("I-" + tag[2:]) if tag != "O" else position["O"])
             for tag in target["tags"]]
    out = []
    for w in words:
        p = index.get(tuple(w))
        if p is None:
            out.append(None)
            continue
        q = [0.0] * len(student_tags)
        for i, mass in zip(route, p):
            q[i] += mass
        out.append(q)
    return out


def continuation(dist: list[float], student_tags) -> list[float]:
    """A word's distribution moved to its continuation sub-tokens: B-X mass goes to I-X."""
    position = {tag: i for i, tag in enumerate(student_tags)}
    q = [0.0] * len(dist)
    for tag, mass in zip(student_tags, dist):
        q[position.get("I-" + tag[2:], position[tag]) if tag.startswith("B-") else position[tag]] += mass
    return q


def distillation_loss(logits, labels, soft, weight: float, temperature: float):
    """(1 - weight) * cross-entropy on gold + weight * T^2 * cross-entropy against the teacher's
    distribution sharpened or softened by T, over the sub-tokens that have one (soft row >= 0)."""
    import torch.nn.functional as F

    gold = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)
    mask = soft[..., 0] >= 0
    if not mask.any():
        return gold
    teacher = soft[mask].clamp_min(1e-8) ** (1.0 / temperature)
    teacher = teacher / teacher.sum(-1, keepdim=True)
    student = F.log_softmax(logits[mask] / temperature, -1)
    kd = -(teacher * student).sum(-1).mean() * temperature ** 2
    return (1 - weight) * gold + weight * kd


class SoftCollator:
    """Pads a batch's `soft` rows (-1: no teacher distribution) beside the usual token-classification
    collation; rows without any (dev windows) get none."""

    def __init__(self, base, num_tags: int):
        self.base, self.num_tags = base, num_tags

    def __call__(self, features):
        import torch

        soft = [f.pop("soft", []) for f in features]
        batch = self.base(features)
        length = batch["labels"].shape[1]
        pad = [-1.0] * self.num_tags
        batch["soft"] = torch.tensor([s + [pad] * (length - len(s)) for s in soft], dtype=torch.float32)
        return batch


def make_trainer_class(weight: float, temperature: float):
    from transformers import Trainer

    class DistillTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            soft = inputs.pop("soft")
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            loss = distillation_loss(outputs.logits, labels, soft.to(outputs.logits.device), weight, temperature)
            return (loss, outputs) if return_outputs else loss

    return DistillTrainer


def main(argv=None):
    from incident_roles.corpus.jsonl import read_jsonl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the teacher's saved model folder")
    parser.add_argument("--data", nargs="+", required=True, help="JSONL reports to write targets for")
    parser.add_argument("--out", required=True, help="targets file (.jsonl.gz)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    records = [r for path in args.data for r in read_jsonl(path)]
    log.info("Writing %s's word distributions for %d reports to %s", args.model, len(records), args.out)
    write_targets(teacher_targets(args.model, records), args.out)


if __name__ == "__main__":
    main()
