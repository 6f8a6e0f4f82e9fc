/*
 * search/run.c - search_run(): the one loop that asks, queries and tells.
 *
 * It is the only caller of bench_query().  It owns the budget (queries,
 * seconds or epochs, charged identically for every strategy and backend),
 * the cache that makes repeated (architecture, epochs) queries free, the
 * continuation charge of partial trainings, the incumbent bookkeeping and
 * the run log (rules in search/search.h).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/runlog.h"
#include "core/status.h"
#include "search/search.h"
#include "search/warm.h"

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
    free(t->obj);
    memset(t, 0, sizeof *t);
}

static int push_step(struct search_trace *t, const struct search_step *s, const struct bench_result *r)
{
    if (t->n == t->cap) {
        long cap = t->cap ? 2 * t->cap : 256;
        struct search_step *p = realloc(t->steps, (size_t)cap * sizeof *p);
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        t->steps = p;
        if (t->n_obj > 0) {
            double *o = realloc(t->obj, (size_t)cap * 2 * (size_t)t->n_obj * sizeof *o);
            if (!o) return nasw_errorf(NASW_ENOMEM, "out of memory");
            t->obj = o;
        }
        t->cap = cap;
    }
    if (t->n_obj > 0) {
        double *o = t->obj + (size_t)t->n * 2 * (size_t)t->n_obj;
        memcpy(o, r->obj, sizeof *o * (size_t)t->n_obj);
        memcpy(o + t->n_obj, r->obj_report, sizeof *o * (size_t)t->n_obj);
    }
    t->steps[t->n++] = *s;
    return NASW_OK;
}

static const char *budget_unit(enum budget_kind k)
{
    return k == BUDGET_SECONDS ? "seconds" : k == BUDGET_EPOCHS ? "epochs" : "queries";
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
        .budget_unit = budget_unit(o->kind),
    };
    return runlog_header(o->log, &h);
}

/* What the run knows of one architecture: how far it was trained (for the
 * continuation charge) and its evaluations, one per fidelity (a chain
 * through run_state.fid). */
struct arch_state {
    int trained;          /* most epochs trained in this run (INT_MAX: fully,
                             length unknown) */
    double trained_cost;  /* cost_s of the answer at `trained` epochs */
    int full;             /* trained fully */
    long head;            /* first fid entry, -1 if none */
};

struct fid_entry {
    int fidelity;         /* normalised epochs, 0 = full */
    long step;            /* index into the trace */
    long next;
};

struct run_state {
    struct bench *b;
    const struct space *s;
    const struct search_run_opts *o;
    struct search_trace *tr;
    struct hashmap archs; /* key -> index into as[] */
    struct arch_state *as;
    long n_as, cap_as;
    struct fid_entry *fid;
    long n_fid, cap_fid;
    long n_full;          /* architectures trained fully */
    double total, total_epochs, best_score, best_val, test_at_best;
    int best_level;       /* fidelity level of the incumbent (INT_MAX: full) */
    long best_step;       /* its step, -1 if none */
    double weight[OBJ_MAX]; /* the scalarisation on several objectives */
    int iso;              /* dedupe=iso: repeats by isomorphism class */
    struct rng *noise;    /* the bench answers per seed: the seed draws (a stream of their own) */
    struct hashmap iso_rep; /* hash of the canonical string -> key of the class's first member */
};

/* The key the cache files a query under: its own, or with dedupe=iso the
 * key of the first architecture of its isomorphism class (arch_canonical).
 * The hash of the canonical string only finds the candidate; the
 * candidate's own canonical string must be equal, and on a collision of two
 * classes the next probe of the hash is tried. */
static int class_key(struct run_state *rs, const struct arch *a, uint64_t *key)
{
    char canon[ARCH_STR_MAX], other[ARCH_STR_MAX];
    *key = arch_key(rs->s, a);
    if (!rs->iso) return NASW_OK;
    int st = arch_canonical(rs->s, a, canon, sizeof canon);
    if (st) return st;
    uint64_t h = nasw_fnv1a(NASW_FNV_OFFSET, canon, strlen(canon));
    for (;;) {
        int64_t rep;
        if (!hashmap_get(&rs->iso_rep, h, &rep))
            return hashmap_put(&rs->iso_rep, h, (int64_t)*key) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
        struct arch b;
        arch_from_key(rs->s, (uint64_t)rep, &b);
        if ((st = arch_canonical(rs->s, &b, other, sizeof other))) return st;
        if (!strcmp(canon, other)) {
            *key = (uint64_t)rep;
            return NASW_OK;
        }
        h = h * 0x9e3779b97f4a7c15ULL + 1;
    }
}

/* The score a strategy is told under objectives or constraints: infeasible
 * answers score -INFINITY; a single-objective strategy on several
 * objectives gets the run's random scalarisation (search/search.h). */
static void moo_score(const struct run_state *rs, struct bench_result *r)
{
    const struct bench *b = rs->b;
    if (r->failed) return;
    if (r->infeasible) {
        r->score = -INFINITY;
        return;
    }
    if (b->obj.n < 2) return;
    double mn = INFINITY, sum = 0;
    for (int k = 0; k < b->obj.n; k++) {
        double f = r->oobj[k];
        double w = b->obj.maximize[k] ? b->obj_worst[k] : -b->obj_worst[k];
        double be = b->obj.maximize[k] ? b->obj_best[k] : -b->obj_best[k];
        if (isfinite(w) && isfinite(be) && be > w) f = (f - w) / (be - w);
        mn = fmin(mn, rs->weight[k] * f);
        sum += rs->weight[k] * f;
    }
    r->score = isnan(mn) ? -INFINITY : mn + 0.05 * sum;
}

/* Queries at max_epochs or more are full trainings: one cache entry. */
static int normalise(const struct bench *b, int epochs)
{
    return epochs <= 0 || (b->max_epochs > 0 && epochs >= b->max_epochs) ? 0 : epochs;
}

static int grow(void **p, long *cap, long need, size_t size)
{
    if (need <= *cap) return NASW_OK;
    long c = *cap ? 2 * *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return nasw_errorf(NASW_ENOMEM, "out of memory");
    *p = q;
    *cap = c;
    return NASW_OK;
}

/* The state of an architecture, created on first use (NULL: out of memory). */
static struct arch_state *arch_state_of(struct run_state *rs, uint64_t key)
{
    int64_t idx;
    if (hashmap_get(&rs->archs, key, &idx)) return &rs->as[idx];
    if (grow((void **)&rs->as, &rs->cap_as, rs->n_as + 1, sizeof *rs->as) ||
        hashmap_put(&rs->archs, key, rs->n_as)) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    rs->as[rs->n_as] = (struct arch_state){.head = -1};
    return &rs->as[rs->n_as++];
}

/* A counted query: the charge, the incumbent, the step, the cache, the log,
 * the progress. */
static int record(struct run_state *rs, const struct query *q, uint64_t key, const struct bench_result *res)
{
    const struct search_run_opts *o = rs->o;
    struct arch_state *as = arch_state_of(rs, key);
    if (!as) return NASW_ENOMEM;
    int fidelity = normalise(rs->b, q->epochs);
    /* epochs answered; a full training of unknown length counts as the
     * longest (a table without curves: charged its cost, no epochs) */
    int answered = res->epochs > 0 ? res->epochs : fidelity > 0 ? fidelity : rs->b->max_epochs;
    int pos = res->epochs > 0 || fidelity > 0 ? answered : INT_MAX;
    /* continued from what this run trained, unless the backend retrained */
    int from = as->trained;
    double from_cost = as->trained_cost;
    if (res->from_epochs >= 0 && res->from_epochs < from) from = 0, from_cost = 0;
    int ep_charged = 0;
    double charged = 0.0;
    if (pos > from) {
        ep_charged = answered > from ? answered - from : 0;
        charged = res->cost_s - from_cost;
        if (charged < 0) charged = 0;
    }
    if (pos > as->trained) {
        as->trained = pos;
        as->trained_cost = res->cost_s;
    }
    rs->total += charged; /* 0 when the bench knows no cost */
    rs->total_epochs += ep_charged;
    int level = fidelity == 0 ? INT_MAX : answered;
    if (!res->failed && !res->infeasible && (level > rs->best_level || (level == rs->best_level && res->score > rs->best_score))) {
        rs->best_level = level;
        rs->best_score = res->score;
        rs->best_val = res->val;
        rs->test_at_best = res->test;
        rs->best_step = rs->tr->n;
    }
    if (fidelity == 0 && !as->full) {
        as->full = 1;
        rs->n_full++;
    }
    struct search_step step = {.key = key, .val = res->val, .test = res->test, .cost_s = charged,
                               .total_cost_s = rs->total, .best_val = rs->best_val,
                               .test_at_best = rs->test_at_best, .epochs = res->epochs,
                               .fidelity = fidelity, .epochs_charged = ep_charged,
                               .total_epochs = rs->total_epochs, .incumbent = rs->best_step,
                               .failed = res->failed, .infeasible = res->infeasible};
    int st = push_step(rs->tr, &step, res);
    if (st || (st = grow((void **)&rs->fid, &rs->cap_fid, rs->n_fid + 1, sizeof *rs->fid))) return st;
    rs->fid[rs->n_fid] = (struct fid_entry){fidelity, rs->tr->n - 1, as->head};
    as->head = rs->n_fid++;
    if (o->log) {
        char arch[ARCH_STR_MAX];
        arch_format(rs->s, &q->arch, arch, sizeof arch);
        struct runlog_query lq = {.query = rs->tr->n, .arch = arch, .val = res->val, .test = res->test,
                                  .cost_s = charged, .total_cost_s = rs->total, .best_val = rs->best_val,
                                  .test_at_best = rs->test_at_best, .epochs = res->epochs,
                                  .epochs_charged = ep_charged, .total_epochs = rs->total_epochs,
                                  .failed = res->failed};
        if ((st = runlog_query(o->log, &lq))) return st;
    }
    if (o->progress) {
        double done = o->kind == BUDGET_QUERIES ? (double)rs->tr->n
                      : o->kind == BUDGET_SECONDS ? rs->total : rs->total_epochs;
        o->progress(o->progress_arg, done / o->budget);
    }
    return NASW_OK;
}

/* The cached answer of (architecture, epochs) already evaluated in this run. */
static int cached(struct run_state *rs, uint64_t key, int epochs, struct bench_result *res)
{
    int64_t idx;
    if (!hashmap_get(&rs->archs, key, &idx)) return 0;
    int fidelity = normalise(rs->b, epochs);
    for (long e = rs->as[idx].head; e >= 0; e = rs->fid[e].next) {
        if (rs->fid[e].fidelity != fidelity) continue;
        const struct search_step *p = &rs->tr->steps[rs->fid[e].step];
        memset(res, 0, sizeof *res);
        res->val = p->val;
        res->test = p->test;
        res->cost_s = p->cost_s;
        res->epochs = p->epochs;
        res->from_epochs = -1;
        res->failed = p->failed;
        res->infeasible = p->infeasible;
        res->score = p->failed ? -INFINITY : bench_score(rs->b, p->val);
        if (rs->tr->n_obj > 0) {
            const struct bench *b = rs->b;
            const double *o = rs->tr->obj + (size_t)rs->fid[e].step * 2 * (size_t)rs->tr->n_obj;
            for (int k = 0; k < b->obj.n; k++) {
                res->obj[k] = o[k];
                res->oobj[k] = b->obj.maximize[k] ? o[k] : -o[k];
                res->obj_report[k] = o[b->obj.n + k];
            }
        }
        moo_score(rs, res);
        return 1;
    }
    return 0;
}

static int budget_spent(const struct run_state *rs, long inflight)
{
    const struct search_run_opts *o = rs->o;
    switch (o->kind) {
    case BUDGET_QUERIES: return (double)(rs->tr->n + inflight) >= o->budget;
    case BUDGET_SECONDS: return rs->total >= o->budget;
    case BUDGET_EPOCHS: return rs->total_epochs >= o->budget;
    }
    return 1;
}

/* The next proposal, unless the budget is spent or the space used up
 * (counting `inflight` evaluations still running): *stop is then set, with
 * the stop reason in the trace.  *stop = 2: the strategy waits for results
 * (NASW_EAGAIN). */
static int next_proposal(struct run_state *rs, const struct search_type *t, void *st, long inflight,
                         struct query *q, int *stop)
{
    *stop = 1;
    if (budget_spent(rs, inflight)) return NASW_OK;
    if ((uint64_t)(rs->n_full + inflight) >= space_count(rs->s)) {
        rs->tr->stop = SEARCH_STOP_EXHAUSTED;
        return NASW_OK;
    }
    memset(q, 0, sizeof *q);
    int ps = t->propose(st, q);
    if (ps == NASW_EDONE) {
        rs->tr->stop = SEARCH_STOP_EXHAUSTED;
        return NASW_OK;
    }
    if (ps == NASW_EAGAIN && inflight > 0) {
        *stop = 2;
        return NASW_OK;
    }
    if (ps == NASW_EAGAIN)
        return nasw_errorf(NASW_EINVAL, "strategy '%s' waits for results but none is outstanding", t->name);
    if (ps) return ps;
    NASW_ASSERT(space_contains(rs->s, &q->arch));
    /* the strategy's own cost (a supernet) is on the clock before its query */
    rs->total += q->overhead_s;
    rs->total_epochs += q->overhead_epochs;
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
        uint64_t key;
        if ((status = class_key(rs, &q.arch, &key))) return status;
        struct bench_result res;
        if (cached(rs, key, q.epochs, &res)) {
            /* a repeat: free, not counted, not logged, but told */
            if (++repeats >= max_repeats) {
                rs->tr->stop = SEARCH_STOP_STALLED;
                break;
            }
        } else {
            repeats = 0;
            int seed = rs->noise ? (int)rng_int(rs->noise, (uint64_t)rs->b->noise_seeds) : -1;
            status = q.inherit_epochs > 0 ? bench_query_inherit(rs->b, &q.arch, &q.parent, q.inherit_epochs, &res)
                                          : bench_query_seed(rs->b, &q.arch, q.epochs, seed, &res);
            if (status) return status;
            moo_score(rs, &res);
            if ((status = record(rs, &q, key, &res))) return status;
        }
        if ((status = t->observe(st, &q, &res))) return status;
    }
    return NASW_OK;
}

/* An evaluation in flight: the architecture and the fidelity asked. */
struct flight {
    uint64_t key;
    int fidelity;
    struct query q;
};

/* Several evaluations outstanding.  A proposal of an (architecture, epochs)
 * in flight waits for that evaluation and is told its result too; a
 * proposal of an architecture in flight at another fidelity waits until it
 * lands and is then evaluated (a training is never run twice at once). */
static int run_async(struct run_state *rs, const struct search_type *t, void *st)
{
    const struct search_evaluator *ev = rs->o->eval;
    long max_repeats = rs->o->max_repeats > 0 ? rs->o->max_repeats : 100000, repeats = 0;
    struct flight *flight = malloc(sizeof *flight * (size_t)ev->slots);
    struct query *waiting = NULL;
    long n_flight = 0, n_wait = 0, cap_wait = 0;
    int status = NASW_OK, proposing = 1;
    if (!flight) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (;;) {
        /* held-back proposals whose architecture has landed go first */
        for (long i = 0; i < n_wait && n_flight < ev->slots;) {
            uint64_t key;
            if ((status = class_key(rs, &waiting[i].arch, &key))) goto done;
            int busy = 0;
            for (long k = 0; k < n_flight; k++) busy |= flight[k].key == key;
            struct bench_result res;
            if (busy) {
                i++;
            } else if (cached(rs, key, waiting[i].epochs, &res)) {
                struct query q = waiting[i];
                waiting[i] = waiting[--n_wait];
                if ((status = t->observe(st, &q, &res))) goto done;
            } else {
                if ((status = ev->submit(ev->arg, &waiting[i].arch, waiting[i].epochs))) goto done;
                flight[n_flight++] = (struct flight){key, normalise(rs->b, waiting[i].epochs), waiting[i]};
                waiting[i] = waiting[--n_wait];
            }
        }
        while (proposing && n_flight < ev->slots) {
            struct query q;
            int stop;
            if ((status = next_proposal(rs, t, st, n_flight, &q, &stop))) goto done;
            if (stop == 2) break; /* the strategy waits for a result */
            if (stop) {
                proposing = 0;
                break;
            }
            if (q.inherit_epochs > 0) { /* workers train from scratch only */
                status = nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' inherits weights: not with asynchronous "
                                     "evaluation", t->name);
                goto done;
            }
            uint64_t key;
            if ((status = class_key(rs, &q.arch, &key))) goto done;
            struct bench_result res;
            int in_flight = 0;
            for (long i = 0; i < n_flight; i++) in_flight |= flight[i].key == key;
            if (cached(rs, key, q.epochs, &res) || in_flight) {
                if (++repeats >= max_repeats) {
                    rs->tr->stop = SEARCH_STOP_STALLED;
                    proposing = 0;
                    break;
                }
                if (!in_flight) {
                    if ((status = t->observe(st, &q, &res))) goto done;
                    continue;
                }
                if ((status = grow((void **)&waiting, &cap_wait, n_wait + 1, sizeof *waiting))) goto done;
                waiting[n_wait++] = q;
                continue;
            }
            repeats = 0;
            if ((status = ev->submit(ev->arg, &q.arch, q.epochs))) goto done;
            flight[n_flight++] = (struct flight){key, normalise(rs->b, q.epochs), q};
        }
        if (n_flight == 0) break;
        struct arch a;
        struct bench_result res;
        memset(&a, 0, sizeof a);
        memset(&res, 0, sizeof res);
        if ((status = ev->wait(ev->arg, &a, &res))) goto done;
        if ((status = bench_objectives(rs->b, &a, &res))) goto done;
        bench_finish(rs->b, &res);
        moo_score(rs, &res);
        uint64_t key;
        if ((status = class_key(rs, &a, &key))) goto done;
        struct query q = {.arch = a};
        for (long i = 0; i < n_flight; i++)
            if (flight[i].key == key) {
                q = flight[i].q;
                flight[i] = flight[--n_flight];
                break;
            }
        int fidelity = normalise(rs->b, q.epochs);
        if ((status = record(rs, &q, key, &res)) || (status = t->observe(st, &q, &res))) goto done;
        for (long i = 0; i < n_wait;) {
            uint64_t wkey;
            if ((status = class_key(rs, &waiting[i].arch, &wkey))) goto done;
            if (wkey == key && normalise(rs->b, waiting[i].epochs) == fidelity) {
                if ((status = t->observe(st, &waiting[i], &res))) goto done;
                waiting[i] = waiting[--n_wait];
            } else {
                i++;
            }
        }
    }
done:
    free(flight);
    free(waiting);
    return status;
}

int search_check(const struct search_spec *spec, const struct space *s)
{
    struct rng *r = rng_new(1);
    if (!r) return nasw_errorf(NASW_ENOMEM, "out of memory");
    nasw_errclear();
    void *st = spec->type->alloc(spec->values, s, r);
    int status = st ? NASW_OK : *nasw_errmsg() ? NASW_EINVAL : nasw_errorf(NASW_ENOMEM, "out of memory");
    if (st) spec->type->free(st);
    rng_free(r);
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
                           .best_val = NAN, .test_at_best = NAN, .best_level = INT_MIN, .best_step = -1,
                           .iso = spec->dedupe_iso};
    int status = NASW_OK;
    tr->n_obj = b->obj.n;
    if (b->obj.n >= 2 && !spec->type->multi_objective) {
        /* weights uniform on the simplex, from a stream of their own */
        struct rng *wr = rng_new(o->seed ^ UINT64_C(0x9e3779b97f4a7c15));
        if (!wr) status = nasw_errorf(NASW_ENOMEM, "out of memory");
        double sum = 0;
        for (int k = 0; wr && k < b->obj.n; k++) sum += rs.weight[k] = -log(rng_uniform_pos(wr));
        for (int k = 0; wr && k < b->obj.n; k++) rs.weight[k] /= sum;
        rng_free(wr);
    }
    /* a repeat is answered from the cache, so each architecture draws its
     * seed once, at its first evaluation */
    if (!status && b->noise_seeds > 0 && !(rs.noise = rng_new(o->seed ^ UINT64_C(0x5eed5eed5eed5eed))))
        status = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!status && b->noise_seeds > 0 && o->eval && o->eval->slots > 0)
        status = nasw_errorf(NASW_EUNSUPPORTED, "noisy queries are answered by tables, not by asynchronous evaluators");
    if (spec->type->multi_objective) /* its incumbent: the equal-weight scalarisation */
        for (int k = 0; k < b->obj.n; k++) rs.weight[k] = 1.0 / b->obj.n;
    if (!status && spec->type->multi_objective && b->obj.n < 2)
        status = nasw_errorf(NASW_EINVAL, "strategy '%s' needs at least 2 objectives (--objectives)", spec->type->name);
    if (o->kind == BUDGET_EPOCHS && b->max_epochs <= 0)
        status = nasw_errorf(NASW_EUNSUPPORTED, "a budget in epochs needs per-epoch curves; bench '%.200s' has none",
                             b->name);
    if (!status)
        status = search_spec_check_inherit(spec, b->name, b->ops->query_inherit != NULL, b->max_epochs,
                                           b->obj.n > 0 || b->obj.n_con > 0);
    if (!status && o->eval && o->eval->slots > 0 && search_spec_inherit_epochs(spec) > 0)
        status = nasw_errorf(NASW_EUNSUPPORTED, "strategy '%s' inherits weights: not with asynchronous evaluation",
                             spec->type->name);
    b->keep_weights = search_spec_inherit_epochs(spec) > 0;
    if (!status && spec->type->bind) status = spec->type->bind(st, b);
    struct search_warm warm = {0};
    if (!status && spec->warm_column[0] && !(status = search_warm_build(spec, b, o->seed, &warm)))
        spec->type->warm(st, &warm);
    if (!status && o->log) status = log_header(b, spec, o);
    tr->stop = SEARCH_STOP_BUDGET;
    if (!status) status = o->eval && o->eval->slots > 0 ? run_async(&rs, spec->type, st) : run_sync(&rs, spec->type, st);
    if (!status && o->log) status = runlog_end(o->log, tr->n, rs.total, search_stop_name(tr->stop));
    hashmap_release(&rs.archs);
    hashmap_release(&rs.iso_rep);
    rng_free(rs.noise);
    free(rs.as);
    free(rs.fid);
    spec->type->free(st);
    search_warm_release(&warm);
    rng_free(r);
    if (status) search_trace_release(tr);
    return status;
}
