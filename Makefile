# Pixelwise: the two commands a new user runs are `make demo` and `make test`.
SWIFT ?= swift
# Tests run on a release build: the Swift reference loops and training tests are 10-50x slower in debug.
TEST_FLAGS ?= -c release -Xswiftc -enable-testing
BIN = .build/release/pixelwise

.PHONY: deps build test demo bench clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build -c release --product pixelwise

test: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

demo: build
	scripts/demo

bench: build
	$(BIN) bench --model tschopp-unet --input 572

clean:
	rm -rf .build
