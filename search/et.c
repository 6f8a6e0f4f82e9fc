/*
 * search/et.c - `et`: Domhan et al.'s early termination of trainings by
 * learning-curve extrapolation (IJCAI 2015), around a full-fidelity strategy.
 *
 * The inner strategy (`base`, with its default parameters) proposes an
 * architecture; the wrapper trains it epoch by epoch (queries at epochs
 * 1, 2, ..., max_epochs: each charged one more epoch by the run loop, as a
 * continued training).  At every check epoch (first, first + every, ...,
 * once at least min_points epochs and one full training are known) the
 * curve so far is extrapolated to max_epochs by surrogate/lcurve.h's MCMC
 * ensemble (lcurve_mcmc with lcurve_default_opts: the computation of
 * lcurve_prob_improve, which also yields the predictive mean; `samples`
 * sets the kept samples and burn-in sweeps, 400 each by default): when
 * P(final > best final so far) < p, the training stops and the inner
 * strategy is told the predicted final value (the mean, clipped to
 * [lo, hi]) at the epochs reached; otherwise the training runs to the end
 * and the inner strategy is told the real result, which may become the best.
 * A diverged training stops at once and is told as failed.
 *
 * cal=1 (default): the MCMC's own P(final > best) is not trusted (on
 * NAS-Bench-201's cosine-schedule curves the families underpredict the final
 * by about 12 points and every training looked hopeless); instead, every
 * training run to the end leaves, per check epoch, its residual final -
 * MCMC mean, and a check's P is the conformal p-value (1 + k) / (n + 1),
 * k of the n past residuals carrying the current mean past the best (Vovk
 * et al. 2005); the told value is the mean moved by the median residual.
 * So nothing stops before 1/p - 1 trainings have run to the end (19 at
 * p = 0.05).  The residuals come from trainings that were not stopped, a
 * selected subset, so the p-value is exact only if stopping does not select
 * on the residual.  cal=0: Domhan et al.'s rule on the raw posterior.
 *
 * An architecture the inner strategy proposes again is answered with what
 * it was told the first time (its queries are replayed from the run's cache:
 * free, not counted).  The metric's range [lo, hi] (accuracy in %: 0, 100)
 * bounds the extrapolation; for a lower-is-better metric the worse end is
 * left open.  Everything is deterministic for the seed: the MCMC draws from
 * an rng seeded once from the run's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "surrogate/lcurve.h"

#define BASES "random|evolution|local|reinforce|bo"

static const struct search_param params[] = {
    {"base", 1, 0, 4, 1, BASES, "inner strategy (its default parameters)"},
    {"p", 0.05, 0, 1, 0, NULL, "stop when P(final > best) is below this"},
    {"every", 0, 0, 1e6, 1, NULL, "epochs between checks (0: a tenth of max_epochs, at least 1)"},
    {"first", 0, 0, 1e6, 1, NULL, "first check epoch (0: every)"},
    {"min_points", 3, 2, 1e6, 1, NULL, "observed epochs needed for a check"},
    {"lo", 0, -1e12, 1e12, 0, NULL, "range of the search metric: worst/best bound"},
    {"hi", 100, -1e12, 1e12, 0, NULL, "range of the search metric: best bound (accuracy %)"},
    {"samples", 400, 20, 1e6, 1, NULL, "MCMC samples kept (and burn-in sweeps; lcurve's default 400)"},
    {"cal", 1, 0, 1, 1, NULL,
     "1: P(final > best) from the extrapolation's residuals on the trainings run to the end (conformal "
     "p-value, no stop before 1/p - 1 of them); 0: the raw MCMC posterior (Domhan et al.)"},
    {0},
};

struct et {
    const struct search_type *inner_t;
    void *inner;
    const struct space *s;
    struct rng *mcmc;
    double p_stop, lo, hi;
    int every, first, min_points, samples;
    int max_epochs, hib;
    /* the training in progress */
    int active, replay;
    int pending;               /* a query of ours is being evaluated */
    struct query inner_q;
    double *y;
    int ny;
    struct bench_result told;
    /* what the inner strategy was told, per architecture */
    struct hashmap known;      /* key -> index */
    struct bench_result *known_res;
    long n_known, cap_known;
    double best;               /* best final search metric, oriented (-inf: none) */
    /* calibration (cal=1): per check epoch c, the MCMC mean of the training
     * in progress and the residuals final - mean of the trainings that ran
     * to the end */
    int cal, ncheck;
    double *cm;                /* ncheck */
    double **res;              /* ncheck arrays */
    int *n_res, *cap_res;
};

static void et_free(void *p)
{
    struct et *e = p;
    if (!e) return;
    if (e->inner) e->inner_t->free(e->inner);
    rng_free(e->mcmc);
    free(e->y);
    for (int c = 0; c < e->ncheck && e->res; c++) free(e->res[c]);
    free(e->res);
    free(e->cm);
    free(e->n_res);
    free(e->cap_res);
    free(e->known_res);
    hashmap_release(&e->known);
    free(e);
}

static void *et_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct et *e = calloc(1, sizeof *e);
    if (!e) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    char name[32];
    const char *p = BASES;
    for (int i = 0; i < (int)v[0]; i++) p = strchr(p, '|') + 1;
    snprintf(name, sizeof name, "%.*s", (int)strcspn(p, "|"), p);
    e->inner_t = search_find(name);
    NASW_ASSERT(e->inner_t && !e->inner_t->multi_fidelity);
    double iv[SEARCH_MAX_PARAMS];
    for (int i = 0; e->inner_t->params && e->inner_t->params[i].name; i++) iv[i] = e->inner_t->params[i].def;
    e->s = s;
    e->p_stop = v[1];
    e->every = (int)v[2];
    e->first = (int)v[3];
    e->min_points = (int)v[4];
    e->lo = v[5];
    e->hi = v[6];
    e->samples = (int)v[7];
    e->cal = (int)v[8];
    e->best = -INFINITY;
    /* the inner strategy draws from the run's rng; the MCMC from its own */
    e->mcmc = rng_new(rng_int(r, UINT64_C(1) << 62));
    if (!e->mcmc || !(e->inner = e->inner_t->alloc(iv, s, r))) {
        if (!e->mcmc) nasw_errorf(NASW_ENOMEM, "out of memory");
        et_free(e);
        return NULL;
    }
    return e;
}

static int et_bind(void *p, const struct bench *b)
{
    struct et *e = p;
    int st = search_needs_curves(b, "et");
    if (st) return st;
    if (!(e->lo < e->hi)) return nasw_errorf(NASW_EINVAL, "strategy 'et': lo=%g must be below hi=%g", e->lo, e->hi);
    e->max_epochs = b->max_epochs;
    e->hib = b->higher_is_better;
    if (e->every == 0) e->every = (int)floor(e->max_epochs / 10.0 + 0.5);
    if (e->every < 1) e->every = 1;
    if (e->first == 0) e->first = e->every;
    if (!(e->y = malloc(sizeof *e->y * (size_t)e->max_epochs))) return nasw_errorf(NASW_ENOMEM, "out of memory");
    e->ncheck = e->first < e->max_epochs ? (e->max_epochs - 1 - e->first) / e->every + 1 : 0;
    if (e->ncheck > 0) {
        e->cm = malloc(sizeof *e->cm * (size_t)e->ncheck);
        e->res = calloc((size_t)e->ncheck, sizeof *e->res);
        e->n_res = calloc((size_t)e->ncheck, sizeof *e->n_res);
        e->cap_res = calloc((size_t)e->ncheck, sizeof *e->cap_res);
        if (!e->cm || !e->res || !e->n_res || !e->cap_res) return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    return e->inner_t->bind ? e->inner_t->bind(e->inner, b) : NASW_OK;
}

static int et_propose(void *p, struct query *q)
{
    struct et *e = p;
    /* one training at a time, epoch after epoch: under asynchronous
     * evaluation the next query waits for the last one's result */
    if (e->pending) return NASW_EAGAIN;
    e->pending = 1;
    if (e->active) {
        q->arch = e->inner_q.arch;
        q->epochs = e->ny + 1;
        return NASW_OK;
    }
    struct query iq;
    memset(&iq, 0, sizeof iq);
    int st = e->inner_t->propose(e->inner, &iq);
    if (st) {
        e->pending = 0;
        return st;
    }
    e->inner_q = iq;
    int64_t idx;
    q->arch = iq.arch;
    if (hashmap_get(&e->known, arch_key(e->s, &iq.arch), &idx)) {
        /* asked again: replay the answer it was given (a cached query) */
        e->replay = 1;
        e->told = e->known_res[idx];
        q->epochs = e->told.epochs >= e->max_epochs ? 0 : e->told.epochs;
        return NASW_OK;
    }
    e->active = 1;
    e->ny = 0;
    for (int c = 0; c < e->ncheck; c++) e->cm[c] = NAN;
    q->epochs = 1;
    return NASW_OK;
}

/* The training ends: remember what the inner strategy is told, tell it. */
static int finish(struct et *e, const struct bench_result *told)
{
    e->active = 0;
    if (e->n_known == e->cap_known) {
        long cap = e->cap_known ? 2 * e->cap_known : 64;
        struct bench_result *r = realloc(e->known_res, sizeof *r * (size_t)cap);
        if (!r) return nasw_errorf(NASW_ENOMEM, "out of memory");
        e->known_res = r;
        e->cap_known = cap;
    }
    e->known_res[e->n_known] = *told;
    if (hashmap_put(&e->known, arch_key(e->s, &e->inner_q.arch), e->n_known))
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    e->n_known++;
    return e->inner_t->observe(e->inner, &e->inner_q, told);
}

static int et_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct et *e = p;
    e->pending = 0;
    if (e->replay) {
        e->replay = 0;
        return e->inner_t->observe(e->inner, &e->inner_q, &e->told);
    }
    NASW_ASSERT(e->active && arch_equal(&q->arch, &e->inner_q.arch));
    int epoch = q->epochs <= 0 || q->epochs >= e->max_epochs ? e->max_epochs : q->epochs;
    e->y[e->ny++] = r->val;
    struct bench_result told = *r;
    told.epochs = epoch;
    if (r->failed) return finish(e, &told);
    if (epoch >= e->max_epochs) {
        if (r->score > e->best) e->best = r->score;
        /* the extrapolations made on the way, against the true final */
        for (int c = 0; c < e->ncheck; c++) {
            if (!isfinite(e->cm[c])) continue;
            if (e->n_res[c] == e->cap_res[c]) {
                int cap = e->cap_res[c] ? 2 * e->cap_res[c] : 16;
                double *a = realloc(e->res[c], sizeof *a * (size_t)cap);
                if (!a) return nasw_errorf(NASW_ENOMEM, "out of memory");
                e->res[c] = a, e->cap_res[c] = cap;
            }
            e->res[c][e->n_res[c]++] = r->val - e->cm[c];
        }
        return finish(e, &told);
    }
    if (!isfinite(e->best) || e->ny < e->min_points || epoch < e->first || (epoch - e->first) % e->every)
        return NASW_OK;
    struct lcurve_opts o;
    lcurve_default_opts(&o);
    o.samples = o.burn = e->samples;
    struct lcurve_post post;
    double best_val = e->hib ? e->best : -e->best;
    int st = lcurve_mcmc(e->y, e->ny, e->max_epochs, best_val, e->hib, e->lo, e->hib ? e->hi : NAN, &o, e->mcmc,
                         &post);
    if (st) return NASW_OK; /* no verdict: keep training */
    double v = post.mean, p_improve = post.p_improve;
    if (e->cal) {
        /* conformal p-value of "better than the best": the shares of the
         * past residuals that would carry this mean past the best, counting
         * the training itself (1 + k) / (n + 1); the told value moves by the
         * median residual */
        int c = (epoch - e->first) / e->every, n = e->n_res[c], k = 0;
        e->cm[c] = post.mean;
        for (int j = 0; j < n; j++) {
            double f = post.mean + e->res[c][j];
            k += e->hib ? f > best_val : f < best_val;
        }
        p_improve = (1.0 + k) / (n + 1.0);
        double lo, med, hi;
        if (n > 0 && !lcurve_conformal(e->res[c], n, 0.1, &lo, &med, &hi)) v += med;
    }
    if (!(p_improve < e->p_stop)) return NASW_OK;
    v = v < e->lo ? e->lo : v > e->hi ? e->hi : v;
    told.val = v;
    told.score = e->hib ? v : -v;
    return finish(e, &told);
}

const struct search_type search_type_et = {
    .name = "et",
    .help = "early termination by learning-curve extrapolation (Domhan et al. 2015) around a base strategy",
    .params = params,
    .alloc = et_alloc,
    .propose = et_propose,
    .observe = et_observe,
    .free = et_free,
    .bind = et_bind,
    .multi_fidelity = 1,
};
