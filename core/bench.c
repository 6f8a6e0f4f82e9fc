/*
 * core/bench.c - the backend-independent part of the bench interface.
 */
#include "core/bench.h"

#include <math.h>
#include <string.h>

#include "core/status.h"

double bench_score(const struct bench *b, double val) { return b->higher_is_better ? val : -val; }

/* The objective and constraint columns of a (the answer at full training:
 * tables store them once per architecture). */
int bench_objectives(struct bench *b, const struct arch *a, struct bench_result *r)
{
    r->infeasible = 0;
    if (b->obj.n == 0 && b->obj.n_con == 0) return NASW_OK;
    double v[3 * OBJ_MAX + OBJ_MAX_CON];
    const struct objectives *o = &b->obj;
    int st = b->ops->objective_values(b, a, v);
    if (st) return st;
    for (int i = 0; i < o->n; i++) {
        if (!strcmp(o->name[i], b->search_metric)) { /* at the epochs answered */
            v[i] = r->val;
            v[o->n + i] = r->test;
        }
        r->obj[i] = v[i];
        r->oobj[i] = o->maximize[i] ? v[i] : -v[i];
        r->obj_report[i] = v[o->n + i];
    }
    for (int c = 0; c < o->n_con; c++)
        if (!objectives_satisfies(o, c, v[2 * o->n + c])) r->infeasible = 1;
    return NASW_OK;
}

int bench_set_objectives(struct bench *b, const struct objectives *o)
{
    if (!b->ops->bind_objectives || !b->ops->objective_values) {
        const char *what = o->n > 0 ? o->name[0] : o->con_name[0];
        return nasw_errorf(NASW_EUNSUPPORTED, "bench '%.200s' reports no column '%.64s'", b->name, what);
    }
    b->obj = *o;
    for (int i = 0; i < OBJ_MAX; i++) b->obj_worst[i] = b->obj_best[i] = NAN;
    int st = b->ops->bind_objectives(b);
    if (st) memset(&b->obj, 0, sizeof b->obj);
    return st;
}

int bench_set_noise(struct bench *b)
{
    if (!b->ops->set_noise || !b->ops->seed_value)
        return nasw_errorf(NASW_EUNSUPPORTED, "bench '%.200s' holds no per-seed results", b->name);
    return b->ops->set_noise(b);
}

static void result_reset(struct bench_result *r)
{
    r->val = r->test = NAN;
    r->cost_s = 0.0;
    r->epochs = 0;
    r->from_epochs = -1;
    r->failed = 0;
    r->infeasible = 0;
}

/* A backend's answer completed: the seed's value (seed >= 0), objectives,
 * feasibility, score. */
static int answered(struct bench *b, const struct arch *a, int seed, struct bench_result *r, int st)
{
    if (st) return st;
    NASW_ASSERT(seed < b->noise_seeds);
    if (seed >= 0 && !r->failed && (st = b->ops->seed_value(b, a, seed, &r->val))) return st;
    if ((st = bench_objectives(b, a, r))) return st;
    bench_finish(b, r);
    return NASW_OK;
}

int bench_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    return bench_query_seed(b, a, epochs, -1, r);
}

int bench_query_seed(struct bench *b, const struct arch *a, int epochs, int seed, struct bench_result *r)
{
    result_reset(r);
    return answered(b, a, seed, r, b->ops->query(b, a, epochs, r));
}

int bench_query_inherit(struct bench *b, const struct arch *a, const struct arch *parent, int epochs,
                        struct bench_result *r)
{
    if (!b->ops->query_inherit)
        return nasw_errorf(NASW_EUNSUPPORTED, "bench '%.200s' cannot train a child from its parent's weights",
                           b->name);
    result_reset(r);
    return answered(b, a, -1, r, b->ops->query_inherit(b, a, parent, epochs, r));
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

int bench_column(struct bench *b, const char *name, const struct arch *a, double *out)
{
    if (!b->ops->column)
        return nasw_errorf(NASW_EUNSUPPORTED, "bench '%.200s' has no column '%.64s' (it reads no table)", b->name, name);
    return b->ops->column(b, name, a, out);
}

const struct space *bench_space(const struct bench *b) { return b->space; }

void bench_free(struct bench *b)
{
    if (b && b->ops && b->ops->free) b->ops->free(b);
}

int bench_oneshot(const struct bench *b, const char *strategy, const struct oneshot_opts *o, struct oneshot **out)
{
    *out = NULL;
    if (b->ops->oneshot) return b->ops->oneshot(b, o, out);
    if (!strncmp(b->name, "table:", 6)) { /* "table:PATH#dataset": name the file */
        int len = (int)strcspn(b->name + 6, "#");
        return nasw_errorf(NASW_EUNSUPPORTED,
                           "strategy '%s' needs a supernet; table '%.*s' has no training data (use --bench live:fmnist[:PRESET])",
                           strategy, len > 200 ? 200 : len, b->name + 6);
    }
    return nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' needs a supernet; bench '%.200s' cannot train one", strategy,
                       b->name);
}

void oneshot_free(struct oneshot *o)
{
    if (o) o->ops->free(o);
}
