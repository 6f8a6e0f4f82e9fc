/*
 * fuzz/fuzz_runlog.c - libFuzzer harness: reading run logs back, as
 * `nasw confirm IN` does (cli/confirm.c): a run log of `nasw search --out`
 * (JSONL, query records) or a comparison directory's best.csv.
 *
 * Byte 0 of the input chooses: even, the rest is a run log file; odd, the
 * rest is DIR/best.csv.  Errors are printed by the CLI code (run with
 * -close_fd_mask=3 to keep libFuzzer's output readable).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return -1;
    int n = -1;
    if (data[0] & 1) {
        const char *best = fuzz_file("best.csv", data + 1, size - 1);
        char dir[512];
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(best, '/') - best), best);
        (void)confirm_read_input(dir, NULL, &n);
    } else {
        (void)confirm_read_input(fuzz_file("run.jsonl", data + 1, size - 1), NULL, &n);
    }
    FUZZ_CHECK(n >= 0);
    return 0;
}
