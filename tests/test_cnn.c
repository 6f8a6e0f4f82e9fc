/*
 * tests/test_cnn.c - the NB201 network: whole-network gradients against
 * central finite differences (every op kind appears in the cell below),
 * parameter counts, and that a few SGD steps reduce the loss on a batch.
 */
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
#include "train/cnn.h"

static const char *ALLOPS =
    "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|";

static struct cnn *build(const char *arch, int C, int N, int H, int B, struct space **sp)
{
    struct arch a;
    assert_int_equal(space_cell_new(sp, 4, arch_nb201_ops, 5), 0);
    assert_int_equal(arch_parse(*sp, arch, &a), 0);
    struct cnn_config cfg = {.C = C, .N = N, .in_ch = 1, .H = H, .W = H, .classes = 10, .max_batch = B};
    struct cnn *n;
    assert_int_equal(cnn_new(&n, *sp, &a, &cfg), 0);
    return n;
}

static void test_gradients(void **state)
{
    (void)state;
    struct space *s;
    int B = 3, H = 8;
    struct cnn *n = build(ALLOPS, 2, 1, H, B, &s);
    struct rng *r = rng_new(5);
    cnn_init(n, r);
    float x[3 * 64];
    int y[3] = {1, 7, 3};
    for (int i = 0; i < B * H * H; i++) x[i] = (float)rng_gaussian(r, 1.0);
    size_t np = cnn_num_params(n);
    float *p = cnn_params(n);
    /* move BN affine params off 1/0 so every term of the backward matters */
    for (size_t i = 0; i < np; i++) p[i] += (float)rng_gaussian(r, 0.05);
    cnn_forward(n, x, y, B, 1, NULL);
    cnn_backward(n);
    float *g = malloc(np * sizeof *g);
    memcpy(g, cnn_grads(n), np * sizeof *g);
    /* Directional derivatives along random directions v: the central
     * difference of L(p + h v) against g . v.  Per-parameter differences are
     * at the mercy of float rounding and ReLU kinks; the directional one
     * sums over every parameter, so a wrong term anywhere shows up.  h is
     * small because ReLU kinks make larger steps disagree (the error falls
     * with h: 0.37, 0.19, 0.004 at h = 1e-3, 3e-4, 1e-4 on this network). */
    float *p0 = malloc(np * sizeof *p0), *v = malloc(np * sizeof *v);
    memcpy(p0, p, np * sizeof *p0);
    double worst = 0;
    for (int dir = 0; dir < 8; dir++) {
        /* v = g + a random part of half g's norm: g . v stays far from 0
         * (no cancellation), and an error e in g shows as (g - e) . v != g . v */
        double gg = 0, gv = 0;
        for (size_t i = 0; i < np; i++) gg += (double)g[i] * g[i];
        for (size_t i = 0; i < np; i++) {
            v[i] = g[i] + (float)rng_gaussian(r, 0.5 * sqrt(gg / (double)np));
            gv += (double)g[i] * v[i];
        }
        double h = 1e-4, l[2];
        for (int side = 0; side < 2; side++) {
            for (size_t i = 0; i < np; i++) p[i] = p0[i] + (float)((side ? -h : h) * v[i]);
            l[side] = cnn_forward(n, x, y, B, 1, NULL);
        }
        memcpy(p, p0, np * sizeof *p0);
        double fd = (l[0] - l[1]) / (2 * h), rel = fabs(fd - gv) / fabs(gv);
        if (rel > worst) worst = rel;
    }
    print_message("network directional gradient check: worst relative error %.2e\n", worst);
    assert_true(worst < 2e-2);
    free(p0);
    free(v);
    free(g);
    rng_free(r);
    cnn_free(n);
    space_free(s);
}

static void test_params_and_training(void **state)
{
    (void)state;
    /* Parameter counts of NAS-Bench-201's network (C=16, N=5, 3 input
     * channels, 10 classes) as published by its API (params_m of the
     * NASLib zero-cost export): the topology is exactly NB201's. */
    static const struct {
        const char *arch;
        size_t params;
    } ref[] = {
        {"|avg_pool_3x3~0|+|skip_connect~0|skip_connect~1|+|avg_pool_3x3~0|skip_connect~1|skip_connect~2|", 73306},
        {"|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|none~2|", 372346},
        {"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|", 1531546},
    };
    struct space *s;
    assert_int_equal(space_cell_new(&s, 4, arch_nb201_ops, 5), 0);
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        struct arch a;
        assert_int_equal(arch_parse(s, ref[i].arch, &a), 0);
        struct cnn_config cfg = {.C = 16, .N = 5, .in_ch = 3, .H = 32, .W = 32, .classes = 10, .max_batch = 1};
        struct cnn *n;
        assert_int_equal(cnn_new(&n, s, &a, &cfg), 0);
        assert_int_equal(cnn_num_params(n), ref[i].params);
        cnn_free(n);
    }
    space_free(s);
    struct cnn *n;

    /* a few SGD steps on one fixed batch reduce its loss */
    n = build(ALLOPS, 4, 1, 8, 8, &s);
    struct rng *r = rng_new(9);
    cnn_init(n, r);
    float x[8 * 64];
    int y[8];
    for (int i = 0; i < 8 * 64; i++) x[i] = (float)rng_gaussian(r, 1.0);
    for (int i = 0; i < 8; i++) y[i] = i % 10;
    float first = cnn_forward(n, x, y, 8, 1, NULL), last = first;
    for (int it = 0; it < 30; it++) {
        cnn_backward(n);
        cnn_sgd_step(n, 0.05f, 0.9f, 5e-4f, 1);
        last = cnn_forward(n, x, y, 8, 1, NULL);
    }
    assert_true(isfinite(last));
    assert_true(last < 0.5f * first);
    rng_free(r);
    cnn_free(n);
    space_free(s);
}

/* Two trainings with one seed end with the same parameters bit for bit.
 * The batch is large enough that every kernel runs on all OpenMP threads
 * (the tests run with the default thread count: the cores). */
static void train_steps(float *out, size_t np)
{
    struct space *s;
    int B = 20, H = 16;
    struct cnn *n = build(ALLOPS, 8, 1, H, B, &s);
    struct rng *r = rng_new(11);
    cnn_init(n, r);
    float *x = malloc(sizeof *x * (size_t)B * H * H);
    int y[20];
    for (int i = 0; i < B * H * H; i++) x[i] = (float)rng_gaussian(r, 1.0);
    for (int i = 0; i < B; i++) y[i] = i % 10;
    assert_int_equal(cnn_num_params(n), np);
    for (int it = 0; it < 3; it++) {
        assert_true(isfinite(cnn_forward(n, x, y, B, 1, NULL)));
        cnn_backward(n);
        cnn_sgd_step(n, 0.05f, 0.9f, 5e-4f, 1);
    }
    memcpy(out, cnn_params(n), np * sizeof *out);
    free(x);
    rng_free(r);
    cnn_free(n);
    space_free(s);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct space *s;
    struct cnn *n = build(ALLOPS, 8, 1, 16, 1, &s);
    size_t np = cnn_num_params(n);
    cnn_free(n);
    space_free(s);
    float *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
    train_steps(a, np);
    train_steps(b, np);
    assert_memory_equal(a, b, np * sizeof *a);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_params_and_training),
        cmocka_unit_test(test_deterministic),
    };
    /* the whole network with each convolution algorithm (NASW_CONV is read
     * when a network is built) */
    int failed = 0;
    const char *algos[] = {"winograd", "im2col"};
    for (int i = 0; i < 2; i++) {
        setenv("NASW_CONV", algos[i], 1);
        printf("NASW_CONV=%s\n", algos[i]);
        failed += cmocka_run_group_tests(tests, NULL, NULL);
    }
    return failed;
}
