"""Speed and accuracy of the fast CPU path: PyTorch fp32 pipeline vs ONNX dynamic-int8 OnnxTagger, on the
same texts with the same number of threads. Exports the ONNX model first if it is missing.

    python eval/onnx_benchmark.py --model models/minilm --data data/processed/test.jsonl
    python eval/onnx_benchmark.py --model models/minilm --data data/processed/test.jsonl --threads 2 --repeats 3 --onnx-fp32

Writes eval/results/<model>/onnx.json and onnx.md (words per second, micro F1 strict and partial of
each backend, speed-up and F1 delta). Needs the `onnx` extra (onnxruntime, onnx).
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incident_roles.corpus.jsonl import read_jsonl  # noqa: E402
from incident_roles.evaluation.metrics import score_documents  # noqa: E402
from incident_roles.evaluation.speed import count_words  # noqa: E402
from incident_roles.serving.predict import load_pipeline, predict_spans  # noqa: E402

# Targets from the issue: at least 2x words per second, at most 1 point of micro F1 lost.
TARGET_SPEEDUP = 2.0
TARGET_MAX_F1_DROP = 1.0


def time_backend(pipe, texts, batch_size, repeats):
    """(predicted spans, seconds per pass: median of ``repeats`` timed passes after one warm-up)."""
    predict_spans(pipe, texts[:2], batch_size=batch_size)
    times, preds = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        preds = predict_spans(pipe, texts, batch_size=batch_size)
        times.append(time.perf_counter() - t0)
    return preds, statistics.median(times), times


def backend_result(name, preds, seconds, times, gold, n_words):
    scores = score_documents(gold, preds)
    return {"backend": name, "seconds": round(seconds, 3), "all_seconds": [round(t, 3) for t in times],
            "words_per_second": round(n_words / seconds, 1),
            "micro_f1_strict": round(100 * scores["strict"]["micro"]["f1"], 2),
            "micro_f1_partial": round(100 * scores["partial"]["micro"]["f1"], 2),
            "per_label_f1_strict": {k: round(100 * v["f1"], 2) for k, v in scores["strict"].items()}}


def run_backend(args, name, onnx_dir, texts, gold, n_words):
    import torch
    from incident_roles.serving.onnx_tagger import OnnxTagger

    if name == "pytorch-fp32":
        torch.set_num_threads(args.threads)
        pipe = load_pipeline(args.model)
    else:
        # the ONNX path uses torch only to pad and hand over arrays: one torch thread keeps torch's
        # idle OpenMP workers off the cores onnxruntime's threads need
        torch.set_num_threads(1)
        pipe = OnnxTagger(onnx_dir, quantized=name == "onnx-int8", threads=args.threads)
    preds, secs, times = time_backend(pipe, texts, args.batch_size, args.repeats)
    return backend_result(name, preds, secs, times, gold, n_words)


def to_markdown(result):
    rows = ["| backend | words/s | seconds | micro F1 strict | micro F1 partial |", "|---|---:|---:|---:|---:|"]
    for b in result["backends"]:
        rows.append(f"| {b['backend']} | {b['words_per_second']:.1f} | {b['seconds']:.2f} | "
                    f"{b['micro_f1_strict']:.2f} | {b['micro_f1_partial']:.2f} |")
    c = result["comparison"]
    return "\n".join([
        f"# ONNX int8 vs PyTorch fp32: {result['model']}", "",
        f"Data: `{result['data']}` ({result['documents']} reports, {result['words']} words); "
        f"threads: {result['threads']}; batch size {result['batch_size']}; median of {result['repeats']} timed "
        f"pass(es) after a warm-up, {'each backend in its own process' if result['isolated_processes'] else 'all in one process'}; "
        f"CPU: {result['cpu']}, {result['cpu_count']} cores.", "", *rows, "",
        f"- speed-up (int8 ONNX / fp32 PyTorch, words per second): **{c['speedup']:.2f}x** "
        f"(target >= {TARGET_SPEEDUP}x: {'met' if c['meets_speed_target'] else 'not met'})",
        f"- micro F1 strict delta: **{c['f1_strict_delta']:+.2f}** points, partial: {c['f1_partial_delta']:+.2f} "
        f"(target: at most {TARGET_MAX_F1_DROP} point lost: {'met' if c['meets_f1_target'] else 'not met'})",
        f"- model files: fp32 ONNX {result['onnx_files'].get('fp32_mb')} MB, int8 ONNX {result['onnx_files'].get('int8_mb')} MB",
        "", "Command: `" + result["command"] + "`", ""])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--data", required=True, help="processed JSONL with gold spans")
    parser.add_argument("--onnx-dir", help="export folder (default: <model>/onnx; exported if missing)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both backends")
    parser.add_argument("--batch-size", type=int, default=1,
                        help="texts per forward pass for both backends; 1 was the fastest for both on CPU")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--limit", type=int, help="only the first N reports")
    parser.add_argument("--onnx-fp32", action="store_true", help="also time the unquantised ONNX model")
    parser.add_argument("--out", help="output folder (default: eval/results/<model name>)")
    parser.add_argument("--in-process", action="store_true",
                        help="time all backends in this process (faster to start, but each backend's idle "
                             "worker threads then compete with the next one's: default is one process each)")
    parser.add_argument("--backend", choices=("pytorch-fp32", "onnx-int8", "onnx-fp32"), help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from incident_roles.serving.onnx_tagger import FP32_NAME, INT8_NAME, export_onnx

    records = read_jsonl(args.data)[: args.limit]
    if not records:
        sys.exit(f"{args.data}: no reports")
    texts, gold = [r["text"] for r in records], [r["spans"] for r in records]
    n_words = count_words(texts)  # counted as eval/speed.py counts them, so words/s compare
    onnx_dir = Path(args.onnx_dir or Path(args.model) / "onnx")
    if not (onnx_dir / INT8_NAME).exists():
        print(f"exporting {args.model} to {onnx_dir}")
        export_onnx(args.model, onnx_dir)
    files = json.loads((onnx_dir / "onnx_export.json").read_text()) if (onnx_dir / "onnx_export.json").exists() else {}

    names = ["pytorch-fp32", "onnx-int8"] + (["onnx-fp32"] if args.onnx_fp32 and (onnx_dir / FP32_NAME).exists() else [])
    if args.backend:  # child process: time one backend, hand the result back in a file
        Path(args.result_file).write_text(json.dumps(run_backend(args, args.backend, onnx_dir, texts, gold, n_words)))
        return None
    backends = []
    for name in names:
        print(f"timing {name} on {len(texts)} reports ({n_words} words), {args.threads} threads")
        if args.in_process:
            backends.append(run_backend(args, name, onnx_dir, texts, gold, n_words))
            continue
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            result_file = Path(tmp) / "result.json"
            child = [sys.executable, str(Path(__file__).resolve()), "--model", args.model, "--data", args.data,
                     "--onnx-dir", str(onnx_dir), "--threads", str(args.threads), "--batch-size",
                     str(args.batch_size), "--repeats", str(args.repeats), "--backend", name,
                     "--result-file", str(result_file)] + (["--limit", str(args.limit)] if args.limit else [])
            subprocess.run(child, check=True)
            backends.append(json.loads(result_file.read_text()))
    fp32, int8 = backends[0], backends[1]
    comparison = {
        "speedup": round(int8["words_per_second"] / fp32["words_per_second"], 3),
        "f1_strict_delta": round(int8["micro_f1_strict"] - fp32["micro_f1_strict"], 2),
        "f1_partial_delta": round(int8["micro_f1_partial"] - fp32["micro_f1_partial"], 2),
    }
    comparison["meets_speed_target"] = comparison["speedup"] >= TARGET_SPEEDUP
    comparison["meets_f1_target"] = comparison["f1_strict_delta"] >= -TARGET_MAX_F1_DROP
    comparison["meets_f1_target_partial"] = comparison["f1_partial_delta"] >= -TARGET_MAX_F1_DROP
    import platform
    result = {"model": str(args.model), "data": str(args.data), "documents": len(texts), "words": n_words,
              "threads": args.threads, "batch_size": args.batch_size, "repeats": args.repeats,
              "isolated_processes": not args.in_process,
              "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
              "onnx_files": files, "backends": backends, "comparison": comparison,
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
