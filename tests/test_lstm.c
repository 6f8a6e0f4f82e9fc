/*
 * tests/test_lstm.c - surrogate/lstm: every parameter's gradient against
 * central finite differences (both input paths: per-token projection table
 * and gathered embeddings), same seed -> same model bit for bit, the token
 * scheme of a cell, the ensemble's spread, and that it learns a target that
 * depends on token order (which an order-blind model cannot rank at all).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "stats/stats.h"
#include "surrogate/lstm.h"

/* A model with random weights (epochs = 0) of the given sizes. */
static struct lstm *small_model(int T, int V, int E, int H, int M, struct rng *r)
{
    struct lstm_params p;
    lstm_default_params(&p);
    p.embed = E;
    p.hidden = H;
    p.epochs = 0;
    p.batch = 8;
    p.ensemble = M;
    double y[1] = {0};
    int *t = calloc((size_t)T, sizeof *t);
    struct lstm *m = NULL;
    assert_int_equal(lstm_fit(&m, t, T, V, y, 1, &p, r), NASW_OK);
    free(t);
    return m;
}

static void gradient_check(int V, int B)
{
    struct rng *r = rng_new(11);
    int T = 4, E = 3, H = 4;
    struct lstm *m = small_model(T, V, E, H, 1, r);
    size_t n;
    float *w = lstm_member_block(m, 0, 0, &n), *g = lstm_member_block(m, 0, 1, NULL);
    /* larger weights than the initialisation, so that the gates are not all
     * in their linear range */
    for (size_t i = 0; i < n; i++) w[i] = (float)rng_gaussian(r, 0.7);
    int tok[64];
    float ys[16];
    for (int i = 0; i < B * T; i++) tok[i] = (int)rng_int(r, (uint64_t)V);
    for (int b = 0; b < B; b++) ys[b] = (float)rng_uniform(r);
    memset(g, 0, sizeof(float) * n);
    lstm_batch_loss(m, 0, tok, ys, B, 1);
    double worst = 0;
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        float save = w[i], h = 1e-2f;
        w[i] = save + h;
        double fp = lstm_batch_loss(m, 0, tok, ys, B, 0);
        w[i] = save - h;
        double fm = lstm_batch_loss(m, 0, tok, ys, B, 0);
        w[i] = save;
        double fd = (fp - fm) / (2.0 * (double)h), err = fabs(fd - g[i]) / (1e-3 + fabs(fd));
        if (err > worst) worst = err;
        if (fabs(fd - g[i]) > 2e-4 + 2e-2 * fabs(fd))
            fail_msg("V %d B %d parameter %zu of %zu: analytic %g, finite difference %g", V, B, i, n, g[i], fd);
        checked += fd != 0;
    }
    /* tokens that never occur have zero embedding gradients; most others not */
    assert_true(checked > (int)n / 2);
    lstm_free(m);
    rng_free(r);
}

static void test_gradient_table(void **state)
{
    (void)state;
    gradient_check(5, 3); /* V <= T*B: per-token projection table */
}

static void test_gradient_gather(void **state)
{
    (void)state;
    gradient_check(20, 3); /* V > T*B: gathered embeddings */
}

static void test_step_matches_forward(void **state)
{
    (void)state;
    struct rng *r = rng_new(2);
    int T = 5, V = 7, E = 6, H = 5, B = 2;
    struct lstm *m = small_model(T, V, E, H, 1, r);
    struct lstm_net L;
    lstm_net_layout(&L, V, E, H, 0);
    const float *w = lstm_member_block(m, 0, 0, NULL);
    int tok[10], col[2];
    for (int i = 0; i < B * T; i++) tok[i] = (int)rng_int(r, (uint64_t)V);
    float *cache = malloc(sizeof(float) * lstm_net_cache_size(&L, B, T));
    float h[10] = {0}, c[10] = {0}, work[2 * (5 * 5 + 6)];
    /* Both paths sum the same E + H + 1 terms per gate (in other orders:
     * other GEMM shapes, other kernels), each bounded by the largest weight
     * times the largest input (embeddings, h in (-1, 1)); gamma(n) of that
     * per step (Higham sec. 3.1), compounded over the T steps with a factor
     * of 4 for the gates' products. */
    double wmax = 0, u = ldexp(1.0, -24), n = E + H + 1;
    for (size_t i = 0; i < L.end; i++) wmax = fmax(wmax, fabs(w[i]));
    double tol = 4.0 * T * (n * u / (1 - n * u)) * n * wmax * fmax(1, wmax);
    lstm_net_forward(&L, w, tok, B, T, cache);
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++) col[b] = tok[b * T + t];
        lstm_net_step(&L, w, col, B, h, c, work);
        const float *ht = lstm_net_hidden(&L, cache, B, T, t);
        for (int k = 0; k < B * H; k++) assert_true(fabs((double)ht[k] - h[k]) <= tol);
    }
    free(cache);
    lstm_free(m);
    rng_free(r);
}

static void test_cell_tokens(void **state)
{
    (void)state;
    struct space *s;
    assert_int_equal(space_cell_new(&s, 4, arch_nb201_ops, 5), NASW_OK);
    assert_int_equal(lstm_seq_len(s), 6);
    assert_int_equal(lstm_vocab(s), 15);
    struct arch a;
    assert_int_equal(arch_parse(s, "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|", &a),
                     NASW_OK);
    int tok[6], want[6] = {0 * 5 + 3, 0 * 5 + 0, 1 * 5 + 1, 0 * 5 + 4, 1 * 5 + 2, 2 * 5 + 0};
    lstm_tokens(s, &a, tok);
    for (int i = 0; i < 6; i++) assert_int_equal(tok[i], want[i]);
    space_free(s);
}

/* y = sum_t (t - (T-1)/2) tok_t: its mean over the orderings of any multiset
 * of tokens is 0, so the best order-blind predictor is a constant (tau 0). */
static double order_target(const int *tok, int T)
{
    double y = 0;
    for (int t = 0; t < T; t++) y += (t - (T - 1) / 2.0) * tok[t];
    return y;
}

static void fit_order(uint64_t seed, int M, double *pred, double *var, double *ytest, int ntest)
{
    struct rng *r = rng_new(seed), *data = rng_new(99);
    enum { T = 6, V = 4, NTRAIN = 300 };
    static int tok[NTRAIN * T], tt[200 * T];
    double y[NTRAIN];
    for (int i = 0; i < NTRAIN; i++) {
        for (int t = 0; t < T; t++) tok[i * T + t] = (int)rng_int(data, V);
        y[i] = order_target(tok + i * T, T);
    }
    for (int i = 0; i < ntest; i++) {
        for (int t = 0; t < T; t++) tt[i * T + t] = (int)rng_int(data, V);
        ytest[i] = order_target(tt + i * T, T);
    }
    struct lstm_params p;
    lstm_default_params(&p);
    p.embed = 8;
    p.hidden = 16;
    p.epochs = 40;
    p.lr = 1e-2;
    p.ensemble = M;
    struct lstm *m;
    assert_int_equal(lstm_fit(&m, tok, T, V, y, NTRAIN, &p, r), NASW_OK);
    assert_int_equal(lstm_predict(m, tt, ntest, pred, var), NASW_OK);
    lstm_free(m);
    rng_free(r);
    rng_free(data);
}

static void test_learns_order(void **state)
{
    (void)state;
    double pred[200], var[200], y[200];
    fit_order(1, 1, pred, var, y, 200);
    double tau = stats_kendall(pred, y, 200);
    print_message("lstm: held-out Kendall tau on an order-dependent target %.3f\n", tau);
    assert_true(tau > 0.7);
    for (int i = 0; i < 200; i++) assert_true(var[i] == 0);
}

static void test_determinism_and_spread(void **state)
{
    (void)state;
    double p1[50], v1[50], p2[50], v2[50], p3[50], v3[50], y[50];
    fit_order(7, 3, p1, v1, y, 50);
    fit_order(7, 3, p2, v2, y, 50);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_memory_equal(v1, v2, sizeof v1);
    fit_order(8, 3, p3, v3, y, 50);
    assert_true(memcmp(p1, p3, sizeof p1) != 0);
    int positive = 0;
    for (int i = 0; i < 50; i++) positive += v1[i] > 0;
    assert_int_equal(positive, 50);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct rng *r = rng_new(1);
    struct lstm_params p;
    lstm_default_params(&p);
    int tok[2] = {0, 3};
    double y[1] = {1}, ynan[1] = {NAN};
    struct lstm *m = NULL;
    assert_int_equal(lstm_fit(&m, tok, 2, 3, y, 1, &p, r), NASW_EINVAL); /* token 3 outside V = 3 */
    assert_null(m);
    tok[1] = 2;
    assert_int_equal(lstm_fit(&m, tok, 2, 3, ynan, 1, &p, r), NASW_EINVAL);
    p.batch = 0;
    assert_int_equal(lstm_fit(&m, tok, 2, 3, y, 1, &p, r), NASW_EINVAL);
    rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_table), cmocka_unit_test(test_gradient_gather),
        cmocka_unit_test(test_step_matches_forward), cmocka_unit_test(test_cell_tokens),
        cmocka_unit_test(test_learns_order), cmocka_unit_test(test_determinism_and_spread),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
