/*
 * search/run.c - search_run(): the one loop that asks, queries and tells.
 *
 * It is the only caller of bench_query().  It owns the budget (queries or
 * seconds, charged identically for every strategy and backend), the cache
 * that makes repeated queries free, the best-by-search-metric bookkeeping
 * and the run log.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/runlog.h"
#include "core/status.h"
#include "search/search.h"

const char *search_stop_name(enum search_stop s)
{
    switch (s) {
    case SEARCH_STOP_BUDGET: return "budget";
    case SEARCH_STOP_EXHAUSTED: return "exhausted";
    case SEARCH_STOP_STALLED: return "stalled";
    }
    return "?";
}

void search_trace_release(struct search_trace *t)
{
    if (!t) return;
    free(t->steps);
    memset(t, 0, sizeof *t);
}

static int push_step(struct search_trace *t, const struct search_step *s)
{
    if (t->n == t->cap) {
        long cap = t->cap ? 2 * t->cap : 256;
        struct search_step *p = realloc(t->steps, (size_t)cap * sizeof *p);
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        t->steps = p;
        t->cap = cap;
    }
    t->steps[t->n++] = *s;
    return NASW_OK;
}

static int log_header(struct bench *b, const struct search_spec *spec, const struct search_run_opts *o)
{
    char full[512];
    search_spec_format(spec, full, sizeof full);
    struct runlog_header h = {
        .command = o->command,
        .version = nasw_version(),
        .seed = o->seed,
        .bench = b->name,
        .checksum = b->checksum,
        .dataset = b->dataset,
        .search_metric = b->search_metric,
        .report_metric = b->report_metric,
        .strategy = full,
        .budget = o->budget,
        .budget_unit = o->kind == BUDGET_SECONDS ? "seconds" : "queries",
    };
    return runlog_header(o->log, &h);
}

struct run_state {
    struct bench *b;
    const struct space *s;
    const struct search_run_opts *o;
    struct search_trace *tr;
    struct hashmap cache; /* key -> step index */
    double total, best_score, best_val, test_at_best;
};

/* A counted query: the step, the cache, the log, the progress. */
static int record(struct run_state *rs, const struct arch *a, uint64_t key, const struct bench_result *res)
{
    const struct search_run_opts *o = rs->o;
    rs->total += res->cost_s; /* 0 when the bench knows no cost */
    if (!res->failed && res->score > rs->best_score) {
        rs->best_score = res->score;
        rs->best_val = res->val;
        rs->test_at_best = res->test;
    }
    struct search_step step = {.key = key, .val = res->val, .test = res->test, .cost_s = res->cost_s,
                               .total_cost_s = rs->total, .best_val = rs->best_val,
                               .test_at_best = rs->test_at_best, .failed = res->failed};
    int st = push_step(rs->tr, &step);
    if (st || (st = hashmap_put(&rs->cache, key, rs->tr->n - 1))) return st ? st : nasw_errorf(NASW_ENOMEM, "out of memory");
    if (o->log) {
        char arch[ARCH_STR_MAX];
        arch_format(rs->s, a, arch, sizeof arch);
        struct runlog_query lq = {.query = rs->tr->n, .arch = arch, .val = res->val, .test = res->test,
                                  .cost_s = res->cost_s, .total_cost_s = rs->total, .best_val = rs->best_val,
                                  .test_at_best = rs->test_at_best, .epochs = res->epochs, .failed = res->failed};
        if ((st = runlog_query(o->log, &lq))) return st;
    }
    if (o->progress)
        o->progress(o->progress_arg, o->kind == BUDGET_QUERIES ? (double)rs->tr->n / o->budget : rs->total / o->budget);
    return NASW_OK;
}

/* The cached answer of an architecture already evaluated in this run. */
static int cached(struct run_state *rs, uint64_t key, struct bench_result *res)
{
    int64_t idx;
    if (!hashmap_get(&rs->cache, key, &idx)) return 0;
    const struct search_step *p = &rs->tr->steps[idx];
    memset(res, 0, sizeof *res);
    res->val = p->val;
    res->test = p->test;
    res->cost_s = p->cost_s;
    res->failed = p->failed;
    res->score = p->failed ? -INFINITY : bench_score(rs->b, p->val);
    return 1;
}

static int budget_spent(const struct run_state *rs, long inflight)
{
    const struct search_run_opts *o = rs->o;
    return o->kind == BUDGET_QUERIES ? (double)(rs->tr->n + inflight) >= o->budget : rs->total >= o->budget;
}

/* The next proposal, unless the budget is spent or the space used up
 * (counting `inflight` evaluations still running): *stop is then set, with
 * the stop reason in the trace. */
static int next_proposal(struct run_state *rs, const struct search_type *t, void *st, long inflight,
                         struct query *q, int *stop)
{
    *stop = 1;
    if (budget_spent(rs, inflight)) return NASW_OK;
    if ((uint64_t)(rs->tr->n + inflight) >= space_count(rs->s)) {
        rs->tr->stop = SEARCH_STOP_EXHAUSTED;
        return NASW_OK;
    }
    memset(q, 0, sizeof *q);
    int ps = t->propose(st, q);
    if (ps == NASW_EDONE) {
        rs->tr->stop = SEARCH_STOP_EXHAUSTED;
        return NASW_OK;
    }
    if (ps) return ps;
    NASW_ASSERT(space_contains(rs->s, &q->arch));
    *stop = 0;
    return NASW_OK;
}

static int run_sync(struct run_state *rs, const struct search_type *t, void *st)
{
    long max_repeats = rs->o->max_repeats > 0 ? rs->o->max_repeats : 100000, repeats = 0;
    int status, stop;
    for (;;) {
        struct query q;
        if ((status = next_proposal(rs, t, st, 0, &q, &stop))) return status;
        if (stop) break;
        uint64_t key = arch_key(rs->s, &q.arch);
        struct bench_result res;
        if (cached(rs, key, &res)) {
            /* a repeat: free, not counted, not logged, but told */
            if (++repeats >= max_repeats) {
                rs->tr->stop = SEARCH_STOP_STALLED;
                break;
            }
        } else {
            repeats = 0;
            if ((status = bench_query(rs->b, &q.arch, q.epochs, &res)) || (status = record(rs, &q.arch, key, &res)))
                return status;
        }
        if ((status = t->observe(st, &q, &res))) return status;
    }
    return NASW_OK;
}

/* Several evaluations outstanding.  A proposal of an architecture in
 * flight waits for that evaluation and is told its result too. */
static int run_async(struct run_state *rs, const struct search_type *t, void *st)
{
    const struct search_evaluator *ev = rs->o->eval;
    long max_repeats = rs->o->max_repeats > 0 ? rs->o->max_repeats : 100000, repeats = 0;
    uint64_t *flight = malloc(sizeof *flight * (size_t)ev->slots);
    struct query *waiting = NULL;
    long n_flight = 0, n_wait = 0, cap_wait = 0;
    int status = NASW_OK, proposing = 1;
    if (!flight) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (;;) {
        while (proposing && n_flight < ev->slots) {
            struct query q;
            int stop;
            if ((status = next_proposal(rs, t, st, n_flight, &q, &stop))) goto done;
            if (stop) {
                proposing = 0;
                break;
            }
            uint64_t key = arch_key(rs->s, &q.arch);
            struct bench_result res;
            int in_flight = 0;
            for (long i = 0; i < n_flight; i++) in_flight |= flight[i] == key;
            if (cached(rs, key, &res) || in_flight) {
                if (++repeats >= max_repeats) {
                    rs->tr->stop = SEARCH_STOP_STALLED;
                    proposing = 0;
                    break;
                }
                if (!in_flight) {
                    if ((status = t->observe(st, &q, &res))) goto done;
                    continue;
                }
                if (n_wait == cap_wait) {
                    cap_wait = cap_wait ? 2 * cap_wait : 16;
                    struct query *p = realloc(waiting, sizeof *p * (size_t)cap_wait);
                    if (!p) {
                        status = nasw_errorf(NASW_ENOMEM, "out of memory");
                        goto done;
                    }
                    waiting = p;
                }
                waiting[n_wait++] = q;
                continue;
            }
            repeats = 0;
            if ((status = ev->submit(ev->arg, &q.arch, q.epochs))) goto done;
            flight[n_flight++] = key;
        }
        if (n_flight == 0) break;
        struct query q;
        struct bench_result res;
        memset(&q, 0, sizeof q);
        memset(&res, 0, sizeof res);
        if ((status = ev->wait(ev->arg, &q.arch, &res))) goto done;
        bench_finish(rs->b, &res);
        uint64_t key = arch_key(rs->s, &q.arch);
        for (long i = 0; i < n_flight; i++)
            if (flight[i] == key) {
                flight[i] = flight[--n_flight];
                break;
            }
        if ((status = record(rs, &q.arch, key, &res)) || (status = t->observe(st, &q, &res))) goto done;
        for (long i = 0; i < n_wait;)
            if (arch_key(rs->s, &waiting[i].arch) == key) {
                if ((status = t->observe(st, &waiting[i], &res))) goto done;
                waiting[i] = waiting[--n_wait];
            } else {
                i++;
            }
    }
done:
    free(flight);
    free(waiting);
    return status;
}

int search_run(struct bench *b, const struct search_spec *spec, const struct search_run_opts *o,
               struct search_trace *tr)
{
    memset(tr, 0, sizeof *tr);
    struct rng *r = rng_new(o->seed);
    if (!r) return nasw_errorf(NASW_ENOMEM, "out of memory");
    void *st = spec->type->alloc(spec->values, bench_space(b), r);
    if (!st) {
        rng_free(r);
        return NASW_ENOMEM; /* message set by alloc */
    }
    struct run_state rs = {.b = b, .s = bench_space(b), .o = o, .tr = tr, .best_score = -INFINITY,
                           .best_val = NAN, .test_at_best = NAN};
    int status = o->log ? log_header(b, spec, o) : NASW_OK;
    tr->stop = SEARCH_STOP_BUDGET;
    if (!status) status = o->eval && o->eval->slots > 0 ? run_async(&rs, spec->type, st) : run_sync(&rs, spec->type, st);
    if (!status && o->log) status = runlog_end(o->log, tr->n, rs.total, search_stop_name(tr->stop));
    hashmap_release(&rs.cache);
    spec->type->free(st);
    rng_free(r);
    if (status) search_trace_release(tr);
    return status;
}
