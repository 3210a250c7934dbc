# The two set-up commands of README: `make demo` and `make test`.
# Each creates .venv when missing and installs the project once (again only when
# setup.py changes), then runs.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.cgmolct-installed
export GLOG_v ?= 3
export PYTHONUNBUFFERED := 1

.PHONY: demo test bench doctor clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel

$(STAMP): setup.py | $(PY)
	$(PY) -m pip install -q -e ".[md,test,bench]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cgmolct demo --output demo_output

test: $(STAMP)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

doctor: $(STAMP)
	$(VENV)/bin/cgmolct doctor

clean:
	rm -rf $(VENV) demo_output rank_0 *.egg-info
