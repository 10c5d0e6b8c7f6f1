# Two commands do everything: `make demo SOURCE=...` and `make test`. Both create .venv and fetch the models.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SOURCE ?= 0
OUTPUT ?= out/demo
REF_VENV ?= .venv-ref
PYTEST_ARGS ?=

.PHONY: setup demo test lint reference-env bench eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(VENV)/.installed
	$(BIN)/handpose models fetch palm_full palm_lite hand_full hand_lite

demo: setup
	$(BIN)/handpose run $(SOURCE) --output $(OUTPUT) --json $(OUTPUT)/hands.jsonl --gestures builtin --overwrite

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests tools examples
	$(BIN)/mypy src/handpose examples

# mediapipe 0.10.21 (the reference) needs protobuf < 5, so it lives in its own environment.
reference-env: $(REF_VENV)/.installed
$(REF_VENV)/.installed: tools/reference/requirements.txt
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps mediapipe==0.10.21
	$(REF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/reference/requirements.txt
	touch $@

BENCH_SOURCE ?= ../shared/data/video/hand_reach_640x360.mp4
bench: setup reference-env
	$(BIN)/handpose bench $(BENCH_SOURCE) --reference $(REF_VENV)/bin/python --repeat 3 --overwrite \
		--markdown out/bench.md --json out/bench.json --plot out/bench.png

eval: setup reference-env
	$(BIN)/handpose eval ../shared/data/keypoints/hands21_dev.json --reference $(REF_VENV)/bin/python \
		--json out/eval.json --overwrite

clean:
	rm -rf $(VENV) $(REF_VENV) out .pytest_cache
