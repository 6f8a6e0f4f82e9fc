/*
 * tests/test_morph.c - weight inheritance and Net2Net (train/morph.h): the
 * network's output (logits, BN in eval mode) before and after a morph
 * agree to float rounding, for the function-preserving cases; the others
 * start where the docs say; mismatched networks are refused.
 *
 * Tolerance: a float network's rounding error grows at most with the
 * length of its reductions (the largest dot product, Ci*K*K) times its
 * depth (the layers the error passes), relative to the logits' magnitude:
 * tol = FLT_EPSILON * depth * reduction * max|logit|, a bound, not a value
 * fitted to this CPU.
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

#include <cmocka.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/cnn.h"
#include "train/morph.h"

#define NB 4
#define RES 8

static const char *RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
static const char *ALLOPS =
    "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|";

struct net {
    struct cnn *n;
    struct arch a;
};

static struct space *space_nb201(void)
{
    struct space *s;
    assert_int_equal(space_cell_new(&s, 4, arch_nb201_ops, 5), NASW_OK);
    return s;
}

static struct net build(const struct space *s, const char *arch, int C, int N, uint64_t seed)
{
    struct net t;
    assert_int_equal(arch_parse(s, arch, &t.a), NASW_OK);
    struct cnn_config cfg = {.C = C, .N = N, .in_ch = 1, .H = RES, .W = RES, .classes = 10, .max_batch = NB};
    assert_int_equal(cnn_new(&t.n, s, &t.a, &cfg), NASW_OK);
    struct rng *r = rng_new(seed);
    cnn_init(t.n, r);
    rng_free(r);
    return t;
}

static void images(float *x, int *y, uint64_t seed)
{
    struct rng *r = rng_new(seed);
    for (int i = 0; i < NB * RES * RES; i++) x[i] = (float)rng_gaussian(r, 1.0);
    for (int i = 0; i < NB; i++) y[i] = (int)rng_int(r, 10);
    rng_free(r);
}

/* A "trained" parent: BN affine parameters off 1/0 and running statistics
 * from a few training-mode forwards, so every copied number matters. */
static void trainish(struct cnn *n, uint64_t seed)
{
    struct rng *r = rng_new(seed);
    float *p = cnn_params(n);
    for (size_t i = 0; i < cnn_num_params(n); i++) p[i] += (float)rng_gaussian(r, 0.05);
    rng_free(r);
    float x[NB * RES * RES];
    int y[NB];
    for (int k = 0; k < 3; k++) {
        images(x, y, seed + 1 + (uint64_t)k);
        cnn_forward(n, x, y, NB, 1, NULL);
    }
}

static void logits(struct cnn *n, float *out)
{
    float x[NB * RES * RES];
    int y[NB];
    images(x, y, 99);
    cnn_forward(n, x, y, NB, 0, NULL);
    memcpy(out, cnn_logits(n), sizeof(float) * NB * 10);
}

/* max |a - b| against the bound of the header comment; returns the error
 * relative to the tolerance (<= 1 passes). */
static double agree(struct cnn *x, struct cnn *y)
{
    float a[NB * 10], b[NB * 10];
    logits(x, a);
    logits(y, b);
    double err = 0, mag = 0;
    for (int i = 0; i < NB * 10; i++) {
        err = fmax(err, fabs((double)a[i] - b[i]));
        mag = fmax(mag, fabs((double)a[i]));
    }
    /* depth: the parameter layers plus the adds; reduction: the longest dot
     * product (the widest 3x3 convolution's input) */
    const struct cnn_config *c = cnn_get_config(y);
    double depth = cnn_num_layers(y), red = 9.0 * (4 * c->C);
    double tol = FLT_EPSILON * depth * red * fmax(mag, 1.0);
    assert_true(isfinite(err));
    return err / tol;
}

static void test_inherit_same(void **state)
{
    (void)state;
    struct space *s = space_nb201();
    struct net p = build(s, ALLOPS, 3, 2, 1), c = build(s, ALLOPS, 3, 2, 2);
    trainish(p.n, 3);
    struct morph_stats st;
    assert_int_equal(morph_inherit(c.n, &c.a, p.n, &p.a, s, &st), NASW_OK);
    assert_int_equal(st.copied, 3 * 2 * 3); /* 3 conv edges, 2 cells, 3 stages */
    assert_int_equal(st.preserved + st.approx + st.fresh, 0);
    /* everything copied: the same parameters, the same output bit for bit */
    assert_memory_equal(cnn_params(c.n), cnn_params(p.n), cnn_num_params(p.n) * sizeof(float));
    assert_memory_equal(cnn_stats(c.n), cnn_stats(p.n), cnn_num_stats(p.n) * sizeof(float));
    assert_true(agree(p.n, c.n) == 0.0);
    cnn_free(p.n);
    cnn_free(c.n);
    space_free(s);
}

/* One edge changes op; exact preservation within the tolerance. */
static void check_preserving(const char *parent, const char *child, int copied)
{
    struct space *s = space_nb201();
    struct net p = build(s, parent, 4, 1, 11), c = build(s, child, 4, 1, 12);
    trainish(p.n, 13);
    struct net f = build(s, child, 4, 1, 12); /* the child untouched, to show the morph matters */
    struct morph_stats st;
    assert_int_equal(morph_inherit(c.n, &c.a, p.n, &p.a, s, &st), NASW_OK);
    assert_int_equal(st.preserved, 3);
    assert_int_equal(st.copied, copied);
    double rel = agree(p.n, c.n);
    assert_true(rel <= 1.0);
    assert_true(agree(p.n, f.n) > 1.0); /* a fresh child computes something else */
    cnn_free(p.n);
    cnn_free(c.n);
    cnn_free(f.n);
    space_free(s);
}

static void test_inherit_conv1_to_conv3(void **state)
{
    (void)state;
    check_preserving(ALLOPS, "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_3x3~0|none~1|nor_conv_3x3~2|",
                     6);
}

static void test_inherit_none_to_conv(void **state)
{
    (void)state;
    check_preserving(ALLOPS, "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_3x3~2|",
                     9);
}

/* skip -> conv: the identity kernel and an eval-mode identity BN (the
 * edge computes ReLU(x)); pool -> conv: the child's own random init. */
static void test_inherit_skip_and_pool(void **state)
{
    (void)state;
    struct space *s = space_nb201();
    const char *child = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|";
    struct net p = build(s, ALLOPS, 2, 1, 21), c = build(s, child, 2, 1, 22), f = build(s, child, 2, 1, 22);
    trainish(p.n, 23);
    struct morph_stats st;
    assert_int_equal(morph_inherit(c.n, &c.a, p.n, &p.a, s, &st), NASW_OK);
    assert_int_equal(st.approx, 3);
    assert_int_equal(st.fresh, 3);
    assert_int_equal(st.copied, 9);
    /* the first cell's conv layers in tape order: conv3 (0->1), conv3 (0->2,
     * was pool), conv1 (1->2, was skip), ... */
    int seen = 0;
    for (int i = 0; i < cnn_num_layers(c.n) && seen < 4; i++) {
        struct cnn_layer l, lf;
        cnn_layer(c.n, i, &l);
        cnn_layer(f.n, i, &lf);
        if (l.kind != CNN_CONV) continue;
        seen++;
        if (seen == 3) { /* 0->2 in the first cell (the stem is 1, 0->1 is 2) */
            assert_memory_equal(cnn_params(c.n) + l.w, cnn_params(f.n) + lf.w, l.nw * sizeof(float));
        } else if (seen == 4) { /* 1->2: the identity 1x1 kernel */
            const float *w = cnn_params(c.n) + l.w;
            for (int o = 0; o < l.C; o++)
                for (int k = 0; k < l.Ci; k++) assert_true(w[o * l.Ci + k] == (o == k ? 1.0f : 0.0f));
            struct cnn_layer bn;
            cnn_layer(c.n, i + 1, &bn);
            assert_int_equal(bn.kind, CNN_BN);
            for (int k = 0; k < bn.C; k++) {
                double g = cnn_params(c.n)[bn.w + k];
                assert_true(fabs(g / sqrt(bn.rvar[k] + 1e-5) - 1.0) <= 4 * FLT_EPSILON);
                assert_true(bn.rmean[k] == 0.0f && cnn_params(c.n)[bn.b + k] == 0.0f);
            }
        }
    }
    assert_int_equal(seen, 4);
    cnn_free(p.n);
    cnn_free(c.n);
    cnn_free(f.n);
    space_free(s);
}

static void test_inherit_refuses_other_size(void **state)
{
    (void)state;
    struct space *s = space_nb201();
    struct net p = build(s, ALLOPS, 2, 1, 1), c = build(s, ALLOPS, 3, 1, 2);
    assert_int_equal(morph_inherit(c.n, &c.a, p.n, &p.a, s, NULL), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(), "cannot inherit weights between networks of different macro sizes");
    cnn_free(p.n);
    cnn_free(c.n);
    space_free(s);
}

static void test_wider(void **state)
{
    (void)state;
    struct space *s = space_nb201();
    static const int sizes[][2] = {{2, 3}, {3, 7}, {4, 4}};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        struct net p = build(s, ALLOPS, sizes[k][0], 2, 31), w = build(s, ALLOPS, sizes[k][1], 2, 32);
        struct net f = build(s, ALLOPS, sizes[k][1], 2, 32);
        trainish(p.n, 33);
        struct rng *r = rng_new(34);
        assert_int_equal(morph_wider(w.n, p.n, &w.a, s, r), NASW_OK);
        rng_free(r);
        assert_true(agree(p.n, w.n) <= 1.0);
        if (sizes[k][1] != sizes[k][0]) assert_true(agree(p.n, f.n) > 1.0);
        cnn_free(p.n);
        cnn_free(w.n);
        cnn_free(f.n);
    }
    struct net p = build(s, ALLOPS, 3, 1, 1), w = build(s, ALLOPS, 2, 1, 2);
    assert_int_equal(morph_wider(w.n, p.n, &w.a, s, NULL), NASW_EINVAL); /* narrower */
    cnn_free(p.n);
    cnn_free(w.n);
    space_free(s);
}

static void test_deeper(void **state)
{
    (void)state;
    struct space *s = space_nb201();
    const char *cells[] = {RESNET, "|skip_connect~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|skip_connect~1|nor_conv_3x3~2|"};
    for (int k = 0; k < 2; k++) {
        struct net p = build(s, cells[k], 3, 1, 41), d = build(s, cells[k], 3, 3, 42);
        struct net f = build(s, cells[k], 3, 3, 42);
        trainish(p.n, 43);
        assert_true(morph_cell_has_identity(s, &p.a));
        assert_int_equal(morph_deeper(d.n, p.n, &d.a, s), NASW_OK);
        assert_true(agree(p.n, d.n) <= 1.0);
        assert_true(agree(p.n, f.n) > 1.0);
        cnn_free(p.n);
        cnn_free(d.n);
        cnn_free(f.n);
    }
    /* no identity form: a pool on the way out, two skip paths, none at all */
    const char *no[] = {ALLOPS, "|skip_connect~0|+|none~0|skip_connect~1|+|skip_connect~0|none~1|skip_connect~2|",
                        "|skip_connect~0|+|none~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|"};
    for (int k = 0; k < 3; k++) {
        struct net p = build(s, no[k], 2, 1, 1), d = build(s, no[k], 2, 2, 2);
        assert_false(morph_cell_has_identity(s, &p.a));
        assert_int_equal(morph_deeper(d.n, p.n, &d.a, s), NASW_EINVAL);
        assert_non_null(strstr(nasw_errmsg(), "has no identity form"));
        cnn_free(p.n);
        cnn_free(d.n);
    }
    space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inherit_same),           cmocka_unit_test(test_inherit_conv1_to_conv3),
        cmocka_unit_test(test_inherit_none_to_conv),   cmocka_unit_test(test_inherit_skip_and_pool),
        cmocka_unit_test(test_inherit_refuses_other_size), cmocka_unit_test(test_wider),
        cmocka_unit_test(test_deeper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
