# Every target works on a fresh clone: it makes .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench serve clean sample-media

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Publish the sample show to ./public and print where the feeds are.
run: $(STAMP)
	$(BIN)/showpipe publish episodes/*.yaml
	@echo "Listen: 'make serve', then subscribe to http://localhost:8000/feeds/show.xml"

## The whole test suite.
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

## Benchmarks; awscli (which pins botocore exactly) gets its own venv to compare against.
bench: $(STAMP) .venv-bench/.installed
	$(BIN)/python benchmarks/run.py

.venv-bench/.installed:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet awscli
	touch $@

## Serve ./public on http://localhost:8000/ with Range support.
serve: $(STAMP)
	$(BIN)/showpipe serve

## Regenerate the sample show's media and artwork.
sample-media: $(STAMP)
	$(BIN)/python scripts/make_sample_media.py

clean:
	rm -rf $(VENV) .venv-bench public .showpipe
