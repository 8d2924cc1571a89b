# KalamDB-Go. The two commands a new user needs are `make run` and
# `make test`; everything else is for developers.
SHELL := /bin/bash
# Go installs to /usr/local/go on a fresh machine, not always on PATH.
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export CGO_ENABLED := 1

# Every package of every module in the workspace.
PKGS := ./kalamdb-store/... ./kalamdb-sql/... ./kalamdb-core/... ./kalamdb-server/...
# Two cores on the reference machine: keep builds and tests from
# oversubscribing them.
GOTEST := go test -p 2 -count=1
BENCH_OUT ?= bench.txt

.PHONY: all deps build run test test-unit lint fmt bench fuzz soak ui screenshot clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@mkdir -p bin
	go build -o bin/ ./kalamdb-server/cmd/...

# Starts the server on 127.0.0.1:8080 with data in ./data (override with
# KALAMDB_SERVER_PORT, KALAMDB_DATA_DIR, ... or a server.toml; see README).
run: build
	./bin/kalamdb-server

# Every test of every module, with the race detector, plus lint.
test: build lint
	$(GOTEST) -race -timeout 20m $(PKGS)

lint: deps
	@out=$$(gofmt -l kalamdb-store kalamdb-sql kalamdb-core kalamdb-server); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet $(PKGS)
	@scripts/check-layers.sh

fmt:
	gofmt -w kalamdb-store kalamdb-sql kalamdb-core kalamdb-server

# Rebuilds the admin console (kalamdb-server/ui/dist, committed and
# embedded in the server, so nothing else needs Node.js) from its sources.
# Needs Node.js 20+ and npm.
ui:
	cd kalamdb-server/ui && npm ci --no-audit --no-fund && npm run build

# Takes the console screenshot README shows (docs/img/console.png), in the
# browser test.
screenshot: build
	KALAMDB_UPDATE_SCREENSHOT=1 go test -count=1 -run '^TestConsoleInBrowser$$' ./kalamdb-server/e2e/

# Micro-benchmarks of every module (no race detector); results in
# $(BENCH_OUT), comparable with benchstat.
bench: build
	go test -p 1 -count=1 -run '^$$' -bench . -benchmem -timeout 60m $(PKGS) | tee $(BENCH_OUT)

# A longer fuzz run of the SQL dialect parser; the corpus is kept in
# kalamdb-sql/dialect/testdata/fuzz.
fuzz: deps
	cd kalamdb-sql && go test ./dialect -run '^$$' -fuzz FuzzParse -fuzztime 10m -parallel 1

# The soak run: the real server under writes from several users, flushes,
# compactions and live subscribers, killed with SIGKILL and restarted over
# and over, checking every acknowledged write and every live view; the
# crash tests of every kill point with many more kills (TestKill9CrashPoints); then the
# secondary index property test with many more operations (any seed
# reproduces a failure: make soak INDEX_SEED=n); then, under the race
# detector, the race of a fast-path read falling back to the planner while
# an index is built, and its planner-only control, over many more builds
# than make test's (FALLBACK_BUILDS; 25 and 10 in make test); then the
# random cold-file property tests over many more rounds of writes, flushes
# and compactions (TWIN_ROUNDS for TestAttackcold21TwinTables, 6 in make
# test, and TestAttackCold22TwinTables, 5; COLDPRUNE_ROUNDS for
# TestColdPruneNeverChangesAnswers, TestColdPruneNotNeverChangesAnswers and
# TestColdPruneTimesNeverChangeAnswers, 4); then the tests of the longest
# statements at the 1 MiB statement limit (LONG_STATEMENT_BYTES; 64 KB in
# make test, already past the limits they test).
SOAK ?= 10m
INDEX_OPS ?= 20000
INDEX_SEED ?= 1
FALLBACK_BUILDS ?= 400
TWIN_ROUNDS ?= 30
COLDPRUNE_ROUNDS ?= 24
LONG_STATEMENT_BYTES ?= 1048576
soak: build
	KALAMDB_SOAK=$(SOAK) go test -count=1 -run '^TestSoak$$' -timeout 0 -v ./kalamdb-server/e2e/
	KALAMDB_SOAK=$(SOAK) go test -count=1 -run '^TestKill9CrashPoints$$' -timeout 0 -v ./kalamdb-server/e2e/
	KALAMDB_INDEX_OPS=$(INDEX_OPS) KALAMDB_INDEX_SEED=$(INDEX_SEED) go test -count=1 -run '^TestIndexProperty$$' -timeout 0 -v ./kalamdb-core/executor/
	KALAMDB_FALLBACK_BUILDS=$(FALLBACK_BUILDS) go test -race -count=1 -run '^(TestAttackFastPathFallbackPlansWithIndexNewerThanSnapshot|TestAttackPlannerOnlyIgnoresIndexNewerThanSnapshot)$$' -timeout 0 -v ./kalamdb-core/executor/
	KALAMDB_TWIN_ROUNDS=$(TWIN_ROUNDS) KALAMDB_COLDPRUNE_ROUNDS=$(COLDPRUNE_ROUNDS) go test -count=1 -run '^(TestAttackcold21TwinTables|TestAttackCold22TwinTables|TestColdPruneNeverChangesAnswers|TestColdPruneNotNeverChangesAnswers|TestColdPruneTimesNeverChangeAnswers)$$' -timeout 0 -v ./kalamdb-core/executor/
	KALAMDB_LONG_STATEMENT_BYTES=$(LONG_STATEMENT_BYTES) go test -count=1 -run '^(TestColdPruneLongestInList|TestAttackCold22Params)$$' -timeout 0 -v ./kalamdb-core/executor/

clean:
	rm -rf bin $(BENCH_OUT)
