/*
 * tests/test_core.c - core/: spaces, architecture strings, keys, canonical
 * forms, sampling/mutation/neighbourhoods, encodings, hashmap, rng, run log.
 * Needs no data files: the NB201 space is built from its op list.
 */
#include <float.h>
#include <math.h>
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
#include "core/bench.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/runlog.h"
#include "core/status.h"

static struct space *nb201(void)
{
    struct space *s;
    assert_int_equal(space_cell_new(&s, 4, arch_nb201_ops, 5), NASW_OK);
    return s;
}

static const char *BEST =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";

static void test_cell_roundtrip(void **state)
{
    (void)state;
    struct space *s = nb201();
    assert_int_equal(s->n_dims, 6);
    assert_int_equal((int)s->size, 15625);
    assert_int_equal(s->op_zero, 0);
    assert_int_equal(s->op_identity, 1);
    char buf[ARCH_STR_MAX];
    for (uint64_t k = 0; k < s->size; k++) {
        struct arch a, b;
        arch_from_key(s, k, &a);
        assert_int_equal(arch_key(s, &a), k);
        assert_int_equal(arch_format(s, &a, buf, sizeof buf), NASW_OK);
        assert_int_equal(arch_parse(s, buf, &b), NASW_OK);
        assert_true(arch_equal(&a, &b));
    }
    struct arch a;
    assert_int_equal(arch_parse(s, BEST, &a), NASW_OK);
    /* edge order: (0->1), (0->2), (1->2), (0->3), (1->3), (2->3) */
    assert_int_equal(a.d[0], 3);
    assert_int_equal(a.d[3], 1);
    assert_int_equal(a.d[4], 2);
    arch_format(s, &a, buf, sizeof buf);
    assert_string_equal(buf, BEST);
    space_free(s);
}

static void test_cell_parse_errors(void **state)
{
    (void)state;
    struct space *s = nb201();
    struct arch a;
    const char *bad[] = {
        "",
        "|nor_conv_3x3~0|",                                     /* 2 nodes */
        "|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|",
        "|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|none~2|x",
        "nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|none~2|",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        nasw_errclear();
        assert_int_equal(arch_parse(s, bad[i], &a), NASW_EPARSE);
        assert_true(strlen(nasw_errmsg()) > 0);
    }
    arch_parse(s, bad[2], &a);
    assert_non_null(strstr(nasw_errmsg(), "unknown op 'conv'"));
    space_free(s);
}

/* NATS-Bench's count of isomorphism classes of the NB201 cell space. */
static void test_canonical_classes(void **state)
{
    (void)state;
    struct space *s = nb201();
    struct hashmap seen;
    hashmap_init(&seen, 16384);
    char buf[ARCH_STR_MAX];
    for (uint64_t k = 0; k < s->size; k++) {
        struct arch a;
        arch_from_key(s, k, &a);
        assert_int_equal(arch_canonical(s, &a, buf, sizeof buf), NASW_OK);
        hashmap_put(&seen, nasw_fnv1a(NASW_FNV_OFFSET, buf, strlen(buf)), 1);
    }
    assert_int_equal((int)seen.n, 6466);
    hashmap_release(&seen);

    /* unique_str of NB201 arch_index 0, as stored by NATS-Bench */
    struct arch a;
    arch_parse(s,
               "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
               "skip_connect~2|",
               &a);
    arch_canonical(s, &a, buf, sizeof buf);
    assert_string_equal(buf, "(0)@avg_pool_3x3+(0)@avg_pool_3x3+(0)@nor_conv_1x1+(0)@nor_conv_1x1");
    /* skip on 0->1 then conv on 1->3 equals conv on 0->3 when the rest is zero */
    struct arch b, c;
    arch_parse(s, "|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|", &b);
    arch_parse(s, "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|", &c);
    char x[ARCH_STR_MAX], y[ARCH_STR_MAX];
    arch_canonical(s, &b, x, sizeof x);
    arch_canonical(s, &c, y, sizeof y);
    assert_string_equal(x, y);
    assert_string_equal(x, "#+#+(0)@nor_conv_3x3");
    space_free(s);
}

static void test_chain_and_set(void **state)
{
    (void)state;
    const char *codes[] = {"00000000", "22212220", "01201201", "00000000"};
    struct space *s;
    size_t bad;
    assert_int_equal(space_infer(&s, codes, 4, &bad), NASW_OK);
    assert_int_equal(s->kind, SPACE_CHAIN);
    assert_int_equal(s->n_dims, 8);
    assert_int_equal(s->n_choices[0], 3);
    assert_int_equal(s->n_choices[7], 2); /* max digit seen at layer 7 is 1 */
    struct arch a;
    char buf[64];
    assert_int_equal(arch_parse(s, "22212220", &a), NASW_OK);
    arch_format(s, &a, buf, sizeof buf);
    assert_string_equal(buf, "22212220");
    assert_int_equal(arch_parse(s, "2221222", &a), NASW_EPARSE);
    assert_int_equal(arch_parse(s, "22212222", &a), NASW_EPARSE); /* layer 7 has 2 choices */
    assert_int_equal(arch_parse(s, "2221222x", &a), NASW_EPARSE);
    space_free(s);

    const char *ids[] = {"r1-a", "r2-b", "r1-a", "r3"};
    assert_int_equal(space_infer(&s, ids, 4, &bad), NASW_OK);
    assert_int_equal(s->kind, SPACE_SET);
    assert_int_equal((int)s->size, 3);
    assert_int_equal(arch_parse(s, "r3", &a), NASW_OK);
    assert_int_equal(a.d[0], 2);
    assert_int_equal(arch_parse(s, "r4", &a), NASW_EPARSE);
    struct rng *r = rng_new(1);
    for (int i = 0; i < 100; i++) {
        struct arch m;
        assert_int_equal(arch_mutate(s, r, &a, &m), NASW_OK);
        assert_int_not_equal(m.d[0], a.d[0]);
        assert_true(m.d[0] < 3);
    }
    rng_free(r);
    space_free(s);

    const char *mixed[] = {BEST, "|nor_conv_3x3~0|", BEST};
    assert_int_equal(space_infer(&s, mixed, 3, &bad), NASW_EPARSE);
    assert_int_equal((int)bad, 1);
}

/* A space beyond 2^63 (core/arch.h, "wide"): keys are interned exactly,
 * dense in order of first use, shared by clones; membership tests give no
 * key; restriction, sampling, mutation and neighbours stay among members. */
static void test_wide_space(void **state)
{
    (void)state;
    int c[30];
    for (int i = 0; i < 30; i++) c[i] = 9;
    struct space *s, *t;
    assert_int_equal(space_chain_new(&s, 30, c), NASW_OK);
    assert_true(s->wide);
    assert_true(fabs(s->log10_size - 30 * log10(9.0)) <= 64 * DBL_EPSILON * s->log10_size);
    char buf[ARCH_STR_MAX];
    space_describe(s, buf, sizeof buf);
    assert_non_null(strstr(buf, "about 4.24e+28 architectures"));
    struct arch a, b, m;
    assert_int_equal(arch_parse(s, "012345678012345678012345678012", &a), NASW_OK);
    assert_int_equal(arch_parse(s, "812345678012345678012345678012", &b), NASW_OK);
    assert_int_equal(space_interned(s), 0);
    assert_true(space_contains(s, &a));
    assert_int_equal(space_interned(s), 0); /* a membership test gives no key */
    assert_int_equal(arch_key(s, &a), 0);
    assert_int_equal(arch_key(s, &b), 1);
    assert_int_equal(arch_key(s, &a), 0);
    arch_from_key(s, 1, &m);
    assert_true(arch_equal(&m, &b));
    arch_format(s, &m, buf, sizeof buf);
    assert_string_equal(buf, "812345678012345678012345678012");
    /* many keys: every one distinct and round-tripping (the index grows) */
    struct rng *r = rng_new(5);
    for (int i = 0; i < 5000; i++) {
        arch_sample(s, r, &m);
        uint64_t k = arch_key(s, &m);
        struct arch back;
        arch_from_key(s, k, &back);
        assert_true(arch_equal(&back, &m));
    }
    uint64_t n_keys = space_interned(s);
    assert_true(n_keys > 4990 && n_keys <= 5002);
    /* a clone shares the keys */
    assert_int_equal(space_clone(&t, s), NASW_OK);
    assert_int_equal(arch_key(t, &b), 1);
    arch_from_key(t, n_keys - 1, &m);
    assert_int_equal(arch_key(s, &m), n_keys - 1);
    /* restricted to a and b, which differ in decision 0 only */
    uint64_t keys[2] = {1, 0};
    assert_int_equal(space_restrict(t, keys, 2), NASW_OK);
    assert_int_equal(space_count(t), 2);
    struct arch nb[300];
    assert_int_equal(arch_neighbours(t, &a, nb, 300), 1);
    assert_true(arch_equal(&nb[0], &b));
    assert_int_equal(arch_mutate(t, r, &a, &m), NASW_OK);
    assert_true(arch_equal(&m, &b));
    for (int i = 0; i < 50; i++) {
        arch_sample(t, r, &m);
        assert_true(arch_equal(&m, &a) || arch_equal(&m, &b));
    }
    struct arch out = a;
    out.d[29] = 8;
    assert_false(space_contains(t, &out));
    uint64_t too_far = space_interned(s) + 3;
    assert_int_equal(space_restrict(t, &too_far, 1), NASW_EINVAL);
    space_free(s); /* the clone keeps the shared table alive */
    arch_from_key(t, 1, &m);
    assert_true(arch_equal(&m, &b));
    space_free(t);
    /* unrestricted: all 30 * 8 neighbours are members */
    assert_int_equal(space_chain_new(&s, 30, c), NASW_OK);
    assert_int_equal(arch_neighbours(s, &a, nb, 300), 240);
    assert_int_equal(arch_mutate(s, r, &a, &m), NASW_OK);
    int diff = 0;
    for (int i = 0; i < 30; i++) diff += m.d[i] != a.d[i];
    assert_int_equal(diff, 1);
    rng_free(r);
    space_free(s);
}

static void test_infer_vocab(void **state)
{
    (void)state;
    /* a 4-op cell table (no avg_pool), ops met in a scrambled order */
    const char *cells[] = {
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|none~2|",
        "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    };
    struct space *s;
    size_t bad;
    assert_int_equal(space_infer(&s, cells, 2, &bad), NASW_OK);
    assert_int_equal(s->kind, SPACE_CELL);
    assert_int_equal(s->n_ops, 4);
    assert_string_equal(s->ops[0], "none");
    assert_string_equal(s->ops[1], "skip_connect");
    assert_string_equal(s->ops[2], "nor_conv_1x1");
    assert_string_equal(s->ops[3], "nor_conv_3x3");
    assert_int_equal((int)s->size, 4096);
    space_free(s);
}

static void test_mutate_neighbours_restrict(void **state)
{
    (void)state;
    struct space *s = nb201();
    struct rng *r = rng_new(42);
    struct arch a, m, nb[64];
    arch_parse(s, BEST, &a);
    assert_int_equal(space_max_neighbours(s), 24);
    assert_int_equal(arch_neighbours(s, &a, nb, 64), 24);
    for (int i = 0; i < 24; i++) {
        int diff = 0;
        for (int d = 0; d < 6; d++) diff += nb[i].d[d] != a.d[d];
        assert_int_equal(diff, 1);
    }
    for (int t = 0; t < 1000; t++) {
        assert_int_equal(arch_mutate(s, r, &a, &m), NASW_OK);
        int diff = 0;
        for (int d = 0; d < 6; d++) diff += m.d[d] != a.d[d];
        assert_int_equal(diff, 1);
    }
    /* restrict to every third key: everything returned must be a member */
    uint64_t *keys = malloc(sizeof *keys * 6000);
    size_t nk = 0;
    for (uint64_t k = 0; k < s->size; k += 3) keys[nk++] = k;
    assert_int_equal(space_restrict(s, keys, nk), NASW_OK);
    assert_int_equal((int)space_count(s), (int)nk);
    for (int t = 0; t < 5000; t++) {
        arch_sample(s, r, &a);
        assert_int_equal(arch_key(s, &a) % 3, 0);
        if (arch_mutate(s, r, &a, &m) == NASW_OK) assert_int_equal(arch_key(s, &m) % 3, 0);
        int n = arch_neighbours(s, &a, nb, 64);
        for (int i = 0; i < n; i++) assert_true(space_contains(s, &nb[i]));
    }
    struct space *c;
    assert_int_equal(space_clone(&c, s), NASW_OK);
    assert_int_equal((int)space_count(c), (int)nk);
    arch_from_key(c, 1, &a);
    assert_false(space_contains(c, &a));
    space_free(c);
    free(keys);
    rng_free(r);
    space_free(s);
}

/* Uniform sampling: chi-square over the 5 values of each edge. */
static void test_sample_uniform(void **state)
{
    (void)state;
    struct space *s = nb201();
    struct rng *r = rng_new(7);
    int cnt[6][5] = {{0}};
    int n = 50000;
    for (int t = 0; t < n; t++) {
        struct arch a;
        arch_sample(s, r, &a);
        for (int d = 0; d < 6; d++) cnt[d][a.d[d]]++;
    }
    for (int d = 0; d < 6; d++) {
        double chi = 0, e = n / 5.0;
        for (int v = 0; v < 5; v++) chi += (cnt[d][v] - e) * (cnt[d][v] - e) / e;
        assert_true(chi < 20.0); /* 4 dof: p < 0.001 */
    }
    rng_free(r);
    space_free(s);
}

static void test_encodings(void **state)
{
    (void)state;
    struct space *s = nb201();
    assert_int_equal(space_onehot_dim(s), 30);
    assert_int_equal(space_path_dim(s), 4 + 16 + 64);
    double x[84];
    struct arch a;
    arch_parse(s, BEST, &a);
    arch_encode_onehot(s, &a, x);
    double sum = 0;
    for (int i = 0; i < 30; i++) sum += x[i];
    assert_true(sum == 6.0);
    assert_true(x[0 * 5 + 3] == 1.0 && x[3 * 5 + 1] == 1.0);
    arch_encode_path(s, &a, x);
    sum = 0;
    for (int i = 0; i < 84; i++) sum += x[i];
    assert_true(sum == 4.0); /* no zero op: all four input-output paths exist */
    /* path 0->3 alone is "skip": symbol 0 at length 1 */
    assert_true(x[0] == 1.0);
    /* 0->1->3 with conv3x3 then conv1x1: symbols 2, 1 -> 4 + 2 + 1*4 */
    assert_true(x[4 + 2 + 4] == 1.0);
    /* 0->2->3 and 0->1->2->3 both end with conv3x3 */
    assert_true(x[4 + 2 + 2 * 4] == 1.0);
    assert_true(x[20 + 2 + 2 * 4 + 2 * 16] == 1.0);
    arch_parse(s, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", &a);
    arch_encode_path(s, &a, x);
    for (int i = 0; i < 84; i++) assert_true(x[i] == 0.0);
    space_free(s);
}

static void test_hashmap_rng(void **state)
{
    (void)state;
    struct hashmap m = {0};
    for (uint64_t k = 0; k < 100000; k++) assert_int_equal(hashmap_put(&m, k * 7919, (int64_t)k), 0);
    for (uint64_t k = 0; k < 100000; k++) {
        int64_t v;
        assert_true(hashmap_get(&m, k * 7919, &v));
        assert_int_equal(v, (int64_t)k);
        assert_false(hashmap_get(&m, k * 7919 + 1, NULL));
    }
    hashmap_put(&m, 0, -5);
    int64_t v;
    hashmap_get(&m, 0, &v);
    assert_int_equal(v, -5);
    assert_int_equal((int)m.n, 100000);
    hashmap_release(&m);

    struct rng *a = rng_new(123), *b = rng_new(123), *c = rng_new(124);
    int same = 1, diff = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_int(a, 1000000), y = rng_int(b, 1000000), z = rng_int(c, 1000000);
        same &= x == y;
        diff |= x != z;
        assert_true(x < 1000000);
    }
    assert_true(same);
    assert_true(diff);
    uint64_t big = UINT64_C(1) << 40;
    assert_true(rng_int(a, big) < big);
    rng_free(a);
    rng_free(b);
    rng_free(c);
}

static void test_runlog(void **state)
{
    (void)state;
    char path[] = "/tmp/nasw_test_runlogXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct runlog *l;
    assert_int_equal(runlog_open(&l, path), NASW_OK);
    struct runlog_header h = {.command = "nasw search", .seed = 3, .strategy = "random"};
    assert_int_equal(runlog_header(l, &h), NASW_OK);
    struct runlog_query q = {.query = 1, .arch = "00", .val = 1.5, .test = 0.0 / 0.0};
    assert_int_equal(runlog_query(l, &q), NASW_OK);
    assert_int_equal(runlog_end(l, 1, 0, "budget"), NASW_OK);
    assert_int_equal(runlog_close(l, 1), NASW_OK);
    FILE *f = fopen(path, "r");
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "\"seed\":3"));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "\"test\":null"));
    assert_non_null(strstr(line, "\"val\":1.5"));
    fclose(f);
    remove(path);
    /* an unwritable path fails cleanly */
    assert_int_equal(runlog_open(&l, "/nonexistent/dir/x.jsonl"), NASW_EIO);
    assert_non_null(strstr(nasw_errmsg(), "cannot write '/nonexistent/dir/x.jsonl'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_roundtrip),
        cmocka_unit_test(test_cell_parse_errors),
        cmocka_unit_test(test_canonical_classes),
        cmocka_unit_test(test_chain_and_set),
        cmocka_unit_test(test_wide_space),
        cmocka_unit_test(test_infer_vocab),
        cmocka_unit_test(test_mutate_neighbours_restrict),
        cmocka_unit_test(test_sample_uniform),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_hashmap_rng),
        cmocka_unit_test(test_runlog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
