/*
 * cli/moo.c - multi-objective and constrained search in the CLI (see
 * cli/moo.h): flags, the exact front of a table, hypervolume regret and the
 * multi-objective outputs of `nasw compare`.
 *
 * Hypervolume regret follows the single-objective protocol: a run's front
 * is chosen by the searched objectives (e.g. val_acc) among its feasible
 * answers; `hv_regret` values that front by the reported counterparts
 * (test_acc for val_acc) against the exact front of the reported columns,
 * `search_hv_regret` by the searched objectives against theirs.  The
 * reference point is the table's worst value of each objective, so a
 * regret of 0 means the exact front was found and 1 that nothing beats the
 * worst architecture.
 */
#define _GNU_SOURCE
#include "cli/moo.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/outfile.h"
#include "core/rng.h"
#include "core/status.h"
#include "plots/plot.h"
#include "stats/pareto.h"
#include "stats/stats.h"
#include "train/live.h"

int cli_moo_option(int opt, const char *arg, struct objectives *o, const char *cmd, int *rc)
{
    *rc = CLI_OK;
    if (opt == 0x1101) {
        if (o->n > 0) *rc = cli_usage_error(cmd, "--objectives given twice");
        else if (objectives_parse(o, arg)) *rc = cli_usage_error(cmd, "%s", nasw_errmsg());
        return 1;
    }
    if (opt == 0x1102) {
        if (objectives_add_constraint(o, arg)) *rc = cli_usage_error(cmd, "%s", nasw_errmsg());
        return 1;
    }
    return 0;
}

int cli_moo_check_strategy(const struct search_type *t, const struct objectives *o, const char *cmd)
{
    if (t->multi_objective && o->n < 2) return cli_usage_error(cmd, "strategy '%s' needs --objectives", t->name);
    if (t->max_objectives && o->n > t->max_objectives)
        return cli_usage_error(cmd, "strategy '%s' handles at most %d objectives, got %d", t->name, t->max_objectives,
                               o->n);
    return CLI_OK;
}

int cli_moo_precheck(const char *bench_spec, const struct objectives *o)
{
    if (strncmp(bench_spec, "live:", 5) || (o->n == 0 && o->n_con == 0)) return CLI_OK;
    int st = live_check_objectives(bench_spec, o);
    return st ? cli_error_status(st) : CLI_OK;
}

int cli_moo_apply(struct cli_benches *cb, const struct objectives *o)
{
    if (o->n == 0 && o->n_con == 0) return CLI_OK;
    for (int d = 0; d < cb->n; d++) {
        int st = bench_set_objectives(cb->b[d], o);
        if (st) return cli_error_status(st);
    }
    return CLI_OK;
}

static double orient(const struct objectives *o, int k, double v) { return o->maximize[k] ? v : -v; }

int moo_truth_of(const struct table *t, int d, const struct objectives *o, struct moo_truth *m)
{
    int n = o->n, col[OBJ_MAX], rcol[OBJ_MAX], ccol[OBJ_MAX_CON];
    for (int k = 0; k < n; k++) {
        col[k] = table_metric_index(t, o->name[k]);
        if (col[k] < 0)
            return nasw_errorf(NASW_ENOTFOUND, "objective '%.64s' not in table '%.200s'", o->name[k], table_path(t));
        rcol[k] = col[k] == table_search_metric(t) ? table_report_metric(t) : col[k];
    }
    for (int c = 0; c < o->n_con; c++) {
        ccol[c] = table_metric_index(t, o->con_name[c]);
        if (ccol[c] < 0)
            return nasw_errorf(NASW_ENOTFOUND, "constraint column '%.64s' not in table '%.200s'", o->con_name[c],
                               table_path(t));
    }
    long rows = table_dataset_rows(t, d), np = 0;
    double *p = malloc(sizeof *p * (size_t)(rows ? rows : 1) * 2 * (size_t)n);
    int *idx = malloc(sizeof *idx * (size_t)(rows ? rows : 1));
    if (!p || !idx) {
        free(p);
        free(idx);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    double *q = p + (size_t)(rows ? rows : 1) * n;
    for (int k = 0; k < n; k++) m->ref[k] = m->ref_report[k] = INFINITY;
    for (long r = 0; r < table_n_rows(t); r++) {
        if (table_row_dataset(t, r) != d) continue;
        int ok = 1;
        for (int k = 0; k < n; k++) {
            m->ref[k] = fmin(m->ref[k], orient(o, k, table_value(t, r, col[k])));
            m->ref_report[k] = fmin(m->ref_report[k], orient(o, k, table_value(t, r, rcol[k])));
        }
        for (int c = 0; c < o->n_con; c++) ok &= objectives_satisfies(o, c, table_value(t, r, ccol[c]));
        if (!ok) continue;
        for (int k = 0; k < n; k++) {
            p[np * n + k] = orient(o, k, table_value(t, r, col[k]));
            q[np * n + k] = orient(o, k, table_value(t, r, rcol[k]));
        }
        np++;
    }
    m->front = pareto_front(p, (int)np, n, idx);
    m->front_report = pareto_front(q, (int)np, n, idx);
    m->hv = pareto_hv(p, (int)np, n, m->ref);
    m->hv_report = pareto_hv(q, (int)np, n, m->ref_report);
    free(p);
    free(idx);
    if (m->front < 0 || m->front_report < 0 || isnan(m->hv) || isnan(m->hv_report))
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    return NASW_OK;
}

double moo_run_regret(const struct search_trace *tr, long q, const struct objectives *o, const struct moo_truth *m,
                      int report)
{
    int n = o->n;
    if (q > tr->n) q = tr->n;
    double *p = malloc(sizeof *p * (size_t)(q ? q : 1) * 2 * (size_t)n);
    int *idx = malloc(sizeof *idx * (size_t)(q ? q : 1));
    double hv = NAN;
    if (!p || !idx) goto done;
    double *v = p + (size_t)(q ? q : 1) * n;
    int np = 0;
    for (long i = 0; i < q; i++) {
        if (tr->steps[i].failed || tr->steps[i].infeasible) continue;
        const double *s = tr->obj + (size_t)i * 2 * (size_t)n;
        for (int k = 0; k < n; k++) {
            p[np * n + k] = orient(o, k, s[k]);
            v[np * n + k] = orient(o, k, s[n + k]);
        }
        np++;
    }
    if (!report) {
        hv = pareto_hv(p, np, n, m->ref);
    } else {
        /* the front chosen by the searched objectives, valued as reported */
        int nf = pareto_front(p, np, n, idx);
        if (nf < 0) goto done;
        for (int i = 0; i < nf; i++) memmove(p + (size_t)i * n, v + (size_t)idx[i] * n, sizeof *p * (size_t)n);
        hv = pareto_hv(p, nf, n, m->ref_report);
    }
done:
    free(p);
    free(idx);
    if (isnan(hv)) return NAN;
    double truth = report ? m->hv_report : m->hv;
    return truth > 0 ? 1 - hv / truth : NAN;
}

void moo_print_front(const struct bench *b, const struct search_trace *tr, const struct table *t, FILE *f)
{
    const struct objectives *o = &b->obj;
    int n = o->n, np = 0;
    long infeasible = 0;
    double *p = malloc(sizeof *p * (size_t)(tr->n ? tr->n : 1) * (size_t)n);
    long *step = malloc(sizeof *step * (size_t)(tr->n ? tr->n : 1));
    int *idx = malloc(sizeof *idx * (size_t)(tr->n ? tr->n : 1));
    if (!p || !step || !idx) goto done;
    for (long i = 0; i < tr->n; i++) {
        infeasible += tr->steps[i].infeasible;
        if (tr->steps[i].failed || tr->steps[i].infeasible) continue;
        for (int k = 0; k < n; k++) p[np * n + k] = orient(o, k, tr->obj[(size_t)i * 2 * n + k]);
        step[np++] = i;
    }
    int nf = pareto_front(p, np, n, idx);
    if (nf < 0) goto done;
    fprintf(f, "front      %d architectures (%ld infeasible of %ld queries):", nf, infeasible, tr->n);
    for (int k = 0; k < n; k++) fprintf(f, " %s", o->name[k]);
    fputc('\n', f);
    const struct space *s = bench_space(b);
    for (int i = 0; i < nf; i++) {
        struct arch a;
        char as[ARCH_STR_MAX];
        arch_from_key(s, tr->steps[step[idx[i]]].key, &a);
        arch_format(s, &a, as, sizeof as);
        fprintf(f, "          ");
        for (int k = 0; k < n; k++) fprintf(f, " %-10.6g", tr->obj[(size_t)step[idx[i]] * 2 * n + k]);
        fprintf(f, " %s (query %ld)\n", as, step[idx[i]] + 1);
    }
    struct moo_truth m;
    int d = t ? table_dataset_index(t, b->dataset) : -1;
    if (d >= 0 && moo_truth_of(t, d, o, &m) == NASW_OK)
        fprintf(f, "hv_regret  %.6g (of the %s; exact front %ld architectures, hypervolume %.6g)\n",
                moo_run_regret(tr, tr->n, o, &m, 1), n && !strcmp(o->name[0], b->search_metric) ? "reported metrics" : "objectives",
                m.front_report, m.hv_report);
done:
    free(p);
    free(step);
    free(idx);
}

/* Steps of a run within checkpoint x of the budget's unit. */
static long steps_within(const struct search_trace *tr, double x, int kind)
{
    if (kind == BUDGET_QUERIES) return (long)x < tr->n ? (long)x : tr->n;
    long i = 0;
    while (i < tr->n && (kind == BUDGET_SECONDS ? tr->steps[i].total_cost_s : tr->steps[i].total_epochs) <= x) i++;
    return i;
}

static void put_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) fprintf(f, *s == '"' ? "\"\"" : "%c", *s);
    fputc('"', f);
}

static void put_num(FILE *f, double x)
{
    fputc(',', f);
    if (isfinite(x)) fprintf(f, "%.10g", x);
}

struct hv_tab {
    struct moo_truth *truth;   /* per dataset */
    double *reg, *sreg;        /* (d, s, ck, seed): report and search regret */
    double *infeasible;        /* (d, s, ck, seed): infeasible answers */
};

static size_t at(const struct moo_compare *c, int d, int s, int ci, int k)
{
    return (((size_t)d * c->n_s + s) * c->n_ck + ci) * c->n_seeds + k;
}

static int write_summary(const struct moo_compare *c, const struct hv_tab *h, FILE *tty)
{
    struct outfile *of = NULL;
    FILE *f = cli_out_open(&of, c->dir, "hypervolume.csv");
    if (!f) return CLI_ERROR;
    fputs("dataset,strategy,budget,seeds,hv_regret_mean,hv_regret_std,hv_regret_ci95,search_hv_regret_mean,"
          "infeasible_mean\n", f);
    for (int d = 0; d < c->n_d; d++) {
        if (tty)
            fprintf(tty, "\n%s: hypervolume regret (1 - HV/HV_true; exact front %ld architectures)\n"
                         "  %-36s %8s %10s %8s %8s %12s\n",
                    c->dnames[d], h->truth[d].front_report, "strategy", "budget", "hv_regret", "ci95", "std",
                    "infeasible");
        for (int s = 0; s < c->n_s; s++)
            for (int ci = 0; ci < c->n_ck; ci++) {
                const double *r = h->reg + at(c, d, s, ci, 0), *sr = h->sreg + at(c, d, s, ci, 0);
                const double *inf = h->infeasible + at(c, d, s, ci, 0);
                size_t n = (size_t)c->n_seeds;
                double mean = stats_mean(r, n), sd = stats_sd(r, n), ci95 = stats_ci95(r, n);
                put_str(f, c->dnames[d]);
                fputc(',', f);
                put_str(f, c->specs[s].label);
                fprintf(f, ",%.10g,%d", c->ck[ci], c->n_seeds);
                put_num(f, mean);
                put_num(f, sd);
                put_num(f, ci95);
                put_num(f, stats_mean(sr, n));
                put_num(f, stats_mean(inf, n));
                fputc('\n', f);
                if (tty)
                    fprintf(tty, "  %-36.36s %8.6g %10.5f %8.5f %8.5f %12.2f\n", c->specs[s].label, c->ck[ci], mean,
                            ci95, sd, stats_mean(inf, n));
            }
    }
    return cli_out_commit(of);
}

static int write_pairs(const struct moo_compare *c, const struct hv_tab *h, FILE *tty)
{
    struct outfile *of = NULL;
    FILE *f = cli_out_open(&of, c->dir, "hv_pairs.csv");
    if (!f) return CLI_ERROR;
    struct rng *r = rng_new(12345); /* bootstrap resampling: fixed seed, reproducible */
    if (!r) {
        fclose(f);
        return cli_error("out of memory");
    }
    fputs("dataset,budget,strategy_a,strategy_b,pairs,mean_a,mean_b,mean_diff,diff_ci95_lo,diff_ci95_hi,"
          "wilcoxon_n,wilcoxon_p,better\n", f);
    size_t n = (size_t)c->n_seeds;
    int header = 0;
    for (int d = 0; d < c->n_d; d++)
        for (int ci = 0; ci < c->n_ck; ci++)
            for (int a = 0; a < c->n_s; a++)
                for (int b = a + 1; b < c->n_s; b++) {
                    const double *pa = h->reg + at(c, d, a, ci, 0), *pb = h->reg + at(c, d, b, ci, 0);
                    double ma = stats_mean(pa, n), mb = stats_mean(pb, n), lo = NAN, hi = NAN;
                    struct wilcoxon w = {0, 0, 1, 0};
                    if (n >= 2) {
                        stats_bootstrap_diff(pa, pb, n, 2000, r, &lo, &hi);
                        stats_wilcoxon(pa, pb, n, &w);
                    }
                    /* lower regret is better */
                    const char *better = n >= 2 && w.p < 0.05 && ma != mb ? c->specs[ma < mb ? a : b].label : "";
                    put_str(f, c->dnames[d]);
                    fprintf(f, ",%.10g,", c->ck[ci]);
                    put_str(f, c->specs[a].label);
                    fputc(',', f);
                    put_str(f, c->specs[b].label);
                    fprintf(f, ",%zu", n);
                    put_num(f, ma);
                    put_num(f, mb);
                    put_num(f, ma - mb);
                    put_num(f, lo);
                    put_num(f, hi);
                    fprintf(f, ",%zu", w.n);
                    put_num(f, w.p);
                    fputc(',', f);
                    put_str(f, better);
                    fputc('\n', f);
                    if (tty && ci == c->n_ck - 1) {
                        if (!header)
                            fprintf(tty, "\nhypervolume regret, paired over seeds at budget %.6g (Wilcoxon "
                                         "signed-rank, 95%% bootstrap CI of the difference):\n",
                                    c->ck[ci]);
                        header = 1;
                        fprintf(tty, "  %-14.14s %-22.22s vs %-22.22s %+9.5f [%+.5f, %+.5f] p=%-9.3g %s%s\n",
                                c->dnames[d], c->specs[a].label, c->specs[b].label, ma - mb, lo, hi, w.p,
                                *better ? "better: " : "no significant difference", better);
                    }
                }
    rng_free(r);
    return cli_out_commit(of);
}

/* hv_regret.csv and its plot: mean regret (95% CI) after every query. */
static int write_curves(const struct moo_compare *c, const struct hv_tab *h)
{
    struct outfile *of = NULL;
    FILE *f = cli_out_open(&of, c->dir, "hv_regret.csv");
    if (!f) return CLI_ERROR;
    fputs("dataset,strategy,query,hv_regret_mean,hv_regret_ci95\n", f);
    long maxq = 0;
    for (int d = 0; d < c->n_d; d++)
        for (int s = 0; s < c->n_s; s++)
            for (int k = 0; k < c->n_seeds; k++)
                if (c->trace(c->ctx, d, s, k)->n > maxq) maxq = c->trace(c->ctx, d, s, k)->n;
    size_t ns = (size_t)c->n_s, nq = (size_t)(maxq ? maxq : 1);
    double *x = malloc(sizeof *x * nq), *r = malloc(sizeof *r * (size_t)c->n_seeds);
    struct plot_panel *panels = calloc((size_t)c->n_d, sizeof *panels);
    struct plot_series *series = calloc((size_t)c->n_d * ns, sizeof *series);
    double *all = malloc(sizeof *all * nq * ns * 3 * (size_t)c->n_d);
    int rc = CLI_ERROR;
    if (!x || !r || !panels || !series || !all) {
        fclose(f);
        cli_error("out of memory");
        goto out;
    }
    for (long q = 0; q < maxq; q++) x[q] = (double)(q + 1);
    for (int d = 0; d < c->n_d; d++) {
        for (int s = 0; s < c->n_s; s++) {
            double *mean = all + (((size_t)d * ns + s) * 3) * nq, *lo = mean + nq, *hi = lo + nq;
            for (long q = 1; q <= maxq; q++) {
                for (int k = 0; k < c->n_seeds; k++)
                    r[k] = moo_run_regret(c->trace(c->ctx, d, s, k), q, &c->benches[d]->obj, &h->truth[d], 1);
                double m = stats_mean(r, (size_t)c->n_seeds), ci = stats_ci95(r, (size_t)c->n_seeds);
                mean[q - 1] = m;
                lo[q - 1] = m - ci;
                hi[q - 1] = m + ci;
                put_str(f, c->dnames[d]);
                fputc(',', f);
                put_str(f, c->specs[s].label);
                fprintf(f, ",%ld", q);
                put_num(f, m);
                put_num(f, ci);
                fputc('\n', f);
            }
            series[(size_t)d * ns + s] = (struct plot_series){c->specs[s].label, (int)maxq, x, mean, lo, hi, PLOT_LINES};
        }
        panels[d] = (struct plot_panel){c->dnames[d], "hypervolume regret", NAN, NULL, c->n_s, series + (size_t)d * ns,
                                        NAN, NAN, 0};
    }
    if ((rc = cli_out_commit(of)) != CLI_OK) goto out;
    if (c->plot && maxq > 0) {
        char cap[96];
        snprintf(cap, sizeof cap, "mean ± 95%% CI over %d seeds", c->n_seeds);
        struct plot_opts po = {.xlabel = "queries", .logy = 1, .caption = cap, .width_in = c->width_in,
                               .height_in = c->height_in};
        int st = plot_lines(c->dir, "hv_regret", panels, c->n_d, &po);
        if (st == NASW_EUNSUPPORTED) cli_warn("gnuplot not found: wrote %s/hv_regret.gp only", c->dir);
        else if (st) rc = cli_error_status(st);
    }
out:
    free(x);
    free(r);
    free(panels);
    free(series);
    free(all);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* fronts.csv (every run's final front, searched objectives, as stored) and,
 * for two objectives, the attainment surfaces over seeds: at each value x
 * of the second objective, a seed attains the best first objective among
 * its front's points at least as good as x in the second; the median over
 * seeds (the 50% attainment surface), with the 25%-75% band, against the
 * exact front. */
static int write_fronts(const struct moo_compare *c)
{
    struct outfile *of = NULL;
    FILE *f = cli_out_open(&of, c->dir, "fronts.csv");
    if (!f) return CLI_ERROR;
    fputs("dataset,strategy,seed,arch", f);
    const struct objectives *o0 = &c->benches[0]->obj;
    for (int k = 0; k < o0->n; k++) fprintf(f, ",%s", o0->name[k]);
    fputc('\n', f);
    enum { GRID = 200 };
    int n_seeds = c->n_seeds, rc = CLI_ERROR;
    size_t ns = (size_t)c->n_s;
    double *x = malloc(sizeof *x * GRID * (size_t)c->n_d), *ys = malloc(sizeof *ys * GRID * 3 * ns * (size_t)c->n_d);
    double *exact = malloc(sizeof *exact * GRID * (size_t)c->n_d);
    double *col = malloc(sizeof *col * (size_t)n_seeds);
    struct plot_panel *panels = calloc((size_t)c->n_d, sizeof *panels);
    struct plot_series *series = calloc((size_t)c->n_d * (ns + 1), sizeof *series);
    char(*ylab)[128] = calloc((size_t)c->n_d, sizeof *ylab);
    int xg_pct = 0; /* the second objective in percent (for its label) */
    double *pts = NULL;
    int *idx = NULL;
    long cap = 0;
    if (!x || !ys || !exact || !col || !panels || !series || !ylab) goto oom;
    for (int d = 0; d < c->n_d; d++) {
        const struct bench *b = c->benches[d];
        const struct objectives *o = &b->obj;
        int n = o->n;
        const struct space *sp = bench_space(b);
        double *xg = x + (size_t)d * GRID;
        /* the grid of the second objective: from its best to its worst */
        double best = orient(o, 1, b->obj_best[1]), worst = orient(o, 1, b->obj_worst[1]);
        for (int g = 0; g < GRID; g++) {
            xg[g] = orient(o, 1, best + (worst - best) * g / (GRID - 1));
            xg_pct |= fabs(xg[g]) > 1.5;
        }
        for (int s = 0; s < c->n_s; s++) {
            double *med = ys + (((size_t)d * ns + s) * 3) * GRID, *lo = med + GRID, *hi = lo + GRID;
            double *att = malloc(sizeof *att * GRID * (size_t)n_seeds);
            if (!att) goto oom;
            for (int k = 0; k < n_seeds; k++) {
                const struct search_trace *tr = c->trace(c->ctx, d, s, k);
                if (tr->n > cap) {
                    cap = tr->n;
                    free(pts);
                    free(idx);
                    pts = malloc(sizeof *pts * (size_t)cap * (size_t)n);
                    idx = malloc(sizeof *idx * (size_t)cap);
                    if (!pts || !idx) {
                        free(att);
                        goto oom;
                    }
                }
                long *step = malloc(sizeof *step * (size_t)(tr->n ? tr->n : 1));
                if (!step) {
                    free(att);
                    goto oom;
                }
                int np = 0;
                for (long i = 0; i < tr->n; i++) {
                    if (tr->steps[i].failed || tr->steps[i].infeasible) continue;
                    for (int j = 0; j < n; j++) pts[np * n + j] = orient(o, j, tr->obj[(size_t)i * 2 * n + j]);
                    step[np++] = i;
                }
                int nf = pareto_front(pts, np, n, idx);
                for (int i = 0; i < nf; i++) {
                    const double *v = tr->obj + (size_t)step[idx[i]] * 2 * n;
                    struct arch a;
                    char as[ARCH_STR_MAX];
                    arch_from_key(sp, tr->steps[step[idx[i]]].key, &a);
                    arch_format(sp, &a, as, sizeof as);
                    put_str(f, c->dnames[d]);
                    fputc(',', f);
                    put_str(f, c->specs[s].label);
                    fprintf(f, ",%d,", k + 1);
                    put_str(f, as);
                    for (int j = 0; j < n; j++) put_num(f, v[j]);
                    fputc('\n', f);
                }
                for (int g = 0; g < GRID; g++) {
                    double a = orient(o, 0, b->obj_worst[0]), xo = orient(o, 1, xg[g]);
                    for (int i = 0; i < nf; i++)
                        if (pts[idx[i] * n + 1] >= xo && pts[idx[i] * n] > a) a = pts[idx[i] * n];
                    att[(size_t)g * n_seeds + k] = orient(o, 0, a);
                }
                free(step);
            }
            for (int g = 0; g < GRID; g++) {
                memcpy(col, att + (size_t)g * n_seeds, sizeof *col * (size_t)n_seeds);
                qsort(col, (size_t)n_seeds, sizeof *col, cmp_double);
                /* order statistics: the surfaces attained by 50%, 25%, 75% of the seeds */
                int up = o->maximize[0];
                med[g] = col[up ? (n_seeds - 1) / 2 : n_seeds / 2];
                lo[g] = col[up ? (n_seeds - 1) * 3 / 4 : n_seeds / 4];
                hi[g] = col[up ? (n_seeds - 1) / 4 : n_seeds * 3 / 4];
            }
            free(att);
            series[(size_t)d * (ns + 1) + s] = (struct plot_series){c->specs[s].label, GRID, xg, med, lo, hi, PLOT_LINES};
        }
        /* the exact front's attainment: the best first objective among the
         * feasible rows at least as good as x in the second */
        int nser = c->n_s;
        if (c->t && n == 2) {
            const struct table *t = c->t;
            int td = table_dataset_index(t, c->dnames[d]), cols[2], ccol[OBJ_MAX_CON], ok = td >= 0;
            for (int k = 0; k < 2; k++) ok &= (cols[k] = table_metric_index(t, o->name[k])) >= 0;
            for (int q = 0; q < o->n_con; q++) ok &= (ccol[q] = table_metric_index(t, o->con_name[q])) >= 0;
            double *ex = exact + (size_t)d * GRID;
            for (int g = 0; g < GRID; g++) ex[g] = orient(o, 0, b->obj_worst[0]);
            for (long r = 0; ok && r < table_n_rows(t); r++) {
                if (table_row_dataset(t, r) != td) continue;
                int feasible = 1;
                for (int q = 0; q < o->n_con; q++) feasible &= objectives_satisfies(o, q, table_value(t, r, ccol[q]));
                double a = orient(o, 0, table_value(t, r, cols[0])), v = orient(o, 1, table_value(t, r, cols[1]));
                for (int g = 0; feasible && g < GRID; g++)
                    if (v >= orient(o, 1, xg[g]) && a > ex[g]) ex[g] = a;
            }
            for (int g = 0; ok && g < GRID; g++) ex[g] = orient(o, 0, ex[g]);
            if (ok) series[(size_t)d * (ns + 1) + nser++] = (struct plot_series){"exact front", GRID, xg, ex, NULL, NULL, PLOT_BLACK};
        }
        /* axis labels with units: accuracies in percent when the values are */
        int pct = 0;
        for (int g = 0; g < GRID; g++) pct |= fabs(series[(size_t)d * (ns + 1)].y[g]) > 1.5;
        cli_column_label(c->t, o->name[0], pct, ylab[d], sizeof ylab[d]);
        panels[d] = (struct plot_panel){c->dnames[d], ylab[d], NAN, NULL, nser, series + (size_t)d * (ns + 1),
                                        NAN, NAN, 0};
    }
    if ((rc = cli_out_commit(of)) != CLI_OK) goto out;
    if (c->plot && o0->n == 2) {
        char xlab[128], cap[128];
        cli_column_label(c->t, o0->name[1], xg_pct, xlab, sizeof xlab);
        snprintf(cap, sizeof cap, "median attainment surface, band: 25%% to 75%% of %d seeds", c->n_seeds);
        struct plot_opts po = {.xlabel = xlab, .caption = cap, .width_in = c->width_in, .height_in = c->height_in};
        int st = plot_lines(c->dir, "fronts", panels, c->n_d, &po);
        if (st == NASW_EUNSUPPORTED) cli_warn("gnuplot not found: wrote %s/fronts.gp only", c->dir);
        else if (st) rc = cli_error_status(st);
    }
    goto out;
oom:
    outfile_abort(of);
    rc = cli_error("out of memory");
out:
    free(x);
    free(ys);
    free(exact);
    free(col);
    free(panels);
    free(series);
    free(ylab);
    free(pts);
    free(idx);
    return rc;
}

int moo_compare_write(const struct moo_compare *c, FILE *tty)
{
    if (c->n_d == 0 || c->benches[0]->obj.n < 2) return CLI_OK;
    if (!c->t) {
        cli_warn("no exact Pareto front for bench '%.200s': hypervolume regret not reported", c->benches[0]->name);
        return CLI_OK;
    }
    size_t cells = (size_t)c->n_d * c->n_s * c->n_ck * c->n_seeds;
    struct hv_tab h = {calloc((size_t)c->n_d, sizeof *h.truth), malloc(sizeof(double) * cells),
                       malloc(sizeof(double) * cells), malloc(sizeof(double) * cells)};
    int rc = CLI_ERROR;
    if (!h.truth || !h.reg || !h.sreg || !h.infeasible) {
        rc = cli_error("out of memory");
        goto out;
    }
    for (int d = 0; d < c->n_d; d++) {
        int st = moo_truth_of(c->t, table_dataset_index(c->t, c->dnames[d]), &c->benches[d]->obj, &h.truth[d]);
        if (st) {
            rc = cli_error_status(st);
            goto out;
        }
        for (int s = 0; s < c->n_s; s++)
            for (int ci = 0; ci < c->n_ck; ci++)
                for (int k = 0; k < c->n_seeds; k++) {
                    const struct search_trace *tr = c->trace(c->ctx, d, s, k);
                    long q = steps_within(tr, c->ck[ci], c->kind), inf = 0;
                    for (long i = 0; i < q; i++) inf += tr->steps[i].infeasible;
                    h.reg[at(c, d, s, ci, k)] = moo_run_regret(tr, q, &c->benches[d]->obj, &h.truth[d], 1);
                    h.sreg[at(c, d, s, ci, k)] = moo_run_regret(tr, q, &c->benches[d]->obj, &h.truth[d], 0);
                    h.infeasible[at(c, d, s, ci, k)] = (double)inf;
                }
    }
    if ((rc = write_summary(c, &h, tty)) || (rc = write_pairs(c, &h, tty)) || (rc = write_curves(c, &h)) ||
        (rc = write_fronts(c)))
        goto out;
    if (tty) fprintf(tty, "\nwrote %s/hypervolume.csv, hv_pairs.csv, hv_regret.csv, fronts.csv\n", c->dir);
out:
    free(h.truth);
    free(h.reg);
    free(h.sreg);
    free(h.infeasible);
    return rc;
}
