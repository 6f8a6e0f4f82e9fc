/*
 * cli/plot.c - `nasw plot DIR`: trajectories of a comparison, averaged over
 * seeds with 95% t bands, one panel per dataset (plots/ draws them, as
 * figures for a paper: PDF, PNG, SVG).
 *
 * The y range is chosen from the right half of the log x axis (where the
 * strategies differ) and the ceiling, not from query 1: the first queries'
 * wide spread would otherwise squash the curves that matter into a line.
 *
 * trajectories.csv is read with libcsv in one pass, numbers parsed in the
 * callbacks (no per-field allocation): a 100-seed comparison has ~10^6 rows.
 * A run that stopped early (exhausted space) keeps its last value up to
 * the budget.
 */
#define _GNU_SOURCE
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plot.h"
#include "core/io.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/stats.h"

struct dsinfo {
    char name[128], search[64], report[64];
    char search_label[128], report_label[128]; /* "" : derived from the names */
    int hib, report_hib;
    double ceil_val, ceil_test, budget;
    int seconds;    /* the x axis is a cost: 1 seconds, 2 epochs (0: queries) */
};

struct run {
    int d, s;
    long seed;
    long n, cap;
    double *val, *test, *cost;
};

struct reader {
    const char *path;
    long line;
    int col, n_cols, header;
    char err[512];
    /* datasets.csv */
    struct dsinfo *ds;
    int n_ds;
    char fields[11][128];
    /* trajectories.csv */
    char **strats;
    int n_strats;
    struct run *runs;
    long n_runs, cap_runs;
    char cur_ds[128], cur_st[256];
    double num[6];
    int traj;
};

static void set_err(struct reader *r, const char *fmt, const char *arg)
{
    if (!r->err[0]) snprintf(r->err, sizeof r->err, fmt, r->path, r->line, arg);
}

static void field_cb(void *s, size_t len, void *arg)
{
    struct reader *r = arg;
    char buf[256];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, s ? s : "", n);
    buf[n] = '\0';
    int c = r->col++;
    if (r->header || r->err[0]) return;
    if (!r->traj) {
        if (c < 11) snprintf(r->fields[c], sizeof r->fields[c], "%.127s", buf);
        return;
    }
    if (c == 0) snprintf(r->cur_ds, sizeof r->cur_ds, "%.127s", buf);
    else if (c == 1) snprintf(r->cur_st, sizeof r->cur_st, "%s", buf);
    else if (c <= 7) {
        char *end;
        errno = 0;
        double v = strtod(buf, &end);
        if (!*buf || *end || errno) set_err(r, "%s:%ld: '%.64s' is not a number", buf);
        /* seed and query become longs: a fraction or a value out of range
         * would make the cast undefined (found by fuzz_plot) */
        else if (c <= 3 && !(v == floor(v) && fabs(v) <= 1e15)) set_err(r, "%s:%ld: '%.64s' is not an integer", buf);
        r->num[c - 2] = v;
    }
}

static int find_ds(struct reader *r, const char *name)
{
    for (int d = 0; d < r->n_ds; d++)
        if (!strcmp(r->ds[d].name, name)) return d;
    return -1;
}

static void row_cb(int ch, void *arg)
{
    (void)ch;
    struct reader *r = arg;
    int ncol = r->col;
    r->col = 0;
    if (r->err[0]) return;
    if (r->header) {
        r->header = 0;
        r->n_cols = ncol;
        return;
    }
    if (ncol != r->n_cols) {
        char b[32];
        snprintf(b, sizeof b, "%d", ncol);
        set_err(r, "%s:%ld: wrong number of fields (%s)", b);
        return;
    }
    if (!r->traj) {
        struct dsinfo *p = realloc(r->ds, sizeof *p * (size_t)(r->n_ds + 1));
        if (!p) { set_err(r, "%s:%ld: out of memory%s", ""); return; }
        r->ds = p;
        struct dsinfo *d = &r->ds[r->n_ds++];
        memset(d, 0, sizeof *d);
        snprintf(d->name, sizeof d->name, "%s", r->fields[0]);
        snprintf(d->search, sizeof d->search, "%.63s", r->fields[1]);
        snprintf(d->report, sizeof d->report, "%.63s", r->fields[2]);
        d->hib = atoi(r->fields[3]) != 0;
        d->report_hib = atoi(r->fields[4]) != 0;
        d->ceil_val = *r->fields[5] ? strtod(r->fields[5], NULL) : NAN;
        d->ceil_test = *r->fields[6] ? strtod(r->fields[6], NULL) : NAN;
        d->budget = strtod(r->fields[7], NULL);
        d->seconds = !strcmp(r->fields[8], "seconds") ? 1 : !strcmp(r->fields[8], "epochs") ? 2 : 0;
        if (r->n_cols >= 11) { /* the table's sidecar labels (compare writes them only then) */
            snprintf(d->search_label, sizeof d->search_label, "%s", r->fields[9]);
            snprintf(d->report_label, sizeof d->report_label, "%s", r->fields[10]);
        }
        if (!(d->budget > 0) || !isfinite(d->budget)) set_err(r, "%s:%ld: bad budget '%.64s'", r->fields[7]);
        return;
    }
    int d = find_ds(r, r->cur_ds);
    if (d < 0) { set_err(r, "%s:%ld: dataset '%.64s' not in datasets.csv", r->cur_ds); return; }
    int s = -1;
    for (int i = 0; i < r->n_strats; i++)
        if (!strcmp(r->strats[i], r->cur_st)) s = i;
    if (s < 0) {
        char **p = realloc(r->strats, sizeof *p * (size_t)(r->n_strats + 1));
        if (!p || !(p[r->n_strats] = strdup(r->cur_st))) { set_err(r, "%s:%ld: out of memory%s", ""); return; }
        r->strats = p;
        s = r->n_strats++;
    }
    long seed = (long)r->num[0], q = (long)r->num[1];
    struct run *run = r->n_runs ? &r->runs[r->n_runs - 1] : NULL;
    if (!run || run->d != d || run->s != s || run->seed != seed) {
        if (r->n_runs == r->cap_runs) {
            long cap = r->cap_runs ? 2 * r->cap_runs : 64;
            struct run *p = realloc(r->runs, sizeof *p * (size_t)cap);
            if (!p) { set_err(r, "%s:%ld: out of memory%s", ""); return; }
            r->runs = p;
            r->cap_runs = cap;
        }
        run = &r->runs[r->n_runs++];
        memset(run, 0, sizeof *run);
        run->d = d;
        run->s = s;
        run->seed = seed;
    }
    if (q != run->n + 1) { set_err(r, "%s:%ld: query %s out of order", ""); return; }
    if (run->n == run->cap) {
        long cap = run->cap ? 2 * run->cap : 256;
        double *v = realloc(run->val, sizeof *v * (size_t)cap);
        if (v) run->val = v;
        double *t = v ? realloc(run->test, sizeof *t * (size_t)cap) : NULL;
        if (t) run->test = t;
        double *c = t ? realloc(run->cost, sizeof *c * (size_t)cap) : NULL;
        if (!c) { set_err(r, "%s:%ld: out of memory%s", ""); return; }
        run->cost = c;
        run->cap = cap;
    }
    run->val[run->n] = r->num[2];
    run->test[run->n] = r->num[3];
    /* x: cumulative seconds, or epochs (column 8, written since the
     * multi-fidelity strategies) */
    if (r->ds[d].seconds == 2 && r->n_cols < 8) { set_err(r, "%s:%ld: no epochs column%s", ""); return; }
    run->cost[run->n] = r->ds[d].seconds == 2 ? r->num[5] : r->num[4];
    run->n++;
}

static int read_csv(struct reader *r, const char *path, int traj)
{
    FILE *f;
    if (nasw_open_input(&f, path, NULL, 0)) return cli_error_status(NASW_EIO);
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    r->path = path;
    r->line = 0;
    r->col = 0;
    r->header = 1;
    r->traj = traj;
    char buf[1 << 16];
    while (fgets(buf, sizeof buf, f) && !r->err[0]) {
        r->line++;
        size_t n = strlen(buf);
        if (csv_parse(&p, buf, n, field_cb, row_cb, r) != n)
            snprintf(r->err, sizeof r->err, "%s:%ld: %s", path, r->line, csv_strerror(csv_error(&p)));
    }
    if (!r->err[0]) csv_fini(&p, field_cb, row_cb, r);
    csv_free(&p);
    fclose(f);
    if (r->err[0]) return cli_error("%s", r->err);
    if (r->header) return cli_error("%.200s: empty file", path);
    return CLI_OK;
}

static void reader_release(struct reader *r)
{
    free(r->ds);
    for (int i = 0; i < r->n_strats; i++) free(r->strats[i]);
    free(r->strats);
    for (long i = 0; i < r->n_runs; i++) {
        free(r->runs[i].val);
        free(r->runs[i].test);
        free(r->runs[i].cost);
    }
    free(r->runs);
}

/* value of a run at grid point x: the last query within x (carry forward);
 * `seconds` (non-zero): x is the cost column, seconds or epochs */
static double run_at(const struct run *run, double x, int seconds, int search)
{
    const double *v = search ? run->val : run->test;
    if (run->n == 0) return NAN;
    if (!seconds) {
        /* compare in double first: x may exceed the range of long */
        long q = x >= (double)run->n ? run->n : (long)x;
        return q >= 1 ? v[q - 1] : NAN;
    }
    long lo = 0, hi = run->n; /* first index with cost > x */
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (run->cost[mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? NAN : v[lo - 1];
}

/* y range of a panel: the bands over x >= x_from and the ceiling (NaN:
 * none), padded; log: a factor of 1.5 either side, positive values only. */
static void panel_yrange(struct plot_panel *pn, double x_from, double ceil, int logy)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < pn->n_series; s++) {
        const struct plot_series *sr = &pn->series[s];
        for (int k = 0; k < sr->n; k++) {
            if (!(sr->x[k] >= x_from) || !isfinite(sr->y[k])) continue;
            double a = isfinite(sr->lo[k]) ? sr->lo[k] : sr->y[k], b = isfinite(sr->hi[k]) ? sr->hi[k] : sr->y[k];
            if (logy) {
                if (sr->y[k] <= 0) continue;
                if (a <= 0) a = sr->y[k];
            }
            lo = fmin(lo, a);
            hi = fmax(hi, b);
        }
    }
    if (isfinite(ceil)) lo = fmin(lo, ceil), hi = fmax(hi, ceil);
    if (!(lo < hi)) return; /* gnuplot's autoscale */
    if (logy) {
        pn->ymin = lo / 1.5;
        pn->ymax = hi * 1.5;
    } else {
        pn->ymin = lo - 0.08 * (hi - lo);
        pn->ymax = hi + 0.08 * (hi - lo);
    }
}

int plot_compare_dir(const char *dir, int regret, int search, double width_in, double height_in)
{
    struct reader r = {0};
    char path[4200];
    int rc = CLI_ERROR;
    snprintf(path, sizeof path, "%s/datasets.csv", dir);
    if (read_csv(&r, path, 0)) goto out;
    if (r.n_ds == 0) { /* nothing to draw: no panel layout exists (found by fuzz_plot) */
        cli_error("%.200s: no datasets", path);
        goto out;
    }
    snprintf(path, sizeof path, "%s/trajectories.csv", dir);
    if (read_csv(&r, path, 1)) goto out;
    int nd = r.n_ds, ns = r.n_strats;
    struct plot_panel *panels = calloc((size_t)nd, sizeof *panels);
    struct plot_series *series = calloc((size_t)nd * (size_t)(ns ? ns : 1), sizeof *series);
    char (*titles)[256] = calloc((size_t)nd, sizeof *titles), (*ylabels)[160] = calloc((size_t)nd, sizeof *ylabels);
    double *buf = NULL, *vals = NULL;
    long maxruns = r.n_runs ? r.n_runs : 1;
    long min_seeds = -1, max_seeds = 0;
    int npts = 0;
    if (!panels || !series || !titles || !ylabels) goto oom;
    for (int d = 0; d < nd; d++) {
        struct dsinfo *di = &r.ds[d];
        /* x grid: every query up to 1000, else 200 log-spaced points; seconds: 100 log-spaced */
        int pts = di->seconds ? 100 : (di->budget <= 1000 ? (int)di->budget : 200);
        double xmin = 1;
        if (di->seconds) {
            xmin = INFINITY;
            for (long i = 0; i < r.n_runs; i++)
                if (r.runs[i].d == d && r.runs[i].n) xmin = fmin(xmin, r.runs[i].cost[0]);
            if (!(xmin > 0) || !isfinite(xmin)) xmin = di->budget / 1000;
        }
        double ceil = search ? di->ceil_val : di->ceil_test;
        int hib = search ? di->hib : di->report_hib;
        snprintf(titles[d], sizeof titles[d], "%s", di->name);
        /* the unit: accuracies are in percent when the ceiling is (the
         * tables' convention, data/README.md) */
        char unit[128];
        const char *given = search ? di->search_label : di->report_label;
        if (*given) snprintf(unit, sizeof unit, "%s", given);
        else plot_metric_label(search ? di->search : di->report, fabs(ceil) > 1.5, unit, sizeof unit);
        snprintf(ylabels[d], sizeof ylabels[d], "%s%s", regret ? "regret, " : "", unit);
        panels[d].title = titles[d];
        panels[d].ylabel = ylabels[d];
        panels[d].hline = regret ? NAN : ceil;
        panels[d].hline_label = "validation-selection ceiling";
        panels[d].series = series + (size_t)d * (size_t)ns;
        panels[d].n_series = 0;
        for (int s = 0; s < ns; s++) {
            long nr = 0;
            for (long i = 0; i < r.n_runs; i++) nr += r.runs[i].d == d && r.runs[i].s == s;
            if (nr == 0) continue;
            if (min_seeds < 0 || nr < min_seeds) min_seeds = nr;
            if (nr > max_seeds) max_seeds = nr;
            double *blk = malloc(sizeof *blk * (size_t)pts * 4);
            double *tmp = realloc(vals, sizeof *vals * (size_t)maxruns);
            if (!blk || !tmp) {
                free(blk);
                if (tmp) vals = tmp;
                goto oom;
            }
            vals = tmp;
            double *x = blk, *y = blk + pts, *lo = y + pts, *hi = lo + pts;
            for (int k = 0; k < pts; k++) {
                x[k] = di->seconds || di->budget > 1000 ? xmin * pow(di->budget / xmin, (double)k / (pts - 1))
                                                        : (double)(k + 1);
                if (!di->seconds) x[k] = floor(x[k] + 1e-9);
                size_t m = 0;
                for (long i = 0; i < r.n_runs; i++) {
                    if (r.runs[i].d != d || r.runs[i].s != s) continue;
                    double v = run_at(&r.runs[i], x[k], di->seconds, search);
                    if (isfinite(v)) vals[m++] = regret ? (hib ? ceil - v : v - ceil) : v;
                }
                y[k] = m ? stats_mean(vals, m) : NAN;
                double h = stats_ci95(vals, m);
                lo[k] = y[k] - h;
                hi[k] = y[k] + h;
            }
            struct plot_series *sr = &series[(size_t)d * (size_t)ns + (size_t)panels[d].n_series++];
            sr->label = r.strats[s];
            sr->n = pts;
            sr->x = x;
            sr->y = y;
            sr->lo = lo;
            sr->hi = hi;
            npts++;
        }
        /* the right half of the log x axis */
        panel_yrange(&panels[d], sqrt(xmin * di->budget), regret ? NAN : ceil, regret);
    }
    char caption[160];
    if (min_seeds == max_seeds)
        snprintf(caption, sizeof caption, "mean %s± 95%% CI over %ld seeds", regret ? "regret " : "", max_seeds);
    else
        snprintf(caption, sizeof caption, "mean %s± 95%% CI over %ld to %ld seeds", regret ? "regret " : "", min_seeds,
                 max_seeds);
    struct plot_opts o = {.xlabel = r.n_ds && r.ds[0].seconds == 2   ? "training epochs"
                                    : r.n_ds && r.ds[0].seconds == 1 ? "simulated training time (s)"
                                                                     : "queries",
                          .logx = 1, .logy = regret, .width_in = width_in, .height_in = height_in,
                          .caption = max_seeds > 0 ? caption : NULL};
    char stem[32];
    snprintf(stem, sizeof stem, "%s%s", regret ? "regret" : "trajectories", search ? "_search" : "");
    int st = plot_lines(dir, stem, panels, nd, &o);
    if (st == NASW_EUNSUPPORTED) {
        cli_warn("gnuplot not found: wrote %s/%s.dat and .gp only", dir, stem);
        rc = CLI_OK;
    } else if (st) {
        cli_error_status(st);
    } else {
        rc = CLI_OK;
    }
    goto cleanup;
oom:
    cli_error("out of memory");
cleanup:
    if (series)
        for (int i = 0; i < nd * ns; i++) free((void *)series[i].x);
    free(series);
    free(panels);
    free(titles);
    free(ylabels);
    free(buf);
    free(vals);
out:
    reader_release(&r);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    static const struct option longopts[] = {{"regret", no_argument, 0, 'r'},
                                             {"metric", required_argument, 0, 'm'},
                                             CLI_SIZE_LONGOPT,
                                             {"help", no_argument, 0, 'h'},
                                             CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    int regret = 0, search = 0, c;
    double w = 0, h = 0;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("plot", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("plot", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        switch (c) {
        case 'r': regret = 1; break;
        case 'm':
            if (!strcmp(optarg, "search")) search = 1;
            else if (!strcmp(optarg, "report")) search = 0;
            else return cli_usage_error("plot", "bad --metric '%.64s' (report or search)", optarg);
            break;
        case CLI_SIZE_OPT:
            if (cli_size_option("plot", optarg, &w, &h)) return CLI_USAGE;
            break;
        case 'h':
            fputs("usage: nasw plot DIR [--regret] [--metric report|search] [--size W,H]\n"
                  "\n"
                  "Plot the comparison in DIR (written by nasw compare): the mean over seeds of the\n"
                  "best-so-far report metric against queries (log axis), one line per strategy with\n"
                  "its 95% t band, one panel per dataset, the validation-selection ceiling dashed.\n"
                  "Writes DIR/trajectories.{pdf,png,svg,dat,gp}: a figure for a paper (9 pt text,\n"
                  "colour-blind-safe colours with distinct dash types, the legend below the panels,\n"
                  "the y range from the right half of the x axis and the ceiling).\n"
                  "  --regret         plot ceiling - mean on a log axis instead (DIR/regret.*)\n"
                  "  --metric search  plot the search metric (best_val) instead\n"
                  "                   (DIR/trajectories_search.*, DIR/regret_search.*)\n"
                  "  --size W,H       figure size in inches (default 7 wide for several panels,\n"
                  "                   3.5 for one; the height from the rows of panels)\n"
                  CLI_VERBOSITY_HELP,
                  stdout);
            return CLI_OK;
        default: return cli_bad_option("plot", longopts, c, argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("plot", "expected one directory");
    if (cli_quiet_stdout(0)) return CLI_ERROR;
    return plot_compare_dir(argv[optind], regret, search, w, h);
}
