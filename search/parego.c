/*
 * search/parego.c - ParEGO (Knowles, IEEE TEC 2006): multi-objective
 * Bayesian optimisation by random scalarisations.
 *
 * After `init` random architectures, each round draws a weight vector
 * uniformly from the simplex lattice {l/s : sum = 1} (s = `lattice`),
 * normalises the objectives to [0, 1] by the ranges observed so far,
 * scalarises every observation by the augmented Chebyshev function
 * max_k w_k (1 - y_k) + rho sum_k w_k (1 - y_k) (rho = 0.05, as the paper),
 * fits the GP of surrogate/gp.h to it (negated: the GP maximises) and
 * proposes the unevaluated candidate - mutations of the front and random
 * samples - of largest expected improvement.  Infeasible answers get the
 * worst scalarised value seen, so the model learns to avoid them.
 * Hyperparameters are re-optimised every `refit` rounds (warm started).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/mobs.h"
#include "search/search.h"
#include "search/smbo.h"
#include "surrogate/gp.h"

struct parego_state {
    const struct space *s;
    struct rng *r;
    int init, pool, lattice, refit, dim, rounds, proposed_init, n_queue, have_theta;
    struct mobs obs;
    struct smbo_obs sc;          /* the observations with this round's scalarised score */
    struct hashmap told;
    struct arch queue[1];
    double theta[512];
    double *X, *cx, *mu, *var;
    struct arch *cand;
};

static const struct search_param params[] = {
    {"init", 10, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"pool", 200, 1, 100000, 1, NULL, "candidates scored per round (half mutations of the front, half random)"},
    {"lattice", 10, 1, 1000, 1, NULL, "weights are drawn from the simplex lattice with this many steps"},
    {"refit", 10, 1, 100000, 1, NULL, "re-optimise the GP hyperparameters every this many rounds"},
    {0},
};

static void parego_free(void *p)
{
    struct parego_state *st = p;
    if (!st) return;
    mobs_release(&st->obs);
    smbo_obs_release(&st->sc);
    hashmap_release(&st->told);
    free(st->X);
    free(st->cx);
    free(st->mu);
    free(st->var);
    free(st->cand);
    free(st);
}

static void *parego_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct parego_state *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->pool = (int)v[1];
    st->lattice = (int)v[2];
    st->refit = (int)v[3];
    st->dim = space_onehot_dim(s);
    if (st->dim <= 0 || gp_n_theta(st->dim, 0) > 512) {
        nasw_errorf(NASW_EINVAL, "parego: encoding of %d inputs not supported", st->dim);
        parego_free(st); /* after the message, which reads st */
        return NULL;
    }
    st->cand = malloc(sizeof *st->cand * (size_t)st->pool);
    st->cx = malloc(sizeof *st->cx * (size_t)st->pool * (size_t)st->dim);
    st->mu = malloc(sizeof *st->mu * (size_t)st->pool);
    st->var = malloc(sizeof *st->var * (size_t)st->pool);
    if (!st->cand || !st->cx || !st->mu || !st->var) goto nomem;
    return st;
nomem:
    parego_free(st);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

static int parego_bind(void *p, const struct bench *b)
{
    struct parego_state *st = p;
    return mobs_bind(&st->obs, b);
}

/* A weight vector uniform over the simplex lattice with `s` steps: a
 * uniform composition of s into m parts (stars and bars: m-1 bar positions
 * among s+m-1 slots, drawn without replacement). */
static void lattice_weight(struct rng *r, int s, int m, double *w)
{
    int slots = s + m - 1, bars[OBJ_MAX], nb = 0;
    for (int i = 0; i < slots && nb < m - 1; i++) /* selection sampling (Knuth's S) */
        if (rng_uniform(r) * (slots - i) < m - 1 - nb) bars[nb++] = i;
    int prev = -1;
    for (int k = 0; k < m - 1; k++) {
        w[k] = (double)(bars[k] - prev - 1) / s;
        prev = bars[k];
    }
    w[m - 1] = (double)(slots - prev - 1) / s;
}

static int model_round(void *p)
{
    struct parego_state *st = p;
    const struct mobs *o = &st->obs;
    int m = o->m, n = o->n, d = st->dim;
    double w[OBJ_MAX], lo[OBJ_MAX], hi[OBJ_MAX];
    lattice_weight(st->r, st->lattice, m, w);
    for (int k = 0; k < m; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < m; k++) {
            lo[k] = fmin(lo[k], o->y[(size_t)i * m + k]);
            hi[k] = fmax(hi[k], o->y[(size_t)i * m + k]);
        }
    /* the scalarised (negated: larger is better) score of every observation */
    st->sc.n = 0;
    double worst = INFINITY;
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, sum = 0;
        for (int k = 0; k < m; k++) {
            double f = hi[k] > lo[k] ? (hi[k] - o->y[(size_t)i * m + k]) / (hi[k] - lo[k]) : 0;
            mx = fmax(mx, w[k] * f);
            sum += w[k] * f;
        }
        struct query q = {.arch = o->arch[i]};
        struct bench_result r = {.score = -(mx + 0.05 * sum)};
        struct hashmap none = {0};
        int status = smbo_observe(&st->sc, &none, st->s, &q, &r);
        hashmap_release(&none);
        if (status) return status;
        if (o->feasible[i]) worst = fmin(worst, r.score);
    }
    for (int i = 0; i < n; i++)
        if (!o->feasible[i]) st->sc.score[i] = isfinite(worst) ? worst : st->sc.score[i];
    double *X = realloc(st->X, sizeof *X * (size_t)n * (size_t)d);
    if (!X) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->X = X;
    for (int i = 0; i < n; i++) arch_encode_onehot(st->s, &o->arch[i], X + (size_t)i * d);
    struct gp_params gp;
    gp_default_params(&gp);
    gp.restarts = 1;
    gp.max_iter = 50;
    gp.optimize = !st->have_theta || st->rounds % st->refit == 0;
    gp.theta0 = st->have_theta ? st->theta : NULL;
    struct gp *g;
    int status = gp_fit(&g, X, st->sc.score, n, d, &gp, st->r);
    if (status) return status;
    memcpy(st->theta, gp_theta(g), sizeof(double) * (size_t)gp_n_theta(d, 0));
    st->have_theta = 1;
    st->rounds++;
    int nc = mobs_pool(st->s, st->r, o, &st->told, st->pool, st->cand);
    if (nc < 0) status = nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int i = 0; !status && i < nc; i++) arch_encode_onehot(st->s, &st->cand[i], st->cx + (size_t)i * d);
    if (!status && nc > 0) status = gp_predict_latent(g, st->cx, nc, st->mu, st->var);
    double best = gp_latent_best(g);
    gp_free(g);
    if (status) return status;
    int arg = -1;
    double top = -INFINITY;
    for (int i = 0; i < nc; i++) {
        double ei = smbo_ei(st->mu[i], sqrt(st->var[i] > 0 ? st->var[i] : 0), best);
        if (arg < 0 || ei > top) arg = i, top = ei;
    }
    st->n_queue = arg >= 0;
    if (arg >= 0) st->queue[0] = st->cand[arg];
    return NASW_OK;
}

static int parego_propose(void *p, struct query *q)
{
    struct parego_state *st = p;
    q->epochs = 0;
    /* smbo_next's rule "random while fewer than 2 observations" reads sc.n */
    st->sc.n = st->obs.n;
    return smbo_next(st->s, st->r, &st->told, &st->sc, st->init, NULL, &st->proposed_init, st->queue, &st->n_queue,
                     model_round, st, &q->arch);
}

static int parego_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct parego_state *st = p;
    return mobs_observe(&st->obs, &st->told, st->s, q, r) == -2 ? NASW_ENOMEM : NASW_OK;
}

const struct search_type search_type_parego = {
    .name = "parego",
    .help = "multi-objective: ParEGO, a GP with EI on a random augmented-Chebyshev scalarisation per round (Knowles 2006)",
    .params = params,
    .alloc = parego_alloc,
    .propose = parego_propose,
    .observe = parego_observe,
    .free = parego_free,
    .bind = parego_bind,
    .multi_objective = 1,
};
