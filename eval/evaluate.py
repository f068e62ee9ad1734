"""Score a saved model on any JSONL file in the processed format, through pipeline().

    python eval/evaluate.py --model models/minilm --data data/processed/test.jsonl
    python eval/evaluate.py --model models/minilm --data outside_test.jsonl --out results.json
    python eval/evaluate.py --model models/minilm --data data/processed/test.jsonl --aggregation-strategy simple --word-cuts
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incident_roles.evaluation.evaluate import evaluate, format_table, word_cuts, write_scores  # noqa: E402
from incident_roles.serving.predict import DEFAULT_STRIDE  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--data", required=True, help="JSONL: one {text, spans:[{start,end,label}]} a line")
    parser.add_argument("--out", help="where to write the JSON scores (default: eval/results/<model>/<data>.json)")
    parser.add_argument("--aggregation-strategy", default="first")
    parser.add_argument("--stride", type=int, default=DEFAULT_STRIDE)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--word-cuts", action="store_true",
                        help="also count the raw pipeline() entities that start or end inside a word")
    args = parser.parse_args(argv)
    scores = evaluate(args.model, args.data, args.aggregation_strategy, args.stride, args.batch_size)
    if args.word_cuts:
        from incident_roles.corpus.jsonl import read_jsonl

        scores["word_cuts"] = word_cuts(args.model, [r["text"] for r in read_jsonl(args.data)],
                                        args.aggregation_strategy, args.stride, args.batch_size)
        print(f"raw pipeline() entities cutting a word: {scores['word_cuts']['cutting_a_word']} of "
              f"{scores['word_cuts']['entities']} (aggregation_strategy={args.aggregation_strategy})")
    print(format_table(scores, f"{args.model} on {args.data} ({scores['documents']} reports)"))
    out = Path(args.out or f"eval/results/{Path(args.model).name}/{Path(args.data).stem}.json")
    write_scores(scores, out)
    print(f"wrote {out}")
    print(json.dumps({"micro_strict_f1": round(scores["strict"]["micro"]["f1"], 4),
                      "micro_partial_f1": round(scores["partial"]["micro"]["f1"], 4)}))
    return scores


if __name__ == "__main__":
    main()
