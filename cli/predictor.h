/*
 * cli/predictor.h - the predictor specs of `nasw predict` and `nasw confirm
 * --predictor`, parsed and fitted in one place (cli/predictor.c).
 *
 * A spec is gp[:onehot|path][:rbf|matern][:ard][:nowarp] (surrogate/gp.h),
 * lstm[:key=value]... (surrogate/lstm.h, its uncertainty unused) or, where
 * the caller passes a table, a numeric column of that table used as is.
 * Architectures are encoded per predictor: one row of cli_predictor_width()
 * doubles (GP) or ints (LSTM tokens).
 */
#ifndef NASW_CLI_PREDICTOR_H
#define NASW_CLI_PREDICTOR_H

#include "core/arch.h"
#include "surrogate/gp.h"
#include "surrogate/lstm.h"
#include "tables/table.h"

struct cli_predictor {
    char name[64];
    int column;        /* >= 0: a table column used as the prediction */
    int path;          /* encoding: 0 one-hot, 1 path */
    int lstm;          /* 1: the LSTM surrogate on token sequences */
    struct gp_params gp;
    struct lstm_params lp;
};

/* Parse spec s for command cmd (named in usage errors).  t: the table whose
 * numeric columns are also predictors, NULL to allow only gp and lstm.
 * Prints a usage error; returns a CLI exit code. */
int cli_predictor_parse(const char *cmd, const char *s, const struct table *t, struct cli_predictor *p);

/* Row width of the encoding: doubles (GP) or tokens (LSTM); 0 for a column. */
int cli_predictor_width(const struct cli_predictor *p, const struct space *s);

/* Encode a into row i of x (GP) or tok (LSTM), rows of cli_predictor_width(). */
void cli_predictor_encode(const struct cli_predictor *p, const struct space *s, const struct arch *a, long i,
                          double *x, int *tok);

/* Fit on n encoded rows (x or tok) with targets y and predict m encoded
 * rows (xt or tokt) into mean.  If ytest and lpd are given and the predictor
 * is an unwarped GP, *lpd is the held-out log predictive density (NAN
 * otherwise).  *fit_s, *fit_cpu_s (optional): wall time and process CPU time
 * of fit + predict, nothing else (not the density, not the encoding).
 * Returns a library status (the message is set). */
int cli_predictor_fit_predict(const struct cli_predictor *p, const struct space *s, const double *x, const int *tok,
                              const double *y, int n, const double *xt, const int *tokt, int m, double *mean,
                              const double *ytest, double *lpd, double *fit_s, double *fit_cpu_s, struct rng *r);

#endif
