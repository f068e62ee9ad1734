"""A lean tagger: the entities of pipeline("token-classification", aggregation_strategy="first",
stride=...) without the pipeline's per-token Python, and batches that pad only to their neighbours.

    from incident_roles.serving.lean import LeanTagger
    tagger = LeanTagger("models/minilm")                    # int8 ONNX export in models/minilm/onnx
    tagger = LeanTagger("models/minilm", backend="torch")   # the PyTorch weights, same loop
    tagger = LeanTagger("models/minilm", backend="torch", dtype="bfloat16")  # AMX bf16 matmuls
    tagger = LeanTagger("models/minilm", backend="torch", dtype="bfloat16", compile=True)  # + inductor
    entities = tagger(["report one ...", "report two ..."], batch_size=32)

Where the pipeline's time goes besides the model (measured by eval/speed.py's profile): a Python loop
over every sub-token (a dict and a vocabulary look-up each), a tokenizer decode per word, one
tokenizer call per text, and batches padded to their longest window (each window of a long text is
even padded to 512 by the pipeline's own tokenizer call). Here:

- one batched tokenizer call for all texts (windows with stride via return_overflowing_tokens);
- all windows sorted by length and cut into buckets of at most ``batch_size`` windows that pad at
  most 10% and hold at most 512 (onnxruntime) or 2048 (torch) padded tokens (length_buckets), so
  batch 32 costs no more per word than batch 1; input order kept;
- one onnxruntime (or torch) call per batch, numpy arrays throughout;
- "first" aggregation vectorised per window, and the pipeline's B-/I- grouping and overlap resolution
  across windows reproduced rule for rule, so the entities are the pipeline's (tests/test_lean.py).

A word starts where the pipeline says it does: at a sub-token whose string length differs from its
character span (a "##" piece), except [UNK] and the first token of a window. word_ids() would differ
from that rule on combining accents, so it is not used.

pipeline() users get the batching gain by tagging their texts in length buckets and restoring the
order after (``predict_spans_bucketed``, which the project's batch and extract use for pipelines).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from incident_roles.serving.predict import DEFAULT_STRIDE, predict_spans

BACKENDS = ("torch", "torch-lean", "bf16-lean", "bf16-compiled", "onnx", "onnx-lean", "auto")


class LeanTagger:
    """Called like a token-classification pipeline (one text or a list, ``batch_size=``); returns the
    same entity dicts (entity_group, score, word, start, end). ``backend``: "onnx" (``path`` a model
    folder with onnx/, an export folder or an .onnx file; ``quantized`` picks model.int8.onnx) or
    "torch" (``path`` a saved model folder; ``dtype`` "bfloat16" casts the weights, which CPUs with AMX
    multiply several times faster than fp32, at a small cost in precision: eval/speed.py measures both).
    ``threads``: onnxruntime's intra-op threads (torch's are torch.set_num_threads). ``max_tokens``:
    padded tokens per model call (default 512 for onnx, 2048 for torch). ``compile`` (torch only): run
    the model through ``torch.compile`` with weight freezing, which fuses the element-wise work between
    the matrix products and pre-packs the weights for oneDNN;
    the model compiles at load (about 30 s on 2 cores), then runs faster (eval/speed.py measures by how
    much).
    ``profile`` accumulates seconds per stage."""

    def __init__(self, path, backend: str = "onnx", quantized: bool = True, stride: int = DEFAULT_STRIDE,
                 threads: int | None = None, session=None, dtype: str = "float32", max_tokens: int | None = None,
                 compile: bool = False):
        from transformers import AutoConfig, AutoTokenizer

        if compile and backend != "torch":
            raise ValueError("compile=True needs backend='torch'")
        if backend == "onnx":
            from incident_roles.serving.onnx_tagger import _session, resolve_onnx_file

            onnx_file, folder = resolve_onnx_file(path, quantized)
            self.session = session or _session(onnx_file, threads)
            self.input_names = [i.name for i in self.session.get_inputs()]
            self.onnx_file = str(onnx_file)
            self._forward = self._onnx_forward
        elif backend == "torch":
            import torch
            from transformers import AutoModelForTokenClassification

            folder = Path(path)
            self.model = AutoModelForTokenClassification.from_pretrained(folder).eval().to(getattr(torch, dtype))
            if compile:
                # dynamic: one graph for every batch width; freezing: constant weights folded and pre-packed
                self.model = torch.compile(self.model, dynamic=True, options={"freezing": True})
            self._forward = self._torch_forward
        else:
            raise ValueError(f"backend {backend!r}: use onnx or torch")
        self.backend, self.stride = backend, stride
        # padded tokens per model call, where a MiniLM-L6 ran fastest per token (1 thread, us/token):
        # onnxruntime int8 got slower past ~512 as activations left the cache (80 at 1 x 256, 104 at
        # 8 x 256; 117 at 1 x 512, 137 at 2 x 512); torch bf16 best near 2048 (71 at 1 x 256, 49 at
        # 8 x 256, 55 at 16 x 256, 61 at 32 x 256)
        self.max_tokens = max_tokens or (512 if backend == "onnx" else 2048)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.config = AutoConfig.from_pretrained(folder)
        if self.config.id2label is None or not self.tokenizer.is_fast:
            raise ValueError(f"{folder}: needs id2label in config.json and a fast tokenizer")
        if self.backend == "torch":
            self.input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
                                if n in self.tokenizer.model_input_names]
        tok = self.tokenizer
        # a sub-token string's length, by id: the pipeline's subword test compares it with the character span
        self._token_len = np.array([len(t) for t in tok.convert_ids_to_tokens(list(range(len(tok))))])
        names = [self.config.id2label[i] for i in range(len(self.config.id2label))]
        # the pipeline's get_tag: B-x / I-x, and a bare name counts as I-
        tags = [n[2:] if n[:2] in ("B-", "I-") else n for n in names]
        self._tag = np.array([tags.index(t) for t in tags])  # same number <=> same tag
        self._is_b = np.array([n.startswith("B-") for n in names])
        self._group_name = [n.split("-", 1)[-1] for n in names]  # the pipeline names a group so
        self.profile = {"tokenize": 0.0, "model": 0.0, "decode": 0.0}
        if compile:  # compile now, at load, for one window and for a batch (later widths reuse the graph)
            self(["Warm-up."] * 2, batch_size=2), self("Warm-up.")
            self.profile = dict.fromkeys(self.profile, 0.0)

    def __call__(self, inputs, batch_size: int = 8, **_):
        if isinstance(inputs, str):
            return self([inputs], batch_size=batch_size)[0]
        texts = list(inputs)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("LeanTagger takes a string or a list of strings")
        if not texts:
            return []
        t0 = time.perf_counter()
        tok = self.tokenizer
        truncation = bool(tok.model_max_length and tok.model_max_length > 0)  # as the pipeline decides
        enc = tok(texts, truncation=truncation, stride=self.stride, return_overflowing_tokens=True,
                  return_offsets_mapping=True, return_special_tokens_mask=True)
        ids = [np.asarray(x, dtype=np.int64) for x in enc["input_ids"]]
        t1 = time.perf_counter()
        logits = self._logits(ids, batch_size)
        t2 = time.perf_counter()
        out: list[list[dict]] = [[] for _ in texts]
        windows: list[int] = [0] * len(texts)
        for w, i in enumerate(enc["overflow_to_sample_mapping"]):
            windows[i] += 1
            out[i].extend(self._window_entities(texts[i], ids[w], np.asarray(enc["offset_mapping"][w]),
                                                np.asarray(enc["special_tokens_mask"][w], dtype=bool), logits[w]))
        out = [aggregate_overlapping(e) if n > 1 else e for e, n in zip(out, windows)]
        t3 = time.perf_counter()
        for k, s in zip(self.profile, (t1 - t0, t2 - t1, t3 - t2)):
            self.profile[k] += s
        return out

    def _logits(self, ids: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
        """Logits of every window, run in length buckets of at most ``batch_size`` windows."""
        pad = self.tokenizer.pad_token_id or 0
        out: list[np.ndarray] = [None] * len(ids)  # type: ignore[list-item]
        for chunk in length_buckets([len(x) for x in ids], batch_size, max_tokens=self.max_tokens):
            width = len(ids[chunk[-1]])
            input_ids = np.full((len(chunk), width), pad, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, w in enumerate(chunk):
                input_ids[row, :len(ids[w])], mask[row, :len(ids[w])] = ids[w], 1
            logits = self._forward({"input_ids": input_ids, "attention_mask": mask,
                                    "token_type_ids": np.zeros_like(input_ids)})
            for row, w in enumerate(chunk):
                out[w] = logits[row, :len(ids[w])]
        return out

    def _onnx_forward(self, feeds: dict) -> np.ndarray:
        return self.session.run(["logits"], {n: feeds[n] for n in self.input_names})[0]

    def _torch_forward(self, feeds: dict) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(**{n: torch.from_numpy(feeds[n]) for n in self.input_names}).logits.float().numpy()

    def _window_entities(self, text, ids, offsets, special, logits) -> list[dict]:
        """The pipeline's gather_pre_entities + aggregate_words("first") + group_entities, on one window."""
        keep = ~special
        ids, offsets, logits = ids[keep], offsets[keep], logits[keep]
        if not len(ids):
            return []
        sub = (self._token_len[ids] != offsets[:, 1] - offsets[:, 0]) & (ids != self.tokenizer.unk_token_id)
        sub[0] = False  # a window may start inside a word: the pipeline then starts a word there
        first = np.flatnonzero(~sub)
        last = np.append(first[1:], len(ids)) - 1
        x = logits[first].astype(np.float32)
        e = np.exp(x - x.max(-1, keepdims=True))
        probs = e / e.sum(-1, keepdims=True)  # the pipeline's softmax, on first sub-tokens only
        label = probs.argmax(-1)
        score = probs[np.arange(len(first)), label]
        tag = self._tag[label]
        starts = np.flatnonzero(np.append(True, (tag[1:] != tag[:-1]) | self._is_b[label[1:]]))
        ends = np.append(starts[1:], len(first))
        entities = []
        for a, b in zip(starts, ends):
            name = self._group_name[label[a]]
            if name == "O":
                continue
            entities.append({"entity_group": name, "score": np.mean(np.nanmean(score[a:b])),
                             "word": self._word(text, ids, offsets, first[a:b], last[a:b]),
                             "start": int(offsets[first[a], 0]), "end": int(offsets[last[b - 1], 1])})
        return entities

    def _word(self, text, ids, offsets, firsts, lasts) -> str:
        # as the pipeline decodes it: each word from its sub-tokens ([UNK] as the text it stands for),
        # then the words together
        tok, first = self.tokenizer, firsts[0]
        pieces = tok.convert_ids_to_tokens(ids[first:lasts[-1] + 1].tolist())
        for i in np.flatnonzero(ids[first:lasts[-1] + 1] == tok.unk_token_id):
            pieces[i] = text[offsets[first + i, 0]:offsets[first + i, 1]]
        return tok.convert_tokens_to_string([tok.convert_tokens_to_string(pieces[a - first:b - first + 1])
                                             for a, b in zip(firsts, lasts)])


def aggregate_overlapping(entities: list[dict]) -> list[dict]:
    """The pipeline's aggregate_overlapping_entities: of entities from overlapping windows that overlap,
    keep the longer, then the higher scoring."""
    if not entities:
        return entities
    entities = sorted(entities, key=lambda x: x["start"])
    out, prev = [], entities[0]
    for e in entities:
        if prev["start"] <= e["start"] < prev["end"]:
            n, m = e["end"] - e["start"], prev["end"] - prev["start"]
            if n > m or n == m and e["score"] > prev["score"]:
                prev = e
        else:
            out.append(prev)
            prev = e
    out.append(prev)
    return out


MAX_PADDING = 0.1


def length_buckets(lengths, batch_size: int | None = None, max_padding: float = MAX_PADDING,
                   max_tokens: int | None = None) -> list[list[int]]:
    """Indices of ``lengths`` sorted by length and cut into batches of at most ``batch_size`` (None: no
    limit) whose padding to their longest stays within ``max_padding`` of their real tokens, and whose
    padded size stays within ``max_tokens`` (None: no limit; a longer item goes alone). Sorting alone
    is not enough: a batch of 32 out of a few hundred reports still spans 100 to 512 sub-tokens, and its
    padding costs more than batching saves (the per-token cost of this encoder grows with the padded
    length, attention being quadratic), so a batch ends where the lengths jump."""
    batches: list[list[int]] = []
    current, real = [], 0
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        n = lengths[i]
        k = len(current) + 1
        if current and (k > (batch_size or k) or n * k > (1 + max_padding) * (real + n)
                        or n * k > (max_tokens or n * k)):
            batches.append(current)
            current, real = [], 0
        current.append(i)
        real += n
    return batches + [current] if current else batches


def predict_spans_bucketed(pipe, texts, batch_size: int = 8) -> list[list[dict]]:
    """predict_spans through a pipeline(), called once per length bucket (length_buckets on sub-token
    counts, a long text counting as full windows, which the pipeline pads to the maximum anyway), so
    that each of its batches pads only to texts of about its own length, with at most 512 (ONNX) or
    2048 (torch) padded tokens a batch as in LeanTagger; results in input order.
    The same recipe serves any pipeline() user: sort texts by length, tag them in buckets, unsort."""
    texts = list(texts)
    if batch_size <= 1 or len(texts) <= 1 or isinstance(pipe, LeanTagger) or not hasattr(pipe, "tokenizer") \
            or not all(isinstance(t, str) for t in texts):
        return predict_spans(pipe, texts, batch_size=batch_size)  # LeanTagger buckets its windows itself
    limit = pipe.tokenizer.model_max_length or 512
    lengths = [min(len(x), limit) for x in pipe.tokenizer(texts, verbose=False)["input_ids"]]
    max_tokens = 512 if hasattr(pipe, "onnx_file") else 2048  # as LeanTagger's, for the same reasons
    out: list = [None] * len(texts)
    for bucket in length_buckets(lengths):
        size = max(1, min(batch_size, max_tokens // max(lengths[i] for i in bucket)))
        for i, spans in zip(bucket, predict_spans(pipe, [texts[i] for i in bucket], batch_size=size)):
            out[i] = spans
    return out


def load_tagger(model, backend: str | None = None, threads: int | None = None):
    """The tagger for ``--backend``: "torch" (pipeline() on the PyTorch weights), "onnx" (pipeline() on
    the int8 export in <model>/onnx), "torch-lean" / "bf16-lean" (LeanTagger on the PyTorch weights in
    fp32 / bfloat16), "bf16-compiled" (bf16-lean through torch.compile: the fastest on a CPU with bf16
    matrix units, after a compile of about 30 s), "onnx-lean" (LeanTagger on the int8 export); "auto":
    onnx-lean when the int8 export is there, else torch. A built tagger is returned as is."""
    if not isinstance(model, (str, Path)):
        return model
    if backend == "auto":
        from incident_roles.serving.onnx_tagger import INT8_NAME

        backend = "onnx-lean" if (Path(model) / "onnx" / INT8_NAME).exists() else "torch"
    if backend in ("torch", None):
        from incident_roles.serving.predict import load_pipeline

        return load_pipeline(model)
    if backend == "onnx":
        from incident_roles.serving.onnx_tagger import OnnxTagger

        return OnnxTagger(model, threads=threads)
    if backend == "onnx-lean":
        return LeanTagger(model, threads=threads)
    if backend in ("torch-lean", "bf16-lean", "bf16-compiled"):
        return LeanTagger(model, backend="torch", dtype="float32" if backend == "torch-lean" else "bfloat16",
                          compile=backend == "bf16-compiled")
    raise ValueError(f"backend {backend!r}: use one of {', '.join(BACKENDS)}")


__all__ = ["LeanTagger", "aggregate_overlapping", "length_buckets", "predict_spans_bucketed", "load_tagger", "BACKENDS"]
