# The two set-up commands of README: `make demo` and `make test`.
# Each creates .venv when missing and installs the project once (again only when
# setup.py changes), then runs.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.cgmolct-installed
export GLOG_v ?= 3
export PYTHONUNBUFFERED := 1

.PHONY: demo test bench bench-peers doctor clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel

$(STAMP): setup.py | $(PY)
	$(PY) -m pip install -q -e ".[md,test,bench]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cgmolct demo --output demo_output

test: $(STAMP)
	$(PY) -m pytest -q --durations=15 tests

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

# SchNetPack + PyTorch in their own environment, for peer benchmarks only (never a
# dependency of cgmolct); then the side-by-side training benchmark.
PEERS := .venv-peers
$(PEERS)/bin/python:
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	# SchNetPack 2.1.1 pins sympy<=1.12 and imports torch.utils.data's T_co (gone in newer
	# torch): pip resolves torch 2.4.1, a CUDA build (~5 GB) that runs here on the CPU
	$(PEERS)/bin/python -m pip install -q "schnetpack==2.1.1"

bench-peers: $(STAMP) $(PEERS)/bin/python
	$(PY) -m benchmarks.bench_training --peers

doctor: $(STAMP)
	$(VENV)/bin/cgmolct doctor

clean:
	rm -rf $(VENV) $(PEERS) demo_output rank_0 *.egg-info
