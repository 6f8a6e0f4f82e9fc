/*
 * surrogate/mlp.c - the BANANAS MLP ensemble (conventions, shapes and the
 * paper in surrogate/mlp.h).  Matrix work goes through CBLAS dgemm; float64
 * throughout, since these networks are small and the finite-difference test
 * then checks the backward pass to many digits.
 * Scratch of a forward pass for B rows ("acts"): a_0 .. a_{L-1} (L,B,H) then
 * out (B); backward also takes two (B,H) delta buffers.  A ReLU unit's mask
 * is read off its activation (a > 0 exactly when z > 0), so pre-activations
 * are not kept.
 * Not here: encodings (core/arch.h), the predictor registry (cli/), BO.
 */
#include "surrogate/mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"

struct mlp {
    int d, L, H, M, batch;
    enum mlp_loss loss;
    double *xmu, *xsd;        /* input standardisation (d) */
    double ymu, ysd;          /* ysd == 0: equal training targets, predict ymu */
    size_t *w_off, *b_off;    /* (L+1) offsets of W_l, b_l in a member's view */
    size_t np;                /* parameters per member */
    double *block;            /* M members x 4 views x np */
    double *xs, *acts, *delta; /* scratch for `batch` rows: (B,d), acts, 2 (B,H) */
    double *ys;               /* (B) */
};

void mlp_default_params(struct mlp_params *p)
{
    p->layers = 3;
    p->hidden = 32;
    p->ensemble = 5;
    p->epochs = 200;
    p->batch = 32;
    p->lr = 0.01;
    p->loss = MLP_MAE;
}

void mlp_free(struct mlp *m)
{
    if (!m) return;
    free(m->xmu);
    free(m->xsd);
    free(m->w_off);
    free(m->b_off);
    free(m->block);
    free(m->xs);
    free(m->acts);
    free(m->delta);
    free(m->ys);
    free(m);
}

int mlp_n_members(const struct mlp *m) { return m->M; }
int mlp_dim(const struct mlp *m) { return m->d; }

static double *view(const struct mlp *m, int k, int v) { return m->block + ((size_t)k * 4 + (size_t)v) * m->np; }

static int in_dim(const struct mlp *m, int l) { return l == 0 ? m->d : m->H; }

/* acts (L*B*H + B) from standardised rows xs (B,d) */
static void forward(const struct mlp *m, const double *w, const double *xs, int B, double *acts)
{
    const double *a = xs;
    size_t bh = (size_t)B * m->H;
    for (int l = 0; l < m->L; l++) {
        double *z = acts + (size_t)l * bh; /* (B,H) */
        for (int b = 0; b < B; b++) memcpy(z + (size_t)b * m->H, w + m->b_off[l], sizeof *z * (size_t)m->H);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, m->H, in_dim(m, l), 1.0, a, in_dim(m, l),
                    w + m->w_off[l], in_dim(m, l), 1.0, z, m->H);
        for (size_t i = 0; i < bh; i++) z[i] = z[i] > 0 ? z[i] : 0;
        a = z;
    }
    double *out = acts + (size_t)m->L * bh; /* (B) */
    for (int b = 0; b < B; b++) out[b] = w[m->b_off[m->L]];
    cblas_dgemv(CblasRowMajor, CblasNoTrans, B, m->H, 1.0, a, m->H, w + m->w_off[m->L], 1, 1.0, out, 1);
}

/* g += dLoss/dparameters given dout (B) = dLoss/dout; delta: 2 (B,H) */
static void backward(const struct mlp *m, const double *w, double *g, const double *xs, int B, const double *acts,
                     const double *dout, double *delta)
{
    size_t bh = (size_t)B * m->H;
    int H = m->H, L = m->L;
    const double *aL = acts + (size_t)(L - 1) * bh; /* (B,H) input of the output layer */
    cblas_dgemv(CblasRowMajor, CblasTrans, B, H, 1.0, aL, H, dout, 1, 1.0, g + m->w_off[L], 1);
    for (int b = 0; b < B; b++) g[m->b_off[L]] += dout[b];
    double *dz = delta, *dprev = delta + bh; /* (B,H) each */
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++)
            dz[(size_t)b * H + j] = aL[(size_t)b * H + j] > 0 ? dout[b] * w[m->w_off[L] + j] : 0;
    for (int l = L - 1; l >= 0; l--) {
        int in = in_dim(m, l);
        const double *a = l ? acts + (size_t)(l - 1) * bh : xs; /* (B,in) */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, in, B, 1.0, dz, H, a, in, 1.0, g + m->w_off[l], in);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) g[m->b_off[l] + j] += dz[(size_t)b * H + j];
        if (!l) break;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H, 1.0, dz, H, w + m->w_off[l], H, 0.0, dprev,
                    H);
        for (size_t i = 0; i < bh; i++)
            if (!(a[i] > 0)) dprev[i] = 0;
        double *t = dz;
        dz = dprev;
        dprev = t;
    }
}

/* loss of standardised rows xs (B,d) against ys; gradient added when grad */
static double loss_std(struct mlp *m, int k, const double *xs, const double *ys, int B, int grad)
{
    const double *w = view(m, k, 0);
    forward(m, w, xs, B, m->acts);
    double *out = m->acts + (size_t)m->L * B * m->H, loss = 0;
    double *dout = m->ys + B; /* second half of the ys scratch */
    for (int b = 0; b < B; b++) {
        double e = out[b] - ys[b];
        loss += m->loss == MLP_MAE ? fabs(e) : 0.5 * e * e;
        dout[b] = (m->loss == MLP_MAE ? (e > 0) - (e < 0) : e) / B;
    }
    if (grad) backward(m, w, view(m, k, 1), xs, B, m->acts, dout, m->delta);
    return loss / B;
}

static void standardise(const struct mlp *m, const double *X, int B, double *xs)
{
    for (int b = 0; b < B; b++)
        for (int j = 0; j < m->d; j++) xs[(size_t)b * m->d + j] = (X[(size_t)b * m->d + j] - m->xmu[j]) / m->xsd[j];
}

double *mlp_member_block(struct mlp *m, int k, int v, size_t *n)
{
    if (n) *n = m->np;
    return view(m, k, v);
}

double mlp_batch_loss(struct mlp *m, int k, const double *X, const double *ys, int B, int grad)
{
    NASW_ASSERT(B >= 1 && B <= m->batch);
    standardise(m, X, B, m->xs);
    memcpy(m->ys, ys, sizeof *ys * (size_t)B);
    return loss_std(m, k, m->xs, m->ys, B, grad);
}

static void init_member(const struct mlp *m, int k, struct rng *r)
{
    double *w = view(m, k, 0);
    for (int l = 0; l <= m->L; l++) {
        double a = 1 / sqrt((double)in_dim(m, l));
        int out = l < m->L ? m->H : 1;
        for (size_t i = m->w_off[l]; i < m->b_off[l] + (size_t)out; i++) w[i] = a * (2 * rng_uniform(r) - 1);
    }
    memset(view(m, k, 1), 0, sizeof(double) * m->np * 3); /* gradients and both Adam moments */
}

void mlp_adam(double *w, const double *g, double *mo, double *v, size_t n, long t, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);
    for (size_t i = 0; i < n; i++) {
        mo[i] = b1 * mo[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= lr * (mo[i] / c1) / (sqrt(v[i] / c2) + eps);
    }
}

/* member k: epochs of shuffled minibatches over the standardised rows */
static void train_member(struct mlp *m, int k, const double *XS, const double *YS, int n, int epochs, double lr,
                         int *idx, struct rng *r)
{
    long t = 0;
    double *g = view(m, k, 1);
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int e = 0; e < epochs; e++) {
        rng_shuffle_int(r, idx, n);
        for (int s = 0; s < n; s += m->batch) {
            int B = n - s < m->batch ? n - s : m->batch;
            for (int b = 0; b < B; b++) {
                memcpy(m->xs + (size_t)b * m->d, XS + (size_t)idx[s + b] * m->d, sizeof *XS * (size_t)m->d);
                m->ys[b] = YS[idx[s + b]];
            }
            memset(g, 0, sizeof *g * m->np);
            loss_std(m, k, m->xs, m->ys, B, 1);
            mlp_adam(view(m, k, 0), g, view(m, k, 2), view(m, k, 3), m->np, ++t, lr);
        }
    }
}

int mlp_fit(struct mlp **out, const double *X, int n, int d, const double *y, const struct mlp_params *p,
            struct rng *r)
{
    *out = NULL;
    if (n < 1 || d < 1 || p->layers < 1 || p->hidden < 1 || p->ensemble < 1 || p->epochs < 0 || p->batch < 1 ||
        !(p->lr > 0))
        return nasw_errorf(NASW_EINVAL, "bad mlp sizes (n %d, d %d, layers %d, hidden %d, ensemble %d, batch %d)", n,
                           d, p->layers, p->hidden, p->ensemble, p->batch);
    for (size_t i = 0; i < (size_t)n * d; i++)
        if (!isfinite(X[i])) return nasw_errorf(NASW_ENUMERIC, "mlp: non-finite input in row %zu", i / d + 1);
    for (int i = 0; i < n; i++)
        if (!isfinite(y[i])) return nasw_errorf(NASW_ENUMERIC, "mlp: non-finite target in row %d", i + 1);
    struct mlp *m = calloc(1, sizeof *m);
    if (!m) return nasw_errorf(NASW_ENOMEM, "out of memory");
    m->d = d;
    m->L = p->layers;
    m->H = p->hidden;
    m->M = p->ensemble;
    m->batch = p->batch;
    m->loss = p->loss;
    m->xmu = calloc((size_t)d, sizeof *m->xmu);
    m->xsd = calloc((size_t)d, sizeof *m->xsd);
    m->w_off = calloc((size_t)m->L + 1, sizeof *m->w_off);
    m->b_off = calloc((size_t)m->L + 1, sizeof *m->b_off);
    double *XS = malloc(sizeof *XS * (size_t)n * d), *YS = malloc(sizeof *YS * (size_t)n);
    int *idx = malloc(sizeof *idx * (size_t)n);
    if (!m->xmu || !m->xsd || !m->w_off || !m->b_off || !XS || !YS || !idx) goto oom;
    size_t off = 0;
    for (int l = 0; l <= m->L; l++) {
        int o = l < m->L ? m->H : 1;
        m->w_off[l] = off;
        off += (size_t)o * in_dim(m, l);
        m->b_off[l] = off;
        off += (size_t)o;
    }
    m->np = off;
    size_t B = (size_t)m->batch, H = (size_t)m->H;
    m->block = calloc((size_t)m->M * 4 * m->np, sizeof *m->block);
    m->xs = malloc(sizeof *m->xs * B * (size_t)d);
    m->acts = malloc(sizeof *m->acts * (B * H * (size_t)m->L + B));
    m->delta = malloc(sizeof *m->delta * 2 * B * H);
    m->ys = malloc(sizeof *m->ys * 2 * B);
    if (!m->block || !m->xs || !m->acts || !m->delta || !m->ys) goto oom;
    /* two-pass mean and standard deviation, columns then the target */
    for (int j = 0; j < d; j++) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++) s += X[(size_t)i * d + j];
        m->xmu[j] = s / n;
        for (int i = 0; i < n; i++) ss += (X[(size_t)i * d + j] - m->xmu[j]) * (X[(size_t)i * d + j] - m->xmu[j]);
        m->xsd[j] = ss > 0 ? sqrt(ss / n) : 1;
    }
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += y[i];
    m->ymu = s / n;
    for (int i = 0; i < n; i++) ss += (y[i] - m->ymu) * (y[i] - m->ymu);
    m->ysd = sqrt(ss / n);
    standardise(m, X, n, XS);
    for (int i = 0; i < n; i++) YS[i] = m->ysd > 0 ? (y[i] - m->ymu) / m->ysd : 0;
    for (int k = 0; k < m->M; k++) {
        init_member(m, k, r);
        if (m->ysd > 0) train_member(m, k, XS, YS, n, p->epochs, p->lr, idx, r);
    }
    free(XS);
    free(YS);
    free(idx);
    *out = m;
    return NASW_OK;
oom:
    free(XS);
    free(YS);
    free(idx);
    mlp_free(m);
    return nasw_errorf(NASW_ENOMEM, "out of memory");
}

int mlp_predict(const struct mlp *m, const double *X, int n, double *mean, double *members)
{
    enum { CHUNK = 256 };
    size_t H = (size_t)m->H;
    double *xs = malloc(sizeof *xs * CHUNK * (size_t)m->d), *acts = malloc(sizeof *acts * (CHUNK * H * m->L + CHUNK));
    if (!xs || !acts) {
        free(xs);
        free(acts);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (int s = 0; s < n; s += CHUNK) {
        int B = n - s < CHUNK ? n - s : CHUNK;
        standardise(m, X + (size_t)s * m->d, B, xs);
        for (int b = 0; b < B; b++) mean[s + b] = 0;
        for (int k = 0; k < m->M; k++) {
            double *out = acts + (size_t)m->L * B * H;
            if (m->ysd > 0) forward(m, view(m, k, 0), xs, B, acts);
            for (int b = 0; b < B; b++) {
                double v = m->ysd > 0 ? m->ymu + m->ysd * out[b] : m->ymu;
                mean[s + b] += v / m->M;
                if (members) members[(size_t)k * n + s + b] = v;
            }
        }
    }
    free(xs);
    free(acts);
    return NASW_OK;
}
