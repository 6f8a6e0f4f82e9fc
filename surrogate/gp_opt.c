/*
 * surrogate/gp_opt.c - GP hyperparameters by maximum marginal likelihood,
 * target standardisation and rank warping, and the model's life cycle.
 *
 * The signal variance is profiled out (its optimum is closed-form, see
 * gp_nlml_profile): the optimiser works on the log length scales and
 * log(noise / signal), which removes the ridge between length scale and
 * signal variance that made every start take tens of iterations.  With one
 * length scale (the default) that is two parameters and newton_iso takes
 * Newton steps with the exact Hessian; with ARD, BFGS (minimise).  Starts:
 * the first from fixed values (or the caller's warm start), the others
 * random, each independent of the others.
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

/* the profile NLML, its gradient (may be NULL) and Hessian (may be NULL);
 * +inf when the kernel matrix fails.  Costs at n = 1000 on one core: the
 * value 10 ms (a Cholesky), with the gradient 30 ms (and the inverse), with
 * the Hessian 70 ms (and one n x n symmetric product). */
static double eval_fgh(const struct gp *g, const double *x, double *grad, double *hess, double *sf2)
{
    double f;
    if (gp_nlml_profile_model(g, x, &f, grad, hess, sf2) || !isfinite(f)) return GSL_POSINF;
    return f;
}

static double eval(const struct gp *g, const double *x, double *grad) { return eval_fgh(g, x, grad, NULL, NULL); }

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

#define TOL_F 1e-10 /* converged: a predicted decrease below TOL_F max(1, |f|) */

/* at a bound of the box with the gradient pointing out of it */
static int pinned(double x, double gr) { return (x <= BOX_LO && gr > 0) || (x >= BOX_HI && gr < 0); }

static double clamp_box(double v) { return v < BOX_LO ? BOX_LO : v > BOX_HI ? BOX_HI : v; }

/* Minimum along x[0] = log l with x[1] fixed, from x[0] where the value f0
 * is known, the slope is g0 (exact, or a model's estimate when g0_exact is
 * 0) and h estimates the curvature (<= 0 or NaN: a capped step).  Successive
 * parabolic interpolation on values only, each a Cholesky (a third of an
 * evaluation with the gradient): the first parabola through f0 and one more
 * value with the exact slope (or else the curvature h), then through the
 * three lowest values; it stops when the parabola predicts a decrease below
 * tol.
 * Why not GSL's Brent minimiser: it needs a bracketing triple before its
 * first step (values the slope and curvature known here make unnecessary)
 * and interleaves golden-section steps.
 * Returns the lowest value (x[0] its point) and the last convex curvature
 * in *curv (NaN when none). */
static double slice_min(const struct gp *g, double *x, double f0, double g0, int g0_exact, double h, double tol,
                        double *curv)
{
    double t[3] = {x[0], 0, 0}, fv[3] = {f0, 0, 0}, xt[2] = {x[0], x[1]};
    int m = 1;
    double s = h > 0 ? -g0 / h : (g0 > 0 ? -STEP_MAX : STEP_MAX);
    if (fabs(s) > STEP_MAX) s = copysign(STEP_MAX, s);
    double tn = clamp_box(x[0] + s);
    *curv = h > 0 ? h : NAN;
    for (int it = 0; it < 20 && tn != t[0]; it++) {
        xt[0] = tn;
        double fn = eval_fgh(g, xt, NULL, NULL, NULL);
        if (!isfinite(fn)) {
            tn = t[0] + 0.3 * (tn - t[0]); /* the kernel matrix failed: back towards the best */
            continue;
        }
        if (m < 3) {
            t[m] = tn;
            fv[m++] = fn;
        } else {
            t[2] = tn; /* replaces the highest */
            fv[2] = fn;
        }
        for (int i = 1; i < m; i++) /* sort by value */
            for (int j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
                double a = fv[j];
                fv[j] = fv[j - 1];
                fv[j - 1] = a;
                a = t[j];
                t[j] = t[j - 1];
                t[j - 1] = a;
            }
        double c, vertex, fpred;
        if (m == 2) { /* through (x0, f0) and the new value, with the slope g0 or the curvature h */
            double ds = tn - x[0], b = g0;
            if (g0_exact || !(h > 0)) {
                c = 2 * (fn - f0 - g0 * ds) / (ds * ds);
            } else {
                c = h;
                b = (fn - f0) / ds - 0.5 * h * ds;
            }
            vertex = x[0] - b / c;
            fpred = f0 - b * b / (2 * c);
        } else { /* through the three lowest: Newton's divided differences */
            double d01 = (fv[1] - fv[0]) / (t[1] - t[0]), d02 = (fv[2] - fv[0]) / (t[2] - t[0]);
            c = 2 * (d02 - d01) / (t[2] - t[1]);
            double slope0 = d01 - 0.5 * c * (t[1] - t[0]); /* at t[0] */
            vertex = t[0] - slope0 / c;
            fpred = fv[0] - slope0 * slope0 / (2 * c);
        }
        if (c > 0 && isfinite(vertex)) {
            *curv = c;
            if (fv[0] - fpred < tol) break;
            tn = vertex;
        } else { /* not convex here: further downhill from the lowest */
            double dir = m == 2 ? (fn < f0 ? tn - x[0] : x[0] - tn) : t[0] - t[m - 1];
            tn = t[0] + dir;
        }
        if (fabs(tn - t[0]) > STEP_MAX) tn = t[0] + copysign(STEP_MAX, tn - t[0]);
        tn = clamp_box(tn);
        if (tn == t[0]) break;
    }
    x[0] = t[0];
    return fv[0];
}

/* One start of the isotropic fit (x = (log l, log r), r = sn2 / sf2): a
 * projected Newton method with the exact Hessian of the profile NLML, the
 * step taken in (log l, r) since the NLML is nearly linear in r as r -> 0
 * (in log r every step would gain only a constant and the bound, where the
 * noise of NAS-Bench-201's table ends up, would take ten steps to reach).
 * Once the noise sits at its bound with its gradient pointing out of the
 * box, the problem is one-dimensional: slice_min along log l, then the
 * gradient once to check the bound still holds and to test convergence.
 * Returns the NLML reached and, in *sf2, the signal variance there. */
static double newton_iso(const struct gp *g, double *x, int max_iter, double *sf2)
{
    double gr[2], H[4], xn[2], hn[4], gn[2], sf2n;
    double f = eval_fgh(g, x, gr, H, sf2), curv = NAN;
    int have_h = 1;
    for (int it = 0; it < max_iter && isfinite(f); it++) {
        double tol = TOL_F * fmax(1, fabs(f));
        int pt = pinned(x[0], gr[0]), pu = pinned(x[1], gr[1]);
        if (pt && pu) break;
        if (pu) { /* the noise at its bound: along log l only */
            double h = have_h ? H[0] : curv;
            if (h > 0 && gr[0] * gr[0] / (2 * h) < tol) break;
            xn[0] = x[0];
            xn[1] = x[1];
            double fs = slice_min(g, xn, f, gr[0], 1, h, tol, &curv);
            if (!(fs < f)) break;
            x[0] = xn[0];
            f = eval_fgh(g, x, gr, NULL, sf2);
            have_h = 0;
            continue;
        }
        if (!have_h) {
            f = eval_fgh(g, x, gr, H, sf2);
            have_h = 1;
            continue;
        }
        /* Newton step in z = (t, r) on the free coordinates; negative
         * curvature directions are flipped (|eigenvalue|) */
        double r = exp(x[1]), gz[2] = {gr[0], gr[1] / r};
        double a = H[0], b = H[1] / r, c = (H[3] - gr[1]) / (r * r), p[2] = {0, 0};
        if (pt) {
            p[1] = -gz[1] / fmax(fabs(c), 1e-12);
        } else {
            double mid = 0.5 * (a + c), rad = hypot(0.5 * (a - c), b), l1 = mid + rad, l2 = mid - rad;
            double v1[2] = {1, 0}, v2[2] = {0, 1}; /* eigenvectors of [a b; b c] */
            if (rad > 0) {
                double th = 0.5 * atan2(2 * b, a - c);
                v1[0] = cos(th);
                v1[1] = sin(th);
                v2[0] = -v1[1];
                v2[1] = v1[0];
            }
            double lmin = 1e-10 * fmax(fabs(l1), fabs(l2)) + 1e-300;
            double c1 = (v1[0] * gz[0] + v1[1] * gz[1]) / fmax(fabs(l1), lmin);
            double c2 = (v2[0] * gz[0] + v2[1] * gz[1]) / fmax(fabs(l2), lmin);
            p[0] = -(c1 * v1[0] + c2 * v2[0]);
            p[1] = -(c1 * v1[1] + c2 * v2[1]);
        }
        if (pu) p[1] = 0;
        double scale = 1;
        if (fabs(p[0]) > STEP_MAX) scale = STEP_MAX / fabs(p[0]);
        if (r + scale * p[1] > r * exp(STEP_MAX)) scale = r * (exp(STEP_MAX) - 1) / p[1];
        p[0] *= scale;
        p[1] *= scale;
        if (-0.5 * (gz[0] * p[0] + gz[1] * p[1]) < tol) break; /* the model's decrease: converged */
        double alpha = 1, fn = GSL_POSINF, dec = 0;
        int ok = 0, full = 0;
        for (int ls = 0; ls < 30 && !ok; ls++) {
            xn[0] = clamp_box(x[0] + alpha * p[0]);
            double rn = r + alpha * p[1];
            xn[1] = rn <= exp(BOX_LO) ? BOX_LO : clamp_box(log(rn));
            rn = exp(xn[1]);
            dec = gz[0] * (xn[0] - x[0]) + gz[1] * (rn - r);
            if (!(dec < 0)) break;
            /* at the noise bound the value decides; inside, the next Newton step needs the Hessian */
            full = xn[1] > BOX_LO;
            fn = full ? eval_fgh(g, xn, gn, hn, &sf2n) : eval_fgh(g, xn, NULL, NULL, NULL);
            if (fn <= f + 1e-4 * dec) {
                ok = 1;
            } else {
                double q = isfinite(fn) ? -dec * alpha / (2 * (fn - f - dec)) : 0.1 * alpha;
                alpha = fmin(fmax(q, 0.1 * alpha), 0.5 * alpha);
            }
        }
        if (!ok) break;
        double df = f - fn;
        curv = a;
        if (full) {
            x[0] = xn[0];
            x[1] = xn[1];
            f = fn;
            *sf2 = sf2n;
            memcpy(gr, gn, sizeof gr);
            memcpy(H, hn, sizeof H);
            if (df < tol) break;
            continue;
        }
        /* the step put the noise at its bound: straight on along log l from
         * the model's slope there, then the gradient (is the noise still
         * pinned? converged?) */
        double slope = gz[0] + a * (xn[0] - x[0]) + b * (exp(xn[1]) - r);
        x[0] = xn[0];
        x[1] = xn[1];
        f = slice_min(g, x, fn, slope, 0, a, tol, &curv);
        f = eval_fgh(g, x, gr, NULL, sf2);
        have_h = 0;
    }
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
    /* equal targets leave nothing to fit: the profiled signal variance is 0
     * at every start, so say why rather than "optimisation failed".  Tested
     * on the targets themselves: their computed variance can be a rounding
     * residue (5 five times over 11 points), which standardising would
     * blow up into unit-variance noise. */
    int equal = 1;
    for (int i = 1; i < n && equal; i++) equal = y[i] == y[0];
    if (equal && (p->optimize || !p->theta0)) {
        gp_free(g);
        return nasw_errorf(NASW_ENUMERIC, "GP hyperparameter optimisation failed: all %d training targets are equal",
                           n);
    }
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
        /* the starts are independent (as scikit-learn's restarts): each
         * from its own point with nothing carried over */
        int k = nt - 1, scaled = 0;
        double *H = malloc(sizeof *H * (size_t)k * k);
        if (!H) {
            gp_free(g);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        for (int rs = 0; rs < (p->restarts > 0 ? p->restarts : 1); rs++) {
            /* first start: unit length scales on one-hot-like inputs; then random */
            for (int i = 0; i < nl; i++) cand[i] = rs == 0 ? log(1.5) : log(0.5 + 4.5 * rng_uniform(r));
            cand[nl] = rs == 0 ? 0 : log(0.3 + 2 * rng_uniform(r));
            cand[nl + 1] = rs == 0 ? log(0.1) : log(0.01 + 0.3 * rng_uniform(r));
            if (rs == 0 && p->theta0) memcpy(cand, p->theta0, sizeof *cand * (size_t)nt); /* warm start */
            /* optimise phi = (length scales, log sn2/sf2), sf2 in closed form */
            cand[nl] = cand[nl + 1] - cand[nl];
            for (int i = 0; i < k * k; i++) H[i] = i % (k + 1) == 0;
            scaled = 0;
            for (int i = 0; i < k; i++) cand[i] = clamp_box(cand[i]);
            double f, sf2 = NAN;
            if (nl == 1 && g->dist) {
                f = newton_iso(g, cand, p->max_iter, &sf2); /* sf2 from its last evaluation, at cand */
            } else {
                f = minimise(g, cand, k, p->max_iter, H, &scaled);
                if (isfinite(f) && gp_nlml_profile_model(g, cand, &f, NULL, NULL, &sf2)) continue;
            }
            if (!isfinite(f) || !(sf2 > 0)) continue;
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
