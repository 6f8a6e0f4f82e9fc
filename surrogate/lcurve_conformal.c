/*
 * surrogate/lcurve_conformal.c - split-conformal calibration of a curve
 * extrapolator's interval from held-out curves (Vovk, Gammerman & Shafer,
 * "Algorithmic learning in a random world", 2005; Lei, G'Sell, Rinaldo,
 * Tibshirani & Wasserman, JASA 2018), the `mcmc-cal` method of `nasw lcurve`.
 *
 * Scores are the signed residuals r_j = true_j - mean_j of the calibration
 * curves.  With n of them, the lower offset is the k_lo-th smallest,
 * k_lo = floor((alpha/2)(n + 1)), and the upper the k_hi-th smallest,
 * k_hi = ceil((1 - alpha/2)(n + 1)): for a new curve exchangeable with the
 * calibration curves, P(true < mean + lo) <= alpha/2 and P(true > mean + hi)
 * <= alpha/2, so [mean + lo, mean + hi] covers with probability >= 1 - alpha
 * (and < 1 - alpha + 2/(n + 1) without ties).  Two one-sided quantiles
 * rather than one on |r|: the per-curve extrapolations of cosine-schedule
 * curves are biased (they underpredict), and a symmetric band would be
 * wider on the side that is never missed.  The median residual is the
 * bias correction of the point prediction.  -INFINITY / INFINITY when n is
 * too small for the level (k_lo = 0, k_hi > n).
 *
 * What it is not: a protocol by itself.  The scores must come from curves
 * other than the one predicted; lcurve_conformal_loo does that for every
 * curve of a set (leave one curve out, exact because the per-curve methods
 * learn nothing across curves).  Pure arithmetic on doubles, no state.
 */
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "surrogate/lcurve.h"

static int check(const double *r, int n, double alpha)
{
    if (!(alpha > 0 && alpha < 1)) return nasw_errorf(NASW_EINVAL, "conformal level alpha %g is not in (0, 1)", alpha);
    if (n < 1) return nasw_errorf(NASW_EINVAL, "conformal calibration needs at least one held-out curve");
    for (int j = 0; j < n; j++)
        if (!isfinite(r[j])) return nasw_errorf(NASW_EINVAL, "conformal residual %d is not finite", j + 1);
    return NASW_OK;
}

static void ranks(int n, double alpha, int *klo, int *khi)
{
    *klo = (int)floor(alpha / 2 * (n + 1) + 1e-9);
    *khi = (int)ceil((1 - alpha / 2) * (n + 1) - 1e-9);
}

/* The k-th smallest (1-based) of the sorted s[0..n-1] without position
 * skip (skip < 0: none). */
static double kth(const double *s, int n, int skip, int k)
{
    if (k < 1) return -INFINITY;
    if (k > n - (skip >= 0)) return INFINITY;
    return skip >= 0 && k - 1 >= skip ? s[k] : s[k - 1];
}

static double median(const double *s, int n, int skip)
{
    int m = n - (skip >= 0);
    return m % 2 ? kth(s, n, skip, (m + 1) / 2) : 0.5 * (kth(s, n, skip, m / 2) + kth(s, n, skip, m / 2 + 1));
}

int lcurve_conformal(const double *resid, int n, double alpha, double *lo, double *med, double *hi)
{
    int st = check(resid, n, alpha);
    if (st) return st;
    double *s = malloc(sizeof *s * (size_t)n);
    if (!s) return nasw_errorf(NASW_ENOMEM, "out of memory");
    memcpy(s, resid, sizeof *s * (size_t)n);
    gsl_sort(s, 1, (size_t)n);
    int klo, khi;
    ranks(n, alpha, &klo, &khi);
    *lo = kth(s, n, -1, klo);
    *hi = kth(s, n, -1, khi);
    *med = median(s, n, -1);
    free(s);
    return NASW_OK;
}

int lcurve_conformal_loo(const double *resid, int n, double alpha, double *lo, double *med, double *hi)
{
    if (n < 2) return nasw_errorf(NASW_EINVAL, "leave-one-out calibration needs at least 2 curves");
    int st = check(resid, n, alpha);
    if (st) return st;
    double *s = malloc(sizeof *s * (size_t)n);
    size_t *perm = malloc(sizeof *perm * (size_t)n);
    if (!s || !perm) {
        free(s);
        free(perm);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    gsl_sort_index(perm, resid, 1, (size_t)n);
    for (int j = 0; j < n; j++) s[j] = resid[perm[j]];
    int klo, khi;
    ranks(n - 1, alpha, &klo, &khi);
    for (int p = 0; p < n; p++) {   /* p: the position of curve perm[p] in the sorted order */
        int i = (int)perm[p];
        lo[i] = kth(s, n, p, klo);
        hi[i] = kth(s, n, p, khi);
        med[i] = median(s, n, p);
    }
    free(s);
    free(perm);
    return NASW_OK;
}
