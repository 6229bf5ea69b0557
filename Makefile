# landuse: the commands of the README.
#   make demo    set up .venv (Python >= 3.11 only) and run the main job on the bundled sample park
#   make test    set up .venv and the system services, then run the whole suite
#   make quick   the suite without the tests marked slow
#   make assets  refresh the map's browser packages (needs npm; their files ship in the package)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test quick venv system lint bench clean sample assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all]"
	touch $(STAMP)

venv: $(STAMP)

# Browser packages of the HTML maps (Leaflet and plugins), pinned by package-lock.json. Their
# files are committed under landuse/webmap/static/vendor/ and inlined into every map page
# (nothing is fetched from a CDN); only refreshing them needs npm.
assets: $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) scripts/vendor_assets.py

system:
	bash scripts/install-system.sh

demo: $(STAMP)
	$(VENV)/bin/landuse demo --out out/demo --maps maps

test: system $(STAMP)
	bash scripts/run-tests.sh

quick: system $(STAMP)
	bash scripts/run-tests.sh -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check landuse landuse_api landuse_demo tests bench data/geo
	$(VENV)/bin/mypy

sample: $(STAMP)
	$(PY) data/geo/make_sample_park.py

clean:
	rm -rf $(VENV) out test-artifacts node_modules
