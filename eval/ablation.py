"""Collect cross-validation runs of the transformer into one ablation table.

    python eval/ablation.py eval/results/minilm/ablation --out eval/results/minilm

Each sub-folder of the given folder is one row: a benchmark.json written by eval/benchmark.py (its
command is in the file and goes into the table beside the row). Writes ablation.md and ablation.json;
a NOTES.md in the given folder (what the rows mean, written by hand) is appended below the table.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from incident_roles.evaluation.crossval import stamp  # noqa: E402
from incident_roles.labels import LABELS  # noqa: E402


def rows_of(name: str, bench: dict) -> list[dict]:
    """One row per run; a run that chose decision margins gives a second row, the same fold models
    scored with their margins taken out."""
    rows = [row_of(name + (" + margins" if "summary_without_margins" in bench else ""), bench)]
    if "summary_without_margins" in bench:
        rows.insert(0, row_of(name, bench, "scores_without_margins", bench["summary_without_margins"]))
    return rows


def row_of(name: str, bench: dict, key: str = "", summary: dict | None = None) -> dict:
    s = summary or bench["summary"]["transformer"]
    folds = [(f[key] if key else f["scores"]["transformer"])["strict"]["micro"] for f in bench["folds"]]
    return {"row": name, "command": bench["command"], "k": bench["k"], "reports": bench["reports"],
            "strict": {r: [s[r]["strict"]["mean"], s[r]["strict"]["sd"]] for r in (*LABELS, "micro")},
            "partial_micro": [s["micro"]["partial"]["mean"], s["micro"]["partial"]["sd"]],
            # spans predicted per gold span, pooled over folds: the over-prediction the margins target
            "pred_per_gold": sum(f["predicted"] for f in folds) / max(1, sum(f["support"] for f in folds)),
            "train_seconds_per_fold": statistics.fmean(f["train_seconds"] for f in bench["folds"])}


def to_markdown(rows: list[dict]) -> str:
    head = ("| row | micro strict F1 | " + " | ".join(LABELS) + " | micro partial F1 | pred/gold | train s/fold |")
    lines = [head, "|" + "---|" * (len(LABELS) + 5)]
    for r in rows:
        cells = [f"{r['strict']['micro'][0]:.3f} ± {r['strict']['micro'][1]:.3f}"]
        cells += [f"{r['strict'][label][0]:.3f}" for label in LABELS]
        cells += [f"{r['partial_micro'][0]:.3f}", f"{r['pred_per_gold']:.2f}", f"{r['train_seconds_per_fold']:.0f}"]
        lines.append(f"| {r['row']} | " + " | ".join(cells) + " |")
    lines += ["", "Commands, one per row:", ""] + [f"- {r['row']}: `{r['command']}`" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", help="folder whose sub-folders each hold a benchmark.json")
    parser.add_argument("--out", help="where ablation.md/json go (default: the parent of RUNS)")
    args = parser.parse_args(argv)
    runs = Path(args.runs)
    benches = sorted((p.parent.name, p) for p in runs.glob("*/benchmark.json"))
    if not benches:
        parser.error(f"{runs}: no */benchmark.json found (run eval/benchmark.py --out {runs}/<row> first)")
    rows = [row for name, p in benches for row in rows_of(name, json.loads(p.read_text(encoding="utf-8")))]
    out = Path(args.out or runs.parent)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    command = "python eval/ablation.py " + " ".join(argv if argv is not None else sys.argv[1:])
    md = "\n".join([stamp(command), "", "# Ablation: cross-validation by incident, mean ± sd over folds", "",
                    "Strict F1 per label is the mean over folds. Rows of one screen share folds, epochs and corpus "
                    "(see each command).", "", to_markdown(rows), ""])
    notes = runs / "NOTES.md"
    if notes.exists():
        md += "\n" + notes.read_text(encoding="utf-8")
    (out / "ablation.md").write_text(md, encoding="utf-8")
    print(md)
    return rows


if __name__ == "__main__":
    main()
