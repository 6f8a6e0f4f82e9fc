/*
 * tests/test_nao.c - surrogate/nao (NAO's encoder, predictor and decoder)
 * and the nao strategy: every parameter's gradient of the joint loss
 * against central finite differences, on a cell and a chain space (so the
 * LSTM's conditioning input, surrogate/lstm.c, is checked too); a fitted
 * model reconstructs its training architectures and predicts their order;
 * a step along the predictor's gradient raises the prediction; the same
 * seed gives the same model bit for bit.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "surrogate/nao.h"

static struct space *cell_space(void)
{
    static const char *const ops[] = {"none", "skip_connect", "nor_conv_3x3"};
    struct space *s = NULL;
    assert_int_equal(space_cell_new(&s, 3, ops, 3), NASW_OK);
    return s;
}

static struct space *chain_space(void)
{
    int c[4] = {2, 3, 4, 3};
    struct space *s = NULL;
    assert_int_equal(space_chain_new(&s, 4, c), NASW_OK);
    return s;
}

static struct nao *small(const struct space *s, int E, int H, int P, int B)
{
    struct nao_params p;
    nao_default_params(&p);
    p.embed = E;
    p.hidden = H;
    p.mlp = P;
    p.batch = B;
    struct nao *m = NULL;
    assert_int_equal(nao_new(&m, s, &p), NASW_OK);
    return m;
}

static void gradient_check(struct space *s)
{
    struct rng *r = rng_new(7);
    int B = 5, E = 3, H = 4, P = 5;
    struct nao *m = small(s, E, H, P, B);
    size_t n;
    float *w = nao_block(m, 0, &n), *g = nao_block(m, 1, NULL);
    /* weights larger than the initialisation's, so that gates and ReLUs
     * leave their linear ranges */
    for (size_t i = 0; i < n; i++) w[i] = (float)rng_gaussian(r, 0.7);
    struct arch a[5];
    float ys[5];
    for (int b = 0; b < B; b++) {
        arch_sample(s, r, &a[b]);
        ys[b] = (float)rng_uniform(r);
    }
    memset(g, 0, sizeof(float) * n);
    double loss = nao_batch_loss(m, a, ys, B, 1);
    /* Tolerance: the central difference's truncation error h^2 f'''/6 (f'''
     * of order 1 at these weight scales), plus the float rounding of the
     * loss, which grows like sqrt(N) u |loss| for a reduction of length N
     * (T steps through the recurrences and the heads), amplified by 1/h in
     * the difference quotient, 4x for the two evaluations and their spread;
     * and 1% relative.  An error of a few percent in one path of the
     * backward (e.g. the decoder's conditioning input) exceeds it. */
    const float h = 1e-2f;
    int T = s->n_dims, N = T * (4 * H + E + P + 8);
    double u = FLT_EPSILON / 2, tol_abs = (double)h * h / 6 + 4.0 * sqrt((double)N) * u * fabs(loss) / h;
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        float save = w[i];
        w[i] = save + h;
        double fp = nao_batch_loss(m, a, ys, B, 0);
        w[i] = save - h;
        double fm = nao_batch_loss(m, a, ys, B, 0);
        w[i] = save;
        double fd = (fp - fm) / (2.0 * (double)h);
        if (fabs(fd - g[i]) > tol_abs + 1e-2 * fabs(fd))
            fail_msg("parameter %zu of %zu: analytic %g, finite difference %g (tolerance %g)", i, n, g[i], fd,
                     tol_abs + 1e-2 * fabs(fd));
        checked += fd != 0;
    }
    /* unused tokens and choices have zero gradients; most others not */
    assert_true(checked > (int)n / 2);
    nao_free(m);
    rng_free(r);
}

static void test_gradient_cell(void **state)
{
    (void)state;
    struct space *s = cell_space();
    gradient_check(s);
    space_free(s);
}

static void test_gradient_chain(void **state)
{
    (void)state;
    struct space *s = chain_space();
    gradient_check(s);
    space_free(s);
}

/* y: a separable score of the decisions */
static double target(const struct arch *a)
{
    double y = 0;
    for (int i = 0; i < a->n; i++) y += (i % 2 ? 1.0 : -0.5) * a->d[i];
    return y;
}

static void test_fit_reconstruct_move(void **state)
{
    (void)state;
    struct space *s = chain_space(); /* 72 architectures */
    struct rng *r = rng_new(3);
    struct nao_params p;
    nao_default_params(&p);
    p.epochs = 150;
    p.batch = 16;
    struct nao *m = NULL, *m2 = NULL;
    assert_int_equal(nao_new(&m, s, &p), NASW_OK);
    assert_int_equal(nao_new(&m2, s, &p), NASW_OK);
    int n = 40;
    struct arch a[40];
    double y[40], yh[40];
    struct hashmap seen = {0};
    for (int i = 0; i < n; i++) {
        arch_sample_avoiding(s, r, &seen, 1000, &a[i]);
        assert_int_equal(hashmap_put(&seen, arch_key(s, &a[i]), 1), NASW_OK);
        y[i] = target(&a[i]);
    }
    hashmap_release(&seen);
    struct rng *r1 = rng_new(9), *r2 = rng_new(9);
    assert_int_equal(nao_fit(m, a, y, n, p.epochs, 1, r1), NASW_OK);
    assert_int_equal(nao_fit(m2, a, y, n, p.epochs, 1, r2), NASW_OK);
    size_t nw;
    const float *w1 = nao_block(m, 0, &nw), *w2 = nao_block(m2, 0, NULL);
    for (size_t i = 0; i < nw; i++)
        if (memcmp(&w1[i], &w2[i], sizeof *w1)) fail_msg("same seed, weight %zu of %zu differs: %a vs %a", i, nw, w1[i], w2[i]);
    /* the autoencoder: step 0 decodes most training architectures to themselves */
    int same = 0, up = 0, concordant = 0, pairs = 0;
    for (int i = 0; i < n; i++) {
        struct arch d;
        double pr;
        assert_int_equal(nao_move(m, &a[i], 0.0, &d, &pr), NASW_OK);
        same += arch_equal(&d, &a[i]);
        double pr1;
        assert_int_equal(nao_move(m, &a[i], 0.5, &d, &pr1), NASW_OK);
        up += pr1 >= pr;
    }
    assert_int_equal(nao_predict(m, a, n, yh), NASW_OK);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (y[i] != y[j]) {
                pairs++;
                concordant += (y[i] < y[j]) == (yh[i] < yh[j]);
            }
    print_message("nao: %d/%d reconstructed, %d/%d pairs ordered, %d/%d moves raise the prediction\n", same, n,
                  concordant, pairs, up, n);
    assert_true(same >= n * 9 / 10);
    assert_true(concordant >= pairs * 8 / 10);
    assert_int_equal(up, n); /* a gradient step on a smooth predictor */
    rng_free(r1);
    rng_free(r2);
    nao_free(m);
    nao_free(m2);
    rng_free(r);
    space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_cell),
        cmocka_unit_test(test_gradient_chain),
        cmocka_unit_test(test_fit_reconstruct_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
