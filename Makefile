# Every target works on a fresh clone: it makes .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Running showpipe needs only its runtime dependencies; tests, lint and benchmarks add the dev
# extra (pytest, moto, playwright, mypy…), which is most of the venv's size.
STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench serve clean sample-media

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(STAMP)

## Publish the sample show to ./public and print where the feeds are.
run: $(STAMP)
	$(BIN)/showpipe publish episodes/*.yaml
	@echo "Listen: 'make serve', then subscribe to http://localhost:8000/feeds/show.xml"

## The whole test suite.
test: $(DEV_STAMP)
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

## Benchmarks; awscli (which pins botocore exactly) gets its own venv to compare against.
bench: $(DEV_STAMP) .venv-bench/.installed
	$(BIN)/python benchmarks/run.py

.venv-bench/.installed:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet awscli
	touch $@

## Serve ./public on http://localhost:8000/ with Range support.
serve: $(STAMP)
	$(BIN)/showpipe serve

## Regenerate the sample show's media and artwork.
sample-media: $(DEV_STAMP)
	$(BIN)/python scripts/make_sample_media.py

clean:
	rm -rf $(VENV) .venv-bench public .showpipe
