/*
 * tests/test_search.c - search/: spec parsing, the run loop's protocol
 * (repeats free, budget in queries and seconds, best-by-search bookkeeping,
 * failures never best) and every registered strategy (loops over the
 * registry): determinism, never proposing a non-member, progress on easy
 * problems; strategy-specific checks (random covers a space exactly, aging
 * evolution, local search reaching the optimum, REINFORCE's hand-written
 * gradient against finite differences, the LSTM controller's, pnas's progressive beam search).
 *
 * The benches here are synthetic: a chain space whose score is a
 * deterministic function of the architecture, no table files.
 */
#include <float.h>
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
#include "core/rng.h"
#include "core/status.h"
#include "search/hb.h"
#include "search/reinforce_policy.h"
#include "search/search.h"
#include "search/smbo.h"
#include "stats/pareto.h"

/* --- a synthetic bench --------------------------------------------------- */

struct synth {
    struct bench b;
    struct space *s;
    double w[ARCH_MAX_DIMS][10]; /* separable score: sum of per-decision weights */
    int fail_key;                /* key whose training "diverges", or -1 */
    long queries;
    int strict;                  /* fail the test on a non-member query */
    int warp;                    /* 1: the search metric is exp(4 val), a monotone warp */
};

static double synth_score(const struct synth *x, const struct arch *a)
{
    double v = 0;
    for (int i = 0; i < a->n; i++) v += x->w[i][a->d[i]];
    return v;
}

/* Of 100 proposals of a trained policy on a 3-decision, 4-choice synth
 * space, how many are the optimum (every decision at its largest weight). */
static int optimum_hits(const struct search_type *t, void *st, const struct synth *x)
{
    int hits = 0;
    struct query q;
    for (int it = 0; it < 100; it++) {
        t->propose(st, &q);
        int best = 1;
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 4; k++)
                if (x->w[i][k] > x->w[i][q.arch.d[i]]) best = 0;
        hits += best;
    }
    return hits;
}

/* Curves: SYNTH_EPOCHS epochs; the search metric approaches the final
 * score from below at an architecture-dependent rate (so rankings change
 * between epochs), the cost grows linearly.  epochs <= 0 or >= the length
 * is the full training, exactly the values of the curve-less bench. */
#define SYNTH_EPOCHS 27

static int synth_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    struct synth *x = b->impl;
    if (epochs > 0 && x->b.max_epochs == 0) return nasw_errorf(NASW_EUNSUPPORTED, "synthetic bench has no curves");
    int e = epochs <= 0 || epochs >= SYNTH_EPOCHS ? SYNTH_EPOCHS : epochs;
    if (x->strict && !space_contains(x->s, a)) fail_msg("strategy proposed a non-member");
    x->queries++;
    uint64_t k = arch_key(x->s, a);
    if ((int)k == x->fail_key) {
        r->failed = 1;
        return NASW_OK;
    }
    double gap = 0.3 * (1 + sin(1.7 * (double)k)) * (1 - (double)e / SYNTH_EPOCHS);
    r->val = synth_score(x, a) - gap;
    r->test = r->val + 0.5 * sin((double)k); /* correlated report metric */
    if (x->warp) r->val = exp(4 * r->val);
    r->cost_s = (1.0 + (double)(k % 5)) * e / SYNTH_EPOCHS;
    r->epochs = x->b.max_epochs ? e : 0;
    return NASW_OK;
}

static int synth_oracle(struct bench *b, double *v, double *t)
{
    (void)b;
    *v = *t = NAN;
    return NASW_EUNSUPPORTED;
}

static void synth_free(struct bench *b) { (void)b; }

/* Objectives: "val" (the search metric) and "size", the sum of the
 * decisions (a synthetic latency: minimised, cheap where val is not). */
static double synth_size(const struct arch *a)
{
    double v = 0;
    for (int i = 0; i < a->n; i++) v += a->d[i];
    return v;
}

static int synth_column(const char *name)
{
    return !strcmp(name, "val") ? 0 : !strcmp(name, "size") ? 1 : -1;
}

static int synth_bind_objectives(struct bench *b)
{
    for (int i = 0; i < b->obj.n; i++)
        if (synth_column(b->obj.name[i]) < 0) return nasw_errorf(NASW_ENOTFOUND, "no column '%s'", b->obj.name[i]);
    for (int c = 0; c < b->obj.n_con; c++)
        if (synth_column(b->obj.con_name[c]) != 1) return nasw_errorf(NASW_ENOTFOUND, "no column '%s'", b->obj.con_name[c]);
    return NASW_OK;
}

static int synth_objective_values(struct bench *b, const struct arch *a, double *out)
{
    const struct objectives *o = &b->obj;
    /* "val" is replaced by the answer's own val/test in bench_query */
    for (int i = 0; i < o->n; i++) out[i] = out[o->n + i] = synth_column(o->name[i]) ? synth_size(a) : NAN;
    for (int c = 0; c < o->n_con; c++) out[2 * o->n + c] = synth_size(a);
    return NASW_OK;
}

/* Column "proxy" (a warm start's training-free score): the final score
 * itself, a perfect proxy, so the ranking a warm start must follow is known;
 * key 0 has no value (NaN: ranks last). */
static int synth_column_value(struct bench *b, const char *name, const struct arch *a, double *out)
{
    struct synth *x = b->impl;
    if (strcmp(name, "proxy")) return nasw_errorf(NASW_ENOTFOUND, "column '%s' not in bench", name);
    if (a) *out = arch_key(x->s, a) == 0 ? NAN : synth_score(x, a);
    return NASW_OK;
}

/* A synthetic supernet (core/oneshot.h) for the one-shot strategies: an
 * epoch costs 2 seconds and moves the logits toward the bench's weights
 * (with noise), a cell scores its synthetic value (x100, as accuracies)
 * plus noise and costs 0.01 seconds. */
struct synth_oneshot {
    struct oneshot base;
    const struct synth *x;
    double alpha[ARCH_MAX_DIMS][10];
    struct rng *r;
};

/* Its checkpoint, as the live backend's file holds it (on: one is taken
 * after every epoch up to `upto`; restore: a new supernet starts from it),
 * and the log of the cells it scored. */
static struct {
    int on, upto, restore, epochs_done;
    double seconds, alpha[ARCH_MAX_DIMS][10];
    void *rng, *state;
    size_t rng_len, state_len;
    long mark;            /* log entries when the checkpoint was taken */
    uint64_t log[20000];
    long n_log;
} so_ck;

static int so_epoch(struct oneshot *o, const struct oneshot_epoch *e)
{
    struct synth_oneshot *so = (struct synth_oneshot *)o;
    for (int i = 0; i < so->x->s->n_dims; i++)
        for (int k = 0; k < so->x->s->n_choices[i]; k++) so->alpha[i][k] += so->x->w[i][k] + rng_gaussian(so->r, 0.3);
    o->epochs_done++;
    o->seconds += 2.0;
    if (so_ck.on && o->epochs_done <= so_ck.upto) {
        size_t rb;
        void *rs = rng_state(so->r, &rb);
        free(so_ck.rng);
        free(so_ck.state);
        so_ck.state = NULL, so_ck.state_len = 0;
        assert_non_null(so_ck.rng = malloc(rb));
        memcpy(so_ck.rng, rs, rb);
        so_ck.rng_len = rb;
        memcpy(so_ck.alpha, so->alpha, sizeof so->alpha);
        so_ck.epochs_done = o->epochs_done, so_ck.seconds = o->seconds, so_ck.mark = so_ck.n_log;
        if (e->save_state) assert_int_equal(e->save_state(e->state_arg, &so_ck.state, &so_ck.state_len), NASW_OK);
    }
    return NASW_OK;
}

static int so_score(struct oneshot *o, const struct arch *a, double *acc)
{
    struct synth_oneshot *so = (struct synth_oneshot *)o;
    *acc = 100 * synth_score(so->x, a) + rng_gaussian(so->r, 5.0);
    o->seconds += 0.01;
    if (so_ck.n_log < 20000) so_ck.log[so_ck.n_log++] = arch_key(so->x->s, a);
    return NASW_OK;
}

static void so_derive(struct oneshot *o, struct arch *a)
{
    struct synth_oneshot *so = (struct synth_oneshot *)o;
    a->n = so->x->s->n_dims;
    for (int i = 0; i < a->n; i++) {
        a->d[i] = 0;
        for (int k = 1; k < so->x->s->n_choices[i]; k++)
            if (so->alpha[i][k] > so->alpha[i][a->d[i]]) a->d[i] = (uint16_t)k;
    }
}

static void so_free(struct oneshot *o)
{
    rng_free(((struct synth_oneshot *)o)->r);
    free(o);
}

static const struct oneshot_ops synth_oneshot_ops = {so_epoch, so_score, so_derive, so_free};

static int synth_oneshot(const struct bench *b, const struct oneshot_opts *opts, struct oneshot **out)
{
    struct synth_oneshot *so = calloc(1, sizeof *so);
    assert_non_null(so);
    so->base.ops = &synth_oneshot_ops;
    so->x = b->impl;
    so->r = rng_new(opts->seed);
    if (so_ck.restore) {
        size_t rb;
        void *rs = rng_state(so->r, &rb);
        assert_int_equal(rb, so_ck.rng_len);
        memcpy(rs, so_ck.rng, rb);
        memcpy(so->alpha, so_ck.alpha, sizeof so->alpha);
        so->base.epochs_done = so_ck.epochs_done, so->base.seconds = so_ck.seconds;
        so->base.restored_state = so_ck.state, so->base.restored_len = so_ck.state_len;
    }
    *out = &so->base;
    return NASW_OK;
}

static const struct bench_ops synth_ops = {.name = "synthetic", .query = synth_query, .oracle = synth_oracle,
                                           .free = synth_free, .bind_objectives = synth_bind_objectives,
                                           .objective_values = synth_objective_values, .column = synth_column_value,
                                           .oneshot = synth_oneshot};

/* Multi-objective strategies search val:max,size:min; the others the
 * search metric alone (objectives off). */
static void synth_objectives(struct synth *x, const struct search_type *t)
{
    struct objectives o = {0};
    if (t->multi_objective) {
        assert_int_equal(objectives_parse(&o, "val:max,size:min"), NASW_OK);
        assert_int_equal(bench_set_objectives(&x->b, &o), NASW_OK);
    } else {
        memset(&x->b.obj, 0, sizeof x->b.obj);
    }
}

static void synth_init(struct synth *x, int layers, int choices, uint64_t seed)
{
    memset(x, 0, sizeof *x);
    int c[ARCH_MAX_DIMS] = {0};
    for (int i = 0; i < layers; i++) c[i] = choices;
    assert_int_equal(space_chain_new(&x->s, layers, c), NASW_OK);
    struct rng *r = rng_new(seed);
    for (int i = 0; i < layers; i++)
        for (int k = 0; k < choices; k++) x->w[i][k] = rng_uniform(r);
    rng_free(r);
    x->fail_key = -1;
    x->b.ops = &synth_ops;
    x->b.impl = x;
    x->b.space = x->s;
    x->b.higher_is_better = 1;
    x->b.report_higher_is_better = 1;
    x->b.has_cost = 1;
    x->b.max_epochs = SYNTH_EPOCHS;
    strcpy(x->b.name, "synthetic");
    strcpy(x->b.search_metric, "val");
    strcpy(x->b.report_metric, "test");
}

/* kind: 0 queries, 1 seconds, 2 epochs (enum budget_kind) */
static void run(struct synth *x, const char *spec_s, double budget, int kind, uint64_t seed,
                struct search_trace *tr)
{
    struct search_spec spec;
    if (search_spec_parse(spec_s, &spec)) fail_msg("%s: %s", spec_s, nasw_errmsg());
    synth_objectives(x, spec.type);
    struct search_run_opts o = {.budget = budget, .kind = (enum budget_kind)kind, .seed = seed};
    if (search_run(&x->b, &spec, &o, tr)) fail_msg("%s: %s", spec_s, nasw_errmsg());
}

/* The registry loops run each strategy by name with its defaults, except
 * the neural-predictor ones, whose default fits dominate the suite's time:
 * they run with shorter fits (the protocol does not depend on them). */
static const char *test_spec(const char *name)
{
    if (!strcmp(name, "bananas")) return "bananas:epochs=20:ensemble=3";
    if (!strcmp(name, "nao")) return "nao:epochs=30:warm_epochs=5";
    return name;
}

/* --- specs ---------------------------------------------------------------- */

static void expect_spec_error(const char *s, const char *needle)
{
    struct search_spec spec;
    nasw_errclear();
    assert_int_not_equal(search_spec_parse(s, &spec), NASW_OK);
    if (!strstr(nasw_errmsg(), needle)) fail_msg("'%s': message '%s' lacks '%s'", s, nasw_errmsg(), needle);
}

static void test_specs(void **state)
{
    (void)state;
    struct search_spec spec;
    char buf[256];
    assert_int_equal(search_spec_parse("evolution:population=20:sample=5", &spec), NASW_OK);
    assert_true(spec.values[0] == 20 && spec.values[1] == 5 && spec.values[2] == 1);
    search_spec_format(&spec, buf, sizeof buf);
    assert_string_equal(buf, "evolution:population=20:sample=5:aging=1:stall=100:inherit=0:inherit_epochs=1");
    assert_string_equal(spec.label, "evolution:population=20:sample=5");
    assert_int_equal(search_spec_parse("reinforce:lr=0.5", &spec), NASW_OK);
    search_spec_format(&spec, buf, sizeof buf);
    assert_string_equal(buf, "reinforce:lr=0.5:momentum=0.9:beta1=0.9:beta2=0.999:stall=100:controller=factorized:hidden=32:embed=32");
    expect_spec_error("foo", "unknown strategy 'foo' (known: random, evolution, local, reinforce, bo, pnas, nao, bananas, sh, hyperband, bohb, et, ppo, qlearn, nsga2, pls, parego, ehvi, darts, gdas, enas, rsws, spos)");
    expect_spec_error("evolution:bogus=1", "unknown parameter 'bogus' for strategy 'evolution' (parameters: population, sample, aging, stall, inherit, inherit_epochs)");
    expect_spec_error("evolution:population=1.5", "'1.5' is not an integer");
    expect_spec_error("evolution:population=x", "'x' is not a number");
    expect_spec_error("evolution:population=1", "outside");
    expect_spec_error("evolution:sample=3:sample=4", "given twice");
    expect_spec_error("evolution:sample", "expected key=value");
    expect_spec_error("reinforce:lr=nan", "is not a number");
    /* empty fields are refused, not skipped */
    expect_spec_error("evolution:", "strategy 'evolution': empty key=value in 'evolution:'");
    expect_spec_error("evolution::sample=3", "empty key=value");
    expect_spec_error("evolution:sample=3:", "empty key=value");
    expect_spec_error("evolution:population=", "expected key=value, got 'population='");
    struct search_spec *list;
    int n;
    assert_int_equal(search_spec_list_parse("random,local:first=1", &list, &n), NASW_OK);
    assert_int_equal(n, 2);
    assert_true(list[1].values[2] == 1);
    free(list);
    assert_int_not_equal(search_spec_list_parse("random,nope", &list, &n), NASW_OK);
    const char *empties[] = {"random,", ",random", "random,,local", ","};
    for (int i = 0; i < 4; i++) {
        assert_int_not_equal(search_spec_list_parse(empties[i], &list, &n), NASW_OK);
        if (!strstr(nasw_errmsg(), "empty strategy in the list")) fail_msg("'%s': %s", empties[i], nasw_errmsg());
    }
    /* the full form a run log records is itself a valid spec (pnas's is 181
     * characters; found by fuzz/fuzz_spec) */
    struct search_spec back;
    char full[1024];
    assert_int_equal(search_spec_parse("pnas", &spec), NASW_OK);
    assert_int_equal(search_spec_format(&spec, full, sizeof full), NASW_OK);
    assert_true(strlen(full) > 128);
    assert_int_equal(search_spec_parse(full, &back), NASW_OK);
    assert_ptr_equal(back.type, spec.type);
    /* ... with the same values, defaults included: bohb's random_fraction
     * 1/3 was written as 0.333333 (found by fuzz/fuzz_spec) */
    for (int i = 0; search_registry[i]; i++) {
        const struct search_type *t = search_registry[i];
        assert_int_equal(search_spec_parse(t->name, &spec), NASW_OK);
        assert_int_equal(search_spec_format(&spec, full, sizeof full), NASW_OK);
        assert_int_equal(search_spec_parse(full, &back), NASW_OK);
        for (int k = 0; t->params && t->params[k].name; k++) assert_true(back.values[k] == spec.values[k]);
    }
    assert_int_equal(search_spec_parse("bohb:top=0.1234567", &spec), NASW_OK);
    search_spec_format(&spec, full, sizeof full);
    assert_non_null(strstr(full, ":top=0.1234567:"));
    assert_non_null(strstr(full, ":random_fraction=0.3333333333333333:"));
}

/* --- every strategy ------------------------------------------------------- */

static int traces_equal(const struct search_trace *a, const struct search_trace *b)
{
    if (a->n != b->n) return 0;
    for (long i = 0; i < a->n; i++)
        if (a->steps[i].key != b->steps[i].key || memcmp(&a->steps[i].test_at_best, &b->steps[i].test_at_best, sizeof(double)))
            return 0;
    return 1;
}

/* The run loop's protocol on a trace: counted queries are distinct
 * (architecture, fidelity) pairs; the incumbent is the best search metric
 * among the evaluations at the highest fidelity so far (full = highest;
 * ties keep the earlier) with its own report metric; charges add up. */
static void check_protocol(const char *name, const struct search_trace *a)
{
    struct hashmap seen = {0};
    double best = -INFINITY, test = NAN, epochs = 0, cost = 0;
    long level = -1, inc = -1;
    for (long k = 0; k < a->n; k++) {
        const struct search_step *p = &a->steps[k];
        uint64_t id = p->key * 1000003u + (uint64_t)p->fidelity;
        if (hashmap_get(&seen, id, NULL)) fail_msg("%s: (key, fidelity) counted twice", name);
        hashmap_put(&seen, id, k);
        long lv = p->fidelity == 0 ? 1L << 40 : p->epochs;
        if (!p->failed && (lv > level || (lv == level && p->val > best))) {
            level = lv;
            best = p->val;
            test = p->test;
            inc = k;
        }
        if (a->n_obj > 0) continue; /* the incumbent is the scalarisation's best (test_objectives) */
        if (!(p->best_val == best || (isnan(best) && isnan(p->best_val)) || inc < 0))
            fail_msg("%s: step %ld: best_val %g, expected %g", name, k, p->best_val, best);
        assert_true(inc < 0 || p->test_at_best == test);
        assert_int_equal(p->incumbent, inc);
    }
    for (long k = 0; k < a->n; k++) {
        const struct search_step *p = &a->steps[k];
        epochs += p->epochs_charged;
        cost += p->cost_s;
        assert_true(p->total_epochs == epochs);
        /* a running double sum of k + 1 terms (Higham sec. 3.1) */
        assert_true(fabs(p->total_cost_s - cost) <= 2 * (k + 1) * DBL_EPSILON * cost);
    }
    hashmap_release(&seen);
}

static void test_registry_protocol(void **state)
{
    (void)state;
    for (int i = 0; search_registry[i]; i++) {
        const char *name = search_registry[i]->name;
        if (search_registry[i]->oneshot) continue; /* one cell per epoch: test_oneshot */
        struct synth x;
        synth_init(&x, 6, 4, 11);
        struct search_trace a, b, c;
        run(&x, test_spec(name), 200, 0, 5, &a);
        run(&x, test_spec(name), 200, 0, 5, &b);
        run(&x, test_spec(name), 200, 0, 6, &c);
        if (!traces_equal(&a, &b)) fail_msg("%s: same seed, different traces", name);
        if (traces_equal(&a, &c)) fail_msg("%s: seeds 5 and 6 give identical traces", name);
        assert_int_equal(a.n, 200);
        check_protocol(name, &a);
        if (!search_registry[i]->multi_fidelity)
            for (long k = 0; k < a.n; k++) assert_int_equal(a.steps[k].fidelity, 0);
        /* the bench was queried exactly once per counted query */
        assert_int_equal(x.queries, 3 * 200);
        search_trace_release(&a);
        search_trace_release(&b);
        search_trace_release(&c);
        space_free(x.s);
    }
}

static void test_registry_restricted(void **state)
{
    (void)state;
    for (int i = 0; search_registry[i]; i++) {
        struct synth x;
        synth_init(&x, 5, 4, 3);
        /* keep a random 20% of the 1024 architectures */
        struct rng *r = rng_new(99);
        uint64_t keys[1024];
        size_t n = 0;
        for (uint64_t k = 0; k < 1024; k++)
            if (rng_uniform(r) < 0.2) keys[n++] = k;
        rng_free(r);
        assert_int_equal(space_restrict(x.s, keys, n), NASW_OK);
        x.strict = 1;
        struct search_trace t;
        run(&x, test_spec(search_registry[i]->name), 100, 0, 1, &t);
        /* (the one-shot strategies propose one cell per epoch, members only) */
        if (t.n != 100 && !search_registry[i]->oneshot)
            fail_msg("%s: %ld queries (stop: %s)", search_registry[i]->name, t.n, search_stop_name(t.stop));
        search_trace_release(&t);
        /* more budget than members: the run ends exhausted with every member once */
        if (!strcmp(search_registry[i]->name, "random") || !strcmp(search_registry[i]->name, "local")) {
            run(&x, search_registry[i]->name, 5000, 0, 2, &t);
            assert_int_equal(t.n, (long)n);
            assert_int_equal(t.stop, SEARCH_STOP_EXHAUSTED);
            search_trace_release(&t);
        }
        space_free(x.s);
    }
}

/* A space too large for a 64-bit mixed-radix key: 30 layers of 9 choices
 * (9^30 ~ 4e28, interned keys, core/arch.h).  Every strategy searches it
 * whole (fresh space per run: its keys are given in order of first use, so
 * equal seeds give equal traces only from equal starting states) and
 * restricted to 300 sampled members, never proposing a non-member. */
static void test_registry_wide(void **state)
{
    (void)state;
    for (int i = 0; search_registry[i]; i++) {
        const char *name = search_registry[i]->name;
        if (search_registry[i]->oneshot) continue; /* one cell per epoch: test_oneshot */
        struct search_trace a, b, t;
        struct synth x, y;
        synth_init(&x, 30, 9, 7);
        assert_true(x.s->wide);
        run(&x, name, 40, 0, 3, &a);
        synth_init(&y, 30, 9, 7);
        run(&y, name, 40, 0, 3, &b);
        if (!traces_equal(&a, &b)) fail_msg("%s: same seed, different traces on the wide space", name);
        assert_int_equal(a.n, 40);
        check_protocol(name, &a);
        search_trace_release(&a);
        search_trace_release(&b);
        space_free(x.s);
        space_free(y.s);

        synth_init(&x, 30, 9, 7);
        struct rng *r = rng_new(42);
        uint64_t keys[300];
        for (int k = 0; k < 300; k++) {
            struct arch m;
            arch_sample(x.s, r, &m);
            keys[k] = arch_key(x.s, &m);
        }
        rng_free(r);
        assert_int_equal(space_restrict(x.s, keys, 300), NASW_OK);
        x.strict = 1;
        run(&x, name, 60, 0, 1, &t);
        if (t.n != 60) fail_msg("%s: %ld queries on the restricted wide space (stop: %s)", name, t.n, search_stop_name(t.stop));
        search_trace_release(&t);
        space_free(x.s);
    }
}

/* dedupe=iso on NB201's cell space (a synthetic bench over it): random
 * search without replacement then evaluates exactly one cell of each of the
 * 6,466 classes of NATS-Bench's unique string and stops exhausted; every
 * strategy evaluates only distinct classes; without the key the run counts
 * isomorphic cells as new queries. */
static void test_dedupe_iso(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 6, 5, 21);
    space_free(x.s);
    assert_int_equal(space_cell_new(&x.s, 4, arch_nb201_ops, 5), NASW_OK);
    x.b.space = x.s;
    struct search_trace t;
    run(&x, "random:dedupe=iso", 20000, 0, 1, &t);
    assert_int_equal(t.n, 6466);
    assert_int_equal(t.stop, SEARCH_STOP_EXHAUSTED);
    search_trace_release(&t);
    run(&x, "random", 7000, 0, 1, &t);
    assert_int_equal(t.n, 7000);
    search_trace_release(&t);
    struct search_spec spec;
    char full[512];
    assert_int_equal(search_spec_parse("local:dedupe=iso", &spec), NASW_OK);
    assert_int_equal(search_spec_format(&spec, full, sizeof full), NASW_OK);
    assert_non_null(strstr(full, ":dedupe=iso"));
    expect_spec_error("local:dedupe=yes", "parameter 'dedupe' of 'local': 'yes' is not one of iso|none");
    expect_spec_error("local:dedupe=iso:dedupe=none", "parameter 'dedupe' of 'local' given twice");
    for (int i = 0; search_registry[i]; i++) {
        char spec_s[128];
        snprintf(spec_s, sizeof spec_s, "%s:dedupe=iso", test_spec(search_registry[i]->name));
        run(&x, spec_s, 80, 0, 2, &t);
        struct hashmap seen = {0};
        long full_steps = 0;
        for (long k = 0; k < t.n; k++) {
            if (t.steps[k].fidelity != 0) continue; /* multi-fidelity: one class may be trained longer */
            struct arch a;
            char canon[ARCH_STR_MAX];
            arch_from_key(x.s, t.steps[k].key, &a);
            assert_int_equal(arch_canonical(x.s, &a, canon, sizeof canon), NASW_OK);
            assert_int_equal(hashmap_put(&seen, nasw_fnv1a(NASW_FNV_OFFSET, canon, strlen(canon)), 1), NASW_OK);
            full_steps++;
        }
        if ((long)seen.n != full_steps)
            fail_msg("%s: %ld full trainings of %zu classes", spec_s, full_steps, seen.n);
        hashmap_release(&seen);
        search_trace_release(&t);
    }
    space_free(x.s);
}

/* Hypervolume of a run's feasible answers in (val max, size min), above the
 * worst point of the space. */
static double synth_hv(const struct synth *x, const struct search_trace *t)
{
    double ref[2] = {0, 0}, *p = malloc(sizeof *p * 2 * (size_t)t->n);
    assert_non_null(p);
    for (int i = 0; i < x->s->n_dims; i++) {
        double lo = INFINITY;
        for (int k = 0; k < x->s->n_choices[i]; k++) lo = fmin(lo, x->w[i][k]);
        ref[0] += lo;
        ref[1] -= x->s->n_choices[i] - 1;
    }
    int n = 0;
    for (long i = 0; i < t->n; i++)
        if (!t->steps[i].failed && !t->steps[i].infeasible) {
            p[2 * n] = t->obj[4 * i];
            p[2 * n + 1] = -t->obj[4 * i + 1];
            n++;
        }
    ref[0] -= 1e-9;
    ref[1] -= 1;
    double hv = pareto_hv(p, n, 2, ref);
    free(p);
    return hv;
}

/* Strategies beat random search on an easy separable problem (mean over
 * seeds): the best score, or for multi-objective strategies the
 * hypervolume of (val, size) against random search's on the same. */
static void test_registry_progress(void **state)
{
    (void)state;
    double mean[32] = {0}, random_hv = 0;
    int nreg = 0;
    for (int i = 0; search_registry[i]; i++, nreg++)
        for (int seed = 1; seed <= 10; seed++) {
            struct synth x;
            synth_init(&x, 8, 5, 7); /* 390,625 architectures */
            struct search_trace t;
            /* multi-fidelity strategies get the epochs of 150 full trainings,
             * which is exactly random search's 150 queries */
            /* (et with a shorter MCMC: its checks dominate the test's time) */
            if (!strcmp(search_registry[i]->name, "et"))
                run(&x, "et:samples=40:every=9", 150 * SYNTH_EPOCHS, 2, (uint64_t)seed, &t);
            else if (search_registry[i]->multi_fidelity)
                run(&x, search_registry[i]->name, 150 * SYNTH_EPOCHS, 2, (uint64_t)seed, &t);
            else
                run(&x, test_spec(search_registry[i]->name), 150, 0, (uint64_t)seed, &t);
            mean[i] += (search_registry[i]->multi_objective ? synth_hv(&x, &t) : t.steps[t.n - 1].best_val) / 10;
            search_trace_release(&t);
            if (search_registry[i]->multi_objective && i > 0 && !search_registry[i - 1]->multi_objective) {
                /* the baseline of the multi-objective ones: random search's
                 * hypervolume on the same objectives */
                struct objectives o = {0};
                struct search_spec spec;
                assert_int_equal(objectives_parse(&o, "val:max,size:min"), NASW_OK);
                assert_int_equal(bench_set_objectives(&x.b, &o), NASW_OK);
                assert_int_equal(search_spec_parse("random", &spec), NASW_OK);
                struct search_run_opts ro = {.budget = 150, .seed = (uint64_t)seed};
                assert_int_equal(search_run(&x.b, &spec, &ro, &t), NASW_OK);
                random_hv += synth_hv(&x, &t) / 10;
                search_trace_release(&t);
            }
            space_free(x.s);
        }
    for (int i = 1; i < nreg; i++) {
        double base = search_registry[i]->multi_objective ? random_hv : mean[0];
        print_message("%-10s mean %s %.4f (random %.4f)\n", search_registry[i]->name,
                      search_registry[i]->multi_objective ? "hypervolume" : "best", mean[i], base);
        assert_true(mean[i] > base);
    }
}

/* bo with the predictor zoo's models: deterministic per seed, and better
 * than random search by a clear margin on the separable problem, where a
 * model that learns the additive score ranks the pool well.  The margin is
 * what makes the test fail for a broken model: the pool alone (half
 * mutations of the best) already beats random search, so a model whose
 * predictions are shuffled still gains a little over random; it must gain
 * at least half of the distance from random search's mean best to the
 * optimum.  (gcn needs a cell space: tests/bomodel.sh; on this score over a
 * cell's edges it gains too little in 40 queries to assert, at several
 * times the others' cost.) */
static void test_bo_models(void **state)
{
    (void)state;
    const char *specs[] = {"bo:model=xgb:members=2", "bo:model=rf", "bo:model=mlp:members=2"};
    enum { SEEDS = 6, BUDGET = 40 };
    struct synth x;
    synth_init(&x, 8, 5, 7);
    double opt = 0, rnd = 0;
    for (int i = 0; i < 8; i++) {
        double w = x.w[i][0];
        for (int k = 1; k < 5; k++) w = fmax(w, x.w[i][k]);
        opt += w;
    }
    struct search_trace t, u;
    for (int seed = 1; seed <= SEEDS; seed++) {
        run(&x, "random", BUDGET, 0, (uint64_t)seed, &t);
        rnd += t.steps[t.n - 1].best_val / SEEDS;
        search_trace_release(&t);
    }
    for (size_t m = 0; m < sizeof specs / sizeof specs[0]; m++) {
        double mean = 0;
        for (int seed = 1; seed <= SEEDS; seed++) {
            run(&x, specs[m], BUDGET, 0, (uint64_t)seed, &t);
            mean += t.steps[t.n - 1].best_val / SEEDS;
            if (seed == 1) {
                run(&x, specs[m], BUDGET, 0, (uint64_t)seed, &u);
                if (!traces_equal(&t, &u)) fail_msg("%s: same seed, different traces", specs[m]);
                search_trace_release(&u);
            }
            search_trace_release(&t);
        }
        print_message("%-24s mean best %.4f (random %.4f, optimum %.4f)\n", specs[m], mean, rnd, opt);
        if (!(mean - rnd > 0.5 * (opt - rnd)))
            fail_msg("%s: mean best %.4f is not clearly above random search's %.4f (optimum %.4f)", specs[m], mean, rnd,
                     opt);
    }
    space_free(x.s);
}

static void test_budget_seconds_and_failures(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 4, 4, 2);
    struct search_trace t;
    run(&x, "random", 50, 1, 3, &t);
    /* stop once the cost reaches the budget: the last query may cross it */
    assert_true(t.steps[t.n - 1].total_cost_s >= 50);
    assert_true(t.steps[t.n - 2].total_cost_s < 50);
    double sum = 0;
    for (long i = 0; i < t.n; i++) sum += t.steps[i].cost_s;
    assert_true(fabs(sum - t.steps[t.n - 1].total_cost_s) <= 2 * t.n * DBL_EPSILON * sum);
    search_trace_release(&t);

    /* a diverged training counts as a query but never becomes the best */
    struct arch best;
    memset(&best, 0, sizeof best);
    best.n = 4;
    for (int i = 0; i < 4; i++) {
        int arg = 0;
        for (int k = 1; k < 4; k++)
            if (x.w[i][k] > x.w[i][arg]) arg = k;
        best.d[i] = (uint16_t)arg;
    }
    x.fail_key = (int)arch_key(x.s, &best);
    run(&x, "random", 256, 0, 1, &t);
    int seen_fail = 0;
    for (long i = 0; i < t.n; i++) {
        if (t.steps[i].failed) seen_fail = 1;
        assert_true(isfinite(t.steps[i].best_val) || i == 0);
    }
    assert_true(seen_fail);
    assert_true(t.steps[t.n - 1].best_val < synth_score(&x, &best));
    search_trace_release(&t);
    space_free(x.s);
}

/* Objectives and constraints in the run loop: single-objective strategies
 * on a random scalarisation (deterministic per seed, other weights for
 * another seed), infeasible answers counted but never the incumbent, errors
 * for unknown columns and for multi-objective strategies without
 * objectives. */
static void test_objectives(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 6, 4, 21);
    struct objectives o = {0};
    struct search_spec spec;
    struct search_trace a, b, c, plain;
    struct search_run_opts ro = {.budget = 120, .seed = 3};
    assert_int_equal(search_spec_parse("evolution", &spec), NASW_OK);
    assert_int_equal(search_run(&x.b, &spec, &ro, &plain), NASW_OK);
    assert_int_equal(plain.n_obj, 0);
    assert_int_equal(objectives_parse(&o, "val:max,size:min"), NASW_OK);
    assert_int_equal(bench_set_objectives(&x.b, &o), NASW_OK);
    assert_int_equal(search_run(&x.b, &spec, &ro, &a), NASW_OK);
    assert_int_equal(search_run(&x.b, &spec, &ro, &b), NASW_OK);
    ro.seed = 4;
    assert_int_equal(search_run(&x.b, &spec, &ro, &c), NASW_OK);
    assert_int_equal(a.n_obj, 2);
    assert_true(traces_equal(&a, &b));
    assert_false(traces_equal(&a, &plain)); /* the scalarisation steers it */
    assert_false(traces_equal(&a, &c));
    for (long i = 0; i < a.n; i++) { /* the trace records both objectives */
        struct arch ar;
        arch_from_key(x.s, a.steps[i].key, &ar);
        assert_true(a.obj[4 * i] == a.steps[i].val && a.obj[4 * i + 1] == synth_size(&ar));
        assert_true(a.obj[4 * i + 2] == a.steps[i].test);
    }
    search_trace_release(&a);
    search_trace_release(&b);
    search_trace_release(&c);
    search_trace_release(&plain);

    /* a constraint: infeasible answers are counted and flagged, and the
     * incumbent is always feasible (single- and multi-objective) */
    const char *specs[] = {"random", "local", "nsga2", "pls"};
    for (int k = 0; k < 4; k++) {
        struct objectives oc = {0};
        assert_int_equal(search_spec_parse(specs[k], &spec), NASW_OK);
        if (spec.type->multi_objective) assert_int_equal(objectives_parse(&oc, "val:max,size:min"), NASW_OK);
        assert_int_equal(objectives_add_constraint(&oc, "size>=9"), NASW_OK);
        assert_int_equal(bench_set_objectives(&x.b, &oc), NASW_OK);
        ro.seed = 5;
        assert_int_equal(search_run(&x.b, &spec, &ro, &a), NASW_OK);
        assert_int_equal(a.n, 120);
        long infeasible = 0;
        for (long i = 0; i < a.n; i++) {
            struct arch ar;
            arch_from_key(x.s, a.steps[i].key, &ar);
            assert_int_equal(a.steps[i].infeasible, synth_size(&ar) < 9);
            infeasible += a.steps[i].infeasible;
            long inc = a.steps[i].incumbent;
            assert_true(inc < 0 || !a.steps[inc].infeasible);
        }
        if (infeasible == 0) fail_msg("%s: no infeasible query in 120", specs[k]);
        search_trace_release(&a);
    }

    /* errors */
    struct objectives bad = {0};
    assert_int_equal(objectives_parse(&bad, "val:max,latency:min"), NASW_OK);
    assert_int_equal(bench_set_objectives(&x.b, &bad), NASW_ENOTFOUND);
    assert_int_equal(x.b.obj.n, 0); /* a failed bind leaves no objectives */
    assert_int_equal(search_spec_parse("ehvi", &spec), NASW_OK);
    nasw_errclear();
    assert_int_not_equal(search_run(&x.b, &spec, &ro, &a), NASW_OK);
    assert_string_equal(nasw_errmsg(), "strategy 'ehvi' needs at least 2 objectives (--objectives)");
    space_free(x.s);
}

/* --- asynchronous evaluation ---------------------------------------------- */

struct fake_eval {
    struct synth *x;
    struct arch pending[16];
    int epochs[16];
    int n;
    uint64_t lcg;
};

static int fake_submit(void *arg, const struct arch *a, int epochs)
{
    struct fake_eval *f = arg;
    assert_true(f->n < 16);
    f->epochs[f->n] = epochs;
    f->pending[f->n++] = *a;
    return NASW_OK;
}

/* completes a pseudo-randomly chosen outstanding evaluation (out of order) */
static int fake_wait(void *arg, struct arch *a, struct bench_result *r)
{
    struct fake_eval *f = arg;
    assert_true(f->n > 0);
    f->lcg = f->lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    int i = (int)((f->lcg >> 33) % (uint64_t)f->n);
    *a = f->pending[i];
    int epochs = f->epochs[i];
    f->epochs[i] = f->epochs[f->n - 1];
    f->pending[i] = f->pending[--f->n];
    memset(r, 0, sizeof *r);
    r->from_epochs = -1; /* like a table: continuation is free */
    return synth_query(&f->x->b, a, epochs, r);
}

/* The one-shot strategies on the synthetic supernet: the supernet's
 * seconds and epochs are on the clock (overhead of the queries), darts
 * proposes the argmax of each epoch and stops after its epochs, the
 * others end with their scoring rounds or generations; a bench without a
 * supernet is refused with the message the CLI prints. */
static void test_oneshot(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 6, 4, 11);
    struct search_trace t;
    run(&x, "darts:epochs=4", 1000, 0, 1, &t);
    assert_true(t.n >= 1 && t.n <= 4);
    assert_int_equal(t.stop, SEARCH_STOP_EXHAUSTED);
    double queries_s = 0, queries_ep = 0;
    for (long k = 0; k < t.n; k++) queries_s += t.steps[k].cost_s, queries_ep += t.steps[k].epochs_charged;
    /* every supernet epoch charged so far (2 s each) is in the clock (a
     * repeated cell after the last step charges its epochs unlogged) */
    double sn_epochs = t.steps[t.n - 1].total_epochs - queries_ep;
    assert_true(sn_epochs >= 1 && sn_epochs <= 4);
    assert_true(fabs(t.steps[t.n - 1].total_cost_s - (queries_s + 2.0 * sn_epochs)) <= 1e-12 * t.steps[t.n - 1].total_cost_s);
    /* the logits follow the bench's weights (4 w + noise of sd 0.6): the
     * argmax cell is in the top quarter of the score range (an argmin or
     * a cell that ignores the logits would not be) */
    struct arch a;
    arch_from_key(x.s, t.steps[t.n - 1].key, &a);
    double lo = 0, hi = 0;
    for (int i = 0; i < 6; i++) {
        double mn = INFINITY, mx = -INFINITY;
        for (int k = 0; k < 4; k++) mn = fmin(mn, x.w[i][k]), mx = fmax(mx, x.w[i][k]);
        lo += mn, hi += mx;
    }
    assert_true(synth_score(&x, &a) > hi - 0.25 * (hi - lo));
    search_trace_release(&t);
    /* a budget in seconds smaller than one epoch: one epoch, one cell */
    run(&x, "gdas:epochs=4", 1.0, 1, 1, &t);
    assert_int_equal(t.n, 1);
    assert_true(t.steps[0].total_cost_s >= 2.0);
    search_trace_release(&t);
    /* rsws: the epochs, then its rounds; scoring is charged too */
    run(&x, "rsws:epochs=2:rounds=3:samples=10", 1000, 0, 1, &t);
    assert_true(t.n >= 1 && t.n <= 5);
    assert_true(t.steps[t.n - 1].total_epochs >= 2);
    search_trace_release(&t);
    /* no supernet */
    struct bench_ops plain = *x.b.ops;
    plain.oneshot = NULL;
    x.b.ops = &plain;
    for (int i = 0; search_registry[i]; i++) {
        if (!search_registry[i]->oneshot) {
            assert_int_equal(search_check_bench(search_registry[i], &x.b), NASW_OK);
            continue;
        }
        nasw_errclear();
        assert_int_equal(search_check_bench(search_registry[i], &x.b), NASW_EUNSUPPORTED);
        char want[160];
        snprintf(want, sizeof want, "strategy '%s' needs a supernet; bench 'synthetic' cannot train one",
                 search_registry[i]->name);
        assert_string_equal(nasw_errmsg(), want);
        struct search_spec spec;
        struct search_run_opts o = {.budget = 10, .seed = 1};
        assert_int_equal(search_spec_parse(search_registry[i]->name, &spec), NASW_OK);
        assert_int_equal(search_run(&x.b, &spec, &o, &t), NASW_EUNSUPPORTED);
    }
    space_free(x.s);
}

/* A search killed after its second epoch resumes from the checkpoint of
 * that epoch and goes on as the uninterrupted search did: the same cells
 * scored with the shared weights (the strategy's rng, the ENAS
 * controller), the same cells proposed after it, the same clock. */
static void test_oneshot_resume(void **state)
{
    (void)state;
    const char *specs[] = {"enas:epochs=4:ctl_steps=6:samples=5", "rsws:epochs=4:samples=5:rounds=2",
                           "spos:epochs=4:samples=5:population=6:parents=3:generations=2", "gdas:epochs=4",
                           "darts:epochs=4"};
    for (int i = 0; i < 5; i++) {
        struct synth x;
        synth_init(&x, 6, 4, 23);
        struct search_trace full, resumed;
        memset(&so_ck, 0, sizeof so_ck);
        so_ck.on = 1, so_ck.upto = 2;
        run(&x, specs[i], 1000, 0, 3, &full);
        long mark = so_ck.mark, n_full = so_ck.n_log;
        uint64_t *log = malloc(sizeof *log * (size_t)(n_full + 1));
        assert_non_null(log);
        memcpy(log, so_ck.log, sizeof *log * (size_t)n_full);
        assert_int_equal(so_ck.epochs_done, 2);
        so_ck.on = 0, so_ck.restore = 1, so_ck.n_log = 0;
        run(&x, specs[i], 1000, 0, 3, &resumed);
        /* every cell scored after the checkpoint, in order */
        if (so_ck.n_log != n_full - mark || memcmp(so_ck.log, log + mark, sizeof *log * (size_t)so_ck.n_log))
            fail_msg("%s: the resumed search scored other cells (%ld vs %ld)", specs[i], so_ck.n_log, n_full - mark);
        /* the cells proposed from the restored epoch on: the last ones of
         * the full trace (which also has the epochs before) */
        assert_true(resumed.n >= 1 && resumed.n <= full.n);
        for (long k = 0; k < resumed.n; k++)
            if (resumed.steps[resumed.n - 1 - k].key != full.steps[full.n - 1 - k].key)
                fail_msg("%s: proposal %ld from the end differs after the resume", specs[i], k);
        /* the same clock, less the trainings of the cells before the
         * restored epoch (the resumed search does not propose them again) */
        double ep = 0, sec = 0;
        for (long k = 0; k < full.n - resumed.n; k++) ep += full.steps[k].epochs_charged, sec += full.steps[k].cost_s;
        const struct search_step *lf = &full.steps[full.n - 1], *lr = &resumed.steps[resumed.n - 1];
        assert_true(lf->total_epochs - ep == lr->total_epochs);
        assert_true(fabs(lf->total_cost_s - sec - lr->total_cost_s) <= 1e-12 * lf->total_cost_s);
        free(log);
        free(so_ck.rng);
        free(so_ck.state);
        memset(&so_ck, 0, sizeof so_ck);
        search_trace_release(&full);
        search_trace_release(&resumed);
        space_free(x.s);
    }
}

static void test_async(void **state)
{
    (void)state;
    for (int i = 0; search_registry[i]; i++) {
        const char *name = test_spec(search_registry[i]->name);
        if (search_registry[i]->oneshot) continue; /* one cell per epoch: test_oneshot */
        struct synth x;
        synth_init(&x, 6, 4, 17);
        struct search_spec spec;
        assert_int_equal(search_spec_parse(name, &spec), NASW_OK);
        synth_objectives(&x, spec.type);
        /* one slot, in order: the same trace as the synchronous loop */
        struct fake_eval f = {.x = &x, .lcg = 1};
        struct search_evaluator ev = {1, fake_submit, fake_wait, &f};
        struct search_run_opts o = {.budget = 60, .seed = 4};
        struct search_trace sync, async;
        assert_int_equal(search_run(&x.b, &spec, &o, &sync), NASW_OK);
        o.eval = &ev;
        assert_int_equal(search_run(&x.b, &spec, &o, &async), NASW_OK);
        if (!traces_equal(&sync, &async)) fail_msg("%s: one async slot differs from the synchronous loop", name);
        search_trace_release(&async);
        /* four slots, completed out of order: the protocol still holds */
        ev.slots = 4;
        assert_int_equal(search_run(&x.b, &spec, &o, &async), NASW_OK);
        assert_int_equal(async.n, 60);
        check_protocol(name, &async);
        assert_int_equal(f.n, 0); /* nothing left outstanding */
        search_trace_release(&sync);
        search_trace_release(&async);
        space_free(x.s);
    }
}


/* --- multi-fidelity -------------------------------------------------------- */

/* Li et al. 2018, Table 1: R = 81, eta = 3. */
static void test_hyperband_brackets(void **state)
{
    (void)state;
    static const int want[5][5][2] = {
        {{5, 81}},
        {{8, 27}, {2, 81}},
        {{15, 9}, {5, 27}, {1, 81}},
        {{34, 3}, {11, 9}, {3, 27}, {1, 81}},
        {{81, 1}, {27, 3}, {9, 9}, {3, 27}, {1, 81}},
    };
    assert_int_equal(hb_smax(81, 1, 3), 4);
    for (int s = 0; s <= 4; s++) {
        struct hb_rung r[HB_MAX_RUNGS];
        assert_int_equal(hb_bracket(81, 1, 3, s, r), s + 1);
        for (int i = 0; i <= s; i++)
            if (r[i].n != want[s][i][0] || r[i].epochs != want[s][i][1])
                fail_msg("bracket %d rung %d: %d@%d, paper %d@%d", s, i, r[i].n, r[i].epochs, want[s][i][0],
                         want[s][i][1]);
    }
    /* min_epochs scales the unit: R = 200, r_min = 2 (100 units: s_max 4) */
    assert_int_equal(hb_smax(200, 2, 3), 4);
    assert_int_equal(hb_smax(200, 1, 3), 4);
    assert_int_equal(hb_smax(4, 1, 3), 1);
    assert_int_equal(hb_smax(2, 1, 3), 0);
    struct hb_rung r[HB_MAX_RUNGS];
    hb_bracket(200, 1, 3, 4, r); /* 200/81 = 2.47 epochs, rounded */
    assert_int_equal(r[0].epochs, 2);
    assert_int_equal(r[1].epochs, 7);
    assert_int_equal(r[4].epochs, 200);
}

/* Successive halving on the synthetic bench, one bracket (27 epochs, eta 3:
 * 27@1 9@3 3@9 1@27): the promoted are the best of each rung, every
 * promotion is charged only the extra epochs, the epoch budget is respected
 * and the bracket's cost is what the arithmetic says. */
static void test_sh_accounting(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 6, 4, 21);
    struct search_trace t;
    run(&x, "sh", 27 + 27 + 27 + 27, 2, 3, &t); /* one bracket: 27*1 + 9*2 + 3*6 + 1*18 = 81 epochs */
    check_protocol("sh", &t);
    assert_true(t.steps[t.n - 1].total_epochs >= 108);
    assert_true(t.steps[t.n - 2].total_epochs < 108);
    /* the first bracket: 27 distinct configurations at 1 epoch ... */
    int per[4] = {0}, ep[4] = {1, 3, 9, 27};
    struct hashmap rung[4] = {{0}};
    long first_bracket_end = -1;
    for (long k = 0; k < t.n && first_bracket_end < 0; k++) {
        const struct search_step *p = &t.steps[k];
        int i = 0;
        while (i < 4 && p->epochs != ep[i]) i++;
        assert_true(i < 4);
        per[i]++;
        hashmap_put(&rung[i], p->key, k);
        /* promotion continues: 1->3 charges 2, 3->9 charges 6, 9->27 charges 18 */
        assert_int_equal(p->epochs_charged, i == 0 ? 1 : ep[i] - ep[i - 1]);
        if (i > 0) assert_true(hashmap_get(&rung[i - 1], p->key, NULL));
        if (i == 3) first_bracket_end = k;
    }
    assert_int_equal(per[0], 27);
    assert_int_equal(per[1], 9);
    assert_int_equal(per[2], 3);
    assert_int_equal(per[3], 1);
    assert_true(t.steps[first_bracket_end].total_epochs == 81);
    /* the full training is the incumbent as soon as it lands */
    assert_int_equal(t.steps[first_bracket_end].incumbent, first_bracket_end);
    /* the promoted of rung 0 are its 9 best by search metric */
    double worst_kept = INFINITY, best_dropped = -INFINITY;
    for (long k = 0; k < first_bracket_end; k++) {
        const struct search_step *p = &t.steps[k];
        if (p->epochs != 1) continue;
        if (hashmap_get(&rung[1], p->key, NULL)) worst_kept = fmin(worst_kept, p->val);
        else best_dropped = fmax(best_dropped, p->val);
    }
    assert_true(worst_kept >= best_dropped);
    for (int i = 0; i < 4; i++) hashmap_release(&rung[i]);
    search_trace_release(&t);

    /* seconds: continuation charges cost(e) - cost(e0) */
    run(&x, "hyperband", 300, 1, 2, &t);
    check_protocol("hyperband", &t);
    for (long k = 0; k < t.n; k++) {
        const struct search_step *p = &t.steps[k];
        double base = 1.0 + (double)(p->key % 5);
        int e0 = p->epochs - p->epochs_charged;
        double want = base * (p->epochs - e0) / SYNTH_EPOCHS;
        assert_true(fabs(p->cost_s - want) <= 4 * DBL_EPSILON * want);
    }
    assert_true(t.steps[t.n - 1].total_cost_s >= 300 && t.steps[t.n - 2].total_cost_s < 300);
    search_trace_release(&t);

    /* a full-fidelity strategy under an epoch budget: 27 epochs a query */
    run(&x, "random", 270, 2, 1, &t);
    assert_int_equal(t.n, 10);
    search_trace_release(&t);
    space_free(x.s);
}

/* Without curves, multi-fidelity strategies and epoch budgets refuse. */
static void test_mf_needs_curves(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 4, 3, 1);
    x.b.max_epochs = 0;
    for (int i = 0; search_registry[i]; i++) {
        if (!search_registry[i]->multi_fidelity) continue;
        struct search_spec spec;
        assert_int_equal(search_spec_parse(search_registry[i]->name, &spec), NASW_OK);
        struct search_run_opts o = {.budget = 10, .seed = 1};
        struct search_trace t;
        nasw_errclear();
        assert_int_equal(search_run(&x.b, &spec, &o, &t), NASW_EUNSUPPORTED);
        char want[128];
        snprintf(want, sizeof want, "strategy '%s' needs per-epoch curves; bench 'synthetic' has none",
                 search_registry[i]->name);
        assert_string_equal(nasw_errmsg(), want);
    }
    struct search_spec spec;
    assert_int_equal(search_spec_parse("random", &spec), NASW_OK);
    struct search_run_opts o = {.budget = 100, .kind = BUDGET_EPOCHS, .seed = 1};
    struct search_trace t;
    assert_int_equal(search_run(&x.b, &spec, &o, &t), NASW_EUNSUPPORTED);
    assert_non_null(strstr(nasw_errmsg(), "a budget in epochs needs per-epoch curves"));
    space_free(x.s);
}

/* A space smaller than a bracket: configurations of a bracket stay
 * distinct, and once every bracket only repeats, the run ends (stalled, or
 * exhausted when every member was trained fully). */
static void test_mf_small_space(void **state)
{
    (void)state;
    static const char *names[] = {"sh", "hyperband", "bohb"};
    for (int i = 0; i < 3; i++) {
        struct synth x;
        synth_init(&x, 2, 3, 5); /* 9 architectures */
        struct search_trace t;
        run(&x, names[i], 100000, 0, 1, &t);
        check_protocol(names[i], &t);
        assert_true(t.stop == SEARCH_STOP_STALLED || t.stop == SEARCH_STOP_EXHAUSTED);
        long full = 0;
        for (long k = 0; k < t.n; k++) full += t.steps[k].fidelity == 0;
        assert_true(full >= 1 && t.n <= 9 * 4); /* 4 fidelities: 1, 3, 9, 27 epochs */
        search_trace_release(&t);
        space_free(x.s);
    }
}

/* --- strategy-specific ---------------------------------------------------- */

static int is_neighbour(const struct arch *a, const struct arch *b)
{
    int diff = 0;
    for (int i = 0; i < a->n; i++) diff += a->d[i] != b->d[i];
    return diff == 1;
}

/* Aging evolution keeps the last `population` children (every new child is
 * a mutation of one of them); the non-aging variant keeps the best. */
static void check_survivors(double aging, const int *survivors)
{
    const struct search_type *t = search_find("evolution");
    struct synth x;
    synth_init(&x, 8, 6, 4); /* 1.7 M architectures: accidental neighbours are rare */
    double v[6] = {5, 3, aging, 100, 0, 1}; /* every evolution parameter, inherit=0 */
    struct rng *r = rng_new(1);
    void *st = t->alloc(v, x.s, r);
    struct query q;
    struct bench_result res = {0};
    struct arch told[12];
    for (int i = 0; i < 12; i++) {
        assert_int_equal(t->propose(st, &q), NASW_OK);
        told[i] = q.arch;
        /* the 5 initial members score 100..104, the 7 children 7..13 */
        res.score = i < 5 ? 100 + i : i + 2;
        t->observe(st, &q, &res);
    }
    for (int k = 0; k < 50; k++) {
        assert_int_equal(t->propose(st, &q), NASW_OK);
        int ok = 0;
        for (int j = 0; j < 5; j++) ok |= is_neighbour(&q.arch, &told[survivors[j]]);
        if (!ok) fail_msg("aging=%g: child %d is not a mutation of a survivor", aging, k);
    }
    t->free(st);
    rng_free(r);
    space_free(x.s);
}

static void test_evolution_aging(void **state)
{
    (void)state;
    int last[5] = {7, 8, 9, 10, 11}, best[5] = {0, 1, 2, 3, 4};
    check_survivors(1, last);
    check_survivors(0, best);
}

static int cmp_desc(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

/* Warm starts (init=zc:COLUMN:pool=N), every strategy that takes one: with
 * a pool covering the space, the first `count` queries are exactly the
 * best `count` architectures by the column, best first; with a smaller
 * pool, distinct and in non-increasing order; same seed, same trace; the
 * spec's full form carries the warm start; bad warm starts are refused. */
static void test_warm_start(void **state)
{
    (void)state;
    struct synth x;
    synth_init(&x, 6, 4, 17);
    long size = (long)space_count(x.s);
    double *all = malloc(sizeof *all * (size_t)size);
    assert_non_null(all);
    for (long k = 0; k < size; k++) {
        struct arch a;
        arch_from_key(x.s, (uint64_t)k, &a);
        all[k] = synth_score(&x, &a);
    }
    qsort(all, (size_t)size, sizeof *all, cmp_desc);
    int n_warm = 0;
    for (int i = 0; search_registry[i]; i++) {
        const struct search_type *t = search_registry[i];
        if (!t->warm) continue;
        n_warm++;
        char spec_s[128], full[512];
        snprintf(spec_s, sizeof spec_s, "%s:%s=12:init=zc:proxy:pool=5000", t->name, t->warm_param);
        struct search_spec spec;
        assert_int_equal(search_spec_parse(spec_s, &spec), NASW_OK);
        assert_int_equal(search_warm_check(&spec, &x.b), NASW_OK);
        assert_int_equal(search_spec_format(&spec, full, sizeof full), NASW_OK);
        if (!strstr(full, ":init=zc:proxy:pool=5000")) fail_msg("%s: full form '%s'", t->name, full);
        struct search_trace a, b, c;
        x.b.max_epochs = 0;
        run(&x, spec_s, 40, 0, 3, &a);
        run(&x, spec_s, 40, 0, 3, &b);
        assert_true(traces_equal(&a, &b));
        for (int k = 0; k < 12; k++)
            if (a.steps[k].val != all[k]) fail_msg("%s: warm query %d scores %g, rank %d is %g", t->name, k + 1,
                                                   a.steps[k].val, k + 1, all[k]);
        /* a 100-architecture pool: its best 12, best first */
        snprintf(spec_s, sizeof spec_s, "%s:%s=12:init=zc:proxy:pool=100", t->name, t->warm_param);
        run(&x, spec_s, 40, 0, 3, &c);
        for (int k = 1; k < 12; k++) {
            assert_true(c.steps[k].val <= c.steps[k - 1].val);
            assert_true(c.steps[k].key != c.steps[k - 1].key);
        }
        search_trace_release(&a);
        search_trace_release(&b);
        search_trace_release(&c);
        /* refused: a pool smaller than the initial count, a column the bench lacks */
        snprintf(spec_s, sizeof spec_s, "%s:%s=12:init=zc:proxy:pool=11", t->name, t->warm_param);
        assert_int_equal(search_spec_parse(spec_s, &spec), NASW_OK);
        assert_int_equal(search_warm_check(&spec, &x.b), NASW_EINVAL);
        snprintf(spec_s, sizeof spec_s, "%s:init=zc:nope", t->name);
        assert_int_equal(search_spec_parse(spec_s, &spec), NASW_OK);
        assert_int_equal(search_warm_check(&spec, &x.b), NASW_ENOTFOUND);
        x.b.max_epochs = SYNTH_EPOCHS;
    }
    assert_true(n_warm >= 4);
    expect_spec_error("random:init=zc:proxy", "takes no warm start");
    expect_spec_error("evolution:init=zc", "needs a column");
    expect_spec_error("evolution:init=zc:proxy:pool=0", "pool '0'");
    expect_spec_error("evolution:init=zc:a:init=zc:b", "given twice");
    expect_spec_error("evolution:init=greedy", "unknown initialisation");
    free(all);
    space_free(x.s);
}

static void test_local_finds_optimum(void **state)
{
    (void)state;
    /* a separable score is unimodal under one-decision moves: hill climbing
     * reaches the optimum within init + a few neighbourhoods */
    struct synth x;
    synth_init(&x, 8, 5, 13);
    double opt = 0;
    for (int i = 0; i < 8; i++) {
        double m = 0;
        for (int k = 0; k < 5; k++) m = fmax(m, x.w[i][k]);
        opt += m;
    }
    struct search_trace t;
    run(&x, "local", 10 + 8 * 32, 0, 1, &t);
    assert_true(fabs(t.steps[t.n - 1].best_val - opt) < 1e-12);
    search_trace_release(&t);
    space_free(x.s);
}

static void test_reinforce_gradient(void **state)
{
    (void)state;
    struct space *s;
    int c[3] = {3, 5, 2};
    assert_int_equal(space_chain_new(&s, 3, c), NASW_OK);
    struct rng *r = rng_new(3);
    double th[10], g[10];
    for (int i = 0; i < 10; i++) th[i] = rng_gaussian(r, 1.0);
    struct arch a;
    arch_sample(s, r, &a);
    reinforce_logprob(s, th, &a, g);
    double worst = 0;
    for (int i = 0; i < 10; i++) {
        double h = 1e-6, save = th[i];
        th[i] = save + h;
        double lp = reinforce_logprob(s, th, &a, NULL);
        th[i] = save - h;
        double lm = reinforce_logprob(s, th, &a, NULL);
        th[i] = save;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, fabs(fd - g[i]) / fmax(1e-3, fabs(fd)));
    }
    assert_true(worst < 1e-6);
    /* the probabilities of all architectures sum to one */
    double tot = 0;
    for (int k0 = 0; k0 < 3; k0++)
        for (int k1 = 0; k1 < 5; k1++)
            for (int k2 = 0; k2 < 2; k2++) {
                struct arch b = a;
                b.d[0] = (uint16_t)k0;
                b.d[1] = (uint16_t)k1;
                b.d[2] = (uint16_t)k2;
                tot += exp(reinforce_logprob(s, th, &b, NULL));
            }
    assert_true(fabs(tot - 1) < 1e-12);
    rng_free(r);
    space_free(s);

    /* the policy concentrates on the best value of a separable reward */
    struct synth x;
    synth_init(&x, 3, 4, 21);
    const struct search_type *t = search_find("reinforce");
    double v[8] = {0.1, 0.9, 0.9, 0.999, 100, 0, 32, 32}; /* controller=factorized */
    r = rng_new(8);
    void *st = t->alloc(v, x.s, r);
    struct query q;
    struct bench_result res = {0};
    for (int it = 0; it < 2000; it++) {
        t->propose(st, &q);
        res.score = 10 * synth_score(&x, &q.arch);
        t->observe(st, &q, &res);
    }
    int hits = optimum_hits(t, st, &x);
    print_message("reinforce: %d/100 samples are the optimum after 2000 updates\n", hits);
    assert_true(hits > 80);
    t->free(st);
    rng_free(r);
    space_free(x.s);
}

/* PPO (both policies) and MetaQNN's Q-learning concentrate on the best
 * value of a separable reward, like REINFORCE above (Q-learning keeps
 * epsilon = 0.1, so at best 0.925^3 = 79% of its samples are the optimum);
 * a clip range of 1e-6 (almost no step allowed per batch) learns far less
 * in the same queries. */
static void test_ppo_qlearn(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int min_hits;
    } cases[] = {{"ppo:controller=factorized:lr=0.1", 80}, {"ppo:lr=0.01", 80}, {"qlearn:explore=300:step=20", 60}};
    int hits_of[3];
    for (int c = 0; c < 3; c++) {
        struct synth x;
        synth_init(&x, 3, 4, 21);
        struct search_spec spec;
        assert_int_equal(search_spec_parse(cases[c].spec, &spec), NASW_OK);
        struct rng *r = rng_new(8);
        void *st = spec.type->alloc(spec.values, x.s, r);
        assert_non_null(st);
        struct query q;
        struct bench_result res = {0};
        for (int it = 0; it < 1500; it++) {
            spec.type->propose(st, &q);
            res.score = 10 * synth_score(&x, &q.arch);
            spec.type->observe(st, &q, &res);
        }
        hits_of[c] = optimum_hits(spec.type, st, &x);
        print_message("%s: %d/100 samples are the optimum after 1500 results\n", cases[c].spec, hits_of[c]);
        assert_true(hits_of[c] > cases[c].min_hits);
        spec.type->free(st);
        rng_free(r);
        space_free(x.s);
    }
    /* the clip: after 400 results (40 batches of 4 epochs), a clip of 1e-6
     * lets about one Adam step per batch through, a clip of 10 all four */
    const char *clips[2] = {"ppo:controller=factorized:lr=0.02:clip=0.000001", "ppo:controller=factorized:lr=0.02:clip=10"};
    int h[2];
    for (int c = 0; c < 2; c++) {
        struct synth x;
        synth_init(&x, 3, 4, 21);
        struct search_spec spec;
        assert_int_equal(search_spec_parse(clips[c], &spec), NASW_OK);
        struct rng *r = rng_new(8);
        void *st = spec.type->alloc(spec.values, x.s, r);
        struct query q;
        struct bench_result res = {0};
        for (int it = 0; it < 400; it++) {
            spec.type->propose(st, &q);
            res.score = 10 * synth_score(&x, &q.arch);
            spec.type->observe(st, &q, &res);
        }
        h[c] = optimum_hits(spec.type, st, &x);
        print_message("%s: %d/100 after 400 results\n", clips[c], h[c]);
        spec.type->free(st);
        rng_free(r);
        space_free(x.s);
    }
    assert_true(2 * h[0] + 10 < h[1]);
}

/* The LSTM controller: d log pi / d every parameter against central finite
 * differences (float: h = 1e-2, relative tolerance 2%), probabilities that
 * sum to one, determinism, and concentration on the optimum. */
static void test_reinforce_lstm(void **state)
{
    (void)state;
    struct space *s;
    int c[3] = {3, 5, 2};
    assert_int_equal(space_chain_new(&s, 3, c), NASW_OK);
    struct rng *r = rng_new(4);
    struct rf_lstm *ctl = rf_lstm_new(s, 4, 5, r);
    assert_non_null(ctl);
    size_t n;
    float *w = rf_lstm_block(ctl, 0, &n), *g = rf_lstm_block(ctl, 1, NULL);
    for (size_t i = 0; i < n; i++) w[i] = (float)rng_gaussian(r, 0.6);
    struct arch a;
    rf_lstm_sample(ctl, r, &a);
    rf_lstm_logprob(ctl, &a, 1);
    float *an = malloc(sizeof *an * n);
    memcpy(an, g, sizeof *an * n);
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        float save = w[i], h = 1e-2f;
        w[i] = save + h;
        double lp = rf_lstm_logprob(ctl, &a, 0);
        w[i] = save - h;
        double lm = rf_lstm_logprob(ctl, &a, 0);
        w[i] = save;
        double fd = (lp - lm) / (2.0 * (double)h);
        if (fabs(fd - an[i]) > 2e-4 + 2e-2 * fabs(fd))
            fail_msg("controller parameter %zu of %zu: analytic %g, finite difference %g", i, n, an[i], fd);
        nonzero += fd != 0;
    }
    assert_true(nonzero > (int)n / 2);
    free(an);
    double tot = 0;
    for (int k0 = 0; k0 < 3; k0++)
        for (int k1 = 0; k1 < 5; k1++)
            for (int k2 = 0; k2 < 2; k2++) {
                struct arch b = a;
                b.d[0] = (uint16_t)k0;
                b.d[1] = (uint16_t)k1;
                b.d[2] = (uint16_t)k2;
                tot += exp(rf_lstm_logprob(ctl, &b, 0));
            }
    assert_true(fabs(tot - 1) < 1e-5);
    /* sampling follows the distribution: the empirical frequency of a */
    int hits = 0;
    double pa = exp(rf_lstm_logprob(ctl, &a, 0));
    for (int i = 0; i < 4000; i++) {
        struct arch b;
        rf_lstm_sample(ctl, r, &b);
        hits += arch_equal(&a, &b);
    }
    assert_true(fabs(hits / 4000.0 - pa) < 4 * sqrt(pa * (1 - pa) / 4000) + 1e-3);
    rf_lstm_free(ctl);
    rng_free(r);
    space_free(s);

    /* same seed, same trace; different seed, different trace */
    struct synth x;
    synth_init(&x, 6, 4, 11);
    struct search_trace t1, t2, t3;
    run(&x, "reinforce:controller=lstm", 100, 0, 5, &t1);
    run(&x, "reinforce:controller=lstm", 100, 0, 5, &t2);
    run(&x, "reinforce:controller=lstm", 100, 0, 6, &t3);
    assert_true(traces_equal(&t1, &t2));
    assert_false(traces_equal(&t1, &t3));
    search_trace_release(&t1);
    search_trace_release(&t2);
    search_trace_release(&t3);
    space_free(x.s);

    /* the controller concentrates on the best architecture */
    synth_init(&x, 3, 4, 21);
    const struct search_type *t = search_find("reinforce");
    struct search_spec spec;
    assert_int_equal(search_spec_parse("reinforce:controller=lstm:stall=1000000000", &spec), NASW_OK);
    r = rng_new(8);
    void *st = t->alloc(spec.values, x.s, r);
    assert_non_null(st);
    struct query q;
    struct bench_result res = {0};
    for (int it = 0; it < 1000; it++) {
        t->propose(st, &q);
        res.score = 10 * synth_score(&x, &q.arch);
        t->observe(st, &q, &res);
    }
    hits = optimum_hits(t, st, &x);
    print_message("reinforce:controller=lstm: %d/100 samples are the optimum after 1000 updates\n", hits);
    assert_true(hits > 80);
    t->free(st);
    rng_free(r);
    space_free(x.s);
}

/* pnas's progressive beam search (cells node by node, chains layer by
 * layer): deterministic, only members, and better than random search */
static void test_pnas_progressive(void **state)
{
    (void)state;
    for (int cell = 0; cell < 3; cell++) {
        double mine = 0, rnd = 0;
        for (int seed = 1; seed <= 4; seed++) {
            struct synth x;
            synth_init(&x, cell ? 10 : 8, 5, 31);
            if (cell == 1) { /* 5 nodes, 10 edges, 5 ops: 9.8M cells, grown in 4 levels */
                space_free(x.s);
                assert_int_equal(space_cell_new(&x.s, 5, arch_nb201_ops, 5), NASW_OK);
                x.b.space = x.s;
            }
            if (cell == 2) { /* DARTS cells (wide, 1.08e18), grown block by block in both cells */
                space_free(x.s);
                assert_int_equal(space_darts_new(&x.s), NASW_OK);
                x.b.space = x.s;
                struct rng *r = rng_new(31);
                for (int i = 0; i < 32; i++)
                    for (int k = 0; k < 10; k++) x.w[i][k] = rng_uniform(r);
                rng_free(r);
            }
            x.strict = 1;
            struct search_trace a, b;
            const char *spec = "pnas:progressive=1:beam=8:completions=4:expand=64:ensemble=2:k=5";
            run(&x, spec, 60, 0, (uint64_t)seed, &a);
            if (seed == 1) {
                run(&x, spec, 60, 0, 1, &b);
                if (!traces_equal(&a, &b)) fail_msg("%s: same seed, different traces", spec);
                search_trace_release(&b);
            }
            mine += a.steps[a.n - 1].best_val / 4;
            run(&x, "random", 60, 0, (uint64_t)seed, &b);
            rnd += b.steps[b.n - 1].best_val / 4;
            search_trace_release(&a);
            search_trace_release(&b);
            space_free(x.s);
        }
        print_message("pnas progressive (%s): mean best %.4f, random %.4f\n", cell == 2 ? "darts" : cell ? "cell" : "chain",
                      mine, rnd);
        assert_true(mine > rnd);
    }
}

/* pnas:target=rank fits the ranks of the told scores, so a monotone warp
 * of the search metric leaves its proposals unchanged (for every
 * acquisition function), while target=raw sees the warp; and the expected
 * improvement it shares with bo matches its closed form. */
static void test_pnas_rank_targets(void **state)
{
    (void)state;
    const char *acq[] = {"ucb:kappa=1", "ei", "ts"};
    for (int j = 0; j < 3; j++) {
        char spec[128];
        snprintf(spec, sizeof spec, "pnas:target=rank:acq=%s:ensemble=2:pool=200:epochs=20", acq[j]);
        struct search_trace a, b;
        struct synth x;
        synth_init(&x, 6, 4, 41);
        run(&x, spec, 40, 0, 3, &a);
        x.warp = 1;
        run(&x, spec, 40, 0, 3, &b);
        assert_int_equal(a.n, b.n);
        for (long i = 0; i < a.n; i++)
            if (a.steps[i].key != b.steps[i].key) fail_msg("%s: query %ld differs under a monotone warp", spec, i + 1);
        search_trace_release(&a);
        search_trace_release(&b);
        if (j == 0) { /* the raw targets do see the warp */
            run(&x, "pnas:target=raw:ensemble=2:pool=200:epochs=20", 40, 0, 3, &a);
            x.warp = 0;
            run(&x, "pnas:target=raw:ensemble=2:pool=200:epochs=20", 40, 0, 3, &b);
            int differ = 0;
            for (long i = 0; i < a.n && i < b.n; i++) differ += a.steps[i].key != b.steps[i].key;
            assert_true(differ > 0);
            search_trace_release(&a);
            search_trace_release(&b);
        }
        space_free(x.s);
    }
    /* EI at mu = best is sd / sqrt(2 pi); far below best, ~0; far above, mu - best */
    assert_true(fabs(smbo_ei(1, 2, 1) - 2 / sqrt(2 * 3.14159265358979323846)) < 1e-12);
    assert_true(smbo_ei(-10, 1, 0) < 1e-20 && smbo_ei(-10, 1, 0) >= 0);
    assert_true(fabs(smbo_ei(10, 1, 0) - 10) < 1e-12);
    assert_true(smbo_ei(0.5, 0, 0) == 0.5 && smbo_ei(-0.5, 0, 0) == 0);
    /* increasing in mu and in sd */
    assert_true(smbo_ei(0.1, 1, 0) > smbo_ei(0, 1, 0) && smbo_ei(0, 1.1, 0) > smbo_ei(0, 1, 0));
}

int main(void)
{
    const char *only = getenv("NASW_TEST_FILTER"); /* e.g. "test_pnas*" while iterating */
    if (only) cmocka_set_test_filter(only);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specs),
        cmocka_unit_test(test_registry_protocol),
        cmocka_unit_test(test_registry_restricted),
        cmocka_unit_test(test_registry_progress),
        cmocka_unit_test(test_bo_models),
        cmocka_unit_test(test_oneshot),
        cmocka_unit_test(test_oneshot_resume),
        cmocka_unit_test(test_hyperband_brackets),
        cmocka_unit_test(test_sh_accounting),
        cmocka_unit_test(test_ppo_qlearn),
        cmocka_unit_test(test_mf_needs_curves),
        cmocka_unit_test(test_mf_small_space),
        cmocka_unit_test(test_budget_seconds_and_failures),
        cmocka_unit_test(test_async),
        cmocka_unit_test(test_objectives),
        cmocka_unit_test(test_evolution_aging),
        cmocka_unit_test(test_local_finds_optimum),
        cmocka_unit_test(test_warm_start),
        cmocka_unit_test(test_reinforce_gradient),
        cmocka_unit_test(test_reinforce_lstm),
        cmocka_unit_test(test_pnas_progressive),
        cmocka_unit_test(test_registry_wide),
        cmocka_unit_test(test_dedupe_iso),
        cmocka_unit_test(test_pnas_rank_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
