/*
 * api/nasw.c - the public API (api/nasw.h) over tables/, search/ and core/.
 *
 * A caller's strategy runs inside search_run() as a strategy type of its
 * own (not in the registry): its propose/observe call the caller's ask/tell,
 * so the budget, the repeat cache and the trajectory are search_run()'s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/nasw.h"
#include "core/arch.h"
#include "core/bench.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "tables/table.h"

struct nasw_table {
    struct table *t;
    struct bench **b; /* one per dataset, made at open (read-only afterwards) */
};

int nasw_table_open(nasw_table **out, const char *path, const char *metric, const char *report)
{
    *out = NULL;
    nasw_errclear();
    struct table_opts o;
    table_default_opts(&o);
    o.search_metric = metric;
    o.report_metric = report;
    nasw_table *h = calloc(1, sizeof *h);
    if (!h) return -nasw_errorf(NASW_ENOMEM, "out of memory");
    int st = table_load(&h->t, path, &o);
    if (st) {
        free(h);
        return -st;
    }
    int n = table_n_datasets(h->t);
    if (!(h->b = calloc((size_t)n, sizeof *h->b))) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int d = 0; d < n && !st; d++) st = table_bench_new(&h->b[d], h->t, d);
    if (st) {
        nasw_table_free(h);
        return -st;
    }
    *out = h;
    return 0;
}

void nasw_table_free(nasw_table *h)
{
    if (!h) return;
    for (int d = 0; h->b && d < table_n_datasets(h->t); d++) bench_free(h->b[d]);
    free(h->b);
    table_free(h->t);
    free(h);
}

long nasw_table_rows(const nasw_table *h) { return table_n_rows(h->t); }
int nasw_table_datasets(const nasw_table *h) { return table_n_datasets(h->t); }
const char *nasw_table_dataset(const nasw_table *h, int d)
{
    return d >= 0 && d < table_n_datasets(h->t) ? table_dataset_name(h->t, d) : NULL;
}

int nasw_table_dataset_index(const nasw_table *h, const char *name)
{
    int d = table_dataset_index(h->t, name);
    return d >= 0 ? d : -nasw_errorf(NASW_ENOTFOUND, "dataset '%.64s' not in table '%.200s'", name, table_path(h->t));
}

static int check_dataset(const nasw_table *h, int d)
{
    if (d < 0 || d >= table_n_datasets(h->t))
        return -nasw_errorf(NASW_EINVAL, "dataset index %d out of range (0..%d)", d, table_n_datasets(h->t) - 1);
    return 0;
}

long nasw_table_dataset_rows(const nasw_table *h, int d)
{
    return check_dataset(h, d) ? -1 : table_dataset_rows(h->t, d);
}

int nasw_table_query(const nasw_table *h, int d, const char *arch, double *val, double *test)
{
    int st = check_dataset(h, d);
    if (st) return st;
    struct arch a;
    const struct space *s = table_space(h->t);
    if ((st = arch_parse(s, arch, &a))) return -st;
    long r = table_find(h->t, d, arch_key(s, &a));
    if (r < 0) return -nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' not in dataset '%s'", arch, table_dataset_name(h->t, d));
    if (val) *val = table_value(h->t, r, table_search_metric(h->t));
    if (test) *test = table_value(h->t, r, table_report_metric(h->t));
    return 0;
}

int nasw_table_arch(const nasw_table *h, int d, long r, char *buf, size_t n)
{
    int st = check_dataset(h, d);
    if (st) return st;
    for (long i = 0, k = 0; i < table_n_rows(h->t); i++) {
        if (table_row_dataset(h->t, i) != d) continue;
        if (k++ == r) return -arch_format(table_space(h->t), table_row_arch(h->t, i), buf, n);
    }
    return -nasw_errorf(NASW_EINVAL, "row %ld out of range for dataset '%s'", r, table_dataset_name(h->t, d));
}

/* ---- the caller's strategy as a search type ---- */

struct user_strategy {
    const struct space *s;
    nasw_ask_fn ask;
    nasw_tell_fn tell;
    void *user;
};

static _Thread_local struct user_strategy *pending; /* handed from nasw_search to alloc */

static void *us_alloc(const double *v, const struct space *s, struct rng *r)
{
    (void)v;
    (void)r;
    struct user_strategy *u = pending;
    u->s = s;
    return u;
}

static int us_propose(void *p, struct query *q)
{
    struct user_strategy *u = p;
    char buf[ARCH_STR_MAX];
    buf[0] = '\0';
    int rc = u->ask(u->user, buf, sizeof buf);
    if (rc == 1) return NASW_EDONE;
    if (rc != 0) return nasw_errorf(NASW_EINVAL, "the strategy's ask failed (%d)", rc);
    q->epochs = 0;
    int st = arch_parse(u->s, buf, &q->arch);
    if (st) return st;
    if (!space_contains(u->s, &q->arch))
        return nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' is not in the table", buf);
    return NASW_OK;
}

static int us_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct user_strategy *u = p;
    char buf[ARCH_STR_MAX];
    int st = arch_format(u->s, &q->arch, buf, sizeof buf);
    if (st) return st;
    if (u->tell && u->tell(u->user, buf, r->score, r->val, r->test) != 0)
        return nasw_errorf(NASW_EINVAL, "the strategy's tell failed");
    return NASW_OK;
}

static void us_free(void *p) { (void)p; }

static const struct search_param no_params[] = {{0}};
static const struct search_type user_type = {
    .name = "user",
    .help = "a strategy of the API's caller (ask/tell callbacks)",
    .params = no_params,
    .alloc = us_alloc,
    .propose = us_propose,
    .observe = us_observe,
    .free = us_free,
};

int nasw_search(const nasw_table *h, int d, const char *spec_text, nasw_ask_fn ask, nasw_tell_fn tell, void *user,
                uint64_t seed, long budget, nasw_step **steps, long *n_steps)
{
    *steps = NULL;
    *n_steps = 0;
    nasw_errclear();
    int st = check_dataset(h, d);
    if (st) return st;
    if (budget < 1) return -nasw_errorf(NASW_EINVAL, "budget %ld: at least one query", budget);
    struct search_spec spec;
    struct user_strategy u = {0};
    if (spec_text) {
        if ((st = search_spec_parse(spec_text, &spec))) return -st;
    } else {
        if (!ask) return -nasw_errorf(NASW_EINVAL, "neither a strategy spec nor an ask callback");
        memset(&spec, 0, sizeof spec);
        spec.type = &user_type;
        snprintf(spec.label, sizeof spec.label, "user");
        u.ask = ask;
        u.tell = tell;
        u.user = user;
        pending = &u;
    }
    struct bench *b = h->b[d];
    struct search_run_opts o = {.budget = (double)budget, .kind = BUDGET_QUERIES, .seed = seed};
    struct search_trace tr = {0};
    st = search_run(b, &spec, &o, &tr);
    pending = NULL;
    if (st == NASW_OK && tr.n > 0) {
        nasw_step *out = calloc((size_t)tr.n, sizeof *out);
        if (!out) st = nasw_errorf(NASW_ENOMEM, "out of memory");
        for (long i = 0; out && i < tr.n; i++) {
            const struct search_step *p = &tr.steps[i];
            struct arch a;
            arch_from_key(b->space, p->key, &a);
            arch_format(b->space, &a, out[i].arch, sizeof out[i].arch);
            out[i].val = p->val;
            out[i].test = p->test;
            out[i].best_val = p->best_val;
            out[i].test_at_best = p->test_at_best;
            out[i].total_cost_s = p->total_cost_s;
        }
        if (out) {
            *steps = out;
            *n_steps = tr.n;
        }
    }
    search_trace_release(&tr);
    return st ? -st : 0;
}

void nasw_free(void *p) { free(p); }

int nasw_sample(const nasw_table *h, int d, uint64_t seed, char *buf, size_t n)
{
    int st = check_dataset(h, d);
    if (st) return st;
    const struct space *s = h->b[d]->space;
    struct rng *r = rng_new(seed);
    if (!r) return -nasw_errorf(NASW_ENOMEM, "out of memory");
    struct arch a;
    arch_sample(s, r, &a);
    st = -arch_format(s, &a, buf, n);
    rng_free(r);
    return st;
}

int nasw_mutate(const nasw_table *h, int d, const char *arch, uint64_t seed, char *buf, size_t n)
{
    int st = check_dataset(h, d);
    if (st) return st;
    const struct space *s = h->b[d]->space;
    struct arch a, m;
    if ((st = arch_parse(s, arch, &a))) return -st;
    struct rng *r = rng_new(seed);
    if (!r) return -nasw_errorf(NASW_ENOMEM, "out of memory");
    if (arch_mutate(s, r, &a, &m) == NASW_OK) st = -arch_format(s, &m, buf, n);
    else st = -nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' has no neighbour in the table", arch);
    rng_free(r);
    return st;
}

const char *nasw_strategy_name(int i)
{
    for (int k = 0; search_registry[k]; k++)
        if (k == i) return search_registry[k]->name;
    return NULL;
}
