/*
 * search/bananas.c - BANANAS: Bayesian optimisation with an ensemble of
 * neural predictors.
 *
 * White, Neiswanger, Savani, "BANANAS: Bayesian Optimization with Neural
 * Architectures for Neural Architecture Search", AAAI 2021, with NASLib's
 * defaults.  After `init` random architectures (or a warm start, init=zc),
 * every round fits an ensemble of `ensemble` MLPs (surrogate/mlp.h, mean
 * absolute error) on the path encoding of every told architecture (the
 * one-hot encoding on chain and set spaces, which have no paths), builds
 * the mutation pool - `candidates` architectures, each `mutations` random
 * one-decision mutations of one of the `parents` best told architectures
 * (round robin), none told or proposed before - and scores each candidate
 * by independent Thompson sampling: one draw from N(mean, sd^2) of the
 * ensemble's predictions, independently per candidate.  The `k` best draws
 * are proposed, best first.  A round whose pool is empty proposes a random
 * unseen architecture.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/smbo.h"
#include "surrogate/mlp.h"

struct bananas_state {
    const struct space *s;
    struct rng *r;
    int init, k, candidates, parents, mutations, path, dim;
    struct mlp_params mp;
    struct smbo_obs obs;
    struct hashmap told;
    struct search_warm *warm;
    struct arch *queue, *cand;
    double *X, *mean, *members, *draw;
    int *order;
    int n_queue, proposed_init;
};

static const struct search_param params[] = {
    {"init", 10, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"k", 10, 1, 1000, 1, NULL, "architectures proposed per round"},
    {"candidates", 100, 1, 100000, 1, NULL, "mutation pool: candidates scored per round"},
    {"parents", 2, 1, 100000, 1, NULL, "best told architectures the pool mutates"},
    {"mutations", 1, 1, 100, 1, NULL, "one-decision mutations per candidate"},
    {"ensemble", 5, 2, 100, 1, NULL, "MLPs in the ensemble (mean, spread)"},
    {"layers", 3, 1, 20, 1, NULL, "hidden layers of each MLP"},
    {"hidden", 20, 1, 4096, 1, NULL, "units per hidden layer"},
    {"epochs", 200, 1, 100000, 1, NULL, "epochs of each fit"},
    {"lr", 0.01, 1e-9, 10, 0, NULL, "Adam learning rate"},
    {"encoding", 1, 0, 1, 1, "onehot|path", "architecture encoding (path: cell and graph spaces)"},
    {0},
};

static void bananas_free(void *p)
{
    struct bananas_state *st = p;
    if (!st) return;
    smbo_obs_release(&st->obs);
    hashmap_release(&st->told);
    free(st->queue);
    free(st->cand);
    free(st->X);
    free(st->mean);
    free(st->members);
    free(st->draw);
    free(st->order);
    free(st);
}

static void *bananas_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct bananas_state *st = calloc(1, sizeof *st);
    if (!st) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->k = (int)v[1];
    st->candidates = (int)v[2];
    st->parents = (int)v[3];
    st->mutations = (int)v[4];
    mlp_default_params(&st->mp);
    st->mp.ensemble = (int)v[5];
    st->mp.layers = (int)v[6];
    st->mp.hidden = (int)v[7];
    st->mp.epochs = (int)v[8];
    st->mp.lr = v[9];
    st->mp.loss = MLP_MAE;
    st->path = (int)v[10] && (s->kind == SPACE_CELL || s->kind == SPACE_GRAPH);
    st->dim = st->path ? space_path_dim(s) : space_onehot_dim(s);
    size_t C = (size_t)st->candidates;
    st->queue = malloc(sizeof *st->queue * (size_t)st->k);
    st->cand = malloc(sizeof *st->cand * C);
    st->mean = malloc(sizeof *st->mean * C);
    st->members = malloc(sizeof *st->members * C * (size_t)st->mp.ensemble);
    st->draw = malloc(sizeof *st->draw * C);
    if (!st->queue || !st->cand || !st->mean || !st->members || !st->draw) {
        bananas_free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    return st;
}

static void encode(const struct bananas_state *st, const struct arch *a, double *x)
{
    if (st->path) arch_encode_path(st->s, a, x);
    else arch_encode_onehot(st->s, a, x);
}

/* Room for the encodings of n rows. */
static int reserve_rows(struct bananas_state *st, int n)
{
    double *X = realloc(st->X, sizeof *X * (size_t)n * (size_t)st->dim);
    if (!X) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->X = X;
    return NASW_OK;
}

/* The mutation pool: distinct, unseen; a parent whose mutations are all
 * seen gives up after a bounded number of draws. */
static int mutation_pool(struct bananas_state *st, int *out)
{
    int np = st->parents < st->obs.n ? st->parents : st->obs.n, n = 0;
    *out = 0;
    struct hashmap mine = {0};
    long budget = 20L * st->candidates;
    for (long tries = 0; n < st->candidates && tries < budget; tries++) {
        struct arch a = st->obs.arch[st->order[tries % np]];
        for (int m = 0; m < st->mutations; m++) {
            struct arch b;
            if (arch_mutate(st->s, st->r, &a, &b) != NASW_OK) break;
            a = b;
        }
        uint64_t key = arch_key(st->s, &a);
        if (hashmap_get(&st->told, key, NULL) || hashmap_get(&mine, key, NULL)) continue;
        if (hashmap_put(&mine, key, 1)) {
            hashmap_release(&mine);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        st->cand[n++] = a;
    }
    hashmap_release(&mine);
    *out = n;
    return NASW_OK;
}

static int model_round(void *p)
{
    struct bananas_state *st = p;
    int n = st->obs.n, status;
    if ((status = reserve_rows(st, n > st->candidates ? n : st->candidates)) || (status = smbo_order(&st->obs, &st->order))) return status;
    for (int i = 0; i < n; i++) encode(st, &st->obs.arch[i], st->X + (size_t)i * st->dim);
    struct mlp *model = NULL;
    if ((status = mlp_fit(&model, st->X, n, st->dim, st->obs.score, &st->mp, st->r))) return status;
    int nc;
    if ((status = mutation_pool(st, &nc))) {
        mlp_free(model);
        return status;
    }
    for (int i = 0; i < nc; i++) encode(st, &st->cand[i], st->X + (size_t)i * st->dim);
    if (nc > 0 && (status = mlp_predict(model, st->X, nc, st->mean, st->members))) {
        mlp_free(model);
        return status;
    }
    int M = mlp_n_members(model);
    mlp_free(model);
    /* independent Thompson sampling: one draw per candidate from the
     * ensemble's N(mean, sd^2) */
    for (int i = 0; i < nc; i++) {
        double ss = 0;
        for (int k = 0; k < M; k++) {
            double d = st->members[(size_t)k * nc + i] - st->mean[i];
            ss += d * d;
        }
        st->draw[i] = st->mean[i] + sqrt(ss / (M - 1)) * rng_gaussian(st->r, 1.0);
    }
    st->n_queue = smbo_queue_best(st->draw, st->cand, nc, st->k, st->queue);
    return NASW_OK;
}

static int bananas_propose(void *p, struct query *q)
{
    struct bananas_state *st = p;
    q->epochs = 0;
    return smbo_next(st->s, st->r, &st->told, &st->obs, st->init, st->warm, &st->proposed_init, st->queue,
                     &st->n_queue, model_round, st, &q->arch);
}

static int bananas_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct bananas_state *st = p;
    return smbo_observe(&st->obs, &st->told, st->s, q, r);
}

static void bananas_warm(void *p, struct search_warm *w) { ((struct bananas_state *)p)->warm = w; }

const struct search_type search_type_bananas = {
    .name = "bananas",
    .help = "BANANAS: MLP ensemble on the path encoding, independent Thompson sampling, mutation pool (White et al. 2021)",
    .params = params,
    .alloc = bananas_alloc,
    .propose = bananas_propose,
    .observe = bananas_observe,
    .free = bananas_free,
    .warm_param = "init",
    .warm = bananas_warm,
};
