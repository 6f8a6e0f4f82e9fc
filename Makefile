# nasw - a NAS workbench in C.  GNU make.
#
#   make            build ./nasw
#   make deps       install missing Debian packages (as root) or print the command
#   make test       check deps, build, run the unit and CLI tests
#   make check-asan the same tests under AddressSanitizer + UBSan
#   make test-kernels  the unit tests on forced OpenBLAS Haswell kernels, 1 and 2 threads
#   make demo       the main job: compare every strategy on NAS-Bench-201
#   make bench      benchmarks (bench/), figures for the README and notes
#   make check-deps enforce the module dependency rule of GUIDE.md
#   make fuzz       libFuzzer harnesses (clang), FUZZ_TIME seconds each (docs/fuzzing.md)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wpedantic
ifeq ($(WERROR),1)
WARN    += -Werror
endif
BUILD   ?= build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null || echo -lmpi)
CPPFLAGS += -I. -D_POSIX_C_SOURCE=200809L -DNASW_VERSION='"$(VERSION)"' $(MPI_CFLAGS)
LDLIBS  := -lgsl -llapacke -lopenblas -lcsv -ljansson -lz $(MPI_LIBS) -fopenmp -lpthread -lm
NASW_DATA ?= ../shared/data

MODULES := core tables search surrogate stats plots train
LIB_SRC := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
CLI_SRC := nasw.c $(wildcard cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BIN     := $(if $(filter build,$(BUILD)),nasw,$(BUILD)/nasw)

.PHONY: all deps test check check-asan demo bench clean check-deps unit cli-test test-kernels
all: $(BIN)

$(BIN): $(CLI_OBJ) $(BUILD)/libnasw.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libnasw.a $(LDLIBS)

$(BUILD)/libnasw.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

# The trainer's kernels are vectorised at -O3 (never -ffast-math: NaN checks
# and reproducibility depend on IEEE semantics).
KERNEL_OPT ?= -O3
$(BUILD)/train/layers.o: CFLAGS += $(KERNEL_OPT) -fopenmp

$(BUILD)/tests/%: tests/%.c $(BUILD)/libnasw.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libnasw.a -lcmocka $(LDLIBS)

deps:
	@scripts/deps.sh

unit: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; OPENBLAS_NUM_THREADS=1 NASW_DATA=$(NASW_DATA) $$t || fail=1; done; \
	  test $$fail -eq 0 || { echo "unit tests FAILED"; exit 1; }

# Manual robustness check (not run by CI, which never sets these variables):
# the unit tests on the OpenBLAS kernels some machines force
# (OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512), with 1 and 2 threads.
test-kernels: $(TEST_BIN)
	@fail=0; for th in 1 2; do for t in $(TEST_BIN); do \
	  echo "== $$t (Haswell kernels, $$th threads)"; \
	  OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$$th \
	  NASW_DATA=$(NASW_DATA) $$t >/dev/null 2>&1 || { echo "FAILED: $$t"; fail=1; }; done; done; \
	  test $$fail -eq 0 || { echo "unit tests FAILED on the forced kernels"; exit 1; }
	@echo "unit tests pass on the Haswell kernels with 1 and 2 threads"

cli-test: $(BIN)
	@NASW=./$(BIN) NASW_DATA=$(NASW_DATA) tests/cli.sh
	@NASW=./$(BIN) NASW_DATA=$(NASW_DATA) tests/bad/run.sh

test: deps
	@$(MAKE) --no-print-directory all
	@scripts/check-deps.sh
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory cli-test
	@echo "all tests passed"
check: test

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" unit cli-test
	@echo "all tests passed under ASan+UBSan"

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@scripts/deps.sh --bench || echo "bench: peers that cannot be imported are skipped"
	@$(MAKE) --no-print-directory all
	@bench/run.sh

check-deps:
	@scripts/check-deps.sh

# libFuzzer harnesses (fuzz/): the only target that needs clang; gcc stays
# the default compiler.  A separate build tree, the whole library and CLI
# instrumented; fuzz/run.sh fails on any crash, leak or sanitizer report.
.PHONY: fuzz fuzz-build
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BIN  := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_LINK := $(BUILD)/fuzz/common.o $(filter-out $(BUILD)/nasw.o,$(CLI_OBJ)) $(BUILD)/libnasw.a

fuzz:
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
	  CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" LDFLAGS="$(FUZZ_SAN)" fuzz-build
	@fuzz/run.sh build-fuzz $(FUZZ_TIME)

fuzz-build: $(FUZZ_BIN)

$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LINK)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LINK) $(LDLIBS)

clean:
	rm -rf build build-asan build-fuzz nasw

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/fuzz/common.d
