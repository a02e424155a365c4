# The documented workflow: `make demo` runs the main job, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out
# make test runs pytest on this many processes (the reference machine has 2 cores)
PYTEST_WORKERS ?= 2
# make test measures branch coverage (coverage.py via pytest-cov, settings in pyproject.toml's
# [tool.coverage]) and prints the files not fully covered and the total; `make test COVERAGE=`
# runs without it. Overhead and figures: docs/testing.md.
COVERAGE ?= --cov --cov-report=term-missing:skip-covered
# the delivery demo's operational database (programmes, money, returns): the embedded SQLite
DELIVERY_DB ?= sqlite:///$(abspath $(OUT))/delivery.sqlite3
export VRKIT_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: demo test lint imports typecheck pytest fuzz mutate bench docs clean serve test-deps

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -U pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# --force: a re-run replaces the demo's own outputs (vrkit never overwrites without it)
demo: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb ingest --all
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb report violent-crime --year 2020 --compare 2019 --area London --format html,xlsx,json --out $(OUT)/london-2020 --force
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb report violent-crime --year 2020 --compare 2019 --area Lambeth --format html,xlsx,json --out $(OUT)/lambeth-2020 --force
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb report needs-assessment --area London --years 2015-2021 --out $(OUT)/needs-assessment-london --force
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb rank --profile sports --geography ward --top 20 --out $(OUT)/rank-sports --force
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb alerts --measure violence_with_injury --geography borough --month 2021-06 --format json --out $(OUT)/alerts-2021-06.json --force
	$(BIN)/vrkit --store $(OUT)/vrkit.duckdb cost-of-violence --year 2019 --area London --format json --out $(OUT)/cost-of-violence-london-2019.json --force
	$(BIN)/vrkit programmes import $(VRKIT_DATA_DIR)/london_vru_2020_21 --database-url $(DELIVERY_DB)
	$(BIN)/vrkit programmes report --year 2020/21 --format html,xlsx,json --out $(OUT)/delivery-2020-21 --database-url $(DELIVERY_DB)
	$(BIN)/vrkit programmes show LVRU-004 --year 2020/21 --format html --out $(OUT)/delivery-2020-21 --database-url $(DELIVERY_DB)
	@echo "Outputs:"; find $(OUT) -type f ! -name '*.duckdb*' ! -name '*.sqlite3*' | sort

lint: $(STAMP) imports
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

# the layer rule of docs/architecture.md (contracts in pyproject.toml)
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# What the tests need from the system: PostgreSQL (a throwaway cluster is started by the
# portal's tests themselves unless VRKIT_TEST_DATABASE_URL is set), Debian's Chromium for
# Playwright, and a Java runtime for the Spark test of the Parquet lake (tests/tasks/test_export.py).
test-deps:
	@scripts/pg_test_server.sh ensure
	@command -v chromium >/dev/null 2>&1 || { echo "installing Chromium (Debian) for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@command -v java >/dev/null 2>&1 || { echo "installing default-jre-headless (Debian) for the Spark test…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null; }

pytest: $(STAMP) test-deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 $(COVERAGE)

test: lint typecheck pytest

# Fuzz every source adapter at length: many random Hypothesis examples per adapter
# (VRKIT_FUZZ_EXAMPLES, default 300), then coverage-guided atheris runs of the Python parsers
# (FUZZ_RUNS inputs each). `make test` runs the same harness briefly and deterministically.
FUZZ_RUNS ?= 20000
fuzz: $(STAMP)
	VRKIT_FUZZ_PROFILE=fuzz $(BIN)/pytest -q tests/fuzz
	for kind in istv ambulance_assaults mps_borough_monthly mps_homicide_victims; do \
		$(BIN)/python tests/fuzz/atheris_adapters.py $$kind -runs=$(FUZZ_RUNS) -max_len=20000 || exit 1; \
	done

# Mutation check (issue #21): each curated mutant of the statistics, source rules, SDC and the
# MPS release choice is applied to a temporary copy of src/ and the tests guarding it are run;
# exits 1 if a mutant survives. ~12 min on 2 cores; not part of `make test`. Score: docs/testing.md.
mutate: $(STAMP)
	$(BIN)/python scripts/mutate.py

docs: $(STAMP)
	$(BIN)/python scripts/cli_reference.py docs/cli.md

# The partner portal on http://127.0.0.1:$(PORT)/: migrates the operational database, seeds one
# DEMO user per role (printing their sign-in details), ingests the shared data if the warehouse
# is empty, then serves. Cookies are marked Secure: browsers accept them on http://localhost.
PORT ?= 8000
serve: $(STAMP)
	mkdir -p $(OUT)
	VRKIT_UPLOAD_DIR=$(OUT)/uploads VRKIT_CACHE_DIR=$(OUT)/portal-cache \
	  $(BIN)/vrkit --store $(OUT)/vrkit.duckdb serve --demo --ingest-if-empty \
	  --database-url $${VRKIT_DATABASE_URL:-sqlite:///$(abspath $(OUT))/portal.sqlite3} --host 127.0.0.1 --port $(PORT)

bench: $(STAMP)
	$(BIN)/python bench/ingest_street.py
	$(BIN)/python bench/query_trend.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
