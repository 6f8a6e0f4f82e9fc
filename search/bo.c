/*
 * search/bo.c - Bayesian optimisation with a Gaussian process or one of the
 * predictor zoo's models (model=gp|xgb|rf|mlp|gcn).
 *
 * After `init` random architectures, each round fits the model to the
 * architectures told so far (one-hot or path encoding; gcn: the cell's
 * graph), scores a candidate pool - mutations of the best architectures and
 * random samples, none evaluated yet - by the acquisition function and
 * proposes the best `k`.  Expected improvement (default), upper confidence
 * bound (mean + kappa sd), or Thompson sampling on the marginals.
 *
 * gp: the GP of surrogate/gp.h, acquisition on its latent posterior.
 * Hyperparameters are re-optimised every `refit` rounds, warm-started from
 * the previous ones, and reused in between, so a 300-query run stays fast.
 *
 * The other models give no posterior; their uncertainty is the spread of an
 * ensemble, as in BANANAS (White, Neiswanger, Savani 2021, section 4: the
 * ensemble's mean and standard deviation define a normal per candidate, on
 * which EI, UCB or independent Thompson sampling are computed) and in White
 * et al. 2021 ("How powerful are performance predictors in NAS?", the
 * ensemble-based uncertainty of tree and neural predictors):
 *  - mlp / gcn: `members` networks differing in initialisation and minibatch
 *    order (surrogate/mlp.h, surrogate/gcn.h);
 *  - rf: the forest's own trees - `trees` trees, each on a row subsample and
 *    column subsamples per split, each fitted as its own one-tree XGBoost
 *    model so that every tree's prediction is seen (XGBoost's forest mode
 *    only returns their mean);
 *  - xgb: `members` boosted models on different seeds, hence different row
 *    and column subsamples (a seed/subsample ensemble: boosting has no
 *    per-tree spread, its trees fit residuals of each other).
 * Models are refitted from scratch every round.  EI's incumbent is the best
 * score told.
 *
 * A round whose model cannot be fitted (all scores equal) proposes a random
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
#include "surrogate/gcn.h"
#include "surrogate/gp.h"
#include "surrogate/mlp.h"
#include "surrogate/xgb.h"

enum { ACQ_EI, ACQ_UCB, ACQ_TS };
enum { MODEL_GP, MODEL_XGB, MODEL_RF, MODEL_MLP, MODEL_GCN };
enum { ENC_ONEHOT, ENC_PATH, ENC_AUTO };

struct bo_state {
    const struct space *s;
    struct rng *r;
    int init, pool, k, refit, acq, path, dim, model, members;
    double kappa;
    struct xgb_params xp;       /* xgb, rf (one tree per member) */
    struct mlp_params mp;
    struct gcn_params cp;
    struct smbo_obs obs;        /* told architectures with a finite score */
    struct hashmap told;        /* every key told or proposed */
    struct arch *queue;
    struct search_warm *warm;   /* init=zc: the initial architectures, or NULL */
    int n_queue, proposed_init, rounds;
    double theta[8192];
    int have_theta;
    double *X, *cx, *mu, *var;  /* scratch */
    double *pred;               /* ensembles: member k's prediction of candidate i at [k*pool + i] */
    struct arch *cand;
};

static const struct search_param params[] = {
    {"init", 10, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"pool", 200, 1, 100000, 1, NULL, "candidates scored per round (half mutations of the best, half random)"},
    {"k", 1, 1, 1000, 1, NULL, "architectures proposed per round"},
    {"acq", 0, 0, 2, 1, "ei|ucb|ts", "acquisition function"},
    {"kappa", 2, 0, 100, 0, NULL, "UCB: mean + kappa * sd"},
    {"refit", 10, 1, 100000, 1, NULL, "re-optimise the GP hyperparameters every this many rounds"},
    {"encoding", 2, 0, 2, 1, "onehot|path|auto", "architecture encoding (auto: path for mlp, else onehot; gcn: the graph)"},
    {"model", 0, 0, 4, 1, "gp|xgb|rf|mlp|gcn", "surrogate: the GP, or an ensemble of the predictor zoo (mean, spread)"},
    {"members", 5, 2, 100, 1, NULL, "xgb, mlp, gcn: models in the ensemble"},
    {"trees", 100, 2, 2000, 1, NULL, "rf: trees of the forest (each one member)"},
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
    free(st->pred);
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
    st->model = (int)v[7];
    int enc = (int)v[6];
    if (enc == ENC_AUTO) enc = st->model == MODEL_MLP ? ENC_PATH : ENC_ONEHOT;
    st->path = enc == ENC_PATH && (s->kind == SPACE_CELL || s->kind == SPACE_GRAPH || s->kind == SPACE_DARTS);
    st->dim = st->path ? space_path_dim(s) : space_onehot_dim(s);
    st->members = st->model == MODEL_RF ? (int)v[9] : (int)v[8];
    xgb_default_params(&st->xp, st->model == MODEL_RF ? XGB_FOREST : XGB_BOOST);
    if (st->model == MODEL_RF) st->xp.rounds = 1;
    mlp_default_params(&st->mp);
    st->mp.ensemble = st->members;
    gcn_default_params(&st->cp);
    st->cp.ensemble = st->members;
    if (st->model == MODEL_GCN) {
        st->dim = gcn_row_len(s);
        if (st->dim <= 0) {
            bo_free(st);
            nasw_errorf(NASW_EINVAL, "bo: model=gcn needs a cell space (its graph); use another model here");
            return NULL;
        }
    } else if (st->dim <= 0 || (st->model == MODEL_GP && st->dim > 4000)) {
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
    if (st->model != MODEL_GP) st->pred = malloc(sizeof *st->pred * (size_t)st->pool * (size_t)st->members);
    if (!st->queue || !st->cand || !st->cx || !st->mu || !st->var || (st->model != MODEL_GP && !st->pred)) goto nomem;
    return st;
nomem:
    bo_free(st);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

static void encode(const struct bo_state *st, const struct arch *a, double *x)
{
    if (st->model == MODEL_GCN) gcn_encode(st->s, a, x);
    else if (st->path) arch_encode_path(st->s, a, x);
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

/* Queue the k best candidates by acquisition value v (modified), the best
 * proposed first. */
static int queue_top(struct bo_state *st, double *v, int nc)
{
    int *top = malloc(sizeof *top * (size_t)st->k);
    if (!top) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->n_queue = smbo_top(v, nc, st->k, top);
    for (int j = 0; j < st->n_queue; j++) st->queue[st->n_queue - 1 - j] = st->cand[top[j]];
    free(top);
    return NASW_OK;
}

/* Fit the ensemble model on the n encoded rows X and predict the nc encoded
 * candidates: member k's prediction of candidate i into pred[k*nc + i]. */
static int ensemble_predict(struct bo_state *st, const double *X, int n, int nc, double *pred)
{
    int d = st->dim, M = st->members, status = NASW_OK;
    const double *y = st->obs.score;
    if (st->model == MODEL_MLP) {
        struct mlp *m = NULL;
        if ((status = mlp_fit(&m, X, n, d, y, &st->mp, st->r))) return status;
        status = mlp_predict(m, st->cx, nc, st->mu, pred);
        mlp_free(m);
        return status;
    }
    if (st->model == MODEL_GCN) {
        struct gcn *m = NULL;
        if ((status = gcn_fit(&m, X, n, gcn_nodes(st->s), gcn_features(st->s), y, &st->cp, st->r))) return status;
        status = gcn_predict(m, st->cx, nc, st->mu, pred);
        gcn_free(m);
        return status;
    }
    /* xgb, rf: one XGBoost model per member, each on its own seed */
    for (int k = 0; k < M && !status; k++) {
        struct xgb *m = NULL;
        if (!(status = xgb_fit(&m, X, n, d, y, &st->xp, st->r))) status = xgb_predict(m, st->cx, nc, pred + (size_t)k * nc);
        xgb_free(m);
    }
    return status;
}

/* A round of an ensemble model: the members' mean and sample standard
 * deviation per candidate define the normal the acquisition scores. */
static int ensemble_round(struct bo_state *st, const double *X, int n)
{
    double best = -INFINITY, worst = INFINITY;
    for (int i = 0; i < n; i++) {
        if (st->obs.score[i] > best) best = st->obs.score[i];
        if (st->obs.score[i] < worst) worst = st->obs.score[i];
    }
    st->n_queue = 0;
    /* every score ties: nothing to rank by, a random proposal (as the GP) */
    if (!(best > worst)) return NASW_OK;
    st->rounds++;
    int nc = smbo_pool(st->s, st->r, &st->obs, &st->told, st->pool, st->cand), M = st->members, status;
    if (nc <= 0) return NASW_OK;
    for (int i = 0; i < nc; i++) encode(st, &st->cand[i], st->cx + (size_t)i * st->dim);
    if ((status = ensemble_predict(st, X, n, nc, st->pred))) return status;
    for (int i = 0; i < nc; i++) {
        double mean = 0, ss = 0;
        for (int k = 0; k < M; k++) mean += st->pred[(size_t)k * nc + i];
        mean /= M;
        for (int k = 0; k < M; k++) ss += (st->pred[(size_t)k * nc + i] - mean) * (st->pred[(size_t)k * nc + i] - mean);
        st->mu[i] = acquisition(st, mean, ss / (M - 1), best);
    }
    return queue_top(st, st->mu, nc);
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
    if (st->model != MODEL_GP) return ensemble_round(st, X, n);
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
    return queue_top(st, st->mu, nc);
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
    .help = "Bayesian optimisation with a GP or a zoo ensemble (xgb, rf, mlp, gcn): EI/UCB/Thompson over mutations of the best + random (Snoek 2012; BANANAS)",
    .params = params,
    .alloc = bo_alloc,
    .propose = bo_propose,
    .observe = bo_observe,
    .free = bo_free,
    .warm_param = "init",
    .warm = bo_warm,
};
