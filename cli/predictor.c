/*
 * cli/predictor.c - predictor specs shared by `nasw predict` and `nasw
 * confirm --predictor`: parsing (strict, unknown options are usage errors),
 * encoding architectures for the model, and one fit + predict.  Not a
 * surrogate itself: it dispatches to surrogate/gp.h and surrogate/lstm.h.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/predictor.h"

/* lstm[:key=value]...: ensemble, epochs, hidden, embed, batch (integers), lr */
static int parse_lstm(const char *cmd, const char *s, struct cli_predictor *p)
{
    static const struct {
        const char *key;
        double min, max;
    } keys[] = {{"ensemble", 1, 100}, {"epochs", 0, 100000}, {"hidden", 1, 4096},
                {"embed", 1, 4096},   {"batch", 1, 65536},   {"lr", 1e-9, 10}};
    lstm_default_params(&p->lp);
    p->lstm = 1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    strtok_r(buf, ":", &save);
    for (char *o = strtok_r(NULL, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(o, '=');
        int k = -1;
        if (eq) {
            *eq = '\0';
            for (int i = 0; i < (int)(sizeof keys / sizeof keys[0]); i++)
                if (!strcmp(o, keys[i].key)) k = i;
        }
        if (k < 0)
            return cli_usage_error(cmd, "unknown lstm option '%.64s' (ensemble=, epochs=, hidden=, embed=, batch=, lr=)", o);
        double v;
        if (cli_parse_double(eq + 1, &v) || v < keys[k].min || v > keys[k].max || (k < 5 && v != floor(v)))
            return cli_usage_error(cmd, "bad lstm %s '%.64s' (%g..%g%s)", o, eq + 1, keys[k].min, keys[k].max,
                                   k < 5 ? ", an integer" : "");
        switch (k) {
        case 0: p->lp.ensemble = (int)v; break;
        case 1: p->lp.epochs = (int)v; break;
        case 2: p->lp.hidden = (int)v; break;
        case 3: p->lp.embed = (int)v; break;
        case 4: p->lp.batch = (int)v; break;
        default: p->lp.lr = v; break;
        }
    }
    return CLI_OK;
}

int cli_predictor_parse(const char *cmd, const char *s, const struct table *t, struct cli_predictor *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", s);
    p->column = -1;
    if (!strncmp(s, "lstm", 4) && (!s[4] || s[4] == ':')) return parse_lstm(cmd, s, p);
    if (strncmp(s, "gp", 2) || (s[2] && s[2] != ':')) {
        p->column = t ? table_metric_index(t, s) : -1;
        if (p->column < 0)
            return cli_usage_error(cmd, "unknown predictor '%.64s' (gp[:options], lstm[:key=value]%s)", s,
                                   t ? " or a numeric column of the table" : "");
        return CLI_OK;
    }
    gp_default_params(&p->gp);
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    strtok_r(buf, ":", &save);
    for (char *o = strtok_r(NULL, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        if (!strcmp(o, "onehot")) p->path = 0;
        else if (!strcmp(o, "path")) p->path = 1;
        else if (!strcmp(o, "rbf")) p->gp.kernel = GP_RBF;
        else if (!strcmp(o, "matern")) p->gp.kernel = GP_MATERN52;
        else if (!strcmp(o, "ard")) p->gp.ard = 1;
        else if (!strcmp(o, "nowarp")) p->gp.warp = 0;
        else return cli_usage_error(cmd, "unknown gp option '%.64s' (onehot, path, rbf, matern, ard, nowarp)", o);
    }
    return CLI_OK;
}

int cli_predictor_width(const struct cli_predictor *p, const struct space *s)
{
    if (p->column >= 0) return 0;
    if (p->lstm) return lstm_seq_len(s);
    return p->path ? space_path_dim(s) : space_onehot_dim(s);
}

void cli_predictor_encode(const struct cli_predictor *p, const struct space *s, const struct arch *a, long i,
                          double *x, int *tok)
{
    long w = cli_predictor_width(p, s);
    if (p->column >= 0) return;
    if (p->lstm) lstm_tokens(s, a, tok + i * w);
    else if (p->path) arch_encode_path(s, a, x + i * w);
    else arch_encode_onehot(s, a, x + i * w);
}

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int cli_predictor_fit_predict(const struct cli_predictor *p, const struct space *s, const double *x, const int *tok,
                              const double *y, int n, const double *xt, const int *tokt, int m, double *mean,
                              const double *ytest, double *lpd, double *fit_s, double *fit_cpu_s, struct rng *r)
{
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    int st;
    if (lpd) *lpd = NAN;
    if (p->lstm) {
        struct lstm *model;
        st = lstm_fit(&model, tok, lstm_seq_len(s), lstm_vocab(s), y, n, &p->lp, r);
        if (!st) {
            st = lstm_predict(model, tokt, m, mean, NULL);
            if (fit_cpu_s) *fit_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
            if (fit_s) *fit_s = clock_s(CLOCK_MONOTONIC) - t0;
            lstm_free(model);
        }
        return st;
    }
    struct gp *g;
    st = gp_fit(&g, x, y, n, cli_predictor_width(p, s), &p->gp, r);
    if (!st) {
        st = gp_predict(g, xt, m, mean, NULL);
        /* timed like a peer's fit + predict; the density is extra */
        if (fit_cpu_s) *fit_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (fit_s) *fit_s = clock_s(CLOCK_MONOTONIC) - t0;
        if (!st && !p->gp.warp && ytest && lpd) st = gp_log_predictive(g, xt, ytest, m, lpd);
        gp_free(g);
    }
    return st;
}
