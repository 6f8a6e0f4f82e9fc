/*
 * search/ehvi.c - Bayesian optimisation by expected hypervolume
 * improvement with independent GPs (Emmerich, Giannakoglou, Naujoks 2006).
 *
 * Two objectives (the exact EHVI of stats/pareto.h).  After `init` random
 * architectures, each round fits one GP per objective (surrogate/gp.h,
 * one-hot or path encoding) to every answer that did not fail and proposes
 * the unevaluated candidate - mutations of the feasible front and random
 * samples - of largest EHVI over that front.  By default (warp=1) the GPs
 * are rank-warped (NAS-Bench-201's broken cells no longer stretch the
 * accuracy model) and the EHVI is computed in their latent space, with the
 * front placed at the posterior means of its members: the warp is monotone,
 * so dominance is the same there.  warp=0 models the objectives in their own
 * units.  The reference point is the worst (latent) value observed of each
 * objective less `margin` of its range, so the front's extremes still count
 * (margin 0.5 and warp 1 measured better than 0.1 and 0 on HW-NAS-Bench-201;
 * docs/multi-objective.md).  Infeasible answers train the GPs (their
 * objectives are real) but are never on the front.  Hyperparameters are
 * re-optimised every `refit` rounds, warm started.
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
#include "stats/pareto.h"
#include "surrogate/gp.h"

struct ehvi_state {
    const struct space *s;
    struct rng *r;
    int init, pool, refit, dim, rounds, proposed_init, n_queue, have_theta;
    double margin;
    int warp, path;
    struct mobs obs;
    struct smbo_obs count;       /* only its n: smbo_next's "at least 2 observed" */
    struct hashmap told;
    struct arch queue[1];
    double theta[2][512];
    double *X, *y, *cx, *mu[2], *var[2], *front, *lat;
    int *fidx;
    struct arch *cand;
};

static const struct search_param params[] = {
    {"init", 20, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"pool", 200, 1, 100000, 1, NULL, "candidates scored per round (half mutations of the front, half random)"},
    {"refit", 10, 1, 100000, 1, NULL, "re-optimise the GP hyperparameters every this many rounds"},
    {"margin", 0.5, 0, 10, 0, NULL, "reference point: the observed worst less this fraction of the range"},
    {"warp", 1, 0, 1, 1, NULL, "1: rank-warped GPs, EHVI in their latent space (0: objectives' own units)"},
    {"encoding", 0, 0, 1, 1, "onehot|path", "architecture encoding of the GPs"},
    {0},
};

static void ehvi_free(void *p)
{
    struct ehvi_state *st = p;
    if (!st) return;
    mobs_release(&st->obs);
    hashmap_release(&st->told);
    free(st->X);
    free(st->y);
    free(st->cx);
    for (int k = 0; k < 2; k++) {
        free(st->mu[k]);
        free(st->var[k]);
    }
    free(st->front);
    free(st->lat);
    free(st->fidx);
    free(st->cand);
    free(st);
}

static void *ehvi_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct ehvi_state *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->pool = (int)v[1];
    st->refit = (int)v[2];
    st->margin = v[3];
    st->warp = (int)v[4];
    st->path = (int)v[5] && s->kind == SPACE_CELL;
    st->dim = st->path ? space_path_dim(s) : space_onehot_dim(s);
    if (st->dim <= 0 || gp_n_theta(st->dim, 0) > 512) {
        nasw_errorf(NASW_EINVAL, "ehvi: the %s encoding of this space is %d inputs wide, more than its GPs take",
                    st->path ? "path" : "onehot", st->dim);
        ehvi_free(st); /* after the message, which reads st */
        return NULL;
    }
    st->cand = malloc(sizeof *st->cand * (size_t)st->pool);
    st->cx = malloc(sizeof *st->cx * (size_t)st->pool * (size_t)st->dim);
    for (int k = 0; k < 2; k++) {
        st->mu[k] = malloc(sizeof *st->mu[k] * (size_t)st->pool);
        st->var[k] = malloc(sizeof *st->var[k] * (size_t)st->pool);
        if (!st->mu[k] || !st->var[k]) goto nomem;
    }
    if (!st->cand || !st->cx) goto nomem;
    return st;
nomem:
    ehvi_free(st);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

static int ehvi_bind(void *p, const struct bench *b)
{
    struct ehvi_state *st = p;
    if (b->obj.n != 2)
        return nasw_errorf(NASW_EUNSUPPORTED, "strategy 'ehvi' needs exactly 2 objectives, got %d", b->obj.n);
    return mobs_bind(&st->obs, b);
}

static void encode(const struct ehvi_state *st, const struct arch *a, double *x)
{
    if (st->path) arch_encode_path(st->s, a, x);
    else arch_encode_onehot(st->s, a, x);
}

static int model_round(void *p)
{
    struct ehvi_state *st = p;
    const struct mobs *o = &st->obs;
    int n = o->n, d = st->dim, status = NASW_OK;
    double *X = realloc(st->X, sizeof *X * (size_t)n * (size_t)d);
    if (X) st->X = X;
    double *y = X ? realloc(st->y, sizeof *y * (size_t)n) : NULL;
    if (y) st->y = y;
    double *fr = y ? realloc(st->front, sizeof *fr * 2 * (size_t)n) : NULL;
    if (fr) st->front = fr;
    int *fi = fr ? realloc(st->fidx, sizeof *fi * (size_t)n) : NULL;
    if (fi) st->fidx = fi;
    double *lat = fi ? realloc(st->lat, sizeof *lat * 3 * (size_t)n) : NULL;
    if (!lat) return nasw_errorf(NASW_ENOMEM, "out of memory");
    st->lat = lat;
    for (int i = 0; i < n; i++) encode(st, &o->arch[i], X + (size_t)i * d);
    int nc = mobs_pool(st->s, st->r, o, &st->told, st->pool, st->cand);
    if (nc < 0) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int i = 0; i < nc; i++) encode(st, &st->cand[i], st->cx + (size_t)i * d);
    double ref[2];
    for (int k = 0; k < 2 && !status; k++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            y[i] = o->y[(size_t)i * 2 + k];
            lo = fmin(lo, y[i]);
            hi = fmax(hi, y[i]);
        }
        struct gp_params gp;
        gp_default_params(&gp);
        gp.warp = st->warp;
        gp.restarts = 1;
        gp.max_iter = 50;
        gp.optimize = !st->have_theta || st->rounds % st->refit == 0;
        gp.theta0 = st->have_theta ? st->theta[k] : NULL;
        struct gp *g;
        if ((status = gp_fit(&g, X, y, n, d, &gp, st->r))) break;
        memcpy(st->theta[k], gp_theta(g), sizeof(double) * (size_t)gp_n_theta(d, 0));
        if (st->warp) {
            /* everything in the GP's latent space: candidates, and the
             * observations as the posterior means at them */
            if (nc > 0) status = gp_predict_latent(g, st->cx, nc, st->mu[k], st->var[k]);
            if (!status) status = gp_predict_latent(g, X, n, lat + (size_t)k * n, lat + 2 * (size_t)n);
            lo = INFINITY, hi = -INFINITY;
            for (int i = 0; i < n; i++) {
                lo = fmin(lo, lat[(size_t)k * n + i]);
                hi = fmax(hi, lat[(size_t)k * n + i]);
            }
        } else {
            if (nc > 0) status = gp_predict(g, st->cx, nc, st->mu[k], st->var[k]);
            for (int i = 0; i < n; i++) lat[(size_t)k * n + i] = y[i];
        }
        ref[k] = lo - st->margin * (hi - lo);
        gp_free(g);
    }
    if (status) return status;
    st->have_theta = 1;
    st->rounds++;
    int nf = mobs_front(o, fi);
    if (nf < 0) return NASW_ENOMEM;
    for (int i = 0; i < nf; i++) { /* the front chosen by the objectives, placed where the model sees it */
        fr[2 * i] = lat[fi[i]];
        fr[2 * i + 1] = lat[(size_t)n + fi[i]];
    }
    int arg = -1;
    double top = -INFINITY;
    for (int i = 0; i < nc; i++) {
        double mu[2] = {st->mu[0][i], st->mu[1][i]};
        double sd[2] = {sqrt(fmax(st->var[0][i], 0)), sqrt(fmax(st->var[1][i], 0))};
        double e = pareto_ehvi2(fr, nf, ref, mu, sd);
        if (isnan(e)) return nasw_errorf(NASW_ENOMEM, "out of memory");
        if (arg < 0 || e > top) arg = i, top = e;
    }
    st->n_queue = arg >= 0;
    if (arg >= 0) st->queue[0] = st->cand[arg];
    return NASW_OK;
}

static int ehvi_propose(void *p, struct query *q)
{
    struct ehvi_state *st = p;
    q->epochs = 0;
    st->count.n = st->obs.n;
    return smbo_next(st->s, st->r, &st->told, &st->count, st->init, NULL, &st->proposed_init, st->queue, &st->n_queue,
                     model_round, st, &q->arch);
}

static int ehvi_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct ehvi_state *st = p;
    return mobs_observe(&st->obs, &st->told, st->s, q, r) == -2 ? NASW_ENOMEM : NASW_OK;
}

const struct search_type search_type_ehvi = {
    .name = "ehvi",
    .help = "multi-objective: BO by exact 2-D expected hypervolume improvement, one GP per objective (Emmerich 2006)",
    .params = params,
    .alloc = ehvi_alloc,
    .propose = ehvi_propose,
    .observe = ehvi_observe,
    .free = ehvi_free,
    .bind = ehvi_bind,
    .multi_objective = 1,
    .max_objectives = 2,
};
