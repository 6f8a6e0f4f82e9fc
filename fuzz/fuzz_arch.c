/*
 * fuzz/fuzz_arch.c - libFuzzer harness: the architecture-string parsers of
 * core/arch.c for every kind of space.
 *
 * The input is a list of architecture strings, one per line (a table's arch
 * column).  space_infer() reads the list as a table would; when it accepts,
 * every string must parse in the inferred space and format back to an equal
 * architecture, and the keys, neighbours, restriction and encodings of the
 * space are exercised.  Every string is also parsed in fixed spaces of each
 * kind (NB201's 4-node cell, a 2-node cell, an 8-layer chain, a set, the
 * NAS-Bench-101 graphs, the DARTS / NAS-Bench-301 cells and a 30-layer
 * chain of 9^30 architectures) and, when it parses, formatted back.  The
 * last two are wide (interned keys, core/arch.h): they are made afresh for
 * each input, so that their intern tables do not grow over the whole run
 * and every input starts from the same state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arch.h"
#include "core/status.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

#define N_FIXED 5
#define N_FRESH 2
static struct space *fixed[N_FIXED];

static void init_spaces(void)
{
    static const char *const ops2[] = {"conv", "zero"};
    static const int chain[8] = {3, 3, 3, 3, 10, 1, 2, 5};
    static const char *const items[] = {"a", "b", "recipe-17", "|not-a-cell"};
    if (space_cell_new(&fixed[0], 4, arch_nb201_ops, 5) || space_cell_new(&fixed[1], 2, ops2, 2) ||
        space_chain_new(&fixed[2], 8, chain) || space_set_new(&fixed[3], items, 4) || space_graph_new(&fixed[4]))
        fuzz_fail("fixed spaces", __FILE__, __LINE__);
}

static void fresh_spaces(struct space **fresh)
{
    int chain30[30];
    for (int i = 0; i < 30; i++) chain30[i] = 9;
    if (space_darts_new(&fresh[0]) || space_chain_new(&fresh[1], 30, chain30))
        fuzz_fail("fresh spaces", __FILE__, __LINE__);
}

/* a parsed architecture of s: format, parse back, keys, neighbours, encodings */
static void check_arch(const struct space *s, const struct arch *a)
{
    char buf[ARCH_STR_MAX], canon[ARCH_STR_MAX];
    FUZZ_CHECK(a->n == s->n_dims);
    for (int i = 0; i < a->n; i++) FUZZ_CHECK(a->d[i] < s->n_choices[i]);
    if (arch_format(s, a, buf, sizeof buf) == NASW_OK) {
        struct arch b;
        FUZZ_CHECK(arch_parse(s, buf, &b) == NASW_OK);
        FUZZ_CHECK(arch_equal(a, &b));
    }
    (void)arch_canonical(s, a, canon, sizeof canon);
    struct arch k;
    arch_from_key(s, arch_key(s, a), &k);
    FUZZ_CHECK(arch_equal(a, &k));
    int max = space_max_neighbours(s);
    struct arch *nb = max > 0 ? malloc(sizeof *nb * (size_t)max) : NULL;
    FUZZ_CHECK(max == 0 || nb);
    int n = arch_neighbours(s, a, nb, max);
    for (int i = 0; i < n; i++) FUZZ_CHECK(space_contains(s, &nb[i]) && !arch_equal(&nb[i], a));
    free(nb);
    /* the encodings the surrogates use (bo refuses more than 4000 inputs) */
    int dims[2] = {space_onehot_dim(s), space_path_dim(s)};
    for (int e = 0; e < 2; e++) {
        if (dims[e] <= 0 || dims[e] > 4000) continue;
        double *x = malloc(sizeof *x * (size_t)dims[e]);
        FUZZ_CHECK(x);
        if (e == 0) arch_encode_onehot(s, a, x);
        else arch_encode_path(s, a, x);
        free(x);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixed[0]) init_spaces();
    char *text = fuzz_cstr(data, size);
    const char *lines[MAX_LINES];
    size_t n = 0;
    for (char *p = text; n < MAX_LINES;) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    struct arch a;
    struct space *fresh[N_FRESH];
    fresh_spaces(fresh);
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < N_FIXED; f++)
            if (arch_parse(fixed[f], lines[i], &a) == NASW_OK) check_arch(fixed[f], &a);
        for (int f = 0; f < N_FRESH; f++)
            if (arch_parse(fresh[f], lines[i], &a) == NASW_OK) {
                FUZZ_CHECK(space_contains(fresh[f], &a)); /* parsed: canonical */
                check_arch(fresh[f], &a);
            }
    }
    for (int f = 0; f < N_FRESH; f++) space_free(fresh[f]);
    struct space *s = NULL;
    size_t bad;
    if (space_infer(&s, lines, n, &bad) == NASW_OK) {
        uint64_t *keys = malloc(sizeof *keys * n);
        FUZZ_CHECK(keys);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(arch_parse(s, lines[i], &a) == NASW_OK);
            check_arch(s, &a);
            keys[i] = arch_key(s, &a);
        }
        /* restricted to the listed architectures: the members are exactly them */
        FUZZ_CHECK(space_restrict(s, keys, n) == NASW_OK);
        FUZZ_CHECK(space_count(s) >= 1 && space_count(s) <= n);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(arch_parse(s, lines[i], &a) == NASW_OK);
            FUZZ_CHECK(space_contains(s, &a));
            check_arch(s, &a);
        }
        struct space *c = NULL;
        FUZZ_CHECK(space_clone(&c, s) == NASW_OK && space_count(c) == space_count(s));
        space_free(c);
        free(keys);
    } else {
        FUZZ_CHECK(bad < n);
    }
    space_free(s);
    free(text);
    return 0;
}
