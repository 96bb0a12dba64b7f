# The two commands of the README's quick start are `make demo` and `make test`;
# every other target is a step they share.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Raw corpora: a local mirror if one is beside the clone (CI, offline machines);
# otherwise data_prep uses its download cache or downloads them.
DL4NLP_RAW_DIR ?= $(wildcard ../shared/data)
export DL4NLP_RAW_DIR

.PHONY: setup data test test-fast demo clean

# Also the Debian packages the tests use: a PostgreSQL server (tests/postgres.py) and
# Chromium (tests/test_browser.py). Root (CI) installs what is missing; anyone else is
# told how, and those tests skip.
DEBIAN_NEEDS := initdb:postgresql chromium:chromium
setup: $(STAMP)
	@for need in $(DEBIAN_NEEDS); do \
		command=$${need%%:*}; package=$${need##*:}; \
		command -v $$command >/dev/null || ls /usr/lib/postgresql/*/bin/$$command >/dev/null 2>&1 || \
		if [ "$$(id -u)" = 0 ]; then \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y --no-install-recommends $$package || \
			{ apt-get update && apt-get install -y --no-install-recommends $$package; }; \
		else \
			echo "No $$package: its tests will be skipped (to run them: sudo apt-get install $$package)"; \
		fi; \
	done

# Re-installs only when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation \
		--config-settings editable_mode=compat -e .
	touch $@

data: setup
	$(PY) -m data_prep

test: setup data
	$(PY) -m pytest

# The edit-test loop: everything but the tests that train models or run real graders.
test-fast: setup data
	$(PY) -m pytest -m "not slow"

# The whole instructor workflow on sample submissions, in demo_course/.
demo: setup data
	$(PY) -m autograder demo --dir demo_course

clean:
	rm -rf data autograder/heldout
