"""The int8 study: fusion, quantisation and onnxruntime session settings, each timed apart, on the same
texts in one process, through the same lean loop (incident_roles.serving.lean) so that only the graph
or the setting differs; with strict and partial micro F1 of each against the PyTorch fp32 reference.

    python eval/onnx_benchmark.py --model models/minilm --data data/processed/test.jsonl
    python eval/onnx_benchmark.py --model models/minilm --data data/processed/test.jsonl --threads 2 --repeats 3

Variants (files <onnx dir>/variant.<name>.onnx, made once): fp32 unfused (model.onnx) and fused
(model.fused.onnx); dynamic int8 (activations quantised per call from their own range) of the unfused
and the fused graph, per-channel and per-tensor weights; static int8 (QDQ, activation ranges calibrated
on --calibration texts) of both graphs; and the shipped model.int8.onnx under other session settings
(one intra-op thread, parallel execution, no memory arena). Writes eval/results/<model>/onnx.json and
onnx.md. Needs the `onnx` extra (onnxruntime, onnx).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incident_roles.corpus.jsonl import read_jsonl  # noqa: E402
from incident_roles.evaluation.metrics import score_documents  # noqa: E402
from incident_roles.evaluation.speed import count_words  # noqa: E402
from incident_roles.serving.predict import predict_spans  # noqa: E402

# Targets from the issues: at least 2x words per second, at most 1 point of micro F1 lost.
TARGET_SPEEDUP = 2.0
TARGET_MAX_F1_DROP = 1.0
SHIPPED = "int8-dynamic-unfused-per-channel"  # model.int8.onnx
# name: (source graph, how to quantise: None, "dynamic" or "static", per-channel weights)
GRAPHS = {
    "onnx-fp32-unfused": ("model.onnx", None, None),
    "onnx-fp32-fused": ("model.fused.onnx", None, None),
    SHIPPED: ("model.onnx", "dynamic", True),
    "int8-dynamic-fused-per-channel": ("model.fused.onnx", "dynamic", True),
    "int8-dynamic-fused-per-tensor": ("model.fused.onnx", "dynamic", False),
    "int8-static-unfused-per-channel": ("model.onnx", "static", True),
    "int8-static-fused-per-channel": ("model.fused.onnx", "static", True),
}
# the shipped graph under other onnxruntime settings: name -> _session keyword arguments
SETTINGS = {"int8-1-thread": {"threads": 1}, "int8-parallel-execution": {"sequential": False},
            "int8-no-memory-arena": {"arena": False}}


def calibration_feeds(tokenizer, texts, names, stride, limit=64):
    """Input feeds (one window each, batch 1) for static quantisation's activation ranges."""
    import numpy as np

    enc = tokenizer(texts, truncation=True, stride=stride, return_overflowing_tokens=True)
    for ids in enc["input_ids"][:limit]:
        ids = np.asarray([ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        yield {n: feeds[n] for n in names}


def graph_file(onnx_dir, name, calibration_texts, stride):
    """The .onnx file of a variant, made on first use."""
    from incident_roles.serving.onnx_tagger import INT8_NAME, quantize_onnx

    source, how, per_channel = GRAPHS[name]
    if how is None:
        return onnx_dir / source
    if name == SHIPPED:
        return onnx_dir / INT8_NAME
    out = onnx_dir / f"variant.{name}.onnx"  # beside the tokenizer and config the tagger loads
    if not out.exists():
        print(f"quantising {source} -> {out}")
        feeds = None
        if how == "static":
            from transformers import AutoTokenizer

            import onnxruntime as ort
            names = [i.name for i in ort.InferenceSession(str(onnx_dir / source)).get_inputs()]
            feeds = calibration_feeds(AutoTokenizer.from_pretrained(onnx_dir), calibration_texts, names, stride)
        quantize_onnx(onnx_dir / source, out, per_channel=per_channel, calibration=feeds)
    return out


def time_tagger(tagger, texts, gold, n_words, batch_size, repeats):
    """Words/s (median of ``repeats`` passes after a warm-up on the first texts) and micro F1."""
    predict_spans(tagger, texts[:max(batch_size, 8)], batch_size=batch_size)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        preds = predict_spans(tagger, texts, batch_size=batch_size)
        times.append(time.perf_counter() - t0)
    scores = score_documents(gold, preds)
    seconds = statistics.median(times)
    return {"seconds": round(seconds, 3), "all_seconds": [round(t, 3) for t in times],
            "words_per_second": round(n_words / seconds, 1),
            "micro_f1_strict": round(100 * scores["strict"]["micro"]["f1"], 2),
            "micro_f1_partial": round(100 * scores["partial"]["micro"]["f1"], 2)}


def to_markdown(result):
    ref = result["backends"][0]
    rows = ["| variant | file MB | words/s | x PyTorch fp32 | micro F1 strict | micro F1 partial |",
            "|---|---:|---:|---:|---:|---:|"]
    for b in result["backends"]:
        rows.append(f"| {b['backend']} | {b.get('file_mb', '')} | {b['words_per_second']:.0f} | "
                    f"{b['words_per_second'] / ref['words_per_second']:.2f} | {b['micro_f1_strict']:.2f} | "
                    f"{b['micro_f1_partial']:.2f} |")
    c = result["comparison"]
    return "\n".join([
        f"# int8 study: {result['model']}", "",
        f"Data: `{result['data']}` ({result['documents']} reports, {result['words']} words); every variant through "
        f"the lean loop at batch size {result['batch_size']}, {result['threads']} intra-op threads unless named, "
        f"sequential execution, memory arena on; median of {result['repeats']} timed passes after a warm-up, all "
        f"in one process; CPU: {result['cpu']}, {result['cpu_count']} cores. PyTorch fp32: the same loop on the "
        "PyTorch weights (the same entities as pipeline()).", "", *rows, "",
        f"- shipped int8 ({SHIPPED}) / PyTorch fp32, words per second: **{c['speedup']:.2f}x** "
        f"(target >= {TARGET_SPEEDUP}x: {'met' if c['meets_speed_target'] else 'not met'})",
        f"- micro F1 strict delta: **{c['f1_strict_delta']:+.2f}** points, partial: {c['f1_partial_delta']:+.2f} "
        f"(target: at most {TARGET_MAX_F1_DROP} point lost: {'met' if c['meets_f1_target'] else 'not met'})",
        f"- fastest int8 variant within {TARGET_MAX_F1_DROP} point of PyTorch fp32: **{c['fastest_int8']}**",
        "", "Command: `" + result["command"] + "`", ""])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--data", required=True, help="processed JSONL with gold spans")
    parser.add_argument("--calibration", default="data/processed/dev.jsonl",
                        help="texts for static quantisation's activation ranges (never the scored data)")
    parser.add_argument("--onnx-dir", help="export folder (default: <model>/onnx; exported if missing)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N reports")
    parser.add_argument("--variants", help=f"comma-separated subset of: {', '.join([*GRAPHS, *SETTINGS])}")
    parser.add_argument("--out", help="output folder (default: eval/results/<model name>)")
    args = parser.parse_args(argv)

    import torch

    from incident_roles.serving.lean import LeanTagger
    from incident_roles.serving.onnx_tagger import FUSED_NAME, INT8_NAME, _session, export_onnx
    from incident_roles.serving.predict import DEFAULT_STRIDE

    records = read_jsonl(args.data)[: args.limit]
    if not records:
        sys.exit(f"{args.data}: no reports")
    texts, gold = [r["text"] for r in records], [r["spans"] for r in records]
    calibration = [r["text"] for r in read_jsonl(args.calibration)] if Path(args.calibration).exists() else texts
    n_words = count_words(texts)  # counted as eval/speed.py counts them, so words/s compare
    onnx_dir = Path(args.onnx_dir or Path(args.model) / "onnx")
    if not (onnx_dir / INT8_NAME).exists() or not (onnx_dir / FUSED_NAME).exists():
        print(f"exporting {args.model} to {onnx_dir}")
        export_onnx(args.model, onnx_dir)
    names = args.variants.split(",") if args.variants else [*GRAPHS, *SETTINGS]
    unknown = set(names) - set(GRAPHS) - set(SETTINGS)
    if unknown:
        parser.error(f"--variants: unknown {', '.join(sorted(unknown))}")

    torch.set_num_threads(args.threads)
    print(f"timing pytorch-fp32 on {len(texts)} reports ({n_words} words), {args.threads} threads")
    backends = [{"backend": "pytorch-fp32", **time_tagger(LeanTagger(args.model, backend="torch"), texts, gold,
                                                          n_words, args.batch_size, args.repeats)}]
    torch.set_num_threads(1)  # onnxruntime has its own threads: torch's idle workers must not spin on the cores
    for name in names:
        print(f"timing {name}")
        path = graph_file(onnx_dir, name if name in GRAPHS else SHIPPED, calibration, DEFAULT_STRIDE)
        settings = {"threads": args.threads, **SETTINGS.get(name, {})}
        tagger = LeanTagger(path, session=_session(path, **settings))
        backends.append({"backend": name, "file_mb": round(path.stat().st_size / 2**20, 1), "settings": settings,
                         **time_tagger(tagger, texts, gold, n_words, args.batch_size, args.repeats)})
        del tagger
    ref = backends[0]
    int8 = next((b for b in backends if b["backend"] == SHIPPED), backends[-1])
    accurate = [b for b in backends if b["backend"].startswith("int8")
                and b["micro_f1_strict"] >= ref["micro_f1_strict"] - TARGET_MAX_F1_DROP]
    comparison = {
        "shipped": int8["backend"],
        "speedup": round(int8["words_per_second"] / ref["words_per_second"], 3),
        "f1_strict_delta": round(int8["micro_f1_strict"] - ref["micro_f1_strict"], 2),
        "f1_partial_delta": round(int8["micro_f1_partial"] - ref["micro_f1_partial"], 2),
        "fastest_int8": max(accurate, key=lambda b: b["words_per_second"])["backend"] if accurate else None,
    }
    comparison["meets_speed_target"] = comparison["speedup"] >= TARGET_SPEEDUP
    comparison["meets_f1_target"] = comparison["f1_strict_delta"] >= -TARGET_MAX_F1_DROP
    result = {"model": str(args.model), "data": str(args.data), "documents": len(texts), "words": n_words,
              "threads": args.threads, "batch_size": args.batch_size, "repeats": args.repeats,
              "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
              "backends": backends, "comparison": comparison,
              "command": "python eval/onnx_benchmark.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    out = Path(args.out or Path("eval/results") / Path(args.model).name)
    out.mkdir(parents=True, exist_ok=True)
    (out / "onnx.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "onnx.md").write_text(to_markdown(result), encoding="utf-8")
    print(to_markdown(result))
    print(f"wrote {out / 'onnx.json'} and {out / 'onnx.md'}")
    return result


if __name__ == "__main__":
    main()
