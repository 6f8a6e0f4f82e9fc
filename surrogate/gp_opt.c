/*
 * surrogate/gp_opt.c - GP hyperparameters by maximum marginal likelihood,
 * target standardisation and rank warping, and the model's life cycle.
 *
 * The signal variance is profiled out (its optimum is closed-form, see
 * gp_nlml_profile): BFGS works on the log length scales and log(noise /
 * signal), which removes the ridge between length scale and signal variance
 * that made every start take tens of iterations.  Restarts: the first from
 * fixed values (or the caller's warm start), the others random.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
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
    gp_dist_free(g->dist);
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

/* the profile NLML and its gradient; +inf when the kernel matrix fails */
static double eval(const struct gp *g, const double *x, double *grad)
{
    double f;
    if (gp_nlml_profile_model(g, x, &f, grad, NULL, NULL) || !isfinite(f)) return GSL_POSINF;
    return f;
}

#define BOX_LO (-12.0)      /* log-hyperparameters stay in a sane box */
#define BOX_HI 12.0
#define STEP_MAX 2.0        /* largest step in any log-hyperparameter */

/* One BFGS run from x (k entries, in place); returns the NLML reached.
 * Why not GSL's vector_bfgs2: its Fletcher line search spent 4-6
 * evaluations per iteration here (about 40 per start at n = 1000), each a
 * Cholesky and an inverse of the n x n kernel matrix.  This is the textbook
 * inverse-Hessian BFGS (Nocedal & Wright, alg. 6.1, with the initial scaling
 * of eq. 6.20) with a backtracking Armijo search (quadratic interpolation),
 * steps capped at STEP_MAX in log space and the box by projection: the unit
 * step is accepted almost always, about 1.2 evaluations per iteration. */
static double minimise(const struct gp *g, double *x, int k, int max_iter, double *H, int *scaled)
{
    double *w = malloc(sizeof *w * (size_t)k * 6);
    if (!w) return GSL_POSINF;
    double *gr = w, *xn = gr + k, *gn = xn + k, *p = gn + k, *s = p + k, *y = s + k;
    double f = eval(g, x, gr);
    int flat = 0;
    for (int it = 0; it < max_iter && isfinite(f); it++) {
        double slope = 0, pmax = 0;
        for (int pass = 0; pass < 2; pass++) {
            slope = pmax = 0;
            for (int i = 0; i < k; i++) {
                double v = 0;
                for (int j = 0; j < k; j++) v -= H[(size_t)i * k + j] * gr[j];
                if ((x[i] <= BOX_LO && v < 0) || (x[i] >= BOX_HI && v > 0)) v = 0; /* pinned at the box */
                p[i] = v;
                slope += v * gr[i];
                pmax = fmax(pmax, fabs(v));
            }
            if (slope < 0) break;
            for (int i = 0; i < k * k; i++) H[i] = i % (k + 1) == 0; /* not a descent direction: reset */
            *scaled = 0;
        }
        if (!(slope < 0) || pmax == 0) break;
        double alpha = pmax > STEP_MAX ? STEP_MAX / pmax : 1, fn = GSL_POSINF;
        int ok = 0;
        for (int ls = 0; ls < 30 && !ok; ls++) {
            for (int i = 0; i < k; i++) {
                double v = x[i] + alpha * p[i];
                xn[i] = v < BOX_LO ? BOX_LO : v > BOX_HI ? BOX_HI : v;
            }
            fn = eval(g, xn, gn);
            if (fn <= f + 1e-4 * alpha * slope) {
                ok = 1;
            } else {
                /* minimum of the quadratic through f, slope and fn, kept in [0.1, 0.5] alpha */
                double a = isfinite(fn) ? -slope * alpha * alpha / (2 * (fn - f - slope * alpha)) : 0.1 * alpha;
                alpha = fmin(fmax(a, 0.1 * alpha), 0.5 * alpha);
            }
        }
        if (!ok) break;
        double sy = 0, yy = 0, gmax = 0;
        for (int i = 0; i < k; i++) {
            s[i] = xn[i] - x[i];
            y[i] = gn[i] - gr[i];
            sy += s[i] * y[i];
            yy += y[i] * y[i];
        }
        if (sy > 1e-12 * yy && yy > 0) {
            if (!*scaled) { /* H0 = (s'y / y'y) I before the first update */
                for (int i = 0; i < k * k; i++) H[i] = i % (k + 1) == 0 ? sy / yy : 0;
                *scaled = 1;
            }
            /* H += (1 + y'Hy / s'y) ss' / s'y - (s (Hy)' + (Hy) s') / s'y; p holds Hy */
            double yhy = 0;
            for (int i = 0; i < k; i++) {
                double v = 0;
                for (int j = 0; j < k; j++) v += H[(size_t)i * k + j] * y[j];
                p[i] = v;
                yhy += y[i] * v;
            }
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    H[(size_t)i * k + j] += (1 + yhy / sy) * s[i] * s[j] / sy - (s[i] * p[j] + p[i] * s[j]) / sy;
        }
        double df = f - fn;
        memcpy(x, xn, sizeof *x * (size_t)k);
        memcpy(gr, gn, sizeof *gr * (size_t)k);
        f = fn;
        for (int i = 0; i < k; i++)
            if (!((x[i] <= BOX_LO && gr[i] > 0) || (x[i] >= BOX_HI && gr[i] < 0))) gmax = fmax(gmax, fabs(gr[i]));
        /* converged: a small projected gradient, or two iterations that gain
         * less than a relative 1e-9 (scipy's L-BFGS-B default is 2.2e-9) */
        if (gmax < 1e-6 * fmax(1, fabs(f))) break;
        if (df < 1e-9 * fmax(1, fabs(f))) {
            if (++flat >= 2) break;
        } else {
            flat = 0;
        }
    }
    free(w);
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
    int dst = gp_dist_build(g);
    if (dst) {
        gp_free(g);
        return dst;
    }
    if (!p->optimize && p->theta0) {
        memcpy(g->theta, p->theta0, sizeof *g->theta * (size_t)nt);
    } else {
        double best = GSL_POSINF, cand[ARCH_ENC_MAX + 2];
        /* the BFGS inverse-Hessian estimate carries over from one start to
         * the next: every start still descends from its own point, with the
         * curvature learnt so far */
        int k = nt - 1, scaled = 0;
        double *H = malloc(sizeof *H * (size_t)k * k);
        if (!H) {
            gp_free(g);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        for (int i = 0; i < k * k; i++) H[i] = i % (k + 1) == 0;
        for (int rs = 0; rs < (p->restarts > 0 ? p->restarts : 1); rs++) {
            /* first start: unit length scales on one-hot-like inputs; then random */
            for (int i = 0; i < nl; i++) cand[i] = rs == 0 ? log(1.5) : log(0.5 + 4.5 * rng_uniform(r));
            cand[nl] = rs == 0 ? 0 : log(0.3 + 2 * rng_uniform(r));
            cand[nl + 1] = rs == 0 ? log(0.1) : log(0.01 + 0.3 * rng_uniform(r));
            if (rs == 0 && p->theta0) memcpy(cand, p->theta0, sizeof *cand * (size_t)nt); /* warm start */
            /* optimise phi = (length scales, log sn2/sf2), sf2 in closed form */
            cand[nl] = cand[nl + 1] - cand[nl];
            double f = minimise(g, cand, k, p->max_iter, H, &scaled), sf2;
            if (!isfinite(f) || gp_nlml_profile_model(g, cand, &f, NULL, NULL, &sf2)) continue;
            cand[nl + 1] = cand[nl] + log(sf2);
            cand[nl] = log(sf2);
            if (f < best) {
                best = f;
                memcpy(g->theta, cand, sizeof *cand * (size_t)nt);
            }
        }
        free(H);
        if (!isfinite(best)) {
            gp_free(g);
            return nasw_errorf(NASW_ENUMERIC, "GP hyperparameter optimisation failed");
        }
    }
    int st = gp_model_factor(g); /* also sets g->lml */
    if (st) {
        gp_free(g);
        return st;
    }
    *out = g;
    return NASW_OK;
}
