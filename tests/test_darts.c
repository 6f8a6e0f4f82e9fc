/*
 * tests/test_darts.c - the DARTS / NAS-Bench-301 cell space (core/darts.c):
 * both string formats and their agreement, the canonical edge order, one
 * error per kind of bad genotype (exact message), sampling (canonical and
 * covering every input pair), neighbours and mutation, the encodings, and a
 * DARTS table (tests/fixtures/tables/darts.csv, made by `tables import` from
 * tests/fixtures/import/naslib_nb301.json) searched by several strategies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/darts.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "tables/table.h"

/* DARTS' published DARTS_V2 cell (genotypes.py), in both forms: the
 * compact one lists (input, op code) with NASLib's codes and some nodes'
 * edges in the other order. */
static const char *V2 = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
                        "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
                        "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
                        "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
                        "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
static const char *V2_COMPACT = "[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], "
                                "[(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]";

static struct space *darts_space(void)
{
    struct space *s;
    assert_int_equal(space_darts_new(&s), NASW_OK);
    assert_int_equal(s->kind, SPACE_DARTS);
    assert_int_equal(s->n_dims, 32);
    assert_true(s->wide); /* (14 * 7)^... : about 6.9e21 decision vectors */
    return s;
}

static void test_strings(void **state)
{
    (void)state;
    struct space *s = darts_space();
    struct arch a, b, c;
    char buf[ARCH_STR_MAX], canon[ARCH_STR_MAX];
    assert_int_equal(arch_parse(s, V2_COMPACT, &a), NASW_OK);
    assert_int_equal(arch_parse(s, V2, &b), NASW_OK);
    assert_true(arch_equal(&a, &b));
    /* canonical: each node's smaller input first */
    assert_int_equal(arch_format(s, &a, buf, sizeof buf), NASW_OK);
    assert_int_equal(arch_parse(s, buf, &c), NASW_OK);
    assert_true(arch_equal(&a, &c));
    assert_non_null(strstr(buf, "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 1), "
                                "('skip_connect', 2), ('max_pool_3x3', 0), ('skip_connect', 2)"));
    assert_int_equal(arch_canonical(s, &a, canon, sizeof canon), NASW_OK);
    assert_string_equal(canon, buf);
    /* lists for tuples, range() for the concat, no spaces: the same cell */
    const char *same[] = {
        "[[[0,3],[1,3],[1,3],[0,3],[1,3],[0,2],[0,2],[2,5]],[[0,0],[1,0],[2,2],[1,0],[0,0],[2,2],[2,2],[1,0]]]",
        "(((0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)), ((0, 0), (1, 0), (2, 2), (1, 0), (0, 0), "
        "(2, 2), (2, 2), (1, 0)))",
    };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(arch_parse(s, same[i], &c), NASW_OK);
        assert_true(arch_equal(&a, &c));
    }
    char *r = malloc(strlen(V2) + 16);
    strcpy(r, V2);
    char *p = strstr(r, "normal_concat=[2, 3, 4, 5]");
    memcpy(p + 14, "range(2, 6)", 11);
    memmove(p + 25, p + 26, strlen(p + 26) + 1);
    assert_int_equal(arch_parse(s, r, &c), NASW_OK);
    assert_true(arch_equal(&a, &c));
    free(r);
    /* the edge order within a node does not change the key */
    assert_int_equal(arch_key(s, &a), arch_key(s, &b));
    const char *infer[] = {V2_COMPACT, V2};
    struct space *t;
    size_t bad;
    assert_int_equal(space_infer(&t, infer, 2, &bad), NASW_OK);
    assert_int_equal(t->kind, SPACE_DARTS);
    space_free(t);
    const char *mixed[] = {V2, "01201201"};
    assert_int_equal(space_infer(&t, mixed, 2, &bad), NASW_EPARSE);
    assert_int_equal((int)bad, 1);
    space_free(s);
}

static void expect_error(const struct space *s, const char *str, const char *msg)
{
    struct arch a;
    nasw_errclear();
    assert_int_equal(arch_parse(s, str, &a), NASW_EPARSE);
    if (strcmp(nasw_errmsg(), msg)) fail_msg("'%s':\n  got      '%s'\n  expected '%s'", str, nasw_errmsg(), msg);
}

static void test_errors(void **state)
{
    (void)state;
    struct space *s = darts_space();
    expect_error(s, "[[(0, 3), (2, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]",
                 "DARTS genotype '[[(0, 3), (2, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)': normal cell node 0 takes input 2 (inputs 0..1)");
    expect_error(s, "[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (5, 2), (1, 0)]]",
                 "DARTS genotype '[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)': reduce cell node 3 takes input 5 (inputs 0..4)");
    expect_error(s, "[[(0, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]",
                 "DARTS genotype '[[(0, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)': normal cell node 0 takes input 0 twice");
    expect_error(s, "[[(0, 7), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]",
                 "DARTS genotype '[[(0, 7), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)': normal cell op code 7 (codes 0..6)");
    expect_error(s, "[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]",
                 "DARTS genotype '[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2)], [(0, ': the normal cell has 7 edges, not 8");
    expect_error(s, "[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5), (3, 1)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]",
                 "DARTS genotype '[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)': the normal cell has more than 8 edges");
    expect_error(s, "[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)], [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]] x",
                 "malformed DARTS genotype '[[(0, 3), (1, 3), (1, 3), (0, 3), (1, 3), (0, 2), (0, 2), (2, 5)'");
    expect_error(s, "[[(0, 3), (1, 3)]]", "DARTS genotype '[[(0, 3), (1, 3)]]': the normal cell has 2 edges, not 8");
    expect_error(s, "[[(0, -3), (1, 3)]]", "malformed DARTS genotype '[[(0, -3), (1, 3)]]'");
    expect_error(s, "Genotype(normal=[('conv_7x1_1x7', 0)])",
                 "unknown op 'conv_7x1_1x7' in DARTS genotype 'Genotype(normal=[('conv_7x1_1x7', 0)])' (DARTS ops: max_pool_3x3, "
                 "avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)");
    char *r = malloc(strlen(V2) + 16);
    strcpy(r, V2);
    char *p = strstr(r, "reduce_concat=[2, 3, 4, 5]");
    memcpy(p + 15, "4, 5, 6, 7", 10);
    expect_error(s, r, "DARTS genotype 'Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep': "
                       "reduce_concat must be [2, 3, 4, 5] (every node)");
    free(r);
    space_free(s);
}

/* Sampling: canonical, and every unordered input pair of node 3 (10 of
 * them) and every op drawn; expected counts 200 and 571 in 2000 draws, so
 * a floor of 100 can only fail if a pair or an op is (nearly) never drawn. */
static void test_sample_mutate(void **state)
{
    (void)state;
    struct space *s = darts_space();
    struct rng *r = rng_new(17);
    int pair[5][5] = {{0}}, ops[DARTS_OPS] = {0};
    for (int i = 0; i < 2000; i++) {
        struct arch a, m;
        arch_sample(s, r, &a);
        assert_true(darts_is_canonical(&a));
        assert_true(space_contains(s, &a));
        pair[a.d[28]][a.d[30]]++;
        ops[a.d[29]]++;
        if (i >= 50) continue;
        /* neighbours: 120, canonical, distinct, one edge (op or input) changed */
        struct arch nb[DARTS_MAX_NEIGHBOURS + 1];
        int n = arch_neighbours(s, &a, nb, DARTS_MAX_NEIGHBOURS + 1);
        assert_int_equal(n, DARTS_MAX_NEIGHBOURS);
        assert_int_equal(space_max_neighbours(s), DARTS_MAX_NEIGHBOURS);
        struct hashmap seen = {0};
        for (int j = 0; j < n; j++) {
            assert_true(darts_is_canonical(&nb[j]));
            assert_int_equal(hashmap_put(&seen, arch_key(s, &nb[j]), 1), NASW_OK);
            /* as edge sets, exactly one (input, op) edge differs */
            int changed = 0;
            for (int node = 0; node < 8; node++) {
                const uint16_t *x = &a.d[4 * node], *y = &nb[j].d[4 * node];
                int same01 = x[0] == y[0] && x[1] == y[1], same23 = x[2] == y[2] && x[3] == y[3];
                int cross = (x[0] == y[2] && x[1] == y[3]) || (x[2] == y[0] && x[3] == y[1]);
                if (same01 && same23) continue;
                changed += (same01 || same23 || cross) ? 1 : 2;
            }
            assert_int_equal(changed, 1);
        }
        assert_int_equal(seen.n, (size_t)n);
        assert_false(hashmap_get(&seen, arch_key(s, &a), NULL));
        hashmap_release(&seen);
        assert_int_equal(arch_mutate(s, r, &a, &m), NASW_OK);
        assert_true(darts_is_canonical(&m));
        assert_false(arch_equal(&a, &m));
    }
    for (int x = 0; x < 5; x++)
        for (int y = x + 1; y < 5; y++)
            if (pair[x][y] < 100) fail_msg("node 3 inputs (%d, %d) drawn %d times of 2000", x, y, pair[x][y]);
    for (int o = 0; o < DARTS_OPS; o++)
        if (ops[o] < 100) fail_msg("op %d drawn %d times of 2000", o, ops[o]);
    /* a non-canonical vector (inputs in the wrong order) is no member */
    struct arch a;
    assert_int_equal(arch_parse(s, V2, &a), NASW_OK);
    uint16_t t = a.d[0];
    a.d[0] = a.d[2];
    a.d[2] = t;
    assert_false(space_contains(s, &a));
    rng_free(r);
    space_free(s);
}

static void test_encodings(void **state)
{
    (void)state;
    struct space *s = darts_space();
    struct arch a;
    assert_int_equal(arch_parse(s, V2, &a), NASW_OK);
    assert_int_equal(space_onehot_dim(s), 2 * (2 * (2 + 3 + 4 + 5) + 8 * 7)); /* inputs, then ops */
    assert_int_equal(space_path_dim(s), 196);
    double x[196];
    arch_encode_path(s, &a, x);
    int ones = 0;
    for (int i = 0; i < 196; i++) ones += x[i] == 1.0;
    assert_int_equal(ones, 16);
    /* normal node 3 (edges 9..13 of the cell) takes dil_conv_3x3 (5) from input 2 */
    assert_true(x[(9 + 2) * 7 + 5] == 1.0);
    /* reduce node 0 takes max_pool_3x3 (0) from input 1 */
    assert_true(x[(14 + 1) * 7 + 0] == 1.0);
    space_free(s);
}

/* A DARTS table: loads, its 30 genotypes are the bench's members, and
 * strategies (model-free and model-based) search it without leaving it. */
static void test_table_search(void **state)
{
    (void)state;
    struct table *t = NULL;
    if (table_load(&t, "tests/fixtures/tables/darts.csv", NULL)) fail_msg("%s", nasw_errmsg());
    assert_int_equal(table_space(t)->kind, SPACE_DARTS);
    struct bench *b;
    assert_int_equal(table_bench_new(&b, t, 0), NASW_OK);
    const struct space *s = bench_space(b);
    assert_int_equal(space_count(s), 30);
    struct arch a;
    /* the first row's genotype, written in the compact form with node 0's edges swapped */
    assert_int_equal(arch_parse(s, "[[(1, 4), (0, 3), (0, 4), (2, 5), (0, 4), (2, 1), (0, 3), (1, 6)], "
                                   "[(0, 5), (1, 5), (0, 6), (2, 2), (1, 4), (2, 1), (0, 0), (3, 6)]]",
                                &a),
                     NASW_OK);
    assert_int_equal(table_find(t, 0, arch_key(table_space(t), &a)), 0);
    for (const char *const *name = (const char *const[]){"random", "evolution", "local", "bo", "bo:encoding=path", "pnas", NULL}; *name; name++) {
        struct search_spec spec;
        struct search_trace tr;
        assert_int_equal(search_spec_parse(*name, &spec), NASW_OK);
        struct search_run_opts o = {.budget = 30, .seed = 4};
        if (search_run(b, &spec, &o, &tr)) fail_msg("%s: %s", *name, nasw_errmsg());
        struct hashmap seen = {0};
        for (long i = 0; i < tr.n; i++) {
            struct arch m;
            arch_from_key(s, tr.steps[i].key, &m);
            assert_true(space_contains(s, &m));
            assert_int_equal(hashmap_put(&seen, tr.steps[i].key, 1), NASW_OK);
        }
        if (tr.n != 30 || seen.n != 30) fail_msg("%s: %ld queries, %zu distinct", *name, tr.n, seen.n);
        hashmap_release(&seen);
        search_trace_release(&tr);
    }
    bench_free(b);
    table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sample_mutate),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_table_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
