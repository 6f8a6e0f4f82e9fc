# nasw - a NAS workbench in C.  GNU make.
#
#   make            build ./nasw
#   make deps       install missing Debian packages (as root) or print the command
#   make test       check deps, build, run the unit and CLI tests
#   make check-asan the same tests under AddressSanitizer + UBSan
#   make test-kernels  the unit tests on forced OpenBLAS Haswell kernels, 1 and 2 threads
#   make demo       the main job: compare every strategy on NAS-Bench-201
#   make bench      benchmarks (bench/README.md)
#   make check-deps enforce the module dependency rule (docs/design.md)
#   make install    install binary, man pages, completion, data (PREFIX, DESTDIR)
#   make uninstall  remove them again
#   make docs       regenerate the man pages (help2man) and docs/commands.md
#   make fuzz       libFuzzer harnesses (clang), FUZZ_TIME seconds each (docs/fuzzing.md)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wpedantic
ifeq ($(WERROR),1)
WARN    += -Werror
endif
BUILD   ?= build
# The version lives in VERSION; the commit (and -dirty) is appended when
# building from a git checkout: "0.9.0 (git abc1234)".  Run logs record it.
SEMVER  := $(shell cat VERSION)
GIT_REV := $(shell git describe --always --dirty --abbrev=7 --match 'no-tag^' 2>/dev/null)
VERSION := $(SEMVER)$(if $(GIT_REV), (git $(GIT_REV)))
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null || echo -lmpi)
CPPFLAGS += -I. -D_POSIX_C_SOURCE=200809L -DNASW_VERSION='"$(VERSION)"' $(MPI_CFLAGS)
LDLIBS  := -lgsl -llapacke -lopenblas -lcsv -ljansson -lxgboost -lz $(MPI_LIBS) -fopenmp -lpthread -lm
NASW_DATA ?= ../shared/data

MODULES := core tables search surrogate stats plots train api
LIB_SRC := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
CLI_SRC := nasw.c $(wildcard cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BIN     := $(if $(filter build,$(BUILD)),nasw,$(BUILD)/nasw)

.PHONY: all deps test check check-asan demo bench clean check-deps unit cli-test test-kernels FORCE \
	man docs install uninstall install-test lib python-test
all: $(BIN)

$(BIN): $(CLI_OBJ) $(BUILD)/libnasw.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libnasw.a $(LDLIBS)

$(BUILD)/libnasw.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# runlog.c holds the version string: rebuilt when the string changes (the
# stamp is rewritten only then, so an unchanged version rebuilds nothing).
$(BUILD)/version.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/core/runlog.o: $(BUILD)/version.txt
FORCE:

# The shared library of the public API (api/nasw.h), for C programs and the
# Python module (python/nasw).  Library objects are position-independent.
$(BUILD)/libnasw.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)
lib: $(BUILD)/libnasw.so

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -MMD -MP -c -o $@ $<

# The trainer's kernels are vectorised at -O3 (never -ffast-math: NaN checks
# and reproducibility depend on IEEE semantics).
KERNEL_OPT ?= -O3
$(BUILD)/train/layers.o: CFLAGS += $(KERNEL_OPT) -fopenmp
# `nasw score` scores architectures in parallel (OpenMP threads).
$(BUILD)/cli/score.o: CFLAGS += -fopenmp
# `nasw predict` and `nasw lcurve eval` fit in parallel (--jobs, OpenMP threads).
$(BUILD)/cli/predict.o $(BUILD)/cli/lcurve.o: CFLAGS += -fopenmp

$(BUILD)/tests/%: tests/%.c $(BUILD)/libnasw.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libnasw.a -lcmocka $(LDLIBS)

# test_ospred runs `nasw predict` in-process: it links the CLI (not main).
$(BUILD)/tests/test_ospred: tests/test_ospred.c $(filter-out $(BUILD)/nasw.o,$(CLI_OBJ)) $(BUILD)/libnasw.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(BUILD)/libnasw.a,$^) $(BUILD)/libnasw.a -lcmocka $(LDLIBS)

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
	@NASW=./$(BIN) NASW_DATA=$(NASW_DATA) tests/cli_import.sh
	@NASW=./$(BIN) NASW_DATA=$(NASW_DATA) tests/bad/run.sh
	@NASW=./$(BIN) tests/inherit.sh
	@NASW=./$(BIN) tests/runs.sh
	@NASW=./$(BIN) NASW_DATA=$(NASW_DATA) tests/bomodel.sh
	@NASW=./$(BIN) tests/docs.sh
	@NASW=./$(BIN) tests/figs.sh
	@NASW=./$(BIN) tests/examples.sh

# The Python module's tests (python/nasw over build/libnasw.so), when a
# Python 3 is present.
python-test: $(BUILD)/libnasw.so $(BIN)
	@if command -v python3 >/dev/null 2>&1; then \
	  NASW_LIB=$(BUILD)/libnasw.so NASW=./$(BIN) python3 tests/test_python.py; \
	else echo "python-test: no python3, skipped"; fi

test: deps
	@$(MAKE) --no-print-directory all
	@scripts/check-deps.sh
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory cli-test
	@$(MAKE) --no-print-directory install-test
	@$(MAKE) --no-print-directory python-test
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

# Man pages (committed under man/) from the -h texts, and docs/commands.md.
man: all
	@scripts/deps.sh --man
	@scripts/man.sh ./$(BIN) man
docs: man
	@scripts/commands-md.sh ./$(BIN) > docs/commands.md.tmp && mv docs/commands.md.tmp docs/commands.md

# make install / uninstall, honouring PREFIX and DESTDIR.  uninstall removes
# exactly what install put there (and the directories nasw owns).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR ?= $(PREFIX)/share/nasw
MAN_PAGES := $(wildcard man/*.1)
DATA_FILES := $(wildcard data/*.csv data/*.json data/README.md)
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
PYDIR   ?= $(DATADIR)/python/nasw
install: $(BIN) $(BUILD)/libnasw.so
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(COMPDIR) $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(PYDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/nasw
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/
	install -m 644 completions/nasw.bash $(DESTDIR)$(COMPDIR)/nasw
	install -m 644 $(DATA_FILES) $(DESTDIR)$(DATADIR)/
	install -m 755 $(BUILD)/libnasw.so $(DESTDIR)$(LIBDIR)/libnasw.so
	install -m 644 api/nasw.h $(DESTDIR)$(INCDIR)/nasw.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell cat VERSION)|' nasw.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/nasw.pc
	install -m 644 python/nasw/__init__.py $(DESTDIR)$(PYDIR)/__init__.py
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nasw $(DESTDIR)$(COMPDIR)/nasw
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(notdir $(MAN_PAGES)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(DATA_FILES)))
	rm -f $(DESTDIR)$(LIBDIR)/libnasw.so $(DESTDIR)$(LIBDIR)/pkgconfig/nasw.pc $(DESTDIR)$(INCDIR)/nasw.h
	rm -f $(DESTDIR)$(PYDIR)/__init__.py
	-rmdir $(DESTDIR)$(PYDIR) $(DESTDIR)$(DATADIR)/python $(DESTDIR)$(DATADIR) 2>/dev/null
install-test: $(BIN)
	@MAKE="$(MAKE)" tests/install.sh

# libFuzzer harnesses (fuzz/): the only target that needs clang; gcc stays
# the default compiler.  A separate build tree, the whole library and CLI
# instrumented; fuzz/run.sh fails on any crash, leak or sanitizer report.
.PHONY: fuzz fuzz-build
FUZZ_TIME ?= 60
FUZZ_RUNS ?=
FUZZ_SEED ?=
FUZZ_CC   ?= clang
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BIN  := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_LINK := $(BUILD)/fuzz/common.o $(filter-out $(BUILD)/nasw.o,$(CLI_OBJ)) $(BUILD)/libnasw.a

fuzz:
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
	  CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" LDFLAGS="$(FUZZ_SAN)" fuzz-build
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SEED=$(FUZZ_SEED) fuzz/run.sh build-fuzz $(FUZZ_TIME)

fuzz-build: $(FUZZ_BIN)

$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_LINK)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LINK) $(LDLIBS)

clean:
	rm -rf build build-asan build-fuzz nasw

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/fuzz/common.d
