"""How often is a record right? The model's incident records scored per field against hand-checked gold
records, and the builder alone (records from the gold spans) against the same gold, so that the builder's
own errors are measured apart from the tagger's.

    python eval/records_benchmark.py --model models/minilm --data data/processed/test.jsonl
    python eval/records_benchmark.py --data data/processed/test.jsonl --builder-only
    python eval/records_benchmark.py --data data/processed/test.jsonl --draft drafts.jsonl   # new gold drafts

Gold: data/records_gold.jsonl, one line per test report (docs/records.md, "Record benchmark"). Fields:
attacker states and attacker groups (set precision/recall/F1 over canonical names), target states, killed
count (exact; within the stated range), injured and detained counts, response types (set F1), and the
share of records entirely right. Every error of the model's records is put on the tagger (the builder gets
it right from the gold spans) or on the builder (it gets it wrong from the gold spans too).

Writes eval/results/<model>/records.json and records.md (the command in the first line) and the summary
into README.md between <!-- records:start --> and <!-- records:end -->, where those lines are.
"""
import argparse
import json
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from incident_roles.corpus.jsonl import read_jsonl  # noqa: E402
from incident_roles.evaluation.crossval import now_utc, stamp  # noqa: E402
from incident_roles.records.benchmark import (COUNT_FIELDS, SET_FIELDS, TARGETS, blame, format_markdown,  # noqa: E402
                                              load_gold, record_fields, score, text_sha1)
from incident_roles.records.builder import build_record, extract_many  # noqa: E402

README_START, README_END = "<!-- records:start -->", "<!-- records:end -->"
MODEL, BUILDER = "model", "builder on gold spans"


def match_gold(records: list[dict], gold: list[dict]) -> list[dict]:
    """The data records of the gold reports, in gold order. Raises ValueError when a gold report is
    missing from the data or its text is no longer the text that was checked."""
    by_id = {r.get("id"): r for r in records}
    missing = [g["id"] for g in gold if g["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} gold report(s) are not in the data: {', '.join(missing[:12])}"
                         f"{' ...' if len(missing) > 12 else ''} (rebuild it with `make data`)")
    changed = [g["id"] for g in gold if g.get("text_sha1") and g["text_sha1"] != text_sha1(by_id[g["id"]]["text"])]
    if changed:
        raise ValueError(f"the text of {', '.join(changed)} changed since its gold record was checked: "
                         "check the record again and update text_sha1 in the gold file")
    return [by_id[g["id"]] for g in gold]


def builder_fields(records: list[dict]) -> dict[str, dict]:
    """``record_fields`` of the builder's record from each report's gold spans."""
    return {r["id"]: record_fields(build_record(r["text"], r["spans"], doc_id=r["id"])) for r in records}


def model_fields(records: list[dict], model, batch_size: int = 8) -> dict[str, dict]:
    """``record_fields`` of the records ``extract_many`` builds from the model's tags (``model``: a saved
    folder or a token-classification pipeline)."""
    built = extract_many([r["text"] for r in records], model=model, batch_size=batch_size,
                         ids=[r["id"] for r in records])
    return {rec["id"]: record_fields(rec) for rec in built}


def run(records: list[dict], gold: list[dict], model=None, batch_size: int = 8) -> dict:
    """Scores of the builder on the gold spans and, with ``model``, of the model's records, with the
    model's errors put on the tagger or the builder."""
    records = match_gold(records, gold)
    by_builder = builder_fields(records)
    result = {"reports": len(gold), "systems": {}}
    if model is not None:
        by_model = model_fields(records, model, batch_size)
        result["systems"][MODEL] = score(gold, by_model)
        result["blame"] = blame(gold, by_model, by_builder)
    result["systems"][BUILDER] = score(gold, by_builder)
    return result


def _targets_lines(system: dict) -> list[str]:
    out = []
    for (field, metric), target in TARGETS.items():
        value = system["fields"][field][metric]
        out.append(f"- {field} {metric.replace('_', ' ')} {value:.3f} (target >= {target}: "
                   f"{'met' if value >= target else 'not met'})")
    return out


def to_markdown(result: dict) -> str:
    systems = result["systems"]
    main = systems.get(MODEL) or systems[BUILDER]
    title = f"# How often is a record right? {result.get('model') or 'builder only'}"
    lines = [stamp(result["command"]), "", title, "",
             f"Gold: `{result['gold']}`, {result['reports']} reports of `{result['data']}`, each checked by hand "
             "against its report (docs/records.md, \"Record benchmark\"). Columns: the model's records "
             "(`extract_many`: pipeline() on the raw text, then the builder) and the builder alone on the gold spans. "
             "Sets are micro-averaged over all reports; a count is exact when value, bounds and precision match "
             "and within range when the numbers it allows lie in the range the report states for the headline "
             "incident; negatives (empty gold) count in every share.", "",
             format_markdown(result), "", f"Targets ({'model' if MODEL in systems else 'builder on gold spans'}):", "",
             *_targets_lines(main)]
    if "blame" in result:
        lines += ["", "## Where the model's records miss: tagger or builder", "",
                  "An error of the model's record that the builder's record from the gold spans does not make is the "
                  "tagger's; one it makes too is the builder's (perfect tags would not have avoided it).", "",
                  "| field | errors | tagger | builder |", "|---|---:|---:|---:|"]
        for f in (*SET_FIELDS, *COUNT_FIELDS):
            b = result["blame"][f]
            lines.append(f"| {f} | {b['tagger'] + b['builder']} | {b['tagger']} | {b['builder']} |")
    lines += ["", "## Errors per report", ""]
    for name, system in systems.items():
        wrong = {i: d for i, d in system["per_report"].items() if not d["all_right"]}
        lines += [f"{name}: {len(wrong)} of {result['reports']} records not entirely right", ""]
        for i, d in wrong.items():
            parts = [f"{f} " + " ".join([f"+{x}" for x in d[f]["missed"]] + [f"-{x}" for x in d[f]["spurious"]])
                     for f in SET_FIELDS if d[f]["missed"] or d[f]["spurious"]]
            parts += [f"{f} {d[f]['predicted']!r} (gold {d[f]['gold']!r})" for f in COUNT_FIELDS if not d[f]["exact"]]
            lines.append(f"- `{i}`: " + "; ".join(parts))
        lines.append("")
    lines.append("`+x`: in the gold record, missing from this one; `-x`: in this record, not in the gold one.")
    return "\n".join(lines) + "\n"


def readme_section(result: dict, out_dir: Path) -> str:
    systems = result["systems"]
    cells = []
    for name, s in systems.items():
        f = s["fields"]
        cells.append(f"| {name} | {f['attacker_states']['f1']:.3f} | {f['attacker_groups']['precision']:.3f} | "
                     f"{f['target_states']['f1']:.3f} | {f['killed']['exact']:.3f} | {f['killed']['in_range']:.3f} | "
                     f"{f['injured']['exact']:.3f} | {f['detained']['exact']:.3f} | {f['response_types']['f1']:.3f} | "
                     f"{s['all_right']:.3f} |")
    main = systems.get(MODEL) or systems[BUILDER]
    met = sum(main["targets"].values())
    return "\n".join([
        f"Records of the test split ({result['reports']} reports, each gold record checked by hand) "
        f"(`{result['command']}`, {result['date']}):", "",
        "| records | attacker state F1 | attacker group P | target state F1 | killed exact | killed in range | "
        "injured exact | detained exact | response type F1 | entirely right |",
        "|---|---|---|---|---|---|---|---|---|---|", *cells, "",
        f"{met} of {len(main['targets'])} targets met; per field, per report and tagger-or-builder blame: "
        f"[`{out_dir / 'records.md'}`]({out_dir / 'records.md'}).", ""])


def write_readme(path: Path, section: str) -> bool:
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    path.write_text(f"{head}{README_START}\n{section}{README_END}{tail}", encoding="utf-8")
    return True


def write_drafts(records: list[dict], gold: list[dict], path: Path) -> int:
    """Draft gold lines (the builder's fields from the gold spans) for the reports without a gold record:
    each must be checked by hand against its report before it joins the gold file."""
    have = {g["id"] for g in gold}
    todo = [r for r in records if r.get("id") not in have]
    fields = builder_fields(todo)
    with path.open("w", encoding="utf-8") as f:
        for r in todo:
            f.write(json.dumps({"id": r["id"], "incident": r.get("incident"), "text_sha1": text_sha1(r["text"]),
                                "fields": fields[r["id"]], "group_aliases": {},
                                "checked": "DRAFT: not checked by hand yet"}, ensure_ascii=False) + "\n")
    return len(todo)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="saved model folder, e.g. models/minilm")
    parser.add_argument("--data", default="data/processed/test.jsonl",
                        help="processed JSONL with the texts and gold spans")
    parser.add_argument("--gold", default="data/records_gold.jsonl", help="hand-checked gold records")
    parser.add_argument("--builder-only", action="store_true", help="score only the builder on the gold spans")
    parser.add_argument("--draft", metavar="PATH",
                        help="write draft gold lines for the reports of --data without one, then stop")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", help="results folder (default eval/results/<model name>)")
    parser.add_argument("--readme", default="README.md", help="README whose records section gets the summary")
    parser.add_argument("--no-readme", action="store_true", help="do not write the summary into the README")
    args = parser.parse_args(argv)
    if not args.model and not (args.builder_only or args.draft):
        parser.error("--model is required (or --builder-only, or --draft)")
    if args.model and not (Path(args.model) / "config.json").exists():
        parser.error(f"{args.model}: not a saved model folder (no config.json); train one with "
                     "`python train/train.py --config configs/minilm.yaml`")
    try:
        records = read_jsonl(args.data)
        gold = load_gold(args.gold) if Path(args.gold).exists() or not args.draft else []
        if args.draft:
            n = write_drafts(records, gold, Path(args.draft))
            print(f"wrote {n} draft gold record(s) to {args.draft}: check each by hand before adding it to {args.gold}")
            return None
        result = run(records, gold, None if args.builder_only else args.model, args.batch_size)
    except (ValueError, FileNotFoundError) as e:
        parser.error(str(e))
    args_given = argv if argv is not None else sys.argv[1:]
    command = "python eval/records_benchmark.py " + " ".join(map(shlex.quote, args_given))
    result = {"command": command, "date": now_utc(), "model": args.model, "data": args.data, "gold": args.gold,
              **result}
    out = Path(args.out or Path("eval/results") / (Path(args.model).name if args.model else "builder"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "records.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md = to_markdown(result)
    (out / "records.md").write_text(md, encoding="utf-8")
    print(md.split("## Errors per report")[0])
    print(f"wrote {out / 'records.json'} and {out / 'records.md'}")
    if not args.no_readme and write_readme(Path(args.readme), readme_section(result, out)):
        print(f"updated the records section of {args.readme}")
    return result


if __name__ == "__main__":
    main()
