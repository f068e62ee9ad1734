"""Find the base encoder on disk (a pip package that ships weights, or a folder) and build the model."""
from __future__ import annotations

import importlib
import logging
from pathlib import Path

log = logging.getLogger(__name__)


class BaseModelError(FileNotFoundError):
    pass


def resolve_base_model(name: str) -> Path:
    """A folder with config.json, or the name of an installed package with ``get_model_path()``.

    Nothing is fetched from a model hub: a name that is neither fails here with what to do.
    """
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").exists():
            raise BaseModelError(f"base_model '{name}': the folder has no config.json")
        return folder
    module_name = name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise BaseModelError(
            f"base_model '{name}' is neither a folder nor an installed package (tried `import "
            f"{module_name}`). Install it (e.g. `pip install {name}`) or give the path of a model folder."
        ) from None
    getter = getattr(module, "get_model_path", None)
    if getter is None:
        raise BaseModelError(f"base_model '{name}': package {module_name} has no get_model_path()")
    path = Path(getter())
    if not (path / "config.json").exists():
        raise BaseModelError(f"base_model '{name}': {path} has no config.json")
    return path


def load_tokenizer(path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if not tokenizer.is_fast:
        raise BaseModelError(f"{path}: a fast tokenizer (tokenizer.json) is needed for character offsets")
    return tokenizer


def build_model(path, dropout: float | None = None):
    """Encoder with a new token-classification head, labelled with the guideline's BIO tags."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    from .labels import ID2LABEL, LABEL2ID

    config = AutoConfig.from_pretrained(str(path), num_labels=len(ID2LABEL), id2label=ID2LABEL,
                                        label2id=LABEL2ID)
    if dropout is not None and hasattr(config, "hidden_dropout_prob"):
        config.hidden_dropout_prob = dropout
    return AutoModelForTokenClassification.from_pretrained(str(path), config=config)
