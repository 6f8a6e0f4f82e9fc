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

int search_run(struct bench *b, const struct search_spec *spec, const struct search_run_opts *o,
               struct search_trace *tr)
{
    memset(tr, 0, sizeof *tr);
    const struct space *s = bench_space(b);
    struct rng *r = rng_new(o->seed);
    if (!r) return nasw_errorf(NASW_ENOMEM, "out of memory");
    void *st = spec->type->alloc(spec->values, s, r);
    if (!st) {
        rng_free(r);
        return NASW_ENOMEM; /* message set by alloc */
    }
    struct hashmap cache = {0}; /* key -> step index */
    int status = NASW_OK;
    if (o->log && (status = log_header(b, spec, o))) goto done;
    long max_repeats = o->max_repeats > 0 ? o->max_repeats : 100000, repeats = 0;
    uint64_t count = space_count(s);
    double total = 0, best_score = -INFINITY, best_val = NAN, test_at_best = NAN;
    tr->stop = SEARCH_STOP_BUDGET;
    for (;;) {
        if (o->kind == BUDGET_QUERIES ? (double)tr->n >= o->budget : total >= o->budget) break;
        if ((uint64_t)tr->n >= count) {
            tr->stop = SEARCH_STOP_EXHAUSTED;
            break;
        }
        struct query q;
        memset(&q, 0, sizeof q);
        int ps = spec->type->propose(st, &q);
        if (ps == NASW_EDONE) {
            tr->stop = SEARCH_STOP_EXHAUSTED;
            break;
        }
        if (ps) {
            status = ps;
            goto done;
        }
        NASW_ASSERT(space_contains(s, &q.arch));
        uint64_t key = arch_key(s, &q.arch);
        struct bench_result res;
        int64_t idx;
        if (hashmap_get(&cache, key, &idx)) {
            /* a repeat: free, not counted, not logged, but told */
            const struct search_step *p = &tr->steps[idx];
            memset(&res, 0, sizeof res);
            res.val = p->val;
            res.test = p->test;
            res.cost_s = p->cost_s;
            res.failed = p->failed;
            res.score = p->failed ? -INFINITY : bench_score(b, p->val);
            if (++repeats >= max_repeats) {
                tr->stop = SEARCH_STOP_STALLED;
                break;
            }
        } else {
            repeats = 0;
            if ((status = bench_query(b, &q.arch, q.epochs, &res))) goto done;
            total += res.cost_s; /* 0 when the bench knows no cost */
            if (!res.failed && res.score > best_score) {
                best_score = res.score;
                best_val = res.val;
                test_at_best = res.test;
            }
            struct search_step step = {.key = key, .val = res.val, .test = res.test, .cost_s = res.cost_s,
                                       .total_cost_s = total, .best_val = best_val,
                                       .test_at_best = test_at_best, .failed = res.failed};
            if ((status = push_step(tr, &step)) || (status = hashmap_put(&cache, key, tr->n - 1))) goto done;
            if (o->log) {
                char arch[ARCH_STR_MAX];
                arch_format(s, &q.arch, arch, sizeof arch);
                struct runlog_query lq = {.query = tr->n, .arch = arch, .val = res.val, .test = res.test,
                                          .cost_s = res.cost_s, .total_cost_s = total,
                                          .best_val = best_val, .test_at_best = test_at_best,
                                          .epochs = res.epochs, .failed = res.failed};
                if ((status = runlog_query(o->log, &lq))) goto done;
            }
            if (o->progress)
                o->progress(o->progress_arg, o->kind == BUDGET_QUERIES ? (double)tr->n / o->budget
                                                                       : total / o->budget);
        }
        if ((status = spec->type->observe(st, &q, &res))) goto done;
    }
    if (o->log) status = runlog_end(o->log, tr->n, total, search_stop_name(tr->stop));
done:
    hashmap_release(&cache);
    spec->type->free(st);
    rng_free(r);
    if (status) search_trace_release(tr);
    return status;
}
