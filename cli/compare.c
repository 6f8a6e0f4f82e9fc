/*
 * cli/compare.c - `nasw compare`: strategies x datasets x seeds on a table.
 *
 * Every (dataset, strategy, seed) run is independent: seed k runs with rng
 * seed k exactly as `nasw search --seed k` does, so any run can be replayed
 * alone.  Runs are spread over worker threads (one per core by default);
 * results land in preallocated slots, so the output does not depend on the
 * number of threads.
 *
 * Outputs (each through core/outfile.h: a temporary file renamed into place;
 * manifest.json first with status "running", last with "done" or "failed";
 * a rerun into a directory of an earlier comparison first removes every
 * output listed in OWNED, and refuses a directory with such files but no
 * manifest of ours):
 *   DIR/summary.csv       one row per dataset x strategy x checkpoint
 *   DIR/pairs.csv         paired comparisons across seeds (Wilcoxon
 *                         signed-rank + bootstrap CI of the mean difference)
 *   DIR/trajectories.csv  best-so-far after every query of every run
 *   DIR/datasets.csv      metrics, direction and ceilings per dataset
 *   DIR/best.csv          the best architecture of every run (for nasw confirm)
 *   DIR/manifest.json     command, version, table checksum, strategies
 *   DIR/trajectories.{pdf,png,svg} and DIR/regret.{pdf,png,svg} via `nasw plot`
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/compare.h"
#include "cli/cli.h"
#include "cli/moo.h"
#include "cli/plot.h"
#include "cli/replay.h"
#include "core/outfile.h"
#include "core/rng.h"
#include "plots/plot.h"
#include "core/runlog.h"
#include "core/status.h"
#include "search/search.h"
#include "stats/stats.h"

static void help(FILE *f)
{
    fputs("usage: nasw compare --table T --dir DIR [--datasets D1,D2] [--strategies S1,S2]\n"
          "                    [--seeds N] [--budget Q[s]] [--checkpoints 10,50,...]\n"
          "                    [--jobs J] [--no-plot] [--size W,H] [-q|-v] [--resume]\n"
          "   or: nasw compare --config DIR/manifest.json [--dir DIR2] [flags to change]\n"
          "\n"
          "Run every strategy on every dataset with seeds 1..N and compare them.\n"
          "  --table T          table file (also --bench table:T)\n"
          CLI_BENCH_HELP
          "  --datasets LIST    comma-separated (default: all datasets of the table)\n"
          "  --strategies LIST  comma-separated specs NAME[:key=value]... (default: all;\n"
          "                     those needing curves only on tables with curves,\n"
          "                     those for some spaces only on those)\n"
          "  --seeds N          number of seeds, runs use seeds 1..N (default 100)\n"
          "  --budget Q         distinct queries per run (default 300); 'Qs' = simulated\n"
          "                     training seconds (needs a cost column); 'Qe' = training\n"
          "                     epochs (needs curves; multi-fidelity strategies)\n"
          "  --checkpoints L    extra budgets for summary.csv and pairs.csv rows\n"
          "  --jobs J           worker threads (default: number of cores)\n"
          "  --dir DIR          output directory (created if missing); a rerun into it\n"
          "                     first removes every output of the earlier comparison;\n"
          "                     a directory with such files not made by compare is refused\n"
          "  --no-plot          do not run `nasw plot DIR` at the end\n"
          "  --size W,H         size of every figure in inches (as nasw plot --size)\n"
          "  --noise seed       answer each query with one training seed drawn at random\n"
          "                     (tables with NAME_run1, NAME_run2, ... of the search\n"
          "                     metric NAME or NAME_mean, as NAS-Bench-Macro); the report\n"
          "                     metric stays the table's (their mean)\n"
          "  --resume           continue the interrupted comparison in DIR: the runs its\n"
          "                     DIR/runs.jsonl journal holds are not redone (same flags but\n"
          "                     --dir, --jobs, --no-plot, --size, --checkpoints, -q/-v); the\n"
          "                     outputs are those of an uninterrupted run\n"
          "  --config FILE      rerun the comparison a manifest.json records (its arguments;\n"
          "                     flags given here replace the manifest's)\n"
          CLI_VERBOSITY_HELP
          CLI_MOO_HELP
          "                   (then also DIR/hypervolume.csv, hv_pairs.csv, hv_regret.csv,\n"
          "                   fronts.csv and the hv_regret and fronts plots)\n",
          f);
    cli_table_options_help(f);
    fputs("\nWith a budget in seconds or epochs the trajectories and plots use that cost on\n"
          "the x axis (anytime curves).\n"
          "\nOutputs: DIR/summary.csv (dataset,strategy,budget,seeds,test_mean,test_std,\n"
          "test_ci95,val_mean,queries_to_best,found_best,regret_mean), DIR/pairs.csv,\n"
          "DIR/trajectories.csv, DIR/datasets.csv, DIR/manifest.json and the plots.\n"
          "queries_to_best = mean queries until the best-by-search-metric architecture\n"
          "of the dataset was first found; empty unless every seed found it.\n\n",
          f);
    search_registry_help(f);
}

struct job {
    int d, s;
    long seed;
    struct search_trace tr;
    int status;
    char err[256];
    double secs;     /* wall seconds of the run, for the progress weights */
    atomic_int fin;  /* set (after secs) when the run is over */
};

struct pool {
    struct job *jobs;
    long n_jobs;
    struct bench **benches;
    struct search_spec *specs;
    double budget;
    int kind;            /* enum budget_kind */
    const long *order;   /* the order runs are started in (job indices) */
    int n_s;
    char **dnames;
    FILE *journal;       /* DIR/runs.jsonl: every finished run (cli/replay.h) */
    pthread_mutex_t journal_mu;
    atomic_long next, done;
};

/* Run the next job; 0 when none is left. */
static int run_next(struct pool *p)
{
    long i;
    do /* runs loaded from the journal by --resume are done */
        i = atomic_fetch_add(&p->next, 1);
    while (i < p->n_jobs && atomic_load(&p->jobs[p->order[i]].fin));
    if (i >= p->n_jobs) return 0;
    struct job *j = &p->jobs[p->order[i]];
    struct search_run_opts o = {.budget = p->budget,
                                .kind = (enum budget_kind)p->kind,
                                .seed = (uint64_t)j->seed};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    j->status = search_run(p->benches[j->d], &p->specs[j->s], &o, &j->tr);
    if (j->status) snprintf(j->err, sizeof j->err, "%s", nasw_errmsg());
    clock_gettime(CLOCK_MONOTONIC, &t1);
    j->secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (!j->status && p->journal) {
        pthread_mutex_lock(&p->journal_mu);
        if (replay_journal_write(p->journal, p->dnames[j->d], p->specs[j->s].label, j->seed, j->secs, &j->tr)) {
            j->status = NASW_EIO;
            snprintf(j->err, sizeof j->err, "cannot write the run journal runs.jsonl: %s", strerror(errno ? errno : EIO));
        }
        pthread_mutex_unlock(&p->journal_mu);
    }
    atomic_store(&j->fin, 1);
    atomic_fetch_add(&p->done, 1);
    return 1;
}

/* The share of the comparison's work that is done, weighting each run by
 * its expected cost: every run has the same budget, so its cost is the
 * strategy's cost per query (a GP refit against a random draw) times the
 * budget, measured as the mean wall time of the strategy's finished runs
 * (of all finished runs while a strategy has none).  Runs start in an
 * order that interleaves the strategies, so every weight is measured
 * early.  Reads only finished runs (fin): safe while workers run. */
static double work_frac(const struct pool *p, double *sum, long *cnt)
{
    double all = 0, done = 0, left = 0;
    long n_all = 0;
    for (int s = 0; s < p->n_s; s++) sum[s] = 0, cnt[s] = 0;
    for (long i = 0; i < p->n_jobs; i++)
        if (atomic_load(&p->jobs[i].fin)) {
            sum[p->jobs[i].s] += p->jobs[i].secs;
            cnt[p->jobs[i].s]++;
            all += p->jobs[i].secs;
            n_all++;
        }
    if (!n_all) return 0;
    for (long i = 0; i < p->n_jobs; i++) {
        int s = p->jobs[i].s;
        if (atomic_load(&p->jobs[i].fin)) done += p->jobs[i].secs;
        else left += cnt[s] ? sum[s] / (double)cnt[s] : all / (double)n_all;
    }
    return done + left > 0 ? done / (done + left) : (double)n_all / (double)p->n_jobs;
}

static void *worker(void *arg)
{
    while (run_next(arg)) {
    }
    return NULL;
}

static const char *unit_name(int kind)
{
    return kind == BUDGET_SECONDS ? "seconds" : kind == BUDGET_EPOCHS ? "epochs" : "queries";
}

/* CSV field: quoted when it holds a comma or a quote. */
static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double x)
{
    if (isfinite(x)) fprintf(f, "%.10g", x);
}

/* x with fmt for the terminal, "-" if undefined */
static const char *num_or_dash(char *buf, size_t n, const char *fmt, double x)
{
    if (isfinite(x)) snprintf(buf, n, fmt, x);
    else snprintf(buf, n, "-");
    return buf;
}

struct ctx {
    const char *dir;
    const char *spec;
    struct cli_benches cb;
    int n_d, n_s, n_seeds, n_ck;
    int *dsets;
    char **dnames;
    struct bench **benches;
    struct search_spec *specs;
    struct job *jobs;
    double *ck;          /* checkpoints, ascending, last = budget */
    int seconds;         /* the budget's enum budget_kind (not only seconds) */
    double *ceil_val, *ceil_test;
    int *has_ceiling;
    int argc;            /* the effective arguments (after --config), for the manifest */
    char **argv;
    char *runs_key;      /* replay_runs_key() of them */
};

static struct job *job_of(const struct ctx *c, int d, int s, int k)
{
    return &c->jobs[((long)d * c->n_s + s) * c->n_seeds + k];
}

/* Per-seed values at checkpoint x: report metric and search metric (NaN when
 * the run had no query by then). */
static int collect(const struct ctx *c, int d, int s, double x, double *test, double *val)
{
    int n = 0;
    for (int k = 0; k < c->n_seeds; k++) {
        const struct search_step *p = api_step_at(&job_of(c, d, s, k)->tr, x, c->seconds);
        test[k] = p ? p->test_at_best : NAN;
        val[k] = p ? p->best_val : NAN;
        n += p != NULL && isfinite(p->test_at_best);
    }
    return n;
}


static const struct search_trace *trace_of(void *ctx, int d, int s, int k)
{
    return &job_of(ctx, d, s, k)->tr;
}

static int write_summary(struct ctx *c, FILE *tty)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, c->dir, "summary.csv");
    if (!f) return CLI_ERROR;
    fputs("dataset,strategy,budget,seeds,test_mean,test_std,test_ci95,val_mean,queries_to_best,"
          "found_best,regret_mean\n",
          f);
    const struct search_trace **runs = malloc(sizeof *runs * (size_t)c->n_seeds);
    if (!runs) {
        outfile_abort(o);
        return cli_error("out of memory");
    }
    for (int d = 0; d < c->n_d; d++) {
        struct bench *b = c->benches[d];
        if (tty) {
            fprintf(tty, "\n%s: %s searched, %s reported", c->dnames[d], b->search_metric,
                    b->report_metric);
            if (c->has_ceiling[d])
                fprintf(tty, "; ceiling %.4f (%s of the best-by-%s)", c->ceil_test[d],
                        b->report_metric, b->search_metric);
            fprintf(tty, "\n  %-36s %8s %10s %8s %8s %10s %10s\n", "strategy", "budget", "test_mean",
                    "ci95", "std", "val_mean", "q_to_best");
        }
        for (int s = 0; s < c->n_s; s++)
            for (int ci = 0; ci < c->n_ck; ci++) {
                double x = c->ck[ci];
                /* the statistics of the library's nasw_compare(), one computation */
                struct api_cell cell;
                for (int k = 0; k < c->n_seeds; k++) runs[k] = &job_of(c, d, s, k)->tr;
                if (api_compare_cell(runs, c->n_seeds, x, c->seconds, c->has_ceiling[d], c->ceil_val[d],
                                     c->ceil_test[d], b->report_higher_is_better, &cell)) {
                    free(runs);
                    outfile_abort(o);
                    return cli_error("out of memory");
                }
                csv_str(f, c->dnames[d]);
                fputc(',', f);
                csv_str(f, c->specs[s].label);
                fprintf(f, ",%.10g,%d,", x, cell.seeds);
                csv_num(f, cell.test_mean);
                fputc(',', f);
                csv_num(f, cell.test_std);
                fputc(',', f);
                csv_num(f, cell.test_ci95);
                fputc(',', f);
                csv_num(f, cell.val_mean);
                fputc(',', f);
                csv_num(f, cell.queries_to_best);
                fprintf(f, ",%d,", cell.found_best);
                csv_num(f, cell.regret_mean);
                fputc('\n', f);
                if (tty) {
                    char q[32] = "-";
                    if (isfinite(cell.queries_to_best)) snprintf(q, sizeof q, "%.1f", cell.queries_to_best);
                    else if (c->has_ceiling[d]) snprintf(q, sizeof q, "(%d/%d)", cell.found_best, c->n_seeds);
                    char b[4][32];
                    fprintf(tty, "  %-36.36s %8.6g %10s %8s %8s %10s %10s\n", c->specs[s].label, x,
                            num_or_dash(b[0], 32, "%.4f", cell.test_mean), num_or_dash(b[1], 32, "%.4f", cell.test_ci95),
                            num_or_dash(b[2], 32, "%.4f", cell.test_std), num_or_dash(b[3], 32, "%.4f", cell.val_mean), q);
                }
            }
    }
    free(runs);
    return cli_out_commit(o);
}

static int write_pairs(struct ctx *c, FILE *tty)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, c->dir, "pairs.csv");
    if (!f) return CLI_ERROR;
    fputs("dataset,budget,strategy_a,strategy_b,pairs,mean_a,mean_b,mean_diff,diff_ci95_lo,"
          "diff_ci95_hi,wilcoxon_n,wilcoxon_p,better\n",
          f);
    size_t ns = (size_t)c->n_seeds;
    double *buf = malloc(sizeof *buf * ns * 6);
    struct rng *r = rng_new(12345); /* bootstrap resampling: fixed seed, reproducible */
    if (!buf || !r) {
        free(buf);
        rng_free(r);
        outfile_abort(o);
        return cli_error("out of memory");
    }
    double *ta = buf, *tb = ta + ns, *va = tb + ns, *vb = va + ns, *pa = vb + ns, *pb = pa + ns;
    int header = 0;
    for (int d = 0; d < c->n_d; d++) {
        int hib = c->benches[d]->report_higher_is_better;
        for (int ci = 0; ci < c->n_ck; ci++)
            for (int a = 0; a < c->n_s; a++)
                for (int b = a + 1; b < c->n_s; b++) {
                    double x = c->ck[ci];
                    collect(c, d, a, x, ta, va);
                    collect(c, d, b, x, tb, vb);
                    size_t n = 0;
                    for (size_t k = 0; k < ns; k++)
                        if (isfinite(ta[k]) && isfinite(tb[k])) {
                            pa[n] = ta[k];
                            pb[n] = tb[k];
                            n++;
                        }
                    double ma = n ? stats_mean(pa, n) : NAN, mb = n ? stats_mean(pb, n) : NAN;
                    double lo = NAN, hi = NAN;
                    struct wilcoxon w = {0, 0, NAN, 0}; /* no test under two pairs: p empty */
                    if (n >= 2) {
                        stats_bootstrap_diff(pa, pb, n, 2000, r, &lo, &hi);
                        stats_wilcoxon(pa, pb, n, &w);
                    }
                    const char *better = "";
                    if (n >= 2 && w.p < 0.05 && ma != mb)
                        better = ((ma > mb) == (hib != 0)) ? c->specs[a].label : c->specs[b].label;
                    csv_str(f, c->dnames[d]);
                    fprintf(f, ",%.10g,", x);
                    csv_str(f, c->specs[a].label);
                    fputc(',', f);
                    csv_str(f, c->specs[b].label);
                    fprintf(f, ",%zu,", n);
                    csv_num(f, ma);
                    fputc(',', f);
                    csv_num(f, mb);
                    fputc(',', f);
                    csv_num(f, ma - mb);
                    fputc(',', f);
                    csv_num(f, lo);
                    fputc(',', f);
                    csv_num(f, hi);
                    fprintf(f, ",%zu,", w.n);
                    csv_num(f, w.p);
                    fputc(',', f);
                    csv_str(f, better);
                    fputc('\n', f);
                    if (tty && ci == c->n_ck - 1) {
                        if (!header) {
                            fprintf(tty, "\npaired comparisons at budget %.6g (Wilcoxon signed-rank "
                                         "over seeds, 95%% bootstrap CI of the difference):\n",
                                    x);
                            header = 1;
                        }
                        char bd[32], bl[32], bh[32], bp[32];
                        fprintf(tty, "  %-14.14s %-22.22s vs %-22.22s %8s [%s, %s] p=%-9s %s%s\n",
                                c->dnames[d], c->specs[a].label, c->specs[b].label,
                                num_or_dash(bd, sizeof bd, "%+.4f", ma - mb), num_or_dash(bl, sizeof bl, "%+.4f", lo),
                                num_or_dash(bh, sizeof bh, "%+.4f", hi), num_or_dash(bp, sizeof bp, "%.3g", w.p),
                                *better ? "better: " : "no significant difference", better);
                    }
                }
    }
    free(buf);
    rng_free(r);
    return cli_out_commit(o);
}

static int write_trajectories(struct ctx *c)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, c->dir, "trajectories.csv");
    if (!f) return CLI_ERROR;
    static char iobuf[1 << 16];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    fputs("dataset,strategy,seed,query,best_val,test_at_best_val,cost_s,epochs\n", f);
    for (int d = 0; d < c->n_d; d++)
        for (int s = 0; s < c->n_s; s++) {
            /* quote once per run, not per row */
            char prefix[512];
            FILE *m = fmemopen(prefix, sizeof prefix, "w");
            if (!m) {
                outfile_abort(o);
                return cli_error("out of memory");
            }
            csv_str(m, c->dnames[d]);
            fputc(',', m);
            csv_str(m, c->specs[s].label);
            fputc('\0', m);
            fclose(m);
            for (int k = 0; k < c->n_seeds; k++) {
                const struct job *j = job_of(c, d, s, k);
                for (long i = 0; i < j->tr.n; i++) {
                    const struct search_step *p = &j->tr.steps[i];
                    fprintf(f, "%s,%ld,%ld,%.10g,%.10g,%.10g,%.10g\n", prefix, j->seed, i + 1, p->best_val,
                            p->test_at_best, p->total_cost_s, p->total_epochs);
                }
            }
        }
    return cli_out_commit(o);
}

/* The best-by-search-metric architecture of every run (input of nasw confirm). */
static int write_best(struct ctx *c)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, c->dir, "best.csv");
    if (!f) return CLI_ERROR;
    fputs("dataset,strategy,seed,arch,best_val,test_at_best_val,query\n", f);
    for (int d = 0; d < c->n_d; d++) {
        const struct space *s = bench_space(c->benches[d]);
        for (int st = 0; st < c->n_s; st++)
            for (int k = 0; k < c->n_seeds; k++) {
                const struct job *j = job_of(c, d, st, k);
                /* the incumbent (search/search.h): for full trainings the
                 * best by search metric, ties keeping the earlier */
                long best = j->tr.n ? j->tr.steps[j->tr.n - 1].incumbent : -1;
                if (best < 0) continue;
                struct arch a;
                char arch[ARCH_STR_MAX];
                arch_from_key(s, j->tr.steps[best].key, &a);
                arch_format(s, &a, arch, sizeof arch);
                csv_str(f, c->dnames[d]);
                fputc(',', f);
                csv_str(f, c->specs[st].label);
                fprintf(f, ",%ld,", j->seed);
                csv_str(f, arch);
                fprintf(f, ",%.10g,%.10g,%ld\n", j->tr.steps[best].val, j->tr.steps[best].test, best + 1);
            }
    }
    return cli_out_commit(o);
}

static int write_datasets(struct ctx *c)
{
    struct outfile *o;
    FILE *f = cli_out_open(&o, c->dir, "datasets.csv");
    if (!f) return CLI_ERROR;
    /* the axis labels of the table's sidecar "columns", for nasw plot: two
     * more columns only when it gives any (other tables' outputs unchanged) */
    const struct table *t = c->cb.t;
    int labels = 0;
    for (int d = 0; t && d < c->n_d; d++) {
        int m[2] = {table_metric_index(t, c->benches[d]->search_metric), table_metric_index(t, c->benches[d]->report_metric)};
        for (int k = 0; k < 2; k++)
            labels |= m[k] >= 0 && (table_metric_label(t, m[k]) || table_metric_unit(t, m[k]));
    }
    fputs("dataset,search_metric,report_metric,higher_is_better,report_higher_is_better,"
          "ceiling_val,ceiling_test,budget,budget_unit",
          f);
    fputs(labels ? ",search_label,report_label\n" : "\n", f);
    for (int d = 0; d < c->n_d; d++) {
        const struct bench *b = c->benches[d];
        csv_str(f, c->dnames[d]);
        fputc(',', f);
        csv_str(f, b->search_metric);
        fputc(',', f);
        csv_str(f, b->report_metric);
        fprintf(f, ",%d,%d,", b->higher_is_better, b->report_higher_is_better);
        if (c->has_ceiling[d]) csv_num(f, c->ceil_val[d]);
        fputc(',', f);
        if (c->has_ceiling[d]) csv_num(f, c->ceil_test[d]);
        fprintf(f, ",%.10g,%s", c->ck[c->n_ck - 1], unit_name(c->seconds));
        if (labels) {
            /* percent as nasw plot decides it: from the ceiling */
            char l[128];
            fputc(',', f);
            csv_str(f, cli_column_label(t, b->search_metric, fabs(c->ceil_val[d]) > 1.5, l, sizeof l));
            fputc(',', f);
            csv_str(f, cli_column_label(t, b->report_metric, fabs(c->ceil_test[d]) > 1.5, l, sizeof l));
        }
        fputc('\n', f);
    }
    return cli_out_commit(o);
}

static int mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* status: "running" (written before the runs), then "done" or "failed". */
static int write_manifest(struct ctx *c, double budget, const char *status)
{
    json_t *o = json_object(), *st = json_array(), *ds = json_array();
    if (!o || !st || !ds) {
        json_decref(o);
        json_decref(st);
        json_decref(ds);
        return cli_error("out of memory");
    }
    json_object_set_new(o, "command", json_string(cli_command_line));
    json_object_set_new(o, "nasw", json_string(nasw_version()));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "bench", json_string(c->spec));
    json_object_set_new(o, "checksum", json_string(c->benches[0]->checksum));
    json_object_set_new(o, "seeds", json_integer(c->n_seeds));
    json_object_set_new(o, "budget", json_real(budget));
    json_object_set_new(o, "budget_unit", json_string(unit_name(c->seconds)));
    for (int d = 0; d < c->n_d; d++) json_array_append_new(ds, json_string(c->dnames[d]));
    for (int s = 0; s < c->n_s; s++) {
        char full[512];
        search_spec_format(&c->specs[s], full, sizeof full);
        json_t *e = json_object();
        json_object_set_new(e, "label", json_string(c->specs[s].label));
        json_object_set_new(e, "spec", json_string(full));
        json_array_append_new(st, e);
    }
    json_object_set_new(o, "datasets", ds);
    json_object_set_new(o, "strategies", st);
    /* the arguments themselves: `nasw compare --config manifest.json` reruns
     * this comparison; runs_key: what `--resume` must find unchanged */
    json_t *av = json_array();
    for (int i = 1; av && i < c->argc; i++)
        if (strcmp(c->argv[i], "--resume")) json_array_append_new(av, json_string(c->argv[i]));
    json_object_set_new(o, "argv", av);
    json_object_set_new(o, "runs_key", json_string(c->runs_key ? c->runs_key : ""));
    struct outfile *out;
    FILE *f = cli_out_open(&out, c->dir, "manifest.json");
    if (!f) {
        json_decref(o);
        return CLI_ERROR;
    }
    int rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (rc != 0 || fputc('\n', f) == EOF) {
        outfile_abort(out);
        return cli_error("cannot write '%.200s/manifest.json'", c->dir);
    }
    return cli_out_commit(out);
}

/* Every file `nasw compare` writes in its directory.  A rerun into the same
 * directory removes them all first, so no plot of an earlier comparison is
 * left beside the new CSVs (--no-plot); other files are left alone. */
static const char *const OWNED[] = {"manifest.json", "summary.csv", "pairs.csv", "trajectories.csv", "datasets.csv",
                                    "best.csv",
                                    /* the figures (cli/plot.c, plots/plot.h), --metric search's too */
                                    "trajectories.dat", "trajectories.gp", "trajectories.pdf", "trajectories.png",
                                    "trajectories.svg", "regret.dat", "regret.gp", "regret.pdf", "regret.png",
                                    "regret.svg", "trajectories_search.dat", "trajectories_search.gp",
                                    "trajectories_search.pdf", "trajectories_search.png", "trajectories_search.svg",
                                    "regret_search.dat", "regret_search.gp", "regret_search.pdf", "regret_search.png",
                                    "regret_search.svg",
                                    /* --objectives (cli/moo.c) */
                                    "hypervolume.csv", "hv_pairs.csv", "hv_regret.csv", "hv_regret.dat", "hv_regret.gp",
                                    "hv_regret.pdf", "hv_regret.png", "hv_regret.svg", "fronts.csv", "fronts.dat",
                                    "fronts.gp", "fronts.pdf", "fronts.png", "fronts.svg",
                                    /* the journal of finished runs (cli/replay.h) */
                                    "runs.jsonl", NULL};

/* 1 if DIR/manifest.json was written by nasw compare (a JSON object with
 * "strategies" and "datasets" arrays). */
static int compare_manifest(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *m = json_load_file(path, 0, NULL);
    int ok = json_is_object(m) && json_is_array(json_object_get(m, "strategies")) &&
             json_is_array(json_object_get(m, "datasets"));
    json_decref(m);
    return ok;
}

/* Before anything is created: DIR must be a directory (or not exist yet),
 * and if it holds files of ours, they must be an earlier comparison's. */
static int check_out_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) return errno == ENOENT ? CLI_OK : cli_error("cannot use '%.200s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return cli_error("cannot use '%.200s': %s", dir, strerror(ENOTDIR));
    char path[4200];
    for (int i = 0; OWNED[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, OWNED[i]);
        if (lstat(path, &st) == 0 && !compare_manifest(dir))
            return cli_error("'%.200s' holds '%s' but no manifest.json of nasw compare: not overwriting it "
                             "(choose an empty or new directory)",
                             dir, OWNED[i]);
    }
    return CLI_OK;
}

/* Create DIR and remove the outputs of an earlier comparison and the
 * temporary files of a killed one. */
/* --resume: DIR holds an unfinished comparison with the same runs_key */
static int check_resume(const char *dir, const char *key)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *m = json_load_file(path, 0, NULL);
    const char *st = json_string_value(json_object_get(m, "status"));
    const char *k = json_string_value(json_object_get(m, "runs_key"));
    int rc = CLI_OK;
    if (!m || !compare_manifest(dir)) rc = cli_error("nothing to resume: '%.200s' holds no manifest.json of nasw compare", dir);
    else if (st && !strcmp(st, "done")) rc = cli_error("nothing to resume: the comparison in '%.200s' is done", dir);
    else if (!k) rc = cli_error("cannot resume '%.200s': its manifest.json records no runs_key (an older nasw)", dir);
    else if (strcmp(k, key))
        rc = cli_error("cannot resume '%.200s': it was started with other settings (%.200s)", dir, k);
    json_decref(m);
    return rc;
}

struct loader {
    struct ctx *cx;
    long n;
};

/* a run of the journal: its job is done */
static int load_run(void *arg, const char *dataset, const char *label, long seed, double secs, struct search_trace *tr)
{
    struct loader *ld = arg;
    struct ctx *c = ld->cx;
    int d = -1, s = -1;
    for (int i = 0; i < c->n_d; i++)
        if (!strcmp(c->dnames[i], dataset)) d = i;
    for (int i = 0; i < c->n_s; i++)
        if (!strcmp(c->specs[i].label, label)) s = i;
    if (d < 0 || s < 0 || seed < 1 || seed > c->n_seeds)
        return cli_error("'%.200s/runs.jsonl' holds a run (%.64s, %.64s, seed %ld) that is not of this comparison",
                         c->dir, label, dataset, seed);
    struct job *j = job_of(c, d, s, (int)seed - 1);
    if (atomic_load(&j->fin)) search_trace_release(&j->tr); /* twice: the later record */
    else ld->n++;
    j->tr = *tr;
    j->secs = secs;
    j->status = 0;
    atomic_store(&j->fin, 1);
    return 0;
}

static int clean_out_dir(const char *dir, int resume)
{
    if (mkdir_p(dir) != 0) return cli_error("cannot create directory '%.200s': %s", dir, strerror(errno));
    char path[4200];
    for (int i = 0; OWNED[i]; i++) {
        if (resume && !strcmp(OWNED[i], "runs.jsonl")) continue; /* what --resume continues */
        snprintf(path, sizeof path, "%s/%s", dir, OWNED[i]);
        outfile_remove_stale(path);
        if (unlink(path) != 0 && errno != ENOENT)
            return cli_error("cannot remove '%.200s': %s", path, strerror(errno));
    }
    return CLI_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const struct option longopts[] = {
        {"table", required_argument, 0, 't'},      {"bench", required_argument, 0, 'B'},
        {"datasets", required_argument, 0, 'd'},   {"dataset", required_argument, 0, 'd'},
        {"strategies", required_argument, 0, 's'}, {"seeds", required_argument, 0, 'n'},
        {"budget", required_argument, 0, 'b'},     {"checkpoints", required_argument, 0, 'c'},
        {"jobs", required_argument, 0, 'j'},       CLI_DIR_LONGOPTS,
        {"journal", required_argument, 0, 'J'},    {"train-seed", required_argument, 0, 'K'},
        {"no-plot", no_argument, 0, 'P'},          CLI_SIZE_LONGOPT,
        {"help", no_argument, 0, 'h'},             CLI_TABLE_LONGOPTS,
        {"noise", required_argument, 0, 0x1201},
        {"resume", no_argument, 0, 'R'},           {"config", required_argument, 0, 'C'},
        CLI_MOO_LONGOPTS,                          CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};

static int compare_main(int argc, char **argv);

/* --config FILE: the manifest's arguments, overridden by the others given */
int cmd_compare(int argc, char **argv)
{
    int n = 0;
    char **v = NULL;
    void *keep = NULL;
    int rc = replay_config("compare", longopts, argc, argv, &n, &v, &keep);
    if (rc) return rc;
    if (!v) return compare_main(argc, argv);
    rc = compare_main(n, v);
    replay_config_free(v, keep);
    return rc;
}

static int compare_main(int argc, char **argv)
{
    struct table_opts topts;
    table_default_opts(&topts);
    struct objectives obj = {0};
    const char *table_path_s = NULL, *datasets_s = NULL, *strategies_s = NULL, *budget_s = "300";
    const char *ck_s = NULL, *dir = NULL, *journal = NULL;
    long seeds = 100, jobs = sysconf(_SC_NPROCESSORS_ONLN), train_seed = CLI_DEFAULT_SEED;
    int noplot = 0, resume = 0, noise = 0, c, mrc;
    double size_w = 0, size_h = 0;
    optind = 1;
    opterr = 0;
    static const char *const excl[] = {"table", "bench", NULL};
    struct cli_seen seen = {.excl = excl};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("compare", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("compare", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        if (cli_table_option(c, optarg, &topts)) continue;
        if (c == 0x1201) {
            if (strcmp(optarg, "seed") && strcmp(optarg, "none"))
                return cli_usage_error("compare", "bad --noise '%.64s' (seed or none)", optarg);
            noise = !strcmp(optarg, "seed");
            continue;
        }
        if (cli_moo_option(c, optarg, &obj, "compare", &mrc)) {
            if (mrc) return mrc;
            continue;
        }
        switch (c) {
        case 't': table_path_s = optarg; break;
        case 'B':
            if (strncmp(optarg, "table:", 6) && strncmp(optarg, "live:", 5))
                return cli_usage_error("compare", "unknown bench '%.64s' (known: table:PATH, live:fmnist)", optarg);
            table_path_s = optarg;
            break;
        case 'J': journal = optarg; break;
        case 'K':
            if (cli_parse_long(optarg, &train_seed) || train_seed < 0)
                return cli_usage_error("compare", "bad --train-seed '%.64s'", optarg);
            break;
        case 'd': datasets_s = optarg; break;
        case 's': strategies_s = optarg; break;
        case 'n':
            if (cli_parse_long(optarg, &seeds) || seeds < 1 || seeds > 1000000)
                return cli_usage_error("compare", "bad --seeds '%.64s' (1..1000000)", optarg);
            break;
        case 'b': budget_s = optarg; break;
        case 'c': ck_s = optarg; break;
        case 'j':
            if (cli_parse_long(optarg, &jobs) || jobs < 1 || jobs > 1024)
                return cli_usage_error("compare", "bad --jobs '%.64s' (1..1024)", optarg);
            break;
        case 'o': dir = optarg; break;
        case 'P': noplot = 1; break;
        case CLI_SIZE_OPT:
            if (cli_size_option("compare", optarg, &size_w, &size_h)) return CLI_USAGE;
            break;
        case 'R': resume = 1; break;
        case 'C': break; /* --config: read by cmd_compare() */
        case 'h': help(stdout); return CLI_OK;
        default:
            return cli_bad_option("compare", longopts, c, argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("compare", "unexpected argument '%.64s'", argv[optind]);
    if (cli_quiet_stdout(0)) return CLI_ERROR;
    if (!table_path_s) return cli_usage_error("compare", "--table or --bench is required");
    if (!dir) return cli_usage_error("compare", "--dir DIR is required");
    if (jobs < 1) jobs = 1;

    struct ctx cx = {.dir = dir, .spec = table_path_s, .n_seeds = (int)seeds, .argc = argc, .argv = argv};
    double budget;
    if (cli_parse_budget(budget_s, &budget, &cx.seconds))
        return cli_usage_error("compare",
                               "bad --budget '%.64s' (a positive integer, seconds as '3600s' or epochs as '2000e')",
                               budget_s);
    /* strategies */
    if (strategies_s) {
        int n;
        if (search_spec_list_parse(strategies_s, &cx.specs, &n))
            return cli_spec_error("compare", strategies_s);
        cx.n_s = n;
    } else {
        int n = 0;
        while (search_registry[n]) n++;
        cx.specs = calloc((size_t)n, sizeof *cx.specs);
        if (!cx.specs) return cli_error("out of memory");
        for (int i = 0; i < n; i++)
            if (search_spec_parse(search_registry[i]->name, &cx.specs[i])) {
                free(cx.specs);
                return cli_error_status(NASW_EINVAL);
            }
        cx.n_s = n;
    }
    for (int a = 0; a < cx.n_s; a++)
        for (int b = 0; b < a; b++)
            if (!strcmp(cx.specs[a].label, cx.specs[b].label)) {
                /* the message reads the label: print, then free */
                int urc = cli_usage_error("compare", "strategy '%.64s' listed twice", cx.specs[a].label);
                free(cx.specs);
                return urc;
            }
    for (int i = 0; i < cx.n_s && table_path_s; i++) {
        int urc = cli_check_inherit("compare", &cx.specs[i], table_path_s, &obj);
        if (urc) {
            free(cx.specs);
            return urc;
        }
    }
    /* checkpoints */
    int n_ck = 1;
    char **cks = NULL;
    if (ck_s) {
        if (cli_split_list(ck_s, &cks, &n_ck)) {
            free(cx.specs);
            return cli_error("out of memory");
        }
        n_ck++;
    }
    cx.ck = calloc((size_t)n_ck, sizeof *cx.ck);
    int rc = CLI_ERROR;
    char **dl = NULL;
    int n_dl = 0;
    long n_jobs = 0;
    pthread_t *threads = NULL;
    long *order = NULL, *wcnt = NULL;
    FILE *jf = NULL;
    double *wsum = NULL;
    int started_writing = 0;
    if (!cx.ck) goto out;
    for (int i = 0; i < n_ck - 1; i++) {
        double v;
        int sec;
        if (cli_parse_budget(cks[i], &v, &sec) || sec != cx.seconds || v > budget) {
            rc = cli_usage_error("compare", "bad checkpoint '%.64s' (within the budget, same unit)", cks[i]);
            goto out;
        }
        cx.ck[i] = v;
    }
    cx.ck[n_ck - 1] = budget;
    qsort(cx.ck, (size_t)n_ck, sizeof *cx.ck, cmp_double);
    cx.n_ck = 0;
    for (int i = 0; i < n_ck; i++)
        if (cx.n_ck == 0 || cx.ck[cx.n_ck - 1] != cx.ck[i]) cx.ck[cx.n_ck++] = cx.ck[i];

    /* benches */
    if (datasets_s && cli_split_list(datasets_s, &dl, &n_dl)) goto oom;
    if (datasets_s && n_dl == 0) {
        rc = cli_usage_error("compare", "no datasets given");
        goto out;
    }
    if (check_out_dir(dir) || cli_moo_precheck(table_path_s, &obj) ||
        cli_benches_open(&cx.cb, table_path_s, dl, n_dl, &topts, journal, train_seed))
        goto out;
    cx.n_d = cx.cb.n;
    cx.dnames = cx.cb.names;
    cx.benches = cx.cb.b;
    if (cli_moo_apply(&cx.cb, &obj)) goto out;
    for (int d = 0; noise && d < cx.n_d; d++)
        if (bench_set_noise(cx.benches[d])) {
            cli_error_status(NASW_EUNSUPPORTED);
            goto out;
        }
    if (!strategies_s) { /* the default, every strategy: those that need curves only where there are,
                            the multi-objective ones only with objectives */
        int curves = 1, k = 0, supernet = 1;
        for (int d = 0; d < cx.n_d; d++) curves &= cx.benches[d]->max_epochs > 0;
        for (int d = 0; d < cx.n_d; d++) supernet &= cx.benches[d]->ops->oneshot != NULL;
        for (int i = 0; i < cx.n_s; i++) {
            int space_ok = 1; /* and those that search the table's space (nao: cells and chains) */
            for (int d = 0; d < cx.n_d && cx.specs[i].type->space_ok; d++)
                space_ok &= cx.specs[i].type->space_ok(bench_space(cx.benches[d])) == NASW_OK;
            if ((curves || !cx.specs[i].type->multi_fidelity) && (supernet || !cx.specs[i].type->oneshot) &&
                (obj.n >= 2 || !cx.specs[i].type->multi_objective) &&
                (!cx.specs[i].type->max_objectives || obj.n <= cx.specs[i].type->max_objectives) && space_ok)
                cx.specs[k++] = cx.specs[i];
        }
        cx.n_s = k;
    }
    for (int i = 0; i < cx.n_s; i++) {
        if ((rc = cli_moo_check_strategy(cx.specs[i].type, &obj, "compare"))) goto out;
        for (int d = 0; d < cx.n_d; d++) { /* before any run: a one-shot strategy without a
                                              supernet; the space; init=zc: the column, the
                                              pool; an encoding too wide for the model */
            if (search_check_bench(cx.specs[i].type, cx.benches[d])) {
                rc = cli_usage_error("compare", "%s", nasw_errmsg());
                goto out;
            }
            if (search_spec_check(&cx.specs[i], cx.benches[d])) {
                rc = cli_usage_error("compare", "%s", nasw_errmsg());
                goto out;
            }
            if (search_check(&cx.specs[i], bench_space(cx.benches[d]))) {
                rc = cli_usage_error("compare", "%s (dataset '%.64s')", nasw_errmsg(), cx.dnames[d]);
                goto out;
            }
        }
    }
    rc = CLI_ERROR;
    if (cx.cb.live && jobs > 1) jobs = 1; /* one trainer: runs share its journal */
    cx.ceil_val = calloc((size_t)cx.n_d, sizeof *cx.ceil_val);
    cx.ceil_test = calloc((size_t)cx.n_d, sizeof *cx.ceil_test);
    cx.has_ceiling = calloc((size_t)cx.n_d, sizeof *cx.has_ceiling);
    if (!cx.ceil_val || !cx.ceil_test || !cx.has_ceiling) goto oom;
    for (int d = 0; d < cx.n_d; d++) {
        if (cx.seconds == BUDGET_SECONDS && !cx.benches[d]->has_cost) {
            cli_error("table '%.200s' has no cost column: a budget in seconds needs one (--cost NAME)",
                      table_path_s);
            goto out;
        }
        cx.has_ceiling[d] = bench_oracle(cx.benches[d], &cx.ceil_val[d], &cx.ceil_test[d]) == NASW_OK;
    }
    if (!(cx.runs_key = replay_runs_key(longopts, argc, argv))) goto oom;
    if (resume && check_resume(dir, cx.runs_key)) goto out;
    if (clean_out_dir(dir, resume) || write_manifest(&cx, budget, "running")) goto out;
    started_writing = 1;

    /* run */
    n_jobs = (long)cx.n_d * cx.n_s * cx.n_seeds;
    if (!(cx.jobs = calloc((size_t)n_jobs, sizeof *cx.jobs))) goto oom;
    for (int d = 0; d < cx.n_d; d++)
        for (int s = 0; s < cx.n_s; s++)
            for (int k = 0; k < cx.n_seeds; k++) {
                struct job *j = job_of(&cx, d, s, k);
                j->d = d;
                j->s = s;
                j->seed = k + 1;
            }
    /* seeds outermost, strategies innermost: the strategies' costs are
     * all measured after the first few runs (the results do not depend on
     * the order: every run has its own seed and trace) */
    if (!(order = malloc(sizeof *order * (size_t)n_jobs)) || !(wsum = calloc((size_t)cx.n_s, sizeof *wsum)) ||
        !(wcnt = calloc((size_t)cx.n_s, sizeof *wcnt)))
        goto oom;
    long o_i = 0;
    for (int k = 0; k < cx.n_seeds; k++)
        for (int d = 0; d < cx.n_d; d++)
            for (int s = 0; s < cx.n_s; s++) order[o_i++] = job_of(&cx, d, s, k) - cx.jobs;
    /* the journal: runs finished by an interrupted comparison are loaded
     * (--resume), then every run is appended as it finishes */
    char jpath[4200];
    snprintf(jpath, sizeof jpath, "%s/runs.jsonl", dir);
    long loaded = 0, good_end = 0;
    if (resume) {
        struct loader ld = {&cx, 0};
        if (replay_journal_read(jpath, load_run, &ld, &good_end)) goto out;
        loaded = ld.n;
        /* a torn last line is dropped before appending after it */
        if (truncate(jpath, good_end) != 0 && errno != ENOENT) {
            cli_error("cannot truncate '%.200s': %s", jpath, strerror(errno));
            goto out;
        }
        if (cli_verbosity != CLI_QUIET)
            fprintf(stderr, "compare: resuming '%s': %ld of %ld runs done\n", dir, loaded, n_jobs);
    }
    if (!(jf = fopen(jpath, "a"))) {
        cli_error("cannot write '%.200s': %s", jpath, strerror(errno));
        goto out;
    }
    struct pool pool = {.jobs = cx.jobs, .n_jobs = n_jobs, .benches = cx.benches, .specs = cx.specs,
                        .budget = budget, .kind = cx.seconds, .order = order, .n_s = cx.n_s,
                        .dnames = cx.dnames, .journal = jf};
    pthread_mutex_init(&pool.journal_mu, NULL);
    atomic_init(&pool.next, 0);
    atomic_init(&pool.done, loaded);
    if (jobs > n_jobs) jobs = n_jobs;
    if (!(threads = calloc((size_t)jobs, sizeof *threads))) goto oom;
    long started = 0;
    for (; started < jobs - 1; started++)
        if (pthread_create(&threads[started], NULL, worker, &pool) != 0) break;
    struct cli_progress *prog = cli_progress_new("compare", (double)n_jobs);
    /* the main thread works too, and updates the progress bar between runs
     * (runs/s; the bar and ETA by expected work) */
    while (run_next(&pool)) cli_progress_set_frac(prog, (double)atomic_load(&pool.done), work_frac(&pool, wsum, wcnt));
    for (long i = 0; i < started; i++) pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&pool.journal_mu);
    cli_progress_done(prog);
    for (long i = 0; i < n_jobs; i++)
        if (cx.jobs[i].status) {
            cli_error("%s on %s, seed %ld: %s", cx.specs[cx.jobs[i].s].label, cx.dnames[cx.jobs[i].d],
                      cx.jobs[i].seed, cx.jobs[i].err);
            goto out;
        }
    for (long i = 0; i < n_jobs; i++)
        if (cx.jobs[i].tr.stop == SEARCH_STOP_STALLED) {
            cli_warn("%s on %s, seed %ld stalled after %ld queries (only repeats proposed)",
                     cx.specs[cx.jobs[i].s].label, cx.dnames[cx.jobs[i].d], cx.jobs[i].seed,
                     cx.jobs[i].tr.n);
            break;
        }

    FILE *tty = cli_verbosity == CLI_QUIET ? NULL : stdout;
    if (tty)
        fprintf(tty, "nasw compare: %d strategies x %d datasets x %d seeds, budget %s %s, table %s\n",
                cx.n_s, cx.n_d, cx.n_seeds, budget_s, cx.seconds == BUDGET_SECONDS ? "(seconds)" : cx.seconds == BUDGET_EPOCHS ? "(epochs)" : "queries",
                table_path_s);
    if (write_summary(&cx, tty) || write_pairs(&cx, tty) || write_trajectories(&cx) ||
        write_datasets(&cx) || write_best(&cx))
        goto out;
    if (tty) fprintf(tty, "\nwrote %s/summary.csv, pairs.csv, trajectories.csv, datasets.csv\n", dir);
    struct moo_compare mc = {.dir = dir, .n_d = cx.n_d, .n_s = cx.n_s, .n_seeds = cx.n_seeds, .n_ck = cx.n_ck,
                             .kind = cx.seconds, .plot = !noplot, .width_in = size_w, .height_in = size_h, .dnames = cx.dnames, .benches = cx.benches,
                             .t = cx.cb.t, .specs = cx.specs, .ck = cx.ck, .trace = trace_of, .ctx = &cx};
    if (moo_compare_write(&mc, tty)) goto out;
    if (!noplot) {
        int prc = plot_compare_dir(dir, 0, 0, size_w, size_h);
        if (prc == CLI_OK) prc = plot_compare_dir(dir, 1, 0, size_w, size_h);
        if (prc != CLI_OK) goto out;
        if (tty && plot_have_gnuplot())
            fprintf(tty, "plots: %s/trajectories.pdf (.png, .svg), %s/regret.pdf (.png, .svg)\n", dir, dir);
    }
    rc = write_manifest(&cx, budget, "done"); /* last: a "done" manifest means every output is there */
    if (rc == CLI_OK) { /* every run is in the outputs: nothing left to resume */
        fclose(jf);
        jf = NULL;
        unlink(jpath);
    }
    goto out;
oom:
    rc = cli_error("out of memory");
out:
    if (rc != CLI_OK && started_writing) write_manifest(&cx, budget, "failed");
    if (cx.jobs)
        for (long i = 0; i < n_jobs; i++) search_trace_release(&cx.jobs[i].tr);
    free(cx.jobs);
    free(threads);
    free(order);
    free(wsum);
    free(wcnt);
    if (jf) fclose(jf);
    free(cx.runs_key);
    cli_benches_close(&cx.cb);
    free(cx.ceil_val);
    free(cx.ceil_test);
    free(cx.has_ceiling);
    cli_free_list(dl, n_dl);
    cli_free_list(cks, ck_s ? n_ck - 1 : 0);
    free(cx.ck);
    free(cx.specs);
    return rc;
}
