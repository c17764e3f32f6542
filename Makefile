# meshroute build, test and benchmark entry points.
#
# `make test` is what CI runs (.ci/run): it installs what the build needs (rustup targets),
# checks formatting and lints, runs every test, builds the pure core for the three targets it
# must support, and checks that the core stays free of I/O-bound dependencies.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
WASM_TARGETS := wasm32-unknown-unknown wasm32-wasip1
# Crates that would tie the core to a runtime; the core must never depend on them.
FORBIDDEN_IN_CORE := wasm-bindgen js-sys web-sys proxy-wasm getrandom

.PHONY: all setup fmt fmt-check clippy test test-rust build-core-targets check-core-purity bench fuzz playground web help

all: test

help:
	@echo "make test        format check, clippy, all tests, core for native + wasm32 targets"
	@echo "make bench       criterion benchmarks: lint, index build, fast path, explain (10k SE + 1k DR + 1k VS)"
	@echo "make fuzz        run the parser fuzz target for FUZZ_SECONDS (default 300)"
	@echo "make playground  the browser playground (not built yet)"

# Idempotent: rustup only downloads targets that are missing.
setup:
	@installed="$$(rustup target list --installed)"; \
	for target in $(WASM_TARGETS); do \
	  grep -qx "$$target" <<<"$$installed" || rustup target add "$$target"; \
	done

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The log feeds the one-line total printed last by `make test`.
TEST_LOG := target/test-output.log
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

test: setup fmt-check clippy test-rust build-core-targets check-core-purity
	@awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
	  END { printf "%d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' $(TEST_LOG)

bench:
	$(CARGO) bench -p meshroute-core --locked

FUZZ_SECONDS ?= 300
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd crates/core/fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run lint -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048

playground web:
	@echo "not yet: the browser playground arrives with its own issue; 'meshroute lint' works today (see README)"
	@exit 1
