/*
 * surrogate/nao.c - the NAO encoder / predictor / decoder (surrogate/nao.h).
 *
 * The two LSTMs are surrogate/lstm.c's core network (the decoder through
 * its conditioning input); the predictor, the projection of the embedding
 * into the decoder, the output layer and their backward passes are here.
 * Every backward accumulates into the gradient view; tests/test_nao.c
 * checks the whole loss gradient by central finite differences.
 */
#include "surrogate/nao.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "surrogate/lstm.h"

struct nao {
    const struct space *s;
    struct nao_params p;
    int T, V, C, H, P, maxB;
    struct lstm_net enc, dec;          /* dec's vocabulary: V + 1 (the start token) */
    size_t wc, wo, bo, w1, b1, w2, b2; /* offsets: Wc (4H,H), Wo (C,H), bo (C), W1 (P,H), b1 (P), w2 (P), b2 (1) */
    size_t n;                          /* parameters */
    float *block;                      /* 4 views of n floats */
    long adam_t;
    double lo, hi;                     /* target scaling */
    /* scratch for maxB sequences */
    float *cache_enc, *cache_dec;
    int *tok, *tok_dec;                /* (B,T) */
    float *e, *u, *a1, *pr, *hd, *dlog, *dh_enc, *dh_dec, *du, *de;
    int *idx;
    float *ys;
};

void nao_default_params(struct nao_params *p)
{
    *p = (struct nao_params){.embed = 32, .hidden = 32, .mlp = 64, .batch = 32, .epochs = 100, .lr = 1e-3,
                             .lambda = 0.8};
}

int nao_supports(const struct space *s) { return s->kind == SPACE_CELL || s->kind == SPACE_CHAIN; }

void nao_free(struct nao *m)
{
    if (!m) return;
    free(m->block);
    free(m->cache_enc);
    free(m->cache_dec);
    free(m->tok);
    free(m->tok_dec);
    free(m->e);
    free(m->u);
    free(m->a1);
    free(m->pr);
    free(m->hd);
    free(m->dlog);
    free(m->dh_enc);
    free(m->dh_dec);
    free(m->du);
    free(m->de);
    free(m->idx);
    free(m->ys);
    free(m);
}

int nao_new(struct nao **out, const struct space *s, const struct nao_params *p)
{
    *out = NULL;
    if (!nao_supports(s))
        return nasw_errorf(NASW_EUNSUPPORTED, "nao searches cell and chain spaces, not a %s space", space_kind_name(s->kind));
    struct nao *m = calloc(1, sizeof *m);
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    m->s = s;
    m->p = *p;
    m->T = lstm_seq_len(s);
    m->V = lstm_vocab(s);
    for (int t = 0; t < m->T; t++)
        if (s->n_choices[t] > m->C) m->C = s->n_choices[t];
    m->H = p->hidden;
    m->P = p->mlp;
    m->maxB = p->batch;
    int H = m->H, T = m->T, B = m->maxB;
    lstm_net_layout(&m->enc, m->V, p->embed, H, 0);
    lstm_net_layout(&m->dec, m->V + 1, p->embed, H, m->enc.end);
    m->wc = m->dec.end;
    m->wo = m->wc + (size_t)4 * H * H;
    m->bo = m->wo + (size_t)m->C * H;
    m->w1 = m->bo + (size_t)m->C;
    m->b1 = m->w1 + (size_t)m->P * H;
    m->w2 = m->b1 + (size_t)m->P;
    m->b2 = m->w2 + (size_t)m->P;
    m->n = m->b2 + 1;
    size_t bh = (size_t)B * H, tbh = (size_t)T * bh;
    m->block = calloc(4 * m->n, sizeof(float));
    m->cache_enc = malloc(sizeof(float) * lstm_net_cache_size(&m->enc, B, T));
    m->cache_dec = malloc(sizeof(float) * lstm_net_cache_size(&m->dec, B, T));
    m->tok = malloc(sizeof(int) * (size_t)B * T);
    m->tok_dec = malloc(sizeof(int) * (size_t)B * T);
    m->e = malloc(sizeof(float) * bh);
    m->u = malloc(sizeof(float) * 4 * bh);
    m->a1 = malloc(sizeof(float) * (size_t)B * m->P);
    m->pr = malloc(sizeof(float) * (size_t)B);
    m->hd = malloc(sizeof(float) * tbh);
    m->dlog = malloc(sizeof(float) * (size_t)T * B * m->C);
    m->dh_enc = malloc(sizeof(float) * tbh);
    m->dh_dec = malloc(sizeof(float) * tbh);
    m->du = malloc(sizeof(float) * 4 * bh);
    m->de = malloc(sizeof(float) * bh);
    m->ys = malloc(sizeof(float) * (size_t)B);
    if (!m->block || !m->cache_enc || !m->cache_dec || !m->tok || !m->tok_dec || !m->e || !m->u || !m->a1 || !m->pr ||
        !m->hd || !m->dlog || !m->dh_enc || !m->dh_dec || !m->du || !m->de || !m->ys) {
        nao_free(m);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    *out = m;
    return NASW_OK;
}

float *nao_block(struct nao *m, int view, size_t *n)
{
    if (n) *n = m->n;
    return m->block + (size_t)view * m->n;
}

static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Tokens of B architectures: the encoder's (B,T) and the decoder's inputs,
 * shifted right behind the start token V. */
static void tokens(struct nao *m, const struct arch *a, int B)
{
    int T = m->T;
    for (int b = 0; b < B; b++) {
        int *tk = m->tok + (size_t)b * T, *td = m->tok_dec + (size_t)b * T;
        lstm_tokens(m->s, &a[b], tk);
        td[0] = m->V;
        for (int t = 1; t < T; t++) td[t] = tk[t - 1];
    }
}

/* The embedding e (B,H): the mean of the encoder's hidden states. */
static void encode(struct nao *m, const float *w, int B)
{
    int T = m->T, H = m->H;
    size_t bh = (size_t)B * H;
    lstm_net_forward(&m->enc, w, m->tok, B, T, m->cache_enc);
    memset(m->e, 0, sizeof(float) * bh);
    for (int t = 0; t < T; t++) {
        const float *h = lstm_net_hidden(&m->enc, m->cache_enc, B, T, t);
        for (size_t k = 0; k < bh; k++) m->e[k] += h[k] / (float)T;
    }
}

/* The predictor on e (B,H): a1 (B,P) and pr (B), scaled units. */
static void predict_e(struct nao *m, const float *w, const float *e, int B)
{
    int H = m->H, P = m->P;
    for (int b = 0; b < B; b++) {
        memcpy(m->a1 + (size_t)b * P, w + m->b1, sizeof(float) * P);
    }
    /* a1 += e (B,H) W1^T (H,P) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, P, H, 1.0f, e, H, w + m->w1, H, 1.0f, m->a1, P);
    for (int b = 0; b < B; b++) {
        float z = w[m->b2], *ab = m->a1 + (size_t)b * P;
        for (int j = 0; j < P; j++) {
            if (ab[j] < 0) ab[j] = 0;
            z += ab[j] * w[m->w2 + j];
        }
        m->pr[b] = sigm(z);
    }
}

/* The decoder's conditioning u = e Wc^T (B,4H). */
static void condition(struct nao *m, const float *w, const float *e, int B)
{
    int H = m->H;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, 4 * H, H, 1.0f, e, H, w + m->wc, H, 0.0f, m->u, 4 * H);
}

/* Logits of step t (the n_choices[t] first of C) for sequence b. */
static void logits(const struct nao *m, const float *w, const float *h, int t, float *out)
{
    int H = m->H, n = m->s->n_choices[t];
    for (int k = 0; k < n; k++) {
        const float *wo = w + m->wo + (size_t)k * H;
        float z = w[m->bo + k];
        for (int j = 0; j < H; j++) z += wo[j] * h[j];
        out[k] = z;
    }
}

/* Softmax over n logits in place; returns log sum_k exp z_k (so that
 * -log p_k = that - z_k), computed without overflow. */
static double softmax(float *z, int n)
{
    float mx = z[0];
    for (int k = 1; k < n; k++) mx = fmaxf(mx, z[k]);
    double sum = 0;
    for (int k = 0; k < n; k++) sum += exp((double)(z[k] - mx));
    double lse = mx + log(sum);
    for (int k = 0; k < n; k++) z[k] = (float)exp((double)z[k] - lse);
    return lse;
}

double nao_batch_loss(struct nao *m, const struct arch *a, const float *ys, int B, int grad)
{
    NASW_ASSERT(B >= 1 && B <= m->maxB);
    const float *w = m->block;
    float *g = m->block + m->n;
    int T = m->T, H = m->H, P = m->P, C = m->C;
    size_t bh = (size_t)B * H;
    float lam = (float)m->p.lambda;
    tokens(m, a, B);
    encode(m, w, B);
    predict_e(m, w, m->e, B);
    condition(m, w, m->e, B);
    lstm_net_forward_cond(&m->dec, w, m->tok_dec, B, T, m->u, m->cache_dec);
    double lp = 0, lr = 0;
    for (int b = 0; b < B; b++) {
        double d = (double)m->pr[b] - ys[b];
        lp += d * d / B;
    }
    for (int t = 0; t < T; t++) {
        const float *h = lstm_net_hidden(&m->dec, m->cache_dec, B, T, t);
        for (int b = 0; b < B; b++) {
            float *z = m->dlog + ((size_t)t * B + b) * C;
            int n = m->s->n_choices[t], y = a[b].d[t];
            logits(m, w, h + (size_t)b * H, t, z);
            double zy = z[y];
            lr += (softmax(z, n) - zy) / ((double)B * T); /* -log p_y */
            /* dL/dz = (1 - lambda) / (B T) (softmax - onehot) */
            for (int k = 0; k < n; k++) z[k] = (1 - lam) / (float)(B * T) * (z[k] - (k == y));
        }
    }
    double loss = lam * lp + (1 - lam) * lr;
    if (!grad) return loss;
    /* output layer: dWo += dz^T h, dbo += dz, dhd = dz Wo */
    memset(m->dh_dec, 0, sizeof(float) * (size_t)T * bh);
    for (int t = 0; t < T; t++) {
        const float *h = lstm_net_hidden(&m->dec, m->cache_dec, B, T, t);
        int n = m->s->n_choices[t];
        for (int b = 0; b < B; b++) {
            const float *dz = m->dlog + ((size_t)t * B + b) * C, *hb = h + (size_t)b * H;
            float *dh = m->dh_dec + (size_t)t * bh + (size_t)b * H;
            for (int k = 0; k < n; k++) {
                const float *wo = w + m->wo + (size_t)k * H;
                float *gwo = g + m->wo + (size_t)k * H;
                for (int j = 0; j < H; j++) {
                    gwo[j] += dz[k] * hb[j];
                    dh[j] += dz[k] * wo[j];
                }
                g[m->bo + k] += dz[k];
            }
        }
    }
    memset(m->du, 0, sizeof(float) * 4 * bh);
    lstm_net_backward_cond(&m->dec, w, g, m->tok_dec, B, T, m->cache_dec, m->dh_dec, m->du);
    /* u = e Wc^T: de = du Wc (B,4H)(4H,H), dWc += du^T e */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, 4 * H, 1.0f, m->du, 4 * H, w + m->wc, H, 0.0f, m->de,
                H);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 4 * H, H, B, 1.0f, m->du, 4 * H, m->e, H, 1.0f, g + m->wc, H);
    /* predictor: p = sigm(a w2 + b2), a = relu(e W1^T + b1) */
    for (int b = 0; b < B; b++) {
        float p = m->pr[b], dz = lam * 2 * (p - ys[b]) / (float)B * p * (1 - p);
        const float *ab = m->a1 + (size_t)b * P;
        g[m->b2] += dz;
        for (int j = 0; j < P; j++) {
            g[m->w2 + j] += dz * ab[j];
            float da = ab[j] > 0 ? dz * w[m->w2 + j] : 0;
            if (da == 0) continue;
            g[m->b1 + j] += da;
            const float *w1 = w + m->w1 + (size_t)j * H, *eb = m->e + (size_t)b * H;
            float *gw1 = g + m->w1 + (size_t)j * H, *deb = m->de + (size_t)b * H;
            for (int i = 0; i < H; i++) {
                gw1[i] += da * eb[i];
                deb[i] += da * w1[i];
            }
        }
    }
    /* e = (1/T) sum_t h_t */
    for (int t = 0; t < T; t++)
        for (size_t k = 0; k < bh; k++) m->dh_enc[(size_t)t * bh + k] = m->de[k] / (float)T;
    lstm_net_backward(&m->enc, w, g, m->tok, B, T, m->cache_enc, m->dh_enc);
    return loss;
}

static void init_weights(struct nao *m, struct rng *r)
{
    float *w = m->block;
    memset(m->block, 0, sizeof(float) * 4 * m->n);
    lstm_net_init(&m->enc, w, r);
    lstm_net_init(&m->dec, w, r);
    /* the rest U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's Linear */
    double a = 1 / sqrt((double)m->H), ap = 1 / sqrt((double)m->P);
    for (size_t i = m->wc; i < m->w2; i++) w[i] = (float)(a * (2 * rng_uniform(r) - 1));
    for (size_t i = m->w2; i < m->n; i++) w[i] = (float)(ap * (2 * rng_uniform(r) - 1));
    m->adam_t = 0;
}

int nao_fit(struct nao *m, const struct arch *a, const double *y, int n, int epochs, int reinit, struct rng *r)
{
    if (n < 1) return nasw_errorf(NASW_EINVAL, "nao: nothing to fit");
    double lo = y[0], hi = y[0];
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) return nasw_errorf(NASW_EINVAL, "nao: target %d is not finite", i);
        lo = fmin(lo, y[i]);
        hi = fmax(hi, y[i]);
    }
    double span = hi - lo;
    if (!(span > 0)) span = fabs(lo) > 0 ? fabs(lo) : 1;
    m->lo = lo - 0.1 * span;
    m->hi = hi + 0.1 * span;
    int *idx = realloc(m->idx, sizeof *idx * (size_t)n);
    struct arch *batch = malloc(sizeof *batch * (size_t)m->maxB);
    if (!idx || !batch) {
        if (idx) m->idx = idx;
        free(batch);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    m->idx = idx;
    if (reinit || m->adam_t == 0) init_weights(m, r);
    for (int i = 0; i < n; i++) idx[i] = i;
    float *w = m->block, *g = w + m->n, *mm = g + m->n, *vv = mm + m->n;
    for (int ep = 0; ep < epochs; ep++) {
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates with the caller's rng */
            int j = (int)rng_int(r, (uint64_t)i + 1), t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        for (int s0 = 0; s0 < n; s0 += m->maxB) {
            int B = n - s0 < m->maxB ? n - s0 : m->maxB;
            for (int b = 0; b < B; b++) {
                batch[b] = a[idx[s0 + b]];
                m->ys[b] = (float)((y[idx[s0 + b]] - m->lo) / (m->hi - m->lo));
            }
            memset(g, 0, sizeof(float) * m->n);
            nao_batch_loss(m, batch, m->ys, B, 1);
            lstm_adam(w, g, mm, vv, m->n, ++m->adam_t, m->p.lr, 0.9, 0.999, 1e-8);
        }
    }
    free(batch);
    return NASW_OK;
}

int nao_predict(struct nao *m, const struct arch *a, int n, double *y)
{
    for (int s0 = 0; s0 < n; s0 += m->maxB) {
        int B = n - s0 < m->maxB ? n - s0 : m->maxB;
        tokens(m, a + s0, B);
        encode(m, m->block, B);
        predict_e(m, m->block, m->e, B);
        for (int b = 0; b < B; b++) y[s0 + b] = m->lo + (m->hi - m->lo) * m->pr[b];
    }
    return NASW_OK;
}

int nao_move(struct nao *m, const struct arch *a, double step, struct arch *out, double *pred)
{
    const float *w = m->block;
    int T = m->T, H = m->H, P = m->P;
    tokens(m, a, 1);
    encode(m, w, 1);
    predict_e(m, w, m->e, 1);
    /* dp/de = p (1 - p) sum_j w2_j [a1_j > 0] W1_j */
    float p = m->pr[0], *e = m->de;
    memcpy(e, m->e, sizeof(float) * H);
    for (int j = 0; j < P; j++) {
        if (!(m->a1[j] > 0)) continue;
        float c = (float)step * p * (1 - p) * w[m->w2 + j];
        for (int i = 0; i < H; i++) e[i] += c * w[m->w1 + (size_t)j * H + i];
    }
    predict_e(m, w, e, 1);
    *pred = m->lo + (m->hi - m->lo) * m->pr[0];
    condition(m, w, e, 1);
    /* greedy decoding: step t reads the choice made at t-1 (the prefix is
     * re-run, T is small) */
    memset(out, 0, sizeof *out);
    out->n = T;
    float *z = m->dlog; /* C floats of scratch */
    for (int t = 0; t < T; t++) {
        lstm_tokens(m->s, out, m->tok);
        m->tok_dec[0] = m->V;
        for (int k = 1; k <= t; k++) m->tok_dec[k] = m->tok[k - 1];
        lstm_net_forward_cond(&m->dec, w, m->tok_dec, 1, t + 1, m->u, m->cache_dec);
        logits(m, w, lstm_net_hidden(&m->dec, m->cache_dec, 1, t + 1, t), t, z);
        int best = 0;
        for (int k = 1; k < m->s->n_choices[t]; k++)
            if (z[k] > z[best]) best = k;
        out->d[t] = (uint16_t)best;
    }
    return NASW_OK;
}
