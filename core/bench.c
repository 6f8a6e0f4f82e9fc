/*
 * core/bench.c - the backend-independent part of the bench interface.
 */
#include "core/bench.h"

#include <math.h>

#include "core/status.h"

double bench_score(const struct bench *b, double val) { return b->higher_is_better ? val : -val; }

int bench_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    r->val = r->test = NAN;
    r->cost_s = 0.0;
    r->epochs = 0;
    r->from_epochs = -1;
    r->failed = 0;
    int st = b->ops->query(b, a, epochs, r);
    if (st) return st;
    bench_finish(b, r);
    return NASW_OK;
}

void bench_finish(const struct bench *b, struct bench_result *r)
{
    /* A failed training (or a NaN metric) must never be selected: it gets
     * the worst possible score. */
    if (r->failed || isnan(r->val)) {
        r->failed = 1;
        r->score = -INFINITY;
    } else {
        r->score = bench_score(b, r->val);
    }
}

int bench_curve(struct bench *b, const struct arch *a, double *val, int max_epochs)
{
    if (!b->ops->curve)
        return nasw_errorf(NASW_EUNSUPPORTED, "bench '%.64s' has no learning curves", b->name);
    return b->ops->curve(b, a, val, max_epochs);
}

int bench_oracle(struct bench *b, double *best_val, double *test_at_best)
{
    if (!b->ops->oracle)
        return nasw_errorf(NASW_EUNSUPPORTED, "bench '%.64s' cannot know its best architecture",
                           b->name);
    return b->ops->oracle(b, best_val, test_at_best);
}

const struct space *bench_space(const struct bench *b) { return b->space; }

void bench_free(struct bench *b)
{
    if (b && b->ops && b->ops->free) b->ops->free(b);
}
