/*
 * api/compare.c - a comparison's statistics (api/compare.h) and the public
 * nasw_compare(): every strategy on every dataset of a handle with seeds
 * 1..N, the runs of `nasw compare` and its summary.csv rows at the budget.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/compare.h"
#include "api/handle.h"
#include "api/nasw.h"
#include "core/status.h"
#include "stats/stats.h"

double api_step_x(const struct search_trace *tr, long i, int kind)
{
    return kind == BUDGET_SECONDS ? tr->steps[i].total_cost_s
           : kind == BUDGET_EPOCHS ? tr->steps[i].total_epochs : (double)(i + 1);
}

const struct search_step *api_step_at(const struct search_trace *tr, double x, int kind)
{
    if (tr->n == 0) return NULL;
    if (kind == BUDGET_QUERIES) {
        long q = (long)x;
        return &tr->steps[(q <= tr->n ? q : tr->n) - 1];
    }
    const struct search_step *s = NULL;
    for (long i = 0; i < tr->n && api_step_x(tr, i, kind) <= x; i++) s = &tr->steps[i];
    return s;
}

static int finite_only(const double *x, int n, double *out)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) out[m++] = x[i];
    return m;
}

int api_compare_cell(const struct search_trace *const *runs, int n, double x, int kind, int has_ceiling,
                     double ceil_val, double ceil_test, int report_hib, struct api_cell *out)
{
    double *test = malloc(sizeof *test * (size_t)(n > 0 ? n : 1) * 4);
    if (!test) return nasw_errorf(NASW_ENOMEM, "out of memory");
    double *val = test + n, *ft = val + n, *fv = ft + n;
    for (int k = 0; k < n; k++) {
        const struct search_step *p = api_step_at(runs[k], x, kind);
        test[k] = p ? p->test_at_best : NAN;
        val[k] = p ? p->best_val : NAN;
    }
    int nt = finite_only(test, n, ft), nv = finite_only(val, n, fv);
    out->seeds = nt;
    out->test_mean = nt ? stats_mean(ft, (size_t)nt) : NAN;
    /* a spread needs two runs: fewer leave it undefined */
    out->test_std = nt >= 2 ? stats_sd(ft, (size_t)nt) : NAN;
    out->test_ci95 = nt >= 2 ? stats_ci95(ft, (size_t)nt) : NAN;
    out->val_mean = nv ? stats_mean(fv, (size_t)nv) : NAN;
    /* queries to the best-by-search-metric architecture */
    int found = 0;
    double qsum = 0;
    for (int k = 0; has_ceiling && k < n; k++) {
        const struct search_trace *tr = runs[k];
        for (long i = 0; i < tr->n; i++) {
            if (api_step_x(tr, i, kind) > x) break;
            if (tr->steps[i].best_val == ceil_val) {
                found++;
                qsum += (double)(i + 1);
                break;
            }
        }
    }
    out->found_best = found;
    out->queries_to_best = found == n && found > 0 ? qsum / found : NAN;
    out->regret_mean = NAN;
    if (has_ceiling && isfinite(out->test_mean))
        out->regret_mean = report_hib ? ceil_test - out->test_mean : out->test_mean - ceil_test;
    free(test);
    return NASW_OK;
}

int nasw_compare(const nasw_table *h, const char *strategies, int n_seeds, const nasw_run_opts *o,
                 nasw_compare_row **rows, long *n_rows)
{
    *rows = NULL;
    *n_rows = 0;
    nasw_errclear();
    if (!strategies || !o) return -nasw_errorf(NASW_EINVAL, "nasw_compare needs strategies and options");
    if (n_seeds < 1 || n_seeds > 1000000) return -nasw_errorf(NASW_EINVAL, "%d seeds (1..1000000)", n_seeds);
    enum budget_kind kind;
    int st = api_budget_kind(o, &kind), ns = 0;
    if (st) return -st;
    struct search_spec *specs = NULL;
    if ((st = search_spec_list_parse(strategies, &specs, &ns))) return -st;
    for (int a = 0; a < ns && !st; a++)
        for (int b = 0; b < a && !st; b++)
            if (!strcmp(specs[a].label, specs[b].label))
                st = nasw_errorf(NASW_EINVAL, "strategy '%.64s' listed twice", specs[a].label);
    for (int d = 0; d < h->n && !st; d++)
        for (int s = 0; s < ns && !st; s++) st = api_run_check(h->b[d], &specs[s], kind);
    nasw_compare_row *out = st ? NULL : calloc((size_t)h->n * (size_t)(ns ? ns : 1), sizeof *out);
    struct search_trace *tr = st ? NULL : calloc((size_t)n_seeds, sizeof *tr);
    const struct search_trace **runs = st ? NULL : calloc((size_t)n_seeds, sizeof *runs);
    if (!st && (!out || !tr || !runs)) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    long r = 0;
    for (int d = 0; d < h->n && !st; d++) {
        struct bench *b = h->b[d];
        double cv = NAN, ct = NAN;
        int ceiling = bench_oracle(b, &cv, &ct) == NASW_OK;
        for (int s = 0; s < ns && !st; s++) {
            for (int k = 0; k < n_seeds && !st; k++) {
                struct search_run_opts ro = {.budget = o->budget, .kind = kind, .seed = (uint64_t)k + 1};
                st = search_run(b, &specs[s], &ro, &tr[k]);
                runs[k] = &tr[k];
            }
            struct api_cell c;
            if (!st) st = api_compare_cell(runs, n_seeds, o->budget, kind, ceiling, cv, ct, b->report_higher_is_better, &c);
            if (!st) {
                nasw_compare_row *w = &out[r++];
                snprintf(w->dataset, sizeof w->dataset, "%s", nasw_table_dataset(h, d));
                snprintf(w->strategy, sizeof w->strategy, "%s", specs[s].label);
                w->budget = o->budget;
                w->seeds = c.seeds;
                w->test_mean = c.test_mean, w->test_std = c.test_std, w->test_ci95 = c.test_ci95;
                w->val_mean = c.val_mean, w->queries_to_best = c.queries_to_best;
                w->found_best = c.found_best, w->regret_mean = c.regret_mean;
            }
            for (int k = 0; k < n_seeds; k++) search_trace_release(&tr[k]);
        }
    }
    free(tr);
    free(runs);
    free(specs);
    if (st) {
        free(out);
        return -st;
    }
    *rows = out;
    *n_rows = r;
    return 0;
}
