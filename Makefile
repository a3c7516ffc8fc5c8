# The two commands that matter: `make demo` and `make test`. Both create their venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
AIRFLOW3_VERSION := 3.3.2
AIRFLOW2_VERSION := 2.11.2
VENV := .venv
VENV2 := .venv-airflow2
PYTEST_ARGS ?=

.PHONY: test test-airflow3 test-airflow2 demo demo-rollback venv venv-airflow2 constraints clean

# venv for the newest Airflow 3 (the default leg, and the one `make demo` uses)
$(VENV)/.installed: pyproject.toml constraints/airflow-$(AIRFLOW3_VERSION).txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q uv
	$(VENV)/bin/uv pip install -q --python $(VENV)/bin/python -e ".[test]" \
	    "apache-airflow==$(AIRFLOW3_VERSION)" -c constraints/airflow-$(AIRFLOW3_VERSION).txt
	touch $@

# venv for the Airflow 2.11 leg, pinned by the constraints file kept in the repo
$(VENV2)/.installed: pyproject.toml constraints/airflow-$(AIRFLOW2_VERSION).txt
	test -x $(VENV2)/bin/python || $(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/python -m pip install -q uv
	$(VENV2)/bin/uv pip install -q --python $(VENV2)/bin/python -e ".[test]" \
	    "apache-airflow==$(AIRFLOW2_VERSION)" -c constraints/airflow-$(AIRFLOW2_VERSION).txt
	touch $@

venv: $(VENV)/.installed
venv-airflow2: $(VENV2)/.installed

test: test-airflow3 test-airflow2

test-airflow3: $(VENV)/.installed
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-airflow2: $(VENV2)/.installed
	$(VENV2)/bin/python -m pytest -m "not e2e and not airflow3" $(PYTEST_ARGS)

demo: $(VENV)/.installed
	$(VENV)/bin/python -m example_dags.demo

demo-rollback: $(VENV)/.installed
	$(VENV)/bin/python -m example_dags.demo --rollback

clean:
	rm -rf $(VENV) $(VENV2) build dist *.egg-info .pytest_cache
