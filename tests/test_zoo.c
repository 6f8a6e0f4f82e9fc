/*
 * tests/test_zoo.c - the predictor zoo's models: the MLP ensemble
 * (surrogate/mlp.h): every parameter's gradient against central finite
 * differences for both losses, same seed -> same model bit for bit, members
 * that differ, equal targets fitted as a constant, and that it learns a
 * nonlinear target well enough to rank unseen rows; the GCN (surrogate/
 * gcn.h): its graph of an NB201 cell, its gradient against finite
 * differences, determinism and learning; XGBoost's boosting and forest
 * modes (surrogate/xgb.h): determinism and learning.
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
#include "core/arch.h"
#include "surrogate/gcn.h"
#include "surrogate/mlp.h"
#include "surrogate/xgb.h"

/* rows of random inputs in [-1, 1] and an interacting nonlinear target */
static void toy_data(struct rng *r, double *X, double *y, int n, int d)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) X[i * d + j] = 2 * rng_uniform(r) - 1;
        y[i] = X[i * d] * X[i * d + 1] + sin(2 * X[i * d + 2]) + 0.5 * fabs(X[i * d + 3]);
    }
}

/* every parameter's analytic gradient g (n) against central finite
 * differences of loss(ctx) in w; most gradients must be nonzero.  Rounding
 * of the loss (eps |f| / h) and the O(h^2) truncation term are both far
 * below the relative bound. */
static void fd_check(const char *what, double *w, const double *g, size_t n, double (*loss)(void *), void *ctx)
{
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        double save = w[i], h = 1e-6 * fmax(1, fabs(save));
        w[i] = save + h;
        double fp = loss(ctx);
        w[i] = save - h;
        double fm = loss(ctx);
        w[i] = save;
        double fd = (fp - fm) / (2 * h), tol = 1e-6 * (fabs(fd) + fabs(g[i])) + 1e-8 * fmax(1, fabs(fp));
        if (fabs(fd - g[i]) > tol)
            fail_msg("%s parameter %zu of %zu: analytic %.10g, finite difference %.10g", what, i, n, g[i], fd);
        nonzero += g[i] != 0;
    }
    assert_true(nonzero > (int)n / 2);
}

struct loss_ctx {
    struct mlp *mlp;
    struct gcn *gcn;
    int k, B;
    const double *X, *ys;
};

static double mlp_loss(void *c)
{
    struct loss_ctx *l = c;
    return mlp_batch_loss(l->mlp, l->k, l->X, l->ys, l->B, 0);
}

static double gcn_loss(void *c)
{
    struct loss_ctx *l = c;
    return gcn_batch_loss(l->gcn, l->k, l->X, l->ys, l->B, 0);
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
        struct loss_ctx c = {.mlp = m, .k = k, .B = B, .X = X, .ys = ys};
        fd_check(loss == MLP_MAE ? "mlp (mae)" : "mlp (mse)", w, g, n, mlp_loss, &c);
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

static const char *const ops201[5] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

/* the ops-as-nodes graph of one NB201 cell, by hand */
static void test_gcn_encode(void **state)
{
    (void)state;
    struct space *s = NULL;
    assert_int_equal(space_cell_new(&s, 4, ops201, 5), NASW_OK);
    struct arch a;
    /* edges in string order: 0->1, 0->2, 1->2, 0->3, 1->3, 2->3 */
    assert_int_equal(arch_parse(s, "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|", &a),
                     NASW_OK);
    int N = gcn_nodes(s), F = gcn_features(s);
    assert_int_equal(N, 8);
    assert_int_equal(F, 7);
    double row[8 * 8 + 8 * 7];
    gcn_encode(s, &a, row);
    /* node 0 input, 1..6 the edges, 7 output */
    int edges[][2] = {{0, 1}, {0, 4}, {1, 3}, {3, 6}, {4, 7}, {6, 7}};
    int n_edges = 0;
    for (int u = 0; u < N; u++)
        for (int v = 0; v < N; v++) n_edges += row[u * N + v] != 0;
    assert_int_equal(n_edges, 6);
    for (int e = 0; e < 6; e++) assert_true(row[edges[e][0] * N + edges[e][1]] == 1);
    const double *X = row + N * N;
    assert_true(X[0 * F + 0] == 1 && X[7 * F + 1] == 1);
    assert_true(X[1 * F + 2 + 3] == 1); /* conv3x3 */
    assert_true(X[2 * F + 2 + 0] == 1); /* none: a node without edges */
    space_free(s);
}

/* random NB201 cells and a target that depends on which ops are connected */
static void cells(struct rng *r, const struct space *s, double *X, double *y, int n)
{
    int len = gcn_row_len(s);
    double *path = malloc(sizeof *path * (size_t)space_path_dim(s));
    for (int i = 0; i < n; i++) {
        struct arch a;
        arch_sample(s, r, &a);
        gcn_encode(s, &a, X + (size_t)i * len);
        arch_encode_path(s, &a, path);
        y[i] = 0;
        for (int j = 0; j < space_path_dim(s); j++) y[i] += path[j] * (1 + (j % 5)) * 0.3;
        y[i] = sqrt(y[i]);
    }
    free(path);
}

static void test_gcn_gradient(void **state)
{
    (void)state;
    struct rng *r = rng_new(9);
    struct space *s = NULL;
    assert_int_equal(space_cell_new(&s, 4, ops201, 5), NASW_OK);
    enum { B = 4 };
    int len = gcn_row_len(s);
    double *X = malloc(sizeof *X * (size_t)len * B), y[B], ys[B];
    cells(r, s, X, y, B);
    struct gcn_params p;
    gcn_default_params(&p);
    p.hidden = 4;
    p.layers = 2;
    p.ensemble = 1;
    p.epochs = 0;
    struct gcn *m = NULL;
    assert_int_equal(gcn_fit(&m, X, B, gcn_nodes(s), gcn_features(s), y, &p, r), NASW_OK);
    size_t n;
    double *w = gcn_member_block(m, 0, 0, &n), *g = gcn_member_block(m, 0, 1, NULL);
    for (size_t i = 0; i < n; i++) w[i] = rng_gaussian(r, 0.8);
    for (int b = 0; b < B; b++) ys[b] = rng_gaussian(r, 1.0);
    memset(g, 0, sizeof *g * n);
    gcn_batch_loss(m, 0, X, ys, B, 1);
    struct loss_ctx c = {.gcn = m, .k = 0, .B = B, .X = X, .ys = ys};
    fd_check("gcn", w, g, n, gcn_loss, &c);
    gcn_free(m);
    free(X);
    space_free(s);
    rng_free(r);
}

/* gcn, xgb and rf: same seed, same predictions; each ranks unseen cells */
static void test_models_learn(void **state)
{
    (void)state;
    struct rng *r = rng_new(4);
    struct space *s = NULL;
    assert_int_equal(space_cell_new(&s, 4, ops201, 5), NASW_OK);
    enum { N = 200, M = 100 };
    int len = gcn_row_len(s), od = space_onehot_dim(s);
    double *X = malloc(sizeof *X * (size_t)len * (N + M)), *y = malloc(sizeof *y * (N + M));
    double *oh = malloc(sizeof *oh * (size_t)od * (N + M)), pred[3][2][M];
    cells(r, s, X, y, N + M);
    /* the same cells one-hot for the trees: recover each cell from its graph's op features */
    for (int i = 0; i < N + M; i++) {
        struct arch a = {.n = s->n_dims};
        for (int e = 0; e < s->n_dims; e++)
            for (int o = 0; o < 5; o++)
                if (X[(size_t)i * len + 64 + (1 + e) * 7 + 2 + o] == 1) a.d[e] = (uint16_t)o;
        arch_encode_onehot(s, &a, oh + (size_t)i * od);
    }
    struct gcn_params gp;
    gcn_default_params(&gp);
    gp.epochs = 60;
    gp.ensemble = 2;
    for (int run = 0; run < 2; run++) {
        rng_seed(r, 21);
        struct gcn *g = NULL;
        assert_int_equal(gcn_fit(&g, X, N, gcn_nodes(s), gcn_features(s), y, &gp, r), NASW_OK);
        assert_int_equal(gcn_predict(g, X + (size_t)N * len, M, pred[0][run], NULL), NASW_OK);
        gcn_free(g);
        for (int mode = 0; mode < 2; mode++) {
            struct xgb_params xp;
            xgb_default_params(&xp, mode ? XGB_FOREST : XGB_BOOST);
            struct xgb *x = NULL;
            assert_int_equal(xgb_fit(&x, oh, N, od, y, &xp, r), NASW_OK);
            assert_int_equal(xgb_predict(x, oh + (size_t)N * od, M, pred[1 + mode][run]), NASW_OK);
            xgb_free(x);
        }
    }
    for (int k = 0; k < 3; k++) {
        assert_memory_equal(pred[k][0], pred[k][1], sizeof pred[k][0]);
        double tau = stats_kendall(pred[k][0], y + N, M);
        if (!(tau > 0.5)) fail_msg("model %d: Kendall %.3f on unseen cells", k, tau);
    }
    free(X);
    free(y);
    free(oh);
    space_free(s);
    rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_gradient_mse),
        cmocka_unit_test(test_mlp_gradient_mae),
        cmocka_unit_test(test_mlp_learns),
        cmocka_unit_test(test_mlp_constant_and_bad),
        cmocka_unit_test(test_gcn_encode),
        cmocka_unit_test(test_gcn_gradient),
        cmocka_unit_test(test_models_learn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
