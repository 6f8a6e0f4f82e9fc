/*
 * search/ppo.c - the NASNet controller trained by proximal policy
 * optimisation (Zoph et al. 2018, "Learning Transferable Architectures for
 * Scalable Image Recognition"; PPO: Schulman et al. 2017).
 *
 * The policy is reinforce's: the LSTM controller of Zoph & Le (default, as
 * NASNet) or the factorized one (controller=factorized).  Architectures are
 * sampled in batches of `batch`; each proposal remembers its log-probability
 * under the policy that sampled it (log pi_old).  When a batch's results are
 * all in, the advantages are A_i = r_i - b with b the exponential moving
 * average of earlier rewards (the first batch: its own mean), and the
 * clipped surrogate
 *     L = mean_i min(rho_i A_i, clip(rho_i, 1 - eps, 1 + eps) A_i),
 *     rho_i = pi(a_i) / pi_old(a_i),
 * is ascended with Adam for `epochs` passes over the batch.  Its gradient is
 * rho_i A_i d log pi(a_i) where the clip is inactive and 0 where it is
 * active (rho_i > 1 + eps with A_i > 0, rho_i < 1 - eps with A_i < 0).
 * Then the baseline takes the batch's rewards.  Samples outside a
 * restricted table are redrawn, and repeats follow reinforce's stall rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/reinforce_policy.h"
#include "search/search.h"

struct ppo_state {
    const struct space *s;
    struct rng *r;
    double lr, momentum, clip, b1, b2, eps;
    int batch, epochs, stall, repeats;
    struct rf_lstm *ctl;   /* controller=lstm, else the factorized theta */
    int dim;
    double *theta, *grad, *m, *v, *dir;
    long t;
    float *fdir;           /* the LSTM's ascent direction */
    size_t n;
    struct hashmap told;
    struct hashmap lp_old; /* key -> index into lps[] of its latest proposal */
    double *lps;
    long n_lps, cap_lps;
    struct arch *ba;       /* the batch: architectures, log pi_old, rewards */
    double *blp, *br;
    int nb;
    double baseline;
    int have_baseline;
};

static const struct search_param params[] = {
    {"lr", 0.01, 1e-9, 100, 0, NULL, "Adam learning rate"},
    {"batch", 10, 1, 10000, 1, NULL, "architectures per policy update"},
    {"epochs", 4, 1, 1000, 1, NULL, "passes of Adam over each batch"},
    {"clip", 0.2, 1e-6, 10, 0, NULL, "PPO's clipping range eps"},
    {"momentum", 0.9, 0, 0.999999, 0, NULL, "baseline: b = momentum*b + (1-momentum)*reward"},
    {"stall", 100, 1, 1e9, 1, NULL, "after this many repeated samples, propose an unseen random architecture"},
    {"controller", 1, 0, 1, 1, "factorized|lstm", "policy: one softmax per decision, or the LSTM controller (NASNet)"},
    {"hidden", 32, 1, 4096, 1, NULL, "controller=lstm: hidden size"},
    {"embed", 32, 1, 4096, 1, NULL, "controller=lstm: embedding size of the fed-back decisions"},
    {0},
};

static void ppo_free(void *p)
{
    struct ppo_state *st = p;
    if (!st) return;
    hashmap_release(&st->told);
    hashmap_release(&st->lp_old);
    rf_lstm_free(st->ctl);
    free(st->theta);
    free(st->fdir);
    free(st->lps);
    free(st->ba);
    free(st->blp);
    free(st->br);
    free(st);
}

static void *ppo_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct ppo_state *st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->r = r;
    st->lr = v[0];
    st->batch = (int)v[1];
    st->epochs = (int)v[2];
    st->clip = v[3];
    st->momentum = v[4];
    st->stall = (int)v[5];
    st->b1 = 0.9;
    st->b2 = 0.999;
    st->eps = 1e-8;
    st->ba = calloc((size_t)st->batch, sizeof *st->ba);
    st->blp = calloc((size_t)st->batch, sizeof *st->blp);
    st->br = calloc((size_t)st->batch, sizeof *st->br);
    if (!st->ba || !st->blp || !st->br) goto nomem;
    if ((int)v[6] == 1) {
        if (!(st->ctl = rf_lstm_new(s, (int)v[8], (int)v[7], r))) {
            ppo_free(st);
            return NULL;
        }
        rf_lstm_block(st->ctl, 0, &st->n);
        if (!(st->fdir = calloc(st->n, sizeof *st->fdir))) goto nomem;
    } else {
        st->dim = space_onehot_dim(s);
        if (!(st->theta = calloc((size_t)st->dim * 5, sizeof(double)))) goto nomem;
        st->grad = st->theta + st->dim;
        st->m = st->grad + st->dim;
        st->v = st->m + st->dim;
        st->dir = st->v + st->dim;
    }
    return st;
nomem:
    ppo_free(st);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

/* log pi(a) under the current policy; with grad, the gradient is left in
 * st->grad (factorized) or the controller's gradient view (LSTM) */
static double logprob(struct ppo_state *st, const struct arch *a, int grad)
{
    if (st->ctl) return rf_lstm_logprob(st->ctl, a, grad);
    return reinforce_logprob(st->s, st->theta, a, grad ? st->grad : NULL);
}

static void sample(void *p, struct arch *a)
{
    struct ppo_state *st = p;
    if (st->ctl) rf_lstm_sample(st->ctl, st->r, a);
    else reinforce_sample(st->s, st->theta, st->r, a);
}

static int ppo_propose(void *p, struct query *q)
{
    struct ppo_state *st = p;
    q->epochs = 0;
    rl_propose(st->s, st->r, &st->told, &st->repeats, st->stall, sample, st, &q->arch);
    /* log pi_old of this proposal: the policy that sampled it */
    if (st->n_lps == st->cap_lps) {
        long cap = st->cap_lps ? 2 * st->cap_lps : 64;
        double *l = realloc(st->lps, sizeof *l * (size_t)cap);
        if (!l) return nasw_errorf(NASW_ENOMEM, "out of memory");
        st->lps = l;
        st->cap_lps = cap;
    }
    st->lps[st->n_lps] = logprob(st, &q->arch, 0);
    if (hashmap_put(&st->lp_old, arch_key(st->s, &q->arch), st->n_lps++)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    return NASW_OK;
}

/* Adam ascent of the clipped surrogate over the batch, `epochs` times */
static void update(struct ppo_state *st)
{
    int M = st->nb;
    if (!st->have_baseline) {
        double m = 0;
        for (int i = 0; i < M; i++) m += st->br[i] / M;
        st->baseline = m;
        st->have_baseline = 1;
    }
    for (int e = 0; e < st->epochs; e++) {
        if (st->ctl) memset(st->fdir, 0, sizeof(float) * st->n);
        else memset(st->dir, 0, sizeof(double) * (size_t)st->dim);
        for (int i = 0; i < M; i++) {
            double A = st->br[i] - st->baseline, lp = logprob(st, &st->ba[i], 1);
            double rho = exp(lp - st->blp[i]);
            if ((A > 0 && rho > 1 + st->clip) || (A < 0 && rho < 1 - st->clip)) continue; /* clipped: no gradient */
            double w = rho * A / M;
            if (st->ctl) {
                const float *g = rf_lstm_block(st->ctl, 1, NULL);
                for (size_t j = 0; j < st->n; j++) st->fdir[j] += (float)(w * g[j]);
            } else
                for (int j = 0; j < st->dim; j++) st->dir[j] += w * st->grad[j];
        }
        if (st->ctl) {
            rf_lstm_ascent(st->ctl, st->fdir, st->lr, st->b1, st->b2, st->eps);
            continue;
        }
        st->t++;
        double c1 = 1 - pow(st->b1, (double)st->t), c2 = 1 - pow(st->b2, (double)st->t);
        for (int j = 0; j < st->dim; j++) {
            double g = st->dir[j];
            st->m[j] = st->b1 * st->m[j] + (1 - st->b1) * g;
            st->v[j] = st->b2 * st->v[j] + (1 - st->b2) * g * g;
            st->theta[j] += st->lr * (st->m[j] / c1) / (sqrt(st->v[j] / c2) + st->eps);
        }
    }
    for (int i = 0; i < M; i++) st->baseline = st->momentum * st->baseline + (1 - st->momentum) * st->br[i];
    st->nb = 0;
}

static int ppo_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct ppo_state *st = p;
    uint64_t key = arch_key(st->s, &q->arch);
    if (hashmap_put(&st->told, key, 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!isfinite(r->score)) return NASW_OK; /* a failed training teaches nothing */
    int64_t at;
    double lp = hashmap_get(&st->lp_old, key, &at) ? st->lps[at] : logprob(st, &q->arch, 0);
    st->ba[st->nb] = q->arch;
    st->blp[st->nb] = lp;
    st->br[st->nb] = r->score;
    if (++st->nb == st->batch) update(st);
    return NASW_OK;
}

const struct search_type search_type_ppo = {
    .name = "ppo",
    .help = "NASNet controller trained by PPO: clipped surrogate, batches, several epochs (Zoph et al. 2018)",
    .params = params,
    .alloc = ppo_alloc,
    .propose = ppo_propose,
    .observe = ppo_observe,
    .free = ppo_free,
};
