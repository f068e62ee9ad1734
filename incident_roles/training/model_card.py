"""The saved model's README.md (a Hugging Face model card), filled in from the run's own figures."""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from incident_roles.labels import LABELS


def _metric_rows(scores: dict) -> str:
    rows = ["| label | strict P | strict R | strict F1 | partial F1 | gold spans |", "|---|---|---|---|---|---|"]
    for label in list(LABELS) + ["micro"]:
        s, p = scores["strict"][label], scores["partial"][label]
        rows.append(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {p['f1']:.3f} | "
                    f"{s['support']} |")
    return "\n".join(rows)


def _margins_section(out: Path) -> list[str]:
    path = Path(out) / "margins.json"
    if not path.exists():
        return []
    m = json.loads(path.read_text(encoding="utf-8"))
    return ["## Decision margins (baked into the weights)", "",
            "The bias of each label's B-/I- outputs in the classification head was lowered by a margin chosen "
            "on the dev split (never on test), so that stock `pipeline()` keeps `O` where an entity is unsure: "
            + ", ".join(f"{k} {v:g}" for k, v in m["margins"].items())
            + f". Dev strict micro F1 {m['f1_before']:.3f} before, {m['f1_after']:.3f} after "
              "(`margins.json` holds the precision-recall points of every margin tried).", ""]


def write_model_card(out: Path, config, metrics: dict, command: str | None = None) -> Path:
    command = command or " ".join(shlex.quote(a) for a in ["python"] + sys.argv)
    sections = [
        "---",
        "library_name: transformers",
        "pipeline_tag: token-classification",
        "language: en",
        "tags: [token-classification, event-extraction, political-events]",
        "---",
        f"# incident-roles: {Path(config.output_dir).name}",
        "",
        "Tags four roles in English news reports of diplomatic incidents: `ATTACKER`, `TARGET`, "
        f"`VICTIM_COUNT` and `DIPLOMATIC_RESPONSE` ({config.model.tagging} tags, see `config.json` `id2label`). "
        f"Fine-tuned from `{config.model.base_model}`"
        + (f" (its first {config.model.num_hidden_layers} layers)" if config.model.num_hidden_layers else "")
        + (f", taught by `{config.distill.teacher}` ({config.distill.weight:g} of the loss)" if config.distill.teacher else "")
        + " on the incident-roles corpus, annotated by "
        "`data/GUIDELINE.md` of the project.",
        "",
        "## Use",
        "",
        "```python",
        "from transformers import pipeline",
        f'tagger = pipeline("token-classification", model="{config.output_dir}", '
        f'aggregation_strategy="{config.eval.aggregation_strategy}", stride={config.eval.stride})',
        'for e in tagger("Iranian missiles struck militant bases in Pakistan, killing two children."):',
        '    print(e["entity_group"], e["start"], e["end"], e["score"])',
        "```",
        "",
        "The encoder is uncased: take the original text by slicing with `start`/`end`, not from `word`. "
        f"`stride={config.eval.stride}` makes the pipeline read texts longer than 512 sub-tokens in "
        "overlapping windows; without it the end of a long text is cut off. Use `aggregation_strategy=\"first\"`: "
        "`\"simple\"` can still return pieces of a word where the sub-tokens of one word disagree.",
        "",
        *_margins_section(out),
        "## Figures from this run",
        "",
        "Produced by the training run itself, which scored each split through `pipeline()` on the raw text:",
        "",
        "```",
        command,
        "```",
        "",
        f"Training took {metrics['train_seconds']:.0f} s on {metrics['train_reports']} reports "
        f"({metrics['train_windows']} windows).",
    ]
    for split in ("dev", "test"):
        if split in metrics:
            sections += ["", f"### {split} split ({metrics[split]['documents']} reports)", "",
                         _metric_rows(metrics[split])]
    sections += [
        "",
        "Strict: exact character span and label. Partial: same label and overlapping characters. "
        "Re-score with `python eval/evaluate.py --model " + config.output_dir + " --data data/processed/test.jsonl`.",
        "",
        "## Training",
        "",
        "The resolved configuration is `training_config.yaml`, the package versions `versions.json`, the loss "
        "and dev scores per step `log_history.json`, all figures above `metrics.json`.",
        "",
        "## Limits",
        "",
        "- A small corpus written for the project (see `data/README.md` of the repository): figures on a "
        "few dozen test reports have wide confidence intervals.",
        "- English news style only; the roles follow the project's guideline, not other coding schemes.",
        "",
    ]
    path = out / "README.md"
    path.write_text("\n".join(sections), encoding="utf-8")
    return path
