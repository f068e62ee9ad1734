"""Tag the seed reports of the project brief with plain pipeline() and list what each role found.

    python eval/seeds.py --model models/minilm [--seeds ../shared/seeds] [--aggregation-strategy simple]

Writes eval/results/<model>/seeds.md. Exits non-zero if a seed report lacks a span of some role.
"""
import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incident_roles.labels import LABELS  # noqa: E402
from incident_roles.serving.predict import load_pipeline  # noqa: E402
from incident_roles.serving.predict import DEFAULT_STRIDE  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/minilm")
    parser.add_argument("--seeds", default="../shared/seeds")
    parser.add_argument("--aggregation-strategy", default="simple")
    parser.add_argument("--stride", type=int, default=DEFAULT_STRIDE)
    args = parser.parse_args(argv)
    files = sorted(Path(args.seeds).glob("*.txt"))
    if not files:
        parser.error(f"{args.seeds}: no seed reports (*.txt)")
    tagger = load_pipeline(args.model, args.aggregation_strategy, args.stride)
    command = " ".join(["python", "eval/seeds.py"] + (argv if argv is not None else sys.argv[1:]))
    lines = [f"# Seed reports tagged by {args.model}", "", f"`{command}` ({date.today()}), "
             f'`pipeline("token-classification", aggregation_strategy="{args.aggregation_strategy}", '
             f"stride={args.stride})`", ""]
    missing = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        entities = tagger(text)
        lines += [f"## {f.name}", "", "| role | spans (text[start:end], score) |", "|---|---|"]
        for label in LABELS:
            found = [f"`{text[e['start']:e['end']]}` {e['score']:.2f}" for e in entities if e["entity_group"] == label]
            if not found:
                missing.append(f"{f.name}: no {label}")
            lines.append(f"| {label} | {'; '.join(found) or '—'} |")
        lines.append("")
    out = Path("eval/results") / Path(args.model).name / "seeds.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {out}")
    if missing:
        print("missing roles: " + "; ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
