/*
 * surrogate/xgb.c - the XGBoost C API behind surrogate/xgb.h.  Every call's
 * status is checked; a failure becomes NASW_ENUMERIC with XGBoost's own
 * message.  Parameters are passed as strings (XGBoost's interface); one
 * thread (nthread=1) keeps the trees, and so the predictions, independent
 * of the machine's load, and the seed comes from our rng.
 */
#include "surrogate/xgb.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <xgboost/c_api.h>

#include "core/rng.h"
#include "core/status.h"

struct xgb {
    BoosterHandle booster;
    int d;
    double ymu, ysd;   /* targets are standardised: XGBoost 1.7 starts every
                          model at base_score 0.5, far from accuracies in % */
};

void xgb_default_params(struct xgb_params *p, enum xgb_mode mode)
{
    if (mode == XGB_FOREST) *p = (struct xgb_params){XGB_FOREST, 300, 12, 1.0, 0.8, 0.5, 1};
    else *p = (struct xgb_params){XGB_BOOST, 500, 6, 0.05, 0.8, 0.8, 1};
}

static int fail(const char *what)
{
    return nasw_errorf(NASW_ENUMERIC, "xgboost: %s: %s", what, XGBGetLastError());
}

/* rows as float32, XGBoost's input type */
static float *to_float(const double *X, size_t n)
{
    float *f = malloc(sizeof *f * (n ? n : 1));
    if (f)
        for (size_t i = 0; i < n; i++) f[i] = (float)X[i];
    return f;
}

void xgb_free(struct xgb *m)
{
    if (!m) return;
    if (m->booster) XGBoosterFree(m->booster);
    free(m);
}

int xgb_fit(struct xgb **out, const double *X, int n, int d, const double *y, const struct xgb_params *p,
            struct rng *r)
{
    *out = NULL;
    if (n < 1 || d < 1 || p->rounds < 1 || p->depth < 1)
        return nasw_errorf(NASW_EINVAL, "bad xgb sizes (n %d, d %d, rounds %d, depth %d)", n, d, p->rounds, p->depth);
    for (size_t i = 0; i < (size_t)n * d; i++)
        if (!isfinite(X[i])) return nasw_errorf(NASW_ENUMERIC, "xgb: non-finite input in row %zu", i / d + 1);
    for (int i = 0; i < n; i++)
        if (!isfinite(y[i])) return nasw_errorf(NASW_ENUMERIC, "xgb: non-finite target in row %d", i + 1);
    struct xgb *m = calloc(1, sizeof *m);
    float *xf = to_float(X, (size_t)n * d), *yf = malloc(sizeof *yf * (size_t)n);
    DMatrixHandle dm = NULL;
    int st = NASW_OK;
    if (!m || !xf || !yf) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto out;
    }
    m->d = d;
    double sum = 0, ss = 0;
    for (int i = 0; i < n; i++) sum += y[i];
    m->ymu = sum / n;
    for (int i = 0; i < n; i++) ss += (y[i] - m->ymu) * (y[i] - m->ymu);
    m->ysd = ss > 0 ? sqrt(ss / n) : 1;
    for (int i = 0; i < n; i++) yf[i] = (float)((y[i] - m->ymu) / m->ysd);
    if (XGDMatrixCreateFromMat(xf, (bst_ulong)n, (bst_ulong)d, NAN, &dm)) {
        st = fail("cannot build the training matrix");
        goto out;
    }
    if (XGDMatrixSetFloatInfo(dm, "label", yf, (bst_ulong)n) || XGBoosterCreate(&dm, 1, &m->booster)) {
        st = fail("cannot create the booster");
        goto out;
    }
    int forest = p->mode == XGB_FOREST;
    char seed[32], depth[32], eta[32], sub[32], col[32], mcw[32], trees[32];
    snprintf(seed, sizeof seed, "%d", (int)rng_int(r, (uint64_t)1 << 31));
    snprintf(depth, sizeof depth, "%d", p->depth);
    snprintf(eta, sizeof eta, "%.17g", forest ? 1.0 : p->eta);
    snprintf(sub, sizeof sub, "%.17g", p->subsample);
    snprintf(col, sizeof col, "%.17g", p->colsample);
    snprintf(mcw, sizeof mcw, "%.17g", p->min_child);
    snprintf(trees, sizeof trees, "%d", forest ? p->rounds : 1);
    const char *kv[][2] = {
        {"objective", "reg:squarederror"}, {"base_score", "0"}, {"tree_method", "exact"}, {"nthread", "1"}, {"verbosity", "0"},
        {"seed", seed}, {"max_depth", depth}, {"eta", eta}, {"subsample", sub},
        {forest ? "colsample_bynode" : "colsample_bytree", col}, {"min_child_weight", mcw},
        {"num_parallel_tree", trees}, {"lambda", forest ? "0" : "1"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (XGBoosterSetParam(m->booster, kv[i][0], kv[i][1])) {
            st = fail("bad parameter");
            goto out;
        }
    for (int it = 0; it < (forest ? 1 : p->rounds); it++)
        if (XGBoosterUpdateOneIter(m->booster, it, dm)) {
            st = fail("training failed");
            goto out;
        }
out:
    if (dm) XGDMatrixFree(dm);
    free(xf);
    free(yf);
    if (st) xgb_free(m);
    else *out = m;
    return st;
}

int xgb_predict(const struct xgb *m, const double *X, int n, double *mean)
{
    float *xf = to_float(X, (size_t)n * m->d);
    if (!xf) return nasw_errorf(NASW_ENOMEM, "out of memory");
    DMatrixHandle dm = NULL;
    bst_ulong len = 0;
    const float *res = NULL;
    int st = NASW_OK;
    if (XGDMatrixCreateFromMat(xf, (bst_ulong)n, (bst_ulong)m->d, NAN, &dm)) st = fail("cannot build the matrix");
    else if (XGBoosterPredict(m->booster, dm, 0, 0, 0, &len, &res)) st = fail("prediction failed");
    else if (len != (bst_ulong)n) st = nasw_errorf(NASW_ENUMERIC, "xgboost: %lu predictions for %d rows", (unsigned long)len, n);
    else
        for (int i = 0; i < n; i++) mean[i] = m->ymu + m->ysd * res[i];
    if (dm) XGDMatrixFree(dm);
    free(xf);
    return st;
}
