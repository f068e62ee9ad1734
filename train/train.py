"""Train the role tagger from a YAML config; flags override its keys.

    python train/train.py --config configs/minilm.yaml
    python train/train.py --config configs/minilm.yaml --num_train_epochs 2 --output_dir models/quick
"""
import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from incident_roles.training.config import ConfigError, load_config, parse_overrides  # noqa: E402
from incident_roles.training.trainer import train  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="YAML run file, e.g. configs/minilm.yaml")
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        config = load_config(args.config, parse_overrides(rest))
    except ConfigError as e:
        parser.error(str(e))
    return train(config)


if __name__ == "__main__":
    main()
