/*
 * search/bo.c - Bayesian optimisation with a Gaussian process.
 *
 * After `init` random architectures, each round fits the GP of
 * surrogate/gp.h to the architectures told so far (one-hot or path
 * encoding), scores a candidate pool - mutations of the best architectures
 * and random samples, none evaluated yet - by the acquisition function and
 * proposes the best `k`.  Expected improvement (default), upper confidence
 * bound (mean + kappa sd), or Thompson sampling on the marginal posteriors.
 * Hyperparameters are re-optimised every `refit` rounds, warm-started from
 * the previous ones, and reused in between, so a 300-query run stays fast.
 * A round whose GP cannot be fitted (all scores equal) proposes a random
 * architecture instead.
 * (Snoek et al. 2012; for NAS: White et al., BANANAS, 2021 - the path
 * encoding.)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/smbo.h"
#include "surrogate/gp.h"

enum { ACQ_EI, ACQ_UCB, ACQ_TS };

struct bo_state {
    const struct space *s;
    struct rng *r;
    int init, pool, k, refit, acq, path, dim;
    double kappa;
    struct smbo_obs obs;        /* told architectures with a finite score */
    struct hashmap told;        /* every key told or proposed */
    struct arch *queue;
    struct search_warm *warm;   /* init=zc: the initial architectures, or NULL */
    int n_queue, proposed_init, rounds;
    double theta[8192];
    int have_theta;
    double *X, *cx, *mu, *var;  /* scratch */
    struct arch *cand;
};

static const struct search_param params[] = {
    {"init", 10, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"pool", 200, 1, 100000, 1, NULL, "candidates scored per round (half mutations of the best, half random)"},
    {"k", 1, 1, 1000, 1, NULL, "architectures proposed per round"},
    {"acq", 0, 0, 2, 1, "ei|ucb|ts", "acquisition function"},
    {"kappa", 2, 0, 100, 0, NULL, "UCB: mean + kappa * sd"},
    {"refit", 10, 1, 100000, 1, NULL, "re-optimise the GP hyperparameters every this many rounds"},
    {"encoding", 0, 0, 1, 1, "onehot|path", "architecture encoding of the GP"},
    {0},
};

static void bo_free(void *p)
{
    struct bo_state *st = p;
    if (!st) return;
    hashmap_release(&st->told);
    smbo_obs_release(&st->obs);
    free(st->queue);
    free(st->X);
    free(st->cx);
    free(st->mu);
    free(st->var);
    free(st->cand);
    free(st);
}

static void *bo_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct bo_state *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->pool = (int)v[1];
    st->k = (int)v[2];
    st->acq = (int)v[3];
    st->kappa = v[4];
    st->refit = (int)v[5];
    st->path = (int)v[6] && (s->kind == SPACE_CELL || s->kind == SPACE_GRAPH || s->kind == SPACE_DARTS);
    st->dim = st->path ? space_path_dim(s) : space_onehot_dim(s);
    if (st->dim <= 0 || st->dim > 4000) {
        nasw_errorf(NASW_EINVAL, "bo: the %s encoding of this space is %d inputs wide, more than the GP takes (1..4000)",
                    st->path ? "path" : "onehot", st->dim);
        bo_free(st); /* after the message, which reads st */
        return NULL;
    }
    st->queue = malloc(sizeof *st->queue * (size_t)st->k);
    st->cand = malloc(sizeof *st->cand * (size_t)st->pool);
    st->cx = malloc(sizeof *st->cx * (size_t)st->pool * (size_t)st->dim);
    st->mu = malloc(sizeof *st->mu * (size_t)st->pool);
    st->var = malloc(sizeof *st->var * (size_t)st->pool);
    if (!st->queue || !st->cand || !st->cx || !st->mu || !st->var) goto nomem;
    return st;
nomem:
    bo_free(st);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

static void encode(const struct bo_state *st, const struct arch *a, double *x)
{
    if (st->path) arch_encode_path(st->s, a, x);
    else arch_encode_onehot(st->s, a, x);
}


static double acquisition(const struct bo_state *st, double mu, double var, double best)
{
    double sd = sqrt(var > 0 ? var : 0);
    switch (st->acq) {
    case ACQ_UCB: return mu + st->kappa * sd;
    case ACQ_TS: return mu + sd * rng_gaussian(st->r, 1.0);
    default: return smbo_ei(mu, sd, best);
    }
}

/* One model round: fill the queue with the k best candidates. */
static int model_round(void *p)
{
    struct bo_state *st = p;
    int n = st->obs.n, d = st->dim;
    double *X = realloc(st->X, sizeof *X * (size_t)n * (size_t)d);
    if (!X) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->X = X;
    for (int i = 0; i < n; i++) encode(st, &st->obs.arch[i], X + (size_t)i * d);
    struct gp_params gp;
    gp_default_params(&gp);
    gp.restarts = 1;
    gp.max_iter = 50;
    gp.optimize = !st->have_theta || st->rounds % st->refit == 0;
    gp.theta0 = st->have_theta ? st->theta : NULL;
    struct gp *g;
    int status = gp_fit(&g, X, st->obs.score, n, d, &gp, st->r);
    if (status == NASW_ENUMERIC) {
        /* nothing to model yet (e.g. every score so far ties): an empty
         * queue makes smbo_next() propose one more random architecture,
         * as in the initial design, rather than end the run */
        nasw_errclear();
        st->n_queue = 0;
        return NASW_OK;
    }
    if (status) return status;
    memcpy(st->theta, gp_theta(g), sizeof(double) * (size_t)gp_n_theta(d, 0));
    st->have_theta = 1;
    st->rounds++;
    int nc = smbo_pool(st->s, st->r, &st->obs, &st->told, st->pool, st->cand);
    for (int i = 0; i < nc; i++) encode(st, &st->cand[i], st->cx + (size_t)i * d);
    if (nc > 0) status = gp_predict_latent(g, st->cx, nc, st->mu, st->var);
    double best = gp_latent_best(g);
    gp_free(g);
    if (status) return status;
    /* the k best by acquisition, queued so that the best is proposed first */
    for (int i = 0; i < nc; i++) st->mu[i] = acquisition(st, st->mu[i], st->var[i], best);
    int *top = malloc(sizeof *top * (size_t)st->k);
    if (!top) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->n_queue = smbo_top(st->mu, nc, st->k, top);
    for (int j = 0; j < st->n_queue; j++) st->queue[st->n_queue - 1 - j] = st->cand[top[j]];
    free(top);
    return NASW_OK;
}

static void bo_warm(void *p, struct search_warm *w) { ((struct bo_state *)p)->warm = w; }

static int bo_propose(void *p, struct query *q)
{
    struct bo_state *st = p;
    q->epochs = 0;
    return smbo_next(st->s, st->r, &st->told, &st->obs, st->init, st->warm, &st->proposed_init, st->queue, &st->n_queue,
                     model_round, st, &q->arch);
}

static int bo_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct bo_state *st = p;
    return smbo_observe(&st->obs, &st->told, st->s, q, r);
}

const struct search_type search_type_bo = {
    .name = "bo",
    .help = "Bayesian optimisation with a GP: EI/UCB/Thompson over mutations of the best + random (Snoek 2012; BANANAS)",
    .params = params,
    .alloc = bo_alloc,
    .propose = bo_propose,
    .observe = bo_observe,
    .free = bo_free,
    .warm_param = "init",
    .warm = bo_warm,
};
