/*
 * surrogate/lcurve_model.c - the model-based extrapolator: prefix features
 * + architecture encoding -> GP regression of the remaining gain.  See
 * lcurve_model.h.  Uses the GP's private struct (gp_impl.h, surrogate/ only)
 * for the noise variance in target units.
 */
#include "surrogate/lcurve_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "surrogate/gp.h"
#include "surrogate/gp_impl.h"

struct lcurve_model {
    int k, d, dim;
    int stride;   /* of the caller's encoding rows */
    double aw;
    double fmean[LCURVE_N_FEATURES], fsd[LCURVE_N_FEATURES];
    struct gp *gp;
};

void lcurve_model_default_params(struct lcurve_model_params *p)
{
    p->arch_weight = 0.5;
    p->ard = 0;
    p->restarts = 2;
}

void lcurve_prefix_features(const double *y, int k, double *feat)
{
    int q = (k + 3) / 4, h0 = k / 2;
    double mq = 0, best = y[0];
    for (int i = k - q; i < k; i++) mq += y[i] / q;
    for (int i = 1; i < k; i++) best = y[i] > best ? y[i] : best;
    /* least-squares slope over epochs h0..k-1 */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, m = k - h0;
    for (int i = h0; i < k; i++) sx += i, sy += y[i], sxx += (double)i * i, sxy += i * y[i];
    double den = m * sxx - sx * sx, slope = m >= 2 && den > 0 ? (m * sxy - sx * sy) / den : 0;
    feat[0] = y[k - 1];
    feat[1] = mq;
    feat[2] = slope;
    feat[3] = y[(k - 1) / 2];
    feat[4] = y[0];
    feat[5] = best;
}

static void encode(const struct lcurve_model *mo, const double *y, const double *a, double *x)
{
    double f[LCURVE_N_FEATURES];
    lcurve_prefix_features(y, mo->k, f);
    for (int j = 0; j < LCURVE_N_FEATURES; j++) x[j] = (f[j] - mo->fmean[j]) / mo->fsd[j];
    for (int j = 0; j < mo->d; j++) x[LCURVE_N_FEATURES + j] = mo->aw * a[j];
}

int lcurve_model_fit(struct lcurve_model **out, const double *Y, int k, const double *A, int d, const double *fin,
                     int n, const struct lcurve_model_params *p, struct rng *r)
{
    *out = NULL;
    if (k < 1 || n < 3 || d < 0 || (d > 0 && !A))
        return nasw_errorf(NASW_EINVAL, "curve model: %d curves of %d epochs (need 3 and 1)", n, k);
    if (d + LCURVE_N_FEATURES > ARCH_ENC_MAX) return nasw_errorf(NASW_EINVAL, "curve model: encoding too wide");
    struct lcurve_model *mo = calloc(1, sizeof *mo);
    if (!mo) return nasw_errorf(NASW_ENOMEM, "out of memory");
    mo->k = k, mo->d = p->arch_weight > 0 ? d : 0, mo->aw = p->arch_weight, mo->stride = d;
    mo->dim = LCURVE_N_FEATURES + mo->d;
    double *F = malloc(sizeof *F * (size_t)n * LCURVE_N_FEATURES), *X = malloc(sizeof *X * (size_t)n * mo->dim),
           *t = malloc(sizeof *t * (size_t)n);
    int st = NASW_OK;
    if (!F || !X || !t) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) lcurve_prefix_features(Y + (size_t)i * k, k, F + (size_t)i * LCURVE_N_FEATURES);
    for (int j = 0; j < LCURVE_N_FEATURES; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) s += F[i * LCURVE_N_FEATURES + j];
        s /= n;
        for (int i = 0; i < n; i++) s2 += pow(F[i * LCURVE_N_FEATURES + j] - s, 2);
        mo->fmean[j] = s;
        mo->fsd[j] = sqrt(s2 / n) > 1e-12 ? sqrt(s2 / n) : 1;
    }
    for (int i = 0; i < n; i++) {
        encode(mo, Y + (size_t)i * k, A ? A + (size_t)i * d : NULL, X + (size_t)i * mo->dim);
        t[i] = fin[i] - Y[(size_t)i * k + k - 1];
        if (!isfinite(t[i])) {
            st = nasw_errorf(NASW_EINVAL, "curve model: curve %d has a non-finite value", i);
            goto out;
        }
    }
    struct gp_params gpp;
    gp_default_params(&gpp);
    gpp.warp = 0;
    gpp.ard = p->ard;
    gpp.restarts = p->restarts;
    st = gp_fit(&mo->gp, X, t, n, mo->dim, &gpp, r);
out:
    free(F);
    free(X);
    free(t);
    if (st) lcurve_model_free(mo);
    else *out = mo;
    return st;
}

int lcurve_model_predict(const struct lcurve_model *mo, const double *Y, const double *A, int m, double *mean,
                         double *var)
{
    double *X = malloc(sizeof *X * (size_t)(m > 0 ? m : 1) * mo->dim);
    if (!X) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int i = 0; i < m; i++) encode(mo, Y + (size_t)i * mo->k, A ? A + (size_t)i * mo->stride : NULL, X + (size_t)i * mo->dim);
    int st = gp_predict(mo->gp, X, m, mean, var);
    free(X);
    if (st) return st;
    const struct gp *g = mo->gp;
    double noise = exp(g->theta[(g->ard ? g->d : 1) + 1]) * g->ysd * g->ysd;
    for (int i = 0; i < m; i++) {
        mean[i] += Y[(size_t)i * mo->k + mo->k - 1];
        if (var) var[i] += noise;
    }
    return NASW_OK;
}

void lcurve_model_free(struct lcurve_model *mo)
{
    if (!mo) return;
    gp_free(mo->gp);
    free(mo);
}
