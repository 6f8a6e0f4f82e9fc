/*
 * tests/test_gp.c - surrogate/gp: the analytic gradient of the negative log
 * marginal likelihood against central finite differences (both kernels,
 * with and without ARD), the same for the likelihood with the signal
 * variance profiled out (continuous and one-hot inputs: the distance lookup
 * table), fitting/prediction on known functions, equal targets (a
 * numeric failure that says so), and the held-out log predictive density
 * against a closed form.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>

#include "core/rng.h"
#include "core/status.h"
#include "surrogate/gp.h"

static void test_nlml_gradient(void **state)
{
    (void)state;
    struct rng *r = rng_new(3);
    int n = 25, d = 4;
    double X[100], y[25];
    for (int i = 0; i < n * d; i++) X[i] = rng_uniform(r);
    for (int i = 0; i < n; i++) y[i] = sin(3 * X[i * d]) + X[i * d + 1] + 0.1 * rng_gaussian(r, 1);
    for (int k = 0; k < 2; k++)
        for (int ard = 0; ard < 2; ard++) {
            int nt = gp_n_theta(d, ard);
            double th[6], g[6], f;
            for (int i = 0; i < nt; i++) th[i] = -0.5 + rng_uniform(r);
            assert_int_equal(gp_nlml(X, y, n, d, (enum gp_kernel)k, ard, th, &f, g), NASW_OK);
            for (int i = 0; i < nt; i++) {
                double h = 1e-5, fp, fm, save = th[i];
                th[i] = save + h;
                gp_nlml(X, y, n, d, (enum gp_kernel)k, ard, th, &fp, NULL);
                th[i] = save - h;
                gp_nlml(X, y, n, d, (enum gp_kernel)k, ard, th, &fm, NULL);
                th[i] = save;
                double fd = (fp - fm) / (2 * h);
                if (fabs(fd - g[i]) > 1e-5 * fmax(1, fabs(fd)))
                    fail_msg("kernel %d ard %d theta %d: analytic %g, finite difference %g", k, ard, i, g[i], fd);
            }
        }
    rng_free(r);
}

static void test_fit_predict(void **state)
{
    (void)state;
    struct rng *r = rng_new(5);
    int n = 40;
    double X[40], y[40];
    for (int i = 0; i < n; i++) {
        X[i] = (double)i / (n - 1) * 6;
        y[i] = sin(X[i]);
    }
    for (int warp = 0; warp < 2; warp++) {
        struct gp_params p;
        gp_default_params(&p);
        p.warp = warp;
        struct gp *g;
        assert_int_equal(gp_fit(&g, X, y, n, 1, &p, r), NASW_OK);
        double xt[3] = {1.05, 3.3, 20.0}, m[3], v[3];
        assert_int_equal(gp_predict(g, xt, 3, m, v), NASW_OK);
        /* interpolates a smooth function between training points */
        assert_true(fabs(m[0] - sin(1.05)) < (warp ? 0.05 : 0.01));
        assert_true(fabs(m[1] - sin(3.3)) < (warp ? 0.05 : 0.01));
        /* far from the data the variance is larger than near it */
        assert_true(v[2] > 10 * v[0]);
        gp_free(g);
    }
    /* a one-hot-like problem with outliers: warping keeps the ranking */
    rng_free(r);
}


/* n points of 6 inputs, continuous (X) and one-hot (Xh: 3 edges x 2
 * choices), and noisy targets y depending on both */
static void profile_data(struct rng *r, int n, double *X, double *Xh, double *y)
{
    int d = 6;
    for (int i = 0; i < n * d; i++) X[i] = rng_uniform(r);
    for (int i = 0; i < n; i++) {
        for (int e = 0; e < 3; e++) {
            int o = (int)rng_int(r, 2);
            Xh[i * d + 2 * e] = o == 0;
            Xh[i * d + 2 * e + 1] = o == 1;
        }
        y[i] = sin(3 * X[i * d]) + Xh[i * d] - 0.5 * Xh[i * d + 3] + 0.1 * rng_gaussian(r, 1);
    }
}

/* The profiled NLML (signal variance in closed form): its gradient against
 * central finite differences, on continuous inputs (every pair its own
 * distance) and on one-hot inputs (distances from a lookup table), and its
 * value against the full NLML at the minimising signal variance. */
/* Equal targets cannot be fitted (the profiled signal variance is 0): a
 * numeric failure that says why, with nothing allocated; fixed
 * hyperparameters still give a model (the constant). */
static void test_equal_targets(void **state)
{
    (void)state;
    struct rng *r = rng_new(3);
    double X[4] = {0, 1, 2, 3}, y[4] = {7, 7, 7, 7};
    for (int warp = 0; warp < 2; warp++) {
        struct gp_params p;
        gp_default_params(&p);
        p.warp = warp;
        struct gp *g = (struct gp *)&p;
        nasw_errclear();
        assert_int_equal(gp_fit(&g, X, y, 4, 1, &p, r), NASW_ENUMERIC);
        assert_null(g);
        assert_string_equal(nasw_errmsg(), "GP hyperparameter optimisation failed: all 4 training targets are equal");
        double theta[3] = {0, 0, log(0.1)}, m;
        p.optimize = 0;
        p.theta0 = theta;
        assert_int_equal(gp_fit(&g, X, y, 4, 1, &p, r), NASW_OK);
        assert_int_equal(gp_predict(g, X, 1, &m, NULL), NASW_OK);
        /* the standardised targets are 0, so the mean is their average:
         * exact up to the rounding of a sum of 4 terms */
        assert_true(fabs(m - 7) <= 4 * DBL_EPSILON * 7);
        gp_free(g);
    }
    /* equal targets whose computed variance is a rounding residue, not 0
     * (n * (v / n) != v): still refused, not fitted to amplified noise */
    const double vals[3] = {5, 0.1, 76};
    double Xn[20], yn[20];
    for (int i = 0; i < 20; i++) Xn[i] = i;
    for (int k = 0; k < 3; k++)
        for (int n = 2; n <= 20; n++) {
            for (int i = 0; i < n; i++) yn[i] = vals[k];
            struct gp_params p;
            gp_default_params(&p);
            p.warp = 0;
            struct gp *g = NULL;
            int st = gp_fit(&g, Xn, yn, n, 1, &p, r);
            if (st != NASW_ENUMERIC) fail_msg("%d targets of %g: status %d", n, vals[k], st);
        }
    rng_free(r);
}

static void test_profile_nlml(void **state)
{
    (void)state;
    struct rng *r = rng_new(11);
    int n = 30, d = 6;
    double X[180], Xh[180], y[30];
    profile_data(r, n, X, Xh, y);
    for (int in = 0; in < 2; in++)
        for (int k = 0; k < 2; k++)
            for (int ard = 0; ard < 2; ard++) {
                const double *x = in ? Xh : X;
                int np = gp_n_theta(d, ard) - 1;
                double phi[8], g[8], f, sf2;
                for (int i = 0; i < np; i++) phi[i] = -0.5 + rng_uniform(r);
                assert_int_equal(gp_nlml_profile(x, y, n, d, (enum gp_kernel)k, ard, phi, &f, g, &sf2), NASW_OK);
                for (int i = 0; i < np; i++) {
                    double h = 1e-5, fp, fm, save = phi[i];
                    phi[i] = save + h;
                    gp_nlml_profile(x, y, n, d, (enum gp_kernel)k, ard, phi, &fp, NULL, NULL);
                    phi[i] = save - h;
                    gp_nlml_profile(x, y, n, d, (enum gp_kernel)k, ard, phi, &fm, NULL, NULL);
                    phi[i] = save;
                    double fd = (fp - fm) / (2 * h);
                    if (fabs(fd - g[i]) > 1e-5 * fmax(1, fabs(fd)))
                        fail_msg("inputs %d kernel %d ard %d phi %d: analytic %g, finite difference %g", in, k, ard, i, g[i],
                                 fd);
                }
                /* NLML(l, log sf2, log(r sf2)) equals the profile, and is larger at any other sf2 */
                double th[9], full, off;
                for (int i = 0; i < np - 1; i++) th[i] = phi[i];
                th[np - 1] = log(sf2);
                th[np] = phi[np - 1] + log(sf2);
                assert_int_equal(gp_nlml(x, y, n, d, (enum gp_kernel)k, ard, th, &full, NULL), NASW_OK);
                assert_true(fabs(full - f) < 1e-9 * fmax(1, fabs(f)));
                th[np - 1] += 0.1;
                th[np] += 0.1;
                gp_nlml(x, y, n, d, (enum gp_kernel)k, ard, th, &off, NULL);
                assert_true(off > f);
            }
    /* one-hot inputs: the isotropic (lookup-table) path agrees with ARD at equal length scales */
    double th1[3] = {0.3, 0.2, -1.0}, tha[8] = {0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2, -1.0}, f1, fa, g1[3], ga[8];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(gp_nlml(Xh, y, n, d, (enum gp_kernel)k, 0, th1, &f1, g1), NASW_OK);
        assert_int_equal(gp_nlml(Xh, y, n, d, (enum gp_kernel)k, 1, tha, &fa, ga), NASW_OK);
        assert_true(fabs(f1 - fa) < 1e-9 * fabs(f1));
        double gs = 0;
        for (int i = 0; i < d; i++) gs += ga[i];
        assert_true(fabs(g1[0] - gs) < 1e-8 * fmax(1, fabs(gs)));
        assert_true(fabs(g1[1] - ga[d]) < 1e-8 * fmax(1, fabs(g1[1])));
        assert_true(fabs(g1[2] - ga[d + 1]) < 1e-8 * fmax(1, fabs(g1[2])));
    }
    rng_free(r);
}

/* The exact Hessian of the profiled NLML (the fit's Newton steps) against
 * central finite differences of its analytic gradient: both kernels,
 * continuous and one-hot inputs, a noise ratio near 1 and one near the
 * lower bound of the search box (where the fits on NAS-Bench-201 end). */
static void test_profile_hessian(void **state)
{
    (void)state;
    struct rng *r = rng_new(13);
    int n = 40, d = 6;
    double X[240], Xh[240], y[40];
    profile_data(r, n, X, Xh, y);
    const double pts[3][2] = {{-0.3, -1.0}, {0.4, -9.0}, {0.9, 0.5}};
    for (int in = 0; in < 2; in++)
        for (int k = 0; k < 2; k++)
            for (int q = 0; q < 3; q++) {
                const double *x = in ? Xh : X;
                double phi[2] = {pts[q][0], pts[q][1]}, f, g[2], H[4];
                assert_int_equal(gp_nlml_profile_hess(x, y, n, d, (enum gp_kernel)k, phi, &f, g, H), NASW_OK);
                double f0;
                assert_int_equal(gp_nlml_profile(x, y, n, d, (enum gp_kernel)k, 0, phi, &f0, NULL, NULL), NASW_OK);
                assert_true(f == f0);
                assert_true(H[1] == H[2]);
                for (int j = 0; j < 2; j++) {
                    double h = 1e-5, gp[2], gm[2], fp, save = phi[j];
                    phi[j] = save + h;
                    gp_nlml_profile(x, y, n, d, (enum gp_kernel)k, 0, phi, &fp, gp, NULL);
                    phi[j] = save - h;
                    gp_nlml_profile(x, y, n, d, (enum gp_kernel)k, 0, phi, &fp, gm, NULL);
                    phi[j] = save;
                    for (int i = 0; i < 2; i++) {
                        double fd = (gp[i] - gm[i]) / (2 * h);
                        if (fabs(fd - H[i * 2 + j]) > 1e-5 * fmax(1, fabs(fd)))
                            fail_msg("inputs %d kernel %d point %d H[%d][%d]: analytic %g, finite difference %g", in, k,
                                     q, i, j, H[i * 2 + j], fd);
                    }
                }
            }
    rng_free(r);
}

/* Predictions come in blocks of test points (one triangular solve each):
 * 300 points at once (blocks of 128 and a remainder) agree with the same
 * points one at a time. */
static void test_predict_blocks(void **state)
{
    (void)state;
    struct rng *r = rng_new(19);
    enum { N = 50, M = 300, D = 3 };
    double X[N * D], y[N], Xt[M * D], m[M], v[M];
    for (int i = 0; i < N * D; i++) X[i] = rng_uniform(r);
    for (int i = 0; i < N; i++) y[i] = sin(4 * X[i * D]) + X[i * D + 1] * X[i * D + 2];
    for (int i = 0; i < M * D; i++) Xt[i] = 1.2 * rng_uniform(r) - 0.1;
    struct gp_params p;
    gp_default_params(&p);
    struct gp *g;
    assert_int_equal(gp_fit(&g, X, y, N, D, &p, r), NASW_OK);
    assert_int_equal(gp_predict(g, Xt, M, m, v), NASW_OK);
    for (int i = 0; i < M; i++) {
        double m1, v1;
        assert_int_equal(gp_predict(g, Xt + i * D, 1, &m1, &v1), NASW_OK);
        if (fabs(m1 - m[i]) > 1e-10 * fmax(1, fabs(m1)) || fabs(v1 - v[i]) > 1e-10 * fmax(1e-6, fabs(v1)))
            fail_msg("point %d: block mean %.15g var %.15g, alone %.15g %.15g", i, m[i], v[i], m1, v1);
    }
    gp_free(g);
    rng_free(r);
}

/* standardised copy of y (as gp_fit does without warping) */
static void standardise(const double *y, double *ys, int n)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += y[i] / n;
    for (int i = 0; i < n; i++) v += (y[i] - m) * (y[i] - m) / (n - 1);
    for (int i = 0; i < n; i++) ys[i] = (y[i] - m) / sqrt(v);
}

/* The isotropic fit (projected Newton, gp_opt.c) ends at the optimum: no
 * point of a fine grid over (log l, log r) has a lower profile NLML, the
 * gradient vanishes there (or, with the noise at its bound, points out of
 * the box), it matches the BFGS fit of the same model (ARD with one input),
 * and the same seed gives the same hyperparameters bit for bit.  Two
 * regimes: noise-free one-hot targets (the noise ends at its bound, as on
 * NAS-Bench-201) and noisy continuous ones (an interior optimum). */
static void test_fit_optimum(void **state)
{
    (void)state;
    struct rng *r = rng_new(17);
    enum { N = 60, E = 4, O = 3 };
    double Xh[N * E * O] = {0}, X1[N], yh[N], y1[N], ys[N];
    for (int i = 0; i < N; i++) {
        double v = 0;
        for (int e = 0; e < E; e++) {
            int o = (int)rng_int(r, O);
            Xh[i * E * O + e * O + o] = 1;
            v += (o == 1) * (e + 1) - 0.5 * (o == 2) * e * e;
        }
        yh[i] = v + 0.3 * v * v;
        X1[i] = 4 * rng_uniform(r);
        y1[i] = sin(2 * X1[i]) + 0.3 * rng_gaussian(r, 1);
    }
    for (int c = 0; c < 2; c++) {
        const double *x = c ? X1 : Xh, *y = c ? y1 : yh;
        int d = c ? 1 : E * O;
        struct gp_params p;
        gp_default_params(&p);
        p.warp = 0;
        struct gp *g, *g2;
        assert_int_equal(gp_fit(&g, x, y, N, d, &p, r), NASW_OK);
        const double *th = gp_theta(g);
        double phi[2] = {th[0], th[2] - th[1]}, f, gr[2];
        standardise(y, ys, N);
        assert_int_equal(gp_nlml_profile(x, ys, N, d, GP_MATERN52, 0, phi, &f, gr, NULL), NASW_OK);
        assert_true(fabs(f + gp_log_marginal(g)) < 1e-9 * fabs(f));
        if (c == 0) {
            assert_true(phi[1] == -12.0 && gr[1] > 0); /* the noise at its bound */
        } else {
            assert_true(phi[1] > -10);
            assert_true(fabs(gr[1]) < 1e-3);
        }
        assert_true(fabs(gr[0]) < 1e-3);
        for (double t = -2; t <= 3; t += 0.05)
            for (double u = -12; u <= 2; u += 0.25) {
                double q[2] = {t, u}, fq;
                if (gp_nlml_profile(x, ys, N, d, GP_MATERN52, 0, q, &fq, NULL, NULL) == NASW_OK && fq < f - 1e-9)
                    fail_msg("case %d: grid (%g, %g) NLML %.12f below the fit's %.12f", c, t, u, fq, f);
            }
        if (c == 1) { /* ARD with one input: the same model, fitted by BFGS */
            p.ard = 1;
            assert_int_equal(gp_fit(&g2, x, y, N, d, &p, r), NASW_OK);
            assert_true(fabs(gp_log_marginal(g2) - gp_log_marginal(g)) < 1e-7 * fabs(f));
            gp_free(g2);
            p.ard = 0;
        }
        gp_free(g);
        /* same seed, same fit */
        struct rng *ra = rng_new(5), *rb = rng_new(5);
        assert_int_equal(gp_fit(&g, x, y, N, d, &p, ra) == NASW_OK && gp_fit(&g2, x, y, N, d, &p, rb) == NASW_OK, 1);
        assert_memory_equal(gp_theta(g), gp_theta(g2), 3 * sizeof(double));
        gp_free(g2);
        gp_free(g);
        rng_free(ra);
        rng_free(rb);
    }
    rng_free(r);
}

/* Held-out log predictive density against the closed form of a two-point
 * GP with fixed hyperparameters; warped GPs have none. */
static void test_log_predictive(void **state)
{
    (void)state;
    struct rng *r = rng_new(2);
    double X[2] = {0, 1}, y[2] = {1, 3}, theta[3] = {0, 0, log(0.25)};
    struct gp_params p;
    gp_default_params(&p);
    p.kernel = GP_RBF;
    p.warp = 0;
    p.optimize = 0;
    p.theta0 = theta;
    struct gp *g;
    assert_int_equal(gp_fit(&g, X, y, 2, 1, &p, r), NASW_OK);
    /* standardised targets -/+ 1/sqrt(2) (mean 2, sd sqrt(2)); K = [1.25 e; e 1.25], e = exp(-1/2) */
    double e = exp(-0.5), a11 = 1.25, det = a11 * a11 - e * e, ys[2] = {-1 / sqrt(2), 1 / sqrt(2)};
    double xt[2] = {0.5, 3}, yt[2] = {2.5, 1.0}, want = 0;
    for (int t = 0; t < 2; t++) {
        double k0 = exp(-0.5 * xt[t] * xt[t]), k1 = exp(-0.5 * (xt[t] - 1) * (xt[t] - 1));
        /* K^-1 = [a11 -e; -e a11] / det */
        double w0 = (a11 * k0 - e * k1) / det, w1 = (-e * k0 + a11 * k1) / det;
        double mu = w0 * ys[0] + w1 * ys[1], v = 1 - (w0 * k0 + w1 * k1) + 0.25;
        double m = 2 + sqrt(2) * mu, s2 = 2 * v;
        want += -0.5 * (log(2 * 3.14159265358979323846 * s2) + (yt[t] - m) * (yt[t] - m) / s2) / 2;
    }
    double lpd;
    assert_int_equal(gp_log_predictive(g, xt, yt, 2, &lpd), NASW_OK);
    if (fabs(lpd - want) > 1e-9 * fmax(1, fabs(want))) fail_msg("lpd %.12f, closed form %.12f", lpd, want);
    gp_free(g);
    p.warp = 1;
    assert_int_equal(gp_fit(&g, X, y, 2, 1, &p, r), NASW_OK);
    assert_int_equal(gp_log_predictive(g, xt, yt, 2, &lpd), NASW_EUNSUPPORTED);
    gp_free(g);
    rng_free(r);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlml_gradient),
        cmocka_unit_test(test_fit_predict),
        cmocka_unit_test(test_equal_targets),
        cmocka_unit_test(test_profile_nlml),
        cmocka_unit_test(test_profile_hessian),
        cmocka_unit_test(test_fit_optimum),
        cmocka_unit_test(test_predict_blocks),
        cmocka_unit_test(test_log_predictive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
