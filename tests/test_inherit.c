/*
 * tests/test_inherit.c - weight inheritance in the search loop: evolution
 * and local with inherit=1 ask the bench for children trained from their
 * parent (bench_query_inherit) with the parent they were made from; the
 * run charges what the bench says was trained; benches that cannot are
 * refused, as are the inconsistent specs (search_spec_check_inherit); an
 * asynchronous evaluator is refused.
 *
 * The bench is synthetic: a cell space whose score is a sum of per-edge
 * weights; an inherited child "trains" 1/4 of the cost of a full training
 * and records its parent, so the test can check the lineage.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/bench.h"
#include "core/hashmap.h"
#include "core/status.h"
#include "search/search.h"

#define FULL 8

struct inh_bench {
    struct bench b;
    struct space *s;
    struct hashmap evaluated;  /* keys answered so far */
    long scratch, inherited, bad_parent;
    int last_epochs;
};

static void answer(const struct inh_bench *x, const struct arch *a, struct bench_result *r)
{
    double v = 0;
    for (int e = 0; e < a->n; e++) v += (double)((a->d[e] * 7 + e * 3) % 5);
    r->val = v;
    r->test = v + 0.5;
    (void)x;
}

static int q_scratch(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    struct inh_bench *x = b->impl;
    (void)epochs;
    answer(x, a, r);
    r->cost_s = 4.0;
    r->epochs = FULL;
    r->from_epochs = 0;
    x->scratch++;
    return hashmap_put(&x->evaluated, arch_key(x->s, a), 1);
}

static int q_inherit(struct bench *b, const struct arch *a, const struct arch *parent, int epochs,
                     struct bench_result *r)
{
    struct inh_bench *x = b->impl;
    /* the parent was evaluated and is one decision away (a mutation or a
     * neighbour) */
    int diff = 0;
    for (int e = 0; e < a->n; e++) diff += a->d[e] != parent->d[e];
    if (!hashmap_get(&x->evaluated, arch_key(x->s, parent), NULL) || diff != 1) x->bad_parent++;
    answer(x, a, r);
    r->cost_s = 1.0 * epochs;
    r->epochs = epochs;
    r->from_epochs = 0;
    x->inherited++;
    x->last_epochs = epochs;
    return hashmap_put(&x->evaluated, arch_key(x->s, a), 1);
}

static void inh_free(struct bench *b) { (void)b; }

static const struct bench_ops ops_inherit = {.name = "synthetic", .query = q_scratch, .free = inh_free,
                                             .query_inherit = q_inherit};
static const struct bench_ops ops_plain = {.name = "synthetic", .query = q_scratch, .free = inh_free};

static void bench_init(struct inh_bench *x, const struct bench_ops *ops)
{
    memset(x, 0, sizeof *x);
    assert_int_equal(space_cell_new(&x->s, 4, arch_nb201_ops, 5), NASW_OK);
    x->b.ops = ops;
    x->b.impl = x;
    x->b.space = x->s;
    strcpy(x->b.name, "synthetic");
    strcpy(x->b.search_metric, "val");
    strcpy(x->b.report_metric, "test");
    x->b.higher_is_better = x->b.report_higher_is_better = 1;
    x->b.has_cost = 1;
    x->b.max_epochs = FULL;
}

static void bench_release(struct inh_bench *x)
{
    hashmap_release(&x->evaluated);
    space_free(x->s);
}

static int run(struct inh_bench *x, const char *spec_text, double budget, enum budget_kind kind,
               struct search_trace *tr)
{
    struct search_spec spec;
    assert_int_equal(search_spec_parse(spec_text, &spec), NASW_OK);
    struct search_run_opts o = {.budget = budget, .kind = kind, .seed = 3};
    return search_run(&x->b, &spec, &o, tr);
}

static void test_evolution_inherits(void **state)
{
    (void)state;
    struct inh_bench x;
    bench_init(&x, &ops_inherit);
    struct search_trace tr;
    assert_int_equal(run(&x, "evolution:population=5:sample=2:inherit=1:inherit_epochs=2", 40, BUDGET_QUERIES, &tr),
                     NASW_OK);
    assert_true(x.b.keep_weights);
    assert_int_equal(x.scratch, 5); /* the initial population only (no immigrant on this space) */
    assert_int_equal(x.inherited, 35);
    assert_int_equal(x.bad_parent, 0);
    assert_int_equal(x.last_epochs, 2);
    /* charged what was trained: 5 full trainings, 35 of 2 epochs */
    assert_true(tr.steps[tr.n - 1].total_epochs == 5 * FULL + 35 * 2);
    assert_true(tr.steps[tr.n - 1].total_cost_s == 5 * 4.0 + 35 * 2.0);
    search_trace_release(&tr);
    bench_release(&x);
}

static void test_local_inherits(void **state)
{
    (void)state;
    struct inh_bench x;
    bench_init(&x, &ops_inherit);
    struct search_trace tr;
    assert_int_equal(run(&x, "local:init=3:inherit=1", 30, BUDGET_QUERIES, &tr), NASW_OK);
    assert_true(x.inherited >= 20); /* the neighbourhood of the best of 3 */
    assert_int_equal(x.bad_parent, 0);
    assert_int_equal(x.last_epochs, 1);
    search_trace_release(&tr);
    bench_release(&x);
}

static void test_without_inherit(void **state)
{
    (void)state;
    struct inh_bench x;
    bench_init(&x, &ops_inherit);
    struct search_trace tr;
    assert_int_equal(run(&x, "evolution:population=5:sample=2", 20, BUDGET_QUERIES, &tr), NASW_OK);
    assert_int_equal(x.inherited, 0);
    assert_false(x.b.keep_weights);
    search_trace_release(&tr);
    bench_release(&x);
}

static void test_refusals(void **state)
{
    (void)state;
    struct inh_bench x;
    bench_init(&x, &ops_plain);
    struct search_trace tr;
    assert_int_equal(run(&x, "evolution:inherit=1", 10, BUDGET_QUERIES, &tr), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(),
                        "strategy 'evolution': inherit=1 needs a bench that trains (live:fmnist), not 'synthetic'");
    assert_int_equal(x.scratch, 0);
    bench_release(&x);
    bench_init(&x, &ops_inherit);
    assert_int_equal(run(&x, "local:inherit=1:inherit_epochs=9", 10, BUDGET_QUERIES, &tr), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(),
                        "strategy 'local': inherit_epochs=9 is more than the 8 epochs of a full training on 'synthetic'");
    assert_int_equal(run(&x, "evolution:inherit_epochs=2", 10, BUDGET_QUERIES, &tr), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(), "strategy 'evolution': inherit_epochs needs inherit=1");
    assert_int_equal(x.scratch, 0);
    bench_release(&x);
    /* a strategy without the parameters never inherits */
    struct search_spec spec;
    assert_int_equal(search_spec_parse("random", &spec), NASW_OK);
    assert_int_equal(search_spec_inherit_epochs(&spec), 0);
    assert_int_equal(search_spec_check_inherit(&spec, "t", 0, 0, 0), NASW_OK);
    assert_int_equal(search_spec_parse("evolution:inherit=1:inherit_epochs=3", &spec), NASW_OK);
    assert_int_equal(search_spec_inherit_epochs(&spec), 3);
    assert_int_equal(search_spec_check_inherit(&spec, "b", 1, 0, 1), NASW_EINVAL);
    assert_string_equal(nasw_errmsg(), "strategy 'evolution': inherit=1 does not take objectives or constraints");
}

/* The asynchronous evaluator trains from scratch only: an inheriting
 * child is refused, not silently trained from scratch. */
static int ev_submit(void *arg, const struct arch *a, int epochs)
{
    struct inh_bench *x = arg;
    (void)epochs;
    x->scratch++;
    return hashmap_put(&x->evaluated, arch_key(x->s, a), (int64_t)arch_key(x->s, a));
}

static int ev_wait(void *arg, struct arch *a, struct bench_result *r)
{
    struct inh_bench *x = arg;
    /* any submitted, not yet returned: the latest key put */
    for (size_t i = 0; i < x->evaluated.cap; i++)
        if (x->evaluated.used[i] && x->evaluated.vals[i] >= 0) {
            arch_from_key(x->s, x->evaluated.keys[i], a);
            x->evaluated.vals[i] = -1;
            answer(x, a, r);
            r->cost_s = 4.0;
            r->epochs = FULL;
            return NASW_OK;
        }
    return nasw_errorf(NASW_EINVAL, "nothing in flight");
}

static void test_async_refused(void **state)
{
    (void)state;
    struct inh_bench x;
    bench_init(&x, &ops_inherit);
    struct search_evaluator ev = {2, ev_submit, ev_wait, &x};
    struct search_spec spec;
    assert_int_equal(search_spec_parse("evolution:population=3:sample=2:inherit=1", &spec), NASW_OK);
    struct search_run_opts o = {.budget = 10, .kind = BUDGET_QUERIES, .seed = 1, .eval = &ev};
    struct search_trace tr;
    assert_int_equal(search_run(&x.b, &spec, &o, &tr), NASW_EUNSUPPORTED);
    assert_string_equal(nasw_errmsg(), "strategy 'evolution' inherits weights: not with asynchronous evaluation");
    assert_int_equal(x.inherited, 0);
    bench_release(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evolution_inherits), cmocka_unit_test(test_local_inherits),
        cmocka_unit_test(test_without_inherit),    cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_async_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
