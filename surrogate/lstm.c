/*
 * surrogate/lstm.c - the LSTM core (forward/backward over token sequences,
 * Adam) and the PNAS ensemble surrogate.  Conventions (tokens, gate order
 * i,f,g,o, shapes, target scaling) are in surrogate/lstm.h.  All matrix work
 * goes through CBLAS sgemm; the cache (arena) layout for (B,T) is
 *   act (T,B,4H)   pre-activations -> activations -> (backward) dLoss/dz
 *   h   (T+1,B,H)  h[0] = h_{-1} = 0, h[t+1] = h_t
 *   c   (T+1,B,H)  likewise
 *   tc  (T,B,H)    tanh(c_t)
 *   xin            forward input: gathered embeddings (T*B,E) or the
 *                  per-token projection table (V,4H)
 *   dx             backward scratch of the same size
 *   dc  (B,H)      running dLoss/dc
 * Not here: the choice of tokens for a strategy (search/), the CLI.
 */
#include "surrogate/lstm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"

/* --- tokens -------------------------------------------------------------- */

int lstm_seq_len(const struct space *s) { return s->n_dims; }

int lstm_vocab(const struct space *s)
{
    if (s->kind == SPACE_CELL) return (s->n_nodes - 1) * s->n_ops;
    if (s->kind == SPACE_GRAPH) return 2 + s->n_choices[s->n_dims - 1]; /* edge bits, then labels */
    if (s->kind == SPACE_DARTS) return 5 + s->n_choices[1];             /* inputs 0..4, then ops */
    int v = 0;
    for (int i = 0; i < s->n_dims; i++)
        if (s->n_choices[i] > v) v = s->n_choices[i];
    return v;
}

void lstm_tokens(const struct space *s, const struct arch *a, int *tok)
{
    for (int e = 0; e < s->n_dims; e++)
        tok[e] = s->kind == SPACE_CELL                            ? s->edge_from[e] * s->n_ops + a->d[e]
                 : s->kind == SPACE_GRAPH && s->n_choices[e] != 2 ? 2 + a->d[e] /* a label, not an edge bit */
                 : s->kind == SPACE_DARTS && e % 2 ? 5 + a->d[e]                /* an op, not an input */
                                                                  : a->d[e];
}

/* --- the core network ---------------------------------------------------- */

void lstm_net_layout(struct lstm_net *L, int V, int E, int H, size_t offset)
{
    L->V = V;
    L->E = E;
    L->H = H;
    L->emb = offset;
    L->w_ih = L->emb + (size_t)V * E;
    L->w_hh = L->w_ih + (size_t)4 * H * E;
    L->b = L->w_hh + (size_t)4 * H * H;
    L->end = L->b + (size_t)4 * H;
}

void lstm_net_init(const struct lstm_net *L, float *w, struct rng *r)
{
    double a = 1 / sqrt((double)L->H);
    for (size_t i = L->emb; i < L->w_ih; i++) w[i] = (float)rng_gaussian(r, 1.0);
    for (size_t i = L->w_ih; i < L->end; i++) w[i] = (float)(a * (2 * rng_uniform(r) - 1));
}

static int use_table(const struct lstm_net *L, int B, int T) { return L->V <= T * B; }

static size_t xin_size(const struct lstm_net *L, int B, int T)
{
    return use_table(L, B, T) ? (size_t)L->V * 4 * L->H : (size_t)T * B * L->E;
}

size_t lstm_net_cache_size(const struct lstm_net *L, int B, int T)
{
    /* either input path, so that the size grows with B (a model sized for
     * its largest batch serves every smaller one) */
    size_t bh = (size_t)B * L->H, xa = (size_t)L->V * 4 * L->H, xb = (size_t)T * B * L->E;
    return (size_t)T * 4 * bh + 2 * (size_t)(T + 1) * bh + (size_t)T * bh + 2 * (xa > xb ? xa : xb) + bh;
}

float *lstm_net_hidden(const struct lstm_net *L, float *cache, int B, int T, int t)
{
    size_t bh = (size_t)B * L->H;
    return cache + (size_t)T * 4 * bh + (size_t)(t + 1) * bh;
}

static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }
/* tanh through expf: glibc's tanhf (via expm1f) was 60% of a pnas run;
 * the absolute error stays at float rounding level */
static float tanh_f(float x) { return 2.0f * sigm(2.0f * x) - 1.0f; }

/* Gate nonlinearities and the cell update for one step: z (B,4H) becomes
 * the activations; c may alias cp. */
static void cell_forward(float *z, const float *cp, float *c, float *tc, float *h, int B, int H)
{
    for (int b = 0; b < B; b++) {
        float *zb = z + (size_t)b * 4 * H;
        for (int j = 0; j < H; j++) {
            float i = sigm(zb[j]), f = sigm(zb[H + j]), g = tanh_f(zb[2 * H + j]), o = sigm(zb[3 * H + j]);
            zb[j] = i;
            zb[H + j] = f;
            zb[2 * H + j] = g;
            zb[3 * H + j] = o;
            size_t k = (size_t)b * H + j;
            c[k] = f * cp[k] + i * g;
            tc[k] = tanh_f(c[k]);
            h[k] = o * tc[k];
        }
    }
}

void lstm_net_forward(const struct lstm_net *L, const float *w, const int *tok, int B, int T, float *cache)
{
    lstm_net_forward_cond(L, w, tok, B, T, NULL, cache);
}

void lstm_net_forward_cond(const struct lstm_net *L, const float *w, const int *tok, int B, int T, const float *u,
                           float *cache)
{
    int H = L->H, E = L->E, H4 = 4 * H;
    size_t bh = (size_t)B * H;
    float *act = cache, *h = act + (size_t)T * 4 * bh, *c = h + (size_t)(T + 1) * bh, *tc = c + (size_t)(T + 1) * bh,
          *xin = tc + (size_t)T * bh;
    const float *emb = w + L->emb, *wih = w + L->w_ih, *whh = w + L->w_hh, *bias = w + L->b;
    if (use_table(L, B, T)) {
        /* P (V,4H) = emb (V,E) w_ih^T; z[t,b] = b + P[tok] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L->V, H4, E, 1.0f, emb, E, wih, E, 0.0f, xin, H4);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                float *z = act + ((size_t)t * B + b) * H4;
                const float *p = xin + (size_t)tok[(size_t)b * T + t] * H4;
                for (int k = 0; k < H4; k++) z[k] = bias[k] + p[k];
            }
    } else {
        /* X (T*B,E) gathered; z = b + X w_ih^T */
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                memcpy(xin + ((size_t)t * B + b) * E, emb + (size_t)tok[(size_t)b * T + t] * E, sizeof(float) * E);
                memcpy(act + ((size_t)t * B + b) * H4, bias, sizeof(float) * H4);
            }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T * B, H4, E, 1.0f, xin, E, wih, E, 1.0f, act, H4);
    }
    if (u) /* the sequence's conditioning, the same at every step */
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                float *z = act + ((size_t)t * B + b) * H4;
                const float *ub = u + (size_t)b * H4;
                for (int k = 0; k < H4; k++) z[k] += ub[k];
            }
    memset(h, 0, sizeof(float) * bh);
    memset(c, 0, sizeof(float) * bh);
    for (int t = 0; t < T; t++) {
        float *z = act + (size_t)t * 4 * bh;
        if (t > 0) /* z += h_{t-1} (B,H) w_hh^T (H,4H) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H4, H, 1.0f, h + (size_t)t * bh, H, whh, H, 1.0f,
                        z, H4);
        cell_forward(z, c + (size_t)t * bh, c + (size_t)(t + 1) * bh, tc + (size_t)t * bh, h + (size_t)(t + 1) * bh,
                     B, H);
    }
}

void lstm_net_backward(const struct lstm_net *L, const float *w, float *g, const int *tok, int B, int T,
                       float *cache, float *dh)
{
    lstm_net_backward_cond(L, w, g, tok, B, T, cache, dh, NULL);
}

void lstm_net_backward_cond(const struct lstm_net *L, const float *w, float *g, const int *tok, int B, int T,
                            float *cache, float *dh, float *du)
{
    int H = L->H, E = L->E, H4 = 4 * H;
    size_t bh = (size_t)B * H, xs = xin_size(L, B, T);
    float *act = cache, *h = act + (size_t)T * 4 * bh, *c = h + (size_t)(T + 1) * bh, *tc = c + (size_t)(T + 1) * bh,
          *xin = tc + (size_t)T * bh, *dx = xin + xs, *dc = dx + xs;
    const float *emb = w + L->emb, *wih = w + L->w_ih, *whh = w + L->w_hh;
    memset(dc, 0, sizeof(float) * bh);
    for (int t = T - 1; t >= 0; t--) {
        float *z = act + (size_t)t * 4 * bh, *dht = dh + (size_t)t * bh;
        const float *cp = c + (size_t)t * bh, *tct = tc + (size_t)t * bh;
        for (int b = 0; b < B; b++) {
            float *zb = z + (size_t)b * H4;
            for (int j = 0; j < H; j++) {
                size_t k = (size_t)b * H + j;
                float i = zb[j], f = zb[H + j], gg = zb[2 * H + j], o = zb[3 * H + j];
                float dcv = dc[k] + dht[k] * o * (1 - tct[k] * tct[k]);
                float dov = dht[k] * tct[k];
                dc[k] = dcv * f;
                zb[j] = dcv * gg * i * (1 - i);
                zb[H + j] = dcv * cp[k] * f * (1 - f);
                zb[2 * H + j] = dcv * i * (1 - gg * gg);
                zb[3 * H + j] = dov * o * (1 - o);
            }
        }
        if (t > 0) {
            /* dh_{t-1} += dz (B,4H) w_hh (4H,H);  dw_hh += dz^T (4H,B) h_{t-1} (B,H) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H4, 1.0f, z, H4, whh, H, 1.0f,
                        dh + (size_t)(t - 1) * bh, H);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H4, H, B, 1.0f, z, H4, h + (size_t)t * bh, H, 1.0f,
                        g + L->w_hh, H);
        }
    }
    float *gb = g + L->b;
    for (size_t r = 0; r < (size_t)T * B; r++)
        for (int k = 0; k < H4; k++) gb[k] += act[r * H4 + k];
    if (du) /* u enters every step as the bias does, per sequence */
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                const float *z = act + ((size_t)t * B + b) * H4;
                float *d = du + (size_t)b * H4;
                for (int k = 0; k < H4; k++) d[k] += z[k];
            }
    if (use_table(L, B, T)) {
        /* dP (V,4H) = scatter of dz; dw_ih += dP^T emb; demb += dP w_ih */
        memset(dx, 0, sizeof(float) * xs);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                float *dp = dx + (size_t)tok[(size_t)b * T + t] * H4;
                const float *z = act + ((size_t)t * B + b) * H4;
                for (int k = 0; k < H4; k++) dp[k] += z[k];
            }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H4, E, L->V, 1.0f, dx, H4, emb, E, 1.0f, g + L->w_ih, E);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L->V, E, H4, 1.0f, dx, H4, wih, E, 1.0f, g + L->emb,
                    E);
    } else {
        int TB = T * B;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H4, E, TB, 1.0f, act, H4, xin, E, 1.0f, g + L->w_ih, E);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, TB, E, H4, 1.0f, act, H4, wih, E, 0.0f, dx, E);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++) {
                float *ge = g + L->emb + (size_t)tok[(size_t)b * T + t] * E;
                const float *d = dx + ((size_t)t * B + b) * E;
                for (int k = 0; k < E; k++) ge[k] += d[k];
            }
    }
}

void lstm_net_step(const struct lstm_net *L, const float *w, const int *tok, int B, float *h, float *c, float *work)
{
    int H = L->H, E = L->E, H4 = 4 * H;
    float *z = work, *x = z + (size_t)B * H4, *tc = x + (size_t)B * E;
    for (int b = 0; b < B; b++) {
        memcpy(x + (size_t)b * E, w + L->emb + (size_t)tok[b] * E, sizeof(float) * E);
        memcpy(z + (size_t)b * H4, w + L->b, sizeof(float) * H4);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H4, E, 1.0f, x, E, w + L->w_ih, E, 1.0f, z, H4);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H4, H, 1.0f, h, H, w + L->w_hh, H, 1.0f, z, H4);
    cell_forward(z, c, c, tc, h, B, H);
}

void lstm_adam(float *w, const float *g, float *m, float *v, size_t n, long t, double lr, double b1, double b2,
               double eps)
{
    double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);
    float fb1 = (float)b1, fb2 = (float)b2, a = (float)(lr / c1), sc2 = (float)(1 / c2), fe = (float)eps;
    for (size_t i = 0; i < n; i++) {
        m[i] = fb1 * m[i] + (1 - fb1) * g[i];
        v[i] = fb2 * v[i] + (1 - fb2) * g[i] * g[i];
        w[i] -= a * m[i] / (sqrtf(v[i] * sc2) + fe);
    }
}

/* --- the surrogate ------------------------------------------------------- */

#define PREDICT_CHUNK 256

struct lstm {
    struct lstm_params p;
    int T, V, M;
    struct lstm_net L;
    size_t w_out, b_out, n; /* head offsets; parameters per member */
    float *block;           /* member k: 4 views of n floats from k*4n */
    long *steps;            /* Adam step per member */
    int cache_B;
    float *cache, *dh, *ys;
    int *btok, *idx;
    double lo, hi;          /* target scaling */
};

void lstm_default_params(struct lstm_params *p)
{
    p->embed = 100;
    p->hidden = 100;
    p->batch = 32;
    p->epochs = 100;
    p->ensemble = 1;
    p->bootstrap = 0;
    p->lr = 1e-3;
}

void lstm_free(struct lstm *m)
{
    if (!m) return;
    free(m->block);
    free(m->steps);
    free(m->cache);
    free(m->dh);
    free(m->ys);
    free(m->btok);
    free(m->idx);
    free(m);
}

float *lstm_member_block(struct lstm *m, int k, int view, size_t *n)
{
    if (n) *n = m->n;
    return m->block + ((size_t)k * 4 + (size_t)view) * m->n;
}

double lstm_batch_loss(struct lstm *m, int k, const int *tok, const float *ys, int B, int grad)
{
    const float *w = lstm_member_block(m, k, 0, NULL);
    float *g = lstm_member_block(m, k, 1, NULL);
    int T = m->T, H = m->L.H;
    lstm_net_forward(&m->L, w, tok, B, T, m->cache);
    const float *hT = lstm_net_hidden(&m->L, m->cache, B, T, T - 1);
    const float *wo = w + m->w_out;
    double loss = 0;
    if (grad) memset(m->dh, 0, sizeof(float) * (size_t)T * B * H);
    float *dhT = m->dh + (size_t)(T - 1) * B * H;
    for (int b = 0; b < B; b++) {
        float z = w[m->b_out];
        for (int j = 0; j < H; j++) z += wo[j] * hT[(size_t)b * H + j];
        float p = sigm(z), e = p - ys[b];
        loss += (double)e * e / B;
        if (grad) {
            float dz = 2 * e / (float)B * p * (1 - p);
            for (int j = 0; j < H; j++) {
                g[m->w_out + j] += dz * hT[(size_t)b * H + j];
                dhT[(size_t)b * H + j] = dz * wo[j];
            }
            g[m->b_out] += dz;
        }
    }
    if (grad) lstm_net_backward(&m->L, w, g, tok, B, T, m->cache, m->dh);
    return loss;
}

static void set_scaling(struct lstm *m, const double *y, int n)
{
    double lo = y[0], hi = y[0];
    for (int i = 1; i < n; i++) {
        if (y[i] < lo) lo = y[i];
        if (y[i] > hi) hi = y[i];
    }
    double span = hi - lo;
    if (!(span > 0)) span = fabs(lo) > 0 ? fabs(lo) : 1; /* constant targets */
    m->lo = lo - 0.1 * span;
    m->hi = hi + 0.1 * span;
}

static int train(struct lstm *m, const int *tok, const double *y, int n, int epochs, struct rng *r)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(y[i])) return nasw_errorf(NASW_EINVAL, "lstm: target %d is not finite", i);
    int *idx = realloc(m->idx, sizeof *idx * (size_t)n);
    if (!idx) return nasw_errorf(NASW_ENOMEM, "out of memory");
    m->idx = idx;
    set_scaling(m, y, n);
    int B = m->p.batch, T = m->T;
    for (int k = 0; k < m->M; k++) {
        size_t np;
        float *w = lstm_member_block(m, k, 0, &np), *g = w + np, *am = g + np, *av = am + np;
        for (int i = 0; i < n; i++) idx[i] = m->p.bootstrap ? (int)rng_int(r, (uint64_t)n) : i;
        for (int ep = 0; ep < epochs; ep++) {
            rng_shuffle_int(r, idx, n);
            for (int s = 0; s < n; s += B) {
                int nb = n - s < B ? n - s : B;
                for (int b = 0; b < nb; b++) {
                    memcpy(m->btok + (size_t)b * T, tok + (size_t)idx[s + b] * T, sizeof(int) * (size_t)T);
                    m->ys[b] = (float)((y[idx[s + b]] - m->lo) / (m->hi - m->lo));
                }
                memset(g, 0, sizeof(float) * np);
                double loss = lstm_batch_loss(m, k, m->btok, m->ys, nb, 1);
                if (!isfinite(loss)) return nasw_errorf(NASW_ENUMERIC, "lstm: training loss is not finite");
                lstm_adam(w, g, am, av, np, ++m->steps[k], m->p.lr, 0.9, 0.999, 1e-8);
            }
        }
    }
    return NASW_OK;
}

static int check_tokens(const struct lstm *m, const int *tok, int n)
{
    for (size_t i = 0; i < (size_t)n * m->T; i++)
        if (tok[i] < 0 || tok[i] >= m->V)
            return nasw_errorf(NASW_EINVAL, "lstm: token %d outside the vocabulary of %d", tok[i], m->V);
    return NASW_OK;
}

int lstm_fit(struct lstm **out, const int *tok, int T, int V, const double *y, int n, const struct lstm_params *p,
             struct rng *r)
{
    *out = NULL;
    if (T < 1 || V < 1 || n < 1 || p->embed < 1 || p->hidden < 1 || p->batch < 1 || p->epochs < 0 ||
        p->ensemble < 1 || !(p->lr > 0))
        return nasw_errorf(NASW_EINVAL, "lstm: invalid sizes or parameters");
    struct lstm *m = calloc(1, sizeof *m);
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    m->p = *p;
    m->T = T;
    m->V = V;
    m->M = p->ensemble;
    lstm_net_layout(&m->L, V, p->embed, p->hidden, 0);
    m->w_out = m->L.end;
    m->b_out = m->w_out + (size_t)p->hidden;
    m->n = m->b_out + 1;
    m->cache_B = p->batch > PREDICT_CHUNK ? p->batch : PREDICT_CHUNK;
    m->block = calloc(m->n * 4 * (size_t)m->M, sizeof(float));
    m->steps = calloc((size_t)m->M, sizeof *m->steps);
    m->cache = malloc(sizeof(float) * lstm_net_cache_size(&m->L, m->cache_B, T));
    m->dh = malloc(sizeof(float) * (size_t)T * m->cache_B * p->hidden);
    m->ys = malloc(sizeof(float) * (size_t)m->cache_B);
    m->btok = malloc(sizeof(int) * (size_t)T * m->cache_B);
    if (!m->block || !m->steps || !m->cache || !m->dh || !m->ys || !m->btok) {
        lstm_free(m);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    int st = check_tokens(m, tok, n);
    if (st) {
        lstm_free(m);
        return st;
    }
    double a = 1 / sqrt((double)p->hidden);
    for (int k = 0; k < m->M; k++) {
        float *w = lstm_member_block(m, k, 0, NULL);
        lstm_net_init(&m->L, w, r);
        for (size_t i = m->w_out; i < m->n; i++) w[i] = (float)(a * (2 * rng_uniform(r) - 1));
    }
    if ((st = train(m, tok, y, n, p->epochs, r))) {
        lstm_free(m);
        return st;
    }
    *out = m;
    return NASW_OK;
}

int lstm_refit(struct lstm *m, const int *tok, const double *y, int n, int epochs, struct rng *r)
{
    if (n < 1 || epochs < 0) return nasw_errorf(NASW_EINVAL, "lstm: invalid refit sizes");
    int st = check_tokens(m, tok, n);
    return st ? st : train(m, tok, y, n, epochs, r);
}

int lstm_predict(struct lstm *m, const int *tok, int n, double *mean, double *var)
{
    int st = check_tokens(m, tok, n);
    if (st) return st;
    int T = m->T, H = m->L.H;
    for (int s = 0; s < n; s += m->cache_B) {
        int nb = n - s < m->cache_B ? n - s : m->cache_B;
        for (int b = 0; b < nb; b++) mean[s + b] = 0;
        if (var)
            for (int b = 0; b < nb; b++) var[s + b] = 0;
        for (int k = 0; k < m->M; k++) {
            const float *w = lstm_member_block(m, k, 0, NULL);
            lstm_net_forward(&m->L, w, tok + (size_t)s * T, nb, T, m->cache);
            const float *hT = lstm_net_hidden(&m->L, m->cache, nb, T, T - 1);
            for (int b = 0; b < nb; b++) {
                float z = w[m->b_out];
                for (int j = 0; j < H; j++) z += w[m->w_out + j] * hT[(size_t)b * H + j];
                double v = m->lo + (m->hi - m->lo) * (double)sigm(z);
                /* Welford over the members */
                double d = v - mean[s + b];
                mean[s + b] += d / (k + 1);
                if (var) var[s + b] += d * (v - mean[s + b]);
            }
        }
        if (var)
            for (int b = 0; b < nb; b++) var[s + b] = m->M > 1 ? var[s + b] / (m->M - 1) : 0;
    }
    return NASW_OK;
}
