/*
 * tests/test_zoo.c - the predictor zoo's models: the MLP ensemble
 * (surrogate/mlp.h): every parameter's gradient against central finite
 * differences for both losses, same seed -> same model bit for bit, members
 * that differ, equal targets fitted as a constant, and that it learns a
 * nonlinear target well enough to rank unseen rows.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rng.h"
#include "core/status.h"
#include "stats/stats.h"
#include "surrogate/mlp.h"

/* rows of random inputs in [-1, 1] and an interacting nonlinear target */
static void toy_data(struct rng *r, double *X, double *y, int n, int d)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) X[i * d + j] = 2 * rng_uniform(r) - 1;
        y[i] = X[i * d] * X[i * d + 1] + sin(2 * X[i * d + 2]) + 0.5 * fabs(X[i * d + 3]);
    }
}

static void mlp_gradient_check(enum mlp_loss loss)
{
    struct rng *r = rng_new(5);
    enum { D = 4, B = 6 };
    double X[B * D], y[B], ys[B];
    toy_data(r, X, y, B, D);
    struct mlp_params p;
    mlp_default_params(&p);
    p.layers = 3;
    p.hidden = 5;
    p.ensemble = 2;
    p.epochs = 0;
    p.batch = B;
    p.loss = loss;
    struct mlp *m = NULL;
    assert_int_equal(mlp_fit(&m, X, B, D, y, &p, r), NASW_OK);
    for (int k = 0; k < 2; k++) {
        size_t n;
        double *w = mlp_member_block(m, k, 0, &n), *g = mlp_member_block(m, k, 1, NULL);
        /* larger weights than the initialisation, so that the output moves
         * away from the targets and many ReLUs are active */
        for (size_t i = 0; i < n; i++) w[i] = rng_gaussian(r, 0.8);
        for (int b = 0; b < B; b++) ys[b] = rng_gaussian(r, 1.0);
        memset(g, 0, sizeof *g * n);
        mlp_batch_loss(m, k, X, ys, B, 1);
        int nonzero = 0;
        for (size_t i = 0; i < n; i++) {
            double save = w[i], h = 1e-6 * fmax(1, fabs(save));
            w[i] = save + h;
            double fp = mlp_batch_loss(m, k, X, ys, B, 0);
            w[i] = save - h;
            double fm = mlp_batch_loss(m, k, X, ys, B, 0);
            w[i] = save;
            double fd = (fp - fm) / (2 * h);
            /* rounding of the loss (eps |f| / h) plus the O(h^2) truncation
             * term, both far below this relative bound */
            double tol = 1e-6 * (fabs(fd) + fabs(g[i])) + 1e-8 * fmax(1, fabs(fp));
            if (fabs(fd - g[i]) > tol)
                fail_msg("loss %d member %d parameter %zu of %zu: analytic %.10g, finite difference %.10g", (int)loss,
                         k, i, n, g[i], fd);
            nonzero += g[i] != 0;
        }
        assert_true(nonzero > (int)n / 2);
    }
    mlp_free(m);
    rng_free(r);
}

static void test_mlp_gradient_mse(void **state)
{
    (void)state;
    mlp_gradient_check(MLP_MSE);
}

static void test_mlp_gradient_mae(void **state)
{
    (void)state;
    mlp_gradient_check(MLP_MAE);
}

/* same seed, same predictions bit for bit; members differ; it ranks unseen
 * rows of a nonlinear target far better than chance */
static void test_mlp_learns(void **state)
{
    (void)state;
    enum { N = 300, M = 200, D = 5 };
    double *X = malloc(sizeof *X * (N + M) * D), *y = malloc(sizeof *y * (N + M));
    double mean[2][M], members[3 * M];
    struct rng *r = rng_new(3);
    toy_data(r, X, y, N + M, D);
    struct mlp_params p;
    mlp_default_params(&p);
    p.ensemble = 3;
    p.epochs = 100;
    for (int run = 0; run < 2; run++) {
        rng_seed(r, 17);
        struct mlp *m = NULL;
        assert_int_equal(mlp_fit(&m, X, N, D, y, &p, r), NASW_OK);
        assert_int_equal(mlp_n_members(m), 3);
        assert_int_equal(mlp_predict(m, X + N * D, M, mean[run], members), NASW_OK);
        mlp_free(m);
    }
    assert_memory_equal(mean[0], mean[1], sizeof mean[0]);
    int differ = 0;
    for (int i = 0; i < M; i++) {
        differ += members[i] != members[M + i];
        /* the mean is the members' mean */
        double s = (members[i] + members[M + i] + members[2 * M + i]) / 3;
        assert_true(fabs(s - mean[0][i]) <= 1e-12 * (fabs(s) + 1));
    }
    assert_true(differ > M / 2);
    double tau = stats_kendall(mean[0], y + N, M);
    assert_true(tau > 0.7);
    free(X);
    free(y);
    rng_free(r);
}

static void test_mlp_constant_and_bad(void **state)
{
    (void)state;
    struct rng *r = rng_new(1);
    double X[6] = {0, 1, 2, 3, 4, 5}, y[3] = {7, 7, 7}, out[3], mem[15];
    struct mlp_params p;
    mlp_default_params(&p);
    struct mlp *m = NULL;
    assert_int_equal(mlp_fit(&m, X, 3, 2, y, &p, r), NASW_OK);
    assert_int_equal(mlp_predict(m, X, 3, out, mem), NASW_OK);
    for (int i = 0; i < 3; i++) assert_true(out[i] == 7);
    mlp_free(m);
    y[1] = NAN;
    assert_int_equal(mlp_fit(&m, X, 3, 2, y, &p, r), NASW_ENUMERIC);
    assert_null(m);
    y[1] = 7;
    p.hidden = 0;
    assert_int_equal(mlp_fit(&m, X, 3, 2, y, &p, r), NASW_EINVAL);
    mlp_free(NULL);
    rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_gradient_mse),
        cmocka_unit_test(test_mlp_gradient_mae),
        cmocka_unit_test(test_mlp_learns),
        cmocka_unit_test(test_mlp_constant_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
