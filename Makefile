# landuse: the two commands of the README.
#   make demo   set up .venv and run the main job on the bundled sample park
#   make test   set up .venv and the system services, then run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test venv system lint bench clean sample

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	touch $(STAMP)

venv: $(STAMP)

system:
	bash scripts/install-system.sh

demo: $(STAMP)
	$(VENV)/bin/landuse demo

test: system $(STAMP)
	bash scripts/run-tests.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check landuse api tests bench data/geo
	$(VENV)/bin/mypy

sample: $(STAMP)
	$(PY) data/geo/make_sample_park.py

clean:
	rm -rf $(VENV) out test-artifacts
