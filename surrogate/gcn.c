/*
 * surrogate/gcn.c - the GCN predictor of surrogate/gcn.h (graph, shapes and
 * papers there).  Graphs are tiny (8 nodes on NAS-Bench-201), so each graph
 * is propagated on its own with plain loops; a minibatch is a loop over its
 * graphs.  Per-graph cache: Ahat (N,N) at its start, H_0 .. H_L ((L+1) blocks of N*W
 * with W = max(F, C)), P_l = Ahat H_l (L blocks of N*W), then two (N,W)
 * backward buffers.  A ReLU's mask is read off its output (h > 0 exactly
 * when its input is).
 * Not here: the predictor registry and the CLI (cli/predictor.c).
 */
#include "surrogate/gcn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "surrogate/mlp.h"

struct gcn {
    int N, F, L, C, M, W, batch;
    double ymu, ysd;
    size_t w_off[22], b_off[22]; /* layers 0..L-1, then the output (w_o, b_o) at L */
    size_t np;
    double *block;               /* M x 4 views x np */
    double *cache;               /* one graph's cache */
};

void gcn_default_params(struct gcn_params *p)
{
    *p = (struct gcn_params){.layers = 3, .hidden = 32, .ensemble = 3, .epochs = 100, .batch = 32, .lr = 0.005};
}

int gcn_nodes(const struct space *s) { return s->kind == SPACE_CELL ? s->n_dims + 2 : 0; }
int gcn_features(const struct space *s) { return s->kind == SPACE_CELL ? 2 + s->n_ops : 0; }

int gcn_row_len(const struct space *s)
{
    int N = gcn_nodes(s);
    return N * N + N * gcn_features(s);
}

void gcn_encode(const struct space *s, const struct arch *a, double *row)
{
    int E = s->n_dims, N = gcn_nodes(s), F = gcn_features(s);
    double *A = row, *X = row + N * N;
    memset(row, 0, sizeof *row * (size_t)gcn_row_len(s));
    X[0 * F + 0] = 1;
    X[(N - 1) * F + 1] = 1;
    for (int e = 0; e < E; e++) {
        X[(1 + e) * F + 2 + a->d[e]] = 1;
        if (a->d[e] == s->op_zero) continue; /* computes nothing: no edges */
        int j = s->edge_from[e], k = s->edge_to[e];
        if (j == 0) A[0 * N + 1 + e] = 1;
        for (int f = 0; f < E; f++)
            if (j > 0 && s->edge_to[f] == j && a->d[f] != s->op_zero) A[(1 + f) * N + 1 + e] = 1;
        if (k == s->n_nodes - 1) A[(1 + e) * N + N - 1] = 1;
    }
}

int gcn_n_members(const struct gcn *m) { return m->M; }

void gcn_free(struct gcn *m)
{
    if (!m) return;
    free(m->block);
    free(m->cache);
    free(m);
}

static double *view(const struct gcn *m, int k, int v) { return m->block + ((size_t)k * 4 + (size_t)v) * m->np; }
static int in_dim(const struct gcn *m, int l) { return l ? m->C : m->F; }

static size_t blk(const struct gcn *m) { return (size_t)m->N * m->W; }
static double *c_h(const struct gcn *m, double *c, int l) { return c + (size_t)m->N * m->N + (size_t)l * blk(m); }
static double *c_p(const struct gcn *m, double *c, int l) { return c_h(m, c, m->L + 1) + (size_t)l * blk(m); }
static double *c_d(const struct gcn *m, double *c, int i) { return c_p(m, c, m->L) + (size_t)i * blk(m); }

/* one graph's row -> output; the cache keeps what backward needs.  Rows
 * of H_l and P_l have stride W. */
static double forward(const struct gcn *m, const double *w, const double *row, double *c)
{
    int N = m->N, W = m->W, C = m->C;
    const double *A = row;
    double *Ah = c, deg[64];
    for (int u = 0; u < N; u++) {
        deg[u] = 1;
        for (int v = 0; v < N; v++) deg[u] += A[u * N + v] + A[v * N + u];
    }
    for (int u = 0; u < N; u++)
        for (int v = 0; v < N; v++)
            Ah[u * N + v] = ((u == v) + A[u * N + v] + A[v * N + u]) / sqrt(deg[u] * deg[v]);
    double *H0 = c_h(m, c, 0);
    for (int u = 0; u < N; u++) memcpy(H0 + (size_t)u * W, row + N * N + u * m->F, sizeof *H0 * (size_t)m->F);
    for (int l = 0; l < m->L; l++) {
        int in = in_dim(m, l);
        double *H = c_h(m, c, l), *P = c_p(m, c, l), *Hn = c_h(m, c, l + 1);
        const double *Wl = w + m->w_off[l], *bl = w + m->b_off[l]; /* (in,C), (C) */
        for (int u = 0; u < N; u++)
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int v = 0; v < N; v++) s += Ah[u * N + v] * H[(size_t)v * W + i];
                P[(size_t)u * W + i] = s;
            }
        for (int u = 0; u < N; u++)
            for (int o = 0; o < C; o++) {
                double z = bl[o];
                for (int i = 0; i < in; i++) z += P[(size_t)u * W + i] * Wl[(size_t)i * C + o];
                Hn[(size_t)u * W + o] = z > 0 ? z : 0;
            }
    }
    const double *HL = c_h(m, c, m->L), *wo = w + m->w_off[m->L];
    double out = w[m->b_off[m->L]];
    for (int o = 0; o < C; o++) {
        double g = 0;
        for (int u = 0; u < N; u++) g += HL[(size_t)u * W + o];
        out += wo[o] * g / N;
    }
    return out;
}

static void backward(const struct gcn *m, const double *w, double *g, double *c, double dout)
{
    int N = m->N, W = m->W, C = m->C;
    const double *Ah = c, *HL = c_h(m, c, m->L);
    double *dH = c_d(m, c, 0), *dP = c_d(m, c, 1);
    for (int o = 0; o < C; o++) {
        double s = 0;
        for (int u = 0; u < N; u++) s += HL[(size_t)u * W + o];
        g[m->w_off[m->L] + o] += dout * s / N;
    }
    g[m->b_off[m->L]] += dout;
    for (int u = 0; u < N; u++)
        for (int o = 0; o < C; o++) dH[(size_t)u * W + o] = dout * w[m->w_off[m->L] + o] / N;
    for (int l = m->L - 1; l >= 0; l--) {
        int in = in_dim(m, l);
        const double *Hn = c_h(m, c, l + 1), *P = c_p(m, c, l), *Wl = w + m->w_off[l];
        double *gW = g + m->w_off[l], *gb = g + m->b_off[l];
        for (int u = 0; u < N; u++)
            for (int o = 0; o < C; o++)
                if (!(Hn[(size_t)u * W + o] > 0)) dH[(size_t)u * W + o] = 0; /* now dZ */
        for (int u = 0; u < N; u++)
            for (int o = 0; o < C; o++) {
                double dz = dH[(size_t)u * W + o];
                if (dz == 0) continue;
                gb[o] += dz;
                for (int i = 0; i < in; i++) gW[(size_t)i * C + o] += P[(size_t)u * W + i] * dz;
            }
        if (!l) break;
        for (int u = 0; u < N; u++)
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int o = 0; o < C; o++) s += dH[(size_t)u * W + o] * Wl[(size_t)i * C + o];
                dP[(size_t)u * W + i] = s;
            }
        for (int u = 0; u < N; u++) /* dH_l = Ahat^T dP = Ahat dP */
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int v = 0; v < N; v++) s += Ah[u * N + v] * dP[(size_t)v * W + i];
                dH[(size_t)u * W + i] = s;
            }
    }
}

static size_t row_len(const struct gcn *m) { return (size_t)m->N * m->N + (size_t)m->N * m->F; }

/* loss of B graphs (rows X, or rows idx[] of X) against standardised ys */
static double loss_rows(struct gcn *m, int k, const double *X, const int *idx, const double *ys, int B, int grad)
{
    const double *w = view(m, k, 0);
    double *g = view(m, k, 1), loss = 0;
    for (int b = 0; b < B; b++) {
        int i = idx ? idx[b] : b;
        double e = forward(m, w, X + (size_t)i * row_len(m), m->cache) - ys[i];
        loss += 0.5 * e * e;
        if (grad) backward(m, w, g, m->cache, e / B);
    }
    return loss / B;
}

double *gcn_member_block(struct gcn *m, int k, int v, size_t *n)
{
    if (n) *n = m->np;
    return view(m, k, v);
}

double gcn_batch_loss(struct gcn *m, int k, const double *X, const double *ys, int B, int grad)
{
    return loss_rows(m, k, X, NULL, ys, B, grad);
}

int gcn_fit(struct gcn **out, const double *X, int n, int N, int F, const double *y, const struct gcn_params *p,
            struct rng *r)
{
    *out = NULL;
    if (n < 1 || N < 1 || N > 64 || F < 1 || p->layers < 1 || p->layers > 20 || p->hidden < 1 || p->ensemble < 1 ||
        p->epochs < 0 || p->batch < 1 || !(p->lr > 0))
        return nasw_errorf(NASW_EINVAL, "bad gcn sizes (n %d, nodes %d, features %d, layers %d, hidden %d)", n, N, F,
                           p->layers, p->hidden);
    for (int i = 0; i < n; i++)
        if (!isfinite(y[i])) return nasw_errorf(NASW_ENUMERIC, "gcn: non-finite target in row %d", i + 1);
    struct gcn *m = calloc(1, sizeof *m);
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    *m = (struct gcn){.N = N, .F = F, .L = p->layers, .C = p->hidden, .M = p->ensemble, .batch = p->batch};
    m->W = F > m->C ? F : m->C;
    size_t off = 0;
    for (int l = 0; l < m->L; l++) {
        m->w_off[l] = off;
        off += (size_t)in_dim(m, l) * m->C;
        m->b_off[l] = off;
        off += (size_t)m->C;
    }
    m->w_off[m->L] = off;
    off += (size_t)m->C;
    m->b_off[m->L] = off++;
    m->np = off;
    m->block = calloc((size_t)m->M * 4 * m->np, sizeof *m->block);
    m->cache = malloc(sizeof *m->cache * ((size_t)N * N + (2 * (size_t)m->L + 3) * blk(m)));
    double *ys = malloc(sizeof *ys * (size_t)n);
    int *idx = malloc(sizeof *idx * (size_t)n);
    if (!m->block || !m->cache || !ys || !idx) {
        free(ys);
        free(idx);
        gcn_free(m);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += y[i];
    m->ymu = s / n;
    for (int i = 0; i < n; i++) ss += (y[i] - m->ymu) * (y[i] - m->ymu);
    m->ysd = sqrt(ss / n);
    for (int i = 0; i < n; i++) ys[i] = m->ysd > 0 ? (y[i] - m->ymu) / m->ysd : 0;
    for (int k = 0; k < m->M; k++) {
        double *w = view(m, k, 0);
        for (int l = 0; l <= m->L; l++) {
            double a = 1 / sqrt((double)(l < m->L ? in_dim(m, l) : m->C));
            size_t end = l < m->L ? m->b_off[l] + (size_t)m->C : m->b_off[l] + 1;
            for (size_t i = m->w_off[l]; i < end; i++) w[i] = a * (2 * rng_uniform(r) - 1);
        }
        if (!(m->ysd > 0)) continue;
        long t = 0;
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int e = 0; e < p->epochs; e++) {
            rng_shuffle_int(r, idx, n);
            for (int b0 = 0; b0 < n; b0 += m->batch) {
                int B = n - b0 < m->batch ? n - b0 : m->batch;
                memset(view(m, k, 1), 0, sizeof(double) * m->np);
                loss_rows(m, k, X, idx + b0, ys, B, 1);
                mlp_adam(w, view(m, k, 1), view(m, k, 2), view(m, k, 3), m->np, ++t, p->lr);
            }
        }
    }
    free(ys);
    free(idx);
    *out = m;
    return NASW_OK;
}

int gcn_predict(const struct gcn *m, const double *X, int n, double *mean, double *members)
{
    double *cache = malloc(sizeof *cache * ((size_t)m->N * m->N + (2 * (size_t)m->L + 3) * blk(m)));
    if (!cache) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        mean[i] = 0;
        for (int k = 0; k < m->M; k++) {
            double v = m->ysd > 0 ? m->ymu + m->ysd * forward(m, view(m, k, 0), X + (size_t)i * row_len(m), cache)
                                  : m->ymu;
            mean[i] += v / m->M;
            if (members) members[(size_t)k * n + i] = v;
        }
    }
    free(cache);
    return NASW_OK;
}
