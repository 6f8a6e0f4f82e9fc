/*
 * api/nasw.c - the public API (api/nasw.h) over tables/, train/, search/
 * and core/: table and live handles, searches and runs.  (The curve
 * extrapolation is api/lcurve.c.)
 *
 * A handle is a set of benches, one per dataset: a table's (t set), or the
 * live trainer's one (t NULL), opened the way the CLI opens them.
 *
 * A caller's strategy runs inside search_run() as a strategy type of its
 * own (not in the registry): its propose/observe call the caller's ask/tell,
 * so the budget, the repeat cache and the trajectory are search_run()'s.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handle.h"
#include "api/nasw.h"
#include "api/predictor.h"
#include "core/arch.h"
#include "core/bench.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "tables/table.h"
#include "train/live.h"


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
    for (int d = 0; d < n && !st; d++, h->n = d) st = table_bench_new(&h->b[d], h->t, d);
    if (st) {
        nasw_table_free(h);
        return -st;
    }
    *out = h;
    return 0;
}

int nasw_live_open(nasw_table **out, const char *spec, const char *journal, uint64_t train_seed)
{
    *out = NULL;
    nasw_errclear();
    if (!spec || strncmp(spec, "live:", 5))
        return -nasw_errorf(NASW_EINVAL, "bench '%.64s' is not a live bench (live:fmnist[:PRESET])", spec ? spec : "");
    if (!journal || !*journal) return -nasw_errorf(NASW_EINVAL, "the live bench needs a journal file");
    nasw_table *h = calloc(1, sizeof *h);
    if (!h || !(h->b = calloc(1, sizeof *h->b))) {
        free(h);
        return -nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    struct live_opts lo = {.journal = journal, .seed = train_seed};
    int st = live_bench_new(&h->b[0], spec, &lo);
    if (st) {
        nasw_table_free(h);
        return -st;
    }
    h->n = 1;
    *out = h;
    return 0;
}

void nasw_table_free(nasw_table *h)
{
    if (!h) return;
    for (int d = 0; h->b && d < h->n; d++) bench_free(h->b[d]);
    free(h->b);
    table_free(h->t);
    free(h);
}

long nasw_table_rows(const nasw_table *h) { return h->t ? table_n_rows(h->t) : 0; }
int nasw_table_datasets(const nasw_table *h) { return h->n; }
const char *nasw_table_dataset(const nasw_table *h, int d)
{
    if (d < 0 || d >= h->n) return NULL;
    return h->t ? table_dataset_name(h->t, d) : h->b[d]->dataset;
}

int nasw_table_dataset_index(const nasw_table *h, const char *name)
{
    for (int d = 0; d < h->n; d++)
        if (!strcmp(nasw_table_dataset(h, d), name)) return d;
    return -nasw_errorf(NASW_ENOTFOUND, "dataset '%.64s' not in %s '%.200s'", name, h->t ? "table" : "bench",
                        h->t ? table_path(h->t) : h->b[0]->name);
}

int api_check_dataset(const nasw_table *h, int d)
{
    if (d < 0 || d >= h->n) return -nasw_errorf(NASW_EINVAL, "dataset index %d out of range (0..%d)", d, h->n - 1);
    return 0;
}

long nasw_table_dataset_rows(const nasw_table *h, int d)
{
    return api_check_dataset(h, d) ? -1 : h->t ? table_dataset_rows(h->t, d) : 0;
}

int nasw_table_query(const nasw_table *h, int d, const char *arch, double *val, double *test)
{
    int st = api_check_dataset(h, d);
    if (st) return st;
    struct arch a;
    const struct space *s = bench_space(h->b[d]);
    if ((st = arch_parse(s, arch, &a))) return -st;
    if (!h->t) { /* the live trainer: a full training (journaled) */
        struct bench_result r;
        if ((st = bench_query(h->b[d], &a, 0, &r))) return -st;
        if (val) *val = r.val;
        if (test) *test = r.test;
        return 0;
    }
    long r = table_find(h->t, d, arch_key(s, &a));
    if (r < 0) return -nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' not in dataset '%s'", arch, table_dataset_name(h->t, d));
    if (val) *val = table_value(h->t, r, table_search_metric(h->t));
    if (test) *test = table_value(h->t, r, table_report_metric(h->t));
    return 0;
}

int nasw_table_arch(const nasw_table *h, int d, long r, char *buf, size_t n)
{
    int st = api_check_dataset(h, d);
    if (st) return st;
    if (!h->t) return -nasw_errorf(NASW_EINVAL, "the live bench has no rows");
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

int api_budget_kind(const nasw_run_opts *o, enum budget_kind *kind)
{
    if (o->unit < NASW_BUDGET_QUERIES || o->unit > NASW_BUDGET_EPOCHS)
        return nasw_errorf(NASW_EINVAL, "budget unit %d (0 queries, 1 seconds, 2 epochs)", o->unit);
    /* whole queries and epochs, as the CLI's --budget */
    if (!(o->budget > 0) || !isfinite(o->budget) || (o->unit != NASW_BUDGET_SECONDS && o->budget != floor(o->budget)))
        return nasw_errorf(NASW_EINVAL, "budget %g: a positive number (whole for queries and epochs)", o->budget);
    *kind = o->unit == NASW_BUDGET_SECONDS ? BUDGET_SECONDS : o->unit == NASW_BUDGET_EPOCHS ? BUDGET_EPOCHS : BUDGET_QUERIES;
    return NASW_OK;
}

int api_run_check(struct bench *b, const struct search_spec *spec, enum budget_kind kind)
{
    if (kind == BUDGET_SECONDS && !b->has_cost)
        return nasw_errorf(NASW_EINVAL, "%s has no cost column: a budget in seconds needs one", b->name);
    if (kind == BUDGET_EPOCHS && b->max_epochs <= 0)
        return nasw_errorf(NASW_EINVAL, "%s has no curves: a budget in epochs needs them", b->name);
    int st = search_check_bench(spec->type, b);
    if (!st) st = search_spec_check(spec, b);
    if (!st) st = search_check(spec, bench_space(b));
    return st;
}

/* nasw_search and nasw_run: one search_run() on dataset d's bench, its
 * trace copied out as nasw_steps. */
static int run_search(const nasw_table *h, int d, const char *spec_text, nasw_ask_fn ask, nasw_tell_fn tell,
                      void *user, uint64_t seed, double budget, enum budget_kind kind, nasw_step **steps,
                      long *n_steps)
{
    int st;
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
    if (spec_text && (st = api_run_check(b, &spec, kind))) return -st; /* refused before the run */
    struct search_run_opts o = {.budget = budget, .kind = kind, .seed = seed};
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

int nasw_search(const nasw_table *h, int d, const char *spec_text, nasw_ask_fn ask, nasw_tell_fn tell, void *user,
                uint64_t seed, long budget, nasw_step **steps, long *n_steps)
{
    *steps = NULL;
    *n_steps = 0;
    nasw_errclear();
    int st = api_check_dataset(h, d);
    if (st) return st;
    if (budget < 1) return -nasw_errorf(NASW_EINVAL, "budget %ld: at least one query", budget);
    return run_search(h, d, spec_text, ask, tell, user, seed, (double)budget, BUDGET_QUERIES, steps, n_steps);
}

int nasw_run(const nasw_table *h, int d, const char *spec, const nasw_run_opts *o, nasw_step **steps, long *n_steps)
{
    *steps = NULL;
    *n_steps = 0;
    nasw_errclear();
    int st = api_check_dataset(h, d);
    if (st) return st;
    if (!spec || !o) return -nasw_errorf(NASW_EINVAL, "nasw_run needs a strategy spec and options");
    enum budget_kind kind;
    if ((st = api_budget_kind(o, &kind))) return -st;
    return run_search(h, d, spec, NULL, NULL, NULL, o->seed, o->budget, kind, steps, n_steps);
}

void nasw_free(void *p) { free(p); }

int nasw_sample(const nasw_table *h, int d, uint64_t seed, char *buf, size_t n)
{
    int st = api_check_dataset(h, d);
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
    int st = api_check_dataset(h, d);
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

/* ---- predictors ---- */

struct nasw_predictor {
    const nasw_table *h;
    int d;
    struct api_predictor p;
    struct rng *r;
};

int nasw_predictor_new(nasw_predictor **out, const nasw_table *h, int d, const char *spec, uint64_t seed)
{
    *out = NULL;
    nasw_errclear();
    int st = api_check_dataset(h, d);
    if (st) return st;
    nasw_predictor *x = calloc(1, sizeof *x);
    if (!x || !(x->r = rng_new(seed))) {
        free(x);
        return -nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    x->h = h;
    x->d = d;
    if ((st = api_predictor_parse(spec ? spec : "", h->t, &x->p)) ||
        (x->p.model == PRED_SUPERNET &&
         (st = nasw_errorf(NASW_EINVAL, "predictor 'supernet' is not fitted on architectures (nasw predict runs it)")))) {
        nasw_predictor_free(x);
        return -st;
    }
    *out = x;
    return 0;
}

void nasw_predictor_seed(nasw_predictor *x, uint64_t seed) { rng_seed(x->r, seed); }

void nasw_predictor_free(nasw_predictor *x)
{
    if (!x) return;
    api_predictor_release(&x->p);
    rng_free(x->r);
    free(x);
}

/* Row i of x/tok for architecture string a: from its table row when it has
 * one (features, column values), else from the architecture alone. */
static int encode_arch(const nasw_predictor *x, const char *a, long i, double *enc, int *tok, long *row)
{
    const struct space *s = bench_space(x->h->b[x->d]);
    struct arch ar;
    int st = arch_parse(s, a, &ar);
    if (st) return st;
    *row = x->h->t ? table_find(x->h->t, x->d, arch_key(s, &ar)) : -1;
    if (*row >= 0) {
        api_predictor_encode_row(&x->p, x->h->t, *row, i, enc, tok);
        return NASW_OK;
    }
    if (x->p.column >= 0 || x->p.n_feat)
        return nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' is not a row of dataset '%s': predictor '%.64s' "
                                           "reads its columns", a, nasw_table_dataset(x->h, x->d), x->p.name);
    api_predictor_encode(&x->p, s, &ar, i, enc, tok);
    return NASW_OK;
}

int nasw_predictor_fit_predict(nasw_predictor *x, const char *const *train, const double *y, int n,
                               const char *const *test, int m, double *mean)
{
    nasw_errclear();
    if (n < 0 || m < 0 || (n && (!train || !y)) || (m && (!test || !mean)))
        return -nasw_errorf(NASW_EINVAL, "bad arguments: %d training and %d test architectures", n, m);
    if (x->p.column < 0 && n < 2) return -nasw_errorf(NASW_EINVAL, "%d training architecture(s): at least 2", n);
    for (int i = 0; i < n; i++)
        if (!isfinite(y[i])) return -nasw_errorf(NASW_EINVAL, "training target %d is not a finite number", i);
    const struct space *s = bench_space(x->h->b[x->d]);
    size_t w = (size_t)api_predictor_width(&x->p, s);
    if (w < 1) w = 1;
    size_t rows = (size_t)(n > m ? n : m) + 1;
    double *X = malloc(sizeof *X * rows * w), *Xt = malloc(sizeof *Xt * rows * w);
    int *tk = malloc(sizeof *tk * rows * w), *tkt = malloc(sizeof *tkt * rows * w);
    int st = X && Xt && tk && tkt ? NASW_OK : nasw_errorf(NASW_ENOMEM, "out of memory");
    long row;
    for (int i = 0; i < m && !st; i++) {
        st = encode_arch(x, test[i], i, Xt, tkt, &row);
        /* a column predictor is the column: a missing score ranks last */
        if (!st && x->p.column >= 0) {
            mean[i] = table_value(x->h->t, row, x->p.column);
            if (isnan(mean[i])) mean[i] = -INFINITY;
        }
    }
    for (int i = 0; i < n && !st && x->p.column < 0; i++) st = encode_arch(x, train[i], i, X, tk, &row);
    if (!st && x->p.column < 0)
        st = api_predictor_fit_predict(&x->p, s, X, tk, y, n, Xt, tkt, m, mean, NULL, NULL, NULL, NULL, x->r);
    free(X);
    free(Xt);
    free(tk);
    free(tkt);
    return st ? -st : 0;
}
