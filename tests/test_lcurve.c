/*
 * tests/test_lcurve.c - surrogate/lcurve: the analytic Jacobian of every
 * curve family against central finite differences, the least-squares
 * solver on NIST StRD certified problems (BoxBOD, Misra1a; data and
 * certified values from https://www.itl.nist.gov/div898/strd/nls/), every
 * family recovered from a synthetic curve with known parameters, the
 * paper's constraints, and the MCMC: determinism for the seed and
 * P(improvement) on clear-cut cases, for accuracies and for losses; the
 * model across curves: its prefix features on a line, and held-out curves
 * predicted far better than by their last value; the MCMC's 90% band on
 * synthetic curves with known noise (it must carry the noise term); the
 * split-conformal offsets: their ranks, the leave-one-curve-out version
 * never reading the curve's own residual, coverage on fresh draws.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "core/rng.h"
#include "core/status.h"
#include "surrogate/lcurve.h"
#include "surrogate/lcurve_model.h"

/* true parameters in the normalised space (u = acc / 100) */
static const double truth[LC_N_FAMILIES][LCURVE_MAX_PARAMS] = {
    [LC_VAPOR] = {-0.2, -1.0, 0.02},
    [LC_ILOG2] = {0.9, 0.3},
    [LC_WEIBULL] = {0.9, 0.2, 0.05, 1.2},
    [LC_POW3] = {0.9, 0.6, 0.7},
    [LC_POW4] = {0.92, 0.5, 1.0, 0.8},
    [LC_LOGLOG] = {0.15, 1.3},
    [LC_MMF] = {0.9, 0.1, 0.1, 1.5},
    [LC_JANOSCHEK] = {0.9, 0.1, 0.05, 1.1},
    [LC_HILL3] = {0.9, 1.3, 5.0},
    [LC_LOGPOWER] = {0.92, 1.5, -1.2},
    [LC_EXP4] = {0.9, 0.3, 0.6, -0.2},
};

static void test_jacobians(void **state)
{
    (void)state;
    struct rng *r = rng_new(11);
    for (int f = 0; f < LC_N_FAMILIES; f++) {
        int p = lcurve_family_n_params(f);
        assert_true(p >= 2 && p <= LCURVE_MAX_PARAMS);
        assert_int_equal(lcurve_family_index(lcurve_family_name(f)), f);
        for (int trial = 0; trial < 5; trial++) {
            double th[LCURVE_MAX_PARAMS], g[LCURVE_MAX_PARAMS];
            for (int j = 0; j < p; j++) th[j] = truth[f][j] * (1 + 0.2 * (rng_uniform(r) - 0.5));
            double x = 1 + 60 * rng_uniform(r);
            double v = lcurve_family_eval(f, th, x, g);
            assert_true(isfinite(v));
            for (int j = 0; j < p; j++) {
                double h = 1e-6 * fmax(1, fabs(th[j])), s = th[j];
                th[j] = s + h;
                double fp = lcurve_family_eval(f, th, x, NULL);
                th[j] = s - h;
                double fm = lcurve_family_eval(f, th, x, NULL);
                th[j] = s;
                double fd = (fp - fm) / (2 * h);
                if (fabs(fd - g[j]) > 1e-6 * fmax(1, fabs(fd)))
                    fail_msg("%s d/d%d at x=%g: analytic %g, finite difference %g", lcurve_family_name(f), j, x, g[j], fd);
            }
        }
    }
    assert_int_equal(lcurve_family_index("nope"), -1);
    rng_free(r);
}

/* y = b1 (1 - exp(-b2 x)): the model of both BoxBOD and Misra1a */
static double expmodel(const double *b, double x, double *g, void *ctx)
{
    (void)ctx;
    double e = exp(-b[1] * x);
    if (g) g[0] = 1 - e, g[1] = b[0] * x * e;
    return b[0] * (1 - e);
}

static void check_nist(const char *name, const double *x, const double *y, int n, const double *start,
                       const double *cert, double cert_rss)
{
    double th[2] = {start[0], start[1]}, ss, cov[4];
    assert_int_equal(lcurve_nls(expmodel, NULL, 2, x, y, NULL, n, 500, th, &ss, cov), NASW_OK);
    for (int j = 0; j < 2; j++)
        if (fabs(th[j] - cert[j]) > 1e-6 * fabs(cert[j]))
            fail_msg("%s b%d = %.10g, certified %.10g", name, j + 1, th[j], cert[j]);
    if (fabs(ss - cert_rss) > 1e-6 * cert_rss) fail_msg("%s RSS %.10g, certified %.10g", name, ss, cert_rss);
    assert_true(cov[0] > 0 && cov[3] > 0);
}

static void test_nist(void **state)
{
    (void)state;
    /* BoxBOD (higher difficulty), start 2 */
    static const double bx[6] = {1, 2, 3, 5, 7, 10}, by[6] = {109, 149, 149, 191, 213, 224};
    static const double bs[2] = {100, 0.75}, bc[2] = {2.1380940889E+02, 5.4723748542E-01};
    check_nist("BoxBOD", bx, by, 6, bs, bc, 1.1680088766E+03);
    /* Misra1a (lower difficulty), starts 1 and 2 */
    static const double mx[14] = {77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8,
                                  378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0};
    static const double my[14] = {10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02,
                                  44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78};
    static const double ms1[2] = {500, 1e-4}, ms2[2] = {250, 5e-4}, mc[2] = {2.3894212918E+02, 5.5015643181E-04};
    check_nist("Misra1a start 1", mx, my, 14, ms1, mc, 1.2455138894E-01);
    check_nist("Misra1a start 2", mx, my, 14, ms2, mc, 1.2455138894E-01);
    /* too few points is an error, not a crash */
    double th[2] = {1, 1};
    assert_int_equal(lcurve_nls(expmodel, NULL, 2, bx, by, NULL, 1, 10, th, NULL, NULL), NASW_EINVAL);
}

static void test_synthetic_families(void **state)
{
    (void)state;
    struct rng *r = rng_new(7);
    struct lcurve_opts o;
    lcurve_default_opts(&o);
    enum { N = 50, T = 200 };
    for (int f = 0; f < LC_N_FAMILIES; f++) {
        double y[N];
        for (int i = 0; i < N; i++) y[i] = 100 * lcurve_family_eval(f, truth[f], i + 1, NULL);
        double want = 100 * lcurve_family_eval(f, truth[f], T, NULL);
        struct lcurve_fit fit;
        assert_int_equal(lcurve_fit_family(f, y, N, T, 1, 0, 100, &o, r, &fit), NASW_OK);
        if (!fit.ok) fail_msg("%s: no valid fit", lcurve_family_name(f));
        if (fit.wsse > 1e-8) fail_msg("%s: residual %g", lcurve_family_name(f), fit.wsse);
        if (fabs(fit.mean - want) > 0.2)
            fail_msg("%s: epoch %d predicted %.4f, true %.4f", lcurve_family_name(f), T, fit.mean, want);
    }
    rng_free(r);
}

static void test_constraints(void **state)
{
    (void)state;
    struct rng *r = rng_new(3);
    struct lcurve_opts o;
    lcurve_default_opts(&o);
    /* a steep line heading past 100: no fit may predict above 100 */
    double y[20];
    for (int i = 0; i < 20; i++) y[i] = 40 + 3 * i;
    struct lcurve_fit fits[LC_N_FAMILIES], ens;
    double w[LC_N_FAMILIES], sw = 0;
    assert_int_equal(lcurve_fit_ensemble(y, 20, 200, 1, 0, 100, &o, r, fits, w, &ens), NASW_OK);
    for (int f = 0; f < LC_N_FAMILIES; f++) {
        sw += w[f];
        if (fits[f].ok) assert_true(fits[f].mean <= 100 + 1e-6);
        else assert_true(w[f] == 0);
    }
    assert_true(fabs(sw - 1) < 1e-12);
    assert_true(ens.mean <= 100 + 1e-6 && ens.mean >= y[19] - 1);
    /* bad arguments */
    assert_int_equal(lcurve_fit_ensemble(y, 20, 20, 1, 0, 100, &o, r, fits, w, &ens), NASW_EINVAL);
    assert_int_equal(lcurve_fit_ensemble(y, 1, 200, 1, 0, 100, &o, r, fits, w, &ens), NASW_EINVAL);
    y[3] = NAN;
    assert_int_equal(lcurve_fit_ensemble(y, 20, 200, 1, 0, 100, &o, r, fits, w, &ens), NASW_EINVAL);
    rng_free(r);
}

static void test_mcmc(void **state)
{
    (void)state;
    enum { N = 20, T = 200 };
    double y[N], loss[N];
    struct rng *g = rng_new(99);
    for (int i = 0; i < N; i++) {
        y[i] = 100 * lcurve_family_eval(LC_POW3, truth[LC_POW3], i + 1, NULL) + rng_gaussian(g, 0.5);
        loss[i] = 0.3 + 2.0 * pow(i + 1, -0.6) + rng_gaussian(g, 0.01);
    }
    rng_free(g);
    double want = 100 * lcurve_family_eval(LC_POW3, truth[LC_POW3], T, NULL);
    struct lcurve_opts o;
    lcurve_default_opts(&o);
    struct lcurve_post a, b;
    struct rng *r1 = rng_new(5), *r2 = rng_new(5);
    assert_int_equal(lcurve_mcmc(y, N, T, 80, 1, 0, 100, &o, r1, &a), NASW_OK);
    assert_int_equal(lcurve_mcmc(y, N, T, 80, 1, 0, 100, &o, r2, &b), NASW_OK);
    assert_memory_equal(&a, &b, sizeof a);   /* same seed, same result bit for bit */
    assert_int_equal(a.n_samples, o.samples);
    assert_true(a.n_families >= 5);
    assert_true(a.accept > 0.05 && a.accept < 0.9);
    assert_true(a.q05 < a.mean && a.mean < a.q95 && a.sd > 0);
    assert_true(a.q95 <= 100 + 4 * a.sd);
    if (fabs(a.mean - want) > 5) fail_msg("mcmc mean %.3f, true %.3f", a.mean, want);
    double p;
    assert_int_equal(lcurve_prob_improve(y, N, T, y[N - 1] - 30, 1, 0, 100, r1, &p), NASW_OK);
    assert_true(p > 0.99);
    assert_int_equal(lcurve_prob_improve(y, N, T, 99.9, 1, 0, 100, r1, &p), NASW_OK);
    assert_true(p < 0.01);
    /* a loss: lower is better, range [0, inf) */
    assert_int_equal(lcurve_prob_improve(loss, N, T, 0.05, 0, 0, NAN, r1, &p), NASW_OK);
    assert_true(p < 0.05);
    assert_int_equal(lcurve_prob_improve(loss, N, T, loss[N - 1] + 0.3, 0, 0, NAN, r1, &p), NASW_OK);
    assert_true(p > 0.95);
    assert_int_equal(lcurve_mcmc(loss, N, T, NAN, 0, 0, NAN, &o, r1, &a), NASW_OK);
    assert_true(a.mean < loss[N - 1] && a.mean > 0.1);
    assert_true(isnan(a.p_improve));
    /* errors */
    assert_int_equal(lcurve_prob_improve(y, N, N, 50, 1, 0, 100, r1, &p), NASW_EINVAL);
    assert_int_equal(lcurve_prob_improve(y, N, T, NAN, 1, 0, 100, r1, &p), NASW_EINVAL);
    rng_free(r1);
    rng_free(r2);
}

static void test_model(void **state)
{
    (void)state;
    double f[LCURVE_N_FEATURES], line[8];
    for (int i = 0; i < 8; i++) line[i] = 3 + 2 * i;
    lcurve_prefix_features(line, 8, f);
    assert_true(f[0] == 17 && f[3] == 9 && f[4] == 3 && f[5] == 17);
    assert_true(fabs(f[1] - 16) < 1e-12 && fabs(f[2] - 2) < 1e-12);
    /* pow3 curves whose asymptote depends on a 2-bit "architecture" */
    enum { N = 60, K = 10, E = 100, D = 2 };
    struct rng *r = rng_new(21);
    double Y[N * K], A[N * D], fin[N];
    for (int i = 0; i < N; i++) {
        A[i * D] = (double)(i % 2), A[i * D + 1] = (double)(i / 2 % 2);
        double th[3] = {0.7 + 0.1 * A[i * D] + 0.05 * A[i * D + 1] + 0.02 * rng_gaussian(r, 1), 0.5 + 0.1 * rng_uniform(r),
                        0.5 + 0.3 * rng_uniform(r)};
        for (int e = 0; e < K; e++) Y[i * K + e] = 100 * lcurve_family_eval(LC_POW3, th, e + 1, NULL) + rng_gaussian(r, 0.2);
        fin[i] = 100 * lcurve_family_eval(LC_POW3, th, E, NULL);
    }
    struct lcurve_model_params p;
    lcurve_model_default_params(&p);
    struct lcurve_model *mo;
    assert_int_equal(lcurve_model_fit(&mo, Y, K, A, D, fin, 50, &p, r), NASW_OK);
    double mean[10], var[10], mae = 0, mae_last = 0;
    assert_int_equal(lcurve_model_predict(mo, Y + 50 * K, A + 50 * D, 10, mean, var), NASW_OK);
    for (int i = 0; i < 10; i++) {
        assert_true(var[i] > 0);
        mae += fabs(mean[i] - fin[50 + i]) / 10;
        mae_last += fabs(Y[(50 + i) * K + K - 1] - fin[50 + i]) / 10;
    }
    if (!(mae < 0.2 * mae_last)) fail_msg("model MAE %.3f, last value's %.3f", mae, mae_last);
    lcurve_model_free(mo);
    assert_int_equal(lcurve_model_fit(&mo, Y, K, A, D, fin, 2, &p, r), NASW_EINVAL);
    assert_null(mo);
    lcurve_model_free(NULL);
    rng_free(r);
}

/* pow3 curves with Gaussian noise of known sd: the MCMC's 90% predictive
 * band of the noisy value at epoch 60 from 20 epochs must cover most of
 * them and be at least as wide as the noise alone (0.95 * 2 * 1.645 sd);
 * without the noise term it is about 2.9 wide here, with it about 4.4. */
static void test_mcmc_coverage(void **state)
{
    (void)state;
    enum { C = 60, K = 20, T = 60 };
    const double sig = 1.0;
    struct rng *g = rng_new(3);
    struct lcurve_opts o;
    lcurve_default_opts(&o);
    int cov = 0;
    double width = 0;
    for (int c = 0; c < C; c++) {
        double th[3] = {0.75 + 0.1 * rng_uniform(g), 0.4 + 0.2 * rng_uniform(g), 0.4 + 0.4 * rng_uniform(g)}, y[K];
        for (int i = 0; i < K; i++) y[i] = 100 * lcurve_family_eval(LC_POW3, th, i + 1, NULL) + rng_gaussian(g, sig);
        double t = 100 * lcurve_family_eval(LC_POW3, th, T, NULL) + rng_gaussian(g, sig);
        struct lcurve_post P;
        assert_int_equal(lcurve_mcmc(y, K, T, NAN, 1, 0, 100, &o, g, &P), NASW_OK);
        cov += t >= P.q05 && t <= P.q95;
        width += (P.q95 - P.q05) / C;
    }
    rng_free(g);
    if (cov < 0.7 * C) fail_msg("MCMC 90%% band covers %d of %d noisy curves", cov, C);
    if (width < 0.95 * 2 * 1.6448536 * sig) fail_msg("MCMC 90%% band %.3f wide, narrower than the noise", width);
}

static void test_conformal(void **state)
{
    (void)state;
    double r[19], lo, med, hi;
    for (int i = 0; i < 19; i++) r[i] = 19 - i;   /* 19 .. 1, unsorted order on purpose */
    /* n = 19, alpha = 0.1: ranks floor(0.05 * 20) = 1 and ceil(0.95 * 20) = 19 */
    assert_int_equal(lcurve_conformal(r, 19, 0.1, &lo, &med, &hi), NASW_OK);
    assert_true(lo == 1 && hi == 19 && med == 10);
    /* alpha = 0.5: ranks 5 and 15 */
    assert_int_equal(lcurve_conformal(r, 19, 0.5, &lo, &med, &hi), NASW_OK);
    assert_true(lo == 5 && hi == 15);
    /* too few curves for the level: unbounded */
    assert_int_equal(lcurve_conformal(r, 5, 0.1, &lo, &med, &hi), NASW_OK);
    assert_true(isinf(lo) && lo < 0 && isinf(hi) && hi > 0 && med == 17);
    assert_int_equal(lcurve_conformal(r, 0, 0.1, &lo, &med, &hi), NASW_EINVAL);
    assert_int_equal(lcurve_conformal(r, 19, 0, &lo, &med, &hi), NASW_EINVAL);
    assert_int_equal(lcurve_conformal(r, 19, 1, &lo, &med, &hi), NASW_EINVAL);
    r[4] = NAN;
    assert_int_equal(lcurve_conformal(r, 19, 0.1, &lo, &med, &hi), NASW_EINVAL);

    /* leave one curve out: equal to the calibration on the others, and
     * blind to the curve's own residual */
    enum { N = 200, M = 4000 };
    struct rng *g = rng_new(11);
    double *res = malloc(sizeof *res * N * 5), *L = res + N, *D = L + N, *H = D + N, *tmp = H + N;
    assert_non_null(res);
    for (int i = 0; i < N; i++) res[i] = exp(rng_gaussian(g, 1)) - 4;   /* skewed, biased */
    assert_int_equal(lcurve_conformal_loo(res, N, 0.1, L, D, H), NASW_OK);
    for (int i = 0; i < N; i += 17) {
        int m = 0;
        for (int j = 0; j < N; j++)
            if (j != i) tmp[m++] = res[j];
        assert_int_equal(lcurve_conformal(tmp, N - 1, 0.1, &lo, &med, &hi), NASW_OK);
        assert_true(lo == L[i] && med == D[i] && hi == H[i]);
        double keep = res[i], l2[N], d2[N], h2[N];
        res[i] = 1e6;   /* the curve's own final changes: its band does not */
        assert_int_equal(lcurve_conformal_loo(res, N, 0.1, l2, d2, h2), NASW_OK);
        assert_true(l2[i] == L[i] && d2[i] == D[i] && h2[i] == H[i]);
        res[i] = keep;
    }
    assert_int_equal(lcurve_conformal_loo(res, 1, 0.1, L, D, H), NASW_EINVAL);
    /* coverage of fresh draws from the same distribution: 90% within
     * sampling error (calibration on 200, 4000 test draws), each tail near 5% */
    assert_int_equal(lcurve_conformal(res, N, 0.1, &lo, &med, &hi), NASW_OK);
    int in = 0, below = 0;
    for (int t = 0; t < M; t++) {
        double v = exp(rng_gaussian(g, 1)) - 4;
        in += v >= lo && v <= hi;
        below += v < lo;
    }
    rng_free(g);
    free(res);
    if (in < 0.85 * M || in > 0.95 * M) fail_msg("conformal band covers %d of %d", in, M);
    if (below < 0.02 * M || below > 0.08 * M) fail_msg("conformal lower tail %d of %d", below, M);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jacobians),
        cmocka_unit_test(test_nist),
        cmocka_unit_test(test_synthetic_families),
        cmocka_unit_test(test_constraints),
        cmocka_unit_test(test_mcmc),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_mcmc_coverage),
        cmocka_unit_test(test_conformal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
