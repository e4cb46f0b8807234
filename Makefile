# Pixelwise: the two commands a new user runs are `make demo` and `make test`.
SWIFT ?= swift
# Tests run on a release build: the Swift reference loops and training tests are 10-50x slower in debug.
TEST_FLAGS ?= -c release -Xswiftc -enable-testing
BIN = .build/release/pixelwise

# Seconds per fuzz target: `make fuzz` (FUZZ_SECONDS=600 make fuzz for a long run); `make test`
# ends with a fixed run of each (FUZZ_TEST_RUNS inputs from seed 1: the same from run to run,
# so a finding there is one here too; scripts/fuzz).
FUZZ_SECONDS ?= 60
FUZZ_TEST_RUNS ?= 2000

.PHONY: deps build test demo bench report-check fuzz clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build -c release --product pixelwise

test: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	# The measured algorithm choice is timing-dependent: the suite runs the fixed rules (docs/performance.md).
	PIXELWISE_MEASURE_ALGORITHMS=0 $(SWIFT) test $(TEST_FLAGS) --skip-build
	FUZZ_RUNS=$(FUZZ_TEST_RUNS) FUZZ_SEED=1 scripts/fuzz

# Coverage-guided fuzzing of the file readers (libFuzzer; docs/reliability.md).
fuzz: deps
	scripts/fuzz $(FUZZ_SECONDS)

demo: build
	scripts/demo

bench: build
	$(BIN) bench --model tschopp-unet --input 572

# Renders a small training run's report.html in headless Chromium and saves report-check/report.png.
# Opt-in (needs a browser: scripts/install-browser); `make test` does not need one.
report-check: build
	@scripts/install-browser
	scripts/report-check

clean:
	rm -rf .build
