/*
 * tests/test_graph.c - the NAS-Bench-101 graph space (core/graph.c):
 * both string formats, pruning, the canonical form on known isomorphic and
 * non-isomorphic pairs, validity limits, neighbours and mutation, sampling,
 * the path encoding, and the table loader on a graph table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/graph.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "tables/table.h"

/* The NAS-Bench-101 README's Inception-like cell. */
static const char *INCEPTION = "0111010.0000001.0000001.0000100.0000001.0000001.0000000:"
                               "input,conv1x1-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output";

static struct space *graph_space(void)
{
    struct space *s;
    assert_int_equal(space_graph_new(&s), NASW_OK);
    assert_int_equal(s->kind, SPACE_GRAPH);
    assert_int_equal(s->n_dims, 26);
    return s;
}

static uint64_t key_of(const struct space *s, const char *str)
{
    struct arch a;
    int st = arch_parse(s, str, &a);
    if (st != NASW_OK) fail_msg("'%s' does not parse: %s", str, nasw_errmsg());
    return arch_key(s, &a);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct space *s = graph_space();
    struct arch a, b;
    char buf[ARCH_STR_MAX], buf2[ARCH_STR_MAX];
    assert_int_equal(arch_parse(s, INCEPTION, &a), NASW_OK);
    assert_true(graph_is_canonical(&a));
    assert_int_equal(arch_format(s, &a, buf, sizeof buf), NASW_OK);
    /* the canonical string parses back to the same architecture */
    assert_int_equal(arch_parse(s, buf, &b), NASW_OK);
    assert_true(arch_equal(&a, &b));
    arch_format(s, &b, buf2, sizeof buf2);
    assert_string_equal(buf, buf2);
    /* the same cell as NASLib's tuple (codes 0 input, 1 output, 2 maxpool,
     * 3 conv1x1, 4 conv3x3) */
    const char *tuple = "(0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, "
                        "0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 4, 4, 2, 1)";
    assert_int_equal(key_of(s, tuple), arch_key(s, &a));
    space_free(s);
}

/* Relabelling the inner vertices (keeping the matrix upper triangular)
 * gives the same key; changing one label or one edge does not. */
static void test_isomorphism(void **state)
{
    (void)state;
    struct space *s = graph_space();
    /* a diamond: in -> 1 (conv3) -> out, in -> 2 (conv1) -> out, 1 -> 2 absent */
    const char *d1 = "0110.0001.0001.0000:input,conv3x3-bn-relu,conv1x1-bn-relu,output";
    const char *d2 = "0110.0001.0001.0000:input,conv1x1-bn-relu,conv3x3-bn-relu,output";
    assert_int_equal(key_of(s, d1), key_of(s, d2));
    /* a chain of three with the middle ones swapped is a different network */
    const char *c1 = "01000.00100.00010.00001.00000:input,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,output";
    const char *c2 = "01000.00100.00010.00001.00000:input,conv1x1-bn-relu,conv3x3-bn-relu,maxpool3x3,output";
    assert_true(key_of(s, c1) != key_of(s, c2));
    /* two parallel branches of two, written in either order */
    const char *p1 = "011000.000100.000010.000001.000001.000000:input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,"
                     "conv1x1-bn-relu,output";
    const char *p2 = "011000.000010.000100.000001.000001.000000:input,maxpool3x3,conv3x3-bn-relu,conv1x1-bn-relu,"
                     "conv1x1-bn-relu,output";
    assert_int_equal(key_of(s, p1), key_of(s, p2));
    /* other branches, (conv3x3, maxpool) and (maxpool, conv1x1), are not */
    const char *p3 = "011000.000100.000010.000001.000001.000000:input,conv3x3-bn-relu,maxpool3x3,maxpool3x3,"
                     "conv1x1-bn-relu,output";
    assert_true(key_of(s, p1) != key_of(s, p3));
    /* pruning: vertex 2 has no way out and vertex 3 no way in, so the
     * 5-vertex spec is the 3-vertex chain in -> conv3x3 -> out */
    const char *dead = "01100.00001.00000.00001.00000:input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,output";
    const char *pruned = "010.001.000:input,conv3x3-bn-relu,output";
    assert_int_equal(key_of(s, dead), key_of(s, pruned));
    char buf[ARCH_STR_MAX];
    struct arch a;
    assert_int_equal(arch_parse(s, dead, &a), NASW_OK);
    arch_format(s, &a, buf, sizeof buf);
    assert_string_equal(buf, pruned);
    /* ... but an extra input -> output edge is another network */
    assert_true(key_of(s, "011.001.000:input,conv3x3-bn-relu,output") != key_of(s, pruned));
    space_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    struct space *s = graph_space();
    struct arch a;
    static const struct {
        const char *str, *msg;
    } bad[] = {
        {"010.000.000:input,conv3x3-bn-relu,output", "graph '010.000.000:input,conv3x3-bn-relu,output' has no path from input to output"},
        {"010.101.000:input,conv3x3-bn-relu,output",
         "graph '010.101.000:input,conv3x3-bn-relu,output': edge 1->0 goes downwards (the matrix must be upper triangular: no cycles)"},
        {"010.001.000:input,conv5x5,output", "graph '010.001.000:input,conv5x5,output': unknown label 'conv5x5'"},
        {"010.001.000:conv3x3-bn-relu,input,output",
         "graph '010.001.000:conv3x3-bn-relu,input,output': vertex 0 is 'conv3x3-bn-relu' (input first, output last)"},
        {"010.001.000:input,conv3x3-bn-relu", "graph '010.001.000:input,conv3x3-bn-relu': 2 labels for 3 vertices"},
        {"01.00.00:input,output", "graph '01.00.00:input,output': the matrix is not 2 rows of 2 digits"},
        {"01111111.00000000:input,output", "graph '01111111.00000000:input,output': 8 vertices (2..7)"},
        /* 10 edges after pruning */
        {"0111111.0011111.0000001.0000001.0000001.0000001.0000000:input,conv3x3-bn-relu,conv3x3-bn-relu,"
         "conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output",
         "graph '0111111.0011111.0000001.0000001.0000001.0000001.0000000:input,co' has 15 edges after pruning (at most 9)"},
        {"(0, 1, 2)", "graph '(0, 1, 2)': not 56 integers in parentheses"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(arch_parse(s, bad[i].str, &a), NASW_EPARSE);
        if (strcmp(nasw_errmsg(), bad[i].msg)) fail_msg("'%s': message '%s', wanted '%s'", bad[i].str, nasw_errmsg(), bad[i].msg);
    }
    space_free(s);
}

/* Neighbours: distinct, valid, canonical, one decision away before
 * canonicalisation; mutation picks among them; sampling gives valid
 * canonical graphs, deterministically for a seed. */
static void test_neighbours_sampling(void **state)
{
    (void)state;
    struct space *s = graph_space();
    struct rng *r1 = rng_new(7), *r2 = rng_new(7);
    struct arch a, b, list[64];
    for (int t = 0; t < 200; t++) {
        arch_sample(s, r1, &a);
        arch_sample(s, r2, &b);
        assert_true(arch_equal(&a, &b));
        assert_true(graph_is_canonical(&a));
        assert_true(space_contains(s, &a));
        int n = arch_neighbours(s, &a, list, 64);
        if (!(n > 0 && n <= space_max_neighbours(s))) {
            char buf[ARCH_STR_MAX];
            arch_format(s, &a, buf, sizeof buf);
            fail_msg("%s: %d neighbours", buf, n);
        }
        for (int i = 0; i < n; i++) {
            assert_true(graph_is_canonical(&list[i]));
            assert_false(arch_equal(&list[i], &a));
            for (int j = 0; j < i; j++) assert_false(arch_equal(&list[i], &list[j]));
        }
        struct arch m;
        assert_int_equal(arch_mutate(s, r1, &a, &m), NASW_OK);
        int found = 0;
        for (int i = 0; i < n; i++) found |= arch_equal(&m, &list[i]);
        assert_true(found);
        arch_mutate(s, r2, &a, &m);
    }
    /* an invalid decision vector is no member of the full space */
    memset(&a, 0, sizeof a);
    a.n = s->n_dims;
    assert_false(space_contains(s, &a)); /* no edge at all: no path */
    rng_free(r1);
    rng_free(r2);
    space_free(s);
}

/* Path encoding: the Inception cell has the paths in->1->out (conv1x1),
 * in->2->out (conv3x3), in->3->4->out (conv3x3, conv3x3) and in->5->out
 * (maxpool), and no direct in -> out. */
static void test_path_encoding(void **state)
{
    (void)state;
    struct space *s = graph_space();
    struct arch a;
    assert_int_equal(arch_parse(s, INCEPTION, &a), NASW_OK);
    int dim = space_path_dim(s);
    assert_int_equal(dim, 364);
    double x[364];
    arch_encode_path(s, &a, x);
    double total = 0;
    for (int i = 0; i < dim; i++) total += x[i];
    assert_true(total == 4);
    /* length-1 paths start at offset 1 (label 0 conv3x3, 1 conv1x1, 2
     * maxpool), length-2 paths at 4 */
    assert_true(x[1 + 0] == 1 && x[1 + 1] == 1 && x[1 + 2] == 1);
    assert_true(x[4 + 0 + 0 * 3] == 1); /* conv3x3, conv3x3 */
    assert_true(x[0] == 0);             /* no direct in -> out */
    space_free(s);
}

/* A table of graphs: isomorphic rows are one architecture, so a table
 * holding two isomorphic specs is refused like any duplicate. */
static void test_table(void **state)
{
    (void)state;
    char path[] = "/tmp/nasw-graph-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "arch,dataset,val_acc\n\"%s\",c,90.5\n\"0110.0001.0001.0000:input,conv3x3-bn-relu,conv1x1-bn-relu,output\",c,80\n",
            INCEPTION);
    fclose(f);
    struct table *t;
    struct table_opts o;
    table_default_opts(&o);
    o.no_sidecar = 1;
    assert_int_equal(table_load(&t, path, &o), NASW_OK);
    assert_int_equal(table_space(t)->kind, SPACE_GRAPH);
    assert_int_equal(table_n_rows(t), 2);
    struct arch a;
    assert_int_equal(arch_parse(table_space(t), "0110.0001.0001.0000:input,conv1x1-bn-relu,conv3x3-bn-relu,output", &a),
                     NASW_OK);
    assert_true(table_find(t, 0, arch_key(table_space(t), &a)) >= 0); /* found under its isomorph */
    table_free(t);
    f = fopen(path, "a");
    fprintf(f, "\"0110.0001.0001.0000:input,conv1x1-bn-relu,conv3x3-bn-relu,output\",c,81\n");
    fclose(f);
    assert_int_not_equal(table_load(&t, path, &o), NASW_OK);
    unlink(path);
}

/* Every pruned graph (all vertices on an input-output path, at most 9
 * edges, up to 7 vertices) with every labelling, canonicalised: exactly the
 * 423,624 distinct networks NAS-Bench-101 reports (Ying et al. 2019).  Too
 * few would mean non-isomorphic graphs share a key, too many that isomorphic
 * ones do not. */
static void test_count_nb101(void **state)
{
    (void)state;
    struct space *s = graph_space();
    struct hashmap seen;
    assert_int_equal(hashmap_init(&seen, 1 << 20), NASW_OK);
    for (int k = 2; k <= GRAPH_VERTICES; k++) {
        int ne = k * (k - 1) / 2;
        for (long bits = 0; bits < (1L << ne); bits++) {
            int adj[GRAPH_VERTICES][GRAPH_VERTICES] = {{0}}, e = 0, edges = 0;
            for (int j = 1; j < k; j++)
                for (int i = 0; i < j; i++, e++) edges += adj[i][j] = (int)((bits >> e) & 1);
            if (edges > GRAPH_MAX_EDGES) continue;
            int fwd[GRAPH_VERTICES] = {1}, bwd[GRAPH_VERTICES] = {0}, live = 1;
            for (int j = 1; j < k; j++)
                for (int i = 0; i < j; i++)
                    if (fwd[i] && adj[i][j]) fwd[j] = 1;
            bwd[k - 1] = 1;
            for (int i = k - 2; i >= 0; i--)
                for (int j = i + 1; j < k; j++)
                    if (bwd[j] && adj[i][j]) bwd[i] = 1;
            for (int v = 0; v < k; v++) live &= fwd[v] && bwd[v];
            if (!live) continue;
            int labellings = 1;
            for (int v = 1; v < k - 1; v++) labellings *= GRAPH_LABELS;
            for (int l = 0; l < labellings; l++) {
                struct arch a, c;
                memset(&a, 0, sizeof a);
                a.n = GRAPH_DIMS;
                int pos[GRAPH_VERTICES];
                for (int v = 0; v < k - 1; v++) pos[v] = v;
                pos[k - 1] = GRAPH_VERTICES - 1;
                for (int j = 1; j < k; j++)
                    for (int i = 0; i < j; i++)
                        if (adj[i][j]) a.d[pos[j] * (pos[j] - 1) / 2 + pos[i]] = 1;
                for (int v = 1, x = l; v < k - 1; v++, x /= GRAPH_LABELS)
                    a.d[GRAPH_EDGES + v - 1] = (uint16_t)(x % GRAPH_LABELS);
                assert_int_equal(graph_canonicalise(&a, &c), 0);
                assert_int_equal(hashmap_put(&seen, arch_key(s, &c), 1), NASW_OK);
            }
        }
    }
    assert_int_equal(seen.n, 423624);
    hashmap_release(&seen);
    space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),         cmocka_unit_test(test_isomorphism),
        cmocka_unit_test(test_errors),            cmocka_unit_test(test_neighbours_sampling),
        cmocka_unit_test(test_path_encoding),     cmocka_unit_test(test_table),
        cmocka_unit_test(test_count_nb101),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
