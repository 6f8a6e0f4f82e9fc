/*
 * fuzz/fuzz_plot.c - libFuzzer harness: `nasw plot DIR` (cli/plot.c) on a
 * fuzzed comparison directory: DIR/datasets.csv and DIR/trajectories.csv
 * are read, averaged over seeds and written as .dat/.gp files.
 *
 * Input: byte 0 picks the flags (bit 0 --regret, bit 1 --metric search,
 * bit 2 --size W,W with W = 1 + bits 3-6: figures too small for their
 * panels among them);
 * the rest is datasets.csv, a NUL byte, then trajectories.csv (no NUL:
 * both files get the whole rest).  PATH is emptied so that gnuplot is never
 * run: the harness stays in-process and fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/plot.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        setenv("PATH", "/nonexistent", 1);
        init = 1;
    }
    if (size == 0) return -1;
    int flags = data[0];
    data++;
    size--;
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    const uint8_t *traj = nul ? nul + 1 : data;
    size_t n2 = nul ? size - n1 - 1 : size;
    const char *ds = fuzz_file("datasets.csv", data, n1);
    fuzz_file("trajectories.csv", traj, n2);
    char dir[512];
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(ds, '/') - ds), ds);
    double w = flags & 4 ? 1.0 + ((flags >> 3) & 15) : 0;
    (void)plot_compare_dir(dir, flags & 1, (flags >> 1) & 1, w, w);
    return 0;
}
