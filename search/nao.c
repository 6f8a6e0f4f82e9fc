/*
 * search/nao.c - Neural Architecture Optimization.
 *
 * Luo, Tian, Qin, Chen, Liu, "Neural Architecture Optimization", NeurIPS
 * 2018.  After `init` random architectures (or a warm start, init=zc),
 * every round fits the NAO model (surrogate/nao.h: LSTM encoder, MLP
 * predictor on the embedding, LSTM decoder, trained jointly) on every told
 * architecture and its score (the first fit `epochs` epochs from scratch,
 * later ones `warm_epochs` more from the previous weights, as NAO's
 * iterations keep their model; pnas does the same), then moves the `seeds` best told ones along
 * the predictor's gradient in embedding space: step sizes step, 2 step,
 * ... up to `tries` times, until the decoded architecture is a member not
 * yet told or proposed (NAO raises the step until a new architecture comes
 * out).  The new architectures are ranked by their predicted score and the
 * best `k` proposed, best first.  A round that finds none proposes a random
 * unseen architecture (as the other model-based strategies).
 *
 * Spaces: cell and chain.  On a table that covers only part of its space
 * a decoded architecture outside the table does not count as new.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"
#include "search/smbo.h"
#include "surrogate/nao.h"

struct nao_state {
    const struct space *s;
    struct rng *r;
    int init, k, seeds, tries, epochs, warm_epochs, fits;
    double step;
    struct nao_params np;
    struct nao *model;
    struct smbo_obs obs;
    struct hashmap told;
    struct search_warm *warm;
    struct arch *queue, *cand;
    double *pred;
    int *order;
    int n_queue, proposed_init;
};

static const struct search_param params[] = {
    {"init", 10, 2, 100000, 1, NULL, "random architectures before the first model"},
    {"k", 5, 1, 1000, 1, NULL, "architectures proposed per round"},
    {"seeds", 20, 1, 100000, 1, NULL, "best told architectures moved in embedding space per round"},
    {"step", 1, 1e-6, 1e6, 0, NULL, "first step size along the predictor's gradient (then 2x, 3x...)"},
    {"tries", 10, 1, 1000, 1, NULL, "step sizes tried per seed until a new architecture decodes"},
    {"epochs", 100, 1, 100000, 1, NULL, "epochs of the first fit (of every fit when warm_epochs=0)"},
    {"warm_epochs", 10, 0, 100000, 1, NULL, "epochs per later round, warm-started; 0: refit from scratch"},
    {"hidden", 32, 1, 4096, 1, NULL, "LSTM hidden size (= the embedding's)"},
    {"embed", 32, 1, 4096, 1, NULL, "token embedding size"},
    {"mlp", 64, 1, 4096, 1, NULL, "predictor hidden units"},
    {"lambda", 0.8, 0, 1, 0, NULL, "weight of the predictor's loss (1 - lambda: the decoder's)"},
    {"lr", 0.001, 1e-9, 10, 0, NULL, "Adam learning rate"},
    {"batch", 32, 1, 4096, 1, NULL, "minibatch size"},
    {0},
};

static void nao_state_free(void *p)
{
    struct nao_state *st = p;
    if (!st) return;
    nao_free(st->model);
    smbo_obs_release(&st->obs);
    hashmap_release(&st->told);
    free(st->queue);
    free(st->cand);
    free(st->pred);
    free(st->order);
    free(st);
}

static void *nao_alloc(const double *v, const struct space *s, struct rng *r)
{
    if (!nao_supports(s)) {
        nasw_errorf(NASW_EUNSUPPORTED, "strategy 'nao' searches cell and chain spaces, not a %s space",
                    space_kind_name(s->kind));
        return NULL;
    }
    struct nao_state *st = calloc(1, sizeof *st);
    if (!st) {
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->s = s;
    st->r = r;
    st->init = (int)v[0];
    st->k = (int)v[1];
    st->seeds = (int)v[2];
    st->step = v[3];
    st->tries = (int)v[4];
    nao_default_params(&st->np);
    st->epochs = st->np.epochs = (int)v[5];
    st->warm_epochs = (int)v[6];
    st->np.hidden = (int)v[7];
    st->np.embed = (int)v[8];
    st->np.mlp = (int)v[9];
    st->np.lambda = v[10];
    st->np.lr = v[11];
    st->np.batch = (int)v[12];
    st->queue = malloc(sizeof *st->queue * (size_t)st->k);
    st->cand = malloc(sizeof *st->cand * (size_t)st->seeds);
    st->pred = malloc(sizeof *st->pred * (size_t)st->seeds);
    if (!st->queue || !st->cand || !st->pred || nao_new(&st->model, s, &st->np)) {
        nao_state_free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    return st;
}

static int model_round(void *p)
{
    struct nao_state *st = p;
    int warm = st->fits++ > 0 && st->warm_epochs > 0;
    int status = nao_fit(st->model, st->obs.arch, st->obs.score, st->obs.n, warm ? st->warm_epochs : st->epochs, !warm,
                         st->r);
    if (status || (status = smbo_order(&st->obs, &st->order))) return status;
    struct hashmap mine = {0}; /* candidates found this round */
    int n_cand = 0, seeds = st->seeds < st->obs.n ? st->seeds : st->obs.n;
    for (int i = 0; i < seeds && !status; i++) {
        const struct arch *a = &st->obs.arch[st->order[i]];
        for (int j = 1; j <= st->tries; j++) {
            struct arch d;
            double pr;
            nao_move(st->model, a, st->step * j, &d, &pr);
            uint64_t key = arch_key(st->s, &d);
            if (!space_contains(st->s, &d) || hashmap_get(&st->told, key, NULL) || hashmap_get(&mine, key, NULL))
                continue;
            if (hashmap_put(&mine, key, 1)) status = nasw_errorf(NASW_ENOMEM, "out of memory");
            st->cand[n_cand] = d;
            st->pred[n_cand++] = pr;
            break;
        }
    }
    hashmap_release(&mine);
    if (status) return status;
    /* the k best by prediction, queued so that the best is proposed first */
    st->n_queue = smbo_queue_best(st->pred, st->cand, n_cand, st->k, st->queue);
    return NASW_OK;
}

static int nao_propose(void *p, struct query *q)
{
    struct nao_state *st = p;
    q->epochs = 0;
    return smbo_next(st->s, st->r, &st->told, &st->obs, st->init, st->warm, &st->proposed_init, st->queue,
                     &st->n_queue, model_round, st, &q->arch);
}

static int nao_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct nao_state *st = p;
    return smbo_observe(&st->obs, &st->told, st->s, q, r);
}

static void nao_warm(void *p, struct search_warm *w) { ((struct nao_state *)p)->warm = w; }

static int nao_space_ok(const struct space *s)
{
    if (nao_supports(s)) return NASW_OK;
    return nasw_errorf(NASW_EUNSUPPORTED, "strategy 'nao' searches cell and chain spaces, not a %s space",
                       space_kind_name(s->kind));
}

const struct search_type search_type_nao = {
    .name = "nao",
    .help = "NAO: LSTM encoder/decoder + MLP predictor, gradient steps in embedding space (Luo et al. 2018)",
    .params = params,
    .alloc = nao_alloc,
    .propose = nao_propose,
    .observe = nao_observe,
    .free = nao_state_free,
    .warm_param = "init",
    .warm = nao_warm,
    .space_ok = nao_space_ok,
};
