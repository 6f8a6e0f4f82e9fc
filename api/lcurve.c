/*
 * api/lcurve.c - learning-curve extrapolation of the public API
 * (nasw_lcurve_*, api/nasw.h) over surrogate/lcurve: the single-curve
 * methods (the last value, the eleven parametric families of Domhan et al.
 * 2015, their weighted ensemble and its MCMC posterior).
 *
 * This is the one implementation of "extrapolate one curve": `nasw lcurve
 * eval` and `nasw lcurve fit` call it for these methods, so the library and
 * the CLI give the same numbers for the same seed.  The model across curves
 * (a GP on prefix features, `nasw lcurve`'s "model") needs a set of curves
 * and is not here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/lcurve_cli.h"
#include "api/nasw.h"
#include "core/rng.h"
#include "core/status.h"
#include "surrogate/lcurve.h"

/* the 90% interval of a normal predictive: mean -+ this many sd */
#define Z90 1.6448536269514722

struct nasw_lcurve {
    struct rng *r;
    struct lcurve_opts o;
};

/* method indices: the families, then these */
enum { M_LAST = LC_N_FAMILIES, M_ENSEMBLE, M_MCMC, M_END };

const char *nasw_lcurve_method(int i)
{
    if (i < 0 || i >= M_END) return NULL;
    return i == M_LAST ? "last" : i == M_ENSEMBLE ? "ensemble" : i == M_MCMC ? "mcmc" : lcurve_family_name(i);
}

int nasw_lcurve_new(nasw_lcurve **out, uint64_t seed, int starts)
{
    *out = NULL;
    nasw_errclear();
    if (starts < 0 || starts > 1000) return -nasw_errorf(NASW_EINVAL, "starts %d (0 for the default, up to 1000)", starts);
    nasw_lcurve *x = calloc(1, sizeof *x);
    if (!x || !(x->r = rng_new(seed))) {
        free(x);
        return -nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    lcurve_default_opts(&x->o);
    if (starts) x->o.starts = starts;
    *out = x;
    return 0;
}

void nasw_lcurve_seed(nasw_lcurve *x, uint64_t seed) { rng_seed(x->r, seed); }

void nasw_lcurve_free(nasw_lcurve *x)
{
    if (!x) return;
    rng_free(x->r);
    free(x);
}

int nasw_lcurve_extrapolate(nasw_lcurve *x, const char *method, const double *y, int k, int target,
                            int higher_is_better, double lo, double hi, double out[4])
{
    out[0] = out[1] = out[2] = out[3] = NAN;
    int m = 0;
    while (m < M_END && strcmp(method ? method : "", nasw_lcurve_method(m))) m++;
    if (m == M_END)
        return -nasw_errorf(NASW_EINVAL, "unknown extrapolation method '%.64s' (last, a family such as pow3, "
                                         "ensemble or mcmc)", method ? method : "");
    if (k < 1 || target < k) return -nasw_errorf(NASW_EINVAL, "observed epochs %d, target %d: need 1 <= k <= target", k, target);
    for (int i = 0; i < k; i++)
        if (!isfinite(y[i])) return -nasw_errorf(NASW_EINVAL, "epoch %d of the curve is not a finite number", i + 1);
    int st = NASW_OK;
    if (m == M_LAST) {
        out[0] = y[k - 1];
    } else if (m < LC_N_FAMILIES || m == M_ENSEMBLE) {
        struct lcurve_fit fit, fits[LC_N_FAMILIES];
        st = m < LC_N_FAMILIES ? lcurve_fit_family(m, y, k, target, higher_is_better, lo, hi, &x->o, x->r, &fit)
                               : lcurve_fit_ensemble(y, k, target, higher_is_better, lo, hi, &x->o, x->r, fits, NULL, &fit);
        if (st == NASW_ENUMERIC) fit.ok = 0, st = NASW_OK, nasw_errclear();
        if (st) return -st;
        if (!fit.ok) return 1; /* no valid fit: the caller falls back */
        out[0] = fit.mean;
        out[1] = fit.sd;
        if (isfinite(fit.sd)) {
            out[2] = fit.mean - Z90 * fit.sd, out[3] = fit.mean + Z90 * fit.sd;
            /* the delta method knows nothing of the range: clip to it */
            if (isfinite(lo)) out[2] = fmax(out[2], lo);
            if (isfinite(hi)) out[3] = fmin(out[3], hi);
        }
    } else {
        struct lcurve_post post;
        st = lcurve_mcmc(y, k, target, NAN, higher_is_better, lo, hi, &x->o, x->r, &post);
        if (st == NASW_ENUMERIC) return nasw_errclear(), 1;
        if (st) return -st;
        out[0] = post.mean, out[1] = post.sd, out[2] = post.q05, out[3] = post.q95;
    }
    return 0;
}

struct rng *api_lcurve_rng(nasw_lcurve *x) { return x->r; }
