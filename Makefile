VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: test bench lint venv clean demo

# A fresh machine: make the venv, install ember with its test extra (torch 2.13.0 is the oracle)
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# two workers on two cores: one BLAS thread each (threads only oversubscribe the cores, and
# OpenBLAS's spinning threads slow small GEMMs ~10x on a shared machine); conftest does the same
# for torch
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile tests

# The demo: ember with its demo extra (tqdm, matplotlib, tensorboard), then the digits CNN
$(DEMO_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[demo]'
	touch $(DEMO_STAMP)

# the digits CNN's GEMMs are tiny: one BLAS thread is as fast idle and ~10x faster when the
# machine is shared
demo: $(DEMO_STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) examples/digits.py

bench: $(STAMP)
	$(PY) bench/overhead.py

lint: $(STAMP)
	$(VENV)/bin/ruff check ember tests bench examples
	$(VENV)/bin/ruff format --check ember tests bench examples

clean:
	rm -rf $(VENV) .pytest_cache
