/*
 * surrogate/gp_opt.c - GP hyperparameters by maximum marginal likelihood
 * (GSL multimin, vector BFGS2 with the analytic gradient of gp.c), target
 * standardisation and rank warping, and the model's life cycle.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "surrogate/gp_impl.h"

void gp_default_params(struct gp_params *p)
{
    memset(p, 0, sizeof *p);
    p->kernel = GP_MATERN52;
    p->warp = 1;
    p->restarts = 3;
    p->max_iter = 100;
    p->optimize = 1;
}

const double *gp_theta(const struct gp *g) { return g->theta; }
double gp_log_marginal(const struct gp *g) { return g->lml; }

void gp_free(struct gp *g)
{
    if (!g) return;
    free(g->X);
    free(g->ys);
    free(g->ysorted);
    free(g->L);
    free(g->alpha);
    free(g);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* quantile of the sorted targets at level q (positions (i + 0.5) / n) */
static double quantile(const struct gp *g, double q, double *slope)
{
    double pos = q * g->n - 0.5;
    if (pos <= 0) {
        *slope = 0;
        return g->ysorted[0];
    }
    if (pos >= g->n - 1) {
        *slope = 0;
        return g->ysorted[g->n - 1];
    }
    int i = (int)pos;
    double f = pos - i;
    *slope = (g->ysorted[i + 1] - g->ysorted[i]) * g->n;
    return g->ysorted[i] + f * (g->ysorted[i + 1] - g->ysorted[i]);
}

void gp_untransform(const struct gp *g, double mu, double v, double *mean, double *var)
{
    double z = mu * g->ysd + g->ymean, vz = v * g->ysd * g->ysd;
    if (!g->warp) {
        *mean = z;
        if (var) *var = vz;
        return;
    }
    double slope, q = gsl_cdf_ugaussian_P(z);
    *mean = quantile(g, q, &slope);
    if (var) *var = vz * pow(slope * gsl_ran_ugaussian_pdf(z), 2); /* delta method */
}

struct opt_ctx {
    const struct gp *g;
    int failed;
};

static double f_only(const gsl_vector *x, void *arg)
{
    struct opt_ctx *c = arg;
    double f;
    if (gp_nlml(c->g->X, c->g->ys, c->g->n, c->g->d, c->g->kernel, c->g->ard, x->data, &f, NULL)) return GSL_POSINF;
    return f;
}

static void fdf(const gsl_vector *x, void *arg, double *f, gsl_vector *grad)
{
    struct opt_ctx *c = arg;
    if (gp_nlml(c->g->X, c->g->ys, c->g->n, c->g->d, c->g->kernel, c->g->ard, x->data, f, grad ? grad->data : NULL)) {
        *f = GSL_POSINF;
        if (grad) gsl_vector_set_zero(grad);
        c->failed = 1;
    }
}

static void df(const gsl_vector *x, void *arg, gsl_vector *grad)
{
    double f;
    fdf(x, arg, &f, grad);
}

/* one BFGS run from theta (in place); returns the NLML reached */
static double minimise(struct gp *g, double *theta, int nt, int max_iter)
{
    struct opt_ctx c = {g, 0};
    gsl_multimin_function_fdf fn = {f_only, df, fdf, (size_t)nt, &c};
    gsl_vector_view x = gsl_vector_view_array(theta, (size_t)nt);
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)nt);
    if (!m) return GSL_POSINF;
    gsl_multimin_fdfminimizer_set(m, &fn, &x.vector, 0.1, 0.1);
    for (int it = 0; it < max_iter; it++) {
        if (gsl_multimin_fdfminimizer_iterate(m) != GSL_SUCCESS) break;
        if (gsl_multimin_test_gradient(m->gradient, 1e-4) == GSL_SUCCESS) break;
    }
    double f = m->f;
    /* keep the hyperparameters in a sane box (log scale) */
    for (int i = 0; i < nt; i++) {
        double v = gsl_vector_get(m->x, (size_t)i);
        theta[i] = v < -12 ? -12 : v > 12 ? 12 : v;
    }
    gsl_multimin_fdfminimizer_free(m);
    return f;
}

int gp_fit(struct gp **out, const double *X, const double *y, int n, int d, const struct gp_params *p,
           struct rng *r)
{
    *out = NULL;
    gsl_set_error_handler_off();
    if (n < 2) return nasw_errorf(NASW_EINVAL, "a GP needs at least 2 training points");
    if (d < 1 || d > ARCH_ENC_MAX) return nasw_errorf(NASW_EINVAL, "GP input dimension %d not supported", d);
    struct gp *g = calloc(1, sizeof *g);
    if (!g) return nasw_errorf(NASW_ENOMEM, "out of memory");
    g->n = n;
    g->d = d;
    g->ard = p->ard;
    g->warp = p->warp;
    g->kernel = p->kernel;
    g->X = malloc(sizeof *g->X * (size_t)n * d);
    g->ys = malloc(sizeof *g->ys * (size_t)n);
    g->ysorted = malloc(sizeof *g->ysorted * (size_t)n);
    if (!g->X || !g->ys || !g->ysorted) {
        gp_free(g);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    memcpy(g->X, X, sizeof *g->X * (size_t)n * d);
    memcpy(g->ysorted, y, sizeof *y * (size_t)n);
    qsort(g->ysorted, (size_t)n, sizeof *g->ysorted, cmp_d);
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            gp_free(g);
            return nasw_errorf(NASW_EINVAL, "GP target %d is not finite", i);
        }
        double v = y[i];
        if (g->warp) {
            /* mid-rank among the training targets -> normal quantile */
            int lo = 0, hi = n;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (g->ysorted[mid] < v) lo = mid + 1;
                else hi = mid;
            }
            int first = lo;
            while (hi < n && g->ysorted[hi] == v) hi++;
            v = gsl_cdf_ugaussian_Pinv(((first + hi) / 2.0) / n);
        }
        g->ys[i] = v;
    }
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += g->ys[i] / n;
    for (int i = 0; i < n; i++) s += (g->ys[i] - m) * (g->ys[i] - m) / (n > 1 ? n - 1 : 1);
    g->ymean = m;
    g->ysd = s > 0 ? sqrt(s) : 1;
    for (int i = 0; i < n; i++) g->ys[i] = (g->ys[i] - m) / g->ysd;

    int nt = gp_n_theta(d, p->ard), nl = nt - 2;
    if (!p->optimize && p->theta0) {
        memcpy(g->theta, p->theta0, sizeof *g->theta * (size_t)nt);
    } else {
        double best = GSL_POSINF, cand[ARCH_ENC_MAX + 2];
        for (int rs = 0; rs < (p->restarts > 0 ? p->restarts : 1); rs++) {
            /* first start: unit length scales on one-hot-like inputs; then random */
            for (int i = 0; i < nl; i++) cand[i] = rs == 0 ? log(1.5) : log(0.5 + 4.5 * rng_uniform(r));
            cand[nl] = rs == 0 ? 0 : log(0.3 + 2 * rng_uniform(r));
            cand[nl + 1] = rs == 0 ? log(0.1) : log(0.01 + 0.3 * rng_uniform(r));
            if (rs == 0 && p->theta0) memcpy(cand, p->theta0, sizeof *cand * (size_t)nt); /* warm start */
            double f = minimise(g, cand, nt, p->max_iter);
            if (f < best) {
                best = f;
                memcpy(g->theta, cand, sizeof *cand * (size_t)nt);
            }
        }
        if (!isfinite(best)) {
            gp_free(g);
            return nasw_errorf(NASW_ENUMERIC, "GP hyperparameter optimisation failed");
        }
    }
    double f;
    int st = gp_nlml(g->X, g->ys, n, d, g->kernel, g->ard, g->theta, &f, NULL);
    if (!st) st = gp_model_factor(g);
    if (st) {
        gp_free(g);
        return st;
    }
    g->lml = -f;
    *out = g;
    return NASW_OK;
}
