# evalkit: two commands do all the set-up on a fresh machine.
#   make demo   create the environment, install, build the demo city, evaluate, write reports
#   make test   install the test extras, run the tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test install lint bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/evalkit demo --out data/demo --spec params/demo.yaml
	$(BIN)/evalkit validate params/demo.yaml
	$(BIN)/evalkit run params/demo.yaml --out results/demo
	$(BIN)/evalkit report results/demo --out reports/demo

test: $(STAMP) browser
	$(BIN)/ruff check evalkit tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# headless Chromium from Debian's packages for the browser test (root only; skipped otherwise)
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; } || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	   chromium chromium-driver fonts-wqy-microhei poppler-utils >/dev/null) || \
	  echo "chromium not installed: the browser test will be skipped"; }

lint: $(STAMP)
	$(BIN)/ruff check evalkit tests bench
	$(BIN)/lint-imports

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf results reports bench/out
