/*
 * cli/lcurve.c - `nasw lcurve eval` and `nasw lcurve fit`: learning-curve
 * extrapolation (surrogate/lcurve.h, surrogate/lcurve_model.h) on the
 * per-epoch curves of a table.
 *
 * eval: for every complete curve of one dataset and every fraction, observe
 * the first round(fraction * E) epochs and predict the last (epoch E), by
 * each method: last (the last seen value), one of the eleven families, the
 * weighted ensemble, the MCMC posterior, or the model across curves (GP,
 * k-fold cross-validation: a curve is never in its own training set).
 * Writes DIR/summary.csv, DIR/predictions.csv and gnuplot plots of example
 * curves with the predicted bands.
 * fit: one curve (--arch) observed for --epochs k, every method's
 * prediction and the per-family fits.
 *
 * Metric range: accuracies ("acc" in the column name) are in percent,
 * [0, 100]; other higher-is-better metrics are unbounded; lower-is-better
 * metrics (losses, perplexities) are >= 0 and unbounded above.  --lo/--hi
 * override ("none" for an open end).  CPU times (fit_ms) are process CPU
 * time per curve, so a busy machine does not inflate them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api/lcurve_cli.h"
#include "api/nasw.h"
#include "cli/cli.h"
#include "core/rng.h"
#include "core/outfile.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/stats.h"
#include "surrogate/lcurve.h"
#include "surrogate/lcurve_model.h"

enum { M_LAST = LC_N_FAMILIES, M_ENSEMBLE, M_MCMC, M_MODEL, M_MCMC_CAL, M_N };
#define Z90 1.6448536269514722   /* standard normal 95% quantile */

static const char *method_name(int m)
{
    switch (m) {
    case M_LAST: return "last";
    case M_ENSEMBLE: return "ensemble";
    case M_MCMC: return "mcmc";
    case M_MODEL: return "model";
    case M_MCMC_CAL: return "mcmc-cal";
    default: return lcurve_family_name(m);
    }
}

static int method_index(const char *s)
{
    for (int m = 0; m < M_N; m++)
        if (!strcmp(s, method_name(m))) return m;
    return -1;
}

/* The curves of one dataset and metric, and how to read them. */
struct curves {
    struct table *t;
    int d, metric, hib, E;
    double lo, hi;
    long *rows;      /* complete curves (E epochs) */
    int n, skipped;
    double *A;       /* n x dim encodings */
    int dim;
};

static void curves_release(struct curves *c)
{
    table_free(c->t);
    free(c->rows);
    free(c->A);
}

static const double *curve_of(const struct curves *c, int i)
{
    const double *v;
    int first;
    table_curve(c->t, c->rows[i], c->metric, &v, &first);
    return v;
}

static int parse_bound(const char *s, double *out)
{
    if (!strcmp(s, "none")) {
        *out = NAN;
        return 0;
    }
    return cli_parse_double(s, out);
}

/* Options shared by eval and fit. */
struct common {
    struct table_opts topts;
    const char *table, *curves, *dataset, *encoding;
    double lo, hi;
    int lo_set, hi_set;
    long seed, starts;
    double arch_weight;
};

#define COMMON_LONGOPTS                                                                                    \
    {"table", required_argument, 0, 0x2001}, {"dataset", required_argument, 0, 0x2002},                    \
        {"lo", required_argument, 0, 0x2003}, {"hi", required_argument, 0, 0x2004},                        \
        {"seed", required_argument, 0, 0x2005}, {"encoding", required_argument, 0, 0x2006},                \
        {"arch-weight", required_argument, 0, 0x2007}, {"starts", required_argument, 0, 0x2008},          \
        {"help", no_argument, 0, 'h'}, CLI_TABLE_LONGOPTS

/* 1 consumed, 0 not ours, -1 usage error (printed) */
static int common_option(const char *cmd, int c, const char *arg, struct common *o)
{
    switch (c) {
    case 0x1006: o->curves = arg; return 1;   /* --curves: the curve table (or file to attach to --table) */
    case 0x2001: o->table = arg; return 1;
    case 0x2002: o->dataset = arg; return 1;
    case 0x2003:
        if (parse_bound(arg, &o->lo)) return cli_usage_error(cmd, "bad --lo '%.64s' (a number or none)", arg), -1;
        o->lo_set = 1;
        return 1;
    case 0x2004:
        if (parse_bound(arg, &o->hi)) return cli_usage_error(cmd, "bad --hi '%.64s' (a number or none)", arg), -1;
        o->hi_set = 1;
        return 1;
    case 0x2005:
        if (cli_parse_long(arg, &o->seed) || o->seed < 0) return cli_usage_error(cmd, "bad --seed '%.64s'", arg), -1;
        return 1;
    case 0x2006:
        if (strcmp(arg, "onehot") && strcmp(arg, "path") && strcmp(arg, "none"))
            return cli_usage_error(cmd, "bad --encoding '%.64s' (onehot, path, none)", arg), -1;
        o->encoding = arg;
        return 1;
    case 0x2007:
        if (cli_parse_double(arg, &o->arch_weight) || o->arch_weight < 0)
            return cli_usage_error(cmd, "bad --arch-weight '%.64s'", arg), -1;
        return 1;
    case 0x2008:
        if (cli_parse_long(arg, &o->starts) || o->starts < 1 || o->starts > 100)
            return cli_usage_error(cmd, "bad --starts '%.64s' (1..100)", arg), -1;
        return 1;
    }
    return cli_table_option(c, arg, &o->topts);
}

static void common_defaults(struct common *o)
{
    memset(o, 0, sizeof *o);
    table_default_opts(&o->topts);
    o->seed = CLI_DEFAULT_SEED;
    o->starts = 4;
    o->encoding = "onehot";
    o->arch_weight = 0.5;
}

static void common_help(FILE *f)
{
    fputs("  --curves T       the curve table (long format: arch,dataset,epoch,metrics...),\n"
          "                   or with --table FINAL the curve file attached to it\n"
          "  --dataset D      dataset of the curves (required if the table has several)\n"
          "  --lo X, --hi X   range of the metric (\"none\": open); default [0, 100] for\n"
          "                   accuracies, [0, none] for lower-is-better metrics\n"
          "  --encoding E     architecture encoding of the model: onehot (default), path, none\n"
          "  --arch-weight W  scale of the encoding against the standardised prefix features (0.5)\n"
          "  --starts N       least-squares starts per family (default 4)\n"
          "  --seed K         seed of the fits, the MCMC and the folds (default 1); each method\n"
          "                   and fraction has its own stream, so results do not depend on\n"
          "                   which other methods run\n"
          CLI_VERBOSITY_HELP,
          f);
    fputs("  --metric NAME, --maximize|--minimize, --table-dataset NAME, --no-sidecar:\n"
          "                   as for every table (the metric whose curve is extrapolated)\n",
          f);
}

/* "[lo, hi]" with "none" for an open end */
static const char *range_str(const struct curves *c, char *buf, size_t n)
{
    char a[32] = "none", b[32] = "none";
    if (isfinite(c->lo)) snprintf(a, sizeof a, "%g", c->lo);
    if (isfinite(c->hi)) snprintf(b, sizeof b, "%g", c->hi);
    snprintf(buf, n, "[%s, %s]", a, b);
    return buf;
}

static int curves_open(const char *cmd, const struct common *o, struct curves *c)
{
    memset(c, 0, sizeof *c);
    struct table_opts to = o->topts;
    const char *path = o->table ? o->table : o->curves;
    if (!path) return cli_usage_error(cmd, "--curves is required");
    to.curves_path = o->table ? o->curves : NULL;
    if (!(c->t = cli_load_table(path, &to))) return CLI_ERROR;
    if (!table_has_curves(c->t))
        return cli_error("table '%.200s' has no per-epoch curves (a long-format curve file with an epoch column, "
                         "or a final table with --curves FILE)", path);
    if (o->dataset) {
        c->d = table_dataset_index(c->t, o->dataset);
        if (c->d < 0) return cli_error("no dataset '%.64s' in '%.200s'", o->dataset, path);
    } else if (table_n_datasets(c->t) > 1) {
        return cli_usage_error(cmd, "table has %d datasets: choose one with --dataset", table_n_datasets(c->t));
    }
    c->metric = table_search_metric(c->t);
    c->hib = table_metric_higher_is_better(c->t, c->metric);
    const char *mname = table_metric_name(c->t, c->metric);
    if (c->hib) {
        int acc = strstr(mname, "acc") != NULL;
        c->lo = acc ? 0 : NAN;
        c->hi = acc ? 100 : NAN;
    } else {
        c->lo = 0;
        c->hi = NAN;
    }
    if (o->lo_set) c->lo = o->lo;
    if (o->hi_set) c->hi = o->hi;
    if (isfinite(c->lo) && isfinite(c->hi) && !(c->hi > c->lo))
        return cli_usage_error(cmd, "empty metric range [%g, %g]", c->lo, c->hi);
    c->E = table_max_epochs(c->t, c->d);
    long nr = table_n_rows(c->t);
    c->rows = malloc(sizeof *c->rows * (size_t)(nr > 0 ? nr : 1));
    if (!c->rows) return cli_error("out of memory");
    for (long i = 0; i < nr; i++) {
        if (table_row_dataset(c->t, i) != c->d) continue;
        if (table_curve_epochs(c->t, i) == c->E) c->rows[c->n++] = i;
        else c->skipped++;
    }
    if (c->n == 0 || c->E < 3)
        return cli_error("'%.200s': no curves of at least 3 epochs for dataset '%.64s'", path,
                         table_dataset_name(c->t, c->d));
    /* curves outside the metric's range cannot be normalised */
    char rb[80];
    for (int i = 0; i < c->n; i++) {
        const double *v = curve_of(c, i);
        for (int e = 0; e < c->E; e++)
            if (!isfinite(v[e]) || (isfinite(c->lo) && v[e] < c->lo) || (isfinite(c->hi) && v[e] > c->hi))
                return cli_error("%.200s:%ld: %s = %g at epoch %d is outside the metric range %s (see --lo, --hi)",
                                 path, table_row_line(c->t, c->rows[i]), mname, v[e], e + 1,
                                 range_str(c, rb, sizeof rb));
    }
    const struct space *s = table_space(c->t);
    int path_enc = !strcmp(o->encoding, "path");
    c->dim = !strcmp(o->encoding, "none") ? 0 : path_enc ? space_path_dim(s) : space_onehot_dim(s);
    if (c->dim > 0) {
        c->A = malloc(sizeof *c->A * (size_t)c->n * c->dim);
        if (!c->A) return cli_error("out of memory");
        for (int i = 0; i < c->n; i++) {
            const struct arch *a = table_row_arch(c->t, c->rows[i]);
            if (path_enc) arch_encode_path(s, a, c->A + (size_t)i * c->dim);
            else arch_encode_onehot(s, a, c->A + (size_t)i * c->dim);
        }
    }
    return CLI_OK;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* per thread: methods run on --jobs threads */
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One single-curve method on y[0..k-1] -> mean, sd and 90% interval (NAN
 * if none): the library's extrapolation (api/lcurve.c), on x's stream.
 * NASW_EDONE when the method has no valid fit (the caller falls back). */
static int predict_one(int m, const double *y, int k, int target, const struct curves *c, nasw_lcurve *x,
                       double *mean, double *sd, double *q05, double *q95)
{
    double o[4];
    int st = nasw_lcurve_extrapolate(x, method_name(m), y, k, target, c->hib, c->lo, c->hi, o);
    if (st < 0) return -st;
    if (st == 1) return NASW_EDONE;
    *mean = o[0], *sd = o[1], *q05 = o[2], *q95 = o[3];
    return NASW_OK;
}

/* mcmc-cal: move the raw MCMC prediction mean and band by the conformal
 * offsets of the held-out curves (lcurve_conformal), clipped to the metric's
 * range. */
static void calibrate(const struct curves *c, double lo, double med, double hi, double *mean, double *q05, double *q95)
{
    double m = *mean;
    *mean = m + med, *q05 = m + lo, *q95 = m + hi;
    if (isfinite(c->lo)) *mean = fmax(*mean, c->lo), *q05 = fmax(*q05, c->lo), *q95 = fmax(*q95, c->lo);
    if (isfinite(c->hi)) *mean = fmin(*mean, c->hi), *q05 = fmin(*q05, c->hi), *q95 = fmin(*q95, c->hi);
}

/* The model's cross-validated predictions for prefix length k; the curves
 * of a fold whose model fails numerically are NAN (warned, counted in
 * *failed). */
static int model_cv(const struct curves *c, int k, int folds, const struct lcurve_model_params *mp, struct rng *r,
                    double *mean, double *q05, double *q95, int *failed, char *warn, size_t wn)
{
    int n = c->n, st = NASW_OK;
    int *perm = malloc(sizeof *perm * (size_t)n);
    double *Y = malloc(sizeof *Y * (size_t)n * k), *fin = malloc(sizeof *fin * (size_t)n),
           *A = c->dim ? malloc(sizeof *A * (size_t)n * c->dim) : NULL, *Yt = malloc(sizeof *Yt * (size_t)n * k),
           *At = c->dim ? malloc(sizeof *At * (size_t)n * c->dim) : NULL, *pm = malloc(sizeof *pm * (size_t)n),
           *pv = malloc(sizeof *pv * (size_t)n);
    if (!perm || !Y || !fin || !Yt || !pm || !pv || (c->dim && (!A || !At))) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle_int(r, perm, n);
    for (int f = 0; f < folds && !st; f++) {
        int ntr = 0, nte = 0;
        for (int j = 0; j < n; j++) {
            int i = perm[j], test = j % folds == f;
            const double *v = curve_of(c, i);
            double *yd = test ? Yt + (size_t)nte * k : Y + (size_t)ntr * k;
            memcpy(yd, v, sizeof *v * (size_t)k);
            if (c->dim) memcpy((test ? At + (size_t)nte * c->dim : A + (size_t)ntr * c->dim), c->A + (size_t)i * c->dim, sizeof *A * (size_t)c->dim);
            if (test) nte++;
            else fin[ntr++] = v[c->E - 1];
        }
        struct lcurve_model *mo;
        st = lcurve_model_fit(&mo, Y, k, A, c->dim, fin, ntr, mp, r);
        if (st == NASW_ENUMERIC) {
            /* a fold whose model cannot be fitted (e.g. every training curve
             * gains the same from epoch k to E) fails its own curves only */
            /* warned about by the caller, in order (folds run on threads) */
            size_t wl = strlen(warn);
            if (wl < wn)
                snprintf(warn + wl, wn - wl, "method 'model' failed on fold %d of %d (%d curves, %d epochs seen): %s\n",
                         f + 1, folds, nte, k, nasw_errmsg());
            nasw_errclear();
            st = NASW_OK;
            for (int j = f; j < n; j += folds) mean[perm[j]] = q05[perm[j]] = q95[perm[j]] = NAN;
            (*failed)++;
            continue;
        }
        if (st) break;
        st = lcurve_model_predict(mo, Yt, At, nte, pm, pv);
        lcurve_model_free(mo);
        for (int j = 0, t = 0; j < n && !st; j++) {
            if (j % folds != f) continue;
            int i = perm[j];
            double sd = sqrt(pv[t]);
            mean[i] = pm[t], q05[i] = pm[t] - Z90 * sd, q95[i] = pm[t] + Z90 * sd;
            t++;
        }
    }
out:
    free(perm);
    free(Y);
    free(fin);
    free(A);
    free(Yt);
    free(At);
    free(pm);
    free(pv);
    return st;
}

static int parse_methods(const char *cmd, const char *s, int *ms, int *nm)
{
    char **items = NULL;
    int n = 0;
    if (cli_split_list(s, &items, &n) || n == 0) return cli_usage_error(cmd, "empty --methods");
    *nm = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(items[i], "all")) {
            for (int m = 0; m < M_N; m++) ms[(*nm)++ % M_N] = m;
            continue;
        }
        int m = method_index(items[i]);
        if (m < 0) {
            cli_usage_error(cmd, "unknown method '%.64s' (last, a family: vapor ilog2 weibull pow3 pow4 loglog mmf "
                                 "janoschek hill3 logpower exp4, ensemble, mcmc, model, mcmc-cal, all)", items[i]);
            cli_free_list(items, n);
            return CLI_USAGE;
        }
        int dup = 0;
        for (int j = 0; j < *nm; j++) dup |= ms[j] == m;
        if (!dup && *nm < M_N) ms[(*nm)++] = m;
    }
    cli_free_list(items, n);
    return CLI_OK;
}

/* Example plots, one panel per example curve, titled by its architecture:
 * the observed part of the curve (black), the held-out rest (grey) and, per
 * method shown, its posterior mean curve over the unseen epochs with the
 * 90% band: the method is refitted to the same prefix for targets on a grid
 * of epochs (the rng seeded alike for every target, so the fits agree and
 * only the target moves).  The model (a GP across curves) predicts the last
 * epoch only: a point with its 90% interval (the cross-validated values of
 * predictions.csv).  Shown: ensemble, mcmc and model, or the first three
 * methods if none of these was asked for (eleven bands would hide each
 * other).  0 made (or no gnuplot), 1 failed (warned), -1 out of memory,
 * -2 a fit error (reported). */
enum { EX_GRID = 12 };

static int plot_examples(const char *dir, const struct curves *c, int k, double frac, const int *ms, int nm,
                         double *const *mean, double *const *q05, double *const *q95, int n_ex,
                         nasw_lcurve *x, long seed, double w, double h)
{
    if (n_ex > c->n) n_ex = c->n;
    if (n_ex <= 0) return 0;
    int per = nm + 2; /* series per panel: observed, held-out, methods */
    struct plot_panel *panels = calloc((size_t)n_ex, sizeof *panels);
    struct plot_series *series = calloc((size_t)n_ex * per, sizeof *series);
    double *xs = malloc(sizeof *xs * (size_t)c->E), *pts = malloc(sizeof *pts * (size_t)n_ex * nm * (EX_GRID + 1) * 4);
    char(*titles)[600] = calloc((size_t)n_ex, sizeof *titles);
    int rc = 0;
    if (!panels || !series || !xs || !pts || !titles) {
        rc = -1;
        goto out;
    }
    for (int e = 0; e < c->E; e++) xs[e] = e + 1;
    int shown[M_N], nsh = 0;
    for (int q = 0; q < nm; q++)
        if (ms[q] == M_ENSEMBLE || ms[q] == M_MCMC || ms[q] == M_MODEL) shown[nsh++] = q;
    for (int q = 0; q < nm && nsh == 0 && q < 3; q++) shown[q] = q;
    if (nsh == 0) nsh = nm < 3 ? nm : 3;
    /* the target epochs: EX_GRID from k+1 to E (each once) */
    int grid[EX_GRID], ng = 0;
    for (int j = 0; j < EX_GRID; j++) {
        int e = k + 1 + (int)lround((double)(c->E - k - 1) * j / (EX_GRID - 1));
        if (ng == 0 || e > grid[ng - 1]) grid[ng++] = e;
    }
    int percent = isfinite(c->hi) && c->hi > 1.5;
    char ylab[128];
    cli_column_label(c->t, table_metric_name(c->t, c->metric), percent, ylab, sizeof ylab);
    for (int p = 0; p < n_ex; p++) {
        int i = (int)((long)p * (c->n - 1) / (n_ex > 1 ? n_ex - 1 : 1));
        const double *v = curve_of(c, i);
        struct plot_series *s = series + (size_t)p * per;
        s[0] = (struct plot_series){"observed", k, xs, v, NULL, NULL, PLOT_BLACK};
        s[1] = (struct plot_series){"held-out truth", c->E - k + 1, xs + k - 1, v + k - 1, NULL, NULL, PLOT_GREY};
        int ns = 2;
        for (int j = 0; j < nsh; j++) {
            int q = shown[j], m = ms[q];
            /* the last observed epoch, then the grid */
            double *P = pts + ((size_t)p * nm + q) * (EX_GRID + 1) * 4, *X = P, *Y = X + EX_GRID + 1,
                   *L = Y + EX_GRID + 1, *H = L + EX_GRID + 1;
            int n = 0;
            if (m == M_MODEL || m == M_LAST || m == M_MCMC_CAL) {
                /* a prediction of the last epoch only (mcmc-cal: its
                 * calibration needs the other curves' final values) */
                if (!isfinite(mean[q][i])) continue;
                X[0] = c->E, Y[0] = mean[q][i], L[0] = q05[q][i], H[0] = q95[q][i];
                int band = isfinite(L[0]) && isfinite(H[0]);
                s[ns++] = (struct plot_series){method_name(m), 1, X, Y, band ? L : NULL, band ? H : NULL, PLOT_POINTS};
                continue;
            }
            /* the curve starts at the last observed value */
            X[0] = k, Y[0] = L[0] = H[0] = v[k - 1];
            n = 1;
            for (int g = 0; g < ng; g++) {
                double sd;
                nasw_lcurve_seed(x, (uint64_t)seed * 1000003u + (uint64_t)m * 1009u + (uint64_t)i * 7919u);
                int st = predict_one(m, v, k, grid[g], c, x, &Y[n], &sd, &L[n], &H[n]);
                if (st == NASW_EDONE) break; /* no valid fit: no curve */
                if (st) {
                    cli_error("%.200s:%ld: %s", table_path(c->t), table_row_line(c->t, c->rows[i]), nasw_errmsg());
                    rc = -2;
                    goto out;
                }
                if (!isfinite(L[n]) || !isfinite(H[n])) L[n] = H[n] = Y[n];
                X[n++] = grid[g];
            }
            if (n < 2) continue;
            s[ns++] = (struct plot_series){method_name(m), n, X, Y, L, H, PLOT_LINES};
        }
        /* the architecture (plots/ breaks a long one over lines) */
        arch_format(table_space(c->t), table_row_arch(c->t, c->rows[i]), titles[p], sizeof titles[p]);
        /* y range: the curve and the predictions, within the metric's range
         * (a band of the delta method may leave it) */
        double ylo = INFINITY, yhi = -INFINITY;
        for (int j = 0; j < ns; j++)
            for (int e = 0; e < s[j].n; e++) {
                double a = s[j].lo && isfinite(s[j].lo[e]) ? s[j].lo[e] : s[j].y[e];
                double b = s[j].hi && isfinite(s[j].hi[e]) ? s[j].hi[e] : s[j].y[e];
                if (isfinite(a)) ylo = fmin(ylo, a);
                if (isfinite(b)) yhi = fmax(yhi, b);
            }
        if (isfinite(c->lo)) ylo = fmax(ylo, c->lo);
        if (isfinite(c->hi)) yhi = fmin(yhi, c->hi);
        double pad = 0.05 * (yhi - ylo);
        panels[p] = (struct plot_panel){titles[p], ylab, NAN, NULL, ns, s, ylo - pad, yhi + pad, 0};
    }
    char stem[64], cap[256];
    snprintf(stem, sizeof stem, "examples_f%g", frac);
    snprintf(cap, sizeof cap,
             "%s, first %d of %d epochs observed; lines: posterior mean, bands: 90%%; points: last-epoch prediction",
             table_dataset_name(c->t, c->d), k, c->E);
    struct plot_opts po = {.xlabel = "epoch", .caption = cap, .cols = 2, .width_in = w, .height_in = h};
    rc = cli_plot_failed(plot_lines(dir, stem, panels, n_ex, &po), dir, stem);
out:
    free(panels);
    free(series);
    free(xs);
    free(pts);
    free(titles);
    return rc;
}

static void eval_help(FILE *f)
{
    fputs("usage: nasw lcurve eval --curves T [--fractions 0.05,0.1,0.2] [--methods M1,M2,...]\n"
          "                        [--folds 10] [--examples 4] [--seed K] [--jobs J] [--size W,H]\n"
          "                        --dir DIR\n"
          "\n"
          "For every complete curve of the table, observe the first round(fraction * E) epochs\n"
          "and predict the value at the last epoch E.  DIR/summary.csv has\n"
          "method,fraction,curves,spearman,kendall,mae,coverage90,fit_ms.  coverage90: share of\n"
          "true final values inside the method's 90% interval (a curve without an interval\n"
          "counts as not covered; empty if the method gives none); fit_ms: CPU milliseconds per\n"
          "curve.  DIR/predictions.csv: one row per method, fraction and curve;\n"
          "DIR/examples_fF.pdf (.png, .svg): a few curves, titled by architecture, with the\n"
          "observed part, the posterior mean curves and 90% bands of ensemble and mcmc and\n"
          "the model's last-epoch prediction (or of the first three methods).  A method\n"
          "without a valid fit for a curve falls back to the last seen value (counted on stdout).\n"
          "A fold whose model cannot be fitted (e.g. equal targets) is a warning; its curves'\n"
          "predictions and the method's statistics are empty fields (as is any undefined number).\n"
          "Plots are made last: a failed plot is a warning and exit code 1, the CSV files written.\n"
          "  methods: last, vapor, ilog2, weibull, pow3, pow4, loglog, mmf, janoschek, hill3,\n"
          "           logpower, exp4 (Domhan et al. 2015 families), ensemble (their weighted\n"
          "           combination), mcmc (its Bayesian version), model (GP across curves on\n"
          "           prefix features + architecture encoding, cross-validated), mcmc-cal\n"
          "           (mcmc's chains, mean and band moved by split-conformal offsets from the\n"
          "           other curves' residuals: leave one curve out), all\n"
          "           (default: last,pow3,ensemble,mcmc,model,mcmc-cal)\n"
          "  --folds K        cross-validation folds of the model (default 10)\n"
          "  --examples N     curves in the example plots (default 4; 0: none)\n"
          "  --size W,H       size of the example figures in inches (as nasw plot --size)\n"
          "  --jobs J         (fraction, method) evaluations at once, OpenMP threads (default:\n"
          "                   OpenMP's thread count); the results are the same for any J\n",
          f);
    common_help(f);
}

static int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"fractions", required_argument, 0, 'f'}, {"methods", required_argument, 0, 'm'},
        {"folds", required_argument, 0, 'k'},     {"examples", required_argument, 0, 'x'},
        {"jobs", required_argument, 0, 'j'},      CLI_SIZE_LONGOPT,
        CLI_DIR_LONGOPTS,       COMMON_LONGOPTS,
        CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    struct common co;
    common_defaults(&co);
    const char *fr_s = "0.05,0.1,0.2", *me_s = "last,pow3,ensemble,mcmc,model,mcmc-cal", *dir = NULL;
    long folds = 10, n_ex = 4, jobs = omp_get_max_threads();
    double size_w = 0, size_h = 0;
    int c;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("lcurve eval", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("lcurve eval", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        int u = common_option("lcurve eval", c, optarg, &co);
        if (u < 0) return CLI_USAGE;
        if (u) continue;
        switch (c) {
        case 'f': fr_s = optarg; break;
        case 'm': me_s = optarg; break;
        case 'o': dir = optarg; break;
        case 'k':
            if (cli_parse_long(optarg, &folds) || folds < 2) return cli_usage_error("lcurve eval", "bad --folds '%.64s'", optarg);
            break;
        case 'j':
            if (cli_parse_long(optarg, &jobs) || jobs < 1 || jobs > 1024)
                return cli_usage_error("lcurve eval", "bad --jobs '%.64s' (1..1024)", optarg);
            break;
        case 'x':
            if (cli_parse_long(optarg, &n_ex) || n_ex < 0 || n_ex > 16)
                return cli_usage_error("lcurve eval", "bad --examples '%.64s' (0..16)", optarg);
            break;
        case CLI_SIZE_OPT:
            if (cli_size_option("lcurve eval", optarg, &size_w, &size_h)) return CLI_USAGE;
            break;
        case 'h': eval_help(stdout); return CLI_OK;
        default: return cli_bad_option("lcurve eval", longopts, c, argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("lcurve eval", "unexpected argument '%.64s'", argv[optind]);
    if (cli_quiet_stdout(0)) return CLI_ERROR;
    if (!dir) return cli_usage_error("lcurve eval", "--dir is required");
    int ms[M_N], nm = 0;
    if (parse_methods("lcurve eval", me_s, ms, &nm)) return CLI_USAGE;
    char **fr_items = NULL;
    int nf = 0;
    if (cli_split_list(fr_s, &fr_items, &nf) || nf == 0) return cli_usage_error("lcurve eval", "empty --fractions");
    double *fr = calloc((size_t)nf, sizeof *fr);
    for (int i = 0; fr && i < nf; i++)
        if (cli_parse_double(fr_items[i], &fr[i]) || !(fr[i] > 0 && fr[i] < 1)) {
            cli_usage_error("lcurve eval", "bad fraction '%.64s' (0 < f < 1)", fr_items[i]);
            cli_free_list(fr_items, nf);
            free(fr);
            return CLI_USAGE;
        }
    cli_free_list(fr_items, nf);
    if (!fr) return cli_error("out of memory");
    struct curves cv;
    int rc = curves_open("lcurve eval", &co, &cv);
    double *buf = NULL, *truth = NULL, *task_ms = NULL;
    int *ks = NULL, *task_fb = NULL, *task_st = NULL;
    char (*task_err)[300] = NULL, (*task_warn)[1024] = NULL; /* per (fraction, method) */
    nasw_lcurve *r = NULL; /* the example plots' extrapolations */
    FILE *fs = NULL, *fp = NULL;
    struct outfile *os = NULL, *op = NULL;
    if (rc) goto out;
    rc = CLI_ERROR;
    ks = malloc(sizeof *ks * (size_t)nf);
    if (!ks) goto oom;
    for (int i = 0; i < nf; i++) {
        ks[i] = (int)floor(fr[i] * cv.E + 0.5);
        if (ks[i] < 2 || ks[i] >= cv.E) {
            rc = cli_usage_error("lcurve eval", "fraction %g of %d epochs observes %d (need 2..%d)", fr[i], cv.E, ks[i],
                                 cv.E - 1);
            goto out;
        }
    }
    int n = cv.n;
    buf = malloc(sizeof *buf * (size_t)nf * nm * n * 3); /* every fraction's, plotted at the end */
    truth = malloc(sizeof *truth * (size_t)n);
    nasw_lcurve_new(&r, (uint64_t)co.seed, (int)co.starts);
    if (!buf || !truth || !r) {
        goto oom;
    }
    for (int i = 0; i < n; i++) truth[i] = curve_of(&cv, i)[cv.E - 1];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = cli_error("cannot create '%.200s': %s", dir, strerror(errno));
        goto out;
    }
    if (!(fs = cli_out_open(&os, dir, "summary.csv")) || !(fp = cli_out_open(&op, dir, "predictions.csv")))
        goto out;
    fputs("method,fraction,curves,spearman,kendall,mae,coverage90,fit_ms\n", fs);
    fputs("method,fraction,observed,line,arch,true,mean,q05,q95\n", fp);
    char rb[80];
    printf("lcurve eval: %d curves of %d epochs (%s, %s is better, range %s) from '%s'", n, cv.E,
           table_metric_name(cv.t, cv.metric), cv.hib ? "higher" : "lower", range_str(&cv, rb, sizeof rb),
           table_path(cv.t));
    if (cv.skipped) printf("; %d shorter curves skipped", cv.skipped);
    printf("\n  %-10s %8s %6s %9s %9s %9s %10s %9s %9s\n", "method", "fraction", "seen", "spearman", "kendall", "mae",
           "coverage90", "fit_ms", "fallbacks");
    struct lcurve_opts lo;
    lcurve_default_opts(&lo);
    lo.starts = (int)co.starts;
    struct lcurve_model_params mp;
    lcurve_model_default_params(&mp);
    mp.arch_weight = co.arch_weight;
    struct cli_progress *prog = cli_progress_new("lcurve", (double)nf * nm * n);
    long done = 0, n_tasks = (long)nf * nm;
    /* (fraction, method) tasks on --jobs threads: each has its own stream,
     * seeded by the task alone, and its own slice of buf, so the results
     * are the same for any number of threads; the rows are written after,
     * in order */
    if (!(task_fb = calloc((size_t)n_tasks, sizeof *task_fb)) || !(task_ms = calloc((size_t)n_tasks, sizeof *task_ms)) ||
        !(task_st = calloc((size_t)n_tasks, sizeof *task_st)) || !(task_err = calloc((size_t)n_tasks, sizeof *task_err)) ||
        !(task_warn = calloc((size_t)n_tasks, sizeof *task_warn)))
        goto oom;
#pragma omp parallel num_threads((int)jobs)
    {
        /* the task's stream: the extrapolations and the model's folds */
        nasw_lcurve *x = NULL;
        nasw_lcurve_new(&x, 0, (int)co.starts);
        struct rng *tr = x ? api_lcurve_rng(x) : NULL;
#pragma omp for schedule(dynamic, 1)
        for (long task = 0; task < n_tasks; task++) {
            int fi = (int)(task / nm), q = (int)(task % nm), k = ks[fi];
            double *mean = buf + ((size_t)task * 3) * n, *q05 = mean + n, *q95 = q05 + n;
            int m = ms[q], fallbacks = 0, st = NASW_OK;
            if (!tr) {
                task_st[task] = NASW_ENOMEM;
                continue;
            }
            /* mcmc-cal calibrates the very chains of mcmc: same stream */
            rng_seed(tr, (uint64_t)co.seed * 1000003u + (uint64_t)(m == M_MCMC_CAL ? M_MCMC : m) * 1009u + (uint64_t)fi);
            double t0 = cpu_s();
            if (m == M_MODEL) {
                int failed = 0;
                st = model_cv(&cv, k, (int)(folds < n ? folds : n), &mp, tr, mean, q05, q95, &failed, task_warn[task],
                              sizeof task_warn[task]);
                fallbacks = failed; /* folds, not curves: printed as such below */
                if (st) snprintf(task_err[task], sizeof task_err[task], "%s", *nasw_errmsg() ? nasw_errmsg() : nasw_strstatus(st));
#pragma omp critical(lcurve_progress)
                cli_progress_set(prog, (double)(done += n));
            } else {
                for (int i = 0; i < n && !st; i++) {
                    const double *y = curve_of(&cv, i);
                    double sd;
                    int s1 = predict_one(m == M_MCMC_CAL ? M_MCMC : m, y, k, cv.E, &cv, x, &mean[i], &sd, &q05[i], &q95[i]);
                    if (s1 == NASW_EDONE) {
                        fallbacks++;
                        mean[i] = y[k - 1];
                        q05[i] = q95[i] = NAN;
                    } else if (s1) {
                        st = s1;
                        snprintf(task_err[task], sizeof task_err[task], "%.200s:%ld: %s", table_path(cv.t),
                                 table_row_line(cv.t, cv.rows[i]), nasw_errmsg());
                    }
#pragma omp critical(lcurve_progress)
                    cli_progress_set(prog, (double)++done);
                }
                if (!st && m == M_MCMC_CAL) { /* each curve's band from the other curves' residuals */
                    double *res = malloc(sizeof *res * (size_t)n * 4), *clo = res + n, *cmed = clo + n, *chi = cmed + n;
                    if (!res) {
                        st = NASW_ENOMEM;
                    } else {
                        for (int i = 0; i < n; i++) res[i] = truth[i] - mean[i];
                        st = lcurve_conformal_loo(res, n, 0.1, clo, cmed, chi);
                        for (int i = 0; i < n && !st; i++) calibrate(&cv, clo[i], cmed[i], chi[i], &mean[i], &q05[i], &q95[i]);
                        if (st) snprintf(task_err[task], sizeof task_err[task], "%s", *nasw_errmsg() ? nasw_errmsg() : nasw_strstatus(st));
                        free(res);
                    }
                }
            }
            task_st[task] = st;
            task_fb[task] = fallbacks;
            task_ms[task] = 1e3 * (cpu_s() - t0) / n;
        }
        nasw_lcurve_free(x);
    }
    cli_progress_done(prog);
    for (long task = 0; task < n_tasks; task++) /* the failed folds' warnings, one per line */
        for (char *w = task_warn[task], *e; *w; w = e + 1) {
            if (!(e = strchr(w, '\n'))) break;
            cli_warn("%.*s", (int)(e - w), w);
        }
    for (long task = 0; task < n_tasks; task++)
        if (task_st[task] == NASW_ENOMEM && !task_err[task][0]) goto oom;
        else if (task_st[task]) {
            rc = cli_error("%s", task_err[task]);
            goto out;
        }
    for (int fi = 0; fi < nf; fi++) {
        int k = ks[fi];
        double *mean[M_N], *q05[M_N], *q95[M_N];
        for (int q = 0; q < nm; q++) {
            long task = (long)fi * nm + q;
            mean[q] = buf + ((size_t)task * 3) * n, q05[q] = mean[q] + n, q95[q] = q05[q] + n;
            int m = ms[q], fallbacks = task_fb[task];
            double ms_per = task_ms[task], mae = 0;
            int cov = 0, has_int = 0, missing = 0;
            for (int i = 0; i < n; i++) {
                missing += !isfinite(mean[q][i]);
                mae += fabs(mean[q][i] - truth[i]) / n;
                if (isfinite(q05[q][i])) {
                    has_int++;
                    cov += truth[i] >= q05[q][i] && truth[i] <= q95[q][i];
                }
            }
            /* a curve without a prediction (a failed model fold) leaves the
             * method's statistics over all curves undefined: empty fields */
            double sp = NAN, kt = NAN, cv90 = NAN;
            if (!missing) {
                sp = stats_spearman(mean[q], truth, (size_t)n);
                kt = stats_kendall(mean[q], truth, (size_t)n);
                /* a curve without an interval (a fallback) counts as not covered */
                if (has_int) cv90 = (double)cov / n;
            } else {
                mae = NAN;
            }
            double row[5] = {sp, kt, mae, cv90, ms_per};
            fprintf(fs, "%s,%g,%d", method_name(m), fr[fi], n);
            for (int j = 0; j < 5; j++) {
                fputc(',', fs);
                cli_csv_num(fs, j == 4 ? "%.4f" : "%.6f", row[j]);
            }
            fputc('\n', fs);
            printf("  %-10s %8g %6d", method_name(m), fr[fi], k);
            for (int j = 0; j < 5; j++) {
                static const char *const wide[] = {" %9.4f", " %9.4f", " %9.4f", " %10.3f", " %9.3f"};
                if (isfinite(row[j])) printf(wide[j], row[j]);
                else printf(j == 3 ? " %10s" : " %9s", "-");
            }
            printf(" %9d%s\n", fallbacks, m == M_MODEL && fallbacks ? " failed folds" : "");
            for (int i = 0; i < n; i++) {
                char as[512];
                arch_format(table_space(cv.t), table_row_arch(cv.t, cv.rows[i]), as, sizeof as);
                fprintf(fp, "%s,%g,%d,%ld,%s,%.6f,", method_name(m), fr[fi], k, table_row_line(cv.t, cv.rows[i]), as,
                        truth[i]);
                cli_csv_num(fp, "%.6f", mean[q][i]);
                fputc(',', fp);
                cli_csv_num(fp, "%.6f", q05[q][i]);
                fputc(',', fp);
                cli_csv_num(fp, "%.6f", q95[q][i]);
                fputc('\n', fp);
            }
        }
    }
    rc = cli_out_commit(os);
    os = NULL;
    if (cli_out_commit(op)) rc = CLI_ERROR;
    op = NULL;
    if (rc) goto out;
    printf("wrote %s/summary.csv, predictions.csv\n", dir);
    /* plots last: a failed plot loses no result */
    int plot_bad = 0;
    for (int fi = 0; fi < nf; fi++) {
        double *mean[M_N], *q05[M_N], *q95[M_N];
        for (int q = 0; q < nm; q++)
            mean[q] = buf + (((size_t)fi * nm + q) * 3) * n, q05[q] = mean[q] + n, q95[q] = q05[q] + n;
        int prc = plot_examples(dir, &cv, ks[fi], fr[fi], ms, nm, mean, q05, q95, (int)n_ex, r, co.seed, size_w, size_h);
        if (prc == -1) goto oom;
        if (prc < 0) {
            rc = CLI_ERROR;
            goto out;
        }
        plot_bad += prc;
    }
    rc = plot_bad ? cli_error("%d plot(s) failed; the results are written", plot_bad) : CLI_OK;
    goto out;
oom:
    rc = cli_error("out of memory");
out:
    outfile_abort(os);
    outfile_abort(op);
    free(fr);
    free(ks);
    free(buf);
    free(truth);
    free(task_ms);
    free(task_fb);
    free(task_st);
    free(task_err);
    free(task_warn);
    nasw_lcurve_free(r);
    curves_release(&cv);
    return rc;
}

static void fit_help(FILE *f)
{
    fputs("usage: nasw lcurve fit --curves T --arch A --epochs K [--method M] [--target E]\n"
          "\n"
          "Observe the first K epochs of the curve of architecture A and predict its value at\n"
          "epoch E (default: the table's last epoch; the true value is shown when known): mean,\n"
          "sd and 90% interval of each method, and the per-family least-squares fits (parameters\n"
          "in the normalised space u of surrogate/lcurve.h, ensemble weights).\n"
          "  --method M       last, a family, ensemble, mcmc, model, mcmc-cal or all (default\n"
          "                   all); model is trained on the table's other complete curves,\n"
          "                   mcmc-cal calibrated on their MCMC residuals (an MCMC per curve)\n",
          f);
    common_help(f);
}

static int cmd_fit(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"arch", required_argument, 0, 'a'},   {"epochs", required_argument, 0, 'e'},
        {"method", required_argument, 0, 'm'}, {"target", required_argument, 0, 'T'},
        COMMON_LONGOPTS,                       CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    struct common co;
    common_defaults(&co);
    const char *arch_s = NULL, *me_s = "all";
    long k = 0, target = 0;
    int c;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("lcurve fit", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("lcurve fit", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        int u = common_option("lcurve fit", c, optarg, &co);
        if (u < 0) return CLI_USAGE;
        if (u) continue;
        switch (c) {
        case 'a': arch_s = optarg; break;
        case 'm': me_s = optarg; break;
        case 'e':
            if (cli_parse_long(optarg, &k) || k < 2) return cli_usage_error("lcurve fit", "bad --epochs '%.64s' (>= 2)", optarg);
            break;
        case 'T':
            if (cli_parse_long(optarg, &target) || target < 3) return cli_usage_error("lcurve fit", "bad --target '%.64s'", optarg);
            break;
        case 'h': fit_help(stdout); return CLI_OK;
        default: return cli_bad_option("lcurve fit", longopts, c, argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("lcurve fit", "unexpected argument '%.64s'", argv[optind]);
    if (!arch_s || !k) return cli_usage_error("lcurve fit", "--arch and --epochs are required");
    int ms[M_N], nm = 0;
    if (parse_methods("lcurve fit", me_s, ms, &nm)) return CLI_USAGE;
    struct curves cv;
    nasw_lcurve *x = NULL; /* one stream: the extrapolations, the model, the per-family fits */
    struct rng *r = NULL;
    int rc = curves_open("lcurve fit", &co, &cv);
    double *Y = NULL, *fin = NULL, *A = NULL;
    if (rc) goto out;
    rc = CLI_ERROR;
    struct arch a;
    const struct space *s = table_space(cv.t);
    if (arch_parse(s, arch_s, &a)) {
        rc = cli_error_status(NASW_EPARSE);
        goto out;
    }
    long row = table_find(cv.t, cv.d, arch_key(s, &a));
    int me = -1;
    for (int i = 0; i < cv.n; i++)
        if (cv.rows[i] == row) me = i;
    if (row < 0 || table_curve_epochs(cv.t, row) < k) {
        rc = cli_error("no curve of %ld epochs for architecture '%.64s' in dataset '%.64s'", k, arch_s,
                       table_dataset_name(cv.t, cv.d));
        goto out;
    }
    if (!target) target = cv.E;
    if (target <= k) {
        rc = cli_usage_error("lcurve fit", "--target %ld is not after --epochs %ld", target, k);
        goto out;
    }
    const double *y;
    int first;
    table_curve(cv.t, row, cv.metric, &y, &first);
    int have_true = table_curve_epochs(cv.t, row) >= target;
    if (nasw_lcurve_new(&x, (uint64_t)co.seed, (int)co.starts)) goto oom;
    r = api_lcurve_rng(x);
    struct lcurve_opts lo;
    lcurve_default_opts(&lo);
    lo.starts = (int)co.starts;
    struct curves cf = cv;
    cf.E = (int)target;
    char rb[80];
    printf("curve of %s (dataset %s, line %ld): %s, %s is better, range %s\n", arch_s,
           table_dataset_name(cv.t, cv.d), table_row_line(cv.t, row), table_metric_name(cv.t, cv.metric),
           cv.hib ? "higher" : "lower", range_str(&cv, rb, sizeof rb));
    printf("observed epochs 1..%ld (last %.4f); predicting epoch %ld", k, y[k - 1], target);
    if (have_true) printf(" (true %.4f)", y[target - 1]);
    printf("\n  %-10s %10s %9s %10s %10s\n", "method", "mean", "sd", "q05", "q95");
    for (int q = 0; q < nm; q++) {
        int m = ms[q];
        double mean = NAN, sd = NAN, q05 = NAN, q95 = NAN;
        int st;
        if (m == M_MODEL) {
            /* trained on the other complete curves of the dataset */
            if (target != cv.E) {
                printf("  %-10s (only for the table's last epoch %d)\n", "model", cv.E);
                continue;
            }
            int nt = 0;
            Y = malloc(sizeof *Y * (size_t)cv.n * k);
            fin = malloc(sizeof *fin * (size_t)cv.n);
            A = cv.dim ? malloc(sizeof *A * (size_t)cv.n * cv.dim) : NULL;
            if (!Y || !fin || (cv.dim && !A)) goto oom;
            for (int i = 0; i < cv.n; i++) {
                if (i == me) continue;
                const double *v = curve_of(&cv, i);
                memcpy(Y + (size_t)nt * k, v, sizeof *v * (size_t)k);
                if (cv.dim) memcpy(A + (size_t)nt * cv.dim, cv.A + (size_t)i * cv.dim, sizeof *A * (size_t)cv.dim);
                fin[nt++] = v[cv.E - 1];
            }
            double enc[4096];
            if (cv.dim > 4096) goto oom;
            if (cv.dim && !strcmp(co.encoding, "path")) arch_encode_path(s, &a, enc);
            else if (cv.dim) arch_encode_onehot(s, &a, enc);
            struct lcurve_model_params mp;
            lcurve_model_default_params(&mp);
            mp.arch_weight = co.arch_weight;
            struct lcurve_model *mo;
            double var;
            st = lcurve_model_fit(&mo, Y, (int)k, A, cv.dim, fin, nt, &mp, r);
            if (!st) {
                st = lcurve_model_predict(mo, y, cv.dim ? enc : NULL, 1, &mean, &var);
                lcurve_model_free(mo);
            }
            if (st == NASW_ENUMERIC) { /* the other methods still answer */
                cli_warn("method 'model' failed: %s", nasw_errmsg());
                nasw_errclear();
                printf("  %-10s (no fit: see the warning)\n", "model");
                continue;
            }
            if (st) {
                rc = cli_error_status(st);
                goto out;
            }
            sd = sqrt(var);
            q05 = mean - Z90 * sd, q95 = mean + Z90 * sd;
        } else if (m == M_MCMC_CAL) {
            /* the MCMC of this curve, its band calibrated by the residuals
             * of the MCMC on the other complete curves of the dataset */
            if (target != cv.E) {
                printf("  %-10s (only for the table's last epoch %d)\n", "mcmc-cal", cv.E);
                continue;
            }
            st = predict_one(M_MCMC, y, (int)k, cf.E, &cf, x, &mean, &sd, &q05, &q95);
            if (st == NASW_EDONE) mean = y[k - 1], st = NASW_OK;
            double *res = malloc(sizeof *res * (size_t)(cv.n > 0 ? cv.n : 1));
            if (!res) goto oom;
            int nt = 0;
            for (int i = 0; i < cv.n && !st; i++) {
                if (i == me) continue;
                const double *v = curve_of(&cv, i);
                double mi = NAN, si, li, hi_;
                st = predict_one(M_MCMC, v, (int)k, cv.E, &cv, x, &mi, &si, &li, &hi_);
                if (st == NASW_EDONE) mi = v[k - 1], st = NASW_OK;
                res[nt++] = v[cv.E - 1] - mi;
            }
            double clo, cmed, chi;
            if (!st) st = lcurve_conformal(res, nt, 0.1, &clo, &cmed, &chi);
            free(res);
            if (st) {
                rc = cli_error_status(st);
                goto out;
            }
            calibrate(&cv, clo, cmed, chi, &mean, &q05, &q95);
            sd = (q95 - q05) / (2 * Z90);   /* the normal sd of the same 90% width */
        } else {
            st = predict_one(m, y, (int)k, cf.E, &cf, x, &mean, &sd, &q05, &q95);
            if (st == NASW_EDONE) {
                printf("  %-10s (no fit within the constraints)\n", method_name(m));
                continue;
            }
            if (st) {
                rc = cli_error_status(st);
                goto out;
            }
        }
        double v[4] = {mean, sd, q05, q95};
        printf("  %-10s", method_name(m));
        for (int j = 0; j < 4; j++) { /* "-": undefined (no interval for last) */
            if (isfinite(v[j])) printf(j == 1 ? " %9.4f" : " %10.4f", v[j]);
            else printf(j == 1 ? " %9s" : " %10s", "-");
        }
        putchar('\n');
    }
    /* per-family fits */
    struct lcurve_fit fits[LC_N_FAMILIES], ens;
    double w[LC_N_FAMILIES];
    int st = lcurve_fit_ensemble(y, (int)k, (int)target, cv.hib, cv.lo, cv.hi, &lo, r, fits, w, &ens);
    if (st && st != NASW_ENUMERIC) {
        rc = cli_error_status(st);
        goto out;
    }
    printf("per-family fits (epoch %ld):\n  %-10s %7s %10s %9s %10s  %s\n", target, "family", "weight", "mean", "sd",
           "wsse", "parameters (normalised space)");
    for (int f = 0; f < LC_N_FAMILIES; f++) {
        if (st || !fits[f].ok) {
            printf("  %-10s %7s (no fit within the constraints)\n", lcurve_family_name(f), "-");
            continue;
        }
        printf("  %-10s %7.4f %10.4f %9.4f %10.3g  %s =", lcurve_family_name(f), w[f], fits[f].mean, fits[f].sd,
               fits[f].wsse, lcurve_family_params(f));
        for (int j = 0; j < lcurve_family_n_params(f); j++) printf(" %.6g", fits[f].theta[j]);
        putchar('\n');
    }
    rc = CLI_OK;
    goto out;
oom:
    rc = cli_error("out of memory");
out:
    free(Y);
    free(fin);
    free(A);
    nasw_lcurve_free(x);
    curves_release(&cv);
    return rc;
}

int cmd_lcurve(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fputs("usage: nasw lcurve eval --curves T [options] --dir DIR\n"
              "       nasw lcurve fit --curves T --arch A --epochs K [options]\n"
              "\n"
              "Learning-curve extrapolation: the eleven parametric families of Domhan et al.\n"
              "(2015), their weighted ensemble and MCMC posterior, and a GP across curves.\n"
              "See 'nasw lcurve eval -h' and 'nasw lcurve fit -h'.\n",
              f);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fit")) return cmd_fit(argc - 1, argv + 1);
    return cli_usage_error("lcurve", "unknown subcommand '%.64s' (eval, fit)", argv[1]);
}
