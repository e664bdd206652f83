# The two set-up commands are `make run` and `make test`; both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-unit test-integration test-faults run bench docs lint typecheck messages messages-check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: install  ## the whole suite; starts its own Kafka (Tansu), MongoDB (SecantusDB) and SMTP sink
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-unit: install
	$(BIN)/python -m pytest -q tests/unit tests/component $(PYTEST_ARGS)

test-integration: install
	$(BIN)/python -m pytest -q tests/integration tests/e2e $(PYTEST_ARGS)

test-faults: install  ## the fault and fuzz suites in full (10,000 events, several seeds); make test runs them small
	CFA_TEST_FULL=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/faults $(PYTEST_ARGS)

run: install  ## the whole local stack: embedded servers + intake, aggregator, notifier
	$(BIN)/cfamon run

bench: install  ## benchmarks against same-run baselines; BENCH_ARGS=--quick for a 10x smaller run
	$(BIN)/python -m bench.run $(BENCH_ARGS)

docs: install  ## each service's AsyncAPI document into docs/asyncapi/ (also served at /asyncapi.yaml)
	$(BIN)/cfamon docs --out docs/asyncapi

messages: install  ## extract the texts people read (shared/locale/messages.pot) and update each language's catalog
	$(BIN)/pybabel extract -F babel.cfg -o shared/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i shared/locale/messages.pot -d shared/locale --no-fuzzy-matching --ignore-obsolete

messages-check: install  ## compile each language's catalog (an error fails; nothing is written to keep)
	for po in shared/locale/*/LC_MESSAGES/messages.po; do \
		$(BIN)/pybabel compile --statistics -i $$po -o /tmp/cfa-messages.mo || exit 1; \
	done

lint: install
	$(BIN)/ruff check shared services tests bench
	$(BIN)/ruff format --check shared services tests bench

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache run
