/*
 * train/proxies.c - zero-cost proxies on the trainer's network (see
 * train/proxies.h for the definitions, docs/zero-cost.md for the papers).
 *
 * Everything runs the network's own forward and hand-written backward
 * (train/cnn.c), whose gradients are checked against finite differences;
 * the only second-order quantity, GraSP's Hessian-gradient product, is a
 * central difference of two such gradients.  "Weights" are those of the
 * convolutions and the classifier (not BN, not the classifier's bias), as
 * NASLib's get_layer_metric_array takes them.  Scores are summed in double.
 * Correlations, eigenvalues and the log-determinant are in double with
 * CBLAS and LAPACKE.
 */
#include "train/proxies.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "train/cnn.h"

static const char *const names[PROXY_COUNT] = {
    "params", "flops", "synflow", "snip", "grasp", "fisher", "grad_norm",
    "jacov", "nwot", "zen", "epe_nas", "l2_norm", "plain",
};

const char *proxy_name(int id) { return id >= 0 && id < PROXY_COUNT ? names[id] : NULL; }

int proxy_lookup(const char *name)
{
    for (int i = 0; i < PROXY_COUNT; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

const char *proxy_names(void)
{
    return "params, flops, synflow, snip, grasp, fisher, grad_norm, jacov, nwot, zen, epe_nas, "
           "l2_norm, plain";
}

static int weighted(const struct cnn_layer *l) { return l->kind == CNN_CONV || l->kind == CNN_LINEAR; }

double proxy_flops(const struct cnn *n)
{
    /* NAS-Bench-201's counter (xautodl get_model_infos): kernel x kernel x
     * Ci x Co per output position for convolutions (no bias), in x out +
     * out for the classifier, window size per output element for pools */
    double f = 0;
    for (int i = 0; i < cnn_num_layers(n); i++) {
        struct cnn_layer l;
        cnn_layer(n, i, &l);
        double outs = (double)l.C * l.H * l.W;
        if (l.kind == CNN_CONV) f += (double)l.K * l.K * l.Ci * outs;
        else if (l.kind == CNN_LINEAR) f += (double)l.Ci * l.C + l.C;
        else if (l.kind == CNN_POOL3 || l.kind == CNN_POOL2) f += (double)l.K * l.K * outs;
    }
    return f;
}

/* sum over weighted layers of f(theta, grad) elementwise, or of per-layer norms */
enum wsum { W_L2, W_GRADNORM, W_SNIP, W_PLAIN };
static double weight_sum(struct cnn *n, enum wsum k)
{
    const float *p = cnn_params(n), *g = cnn_grads(n);
    double total = 0;
    for (int i = 0; i < cnn_num_layers(n); i++) {
        struct cnn_layer l;
        cnn_layer(n, i, &l);
        if (!weighted(&l)) continue;
        double s = 0;
        for (size_t j = l.w; j < l.w + l.nw; j++) {
            double t = p[j], d = g[j];
            switch (k) {
            case W_L2: s += t * t; break;
            case W_GRADNORM: s += d * d; break;
            case W_SNIP: s += fabs(t * d); break;
            case W_PLAIN: s += t * d; break;
            }
        }
        total += k == W_L2 || k == W_GRADNORM ? sqrt(s) : s;
    }
    return total;
}

/* Fisher (Turner et al. 2020, as NASLib): for every conv/linear output a
 * (its gradient da), per image b and channel k g = sum_hw a da, and the
 * score sums 0.5 mean_b g^2 over channels and layers. */
static double fisher(struct cnn *n)
{
    int B = cnn_batch(n);
    double total = 0;
    for (int i = 0; i < cnn_num_layers(n); i++) {
        struct cnn_layer l;
        cnn_layer(n, i, &l);
        if (!weighted(&l)) continue;
        NASW_ASSERT(l.out != NULL); /* convolutions always write their own tensor */
        size_t hw = (size_t)l.H * l.W;
        for (int c = 0; c < l.C; c++) {
            double s2 = 0;
            for (int b = 0; b < B; b++) {
                double g = 0;
                if (l.kind == CNN_LINEAR) { /* (B, C) */
                    g = (double)l.out[(size_t)b * l.C + c] * l.gout[(size_t)b * l.C + c];
                } else { /* (C, B, H, W) */
                    const float *a = l.out + ((size_t)c * B + b) * hw, *d = l.gout + ((size_t)c * B + b) * hw;
                    for (size_t j = 0; j < hw; j++) g += (double)a[j] * d[j];
                }
                s2 += g * g;
            }
            total += 0.5 * s2 / B;
        }
    }
    return total;
}

/* The backward half of proxy_jacobians: d(sum of logits)/dx of the last forward. */
static void jacobians_backward(struct cnn *n, const struct proxy_batch *b, float *dx)
{
    const struct cnn_config *cfg = cnn_get_config(n);
    size_t nl = (size_t)b->B * cfg->classes;
    float *ones = malloc(nl * sizeof *ones);
    NASW_ASSERT(ones != NULL); /* B x classes floats */
    for (size_t i = 0; i < nl; i++) ones[i] = 1.0f;
    cnn_backward_from(n, ones, dx);
    free(ones);
}

void proxy_jacobians(struct cnn *n, const struct proxy_batch *b, float *dx)
{
    int correct;
    (void)cnn_forward(n, b->x, b->y, b->B, 1, &correct);
    jacobians_backward(n, b, dx);
}

/* Correlation matrix (B x B, row-major) of the rows of J (B x D); 0 if
 * every row varies, -1 if one is constant (correlation undefined). */
static int corrcoef(const float *J, int B, size_t D, double *R, double *Z)
{
    for (int i = 0; i < B; i++) {
        double m = 0, ss = 0;
        for (size_t j = 0; j < D; j++) m += J[(size_t)i * D + j];
        m /= (double)D;
        for (size_t j = 0; j < D; j++) {
            double d = J[(size_t)i * D + j] - m;
            Z[(size_t)i * D + j] = d;
            ss += d * d;
        }
        if (!(ss > 0)) return -1;
        double inv = 1.0 / sqrt(ss);
        for (size_t j = 0; j < D; j++) Z[(size_t)i * D + j] *= inv;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, B, (int)D, 1.0, Z, (int)D, Z, (int)D, 0.0, R, B);
    return 0;
}

/* Mellor et al. 2021 (v1): -sum log(v + k) + 1/(v + k) over the eigenvalues
 * of the Jacobians' correlation matrix, k = 1e-5. */
static double jacov(const float *J, int B, size_t D, double *Z)
{
    double *R = malloc((size_t)B * B * sizeof *R), *v = malloc((size_t)B * sizeof *v);
    double s = NAN;
    if (R && v && !corrcoef(J, B, D, R, Z) && !LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', B, R, B, v)) {
        const double k = 1e-5;
        s = 0;
        for (int i = 0; i < B; i++) s -= log(v[i] + k) + 1.0 / (v[i] + k);
    }
    free(R);
    free(v);
    return s;
}

/* EPE-NAS (Lopes et al. 2021, as NASLib's eval_score_perclass): per class,
 * s_c = sum_ij log(|corr_ij| + 1e-5) of its images' Jacobians; the score is
 * sum over class pairs |s_c - s_c'| / (classes present). */
static double epe_nas(const float *J, const int *y, int B, size_t D, int classes, double *Z)
{
    float *Jc = malloc((size_t)B * D * sizeof *Jc);
    double *R = malloc((size_t)B * B * sizeof *R), *sc = malloc((size_t)classes * sizeof *sc);
    double score = NAN;
    int present = 0, ok = Jc && R && sc;
    for (int c = 0; ok && c < classes; c++) {
        int m = 0;
        for (int i = 0; i < B; i++)
            if (y[i] == c) memcpy(Jc + (size_t)m++ * D, J + (size_t)i * D, D * sizeof *Jc);
        if (!m) continue;
        if (corrcoef(Jc, m, D, R, Z)) {
            ok = 0; /* a constant Jacobian: undefined */
            break;
        }
        double s = 0;
        for (int i = 0; i < m * m; i++) s += log(fabs(R[i]) + 1e-5);
        sc[present++] = s;
    }
    if (ok && present) {
        score = 0;
        for (int i = 0; i < present; i++)
            for (int j = 0; j < present; j++) score += fabs(sc[i] - sc[j]);
        score /= present;
    }
    free(Jc);
    free(R);
    free(sc);
    return score;
}

/* NASWOT (Mellor et al. 2021, v2, as NASLib): K = sum over ReLU modules of
 * c c^T + (1-c)(1-c)^T for the images' binary codes c = (input > 0); the
 * score is log |det K|, -inf if K is singular.  A ReLU tensor the trainer
 * shares between several conv edges of a node counts once per edge, as
 * NAS-Bench-201 has one ReLU module per edge. */
static double nwot(struct cnn *n)
{
    int B = cnn_batch(n);
    double *K = calloc((size_t)B * B, sizeof *K), s = NAN;
    float *X = NULL, *G = calloc((size_t)B * B, sizeof *G);
    size_t xcap = 0;
    lapack_int *piv = malloc((size_t)B * sizeof *piv);
    int ok = K && G && piv;
    for (int i = 0; ok && i < cnn_num_layers(n); i++) {
        struct cnn_layer l;
        cnn_layer(n, i, &l);
        if (l.kind != CNN_RELU) continue;
        size_t hw = (size_t)l.H * l.W, D = (size_t)l.C * hw;
        if (D * B > xcap) {
            free(X);
            xcap = D * B;
            if (!(X = malloc(xcap * sizeof *X))) ok = 0;
            if (!ok) break;
        }
        double *ones = malloc((size_t)B * sizeof *ones);
        if (!ones) {
            ok = 0;
            break;
        }
        /* codes (B, D) from (C, B, H, W) */
        for (int b = 0; b < B; b++) {
            double cnt = 0;
            for (int c = 0; c < l.C; c++)
                for (size_t j = 0; j < hw; j++) {
                    float v = l.in[((size_t)c * B + b) * hw + j] > 0 ? 1.0f : 0.0f;
                    X[(size_t)b * D + (size_t)c * hw + j] = v;
                    cnt += v;
                }
            ones[b] = cnt;
        }
        /* agreements: c_i.c_j + (1-c_i).(1-c_j) = 2 c_i.c_j + D - |c_i| - |c_j|
         * (counts below 2^24: exact in float) */
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, B, (int)D, 1.0f, X, (int)D, 0.0f, G, B);
        int w = l.readers > 0 ? l.readers : 1;
        for (int a = 0; a < B; a++)
            for (int b = a; b < B; b++) {
                double agree = 2.0 * G[(size_t)a * B + b] + (double)D - ones[a] - ones[b];
                K[(size_t)a * B + b] += w * agree;
                if (b != a) K[(size_t)b * B + a] += w * agree;
            }
        free(ones);
    }
    if (ok) {
        lapack_int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, B, B, K, B, piv);
        NASW_ASSERT(info >= 0);
        if (info > 0) s = -INFINITY;
        else {
            s = 0;
            for (int i = 0; i < B; i++) s += log(fabs(K[(size_t)i * B + i]));
        }
    }
    free(K);
    free(X);
    free(G);
    free(piv);
    return s;
}

/* Weights of the conv/linear layers as a mask over the parameter block. */
static void weight_mask(const struct cnn *n, unsigned char *m)
{
    memset(m, 0, cnn_num_params(n));
    for (int i = 0; i < cnn_num_layers(n); i++) {
        struct cnn_layer l;
        cnn_layer(n, i, &l);
        if (weighted(&l)) memset(m + l.w, 1, l.nw);
    }
}

static void loss_grad(struct cnn *n, const struct proxy_batch *b)
{
    int correct;
    (void)cnn_forward(n, b->x, b->y, b->B, 1, &correct);
    cnn_backward(n);
}

int proxy_hessian_grad(struct cnn *n, const struct proxy_batch *b, double *hg)
{
    size_t P = cnn_num_params(n);
    float *p = cnn_params(n), *theta = malloc(P * sizeof *theta), *g = malloc(P * sizeof *g);
    unsigned char *m = malloc(P);
    if (!theta || !g || !m) {
        free(theta);
        free(g);
        free(m);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    weight_mask(n, m);
    memcpy(theta, p, P * sizeof *theta);
    /* the gradients at theta +- h g on theta's linear piece (ReLU gates
     * replayed): the Hessian of autograd's double backward, without the
     * kinks a step would cross */
    cnn_relu_gates(n, CNN_GATES_RECORD);
    loss_grad(n, b);
    cnn_relu_gates(n, CNN_GATES_REPLAY);
    memcpy(g, cnn_grads(n), P * sizeof *g);
    double tn = 0, gn = 0;
    for (size_t j = 0; j < P; j++)
        if (m[j]) tn += (double)theta[j] * theta[j], gn += (double)g[j] * g[j];
    for (size_t j = 0; j < P; j++) hg[j] = 0;
    if (gn > 0) {
        /* the step moves the weights by 1e-3 of their norm along g: float
         * rounding of the gradients (1e-7 relative) stays well below the
         * change, and the truncation error (h^2, of a smooth function on
         * the frozen piece) is negligible at that size */
        double h = 1e-3 * sqrt(tn) / sqrt(gn);
        for (int side = 1; side >= -1; side -= 2) {
            for (size_t j = 0; j < P; j++) p[j] = m[j] ? (float)(theta[j] + side * h * g[j]) : theta[j];
            loss_grad(n, b);
            const float *gg = cnn_grads(n);
            for (size_t j = 0; j < P; j++)
                if (m[j]) hg[j] += side * (double)gg[j] / (2 * h);
        }
    }
    cnn_relu_gates(n, CNN_GATES_OFF);
    memcpy(p, theta, P * sizeof *theta);
    free(theta);
    free(g);
    free(m);
    return NASW_OK;
}

/* GraSP (Wang et al. 2020, as NASLib): -sum theta * (H g) over the weights. */
static int grasp(struct cnn *n, const struct proxy_batch *b, double *out)
{
    size_t P = cnn_num_params(n);
    double *hg = malloc(P * sizeof *hg);
    if (!hg) return nasw_errorf(NASW_ENOMEM, "out of memory");
    int st = proxy_hessian_grad(n, b, hg);
    if (!st) {
        const float *p = cnn_params(n);
        double s = 0;
        for (size_t j = 0; j < P; j++) s -= p[j] * hg[j];
        *out = s;
    }
    free(hg);
    return st;
}

/* SynFlow (Tanaka et al. 2020): |parameters|, one all-ones image, BN in
 * eval mode with fresh statistics (mean 0, variance 1: the identity up to
 * 1/sqrt(1 + eps)), R = sum of the logits, score sum theta dR/dtheta.  The
 * network is then positively homogeneous in its input (no biases: BN beta
 * and the classifier's bias are 0 at initialisation), so an input scaled by
 * s scales the score by s: a score that overflows float is recomputed with
 * a smaller input and scaled back in double.  Leaves |parameters|. */
static double synflow(struct cnn *n)
{
    const struct cnn_config *cfg = cnn_get_config(n);
    size_t P = cnn_num_params(n), px = (size_t)cfg->in_ch * cfg->H * cfg->W;
    float *p = cnn_params(n);
    for (size_t j = 0; j < P; j++) p[j] = fabsf(p[j]);
    float *x = malloc(px * sizeof *x), *dl = malloc((size_t)cfg->classes * sizeof *dl);
    double s = NAN;
    int label = 0, correct;
    if (!x || !dl) goto done;
    for (int i = 0; i < cfg->classes; i++) dl[i] = 1.0f;
    for (int e = 0; e <= 120; e += 40) {
        float scale = ldexpf(1.0f, -e);
        for (size_t j = 0; j < px; j++) x[j] = scale;
        (void)cnn_forward(n, x, &label, 1, 0, &correct);
        cnn_backward_from(n, dl, NULL);
        s = weight_sum(n, W_PLAIN);
        if (isfinite(s)) {
            s = ldexp(s, e);
            break;
        }
    }
done:
    free(x);
    free(dl);
    return s;
}

/* Zen-NAS (Lin et al. 2021, with repeat 1 and mixup 0.01 as NASLib): weights
 * N(0,1), BN gamma 1 beta 0, Gaussian images x and noise e; the mean over
 * the batch of the L1 distance of the pre-pooling features of x and
 * x + 0.01 e, in logs, plus per BN log sqrt(mean over channels of the
 * running variance) after the two training-mode forwards (momentum 0.1
 * from 1, as Zen-NAS's code reads it: a channel cut off by `none` edges,
 * variance 0, keeps a finite factor). */
static double zen(struct cnn *n, int B, struct rng *r)
{
    const struct cnn_config *cfg = cnn_get_config(n);
    size_t P = cnn_num_params(n), px = (size_t)B * cfg->in_ch * cfg->H * cfg->W;
    float *p = cnn_params(n);
    unsigned char *m = malloc(P);
    float *x = malloc(px * sizeof *x), *x2 = malloc(px * sizeof *x2), *f = NULL;
    int *y = calloc((size_t)B, sizeof *y), correct;
    double s = NAN;
    if (!m || !x || !x2 || !y) goto done;
    cnn_init(n, r); /* fresh running statistics: mean 0, variance 1 */
    weight_mask(n, m);
    for (size_t j = 0; j < P; j++)
        if (m[j]) p[j] = (float)rng_gaussian(r, 1.0);
    for (size_t j = 0; j < px; j++) {
        x[j] = (float)rng_gaussian(r, 1.0);
        x2[j] = x[j] + 0.01f * (float)rng_gaussian(r, 1.0);
    }
    int gap = -1;
    struct cnn_layer l;
    for (int i = 0; i < cnn_num_layers(n); i++) {
        cnn_layer(n, i, &l);
        if (l.kind == CNN_GAP) gap = i;
    }
    NASW_ASSERT(gap >= 0);
    cnn_layer(n, gap, &l);
    size_t nf = (size_t)B * l.Ci * l.Hi * l.Wi;
    if (!(f = malloc(nf * sizeof *f))) goto done;
    (void)cnn_forward(n, x, y, B, 1, &correct);
    cnn_layer(n, gap, &l);
    memcpy(f, l.in, nf * sizeof *f);
    (void)cnn_forward(n, x2, y, B, 1, &correct);
    cnn_layer(n, gap, &l);
    double d = 0;
    for (size_t j = 0; j < nf; j++) d += fabs((double)f[j] - l.in[j]);
    s = log(d / B);
    for (int i = 0; i < cnn_num_layers(n); i++) {
        cnn_layer(n, i, &l);
        if (l.kind != CNN_BN) continue;
        double v = 0;
        for (int c = 0; c < l.C; c++) v += l.rvar[c];
        s += 0.5 * log(v / l.C);
    }
done:
    free(m);
    free(x);
    free(x2);
    free(y);
    free(f);
    return s;
}

int proxies_compute(const struct space *s, const struct arch *a, const struct cnn_config *cfg_in,
                    const struct proxy_batch *batch, uint64_t seed, const int *want, double *out)
{
    for (int i = 0; i < PROXY_COUNT; i++) out[i] = NAN;
    struct cnn_config cfg = *cfg_in;
    cfg.max_batch = batch->B;
    struct cnn *n = NULL;
    int st = cnn_new(&n, s, a, &cfg);
    if (st) return st;
    size_t P = cnn_num_params(n), D = (size_t)cfg.in_ch * cfg.H * cfg.W;
    float *theta0 = malloc(P * sizeof *theta0), *J = NULL;
    double *Z = NULL;
    struct rng *r = rng_new(seed);
    if (!theta0 || !r) goto nomem;
    cnn_init(n, r);
    memcpy(theta0, cnn_params(n), P * sizeof *theta0);
    if (want[PROXY_PARAMS]) out[PROXY_PARAMS] = (double)P;
    if (want[PROXY_FLOPS]) out[PROXY_FLOPS] = proxy_flops(n);
    if (want[PROXY_L2_NORM]) out[PROXY_L2_NORM] = weight_sum(n, W_L2);
    /* first, while the BN running statistics are fresh (eval mode) */
    if (want[PROXY_SYNFLOW]) {
        out[PROXY_SYNFLOW] = synflow(n);
        memcpy(cnn_params(n), theta0, P * sizeof *theta0);
    }
    if (want[PROXY_SNIP] || want[PROXY_GRAD_NORM] || want[PROXY_PLAIN] || want[PROXY_FISHER]) {
        loss_grad(n, batch);
        if (want[PROXY_SNIP]) out[PROXY_SNIP] = weight_sum(n, W_SNIP);
        if (want[PROXY_GRAD_NORM]) out[PROXY_GRAD_NORM] = weight_sum(n, W_GRADNORM);
        if (want[PROXY_PLAIN]) out[PROXY_PLAIN] = weight_sum(n, W_PLAIN);
        if (want[PROXY_FISHER]) out[PROXY_FISHER] = fisher(n);
    }
    if (want[PROXY_GRASP] && (st = grasp(n, batch, &out[PROXY_GRASP]))) goto fail;
    if (want[PROXY_JACOV] || want[PROXY_EPE_NAS] || want[PROXY_NWOT]) {
        J = malloc((size_t)batch->B * D * sizeof *J);
        Z = malloc((size_t)batch->B * D * sizeof *Z);
        if (!J || !Z) goto nomem;
        int correct;
        (void)cnn_forward(n, batch->x, batch->y, batch->B, 1, &correct);
        if (want[PROXY_NWOT]) out[PROXY_NWOT] = nwot(n); /* the codes of this forward */
        jacobians_backward(n, batch, J);
        if (want[PROXY_JACOV]) out[PROXY_JACOV] = jacov(J, batch->B, D, Z);
        if (want[PROXY_EPE_NAS]) out[PROXY_EPE_NAS] = epe_nas(J, batch->y, batch->B, D, cfg.classes, Z);
    }
    if (want[PROXY_ZEN]) {
        rng_seed(r, seed ^ 0x5a454e2d4e4153ULL); /* its own stream: independent of the other proxies */
        out[PROXY_ZEN] = zen(n, batch->B, r);
    }
    /* non-finite sums of finite terms (overflow) are undefined too, but
     * NASWOT's -inf (a singular kernel) and Zen's log 0 are values */
    for (int i = 0; i < PROXY_COUNT; i++)
        if (isinf(out[i]) && i != PROXY_NWOT && i != PROXY_ZEN) out[i] = NAN;
    goto done;
nomem:
    st = nasw_errorf(NASW_ENOMEM, "out of memory computing proxies");
fail:
    for (int i = 0; i < PROXY_COUNT; i++) out[i] = NAN;
done:
    free(theta0);
    free(J);
    free(Z);
    rng_free(r);
    cnn_free(n);
    return st;
}
