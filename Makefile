# Thin wrapper over CMake so a newcomer needs two commands: make run, make test.
# build/      release build (build/servio)
# build-test/ AddressSanitizer + UndefinedBehaviorSanitizer build, with clang
#             so the libFuzzer harnesses build too

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DATA_DIR ?= var

.PHONY: all deps build run test test-deps fuzz bench clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

run: build
	@if [ ! -f "$(DATA_DIR)/servio.db" ]; then build/servio init --data-dir "$(DATA_DIR)"; fi
	build/servio serve --data-dir "$(DATA_DIR)"

test-deps:
	@scripts/deps.sh test

test: test-deps
	@CC=clang cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DSERVIO_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS)
	@cd build-test && ctest --output-on-failure -j $(JOBS)

fuzz: test-deps
	@CC=clang cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DSERVIO_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS)
	@for f in build-test/fuzz_*; do echo "== $$f"; $$f -max_total_time=60 tests/fuzz/corpus/$$(basename $$f | sed 's/^fuzz_//') || exit 1; done

bench: build
	@scripts/deps.sh bench
	bench/run.sh

clean:
	rm -rf build build-test
