"""Grouped k-fold cross-validation by incident: the transformer (trained from a RunConfig on each
fold) and the two baselines, all scored by ``metrics.score_documents`` on the held-out fold's raw text.

Reports of one incident share names, numbers and wording, so they never sit on both sides of a fold
(scikit-learn ``GroupKFold`` with the incident as the group). The corpus's train, dev and test files
are pooled first: every report is held out exactly once.

Model selection inside a fold: none. Each fold trains for the config's epochs and keeps the last
epoch, so no report of the held-out fold or of the training side is spent on choosing an epoch; the
CV config sets fewer epochs than the full run to keep five folds inside the time budget.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from incident_roles.training.config import RunConfig
from incident_roles.corpus.jsonl import read_jsonl, write_jsonl
from incident_roles.labels import LABELS
from incident_roles.evaluation.metrics import score_documents
from incident_roles.serving.predict import DEFAULT_STRIDE

log = logging.getLogger("incident_roles")

SYSTEMS = ("transformer", "rules", "linear")
ROWS = tuple(LABELS) + ("micro",)


def pool_records(config: RunConfig) -> list[dict]:
    """The train, dev and test files of the config, in that order, each report once (by id)."""
    records, seen = [], set()
    for key in ("train", "dev", "test"):
        path = getattr(config.data, key)
        if not path:
            continue
        if not Path(path).exists():
            raise FileNotFoundError(f"data.{key}: {path} does not exist (run `make data` to build the corpus)")
        for r in read_jsonl(path):
            if r["id"] not in seen:
                seen.add(r["id"])
                records.append(r)
    if not records:
        raise ValueError("no reports in data.train, data.dev or data.test of the config")
    return records


def incident_folds(records: list[dict], k: int = 5) -> list[tuple[list[int], list[int]]]:
    """(train indices, held-out indices) per fold; an incident's reports are all on one side."""
    from sklearn.model_selection import GroupKFold

    groups = [r.get("incident") or r["id"] for r in records]
    n_groups = len(set(groups))
    if k < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got k={k}")
    if n_groups < k:
        raise ValueError(f"{k} folds need at least {k} incidents; the data has {n_groups}")
    splitter = GroupKFold(n_splits=k)
    return [(list(map(int, a)), list(map(int, b))) for a, b in splitter.split(records, groups=groups)]


def margin_incidents(records: list[dict], share: float = 0.15) -> set[str]:
    """The incidents of a fold's training part held out to choose the margins: the ``share`` with the
    lowest stable hash, at least one, so every fold has some whatever its size."""
    names = sorted({r.get("incident") or r["id"] for r in records},
                   key=lambda n: hashlib.sha1(f"margins:{n}".encode()).hexdigest())
    return set(names[:max(1, round(share * len(names)))])


def fold_config(config: RunConfig, out_dir: Path, train_path: Path, limit_train: int = 0,
                dev_path: Path | None = None, fold: int = 1) -> RunConfig:
    """The run config for one fold: its own training file, no test file, last epoch kept; the dev file
    (held-out incidents of the fold's training part) serves only to choose the decision margins. A
    distillation teacher named with "{fold}" becomes this fold's own teacher, trained without its
    held-out reports."""
    c = copy.deepcopy(config)
    c.distill.teacher = c.distill.teacher.replace("{fold}", str(fold))
    c.output_dir = str(out_dir)
    c.data.train, c.data.dev, c.data.test = str(train_path), str(dev_path or ""), ""
    c.data.limit_train = limit_train
    c.training.eval_strategy = "no"
    c.training.save_strategy = "no"  # checkpoints would only cost disk writes: the last epoch is kept
    c.training.load_best_model_at_end = False
    return c


def train_and_predict(config: RunConfig, records: list[dict]) -> tuple[list[list[dict]], dict]:
    """Train from ``config`` and tag ``records``' raw text through pipeline(), as evaluation does."""
    from incident_roles.evaluation.evaluate import evaluate
    from incident_roles.training.trainer import train

    started = time.time()
    out = train(config)
    trained = time.time()
    _, preds = evaluate(out, records, config.eval.aggregation_strategy, config.eval.stride,
                        config.eval.batch_size, return_predictions=True)
    timing = {"train_seconds": round(trained - started, 1), "predict_seconds": round(time.time() - trained, 1)}
    margins = out / "margins.json"
    if margins.exists():
        # the same fold model with its margins taken out again: the margins lever costs no extra training
        timing["margins"] = json.loads(margins.read_text(encoding="utf-8"))["margins"]
        timing["preds_without_margins"] = _predict_without_margins(out, records, config, timing["margins"])
    history = out / "log_history.json"
    history = json.loads(history.read_text(encoding="utf-8")) if history.exists() else []
    timing["loss"] = [{"step": e["step"], "loss": e["loss"]} for e in history if "loss" in e and "step" in e]
    return preds, timing


def _predict_without_margins(model_dir: Path, records: list[dict], config: RunConfig, margins: dict):
    from incident_roles.serving.predict import load_pipeline, predict_spans
    from incident_roles.training.margins import apply_margins

    pipe = load_pipeline(str(model_dir), config.eval.aggregation_strategy, config.eval.stride)
    apply_margins(pipe.model, {label: -m for label, m in margins.items()})
    return predict_spans(pipe, [r["text"] for r in records], batch_size=config.eval.batch_size)


def _baseline(name: str, config: RunConfig):
    from incident_roles.evaluation.baselines import LinearTagger, RuleTagger

    return RuleTagger() if name == "rules" else LinearTagger(seed=config.training.seed)


def summarize(fold_scores: list[dict]) -> dict:
    """Mean and sample standard deviation over folds of strict and partial F1, per label and micro."""
    out = {}
    for row in ROWS:
        entry = {}
        for mode in ("strict", "partial"):
            values = [s[mode][row]["f1"] for s in fold_scores]
            entry[mode] = {"mean": statistics.fmean(values),
                           "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                           "folds": values}
        out[row] = entry
    return out


def compare(summary: dict) -> dict:
    """Per label (and micro): does the transformer's mean strict F1 beat every baseline's?"""
    verdict = {}
    for row in ROWS:
        ours = summary["transformer"][row]["strict"]["mean"]
        verdict[row] = all(ours > summary[b][row]["strict"]["mean"] for b in summary if b != "transformer")
    return verdict


def _subset_sizes(n: int, fractions) -> list[int]:
    return sorted({max(1, round(n * f)) for f in fractions if 0 < f < 1} | {n})


def run_crossval(config: RunConfig, k: int = 5, work_dir: str | Path | None = None,
                 curve_fractions=(0.25, 0.5), keep_models: bool = False) -> dict:
    """Train and score every system on each fold; return folds, summary, verdict and learning curve.

    The learning curve reuses fold 1: the transformer is trained again on the first 25% and 50% of its
    (shuffled) training reports and scored on the same held-out reports; the full-size point is the
    fold model itself, so it costs three quarters of one more fold.
    """
    records = pool_records(config)
    folds = incident_folds(records, k)
    rng = random.Random(config.training.seed)
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="incident-roles-cv-"))
    work.mkdir(parents=True, exist_ok=True)
    log.info("Cross-validation: %d reports of %d incidents in %d folds; fold models in %s", len(records),
             len({r.get('incident') for r in records}), k, work)
    started = time.time()
    result = {"k": k, "reports": len(records), "folds": [], "learning_curve": []}
    for i, (train_idx, test_idx) in enumerate(folds, start=1):
        fold_started, curve_seconds = time.time(), 0.0
        train_recs = [records[j] for j in train_idx]
        rng.shuffle(train_recs)  # so the learning curve's first N reports are a random sample
        test_recs = [records[j] for j in test_idx]
        gold = [r["spans"] for r in test_recs]
        fold_dir = work / f"fold{i}"
        train_path, dev_path = fold_dir / "train.jsonl", None
        if config.eval.calibrate:
            # margins are chosen on incidents the fold model does not train on, as dev does for the full model
            held = margin_incidents(train_recs)
            dev_recs = [r for r in train_recs if (r.get("incident") or r["id"]) in held]
            train_recs = [r for r in train_recs if (r.get("incident") or r["id"]) not in held]
            dev_path = fold_dir / "dev.jsonl"
            write_jsonl(dev_recs, dev_path)
        write_jsonl(train_recs, train_path)
        log.info("Fold %d/%d: training on %d reports, holding out %d reports of %d incidents", i, k,
                 len(train_recs), len(test_recs), len({r.get('incident') for r in test_recs}))
        entry = {"fold": i, "train_reports": len(train_recs), "test_reports": len(test_recs),
                 "test_incidents": sorted({r.get("incident") or r["id"] for r in test_recs}), "scores": {}}
        preds, timing = train_and_predict(fold_config(config, fold_dir / "model", train_path, dev_path=dev_path,
                                                      fold=i), test_recs)
        entry["scores"]["transformer"] = score_documents(gold, preds)
        if "preds_without_margins" in timing:
            entry["scores_without_margins"] = score_documents(gold, timing.pop("preds_without_margins"))
            entry["margins"] = timing.pop("margins")
        entry["loss"] = timing.pop("loss")
        entry.update(timing)
        for name in SYSTEMS[1:]:
            t = time.time()
            system = _baseline(name, config).fit(train_recs)
            entry["scores"][name] = score_documents(gold, system.predict([r["text"] for r in test_recs]))
            entry[f"{name}_seconds"] = round(time.time() - t, 1)
        if i == 1 and curve_fractions:
            curve_started = time.time()
            result["learning_curve"] = learning_curve(config, train_recs, test_recs, fold_dir, curve_fractions,
                                                      full_scores=entry["scores"])
            curve_seconds = time.time() - curve_started
        if not keep_models:
            shutil.rmtree(fold_dir, ignore_errors=True)
        result["folds"].append(entry)
        elapsed = time.time() - started
        log.info("Fold %d/%d done: strict micro F1 transformer %.3f, rules %.3f, linear %.3f (%.0f s so far, "
                 "about %.0f s to go)", i, k, *(entry["scores"][s]["strict"]["micro"]["f1"] for s in SYSTEMS),
                 elapsed, (time.time() - fold_started - curve_seconds) * (k - i))
    result["summary"] = {s: summarize([f["scores"][s] for f in result["folds"]]) for s in SYSTEMS}
    if all("scores_without_margins" in f for f in result["folds"]):
        result["summary_without_margins"] = summarize([f["scores_without_margins"] for f in result["folds"]])
    result["transformer_beats_baselines"] = compare(result["summary"])
    result["seconds"] = round(time.time() - started, 1)
    if not work_dir and not keep_models:
        shutil.rmtree(work, ignore_errors=True)
    return result


def learning_curve(config: RunConfig, train_recs: list[dict], test_recs: list[dict], fold_dir: Path,
                   fractions, full_scores: dict) -> list[dict]:
    """Strict and partial micro F1 against the number of training reports, for every system."""
    gold = [r["spans"] for r in test_recs]
    texts = [r["text"] for r in test_recs]
    points = []
    for n in _subset_sizes(len(train_recs), fractions):
        if n == len(train_recs):
            scores = full_scores
        else:
            log.info("Learning curve: training on the first %d of fold 1's %d training reports", n, len(train_recs))
            preds, _ = train_and_predict(
                fold_config(config, fold_dir / f"curve{n}", fold_dir / "train.jsonl", limit_train=n,
                            dev_path=fold_dir / "dev.jsonl" if (fold_dir / "dev.jsonl").exists() else None), test_recs)
            scores = {"transformer": score_documents(gold, preds)}
            for name in SYSTEMS[1:]:
                system = _baseline(name, config).fit(train_recs[:n])
                scores[name] = score_documents(gold, system.predict(texts))
        for name, s in scores.items():
            points.append({"system": name, "train_reports": n, "strict_micro_f1": s["strict"]["micro"]["f1"],
                           "partial_micro_f1": s["partial"]["micro"]["f1"]})
    return points


def format_markdown(result: dict) -> str:
    """The comparison table: one row per system, strict F1 per label, micro strict and partial."""
    head = "| system | " + " | ".join(f"{l} strict F1" for l in LABELS) + " | micro strict F1 | micro partial F1 |"
    lines = [head, "|" + "---|" * (len(LABELS) + 3)]
    for system in SYSTEMS:
        s = result["summary"][system]
        cells = [f"{s[l]['strict']['mean']:.3f} ± {s[l]['strict']['sd']:.3f}" for l in LABELS]
        cells += [f"{s['micro']['strict']['mean']:.3f} ± {s['micro']['strict']['sd']:.3f}",
                  f"{s['micro']['partial']['mean']:.3f} ± {s['micro']['partial']['sd']:.3f}"]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    lines += ["", "Partial F1 (same label, overlapping characters), mean ± sd:", "",
              "| system | " + " | ".join(f"{l} partial F1" for l in LABELS) + " |", "|" + "---|" * (len(LABELS) + 1)]
    for system in SYSTEMS:
        s = result["summary"][system]
        lines.append(f"| {system} | " + " | ".join(
            f"{s[l]['partial']['mean']:.3f} ± {s[l]['partial']['sd']:.3f}" for l in LABELS) + " |")
    verdict = result["transformer_beats_baselines"]
    behind = [l for l in LABELS if not verdict[l]]
    lines.append("")
    if behind:
        lines.append("**The transformer does NOT beat both baselines on every label**: its mean strict F1 is not "
                     f"above both the rules and the linear baseline on {', '.join(behind)}.")
    else:
        lines.append("The transformer beats both baselines on every label (mean strict F1 over the folds).")
    return "\n".join(lines)


def now_utc() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def stamp(command: str) -> str:
    """The first line of every results file: the command that wrote it and when (UTC)."""
    return f"`{command}`, {now_utc()}"


def write_crossval(result: dict, out_dir: str | Path, command: str, config_path: str = "") -> dict:
    """benchmark.json, benchmark.md and learning_curve.png in ``out_dir``."""
    from incident_roles.evaluation.plots import plot_learning_curve

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = {"command": command, "date": now_utc(), "config": config_path, **result}
    (out / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    folds = result["folds"]
    per_fold = ", ".join(f"{f['train_seconds']:.0f}" for f in folds)
    md = [stamp(command), "", f"# Cross-validation: {result['k']} folds grouped by incident", "",
          f"{result['reports']} reports; each fold holds out whole incidents, trains the transformer from "
          f"`{config_path}` (last epoch kept, no model selection) and the two baselines on the rest, and scores "
          "all three with the same strict/partial span scorer on the held-out raw text. Cells: mean ± "
          "standard deviation over the folds.", "", format_markdown(result), "",
          f"Transformer training per fold: {per_fold} s; whole run {result['seconds']:.0f} s. Learning curve: "
          "`learning_curve.png`; per-fold figures: `benchmark.json`."]
    (out / "benchmark.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    if result.get("learning_curve"):
        plot_learning_curve(result["learning_curve"], out / "learning_curve.png")
    return result


def analyse_model(model_dir: str | Path, test_path: str | Path, out_dir: str | Path, command: str,
                  aggregation_strategy: str = "first", stride: int = DEFAULT_STRIDE, batch_size: int = 8) -> dict:
    """confusion.png, loss.png and errors.md for a saved model on a test file, through pipeline()."""
    from incident_roles.evaluation.errors import error_report
    from incident_roles.evaluation.evaluate import evaluate
    from incident_roles.evaluation.plots import plot_confusion, token_confusion

    model_dir, out = Path(model_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = read_jsonl(test_path)
    scores, preds = evaluate(model_dir, records, aggregation_strategy, stride, batch_size, return_predictions=True)
    texts = [r["text"] for r in records]
    matrix = token_confusion(texts, [r["spans"] for r in records], preds)
    plot_confusion(matrix, out / "confusion.png",
                   title=f"{model_dir.name} on {Path(test_path).name}: words, rows gold, columns predicted")
    header = "\n".join([stamp(command), "", f"# Errors of {model_dir.name} on {test_path}", ""])
    markdown, counts = error_report(records, preds, header)
    (out / "errors.md").write_text(markdown, encoding="utf-8")
    written = ["confusion.png", "errors.md"]
    history = model_dir / "log_history.json"
    if history.exists():
        from incident_roles.evaluation.plots import plot_loss

        plot_loss(json.loads(history.read_text(encoding="utf-8")), out / "loss.png",
                  title=f"{model_dir.name}: training and validation loss")
        written.append("loss.png")
    else:
        log.warning("%s has no log_history.json: no loss plot", model_dir)
    return {"model": str(model_dir), "test": str(test_path), "scores": scores, "confusion": matrix,
            "errors": counts, "written": written}
