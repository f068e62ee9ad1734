"""Cross-validate the transformer against the rule and linear baselines, then analyse the trained model.

    python eval/benchmark.py --config configs/minilm_cv.yaml
    python eval/benchmark.py --config configs/minilm_cv.yaml --folds 3 --num_train_epochs 4
    python eval/benchmark.py --config configs/minilm_cv.yaml --analysis-only

Writes eval/results/<model>/ (<model>: the name of the config's output_dir, e.g. minilm):
benchmark.json, benchmark.md, learning_curve.png from the grouped k-fold cross-validation over the
whole corpus; confusion.png, loss.png, errors.md from the saved model at output_dir on data.test.
Then the figures go into the benchmarks section of the model card (<output_dir>/README.md) and of
README.md (between its <!-- benchmarks:start --> and <!-- benchmarks:end --> lines, where present).
Other --key value flags override config keys, as in train/train.py.
"""
import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from incident_roles.training.config import ConfigError, load_config, parse_overrides  # noqa: E402
from incident_roles.evaluation.crossval import (analyse_model, incident_folds, now_utc, pool_records,  # noqa: E402
                                                run_crossval, write_crossval)
from incident_roles.evaluation.publish import publish  # noqa: E402
from incident_roles.corpus.markup import MarkupError  # noqa: E402

log = logging.getLogger("incident_roles")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("--config", required=True, help="YAML run file, e.g. configs/minilm_cv.yaml")
    parser.add_argument("--folds", type=int, default=5, help="k of the grouped k-fold (default 5)")
    parser.add_argument("--curve", default="0.25,0.5",
                        help="learning-curve sizes as shares of fold 1's training reports, besides the full "
                             "fold (default 0.25,0.5; empty: no curve)")
    parser.add_argument("--out", help="results folder (default eval/results/<name of output_dir>)")
    parser.add_argument("--work", help="folder for fold models (default: a temporary folder, removed after)")
    parser.add_argument("--keep-models", action="store_true", help="keep each fold's model in --work")
    parser.add_argument("--no-publish", action="store_true",
                        help="do not write the figures into the model card and README.md's benchmarks section")
    parser.add_argument("--analysis-only", action="store_true",
                        help="skip cross-validation; only the confusion matrix, loss plot and error list")
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        config = load_config(args.config, parse_overrides(rest))
        curve = tuple(float(x) for x in args.curve.split(",") if x.strip())
    except (ConfigError, ValueError) as e:
        parser.error(str(e))
    command = " ".join(shlex.quote(a) for a in ["python", "eval/benchmark.py"] + sys.argv[1:]) \
        if argv is None else " ".join(["python", "eval/benchmark.py", *map(shlex.quote, argv)])
    out = Path(args.out or f"eval/results/{Path(config.output_dir).name}")

    result = {}
    if not args.analysis_only:
        try:  # fail on missing or bad data before any training starts
            incident_folds(pool_records(config), args.folds)
        except (FileNotFoundError, MarkupError, ValueError) as e:
            parser.error(str(e))
        cv = run_crossval(config, args.folds, args.work, curve, args.keep_models)
        result = write_crossval(cv, out, command, args.config)
        print((out / "benchmark.md").read_text(encoding="utf-8"))
    model = Path(config.output_dir)
    if (model / "config.json").exists() and config.data.test and Path(config.data.test).exists():
        analysis = analyse_model(model, config.data.test, out, command, config.eval.aggregation_strategy,
                                 config.eval.stride, config.eval.batch_size)
        analysis.update(command=command, date=now_utc())
        bench = out / "benchmark.json"
        saved = json.loads(bench.read_text(encoding="utf-8")) if bench.exists() else {}
        saved["test_split_analysis"] = analysis
        bench.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
        result["test_split_analysis"] = analysis
        log.info("Wrote %s for %s on %s", ", ".join(analysis["written"]), model, config.data.test)
    else:
        log.warning("No trained model at %s (or no %s): skipped the confusion matrix, loss plot and error "
                    "list; train it with `python train/train.py --config configs/minilm.yaml`", model,
                    config.data.test or "data.test")
    if not args.no_publish:
        for path in publish(out, [model / "README.md", "README.md"]):
            log.info("Updated the benchmarks section of %s", path)
    log.info("Results in %s", out)
    return result


if __name__ == "__main__":
    main()
