/*
 * search/reinforce_lstm.c - the LSTM controller of `reinforce:controller=lstm`
 * (Zoph & Le 2017, "Neural Architecture Search with Reinforcement
 * Learning"; the per-decision softmax heads and the uniform(-0.1, 0.1)
 * initialisation follow ENAS, Pham et al. 2018).
 *
 * One LSTM cell (surrogate/lstm.h's core) emits one decision per step -
 * per edge of a cell, per layer of a chain, the item of a set.  Step t
 * reads the embedding of the previous decision (step 0 a start token) and
 * its hidden state goes through the head of decision t, a linear layer to
 * n_choices[t] logits and a softmax; the sampled value is fed back.
 * Tokens: 0 = start, 1 + off[t] + value for decision t's value, where
 * off[t] = sum_{j<t} n_choices[j] (V = 1 + sum n_choices).
 * Parameters, one block with four float views (weights, gradients, Adam m,
 * Adam v): the core, then per decision t its head W_t (K_t,H), b_t (K_t).
 * log pi(a) = sum_t log softmax(W_t h_t + b_t)[a_t] with h_t computed under
 * teacher forcing of a; its gradient is (onehot(a_t) - softmax) per head,
 * backpropagated through the core by lstm_net_backward.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "search/reinforce_policy.h"
#include "surrogate/lstm.h"

struct rf_lstm {
    const struct space *s;
    struct lstm_net L;
    int T, off[ARCH_MAX_DIMS + 1];
    size_t head[ARCH_MAX_DIMS]; /* offset of W_t; b_t follows it */
    size_t n;
    float *block;               /* 4 views of n floats */
    float *cache, *dh, *work, *h, *c;
    double *logits;
    long t;                     /* Adam step */
};

void rf_lstm_free(struct rf_lstm *c)
{
    if (!c) return;
    free(c->block);
    free(c->cache);
    free(c->dh);
    free(c->work);
    free(c->h);
    free(c->logits);
    free(c);
}

struct rf_lstm *rf_lstm_new(const struct space *s, int embed, int hidden, struct rng *r)
{
    struct rf_lstm *c = calloc(1, sizeof *c);
    if (!c) goto nomem;
    c->s = s;
    c->T = s->n_dims;
    int kmax = 0;
    for (int t = 0; t < c->T; t++) {
        c->off[t + 1] = c->off[t] + s->n_choices[t];
        if (s->n_choices[t] > kmax) kmax = s->n_choices[t];
    }
    lstm_net_layout(&c->L, 1 + c->off[c->T], embed, hidden, 0);
    size_t o = c->L.end;
    for (int t = 0; t < c->T; t++) {
        c->head[t] = o;
        o += (size_t)s->n_choices[t] * (size_t)(hidden + 1);
    }
    c->n = o;
    c->block = calloc(4 * c->n, sizeof(float));
    c->cache = malloc(sizeof(float) * lstm_net_cache_size(&c->L, 1, c->T));
    c->dh = malloc(sizeof(float) * (size_t)c->T * hidden);
    c->work = malloc(sizeof(float) * (size_t)(5 * hidden + embed));
    c->h = malloc(sizeof(float) * 2 * (size_t)hidden);
    c->logits = malloc(sizeof(double) * (size_t)kmax);
    if (!c->block || !c->cache || !c->dh || !c->work || !c->h || !c->logits) goto nomem;
    c->c = c->h + hidden;
    for (size_t i = 0; i < c->n; i++) c->block[i] = (float)(0.2 * rng_uniform(r) - 0.1);
    return c;
nomem:
    rf_lstm_free(c);
    nasw_errorf(NASW_ENOMEM, "out of memory");
    return NULL;
}

/* The state is the block (weights, gradients, Adam's two moments) and
 * Adam's step count, as raw bytes of this build. */
size_t rf_lstm_state_size(const struct rf_lstm *c) { return 4 * c->n * sizeof(float) + sizeof c->t; }

void rf_lstm_state_get(const struct rf_lstm *c, void *out)
{
    memcpy(out, c->block, 4 * c->n * sizeof(float));
    memcpy((char *)out + 4 * c->n * sizeof(float), &c->t, sizeof c->t);
}

void rf_lstm_state_set(struct rf_lstm *c, const void *in)
{
    memcpy(c->block, in, 4 * c->n * sizeof(float));
    memcpy(&c->t, (const char *)in + 4 * c->n * sizeof(float), sizeof c->t);
}

float *rf_lstm_block(struct rf_lstm *c, int view, size_t *n)
{
    if (n) *n = c->n;
    return c->block + (size_t)view * c->n;
}

/* logits of head t from h (H) into c->logits; returns log of the softmax's
 * normaliser (max-shifted), with c->logits shifted by the max */
static double head_logits(struct rf_lstm *c, int t, const float *h)
{
    int K = c->s->n_choices[t], H = c->L.H;
    const float *W = c->block + c->head[t], *b = W + (size_t)K * H;
    double mx = -INFINITY, z = 0;
    for (int k = 0; k < K; k++) {
        double v = b[k];
        for (int j = 0; j < H; j++) v += (double)W[(size_t)k * H + j] * h[j];
        c->logits[k] = v;
        if (v > mx) mx = v;
    }
    for (int k = 0; k < K; k++) {
        c->logits[k] -= mx;
        z += exp(c->logits[k]);
    }
    return log(z);
}

void rf_lstm_sample(struct rf_lstm *c, struct rng *r, struct arch *a)
{
    int H = c->L.H, tok = 0;
    memset(a, 0, sizeof *a);
    a->n = c->T;
    memset(c->h, 0, sizeof(float) * 2 * (size_t)H);
    for (int t = 0; t < c->T; t++) {
        lstm_net_step(&c->L, c->block, &tok, 1, c->h, c->c, c->work);
        double lz = head_logits(c, t, c->h), u = rng_uniform(r), acc = 0;
        int K = c->s->n_choices[t], pick = K - 1;
        for (int k = 0; k < K; k++) {
            acc += exp(c->logits[k] - lz);
            if (u < acc) {
                pick = k;
                break;
            }
        }
        a->d[t] = (uint16_t)pick;
        tok = 1 + c->off[t] + pick;
    }
}

double rf_lstm_logprob(struct rf_lstm *c, const struct arch *a, int grad)
{
    int T = c->T, H = c->L.H, tok[ARCH_MAX_DIMS] = {0};
    for (int t = 0; t < T; t++) tok[t] = t ? 1 + c->off[t - 1] + a->d[t - 1] : 0;
    lstm_net_forward(&c->L, c->block, tok, 1, T, c->cache);
    float *g = c->block + c->n;
    if (grad) {
        memset(g, 0, sizeof(float) * c->n);
        memset(c->dh, 0, sizeof(float) * (size_t)T * H);
    }
    double lp = 0;
    for (int t = 0; t < T; t++) {
        const float *h = lstm_net_hidden(&c->L, c->cache, 1, T, t);
        double lz = head_logits(c, t, h);
        int K = c->s->n_choices[t];
        lp += c->logits[a->d[t]] - lz;
        if (!grad) continue;
        float *gW = g + c->head[t], *gb = gW + (size_t)K * H, *dh = c->dh + (size_t)t * H;
        const float *W = c->block + c->head[t];
        for (int k = 0; k < K; k++) {
            float d = (float)((k == a->d[t]) - exp(c->logits[k] - lz)); /* dlogpi/dlogit_k */
            gb[k] += d;
            for (int j = 0; j < H; j++) {
                gW[(size_t)k * H + j] += d * h[j];
                dh[j] += d * W[(size_t)k * H + j];
            }
        }
    }
    if (grad) lstm_net_backward(&c->L, c->block, g, tok, 1, T, c->cache, c->dh);
    return lp;
}

void rf_lstm_update(struct rf_lstm *c, double adv, double lr, double b1, double b2, double eps)
{
    float *w = c->block, *g = w + c->n;
    /* Adam descends: the gradient of -adv * log pi */
    for (size_t i = 0; i < c->n; i++) g[i] *= (float)-adv;
    lstm_adam(w, g, g + c->n, g + 2 * c->n, c->n, ++c->t, lr, b1, b2, eps);
}

void rf_lstm_ascent(struct rf_lstm *c, const float *dir, double lr, double b1, double b2, double eps)
{
    float *w = c->block, *g = w + c->n;
    for (size_t i = 0; i < c->n; i++) g[i] = -dir[i]; /* Adam descends */
    lstm_adam(w, g, g + c->n, g + 2 * c->n, c->n, ++c->t, lr, b1, b2, eps);
}
