"""A linear word classifier: per-word features (lower form, shape, affixes, neighbours, a gazetteer of
countries, capitals and demonyms) -> BIO tag with scikit-learn's SGDClassifier (logistic loss); each
report is decoded with Viterbi (tag-pair frequencies from the training data, I-X only after B-X or
I-X), BIO-repaired, and its words turned back into character spans. Trains in seconds."""
from __future__ import annotations

import re

from incident_roles.text import words_of
from incident_roles.training.alignment import spans_to_word_tags
from incident_roles.records.states import is_state_word
from incident_roles.text import NUMBER_WORDS

_NUMBERS = NUMBER_WORDS


def shape(word: str) -> str:
    """Xxxx, xxxx, dd, X.X. ...: character classes with runs collapsed to two."""
    s = re.sub(r"[A-Z]", "X", word)
    s = re.sub(r"[a-z]", "x", s)
    s = re.sub(r"\d", "d", s)
    return re.sub(r"(.)\1{2,}", r"\1\1", s)


def _word_features(w: str) -> dict:
    low = w.lower()
    return {"low": low, "shape": shape(w), "p2": low[:2], "p3": low[:3], "s2": low[-2:], "s3": low[-3:],
            "title": w[:1].isupper(), "upper": w.isupper() and len(w) > 1, "digit": w[:1].isdigit(),
            "numword": low in _NUMBERS, "state": is_state_word(w)}


def word_features(text: str, words=None) -> list[dict]:
    """One feature dict per word of ``text`` (words as ``align.words_of`` splits them)."""
    words = words if words is not None else words_of(text)
    tokens = [text[a:b] for a, b in words]
    base = [_word_features(w) for w in tokens]
    feats = []
    for i, f in enumerate(base):
        x = {"bias": 1.0}
        for k, v in f.items():
            if isinstance(v, str):
                x[f"{k}={v}"] = 1.0
            elif v:
                x[k] = 1.0
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < len(base):
                n = base[j]
                x[f"{off}:low={n['low']}"] = 1.0
                x[f"{off}:shape={n['shape']}"] = 1.0
                if n["state"]:
                    x[f"{off}:state"] = 1.0
                if n["numword"] or n["digit"]:
                    x[f"{off}:number"] = 1.0
            else:
                x[f"{off}:edge"] = 1.0
        if i > 0:
            x[f"bigram={base[i - 1]['low']}|{f['low']}"] = 1.0
            gap = text[words[i - 1][1]:words[i][0]]
            x["after_newline"] = float("\n" in gap)
            x["after_sentence"] = float(tokens[i - 1] in (".", "!", "?"))
        feats.append(x)
    return feats


def repair_bio(tags: list[str]) -> list[str]:
    """An I-X that does not continue a B-X/I-X becomes B-X, so every span has a start."""
    out = []
    for i, t in enumerate(tags):
        if t.startswith("I-") and (i == 0 or out[-1][2:] != t[2:]):
            t = "B-" + t[2:]
        out.append(t)
    return out


def tags_to_spans(words, tags: list[str]) -> list[dict]:
    """Word BIO tags (repaired) -> character spans from the first word's start to the last word's end."""
    spans: list[dict] = []
    for (a, b), t in zip(words, tags):
        if t.startswith("B-"):
            spans.append({"start": a, "end": b, "label": t[2:], "score": 1.0})
        elif t.startswith("I-") and spans and spans[-1]["label"] == t[2:]:
            spans[-1]["end"] = b
    return spans


def _csr32(X):
    """SGDClassifier takes only 32-bit sparse indices; recent scipy builds DictVectorizer output with 64."""
    import numpy as np

    X = X.tocsr()
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    return X


def viterbi(scores, trans, start, classes) -> list[str]:
    """Best tag sequence under word scores (n x c), tag-to-tag scores (c x c) and start scores (c),
    with I-X allowed only after B-X or I-X so the output is valid BIO."""
    import numpy as np

    c = len(classes)
    allowed = np.ones((c, c), dtype=bool)
    for j, t in enumerate(classes):
        if t.startswith("I-"):
            allowed[:, j] = [p[2:] == t[2:] and p != "O" for p in classes]
    trans = np.where(allowed, trans, -np.inf)
    first = np.where([not t.startswith("I-") for t in classes], start + scores[0], -np.inf)
    best, back = first, []
    for row in scores[1:]:
        cand = best[:, None] + trans  # previous x current
        back.append(cand.argmax(axis=0))
        best = cand.max(axis=0) + row
    path = [int(best.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return [classes[i] for i in reversed(path)]


class LinearTagger:
    """Each word is classified from its features alone; the report is then decoded with Viterbi over
    the classifier's log-probabilities and tag-to-tag log-probabilities counted in the training data,
    which keeps spans whole where word-by-word argmax would split them."""

    name = "linear"

    def __init__(self, alpha: float = 1e-5, epochs: int = 10, seed: int = 42):
        self.alpha, self.epochs, self.seed = alpha, epochs, seed

    def fit(self, records):
        import numpy as np
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import SGDClassifier

        X, y, pairs = [], [], []
        for r in records:
            words = words_of(r["text"])
            tags = spans_to_word_tags(words, r["spans"])
            X += word_features(r["text"], words)
            y += tags
            pairs += zip(["<s>"] + tags[:-1], tags)
        if not X:
            raise ValueError("LinearTagger.fit: no training words")
        self.vectorizer = DictVectorizer()
        self.model = SGDClassifier(loss="log_loss", alpha=self.alpha, max_iter=self.epochs, tol=None,
                                   random_state=self.seed)
        self.model.fit(_csr32(self.vectorizer.fit_transform(X)), y)
        classes = [str(c) for c in self.model.classes_]
        index = {t: i for i, t in enumerate(["<s>"] + classes)}
        counts = np.ones((len(index), len(classes)))  # add-one: an unseen pair is rare, not impossible
        for prev, cur in pairs:
            counts[index[prev], index[cur] - 1] += 1
        logp = np.log(counts / counts.sum(axis=1, keepdims=True))
        self.classes, self.start, self.trans = classes, logp[0], logp[1:]
        self.log_prior = np.log(np.array([y.count(c) + 1 for c in classes]) / (len(y) + len(classes)))
        return self

    def predict_one(self, text: str) -> list[dict]:
        import numpy as np

        words = words_of(text)
        if not words:
            return []
        X = _csr32(self.vectorizer.transform(word_features(text, words)))
        # posterior / prior: the hybrid HMM's scaled likelihood, so the tag prior is not counted twice
        scores = np.log(np.clip(self.model.predict_proba(X), 1e-12, None)) - self.log_prior
        return tags_to_spans(words, repair_bio(viterbi(scores, self.trans, self.start, self.classes)))

    def predict(self, texts) -> list[list[dict]]:
        return [self.predict_one(t) for t in texts]
