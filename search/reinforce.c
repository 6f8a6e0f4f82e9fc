/*
 * search/reinforce.c - REINFORCE with a factorized categorical policy.
 *
 * Williams, "Simple statistical gradient-following algorithms for
 * connectionist reinforcement learning", 1992; the configuration of the
 * NAS-Bench-201 baseline (Dong & Yang 2020): one softmax over the values of
 * each decision, logits initialised to zero (uniform), reward = the search
 * metric (score), an exponential-moving-average baseline, Adam.  Following
 * NAS-Bench-201's code, the baseline is updated with the new reward before
 * the advantage (reward - baseline) is formed, and starts at the first
 * reward.  On a restricted space, samples outside the table are redrawn.
 * Repeats are free, so a converged policy would propose only repeats: after
 * `stall` consecutive samples that were already evaluated, the next
 * proposal is an unevaluated random architecture (told like any other).
 *
 * controller=lstm replaces the factorized policy by the LSTM controller of
 * Zoph & Le 2017 (search/reinforce_lstm.c) with the same reward, baseline,
 * Adam settings and stall rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/reinforce_policy.h"
#include "search/search.h"

struct rf_state {
    const struct space *s;
    struct rng *r;
    double lr, momentum, b1, b2, eps;
    int dim;
    double *theta, *grad, *m, *v;
    long t;
    double baseline;
    int have_baseline;
    struct hashmap told;
    int stall, repeats;
    struct rf_lstm *ctl;    /* controller=lstm, else NULL */
};

static const struct search_param params[] = {
    {"lr", 0.01, 1e-9, 100, 0, NULL, "Adam learning rate"},
    {"momentum", 0.9, 0, 0.999999, 0, NULL, "baseline: b = momentum*b + (1-momentum)*reward"},
    {"beta1", 0.9, 0, 0.999999, 0, NULL, "Adam beta1"},
    {"beta2", 0.999, 0, 0.999999, 0, NULL, "Adam beta2"},
    {"stall", 100, 1, 1e9, 1, NULL, "after this many repeated samples, propose an unseen random architecture"},
    {"controller", 0, 0, 1, 1, "factorized|lstm", "policy: one softmax per decision, or an LSTM controller (Zoph & Le 2017)"},
    {"hidden", 32, 1, 4096, 1, NULL, "controller=lstm: hidden size"},
    {"embed", 32, 1, 4096, 1, NULL, "controller=lstm: embedding size of the fed-back decisions"},
    {0},
};

double reinforce_logprob(const struct space *s, const double *theta, const struct arch *a, double *grad)
{
    double lp = 0;
    int off = 0;
    for (int i = 0; i < s->n_dims; i++) {
        int K = s->n_choices[i];
        const double *t = theta + off;
        double mx = t[0];
        for (int k = 1; k < K; k++)
            if (t[k] > mx) mx = t[k];
        double z = 0;
        for (int k = 0; k < K; k++) z += exp(t[k] - mx);
        lp += t[a->d[i]] - mx - log(z);
        if (grad)
            for (int k = 0; k < K; k++) grad[off + k] = (k == a->d[i]) - exp(t[k] - mx) / z;
        off += K;
    }
    return lp;
}

static void *rf_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct rf_state *st = calloc(1, sizeof *st);
    if (st) {
        st->dim = space_onehot_dim(s);
        st->theta = calloc((size_t)st->dim * 4, sizeof(double));
    }
    if (!st || !st->theta) {
        free(st);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    st->grad = st->theta + st->dim;
    st->m = st->grad + st->dim;
    st->v = st->m + st->dim;
    st->s = s;
    st->r = r;
    st->lr = v[0];
    st->momentum = v[1];
    st->b1 = v[2];
    st->b2 = v[3];
    st->eps = 1e-8;
    st->stall = (int)v[4];
    if ((int)v[5] == 1 && !(st->ctl = rf_lstm_new(s, (int)v[7], (int)v[6], r))) {
        free(st->theta);
        free(st);
        return NULL;
    }
    return st;
}

void reinforce_sample(const struct space *s, const double *theta, struct rng *r, struct arch *a)
{
    memset(a, 0, sizeof *a);
    a->n = s->n_dims;
    int off = 0;
    for (int i = 0; i < s->n_dims; i++) {
        int K = s->n_choices[i];
        const double *t = theta + off;
        double mx = t[0], z = 0;
        for (int k = 1; k < K; k++)
            if (t[k] > mx) mx = t[k];
        for (int k = 0; k < K; k++) z += exp(t[k] - mx);
        double u = rng_uniform(r) * z, c = 0;
        int pick = K - 1;
        for (int k = 0; k < K; k++) {
            c += exp(t[k] - mx);
            if (u < c) {
                pick = k;
                break;
            }
        }
        a->d[i] = (uint16_t)pick;
        off += K;
    }
}

void rl_propose(const struct space *s, struct rng *r, const struct hashmap *told, int *repeats, int stall,
                void (*sample)(void *ctx, struct arch *a), void *ctx, struct arch *out)
{
    int ok = 0;
    for (int tries = 0; tries < 100 && !ok; tries++) {
        sample(ctx, out);
        ok = space_contains(s, out);
    }
    if (!ok) arch_sample(s, r, out); /* sparse table: fall back to a member */
    if (!hashmap_get(told, arch_key(s, out), NULL)) {
        *repeats = 0;
    } else if (++*repeats >= stall) {
        *repeats = 0;
        arch_sample_avoiding(s, r, told, 1000, out);
    }
}

static void rf_sample(void *p, struct arch *a)
{
    struct rf_state *st = p;
    if (st->ctl) rf_lstm_sample(st->ctl, st->r, a);
    else reinforce_sample(st->s, st->theta, st->r, a);
}

static int rf_propose(void *p, struct query *q)
{
    struct rf_state *st = p;
    q->epochs = 0;
    rl_propose(st->s, st->r, &st->told, &st->repeats, st->stall, rf_sample, st, &q->arch);
    return NASW_OK;
}

static int rf_observe(void *p, const struct query *q, const struct bench_result *r)
{
    struct rf_state *st = p;
    if (hashmap_put(&st->told, arch_key(st->s, &q->arch), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!isfinite(r->score)) return NASW_OK; /* a failed training teaches nothing */
    if (!st->have_baseline) {
        st->baseline = r->score;
        st->have_baseline = 1;
    } else {
        st->baseline = st->momentum * st->baseline + (1 - st->momentum) * r->score;
    }
    double adv = r->score - st->baseline;
    if (st->ctl) {
        rf_lstm_logprob(st->ctl, &q->arch, 1);
        rf_lstm_update(st->ctl, adv, st->lr, st->b1, st->b2, st->eps);
        return NASW_OK;
    }
    reinforce_logprob(st->s, st->theta, &q->arch, st->grad);
    st->t++;
    double c1 = 1 - pow(st->b1, (double)st->t), c2 = 1 - pow(st->b2, (double)st->t);
    for (int i = 0; i < st->dim; i++) {
        double g = adv * st->grad[i]; /* ascent direction of adv * log pi */
        st->m[i] = st->b1 * st->m[i] + (1 - st->b1) * g;
        st->v[i] = st->b2 * st->v[i] + (1 - st->b2) * g * g;
        st->theta[i] += st->lr * (st->m[i] / c1) / (sqrt(st->v[i] / c2) + st->eps);
    }
    return NASW_OK;
}

static void rf_free(void *p)
{
    struct rf_state *st = p;
    if (!st) return;
    hashmap_release(&st->told);
    rf_lstm_free(st->ctl);
    free(st->theta);
    free(st);
}

const struct search_type search_type_reinforce = {
    .name = "reinforce",
    .help = "REINFORCE, factorized categorical policy, EMA baseline, Adam (Williams 1992; NB201 baseline)",
    .params = params,
    .alloc = rf_alloc,
    .propose = rf_propose,
    .observe = rf_observe,
    .free = rf_free,
};
