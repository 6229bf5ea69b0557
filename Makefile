# landuse: the two commands of the README.
#   make demo   set up .venv and run the main job on the bundled sample park
#   make test   set up .venv and the system services, then run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test venv system lint bench clean sample assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	touch $(STAMP)

venv: $(STAMP)

# Browser packages of the HTML maps (Leaflet and plugins), pinned by package-lock.json and
# inlined into every map page: nothing is fetched from a CDN when a map opens.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

assets: $(NODE_STAMP)

system:
	bash scripts/install-system.sh

demo: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/landuse demo

test: system $(STAMP) $(NODE_STAMP)
	bash scripts/run-tests.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check landuse landuse_api tests bench data/geo
	$(VENV)/bin/mypy

sample: $(STAMP)
	$(PY) data/geo/make_sample_park.py

clean:
	rm -rf $(VENV) out test-artifacts node_modules
