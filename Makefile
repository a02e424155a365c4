# The documented workflow: `make demo` runs the main job, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out
export VRKIT_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: demo test lint typecheck pytest java bench docs clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -U pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb ingest --all
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb report violent-crime --year 2020 --compare 2019 --area London --format html,xlsx,json --out $(OUT)/london-2020
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb report violent-crime --year 2020 --compare 2019 --area Lambeth --format html,xlsx,json --out $(OUT)/lambeth-2020
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb report needs-assessment --area London --years 2015-2021 --out $(OUT)/needs-assessment-london
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb rank --profile sports --geography ward --top 20 --out $(OUT)/rank-sports
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb alerts --measure violence_with_injury --geography borough --month 2021-06 --format json --out $(OUT)/alerts-2021-06.json
	@echo "Outputs:"; find $(OUT) -type f ! -name '*.duckdb*' | sort

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The Spark test (tests/tasks/test_export.py) needs a Java runtime: install Debian's headless
# one when `java` is missing (CI runs as root on a fresh machine).
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "java not found: installing default-jre-headless for the Spark test"; \
		SUDO=$$( [ "$$(id -u)" -ne 0 ] && command -v sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends default-jre-headless; }

pytest: $(STAMP) java
	$(BIN)/pytest -q

test: lint typecheck pytest

docs: $(STAMP)
	$(BIN)/python -m typer vrkit.cli utils docs --name vrkit --title "vrkit command-line reference" --output docs/cli.md

bench: $(STAMP)
	$(BIN)/python bench/ingest_street.py
	$(BIN)/python bench/query_trend.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
