/*
 * fuzz/fuzz.h - what the libFuzzer harnesses (fuzz/fuzz_*.c) share.
 *
 * Not part of libnasw and not built by `make`: `make fuzz` compiles it with
 * clang -fsanitize=fuzzer,address,undefined (docs/fuzzing.md).  Harnesses
 * call the library directly; loaders that only take a path get the input as
 * a file in a private scratch directory (tmpfs when /dev/shm is writable),
 * removed at exit.  A broken property (a loaded table whose rows cannot be
 * found again, a formatted architecture that does not parse back) aborts
 * through FUZZ_CHECK, which libFuzzer reports as a crash with its input.
 */
#ifndef NASW_FUZZ_FUZZ_H
#define NASW_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct table;

/* Abort (a crash to libFuzzer) with the failed condition when cond is false. */
#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) fuzz_fail(#cond, __FILE__, __LINE__);                    \
    } while (0)
_Noreturn void fuzz_fail(const char *cond, const char *file, int line);

/* Write data to NAME in the scratch directory (replacing it); returns the
 * path (valid until exit).  Aborts if the scratch directory cannot be used:
 * that is the environment, not the input. */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* data as a NUL-terminated string (malloc'd; embedded NULs end it early). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* 1 if the first non-blank byte is '[' or '{' (the table loader reads JSON). */
int fuzz_is_json(const uint8_t *data, size_t size);

/* Write data to NAME in the scratch directory, load it as a table (no
 * sidecar) and, if it loads, check it (fuzz_check_table). */
void fuzz_load_table(const char *name, const uint8_t *data, size_t size);

/* Read everything a loaded table offers, checking the invariants of
 * tables/table.h: every row is found again by its key, architectures format
 * and parse back, curves and the per-dataset benches answer for every row. */
void fuzz_check_table(struct table *t);

#endif
