VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test bench lint venv clean

# A fresh machine: make the venv, install ember with its test extra (torch 2.13.0 is the oracle)
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile tests

bench: $(STAMP)
	$(PY) bench/overhead.py

lint: $(STAMP)
	$(VENV)/bin/ruff check ember tests bench
	$(VENV)/bin/ruff format --check ember tests bench

clean:
	rm -rf $(VENV) .pytest_cache
