# Thin wrapper over CMake so a newcomer needs two commands: make run, make test.
# build/      release build (build/servio)
# build-test/ AddressSanitizer + UndefinedBehaviorSanitizer build, with clang
#             so the libFuzzer harnesses build too

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DATA_DIR ?= var
DEMO_DIR ?= var-demo

.PHONY: all deps build run demo test test-deps fuzz bench clean web generate

all: build

deps:
	@scripts/deps.sh build

# Only what serving needs: the program and the UI (make test builds the rest).
build: deps web
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS) --target servio

# The first run creates DATA_DIR and its admin; servio serve then frames
# the address it listens on and (while DATA_DIR/first-admin.txt exists)
# the admin's sign-in under the log's first lines.
run: build
	@if [ ! -f "$(DATA_DIR)/servio.db" ]; then build/servio init --data-dir "$(DATA_DIR)"; fi
	build/servio serve --data-dir "$(DATA_DIR)"

# The demo firm in its own data directory (DEMO_DIR), served: every login,
# the admin's included, has one password, printed with the logins and kept
# in DEMO_DIR/demo-logins.txt (mode 0600) for the next make demo.
demo: build
	@if [ ! -f "$(DEMO_DIR)/servio.db" ]; then \
		pw="$$(head -c 18 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9' | head -c 16)-Demo"; \
		SERVIO_ADMIN_EMAIL=admin@northwind.example SERVIO_ADMIN_PASSWORD="$$pw" \
			build/servio init --data-dir "$(DEMO_DIR)" --log-level warn >/dev/null && \
		(umask 077; build/servio demo --data-dir "$(DEMO_DIR)" --log-level warn \
			--password "$$pw" > "$(DEMO_DIR)/demo-logins.txt") || exit 1; \
	fi
	@cat "$(DEMO_DIR)/demo-logins.txt"
	build/servio serve --data-dir "$(DEMO_DIR)"

test-deps:
	@scripts/deps.sh test

test: test-deps web
	@CC=clang cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DSERVIO_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS)
	@cd build-test && ctest --output-on-failure -j $(JOBS)

# Every libFuzzer harness (tests/fuzz/fuzz_*.c) for FUZZ_SECONDS each, one
# after the other; scripts/fuzz.sh prints executions and findings per harness.
FUZZ_SECONDS ?= 60

fuzz: test-deps
	@CC=clang cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DSERVIO_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS) --target $$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$$//')
	@scripts/fuzz.sh build-test $(FUZZ_SECONDS)

# What is generated from the route and resource tables (servio schema): the
# generated blocks of docs/openapi.yaml and web/src/lib/*.gen.ts. The test
# lint.generated fails while they differ from what the tables make.
generate: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS) --target servio
	@scripts/generate.py build/servio

# The benchmark firm under load (bench/run.sh), then the other issues' loads:
# webhook fan-out and mail in (a real Dovecot), each a Markdown table.
# Debian's python3, which has the packages deps.sh installs (python3-aiosmtpd).
BENCH_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

bench: build
	@scripts/deps.sh bench
	bench/run.sh
	$(BENCH_PYTHON) bench/webhooks.py
	$(BENCH_PYTHON) bench/mail_in.py

# The browser UI (web/): npm ci only when the lock file is newer than
# node_modules, vite build only when a source is newer than web/dist.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/package.json web/tsconfig.json web/vite.config.ts

web: web/dist/index.html

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	@command -v npm >/dev/null 2>&1 || { echo "make: the web UI needs Node.js 20.19 or newer with npm" >&2; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error("make: the web UI needs Node.js 20.19 or newer, this is " + process.version); process.exit(1); }'
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build
	@touch $@

clean:
	rm -rf build build-test web/dist
