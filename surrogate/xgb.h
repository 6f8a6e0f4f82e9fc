/*
 * surrogate/xgb.h - gradient-boosted trees and random forests on encoded
 * architectures, through XGBoost's C API (libxgboost, Chen & Guestrin 2016).
 * A thin wrapper: rows of d doubles (any encoding, optionally with extra
 * feature columns) are handed to XGBoost as float32, squared-error
 * regression, exact training on one thread with a fixed seed, so that the
 * same rng state gives the same model bit for bit.
 *
 * Two modes of one booster:
 *  - boosting (XGB_BOOST): `rounds` trees of depth `depth`, shrinkage `eta`,
 *    row subsample and column subsample per tree;
 *  - random forest (XGB_FOREST): XGBoost's own random-forest mode, one
 *    boosting round of `rounds` parallel trees (num_parallel_tree), eta 1,
 *    each tree on a row subsample (without replacement) and a column
 *    subsample per split (colsample_bynode), no L2 leaf penalty.
 * Neither gives an uncertainty.  XGBoost's errors become NASW_ENUMERIC with
 * its message (XGBGetLastError).
 */
#ifndef NASW_SURROGATE_XGB_H
#define NASW_SURROGATE_XGB_H

struct rng;
struct xgb;

enum xgb_mode { XGB_BOOST = 0, XGB_FOREST = 1 };

struct xgb_params {
    enum xgb_mode mode;
    int rounds;          /* boosting rounds, or trees of the forest */
    int depth;           /* max_depth */
    double eta;          /* shrinkage (boosting only) */
    double subsample;    /* fraction of rows per tree */
    double colsample;    /* fraction of columns per tree (boost) or split (forest) */
    double min_child;    /* min_child_weight */
};

/* Defaults of the mode: boost 500 rounds, depth 6, eta 0.05, subsample
 * 0.8, colsample 0.8, min_child 1; forest 300 trees, depth 12, subsample
 * 0.8, colsample 0.5, min_child 1. */
void xgb_default_params(struct xgb_params *p, enum xgb_mode mode);

int xgb_fit(struct xgb **out, const double *X, int n, int d, const double *y, const struct xgb_params *p,
            struct rng *r);
int xgb_predict(const struct xgb *m, const double *X, int n, double *mean);
void xgb_free(struct xgb *m);   /* NULL is a no-op */

#endif
