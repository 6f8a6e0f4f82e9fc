/*
 * tests/test_gp.c - surrogate/gp: the analytic gradient of the negative log
 * marginal likelihood against central finite differences (both kernels,
 * with and without ARD), and fitting/prediction on known functions.
 */
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

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nlml_gradient),
        cmocka_unit_test(test_fit_predict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
