"""eval/ablation.py gathers cross-validation runs into one table with each row's command."""
import importlib.util
import json

from conftest import ROOT
from incident_roles.labels import LABELS


def _bench(f1s, predicted, support, command):
    def scores(f1):
        table = {r: {"f1": f1, "precision": f1, "recall": f1, "support": support, "predicted": predicted}
                 for r in (*LABELS, "micro")}
        return {"strict": table, "partial": table}
    folds = [{"scores": {"transformer": scores(f)}, "train_seconds": 10.0} for f in f1s]
    from incident_roles.evaluation.crossval import summarize

    return {"command": command, "k": len(f1s), "reports": 9, "folds": folds,
            "summary": {"transformer": summarize([f["scores"]["transformer"] for f in folds])}}


def test_rows_carry_their_means_ratio_and_command(tmp_path):
    spec = importlib.util.spec_from_file_location("ablation_script", ROOT / "eval" / "ablation.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for name, f1s, pred in (("a-base", [0.5, 0.7], 30), ("b-margins", [0.8, 0.8], 20)):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        (folder / "benchmark.json").write_text(json.dumps(_bench(f1s, pred, 20, f"python eval/benchmark.py --{name}")))
    rows = script.main([str(tmp_path / "runs"), "--out", str(tmp_path / "out")])
    assert [r["row"] for r in rows] == ["a-base", "b-margins"]
    assert abs(rows[0]["strict"]["micro"][0] - 0.6) < 1e-9 and rows[0]["pred_per_gold"] == 1.5
    assert rows[1]["pred_per_gold"] == 1.0
    md = (tmp_path / "out" / "ablation.md").read_text()
    assert "| a-base | 0.600 ± 0.141 |" in md and "`python eval/benchmark.py --b-margins`" in md
