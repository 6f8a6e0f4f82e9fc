/*
 * cli/predict.c - `nasw predict`: how well do predictors rank unseen
 * architectures?  The protocol of White et al. 2021 ("How powerful are
 * performance predictors in NAS?"): per trial, a random test set and
 * disjoint random training sets of each size (nested), every predictor fitted
 * on the training set and scored on the test set by Kendall tau, Spearman
 * and MAE; fit time measured.
 *
 * Predictors: gp[:onehot|path][:rbf|matern][:ard][:nowarp] (surrogate/gp.h),
 * lstm[:key=value]... (the PNAS LSTM ensemble of surrogate/lstm.h on the
 * token sequences; its uncertainty is not used here), the predictor zoo
 * (xgb, rf, mlp, gcn, ensemble: api/predictor.h, docs/predictor-zoo.md),
 * and any numeric column of the table used as is (params, flops, zero-cost
 * scores: training-free baselines; their MAE is not meaningful and left empty),
 * and supernet[:key=value]... (cli/supernet_pred.c: weight sharing, the
 * one-shot accuracy of a supernet trained once per trial, training labels
 * unused; its cost, training and scoring, is charged to every size's fit).
 * Unwarped GPs also get the held-out log predictive density (lpd_mean).
 * --splits-out writes every trial's training and test sets, so that peers
 * outside nasw (bench/predict_peers.py) are scored on identical splits.
 * A model that cannot be fitted (NASW_ENUMERIC, e.g. equal training targets)
 * fails its cell only: a warning names predictor, trial and size, trials.csv
 * leaves the cell empty and the summary averages the other trials.  Every
 * result is written before any plot is made (docs/outputs-columns.md).
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

#include "cli/cli.h"
#include "api/predictor.h"
#include "core/rng.h"
#include "core/outfile.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/stats.h"
#include "train/trainer.h"

static void help(FILE *f)
{
    fputs("usage: nasw predict --table T [--dataset D] --predictors P1,P2 [--train-sizes 10,20,50,...]\n"
          "                    [--test-size 200] [--trials 30] [--seed K] [--jobs J] [--splits-out FILE]\n"
          "                    [--size W,H] --dir DIR\n"
          "\n"
          "Fit each predictor on random training sets and rank a disjoint random test set\n"
          "(White et al. 2021): DIR/summary.csv with predictor,train_size,trials,kendall_mean,\n"
          "kendall_std,spearman_mean,mae_mean,fit_s_mean,lpd_mean,fit_cpu_s_mean; DIR/kendall.pdf\n"
          "(Kendall tau against the training-set size) and DIR/scatter_PREDICTOR.pdf (predicted vs\n"
          "true, largest training set, last trial; rank against rank for a table column, whose\n"
          "scale is not the metric's; sentinel scores such as -1e8 dropped), each also as .png\n"
          "and .svg (docs/figures.md); lpd_mean is the held-out log predictive density of\n"
          "unwarped GPs; fit_s / fit_cpu_s are the wall / CPU seconds of fit + predict.\n"
          "DIR/trials.csv: the same per trial; DIR/predictions.csv: every test architecture's\n"
          "prediction (predictor,train_size,trial,arch,y,prediction).  A fit that fails (e.g.\n"
          "equal training targets) is a warning naming predictor, trial and size, empty in\n"
          "trials.csv and predictions.csv and left out of the summary's means (its trials\n"
          "column counts the rest); an undefined statistic is an empty field.  Plots are made\n"
          "last: a failed plot is a warning and exit code 1, the CSV files being written.\n"
          "  --splits-out FILE  also write every trial's splits as CSV (trial,train_size,role,arch,y;\n"
          "              role train or test) for peers outside nasw (bench/predict_peers.py)\n",
          f);
    /* two literals: one would pass the length C11 compilers must support */
    fputs("  predictors: gp[:onehot|path][:rbf|matern][:ard][:nowarp]  Gaussian process on the\n"
          "              architecture encoding (default one-hot, Matern-5/2, rank-warped targets);\n"
          "              any numeric column of the table (params, flops, a zero-cost score) as a\n"
          "              training-free baseline;\n"
          "              lstm[:ensemble=1][:epochs=100][:hidden=100][:embed=100][:batch=32][:lr=0.001]\n"
          "              the PNAS LSTM surrogate on the architecture's token sequence;\n"
          "              xgb[:rounds=500][:depth=6][:eta=0.05][:subsample=0.8][:colsample=0.8][:min_child=1]\n"
          "              gradient-boosted trees (XGBoost); rf[:trees=300][:depth=12][:subsample=0.8]\n"
          "              [:colsample=0.5][:min_child=1] XGBoost's random forest;\n"
          "              mlp[:layers=3][:hidden=32][:ensemble=5][:epochs=200][:batch=32][:lr=0.01][:loss=mae|mse]\n"
          "              the BANANAS MLP ensemble; xgb, rf and mlp also take encoding=onehot|path|none\n"
          "              (default: one-hot for the trees, path for mlp) and features=zc|COLUMN (the\n"
          "              table's zero-cost columns, or one column, appended to the encoding);\n"
          "              gcn[:layers=3][:hidden=32][:ensemble=3][:epochs=100][:batch=32][:lr=0.005] a graph\n"
          "              convolutional network on the cell DAG (cell spaces);\n"
          "              ensemble:members=A+B+...[:combine=stack|rank] any of these and table columns\n"
          "              combined: a ridge on the members' out-of-fold ranks (stack) or their mean rank;\n"
          "              a member's own options use '/' for ':' (ensemble:members=xgb/features=zc+jacov);\n"
          "              supernet[:preset=proxy][:epochs=5][:mode=path|mixture|gumbel][:bn_batches=4]\n"
          "              [:eval_images=0][:tau_max=10][:tau_min=0.1] weight sharing on a table of NB201\n"
          "              cells: per trial a supernet trained on Fashion-MNIST (the live bench's preset;\n"
          "              one uniform path per step, or DARTS' mixture, or GDAS' Gumbel sample), each test\n"
          "              cell predicted by its one-shot validation accuracy (BN recomputed on bn_batches\n"
          "              batches, eval_images validation images, 0: all); training labels unused; its\n"
          "              seconds (training + scoring, once per trial) are every size's fit_s; checkpoints\n"
          "              DIR/predict.supernet-*.ckpt resume a killed run and spare a rerun the training\n"
          "              (docs/weight-sharing.md)\n"
          "  --seed K      seed of the splits and of the predictors (default 1)\n"
          "  --jobs J      (trial, predictor) fits at once, OpenMP threads (default: OpenMP's\n"
          "              thread count); the results are the same for any J\n"
          "  --size W,H    size of every figure in inches (as nasw plot --size)\n"
          CLI_VERBOSITY_HELP,
          f);
    cli_table_options_help(f);
}

#define NACC 6 /* per (predictor, size, trial): kendall, spearman, mae, fit_s, lpd, fit_cpu_s */

/* one trial's splits: for each training size its (nested) training rows,
 * then the trial's test rows */
static int write_splits(FILE *f, const struct table *t, const struct space *s, int sm, const long *rows, long trial,
                        const long *sizes, int n_sz, long test_size)
{
    char a[ARCH_STR_MAX];
    for (int z = 0; z < n_sz; z++)
        for (long i = 0; i < sizes[z] + test_size; i++) {
            long row = i < sizes[z] ? rows[test_size + i] : rows[i - sizes[z]];
            if (arch_format(s, table_row_arch(t, row), a, sizeof a)) return -1;
            fprintf(f, "%ld,%ld,%s,%s,%.17g\n", trial, sizes[z], i < sizes[z] ? "train" : "test", a,
                    table_value(t, row, sm));
        }
    return ferror(f) ? -1 : 0;
}

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Every cell's numbers: acc[(p, size, trial)][NACC], ok[(p, size, trial)]
 * the fit succeeded. */
struct results {
    const struct api_predictor *pr;
    int n_pr, n_sz;
    const long *sizes;
    long trials;
    const double *acc;
    const unsigned char *ok;
};

static size_t cell_at(const struct results *R, int q, int z, long tr)
{
    return ((size_t)q * R->n_sz + z) * R->trials + tr;
}

/* DIR/trials.csv: one row per predictor, size and trial; a failed fit has
 * empty fields (as has any undefined number) */
static int write_trials(const char *dir, const struct results *R)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, dir, "trials.csv");
    if (!f) return CLI_ERROR;
    fputs("predictor,train_size,trial,kendall,spearman,mae,fit_s,lpd,fit_cpu_s\n", f);
    for (int q = 0; q < R->n_pr; q++)
        for (int z = 0; z < R->n_sz; z++)
            for (long tr = 0; tr < R->trials; tr++) {
                size_t at = cell_at(R, q, z, tr);
                fprintf(f, "%s,%ld,%ld", R->pr[q].name, R->sizes[z], tr + 1);
                for (int k = 0; k < NACC; k++) {
                    fputc(',', f);
                    if (R->ok[at]) cli_csv_num(f, "%.6f", R->acc[at * NACC + k]);
                }
                fputc('\n', f);
            }
    return cli_out_commit(o);
}

/* DIR/predictions.csv: every test architecture's prediction per
 * predictor, size and trial (perm: the trials' row permutations, the test
 * set first; pred: test_size per cell); a failed fit has empty predictions */
static int write_predictions(const char *dir, const struct results *R, const struct table *t, int sm,
                             const long *perm, long nrow, long test_size, const double *pred)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, dir, "predictions.csv");
    if (!f) return CLI_ERROR;
    fputs("predictor,train_size,trial,arch,y,prediction\n", f);
    char a[ARCH_STR_MAX];
    for (int q = 0; q < R->n_pr; q++)
        for (int z = 0; z < R->n_sz; z++)
            for (long tr = 0; tr < R->trials; tr++) {
                size_t at = cell_at(R, q, z, tr);
                for (long i = 0; i < test_size; i++) {
                    long row = perm[(size_t)tr * (size_t)nrow + (size_t)i];
                    if (arch_format(table_space(t), table_row_arch(t, row), a, sizeof a)) a[0] = '\0';
                    fprintf(f, "%s,%ld,%ld,%s,", R->pr[q].name, R->sizes[z], tr + 1, a);
                    cli_csv_num(f, "%.17g", table_value(t, row, sm));
                    fputc(',', f);
                    if (R->ok[at]) cli_csv_num(f, "%.17g", pred[at * (size_t)test_size + (size_t)i]);
                    fputc('\n', f);
                }
            }
    return cli_out_commit(o);
}

/* DIR/summary.csv: means over the trials whose fit succeeded (`trials`
 * counts them); the Kendall series of the plot into series (n_pr) and pts
 * (n_pr * n_sz * 4) */
static int write_summary(const char *dir, const struct results *R, struct plot_series *series, double *pts, FILE *txt)
{
    struct outfile *o;
    double *col = malloc(sizeof *col * (size_t)R->trials);
    if (!col) return cli_error("out of memory");
    FILE *f = cli_out_open(&o, dir, "summary.csv");
    if (!f) {
        free(col);
        return CLI_ERROR;
    }
    fputs("predictor,train_size,trials,kendall_mean,kendall_std,spearman_mean,mae_mean,fit_s_mean,lpd_mean,"
          "fit_cpu_s_mean\n",
          f);
    fprintf(txt, "  %-24s %8s %6s %10s %8s %10s %10s %10s %10s\n", "predictor", "n_train", "trials", "kendall", "std",
           "spearman", "mae", "fit_s", "lpd");
    for (int q = 0; q < R->n_pr; q++) {
        double *x = pts + (size_t)q * R->n_sz * 4, *ym = x + R->n_sz, *lo = ym + R->n_sz, *hi = lo + R->n_sz;
        for (int z = 0; z < R->n_sz; z++) {
            double m[NACC], ksd = NAN, h = NAN;
            size_t n_ok = 0;
            for (int k = 0; k < NACC; k++) {
                n_ok = 0;
                for (long tr = 0; tr < R->trials; tr++)
                    if (R->ok[cell_at(R, q, z, tr)]) col[n_ok++] = R->acc[cell_at(R, q, z, tr) * NACC + k];
                m[k] = stats_mean(col, n_ok); /* NAN if no trial succeeded */
                if (k == 0 && n_ok >= 2) ksd = stats_sd(col, n_ok), h = stats_ci95(col, n_ok);
            }
            x[z] = (double)R->sizes[z];
            ym[z] = m[0];
            lo[z] = m[0] - (isfinite(h) ? h : 0); /* one trial: no band */
            hi[z] = m[0] + (isfinite(h) ? h : 0);
            fprintf(f, "%s,%ld,%zu,", R->pr[q].name, R->sizes[z], n_ok);
            double v[NACC + 1] = {m[0], ksd, m[1], m[2], m[3], m[4], m[5]};
            for (int k = 0; k <= NACC; k++) {
                cli_csv_num(f, "%.6f", v[k]);
                fputc(k < NACC ? ',' : '\n', f);
            }
            fprintf(txt, "  %-24s %8ld %6zu", R->pr[q].name, R->sizes[z], n_ok);
            for (int k = 0; k <= NACC - 1; k++) {
                if (isfinite(v[k])) fprintf(txt, k == 1 ? " %8.4f" : " %10.4f", v[k]);
                else fprintf(txt, k == 1 ? " %8s" : " %10s", "-");
            }
            fputc('\n', txt);
        }
        series[q] = (struct plot_series){R->pr[q].name, R->n_sz, x, ym, lo, hi, PLOT_LINES};
    }
    free(col);
    return cli_out_commit(o);
}

/* Median and median absolute deviation of the finite values of v[0..n-1]
 * (work: n doubles); NaN if none is finite. */
static void robust_centre(const double *v, long n, double *work, double *med, double *mad)
{
    long m = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(v[i])) work[m++] = v[i];
    *med = m ? stats_median(work, (size_t)m) : NAN;
    for (long i = 0; i < m; i++) work[i] = fabs(work[i] - *med);
    *mad = m ? stats_median(work, (size_t)m) : NAN;
}

/* A sentinel: not finite, or further from the median than 1000 median
 * absolute deviations, like the -1e8 zen score of the cells the proxy
 * could not score (a value no real score comes near: on NB201 the scores
 * lie within 10 deviations).  Kept, it sets the axis range and the real
 * points become one dot. */
static int is_sentinel(double v, double med, double mad)
{
    return !isfinite(v) || (mad > 0 && fabs(v - med) > 1000 * mad);
}

/* DIR/scatter_STEM: predicted against true on the last trial's test set,
 * sentinels dropped; a table column (a score on its own scale) rank against
 * rank, a model of the metric value against value. */
static int plot_predict_scatter(const char *dir, const struct api_predictor *p, const struct table *t, int sm,
                                const char *dataset,
                                const double *ytrue, const double *ypred, long n, long n_train, double w, double h)
{
    const char *metric = table_metric_name(t, sm);
    char stem[128], xl[160], yl[192], cap[256], unit[128];
    snprintf(stem, sizeof stem, "scatter_%s", p->name);
    for (char *ch = stem; *ch; ch++)
        if (*ch == ':' || *ch == '/') *ch = '_';
    double *work = malloc(sizeof *work * (size_t)(n ? n : 1) * 4);
    long *idx = malloc(sizeof *idx * (size_t)(n ? n : 1));
    if (!work || !idx) {
        free(work);
        free(idx);
        return cli_plot_failed(nasw_errorf(NASW_ENOMEM, "out of memory"), dir, stem);
    }
    double *px = work + n, *py = px + n, *tmp = py + n;
    double mt, dt, mp, dp; /* medians, deviations */
    robust_centre(ytrue, n, work, &mt, &dt);
    robust_centre(ypred, n, work, &mp, &dp);
    long m = 0, dropped = 0;
    double example = NAN;
    for (long i = 0; i < n; i++) {
        if (is_sentinel(ytrue[i], mt, dt) || is_sentinel(ypred[i], mp, dp)) {
            /* a finite sentinel, to name in the caption */
            if (!isfinite(example)) example = isfinite(ypred[i]) && is_sentinel(ypred[i], mp, dp) ? ypred[i]
                                              : isfinite(ytrue[i]) && is_sentinel(ytrue[i], mt, dt) ? ytrue[i]
                                                                                                     : NAN;
            dropped++;
            continue;
        }
        idx[m++] = i;
    }
    int percent = 0;
    for (long i = 0; i < m; i++) percent |= fabs(ytrue[idx[i]]) > 1.5;
    cli_column_label(t, metric, percent, unit, sizeof unit);
    int by_rank = p->column >= 0;
    int st = NASW_OK;
    if (by_rank) {
        for (long i = 0; i < m; i++) tmp[i] = ytrue[idx[i]];
        st = stats_ranks(tmp, (size_t)m, px);
        for (long i = 0; i < m; i++) tmp[i] = ypred[idx[i]];
        if (!st) st = stats_ranks(tmp, (size_t)m, py);
        snprintf(xl, sizeof xl, "rank by true %s (1 = lowest)", metric);
        snprintf(yl, sizeof yl, "rank by %s", p->name);
    } else {
        for (long i = 0; i < m; i++) px[i] = ytrue[idx[i]], py[i] = ypred[idx[i]];
        snprintf(xl, sizeof xl, "true %s", unit);
        snprintf(yl, sizeof yl, "predicted %s", unit);
    }
    double tau = m >= 2 ? stats_kendall(px, py, (size_t)m) : NAN;
    int len = snprintf(cap, sizeof cap, "%ld test architectures of %s, %ld training; Kendall tau %.3f", m, dataset,
                       n_train, tau);
    if (dropped && len > 0 && (size_t)len < sizeof cap) {
        if (isfinite(example))
            snprintf(cap + len, sizeof cap - (size_t)len, "; %ld sentinel value(s) (%g) dropped", dropped, example);
        else snprintf(cap + len, sizeof cap - (size_t)len, "; %ld missing value(s) dropped", dropped);
    }
    char title[96];
    snprintf(title, sizeof title, "%s%s", p->name, by_rank ? " (ranks: the scales differ)" : "");
    struct plot_opts po = {.caption = cap, .width_in = w, .height_in = h};
    int rc = cli_plot_failed(st ? st : plot_scatter(dir, stem, title, xl, yl, px, py, (int)m, &po), dir, stem);
    free(work);
    free(idx);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"table", required_argument, 0, 't'},       {"dataset", required_argument, 0, 'd'},
        {"predictors", required_argument, 0, 'p'},  {"train-sizes", required_argument, 0, 'n'},
        {"test-size", required_argument, 0, 'T'},   {"trials", required_argument, 0, 'r'},
        {"seed", required_argument, 0, 'k'},        CLI_DIR_LONGOPTS,
        {"splits-out", required_argument, 0, 'S'},  {"help", no_argument, 0, 'h'},
        {"jobs", required_argument, 0, 'j'},        CLI_SIZE_LONGOPT,
        CLI_TABLE_LONGOPTS,
        CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    struct table_opts topts;
    table_default_opts(&topts);
    const char *tpath = NULL, *dataset = NULL, *preds_s = "gp", *sizes_s = "10,20,50,100,200,500,1000", *dir = NULL,
               *splits_path = NULL;
    long test_size = 200, trials = 30, seed = CLI_DEFAULT_SEED, jobs = omp_get_max_threads();
    int c;
    double size_w = 0, size_h = 0;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("predict", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("predict", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        if (cli_table_option(c, optarg, &topts)) continue;
        switch (c) {
        case 't': tpath = optarg; break;
        case 'd': dataset = optarg; break;
        case 'p': preds_s = optarg; break;
        case 'n': sizes_s = optarg; break;
        case 'o': dir = optarg; break;
        case 'S': splits_path = optarg; break;
        case 'T':
            if (cli_parse_long(optarg, &test_size) || test_size < 2) return cli_usage_error("predict", "bad --test-size '%.64s'", optarg);
            break;
        case 'r':
            if (cli_parse_long(optarg, &trials) || trials < 1) return cli_usage_error("predict", "bad --trials '%.64s'", optarg);
            break;
        case 'k':
            if (cli_parse_long(optarg, &seed) || seed < 0) return cli_usage_error("predict", "bad --seed '%.64s'", optarg);
            break;
        case 'j':
            if (cli_parse_long(optarg, &jobs) || jobs < 1 || jobs > 1024)
                return cli_usage_error("predict", "bad --jobs '%.64s' (1..1024)", optarg);
            break;
        case CLI_SIZE_OPT:
            if (cli_size_option("predict", optarg, &size_w, &size_h)) return CLI_USAGE;
            break;
        case 'h': help(stdout); return CLI_OK;
        default: return cli_bad_option("predict", longopts, c, argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("predict", "unexpected argument '%.64s'", argv[optind]);
    if (cli_quiet_stdout(splits_path && !strcmp(splits_path, "-"))) return CLI_ERROR;
    if (!tpath || !dir) return cli_usage_error("predict", "--table and --dir are required");
    char **sz_s = NULL, **pr_s = NULL;
    int n_sz = 0, n_pr = 0, rc = CLI_ERROR;
    struct cli_benches cb = {0};
    struct api_predictor *pr = NULL;
    long *sizes = NULL, *rows = NULL;
    double *acc = NULL, *scatter = NULL, *pts = NULL, *allpred = NULL;
    unsigned char *ok = NULL;
    struct train_data **sndata = NULL; /* per predictor: a supernet's images */
    char *ckpt_prefix = NULL;
    struct plot_series *series = NULL;
    long *perm = NULL;       /* every trial's permutation of the rows */
    char (*fails)[256] = NULL; /* per cell: why its fit failed ("" if not) */
    int *task_st = NULL, *task_z = NULL;
    struct rng *r = NULL;    /* the splits */
    FILE *splits = NULL;
    struct outfile *splits_out = NULL;
    /* with the splits on stdout (--splits -) the text goes to stderr */
    FILE *txt = cli_text(splits_path && !strcmp(splits_path, "-") ? stderr : stdout);
    if (cli_split_list(sizes_s, &sz_s, &n_sz) || cli_split_list(preds_s, &pr_s, &n_pr) || !n_sz || !n_pr) {
        rc = cli_usage_error("predict", "empty --train-sizes or --predictors");
        goto out;
    }
    char *dl[1] = {(char *)dataset};
    if (cli_benches_open(&cb, tpath, dl, dataset ? 1 : 0, &topts, NULL, 0)) goto out;
    if (cb.n > 1) {
        rc = cli_usage_error("predict", "table has %d datasets: choose one with --dataset", cb.n);
        goto out;
    }
    struct table *t = cb.t;
    int d = table_dataset_index(t, cb.names[0]), sm = table_search_metric(t);
    const struct space *s = table_space(t);
    long nrow = table_dataset_rows(t, d);
    sizes = calloc((size_t)n_sz, sizeof *sizes);
    pr = calloc((size_t)n_pr, sizeof *pr);
    if (!sizes || !pr) goto oom;
    for (int i = 0; i < n_sz; i++)
        if (cli_parse_long(sz_s[i], &sizes[i]) || sizes[i] < 2 || sizes[i] + test_size > nrow) {
            rc = cli_usage_error("predict", "bad train size '%.64s' (2..%ld with a test set of %ld)", sz_s[i],
                                 nrow - test_size, test_size);
            goto out;
        }
    for (int i = 0; i < n_pr; i++) {
        if ((rc = cli_predictor_parse("predict", pr_s[i], t, &pr[i]))) goto out;
        /* two equal supernets would write the same checkpoints at once */
        for (int j = 0; j < i && pr[i].model == PRED_SUPERNET; j++)
            if (!strcmp(pr[i].name, pr[j].name)) {
                rc = cli_usage_error("predict", "predictor '%.64s' given twice", pr[i].name);
                goto out;
            }
    }
    rc = CLI_ERROR;
    /* the supernets' images, loaded once before anything is written (a
     * missing Fashion-MNIST stops the run here) and shared by the trials */
    sndata = calloc((size_t)n_pr, sizeof *sndata);
    ckpt_prefix = malloc(strlen(dir) + 16);
    if (!sndata || !ckpt_prefix) goto oom;
    sprintf(ckpt_prefix, "%s/predict", dir);
    for (int i = 0; i < n_pr; i++)
        if (pr[i].model == PRED_SUPERNET && cli_supernet_data(&pr[i], &sndata[i])) {
            cli_error("predictor '%.64s': %s", pr[i].name, nasw_errmsg());
            goto out;
        }
    rows = malloc(sizeof *rows * (size_t)nrow);
    int dim = 1;
    for (int i = 0; i < n_pr; i++)
        if (api_predictor_width(&pr[i], s) > dim) dim = api_predictor_width(&pr[i], s);
    long maxn = 0;
    for (int i = 0; i < n_sz; i++) maxn = sizes[i] > maxn ? sizes[i] : maxn;
    /* acc[(p, size, trial)][kendall, spearman, mae, fit_s, lpd, fit_cpu_s] */
    acc = malloc(sizeof *acc * (size_t)n_pr * (size_t)n_sz * (size_t)trials * NACC);
    int T = lstm_seq_len(s);
    r = rng_new((uint64_t)seed);
    if (!rows || !acc || !r) goto oom;
    for (long i = 0, k = 0; i < table_n_rows(t); i++)
        if (table_row_dataset(t, i) == d) rows[k++] = i;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error("cannot create '%.200s': %s", dir, strerror(errno));
        goto out;
    }
    if (splits_path) {
        if (!(splits = cli_out_open(&splits_out, NULL, splits_path))) goto out;
        fputs("trial,train_size,role,arch,y\n", splits);
    }
    /* the last trial's largest-size predictions, plotted once every result
     * is written; ok[(p, size, trial)]: the fit succeeded */
    scatter = malloc(sizeof *scatter * (size_t)(n_pr + 1) * (size_t)test_size);
    ok = calloc((size_t)n_pr * (size_t)n_sz * (size_t)trials, 1);
    series = calloc((size_t)n_pr, sizeof *series);
    pts = malloc(sizeof *pts * (size_t)n_pr * (size_t)n_sz * 4);
    allpred = malloc(sizeof *allpred * (size_t)n_pr * (size_t)n_sz * (size_t)trials * (size_t)test_size);
    if (!scatter || !ok || !series || !pts || !allpred) goto oom;
    /* every trial's split first, in order, from the one stream r: the
     * splits depend on the seed only, never on --jobs or the predictors */
    perm = malloc(sizeof *perm * (size_t)trials * (size_t)nrow);
    fails = calloc((size_t)n_pr * (size_t)n_sz * (size_t)trials, sizeof *fails);
    task_st = calloc((size_t)trials * (size_t)n_pr, sizeof *task_st);
    task_z = calloc((size_t)trials * (size_t)n_pr, sizeof *task_z);
    if (!perm || !fails || !task_st || !task_z) goto oom;
    for (long tr = 0; tr < trials; tr++) {
        /* a random permutation: the first test_size rows are the test set */
        for (long i = nrow - 1; i > 0; i--) {
            long j = (long)rng_int(r, (uint64_t)i + 1), tmp = rows[i];
            rows[i] = rows[j];
            rows[j] = tmp;
        }
        memcpy(perm + (size_t)tr * (size_t)nrow, rows, sizeof *rows * (size_t)nrow);
        if (splits && write_splits(splits, t, s, sm, rows, tr + 1, sizes, n_sz, test_size)) {
            cli_error("cannot write '%.200s'", splits_path);
            goto out;
        }
    }
    struct cli_progress *prog = cli_progress_new("predict", (double)trials * n_sz * n_pr);
    long done = 0, n_failed = 0, n_tasks = trials * n_pr;
    /* (trial, predictor) tasks on --jobs threads, each with its own buffers
     * and its own stream (seeded by the task alone): every cell's result is
     * the same for any number of threads */
#pragma omp parallel num_threads((int)jobs)
    {
        long ysz = maxn > test_size ? maxn : test_size;
        double *X = malloc(sizeof *X * (size_t)maxn * (size_t)dim), *y = malloc(sizeof *y * (size_t)ysz);
        double *xt = malloc(sizeof *xt * (size_t)test_size * (size_t)dim);
        double *ytest = malloc(sizeof *ytest * (size_t)test_size), *ptest = malloc(sizeof *ptest * (size_t)test_size);
        double *psn = malloc(sizeof *psn * (size_t)test_size); /* a supernet's one-shot accuracies */
        int *tk = malloc(sizeof *tk * (size_t)maxn * (size_t)T), *tkt = malloc(sizeof *tkt * (size_t)test_size * (size_t)T);
        struct rng *rf = rng_new(0);
        int have = X && y && xt && ytest && ptest && psn && tk && tkt && rf;
#pragma omp for schedule(dynamic, 1)
        for (long task = 0; task < n_tasks; task++) {
            long tr = task / n_pr;
            int q = (int)(task % n_pr);
            const long *rows = perm + (size_t)tr * (size_t)nrow;
            if (!have) {
                task_st[task] = NASW_ENOMEM;
                continue;
            }
            for (long i = 0; i < test_size; i++) ytest[i] = table_value(t, rows[i], sm);
            const struct api_predictor *p = &pr[q];
            /* each predictor's randomness on (seed, trial, its name): adding
             * a predictor to the list changes nothing for the others */
            uint64_t h = 1469598103934665603ULL;
            for (const char *ch = p->name; *ch; ch++) h = (h ^ (unsigned char)*ch) * 1099511628211ULL;
            rng_seed(rf, h ^ ((uint64_t)seed * 1000003ULL + (uint64_t)tr * 7919ULL));
            for (long i = 0; i < test_size; i++) api_predictor_encode_row(p, t, rows[i], i, xt, tkt);
            double sn_wall = 0, sn_cpu = 0;
            if (p->model == PRED_SUPERNET) {
                /* once per trial: the supernet never sees the training
                 * set's labels, so every size gets the same predictions.
                 * Its seed: --seed and the trial only (supernets of other
                 * epochs or modes start from the same weights and draws).
                 * One kernel thread whatever --jobs: the rounding, hence
                 * every bit, depends on the thread count. */
                int threads = omp_get_max_threads();
                omp_set_num_threads(1);
                int st = cli_supernet_predict(p, sndata[q], t, rows, test_size,
                                              (uint64_t)seed * 1000003ULL + (uint64_t)tr + 1, ckpt_prefix, p->name,
                                              psn, &sn_wall, &sn_cpu);
                omp_set_num_threads(threads);
                if (st == NASW_ENUMERIC) {
                    /* a diverged supernet fails this trial's cells, as a
                     * model that cannot be fitted fails its cell */
                    for (int z = 0; z < n_sz; z++)
                        snprintf(fails[((size_t)q * n_sz + z) * trials + tr], sizeof *fails, "%s",
                                 nasw_errmsg()[0] ? nasw_errmsg() : "numerical failure");
                    nasw_errclear();
#pragma omp critical(predict_progress)
                    cli_progress_set(prog, (double)(done += n_sz));
                    continue;
                }
                if (st) {
                    snprintf(fails[((size_t)q * n_sz) * trials + tr], sizeof *fails, "%s", nasw_errmsg());
                    task_st[task] = st;
                    task_z[task] = 0;
                }
            }
            for (int z = 0; z < n_sz && !task_st[task]; z++) {
                long n = sizes[z];
                size_t at = ((size_t)q * n_sz + z) * trials + tr;
                double *cell = acc + at * NACC;
                double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
                if (p->column >= 0) {
                    /* a missing score (a proxy undefined for the cell) ranks last */
                    for (long i = 0; i < test_size; i++) {
                        ptest[i] = table_value(t, rows[i], p->column);
                        if (isnan(ptest[i])) ptest[i] = -INFINITY;
                    }
                    cell[2] = cell[4] = NAN;
                } else if (p->model == PRED_SUPERNET) {
                    memcpy(ptest, psn, sizeof *ptest * (size_t)test_size);
                    double mae = 0; /* one-shot against stand-alone accuracy, both in the table's unit */
                    for (long i = 0; i < test_size; i++) mae += fabs(ptest[i] - ytest[i]) / test_size;
                    cell[2] = mae;
                    cell[3] = sn_wall;
                    cell[4] = NAN;
                    cell[5] = sn_cpu;
                } else {
                    for (long i = 0; i < n; i++) {
                        api_predictor_encode_row(p, t, rows[test_size + i], i, X, tk);
                        y[i] = table_value(t, rows[test_size + i], sm);
                    }
                    /* timed: fit + predict only (the peers encode outside their timer too) */
                    int st = api_predictor_fit_predict(p, s, X, tk, y, (int)n, xt, tkt, (int)test_size, ptest, ytest,
                                                       &cell[4], &cell[3], &cell[5], rf);
                    if (st == NASW_ENUMERIC) {
                        /* one model that cannot be fitted (e.g. a training set
                         * of equal targets) is a result of this cell, not of
                         * the run: warned about below, in order, left empty
                         * in trials.csv and out of the summary's means */
                        snprintf(fails[at], sizeof fails[at], "%s", nasw_errmsg());
                        if (!fails[at][0]) snprintf(fails[at], sizeof fails[at], "numerical failure");
                        nasw_errclear();
#pragma omp critical(predict_progress)
                        cli_progress_set(prog, (double)++done);
                        continue;
                    }
                    if (st) { /* fatal: the message kept for the report below */
                        snprintf(fails[at], sizeof fails[at], "%s", nasw_errmsg());
                        task_st[task] = st;
                        task_z[task] = z;
                        break;
                    }
                    double mae = 0;
                    for (long i = 0; i < test_size; i++) mae += fabs(ptest[i] - ytest[i]) / test_size;
                    cell[2] = mae;
                }
                if (p->column >= 0) {
                    cell[3] = clock_s(CLOCK_MONOTONIC) - t0;
                    cell[5] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
                }
                cell[0] = stats_kendall(ptest, ytest, (size_t)test_size);
                cell[1] = stats_spearman(ptest, ytest, (size_t)test_size);
                ok[at] = 1;
                memcpy(allpred + at * (size_t)test_size, ptest, sizeof *ptest * (size_t)test_size);
                if (tr == trials - 1 && z == n_sz - 1) {
                    memcpy(scatter + (size_t)q * test_size, ptest, sizeof *ptest * (size_t)test_size);
                    if (q == 0) memcpy(scatter + (size_t)n_pr * test_size, ytest, sizeof *ytest * (size_t)test_size);
                }
#pragma omp critical(predict_progress)
                cli_progress_set(prog, (double)++done);
            }
        }
        free(X);
        free(y);
        free(xt);
        free(ytest);
        free(ptest);
        free(psn);
        free(tk);
        free(tkt);
        rng_free(rf);
    }
    cli_progress_done(prog);
    /* the fatal error of the first task that had one, then the warnings of
     * failed fits, in (trial, predictor, size) order whatever --jobs */
    for (long task = 0; task < n_tasks; task++)
        if (task_st[task]) {
            long tr = task / n_pr;
            int q = (int)(task % n_pr), z = task_z[task];
            if (task_st[task] == NASW_ENOMEM) goto oom; /* a thread's buffers */
            cli_error("predictor '%s', trial %ld, train size %ld: %s", pr[q].name, tr + 1, sizes[z],
                      fails[((size_t)q * n_sz + z) * trials + tr]);
            goto out;
        }
    for (long tr = 0; tr < trials; tr++)
        for (int q = 0; q < n_pr; q++)
            for (int z = 0; z < n_sz; z++) {
                size_t at = ((size_t)q * n_sz + z) * trials + tr;
                if (ok[at] || !fails[at][0]) continue;
                cli_warn("predictor '%s' failed on trial %ld, train size %ld: %s", pr[q].name, tr + 1, sizes[z],
                         fails[at]);
                n_failed++;
            }
    if (splits) {
        splits = NULL;
        int sst = cli_out_commit(splits_out);
        splits_out = NULL;
        if (sst) goto out;
    }
    fprintf(txt, "predict: %s on %s, %ld trials, test set %ld\n", table_metric_name(t, sm), cb.names[0], trials, test_size);
    struct results R = {pr, n_pr, n_sz, sizes, trials, acc, ok};
    if (write_trials(dir, &R) || write_predictions(dir, &R, t, sm, perm, nrow, test_size, allpred) ||
        write_summary(dir, &R, series, pts, txt))
        goto out;
    /* plots last: a failed plot loses no result */
    struct plot_panel panel = {"Kendall tau on unseen architectures", "Kendall tau", NAN, NULL, n_pr, series,
                               NAN, NAN, 0};
    char kcap[160];
    snprintf(kcap, sizeof kcap, "mean ± 95%% CI over %ld trials; %ld test architectures of %s", trials, test_size,
             cb.names[0]);
    /* tick marks at the training sizes: a log axis within one decade would
     * label a single tick */
    struct plot_opts po = {.xlabel = "training architectures", .logx = 1, .caption = kcap, .xtics_at_data = 1,
                           .width_in = size_w, .height_in = size_h};
    int plot_bad = cli_plot_failed(plot_lines(dir, "kendall", &panel, 1, &po), dir, "kendall");
    for (int q = 0; q < n_pr; q++) {
        if (!ok[((size_t)q * n_sz + n_sz - 1) * trials + trials - 1]) continue; /* its last cell failed: no scatter */
        plot_bad += plot_predict_scatter(dir, &pr[q], t, sm, cb.names[0],
                                         scatter + (size_t)n_pr * test_size, scatter + (size_t)q * test_size, test_size,
                                         sizes[n_sz - 1], size_w, size_h);
    }
    fprintf(txt, "wrote %s/summary.csv, trials.csv, predictions.csv%s\n", dir, plot_bad ? "" : ", kendall.pdf, scatter_*.pdf (.png, .svg)");
    if (n_failed) fprintf(txt, "%ld model fit(s) failed (warnings above; empty rows of trials.csv)\n", n_failed);
    rc = plot_bad ? cli_error("%d plot(s) failed; the results are written", plot_bad) : CLI_OK;
    goto out;
oom:
    rc = cli_error("out of memory");
out:
    outfile_abort(splits_out);
    cli_free_list(sz_s, n_sz);
    cli_free_list(pr_s, n_pr);
    cli_benches_close(&cb);
    for (int i = 0; pr && i < n_pr; i++) api_predictor_release(&pr[i]);
    free(pr);
    free(sizes);
    free(rows);
    free(perm);
    free(fails);
    free(task_st);
    free(task_z);
    free(acc);
    free(allpred);
    for (int i = 0; sndata && i < n_pr; i++) train_data_free(sndata[i]);
    free(sndata);
    free(ckpt_prefix);
    free(scatter);
    free(ok);
    free(series);
    free(pts);
    rng_free(r);
    return rc;
}
