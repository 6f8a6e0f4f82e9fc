/*
 * cli/predictor.h - the predictor specs of `nasw predict` and `nasw confirm
 * --predictor`, parsed and fitted in one place (cli/predictor.c; the
 * supernet predictor of `nasw predict` in cli/supernet_pred.c).
 *
 * A spec is gp[:onehot|path][:rbf|matern][:ard][:nowarp] (surrogate/gp.h),
 * lstm[:key=value]... (surrogate/lstm.h, its uncertainty unused), xgb / rf
 * (surrogate/xgb.h), mlp (surrogate/mlp.h), gcn (surrogate/gcn.h), each
 * with :key=value options, ensemble:members=A+B+...[:combine=stack|rank]
 * (members are specs of the above with '/' in place of ':'), or, where the
 * caller passes a table, a numeric column of that table used as is.
 * `nasw predict` also takes supernet[:key=value]... (weight sharing: a
 * supernet trained on Fashion-MNIST per trial, each test cell predicted by
 * its one-shot validation accuracy; it has no encoding and is not fitted
 * by cli_predictor_fit_predict, see cli_supernet_predict).
 * Architectures are encoded per predictor: one row of cli_predictor_width()
 * doubles, or ints (LSTM tokens) for lstm.  xgb, rf and mlp may append
 * table columns to the row (features=zc|COLUMN), which needs the table row
 * (cli_predictor_encode_row); an ensemble's row is its members' rows side
 * by side (an lstm member's tokens stored as doubles).
 */
#ifndef NASW_CLI_PREDICTOR_H
#define NASW_CLI_PREDICTOR_H

#include "core/arch.h"
#include "surrogate/gcn.h"
#include "surrogate/gp.h"
#include "surrogate/lstm.h"
#include "surrogate/mlp.h"
#include "surrogate/xgb.h"
#include "tables/table.h"

enum cli_model { PRED_COLUMN, PRED_GP, PRED_LSTM, PRED_XGB, PRED_RF, PRED_MLP, PRED_GCN, PRED_ENSEMBLE,
                 PRED_SUPERNET };

#define CLI_PRED_MAX_FEATURES 32
#define CLI_PRED_MAX_MEMBERS 8

/* supernet: the live bench's preset, the supernet's epochs, how a training
 * step mixes the ops (core/oneshot.h), the scoring of a cell */
struct cli_supernet_params {
    char preset[16];
    int epochs;
    int mode;                 /* enum oneshot_mode */
    int bn_batches, eval_images;
    double tau_max, tau_min;  /* ONESHOT_GUMBEL: temperature, linear over the epochs */
};

struct cli_predictor {
    char name[128];
    enum cli_model model;
    int column;        /* >= 0: a table column used as the prediction */
    int path;          /* encoding: 0 one-hot, 1 path, 2 none (features only) */
    int lstm;          /* 1: the LSTM surrogate on token sequences */
    int n_feat;        /* extra table columns appended to the encoding */
    int feat[CLI_PRED_MAX_FEATURES];
    int rank;          /* ensemble: 1 rank average, 0 stacked (ridge) */
    int n_members;
    struct cli_predictor *members; /* ensemble: n_members (owned) */
    struct gp_params gp;
    struct lstm_params lp;
    struct xgb_params xp;
    struct mlp_params mp;
    struct gcn_params cp;
    struct cli_supernet_params sn;
};

/* Parse spec s for command cmd (named in usage errors).  t: the table whose
 * numeric columns are also predictors and features, NULL to allow only
 * models.  Prints a usage error; returns a CLI exit code.  Release the
 * result with cli_predictor_release (also after a failed parse). */
int cli_predictor_parse(const char *cmd, const char *s, const struct table *t, struct cli_predictor *p);
void cli_predictor_release(struct cli_predictor *p);

/* Row width of the encoding: doubles (models) or tokens (lstm); 0 for a
 * column. */
int cli_predictor_width(const struct cli_predictor *p, const struct space *s);

/* Encode a into row i of x (doubles) or tok (lstm), rows of
 * cli_predictor_width().  Without features only: a predictor with features
 * needs cli_predictor_encode_row. */
void cli_predictor_encode(const struct cli_predictor *p, const struct space *s, const struct arch *a, long i,
                          double *x, int *tok);
/* The same for row `row` of table t, with its feature columns (a missing
 * value becomes 0). */
void cli_predictor_encode_row(const struct cli_predictor *p, const struct table *t, long row, long i, double *x,
                              int *tok);

/* Fit on n encoded rows (x or tok) with targets y and predict m encoded
 * rows (xt or tokt) into mean.  If ytest and lpd are given and the predictor
 * is an unwarped GP, *lpd is the held-out log predictive density (NAN
 * otherwise).  *fit_s, *fit_cpu_s (optional): wall time and process CPU time
 * of fit + predict, nothing else (not the density, not the encoding).
 * Returns a library status (the message is set). */
int cli_predictor_fit_predict(const struct cli_predictor *p, const struct space *s, const double *x, const int *tok,
                              const double *y, int n, const double *xt, const int *tokt, int m, double *mean,
                              const double *ytest, double *lpd, double *fit_s, double *fit_cpu_s, struct rng *r);

/* --- the supernet predictor (cli/supernet_pred.c) ------------------------ */

struct train_data;

/* The Fashion-MNIST data of p's preset (shared read-only by the trials).
 * Returns a library status (the message is set). */
int cli_supernet_data(const struct cli_predictor *p, struct train_data **out);

/* One trial: the supernet of p on data, seeded with `seed`, trained for
 * p->sn.epochs (restored from, and checkpointed after every epoch to,
 * PREFIX.supernet-HASH.ckpt when prefix is given; HASH covers the preset,
 * the spec, the seed and `tag`), then the one-shot validation accuracy (%)
 * of rows[0..m) of t into pred.  *wall_s: the supernet's seconds
 * (training, as recorded in a restored checkpoint, and scoring); *cpu_s:
 * this thread's CPU seconds of what this call did.  The caller fixes the
 * thread count (results depend on it).  Library status. */
int cli_supernet_predict(const struct cli_predictor *p, const struct train_data *data, const struct table *t,
                         const long *rows, long m, uint64_t seed, const char *prefix, const char *tag, double *pred,
                         double *wall_s, double *cpu_s);

#endif
