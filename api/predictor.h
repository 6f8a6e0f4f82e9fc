/*
 * api/predictor.h - not installed: the predictor specs of the library
 * (nasw_predictor_*, api/nasw.h), of `nasw predict` and of `nasw confirm
 * --predictor`, parsed and fitted in one place (api/predictor.c).  The CLI
 * uses the encoded-matrix calls below directly: it encodes each table row
 * once for many fits, and times fit + predict without the encoding.
 *
 * `nasw predict` also takes supernet[:key=value]... (weight sharing: a
 * supernet trained on Fashion-MNIST per trial, each test cell predicted by
 * its one-shot validation accuracy; it has no encoding and is not fitted
 * by api_predictor_fit_predict: cli/supernet_pred.c trains and scores it).
 *
 * A spec is gp[:onehot|path][:rbf|matern][:ard][:nowarp] (surrogate/gp.h),
 * lstm[:key=value]... (surrogate/lstm.h, its uncertainty unused), xgb / rf
 * (surrogate/xgb.h), mlp (surrogate/mlp.h), gcn (surrogate/gcn.h), each
 * with :key=value options, ensemble:members=A+B+...[:combine=stack|rank]
 * (members are specs of the above with '/' in place of ':'), or, where the
 * caller passes a table, a numeric column of that table used as is.
 * Architectures are encoded per predictor: one row of api_predictor_width()
 * doubles, or ints (LSTM tokens) for lstm.  xgb, rf and mlp may append
 * table columns to the row (features=zc|COLUMN), which needs the table row
 * (api_predictor_encode_row); an ensemble's row is its members' rows side
 * by side (an lstm member's tokens stored as doubles).
 */
#ifndef NASW_API_PREDICTOR_H
#define NASW_API_PREDICTOR_H

#include "core/arch.h"
#include "surrogate/gcn.h"
#include "surrogate/gp.h"
#include "surrogate/lstm.h"
#include "surrogate/mlp.h"
#include "surrogate/xgb.h"
#include "tables/table.h"

enum api_model { PRED_COLUMN, PRED_GP, PRED_LSTM, PRED_XGB, PRED_RF, PRED_MLP, PRED_GCN, PRED_ENSEMBLE,
                 PRED_SUPERNET };

#define API_PRED_MAX_FEATURES 32
#define API_PRED_MAX_MEMBERS 8

/* supernet: the live bench's preset, the supernet's epochs, how a training
 * step mixes the ops (core/oneshot.h), the scoring of a cell */
struct api_supernet_params {
    char preset[16];
    int epochs;
    int mode;                 /* enum oneshot_mode */
    int bn_batches, eval_images;
    double tau_max, tau_min;  /* ONESHOT_GUMBEL: temperature, linear over the epochs */
};

struct api_predictor {
    char name[128];
    enum api_model model;
    int column;        /* >= 0: a table column used as the prediction */
    int path;          /* encoding: 0 one-hot, 1 path, 2 none (features only) */
    int lstm;          /* 1: the LSTM surrogate on token sequences */
    int n_feat;        /* extra table columns appended to the encoding */
    int feat[API_PRED_MAX_FEATURES];
    int rank;          /* ensemble: 1 rank average, 0 stacked (ridge) */
    int n_members;
    struct api_predictor *members; /* ensemble: n_members (owned) */
    struct gp_params gp;
    struct lstm_params lp;
    struct xgb_params xp;
    struct mlp_params mp;
    struct gcn_params cp;
    struct api_supernet_params sn;
};

/* Parse spec s.  t: the table whose numeric columns are also predictors
 * and features, NULL to allow only models.  NASW_OK, or NASW_EINVAL (a bad
 * spec) / NASW_ENOMEM with the message set.  Release the result with
 * api_predictor_release (also after a failed parse). */
int api_predictor_parse(const char *s, const struct table *t, struct api_predictor *p);
void api_predictor_release(struct api_predictor *p);

/* Row width of the encoding: doubles (models) or tokens (lstm); 0 for a
 * column. */
int api_predictor_width(const struct api_predictor *p, const struct space *s);

/* Encode a into row i of x (doubles) or tok (lstm), rows of
 * api_predictor_width().  Without features only: a predictor with features
 * needs api_predictor_encode_row. */
void api_predictor_encode(const struct api_predictor *p, const struct space *s, const struct arch *a, long i,
                          double *x, int *tok);
/* The same for row `row` of table t, with its feature columns (a missing
 * value becomes 0). */
void api_predictor_encode_row(const struct api_predictor *p, const struct table *t, long row, long i, double *x,
                              int *tok);

/* Fit on n encoded rows (x or tok) with targets y and predict m encoded
 * rows (xt or tokt) into mean.  If ytest and lpd are given and the predictor
 * is an unwarped GP, *lpd is the held-out log predictive density (NAN
 * otherwise).  *fit_s, *fit_cpu_s (optional): wall time and process CPU time
 * of fit + predict, nothing else (not the density, not the encoding).
 * Returns a library status (the message is set). */
int api_predictor_fit_predict(const struct api_predictor *p, const struct space *s, const double *x, const int *tok,
                              const double *y, int n, const double *xt, const int *tokt, int m, double *mean,
                              const double *ytest, double *lpd, double *fit_s, double *fit_cpu_s, struct rng *r);

#endif
